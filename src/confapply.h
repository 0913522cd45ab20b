/*
 * Applying the entries of the files that have been read: each value
 * expanded and parsed by its key's type into the config, every bad value
 * reported at its file and line.
 */
#ifndef CORRAL_CONFAPPLY_H
#define CORRAL_CONFAPPLY_H

#include "confload.h"

/*
 * Drops (and reports) every second line of a key that is not repeatable,
 * then applies the [corral] entries, except `include` (conffiles.c's).
 */
void	conf_apply_corral(struct loader *ld);

/*
 * Applies each service section's entries to each of its services
 * (confcompose.c made them), conditions first, then user and group, then
 * env_file, then the rest in file order.  Problems go to ld->d.
 */
void	conf_apply_services(struct loader *ld);

#endif
