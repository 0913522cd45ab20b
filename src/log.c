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

static void
vlog(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX], line[LOGFMT_JSON_MAX(LOG_LINE_MAX)];
	char stamp[LOGFMT_TIME_MAX];
	size_t n = 0, len, tlen;
	int saved_errno = errno;

	if (level > cur_level)
		return;
	len = format_msg(msg, sizeof(msg) - 1, errnum, fmt, ap);
	if (logfmt_json()) {
		tlen = logfmt_time(stamp);
		n = logfmt_json_line(line, stamp, tlen, NULL, "corral",
		    level_names[level], msg, len);
	} else {
		if (with_time && (n = logfmt_time(line)) > 0)
			line[n++] = ' ';
		memcpy(line + n, "corral: ", 8);
		memcpy(line + n + 8, msg, len);
		n += 8 + len;
		line[n++] = '\n';
	}
	sink_own(SINK_STDERR, line, n);
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
