/*
 * Reaping (SPEC §4) and adopted processes (SPEC §5 step 5): corral holds no
 * zombie, whether it is PID 1 of a PID namespace or a child subreaper, and
 * as PID 1 it does the whole job of one: graceful shutdown with cleanup
 * hooks, its exit status out of `unshare`, and no process left behind.
 *
 * Processes inside the namespace record their pids as the namespace sees
 * them; ns_pid() finds the same process among corral's children as the
 * test sees it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* As PID 1 (issue 7) and as subreaper (issue 3). */
#define ORPHANS_PID1		5000
#define ORPHANS_SUBREAPER	1000

static bool
no_zombies(const void *arg)
{
	const pid_t *pid = arg;

	return h_zombies_of(*pid) == 0;
}

/*
 * adopter: corral's pid as the orphans see it.  Each orphan says who
 * adopted it, so a corral that is no subreaper cannot pass by letting the
 * test process (a subreaper too) inherit and hide them.
 */
static void
orphans_are_reaped(struct h_proc *c, pid_t adopter, int orphans)
{
	struct h_event *ev = calloc((size_t)orphans, sizeof(*ev));
	const char *want = h_fmt("%d", (int)adopter);
	int n, wrong = 0;

	ck_assert_msg(ev != NULL, "out of memory");
	/* Cheap to wait for: one line, found by a substring. */
	ck_assert_msg(h_wait_text(h_path("o"), "done ", 30000),
	    "the service did not finish making orphans; %s", h_ctx(c));
	ck_assert_msg(h_wait_events(h_path("o"), "orphan", orphans, 30000),
	    "%d of %d orphans reported; %s", h_event_count(h_path("o"), "orphan"),
	    orphans, h_ctx(c));
	n = h_events(h_path("o"), "orphan", ev, orphans);
	for (int i = 0; i < n; i++)
		wrong += strcmp(ev[i].rest, want) != 0;
	ck_assert_msg(wrong == 0, "%d orphans were adopted by another process "
	    "than corral (%s), e.g. %s", wrong, want, ev[0].rest);
	free(ev);
	ck_assert_msg(h_wait_events(h_path("o"), "done", 1, H_WAIT_MS),
	    "the service did not finish making orphans; %s", h_ctx(c));
	ck_assert_msg(h_poll_until(no_zombies, &c->corral, 1000),
	    "%d zombies of corral remain 1 s after the last orphan; %s",
	    h_zombies_of(c->corral), h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}

START_TEST(pid1_reaps_orphans)
{
	struct h_proc *c = h_corral_pid1(h_fmt("[service:o]\n"
	    "command = @SVC@/orphans %d @T@/o\n", ORPHANS_PID1));
	const char *nspid;

	if (c == NULL)
		return;
	nspid = h_status_str(c->corral, "NSpid");
	ck_assert_msg(nspid != NULL && strcmp(strrchr(nspid, '\t') ?
	    strrchr(nspid, '\t') + 1 : "", "1") == 0,
	    "corral is not PID 1 of its namespace (NSpid: %s)", nspid);
	orphans_are_reaped(c, 1, ORPHANS_PID1);
}
END_TEST

START_TEST(subreaper_reaps_orphans)
{
	struct h_proc *c = h_corral(h_fmt("[service:o]\n"
	    "command = @SVC@/orphans %d @T@/o\n", ORPHANS_SUBREAPER));

	orphans_are_reaped(c, c->corral, ORPHANS_SUBREAPER);
}
END_TEST

struct nspid_arg {
	pid_t		 corral;
	pid_t		 nspid;
	pid_t		*found;
};

/* Whether a child of corral is the process the namespace calls nspid. */
static bool
child_with_nspid(const void *arg)
{
	const struct nspid_arg *a = arg;
	char *kids = h_read(h_fmt("/proc/%d/task/%d/children", (int)a->corral,
	    (int)a->corral));
	const char *want = h_fmt("\t%d", (int)a->nspid);

	for (char *p = kids; p != NULL && *p != '\0';) {
		char *end;
		long pid = strtol(p, &end, 10);
		char *nspid;

		if (end == p)
			break;
		nspid = h_status_str((pid_t)pid, "NSpid");
		/* "NSpid: GLOBAL\tNS": the last field is the namespace's. */
		if (nspid != NULL && strlen(nspid) >= strlen(want) &&
		    strcmp(nspid + strlen(nspid) - strlen(want), want) == 0) {
			*a->found = (pid_t)pid;
			return true;
		}
		p = end;
	}
	return false;
}

/*
 * The pid, as the test sees it, of the child of corral (PID 1) that the
 * namespace calls nspid.  Sampled: the kernel announces no reparenting.
 */
static pid_t
ns_pid(struct h_proc *c, pid_t nspid)
{
	pid_t found = 0;
	struct nspid_arg a = { c->corral, nspid, &found };

	ck_assert_msg(h_poll_until(child_with_nspid, &a, H_WAIT_MS),
	    "no child of corral is pid %d of its namespace; %s", (int)nspid,
	    h_ctx(c));
	return found;
}

/* What a cleanup hook run as `stamp -e FILE LABEL` was told. */
static const char *
hook_env(const char *file, const char *label)
{
	struct h_event e = h_event(file, label, 0);

	return e.ns < 0 ? "(did not run)" : h_fmt("%s", e.rest);
}

static void
started(struct h_proc *c, const char *name)
{
	ck_assert_msg(h_wait_events(h_path(name), "start", 1, H_WAIT_MS),
	    "%s did not start; %s", name, h_ctx(c));
}

/*
 * SIGTERM from outside to corral as PID 1: every process group, a
 * grandchild adopted by PID 1 too, gets its stop signal, every cleanup
 * hook runs to its end, and `unshare` exits 0.
 */
START_TEST(pid1_sigterm_graceful_shutdown)
{
	struct h_proc *c = h_corral_pid1(
	    "[corral]\n"
	    "stop_timeout = 2s\n"
	    "\n"
	    "[service:a]\n"
	    "command = sh -c '@SVC@/catch -b @T@/a.grandchild TERM=die &&\n"
	    "    exec @SVC@/catch @T@/a TERM=die'\n"
	    "cleanup = @SVC@/stamp -e @T@/hooks a\n"
	    "\n"
	    "[service:b]\n"
	    "command = @SVC@/catch @T@/b TERM=exit:0\n"
	    "cleanup = sh -c '@SVC@/stamp -e @T@/hooks b &&\n"
	    "    sleep 0.5 && @SVC@/stamp @T@/hooks b-end'\n");
	const char *hooks = h_path("hooks");

	if (c == NULL)
		return;
	started(c, "a");
	started(c, "a.grandchild");
	started(c, "b");
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	ck_assert_msg(h_event_count(h_path("a"), "TERM") == 1 &&
	    h_event_count(h_path("a.grandchild"), "TERM") == 1 &&
	    h_event_count(h_path("b"), "TERM") == 1,
	    "every process should get SIGTERM once: a %d, a's grandchild %d, "
	    "b %d", h_event_count(h_path("a"), "TERM"),
	    h_event_count(h_path("a.grandchild"), "TERM"),
	    h_event_count(h_path("b"), "TERM"));
	ck_assert_str_eq(hook_env(hooks, "a"),
	    "CORRAL_EXIT_SIGNAL=TERM CORRAL_REASON=shutdown CORRAL_SERVICE=a");
	ck_assert_str_eq(hook_env(hooks, "b"),
	    "CORRAL_EXIT_CODE=0 CORRAL_REASON=shutdown CORRAL_SERVICE=b");
	ck_assert_msg(h_event_count(hooks, "b-end") == 1,
	    "b's cleanup hook was cut short; %s", h_ctx(c));
}
END_TEST

/* A critical service that exits 7: `unshare` exits 7 (SPEC §6). */
START_TEST(pid1_exit_status_through_unshare)
{
	struct h_proc *c = h_corral_pid1(
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
	pid_t crit;

	if (c == NULL)
		return;
	started(c, "crit");
	started(c, "other");
	crit = ns_pid(c, h_event(h_path("crit"), "start", 0).pid);
	ck_assert_msg(kill(crit, SIGUSR2) == 0, "kill: %s", strerror(errno));
	h_expect_exit(c, 7, H_WAIT_MS);
	ck_assert_str_eq(hook_env(hooks, "crit"),
	    "CORRAL_EXIT_CODE=7 CORRAL_REASON=exit CORRAL_SERVICE=crit");
	ck_assert_str_eq(hook_env(hooks, "other"),
	    "CORRAL_EXIT_SIGNAL=TERM CORRAL_REASON=shutdown CORRAL_SERVICE=other");
}
END_TEST

struct gone_arg {
	pid_t		 pid;
};

static bool
no_such_process(const void *arg)
{
	const struct gone_arg *a = arg;
	struct h_pstat st;

	return !h_pstat(a->pid, &st);
}

/*
 * A grandchild of a service, orphaned to PID 1 (its parent exited), is
 * killed with SIGKILL from outside: corral reaps it, no zombie remains,
 * and the shutdown is still clean.
 */
START_TEST(pid1_reaps_killed_grandchild)
{
	struct h_proc *c = h_corral_pid1(
	    "[service:a]\n"
	    "command = sh -c '@SVC@/catch -b @T@/gc &&\n"
	    "    exec @SVC@/catch @T@/a TERM=die'\n");
	struct gone_arg gone;

	if (c == NULL)
		return;
	started(c, "a");
	started(c, "gc");
	gone.pid = ns_pid(c, h_event(h_path("gc"), "start", 0).pid);
	ck_assert_msg(kill(gone.pid, SIGKILL) == 0, "kill: %s", strerror(errno));
	ck_assert_msg(h_poll_until(no_such_process, &gone, 1000),
	    "the grandchild %d killed by SIGKILL was not reaped within 1 s "
	    "(%d zombies of corral); %s", (int)gone.pid,
	    h_zombies_of(c->corral), h_ctx(c));
	ck_assert_int_eq(h_zombies_of(c->corral), 0);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	ck_assert_msg(h_event_count(h_path("a"), "TERM") == 1,
	    "the service did not get SIGTERM; %s", h_ctx(c));
}
END_TEST

/*
 * A service whose main process daemonizes a grandchild into a session of
 * its own (out of the service's process group, adopted by corral) and
 * exits.  At shutdown the daemon gets SIGTERM once the services are down;
 * if it ignores it, SIGKILL at the end of the longest stop window
 * (500 ms); corral exits only after it is gone, and adopted processes
 * that had to be killed do not make the shutdown unclean.
 */
static void
daemon_at_shutdown(const char *on_term)
{
	struct h_proc *c = h_corral(h_fmt(
	    "[corral]\n"
	    "stop_timeout = 500ms\n"
	    "\n"
	    "[service:d]\n"
	    /* It waits for the daemon to be out of its group before exiting. */
	    "command = sh -c 'setsid -f @SVC@/catch @T@/daemon TERM=%s;\n"
	    "    until test -e @T@/daemon; do sleep 0.01; done; exit 0'\n"
	    "restart = never\n"
	    "stop_timeout = 500ms\n"
	    "cleanup = @SVC@/stamp -e @T@/hooks d\n"
	    "\n"
	    "[service:keep]\n"
	    "command = @SVC@/catch @T@/keep TERM=die\n"
	    "stop_timeout = 500ms\n", on_term));
	struct h_pstat st;
	struct h_event term;
	pid_t daemon;
	int64_t gone_ns;

	started(c, "daemon");
	started(c, "keep");
	daemon = h_event(h_path("daemon"), "start", 0).pid;
	/* The service is over: its main process exited, its group is empty. */
	ck_assert_msg(h_wait_events(h_path("hooks"), "d", 1, H_WAIT_MS),
	    "the service's cleanup hook did not run after it exited; %s",
	    h_ctx(c));
	ck_assert_msg(h_pstat(daemon, &st) && st.sid == daemon &&
	    st.ppid == c->corral, "the daemon %d should lead a session of its "
	    "own and be adopted by corral %d; it is in session %d, child of %d",
	    (int)daemon, (int)c->corral, (int)st.sid, (int)st.ppid);
	ck_assert_msg(h_event_count(h_path("daemon"), "TERM") == 0,
	    "the daemon got SIGTERM before the shutdown; %s", h_ctx(c));

	h_signal(c, SIGTERM);
	ck_assert_msg(h_wait_events(h_path("daemon"), "TERM", 1, H_WAIT_MS),
	    "the adopted daemon never got SIGTERM; %s", h_ctx(c));
	term = h_event(h_path("daemon"), "TERM", 0);
	ck_assert_msg(term.ns > h_event(h_path("keep"), "TERM", 0).ns,
	    "the daemon got SIGTERM before the services were down");
	ck_assert_msg(h_wait_gone(daemon, 3000), "the daemon still runs 3 s "
	    "after its SIGTERM; %s", h_ctx(c));
	gone_ns = h_now_ns();
	/* corral exits only after it is gone: the test never inherits it. */
	h_expect_exit(c, 0, H_WAIT_MS);
	if (strcmp(on_term, "ignore") == 0)
		ck_assert_msg(gone_ns - term.ns >= 400000000 &&
		    gone_ns - term.ns <= 1500000000,
		    "the daemon died %.0f ms after SIGTERM; expected SIGKILL at "
		    "the end of the 500 ms window", H_MS(gone_ns - term.ns));
	else
		ck_assert_msg(gone_ns - term.ns < 400000000,
		    "the daemon took %.0f ms to exit on SIGTERM",
		    H_MS(gone_ns - term.ns));
}

START_TEST(adopted_daemon_terminated_at_shutdown)
{
	daemon_at_shutdown("exit:0");
}
END_TEST

START_TEST(adopted_daemon_killed_after_window)
{
	daemon_at_shutdown("ignore");
}
END_TEST

Suite *
suite_pid1(void)
{
	Suite *s = suite_create("pid1");

	h_add(s, pid1_reaps_orphans, 40);
	h_add(s, subreaper_reaps_orphans, 40);
	h_add(s, pid1_sigterm_graceful_shutdown, 20);
	h_add(s, pid1_exit_status_through_unshare, 20);
	h_add(s, pid1_reaps_killed_grandchild, 20);
	h_add(s, adopted_daemon_terminated_at_shutdown, 20);
	h_add(s, adopted_daemon_killed_after_window, 20);
	return s;
}
