/*
 * httpd: the other end of corral's built-in probes, on the socket corral
 * listens on for it (fd 3, from LISTEN_FDS).
 *
 * usage: httpd FILE MODEFILE
 *
 * Appends "start PID NS" to FILE, then for each connection reads MODEFILE
 * (so that a test can change its answers while it runs) and:
 *   200, 503, ...  reads the request, appends "request PID NS PATH" to
 *                  FILE and answers with that status;
 *   garbage        answers "hello" (no HTTP) once it read the request;
 *   silent         reads the request and keeps the connection, answering
 *                  nothing (a hung server: corral must give up);
 *   close          closes the connection at once.
 * It runs until a signal ends it.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *file;

static void
record(const char *what, const char *rest)
{
	struct timespec ts;
	FILE *f;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	if ((f = fopen(file, "a")) == NULL)
		exit(111);
	fprintf(f, "%s %d %lld %s\n", what, (int)getpid(),
	    (long long)ts.tv_sec * 1000000000 + ts.tv_nsec, rest);
	fclose(f);
}

static void
mode_of(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	snprintf(buf, len, "200");
	if (f == NULL)
		return;
	if (fgets(buf, (int)len, f) == NULL)
		snprintf(buf, len, "200");
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* The path of "GET PATH HTTP/1.1", read whole (a probe's is small). */
static void
read_request(int c, char *path, size_t len)
{
	char req[4096];
	size_t n = 0;
	ssize_t r;

	snprintf(path, len, "-");
	while (n < sizeof(req) - 1 && (r = read(c, req + n,
	    sizeof(req) - 1 - n)) > 0) {
		n += (size_t)r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	req[n] = '\0';
	if (strncmp(req, "GET ", 4) == 0)
		snprintf(path, len, "%.*s", (int)strcspn(req + 4, " "), req + 4);
}

int
main(int argc, char **argv)
{
	char mode[32], path[1024], answer[128];

	if (argc != 3 || getenv("LISTEN_FDS") == NULL) {
		fprintf(stderr, "usage: httpd FILE MODEFILE, with LISTEN_FDS\n");
		return 2;
	}
	file = argv[1];
	record("start", "");
	for (;;) {
		int c = accept(3, NULL, NULL);

		if (c == -1) {
			if (errno == EINTR)
				continue;
			return 111;
		}
		mode_of(argv[2], mode, sizeof(mode));
		if (strcmp(mode, "close") == 0) {
			(void)close(c);
			continue;
		}
		read_request(c, path, sizeof(path));
		/* Kept open, unanswered, for as long as the server runs. */
		if (strcmp(mode, "silent") == 0)
			continue;
		record("request", path);
		if (strcmp(mode, "garbage") == 0)
			snprintf(answer, sizeof(answer), "hello\r\n");
		else
			snprintf(answer, sizeof(answer), "HTTP/1.1 %s Test\r\n"
			    "Content-Length: 0\r\nConnection: close\r\n\r\n",
			    mode);
		(void)!write(c, answer, strlen(answer));
		(void)close(c);
	}
}
