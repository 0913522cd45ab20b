/*
 * One supervised service: its runtime state and the state machine that
 * drives it.
 *
 * This module decides and never acts: service_transition() looks up what an
 * event does in a state (the next state and an action), and the pure
 * helpers below classify exits and compute back-off.  lifecycle.c carries
 * the actions out (fork, kill, timers), so the whole table is testable with
 * plain function calls.
 *
 *   idle --START--> starting --SPAWNED, READY--> running
 *   starting --PREPARING--> preparing (shown as starting) --PREPARED-->
 *       starting; --PREP_FAILED--> cleanup (a failed start)
 *   starting --TIMEOUT (not ready in time)--> stopping
 *   starting/running --STOP--> stopping --DOWN--> cleanup
 *   starting/running --DOWN (on its own)--> cleanup
 *   cleanup --CLEANED--> (decide) --RESTART--> starting
 *                                 --RETRY--> backoff --TIMEOUT, START--> starting
 *                                 --GIVE_UP--> failed
 *                                 --FINISH--> stopped
 *                                 --COMPLETE--> done (a oneshot's success)
 *   done --START--> starting (corralctl start runs a oneshot again)
 *
 * "stopping" is four states, each with its own timer meaning, shown to
 * people under the one name:
 *   delaying  stop_delay runs; nothing sent yet      --TIMEOUT--> stopping
 *   stopping  stop_signal sent, the window runs      --TIMEOUT--> killing
 *   killing   kill_signal sent, the group re-checked --EMPTY--> draining
 *   draining  the group is empty, its pipes are open --DOWN--> cleanup
 * An action that sends a kill signal reports it with KILLED, one that finds
 * the group empty with EMPTY, so that only the table moves a service on.
 * HURRY (a second shutdown signal) and DEADLINE (shutdown_deadline) are
 * the shutdown's interventions, which the table routes like any event.
 */
#ifndef CORRAL_SERVICE_H
#define CORRAL_SERVICE_H

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "output.h"

#define SVC_STATES(X)							\
	X(IDLE, "idle") X(PREPARING, "starting")				\
	X(STARTING, "starting") X(RUNNING, "running")			\
	X(DELAYING, "stopping") X(STOPPING, "stopping")			\
	X(KILLING, "stopping") X(DRAINING, "stopping")			\
	X(CLEANUP, "cleanup")						\
	X(STOPPED, "stopped") X(BACKOFF, "backoff") X(FAILED, "failed")	\
	X(DONE, "done")

#define SVC_EVENTS(X)							\
	X(START) X(SPAWNED) X(READY) X(SPAWN_FAILED) X(EXITED) X(DOWN)	\
	X(STOP) X(TIMEOUT) X(CLEANED) X(RESTART) X(RETRY) X(GIVE_UP)	\
	X(FINISH) X(DELAYED) X(KILLED) X(EMPTY) X(HURRY) X(DEADLINE)	\
	X(COMPLETE) X(PREPARING) X(PREPARED) X(PREP_FAILED) X(UNMET)

#define SVC_ACTIONS(X)							\
	X(NONE) X(SPAWN) X(EXECED) X(MARK_UP) X(NOT_READY) X(STOP)	\
	X(STOP_LEFTOVERS) X(SIGNAL) X(WINDOW_OVER) X(RECHECK) X(DRAIN)	\
	X(HURRY) X(DEADLINE) X(KILL_HOOK)				\
	X(CLEANUP) X(DECIDE) X(ARM_BACKOFF) X(GIVE_UP)			\
	X(FINISH) X(COMPLETE) X(CANCEL) X(SPAWN_MAIN) X(STOP_PREPARE)	\
	X(KILL_PREPARE)

/* Why a service is being stopped; passed to its hook as CORRAL_REASON. */
#define SVC_REASONS(X)							\
	X(EXIT, "exit") X(STOP, "stop") X(SHUTDOWN, "shutdown")		\
	X(RELOAD, "reload") X(HEALTH, "health") X(TIMEOUT, "timeout")	\
	X(DEPENDENCY, "dependency") X(WATCH, "watch")

/*
 * What a service's notify datagrams may cause a warning about, each kind
 * rate-limited on its own (SPEC §12); the text says what was ignored.
 */
#define NOTIFY_WARNINGS(X)						\
	X(BIG, "notifications over 4096 bytes")				\
	X(MALFORMED, "malformed notification lines")			\
	X(UNKNOWN, "unknown notification fields")

#define AS_SS_ENUM(e, s) SS_##e,
#define AS_SE_ENUM(e) SE_##e,
#define AS_SA_ENUM(e) SA_##e,
#define AS_SR_ENUM(e, s) SR_##e,
#define AS_NW_ENUM(e, s) NW_##e,
/* SS_NONE and SE_NONE mean "no transition" and "no follow-up event". */
enum svc_state { SS_NONE, SVC_STATES(AS_SS_ENUM) SS__COUNT };
enum svc_event { SE_NONE, SVC_EVENTS(AS_SE_ENUM) SE__COUNT };
enum svc_action { SVC_ACTIONS(AS_SA_ENUM) SA__COUNT };
enum svc_reason { SVC_REASONS(AS_SR_ENUM) SR__COUNT };
enum notify_warning { NOTIFY_WARNINGS(AS_NW_ENUM) NW__COUNT };

struct service_io {
	struct output_stream out[2];
	struct output_stream hook_out[2];
	struct filesink	*files;		/* its file: sinks, all streams' */
	size_t		 nfiles;
};

struct transition {
	enum svc_state	 next;
	enum svc_action	 action;
};

/* How corral learns that a service is ready and well: see health.h. */
struct service_health;
struct logbuf;

/*
 * Events raised while the machine of their service is already handling one
 * wait here, in order, so that it sees them one after the other (SPEC §12).
 * Each remembers the run it was raised in: an event of a run that has ended
 * since is stale and dropped, so it can never reach the next run.
 */
#define SVC_QUEUE_MAX	8

struct svc_queue {
	unsigned	 run[SVC_QUEUE_MAX];
	unsigned char	 ev[SVC_QUEUE_MAX];
	unsigned char	 head, len;
	bool		 busy;		/* its machine is handling an event */
};

struct service {
	struct svc_conf	*conf;
	enum svc_state	 state;
	unsigned	 run;		/* counts the spawns of its main process */
	struct svc_queue queue;
	bool		 want_up;	/* desired state: false once told to stop */
	enum svc_reason	 reason;	/* of the current or last stop */

	pid_t		 pid;		/* main process; 0 once it exited */
	pid_t		 pgid;		/* its group; 0 once the group is empty */
	pid_t		 hook_pid;	/* cleanup hook; 0 when none runs */
	pid_t		 prep_pid;	/* prepare; 0 when none runs */
	int		 prep_status;	/* wait status of the last prepare */
	bool		 prep_failed;	/* this run's prepare failed */
	bool		 prep_output_wait; /* prepare ended; its pipes drain */
	int		 exec_fd;	/* exec-status pipe while spawning, or -1 */

	int		 status;	/* wait status of the last run */
	bool		 spawn_failed;	/* the last run never reached exec */
	int		 spawn_errno;
	bool		 failed_start;	/* the last run was a failed start */
	bool		 sent_stop;	/* corral sent stop_signal in this run */
	bool		 killed;	/* corral had to send kill_signal */
	bool		 lingering;	/* main exited, its group is not empty */
	bool		 not_ready;	/* stopped for missing ready_timeout */

	struct service_health *health;	/* NULL until a start needs it */

	unsigned	 failed_starts;	/* consecutive */
	unsigned	 restarts;
	unsigned long	 leftovers;	/* processes of its group reaped by corral */
	double		 started_at;	/* CLOCK_MONOTONIC; 0: never started */
	double		 started_wall;	/* the same moment, for people */
	double		 ended_at;	/* CLOCK_MONOTONIC of the last exit */
	double		 ended_wall;	/* the same moment, for people */
	bool		 restart_pending; /* start again once stopped */
	/* requires (SPEC §14), kept by the supervisor: */
	bool		 dep_stopped;	/* stopped for what it requires */
	bool		 stop_waits;	/* its stop waits for its requirers */
	bool		 unmet;		/* failed: unmet_by failed or is disabled */
	bool		 unmet_disabled;
	char		 unmet_by[SERVICE_NAME_MAX + 1];
	bool		 retired;	/* removed by a reload, stopping */
	ev_tstamp	 kill_by;	/* shutdown deadline for kill_signal, or 0 */

	int		 hook_status;	/* wait status of the last hook */
	unsigned long	 hook_failures;	/* failed, timed out or not started */
	bool		 hook_ran;
	bool		 hook_timed_out;
	bool		 hook_output_wait; /* hook ended; its pipes still drain */

	/*
	 * output = prefix: stdout and stderr of the main process and of the
	 * hook.  Allocated on first use, so other services do not pay for it.
	 */
	struct service_io *io;
	/*
	 * output_buffer: the last lines of its main process, across its runs
	 * (logbuf.h); NULL when it has none.  lifecycle.c owns it.
	 */
	struct logbuf	*logbuf;

	ev_timer	 timer_w;	/* stop phases and back-off */
	ev_timer	 hook_timer_w;	/* cleanup_timeout */
	ev_io		 exec_w;	/* exec-status pipe */
};

/* The table cell for (state, event); next is SS_NONE where it is ignored. */
const struct transition *service_transition(enum svc_state state,
	    enum svc_event event);

/* A new service, idle, with its settings: the rest is the caller's to fill. */
void	service_init(struct service *s, struct svc_conf *c);

/*
 * Feeds event to s: moves it to the state the table names and returns the
 * cell, whose action the caller carries out; next is SS_NONE, and s
 * unchanged, where the event is ignored.  The only place a state changes.
 */
const struct transition *service_step(struct service *s, enum svc_event event);

const char *service_state_name(enum svc_state state);

/*
 * What people are shown of s's state: "disabled" for a service that its
 * conditions disable and that does not run (SPEC §13), else the name of its
 * state.
 */
const char *service_shown_state(const struct service *s);
const char *service_event_name(enum svc_event event);
const char *service_action_name(enum svc_action action);
const char *service_reason_name(enum svc_reason reason);

/*
 * After the cleanup hook: restart now, back off, give up or finish.
 * Updates the failed-start count.  A run is measured from started_at to
 * ended_at, so the time its cleanup hook took does not count.
 */
enum svc_event service_decide(struct service *s);

/* The back-off before the next start after `failed` consecutive failures. */
double	service_backoff(const struct svc_conf *c, unsigned failed);

/*
 * Whether the status of the last run is what its ending calls for: a
 * success code, or (after corral sent stop_signal) death by that signal or
 * exit code 128 + that signal.
 */
bool	service_status_expected(const struct service *s);

/* Exit status as a shell reports it: the code, or 128 + signal. */
int	service_exit_code(int status);

/*
 * What a hook or on_state is told of an exit with wait status `status`:
 * "CORRAL_EXIT_SIGNAL=TERM" (the name without SIG) or "CORRAL_EXIT_CODE=3".
 */
void	service_exit_var(int status, char *buf, size_t len);

/* A service has a process alive: starting, running, stopping. */
bool	service_is_live(const struct service *s);

/* On its way down: one of the four states shown as "stopping". */
bool	service_is_stopping(const struct service *s);

/*
 * Up as `corralctl check` and READY=1 mean it: running, or stopped after a
 * run that ended with an expected status (a simple service that finished);
 * a oneshot once it is done; failed only because what it requires failed.
 */
bool	service_is_up(const struct service *s);

/*
 * Up as `after` means it: running (ready, if it has a readiness rule), a
 * oneshot done, or disabled by its conditions (nobody waits for it).
 */
bool	service_satisfies_after(const struct service *s);

/* Done for now: it will not run again without being told to. */
bool	service_is_settled(const struct service *s);

#endif
