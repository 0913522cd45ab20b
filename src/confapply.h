/*
 * Applying the entries of a file that has been read: each value parsed by
 * its key's type into the config, every bad value reported at its line.
 */
#ifndef CORRAL_CONFAPPLY_H
#define CORRAL_CONFAPPLY_H

#include "confload.h"

/*
 * Applies ld->entries in file order into ld->c; a key set twice (unless
 * repeatable) is an error at the second.  Problems go to ld->d.
 */
void	conf_apply_entries(struct loader *ld);

#endif
