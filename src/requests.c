/*
 * What operators ask of a running corral (corralctl, SIGHUP): status,
 * start, stop, restart, signal, check, shutdown, and reload (SPEC §8, §9).
 * Every request checks all its names before it changes anything, and none
 * can end corral: failures become a reply.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "children.h"
#include "clock.h"
#include "health.h"
#include "lifecycle.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "requests.h"
#include "shutdown.h"
#include "signals.h"
#include "sockets.h"
#include "status.h"
#include "supervisor.h"
#include "trim.h"
#include "values.h"

static struct service *
find_service(const char *name)
{
	return svset_find(supervisor_set(), name);
}

/*
 * How many services name names: a service's own name, or the NAME of a
 * section with instances for all of them (SPEC §13); if out is not NULL,
 * they go there, in the config's order.
 */
static size_t
named(const char *name, struct service **out)
{
	const struct svset *set = supervisor_set();
	size_t count = 0;

	for (size_t k = 0; k < set->n; k++)
		if (config_names(set->svcs[k]->conf, name)) {
			if (out != NULL)
				out[count] = set->svcs[k];
			count++;
		}
	return count;
}

/*
 * The services of names, into *out (malloc'd); how many, or -1 with the
 * reply said.  All names must exist before anything is done: a typo
 * changes nothing.
 */
static ssize_t
lookup_all(char *const *names, size_t n, struct service ***out,
    struct strbuf *reply)
{
	size_t count = 0;
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		size_t k = named(names[i], NULL);

		if (k == 0) {
			sb_printf(reply, "unknown service '%s'\n", names[i]);
			r = -1;
		}
		count += k;
	}
	if (r == -1)
		return -1;
	if ((*out = calloc(count + 1, sizeof(**out))) == NULL) {
		sb_printf(reply, "out of memory\n");
		return -1;
	}
	count = 0;
	for (size_t i = 0; i < n; i++)
		count += named(names[i], *out + count);
	return (ssize_t)count;
}

static int
refuse_in_shutdown(struct strbuf *reply)
{
	if (!shutdown_started())
		return 0;
	sb_printf(reply, "refused: corral is shutting down\n");
	return -1;
}

int
request_status(char *const *names, size_t n, bool json, struct strbuf *reply)
{
	const struct svset *set = supervisor_set();
	struct service **list = set->svcs;
	ssize_t count = (ssize_t)set->n;
	struct status_list l = { .all = set->svcs, .nall = set->n };

	if (n > 0 && (count = lookup_all(names, n, &list, reply)) == -1)
		return -1;
	l.svcs = list;
	l.n = (size_t)count;
	if (json)
		status_json(reply, &l);
	else
		status_table(reply, &l, mono_now());
	if (list != set->svcs)
		free(list);
	return 0;
}

/* -1 for a service its conditions disable: it is not started. */
static int
start_one(struct service *s, struct strbuf *reply)
{
	const char *unmet;
	bool disabled;

	if (s->conf->disabled) {
		sb_printf(reply, "%s: disabled by %s; not started\n",
		    s->conf->name, s->conf->decided);
		return -1;
	}
	if ((unmet = supervisor_unmet(s, &disabled)) != NULL) {
		sb_printf(reply, "%s: requires %s, which %s; not started\n",
		    s->conf->name, unmet, disabled ? "is disabled" : "failed");
		return -1;
	}
	s->want_up = true;
	s->failed_starts = 0;
	if (s->state == SS_IDLE) {
		supervisor_start_dependents();
		if (s->state == SS_IDLE)
			sb_printf(reply, "%s: waiting for its dependencies\n",
			    s->conf->name);
		return 0;
	}
	if (service_is_stopping(s) || s->state == SS_CLEANUP) {
		s->restart_pending = true;
		s->want_up = false;
		sb_printf(reply, "%s: will start once stopped\n", s->conf->name);
		return 0;
	}
	/* Stopped, failed, or in back-off (which it cuts short). */
	if (service_transition(s->state, SE_START)->next == SS_NONE) {
		sb_printf(reply, "%s: already %s\n", s->conf->name,
		    service_state_name(s->state));
		return 0;
	}
	lifecycle_dispatch(s, SE_START);
	sb_printf(reply, "%s: %s\n", s->conf->name, service_state_name(s->state));
	return 0;
}

static void
stop_one(struct service *s, enum svc_reason reason, bool again,
    struct strbuf *reply)
{
	bool live = service_is_live(s) || s->state == SS_CLEANUP;
	bool going = service_is_stopping(s) || s->state == SS_CLEANUP;

	s->want_up = false;
	s->restart_pending = again && (live || s->state == SS_BACKOFF);
	/* One already on its way down keeps its reason and its course. */
	if (!going) {
		s->reason = reason;
		supervisor_stop(s);
	}
	if (reply != NULL)
		sb_printf(reply, "%s: %s\n", s->conf->name,
		    service_state_name(s->state));
}

int
request_control(enum ctl_verb verb, char *const *names, size_t n,
    struct strbuf *reply)
{
	struct service **list;
	ssize_t count;
	int r = 0;

	if (refuse_in_shutdown(reply) == -1)
		return -1;
	if ((count = lookup_all(names, n, &list, reply)) == -1)
		return -1;
	for (ssize_t i = 0; i < count; i++) {
		struct service *s = list[i];

		switch (verb) {
		case CTL_START:
			r |= start_one(s, reply);
			break;
		case CTL_STOP:
			stop_one(s, SR_STOP, false, reply);
			break;
		case CTL_RESTART:
			if (service_is_live(s) || s->state == SS_BACKOFF)
				stop_one(s, SR_STOP, true, reply);
			else
				r |= start_one(s, reply);
			break;
		}
	}
	free(list);
	return r;
}

static int
signal_one(struct service *s, int sig, struct strbuf *reply)
{
	const char *name = s->conf->name;

	if (!service_is_live(s)) {
		sb_printf(reply, "%s: not running (%s)\n", name,
		    service_shown_state(s));
		return -1;
	}
	/* Relayed, not a stop of corral's: the restart policy applies. */
	if (lifecycle_signal(s, sig) == -1) {
		sb_printf(reply, "%s: unable to send %s: %s\n", name,
		    signal_name(sig), strerror(errno));
		return -1;
	}
	sb_printf(reply, "%s: sent %s\n", name, signal_name(sig));
	return 0;
}

int
request_signal(const char *name, int sig, struct strbuf *reply)
{
	size_t count = named(name, NULL);
	struct service **list;
	int r = 0;

	if (count == 0) {
		sb_printf(reply, "unknown service '%s'\n", name);
		return -1;
	}
	if ((list = calloc(count, sizeof(*list))) == NULL) {
		sb_printf(reply, "out of memory\n");
		return -1;
	}
	(void)named(name, list);
	for (size_t i = 0; i < count; i++)
		r |= signal_one(list[i], sig, reply);
	free(list);
	return r;
}

int
request_check(struct strbuf *reply)
{
	const struct svset *set = supervisor_set();
	int r = 0;

	if (shutdown_started()) {
		sb_printf(reply, "shutting down\n");
		return -1;
	}
	for (size_t i = 0; i < set->n; i++) {
		const struct service *s = set->svcs[i];

		if (!config_autostarts(s->conf) || service_is_up(s))
			continue;
		sb_printf(reply, "%s: %s\n", s->conf->name,
		    service_state_name(s->state));
		r = -1;
	}
	if (r == 0)
		sb_printf(reply, "ok: %zu/%zu running\n", svset_running(set),
		    svset_enabled(set));
	return r;
}

int
request_reopen(struct strbuf *reply)
{
	const struct svset *set = supervisor_set();
	size_t files = 0;

	for (size_t i = 0; i < set->n; i++) {
		struct service *s = set->svcs[i];

		children_reopen(s);
		files += s->io != NULL ? s->io->nfiles : 0;
	}
	sb_printf(reply, "reopened %zu output file%s\n", files,
	    files == 1 ? "" : "s");
	return 0;
}

int
request_metrics(struct strbuf *reply)
{
	const struct svset *set = supervisor_set();

	metrics_text(reply, set->svcs, set->n, supervisor_adopted());
	return 0;
}

int
request_shutdown(struct strbuf *reply)
{
	if (refuse_in_shutdown(reply) == -1)
		return -1;
	sb_printf(reply, "shutting down\n");
	shutdown_begin("corralctl shutdown");
	return 0;
}

int
request_logs(const char *name, size_t nlines, bool follow,
    logbuf_wake_fn *wake, void *ctx, struct logbuf_reader **out,
    struct strbuf *reply)
{
	struct service *s = find_service(name);
	size_t n = s == NULL ? named(name, NULL) : 1;

	if (n == 0) {
		sb_printf(reply, "unknown service '%s'\n", name);
		return -1;
	}
	/* Their lines interleaved would not say which instance wrote which. */
	if (s == NULL) {
		sb_printf(reply, "%s has %zu instances: name one (%s.0 to "
		    "%s.%zu)\n", name, n, name, name, n - 1);
		return -1;
	}
	if (s->logbuf == NULL) {
		sb_printf(reply, "%s: no output buffer (set output_buffer in "
		    "its section)\n", name);
		return -1;
	}
	if ((*out = logbuf_reader_new(s->logbuf, nlines, follow, wake,
	    ctx)) == NULL) {
		sb_printf(reply, "out of memory\n");
		return -1;
	}
	return 0;
}

/* --- reload ------------------------------------------------------------ */

#define RELOAD_ACTIONS(X)						\
	X(START, "start") X(STOP, "stop") X(RESTART, "restart")		\
	X(UPDATE, "update") X(KEEP, "keep") X(DISABLE, "disable")
#define AS_RL_ENUM(e, w) RL_##e,
#define AS_RL_WORD(e, w) [RL_##e] = w,
enum reload_action { RELOAD_ACTIONS(AS_RL_ENUM) };
static const char *const reload_words[] = { RELOAD_ACTIONS(AS_RL_WORD) };

/*
 * A service that its conditions disable stops (or is not started); one
 * that they enable again starts, whatever else changed.
 */
static enum reload_action
reload_action(const struct svc_conf *old, const struct svc_conf *new)
{
	if (new->disabled)
		return old == NULL || !old->disabled ? RL_DISABLE : RL_KEEP;
	if (old == NULL || old->disabled)
		return RL_START;
	switch (config_compare(old, new)) {
	case RC_RESTART:
		return RL_RESTART;
	case RC_IN_PLACE:
	case RC_CHECKS:
		return RL_UPDATE;
	default:
		return RL_KEEP;		/* RC_NONE */
	}
}

/*
 * The new file, with the command-line `main` carried over: it is not in
 * the file, and a reload must not stop it.
 */
static struct config *
load_for_reload(const struct config *old, struct diag *d)
{
	struct config *nc = config_load(old->path, d);
	const struct svc_conf *main_svc = config_find(old, "main");

	if (nc != NULL && main_svc != NULL && main_svc->line == 0) {
		if (config_add_main(nc, main_svc->argv, d) == -1) {
			config_free(nc);
			return NULL;
		}
		config_find(nc, "main")->foreground = main_svc->foreground;
	}
	return nc;
}

/* The new config, or NULL; its problems are replied, and logged unless dry. */
static struct config *
read_new(const struct config *old, bool dry_run, struct strbuf *reply)
{
	struct diag d = { 0 };
	struct config *nc = load_for_reload(old, &d);

	for (size_t i = 0; i < d.n; i++) {
		if (!dry_run)
			log_warnx("reload: %s", d.lines[i]);
		sb_printf(reply, "%s\n", d.lines[i]);
	}
	diag_free(&d);
	if (nc == NULL && !dry_run)
		log_warnx("reload: %s is invalid; nothing changed", old->path);
	return nc;
}

static void
describe_reload(const struct config *nc, struct strbuf *reply)
{
	const struct svset *set = supervisor_set();

	for (size_t i = 0; i < nc->nservices; i++) {
		const struct svc_conf *c = nc->services[i];

		sb_printf(reply, "%s %s\n",
		    reload_words[reload_action(config_find(set->conf, c->name), c)],
		    c->name);
	}
	for (size_t i = 0; i < set->n; i++)
		if (config_find(nc, set->svcs[i]->conf->name) == NULL)
			sb_printf(reply, "stop %s\n", set->svcs[i]->conf->name);
}

/*
 * Every allocation of a reload, before anything changes: svcs[i] is the
 * service that will run nc->services[i], kept or new.  0, or -1.
 */
static int
prepare_services(const struct config *nc, struct service **svcs)
{
	for (size_t i = 0; i < nc->nservices; i++) {
		struct svc_conf *c = nc->services[i];

		if ((svcs[i] = find_service(c->name)) == NULL &&
		    (svcs[i] = lifecycle_new(c)) == NULL)
			return -1;
		if (health_prepare(svcs[i], c) == -1)
			return -1;
	}
	return supervisor_reserve_retired(supervisor_set()->n);
}

/* Services that are gone stop with their hook, each on its own. */
static void
retire_removed(const struct config *nc)
{
	const struct svset *set = supervisor_set();

	for (size_t i = 0; i < set->n; i++) {
		struct service *s = set->svcs[i];

		if (config_find(nc, s->conf->name) != NULL)
			continue;
		supervisor_retire(s);
		stop_one(s, SR_RELOAD, false, NULL);
	}
}

/*
 * A service its conditions enabled again: one on its way down starts once
 * stopped; a stopped or failed one is started by start_enabled(), once the
 * new config is in place.  Whether it must be.
 */
static bool
enable_again(struct service *s)
{
	s->want_up = config_autostarts(s->conf);
	if (!s->want_up)
		return false;
	s->failed_starts = 0;
	if (service_is_stopping(s) || s->state == SS_CLEANUP) {
		s->restart_pending = true;
		s->want_up = false;
		return false;
	}
	return s->state == SS_STOPPED || s->state == SS_FAILED;
}

/*
 * Each service takes its new settings, restarting if its process differs.
 * again[i]: svcs[i] is to be started once the new config is in place.
 */
static void
apply_changes(const struct config *nc, struct service **svcs, bool *again)
{
	for (size_t i = 0; i < nc->nservices; i++) {
		struct service *s = svcs[i];
		struct svc_conf *c = nc->services[i];
		bool fresh = s->conf == c;
		enum reload_action a = reload_action(fresh ? NULL : s->conf, c);
		bool checks = a == RL_UPDATE &&
		    config_compare(s->conf, c) == RC_CHECKS;

		s->conf = c;
		if (lifecycle_sync_buffer(s) == -1)
			log_warnx("%s: out of memory for output_buffer; its "
			    "buffer stays as it was", c->name);
		if (a == RL_START && fresh)
			s->want_up = config_autostarts(c);
		else if (a == RL_START)
			again[i] = enable_again(s);
		else if (a == RL_DISABLE)
			stop_one(s, SR_RELOAD, false, NULL);
		else if (a == RL_RESTART && (service_is_live(s) ||
		    s->state == SS_BACKOFF || s->state == SS_CLEANUP))
			stop_one(s, SR_RELOAD, true, NULL);
		else if (checks)
			health_checks_changed(s);
	}
}

static void
start_enabled(struct service *const *svcs, size_t n, const bool *again)
{
	for (size_t i = 0; i < n; i++)
		if (again[i] && service_transition(svcs[i]->state,
		    SE_START)->next != SS_NONE)
			lifecycle_dispatch(svcs[i], SE_START);
}

/* Out of memory half-way through the allocations: all is as it was. */
static void
abandon_reload(struct config *nc, struct service **svcs, bool *again,
    struct plan *plan)
{
	log_errorx("reload: out of memory; keeping the current config");
	notify_send("READY=1");
	for (size_t i = 0; i < nc->nservices; i++)
		if (svcs[i] != NULL && svcs[i]->conf == nc->services[i])
			lifecycle_free(svcs[i]);
	free(svcs);
	free(again);
	plan_free(plan);
	config_free(nc);
}

int
request_reload(bool dry_run, struct strbuf *reply)
{
	const struct svset *set = supervisor_set();
	struct config *nc;
	struct service **svcs;
	struct plan plan;
	bool *again;
	char msg[64];

	if (refuse_in_shutdown(reply) == -1)
		return -1;
	if (strcmp(set->conf->path, "(command line)") == 0) {
		sb_printf(reply, "nothing to reload: corral runs without a "
		    "config file\n");
		return -1;
	}
	if ((nc = read_new(set->conf, dry_run, reply)) == NULL)
		return -1;
	if (dry_run) {
		describe_reload(nc, reply);
		config_free(nc);
		return 0;
	}
	{
		char err[VALUE_ERR_MAX];

		/* A socket that cannot be bound fails the reload: no change. */
		if (sockets_bind(nc, err) == -1) {
			log_warnx("reload: %s; nothing changed", err);
			sb_printf(reply, "%s\n", err);
			config_free(nc);
			return -1;
		}
	}
	svcs = calloc(nc->nservices + 1, sizeof(*svcs));
	again = calloc(nc->nservices + 1, sizeof(*again));
	if (svcs == NULL || again == NULL || plan_build(nc, &plan) == -1) {
		free(svcs);
		free(again);
		config_free(nc);
		sb_printf(reply, "out of memory\n");
		return -1;
	}
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)(mono_now() * 1e6));
	notify_send(msg);
	describe_reload(nc, reply);
	log_info("reloading %s", set->conf->path);
	if (prepare_services(nc, svcs) == -1) {
		abandon_reload(nc, svcs, again, &plan);
		sb_printf(reply, "out of memory\n");
		return -1;
	}
	retire_removed(nc);
	apply_changes(nc, svcs, again);
	supervisor_install(nc, svcs, &plan);
	sockets_commit(nc);
	signals_update(nc);
	start_enabled(set->svcs, set->n, again);
	free(again);
	/* Once every service has its new settings: it may start dependents. */
	for (size_t i = 0; i < set->n; i++)
		health_ready_if_no_rule(set->svcs[i]);
	supervisor_start_dependents();
	notify_send("READY=1");
	trim_arm();	/* the loader's pages again */
	return 0;
}

/* --- watch ------------------------------------------------------------- */

void
request_watch_fired(void *owner)
{
	struct service *s = owner;
	const struct svc_rare *r = s->conf->rare;
	struct strbuf scratch = { 0 };

	/* Only a service under way reacts (SPEC §14). */
	if (shutdown_started() || (s->state != SS_STARTING &&
	    s->state != SS_RUNNING && s->state != SS_PREPARING))
		return;
	switch (r->watch_action) {
	case WATCH_RESTART:
		log_info("%s: a watched path changed; restarting",
		    s->conf->name);
		stop_one(s, SR_WATCH, true, NULL);
		break;
	case WATCH_SIGNAL:
		log_info("%s: a watched path changed; sending %s",
		    s->conf->name, signal_name(r->watch_signal));
		(void)lifecycle_signal(s, r->watch_signal);
		break;
	case WATCH_RELOAD:
		log_info("%s: a watched path changed; reloading",
		    s->conf->name);
		(void)request_reload(false, &scratch);
		sb_free(&scratch);
		break;
	}
}
