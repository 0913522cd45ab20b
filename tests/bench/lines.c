/*
 * lines: W-output's writer, a service that writes N numbered lines of 100
 * bytes (newline included) as fast as it can, then exits 0.
 *
 * usage: lines N
 *
 * Line i is i in 10 digits, a blank, 88 'x' and a newline.  The lines go
 * out in writes of 64 KiB (655 whole lines), as a program that buffers its
 * stdout writes them; a reader can check that no line was lost, cut or
 * mixed by counting lines and bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE		100
#define PER_WRITE	655

static int
write_all(const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(STDOUT_FILENO, p, len);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static char buf[PER_WRITE * LINE];
	unsigned long n, i = 0;

	if (argc != 2 || (n = strtoul(argv[1], NULL, 10)) == 0) {
		fprintf(stderr, "usage: lines N\n");
		return 2;
	}
	for (size_t k = 0; k < PER_WRITE; k++) {
		memset(buf + k * LINE, 'x', LINE - 1);
		buf[k * LINE + 10] = ' ';
		buf[k * LINE + LINE - 1] = '\n';
	}
	while (i < n) {
		size_t k;

		for (k = 0; k < PER_WRITE && i < n; k++, i++) {
			char num[24];

			snprintf(num, sizeof(num), "%010lu", i % 10000000000UL);
			memcpy(buf + k * LINE, num, 10);
		}
		if (write_all(buf, k * LINE) == -1) {
			fprintf(stderr, "lines: write: %s\n", strerror(errno));
			return 1;
		}
	}
	return 0;
}
