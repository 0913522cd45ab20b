/*
 * Parsers for the value types of corral.conf(5): durations, signals,
 * booleans, exit-code lists and command words, and the formatters that
 * show such values to people.  Pure functions, no syscalls, no logging:
 * each parser returns 0 or -1 and, on failure, writes a complete
 * human-readable reason ("'99' is not a signal (1-64)") into err.
 */
#ifndef CORRAL_VALUES_H
#define CORRAL_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VALUE_ERR_MAX	256

/* "250ms", "10s", "2m", "1h", "2.5" (seconds), "infinity" (INFINITY). */
int	parse_duration(const char *s, bool allow_infinity, double *out,
	    char err[VALUE_ERR_MAX]);

/* "TERM", "SIGTERM", "term", or a number 1-64. */
int	parse_signal(const char *s, int *out, char err[VALUE_ERR_MAX]);

/* yes/no/true/false/on/off/1/0, any case. */
int	parse_bool(const char *s, bool *out, char err[VALUE_ERR_MAX]);

/* An unsigned integer in [min, max], decimal. */
int	parse_uint(const char *s, unsigned long min, unsigned long max,
	    unsigned long *out, char err[VALUE_ERR_MAX]);

/*
 * A size in bytes: a number with an optional K, M or G suffix (powers of
 * 1024, any case), at most max.
 */
int	parse_size(const char *s, size_t max, size_t *out,
	    char err[VALUE_ERR_MAX]);

/* Exit codes 0-255 separated by blanks or commas, into a 256-bit set. */
struct exit_set {
	uint64_t bits[4];
};
int	parse_exit_codes(const char *s, struct exit_set *out,
	    char err[VALUE_ERR_MAX]);
bool	exit_set_has(const struct exit_set *set, int code);

/*
 * Split a command line into words as a POSIX shell does for single quotes,
 * double quotes and backslash escapes, without any expansion.  On success
 * *argv is a NULL-terminated array (one allocation: free(*argv) frees all)
 * and *argc its length; an empty line yields argc 0.
 */
int	split_words(const char *s, char ***argv, size_t *argc,
	    char err[VALUE_ERR_MAX]);

/* "TERM" for SIGTERM, "RTMIN+2" for SIGRTMIN+2; NULL when out of range. */
const char *signal_name(int sig);

/* Formats a duration for humans: "250ms", "10s", "1.5s", "infinity". */
void	format_duration(double s, char *buf, size_t len);

/*
 * A wait status for the log: "exited with status 3", "killed by TERM (core
 * dumped)".  Shared by every file that reports how a child of corral ended.
 */
void	describe_status(int status, char *buf, size_t len);

#endif
