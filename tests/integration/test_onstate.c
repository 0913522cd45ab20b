/*
 * on_state (SPEC §16): a run for every change of a service's shown state,
 * in the order of the changes, with the exit of the main process; at most
 * 4 at once, 64 waiting, each bounded by cleanup_timeout; its output on
 * corral's stderr as "on_state | "; the shutdown waits for the runs within
 * shutdown_deadline; `corral -t` refuses an empty one.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctlutil.h"

#define HEAD \
	"[corral]\n" \
	"control_socket = @T@/ctl.sock\n" \
	"status_file = @T@/status.json\n"

/* One line per run: SEQ SERVICE PREV STATE CODE SIGNAL, "-" when unset. */
#define RECORD \
	"printf '%s %s %s %s %s %s\\n' \"$CORRAL_STATE_SEQ\" " \
	"\"$CORRAL_SERVICE\" \"$CORRAL_PREV_STATE\" \"$CORRAL_STATE\" " \
	"\"${CORRAL_EXIT_CODE:--}\" \"${CORRAL_EXIT_SIGNAL:--}\" >> @T@/runs\n"

struct rec {
	unsigned long	 seq;
	char		 svc[65];
	char		 prev[16];
	char		 state[16];
	char		 code[16];
	char		 sig[16];
};

static int
by_seq(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The records of @T@/runs, sorted by CORRAL_STATE_SEQ. */
static int
read_runs(struct rec *r, int max)
{
	FILE *f = fopen(h_path("runs"), "re");
	int n = 0;

	ck_assert_msg(f != NULL, "no runs file");
	while (n < max && fscanf(f, "%lu %64s %15s %15s %15s %15s", &r[n].seq,
	    r[n].svc, r[n].prev, r[n].state, r[n].code, r[n].sig) == 6)
		n++;
	(void)fclose(f);
	qsort(r, (size_t)n, sizeof(*r), by_seq);
	return n;
}

/* Every transition of a crash loop, in order, with its exit code. */
START_TEST(crash_loop_transitions_in_order)
{
	static const char *const want[][3] = {
		{ "idle", "starting", "-" }, { "starting", "running", "-" },
		{ "running", "cleanup", "3" }, { "cleanup", "backoff", "3" },
		{ "backoff", "starting", "-" }, { "starting", "running", "-" },
		{ "running", "cleanup", "3" }, { "cleanup", "backoff", "3" },
		{ "backoff", "starting", "-" }, { "starting", "running", "-" },
		{ "running", "cleanup", "3" }, { "cleanup", "failed", "3" },
	};
	const int nwant = (int)(sizeof(want) / sizeof(want[0]));
	struct rec r[32];
	struct h_proc *c;
	int n;

	h_write("rec.sh", RECORD);
	c = h_corral(HEAD "on_state = /bin/sh @T@/rec.sh\n"
	    "[service:crash]\n"
	    "command = /bin/sh -c 'exit 3'\n"
	    "restart_delay = 0\n"
	    "start_retries = 3\n");
	ck_assert_msg(cu_wait_state(h_path("status.json"), "crash", "failed",
	    H_WAIT_MS), "crash not failed; %s", h_ctx(c));
	ck_assert_msg(h_wait_lines(h_path("runs"), " crash ", nwant, H_WAIT_MS),
	    "%d runs of %d; %s", h_count_lines(h_path("runs"), " crash "),
	    nwant, h_ctx(c));
	n = read_runs(r, 32);
	ck_assert_int_eq(n, nwant);
	for (int i = 0; i < n; i++) {
		ck_assert_msg(r[i].seq == (unsigned long)i + 1 &&
		    strcmp(r[i].svc, "crash") == 0 &&
		    strcmp(r[i].prev, want[i][0]) == 0 &&
		    strcmp(r[i].state, want[i][1]) == 0 &&
		    strcmp(r[i].code, want[i][2]) == 0 &&
		    strcmp(r[i].sig, "-") == 0,
		    "run %d: %lu %s %s %s %s %s, want %s %s %s; runs:\n%s", i,
		    r[i].seq, r[i].svc, r[i].prev, r[i].state, r[i].code,
		    r[i].sig, want[i][0], want[i][1], want[i][2],
		    h_read(h_path("runs")));
	}
	h_signal(c, SIGTERM);
	h_expect_exit(c, 3, H_WAIT_MS);
}
END_TEST

/* The pid a stuck run wrote after "started SERVICE STATE". */
static pid_t
started_pid(const char *err, const char *svc, const char *state)
{
	const char *key = h_fmt("on_state | started %s %s ", svc, state);
	const char *p = strstr(h_read(err), key);

	ck_assert_msg(p != NULL, "no '%s' in:\n%s", key, h_read(err));
	return (pid_t)atoi(p + strlen(key));
}

/* The runs that started in text before the first line holding mark. */
static int
started_before(const char *text, const char *mark)
{
	const char *end = strstr(text, mark);
	int n = 0;

	for (const char *p = text; (p = strstr(p, "on_state | started")) !=
	    NULL && (end == NULL || p < end); p++)
		n++;
	return n;
}

/*
 * Runs that hang are killed at cleanup_timeout, each named in a warning;
 * while 4 are stuck, corral answers and the other 2 wait.
 */
START_TEST(hung_runs_are_killed_at_cleanup_timeout)
{
	static const char *const svcs[] = { "a", "b", "c" };
	static const char *const states[] = { "starting", "running" };
	const char *sock = h_path("ctl.sock");
	struct h_proc *c;
	struct cu_run r;

	h_write("stuck.sh",
	    "echo \"started $CORRAL_SERVICE $CORRAL_STATE $$\"\n"
	    "case $CORRAL_STATE in starting|running) exec sleep 1000;; esac\n");
	c = h_corral(HEAD "on_state = /bin/sh @T@/stuck.sh\n"
	    "cleanup_timeout = 2s\n"
	    "[service:a]\ncommand = sleep 100\n"
	    "[service:b]\ncommand = sleep 100\n"
	    "[service:c]\ncommand = sleep 100\n");
	ck_assert_msg(h_wait_lines(c->err, "on_state | started", 4, H_WAIT_MS),
	    "4 runs did not start; %s", h_ctx(c));
	r = cu_ctl(sock, "status", NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out, "running"), "status: %s",
	    cu_ctx(&r));
	ck_assert_msg(h_wait_lines(c->err, "still running after "
	    "cleanup_timeout 2s; killing it", 6, 3 * H_WAIT_MS),
	    "not all 6 killed; %s", h_ctx(c));
	/* A fifth begins only once a kill freed a slot, whenever we look. */
	ck_assert_msg(started_before(h_read(c->err), "killing it") == 4,
	    "not 4 at once before the first kill; %s", h_ctx(c));
	for (int i = 0; i < 3; i++)
		for (int k = 0; k < 2; k++) {
			ck_assert_msg(h_count_lines(c->err, h_fmt("%s: on_state "
			    "/bin/sh for %s still running", svcs[i],
			    states[k])) == 1, "%s %s; %s", svcs[i], states[k],
			    h_ctx(c));
			ck_assert(h_wait_gone(started_pid(c->err, svcs[i],
			    states[k]), H_WAIT_MS));
		}
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/*
 * 4 runs blocked on a lock the test holds, a crash loop of 100 changes:
 * 64 wait, 32 are dropped, told in one warning once the FIFO drains, and
 * the loop goes on meanwhile.
 */
START_TEST(full_queue_drops_and_counts)
{
	const char *sock = h_path("ctl.sock");
	int lock = open(h_path("lock"), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	unsigned long seq[128];
	struct h_proc *c;
	struct cu_run r;
	FILE *f;
	int n = 0;

	ck_assert_int_ge(lock, 0);
	ck_assert_int_eq(flock(lock, LOCK_EX), 0);
	h_write("blocked.sh", "flock -s @T@/lock true\n"
	    "printf '%s\\n' \"$CORRAL_STATE_SEQ\" >> @T@/seqs\n");
	/* 1 + 25 runs of 2 changes + 24 back-offs of 2 + failed: 100. */
	c = h_corral(HEAD "on_state = /bin/sh @T@/blocked.sh\n"
	    "[service:crash]\n"
	    "command = /bin/sh -c 'exit 3'\n"
	    "restart_delay = 0\n"
	    "start_retries = 25\n");
	ck_assert_msg(cu_wait_state(h_path("status.json"), "crash", "failed",
	    H_WAIT_MS), "crash not failed; %s", h_ctx(c));
	r = cu_ctl(sock, "status", NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out, "failed"), "status: %s",
	    cu_ctx(&r));
	ck_assert_int_eq(close(lock), 0);
	ck_assert_msg(h_wait_lines(c->err, "on_state: 32 runs dropped: 64 were "
	    "already waiting", 1, H_WAIT_MS), "no drop count; %s", h_ctx(c));
	ck_assert(h_wait_lines(h_path("seqs"), "", 68, H_WAIT_MS));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 3, H_WAIT_MS);
	ck_assert_int_eq(h_count_lines(c->err, "runs dropped"), 1);
	f = fopen(h_path("seqs"), "re");
	ck_assert(f != NULL);
	while (n < 128 && fscanf(f, "%lu", &seq[n]) == 1)
		n++;
	(void)fclose(f);
	ck_assert_int_eq(n, 68);
	/* The first 68 changes ran, each once; the later ones were dropped. */
	for (unsigned long want = 1; want <= 68; want++) {
		int k = 0;

		for (int i = 0; i < n; i++)
			k += seq[i] == want;
		ck_assert_msg(k == 1, "seq %lu ran %d times", want, k);
	}
}
END_TEST

/* stdout and stderr of a run both reach corral's stderr, prefixed. */
START_TEST(output_goes_to_stderr_prefixed)
{
	struct h_proc *c = h_corral(HEAD "on_state = /bin/sh -c "
	    "'echo \"out $CORRAL_STATE\"; echo \"err $CORRAL_STATE\" >&2'\n"
	    "[service:a]\ncommand = sleep 100\n");

	ck_assert_msg(h_wait_lines(c->err, "on_state | out running", 1,
	    H_WAIT_MS) && h_wait_lines(c->err, "on_state | err running", 1,
	    H_WAIT_MS), "no output; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	ck_assert_msg(h_count_lines(c->err, "on_state | out stopped") == 1 &&
	    h_count_lines(c->err, "on_state | err stopped") == 1 &&
	    h_count_lines(c->out, "on_state") == 0, "%s", h_ctx(c));
}
END_TEST

/* A command that cannot be executed: said once per run, with the command. */
START_TEST(missing_command_is_logged_per_run)
{
	struct h_proc *c = h_corral(HEAD "on_state = @T@/no-such-alert\n"
	    "[service:a]\ncommand = sleep 100\n");
	const char *what = h_fmt("a: cannot execute on_state %s/no-such-alert "
	    "for ", h_dir());

	ck_assert_msg(h_wait_lines(c->err, h_fmt("%srunning: No such file",
	    what), 1, H_WAIT_MS), "%s", h_ctx(c));
	/* Each run's error is told as it is reaped, in any order. */
	ck_assert_msg(h_wait_lines(c->err, h_fmt("%sstarting: No such file",
	    what), 1, H_WAIT_MS), "%s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	ck_assert_int_eq(h_count_lines(c->err, what), 5);
}
END_TEST

/* corral's exit waits for a run that is still going at the end. */
START_TEST(shutdown_waits_for_runs)
{
	struct h_proc *c;

	h_write("late.sh", "case $CORRAL_STATE in stopped) sleep 0.3;\n"
	    "  echo \"$CORRAL_SERVICE $CORRAL_EXIT_SIGNAL\" > @T@/marker;; esac\n");
	c = h_corral(HEAD "on_state = /bin/sh @T@/late.sh\n"
	    "shutdown_deadline = 20s\n"
	    "[service:a]\ncommand = sleep 100\n");
	ck_assert(cu_wait_state(h_path("status.json"), "a", "running",
	    H_WAIT_MS));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	ck_assert_msg(access(h_path("marker"), F_OK) == 0,
	    "corral exited before its on_state; %s", h_ctx(c));
	ck_assert_str_eq(h_read(h_path("marker")), "a TERM\n");
}
END_TEST

/* A hung run does not hold corral past shutdown_deadline. */
START_TEST(shutdown_deadline_kills_hung_runs)
{
	struct h_proc *c;
	int64_t t0;
	double ms;
	pid_t hung;

	h_write("hang.sh", "case $CORRAL_STATE in stopping)\n"
	    "  echo $$ > @T@/hung.tmp; mv @T@/hung.tmp @T@/hung.pid;\n"
	    "  exec sleep 1000;; esac\n");
	c = h_corral(HEAD "on_state = /bin/sh @T@/hang.sh\n"
	    "shutdown_deadline = 1s\n"
	    "[service:a]\ncommand = sleep 100\n");
	ck_assert(cu_wait_state(h_path("status.json"), "a", "running",
	    H_WAIT_MS));
	t0 = h_now_ns();
	h_signal(c, SIGTERM);
	ck_assert(h_wait_file(h_path("hung.pid"), H_WAIT_MS));
	hung = (pid_t)atoi(h_read(h_path("hung.pid")));
	h_expect_exit(c, 3, H_WAIT_MS);
	ms = H_MS(h_now_ns() - t0);
	ck_assert_msg(ms >= 900 && ms < 1000 + 1500.0 * h_slowdown(),
	    "exit after %.0f ms; %s", ms, h_ctx(c));
	ck_assert_msg(h_count_lines(c->err, "on_state: shutdown_deadline "
	    "reached; killing 1 run") == 1, "%s", h_ctx(c));
	ck_assert(h_wait_gone(hung, H_WAIT_MS));
}
END_TEST

/* `corral -t`: on_state must be a command. */
START_TEST(empty_on_state_is_refused)
{
	const char *conf = h_write("t.conf", "[corral]\non_state = ''\n"
	    "[service:a]\ncommand = /bin/true\n");
	const char *argv[] = { getenv("CORRAL_BIN"), "-t", "-c", conf, NULL };
	struct h_proc *p = h_spawn("check", NULL, argv);

	ck_assert(h_wait_exit(p, H_WAIT_MS));
	ck_assert_msg(WIFEXITED(p->status) && WEXITSTATUS(p->status) == 1 &&
	    strstr(h_read(p->err), h_fmt("%s:2: [corral] on_state: empty "
	    "command", conf)), "corral -t; %s", h_ctx(p));
}
END_TEST

/* A reload that changes on_state: the runs after it use the new one. */
START_TEST(reload_changes_the_command)
{
	const char *sock = h_path("ctl.sock");
	const char *conf = HEAD "on_state = /bin/sh -c "
	    "'echo \"%s $CORRAL_STATE\" >> @T@/which'\n"
	    "[service:a]\ncommand = sleep 100\n";
	struct h_proc *c = h_corral(h_fmt(conf, "old"));
	struct cu_run r;

	ck_assert(h_wait_lines(h_path("which"), "old running", 1, H_WAIT_MS));
	h_write("corral.conf", h_fmt(conf, "new"));
	r = cu_ctl(sock, "reload", NULL);
	ck_assert_msg(r.code == 0, "reload: %s", cu_ctx(&r));
	r = cu_ctl(sock, "restart", "a", NULL);
	ck_assert_msg(r.code == 0, "restart: %s", cu_ctx(&r));
	ck_assert_msg(h_wait_lines(h_path("which"), "new running", 1,
	    H_WAIT_MS), "%s", h_read(h_path("which")));
	ck_assert_int_eq(h_count_lines(h_path("which"), "old stopping"), 0);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/* A reload that removes on_state: the waiting runs go, the running end. */
START_TEST(reload_removing_it_drops_the_waiting)
{
	const char *sock = h_path("ctl.sock");
	int lock = open(h_path("lock"), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	const char *svcs = "[service:a]\ncommand = sleep 100\n"
	    "[service:b]\ncommand = sleep 100\n"
	    "[service:c]\ncommand = sleep 100\n";
	struct h_proc *c;
	struct cu_run r;

	ck_assert_int_ge(lock, 0);
	ck_assert_int_eq(flock(lock, LOCK_EX), 0);
	h_write("blocked.sh", "echo \"started $CORRAL_SERVICE\"\n"
	    "flock -s @T@/lock true\n");
	c = h_corral(h_fmt(HEAD "on_state = /bin/sh @T@/blocked.sh\n%s", svcs));
	ck_assert_msg(h_wait_lines(c->err, "on_state | started", 4, H_WAIT_MS),
	    "4 runs did not start; %s", h_ctx(c));
	/* Six changes: four runs, two waiting, whatever order the execs end. */
	ck_assert(cu_wait_all(h_path("status.json"), "running", "a", "b", "c",
	    NULL) == NULL);
	h_write("corral.conf", h_fmt(HEAD "%s", svcs));
	r = cu_ctl(sock, "reload", NULL);
	ck_assert_msg(r.code == 0, "reload: %s", cu_ctx(&r));
	ck_assert_msg(h_wait_lines(c->err, "on_state: no longer set; 2 waiting "
	    "runs dropped", 1, H_WAIT_MS), "%s", h_ctx(c));
	ck_assert_int_eq(close(lock), 0);
	r = cu_ctl(sock, "restart", "a", NULL);
	ck_assert_msg(r.code == 0, "restart: %s", cu_ctx(&r));
	/*
	 * Its changes are done before the shutdown's: under valgrind, where
	 * vfork is a fork, a TERM sent before the new run's exec was seen
	 * lost, and a was killed at the end of its window (exit 3).
	 */
	ck_assert_msg(h_wait_lines(c->err, "a: running (pid", 2, H_WAIT_MS),
	    "a did not run again; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	ck_assert_int_eq(h_count_lines(c->err, "on_state | started"), 4);
}
END_TEST

Suite *
suite_onstate(void)
{
	Suite *s = suite_create("onstate");

	h_add(s, crash_loop_transitions_in_order, 30);
	h_add(s, hung_runs_are_killed_at_cleanup_timeout, 40);
	h_add(s, full_queue_drops_and_counts, 30);
	h_add(s, output_goes_to_stderr_prefixed, 30);
	h_add(s, missing_command_is_logged_per_run, 30);
	h_add(s, shutdown_waits_for_runs, 30);
	h_add(s, shutdown_deadline_kills_hung_runs, 30);
	h_add(s, empty_on_state_is_refused, 30);
	h_add(s, reload_changes_the_command, 30);
	h_add(s, reload_removing_it_drops_the_waiting, 30);
	return s;
}
