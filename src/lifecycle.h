/*
 * One service's runs, carried out: the effects of the actions service.c's
 * table names (spawn, stop signal, kill, cleanup hook, back-off), the
 * service's timers and exec status, and what becomes of it when its main
 * process or hook ends.  lifecycle_dispatch() is the only way into a
 * service's machine.
 *
 * This module looks at one service at a time.  What a service's change
 * means for the others (dependents may start, a critical one ended, the
 * shutdown may go on) goes up through the ops the supervisor gives at
 * init, so nothing here calls the files above it.
 */
#ifndef CORRAL_LIFECYCLE_H
#define CORRAL_LIFECYCLE_H

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "pidmap.h"
#include "service.h"

struct lifecycle_ops {
	/* s is running: services that wait for it may start. */
	void	(*up)(struct service *s);
	/* s gave up after start_retries failed starts in a row. */
	void	(*failed)(struct service *s);
	/* s ended on its own and is not restarted. */
	void	(*ended)(struct service *s);
	/* s is in another state; was_settled says how it was before. */
	void	(*moved)(struct service *s, bool was_settled);
};

/* pids is where the pids of services and hooks are recorded. */
void	lifecycle_init(struct ev_loop *loop, struct pidmap *pids,
	    const struct lifecycle_ops *ops);

/* A new idle service for c, or NULL when out of memory. */
struct service *lifecycle_new(struct svc_conf *c);
/* Only for a settled service: nothing of it is in the loop any more. */
void	lifecycle_free(struct service *s);

/*
 * Gives s the output buffer its settings ask for (output_buffer): made,
 * emptied at a new size, or freed at 0.  0, or -1 when out of memory, with
 * the buffer as it was.
 */
int	lifecycle_sync_buffer(struct service *s);

/*
 * Feeds ev to s's state machine and carries out what it decides.  An
 * event raised while s's machine is busy (by an action, or a callback an
 * action triggered) is queued and handled after the current one.
 */
void	lifecycle_dispatch(struct service *s, enum svc_event ev);

/*
 * Signals s's process group, and its main process if it left the group.
 * Returns 0 when one of them got it, or -1 (logged unless it was gone).
 */
int	lifecycle_signal(struct service *s, int sig);

/* The reaper took s's main process, its cleanup hook, or its prepare. */
void	lifecycle_exited(struct service *s, int status);
void	lifecycle_hook_exited(struct service *s, int status);
void	lifecycle_prepare_exited(struct service *s, int status);
/* Its stop_command, whose exit changes nothing but a log line. */
void	lifecycle_stop_command_exited(struct service *s, pid_t pid,
	    int status);

/*
 * Some child of corral ended: if s's main process is gone but its group
 * was not, the group may be empty now.
 */
void	lifecycle_recheck(struct service *s);
/* How many services have a group that outlives their main process. */
size_t	lifecycle_lingering(void);

/*
 * The shutdown began: no restart any more, and a pipe that waits for
 * corral's own stdout or stderr is no longer waited for past a window.
 */
void	lifecycle_shutdown(void);
/* A second signal or the deadline: no graceful window any more. */
void	lifecycle_hurry(void);
bool	lifecycle_hurried(void);
/*
 * The shutdown cannot wait on readers: s, past its window, waits no more
 * for its pipes; its ended hook no more for its own when nothing bounds
 * that wait (cleanup_timeout = infinity) or when hurried.
 */
void	lifecycle_stop_waiting(struct service *s);

/* Whether a cleanup hook failed, timed out or could not start. */
bool	lifecycle_unclean(void);

#endif
