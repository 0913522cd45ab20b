/*
 * The ${VAR} expander on arbitrary values, in every mode, and its promise
 * checked on every input: a variable that holds the input's first line,
 * expanded inside a word, comes out of split_words() as that word.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expand.h"
#include "values.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *held;	/* what X holds: the input's first line */

static int
lookup(void *arg, const char *name, const char **value,
    char err[EXPAND_ERR_MAX])
{
	(void)arg;
	if (strcmp(name, "X") == 0) {
		*value = held;
		return 0;
	}
	if (strcmp(name, "E") == 0) {
		*value = "";
		return 0;
	}
	if (strcmp(name, "R") != 0)
		return 1;
	strcpy(err, "R is refused");
	return -1;
}

static void
warn(void *arg, const char *name)
{
	(void)arg;
	if (name[0] == '\0')
		abort();
}

/* "a${X}b" in mode is one word, a + X + b. */
static void
check_literal(const struct expand_env *env, const char *tmpl,
    const char *pre, const char *post)
{
	char err[EXPAND_ERR_MAX], *out, **argv, *want;
	size_t argc, n = strlen(pre) + strlen(held) + strlen(post) + 1;

	if (expand(tmpl, EXPAND_WORDS, env, &out, err) != 1)
		abort();
	if (split_words(out, &argv, &argc, err) != 0 || argc != 1)
		abort();
	if ((want = malloc(n)) == NULL)
		abort();
	strcpy(want, pre);
	strcat(want, held);
	strcat(want, post);
	if (strcmp(argv[0], want) != 0)
		abort();
	free(want);
	free(argv);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct expand_env env = { lookup, warn, NULL };
	char err[EXPAND_ERR_MAX], *s = malloc(size + 1), *out, *nl;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (int mode = EXPAND_TEXT; mode <= EXPAND_PATTERNS; mode++) {
		held = "held";
		err[0] = '\0';
		if (expand(s, (enum expand_mode)mode, &env, &out, err) != -1)
			free(out);
		else if (out != NULL || err[0] == '\0')
			abort();
	}
	if ((nl = strchr(s, '\n')) != NULL)
		*nl = '\0';
	held = s;
	check_literal(&env, "a${X}b", "a", "b");
	check_literal(&env, "\"a ${X} b\"", "a ", " b");
	free(s);
	return 0;
}
