/*
 * Signals corral relays (SPEC §7) and the promise that an idle corral does
 * not wake up (SPEC §4, "It never polls").
 */
#include <signal.h>
#include <stdlib.h>

#include "harness.h"

static pid_t
started(struct h_proc *c, const char *file, int nth)
{
	ck_assert_msg(h_wait_events(file, "start", nth + 1, H_WAIT_MS),
	    "%s: no start record #%d; %s", file, nth + 1, h_ctx(c));
	return h_event(file, "start", nth).pid;
}

/*
 * young's first run ends after 300 ms and the second is the one that gets
 * the signal, 50 ms after it was started: relaying must not depend on how
 * long a service has run.
 */
START_TEST(signals_usr1_reaches_every_group)
{
	struct h_proc *c = h_corral(
	    "[service:a]\n"
	    "command = sh -c '@SVC@/catch -b @T@/a.grandchild USR1=ignore &&\n"
	    "    exec @SVC@/catch @T@/a USR1=ignore'\n"
	    "\n"
	    "[service:b]\n"
	    "command = @SVC@/catch @T@/b USR1=ignore\n"
	    "\n"
	    "[service:young]\n"
	    "command = sh -c 'if test -e @T@/young.once;\n"
	    "    then exec @SVC@/catch @T@/young USR1=ignore; fi;\n"
	    "    touch @T@/young.once && sleep 0.3'\n"
	    "restart = always\n"
	    "restart_delay = 100ms\n");
	static const char *const files[] = { "a", "a.grandchild", "b", "young" };
	int64_t young_ns, at;

	(void)started(c, h_path("a"), 0);
	(void)started(c, h_path("a.grandchild"), 0);
	(void)started(c, h_path("b"), 0);
	(void)started(c, h_path("young"), 0);
	young_ns = h_event(h_path("young"), "start", 0).ns;
	at = young_ns + 50000000 - h_now_ns();
	if (at > 0)
		h_sleep_ms((int)(at / 1000000));
	h_signal(c, SIGUSR1);
	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++)
		ck_assert_msg(h_wait_events(h_path(files[i]), "USR1", 1, 2000),
		    "SIGUSR1 did not reach %s (sent %.0f ms after young started); "
		    "%s", files[i], H_MS(h_now_ns() - young_ns), h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

static long long
context_switches(pid_t pid)
{
	return h_status_num(pid, "voluntary_ctxt_switches") +
	    h_status_num(pid, "nonvoluntary_ctxt_switches");
}

START_TEST(signals_idle_corral_sleeps)
{
	struct h_proc *c = h_corral(
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a TERM=die\n"
	    "start_seconds = 100ms\n"
	    "[service:b]\n"
	    "command = @SVC@/catch @T@/b TERM=die\n"
	    "start_seconds = 100ms\n"
	    "[service:c]\n"
	    "command = @SVC@/catch @T@/c TERM=die\n"
	    "start_seconds = 100ms\n");
	long long before, after;
	int settled = 0;

	(void)started(c, h_path("a"), 0);
	(void)started(c, h_path("b"), 0);
	(void)started(c, h_path("c"), 0);
	/*
	 * Idle means no timer due: past start_seconds, which corral may time,
	 * and past the logging of the start, which the services do not wait for.
	 */
	h_sleep_ms(200);
	before = context_switches(c->corral);
	for (int i = 0; i < 20 && !settled; i++) {
		long long now;

		h_sleep_ms(100);
		now = context_switches(c->corral);
		settled = now == before;
		before = now;
	}
	ck_assert_msg(settled, "corral never went quiet after start-up; %s",
	    h_ctx(c));
	h_sleep_ms(2000);
	after = context_switches(c->corral);
	ck_assert_msg(after == before, "idle corral woke up %lld times in 2 s",
	    after - before);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/*
 * Stray signals whose default action would end corral are ignored (corral
 * is not PID 1 here, so the kernel would deliver them): the real-time ones,
 * 32 and 33 among them, which glibc refuses to sigaction().  USR1 after
 * them is relayed, so corral outlived them.
 */
START_TEST(signals_strays_leave_corral_running)
{
	struct h_proc *c = h_corral(
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a USR1=ignore\n");
	static const int strays[] = {
	    SIGALRM, SIGVTALRM, SIGPROF, SIGPWR, SIGXCPU, SIGIO, 32, 33, 40, 64,
	};

	(void)started(c, h_path("a"), 0);
	for (size_t i = 0; i < sizeof(strays) / sizeof(*strays); i++)
		/* valgrind takes SIGRTMAX for itself (VG_SIGVGKILL). */
		if (strays[i] != 64 || getenv("VALGRIND_TARGET") == NULL)
			h_signal(c, strays[i]);
	h_signal(c, SIGUSR1);
	ck_assert_msg(h_wait_events(h_path("a"), "USR1", 1, H_WAIT_MS),
	    "USR1 after the strays was not relayed; %s", h_ctx(c));
	ck_assert_msg(h_alive(c->corral), "a stray signal ended corral; %s",
	    h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

Suite *
suite_signals(void)
{
	Suite *s = suite_create("signals");

	h_add(s, signals_usr1_reaches_every_group, 20);
	h_add(s, signals_idle_corral_sleeps, 20);
	h_add(s, signals_strays_leave_corral_running, 20);
	return s;
}
