/*
 * sd_notify.c - readiness and stopping notifications for systemd
 * (Type=notify services). The protocol is one AF_UNIX datagram holding
 * newline-separated VAR=VALUE assignments, sent to the socket named in
 * $NOTIFY_SOCKET; linking libsystemd for that would add a dependency for a
 * dozen lines, so the datagram is sent here.
 *
 * Thread-safety: reentrant; called from the main thread.
 */
#include "sd_notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "logger.h"

#define SM_SD_LOGGER "kafka.Kafka$"

int sm_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || !*path)
		return 0;
	struct sockaddr_un sa;
	size_t len = strlen(path);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	/* Only absolute paths and abstract names are valid: a relative path
	 * would resolve against whatever directory the broker runs in. */
	if ((path[0] != '/' && path[0] != '@') || len < 2 || len > sizeof(sa.sun_path)) {
		sm_log_warn(NULL, SM_SD_LOGGER, "NOTIFY_SOCKET '%s' is not a socket path; not notifying",
			    path);
		return -1;
	}
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	socklen_t sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		sm_log_warn(NULL, SM_SD_LOGGER, "Cannot notify the service manager: socket: %s",
			    strerror(errno));
		return -1;
	}
	ssize_t n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, sa_len);
	int e = errno;
	close(fd);
	if (n < 0) {
		sm_log_warn(NULL, SM_SD_LOGGER, "Cannot notify the service manager at %s: %s", path,
			    strerror(e));
		return -1;
	}
	return 1;
}
