/*
 * orphans: a service that makes orphans for its supervisor to reap.
 *
 * usage: orphans N FILE
 *
 * Double-forks N times: each child forks a grandchild and exits at once.
 * The grandchild waits until it has been reparented, appends
 * "orphan PID NS NEWPARENT" to FILE, so a test can tell who adopted it, and
 * exits: every grandchild ends up an orphan that the nearest subreaper, or
 * PID 1, has to reap.  Then appends "done PID NS" to FILE and waits for a
 * signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void
fail(const char *what)
{
	fprintf(stderr, "orphans: %s: %s\n", what, strerror(errno));
	exit(111);
}

static const char *file;

static void
record(const char *label, const char *extra)
{
	struct timespec ts;
	char line[128];
	int fd, len;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	len = snprintf(line, sizeof(line), "%s %d %lld%s\n", label, (int)getpid(),
	    (long long)ts.tv_sec * 1000000000 + ts.tv_nsec, extra);
	fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	/* One write() each, so lines of several processes never mix. */
	if (fd == -1 || write(fd, line, (size_t)len) != len)
		fail(file);
	(void)close(fd);
}

static void
child(void)
{
	struct timespec ms = { 0, 1000000 };
	pid_t parent = getpid();
	char adopter[32];
	int p[2];
	char c;

	if (pipe(p) == -1)
		_exit(111);
	switch (fork()) {
	case -1:
		_exit(111);
	case 0:
		(void)close(p[1]);
		while (read(p[0], &c, 1) == -1 && errno == EINTR)
			;
		/* EOF comes as the parent exits, a moment before the adoption. */
		for (int i = 0; i < 5000 && getppid() == parent; i++)
			(void)nanosleep(&ms, NULL);
		snprintf(adopter, sizeof(adopter), " %d", (int)getppid());
		record("orphan", adopter);
		_exit(0);
	default:
		_exit(0);
	}
}

int
main(int argc, char **argv)
{
	int n;

	if (argc != 3) {
		fprintf(stderr, "usage: orphans N FILE\n");
		return 2;
	}
	n = atoi(argv[1]);
	file = argv[2];
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		int status;

		if (pid == -1)
			fail("fork");
		if (pid == 0)
			child();
		if (waitpid(pid, &status, 0) == -1)
			fail("waitpid");
	}
	record("done", "");
	for (;;)
		pause();
}
