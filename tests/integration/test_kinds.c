/*
 * Service kinds and dependencies (SPEC §14): a oneshot runs to completion
 * and is `done`, which is up for `after`, `corralctl check` and READY=1; a
 * failing one is retried with back-off, then failed, and keeps what comes
 * after it from starting.  prepare runs before every start.  `requires`
 * fails what depends on a failed service, and stops and restarts it
 * around a restart of what it requires.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "ctlutil.h"

#define HEAD \
	"[corral]\n" \
	"control_socket = @T@/ctl.sock\n" \
	"status_file = @T@/status.json\n" \
	"\n"

START_TEST(oneshot_chain_runs_in_order)
{
	static const char conf[] = HEAD
	    "[service:migrate]\n"
	    "type = oneshot\n"
	    "command = @SVC@/stamp @T@/events migrate\n"
	    "cleanup = @SVC@/stamp -e @T@/hooks migrate\n"
	    "[service:app]\n"
	    "after = migrate\n"
	    "command = @SVC@/stamp @T@/events app @SVC@/catch @T@/app TERM=die\n";
	const char *sock = h_path("ctl.sock"), *events = h_path("events");
	struct h_proc *c = h_corral(conf);
	struct cu_run r;
	struct tj *st;

	(void)cu_started(c, "app", 0);
	ck_assert_msg(h_event_count(events, "migrate") == 1 &&
	    h_event(events, "migrate", 0).ns < h_event(events, "app", 0).ns &&
	    h_event_count(h_path("hooks"), "migrate") == 1 &&
	    h_event(h_path("hooks"), "migrate", 0).ns <
	    h_event(events, "app", 0).ns, "app should start once migrate and "
	    "its hook are done; %s", h_ctx(c));
	ck_assert_msg(cu_wait_state(h_path("status.json"), "migrate", "done",
	    H_WAIT_MS), "migrate is %s; %s", cu_file_state(h_path(
	    "status.json"), "migrate"), h_ctx(c));
	st = cu_status(sock);
	ck_assert_msg(tj_get(cu_service(st, "migrate"), "finished_at") != NULL,
	    "no finished_at for a done oneshot");
	tj_free(st);
	r = cu_ctl(sock, "status", "migrate", NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out, " done ") &&
	    strstr(r.out, "finished "), "status: %s", cu_ctx(&r));
	r = cu_ctl(sock, "check", NULL);
	ck_assert_msg(r.code == 0, "check with a done oneshot: %s", cu_ctx(&r));

	/* corralctl start runs it again; a reload does not. */
	r = cu_ctl(sock, "start", "migrate", NULL);
	ck_assert_msg(r.code == 0, "start migrate: %s", cu_ctx(&r));
	ck_assert_msg(h_wait_events(events, "migrate", 2, H_WAIT_MS),
	    "start did not run migrate again; %s", h_ctx(c));
	r = cu_ctl(sock, "reload", NULL);
	ck_assert_msg(r.code == 0, "reload: %s", cu_ctx(&r));
	ck_assert_msg(cu_wait_state(h_path("status.json"), "migrate", "done",
	    H_WAIT_MS) && h_event_count(events, "migrate") == 2 &&
	    h_event_count(h_path("app"), "start") == 1, "a reload reran "
	    "migrate or touched app; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

START_TEST(failing_oneshot_keeps_its_dependents_down)
{
	static const char conf[] = HEAD
	    "[service:migrate]\n"
	    "type = oneshot\n"
	    "restart = never\n"
	    "start_retries = 2\n"
	    "restart_delay = 0\n"
	    "command = @SVC@/stamp @T@/events migrate sh -c 'exit 3'\n"
	    "[service:app]\n"
	    "after = migrate\n"
	    "command = @SVC@/catch @T@/app TERM=die\n";
	const char *sock = h_path("ctl.sock");
	struct h_proc *c = h_corral(conf);
	struct cu_run r;

	ck_assert_msg(cu_wait_state(h_path("status.json"), "migrate", "failed",
	    H_WAIT_MS), "migrate is %s; %s", cu_file_state(h_path(
	    "status.json"), "migrate"), h_ctx(c));
	/* restart = never does not stop the retries of a failed run. */
	ck_assert_int_eq(h_event_count(h_path("events"), "migrate"), 2);
	r = cu_ctl(sock, "status", "app", NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out, "idle") &&
	    strstr(r.out, "waiting for migrate (failed)") &&
	    h_event_count(h_path("app"), "start") == 0,
	    "app should wait for the failed migrate: %s", cu_ctx(&r));
	r = cu_ctl(sock, "check", NULL);
	ck_assert_msg(r.code == 1 && strstr(r.out, "migrate: failed"),
	    "check: %s", cu_ctx(&r));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 3, H_WAIT_MS);
}
END_TEST

START_TEST(oneshot_with_restart_always_is_refused)
{
	const char *conf = h_write("t.conf", "[service:m]\ntype = oneshot\n"
	    "command = /bin/true\nrestart = always\ntype2 = x\n");
	const char *argv[] = { getenv("CORRAL_BIN"), "-t", "-c", conf, NULL };
	struct h_proc *p = h_spawn("check", NULL, argv);

	ck_assert(h_wait_exit(p, H_WAIT_MS));
	ck_assert_msg(WIFEXITED(p->status) && WEXITSTATUS(p->status) == 1 &&
	    strstr(h_read(p->err), h_fmt("%s:4: [service:m] restart: a oneshot "
	    "with restart = always would never be done", conf)) &&
	    strstr(h_read(p->err), h_fmt("%s:5: [service:m] unknown key "
	    "'type2'", conf)), "corral -t; %s", h_ctx(p));
}
END_TEST

/* prepare runs before every start; its failure is a failed start. */
START_TEST(prepare_runs_before_every_start)
{
	static const char conf[] = HEAD
	    "[service:app]\n"
	    "prepare = @SVC@/stamp @T@/events prep\n"
	    "command = @SVC@/stamp @T@/events app\n"
	    "  @SVC@/catch @T@/app TERM=die\n"
	    "[service:bad]\n"
	    "prepare = sh -c 'exit 4'\n"
	    "start_retries = 1\n"
	    "command = @SVC@/catch @T@/bad TERM=die\n"
	    "cleanup = @SVC@/stamp -e @T@/hooks bad\n";
	const char *sock = h_path("ctl.sock"), *events = h_path("events");
	struct h_proc *c = h_corral(conf);
	struct cu_run r;
	pid_t app = cu_started(c, "app", 0);

	ck_assert_msg(h_event_count(events, "prep") == 1 &&
	    h_event(events, "prep", 0).ns < h_event(events, "app", 0).ns,
	    "prepare did not run before app; %s", h_ctx(c));
	r = cu_ctl(sock, "restart", "app", NULL);
	ck_assert_msg(r.code == 0, "restart: %s", cu_ctx(&r));
	ck_assert_msg(h_wait_gone(app, H_WAIT_MS) && cu_started(c, "app", 1) > 0
	    && h_event_count(events, "prep") == 2, "prepare should run again "
	    "before the restart; %s", h_ctx(c));

	ck_assert_msg(cu_wait_state(h_path("status.json"), "bad", "failed",
	    H_WAIT_MS) && h_event_count(h_path("bad"), "start") == 0,
	    "bad is %s; its prepare fails, so it never runs; %s",
	    cu_file_state(h_path("status.json"), "bad"), h_ctx(c));
	ck_assert_msg(h_wait_events(h_path("hooks"), "bad", 1, H_WAIT_MS) &&
	    strcmp(cu_var(h_event(h_path("hooks"), "bad", 0).rest,
	    "CORRAL_EXIT_CODE"), "4") == 0, "bad's hook should see exit code "
	    "4; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 3, H_WAIT_MS);
}
END_TEST

/* A stop while prepare runs ends it, and the service never starts. */
START_TEST(stop_during_prepare)
{
	static const char conf[] = HEAD
	    "[service:slow]\n"
	    "prepare = @SVC@/stamp @T@/events prep sleep 100\n"
	    "command = @SVC@/catch @T@/slow TERM=die\n";
	const char *sock = h_path("ctl.sock"), *events = h_path("events");
	struct h_proc *c = h_corral(conf);
	struct cu_run r;
	pid_t prep;

	ck_assert(h_wait_events(events, "prep", 1, H_WAIT_MS));
	prep = h_event(events, "prep", 0).pid;
	r = cu_ctl(sock, "status", "slow", NULL);
	ck_assert_msg(strstr(r.out, "starting"), "status: %s", cu_ctx(&r));
	r = cu_ctl(sock, "stop", "slow", NULL);
	ck_assert_msg(r.code == 0, "stop: %s", cu_ctx(&r));
	ck_assert_msg(h_wait_gone(prep, H_WAIT_MS) && cu_wait_state(
	    h_path("status.json"), "slow", "stopped", H_WAIT_MS) &&
	    h_event_count(h_path("slow"), "start") == 0, "the stop should end "
	    "prepare and leave slow stopped; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/* What requires a failed or disabled service is failed, saying which. */
START_TEST(requires_failed_or_disabled)
{
	static const char conf[] = HEAD
	    "[service:db]\n"
	    "start_retries = 1\n"
	    /* Never up, not even for a moment: its exec fails. */
	    "command = /nonexistent-corral-test/db\n"
	    "[service:app]\n"
	    "requires = db\n"
	    "command = @SVC@/catch @T@/app TERM=die\n"
	    "[service:opt]\n"
	    "condition = path:/nonexistent-corral-test\n"
	    "command = @SVC@/catch @T@/opt TERM=die\n"
	    "[service:user]\n"
	    "requires = opt\n"
	    "command = @SVC@/catch @T@/user TERM=die\n";
	const char *sock = h_path("ctl.sock");
	struct h_proc *c = h_corral(conf);
	struct cu_run r;

	ck_assert_msg(cu_wait_state(h_path("status.json"), "app", "failed",
	    H_WAIT_MS) && cu_wait_state(h_path("status.json"), "user",
	    "failed", H_WAIT_MS), "app is %s, user %s; %s", cu_file_state(
	    h_path("status.json"), "app"), cu_file_state(h_path(
	    "status.json"), "user"), h_ctx(c));
	r = cu_ctl(sock, "status", NULL);
	ck_assert_msg(strstr(r.out, "requires db, which failed") &&
	    strstr(r.out, "requires opt, which is disabled") &&
	    h_event_count(h_path("app"), "start") == 0 &&
	    h_event_count(h_path("user"), "start") == 0, "status: %s",
	    cu_ctx(&r));
	r = cu_ctl(sock, "start", "app", NULL);
	ck_assert_msg(r.code == 1 && strstr(r.err, "app: requires db, which "
	    "failed; not started") && h_event_count(h_path("app"), "start") ==
	    0, "start of a service whose requirement failed: %s", cu_ctx(&r));
	/* Only db itself is not up. */
	r = cu_ctl(sock, "check", NULL);
	ck_assert_msg(r.code == 1 && strstr(r.out, "db: failed") &&
	    !strstr(r.out, "app:") && !strstr(r.out, "user:"), "check: %s",
	    cu_ctx(&r));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 3, H_WAIT_MS);
}
END_TEST

/*
 * Where corral's log says it started NAME for the NTH time (from 0), -1 if
 * it does not within the bound.  Without a readiness check a service is up
 * once spawned, so the order is corral's spawning, not when each child
 * gets to run; and the log line can come after the child's own record.
 */
static long
started_at(const char *name, int nth)
{
	const char *needle = h_fmt("corral: %s: running (pid ", name), *log, *p;

	(void)h_wait_lines(h_path("corral.err"), needle, nth + 1, H_WAIT_MS);
	log = p = h_read(h_path("corral.err"));

	while (p != NULL && (p = strstr(p, needle)) != NULL && nth-- > 0)
		p += strlen(needle);
	return p != NULL ? p - log : -1;
}

/*
 * A restart of what others require stops them first, deepest first, with
 * reason dependency, then starts them again in order once it is up.
 */
START_TEST(restart_of_a_requirement_restarts_its_requirers)
{
	static const char conf[] = HEAD
	    "[service:db]\n"
	    "command = @SVC@/catch @T@/db TERM=die\n"
	    "[service:app]\n"
	    "requires = db\n"
	    "command = @SVC@/catch @T@/app TERM=die\n"
	    "cleanup = @SVC@/stamp -e @T@/hooks app\n"
	    "[service:web]\n"
	    "requires = app\n"
	    "command = @SVC@/catch @T@/web TERM=die\n";
	const char *sock = h_path("ctl.sock");
	struct h_proc *c = h_corral(conf);
	struct cu_run r;
	pid_t db;

	db = cu_started(c, "db", 0);
	(void)cu_started(c, "app", 0);
	(void)cu_started(c, "web", 0);
	r = cu_ctl(sock, "restart", "db", NULL);
	ck_assert_msg(r.code == 0, "restart db: %s", cu_ctx(&r));
	ck_assert_msg(cu_started(c, "web", 1) > 0 && cu_started(c, "db", 1) !=
	    db, "web or db did not start again; %s", h_ctx(c));
	ck_assert_msg(h_event(h_path("web"), "TERM", 0).ns <
	    h_event(h_path("app"), "TERM", 0).ns &&
	    h_event(h_path("app"), "TERM", 0).ns <
	    h_event(h_path("db"), "TERM", 0).ns, "web, app and db should get "
	    "TERM in that order; %s", h_ctx(c));
	ck_assert_msg(started_at("db", 1) >= 0 &&
	    started_at("db", 1) < started_at("app", 1) &&
	    started_at("app", 1) < started_at("web", 1), "db, app and web should "
	    "start again in that order; %s", h_ctx(c));
	ck_assert_msg(strcmp(cu_var(h_event(h_path("hooks"), "app", 0).rest,
	    "CORRAL_REASON"), "dependency") == 0, "app's hook was told '%s'",
	    h_event(h_path("hooks"), "app", 0).rest);

	/* On its own: db dies, app and web stop, and come back after it. */
	db = cu_started(c, "db", 1);
	ck_assert_int_eq(kill(db, SIGKILL), 0);
	ck_assert_msg(cu_started(c, "web", 2) > 0 &&
	    started_at("db", 2) >= 0 &&
	    started_at("db", 2) < started_at("app", 2), "after db crashed, app and "
	    "web should start again after it; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/* stop_command replaces stop_signal and knows the main process's pid. */
START_TEST(stop_command_stops_the_service)
{
	static const char conf[] = HEAD
	    "[service:app]\n"
	    "command = @SVC@/catch @T@/app USR1=exit:0 TERM=die\n"
	    "stop_command = @SVC@/stamp -e @T@/stops stop\n"
	    "  sh -c 'kill -USR1 \"$CORRAL_MAINPID\"'\n";
	const char *sock = h_path("ctl.sock");
	struct h_proc *c = h_corral(conf);
	struct cu_run r;
	pid_t app = cu_started(c, "app", 0);

	r = cu_ctl(sock, "stop", "app", NULL);
	ck_assert_msg(r.code == 0, "stop: %s", cu_ctx(&r));
	ck_assert_msg(h_wait_gone(app, H_WAIT_MS) && h_wait_events(
	    h_path("stops"), "stop", 1, H_WAIT_MS), "app still runs; %s",
	    h_ctx(c));
	ck_assert_msg(atoi(cu_var(h_event(h_path("stops"), "stop", 0).rest,
	    "CORRAL_MAINPID")) == (int)app && h_event_count(h_path("app"),
	    "USR1") == 1 && h_event_count(h_path("app"), "TERM") == 0,
	    "stop_command should get CORRAL_MAINPID=%d and stop app with "
	    "USR1, no TERM; %s", (int)app, h_ctx(c));
	ck_assert(cu_wait_state(h_path("status.json"), "app", "stopped",
	    H_WAIT_MS));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

Suite *
suite_kinds(void)
{
	Suite *s = suite_create("kinds");

	h_add(s, oneshot_chain_runs_in_order, 30);
	h_add(s, failing_oneshot_keeps_its_dependents_down, 30);
	h_add(s, oneshot_with_restart_always_is_refused, 30);
	h_add(s, prepare_runs_before_every_start, 30);
	h_add(s, stop_during_prepare, 30);
	h_add(s, requires_failed_or_disabled, 30);
	h_add(s, restart_of_a_requirement_restarts_its_requirers, 30);
	h_add(s, stop_command_stops_the_service, 30);
	return s;
}
