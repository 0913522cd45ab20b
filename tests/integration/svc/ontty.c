/*
 * ontty: run a command with a terminal as its controlling terminal.
 *
 * usage: ontty TTY COMMAND [ARG]...
 *
 * Starts a new session unless it leads one already (the harness starts
 * every process in a session of its own), opens TTY, makes it the
 * controlling terminal of the session (TIOCSCTTY), puts it on descriptors
 * 0, 1 and 2, and execs COMMAND: what a terminal emulator or `docker run
 * -it` does for the program it runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: ontty TTY COMMAND [ARG]...\n");
		return 2;
	}
	if (getsid(0) != getpid() && setsid() == -1) {
		fprintf(stderr, "ontty: setsid: %s\n", strerror(errno));
		return 111;
	}
	fd = open(argv[1], O_RDWR);
	if (fd == -1 || ioctl(fd, TIOCSCTTY, 0) == -1 || dup2(fd, 0) == -1 ||
	    dup2(fd, 1) == -1 || dup2(fd, 2) == -1) {
		fprintf(stderr, "ontty: %s: %s\n", argv[1], strerror(errno));
		return 111;
	}
	if (fd > 2)
		(void)close(fd);
	execvp(argv[2], argv + 2);
	fprintf(stderr, "ontty: cannot execute %s: %s\n", argv[2],
	    strerror(errno));
	return 127;
}
