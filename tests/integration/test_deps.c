/*
 * Start and stop order (SPEC §3 after, §4, §5 step 2): a service starts
 * only once what it names in `after` is up, stops before it, and waits
 * while a dependency is failed; `corral -t` refuses what cannot be ordered.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"
#include "svcstate.h"

static struct h_event
started(struct h_proc *c, const char *name)
{
	ck_assert_msg(h_wait_events(h_path(name), "start", 1, H_WAIT_MS),
	    "%s did not start; %s", name, h_ctx(c));
	return h_event(h_path(name), "start", 0);
}

/*
 * db -> app -> proxy; db is ready once a file exists.  app waits for that
 * file, proxy for app.  app is ready once it has written its start record,
 * so that "proxy after app" can be read from the records alone.
 */
START_TEST(deps_chain_waits_for_ready_check)
{
	struct h_proc *c = h_corral(
	    "[corral]\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:proxy]\n"
	    "command = @SVC@/catch @T@/proxy TERM=die\n"
	    "after = app\n"
	    "\n"
	    "[service:app]\n"
	    "command = @SVC@/catch @T@/app TERM=die\n"
	    "after = db\n"
	    "ready_check = test -e @T@/app\n"
	    "ready_interval = 50ms\n"
	    "\n"
	    "[service:db]\n"
	    "command = @SVC@/catch @T@/db TERM=die\n"
	    "ready_check = test -e @T@/db.ready\n"
	    "ready_interval = 50ms\n");
	const char *status = h_path("status.json");
	struct h_event app, proxy;
	int64_t t;

	(void)started(c, "db");
	ck_assert_msg(wait_state(status, "db", "starting", H_WAIT_MS),
	    "db should be starting until its ready_check passes, not %s; %s",
	    state_of(status, "db"), h_ctx(c));
	/* Several ready_interval: time enough for a start that must not be. */
	h_sleep_ms(300);
	ck_assert_msg(h_event_count(h_path("app"), "start") == 0 &&
	    h_event_count(h_path("proxy"), "start") == 0,
	    "app or proxy started while db was not ready; %s", h_ctx(c));
	ck_assert_msg(strcmp(state_of(status, "app"), "idle") == 0 &&
	    strcmp(state_of(status, "proxy"), "idle") == 0,
	    "app and proxy should be idle while db is not ready: %s, %s",
	    state_of(status, "app"), state_of(status, "proxy"));

	t = h_now_ns();
	(void)h_write("db.ready", "");
	app = started(c, "app");
	proxy = started(c, "proxy");
	ck_assert_msg(app.ns >= t, "app started %.0f ms before db was ready",
	    H_MS(t - app.ns));
	ck_assert_msg(proxy.ns > app.ns, "proxy started %.0f ms before app",
	    H_MS(app.ns - proxy.ns));
	ck_assert_msg(wait_state(status, "proxy", "running", H_WAIT_MS) &&
	    strcmp(state_of(status, "db"), "running") == 0 &&
	    strcmp(state_of(status, "app"), "running") == 0,
	    "db, app, proxy should all be running: %s, %s, %s; %s",
	    state_of(status, "db"), state_of(status, "app"),
	    state_of(status, "proxy"), h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/* A cleanup hook that takes 200 ms, recording its begin and end in ev. */
#define HOOK(name) "cleanup = sh -c '@SVC@/stamp @T@/ev " name "-hook &&\n" \
		   "    sleep 0.2 && @SVC@/stamp @T@/ev " name "-hook-end'\n"

/*
 * At SIGTERM, proxy stops first, app once proxy's cleanup hook has ended,
 * db once app's has; other, which nothing depends on, stops with proxy.
 */
START_TEST(deps_stop_order_waits_for_hooks)
{
	struct h_proc *c = h_corral(
	    "[service:db]\n"
	    "command = @SVC@/catch @T@/db TERM=linger:100\n"
	    HOOK("db")
	    "\n"
	    "[service:app]\n"
	    "command = @SVC@/catch @T@/app TERM=linger:100\n"
	    "after = db\n"
	    HOOK("app")
	    "\n"
	    "[service:proxy]\n"
	    "command = @SVC@/catch @T@/proxy TERM=linger:100\n"
	    "after = app\n"
	    HOOK("proxy")
	    "\n"
	    "[service:other]\n"
	    "command = @SVC@/catch @T@/other TERM=linger:100\n");
	const char *ev = h_path("ev");
	struct h_event term[4], hook[3], end[3];
	static const char *const names[] = { "proxy", "app", "db", "other" };

	for (int i = 0; i < 4; i++)
		(void)started(c, names[i]);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	for (int i = 0; i < 4; i++) {
		term[i] = h_event(h_path(names[i]), "TERM", 0);
		ck_assert_msg(term[i].ns > 0, "%s never got SIGTERM; %s",
		    names[i], h_ctx(c));
	}
	for (int i = 0; i < 3; i++) {
		hook[i] = h_event(ev, h_fmt("%s-hook", names[i]), 0);
		end[i] = h_event(ev, h_fmt("%s-hook-end", names[i]), 0);
		ck_assert_msg(hook[i].ns > 0 && end[i].ns > 0,
		    "%s's cleanup hook did not run to its end; %s", names[i],
		    h_ctx(c));
	}
	ck_assert_msg(end[0].ns < term[1].ns && end[1].ns < term[2].ns,
	    "expected proxy, then app after proxy's hook, then db after app's "
	    "hook; relative to proxy's SIGTERM (ms): proxy hook ends %+.0f, "
	    "app SIGTERM %+.0f, app hook ends %+.0f, db SIGTERM %+.0f",
	    H_MS(end[0].ns - term[0].ns), H_MS(term[1].ns - term[0].ns),
	    H_MS(end[1].ns - term[0].ns), H_MS(term[2].ns - term[0].ns));
	ck_assert_msg(term[3].ns < hook[0].ns,
	    "other depends on nothing and should stop together with proxy; it "
	    "got SIGTERM %.0f ms after proxy did", H_MS(term[3].ns - term[0].ns));
}
END_TEST

/* Runs `corral -t [-v] -c PATH` on text to its end. */
static struct h_proc *
check_conf(const char *tag, const char *text, bool verbose)
{
	const char *path = h_write(h_fmt("%s.conf", tag), text);
	const char *argv[] = { getenv("CORRAL_BIN"), "-t", "-c", path,
	    verbose ? "-v" : NULL, NULL };
	struct h_proc *p = h_spawn(tag, NULL, argv);

	ck_assert_msg(h_wait_exit(p, H_WAIT_MS), "corral -t %s did not finish; "
	    "%s", path, h_ctx(p));
	return p;
}

/* The line of text starting with prefix, or NULL. */
static const char *
line_starting(const char *text, const char *prefix)
{
	size_t len = strlen(prefix);

	for (const char *l = text; l != NULL && *l != '\0';) {
		const char *nl = strchr(l, '\n');

		if (strncmp(l, prefix, len) == 0)
			return h_fmt("%.*s", nl ? (int)(nl - l) : (int)strlen(l),
			    l);
		l = nl ? nl + 1 : NULL;
	}
	return NULL;
}

static bool
failed_with_1(const struct h_proc *p)
{
	return WIFEXITED(p->status) && WEXITSTATUS(p->status) == 1;
}

START_TEST(deps_check_cycle_missing_self)
{
	struct h_proc *p;
	const char *err, *line;

	p = check_conf("missing",
	    "[service:db]\n"
	    "command = true\n"
	    "\n"
	    "[service:app]\n"
	    "command = true\n"
	    "after = db nosuch\n", false);	/* 6 */
	line = line_starting(h_read(p->err), h_fmt("%s/missing.conf:6: ",
	    h_dir()));
	ck_assert_msg(failed_with_1(p) && line != NULL &&
	    strstr(line, "'nosuch'") != NULL,
	    "an unknown name in 'after' should be an error at line 6 that "
	    "quotes it; %s", h_ctx(p));

	p = check_conf("self",
	    "[service:db]\n"
	    "command = true\n"
	    "\n"
	    "[service:x]\n"
	    "command = true\n"
	    "after = db\n"
	    "after = x\n", false);	/* 7 */
	line = line_starting(h_read(p->err), h_fmt("%s/self.conf:7: ",
	    h_dir()));
	ck_assert_msg(failed_with_1(p) && line != NULL &&
	    strstr(line, "[service:x]") != NULL && strstr(line, "after") != NULL,
	    "a service that waits for itself should be an error at line 7; %s",
	    h_ctx(p));
	ck_assert_msg(h_count_lines(p->err, ":") == 1,
	    "only the self-dependency is wrong; %s", h_ctx(p));

	/* Names further down are fine; -v prints the waves and stop order. */
	p = check_conf("waves",
	    "[service:proxy]\n"
	    "command = true\n"
	    "after = app\n"
	    "\n"
	    "[service:db]\n"
	    "command = true\n"
	    "\n"
	    "[service:app]\n"
	    "command = true\n"
	    "after = db\n"
	    "\n"
	    "[service:other]\n"
	    "command = true\n", true);
	ck_assert_msg(WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0 &&
	    h_count_lines(p->out, "wave 1: db other") == 1 &&
	    h_count_lines(p->out, "wave 2: app") == 1 &&
	    h_count_lines(p->out, "wave 3: proxy") == 1,
	    "expected waves db other / app / proxy; %s", h_ctx(p));
	line = line_starting(h_read(p->out), "stop order:");
	ck_assert_msg(line != NULL && strstr(line, "proxy") &&
	    strstr(line, "proxy") < strstr(line, "app") &&
	    strstr(line, "app") < strstr(line, " db"),
	    "the stop order should have proxy, app, db in this order; %s",
	    h_ctx(p));

	/* a waits for b, b for c, c for a: one cycle, a -> b -> c -> a. */
	p = check_conf("cycle",
	    "[service:a]\n"		/* 1 */
	    "command = true\n"		/* 2 */
	    "after = b\n"		/* 3 */
	    "\n"
	    "[service:b]\n"		/* 5 */
	    "command = true\n"
	    "after = c\n"		/* 7 */
	    "\n"
	    "[service:c]\n"		/* 9 */
	    "command = true\n"
	    "after = a\n", false);	/* 11 */
	err = h_read(p->err);
	ck_assert_msg(failed_with_1(p) && h_count_lines(p->err, "cycle") == 1,
	    "a cycle should be one error and exit 1; %s", h_ctx(p));
	ck_assert_msg(strstr(err, "a -> b -> c -> a") ||
	    strstr(err, "b -> c -> a -> b") || strstr(err, "c -> a -> b -> c"),
	    "the message should list the whole cycle a -> b -> c -> a; %s",
	    h_ctx(p));
	/* Like every error about a value: the line of the key ('after'). */
	line = NULL;
	for (int i = 0; i < 3 && line == NULL; i++) {
		static const int lines[] = { 3, 7, 11 };

		line = line_starting(err, h_fmt("%s/cycle.conf:%d: ", h_dir(),
		    lines[i]));
	}
	ck_assert_msg(line != NULL, "the cycle should be reported at the line "
	    "of one of its 'after' keys (3, 7 or 11); %s", h_ctx(p));
}
END_TEST

/*
 * db cannot be spawned (its program is missing) and becomes failed; app,
 * which waits for it, stays idle and `corralctl status` says why.  Once
 * the program is there, `corralctl start db` brings up db, then app.
 */
START_TEST(deps_failed_dependency_then_start)
{
	struct h_proc *c = h_corral(
	    "[corral]\n"
	    "control_socket = @T@/x.sock\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:db]\n"
	    "command = @T@/db-start\n"
	    "start_retries = 2\n"
	    "restart_delay = 50ms\n"
	    "\n"
	    "[service:app]\n"
	    "command = @SVC@/catch @T@/app TERM=die\n"
	    "after = db\n");
	const char *status = h_path("status.json"), *sock = h_path("x.sock");
	const char *line;
	struct h_proc *p;
	int64_t t;

	ck_assert_msg(wait_state(status, "db", "failed", H_WAIT_MS),
	    "db should be failed after 2 failed starts, not %s; %s",
	    state_of(status, "db"), h_ctx(c));
	ck_assert_msg(strcmp(state_of(status, "app"), "idle") == 0 &&
	    h_event_count(h_path("app"), "start") == 0,
	    "app should stay idle while db is failed, not %s",
	    state_of(status, "app"));
	p = ctl(sock, "status", NULL);
	line = status_line_of(h_read(p->out), "app");
	ck_assert_msg(WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0 &&
	    line != NULL && strstr(line, "idle") != NULL &&
	    strstr(line, "waiting for db (failed)") != NULL,
	    "corralctl status should show app idle, 'waiting for db (failed)';"
	    " %s", h_ctx(p));

	ck_assert_msg(chmod(h_write("db-start", "#!/bin/sh\n"
	    "exec @SVC@/catch @T@/db TERM=die\n"), 0755) == 0, "chmod: %s",
	    strerror(errno));
	t = h_now_ns();
	p = ctl(sock, "start", "db", NULL);
	ck_assert_msg(WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0,
	    "corralctl start db failed; %s", h_ctx(p));
	/*
	 * app may write its record before db does: db is up once its exec
	 * succeeded, and db's program is a script that execs once more.
	 */
	ck_assert_msg(started(c, "db").ns > t && started(c, "app").ns > t,
	    "db and app should start after `corralctl start db`");
	ck_assert_msg(wait_state(status, "app", "running", H_WAIT_MS),
	    "app should be running, not %s; %s", state_of(status, "app"),
	    h_ctx(c));
	p = ctl(sock, "--json", "status", NULL);
	ck_assert_str_eq(json_str(h_read(p->out), "db", "state"), "running");
	ck_assert_str_eq(json_str(h_read(p->out), "app", "state"), "running");
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

Suite *
suite_deps(void)
{
	Suite *s = suite_create("deps");

	h_add(s, deps_chain_waits_for_ready_check, 20);
	h_add(s, deps_stop_order_waits_for_hooks, 20);
	h_add(s, deps_check_cycle_missing_self, 20);
	h_add(s, deps_failed_dependency_then_start, 20);
	return s;
}
