/*
 * on_state runs: the FIFO of changes, the ONSTATE_RUNNING_MAX runs under
 * way, their bounds, and the shutdown's wait for them.
 *
 * Invariants:
 * - A change waits in the FIFO only while every run is taken, so runs
 *   start in the order of the changes (those of one service in the order
 *   of its transitions); they may end in another order.
 * - A run is taken from its spawn until its process is reaped and its
 *   output pipe is closed, as a hook is; its timer bounds both.
 * - Nothing of a service is kept past the change: a run holds copies, so a
 *   reload may free the service (or the command) while the run goes on.
 * - Between vfork() and exec() the child only makes system calls: argv,
 *   the environment and the pipe are made here first (spawn.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "container.h"
#include "log.h"
#include "onstate.h"
#include "output.h"
#include "spawn.h"
#include "values.h"

struct run {
	bool		 taken;
	pid_t		 pid;		/* 0 once reaped */
	int		 exec_fd;	/* exec-status pipe, read when reaped */
	bool		 timed_out;
	double		 timeout;	/* its bound: the service's cleanup_timeout */
	bool		 reaping;	/* in onstate_reaped(): its eof is ours */
	char		*cmd;		/* argv[0], for messages */
	char		 service[SERVICE_NAME_MAX + 1];
	char		 state[16];
	struct output_stream out;	/* stdout and stderr share one pipe */
	ev_timer	 timer_w;
};

static struct {
	struct ev_loop	*loop;
	struct pidmap	*pids;
	char *const	*argv;		/* NULL: no on_state */
	unsigned long	 seq;
	size_t		 nrunning;
	bool		 shutdown;
	bool		 closed;	/* shutdown_deadline: no more runs */
} os;

/*
 * The runs and the FIFO, 12 KiB, made at the first change that has a run:
 * a corral without on_state has none, and its few small variables stay
 * on as few pages as before (Pss, SPEC §11).
 */
static struct pool {
	struct run	 runs[ONSTATE_RUNNING_MAX];
	struct onstate_fifo fifo;
} *pool;

bool
onstate_fifo_push(struct onstate_fifo *q, const struct onstate_event *ev)
{
	if (q->len == ONSTATE_QUEUE_MAX) {
		q->dropped++;
		return false;
	}
	q->ev[(q->head + q->len) % ONSTATE_QUEUE_MAX] = *ev;
	q->len++;
	return true;
}

bool
onstate_fifo_pop(struct onstate_fifo *q, struct onstate_event *ev)
{
	if (q->len == 0)
		return false;
	*ev = q->ev[q->head];
	q->head = (q->head + 1) % ONSTATE_QUEUE_MAX;
	q->len--;
	return true;
}

/* The variables a run gets on top of corral's environment. */
struct run_env {
	char		 service[sizeof("CORRAL_SERVICE=") + SERVICE_NAME_MAX];
	char		 state[sizeof("CORRAL_STATE=") + 16];
	char		 prev[sizeof("CORRAL_PREV_STATE=") + 16];
	char		 seq[sizeof("CORRAL_STATE_SEQ=") + 24];
	char		 exit_var[sizeof(((struct onstate_event *)0)->exit_var)];
	char		*v[5];
};

static char **
run_environment(const struct onstate_event *ev, struct run_env *re)
{
	size_t n = 0;

	snprintf(re->service, sizeof(re->service), "CORRAL_SERVICE=%s",
	    ev->service);
	snprintf(re->state, sizeof(re->state), "CORRAL_STATE=%s", ev->state);
	snprintf(re->prev, sizeof(re->prev), "CORRAL_PREV_STATE=%s", ev->prev);
	snprintf(re->seq, sizeof(re->seq), "CORRAL_STATE_SEQ=%lu", ev->seq);
	re->v[n++] = re->service;
	re->v[n++] = re->state;
	re->v[n++] = re->prev;
	re->v[n++] = re->seq;
	if (ev->exit_var[0] != '\0') {
		memcpy(re->exit_var, ev->exit_var, sizeof(re->exit_var));
		re->v[n++] = re->exit_var;
	}
	return spawn_environment(re->v, n);
}

/*
 * Forks the run with both its streams on one pipe, so that its lines keep
 * their order on corral's stderr.  Returns the pid, or -1 with errno set.
 */
static pid_t
run_spawn(const struct onstate_event *ev, int *pipe_fd, int *status_fd)
{
	struct spawn_req req;
	struct run_env re = { 0 };
	char **env;
	int p[2] = { -1, -1 }, saved;
	pid_t pid = -1;

	if ((env = run_environment(ev, &re)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	/* corral's own user, directory, limits and umask: the operator's. */
	memset(&req, 0, sizeof(req));
	req.argv = os.argv;
	req.envp = env;
	req.umask = -1;
	req.ngroups = -1;
	if (pipe2(p, O_CLOEXEC) == 0) {
		if (fcntl(p[0], F_SETFL, O_NONBLOCK) == 0) {
			req.out_fd = req.err_fd = p[1];
			pid = spawn_start(&req, status_fd);
		}
		saved = errno;
		(void)close(p[1]);
		if (pid == -1)
			(void)close(p[0]);
		errno = saved;
	}
	saved = errno;
	free(env);
	errno = saved;
	*pipe_fd = p[0];
	return pid;
}

static void	run_eof(struct output_stream *st, void *ctx);

/* Starts ev in r; a failure is logged, and r stays free. */
static void
run_start(struct run *r, const struct onstate_event *ev)
{
	int pipe_fd, status_fd;
	pid_t pid;

	pid = run_spawn(ev, &pipe_fd, &status_fd);
	if (pid == -1) {
		log_warn("%s: unable to start on_state %s for %s", ev->service,
		    os.argv[0], ev->state);
		return;
	}
	if (pidmap_put(os.pids, pid, PID_ONSTATE, r) == -1) {
		/* Its reap would never find it: it would hold r for ever. */
		log_errorx("%s: out of memory tracking pid %d of on_state; "
		    "killing it", ev->service, (int)pid);
		(void)kill(-pid, SIGKILL);	/* it cannot be gone yet */
		(void)close(pipe_fd);
		(void)close(status_fd);
		return;
	}
	r->taken = true;
	r->pid = pid;
	r->exec_fd = status_fd;
	r->timed_out = false;
	r->timeout = ev->timeout;
	r->cmd = strdup(os.argv[0]);
	memcpy(r->service, ev->service, sizeof(r->service));
	memcpy(r->state, ev->state, sizeof(r->state));
	output_stream_open(&r->out, pipe_fd, STDERR_FILENO, "on_state",
	    run_eof, r);
	timer_arm(os.loop, &r->timer_w, ev->timeout);
	os.nrunning++;
	log_debug("%s: on_state for %s (pid %d, seq %lu)", ev->service,
	    ev->state, (int)pid, ev->seq);
}

static void	run_timer_cb(struct ev_loop *, ev_timer *, int);

static struct pool *
make_pool(void)
{
	/* Not calloc'd: the FIFO's pages stay untouched until used. */
	struct pool *p = malloc(sizeof(*p));

	if (p == NULL)
		return NULL;
	p->fifo.head = p->fifo.len = 0;
	p->fifo.dropped = 0;
	for (size_t i = 0; i < ONSTATE_RUNNING_MAX; i++) {
		memset(&p->runs[i], 0, sizeof(p->runs[i]));
		p->runs[i].out.fd = -1;
		p->runs[i].exec_fd = -1;
		ev_init(&p->runs[i].timer_w, run_timer_cb);
	}
	return p;
}

static struct run *
free_run(void)
{
	for (size_t i = 0; i < ONSTATE_RUNNING_MAX; i++)
		if (!pool->runs[i].taken)
			return &pool->runs[i];
	return NULL;
}

static void
tell_dropped(void)
{
	unsigned long n = pool != NULL ? pool->fifo.dropped : 0;

	if (n == 0)
		return;
	pool->fifo.dropped = 0;
	log_warnx("on_state: %lu run%s dropped: %d were already waiting", n,
	    n == 1 ? "" : "s", ONSTATE_QUEUE_MAX);
}

/*
 * Starts what waits, while a run is free.  The drop count is told once
 * the FIFO is empty again: it was full, so at least ONSTATE_QUEUE_MAX runs
 * started since the last such line, which bounds how often it comes.
 */
static void
pump(void)
{
	struct onstate_event ev;
	struct run *r;

	while (!os.closed && (r = free_run()) != NULL &&
	    onstate_fifo_pop(&pool->fifo, &ev))
		run_start(r, &ev);
	if (pool->fifo.len == 0)
		tell_dropped();
}

/* r is over: its process reaped and its pipe closed (or given up on). */
static void
run_end(struct run *r)
{
	ev_timer_stop(os.loop, &r->timer_w);
	if (r->exec_fd != -1) {
		(void)close(r->exec_fd);
		r->exec_fd = -1;
	}
	free(r->cmd);
	r->cmd = NULL;
	r->taken = false;
	os.nrunning--;
	pump();
}

static void
run_eof(struct output_stream *st, void *ctx)
{
	struct run *r = ctx;

	(void)st;
	if (r->pid == 0 && !r->reaping)
		run_end(r);
}

/* Its bound is spent: the group is killed, or its output given up on. */
static void
run_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct run *r = container_of(w, struct run, timer_w);
	char d[32];

	(void)loop;
	(void)revents;
	if (r->pid == 0) {
		output_stream_abandon(&r->out);
		run_end(r);
		return;
	}
	format_duration(r->timeout, d, sizeof(d));
	log_warnx("%s: on_state %s for %s still running after "
	    "cleanup_timeout %s; killing it", r->service,
	    r->cmd != NULL ? r->cmd : "", r->state, d);
	r->timed_out = true;
	if (kill(-r->pid, SIGKILL) == -1 && errno != ESRCH)
		log_warn("%s: unable to kill on_state %d", r->service,
		    (int)r->pid);
}

/* What became of the run: said only when it did not go as it should. */
static void
run_report(struct run *r, int status)
{
	struct spawn_error e;
	char st[64];

	if (spawn_read_status(r->exec_fd, &e) == 0) {
		errno = e.err;
		log_warn("%s: cannot %s on_state %s for %s", r->service,
		    e.stage == SPAWN_EXEC ? "execute" :
		    spawn_stage_text(e.stage), r->cmd != NULL ? r->cmd : "",
		    r->state);
		return;
	}
	if (r->timed_out || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
		return;
	describe_status(status, st, sizeof(st));
	log_warnx("%s: on_state %s for %s %s", r->service,
	    r->cmd != NULL ? r->cmd : "", r->state, st);
}

void
onstate_reaped(void *run, int status)
{
	struct run *r = run;
	bool closed;

	r->pid = 0;
	run_report(r, status);
	r->reaping = true;
	closed = output_stream_finish(&r->out);
	r->reaping = false;
	if (!closed && !r->timed_out && !os.closed &&
	    !(os.shutdown && !ev_is_active(&r->timer_w)))
		return;		/* its eof or its timer ends it */
	output_stream_abandon(&r->out);
	run_end(r);
}

void
onstate_changed(const struct service *s, const char *prev)
{
	const char *now = service_shown_state(s);
	struct onstate_event ev;

	if (os.argv == NULL || strcmp(prev, now) == 0)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.seq = ++os.seq;
	ev.timeout = s->conf->cleanup_timeout;
	snprintf(ev.service, sizeof(ev.service), "%s", s->conf->name);
	snprintf(ev.state, sizeof(ev.state), "%s", now);
	snprintf(ev.prev, sizeof(ev.prev), "%s", prev);
	/* The states a service is in after its main process ended. */
	if (s->run > 0 && (s->state == SS_CLEANUP || s->state == SS_BACKOFF ||
	    s->state == SS_FAILED || s->state == SS_STOPPED ||
	    s->state == SS_DONE))
		service_exit_var(s->status, ev.exit_var, sizeof(ev.exit_var));
	if (os.closed) {
		log_debug("%s: no on_state for %s past shutdown_deadline",
		    ev.service, ev.state);
		return;
	}
	if (pool == NULL && (pool = make_pool()) == NULL) {
		log_warnx("%s: out of memory; on_state for %s dropped",
		    ev.service, ev.state);
		return;
	}
	(void)onstate_fifo_push(&pool->fifo, &ev);
	pump();
}

bool
onstate_busy(void)
{
	return os.nrunning > 0 || (pool != NULL && pool->fifo.len > 0);
}

void
onstate_shutdown(void)
{
	os.shutdown = true;
	for (size_t i = 0; pool != NULL && i < ONSTATE_RUNNING_MAX; i++) {
		struct run *r = &pool->runs[i];

		if (r->taken && r->pid == 0 && !ev_is_active(&r->timer_w)) {
			output_stream_abandon(&r->out);
			run_end(r);
		}
	}
}

void
onstate_deadline(void)
{
	unsigned long waiting = pool != NULL ? pool->fifo.len : 0;

	os.closed = true;
	if (pool == NULL)
		return;
	pool->fifo.len = 0;
	tell_dropped();
	if (waiting > 0 || os.nrunning > 0)
		log_warnx("on_state: shutdown_deadline reached; killing %zu "
		    "run%s, dropping %lu waiting", os.nrunning,
		    os.nrunning == 1 ? "" : "s", waiting);
	for (size_t i = 0; i < ONSTATE_RUNNING_MAX; i++) {
		struct run *r = &pool->runs[i];

		if (!r->taken)
			continue;
		if (r->pid == 0) {
			output_stream_abandon(&r->out);
			run_end(r);
		} else if (kill(-r->pid, SIGKILL) == -1 && errno != ESRCH)
			log_warn("%s: unable to kill on_state %d", r->service,
			    (int)r->pid);
	}
}

void
onstate_set_command(char *const *argv)
{
	unsigned long waiting = pool != NULL ? pool->fifo.len : 0;

	os.argv = argv;
	/* They would start after the reload, which has no command for them. */
	if (argv == NULL && waiting > 0) {
		pool->fifo.len = 0;
		tell_dropped();
		log_info("on_state: no longer set; %lu waiting run%s dropped",
		    waiting, waiting == 1 ? "" : "s");
	}
}

void
onstate_init(struct ev_loop *loop, struct pidmap *pids)
{
	os.loop = loop;
	os.pids = pids;
	os.argv = NULL;
	os.seq = 0;
	os.nrunning = 0;
	os.shutdown = os.closed = false;
}
