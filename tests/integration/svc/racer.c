/*
 * racer: a notify = yes service whose detached child tries to turn corral's
 * handling of its notify socket against a file it cannot touch.
 *
 * usage: racer LOG TARGET LOCK HOLD
 *
 * Each run appends "start PID NS SOCKET" to LOG (which must exist) and, if
 * it can create LOCK (O_EXCL, so only once), forks a child that leaves the
 * service's process group, appends "racer PID NS" and then, for ever, puts
 * a symlink to TARGET where NOTIFY_SOCKET is, renamed over the socket as
 * soon as one is there.
 * The run then exits 0 at once, so that restart = always gives the race
 * many rounds; once HOLD exists, a run appends "hold PID NS" and stays.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *log_path;

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
record(const char *label, const char *rest)
{
	char line[512];
	int fd, n;

	n = snprintf(line, sizeof(line), "%s %d %lld %s\n", label,
	    (int)getpid(), now_ns(), rest);
	if (n < 0 || n >= (int)sizeof(line))
		n = (int)sizeof(line) - 1, line[n - 1] = '\n';
	fd = open(log_path, O_WRONLY | O_APPEND | O_CLOEXEC);
	/* One write() each, so lines of several processes never mix. */
	if (fd == -1 || write(fd, line, (size_t)n) != n) {
		fprintf(stderr, "racer: %s: %s\n", log_path, strerror(errno));
		exit(111);
	}
	(void)close(fd);
}

/* Tells the parent through ready once out of the group, then races. */
static void
race(const char *sock, const char *target, int ready)
{
	char tmp[4096];

	if (setsid() == -1) {
		perror("racer: setsid");
		_exit(111);
	}
	record("racer", "");
	(void)close(ready);
	snprintf(tmp, sizeof(tmp), "%s.racer", sock);
	for (;;) {
		struct stat st;

		/* Failures are the expected outcome once corral is safe. */
		if (symlink(target, tmp) == -1 && errno != EEXIST)
			continue;
		/* Right after corral's bind(), before what it does next. */
		if (lstat(sock, &st) == 0 && S_ISSOCK(st.st_mode))
			(void)rename(tmp, sock);
	}
}

int
main(int argc, char **argv)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	int fd, p[2];

	if (argc != 5 || sock == NULL || *sock != '/') {
		fprintf(stderr, "usage: racer LOG TARGET LOCK HOLD, with "
		    "NOTIFY_SOCKET a path\n");
		return 2;
	}
	log_path = argv[1];
	record("start", sock);
	if ((fd = open(argv[3], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) != -1) {
		char c;

		(void)close(fd);
		if (pipe(p) == -1) {
			perror("racer: pipe");
			return 111;
		}
		switch (fork()) {
		case -1:
			perror("racer: fork");
			return 111;
		case 0:
			(void)close(p[0]);
			race(sock, argv[2], p[1]);
		}
		/* Exiting earlier would let corral end the child with the group. */
		(void)close(p[1]);
		(void)read(p[0], &c, 1);
		(void)close(p[0]);
	}
	if (access(argv[4], F_OK) == 0) {
		record("hold", "");
		signal(SIGTERM, SIG_DFL);
		for (;;)
			pause();
	}
	return 0;
}
