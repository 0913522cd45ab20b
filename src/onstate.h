/*
 * on_state (SPEC §16): the operator's command from [corral], run on every
 * change of a service's shown state (the name `corralctl status` shows),
 * for alerting without an event-listener protocol.
 *
 * A run is never waited for by the loop: it is spawned like a hook
 * (spawn.c), reaped by the reaper (PID_ONSTATE in the pid map), its stdout
 * and stderr relayed to corral's stderr as "on_state | line" (output.c).
 * At most ONSTATE_RUNNING_MAX run at once; later ones wait in a FIFO of
 * ONSTATE_QUEUE_MAX, so runs start in the order of the changes, and a
 * change that finds the FIFO full is dropped and counted.  Each run is
 * bounded by its service's cleanup_timeout, then its group gets SIGKILL.
 * The shutdown waits for every run, queued ones included, until
 * shutdown_deadline kills what is left (onstate_deadline).
 *
 * Calls go one way: lifecycle.c, the supervisor and shutdown.c call in;
 * nothing here calls them.
 */
#ifndef CORRAL_ONSTATE_H
#define CORRAL_ONSTATE_H

#include <ev.h>
#include <stdbool.h>

#include "pidmap.h"
#include "service.h"

#define ONSTATE_RUNNING_MAX	4
#define ONSTATE_QUEUE_MAX	64

/* One change of a service's shown state, as its run will be told of it. */
struct onstate_event {
	unsigned long	 seq;		/* CORRAL_STATE_SEQ */
	double		 timeout;	/* the service's cleanup_timeout */
	char		 service[SERVICE_NAME_MAX + 1];
	char		 state[16];
	char		 prev[16];
	char		 exit_var[32];	/* service_exit_var(), or "" */
};

/*
 * The changes waiting for a free run, oldest first.  The counts come first,
 * next to what corral touches anyway: the events' pages are touched only
 * once a change waits in them.
 */
struct onstate_fifo {
	unsigned	 head;
	unsigned	 len;
	unsigned long	 dropped;	/* found it full, not reported yet */
	struct onstate_event ev[ONSTATE_QUEUE_MAX];
};

/* Before the first change; pids is where the runs' pids are recorded. */
void	onstate_init(struct ev_loop *loop, struct pidmap *pids);

/*
 * The command of the runs that start from now on (on_state's argv, or NULL
 * for none).  argv must live until the next call: it is the installed
 * config's, and each install (start, reload) calls this again.
 */
void	onstate_set_command(char *const *argv);

/*
 * s moved to another state, from one shown as prev: a run, unless the
 * shown state is the same (stopping's phases, preparing) or no on_state
 * is set.
 */
void	onstate_changed(const struct service *s, const char *prev);

/* The reaper took a run's process; run is the pid map's owner. */
void	onstate_reaped(void *run, int status);

/* Whether a run is under way or waiting: corral does not exit before. */
bool	onstate_busy(void);

/* The shutdown began: an ended run's output waits no more unbounded. */
void	onstate_shutdown(void);

/*
 * shutdown_deadline: the running ones are killed, the waiting ones and
 * every later change dropped.
 */
void	onstate_deadline(void);

/* Appends ev; false (and counted in dropped) when the FIFO is full. */
bool	onstate_fifo_push(struct onstate_fifo *q, const struct onstate_event *ev);
/* Takes the oldest into *ev; false when there is none. */
bool	onstate_fifo_pop(struct onstate_fifo *q, struct onstate_event *ev);

#endif
