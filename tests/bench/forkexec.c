/*
 * forkexec: the floor for starting N services on this machine, to compare
 * corral's start time with.
 *
 * usage: forkexec N PROGRAM [ARG...]
 *
 * Runs PROGRAM N times, each time with "{}" in an ARG replaced by the index
 * 0..N-1 (so each copy can create its own marker file), as a bare loop of
 * fork() and execv(): no setsid, no status pipe, no signal reset, no config.
 * Then it waits for its children, which the benchmark kills by pid.
 * Every argv is built before the first fork so the loop holds nothing else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *
expand(const char *arg, long i)
{
	const char *at = strstr(arg, "{}");
	char *s;

	if (at == NULL)
		return strdup(arg);
	if (asprintf(&s, "%.*s%ld%s", (int)(at - arg), arg, i, at + 2) == -1)
		return NULL;
	return s;
}

int
main(int argc, char *argv[])
{
	char ***argvs;
	char *end;
	long n;

	if (argc < 3 || (n = strtol(argv[1], &end, 10)) < 1 || *end != '\0') {
		fprintf(stderr, "usage: forkexec N PROGRAM [ARG...]\n");
		return 2;
	}
	if ((argvs = calloc((size_t)n, sizeof(*argvs))) == NULL) {
		perror("forkexec");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		if ((argvs[i] = calloc((size_t)argc - 1, sizeof(char *))) == NULL) {
			perror("forkexec");
			return 1;
		}
		for (int a = 2; a < argc; a++)
			if ((argvs[i][a - 2] = expand(argv[a], i)) == NULL) {
				perror("forkexec");
				return 1;
			}
	}
	for (long i = 0; i < n; i++) {
		switch (fork()) {
		case -1:
			perror("forkexec: fork");
			return 1;
		case 0:
			execv(argvs[i][0], argvs[i]);
			perror(argvs[i][0]);
			_exit(127);
		}
	}
	while (wait(NULL) != -1 || errno == EINTR)
		continue;
	return 0;
}
