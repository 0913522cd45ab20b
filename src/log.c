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
#include <time.h>
#include <unistd.h>

#include "log.h"
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

static size_t
format_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    localtime_r(&ts.tv_sec, &tm) == NULL)
		return 0;
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0)
		return 0;
	n += (size_t)snprintf(buf + n, len - n, ".%03ld", ts.tv_nsec / 1000000);
	n += strftime(buf + n, len - n, "%z ", &tm);
	/* RFC 3339 wants the offset as +hh:mm, strftime gives +hhmm. */
	if (n >= 6 && n + 1 < len) {
		memmove(buf + n - 2, buf + n - 3, 3);
		buf[n - 3] = ':';
		n++;
	}
	return n;
}

static void
vlog(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char buf[LOG_LINE_MAX];
	size_t n = 0;
	int r;
	int saved_errno = errno;

	if (level > cur_level)
		return;
	if (with_time)
		n = format_time(buf, sizeof(buf));
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "corral: ");
	r = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (r > 0)
		n += (size_t)r;
	if (n >= sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	if (errnum != 0) {
		r = snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(errnum));
		if (r > 0)
			n += (size_t)r;
		if (n >= sizeof(buf) - 1)
			n = sizeof(buf) - 2;
	}
	buf[n++] = '\n';
	sink_own(SINK_STDERR, buf, n);
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
