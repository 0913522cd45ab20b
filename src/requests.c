/*
 * What operators ask of a running corral (corralctl, SIGHUP): status,
 * start, stop, restart, signal, check, shutdown, and reload (SPEC §8, §9).
 * Every request checks all its names before it changes anything, and none
 * can end corral: failures become a reply.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "log.h"
#include "notify.h"
#include "signals.h"
#include "status.h"
#include "supervisor.h"
#include "supervisor_impl.h"
#include "values.h"

static struct service *
find_service(const char *name)
{
	for (size_t i = 0; i < sv.n; i++)
		if (strcmp(sv.svcs[i]->conf->name, name) == 0)
			return sv.svcs[i];
	return NULL;
}

/* All names must exist before anything is done: a typo changes nothing. */
static int
lookup_all(char *const *names, size_t n, struct service **out,
    struct strbuf *reply)
{
	int r = 0;

	for (size_t i = 0; i < n; i++)
		if ((out[i] = find_service(names[i])) == NULL) {
			sb_printf(reply, "unknown service '%s'\n", names[i]);
			r = -1;
		}
	return r;
}

static int
refuse_in_shutdown(struct strbuf *reply)
{
	if (sv.phase == SV_RUNNING)
		return 0;
	sb_printf(reply, "refused: corral is shutting down\n");
	return -1;
}

int
supervisor_status(char *const *names, size_t n, bool json,
    struct strbuf *reply)
{
	struct service **list = sv.svcs;
	size_t count = sv.n;
	int r = 0;

	if (n > 0) {
		list = calloc(n, sizeof(*list));
		if (list == NULL) {
			sb_printf(reply, "out of memory\n");
			return -1;
		}
		r = lookup_all(names, n, list, reply);
		count = n;
	}
	if (r == 0 && json)
		status_json(reply, list, count);
	else if (r == 0)
		status_table(reply, list, count, sv_mono_now());
	if (list != sv.svcs)
		free(list);
	return r;
}

static void
start_one(struct service *s, struct strbuf *reply)
{
	s->want_up = true;
	s->failed_starts = 0;
	if (s->state == SS_IDLE) {
		sv_start_dependents();
		if (s->state == SS_IDLE)
			sb_printf(reply, "%s: waiting for its dependencies\n",
			    s->conf->name);
		return;
	}
	if (service_is_stopping(s) || s->state == SS_CLEANUP) {
		s->restart_pending = true;
		s->want_up = false;
		sb_printf(reply, "%s: will start once stopped\n", s->conf->name);
		return;
	}
	/* Stopped, failed, or in back-off (which it cuts short). */
	if (service_transition(s->state, SE_START)->next == SS_NONE) {
		sb_printf(reply, "%s: already %s\n", s->conf->name,
		    service_state_name(s->state));
		return;
	}
	sv_dispatch(s, SE_START);
	sb_printf(reply, "%s: %s\n", s->conf->name, service_state_name(s->state));
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
		if (service_transition(s->state, SE_STOP)->next != SS_NONE)
			sv_dispatch(s, SE_STOP);
	}
	if (reply != NULL)
		sb_printf(reply, "%s: %s\n", s->conf->name,
		    service_state_name(s->state));
}

int
supervisor_control(enum ctl_verb verb, char *const *names, size_t n,
    struct strbuf *reply)
{
	struct service **list;
	int r;

	if (refuse_in_shutdown(reply) == -1)
		return -1;
	if ((list = calloc(n + 1, sizeof(*list))) == NULL) {
		sb_printf(reply, "out of memory\n");
		return -1;
	}
	r = lookup_all(names, n, list, reply);
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct service *s = list[i];

		switch (verb) {
		case CTL_START:
			start_one(s, reply);
			break;
		case CTL_STOP:
			stop_one(s, SR_STOP, false, reply);
			break;
		case CTL_RESTART:
			if (service_is_live(s) || s->state == SS_BACKOFF)
				stop_one(s, SR_STOP, true, reply);
			else
				start_one(s, reply);
			break;
		}
	}
	free(list);
	return r;
}

int
supervisor_signal(const char *name, int sig, struct strbuf *reply)
{
	struct service *s = find_service(name);

	if (s == NULL) {
		sb_printf(reply, "unknown service '%s'\n", name);
		return -1;
	}
	if (!service_is_live(s)) {
		sb_printf(reply, "%s: not running (%s)\n", name,
		    service_state_name(s->state));
		return -1;
	}
	/* Relayed, not a stop of corral's: the restart policy applies. */
	if (sv_signal_service(s, sig) == -1) {
		sb_printf(reply, "%s: unable to send %s: %s\n", name,
		    signal_name(sig), strerror(errno));
		return -1;
	}
	sb_printf(reply, "%s: sent %s\n", name, signal_name(sig));
	return 0;
}

int
supervisor_check(struct strbuf *reply)
{
	int r = 0;

	if (sv.phase != SV_RUNNING) {
		sb_printf(reply, "shutting down\n");
		return -1;
	}
	for (size_t i = 0; i < sv.n; i++) {
		const struct service *s = sv.svcs[i];

		if (!s->conf->autostart || service_is_up(s))
			continue;
		sb_printf(reply, "%s: %s\n", s->conf->name,
		    service_state_name(s->state));
		r = -1;
	}
	if (r == 0)
		sb_printf(reply, "ok: %zu/%zu running\n", sv.nrunning, sv.n);
	return r;
}

int
supervisor_shutdown_request(struct strbuf *reply)
{
	if (refuse_in_shutdown(reply) == -1)
		return -1;
	sb_printf(reply, "shutting down\n");
	sv_begin_shutdown("corralctl shutdown");
	return 0;
}

/* --- reload ------------------------------------------------------------ */

enum reload_action { RL_START, RL_STOP, RL_RESTART, RL_UPDATE, RL_KEEP };
static const char *const reload_words[] = {
	[RL_START] = "start", [RL_STOP] = "stop", [RL_RESTART] = "restart",
	[RL_UPDATE] = "update", [RL_KEEP] = "keep",
};

static enum reload_action
reload_action(const struct svc_conf *old, const struct svc_conf *new)
{
	if (old == NULL)
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
load_for_reload(struct diag *d)
{
	struct config *nc = config_load(sv.conf->path, d);
	const struct svc_conf *main_svc = config_find(sv.conf, "main");

	if (nc != NULL && main_svc != NULL && main_svc->line == 0) {
		if (config_add_main(nc, main_svc->argv, d) == -1) {
			config_free(nc);
			return NULL;
		}
		config_find(nc, "main")->foreground = main_svc->foreground;
	}
	return nc;
}

static int
reserve_retired(size_t more)
{
	struct service **v;

	if (more == 0)
		return 0;
	v = reallocarray(sv.retired, sv.nretired + more, sizeof(*v));
	if (v == NULL)
		return -1;
	sv.retired = v;
	return 0;
}

/* Frees retired services once they are down; run between loop turns. */
void
sv_sweep_retired(void)
{
	size_t k = 0;

	for (size_t i = 0; i < sv.nretired; i++) {
		struct service *s = sv.retired[i];

		if (service_is_settled(s) && s->hook_pid == 0) {
			config_free_service(s->conf);
			sv_service_free(s);
		} else
			sv.retired[k++] = s;
	}
	sv.nretired = k;
}

static void
describe_reload(const struct config *nc, struct strbuf *reply)
{
	for (size_t i = 0; i < nc->nservices; i++) {
		const struct svc_conf *c = nc->services[i];

		sb_printf(reply, "%s %s\n",
		    reload_words[reload_action(config_find(sv.conf, c->name), c)],
		    c->name);
	}
	for (size_t i = 0; i < sv.n; i++)
		if (config_find(nc, sv.svcs[i]->conf->name) == NULL)
			sb_printf(reply, "stop %s\n", sv.svcs[i]->conf->name);
}

int
supervisor_reload(bool dry_run, struct strbuf *reply)
{
	struct diag d = { 0 };
	struct config *nc, *old = sv.conf;
	struct service **svcs;
	struct plan plan;
	char msg[64];

	if (refuse_in_shutdown(reply) == -1)
		return -1;
	if (strcmp(old->path, "(command line)") == 0) {
		sb_printf(reply, "nothing to reload: corral runs without a "
		    "config file\n");
		return -1;
	}
	nc = load_for_reload(&d);
	for (size_t i = 0; i < d.n; i++) {
		if (!dry_run)
			log_warnx("reload: %s", d.lines[i]);
		sb_printf(reply, "%s\n", d.lines[i]);
	}
	diag_free(&d);
	if (nc == NULL) {
		if (!dry_run)
			log_warnx("reload: %s is invalid; nothing changed",
			    old->path);
		return -1;
	}
	if (dry_run) {
		describe_reload(nc, reply);
		config_free(nc);
		return 0;
	}
	svcs = calloc(nc->nservices + 1, sizeof(*svcs));
	if (svcs == NULL || plan_build(nc, &plan) == -1) {
		free(svcs);
		config_free(nc);
		sb_printf(reply, "out of memory\n");
		return -1;
	}
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)(sv_mono_now() * 1e6));
	notify_send(msg);
	describe_reload(nc, reply);
	log_info("reloading %s", old->path);
	/* Every allocation first: past this point nothing can fail. */
	for (size_t i = 0; i < nc->nservices; i++) {
		struct svc_conf *c = nc->services[i];

		if ((svcs[i] = find_service(c->name)) == NULL &&
		    (svcs[i] = sv_service_new(c)) == NULL)
			goto oom;
		if (health_prepare(svcs[i], c) == -1)
			goto oom;
	}
	if (reserve_retired(sv.n) == -1)
		goto oom;
	/* Services that are gone stop with their hook, each on its own. */
	for (size_t i = 0; i < sv.n; i++) {
		struct service *s = sv.svcs[i];

		if (config_find(nc, s->conf->name) != NULL)
			continue;
		sv.retired[sv.nretired++] = s;
		s->retired = true;
		/* It keeps its svc_conf; the old config must not free it. */
		old->services[s->conf->index] = NULL;
		stop_one(s, SR_RELOAD, false, NULL);
	}
	for (size_t i = 0; i < nc->nservices; i++) {
		struct service *s = svcs[i];
		struct svc_conf *c = nc->services[i];
		enum reload_action a = s->conf == c ? RL_START :
		    reload_action(s->conf, c);
		bool checks = a == RL_UPDATE &&
		    config_compare(s->conf, c) == RC_CHECKS;

		s->conf = c;
		if (a == RL_START)
			s->want_up = c->autostart;
		else if (a == RL_RESTART && (service_is_live(s) ||
		    s->state == SS_BACKOFF || s->state == SS_CLEANUP))
			stop_one(s, SR_RELOAD, true, NULL);
		else if (checks)
			health_checks_changed(s);
	}
	free(sv.svcs);
	sv.svcs = svcs;
	sv.n = nc->nservices;
	plan_free(&sv.plan);
	sv.plan = plan;
	sv.conf = nc;
	config_free(old);
	signals_update(sv.loop, nc);
	if (sv.log_level_fixed < 0)
		log_set_level((enum log_level)nc->log_level);
	sv.status_dirty = nc->status_file != NULL;
	/* Once every service has its new settings: it may start dependents. */
	for (size_t i = 0; i < sv.n; i++)
		health_ready_if_no_rule(sv.svcs[i]);
	sv_start_dependents();
	notify_send("READY=1");
	return 0;
oom:
	log_errorx("reload: out of memory; keeping the current config");
	notify_send("READY=1");
	for (size_t i = 0; i < nc->nservices; i++)
		if (svcs[i] != NULL && svcs[i]->conf == nc->services[i])
			sv_service_free(svcs[i]);
	free(svcs);
	plan_free(&plan);
	config_free(nc);
	sb_printf(reply, "out of memory\n");
	return -1;
}

void
supervisor_fix_log_level(int level)
{
	sv.log_level_fixed = level;
}

