/*
 * sd_notify(3) without libsystemd.  The address is a filesystem path or,
 * with a leading '@', a name in the abstract namespace.  Sends never block:
 * a datagram systemd cannot take now is dropped, as sd_notify does.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

static struct {
	struct ev_loop		*loop;
	int			 fd;
	struct sockaddr_un	 addr;
	socklen_t		 addrlen;
	ev_timer		 watchdog_w;
	bool			 warned;
} nt = { .fd = -1 };

bool
notify_enabled(void)
{
	return nt.fd != -1;
}

void
notify_send(const char *msg)
{
	ssize_t r;

	if (nt.fd == -1)
		return;
	do
		r = sendto(nt.fd, msg, strlen(msg), MSG_NOSIGNAL,
		    (struct sockaddr *)&nt.addr, nt.addrlen);
	while (r == -1 && errno == EINTR);
	if (r == -1 && !nt.warned) {
		nt.warned = true;
		log_warn("unable to notify systemd (%s)", msg);
	}
}

static void
watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	notify_send("WATCHDOG=1");
}

static int
parse_address(const char *path)
{
	size_t len = strlen(path);

	if ((path[0] != '/' && path[0] != '@') || len < 2 ||
	    len >= sizeof(nt.addr.sun_path)) {
		log_warnx("NOTIFY_SOCKET '%s' is not a socket path or "
		    "@abstract name; not notifying", path);
		return -1;
	}
	memset(&nt.addr, 0, sizeof(nt.addr));
	nt.addr.sun_family = AF_UNIX;
	memcpy(nt.addr.sun_path, path, len);
	if (path[0] == '@')
		nt.addr.sun_path[0] = '\0';
	nt.addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
	    (path[0] == '@' ? 0 : 1));
	return 0;
}

/* The watchdog interval in seconds, or 0 when none is asked of us. */
static double
watchdog_interval(const char *usec, const char *pid)
{
	unsigned long long v;
	char *end;

	if (usec == NULL)
		return 0;
	if (pid != NULL && strtol(pid, &end, 10) != (long)getpid())
		return 0;		/* meant for another process */
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0) {
		log_warnx("WATCHDOG_USEC '%s' is not a number of "
		    "microseconds; not petting the watchdog", usec);
		return 0;
	}
	return (double)v / 1e6;
}

int
notify_init(struct ev_loop *loop)
{
	const char *path = getenv("NOTIFY_SOCKET");
	char *copy = path != NULL ? strdup(path) : NULL;
	double every = watchdog_interval(getenv("WATCHDOG_USEC"),
	    getenv("WATCHDOG_PID"));
	int r = 0;

	nt.loop = loop;
	/* Never passed on, even when they are unusable. */
	(void)unsetenv("NOTIFY_SOCKET");
	(void)unsetenv("WATCHDOG_USEC");
	(void)unsetenv("WATCHDOG_PID");
	if (copy == NULL)
		return path == NULL ? 0 : -1;
	if (parse_address(copy) == -1) {
		r = -1;
		goto out;
	}
	nt.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (nt.fd == -1) {
		log_warn("unable to create a socket to notify systemd");
		r = -1;
		goto out;
	}
	if (every > 0) {
		ev_timer_init(&nt.watchdog_w, watchdog_cb, every / 2, every / 2);
		ev_timer_start(loop, &nt.watchdog_w);
	}
out:
	free(copy);
	return r;
}

void
notify_free(void)
{
	if (nt.fd == -1)
		return;
	ev_timer_stop(nt.loop, &nt.watchdog_w);
	(void)close(nt.fd);
	nt.fd = -1;
}
