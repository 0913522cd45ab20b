/*
 * Applying a value by its key's type: the key table (confkeys.c) says where
 * a value goes, this file how to parse it.  Every problem is reported at
 * the entry's line with its section and key, and applying goes on, so that
 * one run shows every bad value.  Users and groups are looked up by
 * confusers.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "confapply.h"
#include "confdata.h"
#include "confdiag.h"
#include "confusers.h"
#include "log.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
/* The value of type t that the key keeps at offset off of base. */
#define AT(t, off)	((t *)(void *)(base + (off)))

/* Signals corral acts on itself, so relaying them would fight the user. */
static const int own_signals[] = {
	SIGTERM, SIGINT, SIGQUIT, SIGCHLD, SIGKILL, SIGSTOP, SIGTSTP, SIGTTIN,
	SIGTTOU, SIGCONT,
};

/*
 * Parses e's value into the field at base + e->key->off (and off2).
 * Returns -1 with err set, for apply_entry() to report at the entry, or 0:
 * applied, or reported here already (a word list reports each bad word; out
 * of memory sets ld->oom).
 */
typedef int apply_fn(struct loader *ld, const struct entry *e, char *base,
    char err[VALUE_ERR_MAX]);

static void *
xreallocarray(struct loader *ld, void *p, size_t n, size_t size)
{
	void *q = reallocarray(p, n, size);

	if (q == NULL)
		ld->oom = true;
	return q;
}

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

static int
apply_env(struct loader *ld, const struct entry *e, char *base,
    char err[VALUE_ERR_MAX])
{
	struct svc_conf *s = e->sect->svc;
	char **words, **env, loc[128];
	size_t n;

	(void)base;
	(void)err;
	if (set_words(ld, e, &words, &n, "environment") == -1)
		return 0;
	where(e, loc, sizeof(loc));
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
	return 0;
}

/* Resolved here: every section is known once the whole file is read. */
static int
apply_names(struct loader *ld, const struct entry *e, char *base,
    char err[VALUE_ERR_MAX])
{
	struct svc_conf *s = e->sect->svc;
	char **words, **after;
	unsigned *idx;
	size_t n;

	(void)base;
	(void)err;
	if (set_words(ld, e, &words, &n, "list of service names") == -1)
		return 0;
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
		return 0;
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
	return 0;
}

/* Each bad signal is reported on its own; err is only scratch here. */
static int
apply_sigset(struct loader *ld, const struct entry *e, char *base,
    char err[VALUE_ERR_MAX])
{
	uint64_t *set = AT(uint64_t, e->key->off);
	char **words, loc[128];
	size_t n;
	uint64_t v = 0;

	where(e, loc, sizeof(loc));
	if (strcasecmp(e->value, "none") == 0) {
		*set = 0;
		return 0;
	}
	if (set_words(ld, e, &words, &n, "list of signals (or 'none')") == -1)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int sig;
		bool own = false;

		if (parse_signal(words[i], &sig, err) == -1) {
			err_at(ld, e->line, "%s: %s", loc, err);
			continue;
		}
		for (size_t j = 0; j < NELEM(own_signals); j++)
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
apply_limit(struct loader *ld, const struct entry *e, char *base,
    char err[VALUE_ERR_MAX])
{
	struct limit *l = AT(struct limit, e->key->off);
	const char *v = e->value;
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

static int
apply_output(struct loader *ld, const struct entry *e, char *base,
    char err[VALUE_ERR_MAX])
{
	static const char *const modes[] = {
		[OUTPUT_INHERIT] = "inherit", [OUTPUT_PREFIX] = "prefix",
		[OUTPUT_NULL] = "null",
	};
	struct svc_conf *s = e->sect->svc;
	const char *v = e->value;

	(void)ld;
	(void)base;
	for (size_t i = 0; i < NELEM(modes); i++)
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

static int
apply_duration(struct loader *ld, const struct entry *e, char *base,
    char err[VALUE_ERR_MAX])
{
	(void)ld;
	return parse_duration(e->value, e->key->type == KT_DURATION_INF,
	    AT(double, e->key->off), err);
}

static int
apply_signal(struct loader *ld, const struct entry *e, char *base,
    char err[VALUE_ERR_MAX])
{
	(void)ld;
	return parse_signal(e->value, AT(int, e->key->off), err);
}

static int
apply_bool(struct loader *ld, const struct entry *e, char *base,
    char err[VALUE_ERR_MAX])
{
	(void)ld;
	return parse_bool(e->value, AT(bool, e->key->off), err);
}

static int
apply_uint(struct loader *ld, const struct entry *e, char *base,
    char err[VALUE_ERR_MAX])
{
	unsigned long v;

	(void)ld;
	if (parse_uint(e->value, 0, 1000000, &v, err) == -1)
		return -1;
	*AT(unsigned, e->key->off) = (unsigned)v;
	return 0;
}

/* A bad command is reported by set_words(). */
static int
apply_command(struct loader *ld, const struct entry *e, char *base,
    char err[VALUE_ERR_MAX])
{
	char **argv;
	size_t argc;

	(void)err;
	if (set_words(ld, e, &argv, &argc, "command") == 0) {
		if ((*AT(char *, e->key->off) = strdup(e->value)) == NULL)
			ld->oom = true;
		*AT(char **, e->key->off2) = argv;
	}
	return 0;
}

/* A service's directory may be relative (to corral's); corral's own not. */
static int
apply_path(struct loader *ld, const struct entry *e, char *base,
    char err[VALUE_ERR_MAX])
{
	if (e->sect->kind == SECT_SERVICE || *e->value == '/' ||
	    strcmp(e->value, "none") == 0) {
		if ((*AT(char *, e->key->off) = strdup(e->value)) == NULL)
			ld->oom = true;
		return 0;
	}
	snprintf(err, VALUE_ERR_MAX, "'%s' is not an absolute path", e->value);
	return -1;
}

static int
apply_restart(struct loader *ld, const struct entry *e, char *base,
    char err[VALUE_ERR_MAX])
{
	static const char *const names[] = {
		[RESTART_NEVER] = "never",
		[RESTART_ON_FAILURE] = "on-failure",
		[RESTART_ALWAYS] = "always",
	};

	(void)ld;
	for (size_t i = 0; i < NELEM(names); i++)
		if (strcasecmp(e->value, names[i]) == 0) {
			*AT(enum restart_policy, e->key->off) = i;
			return 0;
		}
	snprintf(err, VALUE_ERR_MAX, "'%s' is not a restart policy "
	    "(never, on-failure, always)", e->value);
	return -1;
}

static int
apply_order(struct loader *ld, const struct entry *e, char *base,
    char err[VALUE_ERR_MAX])
{
	enum shutdown_order *order = AT(enum shutdown_order, e->key->off);

	(void)ld;
	if (strcasecmp(e->value, "parallel") == 0)
		*order = ORDER_PARALLEL;
	else if (strcasecmp(e->value, "sequential") == 0)
		*order = ORDER_SEQUENTIAL;
	else {
		snprintf(err, VALUE_ERR_MAX, "'%s' is not a shutdown "
		    "order (parallel, sequential)", e->value);
		return -1;
	}
	return 0;
}

static int
apply_exit_codes(struct loader *ld, const struct entry *e, char *base,
    char err[VALUE_ERR_MAX])
{
	(void)ld;
	return parse_exit_codes(e->value, AT(struct exit_set, e->key->off),
	    err);
}

static int
apply_log_level(struct loader *ld, const struct entry *e, char *base,
    char err[VALUE_ERR_MAX])
{
	int level = log_level_from_name(e->value);

	(void)ld;
	if (level < 0) {
		snprintf(err, VALUE_ERR_MAX, "'%s' is not a log level "
		    "(error, warn, info, debug)", e->value);
		return -1;
	}
	*AT(int, e->key->off) = level;
	return 0;
}

static int
apply_user(struct loader *ld, const struct entry *e, char *base,
    char err[VALUE_ERR_MAX])
{
	(void)ld;
	(void)base;
	return lookup_user(e->sect->svc, e->value, err);
}

static int
apply_group(struct loader *ld, const struct entry *e, char *base,
    char err[VALUE_ERR_MAX])
{
	(void)base;
	if (e->sect->kind == SECT_CORRAL)
		return lookup_control_group(ld->c, e->value, err);
	return lookup_group(e->sect->svc, e->value, err);
}

static int
apply_umask(struct loader *ld, const struct entry *e, char *base,
    char err[VALUE_ERR_MAX])
{
	char *end;
	long v;

	(void)ld;
	errno = 0;
	v = strtol(e->value, &end, 8);
	if (*e->value < '0' || *e->value > '7' || errno != 0 ||
	    *end != '\0' || v > 0777) {
		snprintf(err, VALUE_ERR_MAX, "'%s' is not a umask (octal, "
		    "0 to 0777, e.g. 027)", e->value);
		return -1;
	}
	*AT(int, e->key->off) = (int)v;
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
};

static void
apply_entry(struct loader *ld, const struct entry *e)
{
	char *base, err[VALUE_ERR_MAX], loc[128];

	where(e, loc, sizeof(loc));
	if (*e->value == '\0') {
		err_at(ld, e->line, "%s: no value given", loc);
		return;
	}
	if (e->sect->kind == SECT_CORRAL)
		base = (char *)ld->c;
	else if (!e->key->rare)
		base = (char *)e->sect->svc;
	else if ((base = (char *)rare_own(e->sect->svc)) == NULL) {
		ld->oom = true;
		return;
	}
	if (appliers[e->key->type](ld, e, base, err) == -1)
		err_at(ld, e->line, "%s: %s", loc, err);
}

void
conf_apply_entries(struct loader *ld)
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
