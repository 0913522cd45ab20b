/*
 * corral beside bad neighbours (SPEC §12): a reader of its stdout or
 * stderr that stops reading, a service that stops itself, output that
 * backs up while a service crash-loops.  None of them may freeze the loop,
 * grow corral's memory, or get two runs of one service alive at once.
 *
 * corral's stdout or stderr is a FIFO whose read end the test holds and
 * reads only when it says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctlutil.h"
#include "harness.h"

/*
 * Starts corral on conf (written as is) with fd `which` (1 or 2) on a FIFO
 * whose read end, non-blocking, goes to *rfd; the other one on a file.
 */
static struct h_proc *
pipe_corral(const char *conf, int which, int *rfd)
{
	const char *fifo = h_path("stream.fifo");

	ck_assert_msg(mkfifo(fifo, 0600) == 0, "mkfifo: %s", strerror(errno));
	/* Opened first, so that the shell's open for writing does not wait. */
	*rfd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ck_assert_msg(*rfd >= 0, "open %s: %s", fifo, strerror(errno));
	return h_spawn("corral", NULL, (const char *[]){ "sh", "-c",
	    which == 1 ? "exec \"$0\" -c \"$1\" >\"$2\"" :
	    "exec \"$0\" -c \"$1\" 2>\"$2\" >\"$3\"", getenv("CORRAL_BIN"),
	    h_write("corral.conf", conf), fifo, h_path("corral.out"), NULL });
}

static bool
pipe_full(const void *arg)
{
	return h_pipe_full(*(const int *)arg);
}

/* Reads what the pipe holds into buf (NUL-terminated); returns the count. */
static size_t
read_now(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t r;

	while (len + 1 < cap && ((r = read(fd, buf + len, cap - len - 1)) > 0 ||
	    (r == -1 && errno == EINTR)))
		if (r > 0)
			len += (size_t)r;
	buf[len] = '\0';
	return len;
}

/* Every line of text[0..len) starts with prefix and ends with a newline. */
static const char *
lines_problem(const char *text, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);

	for (const char *l = text, *end = text + len; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));

		if (nl == NULL)
			return h_fmt("a line without its newline: '%.60s'", l);
		if ((size_t)(nl - l) < plen || strncmp(l, prefix, plen) != 0)
			return h_fmt("a line that is not whole: '%.*s'",
			    (int)(nl - l < 80 ? nl - l : 80), l);
		l = nl + 1;
	}
	return NULL;
}

/* Reads to EOF (corral and every service gone) within timeout_ms. */
static char *
read_to_eof(struct h_proc *c, int fd, size_t *len, int timeout_ms)
{
	size_t cap = 1 << 20;
	char *buf = malloc(cap);

	ck_assert_msg(buf != NULL, "out of memory");
	*len = 0;
	for (int64_t until = h_now_ns() + (int64_t)timeout_ms * 1000000;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;

		ck_assert_msg(h_now_ns() < until, "the stream did not end "
		    "within %d ms; %s", timeout_ms, h_ctx(c));
		(void)poll(&p, 1, 100);
		if (cap - *len < 65536)
			ck_assert((buf = realloc(buf, cap *= 2)) != NULL);
		r = read(fd, buf + *len, cap - *len - 1);
		if (r == 0)
			break;
		if (r > 0)
			*len += (size_t)r;
	}
	buf[*len] = '\0';
	return buf;
}

/* A service that restarts at once, for ever: corral logs each run. */
static const char crash_loop[] =
    "[service:crash]\n"
    "command = true\n"
    "restart = always\n"
    "start_seconds = 0\n";

/*
 * Finding 3 of issue 16: with corral's stderr a pipe nobody reads, a
 * crash-looping service and a service that floods its stderr through
 * corral, corral still answers at once and keeps the stop windows.  Before
 * the fix corral slept in pipe_write: status timed out, SIGTERM did
 * nothing.
 */
START_TEST(trust_stuck_stderr_keeps_the_loop)
{
	const char *sock = h_path("ctl.sock");
	int fd;
	struct h_proc *c = pipe_corral(h_fmt(
	    "[corral]\n"
	    "control_socket = %s\n"
	    "%s"
	    "[service:loud]\n"
	    "command = sh -c 'exec yes loud >&2'\n"
	    "output = prefix\n"
	    "stop_timeout = 1s\n", sock, crash_loop), 2, &fd);
	char *text;
	size_t len;

	ck_assert_msg(h_poll_until(pipe_full, &fd, H_WAIT_MS), "corral's "
	    "stderr did not fill up; %s", h_ctx(c));
	for (int i = 0; i < 5; i++) {
		struct cu_run r = cu_ctl(sock, "status", NULL);

		ck_assert_msg(r.code == 0 && strstr(r.out, "crash") != NULL,
		    "status %d with stderr stuck: %s", i, cu_ctx(&r));
	}
	h_signal(c, SIGTERM);
	ck_assert_msg(h_wait_exit(c, H_WAIT_MS), "corral did not exit on "
	    "SIGTERM with its stderr stuck; %s", h_ctx(c));
	/* What it wrote is whole lines, its own or loud's. */
	text = read_to_eof(c, fd, &len, H_WAIT_MS);
	for (char *l = text; *l != '\0'; l = strchr(l, '\n') + 1) {
		ck_assert_msg(strchr(l, '\n') != NULL, "a line without its "
		    "newline at the end of corral's stderr");
		ck_assert_msg(strncmp(l, "corral: ", 8) == 0 ||
		    strncmp(l, "loud | loud\n", 12) == 0,
		    "not a whole line: '%.*s'", (int)strcspn(l, "\n"), l);
	}
	free(text);
	(void)close(fd);
}
END_TEST

/*
 * corral's own lines that the stuck reader could not take are dropped
 * whole and counted; once it reads again, one line says how many.
 */
START_TEST(trust_dropped_lines_are_counted)
{
	const char *sock = h_path("ctl.sock");
	int fd;
	struct h_proc *c = pipe_corral(h_fmt(
	    "[corral]\n"
	    "control_socket = %s\n"
	    "%s", sock, crash_loop), 2, &fd);
	static char buf[1 << 20];
	size_t len = 0;
	struct tj *st;
	bool told = false;

	ck_assert_msg(h_poll_until(pipe_full, &fd, H_WAIT_MS), "corral's "
	    "stderr did not fill up; %s", h_ctx(c));
	/*
	 * Far more lines than the pipe and the 64 KiB queue hold: about 100
	 * bytes of log a restart, so 2000 restarts are 200 KB.  Not more: a
	 * machine busy with other work must reach it within the bound too.
	 */
	for (int64_t until = h_now_ns() + (int64_t)H_WAIT_MS * 1000000 *
	    h_slowdown();;) {
		const struct tj *s, *n;

		st = cu_status(sock);
		s = cu_service(st, "crash");
		n = s != NULL ? tj_get(s, "restarts") : NULL;
		if (n != NULL && tj_is(n, TJ_NUMBER) && n->number > 2000)
			break;
		tj_free(st);
		ck_assert_msg(h_now_ns() < until, "crash did not restart "
		    "2000 times; %s", h_ctx(c));
		h_sleep_ms(20);
	}
	tj_free(st);
	for (int64_t until = h_now_ns() + (int64_t)H_WAIT_MS * 1000000 *
	    h_slowdown(); !told;) {
		struct pollfd p = { fd, POLLIN, 0 };

		ck_assert_msg(h_now_ns() < until, "no line said how many lines "
		    "were dropped; %s", h_ctx(c));
		(void)poll(&p, 1, 100);
		len = read_now(fd, buf, sizeof(buf));
		told = strstr(buf, "lines dropped: stderr was not being "
		    "read") != NULL;
		ck_assert_msg(lines_problem(buf, len, "corral: ") == NULL,
		    "corral's stderr: %s", lines_problem(buf, len, "corral: "));
	}
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	(void)close(fd);
}
END_TEST

/* The start and end records of runs, in order, must alternate. */
static const char *
runs_problem(const char *runs, int *nruns)
{
	char what[8], last = 'e';
	int pid, off = 0, n;

	*nruns = 0;
	while (sscanf(runs + off, "%7s %d%n", what, &pid, &n) == 2) {
		if (what[0] == last)
			return h_fmt("two '%s' in a row at run %d: %s", what,
			    *nruns, runs);
		last = what[0];
		*nruns += what[0] == 's';
		off += n;
	}
	return NULL;
}

/*
 * Finding 4: a main process that exits leaving a writer in its group, a
 * slow reader of corral's stdout and restart = always.  Draining the pipe
 * at the exit used to raise DOWN inside the handling of another event: the
 * next run was declared down while it lived, and two ran side by side.
 * Every run must end before the next one starts.
 */
START_TEST(trust_one_run_at_a_time_under_a_slow_reader)
{
	int fd, nruns = 0;
	const char *runs = h_path("runs"), *problem;
	struct h_proc *c = pipe_corral(h_fmt(
	    "[corral]\n"
	    "control_socket = none\n"
	    "[service:y]\n"
	    "command = sh -c 'echo start $$ >>runs; yes & sleep 0.3; "
	    "echo end $$ >>runs'\n"
	    "directory = %s\n"
	    "output = prefix\n"
	    "restart = always\n"
	    "restart_delay = 0\n"
	    "start_seconds = 0\n"
	    "stop_timeout = 300ms\n", h_dir()), 1, &fd);
	static char buf[1 << 16];

	for (int64_t until = h_now_ns() + 30000LL * 1000000 * h_slowdown();
	    nruns < 6;) {
		char *text = h_read(runs);

		ck_assert_msg(h_now_ns() < until, "only %d runs; %s", nruns,
		    h_ctx(c));
		/* A slow reader: 8 KiB every 50 ms. */
		h_sleep_ms(50);
		(void)!read(fd, buf, 8192);
		problem = text != NULL ? runs_problem(text, &nruns) : NULL;
		ck_assert_msg(problem == NULL, "%s; %s", problem, h_ctx(c));
	}
	h_signal(c, SIGTERM);
	for (int64_t until = h_now_ns() + 5000LL * 1000000 * h_slowdown();
	    !h_wait_exit(c, 10);) {
		ck_assert_msg(h_now_ns() < until, "corral did not exit; %s",
		    h_ctx(c));
		(void)read_now(fd, buf, sizeof(buf));
	}
	ck_assert_msg(h_count_lines(c->err, "internal error") == 0,
	    "corral found a broken invariant; %s", h_ctx(c));
	(void)close(fd);
}
END_TEST

/*
 * corral's VmRSS grew by less than kib since rss0; not compared under ASan
 * (its quarantine keeps what corral frees) or valgrind.
 */
static void
rss_grew_less(struct h_proc *c, long long rss0, long long kib,
    const char *while_)
{
	long long rss = h_status_num(c->corral, "VmRSS");

	if (cu_asan(c->corral) || cu_valgrind(c->corral)) {
		fprintf(stderr, "%s: under ASan or valgrind; RSS not "
		    "compared\n", tcase_name());
		return;
	}
	ck_assert_msg(rss0 > 0 && rss - rss0 < kib, "corral's VmRSS went from "
	    "%lld to %lld KiB %s; %s", rss0, rss, while_, h_ctx(c));
}

static const char *exits_of;

static bool
exits(const void *n)
{
	return h_count_lines(exits_of, "y: exited with status 0") >=
	    *(const int *)n;
}

/*
 * Finding 5: the exit of a service whose stdout is backed up used to read
 * 64 reads of 64 KiB from its pipe whatever the bound: up to 100 MB more
 * RSS at an exit.  The pipe is read no further than the bound lets it.
 * The test reads just enough for y to run again, three times, and leaves
 * each exit backed up (the old corral grew by 11 MB here, this one by 2).
 */
START_TEST(trust_backed_up_stdout_bounds_memory)
{
	int fd;
	const char *sock = h_path("ctl.sock");
	struct h_proc *c = pipe_corral(h_fmt(
	    "[corral]\n"
	    "control_socket = %s\n"
	    "[service:y]\n"
	    "command = sh -c 'yes & sleep 0.5; exit 0'\n"
	    "output = prefix\n"
	    "restart = always\n"
	    "stop_timeout = 300ms\n", sock), 1, &fd);
	struct cu_run r;
	long long rss0;

	ck_assert_msg(h_wait_file(sock, H_WAIT_MS), "no control socket; %s",
	    h_ctx(c));
	r = cu_ctl(sock, "status", NULL);
	ck_assert_msg(r.code == 0, "status: %s", cu_ctx(&r));
	rss0 = h_status_num(c->corral, "VmRSS");
	exits_of = c->err;
	ck_assert_msg(h_wait_text(c->err, "y: exited with status 0", H_WAIT_MS),
	    "y did not exit; %s", h_ctx(c));
	/* Read until y runs again, then leave its next exit backed up. */
	for (int run = 2; run <= 4; run++) {
		for (int64_t until = h_now_ns() + (int64_t)H_WAIT_MS * 1000000 *
		    h_slowdown(); h_count_lines(c->err, "y: running") < run;) {
			static char buf[1 << 16];
			struct pollfd p = { fd, POLLIN, 0 };

			ck_assert_msg(h_now_ns() < until, "y did not run again; "
			    "%s", h_ctx(c));
			(void)poll(&p, 1, 10);
			(void)read_now(fd, buf, sizeof(buf));
		}
		ck_assert_msg(h_wait_until(exits, &run, H_WAIT_MS), "y did not "
		    "exit again; %s", h_ctx(c));
	}
	/* An answer: corral is done with the exit and reads no more now. */
	r = cu_ctl(sock, "status", NULL);
	ck_assert_msg(r.code == 0, "status: %s", cu_ctx(&r));
	rss_grew_less(c, rss0, 8 * 1024, "over exits with its stdout backed up");
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	(void)close(fd);
}
END_TEST

/*
 * Found by review: the bound counted bytes read, but each byte of an empty
 * line became a whole queued line (prefix, chunk header): a 64 KiB read of
 * newlines under a long name held 8 MB.  Memory is charged as it is held,
 * and splitting stops at the bound.
 */
START_TEST(trust_empty_lines_stay_within_the_bound)
{
	int fd;
	const char *sock = h_path("ctl.sock");
	const char *name = "a-service-whose-name-is-long-enough-to-make-each-line-costly";
	struct h_proc *c = pipe_corral(h_fmt(
	    "[corral]\n"
	    "control_socket = %s\n"
	    "[service:%s]\n"
	    "command = sh -c 'tr \"\\\\0\" \"\\\\n\" </dev/zero |\n"
	    "  exec dd bs=64k iflag=fullblock status=none'\n"
	    "output = prefix\n"
	    "stop_timeout = 1s\n", sock, name), 1, &fd);
	long long rss0;
	struct cu_run r;

	ck_assert_msg(h_wait_file(sock, H_WAIT_MS), "no control socket; %s",
	    h_ctx(c));
	rss0 = h_status_num(c->corral, "VmRSS");
	ck_assert_msg(h_poll_until(pipe_full, &fd, H_WAIT_MS), "corral's "
	    "stdout did not fill up; %s", h_ctx(c));
	/* Answers: corral went round its loop, reading until it paused. */
	for (int i = 0; i < 3; i++) {
		r = cu_ctl(sock, "status", NULL);
		ck_assert_msg(r.code == 0, "status: %s", cu_ctx(&r));
	}
	rss_grew_less(c, rss0, 4 * 1024, "with a flood of empty lines backed up");
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	(void)close(fd);
}
END_TEST

/*
 * Found by review: a cleanup hook that ends (or is killed at its
 * cleanup_timeout) with output still in its pipe while nobody reads
 * corral's stdout kept the shutdown waiting for ever.  SIGTERM must end
 * corral within the windows, in both cases.
 */
static void
hook_output_stuck(const char *timeout, int lines, int status)
{
	int fd;
	struct h_proc *c = pipe_corral(h_fmt(
	    "[corral]\n"
	    "control_socket = none\n"
	    "[service:d]\n"
	    "command = sleep 1000\n"
	    "output = prefix\n"
	    "stop_timeout = 1s\n"
	    "cleanup_timeout = %s\n"
	    "cleanup = sh -c 'yes 0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789 | head -n %d'\n",
	    timeout, lines), 1, &fd);

	ck_assert_msg(h_wait_text(c->err, "d: running", H_WAIT_MS), "d did "
	    "not start; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	ck_assert_msg(h_wait_text(c->err, "d: running cleanup hook",
	    H_WAIT_MS), "no hook; %s", h_ctx(c));
	h_expect_exit(c, status, 3 * H_WAIT_MS / 2);
	(void)close(fd);
}

/*
 * It ends with lines in its pipe (more than corral's stdout and corral
 * hold, less than that and its own pipe); nothing bounds the wait but
 * corral.
 */
START_TEST(trust_hook_output_stuck_at_shutdown)
{
	hook_output_stuck("infinity", 1700, 0);
}
END_TEST

/* It blocks on its writes and is killed at its cleanup_timeout: exit 3. */
START_TEST(trust_hook_killed_with_output_stuck)
{
	hook_output_stuck("2s", 5000, 3);
}
END_TEST

/* The pid of corral's one child, waited for. */
static pid_t
only_child(struct h_proc *c)
{
	for (int64_t until = h_now_ns() + (int64_t)H_WAIT_MS * 1000000;;) {
		char *kids = h_read(h_fmt("/proc/%d/task/%d/children",
		    (int)c->corral, (int)c->corral));

		if (kids != NULL && atoi(kids) > 0)
			return atoi(kids);
		ck_assert_msg(h_now_ns() < until, "corral started no child; %s",
		    h_ctx(c));
		h_sleep_ms(5);
	}
}

static bool
is_stopped(const void *arg)
{
	struct h_pstat st;

	return h_pstat(*(const pid_t *)arg, &st) && st.state == 'T';
}

/*
 * Finding 7: a service that is stopped (SIGSTOP) when the shutdown comes
 * acts on its stop signal once corral continues it, as systemd does, and
 * corral exits 0.  Before the fix it was killed at the end of its window
 * and corral exited 3.
 */
START_TEST(trust_stopped_service_is_continued)
{
	struct h_proc *c = h_corral(
	    "[service:s]\n"
	    "command = sh -c 'trap \"exit 0\" TERM; kill -STOP $$; "
	    "while :; do sleep 0.05; done'\n"
	    "stop_timeout = 3s\n");
	pid_t pid = only_child(c);

	ck_assert_msg(h_poll_until(is_stopped, &pid, H_WAIT_MS), "s did not "
	    "stop itself; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, 2500);
	ck_assert_msg(h_count_lines(c->err, "sending KILL") == 0, "s had to "
	    "be killed; %s", h_ctx(c));
}
END_TEST

/*
 * Finding 9: a process that outlived its parent inside a service's group
 * is that service's leftover, not an adopted process; only one that came
 * from outside every service group (here, one that made a session of its
 * own) is adopted.  Before the fix both were counted as adopted.
 */
START_TEST(trust_leftovers_told_from_strangers)
{
	struct h_proc *c = h_corral(
	    "[service:s]\n"
	    "command = sh -c 'setsid sh -c \"echo >@T@/away; exec sleep 0.2\" &\n"
	    "  sleep 30 & exec @SVC@/catch @T@/s TERM=exit:0'\n"
	    "stop_timeout = 3s\n");

	ck_assert_msg(h_wait_events(h_path("s"), "start", 1, H_WAIT_MS) &&
	    h_wait_file(h_path("away"), H_WAIT_MS), "s did not start; %s",
	    h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	ck_assert_msg(h_count_lines(c->err, "report: s: 1 leftover process "
	    "reaped") == 1, "s's leftover was not counted as its own; %s",
	    h_ctx(c));
	ck_assert_msg(h_count_lines(c->err, "report: 1 adopted process "
	    "reaped") == 1, "the process from outside s's group was not "
	    "counted as adopted; %s", h_ctx(c));
}
END_TEST

Suite *
suite_trust(void)
{
	Suite *s = suite_create("trust");

	h_add(s, trust_stuck_stderr_keeps_the_loop, 30);
	h_add(s, trust_dropped_lines_are_counted, 30);
	h_add(s, trust_one_run_at_a_time_under_a_slow_reader, 50);
	h_add(s, trust_backed_up_stdout_bounds_memory, 30);
	h_add(s, trust_empty_lines_stay_within_the_bound, 30);
	h_add(s, trust_hook_output_stuck_at_shutdown, 30);
	h_add(s, trust_hook_killed_with_output_stuck, 30);
	h_add(s, trust_stopped_service_is_continued, 30);
	h_add(s, trust_leftovers_told_from_strangers, 30);
	return s;
}
