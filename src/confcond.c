/*
 * Conditions of services: `env:VAR`, `!env:VAR`, `path:PATH`, `!path:PATH`.
 * env:VAR holds when VAR is set to something other than "", 0, no, false
 * or off (any case), the values a Compose file or a Helm chart uses to say
 * "off"; path:PATH when PATH exists, symbolic links followed.  Why one held
 * or failed is kept as text, for `corralctl status` and `corral -t -v`; a
 * variable's value is never in it unless it is one of the "off" words, so
 * a condition on a secret does not print the secret.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "confcond.h"

#define WHY_MAX		(PATH_MAX_SHOWN + 64)
#define PATH_MAX_SHOWN	160

static bool
valid_name(const char *s)
{
	if (*s == '\0' || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s != '\0'; s++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789_", *s) == NULL)
			return false;
	return true;
}

static bool
env_holds(const char *name, char why[WHY_MAX])
{
	static const char *const off[] = { "0", "no", "false", "off" };
	const char *v = getenv(name);

	if (v == NULL) {
		snprintf(why, WHY_MAX, "%s is not set", name);
		return false;
	}
	if (*v == '\0') {
		snprintf(why, WHY_MAX, "%s is empty", name);
		return false;
	}
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++)
		if (strcasecmp(v, off[i]) == 0) {
			snprintf(why, WHY_MAX, "%s is '%s'", name, v);
			return false;
		}
	snprintf(why, WHY_MAX, "%s is set", name);
	return true;
}

static bool
path_holds(const char *path, char why[WHY_MAX])
{
	if (faccessat(AT_FDCWD, path, F_OK, AT_EACCESS) == 0) {
		snprintf(why, WHY_MAX, "%.*s exists", PATH_MAX_SHOWN, path);
		return true;
	}
	if (errno == ENOENT || errno == ENOTDIR)
		snprintf(why, WHY_MAX, "%.*s does not exist", PATH_MAX_SHOWN,
		    path);
	else
		snprintf(why, WHY_MAX, "%.*s cannot be checked: %s",
		    PATH_MAX_SHOWN, path, strerror(errno));
	return false;
}

/*
 * Evaluates word into *holds, with why; -1 when word is not a condition
 * (reported).
 */
static int
evaluate(struct loader *ld, const struct use *u, const char *word,
    bool *holds, char why[WHY_MAX])
{
	bool negate = word[0] == '!';
	const char *p = word + negate;

	if (strncmp(p, "env:", 4) == 0 && valid_name(p + 4))
		*holds = env_holds(p + 4, why);
	else if (strncmp(p, "env:", 4) == 0) {
		conf_use_err(ld, u, "'%s': '%s' is not a variable name "
		    "(letters, digits and _, not starting with a digit)", word,
		    p + 4);
		return -1;
	} else if (strncmp(p, "path:", 5) == 0 && p[5] == '/')
		*holds = path_holds(p + 5, why);
	else if (strncmp(p, "path:", 5) == 0) {
		conf_use_err(ld, u, "'%s': a path condition needs an absolute "
		    "path (path:/PATH)", word);
		return -1;
	} else {
		conf_use_err(ld, u, "'%s' is not a condition (env:VAR, !env:VAR, "
		    "path:/PATH or !path:/PATH)", word);
		return -1;
	}
	*holds ^= negate;
	return 0;
}

/* Adds "word (why)" to what decided for s: -1 when out of memory. */
static int
add_decided(struct svc_conf *s, const char *word, const char *why, bool only)
{
	char *d;

	if (asprintf(&d, "%s%s%s (%s)", !only && s->decided != NULL ?
	    s->decided : "", !only && s->decided != NULL ? ", " : "", word,
	    why) == -1)
		return -1;
	free(s->decided);
	s->decided = d;
	return 0;
}

void
conf_condition(struct loader *ld, const struct use *u)
{
	struct svc_conf *s = u->svc;
	char **words, **all, why[WHY_MAX];
	size_t n;

	if (conf_words(ld, u, &words, &n, "condition") == -1)
		return;
	all = reallocarray(s->condition, s->ncondition + n + 1, sizeof(*all));
	if (all == NULL) {
		ld->oom = true;
		free(words);
		return;
	}
	s->condition = all;
	for (size_t i = 0; i < n && !ld->oom; i++) {
		bool holds;

		if (evaluate(ld, u, words[i], &holds, why) == -1)
			continue;
		if ((s->condition[s->ncondition] = strdup(words[i])) == NULL) {
			ld->oom = true;
			break;
		}
		s->ncondition++;
		/* The first failure decides alone; until then, all that held. */
		if (s->disabled)
			continue;
		if (!holds)
			s->disabled = true;
		if (add_decided(s, words[i], why, !holds) == -1)
			ld->oom = true;
	}
	s->condition[s->ncondition] = NULL;
	free(words);
}
