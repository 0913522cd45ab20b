/*
 * activate: socket activation as systemd or podman does it, for a test.
 *
 * usage: activate PORTFILE NAME PROGRAM [ARG]...
 *
 * Listens on 127.0.0.1 on a port the kernel picks, writes that port to
 * PORTFILE, makes the socket fd 3 and execs PROGRAM with LISTEN_FDS=1,
 * LISTEN_FDNAMES=NAME and LISTEN_PID its own pid (the pid PROGRAM keeps).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	char pid[32];
	FILE *f;
	int fd;

	if (argc < 4) {
		fprintf(stderr, "usage: activate PORTFILE NAME PROGRAM...\n");
		return 2;
	}
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(fd, 64) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) == -1) {
		perror("activate");
		return 111;
	}
	if (fd != 3 && (dup2(fd, 3) == -1 || close(fd) == -1))
		return 111;
	if ((f = fopen(argv[1], "w")) == NULL)
		return 111;
	fprintf(f, "%d\n", ntohs(sa.sin_port));
	if (fclose(f) != 0)
		return 111;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (setenv("LISTEN_FDS", "1", 1) == -1 ||
	    setenv("LISTEN_FDNAMES", argv[2], 1) == -1 ||
	    setenv("LISTEN_PID", pid, 1) == -1)
		return 111;
	execvp(argv[3], argv + 3);
	perror(argv[3]);
	return 127;
}
