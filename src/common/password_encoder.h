/*
 * password_encoder.h - Kafka's PasswordEncoder: dynamic password configs are
 * stored in ZooKeeper encrypted with password.encoder.secret, as
 * "keyFactoryAlgorithm:PBKDF2WithHmacSHA512,cipherAlgorithm:AES/CBC/PKCS5Padding,
 * keyLength:128,salt:<b64>,iterations:4096,encryptedPassword:<b64>,
 * passwordLength:<n>,initializationVector:<b64>" (pairs in any order). The
 * key is PBKDF2 of the secret over a 256-byte random salt; the cipher is AES
 * in CBC mode with PKCS#7 padding (Java's PKCS5Padding). Decoding takes the
 * algorithms, key length and iterations from the string, as Kafka does.
 *
 * Thread-safety: no shared state.
 */
#ifndef SM_PASSWORD_ENCODER_H
#define SM_PASSWORD_ENCODER_H

#include <stddef.h>

/* The encoded form of password (malloc'd), or NULL with err set. */
char *sm_password_encode(const char *secret, const char *password, char *err, size_t errlen);
/* The password of an encoded string (malloc'd), or NULL with err set (a
 * wrong secret or a malformed string). */
char *sm_password_decode(const char *secret, const char *encoded, char *err, size_t errlen);

#endif /* SM_PASSWORD_ENCODER_H */
