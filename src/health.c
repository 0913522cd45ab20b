/*
 * Readiness and health: the checks corral runs, the datagrams a notify
 * service sends, and the watchdog.  See health.h for which way calls go.
 *
 * Invariants:
 * - At most one check of a service is out at a time, and its pid is in
 *   the pid map: PID_CHECK while it counts, PID_DISOWNED once stopped.
 * - Checks and the watchdog run only while a service is starting (ready
 *   check) or running (health check, watchdog); every way out of those
 *   states goes through health_stop().
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "children.h"
#include "clock.h"
#include "health.h"
#include "log.h"
#include "svcnotify.h"
#include "values.h"

static struct ev_loop		*h_loop;
static struct pidmap		*h_pids;
static const struct health_ops	*h_ops;

static void	check_timer_cb(struct ev_loop *, ev_timer *, int);
static void	watchdog_cb(struct ev_loop *, ev_timer *, int);
static void	probe_done(struct probe_run *, bool, const char *);

static bool
needs_health(const struct svc_conf *c)
{
	return c->notify || c->rare->ready_check != NULL ||
	    c->rare->health_check != NULL || c->rare->watchdog > 0;
}

/* A log: probe waits for a line: it has no tries to time. */
static bool
ready_tries(const struct svc_conf *c)
{
	return c->rare->ready_check != NULL && config_log_probe(c) == NULL;
}

int
health_prepare(struct service *s, const struct svc_conf *c)
{
	struct service_health *h;

	if (s->health != NULL || !needs_health(c))
		return 0;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return -1;
	h->notify_fd = -1;
	h->health_last = -1;
	ev_init(&h->check_w, check_timer_cb);
	ev_init(&h->watchdog_w, watchdog_cb);
	h->check_w.data = h->watchdog_w.data = s;
	probe_run_init(&h->probe, probe_done, s);
	s->health = h;
	return 0;
}

void
health_new_run(struct service *s)
{
	struct service_health *h = s->health;

	if (h != NULL) {
		h->health_last = -1;
		h->check_why[0] = '\0';
		free(h->status_text);
		h->status_text = NULL;
	}
}

void
health_stop(struct service *s)
{
	struct service_health *h = s->health;

	if (h == NULL)
		return;
	ev_timer_stop(h_loop, &h->check_w);
	ev_timer_stop(h_loop, &h->watchdog_w);
	probe_cancel(h_loop, &h->probe);
	if (h->check_pid != 0) {
		if (kill(-h->check_pid, SIGKILL) == -1 && errno != ESRCH)
			log_warn("%s: unable to kill check %d", s->conf->name,
			    (int)h->check_pid);
		/* Reaped later, when s may be freed already. */
		(void)pidmap_put(h_pids, h->check_pid, PID_DISOWNED, NULL);
		h->check_pid = 0;
	}
}

static void
run_check(struct service *s)
{
	struct service_health *h = s->health;
	bool ready = s->state == SS_STARTING;
	const struct probe *p = ready ? s->conf->rare->ready_probe :
	    s->conf->rare->health_probe;
	pid_t pid;
	int fd;

	if (p != NULL) {
		probe_start(h_loop, &h->probe, p, s->conf->check_timeout);
		return;
	}
	pid = children_start(s, ready ? CHILD_READY_CHECK : CHILD_HEALTH_CHECK,
	    NULL, 0, &fd);
	if (pid == -1) {
		/* Counted as a failed try; the next one comes at the interval. */
		timer_arm(h_loop, &h->check_w, ready ? s->conf->rare->ready_interval :
		    s->conf->rare->health_interval);
		return;
	}
	(void)close(fd);	/* a failed exec shows as exit status 127 */
	if (pidmap_put(h_pids, pid, PID_CHECK, s) == -1)
		log_errorx("%s: out of memory tracking pid %d", s->conf->name,
		    (int)pid);
	h->check_pid = pid;
	h->check_timed_out = false;
	timer_arm(h_loop, &h->check_w, ready ? s->conf->rare->ready_interval :
	    s->conf->rare->health_timeout);
}

static void
check_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct service *s = w->data;
	struct service_health *h = s->health;

	(void)loop;
	(void)revents;
	if (h->check_pid == 0) {
		run_check(s);
		return;
	}
	/* This try took too long: it fails, and its exit says so. */
	h->check_timed_out = true;
	if (kill(-h->check_pid, SIGKILL) == -1 && errno != ESRCH)
		log_warn("%s: unable to kill check %d", s->conf->name,
		    (int)h->check_pid);
}

static void
failed(struct service *s, const char *why)
{
	log_warnx("%s: %s; restarting it", s->conf->name, why);
	health_stop(s);
	s->reason = SR_HEALTH;
	h_ops->event(s, SE_STOP);
}

/*
 * What a try of a check found, a process's or a probe's: why is why it
 * failed.  Readiness tries again at ready_interval; health counts.
 */
static void
judged(struct service *s, bool ok, const char *why)
{
	struct service_health *h = s->health;

	if (!ok)
		snprintf(h->check_why, sizeof(h->check_why), "%s", why);
	if (s->state == SS_STARTING) {
		if (ok) {
			h_ops->event(s, SE_READY);
			return;
		}
		log_debug("%s: not ready yet: %s", s->conf->name, why);
		h_ops->changed();
		timer_arm(h_loop, &h->check_w, s->conf->rare->ready_interval);
		return;
	}
	if (s->state != SS_RUNNING)
		return;
	h->health_last = ok;
	h->health_at = ev_time();
	h_ops->changed();
	if (ok) {
		h->health_fails = 0;
		timer_arm(h_loop, &h->check_w, s->conf->rare->health_interval);
		return;
	}
	h->health_fails++;
	log_warnx("%s: health check failed (%s), %u of %u", s->conf->name, why,
	    h->health_fails, s->conf->rare->health_retries);
	if (h->health_fails >= s->conf->rare->health_retries) {
		char text[64];

		snprintf(text, sizeof(text), "%u health checks failed in a row",
		    h->health_fails);
		failed(s, text);
		return;
	}
	timer_arm(h_loop, &h->check_w, s->conf->rare->health_interval);
}

void
health_check_ended(struct service *s, pid_t pid, int status)
{
	struct service_health *h = s->health;
	char why[PROBE_WHY_MAX], st[64];

	if (pid != h->check_pid)
		return;			/* stopped by health_stop() */
	h->check_pid = 0;
	describe_status(status, st, sizeof(st));
	snprintf(why, sizeof(why), "%s%s", h->check_timed_out ?
	    "timed out, " : "", st);
	judged(s, WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    !h->check_timed_out, why);
}

static void
probe_done(struct probe_run *r, bool ok, const char *why)
{
	judged(r->ctx, ok, why);
}

/* A line of a main process whose ready_check is log:. */
static void
heard_line(struct output_stream *st, const char *line, size_t len, void *ctx)
{
	struct service *s = ctx;
	const struct probe *p = config_log_probe(s->conf);

	(void)st;
	/*
	 * The service may be stopping, or ready already: then lines pass.
	 * As with READY=1, a line may come before corral has read that the
	 * exec succeeded: only the program can have written it.
	 */
	if (s->state == SS_STARTING && p != NULL &&
	    probe_log_matches(p, line, len))
		h_ops->event(s, SE_READY);
}

static void
watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct service *s = w->data;

	(void)loop;
	(void)revents;
	if (s->state == SS_RUNNING)
		failed(s, "no WATCHDOG=1 within WATCHDOG_USEC");
}

/* What a `notify = yes` service tells corral. */
static void
notified(struct service *s, enum svcnotify_field f, const char *value)
{
	/* Only a service with notify = yes has a socket to say things on. */
	struct service_health *h = s->health;

	switch (f) {
	case SN_READY:
		if (s->state == SS_STARTING)
			h_ops->event(s, SE_READY);
		break;
	case SN_STATUS:
		free(h->status_text);
		/* Bounded by the datagram size; NULL on failure just means none. */
		h->status_text = strdup(value);
		h_ops->changed();
		break;
	case SN_WATCHDOG:
		if (s->conf->rare->watchdog > 0 && ev_is_active(&h->watchdog_w))
			ev_timer_again(h_loop, &h->watchdog_w);
		break;
	case SN_STOPPING:
	case SN_RELOADING:
		log_debug("%s: says it is %s", s->conf->name,
		    f == SN_STOPPING ? "stopping" : "reloading");
		break;
	case SN_MAINPID:
		/* corral keeps following the process it started itself. */
		log_debug("%s: MAINPID=%s ignored", s->conf->name, value);
		break;
	}
}

void
health_init(struct ev_loop *loop, struct pidmap *pids,
    const struct health_ops *ops)
{
	h_loop = loop;
	h_pids = pids;
	h_ops = ops;
	svcnotify_init(loop, notified);
	children_on_line(heard_line);
}

void
health_watch_readiness(struct service *s)
{
	const struct svc_conf *c = s->conf;

	health_stop(s);
	if (ready_tries(c))
		timer_arm(h_loop, &s->health->check_w, c->rare->ready_interval);
}

void
health_watch(struct service *s)
{
	const struct svc_conf *c = s->conf;
	struct service_health *h = s->health;

	health_stop(s);
	if (h == NULL)
		return;
	/* Results of the checks it had before a reload say nothing now. */
	h->health_last = -1;
	h->health_fails = 0;
	if (c->rare->health_check != NULL)
		timer_arm(h_loop, &h->check_w, c->rare->health_interval);
	if (c->rare->watchdog > 0) {
		ev_timer_set(&h->watchdog_w, 0, c->rare->watchdog);
		ev_timer_again(h_loop, &h->watchdog_w);
	}
}

bool
health_waits_ready(const struct service *s)
{
	return s->conf->rare->ready_check != NULL || s->conf->notify;
}

/*
 * Whether s is starting and its exec succeeded.  A start whose exec failed
 * is over even while the reaper has yet to see it.
 */
static bool
execed_not_ready(const struct service *s)
{
	return s->state == SS_STARTING && s->pid != 0 && s->exec_fd == -1 &&
	    !s->spawn_failed;
}

void
health_checks_changed(struct service *s)
{
	if (s->state == SS_RUNNING)
		health_watch(s);
	else if (execed_not_ready(s) && health_waits_ready(s))
		health_watch_readiness(s);
}

void
health_ready_if_no_rule(struct service *s)
{
	if (execed_not_ready(s) && !health_waits_ready(s))
		h_ops->event(s, SE_READY);
}

void
health_free(struct service *s)
{
	if (s->health != NULL) {
		free(s->health->status_text);
		free(s->health);
		s->health = NULL;
	}
}
