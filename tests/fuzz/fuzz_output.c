/*
 * The line splitter of `output = prefix`: the input is cut into reads at
 * the positions its first bytes name, and every line that comes out must be
 * at most OUTPUT_LINE_MAX bytes with no newline inside.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_line(struct output_stream *st, const char *line, size_t len)
{
	(void)st;
	if (len > OUTPUT_LINE_MAX || memchr(line, '\n', len) != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct output_stream st;
	size_t off = 0;

	memset(&st, 0, sizeof(st));
	st.fd = -1;
	if (size < 2)
		return 0;
	while (off < size) {
		size_t n = 1 + (size_t)data[off % 2] * 97 % (size - off);

		if (n > size - off)
			n = size - off;
		output_split(&st, (const char *)data + off, n, check_line);
		off += n;
	}
	if (st.partial_len > OUTPUT_LINE_MAX)
		abort();
	free(st.partial);
	return 0;
}
