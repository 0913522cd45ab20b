/*
 * The services corral runs: those of the current config, in its order,
 * which the plan indexes, then those a reload removed that are still on
 * their way down.  supervisor.c owns the one instance and alone changes
 * it; shutdown.c and requests.c read it.
 */
#ifndef CORRAL_SVSET_H
#define CORRAL_SVSET_H

#include <stddef.h>
#include <string.h>

#include "config.h"
#include "plan.h"
#include "service.h"

struct svset {
	struct config	*conf;
	struct plan	 plan;
	struct service	**svcs;		/* conf->services[i] runs as svcs[i] */
	size_t		 n;
	struct service	**retired;	/* each owns its svc_conf */
	size_t		 nretired;
};

/* Every service, the retired ones included: i < svset_count(set). */
static inline size_t
svset_count(const struct svset *set)
{
	return set->n + set->nretired;
}

static inline struct service *
svset_at(const struct svset *set, size_t i)
{
	return i < set->n ? set->svcs[i] : set->retired[i - set->n];
}

/* How many services of the current config run: derived, never counted along. */
static inline size_t
svset_running(const struct svset *set)
{
	size_t n = 0;

	for (size_t i = 0; i < set->n; i++)
		n += set->svcs[i]->state == SS_RUNNING;
	return n;
}

/* How many services of the current config its conditions do not disable. */
static inline size_t
svset_enabled(const struct svset *set)
{
	size_t n = 0;

	for (size_t i = 0; i < set->n; i++)
		n += !set->svcs[i]->conf->disabled;
	return n;
}

/* A service of the current config by name; NULL if none. */
static inline struct service *
svset_find(const struct svset *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->svcs[i]->conf->name, name) == 0)
			return set->svcs[i];
	return NULL;
}

#endif
