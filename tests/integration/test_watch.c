/*
 * watch (SPEC §14) on real files: a rewrite restarts the service with the
 * hook reason watch, a ConfigMap's `..data` symlink swap counts as a
 * change of its files, a burst of writes within watch_delay gives one
 * action, signal: reaches the service, a '-' path that appears later is
 * watched, and the mistakes are errors at their lines.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctlutil.h"

#define SERVICE(extra) \
	"[service:app]\n" \
	"command = @SVC@/catch @T@/app TERM=die USR1=ignore\n" \
	"cleanup = @SVC@/stamp -e @T@/hooks app\n" extra

START_TEST(rewrite_restarts_with_reason_watch)
{
	struct h_proc *c;

	(void)h_write("app.ini", "a = 1\n");
	c = h_corral(SERVICE("watch = @T@/app.ini\nwatch_delay = 200ms\n"));
	(void)cu_started(c, "app", 0);
	/* As editors do: a new file renamed over the old one. */
	(void)h_write("app.ini.new", "a = 2\n");
	ck_assert_int_eq(rename(h_path("app.ini.new"), h_path("app.ini")), 0);
	ck_assert_msg(cu_started(c, "app", 1) > 0, "no restart; %s", h_ctx(c));
	ck_assert_msg(strcmp(cu_var(h_event(h_path("hooks"), "app", 0).rest,
	    "CORRAL_REASON"), "watch") == 0, "hook was told '%s'",
	    h_event(h_path("hooks"), "app", 0).rest);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/* A ConfigMap update: a new timestamped dir, then `..data` renamed over. */
START_TEST(configmap_symlink_swap_is_one_change)
{
	struct h_proc *c;

	(void)h_mkdir("cm", 0755, getuid(), getgid());
	(void)h_mkdir("cm/..2026_01", 0755, getuid(), getgid());
	(void)h_write("cm/..2026_01/app.ini", "a = 1\n");
	ck_assert_int_eq(symlink("..2026_01", h_path("cm/..data")), 0);
	ck_assert_int_eq(symlink("..data/app.ini", h_path("cm/app.ini")), 0);
	c = h_corral(SERVICE("watch = @T@/cm/app.ini\nwatch_delay = 200ms\n"));
	(void)cu_started(c, "app", 0);
	(void)h_mkdir("cm/..2026_02", 0755, getuid(), getgid());
	(void)h_write("cm/..2026_02/app.ini", "a = 2\n");
	ck_assert_int_eq(symlink("..2026_02", h_path("cm/..data_tmp")), 0);
	ck_assert_int_eq(rename(h_path("cm/..data_tmp"), h_path("cm/..data")),
	    0);
	ck_assert_msg(cu_started(c, "app", 1) > 0, "the swap did not restart "
	    "app; %s", h_ctx(c));
	ck_assert_msg(!h_wait_events(h_path("app"), "start", 3, 1000),
	    "one swap restarted app more than once; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

START_TEST(burst_of_writes_is_one_action)
{
	struct h_proc *c;

	(void)h_write("app.ini", "a = 0\n");
	c = h_corral(SERVICE("watch = @T@/app.ini\nwatch_delay = 500ms\n"));
	(void)cu_started(c, "app", 0);
	for (int i = 0; i < 100; i++)
		(void)h_write("app.ini", h_fmt("a = %d\n", i));
	ck_assert_msg(cu_started(c, "app", 1) > 0, "no restart; %s", h_ctx(c));
	ck_assert_msg(!h_wait_events(h_path("app"), "start", 3, 1500),
	    "100 writes gave more than one restart; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

START_TEST(signal_action_and_a_path_that_appears)
{
	struct h_proc *c;

	c = h_corral(SERVICE("watch = -@T@/later.ini\n"
	    "watch_action = signal:USR1\nwatch_delay = 200ms\n"));
	(void)cu_started(c, "app", 0);
	(void)h_write("later.ini", "x\n");
	ck_assert_msg(h_wait_events(h_path("app"), "USR1", 1, H_WAIT_MS),
	    "app got no USR1 when the watched file appeared; %s", h_ctx(c));
	ck_assert(h_event_count(h_path("app"), "start") == 1);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

START_TEST(watch_mistakes)
{
	const char *conf = h_write("bad.conf", "[service:a]\ncommand = x\n"
	    "watch = /nonexistent-corral/a.ini -/nonexistent-corral/b.ini\n"
	    "watch_action = signal:NOPE\n"
	    "[service:b]\ncommand = x\nwatch_action = sometimes\n");
	const char *argv[] = { getenv("CORRAL_BIN"), "-t", "-c", conf, NULL };
	struct h_proc *p = h_spawn("check", NULL, argv);
	const char *err;

	ck_assert(h_wait_exit(p, H_WAIT_MS));
	err = h_read(p->err);
	ck_assert_msg(WEXITSTATUS(p->status) == 1 &&
	    strstr(err, h_fmt("%s:3: [service:a] watch: /nonexistent-corral/"
	    "a.ini: No such file or directory (write -/nonexistent-corral/"
	    "a.ini if it may appear later)", conf)) &&
	    !strstr(err, "b.ini") &&
	    strstr(err, h_fmt("%s:4: [service:a] watch_action: 'NOPE' is not "
	    "a signal", conf)) &&
	    strstr(err, h_fmt("%s:7: [service:b] watch_action: 'sometimes' is "
	    "not a watch action (restart, signal:SIG or reload)", conf)),
	    "corral -t; %s", h_ctx(p));
}
END_TEST

Suite *
suite_watch(void)
{
	Suite *s = suite_create("watch");

	h_add(s, rewrite_restarts_with_reason_watch, 30);
	h_add(s, configmap_symlink_swap_is_one_change, 30);
	h_add(s, burst_of_writes_is_one_action, 30);
	h_add(s, signal_action_and_a_path_that_appears, 30);
	h_add(s, watch_mistakes, 30);
	return s;
}
