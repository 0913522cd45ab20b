/*
 * Reload (SPEC §8, corral(8) RELOAD, corralctl(1) reload): one edit that
 * adds, removes, changes the command of, changes only a timeout of, and
 * keeps a service; the dry run that predicts it; a broken edit that
 * changes nothing; SIGHUP.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlutil.h"

#define HEAD \
	"[corral]\n" \
	"control_socket = @T@/ctl.sock\n" \
	"status_file = @T@/status.json\n" \
	/* tune is killed on purpose below; that is not what is tested. */ \
	"strict = no\n" \
	"\n"

#define KEEP \
	"[service:keep]\n" \
	"command = @SVC@/catch @T@/keep TERM=die\n" \
	"cleanup = @SVC@/stamp -e @T@/hooks keep\n" \
	"\n"

/* Line numbers of the broken edit count from here: HEAD is 5 lines. */
static const char v1[] = HEAD KEEP
    "[service:tune]\n"
    "command = @SVC@/catch @T@/tune TERM=ignore\n"
    "stop_timeout = 10s\n"
    "cleanup = @SVC@/stamp -e @T@/hooks tune\n"
    "\n"
    "[service:change]\n"
    "command = @SVC@/catch @T@/change TERM=die\n"
    "cleanup = @SVC@/stamp -e @T@/hooks change\n"
    "\n"
    "[service:gone]\n"
    "command = @SVC@/catch @T@/gone TERM=die\n"
    "cleanup = @SVC@/stamp -e @T@/hooks gone\n";

static const char v2[] = HEAD KEEP
    "[service:tune]\n"
    "command = @SVC@/catch @T@/tune TERM=ignore\n"
    "stop_timeout = 300ms\n"
    "cleanup = @SVC@/stamp -e @T@/hooks tune\n"
    "\n"
    "[service:change]\n"
    "command = @SVC@/catch @T@/change TERM=die USR1=ignore\n"
    "cleanup = @SVC@/stamp -e @T@/hooks change\n"
    "\n"
    "[service:new]\n"
    "command = @SVC@/catch @T@/new TERM=die\n";

/* v2 with two mistakes, on lines 12 and 16. */
static const char v3[] = HEAD KEEP
    "[service:tune]\n"
    "command = @SVC@/catch @T@/tune TERM=ignore\n"
    "stop_timeout = 5 parsecs\n"
    "cleanup = @SVC@/stamp -e @T@/hooks tune\n"
    "\n"
    "[service:change]\n"
    "comand = @SVC@/catch @T@/change TERM=die USR1=ignore\n"
    "cleanup = @SVC@/stamp -e @T@/hooks change\n"
    "\n"
    "[service:new]\n"
    "command = @SVC@/catch @T@/new TERM=die\n"
    "\n"
    "[service:never]\n"
    "command = @SVC@/catch @T@/never TERM=die\n";

static int
strcmp_p(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The lines of text, sorted, one string with '\n' after each. */
static const char *
sorted_lines(const char *text)
{
	const char *lines[64], *out = "";
	int n = 0;

	for (const char *l = text; l && *l && n < 64;) {
		const char *nl = strchr(l, '\n');

		lines[n++] = h_fmt("%.*s", nl ? (int)(nl - l) : (int)strlen(l), l);
		l = nl ? nl + 1 : NULL;
	}
	qsort(lines, (size_t)n, sizeof(*lines), strcmp_p);
	for (int i = 0; i < n; i++)
		out = h_fmt("%s%s\n", out, lines[i]);
	return out;
}

/* Every service's pid and state as a line each, from status --json. */
static const char *
snapshot(const char *sock)
{
	struct tj *st = cu_status(sock);
	const struct tj *list = tj_get(st, "services");
	const char *out = "";

	for (size_t i = 0; i < list->n; i++) {
		const char *name = tj_str(tj_get(list->items[i], "name"));

		out = h_fmt("%s%s %s %d\n", out, name, cu_state(st, name),
		    (int)cu_pid(st, name));
	}
	tj_free(st);
	return out;
}

START_TEST(reload_applies_only_what_changed)
{
	struct h_proc *c = h_corral(v1);
	const char *sock = h_path("ctl.sock"), *hooks = h_path("hooks");
	const char *conf = h_path("corral.conf"), *before, *after, *late;
	pid_t keep = cu_started(c, "keep", 0), tune = cu_started(c, "tune", 0);
	pid_t change = cu_started(c, "change", 0), gone = cu_started(c, "gone", 0);
	pid_t fresh;
	struct h_event e;
	struct cu_run r;
	int64_t term_ns, dead_ns;

	/* Every one running, or a late "starting" -> "running" tells apart. */
	late = cu_wait_all(h_path("status.json"), "running", "keep", "tune",
	    "change", "gone", NULL);
	ck_assert_msg(late == NULL, "%s is not running; %s", late, h_ctx(c));
	before = snapshot(sock);
	(void)h_write("corral.conf", v2);

	/* The dry run predicts, and does nothing. */
	r = cu_ctl(sock, "reload", "--dry-run", NULL);
	ck_assert_msg(r.code == 0, "reload --dry-run: %s", cu_ctx(&r));
	ck_assert_str_eq(sorted_lines(r.out),
	    "keep keep\n"
	    "restart change\n"
	    "start new\n"
	    "stop gone\n"
	    "update tune\n");
	h_sleep_ms(200);
	after = snapshot(sock);
	ck_assert_msg(strcmp(before, after) == 0, "the dry run changed the "
	    "services:\nbefore:\n%safter:\n%s", before, after);
	ck_assert_msg(h_event_count(h_path("new"), "start") == 0 &&
	    h_event_count(hooks, NULL) == 0 && h_alive(gone) &&
	    h_count_lines(c->err, "reloading") == 0,
	    "the dry run did something; %s", h_ctx(c));

	r = cu_ctl(sock, "reload", NULL);
	ck_assert_msg(r.code == 0, "reload: %s", cu_ctx(&r));
	fresh = cu_started(c, "new", 0);
	ck_assert_msg(h_wait_events(hooks, "gone", 1, H_WAIT_MS),
	    "the removed service's cleanup hook did not run; %s", h_ctx(c));
	e = h_event(hooks, "gone", 0);
	ck_assert_msg(strcmp(cu_var(e.rest, "CORRAL_REASON"), "reload") == 0 &&
	    strcmp(cu_var(e.rest, "CORRAL_EXIT_SIGNAL"), "TERM") == 0,
	    "gone's hook was told '%s'; expected CORRAL_REASON=reload and "
	    "CORRAL_EXIT_SIGNAL=TERM", e.rest);
	ck_assert_msg(h_wait_gone(gone, H_WAIT_MS), "gone still runs");
	ck_assert_msg(cu_started(c, "change", 1) != change &&
	    h_event_count(h_path("change"), "TERM") == 1,
	    "change was not restarted; %s", h_ctx(c));
	ck_assert_msg(h_wait_events(hooks, "change", 1, H_WAIT_MS) &&
	    strcmp(cu_var(h_event(hooks, "change", 0).rest, "CORRAL_REASON"),
	    "reload") == 0, "change's hook should run with reason reload: "
	    "'%s'", h_event(hooks, "change", 0).rest);
	change = cu_started(c, "change", 1);
	late = cu_wait_all(h_path("status.json"), "running", "change", "new",
	    NULL);
	ck_assert_msg(late == NULL, "%s is not running; %s", late, h_ctx(c));
	after = snapshot(sock);
	ck_assert_msg(strstr(after, h_fmt("keep running %d\n", (int)keep)) &&
	    strstr(after, h_fmt("tune running %d\n", (int)tune)) &&
	    strstr(after, h_fmt("change running %d\n", (int)change)) &&
	    strstr(after, h_fmt("new running %d\n", (int)fresh)) &&
	    !strstr(after, "gone"), "after the reload:\n%s", after);
	ck_assert_msg(h_event_count(h_path("keep"), NULL) == 1 &&
	    h_event_count(h_path("tune"), NULL) == 1 &&
	    h_event_count(hooks, "keep") == 0 &&
	    h_event_count(hooks, "tune") == 0,
	    "keep or tune was touched by the reload; %s", h_ctx(c));

	/* tune's new stop_timeout (300ms, was 10s) applies at its next stop. */
	r = cu_ctl(sock, "stop", "tune", NULL);
	ck_assert_msg(r.code == 0, "stop tune: %s", cu_ctx(&r));
	ck_assert_msg(h_wait_events(h_path("tune"), "TERM", 1, H_WAIT_MS),
	    "tune got no TERM; %s", h_ctx(c));
	term_ns = h_event(h_path("tune"), "TERM", 0).ns;
	ck_assert_msg(h_wait_gone(tune, 3000), "tune still alive 3 s after "
	    "its TERM: the new stop_timeout of 300ms was not used; %s",
	    h_ctx(c));
	dead_ns = h_now_ns();
	ck_assert_msg(dead_ns - term_ns >= 250000000 &&
	    dead_ns - term_ns <= 1000000000, "tune killed %.0f ms after its "
	    "TERM; stop_timeout is 300ms", H_MS(dead_ns - term_ns));

	ck_assert_msg(cu_wait_state(h_path("status.json"), "tune", "stopped",
	    H_WAIT_MS), "tune did not end stopped; %s", h_ctx(c));

	/* A broken edit changes nothing and says where it is broken. */
	before = snapshot(sock);
	(void)h_write("corral.conf", v3);
	r = cu_ctl(sock, "reload", "--dry-run", NULL);
	ck_assert_msg(r.code == 1 && strstr(r.err, h_fmt("%s:12:", conf)) &&
	    strstr(r.err, h_fmt("%s:16:", conf)), "reload --dry-run of a broken "
	    "file: expected exit 1 and errors at %s:12: and :16:; %s", conf,
	    cu_ctx(&r));
	r = cu_ctl(sock, "reload", NULL);
	ck_assert_msg(r.code == 1 && strstr(r.err, h_fmt("%s:12:", conf)) &&
	    strstr(r.err, h_fmt("%s:16:", conf)), "reload of a broken file: "
	    "expected exit 1 and errors at %s:12: and :16:; %s", conf,
	    cu_ctx(&r));
	ck_assert_msg(h_count_lines(c->err, h_fmt("reload: %s:12:", conf)) == 1,
	    "the errors should be logged as 'reload: FILE:LINE: ...'; %s",
	    h_ctx(c));
	h_sleep_ms(200);
	after = snapshot(sock);
	ck_assert_msg(strcmp(before, after) == 0 &&
	    h_event_count(h_path("never"), "start") == 0,
	    "a broken edit changed the services:\nbefore:\n%safter:\n%s",
	    before, after);

	/* SIGHUP reloads too. */
	(void)h_write("corral.conf", h_fmt("%s\n[service:hup]\n"
	    "command = @SVC@/catch @T@/hup TERM=die\n", v2));
	h_signal(c, SIGHUP);
	(void)cu_started(c, "hup", 0);
	ck_assert_msg(cu_wait_state(h_path("status.json"), "hup", "running",
	    H_WAIT_MS), "hup is not running; %s", h_ctx(c));
	after = snapshot(sock);
	ck_assert_msg(strstr(after, h_fmt("keep running %d\n", (int)keep)) &&
	    strstr(after, h_fmt("change running %d\n", (int)change)) &&
	    strstr(after, h_fmt("new running %d\n", (int)fresh)) &&
	    strstr(after, "hup running "), "after SIGHUP:\n%s", after);
	ck_assert_msg(h_event_count(h_path("keep"), "TERM") == 0 &&
	    h_event_count(h_path("change"), "start") == 2,
	    "SIGHUP touched a service it should have kept; %s", h_ctx(c));

	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	ck_assert_msg(strcmp(cu_var(h_event(hooks, "keep", 0).rest,
	    "CORRAL_REASON"), "shutdown") == 0, "keep's first hook run should "
	    "be the shutdown's: '%s'", h_event(hooks, "keep", 0).rest);
}
END_TEST

struct reloads {
	const struct h_proc	*c;
	int			 n;
};

/* n reloads logged, or corral gone. */
static bool
reloads_seen(const void *arg)
{
	const struct reloads *r = arg;

	return h_count_lines(r->c->err, "corral: reloading ") >= r->n ||
	    !h_alive(r->c->corral);
}

static const char *
forwarding(const char *sig)
{
	return h_fmt("[corral]\ncontrol_socket = none\nforward_signals = %s\n"
	    "[service:a]\ncommand = %s %s/a USR1=ignore USR2=ignore\n", sig,
	    h_svc("catch"), h_dir());
}

#define CHECKS_HEAD \
	"[corral]\n" \
	"control_socket = @T@/ctl.sock\n" \
	"status_file = @T@/status.json\n" \
	"\n"

static const char checks_v1[] = CHECKS_HEAD
    "[service:dropped]\n"
    "command = @SVC@/catch @T@/dropped TERM=die\n"
    "health_check = sh -c '@SVC@/stamp @T@/checks dropped; exit 1'\n"
    "health_interval = 50ms\n"
    "health_retries = 1000\n"
    "\n"
    "[service:added]\n"
    "command = @SVC@/catch @T@/added TERM=die\n"
    "\n"
    "[service:waiting]\n"
    "command = @SVC@/catch @T@/waiting TERM=die\n"
    "ready_check = sh -c '@SVC@/stamp @T@/checks waiting; exit 1'\n"
    "ready_interval = 50ms\n"
    "\n"
    "[service:steady]\n"
    "command = @SVC@/catch @T@/steady TERM=die\n"
    "restart_delay = 1s\n"
    "health_check = sh -c '@SVC@/stamp @T@/checks steady; exit 1'\n"
    "health_interval = 50ms\n"
    "health_retries = 1000\n";

static const char checks_v2[] = CHECKS_HEAD
    "[service:dropped]\n"
    "command = @SVC@/catch @T@/dropped TERM=die\n"
    "\n"
    "[service:added]\n"
    "command = @SVC@/catch @T@/added TERM=die\n"
    "health_check = @SVC@/stamp @T@/checks added\n"
    "health_interval = 50ms\n"
    "\n"
    "[service:waiting]\n"
    "command = @SVC@/catch @T@/waiting TERM=die\n"
    "\n"
    "[service:steady]\n"
    "command = @SVC@/catch @T@/steady TERM=die\n"
    "restart_delay = 2s\n"
    "health_check = sh -c '@SVC@/stamp @T@/checks steady; exit 1'\n"
    "health_interval = 50ms\n"
    "health_retries = 1000\n";

/* fails_in_a_row of name's health in status --json; -1 with no health. */
static int
fails_in_a_row(const char *sock, const char *name)
{
	struct tj *st = cu_status(sock);
	const struct tj *h = tj_get(cu_service(st, name), "health");
	int n = h == NULL ? -1 : (int)tj_get(h, "fails_in_a_row")->number;

	tj_free(st);
	return n;
}

/*
 * Checks follow a reload that changes them without a new process (update):
 * a removed health_check stops and its failures are forgotten, an added one
 * runs, a service still waiting for a ready_check that the reload removed
 * is running at once, and a check whose settings stayed goes on counting.
 * A removed check used to run on with no command, fail, and restart its
 * service.
 */
START_TEST(reload_moves_checks)
{
	struct h_proc *c = h_corral(checks_v1);
	const char *sock = h_path("ctl.sock"), *checks = h_path("checks");
	pid_t dropped = cu_started(c, "dropped", 0);
	struct cu_run r;
	int before, steady;

	(void)cu_started(c, "added", 0);
	(void)cu_started(c, "waiting", 0);
	(void)cu_started(c, "steady", 0);
	ck_assert_msg(h_wait_events(checks, "dropped", 2, H_WAIT_MS) &&
	    h_wait_events(checks, "waiting", 2, H_WAIT_MS) &&
	    h_wait_events(checks, "steady", 7, H_WAIT_MS),
	    "the checks did not run; %s", h_ctx(c));
	(void)h_write("corral.conf", checks_v2);
	steady = fails_in_a_row(sock, "steady");
	/* More than a restarted count reaches while the test goes on. */
	ck_assert_msg(steady >= 6, "steady: %d health checks failed in a row, "
	    "expected 6 or more; %s", steady, h_ctx(c));
	r = cu_ctl(sock, "reload", NULL);
	ck_assert_msg(r.code == 0, "reload: %s", cu_ctx(&r));
	ck_assert_str_eq(sorted_lines(r.out),
	    "update added\n"
	    "update dropped\n"
	    "update steady\n"
	    "update waiting\n");
	before = h_event_count(checks, "dropped");
	ck_assert_int_eq(fails_in_a_row(sock, "dropped"), -1);
	ck_assert_msg(cu_wait_state(h_path("status.json"), "waiting", "running",
	    H_WAIT_MS), "waiting did not run once its ready_check was gone; "
	    "%s", h_ctx(c));
	/* Three runs of the new check span two intervals of the old one. */
	ck_assert_msg(h_wait_events(checks, "added", 3, H_WAIT_MS),
	    "the added health_check did not run; %s", h_ctx(c));
	ck_assert_msg(h_event_count(checks, "dropped") == before,
	    "the removed health_check still runs: %d runs, %d at the reload",
	    h_event_count(checks, "dropped"), before);
	/* One failure logged per run that ended, none after the reload. */
	ck_assert_msg(h_alive(dropped) &&
	    h_event_count(h_path("dropped"), "TERM") == 0 &&
	    h_count_lines(c->err, "dropped: health check failed") <= before,
	    "a removed health_check failed its service; %s", h_ctx(c));
	ck_assert_msg(fails_in_a_row(sock, "steady") > steady,
	    "steady's count of failed checks started over (%d, %d before the "
	    "reload) though only its restart_delay changed",
	    fails_in_a_row(sock, "steady"), steady);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/*
 * A reload that drops a signal from forward_signals while that signal
 * keeps coming: once its watcher stops, a copy still pending must not take
 * its default action and end corral.  20 reloads between USR1 and USR2
 * under a stream of USR1.
 */
START_TEST(reload_under_a_signal_stream)
{
	struct h_proc *c = h_corral(forwarding("USR1")), *storm;

	ck_assert_msg(h_wait_events(h_path("a"), "start", 1, H_WAIT_MS),
	    "a did not start; %s", h_ctx(c));
	storm = h_spawn("storm", NULL, (const char *[]){ "sh", "-c",
	    h_fmt("while kill -USR1 %d 2>/dev/null; do :; done",
	    (int)c->corral), NULL });
	ck_assert_msg(h_wait_events(h_path("a"), "USR1", 1, H_WAIT_MS),
	    "the stream of USR1 did not reach a; %s", h_ctx(c));
	for (int i = 1; i <= 20; i++) {
		h_write("corral.conf", forwarding(i % 2 ? "USR2" : "USR1"));
		h_signal(c, SIGHUP);
		ck_assert_msg(h_wait_until(reloads_seen, &(struct reloads){
		    c, i }, H_WAIT_MS), "reload %d did not happen; %s", i,
		    h_ctx(c));
		ck_assert_msg(h_alive(c->corral), "corral died during reload %d "
		    "under the stream of USR1; %s", i, h_ctx(c));
	}
	ck_assert_int_eq(kill(storm->pid, SIGKILL), 0);
	ck_assert(h_wait_exit(storm, H_WAIT_MS));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

Suite *
suite_reload(void)
{
	Suite *s = suite_create("reload");

	h_add(s, reload_applies_only_what_changed, 30);
	h_add(s, reload_under_a_signal_stream, 30);
	h_add(s, reload_moves_checks, 30);
	return s;
}
