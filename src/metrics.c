/*
 * The Prometheus text format of corral's services; see metrics.h.
 *
 * Every family has its # HELP and # TYPE lines even with no service, and
 * corral_service_state has one series per state a service can show, 1 for
 * the one it is in: a state that has no series would look, to a query, as
 * if nobody were in it for another reason.
 */
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>

#include "metrics.h"

/* A label value: backslash, double quote and newline escaped. */
static void
label(struct strbuf *b, const char *v)
{
	for (; *v != '\0'; v++)
		if (*v == '\\' || *v == '"')
			sb_printf(b, "\\%c", *v);
		else if (*v == '\n')
			sb_printf(b, "\\n");
		else
			sb_add(b, v, 1);
}

static void
family(struct strbuf *b, const char *name, const char *type, const char *help)
{
	sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
series(struct strbuf *b, const char *name, const struct service *s)
{
	sb_printf(b, "%s{service=\"", name);
	label(b, s->conf->name);
	sb_printf(b, "\"}");
}

/* Each name a state shows as, once, in the order of the table. */
static bool
first_shown(enum svc_state st)
{
	for (enum svc_state e = SS_NONE + 1; e < st; e++)
		if (strcmp(service_state_name(e), service_state_name(st)) == 0)
			return false;
	return true;
}

static void
states(struct strbuf *b, struct service *const *svcs, size_t n)
{
	family(b, "corral_service_state", "gauge",
	    "1 for the state the service is in, 0 for the others.");
	for (size_t i = 0; i < n; i++) {
		const char *now = service_shown_state(svcs[i]);

		/* SS__COUNT stands for "disabled", shown but not in the table. */
		for (enum svc_state e = SS_NONE + 1; e <= SS__COUNT; e++) {
			const char *name = e < SS__COUNT ?
			    service_state_name(e) : "disabled";

			if (e < SS__COUNT && !first_shown(e))
				continue;
			sb_printf(b, "corral_service_state{service=\"");
			label(b, svcs[i]->conf->name);
			sb_printf(b, "\",state=\"%s\"} %d\n", name,
			    strcmp(name, now) == 0);
		}
	}
}

void
metrics_text(struct strbuf *b, struct service *const *svcs, size_t n,
    unsigned long adopted)
{
	family(b, "corral_service_up", "gauge",
	    "1 when the service is running, or a oneshot is done.");
	for (size_t i = 0; i < n; i++) {
		series(b, "corral_service_up", svcs[i]);
		sb_printf(b, " %d\n", svcs[i]->state == SS_RUNNING ||
		    svcs[i]->state == SS_DONE);
	}
	states(b, svcs, n);
	family(b, "corral_service_restarts_total", "counter",
	    "Times corral started the service again.");
	for (size_t i = 0; i < n; i++) {
		series(b, "corral_service_restarts_total", svcs[i]);
		sb_printf(b, " %u\n", svcs[i]->restarts);
	}
	family(b, "corral_service_start_time_seconds", "gauge",
	    "UNIX time of the service's last start; absent if never started.");
	for (size_t i = 0; i < n; i++)
		if (svcs[i]->started_at != 0) {
			series(b, "corral_service_start_time_seconds", svcs[i]);
			sb_printf(b, " %.3f\n", svcs[i]->started_wall);
		}
	family(b, "corral_service_last_exit_code", "gauge",
	    "How the last run ended: its exit code, or 128 + the signal.");
	for (size_t i = 0; i < n; i++)
		if (svcs[i]->started_at != 0 && !service_is_live(svcs[i]) &&
		    !svcs[i]->spawn_failed) {
			series(b, "corral_service_last_exit_code", svcs[i]);
			sb_printf(b, " %d\n", service_exit_code(svcs[i]->status));
		}
	family(b, "corral_cleanup_failures_total", "counter",
	    "Cleanup hooks that failed, timed out or could not start.");
	for (size_t i = 0; i < n; i++) {
		series(b, "corral_cleanup_failures_total", svcs[i]);
		sb_printf(b, " %lu\n", svcs[i]->hook_failures);
	}
	family(b, "corral_adopted_reaped_total", "counter",
	    "Orphans of no service that corral adopted and reaped.");
	sb_printf(b, "corral_adopted_reaped_total %lu\n", adopted);
}
