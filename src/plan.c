/*
 * Planning.  The stop graph: in `parallel` order, a service stops once
 * every service that names it in `after` has stopped (cleanup included); in
 * `sequential` order, once the service before it in stop_order has.
 *
 * Under shutdown_deadline D, a service's latest kill is D minus what it
 * still needs afterwards at the very least: its own cleanup_timeout and,
 * recursively, the cleanup of everything that stops after it.  The graceful
 * windows before that are the part a deadline may cut.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "values.h"

static double
cleanup_need(const struct svc_conf *s)
{
	return s->cleanup_argv != NULL && !s->disabled ? s->cleanup_timeout : 0;
}

void
plan_fit(const struct svc_conf *s, double avail, double *delay, double *window)
{
	if (avail < 0)
		avail = 0;
	if (s->stop_delay + s->stop_timeout <= avail) {
		*delay = s->stop_delay;
		*window = s->stop_timeout;
	} else if (s->stop_timeout <= avail) {
		*delay = avail - s->stop_timeout;
		*window = s->stop_timeout;
	} else {
		*delay = 0;
		*window = avail;
	}
}

static int
add_blocker(struct plan *p, unsigned of, unsigned blocker)
{
	unsigned *v = reallocarray(p->blockers[of], p->nblockers[of] + 1,
	    sizeof(*v));

	if (v == NULL)
		return -1;
	v[p->nblockers[of]++] = blocker;
	p->blockers[of] = v;
	return 0;
}

/* Reverse file order, except that dependents always stop first. */
static int
order_stops(const struct config *c, struct plan *p)
{
	size_t n = c->nservices;
	unsigned *pending = calloc(n, sizeof(*pending));	/* live dependents */
	bool *placed = calloc(n, sizeof(*placed));

	if (pending == NULL || placed == NULL) {
		free(pending);
		free(placed);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < c->services[i]->nafter; j++)
			pending[c->services[i]->after_idx[j]]++;
	for (size_t k = 0; k < n; k++) {
		size_t pick = n;

		for (size_t i = n; i-- > 0;)
			if (!placed[i] && pending[i] == 0) {
				pick = i;
				break;
			}
		if (pick == n)		/* a cycle: config_load refuses those */
			for (pick = n; pick-- > 0 && placed[pick];)
				;
		placed[pick] = true;
		p->stop_order[k] = (unsigned)pick;
		for (size_t j = 0; j < c->services[pick]->nafter; j++)
			pending[c->services[pick]->after_idx[j]]--;
	}
	free(pending);
	free(placed);
	return 0;
}

static void
compute_waves(const struct config *c, struct plan *p)
{
	/* Longest path from a root; n passes suffice without a cycle. */
	bool changed = true;

	for (size_t pass = 0; changed && pass <= c->nservices; pass++) {
		changed = false;
		for (size_t i = 0; i < c->nservices; i++) {
			const struct svc_conf *s = c->services[i];

			for (size_t j = 0; j < s->nafter && !s->disabled; j++) {
				unsigned w = p->wave[s->after_idx[j]] + 1;

				/* A disabled service is no wait at all. */
				if (c->services[s->after_idx[j]]->disabled)
					continue;
				if (w > p->wave[i]) {
					p->wave[i] = w;
					changed = true;
				}
			}
		}
	}
	p->nwaves = 0;
	for (size_t i = 0; i < c->nservices; i++)
		if (p->wave[i] + 1 > p->nwaves)
			p->nwaves = p->wave[i] + 1;
}

/* Walks services in stop order, so every blocker is computed first. */
static double
simulate(const struct config *c, const struct plan *p, struct plan_step *out,
    bool cut)
{
	double total = 0;

	for (size_t k = 0; k < c->nservices; k++) {
		unsigned i = p->stop_order[k];
		const struct svc_conf *s = c->services[i];
		struct plan_step *st = &out[i];
		double delay = s->stop_delay, window = s->stop_timeout;

		if (s->disabled)
			delay = window = 0;
		st->begin = 0;
		for (size_t b = 0; b < p->nblockers[i]; b++)
			if (out[p->blockers[i][b]].end > st->begin)
				st->begin = out[p->blockers[i][b]].end;
		if (cut && !isinf(p->latest_kill[i]) && !s->disabled)
			plan_fit(s, p->latest_kill[i] - st->begin, &delay, &window);
		st->signal_at = st->begin + delay;
		st->kill_at = st->signal_at + window;
		st->end = st->kill_at + cleanup_need(s);
		if (st->end > total)
			total = st->end;
	}
	return total;
}

int
plan_build(const struct config *c, struct plan *p)
{
	size_t n = c->nservices;
	double *need;

	memset(p, 0, sizeof(*p));
	p->n = n;
	p->wave = calloc(n + 1, sizeof(*p->wave));
	p->stop_order = calloc(n + 1, sizeof(*p->stop_order));
	p->blockers = calloc(n + 1, sizeof(*p->blockers));
	p->nblockers = calloc(n + 1, sizeof(*p->nblockers));
	p->full = calloc(n + 1, sizeof(*p->full));
	p->cut = calloc(n + 1, sizeof(*p->cut));
	p->latest_kill = calloc(n + 1, sizeof(*p->latest_kill));
	need = calloc(n + 1, sizeof(*need));
	if (p->wave == NULL || p->stop_order == NULL || p->blockers == NULL ||
	    p->nblockers == NULL || p->full == NULL || p->cut == NULL ||
	    p->latest_kill == NULL || need == NULL || order_stops(c, p) == -1)
		goto fail;
	compute_waves(c, p);
	for (size_t i = 0; i < n; i++) {
		const struct svc_conf *s = c->services[i];

		if (c->shutdown_order == ORDER_SEQUENTIAL)
			continue;
		for (size_t j = 0; j < s->nafter; j++)
			if (add_blocker(p, s->after_idx[j], (unsigned)i) == -1)
				goto fail;
	}
	if (c->shutdown_order == ORDER_SEQUENTIAL)
		for (size_t k = 1; k < n; k++)
			if (add_blocker(p, p->stop_order[k],
			    p->stop_order[k - 1]) == -1)
				goto fail;
	/* need[] in reverse stop order: what stops later is known first. */
	for (size_t k = n; k-- > 0;) {
		unsigned i = p->stop_order[k];

		need[i] += cleanup_need(c->services[i]);
		p->latest_kill[i] = c->shutdown_deadline > 0 ?
		    c->shutdown_deadline - need[i] : INFINITY;
		if (p->latest_kill[i] < 0)
			p->latest_kill[i] = 0;
		for (size_t b = 0; b < p->nblockers[i]; b++) {
			unsigned j = p->blockers[i][b];

			if (need[i] > need[j])
				need[j] = need[i];
		}
	}
	p->min_total = 0;
	for (size_t i = 0; i < n; i++)
		if (need[i] > p->min_total)
			p->min_total = need[i];
	p->total = simulate(c, p, p->full, false);
	p->cut_total = simulate(c, p, p->cut, true);
	free(need);
	return 0;
fail:
	free(need);
	plan_free(p);
	return -1;
}

void
plan_free(struct plan *p)
{
	if (p->blockers != NULL)
		for (size_t i = 0; i < p->n; i++)
			free(p->blockers[i]);
	free(p->blockers);
	free(p->nblockers);
	free(p->wave);
	free(p->stop_order);
	free(p->full);
	free(p->cut);
	free(p->latest_kill);
	memset(p, 0, sizeof(*p));
}

static void
print_timeline(const struct config *c, const struct plan *p,
    const struct plan_step *steps, FILE *out)
{
	for (size_t k = 0; k < c->nservices; k++) {
		unsigned i = p->stop_order[k];
		const struct svc_conf *s = c->services[i];
		const struct plan_step *st = &steps[i];
		char b[32], sig[32], kill[32], end[32];

		if (s->disabled)
			continue;
		format_duration(st->begin, b, sizeof(b));
		format_duration(st->signal_at, sig, sizeof(sig));
		format_duration(st->kill_at, kill, sizeof(kill));
		format_duration(st->end, end, sizeof(end));
		fprintf(out, "  +%-9s %-16s %s at +%s, %s at +%s, ", b, s->name,
		    s->rare->stop_command != NULL ? "stop_command" :
		    signal_name(s->stop_signal), sig,
		    signal_name(s->kill_signal), kill);
		if (s->cleanup_argv != NULL)
			fprintf(out, "cleanup until +%s\n", end);
		else
			fprintf(out, "no cleanup\n");
	}
}

/* How many services from i on are instances of i's section decided alike. */
static size_t
alike(const struct config *c, size_t i)
{
	const struct svc_conf *a = c->services[i];
	size_t n = 1;

	while (a->group_len != 0 && i + n < c->nservices) {
		const struct svc_conf *b = c->services[i + n];

		if (b->group_len != a->group_len || b->disabled != a->disabled ||
		    strncmp(a->name, b->name, a->group_len) != 0 ||
		    (a->decided == NULL) != (b->decided == NULL) ||
		    (a->decided != NULL && strcmp(a->decided, b->decided) != 0))
			break;
		n++;
	}
	return n;
}

/*
 * Which services this environment selects, and what decided: the one
 * question a condition raises that no other supervisor answers before it
 * starts.  Instances decided alike share a line.
 */
static void
print_selection(const struct config *c, FILE *out)
{
	fprintf(out, "files read:\n");
	for (size_t i = 0; i < c->nfiles; i++)
		fprintf(out, "  %s\n", c->files[i]);
	if (c->nfiles == 0)
		fprintf(out, "  (none: the command line)\n");
	fprintf(out, "services in this environment:\n");
	for (size_t i = 0; i < c->nservices;) {
		const struct svc_conf *s = c->services[i];
		size_t n = alike(c, i);
		char name[SERVICE_NAME_MAX + 32];

		if (n > 1)
			snprintf(name, sizeof(name), "%.*s.{%d..%d}",
			    (int)s->group_len, s->name, s->instance,
			    c->services[i + n - 1]->instance);
		else
			snprintf(name, sizeof(name), "%s", s->name);
		fprintf(out, "  %-20s %-8s %s\n", name,
		    s->disabled ? "disabled" : "selected",
		    s->decided != NULL ? s->decided : "(no condition)");
		i += n;
	}
}

static const char *const watch_actions[] = {
	[WATCH_RESTART] = "restart", [WATCH_SIGNAL] = "signal",
	[WATCH_RELOAD] = "reload",
};

/* What each service watches, and does on a change (SPEC §14). */
static void
print_watches(const struct config *c, FILE *out)
{
	bool any = false;

	for (size_t i = 0; i < c->nservices; i++) {
		const struct svc_conf *s = c->services[i];
		const struct svc_rare *r = s->rare;
		char d[32];

		if (r->nwatch == 0)
			continue;
		if (!any)
			fprintf(out, "watches:\n");
		any = true;
		format_duration(r->watch_delay, d, sizeof(d));
		fprintf(out, "  %-20s", s->name);
		for (size_t j = 0; j < r->nwatch; j++)
			fprintf(out, " %s", r->watch[j]);
		fprintf(out, " -> %s%s%s after %s\n",
		    watch_actions[r->watch_action],
		    r->watch_action == WATCH_SIGNAL ? ":" : "",
		    r->watch_action == WATCH_SIGNAL ?
		    signal_name(r->watch_signal) : "", d);
	}
}

/* One check of a service as -t -v shows it: what, where, how often. */
static void
print_check(const char **name, const char *what, const char *text,
    const struct probe *p, double timeout, double every, FILE *out)
{
	char addr[128], t[32], e[32];

	format_duration(every, e, sizeof(e));
	fprintf(out, "  %-20s %s %s", *name, what, text);
	*name = "";
	if (p == NULL) {
		fprintf(out, " (command, every %s)\n", e);
		return;
	}
	probe_address(p, addr, sizeof(addr));
	format_duration(timeout, t, sizeof(t));
	if (p->kind == PROBE_LOG)
		fprintf(out, " (a line of its output)\n");
	else
		fprintf(out, " (%s, %s a try, every %s)\n", addr, t, e);
}

/* What each service requires and how it is judged ready and well. */
static void
print_checks(const struct config *c, FILE *out)
{
	bool any = false;

	for (size_t i = 0; i < c->nservices; i++) {
		const struct svc_conf *s = c->services[i];
		const struct svc_rare *r = s->rare;
		const char *name = s->name;

		if (s->disabled || (s->nrequires == 0 && r->ready_check == NULL &&
		    r->health_check == NULL))
			continue;
		if (!any)
			fprintf(out, "requirements and checks:\n");
		any = true;
		if (s->nrequires > 0) {
			fprintf(out, "  %-20s requires", name);
			name = "";
			for (size_t j = 0; j < s->nrequires; j++)
				fprintf(out, " %s", s->requires[j]);
			fprintf(out, "\n");
		}
		if (r->ready_check != NULL)
			print_check(&name, "ready", r->ready_check, r->ready_probe,
			    s->check_timeout, r->ready_interval, out);
		if (r->health_check != NULL)
			print_check(&name, "health", r->health_check,
			    r->health_probe,
			    s->check_timeout, r->health_interval, out);
	}
}

/* The sockets each service gets (SPEC §15), when any does. */
static void
print_sockets(const struct config *c, FILE *out)
{
	bool any = false;

	for (size_t i = 0; i < c->nservices; i++) {
		const struct svc_conf *s = c->services[i];

		if (s->nlisten == 0 && s->nlisten_names == 0)
			continue;
		if (!any)
			fprintf(out, "sockets (from fd 3, in this order):\n");
		any = true;
		fprintf(out, "  %-20s", s->name);
		for (size_t j = 0; j < s->nlisten; j++)
			fprintf(out, " %s", s->listen[j].text);
		for (size_t j = 0; j < s->nlisten_names; j++)
			fprintf(out, " inherited:%s", s->listen_names[j]);
		fprintf(out, "\n");
	}
}

void
plan_print(const struct config *c, const struct plan *p, FILE *out)
{
	char total[32], d[32];

	print_selection(c, out);
	print_sockets(c, out);
	print_checks(c, out);
	print_watches(c, out);
	fprintf(out, "start order:\n");
	for (unsigned w = 0; w < p->nwaves; w++) {
		fprintf(out, "  wave %u:", w + 1);
		for (size_t i = 0; i < c->nservices; i++)
			if (p->wave[i] == w && !c->services[i]->disabled)
				fprintf(out, " %s%s%s", c->services[i]->name,
				    c->services[i]->type == TYPE_ONESHOT ?
				    " (oneshot)" : "",
				    c->services[i]->autostart ? "" : " (no autostart)");
		fprintf(out, "\n");
	}
	fprintf(out, "stop order:");
	for (size_t k = 0; k < c->nservices; k++)
		if (!c->services[p->stop_order[k]]->disabled)
			fprintf(out, " %s", c->services[p->stop_order[k]]->name);
	fprintf(out, "\nshutdown timeline (%s, worst case):\n",
	    c->shutdown_order == ORDER_PARALLEL ? "parallel" : "sequential");
	print_timeline(c, p, p->full, out);
	format_duration(p->total, total, sizeof(total));
	fprintf(out, "total: %s\n", total);
	if (c->shutdown_deadline > 0 && p->total > c->shutdown_deadline) {
		format_duration(c->shutdown_deadline, d, sizeof(d));
		fprintf(out, "with shutdown_deadline %s:\n", d);
		print_timeline(c, p, p->cut, out);
		format_duration(p->cut_total, total, sizeof(total));
		fprintf(out, "total: %s\n", total);
	}
}

int
plan_warn(const struct config *c, const struct plan *p, FILE *out)
{
	char total[32], d[32], min[32];

	if (c->shutdown_deadline <= 0 || p->total <= c->shutdown_deadline)
		return 0;
	format_duration(p->total, total, sizeof(total));
	format_duration(c->shutdown_deadline, d, sizeof(d));
	format_duration(p->min_total, min, sizeof(min));
	if (p->min_total > c->shutdown_deadline) {
		fprintf(out, "%s: warning: the cleanup hooks alone may need %s, "
		    "more than shutdown_deadline %s; whatever is left at the "
		    "deadline will be killed, hooks included\n", c->path, min, d);
		return 1;
	}
	fprintf(out, "%s: warning: worst-case shutdown takes %s, more than "
	    "shutdown_deadline %s; stop delays and graceful windows will be "
	    "shortened so that every cleanup hook fits\n", c->path, total, d);
	return 1;
}
