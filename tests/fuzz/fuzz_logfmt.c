/*
 * The JSON escaper of log_format = json on arbitrary bytes, and its promise
 * checked on every input: what comes out is valid UTF-8 (RFC 3629, checked
 * here without logfmt.c's decoder), holds no control byte, and every quote
 * and backslash in it is escaped, so the line is a JSON string whatever a
 * service wrote.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The length of a valid UTF-8 sequence at s, from its code point; 0: none. */
static size_t
valid_seq(const unsigned char *s, size_t len)
{
	size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xc0 && s[0] < 0xe0 ? 2 :
	    s[0] >= 0xe0 && s[0] < 0xf0 ? 3 : s[0] >= 0xf0 && s[0] < 0xf8 ? 4 :
	    0;
	uint32_t cp;

	if (n == 0 || n > len)
		return 0;
	cp = n == 1 ? s[0] : s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = malloc(6 * size + 1);
	size_t n, i = 0;
	bool escaped = false;

	if (out == NULL)
		return 0;
	n = logfmt_json_string(out, (const char *)data, size);
	if (n > 6 * size)
		abort();
	while (i < n) {
		const unsigned char *p = (const unsigned char *)out + i;
		size_t k = valid_seq(p, n - i);

		if (k == 0 || p[0] < 0x20 || (!escaped && p[0] == '"'))
			abort();
		escaped = !escaped && p[0] == '\\';
		i += k;
	}
	if (escaped)
		abort();
	free(out);
	return 0;
}
