/*
 * The supervisor owns the set of services (svset.h) and the glue between
 * the parts that act on them: it starts services once their dependencies
 * run, routes every child that reaper.c reaps to its owner (lifecycle.c
 * for services and hooks, health.c for checks, onstate.c for on_state
 * runs, a count for leftovers and adopted orphans), answers the lifecycle_ops (dependents, critical
 * services, the shutdown's progress), tells systemd READY=1 and STATUS=,
 * and writes the status file, at most once per loop turn.
 *
 * Every child of corral is reaped within one loop turn; the pid map says
 * whether a pid was a service, a hook or a check, and the group of any
 * other tells a service's leftover from an adopted orphan.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afile.h"
#include "health.h"
#include "lifecycle.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "onstate.h"
#include "pidmap.h"
#include "reaper.h"
#include "report.h"
#include "shutdown.h"
#include "status.h"
#include "supervisor.h"
#include "trim.h"
#include "watch.h"
#include "svcnotify.h"

static struct {
	struct ev_loop	*loop;
	struct svset	 set;
	struct pidmap	 pids;
	ev_prepare	 prepare_w;
	bool		 status_dirty;	/* what status and metrics show changed */
	struct afile	 metrics_f;
	struct strbuf	 metrics_last;	/* what metrics_file holds */
	int		 log_level_fixed;	/* by -v or -q; -1: no */
	bool		 ready_sent;		/* READY=1 to systemd */
	bool		 have_critical;
	int		 critical_status;
	unsigned long	 adopted;		/* orphans reaped */
	size_t		 nwaiting;		/* stops waiting for requirers */
	size_t		 started_upto;		/* svcs below it were up once */
} sv;

/* Up, finished as it should, or not one that starts with corral. */
static bool
up_if_autostarted(const struct service *s)
{
	return !config_autostarts(s->conf) || service_is_up(s);
}

/* Autostart services that are up, or that finished as they should. */
static bool
all_up(void)
{
	for (size_t i = 0; i < sv.set.n; i++)
		if (!up_if_autostarted(sv.set.svcs[i]))
			return false;
	return true;
}

/* READY=1 once, then STATUS= whenever the number of running services changes. */
static void
report_status(void)
{
	static size_t last = SIZE_MAX;
	size_t nrunning;
	char msg[96];

	if (!notify_enabled() || shutdown_started())
		return;
	/* O(services) per change: with 1000, some 1 µs, and only under systemd. */
	nrunning = svset_running(&sv.set);
	if (!sv.ready_sent && all_up()) {
		sv.ready_sent = true;
		snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%zu/%zu running",
		    nrunning, svset_enabled(&sv.set));
		notify_send(msg);
		last = nrunning;
		return;
	}
	if (nrunning == last)
		return;
	last = nrunning;
	snprintf(msg, sizeof(msg), "STATUS=%zu/%zu running", nrunning,
	    svset_enabled(&sv.set));
	notify_send(msg);
}

static bool
deps_up(const struct service *s)
{
	for (size_t j = 0; j < s->conf->nafter; j++)
		if (!service_satisfies_after(sv.set.svcs[s->conf->after_idx[j]]))
			return false;
	return true;
}

/* What s requires that failed or is disabled (SPEC §14); NULL if none. */
static const struct service *
unmet_requirement(const struct service *s)
{
	for (size_t j = 0; j < s->conf->nrequires; j++) {
		const struct service *d =
		    sv.set.svcs[s->conf->requires_idx[j]];

		/* Failed itself, or failed for what it requires in turn. */
		if (d->conf->disabled || d->state == SS_FAILED)
			return d;
	}
	return NULL;
}

static void
mark_unmet(struct service *s, const struct service *d)
{
	s->unmet = true;
	s->unmet_disabled = d->conf->disabled;
	memcpy(s->unmet_by, d->conf->name, sizeof(s->unmet_by));
	log_warnx("%s: requires %s, which %s; not started", s->conf->name,
	    d->conf->name, d->conf->disabled ? "is disabled" : "failed");
	lifecycle_dispatch(s, SE_UNMET);
}

/*
 * Whether s waits to start: idle and wanted, stopped for what it requires,
 * or failed only because of it.
 */
static bool
waits_to_start(const struct service *s)
{
	if (s->conf->disabled)
		return false;
	return (s->state == SS_IDLE && s->want_up) ||
	    (s->state == SS_STOPPED && s->dep_stopped) ||
	    (s->state == SS_FAILED && s->unmet);
}

void
supervisor_start_dependents(void)
{
	if (shutdown_started())
		return;
	for (size_t i = 0; i < sv.set.n; i++) {
		struct service *s = sv.set.svcs[i];
		const struct service *d;

		if (!waits_to_start(s))
			continue;
		if ((d = unmet_requirement(s)) != NULL) {
			if (s->state != SS_FAILED)
				mark_unmet(s, d);
			continue;
		}
		if (!deps_up(s))
			continue;
		s->unmet = false;
		s->dep_stopped = false;
		s->want_up = true;
		s->failed_starts = 0;
		lifecycle_dispatch(s, SE_START);
	}
}

static bool
requires_it(const struct service *r, const struct service *x)
{
	for (size_t j = 0; j < r->conf->nrequires; j++)
		if (sv.set.svcs[r->conf->requires_idx[j]] == x)
			return true;
	return false;
}

/*
 * The services that require x are stopped before it (SPEC §14), each with
 * reason dependency, and start again once x is up.  Returns whether one of
 * them is still on its way down.
 */
static bool
stop_requirers(const struct service *x)
{
	bool waiting = false;

	for (size_t i = 0; i < sv.set.n; i++) {
		struct service *r = sv.set.svcs[i];

		if (r == x || !requires_it(r, x))
			continue;
		if (!r->dep_stopped && !service_is_settled(r)) {
			r->dep_stopped = true;
			r->want_up = false;
			r->restart_pending = false;
			if (!service_is_stopping(r) && r->state != SS_CLEANUP)
				r->reason = SR_DEPENDENCY;
			supervisor_stop(r);
		}
		if (!service_is_settled(r))
			waiting = true;
	}
	return waiting;
}

void
supervisor_stop(struct service *s)
{
	if (!shutdown_started() && stop_requirers(s)) {
		if (!s->stop_waits) {
			s->stop_waits = true;
			sv.nwaiting++;
		}
		return;
	}
	if (service_transition(s->state, SE_STOP)->next != SS_NONE)
		lifecycle_dispatch(s, SE_STOP);
}

/*
 * Stops that waited for their requirers go on once those are down.  The
 * count is taken again at the end: a reload may have retired a waiter.
 */
static void
release_waiting_stops(void)
{
	size_t left = 0;

	for (size_t i = 0; i < sv.set.n; i++) {
		struct service *w = sv.set.svcs[i];

		if (!w->stop_waits)
			continue;
		if (!shutdown_started() && stop_requirers(w)) {
			left++;
			continue;
		}
		w->stop_waits = false;
		/*
		 * A stop that keeps it wanted (a failed health check) is moot
		 * once it ended on its own meanwhile: its restart policy rules.
		 */
		if (w->want_up && !service_is_live(w))
			continue;
		if (service_transition(w->state, SE_STOP)->next != SS_NONE)
			lifecycle_dispatch(w, SE_STOP);
	}
	sv.nwaiting = left;
}

const char *
supervisor_unmet(const struct service *s, bool *disabled)
{
	const struct service *d = unmet_requirement(s);

	if (d == NULL)
		return NULL;
	*disabled = d->conf->disabled;
	return d->conf->name;
}

/* Every service's watches as its config says, from now on. */
static void
arm_watches(void)
{
	for (size_t i = 0; i < sv.set.n; i++) {
		struct service *s = sv.set.svcs[i];
		const struct svc_rare *r = s->conf->rare;

		watch_set(s, s->conf->name, r->watch, r->nwatch, r->watch_delay);
	}
}

/*
 * Start-up is over once every autostart service has been up (trim.h):
 * a cursor over the set, so the whole start-up costs O(services).  A
 * reload before then leaves it to the reload's trim.
 */
static void
note_startup(void)
{
	if (sv.started_upto > sv.set.n)
		return;
	while (sv.started_upto < sv.set.n) {
		if (!up_if_autostarted(sv.set.svcs[sv.started_upto]))
			return;
		sv.started_upto++;
	}
	sv.started_upto = SIZE_MAX;
	trim_at_turn_end();
}

void
supervisor_start(void)
{
	arm_watches();
	for (size_t i = 0; i < sv.set.n; i++)
		sv.set.svcs[i]->want_up =
		    config_autostarts(sv.set.svcs[i]->conf);
	supervisor_start_dependents();
	report_status();
	trim_arm();	/* if start-up never ends */
	note_startup();
}

static void
on_up(struct service *s)
{
	(void)s;
	supervisor_start_dependents();
}

/* A critical service ended the run: its status becomes corral's. */
static void
critical_end(const struct service *s, const char *why)
{
	sv.have_critical = true;
	sv.critical_status = service_exit_code(s->status);
	shutdown_begin(why);
}

static void
on_failed(struct service *s)
{
	/* What requires it will not start: each is failed, saying why. */
	supervisor_start_dependents();
	for (size_t i = 0; i < sv.set.n; i++) {
		const struct service *d = sv.set.svcs[i];

		for (size_t j = 0; j < d->conf->nafter; j++)
			if (sv.set.svcs[d->conf->after_idx[j]] == s &&
			    d->state == SS_IDLE && d->want_up)
				log_warnx("%s: waiting for %s (failed)",
				    d->conf->name, s->conf->name);
	}
	if (s->conf->critical && !shutdown_started())
		critical_end(s, "a critical service failed");
}

static void
on_ended(struct service *s)
{
	char msg[96];

	if (!s->conf->critical || shutdown_started())
		return;
	snprintf(msg, sizeof(msg), "critical service %s ended", s->conf->name);
	critical_end(s, msg);
}

static void
on_moved(struct service *s, bool was_settled)
{
	report_status();
	note_startup();
	sv.status_dirty = true;
	/* It went down, on its own or not: what requires it stops too. */
	if (!shutdown_started() && !service_satisfies_after(s))
		(void)stop_requirers(s);
	if (sv.nwaiting > 0)
		release_waiting_stops();
	if (!was_settled && service_is_settled(s)) {
		if (s->dep_stopped)
			supervisor_start_dependents();
		shutdown_progress();
	}
}

static const struct lifecycle_ops lifecycle_ops = {
	.up = on_up,
	.failed = on_failed,
	.ended = on_ended,
	.moved = on_moved,
};

static void
recheck_lingering(void)
{
	for (size_t i = 0; i < svset_count(&sv.set) && lifecycle_lingering() > 0;
	    i++)
		lifecycle_recheck(svset_at(&sv.set, i));
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
	for (size_t i = 0; pgid != 0 && i < svset_count(&sv.set); i++) {
		struct service *s = svset_at(&sv.set, i);

		if (s->pgid == pgid) {
			s->leftovers++;
			log_debug("%s: reaped leftover process %d",
			    s->conf->name, (int)pid);
			return;
		}
	}
	sv.adopted++;
	sv.status_dirty = true;
	log_debug("reaped adopted process %d", (int)pid);
}

static void
reaped(pid_t pid, int status, pid_t pgid)
{
	void *owner = NULL;

	switch (pidmap_get(&sv.pids, pid, &owner)) {
	case PID_SERVICE:
		pidmap_del(&sv.pids, pid);
		lifecycle_exited(owner, status);
		break;
	case PID_HOOK:
		pidmap_del(&sv.pids, pid);
		lifecycle_hook_exited(owner, status);
		break;
	case PID_PREPARE:
		pidmap_del(&sv.pids, pid);
		lifecycle_prepare_exited(owner, status);
		break;
	case PID_STOP:
		pidmap_del(&sv.pids, pid);
		lifecycle_stop_command_exited(owner, pid, status);
		break;
	case PID_CHECK:
		pidmap_del(&sv.pids, pid);
		health_check_ended(owner, pid, status);
		break;
	case PID_DISOWNED:
		pidmap_del(&sv.pids, pid);
		break;
	case PID_ONSTATE:
		pidmap_del(&sv.pids, pid);
		onstate_reaped(owner, status);
		break;
	case PID_ORPHAN:
		pidmap_del(&sv.pids, pid);
		/* FALLTHROUGH */
	case PID_NONE:
		count_stranger(pid, pgid);
		break;
	}
	if (lifecycle_lingering() > 0)
		recheck_lingering();
	shutdown_reaped();
}

void
supervisor_forward(int sig)
{
	for (size_t i = 0; i < svset_count(&sv.set); i++) {
		struct service *s = svset_at(&sv.set, i);

		if (service_is_live(s))
			(void)lifecycle_signal(s, sig);
	}
}

/* Frees retired services once they are down; run between loop turns. */
static void
sweep_retired(void)
{
	size_t k = 0;

	for (size_t i = 0; i < sv.set.nretired; i++) {
		struct service *s = sv.set.retired[i];

		if (service_is_settled(s) && s->hook_pid == 0) {
			config_free_service(s->conf);
			lifecycle_free(s);
		} else
			sv.set.retired[k++] = s;
	}
	sv.set.nretired = k;
}

/* Logged once per failure streak, so a full disk does not flood the log. */
static void
write_status_file(void)
{
	static bool failing;
	const struct status_list l = { sv.set.svcs, sv.set.n, sv.set.svcs,
	    sv.set.n };

	if (status_write(sv.set.conf->status_file, &l) == -1) {
		if (!failing)
			log_warn("unable to write status file %s",
			    sv.set.conf->status_file);
		failing = true;
		return;
	}
	failing = false;
}

/*
 * metrics_file, written whole when what it says changed: the counters and
 * states move far less often than the loop turns.
 */
static void
write_metrics_file(void)
{
	static bool failing;
	struct strbuf b = { 0 };

	metrics_text(&b, sv.set.svcs, sv.set.n, sv.adopted);
	if (b.oom || (sv.metrics_last.p != NULL && b.len == sv.metrics_last.len &&
	    memcmp(b.p, sv.metrics_last.p, b.len) == 0)) {
		sb_free(&b);
		return;
	}
	if (afile_write(&sv.metrics_f, sv.set.conf->metrics_file, b.p,
	    b.len) == -1) {
		if (!failing)
			log_warn("unable to write metrics file %s",
			    sv.set.conf->metrics_file);
		failing = true;
		sb_free(&b);
		return;
	}
	failing = false;
	sb_free(&sv.metrics_last);
	sv.metrics_last = b;
}

static void
publish(void)
{
	sv.status_dirty = false;
	if (sv.set.conf->status_file != NULL)
		write_status_file();
	if (sv.set.conf->metrics_file != NULL)
		write_metrics_file();
}

unsigned long
supervisor_adopted(void)
{
	return sv.adopted;
}

/* A health result or STATUS= changed: the status file shows both. */
static void
mark_status_dirty(void)
{
	sv.status_dirty = true;
}

/*
 * What health.c finds: a stop for a failed check goes through
 * supervisor_stop(), so that what requires the service stops first.
 */
static void
health_event(struct service *s, enum svc_event ev)
{
	if (ev == SE_STOP)
		supervisor_stop(s);
	else
		lifecycle_dispatch(s, ev);
}

static const struct health_ops health_ops = {
	.event = health_event,
	.changed = mark_status_dirty,
};

static void TRIM_KEEP
prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	if (sv.set.nretired > 0)
		sweep_retired();
	if (sv.status_dirty)
		publish();
}

int
supervisor_init(struct ev_loop *loop, struct config *conf)
{
	memset(&sv, 0, sizeof(sv));
	sv.metrics_f = (struct afile)AFILE_INIT;
	sv.loop = loop;
	sv.set.conf = conf;
	sv.log_level_fixed = -1;
	sv.set.n = conf->nservices;
	if (plan_build(conf, &sv.set.plan) == -1)
		goto oom;
	sv.set.svcs = calloc(sv.set.n + 1, sizeof(*sv.set.svcs));
	if (sv.set.svcs == NULL)
		goto oom;
	for (size_t i = 0; i < sv.set.n; i++)
		if ((sv.set.svcs[i] = lifecycle_new(conf->services[i])) == NULL)
			goto oom;
	onstate_init(loop, &sv.pids);
	onstate_set_command(conf->on_state_argv);
	lifecycle_init(loop, &sv.pids, &lifecycle_ops);
	health_init(loop, &sv.pids, &health_ops);
	shutdown_init(loop, &sv.set, &sv.pids);
	reaper_init(loop, pid_known, reaped);
	trim_init(loop);
	/* Status file writes are batched: one per loop iteration at most. */
	ev_prepare_init(&sv.prepare_w, prepare_cb);
	ev_prepare_start(loop, &sv.prepare_w);
	sv.status_dirty = true;
	/* Before any service runs; on failure, the first write warns. */
	if (conf->status_file != NULL)
		(void)status_open(conf->status_file);
	if (conf->metrics_file != NULL)
		(void)afile_open(&sv.metrics_f, conf->metrics_file);
	return 0;
oom:
	log_errorx("out of memory");
	return -1;
}

static void
totals(struct report_totals *t)
{
	t->adopted = sv.adopted;
	t->orphans_signalled = shutdown_orphans_signalled();
	t->unclean = shutdown_unclean() || lifecycle_unclean();
	t->have_critical = sv.have_critical;
	t->critical_status = sv.critical_status;
}

int
supervisor_exit_status(void)
{
	struct report_totals t;

	totals(&t);
	return report_exit_status(&sv.set, &t);
}

void
supervisor_report(void)
{
	struct report_totals t;

	totals(&t);
	report_log(&sv.set, &t);
	publish();
	log_info("exiting with status %d", supervisor_exit_status());
}

const struct svset *
supervisor_set(void)
{
	return &sv.set;
}

int
supervisor_reserve_retired(size_t more)
{
	struct service **v;

	if (more == 0)
		return 0;
	v = reallocarray(sv.set.retired, sv.set.nretired + more, sizeof(*v));
	if (v == NULL)
		return -1;
	sv.set.retired = v;
	return 0;
}

void
supervisor_retire(struct service *s)
{
	sv.set.retired[sv.set.nretired++] = s;
	s->retired = true;
	watch_drop(s);
	/* It keeps its svc_conf; the old config must not free it. */
	sv.set.conf->services[s->conf->index] = NULL;
}

void
supervisor_install(struct config *nc, struct service **svcs,
    struct plan *plan)
{
	struct config *old = sv.set.conf;

	free(sv.set.svcs);
	sv.set.svcs = svcs;
	sv.set.n = nc->nservices;
	sv.started_upto = SIZE_MAX;
	plan_free(&sv.set.plan);
	sv.set.plan = *plan;
	sv.set.conf = nc;
	onstate_set_command(nc->on_state_argv);
	config_free(old);
	if (sv.log_level_fixed < 0)
		log_set_level((enum log_level)nc->log_level);
	sv.status_dirty = true;
	arm_watches();
}

void
supervisor_fix_log_level(int level)
{
	sv.log_level_fixed = level;
}

void
supervisor_free(void)
{
	for (size_t i = 0; i < sv.set.n; i++)
		if (sv.set.svcs[i] != NULL)
			lifecycle_free(sv.set.svcs[i]);
	for (size_t i = 0; i < sv.set.nretired; i++) {
		config_free_service(sv.set.retired[i]->conf);
		lifecycle_free(sv.set.retired[i]);
	}
	ev_prepare_stop(sv.loop, &sv.prepare_w);
	trim_free();
	reaper_free();
	svcnotify_free();
	status_close();
	afile_close(&sv.metrics_f);
	sb_free(&sv.metrics_last);
	free(sv.set.retired);
	free(sv.set.svcs);
	plan_free(&sv.set.plan);
	pidmap_free(&sv.pids);
	config_free(sv.set.conf);
	memset(&sv, 0, sizeof(sv));
}
