/*
 * ${VAR} in config values (SPEC §13): the expander.  Pure: no I/O, no
 * globals; names are looked up through a callback, so that the loader
 * decides what ${CORRAL_INSTANCE} is and tests need no environment.
 *
 * The forms are ${VAR}, ${VAR:-default}, ${VAR:?message} and $$.  Any
 * other '$' is a plain character, as in the first release, so that no
 * config that was valid then changes its meaning: a $NAME is only reported
 * to the warn callback.  Quotes are tracked as split_words() (values.c)
 * reads them, in every mode: nothing inside single quotes is expanded or
 * rewritten, and a character after a backslash outside single quotes is
 * copied as it is, so `\$` and `\${X}` stay for split_words to unescape.
 *
 * What a variable holds is taken literally: never expanded again, never
 * split into words, and its quotes are plain characters.  In a value that
 * is split into words afterwards, the substitution is quoted for that: the
 * words come out with the variable's text where the ${...} stood.
 */
#ifndef CORRAL_EXPAND_H
#define CORRAL_EXPAND_H

#define EXPAND_ERR_MAX	256

enum expand_mode {
	EXPAND_TEXT,		/* used as is: substitutions go in verbatim */
	EXPAND_WORDS,		/* split_words() follows */
	EXPAND_PATTERNS,	/* split_words(), then glob(3) on each word */
};

/*
 * Looks name up: 0 with *value set (perhaps to ""), 1 when it is not set,
 * -1 when it may not be used here, with a whole reason in err.
 */
typedef int expand_lookup_fn(void *arg, const char *name, const char **value,
    char err[EXPAND_ERR_MAX]);

/* Told of each $NAME outside single quotes, which is not expanded. */
typedef void expand_warn_fn(void *arg, const char *name);

struct expand_env {
	expand_lookup_fn *lookup;
	expand_warn_fn	*warn;		/* may be NULL */
	void		*arg;
};

/*
 * Expands s into *out (malloc'd).  Returns 1 when something was replaced,
 * 0 when *out is a copy of s, or -1 with a whole phrase in err ("${PORT}
 * is not set (...)") and *out NULL; out of memory is -1 with "out of
 * memory".
 */
int	expand(const char *s, enum expand_mode mode,
	    const struct expand_env *env, char **out, char err[EXPAND_ERR_MAX]);

#endif
