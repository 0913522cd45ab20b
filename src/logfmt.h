/*
 * How a line corral writes is dressed (SPEC §16): the RFC 3339 time that
 * log_timestamps and output_timestamps put first, and the JSON object of
 * log_format = json.  Pure formatting into caller buffers: shared by the
 * logger (corral's own lines) and output.c (services' prefixed lines), so
 * that both kinds look alike.
 */
#ifndef CORRAL_LOGFMT_H
#define CORRAL_LOGFMT_H

#include <stdbool.h>
#include <stddef.h>

/* "2026-12-03T08:15:02.123+01:00", local time: at most this long. */
#define LOGFMT_TIME_MAX		40

/*
 * JSON of a line of len bytes is at most this long: every byte may become
 * "\u00XX" (6), and the fields around it are bounded.
 */
#define LOGFMT_JSON_MAX(len)	(6 * (len) + 320 + 6 * LOGFMT_TIME_MAX)

void	logfmt_set_json(bool json);
bool	logfmt_json(void);

/*
 * The time now into buf (LOGFMT_TIME_MAX bytes), without a trailing
 * blank; returns its length, 0 when the clock fails.
 */
size_t	logfmt_time(char *buf);

/*
 * s as the inside of a JSON string, valid UTF-8 whatever s holds: quote,
 * backslash and control bytes escaped, each byte of an invalid sequence
 * as \ufffd.  buf holds 6 * len bytes; returns the bytes written.
 */
size_t	logfmt_json_string(char *buf, const char *s, size_t len);

/*
 * One JSON line, newline included, into buf (LOGFMT_JSON_MAX(len) bytes):
 * {"time":TIME,"service":SERVICE or null,"stream":STREAM,"level":LEVEL,
 * "msg":MSG}.  time is logfmt_time()'s (a line needs one: "" when the
 * clock failed is written as it is).  Returns its length.
 */
size_t	logfmt_json_line(char *buf, const char *time, size_t tlen,
	    const char *service, const char *stream, const char *level,
	    const char *msg, size_t len);

/*
 * The same line in two parts, for many lines that share their fields but
 * msg: the head, up to the opening quote of msg (at most
 * LOGFMT_JSON_HEAD_MAX bytes), and the tail, msg and what ends the line
 * (6 * len + 3 bytes at most).
 */
#define LOGFMT_JSON_HEAD_MAX	(320 + 6 * LOGFMT_TIME_MAX)
size_t	logfmt_json_head(char *buf, const char *time, size_t tlen,
	    const char *service, const char *stream, const char *level);
size_t	logfmt_json_tail(char *buf, const char *msg, size_t len);

#endif
