/*
 * notifier: a notify = yes service that speaks sd_notify(3) by a script.
 *
 * usage: notifier FILE [STEP]...
 *
 * Appends "start PID NS SOCKET" to FILE, SOCKET being its NOTIFY_SOCKET (or
 * "(unset)"), then runs the steps in order:
 *   send:TEXT	send TEXT as one datagram to NOTIFY_SOCKET ("\n" in TEXT is
 *		a newline) and append "sent PID NS TEXT", NS taken just
 *		before the send
 *   big:N	send "STATUS=xxx...", N bytes in all, and append
 *		"sent PID NS big:N"
 *   flood:N:COUNT  send that COUNT times, then append one "sent" line
 *   fds:COUNT:N	send "FDSTORE=1" COUNT times, each datagram carrying N
 *		descriptors of /dev/null (SCM_RIGHTS), then append one "sent"
 *   sleep:MS	sleep MS milliseconds
 *   wait:PATH	wait until PATH exists (for a cue from the test)
 * then waits for a signal with every disposition at its default.
 * A step that fails exits 111 with a message on stderr.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define FDS_MAX	253	/* the kernel's SCM_MAX_FD */

static const char *file;

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
fail(const char *what)
{
	fprintf(stderr, "notifier: %s: %s\n", what, strerror(errno));
	exit(111);
}

static void
record(const char *label, long long ns, const char *rest)
{
	char line[1024];
	int fd, n;

	n = snprintf(line, sizeof(line), "%s %d %lld %s\n", label, (int)getpid(),
	    ns, rest);
	if (n < 0 || n >= (int)sizeof(line))
		n = (int)sizeof(line) - 1, line[n - 1] = '\n';
	fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	/* One write() each, so lines of several processes never mix. */
	if (fd == -1 || write(fd, line, (size_t)n) != n)
		fail(file);
	(void)close(fd);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Where NOTIFY_SOCKET points, as a socket address of alen bytes. */
static void
notify_addr(struct sockaddr_un *sun, socklen_t *alen)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t plen;

	if (path == NULL || *path == '\0') {
		errno = EINVAL;
		fail("NOTIFY_SOCKET is not set");
	}
	plen = strlen(path);
	if (plen >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		fail(path);
	}
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, plen);
	if (path[0] == '@')
		sun->sun_path[0] = '\0';
	*alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen +
	    (path[0] == '@' ? 0 : 1));
}

/* Sends msg count times, each with nfds descriptors of /dev/null. */
static void
send_many(const char *msg, size_t len, int count, int nfds,
    const char *shown)
{
	struct sockaddr_un sun;
	union {
		char		 buf[CMSG_SPACE(FDS_MAX * sizeof(int))];
		struct cmsghdr	 align;
	} cbuf;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)msg,
	    .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	long long ns;
	int fd;

	notify_addr(&sun, &mh.msg_namelen);
	mh.msg_name = &sun;
	if (nfds > 0) {
		struct cmsghdr *c;

		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		for (int i = 0; i < nfds; i++) {
			int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

			if (nul == -1)
				fail("/dev/null");
			memcpy(CMSG_DATA(c) + i * sizeof(int), &nul, sizeof(nul));
		}
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		fail("socket");
	ns = now_ns();
	for (int i = 0; i < count; i++)
		if (sendmsg(fd, &mh, 0) != (ssize_t)len)
			fail(getenv("NOTIFY_SOCKET"));
	(void)close(fd);
	record("sent", ns, shown);
}

static void
send_bytes(const char *msg, size_t len, const char *shown)
{
	send_many(msg, len, 1, 0, shown);
}

static void
send_text(const char *text)
{
	char msg[1024];
	size_t len = 0;

	for (const char *p = text; *p != '\0' && len < sizeof(msg) - 1; p++) {
		if (p[0] == '\\' && p[1] == 'n') {
			msg[len++] = '\n';
			p++;
		} else
			msg[len++] = *p;
	}
	send_bytes(msg, len, text);
}

/* step is "big:N" or "flood:N:COUNT". */
static void
send_big(const char *step)
{
	static char msg[65536];
	const char *n = strchr(step, ':') + 1, *count = strchr(n, ':');
	size_t len = (size_t)atol(n);

	if (len < 7 || len > sizeof(msg)) {
		errno = EINVAL;
		fail(step);
	}
	memcpy(msg, "STATUS=", 7);
	memset(msg + 7, 'x', len - 7);
	send_many(msg, len, count != NULL ? atoi(count + 1) : 1, 0, step);
}

/* step is "fds:COUNT:N". */
static void
send_fds(const char *step)
{
	const char *n = strchr(step + 4, ':');

	if (n == NULL || atoi(n + 1) < 1 || atoi(n + 1) > FDS_MAX) {
		errno = EINVAL;
		fail(step);
	}
	send_many("FDSTORE=1", 9, atoi(step + 4), atoi(n + 1), step);
}

int
main(int argc, char **argv)
{
	const char *sock = getenv("NOTIFY_SOCKET");

	if (argc < 2) {
		fprintf(stderr, "usage: notifier FILE [send:TEXT|big:N|"
		    "flood:N:COUNT|fds:COUNT:N|sleep:MS|wait:PATH]...\n");
		return 2;
	}
	file = argv[1];
	record("start", now_ns(), sock ? sock : "(unset)");
	for (int i = 2; i < argc; i++) {
		if (strncmp(argv[i], "send:", 5) == 0)
			send_text(argv[i] + 5);
		else if (strncmp(argv[i], "big:", 4) == 0 ||
		    strncmp(argv[i], "flood:", 6) == 0)
			send_big(argv[i]);
		else if (strncmp(argv[i], "fds:", 4) == 0)
			send_fds(argv[i]);
		else if (strncmp(argv[i], "sleep:", 6) == 0)
			sleep_ms(atol(argv[i] + 6));
		else if (strncmp(argv[i], "wait:", 5) == 0)
			while (access(argv[i] + 5, F_OK) == -1)
				sleep_ms(2);
		else {
			fprintf(stderr, "notifier: unknown step '%s'\n", argv[i]);
			return 2;
		}
	}
	for (;;)
		pause();
}
