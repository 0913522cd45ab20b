/*
 * The final report and the exit status.  Pure reading: nothing here
 * changes a service.
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "report.h"
#include "values.h"

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
report_exit_status(const struct svset *set, const struct report_totals *t)
{
	bool unclean = t->unclean;

	if (t->have_critical && t->critical_status != 0)
		return t->critical_status;
	for (size_t i = 0; i < set->n; i++)
		unclean |= ended_badly(set->svcs[i]);
	return unclean && set->conf->strict ? 3 : 0;
}

/* How its last run ended, as the report says it. */
static void
describe_run(const struct service *s, char *how, size_t len)
{
	if (s->started_at == 0)
		snprintf(how, len, "never started");
	else if (s->spawn_failed)
		snprintf(how, len, "could not be started (%s)",
		    strerror(s->spawn_errno));
	else {
		describe_status(s->status, how, len);
		if (s->killed)
			strncat(how, " (had to be killed)", len - strlen(how) - 1);
		else if (!service_status_expected(s))
			strncat(how, " (unexpected)", len - strlen(how) - 1);
	}
}

static void
describe_hook(const struct service *s, char *hook, size_t len)
{
	char st[64];

	if (!s->hook_ran)
		snprintf(hook, len, "%s",
		    s->conf->cleanup_argv ? "cleanup not run" : "no cleanup");
	else if (s->hook_timed_out)
		snprintf(hook, len, "cleanup timed out");
	else {
		describe_status(s->hook_status, st, sizeof(st));
		snprintf(hook, len, "cleanup %s", st);
	}
}

void
report_log(const struct svset *set, const struct report_totals *t)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct service *s = set->svcs[i];
		char how[96], hook[96];

		describe_run(s, how, sizeof(how));
		describe_hook(s, hook, sizeof(hook));
		(ended_badly(s) ? log_warnx : log_info)("report: %s: %s, %s, "
		    "%u restart%s, %s", s->conf->name,
		    service_shown_state(s), how, s->restarts,
		    s->restarts == 1 ? "" : "s", hook);
		if (s->leftovers > 0)
			log_info("report: %s: %lu leftover process%s reaped",
			    s->conf->name, s->leftovers,
			    s->leftovers == 1 ? "" : "es");
	}
	if (t->adopted > 0 || t->orphans_signalled > 0)
		log_info("report: %lu adopted process%s reaped, %lu signalled "
		    "at shutdown", t->adopted, t->adopted == 1 ? "" : "es",
		    t->orphans_signalled);
}
