/*
 * Built-in probes (SPEC §14): tcp:, http:// and log: run inside corral's
 * loop against real sockets and real output.  A target that refuses,
 * hangs or answers garbage is a failed try with its reason in the status,
 * and the loop keeps answering meanwhile.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctlutil.h"

#define HEAD \
	"[corral]\n" \
	"control_socket = @T@/ctl.sock\n" \
	"status_file = @T@/status.json\n" \
	"\n"

/* web: httpd on a port corral listens on, answering as @T@/mode says. */
#define WEB \
	"[service:web]\n" \
	"listen = tcp:127.0.0.1:%d\n" \
	"command = @SVC@/httpd @T@/web @T@/mode\n"

static bool
status_says(const char *text)
{
	return h_wait_text(h_path("status.json"), text, H_WAIT_MS);
}

/*
 * http:// gates readiness until it answers 2xx or 3xx, and what comes
 * after waits for it; tcp: is ready at the first connect.
 */
START_TEST(http_probe_gates_readiness)
{
	int port = cu_free_port();
	const char *st = h_path("status.json");
	struct h_proc *c;

	(void)h_write("mode", "503\n");
	c = h_corral(h_fmt(HEAD WEB
	    "ready_check = http://127.0.0.1:%d/ready?x=1\n"
	    "ready_interval = 100ms\n"
	    "[service:app]\n"
	    "after = web\n"
	    "ready_check = tcp:127.0.0.1:%d\n"
	    "command = @SVC@/catch @T@/app\n", port, port, port));
	ck_assert_msg(status_says(h_fmt("\"not_ready\":\"127.0.0.1:%d answered "
	    "503\"", port)), "no reason in the status; %s", h_ctx(c));
	ck_assert_str_eq(cu_file_state(st, "web"), "starting");
	ck_assert_int_eq(h_event_count(h_path("app"), "start"), 0);
	ck_assert_str_eq(h_event(h_path("web"), "request", 0).rest, "/ready?x=1");

	(void)h_write("mode", "302\n");
	ck_assert_msg(cu_wait_state(st, "web", "running", H_WAIT_MS) &&
	    cu_wait_state(st, "app", "running", H_WAIT_MS),
	    "web or app not running; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/*
 * A server that accepts and never answers, one that answers garbage and a
 * port nobody listens on: each try fails with its reason, within
 * check_timeout, and corralctl is answered all the while.
 */
START_TEST(bad_targets_are_failed_tries)
{
	int port = cu_free_port(), dead = cu_free_port();
	const char *sock = h_path("ctl.sock");
	struct h_proc *c;
	struct cu_run r;

	(void)h_write("mode", "silent\n");
	c = h_corral(h_fmt(HEAD WEB
	    "ready_check = http://127.0.0.1:%d/\n"
	    "check_timeout = 300ms\n"
	    "ready_interval = 50ms\n"
	    "[service:lonely]\n"
	    "ready_check = tcp:127.0.0.1:%d\n"
	    "ready_interval = 50ms\n"
	    "command = @SVC@/catch @T@/lonely\n", port, port, dead));
	ck_assert_msg(status_says(h_fmt("waiting for an answer from "
	    "127.0.0.1:%d timed out after 0.3s", port)),
	    "no timeout in the status; %s", h_ctx(c));
	ck_assert_msg(status_says(h_fmt("connect to 127.0.0.1:%d: Connection "
	    "refused", dead)), "no refusal in the status; %s", h_ctx(c));
	/* Hung tries are out all the time: the loop still answers. */
	for (int i = 0; i < 5; i++) {
		r = cu_ctl(sock, "status", NULL);
		ck_assert_msg(r.code == 0 && strstr(r.out, "not ready: ") != NULL,
		    "status: %s", cu_ctx(&r));
	}
	(void)h_write("mode", "garbage\n");
	ck_assert_msg(status_says(h_fmt("127.0.0.1:%d answered something "
	    "other than HTTP/1.x", port)), "garbage not reported; %s",
	    h_ctx(c));
	(void)h_write("mode", "close\n");
	ck_assert_msg(status_says(h_fmt("127.0.0.1:%d closed the connection "
	    "without answering", port)), "a close not reported; %s",
	    h_ctx(c));
	ck_assert_str_eq(cu_file_state(h_path("status.json"), "web"),
	    "starting");
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/* A failing http:// health check restarts the service, reason health. */
START_TEST(http_health_probe_restarts)
{
	int port = cu_free_port();
	const char *web = h_path("web");
	struct h_proc *c;

	(void)h_write("mode", "200\n");
	c = h_corral(h_fmt(HEAD WEB
	    "health_check = http://localhost:%d/healthz\n"
	    "health_interval = 100ms\n"
	    "health_retries = 2\n"
	    "cleanup = @SVC@/stamp -e @T@/hooks web\n", port, port));
	ck_assert_msg(h_wait_events(web, "request", 2, H_WAIT_MS),
	    "no health requests; %s", h_ctx(c));
	ck_assert_int_eq(h_event_count(web, "start"), 1);
	(void)h_write("mode", "500\n");
	ck_assert_msg(h_wait_events(web, "start", 2, H_WAIT_MS),
	    "web was not restarted; %s", h_ctx(c));
	ck_assert_str_eq(cu_var(h_event(h_path("hooks"), "web", 0).rest,
	    "CORRAL_REASON"), "health");
	ck_assert_msg(h_wait_text(h_path("corral.err"), h_fmt("web: health "
	    "check failed (localhost:%d answered 500), 2 of 2", port),
	    H_WAIT_MS), "no reason in the log; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/*
 * A failed health check restarts the service; what requires it is stopped
 * first (reason dependency), as for any stop of a requirement.
 */
START_TEST(health_restart_stops_requirers_first)
{
	int dead = cu_free_port();
	struct h_proc *c = h_corral(h_fmt(HEAD
	    "[service:db]\n"
	    "command = @SVC@/catch @T@/db TERM=die\n"
	    "health_check = tcp:127.0.0.1:%d\n"
	    "health_interval = 300ms\n"
	    "health_retries = 1\n"
	    "[service:app]\n"
	    "requires = db\n"
	    "command = @SVC@/catch @T@/app TERM=die\n"
	    "cleanup = @SVC@/stamp -e @T@/hooks app\n", dead));

	ck_assert_msg(h_wait_events(h_path("db"), "TERM", 1, H_WAIT_MS) &&
	    h_wait_events(h_path("app"), "TERM", 1, H_WAIT_MS),
	    "db or app got no TERM; %s", h_ctx(c));
	ck_assert_msg(h_event(h_path("app"), "TERM", 0).ns <
	    h_event(h_path("db"), "TERM", 0).ns, "app should stop before db; "
	    "%s", h_ctx(c));
	ck_assert_str_eq(cu_var(h_event(h_path("hooks"), "app", 0).rest,
	    "CORRAL_REASON"), "dependency");
	ck_assert_msg(h_wait_events(h_path("db"), "start", 2, H_WAIT_MS) &&
	    h_wait_events(h_path("app"), "start", 2, H_WAIT_MS),
	    "db and app did not start again; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/*
 * log: is ready at the first matching line of stdout or stderr, whatever
 * the sinks: with output = file the lines still reach the file.
 */
START_TEST(log_probe_reads_the_output)
{
	const char *st = h_path("status.json");
	struct h_proc *c;
	char *out;

	ck_assert_int_eq(mkfifo(h_path("go"), 0600), 0);
	(void)h_write("web.sh", h_fmt("echo booting\n"
	    "echo listening on port x\n"
	    "read go < %s\n"
	    "echo listening on port 80 >&2\n"
	    "exec %s %s\n", h_path("go"), h_svc("catch"), h_path("web")));
	c = h_corral(HEAD
	    "[service:web]\n"
	    "output = file:@T@/web.log\n"
	    "ready_check = log:^listening on port [0-9]+$\n"
	    "command = /bin/sh @T@/web.sh\n"
	    "[service:quiet]\n"
	    "output = null\n"
	    "ready_check = log:up\n"
	    "command = /bin/sh -c 'echo up; exec @SVC@/catch @T@/quiet'\n");
	ck_assert_msg(cu_wait_state(st, "quiet", "running", H_WAIT_MS),
	    "quiet not running; %s", h_ctx(c));
	ck_assert_msg(h_wait_text(h_path("web.log"), "listening on port x\n",
	    H_WAIT_MS), "web.log lacks the first lines; %s", h_ctx(c));
	ck_assert_str_eq(cu_file_state(st, "web"), "starting");
	(void)h_write("go", "1\n");
	ck_assert_msg(cu_wait_state(st, "web", "running", H_WAIT_MS),
	    "web not running; %s", h_ctx(c));
	out = h_read(h_path("web.log"));
	ck_assert_msg(strcmp(out, "booting\nlistening on port x\nlistening on "
	    "port 80\n") == 0, "web.log is '%s'", out);
	ck_assert_msg(strstr(h_read(h_path("corral.out")), "up") == NULL,
	    "output = null was printed");
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/* Bad probes are errors at their line, before anything runs. */
START_TEST(bad_probes_are_config_errors)
{
	static const struct {
		const char *value, *want;
		int line;
	} bad[] = {
		{ "ready_check = tcp:127.0.0.1", "no port", 3 },
		{ "ready_check = tcp:127.0.0.1:70000", "'70000' is not a port", 3 },
		{ "ready_check = http://no.such.host.invalid/",
		  "host 'no.such.host.invalid' does not resolve", 3 },
		{ "health_check = https://127.0.0.1/", "not TLS", 3 },
		{ "ready_check = log:a(b", "is not an extended regular", 3 },
		{ "health_check = log:up", "log: is for ready_check only", 3 },
		{ "output = inherit\nready_check = log:up",
		  "output = inherit hands straight", 4 },
		{ "check_timeout = 0\nready_check = tcp:127.0.0.1:1",
		  "check_timeout: a probe's try needs more than 0s", 3 },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		const char *conf = h_write(h_fmt("bad%zu.conf", i), h_fmt(
		    "[service:a]\ncommand = /bin/true\n%s\n", bad[i].value));
		const char *argv[] = { getenv("CORRAL_BIN"), "-t", "-c", conf,
		    NULL };
		struct h_proc *p = h_spawn(h_fmt("check%zu", i), NULL, argv);

		ck_assert(h_wait_exit(p, H_WAIT_MS));
		ck_assert_msg(WIFEXITED(p->status) && WEXITSTATUS(p->status) == 1 &&
		    strstr(h_read(p->err), h_fmt("%s:%d: [service:a] ", conf,
		    bad[i].line)) && strstr(h_read(p->err), bad[i].want),
		    "%s; %s", bad[i].value, h_ctx(p));
	}
}
END_TEST

Suite *
suite_probes(void)
{
	Suite *s = suite_create("probes");

	h_add(s, http_probe_gates_readiness, 30);
	h_add(s, bad_targets_are_failed_tries, 30);
	h_add(s, http_health_probe_restarts, 30);
	h_add(s, health_restart_stops_requirers_first, 30);
	h_add(s, log_probe_reads_the_output, 30);
	h_add(s, bad_probes_are_config_errors, 30);
	return s;
}
