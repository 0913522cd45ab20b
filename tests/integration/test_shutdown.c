/*
 * Shutdown (SPEC §5) and corral's exit status (SPEC §6): stop signals to
 * whole process groups, graceful windows and kills, cleanup hooks that
 * nothing interrupts, shutdown_deadline, stop_delay, the two orders.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "harness.h"

/* Waits for a "start" record of a svc program and returns its pid. */
static pid_t
started(struct h_proc *c, const char *file)
{
	ck_assert_msg(h_wait_events(file, "start", 1, H_WAIT_MS),
	    "%s: no start record; %s", file, h_ctx(c));
	return h_event(file, "start", 0).pid;
}

/* What a cleanup hook run as `stamp -e FILE LABEL` was told. */
static const char *
hook_env(const char *file, const char *label)
{
	struct h_event e = h_event(file, label, 0);

	return e.ns < 0 ? "(did not run)" : h_fmt("%s", e.rest);
}

START_TEST(shutdown_signals_groups_and_runs_hooks)
{
	struct h_proc *c = h_corral(
	    "[corral]\n"
	    "stop_timeout = 2s\n"
	    "\n"
	    /* catch -b leaves a grandchild in the group; sh then execs. */
	    "[service:a]\n"
	    "command = sh -c '@SVC@/catch -b @T@/a.grandchild TERM=die &&\n"
	    "    exec @SVC@/catch @T@/a TERM=die'\n"
	    "cleanup = @SVC@/stamp -e @T@/hooks a\n"
	    "\n"
	    "[service:b]\n"
	    "command = @SVC@/catch @T@/b TERM=exit:0\n"
	    "cleanup = @SVC@/stamp -e @T@/hooks b\n"
	    "\n"
	    "[service:c]\n"
	    "command = @SVC@/catch @T@/c INT=exit:130\n"
	    "stop_signal = INT\n"
	    "cleanup = @SVC@/stamp -e @T@/hooks c\n");
	const char *hooks = h_path("hooks");
	pid_t a = started(c, h_path("a"));
	pid_t grandchild = started(c, h_path("a.grandchild"));
	struct h_pstat st;

	(void)started(c, h_path("b"));
	(void)started(c, h_path("c"));
	ck_assert_msg(h_pstat(grandchild, &st) && st.pgrp == a && st.ppid != a,
	    "the grandchild %d should be in process group %d and not a child "
	    "of its main process", (int)grandchild, (int)a);

	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	ck_assert_msg(h_event_count(h_path("a"), "TERM") == 1 &&
	    h_event_count(h_path("a.grandchild"), "TERM") == 1 &&
	    h_event_count(h_path("b"), "TERM") == 1 &&
	    h_event_count(h_path("c"), "INT") == 1,
	    "every member of every group should get its stop signal once: "
	    "a %d, a's grandchild %d, b %d TERM, c %d INT",
	    h_event_count(h_path("a"), "TERM"),
	    h_event_count(h_path("a.grandchild"), "TERM"),
	    h_event_count(h_path("b"), "TERM"), h_event_count(h_path("c"), "INT"));
	ck_assert_str_eq(hook_env(hooks, "a"),
	    "CORRAL_EXIT_SIGNAL=TERM CORRAL_REASON=shutdown CORRAL_SERVICE=a");
	ck_assert_str_eq(hook_env(hooks, "b"),
	    "CORRAL_EXIT_CODE=0 CORRAL_REASON=shutdown CORRAL_SERVICE=b");
	ck_assert_str_eq(hook_env(hooks, "c"),
	    "CORRAL_EXIT_CODE=130 CORRAL_REASON=shutdown CORRAL_SERVICE=c");
}
END_TEST

/* A service that ignores SIGTERM is killed when stop_timeout runs out. */
static void
stubborn_killed_after_window(const char *strict, int code)
{
	struct h_proc *c = h_corral(h_fmt(
	    "[corral]\n"
	    "strict = %s\n"
	    "\n"
	    "[service:stubborn]\n"
	    "command = @SVC@/catch @T@/s TERM=ignore\n"
	    "stop_timeout = 1s\n", strict));
	pid_t pid = started(c, h_path("s"));
	int64_t term_ns, dead_ns;

	h_signal(c, SIGTERM);
	ck_assert_msg(h_wait_events(h_path("s"), "TERM", 1, H_WAIT_MS),
	    "no SIGTERM reached the service; %s", h_ctx(c));
	term_ns = h_event(h_path("s"), "TERM", 0).ns;
	ck_assert_msg(h_wait_gone(pid, 3000), "still alive 3 s after SIGTERM "
	    "with stop_timeout = 1s; %s", h_ctx(c));
	dead_ns = h_now_ns();
	ck_assert_msg(dead_ns - term_ns >= 900000000 &&
	    dead_ns - term_ns <= 1500000000,
	    "killed %.0f ms after SIGTERM; stop_timeout is 1s",
	    H_MS(dead_ns - term_ns));
	h_expect_exit(c, code, H_WAIT_MS);
}

/*
 * At shutdown_deadline everything left is killed (SPEC §5): SIGKILL, not
 * the service's kill_signal, even for one still running because the
 * service after it was held up by a long cleanup hook.
 */
START_TEST(shutdown_deadline_sends_sigkill)
{
	struct h_proc *c = h_corral(
	    "[corral]\n"
	    "shutdown_deadline = 1s\n"
	    "\n"
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a TERM=ignore INT=ignore\n"
	    "kill_signal = INT\n"
	    "stop_timeout = 30s\n"
	    "[service:b]\n"
	    "command = @SVC@/catch @T@/b\n"
	    "after = a\n"
	    "cleanup = sleep 5\n"
	    "cleanup_timeout = 10s\n");

	(void)started(c, h_path("a"));
	(void)started(c, h_path("b"));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 3, 5000);
	ck_assert_msg(h_event_count(h_path("a"), "INT") == 0,
	    "a got kill_signal INT %d times: the deadline must send SIGKILL; %s",
	    h_event_count(h_path("a"), "INT"), h_ctx(c));
}
END_TEST

START_TEST(shutdown_kills_after_window_strict)
{
	stubborn_killed_after_window("yes", 3);
}
END_TEST

START_TEST(shutdown_kills_after_window_not_strict)
{
	stubborn_killed_after_window("no", 0);
}
END_TEST

START_TEST(shutdown_hook_survives_signal_storm)
{
	struct h_proc *c = h_corral(
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a TERM=die\n"
	    "cleanup = sh -c '@SVC@/stamp @T@/hook begin && sleep 1 &&\n"
	    "    @SVC@/stamp @T@/hook end'\n"
	    "cleanup_timeout = 10s\n");
	const char *hook = h_path("hook");
	int64_t begin;

	(void)started(c, h_path("a"));
	h_signal(c, SIGTERM);
	ck_assert_msg(h_wait_events(hook, "begin", 1, H_WAIT_MS),
	    "the cleanup hook did not start; %s", h_ctx(c));
	for (int i = 0; i < 1000; i++)
		h_signal(c, i % 2 ? SIGINT : SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	begin = h_event(hook, "begin", 0).ns;
	ck_assert_msg(h_event_count(hook, "end") == 1 &&
	    h_event(hook, "end", 0).ns - begin >= 1000000000,
	    "the hook was interrupted: it must run its full second; %s",
	    h_ctx(c));
	/* "Further signals are logged once": not a line per signal. */
	ck_assert_msg(h_count_lines(c->err, "corral: ") < 40,
	    "%d log lines for 1000 signals; %s",
	    h_count_lines(c->err, "corral: "), h_ctx(c));
}
END_TEST

START_TEST(shutdown_kills_hook_after_cleanup_timeout)
{
	struct h_proc *c = h_corral(
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a TERM=die\n"
	    "cleanup = @SVC@/stamp @T@/hook begin sleep 30\n"
	    "cleanup_timeout = 300ms\n");
	const char *hook = h_path("hook");
	struct h_event begin;
	int64_t dead_ns;

	(void)started(c, h_path("a"));
	h_signal(c, SIGTERM);
	ck_assert_msg(h_wait_events(hook, "begin", 1, H_WAIT_MS),
	    "the cleanup hook did not start; %s", h_ctx(c));
	begin = h_event(hook, "begin", 0);
	ck_assert_msg(h_wait_gone(begin.pid, 3000),
	    "the hook outlived cleanup_timeout = 300ms by seconds; %s", h_ctx(c));
	dead_ns = h_now_ns();
	ck_assert_msg(dead_ns - begin.ns >= 200000000 &&
	    dead_ns - begin.ns <= 1000000000,
	    "hook killed %.0f ms after it started; cleanup_timeout is 300ms",
	    H_MS(dead_ns - begin.ns));
	h_expect_exit(c, 3, H_WAIT_MS);
	ck_assert_msg(h_count_lines(c->err, "corral: report: a: ") == 1 &&
	    h_count_lines(c->err, "timed out") >= 1,
	    "the report should say that a's cleanup hook timed out; %s",
	    h_ctx(c));
}
END_TEST

START_TEST(shutdown_second_signal_kills_at_once)
{
	struct h_proc *c = h_corral(
	    "[service:stubborn]\n"
	    "command = @SVC@/catch @T@/s TERM=ignore\n"
	    "stop_timeout = 10s\n");
	pid_t pid = started(c, h_path("s"));
	int64_t second_ns;

	h_signal(c, SIGTERM);
	ck_assert_msg(h_wait_events(h_path("s"), "TERM", 1, H_WAIT_MS),
	    "no SIGTERM reached the service; %s", h_ctx(c));
	second_ns = h_now_ns();
	h_signal(c, SIGTERM);
	ck_assert_msg(h_wait_gone(pid, 2000), "the service still runs 2 s after "
	    "the second SIGTERM; %s", h_ctx(c));
	ck_assert_msg(h_now_ns() - second_ns < 500000000,
	    "killed %.0f ms after the second SIGTERM; expected at once",
	    H_MS(h_now_ns() - second_ns));
	h_expect_exit(c, 3, H_WAIT_MS);
}
END_TEST

/* The test ends crit from outside, with a signal its catch turns into sig. */
static void
critical_ends(int sig, int code, const char *crit_hook)
{
	struct h_proc *c = h_corral(
	    "[corral]\n"
	    "stop_timeout = 2s\n"
	    "\n"
	    "[service:crit]\n"
	    "command = @SVC@/catch @T@/crit USR2=exit:7\n"
	    "critical = yes\n"
	    "restart = never\n"
	    "cleanup = @SVC@/stamp -e @T@/hooks crit\n"
	    "\n"
	    "[service:other]\n"
	    "command = @SVC@/catch @T@/other TERM=die\n"
	    "cleanup = @SVC@/stamp -e @T@/hooks other\n");
	const char *hooks = h_path("hooks");
	pid_t crit = started(c, h_path("crit"));

	(void)started(c, h_path("other"));
	ck_assert_msg(kill(crit, sig) == 0, "kill crit: %s", strerror(errno));
	h_expect_exit(c, code, H_WAIT_MS);
	ck_assert_msg(h_event_count(h_path("other"), "TERM") == 1,
	    "the other service was not stopped; %s", h_ctx(c));
	ck_assert_str_eq(hook_env(hooks, "crit"), crit_hook);
	ck_assert_str_eq(hook_env(hooks, "other"),
	    "CORRAL_EXIT_SIGNAL=TERM CORRAL_REASON=shutdown CORRAL_SERVICE=other");
}

START_TEST(shutdown_critical_exit_status)
{
	critical_ends(SIGUSR2, 7,
	    "CORRAL_EXIT_CODE=7 CORRAL_REASON=exit CORRAL_SERVICE=crit");
}
END_TEST

START_TEST(shutdown_critical_killed_by_signal)
{
	critical_ends(SIGSEGV, 128 + SIGSEGV,
	    "CORRAL_EXIT_SIGNAL=SEGV CORRAL_REASON=exit CORRAL_SERVICE=crit");
}
END_TEST

/*
 * The 10 s window must be cut so that the 1 s cleanup still ends by the
 * deadline: SIGKILL no later than 2 s after the shutdown began.
 */
START_TEST(shutdown_deadline_leaves_room_for_cleanup)
{
	struct h_proc *c = h_corral(
	    "[corral]\n"
	    "shutdown_deadline = 3s\n"
	    "stop_timeout = 10s\n"
	    "cleanup_timeout = 1s\n"
	    "\n"
	    "[service:stubborn]\n"
	    "command = @SVC@/catch @T@/s TERM=ignore\n"
	    "cleanup = sh -c '@SVC@/stamp @T@/hook begin && sleep 0.5 &&\n"
	    "    @SVC@/stamp @T@/hook end'\n");
	const char *hook = h_path("hook");
	int64_t t0;

	(void)started(c, h_path("s"));
	t0 = h_now_ns();
	h_signal(c, SIGTERM);
	h_expect_exit(c, 3, 5000);
	ck_assert_msg(h_now_ns() - t0 <= 3200000000,
	    "corral took %.0f ms with shutdown_deadline = 3s",
	    H_MS(h_now_ns() - t0));
	ck_assert_msg(h_event_count(h_path("s"), "TERM") == 1,
	    "the service never got SIGTERM; %s", h_ctx(c));
	ck_assert_msg(h_event_count(hook, "end") == 1 &&
	    h_event(hook, "begin", 0).ns - t0 <= 2100000000,
	    "the cleanup hook must start by deadline - cleanup_timeout (2 s) "
	    "and finish; it began at +%.0f ms and %s",
	    H_MS(h_event(hook, "begin", 0).ns - t0),
	    h_event_count(hook, "end") ? "finished" : "did not finish");
}
END_TEST

/* Three services that take 200 ms to stop; each file holds TERM and exit. */
static void
stop_three(const char *order, struct h_event term[3], struct h_event end[3])
{
	static const char *const names[] = { "a", "b", "c" };
	struct h_proc *c = h_corral(h_fmt(
	    "[corral]\n"
	    "shutdown_order = %s\n"
	    "\n"
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a TERM=linger:200\n"
	    "[service:b]\n"
	    "command = @SVC@/catch @T@/b TERM=linger:200\n"
	    "[service:c]\n"
	    "command = @SVC@/catch @T@/c TERM=linger:200\n", order));

	for (int i = 0; i < 3; i++)
		(void)started(c, h_path(names[i]));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	for (int i = 0; i < 3; i++) {
		term[i] = h_event(h_path(names[i]), "TERM", 0);
		end[i] = h_event(h_path(names[i]), "exit", 0);
		ck_assert_msg(term[i].ns > 0 && end[i].ns > 0,
		    "%s did not get SIGTERM or did not finish; %s", names[i],
		    h_ctx(c));
	}
}

START_TEST(shutdown_sequential_one_at_a_time)
{
	struct h_event term[3], end[3];

	stop_three("sequential", term, end);
	/* Reverse file order: c, then b once c is gone, then a. */
	ck_assert_msg(term[2].ns < term[1].ns && end[2].ns <= term[1].ns &&
	    end[1].ns <= term[0].ns,
	    "expected c, b, a one after the other; relative to a's SIGTERM: "
	    "SIGTERM to b %+.0f, c %+.0f ms; exits of a %+.0f, b %+.0f, "
	    "c %+.0f ms",
	    H_MS(term[1].ns - term[0].ns), H_MS(term[2].ns - term[0].ns),
	    H_MS(end[0].ns - term[0].ns), H_MS(end[1].ns - term[0].ns),
	    H_MS(end[2].ns - term[0].ns));
}
END_TEST

START_TEST(shutdown_parallel_all_together)
{
	struct h_event term[3], end[3];
	int64_t last_term = 0, first_end = INT64_MAX;

	stop_three("parallel", term, end);
	for (int i = 0; i < 3; i++) {
		if (term[i].ns > last_term)
			last_term = term[i].ns;
		if (end[i].ns < first_end)
			first_end = end[i].ns;
	}
	ck_assert_msg(last_term < first_end,
	    "the stop windows should overlap: the last SIGTERM came %.0f ms "
	    "after the first service had already exited",
	    H_MS(last_term - first_end));
}
END_TEST

/*
 * The main process exits at once, leaving a member of its group that
 * ignores SIGTERM: it gets the stop signal, then SIGKILL when the window
 * runs out, and only then does the cleanup hook start.
 */
START_TEST(shutdown_hook_waits_for_group_leftovers)
{
	struct h_proc *c = h_corral(
	    "[corral]\n"
	    "strict = no\n"
	    "\n"
	    "[service:a]\n"
	    "command = @SVC@/catch -b @T@/bg TERM=ignore\n"
	    "restart = never\n"
	    "stop_timeout = 500ms\n"
	    "cleanup = @SVC@/stamp -e @T@/hook cleanup\n"
	    "\n"
	    "[service:keep]\n"
	    "command = @SVC@/catch @T@/keep TERM=die\n");
	const char *hook = h_path("hook");
	pid_t bg = started(c, h_path("bg"));
	struct h_event term;
	int64_t waited;

	ck_assert_msg(h_wait_events(hook, "cleanup", 1, 3000),
	    "no cleanup hook after the main process exited; %s", h_ctx(c));
	ck_assert_msg(!h_alive(bg), "the cleanup hook started while the "
	    "leftover %d still ran", (int)bg);
	term = h_event(h_path("bg"), "TERM", 0);
	ck_assert_msg(term.ns > 0, "the leftover never got SIGTERM; %s",
	    h_ctx(c));
	waited = h_event(hook, "cleanup", 0).ns - term.ns;
	ck_assert_msg(waited >= 400000000 && waited <= 1500000000,
	    "the hook started %.0f ms after SIGTERM to the leftover; expected "
	    "after the 500ms window", H_MS(waited));
	ck_assert_str_eq(hook_env(hook, "cleanup"),
	    "CORRAL_EXIT_CODE=0 CORRAL_REASON=exit CORRAL_SERVICE=a");
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

START_TEST(shutdown_stop_delay)
{
	struct h_proc *c = h_corral(
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a TERM=die\n"
	    "stop_delay = 1s\n");
	pid_t pid = started(c, h_path("a"));
	int64_t t0, after;

	t0 = h_now_ns();
	h_signal(c, SIGTERM);
	h_sleep_ms(500);
	ck_assert_msg(h_alive(pid) && h_event_count(h_path("a"), "TERM") == 0,
	    "with stop_delay = 1s the service must still serve 0.5 s after "
	    "SIGTERM; %s", h_ctx(c));
	ck_assert_msg(h_wait_events(h_path("a"), "TERM", 1, 2000),
	    "no SIGTERM 2.5 s after the shutdown began; %s", h_ctx(c));
	after = h_event(h_path("a"), "TERM", 0).ns - t0;
	ck_assert_msg(after >= 950000000 && after <= 1500000000,
	    "stop signal %.0f ms after the shutdown began; stop_delay is 1s",
	    H_MS(after));
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

Suite *
suite_shutdown(void)
{
	Suite *s = suite_create("shutdown");

	h_add(s, shutdown_signals_groups_and_runs_hooks, 20);
	h_add(s, shutdown_kills_after_window_strict, 20);
	h_add(s, shutdown_deadline_sends_sigkill, 20);
	h_add(s, shutdown_kills_after_window_not_strict, 20);
	h_add(s, shutdown_hook_survives_signal_storm, 20);
	h_add(s, shutdown_kills_hook_after_cleanup_timeout, 20);
	h_add(s, shutdown_second_signal_kills_at_once, 20);
	h_add(s, shutdown_critical_exit_status, 20);
	h_add(s, shutdown_critical_killed_by_signal, 20);
	h_add(s, shutdown_deadline_leaves_room_for_cleanup, 20);
	h_add(s, shutdown_sequential_one_at_a_time, 20);
	h_add(s, shutdown_parallel_all_together, 20);
	h_add(s, shutdown_hook_waits_for_group_leftovers, 20);
	h_add(s, shutdown_stop_delay, 20);
	return s;
}
