/*
 * corralctl metrics and metrics_file (SPEC §16): the Prometheus text is
 * parsed back and checked against `status --json`, the file holds what the
 * verb prints and follows changes, and a file that cannot be written is
 * reported once.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctlutil.h"

#define HEAD \
	"[corral]\n" \
	"control_socket = @T@/ctl.sock\n" \
	"status_file = @T@/status.json\n" \
	"metrics_file = @T@/%s\n" \
	"\n"

#define SERVICES \
	"[service:a]\n" \
	"command = @SVC@/catch @T@/a\n" \
	"[service:b]\n" \
	"command = /bin/sh -c 'exit 3'\n" \
	"restart = never\n" \
	"cleanup = /bin/false\n" \
	"[service:c]\n" \
	"type = oneshot\n" \
	"command = /bin/true\n" \
	"[service:d]\n" \
	"condition = env:CORRAL_TEST_UNSET\n" \
	"command = /bin/true\n"

/*
 * The value of the sample "NAME{service="SVC"EXTRA}" (EXTRA such as
 * ,state="running"; SVC NULL: a sample without labels), -1 when there is
 * none.  Checks that the family has its # TYPE line.
 */
static double
sample(const char *text, const char *name, const char *svc, const char *extra)
{
	const char *key = svc != NULL ? h_fmt("%s{service=\"%s\"%s} ", name, svc,
	    extra) : h_fmt("%s ", name);
	const char *p = text, *type = h_fmt("# TYPE %s ", name);

	ck_assert_msg(strstr(text, type) != NULL, "no '%s' in:\n%s", type, text);
	while ((p = strstr(p, key)) != NULL) {
		if (p == text || p[-1] == '\n')
			return strtod(p + strlen(key), NULL);
		p++;
	}
	return -1;
}

static bool
settled(const void *arg)
{
	(void)arg;
	return strcmp(cu_file_state(h_path("status.json"), "a"), "running") == 0 &&
	    strcmp(cu_file_state(h_path("status.json"), "b"), "stopped") == 0 &&
	    strcmp(cu_file_state(h_path("status.json"), "c"), "done") == 0;
}

START_TEST(metrics_match_the_status)
{
	const char *sock = h_path("ctl.sock");
	struct h_proc *c = h_corral(h_fmt(HEAD SERVICES, "corral.prom"));
	static const char *const names[] = { "a", "b", "c", "d" };
	struct cu_run r;
	struct tj *st;

	ck_assert_msg(h_wait_until(settled, NULL, H_WAIT_MS), "not settled; %s",
	    h_ctx(c));
	r = cu_ctl(sock, "metrics", NULL);
	ck_assert_msg(r.code == 0, "metrics: %s", cu_ctx(&r));
	st = cu_status(sock);
	for (size_t i = 0; i < 4; i++) {
		const char *n = names[i], *state = cu_state(st, n);
		const struct tj *svc = cu_service(st, n);
		double restarts = tj_get(svc, "restarts")->number;

		ck_assert_msg(sample(r.out, "corral_service_state", n,
		    h_fmt(",state=\"%s\"", state)) == 1, "%s is %s; metrics:\n%s",
		    n, state, r.out);
		ck_assert(sample(r.out, "corral_service_up", n, "") ==
		    (strcmp(state, "running") == 0 || strcmp(state, "done") == 0));
		ck_assert(sample(r.out, "corral_service_restarts_total", n, "") ==
		    restarts);
	}
	tj_free(st);
	ck_assert(sample(r.out, "corral_service_state", "d",
	    ",state=\"disabled\"") == 1);
	ck_assert(sample(r.out, "corral_service_last_exit_code", "b", "") == 3);
	ck_assert(sample(r.out, "corral_service_last_exit_code", "a", "") == -1);
	ck_assert(sample(r.out, "corral_cleanup_failures_total", "b", "") == 1);
	ck_assert(sample(r.out, "corral_cleanup_failures_total", "a", "") == 0);
	ck_assert(sample(r.out, "corral_service_start_time_seconds", "a", "") >
	    1e9);
	ck_assert(sample(r.out, "corral_service_start_time_seconds", "d", "") ==
	    -1);
	ck_assert(sample(r.out, "corral_adopted_reaped_total", NULL, NULL) == 0);
	ck_assert_str_eq(h_read(h_path("corral.prom")), r.out);

	/* A crash is counted, and the file follows. */
	ck_assert_int_eq(kill(cu_started(c, "a", 0), SIGKILL), 0);
	(void)cu_started(c, "a", 1);
	ck_assert_msg(h_wait_text(h_path("corral.prom"),
	    "corral_service_restarts_total{service=\"a\"} 1\n", H_WAIT_MS),
	    "the file did not follow:\n%s", h_read(h_path("corral.prom")));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 3, H_WAIT_MS);
}
END_TEST

/* The file's directory goes away: said once, and corral carries on. */
START_TEST(unwritable_metrics_file_is_reported_once)
{
	const char *sock = h_path("ctl.sock");
	struct h_proc *c;
	struct cu_run r;

	(void)h_mkdir("m", 0755, getuid(), getgid());
	c = h_corral(h_fmt(HEAD "[service:a]\ncommand = @SVC@/catch @T@/a\n"
	    "restart_delay = 50ms\n", "m/corral.prom"));
	/*
	 * The last write of start-up: one written at "starting" could be
	 * followed by another between the unlink and the rmdir.
	 */
	ck_assert_msg(h_wait_text(h_path("m/corral.prom"),
	    "corral_service_state{service=\"a\",state=\"running\"} 1\n",
	    H_WAIT_MS), "a never running in the metrics file; %s", h_ctx(c));
	ck_assert_int_eq(unlink(h_path("m/corral.prom")), 0);
	ck_assert_int_eq(rmdir(h_path("m")), 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(kill(cu_started(c, "a", i), SIGKILL), 0);
		(void)cu_started(c, "a", i + 1);
	}
	ck_assert_msg(cu_wait_state(h_path("status.json"), "a", "running",
	    H_WAIT_MS), "a not running; %s", h_ctx(c));
	r = cu_ctl(sock, "metrics", NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out,
	    "corral_service_restarts_total{service=\"a\"} 3\n") != NULL,
	    "metrics: %s", cu_ctx(&r));
	ck_assert_int_eq(h_count_lines(h_path("corral.err"),
	    "unable to write metrics file"), 1);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

Suite *
suite_metrics(void)
{
	Suite *s = suite_create("metrics");

	h_add(s, metrics_match_the_status, 30);
	h_add(s, unwritable_metrics_file_is_reported_once, 30);
	return s;
}
