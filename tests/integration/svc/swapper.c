/*
 * swapper: run by a test as an unprivileged user, it keeps changing names
 * in a directory it owns so that a path corral (as root) uses leads to a
 * file of root's, until killed.
 *
 * usage: swapper sock LOG PATH TARGET
 *	puts a symlink to TARGET at PATH, renamed over PATH each time a
 *	socket is there (right after corral's bind(), before what it does next)
 * usage: swapper dir LOG PATH TARGET
 *	PATH is a directory; flips it with a symlink to the directory TARGET
 *	(renameat2 RENAME_EXCHANGE), so that every lookup through PATH goes to
 *	one or the other
 *
 * Appends "swapping PID NS" to LOG (which must exist) once it races.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char tmp[4096], line[128];
	struct timespec ts;
	int fd, n;

	if (argc != 5 || (strcmp(argv[1], "sock") != 0 &&
	    strcmp(argv[1], "dir") != 0)) {
		fprintf(stderr, "usage: swapper sock|dir LOG PATH TARGET\n");
		return 2;
	}
	snprintf(tmp, sizeof(tmp), "%s.swap", argv[3]);
	if (strcmp(argv[1], "dir") == 0 && symlink(argv[4], tmp) == -1) {
		fprintf(stderr, "swapper: symlink %s: %s\n", tmp,
		    strerror(errno));
		return 111;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(line, sizeof(line), "swapping %d %lld\n", (int)getpid(),
	    (long long)ts.tv_sec * 1000000000 + ts.tv_nsec);
	fd = open(argv[2], O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd == -1 || write(fd, line, (size_t)n) != n) {
		fprintf(stderr, "swapper: %s: %s\n", argv[2], strerror(errno));
		return 111;
	}
	(void)close(fd);
	if (strcmp(argv[1], "dir") == 0)
		for (;;)
			(void)renameat2(AT_FDCWD, tmp, AT_FDCWD, argv[3],
			    RENAME_EXCHANGE);
	for (;;) {
		struct stat st;

		/* Failures are the expected outcome once corral is safe. */
		if (symlink(argv[4], tmp) == -1 && errno != EEXIST)
			continue;
		if (lstat(argv[3], &st) == 0 && S_ISSOCK(st.st_mode))
			(void)rename(tmp, argv[3]);
	}
}
