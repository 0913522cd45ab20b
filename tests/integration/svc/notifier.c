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
 *   sleep:MS	sleep MS milliseconds
 *   wait:PATH	wait until PATH exists (for a cue from the test)
 * then waits for a signal with every disposition at its default.
 * A step that fails exits 111 with a message on stderr.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

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

static void
send_bytes(const char *msg, size_t len, const char *shown)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t plen;
	socklen_t alen;
	long long ns;
	int fd;

	if (path == NULL || *path == '\0') {
		errno = EINVAL;
		fail("NOTIFY_SOCKET is not set");
	}
	plen = strlen(path);
	if (plen >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		fail(path);
	}
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen +
	    (path[0] == '@' ? 0 : 1));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		fail("socket");
	ns = now_ns();
	if (sendto(fd, msg, len, 0, (struct sockaddr *)&sun, alen) !=
	    (ssize_t)len)
		fail(path);
	(void)close(fd);
	record("sent", ns, shown);
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

/* step is "big:N". */
static void
send_big(const char *step)
{
	static char msg[65536];
	size_t len = (size_t)atol(step + 4);

	if (len < 7 || len > sizeof(msg)) {
		errno = EINVAL;
		fail(step);
	}
	memcpy(msg, "STATUS=", 7);
	memset(msg + 7, 'x', len - 7);
	send_bytes(msg, len, step);
}

int
main(int argc, char **argv)
{
	const char *sock = getenv("NOTIFY_SOCKET");

	if (argc < 2) {
		fprintf(stderr, "usage: notifier FILE [send:TEXT|big:N|"
		    "sleep:MS|wait:PATH]...\n");
		return 2;
	}
	file = argv[1];
	record("start", now_ns(), sock ? sock : "(unset)");
	for (int i = 2; i < argc; i++) {
		if (strncmp(argv[i], "send:", 5) == 0)
			send_text(argv[i] + 5);
		else if (strncmp(argv[i], "big:", 4) == 0)
			send_big(argv[i]);
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
