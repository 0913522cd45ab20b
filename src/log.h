/*
 * corral's own log: one line per message on stderr, "corral: " first,
 * optionally preceded by an RFC 3339 timestamp.  Written through the stderr
 * sink (sink.h), which never blocks once the loop runs.
 *
 * log_warn() and log_error() append ": <strerror(errno)>"; the *x variants do
 * not (the OpenSMTPD log.c API).  Every function preserves errno.
 */
#ifndef CORRAL_LOG_H
#define CORRAL_LOG_H

#include <ev.h>
#include <stdbool.h>

#define LOG_LEVELS(X) X(ERROR, "error") X(WARN, "warn") X(INFO, "info") X(DEBUG, "debug")
#define AS_LOG_ENUM(e, s) LOGL_##e,
enum log_level { LOG_LEVELS(AS_LOG_ENUM) LOGL__COUNT };

void	log_init(enum log_level level, bool timestamps);
void	log_set_level(enum log_level level);
/*
 * From now on lines go through the non-blocking sinks of the loop; a
 * stream that stops being read loses lines, counted and reported.
 */
void	log_start_loop(struct ev_loop *loop);
/*
 * At exit: what the streams take without waiting on a reader that does not
 * read goes out, the rest is dropped with its count; after it, lines are
 * written once, without waiting.
 */
void	log_end_loop(void);
enum log_level log_get_level(void);

/* Returns the level named s ("error", "warn", "info", "debug"), or -1. */
int	log_level_from_name(const char *s);
const char *log_level_name(enum log_level level);

void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_errorx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
