/*
 * The journal's socket.  One connected datagram socket for all services,
 * non-blocking: a full receive queue in journald is EAGAIN, a line
 * dropped and counted.  A journal that went away (ECONNREFUSED: journald
 * restarting) is connected again, at most once a second.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "journal.h"
#include "log.h"

#define RETRY_S		1.0

static int		 jfd = -1;
static bool		 tried;
static double		 retry_at;
static bool		 failing;
static unsigned long	 dropped;

static const char *
socket_path(void)
{
	const char *p = getenv("CORRAL_JOURNAL_SOCKET");

	return p != NULL && *p != '\0' ? p : JOURNAL_SOCKET;
}

static bool
connect_journal(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = socket_path();

	retry_at = mono_now() + RETRY_S;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return false;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (jfd == -1 && (jfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		return false;
	if (connect(jfd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		int saved = errno;

		(void)close(jfd);	/* never sent on */
		jfd = -1;
		errno = saved;
		return false;
	}
	return true;
}

bool
journal_available(void)
{
	if (!tried) {
		tried = true;
		if (!connect_journal())
			log_warn("no journal at %s; output = journal falls back "
			    "to prefix", socket_path());
	}
	return jfd != -1;
}

static void
lost(int err)
{
	dropped++;
	if (failing)
		return;
	failing = true;
	errno = err;
	log_warn("unable to send output to the journal at %s; lines it does "
	    "not take are dropped and counted", socket_path());
}

void
journal_line(const char *prefix, bool is_stderr, const char *line,
    size_t len)
{
	const char *slash = strchr(prefix, '/');
	int nlen = slash != NULL ? (int)(slash - prefix) : (int)strlen(prefix);
	char head[256];
	int n = snprintf(head, sizeof(head), "SYSLOG_IDENTIFIER=%s\n"
	    "CORRAL_SERVICE=%.*s\nPRIORITY=%d\nMESSAGE=", prefix, nlen, prefix,
	    is_stderr ? 3 : 6);
	struct iovec iov[3] = {
		{ head, (size_t)n },
		{ (void *)(uintptr_t)line, len },
		{ (void *)(uintptr_t)"\n", 1 },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 3 };

	if (jfd == -1) {
		if (mono_now() < retry_at)
			errno = ENOTCONN;
		if (mono_now() < retry_at || !connect_journal()) {
			lost(errno);
			return;
		}
	}
	while (sendmsg(jfd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == ECONNREFUSED || errno == ENOTCONN) {
			(void)close(jfd);	/* connected again later */
			jfd = -1;
			retry_at = mono_now() + RETRY_S;
		}
		lost(errno);
		return;
	}
	if (failing) {
		failing = false;
		log_info("the journal takes output again; %lu line%s dropped",
		    dropped, dropped == 1 ? " was" : "s were");
		dropped = 0;
	}
}

void
journal_close(void)
{
	if (dropped > 0)
		log_warnx("%lu line%s of output never reached the journal",
		    dropped, dropped == 1 ? "" : "s");
	dropped = 0;
	if (jfd != -1) {
		(void)close(jfd);	/* datagrams: nothing pending */
		jfd = -1;
	}
}
