/*
 * The config loader: inih does the INI splitting, this file does everything
 * inih cannot.
 *
 * Debian's inih silently splits lines longer than its 200-byte buffer, gives
 * the handler no line numbers, cannot tell a continuation line from a
 * repeated key, and reports only the first syntax error.  So the file is
 * read into memory and handed to ini_parse_stream() line by line through
 * read_line(), which counts lines, rejects what inih would mangle (long
 * lines, NUL bytes, control characters), tracks section headers itself and
 * catches malformed lines, passing inih an empty line in their place.  The
 * handler only records (section, key, value, line) entries; validation runs
 * afterwards over complete values, driven by the keys[] table.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ini.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

#define MAX_REPORTED	100	/* errors; then "too many errors" */

enum sect_kind { SECT_NONE, SECT_CORRAL, SECT_SERVICE, SECT_INVALID };

enum key_type {
	KT_DURATION,		/* double, seconds */
	KT_DURATION_INF,	/* double, seconds, "infinity" allowed */
	KT_SIGNAL,		/* int */
	KT_BOOL,		/* bool */
	KT_UINT,		/* unsigned */
	KT_COMMAND,		/* char * as written, char ** argv at off2 */
	KT_PATH,		/* char * */
	KT_ENV,			/* char ** env, size_t count at off2 */
	KT_NAMES,		/* char ** names, size_t count at off2 */
	KT_RESTART,		/* enum restart_policy */
	KT_ORDER,		/* enum shutdown_order */
	KT_EXIT_CODES,		/* struct exit_set */
	KT_SIGSET,		/* uint64_t */
	KT_LOG_LEVEL,		/* int */
	KT_USER,		/* char * as written; uid, gid, passwd fields */
	KT_GROUP,		/* char * as written; gid */
	KT_UMASK,		/* int */
	KT_LIMIT,		/* struct limit */
	KT_OUTPUT,		/* enum output_mode, output_path */
};

struct key {
	enum sect_kind	 sect;
	const char	*name;
	enum key_type	 type;
	size_t		 off;
	size_t		 off2;
	bool		 repeatable;	/* a second "key =" line adds to it */
	bool		 rare;		/* off is into struct svc_rare */
};

#define G(n, t)		{ SECT_CORRAL, #n, t,				\
			  offsetof(struct config, n), 0, false, false }
#define S(n, t)		{ SECT_SERVICE, #n, t,				\
			  offsetof(struct svc_conf, n), 0, false, false }
#define S2(n, f, t, f2, r) { SECT_SERVICE, #n, t,			\
			  offsetof(struct svc_conf, f),			\
			  offsetof(struct svc_conf, f2), r, false }
#define R(n, t)		{ SECT_SERVICE, #n, t,				\
			  offsetof(struct svc_rare, n), 0, false, true }
#define RF(n, f, t)	{ SECT_SERVICE, #n, t,				\
			  offsetof(struct svc_rare, f), 0, false, true }
#define R2(n, t, f2)	{ SECT_SERVICE, #n, t,				\
			  offsetof(struct svc_rare, n),			\
			  offsetof(struct svc_rare, f2), false, true }

/* The one list of keys: parsing, validation and suggestions all use it. */
static const struct key keys[] = {
	G(stop_timeout, KT_DURATION_INF),
	G(cleanup_timeout, KT_DURATION_INF),
	G(shutdown_order, KT_ORDER),
	G(shutdown_deadline, KT_DURATION_INF),
	G(forward_signals, KT_SIGSET),
	G(log_level, KT_LOG_LEVEL),
	G(log_timestamps, KT_BOOL),
	G(subreaper, KT_BOOL),
	G(strict, KT_BOOL),
	G(control_socket, KT_PATH),
	G(control_group, KT_GROUP),
	G(status_file, KT_PATH),

	S2(command, command, KT_COMMAND, argv, false),
	S(directory, KT_PATH),
	S(user, KT_USER),
	S(group, KT_GROUP),
	S(umask, KT_UMASK),
	RF(limit_nofile, limits[LIMIT_nofile], KT_LIMIT),
	RF(limit_nproc, limits[LIMIT_nproc], KT_LIMIT),
	RF(limit_core, limits[LIMIT_core], KT_LIMIT),
	RF(limit_memlock, limits[LIMIT_memlock], KT_LIMIT),
	S(output, KT_OUTPUT),
	S2(environment, env, KT_ENV, nenv, true),
	S(autostart, KT_BOOL),
	S(critical, KT_BOOL),
	S(restart, KT_RESTART),
	RF(success_exit_codes, success_codes, KT_EXIT_CODES),
	S(start_seconds, KT_DURATION),
	S(start_retries, KT_UINT),
	S(restart_delay, KT_DURATION),
	S(restart_delay_max, KT_DURATION),
	S(stop_delay, KT_DURATION),
	S(stop_signal, KT_SIGNAL),
	S(stop_timeout, KT_DURATION_INF),
	S(kill_signal, KT_SIGNAL),
	S2(cleanup, cleanup, KT_COMMAND, cleanup_argv, false),
	S(cleanup_timeout, KT_DURATION_INF),
	S2(after, after, KT_NAMES, nafter, true),
	R2(ready_check, KT_COMMAND, ready_check_argv),
	R(ready_interval, KT_DURATION),
	S(ready_timeout, KT_DURATION_INF),
	S(notify, KT_BOOL),
	R2(health_check, KT_COMMAND, health_check_argv),
	R(health_interval, KT_DURATION),
	R(health_timeout, KT_DURATION),
	R(health_retries, KT_UINT),
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

/* Signals corral acts on itself, so relaying them would fight the user. */
static const int own_signals[] = {
	SIGTERM, SIGINT, SIGQUIT, SIGCHLD, SIGKILL, SIGSTOP, SIGTSTP, SIGTTIN,
	SIGTTOU, SIGCONT,
};

struct section {
	enum sect_kind	 kind;
	int		 line;
	struct svc_conf	*svc;		/* SECT_SERVICE */
};

struct entry {
	struct section	*sect;
	const struct key *key;
	char		*value;
	int		 line;
	bool		 comment_cut;	/* an inline " ;" comment cut the line */
};

struct loader {
	const char	*path;
	struct diag	*d;
	struct config	*c;

	/* read_line() state */
	const char	*buf;
	size_t		 len;
	size_t		 pos;
	int		 lineno;
	bool		 indented;	/* current line starts with a blank */
	bool		 comment_cut;
	bool		 have_key;	/* a key was set in this section */
	char		 line[CONFIG_LINE_MAX + 1];

	struct section	**sects;	/* each allocated alone: entries point at them */
	size_t		 nsects;
	struct section	*cur;		/* NULL before the first header */
	bool		 seen_corral;

	struct entry	*entries;
	size_t		 nentries;
	bool		 oom;
};

static void	*xreallocarray(struct loader *, void *, size_t, size_t);

void
diag_add(struct diag *d, bool error, const char *fmt, ...)
{
	va_list ap;
	char *line;

	if (error)
		d->nerrors++;
	if (error && d->nerrors == MAX_REPORTED + 1)
		fmt = "too many errors; giving up on the rest of the file";
	else if (error && d->nerrors > MAX_REPORTED)
		return;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		char **lines = reallocarray(d->lines, cap, sizeof(*lines));

		if (lines == NULL)
			return;
		d->lines = lines;
		d->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) != -1)
		d->lines[d->n++] = line;
	va_end(ap);
}

void
diag_free(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->lines[i]);
	free(d->lines);
	memset(d, 0, sizeof(*d));
}

static void err_at(struct loader *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

static void
err_at(struct loader *ld, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	diag_add(ld->d, true, "%s:%d: %s", ld->path, line,
	    msg != NULL ? msg : "out of memory");
	free(msg);
}

static void *
xreallocarray(struct loader *ld, void *p, size_t n, size_t size)
{
	void *q = reallocarray(p, n, size);

	if (q == NULL)
		ld->oom = true;
	return q;
}

/*
 * Makes room for element n of an array that holds n, doubling its size from
 * 8: a file of N sections costs log N reallocations instead of N, and leaves
 * the heap of a long-running daemon without N freed blocks strewn through it.
 * Returns the array, perhaps moved, or NULL (the old one is still valid).
 */
static void *
grow(void *v, size_t n, size_t size)
{
	if (n != 0 && (n < 8 || (n & (n - 1)) != 0))
		return v;
	return reallocarray(v, n == 0 ? 8 : n * 2, size);
}

const struct svc_rare svc_rare_defaults = {
	.success_codes = { .bits = { 1 } },	/* exit code 0 */
	.ready_interval = 1,
	.health_interval = 30,
	.health_timeout = 5,
	.health_retries = 3,
};

static struct svc_conf *
svc_new(const char *name, int line, unsigned index)
{
	struct svc_conf *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->line = line;
	s->index = index;
	s->autostart = true;
	s->restart = RESTART_ON_FAILURE;
	s->start_seconds = 1;
	s->start_retries = 5;
	s->restart_delay = 1;
	s->restart_delay_max = 30;
	s->stop_signal = SIGTERM;
	s->kill_signal = SIGKILL;
	s->stop_timeout = NAN;			/* NAN: inherit [corral]'s */
	s->cleanup_timeout = NAN;
	s->umask = -1;
	s->rare = &svc_rare_defaults;
	s->ready_timeout = 60;
	s->uid = (uid_t)-1;
	s->gid = (gid_t)-1;
	return s;
}

/*
 * Blocks other than the defaults belong to the config, which is the one
 * writer; everyone else reads them through a const pointer.
 */
static struct svc_rare *
rare_mut(const struct svc_rare *r)
{
	return (struct svc_rare *)(uintptr_t)r;
}

static void
rare_free(const struct svc_rare *r)
{
	if (r == NULL || r == &svc_rare_defaults)
		return;
	free(r->ready_check);
	free(r->ready_check_argv);
	free(r->health_check);
	free(r->health_check_argv);
	free(rare_mut(r));
}

/*
 * The rare settings of s, made its own on the first one that the file sets.
 * NULL when out of memory.
 */
static struct svc_rare *
rare_own(struct svc_conf *s)
{
	struct svc_rare *r;

	if (s->rare != &svc_rare_defaults)
		return rare_mut(s->rare);
	if ((r = malloc(sizeof(*r))) == NULL)
		return NULL;
	/* memcpy, not =: limits are compared whole, padding included. */
	memcpy(r, &svc_rare_defaults, sizeof(*r));
	s->rare = r;
	return r;
}

static void
svc_free(struct svc_conf *s)
{
	if (s == NULL)
		return;
	free(s->command);
	free(s->argv);
	free(s->directory);
	free(s->user);
	free(s->home);
	free(s->user_name);
	free(s->group);
	free(s->output_path);
	for (size_t i = 0; i < s->nenv; i++)
		free(s->env[i]);
	free(s->env);
	free(s->cleanup);
	free(s->cleanup_argv);
	rare_free(s->rare);
	for (size_t i = 0; i < s->nafter; i++)
		free(s->after[i]);
	free(s->after);
	free(s->after_idx);
	free(s);
}

struct config *
config_default(void)
{
	struct config *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->stop_timeout = 10;
	c->cleanup_timeout = 30;
	c->shutdown_order = ORDER_PARALLEL;
	c->shutdown_deadline = 0;
	c->forward_signals = (UINT64_C(1) << (SIGUSR1 - 1)) |
	    (UINT64_C(1) << (SIGUSR2 - 1)) | (UINT64_C(1) << (SIGWINCH - 1));
	c->log_level = LOGL_INFO;
	c->subreaper = true;
	c->strict = true;
	return c;
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nservices; i++)
		svc_free(c->services[i]);
	free(c->services);
	free(c->path);
	free(c->control_socket);
	free(c->control_group);
	free(c->status_file);
	free(c);
}

void
config_free_service(struct svc_conf *s)
{
	svc_free(s);
}

static bool
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool
same_double(double a, double b)
{
	return a == b || (isnan(a) && isnan(b));
}

bool
config_same_checks(const struct svc_conf *a, const struct svc_conf *b)
{
	const struct svc_rare *ra = a->rare, *rb = b->rare;

	return same_str(ra->ready_check, rb->ready_check) &&
	    same_double(ra->ready_interval, rb->ready_interval) &&
	    same_str(ra->health_check, rb->health_check) &&
	    same_double(ra->health_interval, rb->health_interval) &&
	    same_double(ra->health_timeout, rb->health_timeout) &&
	    ra->health_retries == rb->health_retries;
}

bool
config_same_settings(const struct svc_conf *a, const struct svc_conf *b)
{
	if (a->autostart != b->autostart || a->critical != b->critical ||
	    a->restart != b->restart ||
	    memcmp(&a->rare->success_codes, &b->rare->success_codes,
	    sizeof(a->rare->success_codes)) != 0 ||
	    !same_double(a->start_seconds, b->start_seconds) ||
	    a->start_retries != b->start_retries ||
	    !same_double(a->restart_delay, b->restart_delay) ||
	    !same_double(a->restart_delay_max, b->restart_delay_max) ||
	    !same_double(a->stop_delay, b->stop_delay) ||
	    a->stop_signal != b->stop_signal ||
	    !same_double(a->stop_timeout, b->stop_timeout) ||
	    a->kill_signal != b->kill_signal ||
	    !same_str(a->cleanup, b->cleanup) ||
	    !same_double(a->cleanup_timeout, b->cleanup_timeout) ||
	    !same_double(a->ready_timeout, b->ready_timeout) ||
	    a->notify != b->notify || !config_same_checks(a, b) ||
	    a->nafter != b->nafter)
		return false;
	for (size_t i = 0; i < a->nafter; i++)
		if (strcmp(a->after[i], b->after[i]) != 0)
			return false;
	return true;
}

bool
config_same_process(const struct svc_conf *a, const struct svc_conf *b)
{
	if (!same_str(a->command, b->command) ||
	    !same_str(a->directory, b->directory) ||
	    !same_str(a->user, b->user) || !same_str(a->group, b->group) ||
	    a->uid != b->uid || a->gid != b->gid || a->umask != b->umask ||
	    a->output != b->output ||
	    !same_str(a->output_path, b->output_path) ||
	    a->foreground != b->foreground || a->notify != b->notify ||
	    a->nenv != b->nenv ||
	    memcmp(a->rare->limits, b->rare->limits,
	    sizeof(a->rare->limits)) != 0)
		return false;
	for (size_t i = 0; i < a->nenv; i++)
		if (strcmp(a->env[i], b->env[i]) != 0)
			return false;
	return true;
}

struct svc_conf *
config_find(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->nservices; i++)
		if (strcmp(c->services[i]->name, name) == 0)
			return c->services[i];
	return NULL;
}

static int
add_service(struct config *c, struct svc_conf *s)
{
	struct svc_conf **v = grow(c->services, c->nservices, sizeof(*v));

	if (v == NULL)
		return -1;
	c->services = v;
	s->index = (unsigned)c->nservices;
	c->services[c->nservices++] = s;
	return 0;
}

/* --- suggestions ---------------------------------------------------- */

static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[48];

	if (lb >= sizeof(row) / sizeof(row[0]) || la >= 48)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static const struct key *
find_key(enum sect_kind sect, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].sect == sect && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static void
unknown_key(struct loader *ld, int line, enum sect_kind sect,
    const char *secname, const char *name)
{
	const struct key *best = NULL, *other;
	size_t best_d = SIZE_MAX;

	for (size_t i = 0; i < NKEYS; i++) {
		size_t d;

		if (keys[i].sect != sect)
			continue;
		d = edit_distance(name, keys[i].name);
		if (d < best_d) {
			best_d = d;
			best = &keys[i];
		}
	}
	other = find_key(sect == SECT_CORRAL ? SECT_SERVICE : SECT_CORRAL,
	    name);
	if (other != NULL)
		err_at(ld, line, "%s unknown key '%s' here (it belongs in %s)",
		    secname, name,
		    other->sect == SECT_CORRAL ? "[corral]" : "a [service:NAME]");
	else if (best != NULL && best_d <= 1 + strlen(name) / 4)
		err_at(ld, line, "%s unknown key '%s' (did you mean '%s'?)",
		    secname, name, best->name);
	else
		err_at(ld, line, "%s unknown key '%s' (see corral.conf(5) for the "
		    "keys of this section)", secname, name);
}

/* --- the line reader -------------------------------------------------- */

static bool
valid_service_name(const char *s, size_t n)
{
	if (n == 0 || n > SERVICE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789_.-", s[i]) == NULL || s[i] == '\0')
			return false;
	return true;
}

/* Where inih would see an inline comment: ';' after a blank. */
static const char *
find_inline_comment(const char *s)
{
	for (const char *p = s; *p != '\0'; p++)
		if (*p == ';' && p > s && (p[-1] == ' ' || p[-1] == '\t'))
			return p;
	return NULL;
}

static void
begin_section(struct loader *ld, const char *line)
{
	const char *close = strchr(line, ']');
	const char *rest, *comment;
	struct section *sec, **v;
	enum sect_kind kind = SECT_INVALID;
	struct svc_conf *svc = NULL;
	char text[CONFIG_LINE_MAX];
	size_t n;

	ld->have_key = false;
	ld->cur = NULL;
	if ((v = grow(ld->sects, ld->nsects, sizeof(*v))) == NULL) {
		ld->oom = true;
		return;
	}
	ld->sects = v;
	if ((sec = calloc(1, sizeof(*sec))) == NULL) {
		ld->oom = true;
		return;
	}
	ld->sects[ld->nsects++] = sec;
	comment = find_inline_comment(line);
	if (close == NULL || (comment != NULL && comment < close)) {
		err_at(ld, ld->lineno, "section header without closing ']' "
		    "(write [corral] or [service:NAME])");
		goto done;
	}
	n = (size_t)(close - line - 1);
	memcpy(text, line + 1, n);
	text[n] = '\0';
	for (rest = close + 1; *rest == ' ' || *rest == '\t'; rest++)
		;
	if (*rest != '\0' && *rest != ';' && *rest != '#') {
		err_at(ld, ld->lineno, "unexpected text '%s' after section "
		    "header [%s]", rest, text);
		goto done;
	}
	if (strcmp(text, "corral") == 0) {
		if (ld->seen_corral) {
			for (size_t i = 0; i < ld->nsects; i++)
				if (ld->sects[i]->kind == SECT_CORRAL) {
					err_at(ld, ld->lineno, "second [corral] "
					    "section (the first is at line %d; "
					    "merge them)", ld->sects[i]->line);
					break;
				}
			goto done;
		}
		ld->seen_corral = true;
		kind = SECT_CORRAL;
	} else if (strncmp(text, "service:", 8) == 0) {
		const char *name = text + 8;
		struct svc_conf *prev;

		if (!valid_service_name(name, strlen(name))) {
			err_at(ld, ld->lineno, "[%s]: '%s' is not a valid service "
			    "name (1-%d characters of A-Z a-z 0-9 _ . -)",
			    text, name, SERVICE_NAME_MAX);
			goto done;
		}
		prev = config_find(ld->c, name);
		if (prev != NULL) {
			err_at(ld, ld->lineno, "[%s]: service '%s' is already "
			    "defined at line %d", text, name, prev->line);
			goto done;
		}
		svc = svc_new(name, ld->lineno, 0);
		if (svc == NULL || add_service(ld->c, svc) == -1) {
			svc_free(svc);
			ld->oom = true;
			goto done;
		}
		kind = SECT_SERVICE;
	} else {
		err_at(ld, ld->lineno, "unknown section [%s] (expected [corral] "
		    "or [service:NAME])%s", text,
		    strchr(text, ':') != NULL && strncasecmp(text, "service", 7) != 0 ?
		    "; corral calls programs [service:NAME]" : "");
	}
done:
	sec->kind = kind;
	sec->line = ld->lineno;
	sec->svc = svc;
	ld->cur = sec;
}

/*
 * Checks one physical line and returns what inih should see: the line
 * itself, or "\n" when the line is wrong (already reported) or is a section
 * header (tracked here rather than by inih, so that every header is checked
 * even when no key follows it).
 */
static const char *
classify_line(struct loader *ld, char *line, size_t n)
{
	char *p;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)line[i];

		if (ch == '\0') {
			err_at(ld, ld->lineno, "NUL byte at column %zu (is this "
			    "a text file?)", i + 1);
			return "\n";
		}
		if ((ch < 0x20 && ch != '\t' && ch != '\n') || ch == 0x7f) {
			err_at(ld, ld->lineno, "control character 0x%02x at "
			    "column %zu (is this a text file?)", ch, i + 1);
			return "\n";
		}
	}
	ld->indented = (line[0] == ' ' || line[0] == '\t');
	for (p = line; *p == ' ' || *p == '\t' || *p == '\n'; p++)
		;
	if (*p == '\0' || *p == ';' || *p == '#')
		return line;
	ld->comment_cut = find_inline_comment(p) != NULL;
	if (ld->indented && ld->have_key) {
		/* Debian's inih strips inline comments on key lines only. */
		const char *comment = find_inline_comment(p);

		if (comment != NULL) {
			char *cut = p + (comment - p);

			cut[0] = '\n';
			cut[1] = '\0';
		}
		return line;
	}
	if (*p == '[') {
		char header[CONFIG_LINE_MAX];
		size_t len = strcspn(p, "\n");

		memcpy(header, p, len);
		header[len] = '\0';
		begin_section(ld, header);
		/* inih sees it too: it must forget the previous key. */
		return line;
	}
	{
		const char *comment = find_inline_comment(p);
		size_t kv = strcspn(p, "=:");

		if (p[kv] == '\0' || (comment != NULL && comment < p + kv)) {
			char *nl = strchr(p, '\n');

			if (nl != NULL)
				*nl = '\0';
			err_at(ld, ld->lineno, "'%s' is not a 'key = value' line",
			    p);
			return "\n";
		}
	}
	return line;
}

static char *
read_line(char *str, int num, void *arg)
{
	struct loader *ld = arg;
	char *line = ld->line;
	const char *start, *nl, *out;
	size_t n;

	if (ld->pos >= ld->len)
		return NULL;
	start = ld->buf + ld->pos;
	nl = memchr(start, '\n', ld->len - ld->pos);
	n = nl != NULL ? (size_t)(nl - start) + 1 : ld->len - ld->pos;
	ld->pos += n;
	ld->lineno++;
	ld->comment_cut = false;
	if (ld->lineno == 1 && n >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0) {
		start += 3;
		n -= 3;
	}
	if (n >= CONFIG_LINE_MAX) {
		err_at(ld, ld->lineno, "line is %zu bytes long; lines must be "
		    "shorter than %d bytes (split a long value over indented "
		    "continuation lines)", n, CONFIG_LINE_MAX);
		out = "\n";
	} else {
		memcpy(line, start, n);
		line[n] = '\0';
		/* CRLF: inih would keep the '\r' on values of the last line. */
		if (n >= 2 && line[n - 2] == '\r' && line[n - 1] == '\n') {
			line[n - 2] = '\n';
			line[n - 1] = '\0';
			n--;
		} else if (n >= 1 && line[n - 1] == '\r') {
			line[--n] = '\0';
		}
		out = classify_line(ld, line, n);
	}
	snprintf(str, (size_t)num, "%s", out);
	return str;
}

static int
handler(void *arg, const char *section, const char *name, const char *value)
{
	struct loader *ld = arg;
	struct entry *e;
	const struct key *k;
	bool continuation = ld->indented && ld->have_key;

	(void)section;
	if (ld->cur == NULL) {
		err_at(ld, ld->lineno, "key '%s' before any section (put it under "
		    "[corral] or [service:NAME])", name);
		return 1;
	}
	if (ld->cur->kind == SECT_INVALID)
		return 1;		/* the header was reported */
	if (continuation) {
		struct entry *last = ld->nentries ? &ld->entries[ld->nentries - 1] : NULL;
		char *joined;

		ld->have_key = true;
		if (last == NULL || last->sect != ld->cur || *value == '\0')
			return 1;
		if (asprintf(&joined, "%s%s%s", last->value,
		    *last->value ? " " : "", value) == -1) {
			ld->oom = true;
			return 1;
		}
		free(last->value);
		last->value = joined;
		last->comment_cut |= ld->comment_cut;
		return 1;
	}
	ld->have_key = true;
	k = find_key(ld->cur->kind, name);
	if (k == NULL) {
		char secname[SERVICE_NAME_MAX + 16];

		if (ld->cur->kind == SECT_CORRAL)
			snprintf(secname, sizeof(secname), "[corral]");
		else
			snprintf(secname, sizeof(secname), "[service:%s]",
			    ld->cur->svc->name);
		unknown_key(ld, ld->lineno, ld->cur->kind, secname, name);
		/* Continuation lines of an unknown key are dropped with it. */
		k = NULL;
	}
	if ((e = grow(ld->entries, ld->nentries, sizeof(*e))) == NULL) {
		ld->oom = true;
		return 1;
	}
	ld->entries = e;
	e = &ld->entries[ld->nentries++];
	e->sect = ld->cur;
	e->key = k;
	e->value = strdup(value);
	e->line = ld->lineno;
	e->comment_cut = ld->comment_cut;
	if (e->value == NULL)
		ld->oom = true;
	return 1;
}

/* --- validation ------------------------------------------------------- */

static void
where(const struct entry *e, char *buf, size_t len)
{
	if (e->sect->kind == SECT_CORRAL)
		snprintf(buf, len, "[corral] %s", e->key->name);
	else
		snprintf(buf, len, "[service:%s] %s", e->sect->svc->name,
		    e->key->name);
}

static int
set_words(struct loader *ld, const struct entry *e, char ***argvp,
    size_t *argcp, const char *what)
{
	char err[VALUE_ERR_MAX], loc[128];

	where(e, loc, sizeof(loc));
	if (split_words(e->value, argvp, argcp, err) == -1) {
		if (e->comment_cut && strstr(err, "unbalanced") != NULL)
			err_at(ld, e->line, "%s: %s: a ';' after a blank starts a "
			    "comment in corral.conf and cut the line there; "
			    "remove the blank before ';' (e.g. 'a; b')",
			    loc, err);
		else
			err_at(ld, e->line, "%s: %s", loc, err);
		return -1;
	}
	if (*argcp == 0 || (**argvp)[0] == '\0') {
		err_at(ld, e->line, "%s: empty %s", loc, what);
		free(*argvp);
		*argvp = NULL;
		return -1;
	}
	return 0;
}

static bool
valid_env_name(const char *s, size_t n)
{
	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789_", s[i]) == NULL)
			return false;
	return true;
}

static void
apply_env(struct loader *ld, const struct entry *e, struct svc_conf *s)
{
	char **words, **env, loc[128];
	size_t n;

	if (set_words(ld, e, &words, &n, "environment") == -1)
		return;
	where(e, loc, sizeof(loc));
	env = xreallocarray(ld, s->env, s->nenv + n + 1, sizeof(*env));
	if (env == NULL) {
		free(words);
		return;
	}
	s->env = env;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(words[i], '=');

		if (eq == NULL || !valid_env_name(words[i],
		    (size_t)(eq - words[i]))) {
			err_at(ld, e->line, "%s: '%s' is not KEY=VALUE (KEY of "
			    "letters, digits and _, not starting with a digit)",
			    loc, words[i]);
			continue;
		}
		if ((s->env[s->nenv] = strdup(words[i])) == NULL) {
			ld->oom = true;
			break;
		}
		s->nenv++;
	}
	s->env[s->nenv] = NULL;
	free(words);
}

/* Resolved here: every section is known once the whole file is read. */
static void
apply_names(struct loader *ld, const struct entry *e, struct svc_conf *s)
{
	char **words, **after;
	unsigned *idx;
	size_t n;

	if (set_words(ld, e, &words, &n, "list of service names") == -1)
		return;
	if (s->after_line == 0)
		s->after_line = e->line;
	after = xreallocarray(ld, s->after, s->nafter + n + 1, sizeof(*after));
	if (after != NULL)
		s->after = after;
	idx = xreallocarray(ld, s->after_idx, s->nafter + n + 1, sizeof(*idx));
	if (idx != NULL)
		s->after_idx = idx;
	if (after == NULL || idx == NULL) {
		free(words);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct svc_conf *dep = config_find(ld->c, words[i]);

		if (dep == NULL) {
			err_at(ld, e->line, "[service:%s] after: no service "
			    "named '%s'", s->name, words[i]);
			continue;
		}
		if (dep == s) {
			err_at(ld, e->line, "[service:%s] after: a service "
			    "cannot wait for itself", s->name);
			continue;
		}
		if ((s->after[s->nafter] = strdup(words[i])) == NULL) {
			ld->oom = true;
			break;
		}
		s->after_idx[s->nafter++] = dep->index;
	}
	s->after[s->nafter] = NULL;
	free(words);
}

static void
apply_sigset(struct loader *ld, const struct entry *e, uint64_t *set)
{
	char **words, err[VALUE_ERR_MAX], loc[128];
	size_t n;
	uint64_t v = 0;

	where(e, loc, sizeof(loc));
	if (strcasecmp(e->value, "none") == 0) {
		*set = 0;
		return;
	}
	if (set_words(ld, e, &words, &n, "list of signals (or 'none')") == -1)
		return;
	for (size_t i = 0; i < n; i++) {
		int sig;
		bool own = false;

		if (parse_signal(words[i], &sig, err) == -1) {
			err_at(ld, e->line, "%s: %s", loc, err);
			continue;
		}
		for (size_t j = 0; j < sizeof(own_signals) / sizeof(own_signals[0]); j++)
			own |= own_signals[j] == sig;
		if (own) {
			err_at(ld, e->line, "%s: %s cannot be forwarded: corral "
			    "handles it itself (see corral(8), SIGNALS)", loc,
			    words[i]);
			continue;
		}
		v |= UINT64_C(1) << (sig - 1);
	}
	free(words);
	*set = v;
}

/*
 * Users and groups are looked up when the file is read, so `corral -t`
 * catches a typo before deployment; a numeric id needs no entry (as in
 * containers whose /etc/passwd does not know the uid).
 */
static int
apply_user(struct svc_conf *s, const char *v, char err[VALUE_ERR_MAX])
{
	struct passwd *pw;
	unsigned long id;
	char ignored[VALUE_ERR_MAX];
	bool numeric = parse_uint(v, 0, UINT32_MAX - 1, &id, ignored) == 0;

	errno = 0;
	pw = numeric ? getpwuid((uid_t)id) : getpwnam(v);
	if (pw == NULL && !numeric) {
		snprintf(err, VALUE_ERR_MAX, "no user '%s'%s%s (give a name "
		    "from /etc/passwd or a numeric uid)", v,
		    errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
		return -1;
	}
	if ((s->user = strdup(v)) == NULL)
		goto oom;
	if (pw == NULL) {
		s->uid = (uid_t)id;
		if (s->group == NULL)
			s->gid = (gid_t)id;
		return 0;
	}
	s->uid = pw->pw_uid;
	if (s->group == NULL)
		s->gid = pw->pw_gid;
	s->has_passwd = true;
	if ((s->home = strdup(pw->pw_dir)) == NULL ||
	    (s->user_name = strdup(pw->pw_name)) == NULL)
		goto oom;
	return 0;
oom:
	snprintf(err, VALUE_ERR_MAX, "out of memory");
	return -1;
}

static int
apply_group(struct svc_conf *s, const char *v, char err[VALUE_ERR_MAX])
{
	struct group *gr;
	unsigned long id;
	char ignored[VALUE_ERR_MAX];

	if (parse_uint(v, 0, UINT32_MAX - 1, &id, ignored) == 0) {
		s->gid = (gid_t)id;
	} else {
		errno = 0;
		if ((gr = getgrnam(v)) == NULL) {
			snprintf(err, VALUE_ERR_MAX, "no group '%s' (give a "
			    "name from /etc/group or a numeric gid)", v);
			return -1;
		}
		s->gid = gr->gr_gid;
	}
	if ((s->group = strdup(v)) == NULL) {
		snprintf(err, VALUE_ERR_MAX, "out of memory");
		return -1;
	}
	return 0;
}

static int
apply_control_group(struct config *c, const char *v, char err[VALUE_ERR_MAX])
{
	struct svc_conf tmp = { .gid = (gid_t)-1 };

	if (apply_group(&tmp, v, err) == -1)
		return -1;
	c->control_group = tmp.group;
	c->control_gid = tmp.gid;
	return 0;
}

static int
parse_rlim(const char *v, rlim_t *out, char err[VALUE_ERR_MAX])
{
	unsigned long long n;
	char *end;

	if (strcasecmp(v, "infinity") == 0 || strcasecmp(v, "unlimited") == 0) {
		*out = RLIM_INFINITY;
		return 0;
	}
	errno = 0;
	n = strtoull(v, &end, 10);
	if (*v < '0' || *v > '9' || errno != 0 || *end != '\0' ||
	    n >= (unsigned long long)RLIM_INFINITY) {
		snprintf(err, VALUE_ERR_MAX, "'%s' is not a limit (a number, "
		    "SOFT:HARD, or infinity)", v);
		return -1;
	}
	*out = (rlim_t)n;
	return 0;
}

static int
apply_limit(struct limit *l, const char *v, char err[VALUE_ERR_MAX])
{
	char soft[64];
	const char *colon = strchr(v, ':');

	if (colon == NULL) {
		if (parse_rlim(v, &l->soft, err) == -1)
			return -1;
		l->hard = l->soft;
	} else {
		snprintf(soft, sizeof(soft), "%.*s", (int)(colon - v), v);
		if (parse_rlim(soft, &l->soft, err) == -1 ||
		    parse_rlim(colon + 1, &l->hard, err) == -1)
			return -1;
		if (l->soft > l->hard) {
			snprintf(err, VALUE_ERR_MAX, "'%s': the soft limit is "
			    "above the hard one", v);
			return -1;
		}
	}
	l->set = true;
	return 0;
}

static int
apply_output(struct svc_conf *s, const char *v, char err[VALUE_ERR_MAX])
{
	static const char *const modes[] = {
		[OUTPUT_INHERIT] = "inherit", [OUTPUT_PREFIX] = "prefix",
		[OUTPUT_NULL] = "null",
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (modes[i] != NULL && strcasecmp(v, modes[i]) == 0) {
			s->output = i;
			return 0;
		}
	if (strncmp(v, "file:", 5) == 0 && v[5] == '/') {
		s->output = OUTPUT_FILE;
		if ((s->output_path = strdup(v + 5)) == NULL) {
			snprintf(err, VALUE_ERR_MAX, "out of memory");
			return -1;
		}
		return 0;
	}
	snprintf(err, VALUE_ERR_MAX, "'%s' is not an output (inherit, prefix, "
	    "null, or file:/ABSOLUTE/PATH)", v);
	return -1;
}

static void
apply_entry(struct loader *ld, const struct entry *e)
{
	const struct key *k = e->key;
	char *base, err[VALUE_ERR_MAX], loc[128];
	int r = 0;

	where(e, loc, sizeof(loc));
	if (*e->value == '\0') {
		err_at(ld, e->line, "%s: no value given", loc);
		return;
	}
	if (e->sect->kind == SECT_CORRAL)
		base = (char *)ld->c;
	else if (!k->rare)
		base = (char *)e->sect->svc;
	else if ((base = (char *)rare_own(e->sect->svc)) == NULL) {
		ld->oom = true;
		return;
	}
	switch (k->type) {
	case KT_DURATION:
	case KT_DURATION_INF:
		r = parse_duration(e->value, k->type == KT_DURATION_INF,
		    (double *)(void *)(base + k->off), err);
		break;
	case KT_SIGNAL:
		r = parse_signal(e->value, (int *)(void *)(base + k->off), err);
		break;
	case KT_BOOL:
		r = parse_bool(e->value, (bool *)(void *)(base + k->off), err);
		break;
	case KT_UINT: {
		unsigned long v;

		r = parse_uint(e->value, 0, 1000000, &v, err);
		if (r == 0)
			*(unsigned *)(void *)(base + k->off) = (unsigned)v;
		break;
	}
	case KT_COMMAND: {
		char **argv;
		size_t argc;

		if (set_words(ld, e, &argv, &argc, "command") == 0) {
			*(char **)(void *)(base + k->off) = strdup(e->value);
			*(char ***)(void *)(base + k->off2) = argv;
		}
		return;
	}
	case KT_PATH:
		if (e->sect->kind == SECT_SERVICE || *e->value == '/' ||
		    strcmp(e->value, "none") == 0) {
			if ((*(char **)(void *)(base + k->off) = strdup(e->value)) == NULL)
				ld->oom = true;
			return;
		}
		snprintf(err, sizeof(err), "'%s' is not an absolute path",
		    e->value);
		r = -1;
		break;
	case KT_ENV:
		apply_env(ld, e, e->sect->svc);
		return;
	case KT_NAMES:
		apply_names(ld, e, e->sect->svc);
		return;
	case KT_RESTART: {
		static const char *const names[] = {
			[RESTART_NEVER] = "never",
			[RESTART_ON_FAILURE] = "on-failure",
			[RESTART_ALWAYS] = "always",
		};

		for (size_t i = 0; i < 3; i++)
			if (strcasecmp(e->value, names[i]) == 0) {
				*(enum restart_policy *)(void *)(base + k->off) = i;
				return;
			}
		snprintf(err, sizeof(err), "'%s' is not a restart policy "
		    "(never, on-failure, always)", e->value);
		r = -1;
		break;
	}
	case KT_ORDER:
		if (strcasecmp(e->value, "parallel") == 0)
			ld->c->shutdown_order = ORDER_PARALLEL;
		else if (strcasecmp(e->value, "sequential") == 0)
			ld->c->shutdown_order = ORDER_SEQUENTIAL;
		else {
			snprintf(err, sizeof(err), "'%s' is not a shutdown "
			    "order (parallel, sequential)", e->value);
			r = -1;
		}
		break;
	case KT_EXIT_CODES:
		r = parse_exit_codes(e->value,
		    (struct exit_set *)(void *)(base + k->off), err);
		break;
	case KT_SIGSET:
		apply_sigset(ld, e, (uint64_t *)(void *)(base + k->off));
		return;
	case KT_USER:
		r = apply_user(e->sect->svc, e->value, err);
		break;
	case KT_GROUP:
		if (e->sect->kind == SECT_CORRAL)
			r = apply_control_group(ld->c, e->value, err);
		else
			r = apply_group(e->sect->svc, e->value, err);
		break;
	case KT_UMASK: {
		char *end;
		long v;

		errno = 0;
		v = strtol(e->value, &end, 8);
		if (*e->value < '0' || *e->value > '7' || errno != 0 ||
		    *end != '\0' || v > 0777) {
			snprintf(err, sizeof(err), "'%s' is not a umask (octal, "
			    "0 to 0777, e.g. 027)", e->value);
			r = -1;
		} else
			*(int *)(void *)(base + k->off) = (int)v;
		break;
	}
	case KT_LIMIT:
		r = apply_limit((struct limit *)(void *)(base + k->off),
		    e->value, err);
		break;
	case KT_OUTPUT:
		r = apply_output(e->sect->svc, e->value, err);
		break;
	case KT_LOG_LEVEL: {
		int level = log_level_from_name(e->value);

		if (level < 0) {
			snprintf(err, sizeof(err), "'%s' is not a log level "
			    "(error, warn, info, debug)", e->value);
			r = -1;
		} else
			ld->c->log_level = level;
		break;
	}
	}
	if (r == -1)
		err_at(ld, e->line, "%s: %s", loc, err);
}

static void
apply_entries(struct loader *ld)
{
	for (size_t i = 0; i < ld->nentries; i++) {
		const struct entry *e = &ld->entries[i];

		if (e->key == NULL)
			continue;
		if (!e->key->repeatable) {
			const struct entry *first = NULL;

			for (size_t j = 0; j < i && first == NULL; j++)
				if (ld->entries[j].sect == e->sect &&
				    ld->entries[j].key == e->key)
					first = &ld->entries[j];
			if (first != NULL) {
				char loc[128];

				where(e, loc, sizeof(loc));
				err_at(ld, e->line, "%s: set twice (first at line "
				    "%d; keep one)", loc, first->line);
				continue;
			}
		}
		apply_entry(ld, e);
	}
}

/* Depth-first search over `after`; reports each cycle once. */
static void
check_cycles(struct loader *ld)
{
	struct config *c = ld->c;
	unsigned char *mark = calloc(c->nservices, 1);	/* 0 new, 1 open, 2 done */
	unsigned *stack = calloc(c->nservices + 1, sizeof(*stack));
	size_t *next = calloc(c->nservices + 1, sizeof(*next));

	if (mark == NULL || stack == NULL || next == NULL) {
		ld->oom = true;
		goto out;
	}
	for (size_t root = 0; root < c->nservices; root++) {
		size_t depth = 0;

		if (mark[root] != 0)
			continue;
		stack[0] = (unsigned)root;
		next[0] = 0;
		mark[root] = 1;
		while (depth != SIZE_MAX) {
			struct svc_conf *s = c->services[stack[depth]];
			unsigned to;

			if (next[depth] >= s->nafter) {
				mark[stack[depth]] = 2;
				depth = depth == 0 ? SIZE_MAX : depth - 1;
				continue;
			}
			to = s->after_idx[next[depth]++];
			if (mark[to] == 1) {
				char msg[400];
				size_t at = 0, n = 0;

				while (stack[at] != to)
					at++;
				for (size_t i = at; i <= depth && n < sizeof(msg); i++)
					n += (size_t)snprintf(msg + n, sizeof(msg) - n,
					    "%s -> ", c->services[stack[i]]->name);
				if (n < sizeof(msg))
					snprintf(msg + n, sizeof(msg) - n, "%s",
					    c->services[to]->name);
				/* At the 'after' of to: it holds the next edge. */
				err_at(ld, c->services[to]->after_line, "[service:%s] "
				    "after: dependency cycle %s (remove one of "
				    "these 'after' names)", c->services[to]->name,
				    msg);
				continue;
			}
			if (mark[to] == 0) {
				mark[to] = 1;
				stack[++depth] = to;
				next[depth] = 0;
			}
		}
	}
out:
	free(mark);
	free(stack);
	free(next);
}

/* Whether the file set key in s, even to a value that was refused. */
static bool
has_entry(const struct loader *ld, const struct svc_conf *s, const char *key)
{
	for (size_t i = 0; i < ld->nentries; i++)
		if (ld->entries[i].sect->svc == s && ld->entries[i].key != NULL &&
		    strcmp(ld->entries[i].key->name, key) == 0)
			return true;
	return false;
}

/* WATCHDOG_USEC in a service's environment asks corral for WATCHDOG=1. */
static void
set_watchdog(struct loader *ld, struct svc_conf *s)
{
	struct svc_rare *r;

	for (size_t i = 0; i < s->nenv; i++) {
		if (strncmp(s->env[i], "WATCHDOG_USEC=", 14) != 0)
			continue;
		if ((r = rare_own(s)) == NULL) {
			ld->oom = true;
			return;
		}
		r->watchdog = strtod(s->env[i] + 14, NULL) / 1e6;
	}
}

static void
resolve(struct loader *ld)
{
	struct config *c = ld->c;

	for (size_t i = 0; i < c->nservices; i++) {
		struct svc_conf *s = c->services[i];

		if (isnan(s->stop_timeout))
			s->stop_timeout = c->stop_timeout;
		if (isnan(s->cleanup_timeout))
			s->cleanup_timeout = c->cleanup_timeout;
		set_watchdog(ld, s);
		if (s->rare->ready_interval <= 0 &&
		    s->rare->ready_check_argv != NULL)
			err_at(ld, s->line, "[service:%s]: ready_interval must "
			    "be more than 0", s->name);
		if (s->rare->health_interval <= 0 &&
		    s->rare->health_check_argv != NULL)
			err_at(ld, s->line, "[service:%s]: health_interval must "
			    "be more than 0", s->name);
		if (s->argv == NULL && !has_entry(ld, s, "command"))
			err_at(ld, s->line, "[service:%s]: no command (add "
			    "'command = PROGRAM ARGS...')", s->name);
		if (s->restart_delay_max < s->restart_delay)
			err_at(ld, s->line, "[service:%s]: restart_delay_max "
			    "(%gs) is shorter than restart_delay (%gs)",
			    s->name, s->restart_delay_max, s->restart_delay);
		if (s->after_idx == NULL &&
		    (s->after_idx = calloc(1, sizeof(*s->after_idx))) == NULL)
			ld->oom = true;
	}
	check_cycles(ld);
	if (c->shutdown_deadline != 0 && isinf(c->shutdown_deadline))
		c->shutdown_deadline = 0;
}

struct config *
config_parse(const char *path, const char *buf, size_t len, struct diag *d)
{
	struct loader ld = { 0 };
	size_t before = d->nerrors;

	ld.path = path;
	ld.d = d;
	ld.buf = buf;
	ld.len = len;
	ld.c = config_default();
	if (ld.c == NULL || (ld.c->path = strdup(path)) == NULL) {
		diag_add(d, true, "%s: out of memory", path);
		config_free(ld.c);
		return NULL;
	}
	(void)ini_parse_stream(read_line, &ld, handler, &ld);
	apply_entries(&ld);
	resolve(&ld);
	if (ld.oom)
		diag_add(d, true, "%s: out of memory", path);
	for (size_t i = 0; i < ld.nentries; i++)
		free(ld.entries[i].value);
	free(ld.entries);
	for (size_t i = 0; i < ld.nsects; i++)
		free(ld.sects[i]);
	free(ld.sects);
	if (d->nerrors > before) {
		config_free(ld.c);
		return NULL;
	}
	return ld.c;
}

struct config *
config_load(const char *path, struct diag *d)
{
	struct config *c = NULL;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd;

	/* O_NONBLOCK: a FIFO must be refused below, not wait for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		diag_add(d, true, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		diag_add(d, true, "%s: cannot stat: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		diag_add(d, true, "%s: is a directory, not a config file", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_add(d, true, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		diag_add(d, true, "%s: %lld bytes; a config file is at most "
		    "%d bytes", path, (long long)st.st_size, CONFIG_FILE_MAX);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		diag_add(d, true, "%s: out of memory", path);
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + len, (size_t)st.st_size - len);

		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			diag_add(d, true, "%s: cannot read: %s", path,
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	c = config_parse(path, buf, len, d);
out:
	free(buf);
	(void)close(fd);
	return c;
}

int
config_add_main(struct config *c, char *const argv[], struct diag *d)
{
	struct svc_conf *s, *prev = config_find(c, "main");
	size_t argc = 0, len = 0;
	char *p;

	if (prev != NULL) {
		diag_add(d, true, "%s:%d: [service:main] is already defined; "
		    "rename it to run a command with '--'", c->path, prev->line);
		return -1;
	}
	while (argv[argc] != NULL)
		len += strlen(argv[argc++]) + 1;
	s = svc_new("main", 0, 0);
	if (s == NULL)
		goto oom;
	s->critical = true;
	s->restart = RESTART_NEVER;
	s->stop_timeout = c->stop_timeout;
	s->cleanup_timeout = c->cleanup_timeout;
	s->argv = malloc((argc + 1) * sizeof(char *) + len);
	s->command = malloc(len + 1);
	s->after_idx = calloc(1, sizeof(*s->after_idx));
	if (s->argv == NULL || s->command == NULL || s->after_idx == NULL)
		goto oom;
	/* Words are kept verbatim: no quoting applies to a real argv. */
	p = (char *)(s->argv + argc + 1);
	s->command[0] = '\0';
	for (size_t i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;

		s->argv[i] = memcpy(p, argv[i], n);
		p += n;
		if (i > 0)
			strcat(s->command, " ");
		strcat(s->command, argv[i]);
	}
	s->argv[argc] = NULL;
	if (add_service(c, s) == -1)
		goto oom;
	return 0;
oom:
	svc_free(s);
	diag_add(d, true, "out of memory");
	return -1;
}
