/*
 * One service's runs, carried out: service.c's table decides, and the
 * actions here make it so with fork, kill and timers.  Each service's
 * events go through lifecycle_dispatch(), one at a time (SPEC §12).
 *
 * Invariants:
 * - A service is down when its main process has exited, its process group
 *   is empty and its output pipes are at end-of-file (or, past its stop
 *   window, given up on).  Members of the group that outlive the main
 *   process are descendants of corral (as PID 1 or subreaper), so each of
 *   their exits reaches the reaper, and the supervisor has the lingering
 *   groups re-checked (lifecycle_recheck) with kill(-pgid, 0).
 * - Cleanup hooks never get a signal but SIGKILL at their timeout or the
 *   shutdown's deadline.
 * - Nothing here exits the process: every failure is logged and becomes an
 *   event (a failed spawn, an unclean shutdown).
 * - Nothing here looks at another service: what concerns the others goes
 *   up through the lifecycle_ops.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "children.h"
#include "clock.h"
#include "container.h"
#include "health.h"
#include "invariant.h"
#include "lifecycle.h"
#include "log.h"
#include "logbuf.h"
#include "notify.h"
#include "onstate.h"
#include "plan.h"
#include "spawn.h"
#include "svcnotify.h"
#include "values.h"

/* How often a killed group is re-checked when its last exit is not ours. */
#define KILLED_RECHECK_S	0.25

static struct {
	struct ev_loop	*loop;
	struct pidmap	*pids;
	const struct lifecycle_ops *ops;
	bool		 shutdown;	/* no restarts; readers not waited for */
	bool		 hurry;		/* second signal or deadline: no windows */
	bool		 unclean;	/* a hook failed or could not start */
	size_t		 nlingering;	/* main exited, group not empty */
} lc;

int
lifecycle_signal(struct service *s, int sig)
{
	int r = -1;

	if (s->pgid != 0) {
		r = kill(-s->pgid, sig);
		if (r == -1 && errno != ESRCH)
			log_warn("%s: unable to send %s to process group %d",
			    s->conf->name, signal_name(sig), (int)s->pgid);
	}
	/*
	 * A main process that left its group is signalled too.  One spawned
	 * in a session of its own leads it, and a session leader can change
	 * neither its group nor its session (setpgid and setsid refuse): no
	 * need to ask the kernel on every relayed signal, unless its group
	 * is not there (not made yet where vfork is a fork, as in valgrind).
	 */
	if (s->pid != 0 && (s->pid != s->pgid || s->conf->foreground ||
	    r == -1) && getpgid(s->pid) != s->pgid) {
		if (kill(s->pid, sig) == 0)
			r = 0;
		else if (errno != ESRCH)
			log_warn("%s: unable to send %s to pid %d",
			    s->conf->name, signal_name(sig), (int)s->pid);
	}
	return r;
}

static bool
group_empty(const struct service *s)
{
	return s->pgid == 0 || (kill(-s->pgid, 0) == -1 && errno == ESRCH);
}

/* Whether nothing of the run is left but its output pipes. */
static bool
only_pipes_left(const struct service *s)
{
	return s->pid == 0 && group_empty(s);
}

/*
 * Down (SPEC §4): the main process exited, its group is empty and, so that
 * no line is lost, its output pipes reached end-of-file.
 */
static bool
is_down(const struct service *s)
{
	return only_pipes_left(s) && children_output_done(s, false);
}

/* Past its window: kill_signal sent, or only its pipes left. */
static bool
past_window(const struct service *s)
{
	return s->state == SS_KILLING || s->state == SS_DRAINING;
}

static void
exec_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct service *s = container_of(w, struct service, exec_w);
	struct spawn_error e;
	int r;

	(void)loop;
	(void)revents;
	r = spawn_read_status(s->exec_fd, &e);
	if (r == -1)
		return;
	ev_io_stop(lc.loop, w);
	(void)close(s->exec_fd);
	s->exec_fd = -1;
	if (r == 1) {
		lifecycle_dispatch(s, SE_SPAWNED);
		return;
	}
	/* The child exits 127 or 126 next; the reaper takes it from there. */
	s->spawn_failed = true;
	s->spawn_errno = e.err;
	errno = e.err;
	if (e.stage == SPAWN_LIMIT)
		log_warn("%s: cannot set %s for %s", s->conf->name,
		    spawn_limit_key(e.detail), s->conf->argv[0]);
	else if (e.stage == SPAWN_CHDIR)
		log_warn("%s: cannot change to directory %s", s->conf->name,
		    s->conf->directory);
	else
		log_warn("%s: cannot %s %s", s->conf->name,
		    e.stage == SPAWN_EXEC ? "execute" : spawn_stage_text(e.stage),
		    s->conf->argv[0]);
}

/* What a new run of s starts from: no status, no flags of the last one. */
static void
begin_run(struct service *s)
{
	/* One live run per service, always (SPEC §12). */
	CORRAL_ASSERT(s->pid == 0 && s->pgid == 0 && s->hook_pid == 0 &&
	    s->prep_pid == 0 && !s->hook_output_wait && !s->prep_output_wait &&
	    children_output_done(s, false),
	    "%s: spawn while pid %d, group %d, hook %d or prepare %d is alive",
	    s->conf->name, (int)s->pid, (int)s->pgid, (int)s->hook_pid,
	    (int)s->prep_pid);
	s->run++;
	if (s->started_at != 0)
		s->restarts++;
	s->started_at = mono_now();
	s->started_wall = ev_time();
	s->status = 0;
	s->spawn_failed = false;
	s->spawn_errno = 0;
	s->prep_failed = false;
	s->sent_stop = false;
	s->killed = false;
	s->hook_ran = false;
	s->hook_timed_out = false;
	s->not_ready = false;
	/* A start from back-off comes before the back-off's end. */
	ev_timer_stop(lc.loop, &s->timer_w);
}

/* A child of s that never started: a failed start, as exec failing is. */
static enum svc_event
spawn_failed(struct service *s)
{
	s->ended_at = mono_now();
	s->spawn_failed = true;
	s->spawn_errno = errno;
	s->status = W_EXITCODE(126, 0);
	return SE_SPAWN_FAILED;
}

/* The main process; start_seconds and ready_timeout count from here. */
static enum svc_event
spawn_main(struct service *s)
{
	pid_t pid = -1;
	int fd;

	s->started_at = mono_now();
	health_new_run(s);
	if (!s->conf->notify || svcnotify_open(s) == 0) {
		char notify_env[sizeof("NOTIFY_SOCKET=") + 108], *more[1];

		snprintf(notify_env, sizeof(notify_env), "NOTIFY_SOCKET=%s",
		    s->conf->notify ? s->health->notify_path : "");
		more[0] = notify_env;
		pid = children_start(s, CHILD_MAIN, more, s->conf->notify ? 1 : 0,
		    &fd);
	}
	if (pid == -1) {
		svcnotify_close(s);
		return spawn_failed(s);
	}
	if (pidmap_put(lc.pids, pid, PID_SERVICE, s) == -1)
		log_errorx("%s: out of memory tracking pid %d; its exit will "
		    "look like an orphan's", s->conf->name, (int)pid);
	s->pid = pid;
	s->pgid = pid;
	s->exec_fd = fd;
	ev_io_init(&s->exec_w, exec_cb, fd, EV_READ);
	ev_io_start(lc.loop, &s->exec_w);
	log_debug("%s: started %s (pid %d)", s->conf->name, s->conf->command,
	    (int)pid);
	return SE_NONE;
}

/*
 * prepare (SPEC §14): it runs first, as the service would, bounded by
 * prepare_timeout.  Its exec status is read when it ends, as a hook's.
 */
static enum svc_event
spawn_prepare(struct service *s)
{
	const struct svc_rare *r = s->conf->rare;
	char d[32];
	pid_t pid;
	int fd;

	pid = children_start(s, CHILD_PREPARE, NULL, 0, &fd);
	if (pid == -1)
		return spawn_failed(s);
	if (pidmap_put(lc.pids, pid, PID_PREPARE, s) == -1)
		log_errorx("%s: out of memory tracking pid %d", s->conf->name,
		    (int)pid);
	s->prep_pid = pid;
	s->exec_fd = fd;
	format_duration(r->prepare_timeout, d, sizeof(d));
	log_info("%s: preparing (pid %d, at most %s)", s->conf->name, (int)pid,
	    d);
	timer_arm(lc.loop, &s->timer_w, r->prepare_timeout);
	return SE_PREPARING;
}

static enum svc_event
act_spawn(struct service *s)
{
	begin_run(s);
	if (s->conf->rare->prepare_argv != NULL)
		return spawn_prepare(s);
	return spawn_main(s);
}

/* The exec succeeded: up now, or once its readiness rule says so. */
static enum svc_event
act_execed(struct service *s)
{
	const struct svc_conf *c = s->conf;

	if (!health_waits_ready(s))
		return SE_READY;
	log_info("%s: started (pid %d), waiting until it is ready",
	    c->name, (int)s->pid);
	timer_arm(lc.loop, &s->timer_w, c->ready_timeout);
	health_watch_readiness(s);
	return SE_NONE;
}

static enum svc_event
act_mark_up(struct service *s)
{
	ev_timer_stop(lc.loop, &s->timer_w);
	health_watch(s);
	log_info("%s: running (pid %d)", s->conf->name, (int)s->pid);
	lc.ops->up(s);
	return SE_NONE;
}

/*
 * Sends sig (kill_signal, or SIGKILL at the deadline) and re-checks the
 * group every KILLED_RECHECK_S.  why is logged; NULL for the deadline,
 * which says so once for every service.
 */
static enum svc_event
send_kill(struct service *s, int sig, const char *why)
{
	if (lifecycle_signal(s, sig) == 0) {
		s->killed = true;
		if (why != NULL)
			log_warnx("%s: %s; sending %s", s->conf->name, why,
			    signal_name(sig));
	}
	timer_arm(lc.loop, &s->timer_w, KILLED_RECHECK_S);
	return SE_KILLED;
}

/*
 * stop_command (SPEC §14): asked instead of stop_signal, with the main
 * process's pid; its exit is only logged.  0, or -1 when it could not be
 * started (logged), and stop_signal goes instead.
 */
static int
run_stop_command(struct service *s)
{
	char mainpid[32], *more[1];
	pid_t pid;
	int fd;

	snprintf(mainpid, sizeof(mainpid), "CORRAL_MAINPID=%d", (int)s->pid);
	more[0] = mainpid;
	if ((pid = children_start(s, CHILD_STOP, more, 1, &fd)) == -1)
		return -1;
	/* An exec failure shows in its exit status (127). */
	(void)close(fd);
	if (pidmap_put(lc.pids, pid, PID_STOP, s) == -1)
		log_errorx("%s: out of memory tracking pid %d", s->conf->name,
		    (int)pid);
	log_info("%s: running its stop_command (pid %d)", s->conf->name,
	    (int)pid);
	return 0;
}

void
lifecycle_stop_command_exited(struct service *s, pid_t pid, int status)
{
	char st[64];

	describe_status(status, st, sizeof(st));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_debug("%s: stop_command (pid %d) %s", s->conf->name,
		    (int)pid, st);
	else
		log_warnx("%s: stop_command (pid %d) %s", s->conf->name,
		    (int)pid, st);
}

static enum svc_event
send_stop(struct service *s, double window)
{
	if (window <= 0 || lc.hurry)
		return send_kill(s, s->conf->kill_signal,
		    "no time left in its stop window");
	if (s->pid != 0)
		s->sent_stop = true;
	if (s->pid == 0 || s->conf->rare->stop_command_argv == NULL ||
	    run_stop_command(s) == -1)
		(void)lifecycle_signal(s, s->conf->stop_signal);
	/* A stopped process acts on its stop signal only once continued. */
	if (s->conf->stop_signal != SIGCONT && s->conf->stop_signal != SIGKILL)
		(void)lifecycle_signal(s, SIGCONT);
	else if (s->conf->rare->stop_command_argv != NULL)
		(void)lifecycle_signal(s, SIGCONT);
	timer_arm(lc.loop, &s->timer_w, window);
	return SE_NONE;
}

/*
 * The delay and window a stop gets now: the deadline may cut them
 * (plan_fit, the one formula the plan uses too).  The window does not
 * depend on the delay, so a stop past its delay asks again and gets the
 * window it would have had.
 */
static void
stop_budget(const struct service *s, double *delay, double *window)
{
	*delay = s->conf->stop_delay;
	*window = s->conf->stop_timeout;
	if (lc.hurry)
		*delay = *window = 0;
	else if (s->kill_by != 0)
		plan_fit(s->conf, s->kill_by - ev_now(lc.loop), delay, window);
}

/* stop_signal, with the window the budget leaves. */
static enum svc_event
begin_window(struct service *s)
{
	double delay, window;
	char d[32];

	stop_budget(s, &delay, &window);
	format_duration(window, d, sizeof(d));
	log_info("%s: stopping (%s, %s to exit)", s->conf->name,
	    s->conf->rare->stop_command != NULL ? "stop_command" :
	    signal_name(s->conf->stop_signal), d);
	return send_stop(s, window);
}

static enum svc_event
act_stop(struct service *s)
{
	double delay, window;
	char d[32];

	stop_budget(s, &delay, &window);
	if (delay <= 0)
		return begin_window(s);
	format_duration(delay, d, sizeof(d));
	log_info("%s: stopping in %s (stop_delay)", s->conf->name, d);
	timer_arm(lc.loop, &s->timer_w, delay);
	return SE_DELAYED;
}

/* A stop asks prepare as it would ask the service, with its window. */
static enum svc_event
act_stop_prepare(struct service *s)
{
	double delay, window;

	stop_budget(s, &delay, &window);
	if (s->prep_pid == 0)
		return SE_NONE;
	log_info("%s: stopping its prepare (pid %d)", s->conf->name,
	    (int)s->prep_pid);
	s->sent_stop = true;
	if (kill(-s->prep_pid, s->conf->stop_signal) == -1 && errno != ESRCH)
		log_warn("%s: unable to signal prepare %d", s->conf->name,
		    (int)s->prep_pid);
	(void)kill(-s->prep_pid, SIGCONT);
	timer_arm(lc.loop, &s->timer_w, window);
	return SE_NONE;
}

/* prepare_timeout, the end of its stop window, or a shutdown in a hurry. */
static enum svc_event
act_kill_prepare(struct service *s)
{
	char d[32];

	if (s->prep_pid == 0)
		return SE_NONE;
	format_duration(s->conf->rare->prepare_timeout, d, sizeof(d));
	if (s->want_up)
		log_warnx("%s: prepare still running after prepare_timeout "
		    "%s; killing it", s->conf->name, d);
	else
		log_warnx("%s: prepare still running; killing it",
		    s->conf->name);
	s->killed = true;
	if (kill(-s->prep_pid, SIGKILL) == -1 && errno != ESRCH)
		log_warn("%s: unable to kill prepare %d", s->conf->name,
		    (int)s->prep_pid);
	return SE_NONE;
}

static enum svc_event
act_not_ready(struct service *s)
{
	char d[32];

	format_duration(s->conf->ready_timeout, d, sizeof(d));
	log_warnx("%s: not ready within ready_timeout %s", s->conf->name, d);
	health_stop(s);
	s->not_ready = true;
	s->reason = SR_TIMEOUT;
	return act_stop(s);
}

static enum svc_event
act_stop_leftovers(struct service *s)
{
	double delay, window;

	stop_budget(s, &delay, &window);
	if (group_empty(s)) {
		/* Only the output pipes are open: wait for them, bounded. */
		timer_arm(lc.loop, &s->timer_w, window);
		return SE_NONE;
	}
	log_info("%s: main process ended but its process group lives on; "
	    "sending %s", s->conf->name, signal_name(s->conf->stop_signal));
	return send_stop(s, window);
}

static enum svc_event
act_window_over(struct service *s)
{
	if (only_pipes_left(s))
		return SE_EMPTY;	/* no kill, no recheck */
	return send_kill(s, s->conf->kill_signal,
	    "still running at the end of its stop window");
}

static enum svc_event
act_recheck(struct service *s)
{
	if (only_pipes_left(s))
		return SE_EMPTY;
	(void)lifecycle_signal(s, SIGKILL);
	timer_arm(lc.loop, &s->timer_w, KILLED_RECHECK_S);
	return SE_NONE;
}

/*
 * The group is gone but its pipes are open.  What waits for corral's own
 * stdout or stderr is waited for (back-pressure: nothing is lost, and the
 * reader's pace resumes the reading) until a shutdown cannot wait any
 * longer; a pipe that a process outside the group holds open is read to
 * its end now and closed.  Either way the service is down once they close.
 */
static enum svc_event
act_drain(struct service *s)
{
	s->pgid = 0;
	if (children_output_done(s, false))
		return SE_DOWN;
	if (!children_output_paused(s, false))
		log_warnx("%s: its output pipe is still held open by a process "
		    "outside its group; not waiting for it any longer",
		    s->conf->name);
	else if (lc.shutdown) {
		children_abandon_output(s, false);
		return SE_DOWN;
	} else
		log_debug("%s: waiting for its output to be read",
		    s->conf->name);
	/* Their on_eof raises DOWN once they close, now or later. */
	(void)children_finish_output(s, false);
	return SE_NONE;
}

/* A second shutdown signal: every graceful window ends now (SPEC §5 step 4). */
static enum svc_event
act_hurry(struct service *s)
{
	return send_kill(s, s->conf->kill_signal, "second shutdown signal");
}

/* shutdown_deadline: the group gets SIGKILL; a hook is act_kill_hook's. */
static enum svc_event
act_deadline(struct service *s)
{
	return send_kill(s, SIGKILL, NULL);
}

/* The hook ended and its output is out: the service's cleanup is over. */
static void
hook_complete(struct service *s)
{
	char st[64];
	struct spawn_error e;

	ev_timer_stop(lc.loop, &s->hook_timer_w);
	s->hook_output_wait = false;
	if (s->exec_fd != -1) {
		if (spawn_read_status(s->exec_fd, &e) == 0) {
			errno = e.err;
			log_warn("%s: cannot execute cleanup hook %s",
			    s->conf->name, s->conf->cleanup_argv[0]);
		}
		(void)close(s->exec_fd);
		s->exec_fd = -1;
	}
	describe_status(s->hook_status, st, sizeof(st));
	if (s->hook_timed_out || !WIFEXITED(s->hook_status) ||
	    WEXITSTATUS(s->hook_status) != 0) {
		lc.unclean = true;
		s->hook_failures++;
		log_warnx("%s: cleanup hook %s%s", s->conf->name, st,
		    s->hook_timed_out ? " (timed out)" : "");
	} else
		log_info("%s: cleanup hook done", s->conf->name);
	lifecycle_dispatch(s, SE_CLEANED);
}

/* A shutdown cannot wait for a reader any longer: what is left is lost. */
static void
hook_give_up_output(struct service *s)
{
	children_abandon_output(s, true);
	hook_complete(s);
}

static void
hook_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct service *s = container_of(w, struct service, hook_timer_w);
	char d[32];

	(void)loop;
	(void)revents;
	if (s->hook_output_wait) {
		hook_give_up_output(s);
		return;
	}
	if (s->hook_pid == 0)
		return;
	format_duration(s->conf->cleanup_timeout, d, sizeof(d));
	log_warnx("%s: cleanup hook still running after cleanup_timeout %s; "
	    "killing it", s->conf->name, d);
	s->hook_timed_out = true;
	if (kill(-s->hook_pid, SIGKILL) == -1 && errno != ESRCH)
		log_warn("%s: unable to kill cleanup hook %d", s->conf->name,
		    (int)s->hook_pid);
}

static enum svc_event
act_cleanup(struct service *s)
{
	char reason[32], result[32], *more[2];
	char d[32];
	pid_t pid;
	int fd;

	ev_timer_stop(lc.loop, &s->timer_w);
	health_stop(s);
	svcnotify_close(s);
	if (s->lingering) {
		s->lingering = false;
		lc.nlingering--;
	}
	s->pgid = 0;
	if (s->conf->cleanup_argv == NULL)
		return SE_CLEANED;
	snprintf(reason, sizeof(reason), "CORRAL_REASON=%s",
	    service_reason_name(s->reason));
	service_exit_var(s->status, result, sizeof(result));
	more[0] = reason;
	more[1] = result;
	s->hook_ran = true;
	pid = children_start(s, CHILD_HOOK, more, 2, &fd);
	if (pid == -1) {
		s->hook_status = W_EXITCODE(126, 0);
		lc.unclean = true;
		s->hook_failures++;
		return SE_CLEANED;
	}
	/*
	 * The exec status is read when the hook ends: by then the pipe holds
	 * the error record or is closed, so the read cannot block.
	 */
	s->exec_fd = fd;
	if (pidmap_put(lc.pids, pid, PID_HOOK, s) == -1)
		log_errorx("%s: out of memory tracking pid %d", s->conf->name,
		    (int)pid);
	s->hook_pid = pid;
	format_duration(s->conf->cleanup_timeout, d, sizeof(d));
	log_info("%s: running cleanup hook (pid %d, reason %s, at most %s)",
	    s->conf->name, (int)pid, service_reason_name(s->reason), d);
	timer_arm(lc.loop, &s->hook_timer_w, s->conf->cleanup_timeout);
	if (lc.shutdown && !isinf(s->conf->cleanup_timeout)) {
		char msg[64];

		/* systemd's stop timeout must not cut a hook short. */
		snprintf(msg, sizeof(msg), "EXTEND_TIMEOUT_USEC=%llu",
		    (unsigned long long)((s->conf->cleanup_timeout + 1) * 1e6));
		notify_send(msg);
	}
	return SE_NONE;
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct service *s = container_of(w, struct service, timer_w);

	(void)loop;
	(void)revents;
	lifecycle_dispatch(s, SE_TIMEOUT);
}

static enum svc_event
act_arm_backoff(struct service *s)
{
	double delay = service_backoff(s->conf, s->failed_starts);
	char d[32], at[32];
	struct timespec ts;
	struct tm tm;
	time_t when;

	format_duration(delay, d, sizeof(d));
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0) {
		when = ts.tv_sec + (time_t)(delay + ts.tv_nsec / 1e9);
		if (localtime_r(&when, &tm) == NULL ||
		    strftime(at, sizeof(at), "%H:%M:%S", &tm) == 0)
			snprintf(at, sizeof(at), "?");
	} else
		snprintf(at, sizeof(at), "?");
	log_info("%s: failed start %u of %u; next attempt in %s (at %s)",
	    s->conf->name, s->failed_starts, s->conf->start_retries, d, at);
	timer_arm(lc.loop, &s->timer_w, delay);
	return SE_NONE;
}

static enum svc_event
act_give_up(struct service *s)
{
	char st[64];

	describe_status(s->status, st, sizeof(st));
	log_warnx("%s: giving up after %u failed starts in a row (last %s)",
	    s->conf->name, s->failed_starts, st);
	lc.ops->failed(s);
	return SE_NONE;
}

static enum svc_event
act_finish(struct service *s)
{
	/* want_up still set: it ended on its own and is not restarted. */
	bool own = s->want_up;

	if (s->restart_pending && !lc.shutdown && !s->retired) {
		s->restart_pending = false;
		s->want_up = true;
		s->failed_starts = 0;
		return SE_START;
	}
	s->restart_pending = false;
	s->want_up = false;
	if (own)
		lc.ops->ended(s);
	return SE_NONE;
}

/* A oneshot ended as it should: up for `after` now (SPEC §14). */
static enum svc_event
act_complete(struct service *s)
{
	log_info("%s: done", s->conf->name);
	lc.ops->up(s);
	return SE_NONE;
}

/* The deadline reached a cleanup: its hook is killed, or its output given up. */
static enum svc_event
act_kill_hook(struct service *s)
{
	if (s->hook_pid != 0) {
		s->hook_timed_out = true;
		if (kill(-s->hook_pid, SIGKILL) == -1 && errno != ESRCH)
			log_warn("%s: unable to kill cleanup hook",
			    s->conf->name);
	}
	if (s->hook_output_wait)
		hook_give_up_output(s);
	return SE_NONE;
}

static enum svc_event
act_cancel(struct service *s)
{
	ev_timer_stop(lc.loop, &s->timer_w);
	return SE_NONE;
}

static enum svc_event
perform(struct service *s, enum svc_action a)
{
	switch (a) {
	case SA_NONE:		return SE_NONE;
	case SA_SPAWN:		return act_spawn(s);
	case SA_EXECED:		return act_execed(s);
	case SA_MARK_UP:	return act_mark_up(s);
	case SA_NOT_READY:	return act_not_ready(s);
	case SA_STOP:		return act_stop(s);
	case SA_STOP_LEFTOVERS:	return act_stop_leftovers(s);
	case SA_SIGNAL:		return begin_window(s);
	case SA_WINDOW_OVER:	return act_window_over(s);
	case SA_RECHECK:	return act_recheck(s);
	case SA_DRAIN:		return act_drain(s);
	case SA_HURRY:		return act_hurry(s);
	case SA_DEADLINE:	return act_deadline(s);
	case SA_KILL_HOOK:	return act_kill_hook(s);
	case SA_CLEANUP:	return act_cleanup(s);
	case SA_DECIDE:		return service_decide(s);
	case SA_ARM_BACKOFF:	return act_arm_backoff(s);
	case SA_GIVE_UP:	return act_give_up(s);
	case SA_FINISH:		return act_finish(s);
	case SA_COMPLETE:	return act_complete(s);
	case SA_SPAWN_MAIN:	return spawn_main(s);
	case SA_STOP_PREPARE:	return act_stop_prepare(s);
	case SA_KILL_PREPARE:	return act_kill_prepare(s);
	case SA_CANCEL:		return act_cancel(s);
	case SA__COUNT:		break;
	}
	log_errorx("internal error: action %d; please report", (int)a);
	return SE_NONE;
}

/* Runs ev and the follow-up events its actions yield, to the end. */
static void
run_chain(struct service *s, enum svc_event ev)
{
	while (ev != SE_NONE) {
		enum svc_state from = s->state;
		const char *shown = service_shown_state(s);
		const struct transition *t = service_step(s, ev);

		if (t->next == SS_NONE) {
			log_debug("%s: %s ignored in %s", s->conf->name,
			    service_event_name(ev), service_state_name(from));
			break;
		}
		if ((from == SS_STARTING || from == SS_RUNNING) &&
		    t->next != SS_STARTING && t->next != SS_RUNNING)
			health_stop(s);
		log_debug("%s: %s -> %s on %s", s->conf->name,
		    service_state_name(from), service_state_name(t->next),
		    service_event_name(ev));
		/* Before the action: its follow-ups are later changes. */
		onstate_changed(s, shown);
		ev = perform(s, t->action);
	}
}

static void
queue_push(struct service *s, enum svc_event ev)
{
	struct svc_queue *q = &s->queue;
	unsigned i = (q->head + q->len) % SVC_QUEUE_MAX;

	if (q->len == SVC_QUEUE_MAX) {
		log_errorx("%s: internal error: more than %d events at once; "
		    "%s dropped; please report", s->conf->name, SVC_QUEUE_MAX,
		    service_event_name(ev));
		return;
	}
	q->ev[i] = (unsigned char)ev;
	q->run[i] = s->run;
	q->len++;
}

/* The next event of the run under way, dropping those of ended runs. */
static enum svc_event
queue_pop(struct service *s)
{
	struct svc_queue *q = &s->queue;

	while (q->len > 0) {
		enum svc_event ev = q->ev[q->head];
		unsigned run = q->run[q->head];

		q->head = (q->head + 1) % SVC_QUEUE_MAX;
		q->len--;
		if (run == s->run)
			return ev;
		log_debug("%s: %s of an earlier run dropped", s->conf->name,
		    service_event_name(ev));
	}
	return SE_NONE;
}

/*
 * The only way into a service's machine.  An event raised while that
 * machine is busy (by an action, or by a callback an action triggered) is
 * queued and handled after the current one, never inside it.
 */
void
lifecycle_dispatch(struct service *s, enum svc_event ev)
{
	bool settled_before = service_is_settled(s);
	enum svc_state start_state = s->state;

	if (s->queue.busy) {
		queue_push(s, ev);
		return;
	}
	s->queue.busy = true;
	for (; ev != SE_NONE; ev = queue_pop(s))
		run_chain(s, ev);
	s->queue.busy = false;
	if (s->state != start_state)
		lc.ops->moved(s, settled_before);
}

/*
 * Its pipes are read to the end first; while corral's own stdout or
 * stderr holds them back, cleanup_timeout goes on bounding the wait.
 */
void
lifecycle_hook_exited(struct service *s, int status)
{
	s->hook_pid = 0;
	s->hook_status = status;
	if (children_finish_output(s, true))
		hook_complete(s);
	else if (s->hook_timed_out || (lc.shutdown &&
	    !ev_is_active(&s->hook_timer_w)))
		/* Its bound is spent, or a shutdown has none to give it. */
		hook_give_up_output(s);
	else
		s->hook_output_wait = true;
}

/*
 * prepare ended and its output is out: the main process starts, unless it
 * failed or the service was told to stop meanwhile, which ends the run as
 * a failed start (its hook runs, as for any failed start).
 */
static void
prepare_complete(struct service *s)
{
	char st[64];
	struct spawn_error e;

	s->prep_output_wait = false;
	if (s->exec_fd != -1) {
		if (spawn_read_status(s->exec_fd, &e) == 0) {
			errno = e.err;
			log_warn("%s: cannot execute prepare %s", s->conf->name,
			    s->conf->rare->prepare_argv[0]);
		}
		(void)close(s->exec_fd);
		s->exec_fd = -1;
	}
	if (s->want_up && !lc.shutdown && WIFEXITED(s->prep_status) &&
	    WEXITSTATUS(s->prep_status) == 0) {
		lifecycle_dispatch(s, SE_PREPARED);
		return;
	}
	describe_status(s->prep_status, st, sizeof(st));
	if (s->want_up)
		log_warnx("%s: prepare %s", s->conf->name, st);
	s->prep_failed = true;
	s->status = s->prep_status;
	s->ended_at = mono_now();
	if (s->want_up)
		s->reason = SR_EXIT;
	lifecycle_dispatch(s, SE_PREP_FAILED);
}

void
lifecycle_prepare_exited(struct service *s, int status)
{
	ev_timer_stop(lc.loop, &s->timer_w);
	s->prep_pid = 0;
	s->prep_status = status;
	if (children_finish_output(s, true) || lc.shutdown) {
		if (!children_output_done(s, true))
			children_abandon_output(s, true);
		prepare_complete(s);
	} else
		s->prep_output_wait = true;
}

static void
hook_stream_eof(struct output_stream *st, void *ctx)
{
	struct service *s = ctx;

	(void)st;
	if (s->hook_output_wait && children_output_done(s, true))
		hook_complete(s);
	else if (s->prep_output_wait && children_output_done(s, true))
		prepare_complete(s);
}

void
lifecycle_exited(struct service *s, int status)
{
	char st[64];

	if (s->exec_fd != -1) {
		/* It exited before the loop saw its exec status: read it now. */
		exec_cb(lc.loop, &s->exec_w, EV_READ);
		if (s->exec_fd != -1) {
			ev_io_stop(lc.loop, &s->exec_w);
			(void)close(s->exec_fd);
			s->exec_fd = -1;
		}
	}
	s->pid = 0;
	s->status = status;
	s->ended_at = mono_now();
	s->ended_wall = ev_time();
	if (!service_is_stopping(s))
		s->reason = SR_EXIT;
	describe_status(status, st, sizeof(st));
	if (s->spawn_failed)
		;		/* exec_cb said why */
	else if (service_status_expected(s))
		log_info("%s: %s", s->conf->name, st);
	else
		log_warnx("%s: %s", s->conf->name, st);
	/* What the pipes hold now; EOF may still need the group to end. */
	if (s->io != NULL)
		for (int i = 0; i < 2; i++)
			output_stream_drain(&s->io->out[i]);
	if (is_down(s)) {
		lifecycle_dispatch(s, SE_DOWN);
		return;
	}
	s->lingering = true;
	lc.nlingering++;
	lifecycle_dispatch(s, SE_EXITED);
}

static void
stream_eof(struct output_stream *st, void *ctx)
{
	struct service *s = ctx;

	(void)st;
	if (s->lingering && is_down(s))
		lifecycle_dispatch(s, SE_DOWN);
}

struct service *
lifecycle_new(struct svc_conf *c)
{
	struct service *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	service_init(s, c);
	s->exec_fd = -1;
	ev_init(&s->timer_w, timer_cb);
	ev_init(&s->hook_timer_w, hook_timer_cb);
	if (lifecycle_sync_buffer(s) == -1 || health_prepare(s, c) == -1) {
		logbuf_free(s->logbuf);
		free(s);
		return NULL;
	}
	return s;
}

int
lifecycle_sync_buffer(struct service *s)
{
	size_t want = s->conf->output_buffer;

	if (logbuf_size(s->logbuf) == want)
		return 0;
	if (want > 0 && s->logbuf != NULL)
		return logbuf_resize(s->logbuf, want);
	if (want > 0 && (s->logbuf = logbuf_new(want)) == NULL)
		return -1;
	if (want == 0) {
		logbuf_free(s->logbuf);
		s->logbuf = NULL;
	}
	/* A main process that runs now feeds the new one, or stops feeding. */
	if (s->io != NULL)
		for (int k = 0; k < 2; k++)
			s->io->out[k].logbuf = s->logbuf;
	return 0;
}

void
lifecycle_free(struct service *s)
{
	ev_timer_stop(lc.loop, &s->timer_w);
	ev_timer_stop(lc.loop, &s->hook_timer_w);
	health_stop(s);
	svcnotify_release(s);
	if (s->exec_fd != -1) {
		ev_io_stop(lc.loop, &s->exec_w);
		(void)close(s->exec_fd);
	}
	children_release(s);
	logbuf_free(s->logbuf);
	health_free(s);
	free(s);
}

void
lifecycle_recheck(struct service *s)
{
	if (!s->lingering)
		return;
	if (is_down(s))
		lifecycle_dispatch(s, SE_DOWN);
	else if (past_window(s) && only_pipes_left(s))
		timer_arm(lc.loop, &s->timer_w, 0);
}

void
lifecycle_stop_waiting(struct service *s)
{
	if (past_window(s) && !ev_is_active(&s->timer_w))
		timer_arm(lc.loop, &s->timer_w, 0);
	if (s->hook_output_wait && (lc.hurry ||
	    !ev_is_active(&s->hook_timer_w)))
		hook_give_up_output(s);
}

size_t
lifecycle_lingering(void)
{
	return lc.nlingering;
}

void
lifecycle_shutdown(void)
{
	lc.shutdown = true;
}

void
lifecycle_hurry(void)
{
	lc.hurry = true;
}

bool
lifecycle_hurried(void)
{
	return lc.hurry;
}

bool
lifecycle_unclean(void)
{
	return lc.unclean;
}

void
lifecycle_init(struct ev_loop *loop, struct pidmap *pids,
    const struct lifecycle_ops *ops)
{
	memset(&lc, 0, sizeof(lc));
	lc.loop = loop;
	lc.pids = pids;
	lc.ops = ops;
	children_init(stream_eof, hook_stream_eof);
}
