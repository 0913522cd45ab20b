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

/* Signals corral acts on itself, so relaying them would fight the user. */
static const int own_signals[] = {
	SIGTERM, SIGINT, SIGQUIT, SIGCHLD, SIGKILL, SIGSTOP, SIGTSTP, SIGTTIN,
	SIGTTOU, SIGCONT,
};

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
		r = lookup_user(e->sect->svc, e->value, err);
		break;
	case KT_GROUP:
		if (e->sect->kind == SECT_CORRAL)
			r = lookup_control_group(ld->c, e->value, err);
		else
			r = lookup_group(e->sect->svc, e->value, err);
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
