/*
 * The supervisor's state and the functions its files share; internal to
 * supervisor.c (the life cycle, reaping, shutdown) and requests.c (what
 * corralctl asks for, and reload).  Nothing else includes this header.
 */
#ifndef CORRAL_SUPERVISOR_IMPL_H
#define CORRAL_SUPERVISOR_IMPL_H

#include <ev.h>
#include <stdbool.h>

#include "config.h"
#include "pidmap.h"
#include "plan.h"
#include "service.h"

enum sv_phase { SV_RUNNING, SV_SHUTDOWN, SV_ORPHANS, SV_DONE };

struct supervisor {
	struct ev_loop	*loop;
	struct config	*conf;
	struct plan	 plan;
	struct service	**svcs;		/* in config order; plan indexes these */
	size_t		 n;
	/* Removed by a reload and still stopping; each owns its svc_conf. */
	struct service	**retired;
	size_t		 nretired;
	ev_prepare	 prepare_w;
	bool		 status_dirty;
	int		 log_level_fixed;	/* by -v or -q; -1: no */
	struct pidmap	 pids;

	enum sv_phase	 phase;
	bool		 hurried_by_signal;
	bool		 told_ignored;
	bool		 hurry;		/* second signal or deadline: no windows */
	ev_tstamp	 shutdown_at;
	ev_timer	 deadline_w;
	ev_timer	 orphan_w;
	bool		 orphan_kill;	/* orphan window over: SIGKILL new ones */

	size_t		 nrunning;
	bool		 ready_sent;	/* READY=1 to systemd */

	bool		 unclean;
	bool		 have_critical;
	int		 critical_status;
	size_t		 nlingering;
	unsigned long	 adopted;	/* orphans reaped */
	unsigned long	 orphans_signalled;
};


extern struct supervisor sv;

/* Feeds ev to s's state machine and carries out what it decides. */
void	sv_dispatch(struct service *s, enum svc_event ev);
/* Starts every idle service that wants to run and whose dependencies are up. */
void	sv_start_dependents(void);
void	sv_begin_shutdown(const char *why);
/* Signals s's process group (and its main process if it left the group). */
int	sv_signal_service(struct service *s, int sig);
struct service *sv_service_new(struct svc_conf *c);
/* Only for a settled service: nothing of it is in the loop any more. */
void	sv_service_free(struct service *s);
double	sv_mono_now(void);

/* requests.c: frees retired services that are down; between loop turns. */
void	sv_sweep_retired(void);

#endif
