/*
 * flood: a service that writes numbered lines to its stdout as fast as it
 * can until SIGTERM, then writes down how many it wrote.
 *
 * usage: flood [-m N MARKFILE] COUNTFILE LABEL
 *
 * Line number SEQ (from 0) is "LABEL SEQ PAYLOAD": SEQ in 7 digits, PAYLOAD
 * (SEQ * 7) % 61 characters, character i of it 'a' + (SEQ + i) % 26, so a
 * reader can tell a whole line from a cut or mixed one.  Lines go out in
 * buffers of whole lines; a buffer counts once all of it is written, and a
 * buffer begun is always finished, even after SIGTERM (the handler does
 * not restart a blocked write, the loop finishes it), so every line counted
 * was handed to the pipe whole and no part of an uncounted one was.
 *
 * With -m, MARKFILE is created once N lines are written.  On SIGTERM,
 * appends "count PID NS TOTAL" to COUNTFILE (one write) and exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BUF_MAX	4096

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void
fail(const char *what)
{
	fprintf(stderr, "flood: %s: %s\n", what, strerror(errno));
	exit(111);
}

static size_t
format_line(char *p, const char *label, unsigned long seq)
{
	size_t n = (size_t)sprintf(p, "%s %07lu ", label, seq);
	size_t plen = (size_t)(seq * 7 % 61);

	for (size_t i = 0; i < plen; i++)
		p[n++] = (char)('a' + (seq + i) % 26);
	p[n++] = '\n';
	return n;
}

int
main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_term };	/* no SA_RESTART */
	unsigned long seq = 0, mark = 0;
	const char *markfile = NULL, *countfile, *label;
	char buf[BUF_MAX + 256], line[256];
	struct timespec ts;
	int i = 1, fd, n;

	if (argc - i >= 2 && strcmp(argv[i], "-m") == 0 && argc - i >= 3) {
		mark = strtoul(argv[i + 1], NULL, 10);
		markfile = argv[i + 2];
		i += 3;
	}
	if (argc - i != 2 || strlen(argv[i + 1]) > 64) {
		fprintf(stderr, "usage: flood [-m N MARKFILE] COUNTFILE LABEL\n");
		return 2;
	}
	countfile = argv[i];
	label = argv[i + 1];
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1)
		fail("sigaction");
	while (!stop) {
		size_t len = 0, off = 0;
		unsigned long lines = 0;

		while (len < BUF_MAX) {
			len += format_line(buf + len, label, seq + lines);
			lines++;
		}
		while (off < len) {
			ssize_t r = write(STDOUT_FILENO, buf + off, len - off);

			if (r == -1 && errno == EINTR)
				continue;
			if (r == -1)
				fail("write");
			off += (size_t)r;
		}
		seq += lines;
		if (markfile != NULL && seq >= mark) {
			fd = open(markfile, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			if (fd == -1)
				fail(markfile);
			(void)close(fd);
			markfile = NULL;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(line, sizeof(line), "count %d %lld %lu\n", (int)getpid(),
	    (long long)ts.tv_sec * 1000000000 + ts.tv_nsec, seq);
	fd = open(countfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd == -1 || write(fd, line, (size_t)n) != n)
		fail(countfile);
	(void)close(fd);
	return 0;
}
