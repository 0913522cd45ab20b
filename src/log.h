/*
 * corral's own log: one line per message on stderr, "corral: " first,
 * optionally preceded by an RFC 3339 timestamp.  Depends on nothing but libc.
 *
 * log_warn() and log_error() append ": <strerror(errno)>"; the *x variants do
 * not (the OpenSMTPD log.c API).  Every function preserves errno.
 */
#ifndef CORRAL_LOG_H
#define CORRAL_LOG_H

#include <stdbool.h>

#define LOG_LEVELS(X) X(ERROR, "error") X(WARN, "warn") X(INFO, "info") X(DEBUG, "debug")
#define AS_LOG_ENUM(e, s) LOGL_##e,
enum log_level { LOG_LEVELS(AS_LOG_ENUM) LOGL__COUNT };

void	log_init(enum log_level level, bool timestamps);
void	log_set_level(enum log_level level);
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
