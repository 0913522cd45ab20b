/*
 * logfmt: the JSON escaper against the forms RFC 3629 and RFC 8259 name
 * one by one, then against an independent byte-by-byte escaper on random
 * input; the time's shape; a whole JSON line.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logfmt.h"
#include "suites.h"

static const char *
esc(const char *s, size_t len)
{
	static char buf[6 * 256 + 1];
	size_t n = logfmt_json_string(buf, s, len);

	buf[n] = '\0';
	return buf;
}

#define ESC(lit)	esc(lit, sizeof(lit) - 1)

START_TEST(json_escapes)
{
	ck_assert_str_eq(ESC("plain text, long enough for a word"),
	    "plain text, long enough for a word");
	ck_assert_str_eq(ESC("a\"b\\c/d\x7f"), "a\\\"b\\\\c/d\x7f");
	ck_assert_str_eq(ESC("\n\t\r\x01\x1f"), "\\n\\t\\r\\u0001\\u001f");
	ck_assert_str_eq(ESC("a\0b"), "a\\u0000b");
	/* Valid sequences of 2, 3 and 4 bytes, at the edges of their ranges. */
	ck_assert_str_eq(ESC("\xc2\x80 \xdf\xbf \xe0\xa0\x80 \xef\xbf\xbf"),
	    "\xc2\x80 \xdf\xbf \xe0\xa0\x80 \xef\xbf\xbf");
	ck_assert_str_eq(ESC("\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf"),
	    "\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf");
	/* Each byte that begins no valid sequence is one U+FFFD. */
	ck_assert_str_eq(ESC("\xc0\xaf"), "\\ufffd\\ufffd");	/* overlong */
	ck_assert_str_eq(ESC("\xe0\x80\x80"), "\\ufffd\\ufffd\\ufffd");
	ck_assert_str_eq(ESC("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd");
	ck_assert_str_eq(ESC("\xf4\x90\x80\x80"),		/* > U+10FFFF */
	    "\\ufffd\\ufffd\\ufffd\\ufffd");
	ck_assert_str_eq(ESC("\xf5\x80"), "\\ufffd\\ufffd");
	ck_assert_str_eq(ESC("ok\xe2\x82"), "ok\\ufffd\\ufffd");	/* cut */
	ck_assert_str_eq(ESC("\xe2\x82x\xac"), "\\ufffd\\ufffdx\\ufffd");
	ck_assert_str_eq(ESC("\xff\xfe"), "\\ufffd\\ufffd");
}
END_TEST

/* RFC 3629's decoding, a code point at a time, to compare with. */
static size_t
ref_seq(const unsigned char *s, size_t len)
{
	size_t n = s[0] >= 0xc0 && s[0] < 0xe0 ? 2 : s[0] >= 0xe0 &&
	    s[0] < 0xf0 ? 3 : s[0] >= 0xf0 && s[0] < 0xf8 ? 4 : 0;
	unsigned cp;

	if (n == 0 || n > len)
		return 0;
	cp = s[0] & (0x7fu >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static size_t
ref_escape(char *o, const unsigned char *p, size_t len)
{
	char *start = o;

	for (size_t i = 0, n; i < len; i += n) {
		n = 1;
		if (p[i] >= 0x80) {
			if ((n = ref_seq(p + i, len - i)) > 0)
				o += (memcpy(o, p + i, n), n);
			else
				o += (memcpy(o, "\\ufffd", 6), n = 1, 6);
		} else if (p[i] == '"' || p[i] == '\\')
			o += sprintf(o, "\\%c", p[i]);
		else if (p[i] == '\n' || p[i] == '\t' || p[i] == '\r')
			o += sprintf(o, "\\%c", p[i] == '\n' ? 'n' :
			    p[i] == '\t' ? 't' : 'r');
		else if (p[i] < 0x20)
			o += sprintf(o, "\\u%04x", p[i]);
		else
			*o++ = (char)p[i];
	}
	return (size_t)(o - start);
}

START_TEST(json_escapes_as_the_reference)
{
	unsigned seed = 1;
	char a[6 * 80], b[6 * 80 + 8];

	for (int it = 0; it < 200000; it++) {
		unsigned char in[80];
		size_t n = (size_t)rand_r(&seed) % sizeof(in), x, y;

		/* Mostly text, some of every byte: runs and their ends. */
		for (size_t i = 0; i < n; i++) {
			int r = rand_r(&seed);

			in[i] = (unsigned char)(r % 10 < 7 ? 0x20 + r / 10 % 0x5f :
			    r / 10 % 256);
		}
		x = logfmt_json_string(a, (const char *)in, n);
		y = ref_escape(b, in, n);
		ck_assert_msg(x == y && memcmp(a, b, x) == 0, "input %d (%zu "
		    "bytes) escaped as '%.*s', not '%.*s'", it, n, (int)x, a,
		    (int)y, b);
	}
}
END_TEST

START_TEST(time_and_line)
{
	char t[LOGFMT_TIME_MAX], line[LOGFMT_JSON_MAX(8)];
	size_t n = logfmt_time(t), len;
	int y, mo, d, h, mi, s, ms, oh, om;
	char sign, end;

	ck_assert_uint_eq(n, 29);
	t[n] = '\0';		/* logfmt_time() gives a length, no NUL */
	ck_assert_int_eq(sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c%2d:%2d%c", &y,
	    &mo, &d, &h, &mi, &s, &ms, &sign, &oh, &om, &end), 10);
	ck_assert(sign == '+' || sign == '-');
	len = logfmt_json_line(line, "T", 1, "web", "stderr", "error",
	    "a \"b\"", 5);
	ck_assert_uint_eq(len, strlen("{\"time\":\"T\",\"service\":\"web\","
	    "\"stream\":\"stderr\",\"level\":\"error\",\"msg\":\"a \\\"b\\\"\"}\n"));
	ck_assert(memcmp(line, "{\"time\":\"T\",\"service\":\"web\",\"stream\":"
	    "\"stderr\",\"level\":\"error\",\"msg\":\"a \\\"b\\\"\"}\n", len) == 0);
	len = logfmt_json_line(line, "T", 1, NULL, "corral", "warn", "x", 1);
	ck_assert(memcmp(line, "{\"time\":\"T\",\"service\":null,", 27) == 0);
}
END_TEST

Suite *
logfmt_suite(void)
{
	Suite *s = suite_create("logfmt");
	TCase *tc = tcase_create("logfmt");

	tcase_add_test(tc, json_escapes);
	tcase_add_test(tc, json_escapes_as_the_reference);
	tcase_add_test(tc, time_and_line);
	suite_add_tcase(s, tc);
	return s;
}
