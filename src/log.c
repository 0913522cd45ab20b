/*
 * The logger.  A message is formatted into one buffer and handed to the
 * stderr sink as one line, so lines from corral never interleave with each
 * other even when stderr is a pipe shared with services.  Once the loop
 * runs, the sink never blocks: a reader that stops reading costs corral
 * lines (counted and reported), never time.  A failed write is dropped:
 * there is nowhere left to report it, and PID 1 must not die of it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "logfmt.h"
#include "sink.h"

#define LOG_LINE_MAX	2048

static enum log_level	 cur_level = LOGL_INFO;
static bool		 with_time;

#define AS_LOG_NAME(e, s) [LOGL_##e] = s,
static const char *const level_names[LOGL__COUNT] = { LOG_LEVELS(AS_LOG_NAME) };

void
log_init(enum log_level level, bool timestamps)
{
	cur_level = level;
	with_time = timestamps;
}

void
log_set_level(enum log_level level)
{
	cur_level = level;
}

enum log_level
log_get_level(void)
{
	return cur_level;
}

static const char *
stream_name(enum sink_id id)
{
	return id == SINK_STDOUT ? "stdout" : "stderr";
}

static void
sink_dropped(enum sink_id id, unsigned long n)
{
	log_warnx("%lu line%s dropped: %s was not being read", n,
	    n == 1 ? "" : "s", stream_name(id));
}

static void
sink_failed(enum sink_id id, int err)
{
	errno = err;
	log_warn("unable to write service output to %s; dropping it from now "
	    "on", stream_name(id));
}

void
log_start_loop(struct ev_loop *loop)
{
	static const struct sink_ops ops = {
		.dropped = sink_dropped, .broken = sink_failed,
	};

	sink_init(loop, &ops);
}

void
log_end_loop(void)
{
	sink_finish();
}

int
log_level_from_name(const char *s)
{
	for (int i = 0; i < LOGL__COUNT; i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	return level_names[level];
}

/* The text of a message: fmt, then ": strerror(errnum)" when errnum. */
static size_t
format_msg(char *buf, size_t len, int errnum, const char *fmt, va_list ap)
{
	size_t n;
	int r;

	r = vsnprintf(buf, len, fmt, ap);
	n = r > 0 ? (size_t)r : 0;
	if (n >= len)
		n = len - 1;
	if (errnum != 0) {
		r = snprintf(buf + n, len - n, ": %s", strerror(errnum));
		if (r > 0)
			n += (size_t)r;
		if (n >= len)
			n = len - 1;
	}
	return n;
}

/*
 * A JSON line of the message in msg.  Its buffer is allocated once, not on
 * the stack: six times a message is more stack than corral otherwise
 * touches (resident for good once touched), and not static, where it would
 * spread the small variables around it over more pages.  A message logged
 * while one is being written (a sink reporting its own failure) is dropped,
 * and so is one that finds no memory.
 */
static void
log_json(enum log_level level, const char *msg, size_t len)
{
	static char *line;
	static bool busy;
	char stamp[LOGFMT_TIME_MAX];
	size_t tlen;

	if (busy || (line == NULL &&
	    (line = malloc(LOGFMT_JSON_MAX(LOG_LINE_MAX))) == NULL))
		return;
	busy = true;
	tlen = logfmt_time(stamp);
	sink_own(SINK_STDERR, line, logfmt_json_line(line, stamp, tlen, NULL,
	    "corral", level_names[level], msg, len));
	busy = false;
}

static void
vlog(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char line[LOGFMT_TIME_MAX + 1 + 8 + LOG_LINE_MAX];
	size_t n = 0, len, at;
	int saved_errno = errno;

	if (level > cur_level)
		return;
	if (logfmt_json()) {
		len = format_msg(line, LOG_LINE_MAX - 1, errnum, fmt, ap);
		log_json(level, line, len);
		errno = saved_errno;
		return;
	}
	if (with_time && (n = logfmt_time(line)) > 0)
		line[n++] = ' ';
	memcpy(line + n, "corral: ", 8);
	at = n + 8;
	len = format_msg(line + at, LOG_LINE_MAX - 1, errnum, fmt, ap);
	line[at + len] = '\n';
	sink_own(SINK_STDERR, line, at + len + 1);
	errno = saved_errno;
}

#define LOGFN(name, level, with_errno)					\
void									\
name(const char *fmt, ...)						\
{									\
	va_list ap;							\
	int e = (with_errno) ? errno : 0;				\
									\
	va_start(ap, fmt);						\
	vlog(level, e, fmt, ap);					\
	va_end(ap);							\
}

LOGFN(log_error, LOGL_ERROR, 1)
LOGFN(log_errorx, LOGL_ERROR, 0)
LOGFN(log_warn, LOGL_WARN, 1)
LOGFN(log_warnx, LOGL_WARN, 0)
LOGFN(log_info, LOGL_INFO, 0)
LOGFN(log_debug, LOGL_DEBUG, 0)
