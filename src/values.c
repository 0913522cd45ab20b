/*
 * Value parsers for the config file and the command line.  Every error text
 * quotes the offending value and says what would be right, because it ends
 * up verbatim after "FILE:LINE: [section] key: ".
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#include "values.h"

#define SIG_MAX	64

static const char *const sig_names[32] = {
	[SIGHUP] = "HUP", [SIGINT] = "INT", [SIGQUIT] = "QUIT",
	[SIGILL] = "ILL", [SIGTRAP] = "TRAP", [SIGABRT] = "ABRT",
	[SIGBUS] = "BUS", [SIGFPE] = "FPE", [SIGKILL] = "KILL",
	[SIGUSR1] = "USR1", [SIGSEGV] = "SEGV", [SIGUSR2] = "USR2",
	[SIGPIPE] = "PIPE", [SIGALRM] = "ALRM", [SIGTERM] = "TERM",
	[SIGSTKFLT] = "STKFLT", [SIGCHLD] = "CHLD", [SIGCONT] = "CONT",
	[SIGSTOP] = "STOP", [SIGTSTP] = "TSTP", [SIGTTIN] = "TTIN",
	[SIGTTOU] = "TTOU", [SIGURG] = "URG", [SIGXCPU] = "XCPU",
	[SIGXFSZ] = "XFSZ", [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF",
	[SIGWINCH] = "WINCH", [SIGIO] = "IO", [SIGPWR] = "PWR",
	[SIGSYS] = "SYS",
};

const char *
signal_name(int sig)
{
	static char rt[24];

	if (sig <= 0 || sig > SIG_MAX)
		return NULL;
	if (sig < 32 && sig_names[sig] != NULL)
		return sig_names[sig];
	/* glibc reserves the first real-time signals for itself. */
	if (sig < SIGRTMIN)
		snprintf(rt, sizeof(rt), "%d", sig);
	else if (sig == SIGRTMIN)
		snprintf(rt, sizeof(rt), "RTMIN");
	else
		snprintf(rt, sizeof(rt), "RTMIN+%d", sig - SIGRTMIN);
	return rt;
}

int
parse_signal(const char *s, int *out, char err[VALUE_ERR_MAX])
{
	const char *name = s;
	char *end;
	long n;

	if (*s >= '0' && *s <= '9') {
		errno = 0;
		n = strtol(s, &end, 10);
		if (errno != 0 || *end != '\0' || n < 1 || n > SIG_MAX) {
			snprintf(err, VALUE_ERR_MAX,
			    "'%s' is not a signal (1-%d)", s, SIG_MAX);
			return -1;
		}
		*out = (int)n;
		return 0;
	}
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (int i = 1; i < 32; i++) {
		if (sig_names[i] != NULL && strcasecmp(name, sig_names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	snprintf(err, VALUE_ERR_MAX, "'%s' is not a signal "
	    "(a name such as TERM, SIGINT or KILL, or a number 1-%d)", s, SIG_MAX);
	return -1;
}

int
parse_duration(const char *s, bool allow_infinity, double *out,
    char err[VALUE_ERR_MAX])
{
	static const struct { const char *suffix; double scale; } units[] = {
		{ "ms", 0.001 }, { "s", 1 }, { "m", 60 }, { "h", 3600 }, { "", 1 },
	};
	char *end;
	double v;

	if (strcasecmp(s, "infinity") == 0) {
		if (!allow_infinity) {
			snprintf(err, VALUE_ERR_MAX,
			    "'infinity' is not allowed here (give a duration "
			    "such as 10s)");
			return -1;
		}
		*out = INFINITY;
		return 0;
	}
	/* Only digits and one point: strtod would also take hex, exponents, nan. */
	if (strspn(s, "0123456789.") == 0 || strchr(s, '.') != strrchr(s, '.'))
		goto bad;
	if (strcspn(s, "eEpPxX") < strspn(s, "0123456789."))
		goto bad;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end != s + strspn(s, "0123456789.") || !isfinite(v))
		goto bad;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) == 0) {
			v *= units[i].scale;
			/* 100 years: beyond this, timers lose their meaning. */
			if (v > 3.2e9) {
				snprintf(err, VALUE_ERR_MAX, "'%s' is too long "
				    "(use 'infinity' for no bound)", s);
				return -1;
			}
			*out = v;
			return 0;
		}
	}
bad:
	snprintf(err, VALUE_ERR_MAX, "'%s' is not a duration "
	    "(e.g. 250ms, 10s, 2m, 1h, or seconds such as 2.5%s)", s,
	    allow_infinity ? ", or infinity" : "");
	return -1;
}

int
parse_bool(const char *s, bool *out, char err[VALUE_ERR_MAX])
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	snprintf(err, VALUE_ERR_MAX,
	    "'%s' is not a boolean (yes/no, true/false, on/off, 1/0)", s);
	return -1;
}

int
parse_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *out, char err[VALUE_ERR_MAX])
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		goto bad;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	snprintf(err, VALUE_ERR_MAX, "'%s' is not a whole number from %lu to %lu",
	    s, min, max);
	return -1;
}

/* "16M" for 16 MiB, "1536K", or bytes: a size as parse_size() reads it. */
static void
format_size(size_t n, char *buf, size_t len)
{
	static const char units[] = "GMK";

	for (int i = 0; i < 3; i++) {
		size_t unit = (size_t)1 << (10 * (3 - i));

		if (n >= unit && n % unit == 0) {
			snprintf(buf, len, "%zu%c", n / unit, units[i]);
			return;
		}
	}
	snprintf(buf, len, "%zu", n);
}

int
parse_size(const char *s, size_t max, size_t *out, char err[VALUE_ERR_MAX])
{
	unsigned long long v;
	size_t shift = 0;
	char *end, lim[32];

	if (!isdigit((unsigned char)*s))
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		goto over;
	if (*end != '\0') {
		const char *u = strchr("kKmMgG", *end);

		if (u == NULL || end[1] != '\0')
			goto bad;
		shift = 10 * (size_t)((u - "kKmMgG") / 2 + 1);
	}
	if (v > max >> shift)
		goto over;
	*out = (size_t)v << shift;
	return 0;
bad:
	snprintf(err, VALUE_ERR_MAX, "'%s' is not a size (bytes, or a number "
	    "with K, M or G, as in 64K)", s);
	return -1;
over:
	format_size(max, lim, sizeof(lim));
	snprintf(err, VALUE_ERR_MAX, "'%s' is over the limit of %s", s, lim);
	return -1;
}

bool
exit_set_has(const struct exit_set *set, int code)
{
	if (code < 0 || code > 255)
		return false;
	return (set->bits[code / 64] >> (code % 64)) & 1;
}

int
parse_exit_codes(const char *s, struct exit_set *out, char err[VALUE_ERR_MAX])
{
	struct exit_set set = { { 0 } };
	const char *p = s;
	bool any = false;

	while (*p != '\0') {
		char word[32];
		size_t n = strcspn(p, " \t,");
		unsigned long code;

		if (n == 0) {
			p++;
			continue;
		}
		if (n >= sizeof(word)) {
			snprintf(err, VALUE_ERR_MAX, "'%.*s' is not an exit code "
			    "(0-255)", 40, p);
			return -1;
		}
		memcpy(word, p, n);
		word[n] = '\0';
		if (parse_uint(word, 0, 255, &code, err) == -1) {
			snprintf(err, VALUE_ERR_MAX,
			    "'%s' is not an exit code (0-255)", word);
			return -1;
		}
		set.bits[code / 64] |= UINT64_C(1) << (code % 64);
		any = true;
		p += n;
	}
	if (!any) {
		snprintf(err, VALUE_ERR_MAX,
		    "no exit code given (e.g. '0' or '0 143')");
		return -1;
	}
	*out = set;
	return 0;
}

/*
 * Two passes over the line: the first one only measures, so the words and
 * the pointer array fit in one allocation.
 */
static int
scan_words(const char *s, char *buf, char **argv, size_t *argc, size_t *len,
    char err[VALUE_ERR_MAX])
{
	size_t n = 0, words = 0;
	const char *p = s;

	for (;;) {
		bool in_word = false;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		if (argv != NULL)
			argv[words] = buf + n;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n') {
			in_word = true;
			if (*p == '\'') {
				const char *q = strchr(p + 1, '\'');

				if (q == NULL)
					goto unbalanced;
				if (buf != NULL)
					memcpy(buf + n, p + 1, (size_t)(q - p - 1));
				n += (size_t)(q - p - 1);
				p = q + 1;
			} else if (*p == '"') {
				p++;
				while (*p != '"') {
					if (*p == '\0')
						goto unbalanced;
					/* Inside "", \ escapes only these. */
					if (*p == '\\' && p[1] != '\0' &&
					    strchr("\"\\$`", p[1]) != NULL)
						p++;
					if (buf != NULL)
						buf[n] = *p;
					n++;
					p++;
				}
				p++;
			} else if (*p == '\\') {
				if (p[1] == '\0') {
					snprintf(err, VALUE_ERR_MAX,
					    "'%s' ends with a lone backslash", s);
					return -1;
				}
				if (buf != NULL)
					buf[n] = p[1];
				n++;
				p += 2;
			} else {
				if (buf != NULL)
					buf[n] = *p;
				n++;
				p++;
			}
		}
		if (in_word) {
			if (buf != NULL)
				buf[n] = '\0';
			n++;
			words++;
		}
	}
	*argc = words;
	*len = n;
	return 0;
unbalanced:
	snprintf(err, VALUE_ERR_MAX, "'%s' has an unbalanced %s quote", s,
	    *p == '\'' ? "single" : "double");
	return -1;
}

int
split_words(const char *s, char ***argvp, size_t *argcp,
    char err[VALUE_ERR_MAX])
{
	size_t argc, len, argc2, len2;
	char **argv;

	if (scan_words(s, NULL, NULL, &argc, &len, err) == -1)
		return -1;
	argv = malloc((argc + 1) * sizeof(char *) + len);
	if (argv == NULL) {
		snprintf(err, VALUE_ERR_MAX, "out of memory");
		return -1;
	}
	if (scan_words(s, (char *)(argv + argc + 1), argv, &argc2, &len2,
	    err) == -1) {
		free(argv);
		return -1;
	}
	argv[argc] = NULL;
	*argvp = argv;
	*argcp = argc;
	return 0;
}

void
format_duration(double s, char *buf, size_t len)
{
	if (isinf(s))
		snprintf(buf, len, "infinity");
	else if (s != 0 && s < 1)
		snprintf(buf, len, "%.0fms", s * 1000);
	else
		snprintf(buf, len, "%.10gs", s);
}

void
describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by %s%s", signal_name(WTERMSIG(status)),
		    WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(buf, len, "ended with wait status 0x%x", status);
}
