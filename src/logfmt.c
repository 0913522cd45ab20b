/*
 * Times and JSON for the lines corral writes.  The JSON escaper decodes
 * UTF-8 as RFC 3629 defines it (no overlong forms, no surrogates, nothing
 * past U+10FFFF), so that whatever bytes a service writes, every line is
 * valid JSON in valid UTF-8 that any parser reads back.
 */
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

size_t
logfmt_json_string(char *buf, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	char *o = buf;
	size_t i = 0, n;

	while (i < len) {
		unsigned char c = p[i];

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			*o++ = (char)c;
			i++;
			continue;
		}
		if (c >= 0x80) {
			if ((n = utf8_len(p + i, len - i)) > 0) {
				memcpy(o, p + i, n);
				o += n;
				i += n;
			} else {
				memcpy(o, "\\ufffd", 6);
				o += 6;
				i++;
			}
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '"':	*o++ = '"'; break;
		case '\\':	*o++ = '\\'; break;
		case '\n':	*o++ = 'n'; break;
		case '\t':	*o++ = 't'; break;
		case '\r':	*o++ = 'r'; break;
		default:
			memcpy(o, "u00", 3);
			o[3] = hex[c >> 4];
			o[4] = hex[c & 15];
			o += 5;
			break;
		}
		i++;
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
logfmt_json_line(char *buf, const char *time, size_t tlen,
    const char *service, const char *stream, const char *level,
    const char *msg, size_t len)
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
	o += logfmt_json_string(o, msg, len);
	o = put(o, "\"}\n");
	return (size_t)(o - buf);
}
