/*
 * The supervisor owns the set of services corral runs and ties together
 * what acts on them: lifecycle.c carries out each service's machine,
 * health.c judges readiness and health, shutdown.c ends the run, and
 * reaper.c's reaped children are routed from here to whichever owns them.
 *
 * There is one supervisor per process, driven by the loop main.c makes.
 */
#ifndef CORRAL_SUPERVISOR_H
#define CORRAL_SUPERVISOR_H

#include <ev.h>
#include <stdbool.h>

#include "config.h"
#include "plan.h"
#include "svset.h"

/* Takes ownership of conf.  Returns 0, or -1 (logged) when out of memory. */
int	supervisor_init(struct ev_loop *loop, struct config *conf);

/* Starts every autostart service whose dependencies allow it. */
void	supervisor_start(void);

/*
 * Starts every idle service that wants to run and whose dependencies are
 * up, and every service stopped or failed for what it requires once that
 * is up again; fails those whose requirement failed or is disabled.
 */
void	supervisor_start_dependents(void);

/*
 * Stops s (SE_STOP), once the services that require it are down: they
 * are stopped first, with reason dependency, and start again once s is
 * up (SPEC §14).  The caller has set s's reason and want_up.
 */
void	supervisor_stop(struct service *s);

/*
 * The name of a service s requires that is failed (*disabled false) or
 * disabled (true); NULL when none is.
 */
const char *supervisor_unmet(const struct service *s, bool *disabled);

/* Relays sig to the process group of every service with a live process. */
void	supervisor_forward(int sig);

/* The exit status of corral once the loop has ended (SPEC §6). */
int	supervisor_exit_status(void);

/* Logs the final report: one line per service, then the summary. */
void	supervisor_report(void);

void	supervisor_free(void);

/* -v or -q set the log level; a reload must not change it. */
void	supervisor_fix_log_level(int level);

/* The services, to read; only the calls below change the set. */
const struct svset *supervisor_set(void);

/*
 * A reload, in two steps: every allocation first, so that nothing fails
 * once services are moved.  Room for `more` retired services; 0 or -1.
 */
int	supervisor_reserve_retired(size_t more);
/* s is not in the new config: it stops, and is freed once settled. */
void	supervisor_retire(struct service *s);
/*
 * The new config takes over, with svcs[i] running nc->services[i] and its
 * plan (both taken over); the old config is freed.
 */
void	supervisor_install(struct config *nc, struct service **svcs,
	    struct plan *plan);

/* Orphans of no service that corral reaped so far. */
unsigned long	supervisor_adopted(void);

#endif
