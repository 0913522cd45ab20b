/*
 * Services from sections (SPEC §13): a section is one service, or, with
 * `instances = N`, the N services NAME.0 ... NAME.N-1.
 */
#ifndef CORRAL_CONFCOMPOSE_H
#define CORRAL_CONFCOMPOSE_H

#include "confload.h"

/*
 * Makes the services of every section of every file read, in order, into
 * ld->c and each section's svcs.  A name used twice, across files too, is
 * an error that names both places; such a section gets no service.
 */
void	conf_compose(struct loader *ld);

#endif
