/*
 * The supervisor: where service.c's decisions become syscalls, children
 * are reaped, and the shutdown is ordered.  children.c makes the
 * processes; health.c judges readiness and health and answers through the
 * health_ops given to it here; requests.c answers corralctl and reloads.
 *
 * Invariants:
 * - Every child of corral is reaped by reaper.c, within one loop turn;
 *   the pid map says whether a pid was a service, a hook or a check, and
 *   the group of any other tells a service's leftover from an adopted
 *   orphan.
 * - A service is down when its main process has exited, its process group
 *   is empty and its output pipes are at end-of-file (or, past its stop
 *   window, given up on).  Members of the group that outlive the main process are
 *   descendants of corral (as PID 1 or subreaper), so each of their exits
 *   reaches the reaper, which re-checks lingering groups with kill(-pgid, 0).
 * - Cleanup hooks never get a signal but SIGKILL at their timeout.
 * - After start-up nothing here exits the process: every failure is logged
 *   and becomes an event (a failed spawn, an unclean shutdown).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "children.h"
#include "container.h"
#include "health.h"
#include "invariant.h"
#include "log.h"
#include "notify.h"
#include "pidmap.h"
#include "plan.h"
#include "reaper.h"
#include "service.h"
#include "spawn.h"
#include "status.h"
#include "supervisor.h"
#include "supervisor_impl.h"
#include "svcnotify.h"
#include "values.h"

/* How often a killed group is re-checked when its last exit is not ours. */
#define KILLED_RECHECK_S	0.25

struct supervisor sv;

static void	progress(void);
static void	hook_give_up_output(struct service *);

/* --- helpers ---------------------------------------------------------- */

/* Not fmin(): corral does not link libm for three comparisons. */
static double
min_d(double a, double b)
{
	return a < b ? a : b;
}

/* Durations are measured on the monotonic clock, never the wall clock. */
double
sv_mono_now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);	/* cannot fail */
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Signals a service's group, and its main process if it left the group. */
int
sv_signal_service(struct service *s, int sig)
{
	int r = -1;

	if (s->pgid != 0) {
		r = kill(-s->pgid, sig);
		if (r == -1 && errno != ESRCH)
			log_warn("%s: unable to send %s to process group %d",
			    s->conf->name, signal_name(sig), (int)s->pgid);
	}
	if (s->pid != 0 && getpgid(s->pid) != s->pgid) {
		if (kill(s->pid, sig) == 0)
			r = 0;
		else if (errno != ESRCH)
			log_warn("%s: unable to send %s to pid %d",
			    s->conf->name, signal_name(sig), (int)s->pid);
	}
	return r;
}

/* Every service, those a reload retired included: i < sv.n + sv.nretired. */
static struct service *
any_service(size_t i)
{
	return i < sv.n ? sv.svcs[i] : sv.retired[i - sv.n];
}

static bool
group_empty(const struct service *s)
{
	return s->pgid == 0 || (kill(-s->pgid, 0) == -1 && errno == ESRCH);
}


/*
 * Down (SPEC §4): the main process exited, its group is empty and, so that
 * no line is lost, its output pipes reached end-of-file.
 */
static bool
is_down(const struct service *s)
{
	return s->pid == 0 && group_empty(s) && children_output_done(s, false);
}

static void
arm(ev_timer *w, double after)
{
	ev_timer_stop(sv.loop, w);
	if (isinf(after))
		return;
	ev_timer_set(w, after < 0 ? 0 : after, 0);
	ev_timer_start(sv.loop, w);
}

/* --- actions ---------------------------------------------------------- */

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
	ev_io_stop(sv.loop, w);
	(void)close(s->exec_fd);
	s->exec_fd = -1;
	if (r == 1) {
		sv_dispatch(s, SE_SPAWNED);
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

static enum svc_event
act_spawn(struct service *s)
{
	pid_t pid;
	int fd;

	/* One live run per service, always (SPEC §12). */
	CORRAL_ASSERT(s->pid == 0 && s->pgid == 0 && s->hook_pid == 0 &&
	    !s->hook_output_wait && children_output_done(s, false),
	    "%s: spawn while pid %d, group %d or hook %d is alive",
	    s->conf->name, (int)s->pid, (int)s->pgid, (int)s->hook_pid);
	s->run++;
	if (s->started_at != 0)
		s->restarts++;
	s->started_at = sv_mono_now();
	s->started_wall = ev_time();
	s->status = 0;
	s->spawn_failed = false;
	s->spawn_errno = 0;
	s->sent_stop = false;
	s->killed = false;
	s->hook_ran = false;
	s->hook_timed_out = false;
	s->not_ready = false;
	/* A start from back-off comes before the back-off's end. */
	ev_timer_stop(sv.loop, &s->timer_w);
	pid = -1;
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
		s->ended_at = s->started_at;
		s->spawn_failed = true;
		s->spawn_errno = errno;
		s->status = W_EXITCODE(126, 0);
		return SE_SPAWN_FAILED;
	}
	if (pidmap_put(&sv.pids, pid, PID_SERVICE, s) == -1)
		log_errorx("%s: out of memory tracking pid %d; its exit will "
		    "look like an orphan's", s->conf->name, (int)pid);
	s->pid = pid;
	s->pgid = pid;
	s->exec_fd = fd;
	ev_io_init(&s->exec_w, exec_cb, fd, EV_READ);
	ev_io_start(sv.loop, &s->exec_w);
	log_debug("%s: started %s (pid %d)", s->conf->name, s->conf->command,
	    (int)pid);
	return SE_NONE;
}

void
sv_start_dependents(void);

/* The exec succeeded: up now, or once its readiness rule says so. */
static enum svc_event
act_execed(struct service *s)
{
	const struct svc_conf *c = s->conf;

	if (!health_waits_ready(s))
		return SE_READY;
	log_info("%s: started (pid %d), waiting until it is ready",
	    c->name, (int)s->pid);
	arm(&s->timer_w, c->ready_timeout);
	health_watch_readiness(s);
	return SE_NONE;
}

static enum svc_event
act_mark_up(struct service *s)
{
	ev_timer_stop(sv.loop, &s->timer_w);
	health_watch(s);
	log_info("%s: running (pid %d)", s->conf->name, (int)s->pid);
	sv_start_dependents();
	return SE_NONE;
}

/*
 * Sends kill_signal and re-checks the group every KILLED_RECHECK_S.  why
 * is logged; NULL for the deadline, which says so once for every service.
 */
static enum svc_event
send_kill(struct service *s, const char *why)
{
	int sig = s->conf->kill_signal;

	if (sv_signal_service(s, sig) == 0) {
		s->killed = true;
		if (why != NULL)
			log_warnx("%s: %s; sending %s", s->conf->name, why,
			    signal_name(sig));
	}
	arm(&s->timer_w, KILLED_RECHECK_S);
	return SE_KILLED;
}

static enum svc_event
send_stop(struct service *s, double window)
{
	if (window <= 0 || sv.hurry)
		return send_kill(s, "no time left in its stop window");
	if (s->pid != 0)
		s->sent_stop = true;
	(void)sv_signal_service(s, s->conf->stop_signal);
	/* A stopped process acts on its stop signal only once continued. */
	if (s->conf->stop_signal != SIGCONT && s->conf->stop_signal != SIGKILL)
		(void)sv_signal_service(s, SIGCONT);
	arm(&s->timer_w, window);
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
	if (sv.hurry)
		*delay = *window = 0;
	else if (s->kill_by != 0)
		plan_fit(s->conf, s->kill_by - ev_now(sv.loop), delay, window);
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
	arm(&s->timer_w, delay);
	return SE_DELAYED;
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
		arm(&s->timer_w, window);
		return SE_NONE;
	}
	log_info("%s: main process ended but its process group lives on; "
	    "sending %s", s->conf->name, signal_name(s->conf->stop_signal));
	return send_stop(s, window);
}

/* Whether nothing of the run is left but its output pipes. */
static bool
only_pipes_left(const struct service *s)
{
	return s->pid == 0 && group_empty(s);
}

static enum svc_event
act_window_over(struct service *s)
{
	if (only_pipes_left(s))
		return SE_EMPTY;	/* no kill, no recheck */
	return send_kill(s, "still running at the end of its stop window");
}

static enum svc_event
act_recheck(struct service *s)
{
	if (only_pipes_left(s))
		return SE_EMPTY;
	(void)sv_signal_service(s, SIGKILL);
	arm(&s->timer_w, KILLED_RECHECK_S);
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
	else if (sv.phase != SV_RUNNING) {
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
	return send_kill(s, "second shutdown signal");
}

/* shutdown_deadline: whatever is left is killed, its hook included. */
static enum svc_event
act_deadline(struct service *s)
{
	return send_kill(s, NULL);
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

	ev_timer_stop(sv.loop, &s->timer_w);
	health_stop(s);
	svcnotify_close(s);
	if (s->lingering) {
		s->lingering = false;
		sv.nlingering--;
	}
	s->pgid = 0;
	if (s->conf->cleanup_argv == NULL)
		return SE_CLEANED;
	snprintf(reason, sizeof(reason), "CORRAL_REASON=%s",
	    service_reason_name(s->reason));
	if (WIFSIGNALED(s->status))
		snprintf(result, sizeof(result), "CORRAL_EXIT_SIGNAL=%s",
		    signal_name(WTERMSIG(s->status)));
	else
		snprintf(result, sizeof(result), "CORRAL_EXIT_CODE=%d",
		    service_exit_code(s->status));
	more[0] = reason;
	more[1] = result;
	s->hook_ran = true;
	pid = children_start(s, CHILD_HOOK, more, 2, &fd);
	if (pid == -1) {
		s->hook_status = W_EXITCODE(126, 0);
		sv.unclean = true;
		return SE_CLEANED;
	}
	/*
	 * The exec status is read when the hook ends: by then the pipe holds
	 * the error record or is closed, so the read cannot block.
	 */
	s->exec_fd = fd;
	if (pidmap_put(&sv.pids, pid, PID_HOOK, s) == -1)
		log_errorx("%s: out of memory tracking pid %d", s->conf->name,
		    (int)pid);
	s->hook_pid = pid;
	format_duration(s->conf->cleanup_timeout, d, sizeof(d));
	log_info("%s: running cleanup hook (pid %d, reason %s, at most %s)",
	    s->conf->name, (int)pid, service_reason_name(s->reason), d);
	arm(&s->hook_timer_w, s->conf->cleanup_timeout);
	if (sv.phase != SV_RUNNING && !isinf(s->conf->cleanup_timeout)) {
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
	sv_dispatch(s, SE_TIMEOUT);
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
	arm(&s->timer_w, delay);
	return SE_NONE;
}

static int
critical_status(const struct service *s)
{
	return service_exit_code(s->status);
}

static enum svc_event
act_give_up(struct service *s)
{
	char st[64];

	describe_status(s->status, st, sizeof(st));
	log_warnx("%s: giving up after %u failed starts in a row (last %s)",
	    s->conf->name, s->failed_starts, st);
	for (size_t i = 0; i < sv.n; i++) {
		const struct service *d = sv.svcs[i];

		for (size_t j = 0; j < d->conf->nafter; j++)
			if (sv.svcs[d->conf->after_idx[j]] == s &&
			    d->state == SS_IDLE && d->want_up)
				log_warnx("%s: waiting for %s (failed)",
				    d->conf->name, s->conf->name);
	}
	if (s->conf->critical && sv.phase == SV_RUNNING) {
		sv.have_critical = true;
		sv.critical_status = critical_status(s);
		sv_begin_shutdown("a critical service failed");
	}
	return SE_NONE;
}

static enum svc_event
act_finish(struct service *s)
{
	/* want_up still set: it ended on its own and is not restarted. */
	bool own = s->want_up;

	if (s->restart_pending && sv.phase == SV_RUNNING && !s->retired) {
		s->restart_pending = false;
		s->want_up = true;
		s->failed_starts = 0;
		return SE_START;
	}
	s->restart_pending = false;
	s->want_up = false;
	if (own && s->conf->critical && sv.phase == SV_RUNNING) {
		char msg[96];

		sv.have_critical = true;
		sv.critical_status = critical_status(s);
		snprintf(msg, sizeof(msg), "critical service %s ended",
		    s->conf->name);
		sv_begin_shutdown(msg);
	}
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
	ev_timer_stop(sv.loop, &s->timer_w);
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
	case SA_CANCEL:		return act_cancel(s);
	case SA__COUNT:		break;
	}
	log_errorx("internal error: action %d; please report", (int)a);
	return SE_NONE;
}

/* Autostart services that are up, or that finished as they should. */
static bool
all_up(void)
{
	for (size_t i = 0; i < sv.n; i++) {
		const struct service *s = sv.svcs[i];

		if (s->conf->autostart && !service_is_up(s))
			return false;
	}
	return true;
}

/* READY=1 once, then STATUS= whenever the number of running services changes. */
static void
report_status(void)
{
	static size_t last = SIZE_MAX;
	char msg[96];

	if (!notify_enabled() || sv.phase != SV_RUNNING)
		return;
	if (!sv.ready_sent && all_up()) {
		sv.ready_sent = true;
		snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%zu/%zu running",
		    sv.nrunning, sv.n);
		notify_send(msg);
		last = sv.nrunning;
		return;
	}
	if (sv.nrunning == last)
		return;
	last = sv.nrunning;
	snprintf(msg, sizeof(msg), "STATUS=%zu/%zu running", sv.nrunning, sv.n);
	notify_send(msg);
}

/* Runs ev and the follow-up events its actions yield, to the end. */
static void
run_chain(struct service *s, enum svc_event ev)
{
	while (ev != SE_NONE) {
		enum svc_state from = s->state;
		const struct transition *t = service_step(s, ev);

		if (t->next == SS_NONE) {
			log_debug("%s: %s ignored in %s", s->conf->name,
			    service_event_name(ev), service_state_name(from));
			break;
		}
		if ((from == SS_STARTING || from == SS_RUNNING) &&
		    t->next != SS_STARTING && t->next != SS_RUNNING)
			health_stop(s);
		if (from == SS_RUNNING && t->next != SS_RUNNING)
			sv.nrunning--;
		else if (from != SS_RUNNING && t->next == SS_RUNNING)
			sv.nrunning++;
		log_debug("%s: %s -> %s on %s", s->conf->name,
		    service_state_name(from), service_state_name(t->next),
		    service_event_name(ev));
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
sv_dispatch(struct service *s, enum svc_event ev)
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
	if (s->state != start_state) {
		report_status();
		sv.status_dirty = sv.conf->status_file != NULL;
	}
	if (sv.phase == SV_SHUTDOWN && !settled_before &&
	    service_is_settled(s))
		progress();
}

/* --- starting --------------------------------------------------------- */

static bool
deps_up(const struct service *s)
{
	for (size_t j = 0; j < s->conf->nafter; j++)
		if (sv.svcs[s->conf->after_idx[j]]->state != SS_RUNNING)
			return false;
	return true;
}

void
sv_start_dependents(void)
{
	if (sv.phase != SV_RUNNING)
		return;
	for (size_t i = 0; i < sv.n; i++) {
		struct service *s = sv.svcs[i];

		if (s->state == SS_IDLE && s->want_up && deps_up(s))
			sv_dispatch(s, SE_START);
	}
}

void
supervisor_start(void)
{
	for (size_t i = 0; i < sv.n; i++)
		sv.svcs[i]->want_up = sv.svcs[i]->conf->autostart;
	sv_start_dependents();
	report_status();
}

/* --- reaping ---------------------------------------------------------- */

/* The hook ended and its output is out: the service's cleanup is over. */
static void
hook_complete(struct service *s)
{
	char st[64];
	struct spawn_error e;

	ev_timer_stop(sv.loop, &s->hook_timer_w);
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
		sv.unclean = true;
		log_warnx("%s: cleanup hook %s%s", s->conf->name, st,
		    s->hook_timed_out ? " (timed out)" : "");
	} else
		log_info("%s: cleanup hook done", s->conf->name);
	sv_dispatch(s, SE_CLEANED);
}

/*
 * Its pipes are read to the end first; while corral's own stdout or
 * stderr holds them back, cleanup_timeout goes on bounding the wait.
 */
static void
hook_ended(struct service *s, int status)
{
	s->hook_pid = 0;
	s->hook_status = status;
	if (children_finish_output(s, true))
		hook_complete(s);
	else if (s->hook_timed_out || (sv.phase != SV_RUNNING &&
	    !ev_is_active(&s->hook_timer_w)))
		/* Its bound is spent, or a shutdown has none to give it. */
		hook_give_up_output(s);
	else
		s->hook_output_wait = true;
}

static void
sv_hook_stream_eof(struct output_stream *st, void *ctx)
{
	struct service *s = ctx;

	(void)st;
	if (s->hook_output_wait && children_output_done(s, true))
		hook_complete(s);
}

/* A shutdown cannot wait for a reader any longer: what is left is lost. */
static void
hook_give_up_output(struct service *s)
{
	children_abandon_output(s, true);
	hook_complete(s);
}

static void
service_exited(struct service *s, int status)
{
	char st[64];

	if (s->exec_fd != -1) {
		/* It exited before the loop saw its exec status: read it now. */
		exec_cb(sv.loop, &s->exec_w, EV_READ);
		if (s->exec_fd != -1) {
			ev_io_stop(sv.loop, &s->exec_w);
			(void)close(s->exec_fd);
			s->exec_fd = -1;
		}
	}
	s->pid = 0;
	s->status = status;
	s->ended_at = sv_mono_now();
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
		sv_dispatch(s, SE_DOWN);
		return;
	}
	s->lingering = true;
	sv.nlingering++;
	sv_dispatch(s, SE_EXITED);
}

static void
sv_stream_eof(struct output_stream *st, void *ctx)
{
	struct service *s = ctx;

	(void)st;
	if (s->lingering && is_down(s))
		sv_dispatch(s, SE_DOWN);
}

static void orphans_check(void);

static void
recheck_lingering(void)
{
	for (size_t i = 0; i < sv.n + sv.nretired && sv.nlingering > 0; i++) {
		struct service *s = any_service(i);

		if (!s->lingering)
			continue;
		if (is_down(s))
			sv_dispatch(s, SE_DOWN);
		else if ((s->state == SS_KILLING || s->state == SS_DRAINING) &&
		    only_pipes_left(s))
			arm(&s->timer_w, 0);
	}
}

static bool
pid_known(pid_t pid)
{
	enum pid_kind k = pidmap_get(&sv.pids, pid, NULL);

	return k != PID_NONE && k != PID_ORPHAN;
}

/*
 * A process that reached corral from inside a service's group (it
 * outlived its parent there) is that service's leftover; any other is
 * adopted, from outside every service.
 */
static void
count_stranger(pid_t pid, pid_t pgid)
{
	for (size_t i = 0; pgid != 0 && i < sv.n + sv.nretired; i++) {
		struct service *s = any_service(i);

		if (s->pgid == pgid) {
			s->leftovers++;
			log_debug("%s: reaped leftover process %d",
			    s->conf->name, (int)pid);
			return;
		}
	}
	sv.adopted++;
	log_debug("reaped adopted process %d", (int)pid);
}

static void
reaped(pid_t pid, int status, pid_t pgid)
{
	void *owner = NULL;

	switch (pidmap_get(&sv.pids, pid, &owner)) {
	case PID_SERVICE:
		pidmap_del(&sv.pids, pid);
		service_exited(owner, status);
		break;
	case PID_HOOK:
		pidmap_del(&sv.pids, pid);
		hook_ended(owner, status);
		break;
	case PID_CHECK:
		pidmap_del(&sv.pids, pid);
		health_check_ended(owner, pid, status);
		break;
	case PID_DISOWNED:
		pidmap_del(&sv.pids, pid);
		break;
	case PID_ORPHAN:
		pidmap_del(&sv.pids, pid);
		/* FALLTHROUGH */
	case PID_NONE:
		count_stranger(pid, pgid);
		break;
	}
	if (sv.nlingering > 0)
		recheck_lingering();
	if (sv.phase == SV_ORPHANS)
		orphans_check();
}

/* --- shutdown --------------------------------------------------------- */

static bool
may_stop(size_t i)
{
	for (size_t b = 0; b < sv.plan.nblockers[i]; b++)
		if (!service_is_settled(sv.svcs[sv.plan.blockers[i][b]]))
			return false;
	return true;
}

/*
 * Reads /proc/self/task/PID/children: corral is single-threaded, so that
 * is every child it has.  Returns the count, or -1 when /proc is missing.
 */
static long
list_children(pid_t *out, size_t max)
{
	char path[64];
	FILE *fp;
	long n = 0;
	int pid;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	fp = fopen(path, "re");
	if (fp == NULL)
		return -1;
	while (fscanf(fp, "%d", &pid) == 1) {
		if ((size_t)n < max)
			out[n] = pid;
		n++;
	}
	(void)fclose(fp);
	return n;
}

static void
finish(void)
{
	sv.phase = SV_DONE;
	ev_timer_stop(sv.loop, &sv.deadline_w);
	ev_timer_stop(sv.loop, &sv.orphan_w);
	ev_break(sv.loop, EVBREAK_ALL);
}

static void
orphans_check(void)
{
	pid_t pids[512];
	long n = list_children(pids, sizeof(pids) / sizeof(pids[0]));
	unsigned long fresh = 0;

	if (n == -1) {
		log_warn("unable to list adopted processes in /proc");
		finish();
		return;
	}
	if (n == 0) {
		finish();
		return;
	}
	for (long i = 0; i < n && (size_t)i < sizeof(pids) / sizeof(pids[0]); i++) {
		int sig = sv.orphan_kill ? SIGKILL : SIGTERM;

		if (!sv.orphan_kill &&
		    pidmap_get(&sv.pids, pids[i], NULL) == PID_ORPHAN)
			continue;	/* already asked */
		if (kill(pids[i], sig) == -1) {
			if (errno != ESRCH)
				log_warn("unable to send %s to adopted process %d",
				    signal_name(sig), (int)pids[i]);
			continue;
		}
		fresh++;
		if (!sv.orphan_kill)
			(void)pidmap_put(&sv.pids, pids[i], PID_ORPHAN, NULL);
	}
	if (fresh > 0) {
		sv.orphans_signalled += sv.orphan_kill ? 0 : fresh;
		log_info("sending %s to %lu adopted process%s",
		    sv.orphan_kill ? "KILL" : "TERM", fresh, fresh == 1 ? "" : "es");
	}
}

static void
orphan_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	(void)w;
	sv.orphan_kill = true;
	orphans_check();
	/* A process that is not ours to see exiting: look again. */
	if (sv.phase == SV_ORPHANS)
		arm(&sv.orphan_w, KILLED_RECHECK_S);
}

static void
begin_orphans(void)
{
	double longest = sv.conf->stop_timeout;

	if (sv.hurry)
		longest = 0;
	else
		for (size_t i = 0; i < sv.n; i++)
			if (sv.svcs[i]->conf->stop_timeout > longest)
				longest = sv.svcs[i]->conf->stop_timeout;
	if (sv.conf->shutdown_deadline > 0)
		longest = min_d(longest, sv.shutdown_at + sv.conf->shutdown_deadline -
		    ev_now(sv.loop));
	sv.phase = SV_ORPHANS;
	arm(&sv.orphan_w, longest);
	orphans_check();
}

static void
progress(void)
{
	bool all = true;

	for (size_t k = 0; k < sv.n; k++) {
		size_t i = sv.plan.stop_order[k];
		struct service *s = sv.svcs[i];

		if ((s->state == SS_STARTING || s->state == SS_RUNNING) &&
		    may_stop(i))
			sv_dispatch(s, SE_STOP);
		if (sv.phase != SV_SHUTDOWN)
			return;		/* the dispatch above finished it */
		if (!service_is_settled(s))
			all = false;
	}
	for (size_t i = 0; i < sv.nretired; i++)
		if (!service_is_settled(sv.retired[i]))
			all = false;
	if (all)
		begin_orphans();
}

static void
deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	(void)w;
	log_warnx("shutdown_deadline reached; killing everything left");
	sv.hurry = true;
	for (size_t i = 0; i < sv.n + sv.nretired; i++) {
		struct service *s = any_service(i);

		if (!service_is_settled(s))
			sv_dispatch(s, SE_DEADLINE);
	}
	sv.unclean = true;
	if (sv.phase == SV_ORPHANS) {
		sv.orphan_kill = true;
		orphans_check();
	}
}

/*
 * A shutdown cannot wait on a reader that does not read: a service past
 * its window waits no more for its pipes, and a hook that has ended no more
 * for its own when nothing bounds that wait (cleanup_timeout = infinity).
 */
static void
stop_waiting_on_readers(void)
{
	for (size_t i = 0; i < sv.n + sv.nretired; i++) {
		struct service *s = any_service(i);

		if ((s->state == SS_KILLING || s->state == SS_DRAINING) &&
		    !ev_is_active(&s->timer_w))
			arm(&s->timer_w, 0);
		if (s->hook_output_wait && (sv.hurry ||
		    !ev_is_active(&s->hook_timer_w)))
			hook_give_up_output(s);
	}
}

void
sv_begin_shutdown(const char *why)
{
	sv.phase = SV_SHUTDOWN;
	sv.shutdown_at = ev_now(sv.loop);
	log_info("shutting down (%s)", why);
	notify_send("STOPPING=1\nSTATUS=shutting down");
	if (sv.conf->shutdown_deadline > 0)
		arm(&sv.deadline_w, sv.conf->shutdown_deadline);
	for (size_t i = 0; i < sv.n; i++) {
		struct service *s = sv.svcs[i];

		if (s->state == SS_FAILED || s->state == SS_BACKOFF) {
			log_warnx("%s: was %s when the shutdown began",
			    s->conf->name, service_state_name(s->state));
			sv.unclean = true;
		}
		s->want_up = false;
		health_stop(s);
		if (!service_is_stopping(s) && s->state != SS_CLEANUP)
			s->reason = SR_SHUTDOWN;
		if (!isinf(sv.plan.latest_kill[i]))
			s->kill_by = sv.shutdown_at + sv.plan.latest_kill[i];
	}
	stop_waiting_on_readers();
	for (size_t i = 0; i < sv.n; i++) {
		struct service *s = sv.svcs[i];

		if (s->state == SS_IDLE || s->state == SS_BACKOFF)
			sv_dispatch(s, SE_STOP);
	}
	progress();
}

/* A second signal: every graceful window ends now (SPEC §5 step 4). */
static void
hurry_up(void)
{
	sv.hurry = true;
	for (size_t i = 0; i < sv.n + sv.nretired; i++) {
		struct service *s = any_service(i);

		if (!service_is_settled(s))
			sv_dispatch(s, SE_HURRY);
	}
	stop_waiting_on_readers();
	if (sv.phase == SV_ORPHANS) {
		sv.orphan_kill = true;
		orphans_check();
	}
}

void
supervisor_shutdown_signal(int sig)
{
	char why[32];
	double most = 0;

	if (sv.phase == SV_RUNNING) {
		snprintf(why, sizeof(why), "SIG%s", signal_name(sig));
		sv_begin_shutdown(why);
		return;
	}
	if (!sv.hurried_by_signal) {
		sv.hurried_by_signal = true;
		log_warnx("SIG%s during the shutdown: ending graceful windows "
		    "now; cleanup hooks still run to completion",
		    signal_name(sig));
		hurry_up();
		return;
	}
	if (sv.told_ignored)
		return;
	sv.told_ignored = true;
	for (size_t i = 0; i < sv.n; i++)
		if (sv.svcs[i]->hook_pid != 0 &&
		    sv.svcs[i]->conf->cleanup_timeout > most)
			most = sv.svcs[i]->conf->cleanup_timeout;
	format_duration(most, why, sizeof(why));
	log_warnx("SIG%s: already shutting down; waiting for cleanup hooks "
	    "(at most %s); further signals change nothing", signal_name(sig),
	    why);
}

void
supervisor_forward(int sig)
{
	for (size_t i = 0; i < sv.n + sv.nretired; i++) {
		struct service *s = any_service(i);

		if (service_is_live(s))
			(void)sv_signal_service(s, sig);
	}
}

/* --- set-up, report, exit --------------------------------------------- */

struct service *
sv_service_new(struct svc_conf *c)
{
	struct service *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	service_init(s, c);
	s->exec_fd = -1;
	ev_init(&s->timer_w, timer_cb);
	ev_init(&s->hook_timer_w, hook_timer_cb);
	if (health_prepare(s, c) == -1) {
		free(s);
		return NULL;
	}
	return s;
}

/* Only for a settled service: nothing of it is in the loop any more. */
void
sv_service_free(struct service *s)
{
	ev_timer_stop(sv.loop, &s->timer_w);
	ev_timer_stop(sv.loop, &s->hook_timer_w);
	health_stop(s);
	svcnotify_release(s);
	if (s->exec_fd != -1) {
		ev_io_stop(sv.loop, &s->exec_w);
		(void)close(s->exec_fd);
	}
	if (s->io != NULL) {
		for (int k = 0; k < 2; k++) {
			output_stream_close(&s->io->out[k]);
			output_stream_close(&s->io->hook_out[k]);
		}
		free(s->io);
	}
	health_free(s);
	free(s);
}

/* Logged once per failure streak, so a full disk does not flood the log. */
static void
write_status_file(void)
{
	static bool failing;

	sv.status_dirty = false;
	if (status_write(sv.conf->status_file, sv.svcs, sv.n) == -1) {
		if (!failing)
			log_warn("unable to write status file %s",
			    sv.conf->status_file);
		failing = true;
		return;
	}
	failing = false;
}

/* A health result or STATUS= changed: the status file shows both. */
static void
mark_status_dirty(void)
{
	sv.status_dirty = sv.conf->status_file != NULL;
}

static const struct health_ops health_ops = {
	.event = sv_dispatch,
	.changed = mark_status_dirty,
};

static void
prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	if (sv.nretired > 0)
		sv_sweep_retired();
	if (sv.status_dirty)
		write_status_file();
}

int
supervisor_init(struct ev_loop *loop, struct config *conf)
{
	memset(&sv, 0, sizeof(sv));
	sv.loop = loop;
	sv.conf = conf;
	sv.log_level_fixed = -1;
	sv.n = conf->nservices;
	if (plan_build(conf, &sv.plan) == -1)
		goto oom;
	sv.svcs = calloc(sv.n + 1, sizeof(*sv.svcs));
	if (sv.svcs == NULL)
		goto oom;
	for (size_t i = 0; i < sv.n; i++)
		if ((sv.svcs[i] = sv_service_new(conf->services[i])) == NULL)
			goto oom;
	ev_init(&sv.deadline_w, deadline_cb);
	ev_init(&sv.orphan_w, orphan_timer_cb);
	children_init(sv_stream_eof, sv_hook_stream_eof);
	health_init(loop, &sv.pids, &health_ops);
	reaper_init(loop, pid_known, reaped);
	/* Status file writes are batched: one per loop iteration at most. */
	ev_prepare_init(&sv.prepare_w, prepare_cb);
	ev_prepare_start(loop, &sv.prepare_w);
	sv.status_dirty = conf->status_file != NULL;
	/* Before any service runs; on failure, the first write warns. */
	if (conf->status_file != NULL)
		(void)status_open(conf->status_file);
	return 0;
oom:
	log_errorx("out of memory");
	return -1;
}

static bool
ended_badly(const struct service *s)
{
	if (s->started_at == 0)
		return false;		/* never ran */
	return s->killed || (s->hook_ran && (s->hook_timed_out ||
	    !WIFEXITED(s->hook_status) || WEXITSTATUS(s->hook_status) != 0)) ||
	    s->spawn_failed || !service_status_expected(s);
}

int
supervisor_exit_status(void)
{
	bool unclean = sv.unclean;

	if (sv.have_critical && sv.critical_status != 0)
		return sv.critical_status;
	for (size_t i = 0; i < sv.n; i++)
		unclean |= ended_badly(sv.svcs[i]);
	return unclean && sv.conf->strict ? 3 : 0;
}

void
supervisor_report(void)
{
	for (size_t i = 0; i < sv.n; i++) {
		const struct service *s = sv.svcs[i];
		char how[96], hook[96];

		if (s->started_at == 0)
			snprintf(how, sizeof(how), "never started");
		else if (s->spawn_failed)
			snprintf(how, sizeof(how), "could not be started (%s)",
			    strerror(s->spawn_errno));
		else {
			describe_status(s->status, how, sizeof(how));
			if (s->killed)
				strncat(how, " (had to be killed)",
				    sizeof(how) - strlen(how) - 1);
			else if (!service_status_expected(s))
				strncat(how, " (unexpected)",
				    sizeof(how) - strlen(how) - 1);
		}
		if (!s->hook_ran)
			snprintf(hook, sizeof(hook), "%s",
			    s->conf->cleanup_argv ? "cleanup not run" : "no cleanup");
		else if (s->hook_timed_out)
			snprintf(hook, sizeof(hook), "cleanup timed out");
		else {
			char st[64];

			describe_status(s->hook_status, st, sizeof(st));
			snprintf(hook, sizeof(hook), "cleanup %s", st);
		}
		(ended_badly(s) ? log_warnx : log_info)("report: %s: %s, %s, "
		    "%u restart%s, %s", s->conf->name,
		    service_state_name(s->state), how, s->restarts,
		    s->restarts == 1 ? "" : "s", hook);
		if (s->leftovers > 0)
			log_info("report: %s: %lu leftover process%s reaped",
			    s->conf->name, s->leftovers,
			    s->leftovers == 1 ? "" : "es");
	}
	if (sv.adopted > 0 || sv.orphans_signalled > 0)
		log_info("report: %lu adopted process%s reaped, %lu signalled "
		    "at shutdown", sv.adopted, sv.adopted == 1 ? "" : "es",
		    sv.orphans_signalled);
	if (sv.conf->status_file != NULL)
		write_status_file();
	log_info("exiting with status %d", supervisor_exit_status());
}

void
supervisor_free(void)
{
	for (size_t i = 0; i < sv.n; i++)
		if (sv.svcs[i] != NULL)
			sv_service_free(sv.svcs[i]);
	for (size_t i = 0; i < sv.nretired; i++) {
		config_free_service(sv.retired[i]->conf);
		sv_service_free(sv.retired[i]);
	}
	ev_prepare_stop(sv.loop, &sv.prepare_w);
	reaper_free();
	svcnotify_free();
	status_close();
	free(sv.retired);
	free(sv.svcs);
	plan_free(&sv.plan);
	pidmap_free(&sv.pids);
	config_free(sv.conf);
	memset(&sv, 0, sizeof(sv));
}
