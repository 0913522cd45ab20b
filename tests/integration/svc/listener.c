/*
 * listener: a service started with sockets as sd_listen_fds(3) describes.
 *
 * usage: listener FILE
 *
 * Appends "start PID NS fds=N pid=P names=NAMES ino=I" to FILE (N, P and
 * NAMES from LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES; I the inode of fd
 * 3, or 0), then answers every connection on fds 3 .. 3+N-1 with
 * "hello PID\n" and closes it, until SIGTERM ends it.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS	16

int
main(int argc, char **argv)
{
	const char *n = getenv("LISTEN_FDS"), *p = getenv("LISTEN_PID");
	const char *names = getenv("LISTEN_FDNAMES");
	struct pollfd pfd[MAX_FDS];
	struct timespec ts;
	struct stat st;
	int nfds = n != NULL ? atoi(n) : 0;
	char answer[64];
	FILE *f;

	if (argc != 2 || nfds > MAX_FDS) {
		fprintf(stderr, "usage: listener FILE\n");
		return 2;
	}
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	if ((f = fopen(argv[1], "a")) == NULL)
		return 111;
	fprintf(f, "start %d %lld fds=%d pid=%s names=%s ino=%llu\n",
	    (int)getpid(), (long long)ts.tv_sec * 1000000000 + ts.tv_nsec,
	    nfds, p != NULL ? p : "-", names != NULL ? names : "-",
	    nfds > 0 && fstat(3, &st) == 0 ? (unsigned long long)st.st_ino :
	    0ULL);
	fclose(f);
	snprintf(answer, sizeof(answer), "hello %d\n", (int)getpid());
	for (int i = 0; i < nfds; i++) {
		pfd[i].fd = 3 + i;
		pfd[i].events = POLLIN;
	}
	for (;;) {
		if (poll(pfd, (nfds_t)nfds, -1) == -1) {
			if (errno == EINTR)
				continue;
			return 111;
		}
		for (int i = 0; i < nfds; i++) {
			int c;

			if (!(pfd[i].revents & POLLIN))
				continue;
			if ((c = accept(pfd[i].fd, NULL, NULL)) == -1)
				continue;
			(void)!write(c, answer, strlen(answer));
			(void)close(c);
		}
	}
}
