/*
 * Times and JSON for the lines corral writes.  The JSON escaper decodes
 * UTF-8 as RFC 3629 defines it (no overlong forms, no surrogates, nothing
 * past U+10FFFF), so that whatever bytes a service writes, every line is
 * valid JSON in valid UTF-8 that any parser reads back.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "logfmt.h"

static bool	 as_json;

void
logfmt_set_json(bool json)
{
	as_json = json;
}

bool
logfmt_json(void)
{
	return as_json;
}

size_t
logfmt_time(char *buf)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    localtime_r(&ts.tv_sec, &tm) == NULL)
		return 0;
	n = strftime(buf, LOGFMT_TIME_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0)
		return 0;
	n += (size_t)snprintf(buf + n, LOGFMT_TIME_MAX - n, ".%03ld",
	    ts.tv_nsec / 1000000);
	n += strftime(buf + n, LOGFMT_TIME_MAX - n, "%z", &tm);
	/* RFC 3339 wants the offset as +hh:mm, strftime gives +hhmm. */
	if (n >= 5 && n + 1 < LOGFMT_TIME_MAX) {
		memmove(buf + n - 1, buf + n - 2, 2);
		buf[n - 2] = ':';
		n++;
	}
	return n;
}

/*
 * The length of the valid UTF-8 sequence at s (at most len bytes), or 0
 * when its first byte begins no valid sequence there.
 */
static size_t
utf8_len(const unsigned char *s, size_t len)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;		/* overlong below */
		else if (s[0] == 0xed)
			hi = 0x9f;		/* surrogates above */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;		/* past U+10FFFF above */
	} else
		return 0;
	if (n > len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* Bytes that stand for themselves in a JSON string: printable ASCII. */
static bool
plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

#define ONES	UINT64_C(0x0101010101010101)
#define HIGHS	UINT64_C(0x8080808080808080)
/* A high bit in each byte of w that is 0 (and perhaps in later ones). */
#define ZEROS(w)	(((w) - ONES) & ~(w) & HIGHS)

/*
 * How many bytes at p are plain, eight at a time: a service's lines are
 * mostly plain text, and this is the inner loop of log_format = json.
 */
static size_t
plain_run(const unsigned char *p, size_t len)
{
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		/* Below 0x80, and b + 0x60 carries into the high bit: >= 0x20. */
		if ((w & HIGHS) != 0 || ((w + ONES * 0x60) & HIGHS) != HIGHS ||
		    ZEROS(w ^ (ONES * '"')) != 0 || ZEROS(w ^ (ONES * '\\')) != 0)
			break;
	}
	while (i < len && plain(p[i]))
		i++;
	return i;
}

/* One byte that is not plain, at p (of len); returns the bytes it took. */
static size_t
escape_one(char **op, const unsigned char *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char *o = *op;
	size_t n;

	if (p[0] >= 0x80) {
		if ((n = utf8_len(p, len)) > 0) {
			memcpy(o, p, n);
			*op = o + n;
			return n;
		}
		memcpy(o, "\\ufffd", 6);
		*op = o + 6;
		return 1;
	}
	*o++ = '\\';
	switch (p[0]) {
	case '"':	*o++ = '"'; break;
	case '\\':	*o++ = '\\'; break;
	case '\n':	*o++ = 'n'; break;
	case '\t':	*o++ = 't'; break;
	case '\r':	*o++ = 'r'; break;
	default:
		memcpy(o, "u00", 3);
		o[3] = hex[p[0] >> 4];
		o[4] = hex[p[0] & 15];
		o += 5;
		break;
	}
	*op = o;
	return 1;
}

size_t
logfmt_json_string(char *buf, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char *o = buf;
	size_t i = 0;

	while (i < len) {
		size_t j = i;

		/* Runs of plain bytes, the common case, are copied whole. */
		j += plain_run(p + i, len - i);
		memcpy(o, p + i, j - i);
		o += j - i;
		if ((i = j) < len)
			i += escape_one(&o, p + i, len - i);
	}
	return (size_t)(o - buf);
}

static char *
put(char *o, const char *s)
{
	size_t n = strlen(s);

	memcpy(o, s, n);
	return o + n;
}

size_t
logfmt_json_head(char *buf, const char *time, size_t tlen,
    const char *service, const char *stream, const char *level)
{
	char *o = buf;

	o = put(o, "{\"time\":\"");
	o += logfmt_json_string(o, time, tlen);
	o = put(o, "\",\"service\":");
	if (service != NULL) {
		*o++ = '"';
		o += logfmt_json_string(o, service, strlen(service));
		*o++ = '"';
	} else
		o = put(o, "null");
	o = put(o, ",\"stream\":\"");
	o = put(o, stream);
	o = put(o, "\",\"level\":\"");
	o = put(o, level);
	o = put(o, "\",\"msg\":\"");
	return (size_t)(o - buf);
}

size_t
logfmt_json_tail(char *buf, const char *msg, size_t len)
{
	size_t n = logfmt_json_string(buf, msg, len);

	memcpy(buf + n, "\"}\n", 3);
	return n + 3;
}

size_t
logfmt_json_line(char *buf, const char *time, size_t tlen,
    const char *service, const char *stream, const char *level,
    const char *msg, size_t len)
{
	size_t n = logfmt_json_head(buf, time, tlen, service, stream, level);

	return n + logfmt_json_tail(buf + n, msg, len);
}
