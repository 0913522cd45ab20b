/*
 * `env_file` (SPEC §13): the files whose KEY=VALUE lines are added to a
 * service's environment, read at load and at every reload with the
 * service's credentials.
 */
#ifndef CORRAL_CONFENV_H
#define CORRAL_CONFENV_H

#include "confvalue.h"

/*
 * Applies one `env_file` line to u->svc: each path (relative to the file
 * that names it; a leading '-' makes a missing file fine) is read and its
 * variables appended to svc->env, before those of `environment`, which
 * comes later and so wins.  Problems of a file's lines are reported at
 * that file's line.
 */
void	conf_env_file(struct loader *ld, const struct use *u);

#endif
