/*
 * The key table of corral.conf(5), for the files of the loader: each row
 * names a key, its section, its value type and where the value is kept.
 */
#ifndef CORRAL_CONFKEYS_H
#define CORRAL_CONFKEYS_H

#include <stddef.h>

#include "confload.h"

extern const struct key conf_keys[];
extern const size_t conf_nkeys;

/* The key name of section sect; NULL when there is none. */
const struct key *conf_find_key(enum sect_kind sect, const char *name);

/*
 * The key of section sect nearest to name by edit distance, which goes to
 * *dist (SIZE_MAX when no key is comparable); NULL when sect has no key.
 */
const struct key *conf_nearest_key(enum sect_kind sect, const char *name,
	    size_t *dist);

#endif
