/*
 * stamp: write down that something happened, and when.
 *
 * usage: stamp [-e] FILE LABEL [COMMAND [ARG]...]
 *
 * Appends "LABEL PID NS" to FILE (NS: CLOCK_MONOTONIC in nanoseconds), then
 * execs COMMAND if one is given, so the process that runs COMMAND is the one
 * whose pid was written down.  With -e the line goes on with every CORRAL_*
 * variable of the environment, sorted, as NAME=VALUE words: what a cleanup
 * hook was told.  CORRAL_SOCKET is left out: the test runner sets it for
 * every corral, and it reaches services as part of corral's environment.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
main(int argc, char **argv)
{
	const char *vars[64];
	char line[4096];
	struct timespec ts;
	size_t nvars = 0, len;
	int i = 1, fd, env = 0;

	if (i < argc && strcmp(argv[i], "-e") == 0) {
		env = 1;
		i++;
	}
	if (argc - i < 2) {
		fprintf(stderr, "usage: stamp [-e] FILE LABEL [COMMAND...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	len = (size_t)snprintf(line, sizeof(line), "%s %d %lld", argv[i + 1],
	    (int)getpid(), (long long)ts.tv_sec * 1000000000 + ts.tv_nsec);
	for (char **e = environ; env && *e != NULL && nvars < 64; e++)
		if (strncmp(*e, "CORRAL_", 7) == 0 &&
		    strncmp(*e, "CORRAL_SOCKET=", 14) != 0)
			vars[nvars++] = *e;
	qsort(vars, nvars, sizeof(*vars), by_name);
	for (size_t v = 0; v < nvars && len < sizeof(line); v++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %s",
		    vars[v]);
	if (len >= sizeof(line) - 1)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	fd = open(argv[i], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	/* One write(), so lines of several processes never mix. */
	if (fd == -1 || write(fd, line, len) != (ssize_t)len) {
		fprintf(stderr, "stamp: %s: %s\n", argv[i], strerror(errno));
		return 111;
	}
	(void)close(fd);
	if (argc - i > 2) {
		execvp(argv[i + 2], argv + i + 2);
		fprintf(stderr, "stamp: cannot execute %s: %s\n", argv[i + 2],
		    strerror(errno));
		return 127;
	}
	return 0;
}
