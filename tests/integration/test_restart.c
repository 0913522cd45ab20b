/*
 * Restart policies, back-off and the failed state (SPEC §3 restart,
 * success_exit_codes, start_seconds, start_retries, restart_delay,
 * restart_delay_max; §4; §6).  Services append a "start" record per run.
 *
 * A crash-looping service is running for a few milliseconds and in back-off
 * the rest of the time, and SPEC §6 counts only the latter as unclean; where
 * the exit status is not what a test is about, `strict = no` keeps it from
 * depending on that race.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "harness.h"

#define NOT_STRICT	"[corral]\nstrict = no\n\n"

static void
wait_starts(struct h_proc *c, const char *name, int n, int timeout_ms)
{
	ck_assert_msg(h_wait_events(h_path(name), "start", n, timeout_ms),
	    "%s: %d starts within %d ms, expected %d; %s", name,
	    h_event_count(h_path(name), "start"), timeout_ms, n, h_ctx(c));
}

static void
expect_starts(struct h_proc *c, const char *name, int n)
{
	ck_assert_msg(h_event_count(h_path(name), "start") == n,
	    "%s: %d starts, expected %d; %s", name,
	    h_event_count(h_path(name), "start"), n, h_ctx(c));
}

START_TEST(restart_on_failure)
{
	struct h_proc *c = h_corral(NOT_STRICT
	    "[service:fails]\n"
	    "command = @SVC@/stamp @T@/fails start sh -c 'exit 1'\n"
	    "restart_delay = 50ms\n"
	    "restart_delay_max = 50ms\n"
	    "start_retries = 100\n"
	    "\n"
	    "[service:succeeds]\n"
	    "command = @SVC@/stamp @T@/succeeds start sh -c 'exit 0'\n"
	    "restart_delay = 50ms\n"
	    "cleanup = @SVC@/stamp @T@/succeeds hook\n"
	    "\n"
	    "[service:listed]\n"
	    "command = @SVC@/stamp @T@/listed start sh -c 'exit 42'\n"
	    "success_exit_codes = 0 42\n"
	    "restart_delay = 50ms\n"
	    "cleanup = @SVC@/stamp @T@/listed hook\n"
	    "\n"
	    "[service:killed]\n"
	    "command = @SVC@/catch @T@/killed\n"
	    "restart_delay = 50ms\n");
	pid_t victim;

	wait_starts(c, "fails", 3, H_WAIT_MS);
	wait_starts(c, "killed", 1, H_WAIT_MS);
	victim = h_event(h_path("killed"), "start", 0).pid;
	ck_assert_msg(kill(victim, SIGKILL) == 0, "kill: %s", strerror(errno));
	wait_starts(c, "killed", 2, H_WAIT_MS);
	ck_assert_msg(h_wait_events(h_path("succeeds"), "hook", 1, H_WAIT_MS) &&
	    h_wait_events(h_path("listed"), "hook", 1, H_WAIT_MS),
	    "the cleanup hooks after a successful exit did not run; %s",
	    h_ctx(c));
	/* Six restart delays: time enough for a restart that should not be. */
	h_sleep_ms(300);
	expect_starts(c, "succeeds", 1);
	expect_starts(c, "listed", 1);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

START_TEST(restart_always_and_never)
{
	struct h_proc *c = h_corral(
	    "[service:always]\n"
	    "command = @SVC@/stamp @T@/always start sh -c 'exit 0'\n"
	    "restart = always\n"
	    "restart_delay = 50ms\n"
	    "restart_delay_max = 50ms\n"
	    "start_retries = 100\n"
	    "\n"
	    "[service:never]\n"
	    "command = @SVC@/stamp @T@/never start sh -c 'exit 1'\n"
	    "restart = never\n"
	    "restart_delay = 50ms\n"
	    "cleanup = @SVC@/stamp @T@/never hook\n");

	wait_starts(c, "always", 3, H_WAIT_MS);
	ck_assert_msg(h_wait_events(h_path("never"), "hook", 1, H_WAIT_MS),
	    "never's cleanup hook did not run; %s", h_ctx(c));
	h_sleep_ms(300);
	expect_starts(c, "never", 1);
	h_signal(c, SIGTERM);
	/* never ended with an unexpected status and stayed down. */
	h_expect_exit(c, 3, H_WAIT_MS);
}
END_TEST

START_TEST(restart_backoff_doubles_and_caps)
{
	static const int expect_ms[] = { 100, 200, 400, 400 };
	struct h_proc *c = h_corral(NOT_STRICT
	    "[service:loop]\n"
	    "command = @SVC@/stamp @T@/loop start sh -c 'exit 1'\n"
	    "restart_delay = 100ms\n"
	    "restart_delay_max = 400ms\n"
	    "start_retries = 10\n");
	struct h_event ev[5];
	char *gaps = h_fmt("%s", "");
	bool ok = true;

	wait_starts(c, "loop", 5, H_WAIT_MS);
	ck_assert_int_eq(h_events(h_path("loop"), "start", ev, 5), 5);
	for (int i = 0; i < 4; i++) {
		double gap = H_MS(ev[i + 1].ns - ev[i].ns);

		gaps = h_fmt("%s %.0f", gaps, gap);
		/* A gap is the delay plus one short run; never less. */
		ok = ok && gap >= expect_ms[i] - 10 && gap <= expect_ms[i] + 150;
	}
	ck_assert_msg(ok, "gaps between starts were%s ms; expected about "
	    "100 200 400 400", gaps);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/*
 * Runs 1, 2 and 4 fail at once; run 3 lasts 500 ms, longer than
 * start_seconds.  So: 200 ms, 400 ms, immediate, then 200 ms again (not
 * 800 ms: the count of failed starts began anew).
 */
START_TEST(restart_long_run_resets_delay)
{
	struct h_proc *c = h_corral(NOT_STRICT
	    "[service:r]\n"
	    "command = sh -c '@SVC@/stamp @T@/r start &&\n"
	    "    if test $(grep -c ^start @T@/r) -eq 3; then sleep 0.5; fi;\n"
	    "    @SVC@/stamp @T@/r exit; exit 1'\n"
	    "start_seconds = 300ms\n"
	    "restart_delay = 200ms\n"
	    "restart_delay_max = 2s\n"
	    "start_retries = 10\n");
	struct h_event start[5], end[5];
	double immediate, reset;

	wait_starts(c, "r", 5, H_WAIT_MS);
	ck_assert_int_eq(h_events(h_path("r"), "start", start, 5), 5);
	ck_assert_int_ge(h_events(h_path("r"), "exit", end, 5), 4);
	ck_assert_msg(end[2].ns - start[2].ns >= 500000000,
	    "run 3 lasted only %.0f ms", H_MS(end[2].ns - start[2].ns));
	immediate = H_MS(start[3].ns - end[2].ns);
	reset = H_MS(start[4].ns - end[3].ns);
	ck_assert_msg(immediate < 150, "after a run longer than start_seconds "
	    "the restart should be immediate; it took %.0f ms", immediate);
	ck_assert_msg(reset >= 190 && reset < 600, "after a long run the next "
	    "failed start should wait restart_delay (200 ms) again; it waited "
	    "%.0f ms", reset);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

START_TEST(restart_gives_up_after_retries)
{
	struct h_proc *c = h_corral(
	    "[service:f]\n"
	    "command = @SVC@/stamp @T@/f start sh -c 'exit 1'\n"
	    "restart_delay = 50ms\n"
	    "start_retries = 3\n"
	    "\n"
	    "[service:keep]\n"
	    "command = @SVC@/catch @T@/keep TERM=die\n");

	wait_starts(c, "f", 3, H_WAIT_MS);
	/* The next delay would be 200 ms; a second is plenty to see one. */
	h_sleep_ms(1000);
	expect_starts(c, "f", 3);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 3, H_WAIT_MS);
	ck_assert_msg(h_count_lines(c->err, "corral: report: f: failed") == 1,
	    "the report should show f as failed; %s", h_ctx(c));
}
END_TEST

START_TEST(restart_shutdown_cancels_backoff)
{
	struct h_proc *c = h_corral(
	    "[service:b]\n"
	    "command = @SVC@/stamp @T@/b start sh -c 'exit 1'\n"
	    "restart_delay = 10s\n"
	    "cleanup = @SVC@/stamp @T@/b hook\n");
	int64_t t0;

	/* The back-off begins once the cleanup hook after the run is done. */
	ck_assert_msg(h_wait_events(h_path("b"), "hook", 1, H_WAIT_MS) &&
	    h_wait_gone(h_event(h_path("b"), "hook", 0).pid, H_WAIT_MS),
	    "the cleanup hook after the first run did not run; %s", h_ctx(c));
	t0 = h_now_ns();
	h_signal(c, SIGTERM);
	h_expect_exit(c, 3, 1000);
	ck_assert_msg(h_now_ns() - t0 < 500000000, "corral took %.0f ms to "
	    "stop during a back-off", H_MS(h_now_ns() - t0));
	expect_starts(c, "b", 1);
}
END_TEST

START_TEST(restart_waits_for_cleanup_hook)
{
	struct h_proc *c = h_corral(NOT_STRICT
	    "[service:h]\n"
	    "command = sh -c '@SVC@/stamp @T@/ev start; exit 1'\n"
	    "restart_delay = 0\n"
	    "start_retries = 3\n"
	    "cleanup = sh -c '@SVC@/stamp -e @T@/ev hook-begin && sleep 0.2 &&\n"
	    "    @SVC@/stamp @T@/ev hook-end'\n");
	static const char *const order[] = { "start", "hook-begin", "hook-end" };
	struct h_event ev[9];
	int n;

	ck_assert_msg(h_wait_events(h_path("ev"), "hook-end", 3, H_WAIT_MS),
	    "three runs, each with its cleanup hook, did not happen; %s",
	    h_ctx(c));
	n = h_events(h_path("ev"), NULL, ev, 9);
	ck_assert_int_eq(n, 9);
	for (int i = 0; i < 9; i++) {
		ck_assert_msg(strcmp(ev[i].label, order[i % 3]) == 0,
		    "event %d is %s, expected %s: runs and hooks must alternate",
		    i + 1, ev[i].label, order[i % 3]);
		ck_assert_msg(i == 0 || ev[i].ns >= ev[i - 1].ns,
		    "event %d (%s) happened before event %d", i + 1, ev[i].label,
		    i);
		if (i % 3 == 1)
			ck_assert_str_eq(ev[i].rest, "CORRAL_EXIT_CODE=1 "
			    "CORRAL_REASON=exit CORRAL_SERVICE=h");
	}
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/* Run n exits 10 + n, so "last status" is told apart from any other. */
START_TEST(restart_failed_critical_exits_with_last_status)
{
	struct h_proc *c = h_corral(
	    "[service:c]\n"
	    "command = sh -c '@SVC@/stamp @T@/c start &&\n"
	    "    exit $((10 + $(grep -c ^start @T@/c)))'\n"
	    "critical = yes\n"
	    "restart_delay = 50ms\n"
	    "start_retries = 3\n"
	    "\n"
	    "[service:other]\n"
	    "command = @SVC@/catch @T@/other TERM=die\n"
	    "cleanup = @SVC@/stamp -e @T@/hooks other\n");

	h_expect_exit(c, 13, H_WAIT_MS);
	expect_starts(c, "c", 3);
	ck_assert_msg(h_event_count(h_path("other"), "TERM") == 1,
	    "the other service was not stopped; %s", h_ctx(c));
	ck_assert_str_eq(h_event(h_path("hooks"), "other", 0).rest,
	    "CORRAL_EXIT_SIGNAL=TERM CORRAL_REASON=shutdown "
	    "CORRAL_SERVICE=other");
}
END_TEST

Suite *
suite_restart(void)
{
	Suite *s = suite_create("restart");

	h_add(s, restart_on_failure, 20);
	h_add(s, restart_always_and_never, 20);
	h_add(s, restart_backoff_doubles_and_caps, 20);
	h_add(s, restart_long_run_resets_delay, 20);
	h_add(s, restart_gives_up_after_retries, 20);
	h_add(s, restart_shutdown_cancels_backoff, 20);
	h_add(s, restart_waits_for_cleanup_hook, 20);
	h_add(s, restart_failed_critical_exits_with_last_status, 20);
	return s;
}
