#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "afile.h"
#include "health.h"
#include "status.h"
#include "values.h"

static void
last_exit(const struct service *s, char *buf, size_t len)
{
	if (s->started_at == 0 || service_is_live(s))
		snprintf(buf, len, "-");
	else if (s->spawn_failed)
		snprintf(buf, len, "spawn error");
	else if (WIFSIGNALED(s->status))
		snprintf(buf, len, "signal %s", signal_name(WTERMSIG(s->status)));
	else
		snprintf(buf, len, "exit %d", WEXITSTATUS(s->status));
}

static void
uptime(const struct service *s, ev_tstamp now, char *buf, size_t len)
{
	long t;

	if (!service_is_live(s) || s->started_at == 0) {
		snprintf(buf, len, "-");
		return;
	}
	t = (long)(now - s->started_at + 0.5);
	if (t < 60)
		snprintf(buf, len, "%lds", t);
	else if (t < 3600)
		snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
	else if (t < 86400)
		snprintf(buf, len, "%ldh%02ldm", t / 3600, t / 60 % 60);
	else
		snprintf(buf, len, "%ldd%02ldh", t / 86400, t / 3600 % 24);
}

/* What else an operator wants to know: why it waits, its health, its STATUS=. */
static void
note_of(const struct service *s, const struct status_list *l, char *buf,
    size_t len)
{
	const struct service_health *h = s->health;

	buf[0] = '\0';
	if (s->state == SS_DONE) {
		time_t when = (time_t)s->ended_wall;
		struct tm tm;
		char at[32];

		if (localtime_r(&when, &tm) == NULL ||
		    strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S", &tm) == 0)
			snprintf(at, sizeof(at), "?");
		snprintf(buf, len, "finished %s", at);
		return;
	}
	if (s->conf->disabled) {
		snprintf(buf, len, "disabled by %s", s->conf->decided);
		return;
	}
	if (s->state == SS_FAILED && s->unmet) {
		snprintf(buf, len, "requires %s, which %s", s->unmet_by,
		    s->unmet_disabled ? "is disabled" : "failed");
		return;
	}
	if (s->state == SS_IDLE && s->want_up) {
		for (size_t j = 0; j < s->conf->nafter; j++) {
			const struct service *d;

			if (s->conf->after_idx[j] >= l->nall)
				continue;
			d = l->all[s->conf->after_idx[j]];
			if (!service_satisfies_after(d)) {
				snprintf(buf, len, "waiting for %s (%s)",
				    d->conf->name, service_shown_state(d));
				return;
			}
		}
	}
	if (h == NULL)
		return;
	if (h->status_text != NULL)
		snprintf(buf, len, "%s", h->status_text);
	else if (s->state == SS_RUNNING && h->health_last == 0)
		snprintf(buf, len, "health check failing (%u of %u): %s",
		    h->health_fails, s->conf->rare->health_retries,
		    h->check_why);
	else if (s->state == SS_STARTING && h->check_why[0] != '\0')
		snprintf(buf, len, "not ready: %s", h->check_why);
}

void
status_table(struct strbuf *b, const struct status_list *l, ev_tstamp now)
{
	sb_printf(b, "%-20s %-9s %7s %8s %8s  %-14s %s\n", "NAME", "STATE",
	    "PID", "UPTIME", "RESTARTS", "LAST EXIT", "NOTE");
	for (size_t i = 0; i < l->n; i++) {
		const struct service *s = l->svcs[i];
		char up[32], ex[48], note[192];

		uptime(s, now, up, sizeof(up));
		last_exit(s, ex, sizeof(ex));
		note_of(s, l, note, sizeof(note));
		sb_printf(b, "%-20s %-9s %7d %8s %8u  %-14s %s\n", s->conf->name,
		    service_shown_state(s), (int)s->pid, up, s->restarts, ex,
		    note);
	}
}

void
status_json(struct strbuf *b, const struct status_list *l)
{
	char note[192];

	sb_printf(b, "{\"time\":%.3f,\"services\":[", ev_time());
	for (size_t i = 0; i < l->n; i++) {
		const struct service *s = l->svcs[i];
		const struct service_health *h = s->health;

		sb_printf(b, "%s{\"name\":", i ? "," : "");
		sb_json_string(b, s->conf->name);
		sb_printf(b, ",\"state\":\"%s\",\"pid\":%d,\"restarts\":%u,",
		    service_shown_state(s), (int)s->pid, s->restarts);
		if (s->started_at != 0)
			sb_printf(b, "\"started_at\":%.3f,", s->started_wall);
		else
			sb_printf(b, "\"started_at\":null,");
		if (s->started_at == 0 || service_is_live(s))
			sb_printf(b, "\"last_exit\":null");
		else if (s->spawn_failed) {
			sb_printf(b, "\"last_exit\":{\"spawn_error\":");
			sb_json_string(b, strerror(s->spawn_errno));
			sb_printf(b, "}");
		} else if (WIFSIGNALED(s->status))
			sb_printf(b, "\"last_exit\":{\"signal\":\"%s\"}",
			    signal_name(WTERMSIG(s->status)));
		else
			sb_printf(b, "\"last_exit\":{\"code\":%d}",
			    WEXITSTATUS(s->status));
		if (s->state == SS_DONE)
			sb_printf(b, ",\"finished_at\":%.3f", s->ended_wall);
		if (s->conf->nlisten > 0) {
			sb_printf(b, ",\"sockets\":[");
			for (size_t j = 0; j < s->conf->nlisten; j++) {
				sb_printf(b, "%s", j ? "," : "");
				sb_json_string(b, s->conf->listen[j].text);
			}
			sb_printf(b, "]");
		}
		if (s->conf->disabled) {
			sb_printf(b, ",\"disabled_by\":");
			sb_json_string(b, s->conf->decided);
		}
		if (h != NULL && h->status_text != NULL) {
			sb_printf(b, ",\"status_text\":");
			sb_json_string(b, h->status_text);
		}
		if (h != NULL && h->health_last >= 0) {
			sb_printf(b, ",\"health\":{\"last\":\"%s\",\"at\":%.3f,"
			    "\"fails_in_a_row\":%u", h->health_last ? "pass" :
			    "fail", h->health_at, h->health_fails);
			if (h->health_last == 0) {
				sb_printf(b, ",\"reason\":");
				sb_json_string(b, h->check_why);
			}
			sb_printf(b, "}");
		}
		if (h != NULL && s->state == SS_STARTING &&
		    h->check_why[0] != '\0') {
			sb_printf(b, ",\"not_ready\":");
			sb_json_string(b, h->check_why);
		}
		note_of(s, l, note, sizeof(note));
		if (note[0] != '\0') {
			sb_printf(b, ",\"note\":");
			sb_json_string(b, note);
		}
		sb_printf(b, "}");
	}
	sb_printf(b, "]}\n");
}

/* The status file, written whole (afile.h). */
static struct afile sf = AFILE_INIT;

void
status_close(void)
{
	afile_close(&sf);
}

int
status_open(const char *path)
{
	return afile_open(&sf, path);
}

int
status_write(const char *path, const struct status_list *l)
{
	struct strbuf b = { 0 };
	int r;

	status_json(&b, l);
	if (b.oom) {
		sb_free(&b);
		errno = ENOMEM;
		return -1;
	}
	r = afile_write(&sf, path, b.p, b.len);
	sb_free(&b);
	return r;
}
