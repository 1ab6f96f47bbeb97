/*
 * sd_notify.h - the service manager's readiness protocol (systemd's
 * sd_notify(3)) without libsystemd: one datagram to $NOTIFY_SOCKET.
 */
#ifndef SM_SD_NOTIFY_H
#define SM_SD_NOTIFY_H

/* Sends state (e.g. "READY=1") to the socket named by $NOTIFY_SOCKET, a path
 * or, with a leading '@', an abstract-namespace name. Returns 1 when sent, 0
 * when $NOTIFY_SOCKET is unset or empty (not run by a service manager), -1
 * on error (logged). Never blocks. */
int sm_sd_notify(const char *state);

#endif
