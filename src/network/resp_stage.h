/*
 * resp_stage.h - a cursor that copies a response, as it goes on the wire,
 * into caller-supplied buffers: the 4-byte size prefix, then the memory
 * parts and file fragments of an sm_wbuf_t in order, file bytes read with
 * pread(2). The socket server stages TLS responses with it (SSL_write
 * needs the plaintext in memory; plaintext connections send the fragments
 * with sendfile instead).
 *
 * A fragment that reads short (the file was truncated meanwhile) or fails
 * ends the copy with an error, as a short sendfile does on plaintext: the
 * size prefix has announced bytes that cannot be sent.
 *
 * Thread-safety: a cursor belongs to one thread; the response it reads must
 * not change while it is in use (file references are held by it).
 */
#ifndef SM_RESP_STAGE_H
#define SM_RESP_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef struct sm_resp_cursor {
	const sm_wbuf_t *w;
	uint8_t hdr[4]; /* the size prefix (sm_wbuf_size of w) */
	int hdr_left;   /* its bytes not yet copied */
	size_t mem;     /* next memory position of w */
	int frag;       /* first fragment not fully copied */
	size_t foff;    /* bytes of it copied */
} sm_resp_cursor_t;

/* Starts at the size prefix of w (sm_wbuf_size(w) must fit an int32). */
void sm_resp_cursor_init(sm_resp_cursor_t *cur, const sm_wbuf_t *w);

/* Appends what comes next to buf (*used bytes already in it, cap in all)
 * and advances. Returns 1 once everything has been copied, 0 when buf is
 * full and more remains, -1 when a fragment could not be read whole (why
 * says which). */
int sm_resp_cursor_fill(sm_resp_cursor_t *cur, uint8_t *buf, size_t cap, size_t *used,
			char *why, size_t whylen);

#endif
