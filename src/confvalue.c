/*
 * A value of the config in use: expanded (${VAR}, SPEC §13), split into
 * words, and its problems reported at its entry's file and line, naming
 * its section and key and, when expansion changed it, the value as
 * written.  For every file of the loader that applies or reads values.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "confdiag.h"
#include "confvalue.h"
#include "expand.h"

/*
 * How a value of each type is expanded: in a value that is split into
 * words, a substitution stays inside its word.  The rest are EXPAND_TEXT.
 */
static const enum expand_mode expand_modes[KT__COUNT] = {
	[KT_COMMAND] = EXPAND_WORDS,
	[KT_ENV] = EXPAND_WORDS,
	[KT_NAMES] = EXPAND_WORDS,
	[KT_REQUIRES] = EXPAND_WORDS,
	[KT_LISTEN] = EXPAND_WORDS,
	[KT_WORDS] = EXPAND_WORDS,
	[KT_WATCH] = EXPAND_WORDS,
	[KT_SIGSET] = EXPAND_WORDS,
	[KT_ENV_FILE] = EXPAND_WORDS,
	[KT_CONDITION] = EXPAND_WORDS,
	[KT_PATTERNS] = EXPAND_PATTERNS,
};

/* "[service:NAME] key": the section as written, for every instance. */
void
conf_where(const struct entry *e, char *buf, size_t len)
{
	if (e->sect->kind == SECT_CORRAL)
		snprintf(buf, len, "[corral] %s", e->key->name);
	else
		snprintf(buf, len, "[service:%s] %s", e->sect->name,
		    e->key->name);
}

void
conf_use_err(struct loader *ld, const struct use *u, const char *fmt, ...)
{
	char loc[128], *msg;
	va_list ap;

	conf_where(u->e, loc, sizeof(loc));
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	if (u->raw != NULL)
		err_at(ld, u->e->sect->file, u->e->line, "%s: %s (expanded from "
		    "'%s')", loc, msg != NULL ? msg : "out of memory", u->raw);
	else
		err_at(ld, u->e->sect->file, u->e->line, "%s: %s", loc,
		    msg != NULL ? msg : "out of memory");
	free(msg);
}

int
conf_words(struct loader *ld, const struct use *u, char ***argvp,
    size_t *argcp, const char *what)
{
	char err[VALUE_ERR_MAX];

	if (split_words(u->value, argvp, argcp, err) == -1) {
		if (u->e->comment_cut && strstr(err, "unbalanced") != NULL)
			conf_use_err(ld, u, "%s: a ';' after a blank starts a "
			    "comment in corral.conf and cut the line there; "
			    "remove the blank before ';' (e.g. 'a; b')", err);
		else
			conf_use_err(ld, u, "%s", err);
		return -1;
	}
	if (*argcp == 0 || (**argvp)[0] == '\0') {
		conf_use_err(ld, u, "empty %s", what);
		free(*argvp);
		*argvp = NULL;
		return -1;
	}
	return 0;
}

/* What the expansion of one value is about, for its callbacks. */
struct expanding {
	struct loader	*ld;
	const struct entry *e;
	bool		 warn;
	char		 instance[16];
};

static int
lookup_var(void *arg, const char *name, const char **value,
    char err[EXPAND_ERR_MAX])
{
	struct expanding *x = arg;

	if (strcmp(name, "CORRAL_INSTANCE") == 0) {
		if (x->ld->instance < 0) {
			snprintf(err, EXPAND_ERR_MAX, "${CORRAL_INSTANCE} is "
			    "only set in a section that sets 'instances'");
			return -1;
		}
		*value = x->instance;
		return 0;
	}
	*value = getenv(name);
	if (*value == NULL || **value == '\0')
		x->ld->missing = true;
	return *value == NULL ? 1 : 0;
}

static void
warn_var(void *arg, const char *name)
{
	struct expanding *x = arg;
	char loc[128];

	if (!x->warn)
		return;
	conf_where(x->e, loc, sizeof(loc));
	warn_at(x->ld, x->e->sect->file, x->e->line, "%s: '$%s' is not "
	    "expanded (did you mean ${%s}?)", loc, name, name);
}

int
conf_expand(struct loader *ld, const struct entry *e, bool warn,
    struct use *u)
{
	struct expanding x = { ld, e, warn, "" };
	const struct expand_env env = { lookup_var, warn_var, &x };
	char err[EXPAND_ERR_MAX], loc[128];
	int r;

	snprintf(x.instance, sizeof(x.instance), "%d", ld->instance);
	u->e = e;
	u->raw = NULL;
	ld->missing = false;
	r = expand(e->value, expand_modes[e->key->type], &env, &u->value, err);
	if (r == 1)
		u->raw = e->value;
	if (r != -1)
		return 0;
	/* A disabled service may well use what only an enabled one has. */
	if (u->svc != NULL && u->svc->disabled && ld->missing)
		return -1;
	conf_where(e, loc, sizeof(loc));
	if (strcmp(err, "out of memory") == 0)
		ld->oom = true;
	else
		err_at(ld, e->sect->file, e->line, "%s: %s", loc, err);
	return -1;
}

