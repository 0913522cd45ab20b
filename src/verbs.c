/*
 * The table behind verbs.h, made from its lists.
 */
#include <string.h>

#include "verbs.h"

#define AS_VERB_ROW(e, n, min, max, opts)				\
	[VERB_##e] = { VERB_##e, n, min, max, opts },
#define AS_VOPT_WORD(e, word, valued) [VOPT_##e##_BIT] = word,

const struct verb verbs[VERB__COUNT] = { CTL_VERBS(AS_VERB_ROW) };
const char *const verb_option_words[VOPT__COUNT] = {
	VERB_OPTIONS(AS_VOPT_WORD)
};

const struct verb *
verb_find(const char *name)
{
	for (size_t i = 0; i < VERB__COUNT; i++)
		if (strcmp(name, verbs[i].name) == 0)
			return &verbs[i];
	return NULL;
}

unsigned
verb_option(const char *word)
{
	for (size_t i = 0; i < VOPT__COUNT; i++)
		if (strcmp(word, verb_option_words[i]) == 0)
			return 1u << i;
	return 0;
}

bool
verb_args_ok(const struct verb *v, size_t nargs)
{
	return nargs >= v->min_args && nargs <= v->max_args;
}
