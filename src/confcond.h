/*
 * `condition` (SPEC §13): whether this environment selects a service.  A
 * condition is checked when the file is read, at load and at every
 * reload, and the first one that does not hold disables the service.
 */
#ifndef CORRAL_CONFCOND_H
#define CORRAL_CONFCOND_H

#include "confvalue.h"

/*
 * Applies one `condition` line to u->svc: each word is checked and kept in
 * svc->condition; svc->decided says which conditions decided (the first
 * that failed, or all that held) and svc->disabled whether one failed.
 */
void	conf_condition(struct loader *ld, const struct use *u);

#endif
