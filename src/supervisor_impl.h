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
#include "output.h"
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

/*
 * Gives s a struct service_health if c has a check, notify or a watchdog
 * and s has none yet; -1 when out of memory.  sv_service_new() and a
 * reload call it in the steps that may still fail, so that a service has
 * the block whenever its settings need it.  It is kept until the service
 * is freed: a reload may take the need away while a check is still out.
 */
int	sv_prepare_health(struct service *s, const struct svc_conf *c);
/*
 * A reload changed the checks of s without needing a new process: they
 * start over under the new settings, with no results yet, so that a
 * removed check stops and an added one runs after its interval.
 */
void	sv_checks_changed(struct service *s);
/* A starting service whose readiness rule a reload removed is up now. */
void	sv_ready_if_no_rule(struct service *s);

/* children.c: the processes of a service. */

/* What a child of a service is: its main process, its hook, or a check. */
enum child_kind { CHILD_MAIN, CHILD_HOOK, CHILD_CHECK };

/*
 * Starts the main process, hook or check of s with `more` added to its
 * environment, its output attached.  Returns the pid, or -1 with errno set
 * and the failure logged; *status_fd is the exec-status pipe (spawn.h).
 */
pid_t	sv_start_child(struct service *s, enum child_kind kind,
	    char *const *more, size_t nmore, int *status_fd);
/*
 * The main process (or hook) ended: reads its pipes until empty and closes
 * them.  Returns false while they wait for corral's stdout or stderr to
 * take what they hold (back-pressure); their on_eof tells when they close.
 */
bool	sv_finish_output(struct service *s, bool hook);
/* Closes them at once, saying what was never read (a shutdown's end). */
void	sv_abandon_output(struct service *s, bool hook);
/* Whether a pipe of the main process (or hook) waits for corral's stdout or stderr. */
bool	sv_output_paused(const struct service *s, bool hook);
/* Whether the output pipes of the main process (or hook) are closed. */
bool	sv_output_done(const struct service *s, bool hook);
/* supervisor.c: a pipe of the main process, or of the hook, closed. */
void	sv_stream_eof(struct output_stream *st, void *ctx);
void	sv_hook_stream_eof(struct output_stream *st, void *ctx);

/* requests.c: frees retired services that are down; between loop turns. */
void	sv_sweep_retired(void);

#endif
