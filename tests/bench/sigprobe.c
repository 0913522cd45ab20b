/*
 * sigprobe: the service of the signal relay benchmark.
 *
 * usage: sigprobe FIFO
 *
 * Writes "ready" to FIFO once its SIGUSR1 handler is installed, then, from
 * inside the handler, one line per SIGUSR1: CLOCK_MONOTONIC in nanoseconds.
 * The clock is read first thing in the handler, so the figure is the moment
 * the service's code runs, which is what a relayed signal is for.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int out = -1;

static void
on_usr1(int sig)
{
	struct timespec ts;
	unsigned long long ns;
	char buf[32];
	size_t i = sizeof(buf);
	int saved = errno;

	(void)sig;
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	ns = (unsigned long long)ts.tv_sec * 1000000000ULL +
	    (unsigned long long)ts.tv_nsec;
	/* printf is not async-signal-safe. */
	buf[--i] = '\n';
	do {
		buf[--i] = (char)('0' + ns % 10);
		ns /= 10;
	} while (ns != 0);
	/* A lost line shows up as a timeout in the benchmark. */
	(void)!write(out, buf + i, sizeof(buf) - i);
	errno = saved;
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;

	if (argc != 2) {
		fprintf(stderr, "usage: sigprobe FIFO\n");
		return 2;
	}
	if ((out = open(argv[1], O_WRONLY | O_CLOEXEC)) == -1) {
		perror(argv[1]);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGUSR1, &sa, NULL) == -1) {
		perror("sigaction");
		return 1;
	}
	if (write(out, "ready\n", 6) != 6) {
		perror(argv[1]);
		return 1;
	}
	for (;;)
		pause();
}
