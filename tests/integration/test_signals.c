/*
 * Signals corral relays (SPEC §7) and the promise that an idle corral does
 * not wake up (SPEC §4, "It never polls").
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * Idle means no timer due: past start_seconds, which corral may time, past
 * the logging of the start, which the services do not wait for, and past
 * trim.c's one wakeup after half a second of quiet: so a window of quiet
 * longer than that.
 */
static long long
wait_quiet(struct h_proc *c)
{
	long long before = context_switches(c->corral);
	bool settled = false;

	for (int i = 0; i < 10 && !settled; i++) {
		long long now;

		h_sleep_ms(700);
		now = context_switches(c->corral);
		settled = now == before;
		before = now;
	}
	ck_assert_msg(settled, "corral never went quiet; %s", h_ctx(c));
	return before;
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

	(void)started(c, h_path("a"), 0);
	(void)started(c, h_path("b"), 0);
	(void)started(c, h_path("c"), 0);
	h_sleep_ms(200);
	before = wait_quiet(c);
	h_sleep_ms(2000);
	after = context_switches(c->corral);
	ck_assert_msg(after == before, "idle corral woke up %lld times in 2 s",
	    after - before);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/* KiB of corral's code mapped (its r-xp mapping's Rss); -1 if not found. */
static long
code_rss_kb(pid_t pid)
{
	char path[64], line[512];
	FILE *f;
	bool mine = false;
	long kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	ck_assert_msg((f = fopen(path, "re")) != NULL, "unable to open %s", path);
	while (kb == -1 && fgets(line, sizeof(line), f) != NULL) {
		size_t n = strcspn(line, "\n");

		line[n] = '\0';
		if (strstr(line, " r-xp ") != NULL)
			mine = n >= 7 && strcmp(line + n - 7, "/corral") == 0;
		else if (mine)
			(void)sscanf(line, "Rss: %ld kB", &kb);
	}
	(void)fclose(f);
	return kb;
}

/*
 * Once quiet, an idle corral maps only the page of code its idle loop
 * runs (trim.c): the kernel's fault-around would map 64 KiB back for any
 * other page it touched.  Under valgrind corral's code is not what runs.
 */
static void
expect_code_given_back(struct h_proc *c, const char *after)
{
	long kb;

	if (getenv("VALGRIND_TARGET") != NULL)
		return;
	(void)wait_quiet(c);
	kb = code_rss_kb(c->corral);
	ck_assert_msg(kb >= 0 && kb <= 8, "idle corral maps %ld KiB of its "
	    "code after %s (at most 8: the kept section)", kb, after);
}

/* The same after a reload, which ran the loader. */
START_TEST(signals_idle_corral_gives_back_its_code)
{
	struct h_proc *c = h_corral(
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a TERM=die\n");

	(void)started(c, h_path("a"), 0);
	expect_code_given_back(c, "start-up");
	h_signal(c, SIGHUP);
	ck_assert(h_wait_text(c->err, "reloading", H_WAIT_MS));
	expect_code_given_back(c, "a reload");
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/*
 * 1000 starts take longer than the half second of quiet: the loop's clock,
 * last read before them, must not make the trim fall due in the busy turn
 * that follows them (it did: 104 KiB of code mapped again at once).
 */
START_TEST(signals_long_start_up_is_trimmed_after_it)
{
	struct h_proc *c = h_corral(
	    "[service:w]\n"
	    "command = @SVC@/catch @T@/w TERM=die\n"
	    "instances = 1000\n");

	ck_assert_msg(h_wait_events(h_path("w"), "start", 1000, 4 * H_WAIT_MS),
	    "not every instance started; %s", h_ctx(c));
	expect_code_given_back(c, "1000 starts");
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, 4 * H_WAIT_MS);
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
	h_add(s, signals_idle_corral_gives_back_its_code, 30);
	h_add(s, signals_long_start_up_is_trimmed_after_it, 60);
	h_add(s, signals_strays_leave_corral_running, 20);
	return s;
}
