/*
 * orphans: the service of the orphan-reaping benchmark (corral as PID 1).
 *
 * usage: orphans FIFO GO COUNT
 *
 * Writes "ready" to FIFO, waits for a line on the FIFO GO, then makes COUNT
 * orphans: each time a child that forks a grandchild and exits at once, so
 * the grandchild (which exits at once too) is reparented to PID 1 and must
 * be reaped there.  Then it writes "done NS" to FIFO, NS being
 * CLOCK_MONOTONIC in nanoseconds after the last orphan was made, and waits
 * to be stopped.  The children are made one after the other, as a shell's
 * `( : & )` loop does, so the rate is what one process can produce.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	struct timespec ts;
	char *end, c;
	long count;
	int out, go;

	if (argc != 4 || (count = strtol(argv[3], &end, 10)) < 1 || *end != '\0') {
		fprintf(stderr, "usage: orphans FIFO GO COUNT\n");
		return 2;
	}
	if ((out = open(argv[1], O_WRONLY | O_CLOEXEC)) == -1) {
		perror(argv[1]);
		return 1;
	}
	/* Read-write: opening never blocks, and the benchmark can open GO
	 * for writing as soon as "ready" arrives. */
	if ((go = open(argv[2], O_RDWR | O_CLOEXEC)) == -1) {
		perror(argv[2]);
		return 1;
	}
	if (dprintf(out, "ready\n") < 0 || read(go, &c, 1) != 1) {
		perror("orphans");
		return 1;
	}
	for (long i = 0; i < count; i++) {
		pid_t pid = fork();

		if (pid == -1) {
			perror("orphans: fork");
			return 1;
		}
		if (pid == 0) {
			(void)fork();	/* a failure just means one orphan less */
			_exit(0);
		}
		(void)waitpid(pid, NULL, 0);
	}
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	if (dprintf(out, "done %lld\n",
	    (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec) < 0) {
		perror(argv[1]);
		return 1;
	}
	for (;;)
		pause();
}
