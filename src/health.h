/*
 * How corral learns that a service is ready and well: ready_check,
 * health_check, notify = yes (READY=1, STATUS=, WATCHDOG=1, and the fields
 * it only logs) and the watchdog.
 *
 * health.c judges and never drives the life cycle: it reads a service's
 * state but never sets it, and what it finds goes to the supervisor only
 * through the health_ops given to health_init().  Calls go one way: the
 * supervisor (and reload, in requests.c) calls in; health.c calls out only
 * to children.c (to start a check, and to hear the lines a log: probe
 * matches), probe.c (to run a built-in probe) and svcnotify.c (to hear
 * datagrams), none of which calls back but through a pointer.
 */
#ifndef CORRAL_HEALTH_H
#define CORRAL_HEALTH_H

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "pidmap.h"
#include "probe.h"
#include "ratelimit.h"
#include "service.h"

/*
 * What a service has when it has any of those rules.  Allocated by
 * health_prepare(), so that services without them carry no idle watchers.
 */
struct service_health {
	/*
	 * ready_check and health_check: at most one try at a time, a
	 * process or a built-in probe's attempt.
	 */
	pid_t		 check_pid;
	bool		 check_timed_out;
	struct probe_run probe;
	char		 check_why[PROBE_WHY_MAX];	/* last failed try; "" */
	unsigned	 health_fails;	/* in a row */
	int		 health_last;	/* -1 none yet, 0 failed, 1 passed */
	double		 health_at;	/* wall clock of the last result */
	ev_timer	 check_w;	/* next check, or the bound of this one */
	ev_timer	 watchdog_w;	/* WATCHDOG=1 expected before it fires */

	/* notify = yes: the socket corral listens on for this service. */
	int		 notify_fd;
	ev_io		 notify_w;
	char		*notify_path;
	char		*status_text;	/* last STATUS=, or NULL */
	/* Kept across runs, so that a crash loop cannot reset them. */
	struct ratelimit notify_rl[NW__COUNT];
};

/* How health.c reaches the supervisor: it never calls it by name. */
struct health_ops {
	/*
	 * Feeds ev to the machine of s: SE_READY once a starting service is
	 * ready, or SE_STOP (with s->reason set to SR_HEALTH) once its checks
	 * failed health_retries times in a row or its watchdog ran out.
	 */
	void	(*event)(struct service *s, enum svc_event ev);
	/* A health result or a STATUS= text changed what status shows. */
	void	(*changed)(void);
};

/*
 * Before any check runs: the loop for its timers, the map its check pids
 * go into (the supervisor's reaper routes PID_CHECK back through
 * health_check_ended()), and ops, which must outlive corral's run.  Also
 * registers health's handler of notify datagrams with svcnotify.c.
 */
void	health_init(struct ev_loop *loop, struct pidmap *pids,
	    const struct health_ops *ops);

/*
 * Gives s a struct service_health if c has a check, notify or a watchdog
 * and s has none yet; -1 when out of memory.  A new service and a reload
 * call it in the steps that may still fail, so that a service has the
 * block whenever its settings need it.  It is kept until health_free(): a
 * reload may take the need away while a check is still out.
 */
int	health_prepare(struct service *s, const struct svc_conf *c);

/* A new run of s starts: no result and no STATUS= of the last one shows. */
void	health_new_run(struct service *s);

/* Whether s, started, waits for a ready_check or READY=1 before running. */
bool	health_waits_ready(const struct service *s);

/*
 * The exec of starting s succeeded: its ready_check starts over.  READY=1
 * needs nothing started; it counts whenever s is starting.
 */
void	health_watch_readiness(struct service *s);

/*
 * s is running: its health_check and watchdog start over, with no results
 * yet, since those of a run before a reload say nothing now.
 */
void	health_watch(struct service *s);

/*
 * Stops the timers of s and kills a check still out; it is reaped later,
 * as disowned, since s may be freed by then.  Whenever s leaves starting
 * and running, and at a shutdown: a stopping service is judged no more.
 */
void	health_stop(struct service *s);

/* The reaper took check pid of s; a check health_stop() killed is ignored. */
void	health_check_ended(struct service *s, pid_t pid, int status);

/*
 * A reload changed the checks of s without needing a new process: they
 * start over under the new settings, with no results yet, so that a
 * removed check stops and an added one runs after its interval.
 */
void	health_checks_changed(struct service *s);

/* A starting service whose readiness rule a reload removed is up now. */
void	health_ready_if_no_rule(struct service *s);

/* Frees the block of s; only once health_stop() and svcnotify_release() ran. */
void	health_free(struct service *s);

#endif
