/*
 * A value of the config in use: an entry applied to one service (or to
 * [corral]), its value expanded (${VAR}, SPEC §13) and split into words,
 * its problems reported at the entry's file and line.
 */
#ifndef CORRAL_CONFVALUE_H
#define CORRAL_CONFVALUE_H

#include <stdbool.h>
#include <stddef.h>

#include "confload.h"

struct use {
	const struct entry *e;
	struct svc_conf	*svc;		/* NULL: [corral] */
	char		*value;		/* expanded; whoever expanded frees it */
	const char	*raw;		/* e->value, when expansion changed it */
};

/* "[corral] key" or "[service:NAME] key", NAME as its section writes it. */
void	conf_where(const struct entry *e, char *buf, size_t len);

/*
 * Expands e's value for u->svc (NULL: [corral]) with ld->instance as
 * ${CORRAL_INSTANCE} (-1: none) into u.  Returns 0, or -1 when it cannot be
 * expanded: reported, unless u->svc is disabled and the value names a
 * variable that is unset (what an enabled service alone would need).  warn:
 * report each $NAME that is not expanded (once per section, not per
 * instance).
 */
int	conf_expand(struct loader *ld, const struct entry *e, bool warn,
	    struct use *u);

/* An error at u's entry, naming its section and key, and the raw value. */
void	conf_use_err(struct loader *ld, const struct use *u, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));

/* Splits u's value into words; -1 when it cannot (reported). */
int	conf_words(struct loader *ld, const struct use *u, char ***argvp,
	    size_t *argcp, const char *what);

#endif
