/*
 * Applying a value by its key's type: the key table (confkeys.c) says where
 * a value goes, this file how to expand and parse it.  Every problem is
 * reported at the entry's file and line with its section and key, and
 * applying goes on, so that one run shows every bad value.  Users and
 * groups are looked up by confusers.c, conditions evaluated by confcond.c,
 * env_file files read by confenv.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "confapply.h"
#include "confcond.h"
#include "confdata.h"
#include "confdiag.h"
#include "confenv.h"
#include "confusers.h"
#include "confvalue.h"
#include "log.h"
#include "logbuf.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
/* The value of type t that the key keeps at offset off of base. */
#define AT(t, off)	((t *)(void *)(base + (off)))

/* Signals corral acts on itself, so relaying them would fight the user. */
static const int own_signals[] = {
	SIGTERM, SIGINT, SIGQUIT, SIGCHLD, SIGKILL, SIGSTOP, SIGTSTP, SIGTTIN,
	SIGTTOU, SIGCONT,
};

/*
 * Parses u's value into the field at base + u->e->key->off (and off2).
 * Returns -1 with err set, for apply_entry() to report at the entry, or 0:
 * applied, or reported here already (a word list reports each bad word; out
 * of memory sets ld->oom).
 */
typedef int apply_fn(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX]);

static void *
xreallocarray(struct loader *ld, void *p, size_t n, size_t size)
{
	void *q = reallocarray(p, n, size);

	if (q == NULL)
		ld->oom = true;
	return q;
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

static int
apply_env(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	struct svc_conf *s = u->svc;
	char **words, **env;
	size_t n;

	(void)base;
	(void)err;
	if (conf_words(ld, u, &words, &n, "environment") == -1)
		return 0;
	env = xreallocarray(ld, s->env, s->nenv + n + 1, sizeof(*env));
	if (env == NULL) {
		free(words);
		return 0;
	}
	s->env = env;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(words[i], '=');

		if (eq == NULL || !valid_env_name(words[i],
		    (size_t)(eq - words[i]))) {
			conf_use_err(ld, u, "'%s' is not KEY=VALUE (KEY of "
			    "letters, digits and _, not starting with a digit)",
			    words[i]);
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
	return 0;
}

/* A list of services by name and by index, as after and requires keep. */
struct deps {
	char		***names;
	unsigned	**idx;
	size_t		*n;
};

/* Adds dep to list, unless it is there already. */
static void
add_dep(struct loader *ld, const struct deps *list,
    const struct svc_conf *dep)
{
	char **names;
	unsigned *idx;

	for (size_t i = 0; i < *list->n; i++)
		if ((*list->idx)[i] == dep->index)
			return;
	names = xreallocarray(ld, *list->names, *list->n + 2, sizeof(*names));
	if (names == NULL)
		return;
	*list->names = names;
	idx = xreallocarray(ld, *list->idx, *list->n + 2, sizeof(*idx));
	if (idx == NULL)
		return;
	*list->idx = idx;
	if ((names[*list->n] = strdup(dep->name)) == NULL) {
		ld->oom = true;
		return;
	}
	idx[(*list->n)++] = dep->index;
	names[*list->n] = NULL;
}

/*
 * Resolved here: every service is known once every file is read.  The NAME
 * of a section with instances means all of them, so `after` holds service
 * names, never a section's.  `requires` adds to after too (SPEC §14).
 */
static int
apply_names(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	struct svc_conf *s = u->svc;
	const struct deps after = { &s->after, &s->after_idx, &s->nafter };
	const struct deps requires = { &s->requires, &s->requires_idx,
	    &s->nrequires };
	bool req = u->e->key->type == KT_REQUIRES;
	char **words;
	size_t n;

	(void)base;
	(void)err;
	if (conf_words(ld, u, &words, &n, "list of service names") == -1)
		return 0;
	if (s->after_line == 0)
		s->after_line = u->e->line;
	for (size_t i = 0; i < n; i++) {
		bool found = false, self = false;

		for (size_t j = 0; j < ld->c->nservices; j++) {
			const struct svc_conf *dep = ld->c->services[j];

			if (!config_names(dep, words[i]))
				continue;
			found = true;
			if (dep == s)
				self = true;
			else {
				add_dep(ld, &after, dep);
				if (req)
					add_dep(ld, &requires, dep);
			}
		}
		if (!found)
			conf_use_err(ld, u, "no service named '%s'", words[i]);
		else if (self && strcmp(words[i], s->name) == 0)
			conf_use_err(ld, u, "a service cannot wait for itself");
		else if (self)
			conf_use_err(ld, u, "a service cannot wait for itself "
			    "('%s' means all its instances, %s too)", words[i],
			    s->name);
	}
	free(words);
	return 0;
}

/* Each bad address is reported on its own. */
static int
apply_listen(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	struct svc_conf *s = u->svc;
	struct listen_addr *v;
	char **words;
	size_t n;

	(void)base;
	if (conf_words(ld, u, &words, &n, "list of addresses") == -1)
		return 0;
	if ((v = xreallocarray(ld, s->listen, s->nlisten + n,
	    sizeof(*v))) == NULL) {
		free(words);
		return 0;
	}
	s->listen = v;
	for (size_t i = 0; i < n; i++) {
		if (listen_parse(words[i], &s->listen[s->nlisten], err) == -1)
			conf_use_err(ld, u, "%s", err);
		else
			s->nlisten++;
	}
	free(words);
	return 0;
}

/* A list of plain words, kept as they are. */
static int
apply_words(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	char ***list = AT(char **, u->e->key->off);
	size_t *count = AT(size_t, u->e->key->off2), n;
	char **words, **v;

	(void)err;
	if (conf_words(ld, u, &words, &n, "list of names") == -1)
		return 0;
	if ((v = xreallocarray(ld, *list, *count + n + 1, sizeof(*v))) == NULL) {
		free(words);
		return 0;
	}
	*list = v;
	for (size_t i = 0; i < n && !ld->oom; i++)
		if ((v[*count] = strdup(words[i])) == NULL)
			ld->oom = true;
		else
			(*count)++;
	v[*count] = NULL;
	free(words);
	return 0;
}

/*
 * Paths to watch: each must exist unless it starts with '-'.  A relative
 * path is taken from corral's working directory, as `directory` is.
 */
static int
apply_watch(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	struct svc_rare *r = (struct svc_rare *)(void *)base;
	char **words, **v;
	size_t n;

	(void)err;
	if (conf_words(ld, u, &words, &n, "list of paths") == -1)
		return 0;
	if ((v = xreallocarray(ld, r->watch, r->nwatch + n + 1,
	    sizeof(*v))) == NULL) {
		free(words);
		return 0;
	}
	r->watch = v;
	for (size_t i = 0; i < n && !ld->oom; i++) {
		bool optional = words[i][0] == '-';

		if (words[i][optional] == '\0')
			conf_use_err(ld, u, "'%s' is not a path", words[i]);
		else if (!optional && access(words[i], F_OK) == -1 &&
		    !(u->svc->disabled))
			conf_use_err(ld, u, "%s: %s (write -%s if it may appear "
			    "later)", words[i], strerror(errno), words[i]);
		else if ((v[r->nwatch] = strdup(words[i])) == NULL)
			ld->oom = true;
		else
			r->nwatch++;
	}
	v[r->nwatch] = NULL;
	free(words);
	return 0;
}

static int
apply_watch_action(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	struct svc_rare *r = (struct svc_rare *)(void *)base;

	(void)ld;
	if (strcasecmp(u->value, "restart") == 0)
		r->watch_action = WATCH_RESTART;
	else if (strcasecmp(u->value, "reload") == 0)
		r->watch_action = WATCH_RELOAD;
	else if (strncasecmp(u->value, "signal:", 7) == 0) {
		/* parse_signal() quotes the signal in its reason. */
		if (parse_signal(u->value + 7, &r->watch_signal, err) == -1)
			return -1;
		r->watch_action = WATCH_SIGNAL;
	} else {
		snprintf(err, VALUE_ERR_MAX, "'%s' is not a watch action "
		    "(restart, signal:SIG or reload)", u->value);
		return -1;
	}
	return 0;
}

static int
apply_owner(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	(void)ld;
	(void)base;
	return lookup_owner(u->svc, u->value, err);
}

static int
apply_type(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	(void)ld;
	if (strcasecmp(u->value, "simple") == 0)
		*AT(enum svc_type, u->e->key->off) = TYPE_SIMPLE;
	else if (strcasecmp(u->value, "oneshot") == 0)
		*AT(enum svc_type, u->e->key->off) = TYPE_ONESHOT;
	else {
		snprintf(err, VALUE_ERR_MAX, "'%s' is not a service type "
		    "(simple, oneshot)", u->value);
		return -1;
	}
	return 0;
}

/* Each bad signal is reported on its own; err is only scratch here. */
static int
apply_sigset(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	uint64_t *set = AT(uint64_t, u->e->key->off);
	char **words;
	size_t n;
	uint64_t v = 0;

	if (strcasecmp(u->value, "none") == 0) {
		*set = 0;
		return 0;
	}
	if (conf_words(ld, u, &words, &n, "list of signals (or 'none')") == -1)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int sig;
		bool own = false;

		if (parse_signal(words[i], &sig, err) == -1) {
			conf_use_err(ld, u, "%s", err);
			continue;
		}
		for (size_t j = 0; j < NELEM(own_signals); j++)
			own |= own_signals[j] == sig;
		if (own) {
			conf_use_err(ld, u, "%s cannot be forwarded: corral "
			    "handles it itself (see corral(8), SIGNALS)",
			    words[i]);
			continue;
		}
		v |= UINT64_C(1) << (sig - 1);
	}
	free(words);
	*set = v;
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
apply_limit(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	struct limit *l = AT(struct limit, u->e->key->off);
	const char *v = u->value;
	char soft[64];
	const char *colon = strchr(v, ':');

	(void)ld;
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

/* One word of `output`: its bit, and for file: its path added to o. */
static int
output_word(struct loader *ld, struct output_set *o, const char *w,
    char err[VALUE_ERR_MAX])
{
	static const struct { const char *name; unsigned bit; } sinks[] = {
		{ "inherit", OUT_INHERIT }, { "null", OUT_NULL },
		{ "prefix", OUT_PREFIX }, { "journal", OUT_JOURNAL },
	};
	char **v;

	for (size_t i = 0; i < NELEM(sinks); i++)
		if (strcasecmp(w, sinks[i].name) == 0) {
			if (o->sinks & sinks[i].bit) {
				snprintf(err, VALUE_ERR_MAX, "'%s' is given "
				    "twice", w);
				return -1;
			}
			o->sinks |= sinks[i].bit;
			return 0;
		}
	if (strncmp(w, "file:", 5) != 0 || w[5] != '/') {
		snprintf(err, VALUE_ERR_MAX, "'%s' is not an output sink "
		    "(inherit, null, prefix, journal or file:/ABSOLUTE/PATH)",
		    w);
		return -1;
	}
	for (size_t i = 0; i < o->nfiles; i++)
		if (strcmp(o->files[i], w + 5) == 0) {
			snprintf(err, VALUE_ERR_MAX, "'%s' is given twice", w);
			return -1;
		}
	if ((v = xreallocarray(ld, o->files, o->nfiles + 1,
	    sizeof(*v))) == NULL)
		return 0;
	o->files = v;
	if ((v[o->nfiles] = strdup(w + 5)) == NULL) {
		ld->oom = true;
		return 0;
	}
	o->nfiles++;
	o->sinks |= OUT_FILE;
	return 0;
}

/* `output = SINK...`: inherit and null stand alone (SPEC §16). */
static int
apply_output(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	struct output_set *o = AT(struct output_set, u->e->key->off);
	unsigned alone;
	bool bad = false;
	char **words;
	size_t n;

	if (conf_words(ld, u, &words, &n, "list of output sinks") == -1)
		return 0;
	o->sinks = 0;
	for (size_t i = 0; i < n; i++)
		if (output_word(ld, o, words[i], err) == -1) {
			conf_use_err(ld, u, "%s", err);
			bad = true;
		}
	free(words);
	alone = o->sinks & (OUT_INHERIT | OUT_NULL);
	if (n == 0 || (bad && o->sinks == 0))
		o->sinks = OUT_INHERIT;
	else if (!bad && alone != 0 && o->sinks != alone) {
		snprintf(err, VALUE_ERR_MAX, "'%s': inherit and null stand "
		    "alone (combine prefix, journal and file:PATH)", u->value);
		return -1;
	}
	return 0;
}

static int
apply_log_format(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	(void)ld;
	if (strcasecmp(u->value, "text") == 0)
		*AT(enum log_format, u->e->key->off) = LOG_FORMAT_TEXT;
	else if (strcasecmp(u->value, "json") == 0)
		*AT(enum log_format, u->e->key->off) = LOG_FORMAT_JSON;
	else {
		snprintf(err, VALUE_ERR_MAX, "'%s' is not a log format (text "
		    "or json)", u->value);
		return -1;
	}
	return 0;
}

static int
apply_duration(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	(void)ld;
	return parse_duration(u->value, u->e->key->type == KT_DURATION_INF,
	    AT(double, u->e->key->off), err);
}

static int
apply_signal(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	(void)ld;
	return parse_signal(u->value, AT(int, u->e->key->off), err);
}

static int
apply_bool(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	(void)ld;
	return parse_bool(u->value, AT(bool, u->e->key->off), err);
}

static int
apply_uint(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	unsigned long v;

	(void)ld;
	if (parse_uint(u->value, 0, 1000000, &v, err) == -1)
		return -1;
	*AT(unsigned, u->e->key->off) = (unsigned)v;
	return 0;
}

/*
 * A size.  output_buffer's is kept in corral's memory: it has a limit, and
 * a floor, since `output_buffer = 64` is more likely meant as 64K than as
 * room for not even one line.
 */
static int
apply_size(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	bool buffer = strcmp(u->e->key->name, "output_buffer") == 0;
	size_t *v = AT(size_t, u->e->key->off);

	(void)ld;
	if (parse_size(u->value, buffer ? LOGBUF_MAX : SIZE_MAX, v, err) == -1)
		return -1;
	if (buffer && *v > 0 && *v < LOGBUF_MIN) {
		snprintf(err, VALUE_ERR_MAX, "'%s' is under the least buffer "
		    "of 1K (0 turns it off; write %sK for kilobytes)", u->value,
		    u->value);
		return -1;
	}
	return 0;
}

/* A bad command is reported by set_words(). */
static int
apply_command(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	char **argv;
	size_t argc;

	(void)err;
	if (conf_words(ld, u, &argv, &argc, "command") == 0) {
		if ((*AT(char *, u->e->key->off) = strdup(u->value)) == NULL)
			ld->oom = true;
		*AT(char **, u->e->key->off2) = argv;
	}
	return 0;
}

/*
 * ready_check and health_check: a command, or a built-in probe parsed and
 * looked up now, so that the loop never waits on a name server.  A
 * disabled service's host is not looked up: it may exist only where the
 * service would run.
 */
static int
apply_check(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	struct svc_rare *r = (struct svc_rare *)(void *)base;
	bool ready = u->e->key->off == offsetof(struct svc_rare, ready_check);
	struct probe **pp = ready ? &r->ready_probe : &r->health_probe;
	struct probe *p;
	char why[PROBE_ERR_MAX];

	if (!probe_is_builtin(u->value))
		return apply_command(ld, u, base, err);
	if ((p = malloc(sizeof(*p))) == NULL) {
		ld->oom = true;
		return 0;
	}
	if (probe_parse(u->value, ready, p, why) == -1 ||
	    (!u->svc->disabled && probe_resolve(p, why) == -1)) {
		probe_free(p);
		free(p);
		snprintf(err, VALUE_ERR_MAX, "%s", why);
		return -1;
	}
	if ((*AT(char *, u->e->key->off) = strdup(u->value)) == NULL)
		ld->oom = true;
	*pp = p;
	return 0;
}

/* A service's directory may be relative (to corral's); corral's own not. */
static int
apply_path(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	if (u->svc != NULL || *u->value == '/' ||
	    strcmp(u->value, "none") == 0) {
		if ((*AT(char *, u->e->key->off) = strdup(u->value)) == NULL)
			ld->oom = true;
		return 0;
	}
	snprintf(err, VALUE_ERR_MAX, "'%s' is not an absolute path", u->value);
	return -1;
}

static int
apply_restart(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	static const char *const names[] = {
		[RESTART_NEVER] = "never",
		[RESTART_ON_FAILURE] = "on-failure",
		[RESTART_ALWAYS] = "always",
	};

	(void)ld;
	for (size_t i = 0; i < NELEM(names); i++)
		if (strcasecmp(u->value, names[i]) == 0) {
			*AT(enum restart_policy, u->e->key->off) = i;
			return 0;
		}
	snprintf(err, VALUE_ERR_MAX, "'%s' is not a restart policy "
	    "(never, on-failure, always)", u->value);
	return -1;
}

static int
apply_order(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	enum shutdown_order *order = AT(enum shutdown_order, u->e->key->off);

	(void)ld;
	if (strcasecmp(u->value, "parallel") == 0)
		*order = ORDER_PARALLEL;
	else if (strcasecmp(u->value, "sequential") == 0)
		*order = ORDER_SEQUENTIAL;
	else {
		snprintf(err, VALUE_ERR_MAX, "'%s' is not a shutdown "
		    "order (parallel, sequential)", u->value);
		return -1;
	}
	return 0;
}

static int
apply_exit_codes(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	(void)ld;
	return parse_exit_codes(u->value, AT(struct exit_set, u->e->key->off),
	    err);
}

static int
apply_log_level(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	int level = log_level_from_name(u->value);

	(void)ld;
	if (level < 0) {
		snprintf(err, VALUE_ERR_MAX, "'%s' is not a log level "
		    "(error, warn, info, debug)", u->value);
		return -1;
	}
	*AT(int, u->e->key->off) = level;
	return 0;
}

static int
apply_user(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	(void)ld;
	(void)base;
	return lookup_user(u->svc, u->value, err);
}

static int
apply_group(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	(void)base;
	if (u->svc == NULL)
		return lookup_control_group(ld->c, u->value, err);
	return lookup_group(u->svc, u->value, err);
}

static int
apply_umask(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	char *end;
	long v;

	(void)ld;
	errno = 0;
	v = strtol(u->value, &end, 8);
	if (*u->value < '0' || *u->value > '7' || errno != 0 ||
	    *end != '\0' || v > 0777) {
		snprintf(err, VALUE_ERR_MAX, "'%s' is not a umask (octal, "
		    "0 to 0777, e.g. 027)", u->value);
		return -1;
	}
	*AT(int, u->e->key->off) = (int)v;
	return 0;
}

/* Read before any service is made, by conffiles.c and confcompose.c. */
static int
apply_nothing(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	(void)ld;
	(void)u;
	(void)base;
	(void)err;
	return 0;
}

static int
apply_env_file(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	(void)base;
	(void)err;
	conf_env_file(ld, u);
	return 0;
}

static int
apply_condition(struct loader *ld, const struct use *u, char *base,
    char err[VALUE_ERR_MAX])
{
	(void)base;
	(void)err;
	conf_condition(ld, u);
	return 0;
}

static apply_fn *const appliers[KT__COUNT] = {
	[KT_DURATION] = apply_duration,
	[KT_DURATION_INF] = apply_duration,
	[KT_SIGNAL] = apply_signal,
	[KT_BOOL] = apply_bool,
	[KT_UINT] = apply_uint,
	[KT_COMMAND] = apply_command,
	[KT_PATH] = apply_path,
	[KT_ENV] = apply_env,
	[KT_NAMES] = apply_names,
	[KT_RESTART] = apply_restart,
	[KT_ORDER] = apply_order,
	[KT_EXIT_CODES] = apply_exit_codes,
	[KT_SIGSET] = apply_sigset,
	[KT_LOG_LEVEL] = apply_log_level,
	[KT_USER] = apply_user,
	[KT_GROUP] = apply_group,
	[KT_UMASK] = apply_umask,
	[KT_LIMIT] = apply_limit,
	[KT_OUTPUT] = apply_output,
	[KT_PATTERNS] = apply_nothing,
	[KT_ENV_FILE] = apply_env_file,
	[KT_CONDITION] = apply_condition,
	[KT_INSTANCES] = apply_nothing,
	[KT_TYPE] = apply_type,
	[KT_REQUIRES] = apply_names,
	[KT_LISTEN] = apply_listen,
	[KT_WORDS] = apply_words,
	[KT_OWNER] = apply_owner,
	[KT_WATCH] = apply_watch,
	[KT_WATCH_ACTION] = apply_watch_action,
	[KT_CHECK] = apply_check,
	[KT_SIZE] = apply_size,
	[KT_LOG_FORMAT] = apply_log_format,
};

/*
 * The order in which a service's keys are applied, whatever their order in
 * the file: its conditions first (a disabled service is checked more
 * leniently), then its user and group (env_file is opened with them), then
 * env_file (whose variables `environment` then overrides), then the rest.
 */
static int
phase_of(enum key_type t)
{
	switch (t) {
	case KT_CONDITION:
	case KT_INSTANCES:
		return 0;
	case KT_USER:
	case KT_GROUP:
		return 1;
	case KT_ENV_FILE:
		return 2;
	default:
		return 3;
	}
}
#define NPHASES	4

static void
apply_entry(struct loader *ld, const struct entry *e, struct svc_conf *svc,
    bool first)
{
	struct use u = { .svc = svc };
	char *base, err[VALUE_ERR_MAX], loc[128];

	if (*e->value == '\0') {
		conf_where(e, loc, sizeof(loc));
		err_at(ld, e->sect->file, e->line, "%s: no value given", loc);
		return;
	}
	if (conf_expand(ld, e, first, &u) == -1)
		return;
	if (e->sect->kind == SECT_CORRAL)
		base = (char *)ld->c;
	else if (!e->key->rare)
		base = (char *)svc;
	else if ((base = (char *)rare_own(svc)) == NULL) {
		ld->oom = true;
		goto out;
	}
	if (appliers[e->key->type](ld, &u, base, err) == -1)
		conf_use_err(ld, &u, "%s", err);
out:
	free(u.value);
}

/*
 * A second line of a key that is not repeatable is reported and dropped,
 * once for all the instances of its section.  A section's entries are
 * next to each other.
 */
static void
drop_repeated(struct loader *ld)
{
	for (size_t i = 0; i < ld->nentries; i++) {
		struct entry *e = &ld->entries[i];
		const struct entry *first = NULL;
		char loc[128];

		if (e->key == NULL || e->key->repeatable)
			continue;
		for (size_t j = i; j-- > 0 && ld->entries[j].sect == e->sect;)
			if (ld->entries[j].key == e->key)
				first = &ld->entries[j];
		if (first == NULL)
			continue;
		conf_where(e, loc, sizeof(loc));
		err_at(ld, e->sect->file, e->line, "%s: set twice (first at "
		    "line %d; keep one)", loc, first->line);
		e->key = NULL;
	}
}

void
conf_apply_corral(struct loader *ld)
{
	drop_repeated(ld);
	ld->instance = -1;
	for (size_t i = 0; i < ld->nentries; i++) {
		const struct entry *e = &ld->entries[i];

		if (e->key != NULL && e->sect->kind == SECT_CORRAL &&
		    e->key->type != KT_PATTERNS)
			apply_entry(ld, e, NULL, true);
	}
}

void
conf_apply_services(struct loader *ld)
{
	/* Again: the included files were read since conf_apply_corral(). */
	drop_repeated(ld);
	for (size_t i = 0; i < ld->nsects; i++) {
		const struct section *sec = ld->sects[i];

		for (unsigned k = 0; k < sec->nsvcs; k++) {
			ld->instance = sec->svcs[k]->instance;
			for (int phase = 0; phase < NPHASES; phase++)
				for (size_t j = 0; j < sec->nentries; j++) {
					const struct entry *e =
					    &ld->entries[sec->first + j];

					if (e->key != NULL &&
					    phase_of(e->key->type) == phase)
						apply_entry(ld, e, sec->svcs[k],
						    k == 0);
				}
		}
	}
	ld->instance = -1;
}
