/*
 * Output modes (SPEC §3 output; corral.conf(5)): prefix loses no line and
 * mixes none, even with four services writing as fast as they can and a
 * shutdown in the middle; a reader that stops reading slows the services,
 * never corral; long lines are cut at 8192 bytes and a last line without
 * its newline still comes out; file: appends.
 *
 * The writers are svc/flood (numbered lines, a count of what it wrote at
 * SIGTERM) and svc/bigline (one long line, then one without a newline).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctlutil.h"

#define FLOOD_MAX	8

/* How many lines flood NAME wrote, from its count record. */
static unsigned long
flood_count(struct h_proc *c, const char *name)
{
	const char *file = h_path(h_fmt("%s.count", name));

	ck_assert_msg(h_event_count(file, "count") == 1, "%s wrote no count "
	    "(or more than one) at SIGTERM; %s", name, h_ctx(c));
	return strtoul(h_event(file, "count", 0).rest, NULL, 10);
}

/*
 * Checks the output of floods names[0..n-1], which wrote counts[i] lines
 * each: every line is "NAME | NAME SEQ PAYLOAD" with the payload flood
 * writes for SEQ, and each SEQ below the count is there exactly once.
 * NULL if so, else the first problem.
 */
static const char *
flood_problem(const char *text, size_t len, const char *const *names,
    const unsigned long *counts, int n)
{
	unsigned char *seen[FLOOD_MAX];
	const char *problem = NULL, *end = text + len;
	unsigned long lineno = 0;

	for (int i = 0; i < n; i++) {
		seen[i] = calloc(counts[i] + 1, 1);
		ck_assert_msg(seen[i] != NULL, "out of memory");
	}
	if (len > 0 && text[len - 1] != '\n')
		problem = "the output does not end with a newline";
	for (const char *l = text; problem == NULL && l < end; lineno++) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t ll = nl ? (size_t)(nl - l) : (size_t)(end - l);
		const char *line = h_fmt("%.*s", (int)ll, l), *bar, *p;
		unsigned long seq, plen;
		char *num_end;
		int who = -1;

		bar = strstr(line, " | ");
		for (int i = 0; bar && i < n; i++)
			if ((size_t)(bar - line) == strlen(names[i]) &&
			    strncmp(line, names[i], strlen(names[i])) == 0)
				who = i;
		if (who < 0) {
			problem = h_fmt("line %lu has no known 'NAME | ' prefix: "
			    "'%.200s'", lineno + 1, line);
			break;
		}
		p = bar + 3;
		if (strncmp(p, names[who], strlen(names[who])) != 0 ||
		    p[strlen(names[who])] != ' ') {
			problem = h_fmt("line %lu is prefixed %s but is not %s's "
			    "(mixed or cut): '%.200s'", lineno + 1, names[who],
			    names[who], line);
			break;
		}
		p += strlen(names[who]) + 1;
		seq = strtoul(p, &num_end, 10);
		if (num_end == p || *num_end != ' ') {
			problem = h_fmt("line %lu: no number: '%.200s'",
			    lineno + 1, line);
			break;
		}
		p = num_end + 1;
		plen = seq * 7 % 61;
		for (unsigned long i = 0; problem == NULL && i <= plen; i++)
			if (i == plen ? p[i] != '\0' :
			    p[i] != (char)('a' + (seq + i) % 26))
				problem = h_fmt("line %lu (%s's %lu) is not whole: "
				    "'%.200s'", lineno + 1, names[who], seq, line);
		if (problem == NULL && seq >= counts[who])
			problem = h_fmt("line %lu: %s's line %lu, but it counted "
			    "only %lu written", lineno + 1, names[who], seq,
			    counts[who]);
		else if (problem == NULL && seen[who][seq]++ != 0)
			problem = h_fmt("line %lu: %s's line %lu a second time",
			    lineno + 1, names[who], seq);
		l += ll + 1;
	}
	for (int i = 0; i < n; i++) {
		for (unsigned long s = 0; problem == NULL && s < counts[i]; s++)
			if (seen[i][s] != 1)
				problem = h_fmt("%s's line %lu of %lu is missing",
				    names[i], s, counts[i]);
		free(seen[i]);
	}
	return problem;
}

START_TEST(output_prefix_loses_and_mixes_nothing)
{
	static const char *const names[] = { "w1", "w2", "w3", "w4" };
	struct h_proc *c = h_corral(
	    "[service:w1]\n"
	    "command = @SVC@/flood -m 100000 @T@/w1.mark @T@/w1.count w1\n"
	    "output = prefix\n"
	    "\n"
	    "[service:w2]\n"
	    "command = @SVC@/flood -m 100000 @T@/w2.mark @T@/w2.count w2\n"
	    "output = prefix\n"
	    "\n"
	    "[service:w3]\n"
	    "command = @SVC@/flood -m 100000 @T@/w3.mark @T@/w3.count w3\n"
	    "output = prefix\n"
	    "\n"
	    "[service:w4]\n"
	    "command = @SVC@/flood -m 100000 @T@/w4.mark @T@/w4.count w4\n"
	    "output = prefix\n");
	unsigned long counts[4], total = 0;
	const char *problem;
	size_t len;
	char *text;

	for (int i = 0; i < 4; i++)
		ck_assert_msg(h_wait_file(h_path(h_fmt("%s.mark", names[i])),
		    20000), "%s did not get 100,000 lines out within 20 s; %s",
		    names[i], h_ctx(c));
	/* They are still writing: the shutdown cuts into the flood. */
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, 20000);
	for (int i = 0; i < 4; i++) {
		counts[i] = flood_count(c, names[i]);
		ck_assert_msg(counts[i] >= 100000, "%s counted %lu lines",
		    names[i], counts[i]);
		total += counts[i];
	}
	text = cu_slurp(c->out, &len);
	ck_assert_msg(text != NULL, "no stdout file %s", c->out);
	problem = flood_problem(text, len, names, counts, 4);
	free(text);
	ck_assert_msg(problem == NULL, "corral's stdout (%zu bytes, %lu lines "
	    "written in all): %s", len, total, problem);
	fprintf(stderr, "%s: %lu lines (%zu bytes) checked\n", tcase_name(),
	    total, len);
}
END_TEST

/* Appends what is in the pipe now to *buf. */
static void
drain(int fd, char **buf, size_t *len, size_t *cap)
{
	for (;;) {
		ssize_t r;

		if (*cap - *len < 65536) {
			*buf = realloc(*buf, *cap *= 2);
			ck_assert_msg(*buf != NULL, "out of memory");
		}
		r = read(fd, *buf + *len, *cap - *len - 1);
		if (r > 0) {
			*len += (size_t)r;
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		return;
	}
}

struct flood_arg {
	int	 fd;		/* the read end of corral's stdout */
	pid_t	 corral;
	pid_t	*flood;		/* set by flood_blocked() */
};

static bool
pipe_full(const void *arg)
{
	const struct flood_arg *a = arg;

	return h_pipe_full(a->fd);
}

/* Whether corral's one child, the flood, sleeps in a write to its pipe. */
static bool
flood_blocked(const void *arg)
{
	const struct flood_arg *a = arg;
	char *kids = h_read(h_fmt("/proc/%d/task/%d/children", (int)a->corral,
	    (int)a->corral));
	char *wchan;

	if (kids == NULL || (*a->flood = atoi(kids)) <= 0)
		return false;
	wchan = h_read(h_fmt("/proc/%d/wchan", (int)*a->flood));
	/* pipe_write, or anon_pipe_write on newer kernels. */
	return wchan != NULL && strstr(wchan, "pipe_write") != NULL;
}

/* A growing buffer of what the test read from corral's stdout. */
struct sink {
	int	 fd;		/* the read end of the FIFO */
	char	*buf;
	size_t	 len;
	size_t	 cap;
};

/*
 * Starts corral on conf (written as corral.conf, as is: it must name its
 * control_socket) with its stdout on a FIFO whose read end the test holds,
 * and its stderr on a file of its own.
 */
static struct h_proc *
fifo_corral(const char *conf, struct sink *k)
{
	const char *fifo = h_path("stdout.fifo");

	k->len = 0;
	k->cap = 1 << 20;
	k->buf = malloc(k->cap);
	ck_assert_msg(k->buf != NULL, "out of memory");
	ck_assert_msg(mkfifo(fifo, 0600) == 0, "mkfifo: %s", strerror(errno));
	/* Opened first, so that the shell's open for writing does not wait. */
	k->fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ck_assert_msg(k->fd >= 0, "open %s: %s", fifo, strerror(errno));
	return h_spawn("corral", NULL, (const char *[]){ "sh", "-c",
	    "exec \"$0\" -c \"$1\" >\"$2\"", getenv("CORRAL_BIN"),
	    h_write("corral.conf", conf), fifo, NULL });
}

/* Reads until at least min bytes came, within 5 s. */
static void
read_some_bytes(struct h_proc *c, struct sink *k, size_t min)
{
	for (int64_t until = h_now_ns() + 5000000000LL; k->len < min;) {
		struct pollfd p = { k->fd, POLLIN, 0 };

		ck_assert_msg(h_now_ns() < until, "only %zu bytes on corral's "
		    "stdout within 5 s; %s", k->len, h_ctx(c));
		(void)poll(&p, 1, 100);
		drain(k->fd, &k->buf, &k->len, &k->cap);
	}
}

/* Reads to EOF (no writer left: corral exited), within timeout_ms. */
static void
read_to_end(struct h_proc *c, struct sink *k, int timeout_ms)
{
	for (int64_t until = h_now_ns() + (int64_t)timeout_ms * 1000000;;) {
		struct pollfd p = { k->fd, POLLIN, 0 };
		ssize_t r;

		ck_assert_msg(h_now_ns() < until, "corral's stdout did not end "
		    "within %d ms of reading again; %s", timeout_ms, h_ctx(c));
		(void)poll(&p, 1, 100);
		drain(k->fd, &k->buf, &k->len, &k->cap);
		r = read(k->fd, k->buf + k->len, 1);
		if (r == 0)
			break;
		if (r == 1)
			k->len++;
	}
}

/* NULL if every line of the sink is exactly line, else the problem. */
static const char *
all_lines_are(const struct sink *k, const char *line)
{
	size_t ll = strlen(line), n = 0;

	for (size_t off = 0; off < k->len; off += ll + 1, n++)
		if (k->len - off < ll + 1 || memcmp(k->buf + off, line, ll) != 0 ||
		    k->buf[off + ll] != '\n')
			return h_fmt("line %zu is '%.*s', not '%s'", n + 1,
			    (int)strcspn(k->buf + off, "\n"), k->buf + off, line);
	return NULL;
}

START_TEST(output_slow_reader_never_blocks_corral)
{
	static const char *const names[] = { "f" };
	const char *fifo = h_path("stdout.fifo"), *conf;
	pid_t flood = 0;
	struct flood_arg a = { .fd = -1, .flood = &flood };
	size_t len = 0, cap = 1 << 20;
	char *buf = malloc(cap);
	unsigned long count;
	const char *problem;
	struct h_proc *c;
	int64_t t0, sent, logged;

	ck_assert_msg(buf != NULL, "out of memory");
	ck_assert_msg(mkfifo(fifo, 0600) == 0, "mkfifo: %s", strerror(errno));
	/* Opened first, so that the shell's open for writing does not wait. */
	a.fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ck_assert_msg(a.fd >= 0, "open %s: %s", fifo, strerror(errno));
	conf = h_write("corral.conf",
	    "[corral]\n"
	    "control_socket = none\n"
	    "\n"
	    "[service:f]\n"
	    "command = @SVC@/flood @T@/f.count f\n"
	    "output = prefix\n"
	    "stop_timeout = 20s\n");
	/* corral's stdout is the pipe; its stderr stays a file of its own. */
	c = h_spawn("corral", NULL, (const char *[]){ "sh", "-c",
	    "exec \"$0\" -c \"$1\" >\"$2\"", getenv("CORRAL_BIN"), conf, fifo,
	    NULL });
	a.corral = c->corral;

	/* Read a while: the lines flow. */
	for (int64_t until = h_now_ns() + 5000000000LL; len < 1 << 20;) {
		struct pollfd p = { a.fd, POLLIN, 0 };

		ck_assert_msg(h_now_ns() < until, "only %zu bytes on corral's "
		    "stdout within 5 s; %s", len, h_ctx(c));
		(void)poll(&p, 1, 100);
		drain(a.fd, &buf, &len, &cap);
	}

	/* Stop reading: the pipe fills, then corral's queue, then f blocks. */
	t0 = h_now_ns();
	ck_assert_msg(h_poll_until(pipe_full, &a, 2000), "corral's stdout "
	    "pipe did not fill up; %s", h_ctx(c));
	ck_assert_msg(h_poll_until(flood_blocked, &a, 2000), "the service "
	    "did not end up blocked on its own pipe (back-pressure); its "
	    "wchan is '%s'; %s", flood > 0 ? h_read(h_fmt("/proc/%d/wchan",
	    (int)flood)) : "(no service)", h_ctx(c));
	sent = h_now_ns();
	h_signal(c, SIGTERM);
	ck_assert_msg(h_wait_text(c->err, "corral: shutting down", 2000),
	    "no 'shutting down' line 2 s after SIGTERM while nobody reads "
	    "corral's stdout; %s", h_ctx(c));
	logged = h_now_ns();
	ck_assert_msg(logged - sent < 100000000, "the shutdown started %.0f ms "
	    "after SIGTERM while nobody read corral's stdout; expected < 100 "
	    "ms", H_MS(logged - sent));
	/* The rest of the 3 s: nothing may be dropped meanwhile either. */
	if (t0 + 3000000000LL > h_now_ns())
		h_sleep_ms((int)((t0 + 3000000000LL - h_now_ns()) / 1000000));
	ck_assert_msg(!c->reaped && h_alive(c->corral), "corral did not wait "
	    "for its reader; %s", h_ctx(c));

	/* Read again, to the end: corral exits, the pipe reaches EOF. */
	for (int64_t until = h_now_ns() + 15000000000LL;;) {
		struct pollfd p = { a.fd, POLLIN, 0 };
		ssize_t r;

		ck_assert_msg(h_now_ns() < until, "corral's stdout did not end "
		    "within 15 s of reading again; %s", h_ctx(c));
		(void)poll(&p, 1, 100);
		drain(a.fd, &buf, &len, &cap);
		r = read(a.fd, buf + len, 1);
		if (r == 0)
			break;		/* EOF: no writer left */
		if (r == 1)
			len++;
	}
	h_expect_exit(c, 0, H_WAIT_MS);
	ck_assert_msg(h_count_lines(c->err, "dropping") == 0, "corral dropped "
	    "output; %s", h_ctx(c));
	count = flood_count(c, "f");
	problem = flood_problem(buf, len, names, &count, 1);
	ck_assert_msg(problem == NULL, "corral's stdout (%zu bytes, %lu lines "
	    "written): %s", len, count, problem);
	fprintf(stderr, "%s: shutdown logged %.1f ms after SIGTERM, %lu lines "
	    "checked\n", tcase_name(), H_MS(logged - sent), count);
	free(buf);
	(void)close(a.fd);
}
END_TEST

/*
 * A reader that stops reading does not hold corral's shutdown beyond the
 * windows (SPEC §12): the service's pipe waits for the reader until its
 * stop window ends, then corral exits, writing what the pipe takes without
 * waiting, and says what it dropped.  What did go out is whole lines.
 */
START_TEST(output_lines_queued_at_exit)
{
	struct sink k;
	struct h_proc *c = fifo_corral(
	    "[corral]\n"
	    "control_socket = none\n"
	    "\n"
	    "[service:y]\n"
	    "command = yes\n"
	    "output = prefix\n"
	    "stop_timeout = 1s\n", &k);
	struct flood_arg a = { .fd = k.fd };
	const char *problem;

	read_some_bytes(c, &k, 1 << 16);
	ck_assert_msg(h_poll_until(pipe_full, &a, 2000), "corral's stdout "
	    "pipe did not fill up; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	/* Nobody reads: corral exits all the same, within y's window. */
	h_expect_exit(c, 0, H_WAIT_MS);
	ck_assert_msg(h_count_lines(c->err, "dropped") >= 1 &&
	    h_count_lines(c->err, "stdout was not being read") >= 1,
	    "corral did not say what it dropped; %s", h_ctx(c));
	read_to_end(c, &k, 10000);
	problem = all_lines_are(&k, "y | y");
	ck_assert_msg(problem == NULL, "corral's stdout (%zu bytes): %s; %s",
	    k.len, problem, h_ctx(c));
	free(k.buf);
	(void)close(k.fd);
}
END_TEST

/*
 * A reload removes a service while lines of it wait for a slow reader:
 * they still come out, whole, when the reader reads again, and corral
 * goes on.
 */
START_TEST(output_reload_removes_service_with_queued_lines)
{
	static const char tail[] =
	    "\n"
	    "[service:k]\n"
	    "command = @SVC@/catch @T@/k TERM=die\n";
	struct sink k;
	struct h_proc *c = fifo_corral(h_fmt(
	    "[corral]\n"
	    "control_socket = @T@/ctl.sock\n"
	    "\n"
	    "[service:y]\n"
	    "command = yes\n"
	    "output = prefix\n"
	    "stop_timeout = 300ms\n"
	    "%s", tail), &k);
	const char *sock = h_path("ctl.sock"), *problem, *why, *reply;
	struct flood_arg a = { .fd = k.fd };
	struct cu_run r;

	ck_assert_msg(h_wait_events(h_path("k"), "start", 1, H_WAIT_MS),
	    "k did not start; %s", h_ctx(c));
	read_some_bytes(c, &k, 1 << 16);
	ck_assert_msg(h_poll_until(pipe_full, &a, 2000), "corral's stdout "
	    "pipe did not fill up; %s", h_ctx(c));
	(void)h_write("corral.conf", h_fmt(
	    "[corral]\n"
	    "control_socket = @T@/ctl.sock\n"
	    "%s", tail));
	r = cu_ctl(sock, "reload", NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out, "stop y"), "reload: %s",
	    cu_ctx(&r));
	ck_assert_msg(h_wait_text(c->err, "corral: y: killed by TERM",
	    H_WAIT_MS), "y did not end; %s", h_ctx(c));
	/* An answer means corral went round its loop: y is gone for good. */
	reply = cu_request(sock, "status\n", 7, H_WAIT_MS, &why);
	ck_assert_msg(reply != NULL && !strstr(reply, "\ny "), "status: %s",
	    reply ? reply : why);

	read_some_bytes(c, &k, k.len + (1 << 17));
	reply = cu_request(sock, "status\n", 7, H_WAIT_MS, &why);
	ck_assert_msg(reply != NULL && strncmp(reply, "ok\n", 3) == 0,
	    "corral does not answer after writing the removed service's "
	    "lines: %s; %s", reply ? reply : why, h_ctx(c));
	h_signal(c, SIGTERM);
	read_to_end(c, &k, 10000);
	h_expect_exit(c, 0, H_WAIT_MS);
	problem = all_lines_are(&k, "y | y");
	ck_assert_msg(problem == NULL && h_count_lines(c->err, "dropping") == 0,
	    "corral's stdout (%zu bytes): %s; %s", k.len, problem ? problem :
	    "lines dropped", h_ctx(c));
	free(k.buf);
	(void)close(k.fd);
}
END_TEST

/* Byte i of bigline's long line. */
static char
big_byte(size_t i)
{
	static const char alphabet[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

	return alphabet[i % 251 % 62];
}

/*
 * Checks what corral made of bigline's output under prefix name: pieces
 * of at most 8192 bytes (none empty) that make up the long line in order,
 * then the tail.  NULL if so, else the problem.
 */
static const char *
big_problem(const char *text, size_t len, const char *name, size_t bytes,
    const char *tail)
{
	const char *prefix = h_fmt("%s | ", name), *end = text + len;
	size_t plen = strlen(prefix), off = 0, pieces = 0;
	bool tail_seen = false;

	for (const char *l = text; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t ll = nl ? (size_t)(nl - l) : (size_t)(end - l);

		if (nl == NULL)
			return "corral's output ends without a newline";
		if (ll < plen || strncmp(l, prefix, plen) != 0) {
			l = nl + 1;
			continue;	/* another service's */
		}
		l += plen;
		ll -= plen;
		if (tail_seen)
			return h_fmt("a line after the tail: '%.100s'", l);
		if (off == bytes) {
			if (ll != strlen(tail) || strncmp(l, tail, ll) != 0)
				return h_fmt("after the long line, '%.*s' instead of "
				    "the tail '%s'", (int)(ll > 100 ? 100 : ll), l,
				    tail);
			tail_seen = true;
		} else {
			if (ll == 0)
				return h_fmt("an empty piece after %zu bytes",
				    off);
			if (ll > 8192)
				return h_fmt("a piece of %zu bytes; at most 8192 "
				    "expected", ll);
			if (off + ll > bytes)
				return h_fmt("the pieces add up to more than %zu "
				    "bytes", bytes);
			for (size_t i = 0; i < ll; i++)
				if (l[i] != big_byte(off + i))
					return h_fmt("byte %zu of the long line "
					    "is wrong (piece %zu)", off + i,
					    pieces + 1);
			off += ll;
			pieces++;
		}
		l = nl + 1;
	}
	if (!tail_seen)
		return h_fmt("%zu of %zu bytes of the long line, and no tail",
		    off, bytes);
	return NULL;
}

START_TEST(output_long_and_unterminated_lines)
{
	struct h_proc *c = h_corral(
	    "[service:big]\n"
	    "command = @SVC@/bigline 1048576 last-line-without-newline\n"
	    "output = prefix\n"
	    "restart = never\n"
	    "\n"
	    "[service:odd]\n"
	    "command = @SVC@/bigline 1049576 odd-tail\n"
	    "output = prefix\n"
	    "restart = never\n"
	    "\n"
	    "[service:err]\n"
	    "command = sh -c 'printf \"on stderr, no newline\" >&2'\n"
	    "output = prefix\n"
	    "restart = never\n");
	const char *problem;
	size_t len;
	char *text;

	ck_assert_msg(h_wait_text(c->out, "big | last-line-without-newline\n",
	    H_WAIT_MS) && h_wait_text(c->out, "odd | odd-tail\n", H_WAIT_MS),
	    "a last line without a newline did not come out whole; %s",
	    h_ctx(c));
	ck_assert_msg(h_wait_text(c->err, "err | on stderr, no newline\n",
	    H_WAIT_MS), "a last line without a newline on stderr did not come "
	    "out; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	text = cu_slurp(c->out, &len);
	ck_assert_msg(text != NULL, "no stdout file %s", c->out);
	problem = big_problem(text, len, "big", 1048576,
	    "last-line-without-newline");
	if (problem == NULL)
		problem = big_problem(text, len, "odd", 1049576, "odd-tail");
	free(text);
	ck_assert_msg(problem == NULL, "a 1 MiB line on corral's stdout: %s",
	    problem);
}
END_TEST

static bool
three_runs(const void *path)
{
	return h_count_lines(path, "run ") >= 3;
}

START_TEST(output_file_appends)
{
	const char *runs = h_write("runs.log", "before corral\n");
	const char *fresh = h_path("fresh.log"), *text;
	static const char conf[] =
	    "[corral]\n"
	    /* runs crash-loops on purpose: its back-off is not the point. */
	    "strict = no\n"
	    "\n"
	    "[service:runs]\n"
	    /* The shutdown's TERM must not fall between the two lines. */
	    "command = sh -c 'trap \"\" TERM; echo \"run $$\";\n"
	    "    echo \"err $$\" >&2'\n"
	    "output = file:@T@/runs.log\n"
	    "restart = always\n"
	    "restart_delay = 10ms\n"
	    "restart_delay_max = 10ms\n"
	    "start_retries = 1000\n"
	    "\n"
	    "[service:fresh]\n"
	    "command = sh -c 'echo hello'\n"
	    "output = file:@T@/fresh.log\n"
	    "restart = never\n";
	struct h_proc *c = h_corral(conf);
	int nruns;
	struct stat st;

	ck_assert_msg(h_wait_until(three_runs, runs, H_WAIT_MS),
	    "runs.log has %d runs; %s", h_count_lines(runs, "run "), h_ctx(c));
	ck_assert_msg(h_wait_text(fresh, "hello\n", H_WAIT_MS), "fresh.log: %s",
	    h_tail(fresh));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	text = h_read(runs);
	nruns = h_count_lines(runs, "run ");
	ck_assert_msg(strncmp(text, "before corral\n", 14) == 0,
	    "what was in the file before is gone:\n%s", h_tail(runs));
	ck_assert_msg(nruns >= 3 && h_count_lines(runs, "err ") == nruns &&
	    h_count_lines(runs, "") == 1 + 2 * nruns, "runs.log should hold the "
	    "first line and a 'run' and an 'err' line per run:\n%s",
	    h_tail(runs));
	ck_assert_msg(h_count_lines(c->out, "run ") == 0 &&
	    h_count_lines(c->err, "err ") == 0, "output went to corral's too; "
	    "%s", h_ctx(c));
	ck_assert_msg(stat(fresh, &st) == 0 && (st.st_mode & 0777) == 0640,
	    "a file corral creates for output should have mode 0640, not %04o",
	    st.st_mode & 0777);

	/* A second corral appends too. */
	c = h_corral(conf);
	ck_assert_msg(h_wait_text(fresh, "hello\nhello\n", H_WAIT_MS),
	    "fresh.log after a second corral: %s", h_tail(fresh));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	ck_assert_msg(strncmp(h_read(runs), text, strlen(text)) == 0,
	    "the second corral did not append to runs.log");
}
END_TEST

/*
 * SPEC §12: a service whose user can write its log directory swaps its
 * log file for a symlink to a root-owned file and exits.  Its next starts
 * write to the file corral opened before (SPEC §16: a file sink stays open
 * across restarts); `corralctl reopen` then meets the symlink, refuses it
 * (and would open it as nobody anyway): the root-owned file is untouched.
 */
START_TEST(output_file_symlink_refused)
{
	struct passwd *pw = h_nobody_or_skip();
	const char *dir, *target, *status = h_path("status.json");
	const char *sock = h_path("ctl.sock");
	struct stat before, after;
	struct cu_run r;
	struct h_proc *c;

	if (pw == NULL)
		return;
	dir = h_mkdir("logs", 0755, pw->pw_uid, pw->pw_gid);
	target = h_write("target", "root's own\n");
	ck_assert_msg(chmod(target, 0600) == 0 && stat(target, &before) == 0,
	    "%s: %s", target, strerror(errno));
	c = h_corral(h_fmt(
	    "[corral]\n"
	    /* evil crash-loops on purpose: its back-off is not the point. */
	    "strict = no\n"
	    "status_file = @T@/status.json\n"
	    "control_socket = @T@/ctl.sock\n"
	    "\n"
	    "[service:evil]\n"
	    "command = sh -c 'echo run >>%s/runs; echo planted;\n"
	    "    ln -sfn %s %s/app.log'\n"
	    "user = nobody\n"
	    "output = file:%s/app.log\n"
	    "restart = always\n"
	    "restart_delay = 0\n"
	    "start_retries = 3\n", dir, target, dir, dir));
	/* A bounded number of starts: start_retries, then failed. */
	ck_assert_msg(cu_wait_state(status, "evil", "failed", H_WAIT_MS),
	    "evil is '%s', expected 'failed' after 3 starts; runs: %s; %s",
	    cu_file_state(status, "evil"), h_tail(h_fmt("%s/runs", dir)),
	    h_ctx(c));
	r = cu_ctl(sock, "reopen", NULL);
	ck_assert_msg(r.code == 0, "corralctl reopen: %s", cu_ctx(&r));
	ck_assert_msg(h_wait_text(c->err, h_fmt("evil: unable to open output "
	    "file %s/app.log for evil: %s (a symlink in a directory its user "
	    "can write is not followed)", dir, strerror(ELOOP)), H_WAIT_MS),
	    "corral did not report the refused symlink with its path and "
	    "'%s'; %s", strerror(ELOOP), h_ctx(c));
	ck_assert_msg(stat(target, &after) == 0, "%s: %s", target,
	    strerror(errno));
	ck_assert_msg(strcmp(h_read(target), "root's own\n") == 0 &&
	    after.st_size == before.st_size && after.st_uid == 0 &&
	    (after.st_mode & 07777) == 0600, "the root-owned file behind the "
	    "symlink was written to (%lld bytes, owner %d, mode %04o):\n%s",
	    (long long)after.st_size, (int)after.st_uid,
	    (unsigned)(after.st_mode & 07777), h_tail(target));
	ck_assert_msg(h_count_lines(h_fmt("%s/runs", dir), "run") == 3,
	    "evil ran %d times, not start_retries (3)",
	    h_count_lines(h_fmt("%s/runs", dir), "run"));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/*
 * The file is opened with the service's rights: in a directory nobody
 * cannot write, a service of nobody's gets a spawn error naming the path,
 * not a root-made file.  A symlink there, which root put, is followed to
 * a file nobody can write, which is then nobody's to create.
 */
START_TEST(output_file_opened_as_the_user)
{
	struct passwd *pw = h_nobody_or_skip();
	const char *dir, *status = h_path("status.json"), *real;
	struct stat st;
	struct h_proc *c;

	if (pw == NULL)
		return;
	dir = h_mkdir("logs", 0755, pw->pw_uid, pw->pw_gid);
	real = h_fmt("%s/real.log", dir);
	ck_assert_msg(symlink(real, h_path("linked.log")) == 0, "symlink: %s",
	    strerror(errno));
	c = h_corral(
	    "[corral]\n"
	    /* denied fails on purpose. */
	    "strict = no\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:denied]\n"
	    "command = sh -c 'echo should not run'\n"
	    "user = nobody\n"
	    "output = file:@T@/denied.log\n"
	    "restart = never\n"
	    "start_retries = 0\n"
	    "\n"
	    "[service:linked]\n"
	    "command = sh -c 'echo via the link'\n"
	    "user = nobody\n"
	    "output = file:@T@/linked.log\n"
	    "restart = never\n");
	ck_assert_msg(h_wait_text(c->err, h_fmt("denied: unable to open output "
	    "file %s for denied: %s", h_path("denied.log"), strerror(EACCES)),
	    H_WAIT_MS),
	    "no spawn error naming %s and '%s'; %s", h_path("denied.log"),
	    strerror(EACCES), h_ctx(c));
	ck_assert_msg(access(h_path("denied.log"), F_OK) == -1, "corral made "
	    "%s where nobody cannot write", h_path("denied.log"));
	ck_assert_msg(cu_wait_state(status, "linked", "stopped", H_WAIT_MS),
	    "linked is '%s', expected 'stopped'; %s",
	    cu_file_state(status, "linked"), h_ctx(c));
	ck_assert_msg(strcmp(h_read(real) ? h_read(real) : "", "via the link\n")
	    == 0, "%s (through the symlink %s) holds '%s'; %s", real,
	    h_path("linked.log"), h_tail(real), h_ctx(c));
	ck_assert_msg(stat(real, &st) == 0 && st.st_uid == pw->pw_uid &&
	    (st.st_mode & 0777) == 0640, "%s should be nobody's, mode 0640",
	    real);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

Suite *
suite_output(void)
{
	Suite *s = suite_create("output");

	h_add(s, output_prefix_loses_and_mixes_nothing, 60);
	h_add(s, output_slow_reader_never_blocks_corral, 40);
	h_add(s, output_lines_queued_at_exit, 30);
	h_add(s, output_reload_removes_service_with_queued_lines, 30);
	h_add(s, output_long_and_unterminated_lines, 20);
	h_add(s, output_file_appends, 20);
	h_add(s, output_file_symlink_refused, 20);
	h_add(s, output_file_opened_as_the_user, 20);
	return s;
}
