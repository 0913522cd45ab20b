/*
 * bigline: a service that writes one long line, then a last line without
 * its newline, and exits 0.
 *
 * usage: bigline BYTES TAIL
 *
 * Byte i of the long line is ALPHABET[i % 251 % 62] (ALPHABET: 0-9, A-Z,
 * a-z): 251 is prime, so no two 8192-byte pieces of it are alike and a
 * reader can tell whether the pieces came back whole and in order.  The
 * long line ends with '\n'; TAIL follows with none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char alphabet[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static void
put(const char *p, size_t len)
{
	while (len > 0) {
		ssize_t r = write(STDOUT_FILENO, p, len);

		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			fprintf(stderr, "bigline: write: %s\n", strerror(errno));
			exit(111);
		}
		p += r;
		len -= (size_t)r;
	}
}

int
main(int argc, char **argv)
{
	size_t n;
	char *buf;

	if (argc != 3) {
		fprintf(stderr, "usage: bigline BYTES TAIL\n");
		return 2;
	}
	n = strtoul(argv[1], NULL, 10);
	if ((buf = malloc(n + 1)) == NULL)
		return 111;
	for (size_t i = 0; i < n; i++)
		buf[i] = alphabet[i % 251 % 62];
	buf[n] = '\n';
	put(buf, n + 1);
	put(argv[2], strlen(argv[2]));
	free(buf);
	return 0;
}
