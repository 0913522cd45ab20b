/*
 * The shutdown (SPEC §5): services stop in the plan's order, dependents
 * first, each with the window shutdown_deadline leaves it; a second signal
 * ends every graceful window; at the deadline whatever is left is killed;
 * then adopted orphans get their window, and the loop ends.
 *
 * It reads the supervisor's set of services and moves them only through
 * lifecycle_dispatch(); the supervisor tells it when a service settled
 * (shutdown_progress) and when a child was reaped (shutdown_reaped).
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "health.h"
#include "lifecycle.h"
#include "log.h"
#include "notify.h"
#include "onstate.h"
#include "shutdown.h"
#include "values.h"

/* How often the orphans are looked for again once they were killed. */
#define ORPHAN_RECHECK_S	0.25

enum sd_phase { SD_RUNNING, SD_SHUTDOWN, SD_ORPHANS, SD_DONE };

static struct {
	struct ev_loop	*loop;
	const struct svset *set;
	struct pidmap	*pids;
	enum sd_phase	 phase;
	bool		 hurried_by_signal;
	bool		 told_ignored;
	ev_tstamp	 shutdown_at;
	ev_timer	 deadline_w;
	ev_timer	 orphan_w;
	bool		 orphan_kill;	/* orphan window over: SIGKILL new ones */
	bool		 told_no_proc;
	bool		 unclean;	/* the deadline, or services that failed */
	unsigned long	 orphans_signalled;
} sd;

static void	orphans_check(void);

/* Not fmin(): corral does not link libm for three comparisons. */
static double
min_d(double a, double b)
{
	return a < b ? a : b;
}

static bool
may_stop(size_t i)
{
	for (size_t b = 0; b < sd.set->plan.nblockers[i]; b++)
		if (!service_is_settled(sd.set->svcs[sd.set->plan.blockers[i][b]]))
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
	sd.phase = SD_DONE;
	ev_timer_stop(sd.loop, &sd.deadline_w);
	ev_timer_stop(sd.loop, &sd.orphan_w);
	ev_break(sd.loop, EVBREAK_ALL);
}

static void
orphans_check(void)
{
	pid_t pids[512];
	long n = list_children(pids, sizeof(pids) / sizeof(pids[0]));
	unsigned long fresh = 0;

	if (n == -1 && !sd.told_no_proc) {
		sd.told_no_proc = true;
		log_warn("unable to list adopted processes in /proc");
	}
	if (n <= 0) {
		/* An on_state run's reap comes back here, /proc or not. */
		if (!onstate_busy())
			finish();
		return;
	}
	for (long i = 0; i < n && (size_t)i < sizeof(pids) / sizeof(pids[0]); i++) {
		int sig = sd.orphan_kill ? SIGKILL : SIGTERM;
		enum pid_kind k = pidmap_get(sd.pids, pids[i], NULL);

		/* Its own cleanup_timeout and the deadline bound it. */
		if (k == PID_ONSTATE)
			continue;
		if (!sd.orphan_kill && k == PID_ORPHAN)
			continue;	/* already asked */
		if (kill(pids[i], sig) == -1) {
			if (errno != ESRCH)
				log_warn("unable to send %s to adopted process %d",
				    signal_name(sig), (int)pids[i]);
			continue;
		}
		fresh++;
		if (!sd.orphan_kill)
			(void)pidmap_put(sd.pids, pids[i], PID_ORPHAN, NULL);
	}
	if (fresh > 0) {
		sd.orphans_signalled += sd.orphan_kill ? 0 : fresh;
		log_info("sending %s to %lu adopted process%s",
		    sd.orphan_kill ? "KILL" : "TERM", fresh, fresh == 1 ? "" : "es");
	}
}

static void
orphan_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	(void)w;
	sd.orphan_kill = true;
	orphans_check();
	/* A process that is not ours to see exiting: look again. */
	if (sd.phase == SD_ORPHANS)
		timer_arm(sd.loop, &sd.orphan_w, ORPHAN_RECHECK_S);
}

static void
begin_orphans(void)
{
	double longest = sd.set->conf->stop_timeout;

	if (lifecycle_hurried())
		longest = 0;
	else
		for (size_t i = 0; i < sd.set->n; i++)
			if (sd.set->svcs[i]->conf->stop_timeout > longest)
				longest = sd.set->svcs[i]->conf->stop_timeout;
	if (sd.set->conf->shutdown_deadline > 0)
		longest = min_d(longest, sd.shutdown_at + sd.set->conf->shutdown_deadline -
		    ev_now(sd.loop));
	sd.phase = SD_ORPHANS;
	timer_arm(sd.loop, &sd.orphan_w, longest);
	orphans_check();
}

void
shutdown_progress(void)
{
	bool all = true;

	if (sd.phase != SD_SHUTDOWN)
		return;

	for (size_t k = 0; k < sd.set->n; k++) {
		size_t i = sd.set->plan.stop_order[k];
		struct service *s = sd.set->svcs[i];

		if ((s->state == SS_PREPARING || s->state == SS_STARTING ||
		    s->state == SS_RUNNING) && may_stop(i))
			lifecycle_dispatch(s, SE_STOP);
		if (sd.phase != SD_SHUTDOWN)
			return;		/* the dispatch above finished it */
		if (!service_is_settled(s))
			all = false;
	}
	for (size_t i = 0; i < sd.set->nretired; i++)
		if (!service_is_settled(sd.set->retired[i]))
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
	lifecycle_hurry();
	onstate_deadline();
	for (size_t i = 0; i < svset_count(sd.set); i++) {
		struct service *s = svset_at(sd.set, i);

		if (!service_is_settled(s))
			lifecycle_dispatch(s, SE_DEADLINE);
	}
	sd.unclean = true;
	if (sd.phase == SD_ORPHANS) {
		sd.orphan_kill = true;
		orphans_check();
	}
}

/* See lifecycle_stop_waiting(): a shutdown cannot wait on a reader. */
static void
stop_waiting_on_readers(void)
{
	for (size_t i = 0; i < svset_count(sd.set); i++)
		lifecycle_stop_waiting(svset_at(sd.set, i));
}

void
shutdown_begin(const char *why)
{
	sd.phase = SD_SHUTDOWN;
	lifecycle_shutdown();
	onstate_shutdown();
	sd.shutdown_at = ev_now(sd.loop);
	log_info("shutting down (%s)", why);
	notify_send("STOPPING=1\nSTATUS=shutting down");
	if (sd.set->conf->shutdown_deadline > 0)
		timer_arm(sd.loop, &sd.deadline_w, sd.set->conf->shutdown_deadline);
	for (size_t i = 0; i < sd.set->n; i++) {
		struct service *s = sd.set->svcs[i];

		if ((s->state == SS_FAILED && !s->unmet) ||
		    s->state == SS_BACKOFF) {
			log_warnx("%s: was %s when the shutdown began",
			    s->conf->name, service_state_name(s->state));
			sd.unclean = true;
		}
		s->want_up = false;
		health_stop(s);
		if (!service_is_stopping(s) && s->state != SS_CLEANUP)
			s->reason = SR_SHUTDOWN;
		if (!isinf(sd.set->plan.latest_kill[i]))
			s->kill_by = sd.shutdown_at + sd.set->plan.latest_kill[i];
	}
	stop_waiting_on_readers();
	for (size_t i = 0; i < sd.set->n; i++) {
		struct service *s = sd.set->svcs[i];

		if (s->state == SS_IDLE || s->state == SS_BACKOFF)
			lifecycle_dispatch(s, SE_STOP);
	}
	shutdown_progress();
}

/* A second signal: every graceful window ends now (SPEC §5 step 4). */
static void
hurry_up(void)
{
	lifecycle_hurry();
	for (size_t i = 0; i < svset_count(sd.set); i++) {
		struct service *s = svset_at(sd.set, i);

		if (!service_is_settled(s))
			lifecycle_dispatch(s, SE_HURRY);
	}
	stop_waiting_on_readers();
	if (sd.phase == SD_ORPHANS) {
		sd.orphan_kill = true;
		orphans_check();
	}
}

void
shutdown_signal(int sig)
{
	char why[32];
	double most = 0;

	if (sd.phase == SD_RUNNING) {
		snprintf(why, sizeof(why), "SIG%s", signal_name(sig));
		shutdown_begin(why);
		return;
	}
	if (!sd.hurried_by_signal) {
		sd.hurried_by_signal = true;
		log_warnx("SIG%s during the shutdown: ending graceful windows "
		    "now; cleanup hooks still run to completion",
		    signal_name(sig));
		hurry_up();
		return;
	}
	if (sd.told_ignored)
		return;
	sd.told_ignored = true;
	for (size_t i = 0; i < sd.set->n; i++)
		if (sd.set->svcs[i]->hook_pid != 0 &&
		    sd.set->svcs[i]->conf->cleanup_timeout > most)
			most = sd.set->svcs[i]->conf->cleanup_timeout;
	format_duration(most, why, sizeof(why));
	log_warnx("SIG%s: already shutting down; waiting for cleanup hooks "
	    "(at most %s); further signals change nothing", signal_name(sig),
	    why);
}

bool
shutdown_started(void)
{
	return sd.phase != SD_RUNNING;
}

void
shutdown_reaped(void)
{
	if (sd.phase == SD_ORPHANS)
		orphans_check();
}

bool
shutdown_unclean(void)
{
	return sd.unclean;
}

unsigned long
shutdown_orphans_signalled(void)
{
	return sd.orphans_signalled;
}

void
shutdown_init(struct ev_loop *loop, const struct svset *set,
    struct pidmap *pids)
{
	memset(&sd, 0, sizeof(sd));
	sd.loop = loop;
	sd.set = set;
	sd.pids = pids;
	ev_init(&sd.deadline_w, deadline_cb);
	ev_init(&sd.orphan_w, orphan_timer_cb);
}
