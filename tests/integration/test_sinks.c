/*
 * Output sinks (SPEC §16), as a user, a bad neighbour and an attacker
 * (SPEC §12): prefix, file: and journal together; rotation under a writer
 * that never pauses; reopen after logrotate's rename; JSON lines valid
 * whatever bytes a service writes; a journal that does not read, a file
 * that cannot be opened, a disk that fills up, a symlink or a FIFO
 * planted by the service's user; and the config errors of `output`.
 *
 * Every test waits on what corral leaves behind (files, lines, states,
 * datagrams), never on time; what corral writes to its files is checked
 * after it exited (SIGTERM), which flushes everything it read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlutil.h"

/* ---- helpers ---- */

/* The whole file (it must exist), NUL-terminated; *len its size. */
static char *
slurp(const char *path, size_t *len)
{
	char *text = cu_slurp(path, len);

	ck_assert_msg(text != NULL, "cannot read %s: %s", path,
	    strerror(errno));
	return text;
}

/*
 * Whether text (len bytes) is exactly the lines printf(fmt, n) for n from
 * first to last, each with its newline.  NULL if so, else the problem.
 */
static const char *
seq_problem(const char *text, size_t len, long first, long last,
    const char *fmt)
{
	size_t off = 0;
	char want[64];

	for (long n = first; n <= last; n++) {
		int w = snprintf(want, sizeof(want), fmt, n);

		want[w++] = '\n';
		if (len - off < (size_t)w || memcmp(text + off, want,
		    (size_t)w) != 0)
			return h_fmt("at byte %zu, '%.*s' where line %ld ('%.*s') "
			    "was expected", off, (int)strcspn(text + off, "\n"),
			    text + off, n, w - 1, want);
		off += (size_t)w;
	}
	if (off != len)
		return h_fmt("%zu bytes after the last line: '%.60s'",
		    len - off, text + off);
	return NULL;
}

/* The names in dir, but . and .., as one "a b c" string in no order. */
static const char *
dir_names(const char *dir, int *n)
{
	DIR *d = opendir(dir);
	const char *all = "";
	struct dirent *e;

	ck_assert_msg(d != NULL, "opendir %s: %s", dir, strerror(errno));
	*n = 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		all = h_fmt("%s%s%s", all, *all ? " " : "", e->d_name);
		(*n)++;
	}
	(void)closedir(d);
	return all;
}

/* The 1-based line of conf that holds text (which must be there). */
static int
line_of(const char *conf, const char *text)
{
	const char *at = strstr(conf, text);
	int line = 1;

	ck_assert_msg(at != NULL, "'%s' is not in the config", text);
	for (const char *p = conf; p < at; p++)
		line += *p == '\n';
	return line;
}

/* Stops corral with SIGTERM: it exits 0 once it wrote what it had read. */
static void
stop_corral(struct h_proc *c)
{
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}

/* How long `status` through the socket takes, in ms; it must answer. */
static double
status_ms(struct h_proc *c, const char *sock)
{
	int64_t t0 = h_now_ns();
	const char *why;
	char *reply = cu_request(sock, "status\n", 7, H_WAIT_MS, &why);

	ck_assert_msg(reply != NULL && strncmp(reply, "ok\n", 3) == 0,
	    "corral did not answer status: %s; %s", reply ? reply : why,
	    h_ctx(c));
	return H_MS(h_now_ns() - t0);
}

/* True when the pipe behind /proc/PID/fd/1 holds nothing unread. */
static bool
stdout_drained(const void *arg)
{
	int fd = open(h_fmt("/proc/%d/fd/1", *(const int *)arg), O_RDONLY |
	    O_NONBLOCK | O_CLOEXEC), n = -1;

	if (fd == -1)
		return false;
	if (ioctl(fd, FIONREAD, &n) == -1)
		n = -1;
	(void)close(fd);
	return n == 0;
}

/*
 * Once pid's stdout pipe is empty, corral has read all of it; after two
 * answers it has also written it: the turn that answered the first request
 * ended before the second was accepted, and that turn's poll already had
 * the pipe's last bytes.
 */
static void
wait_output_handled(struct h_proc *c, const char *sock, pid_t pid)
{
	int p = (int)pid;

	ck_assert_msg(h_poll_until(stdout_drained, &p, H_WAIT_MS), "corral "
	    "left pid %d's output unread; %s", p, h_ctx(c));
	(void)status_ms(c, sock);
	(void)status_ms(c, sock);
}

/* ---- prefix and files ---- */

/*
 * Checks that the lines of path that begin "web | " are exactly fmt with
 * 0 to n - 1, in order, once each; other lines are corral's own.
 */
static void
prefixed_in_order(struct h_proc *c, const char *path, const char *fmt, int n)
{
	size_t len;
	char *text = slurp(path, &len);
	int next = 0;

	for (char *l = text, *nl; (nl = strchr(l, '\n')) != NULL; l = nl + 1) {
		*nl = '\0';
		if (strncmp(l, "web | ", 6) != 0)
			continue;
		ck_assert_msg(next < n && strcmp(l, h_fmt(fmt, next)) == 0,
		    "%s: '%s' where line %d was next; %s", path, l, next,
		    h_ctx(c));
		next++;
	}
	ck_assert_msg(next == n, "%s: %d of %d lines; %s", path, next, n,
	    h_ctx(c));
	free(text);
}

/*
 * `output = prefix file:PATH` writes both: each line of each stream once
 * on corral's own stream as "web | line", and once as it is in the file,
 * in order per stream; nothing else goes into the file.
 */
START_TEST(sinks_prefix_and_file)
{
	const char *status = h_path("status.json"), *log = h_path("web.log");
	struct h_proc *c;
	size_t len;
	char *text;
	int out = 0, err = 0;

	(void)h_write("web.sh",
	    "i=0\n"
	    "while [ $i -lt 400 ]; do\n"
	    "	echo \"out $i\"\n"
	    "	echo \"err $i\" >&2\n"
	    "	i=$((i + 1))\n"
	    "done\n");
	c = h_corral(
	    "[corral]\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:web]\n"
	    "command = sh @T@/web.sh\n"
	    "output = prefix file:@T@/web.log\n"
	    "restart = never\n");
	ck_assert_msg(cu_wait_state(status, "web", "stopped", H_WAIT_MS),
	    "web is '%s', expected 'stopped'; %s", cu_file_state(status, "web"),
	    h_ctx(c));
	stop_corral(c);
	prefixed_in_order(c, c->out, "web | out %d", 400);
	prefixed_in_order(c, c->err, "web | err %d", 400);
	/* The file: 800 lines, each stream's in its own order. */
	text = slurp(log, &len);
	for (char *l = text, *nl; *l != '\0'; l = nl + 1) {
		nl = strchr(l, '\n');
		ck_assert_msg(nl != NULL, "web.log ends without a newline");
		*nl = '\0';
		if (strcmp(l, h_fmt("out %d", out)) == 0)
			out++;
		else if (strcmp(l, h_fmt("err %d", err)) == 0)
			err++;
		else
			ck_abort_msg("web.log: '%s' where 'out %d' or 'err %d' "
			    "was next", l, out, err);
	}
	ck_assert_msg(out == 400 && err == 400, "web.log holds %d out and %d "
	    "err lines of 400 each", out, err);
	free(text);
}
END_TEST

/* Several file: sinks get every line, the same. */
START_TEST(sinks_several_files)
{
	const char *status = h_path("status.json"), *problem;
	struct h_proc *c = h_corral(
	    "[corral]\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:web]\n"
	    "command = seq 1 20000\n"
	    "output = file:@T@/a.log file:@T@/b.log\n"
	    "restart = never\n");
	size_t alen, blen;
	char *a, *b;

	ck_assert_msg(cu_wait_state(status, "web", "stopped", H_WAIT_MS),
	    "web is '%s'; %s", cu_file_state(status, "web"), h_ctx(c));
	stop_corral(c);
	a = slurp(h_path("a.log"), &alen);
	b = slurp(h_path("b.log"), &blen);
	problem = seq_problem(a, alen, 1, 20000, "%ld");
	ck_assert_msg(problem == NULL, "a.log: %s", problem);
	ck_assert_msg(alen == blen && memcmp(a, b, alen) == 0, "b.log (%zu "
	    "bytes) differs from a.log (%zu bytes)", blen, alen);
	free(a);
	free(b);
}
END_TEST

/* ---- rotation ---- */

/*
 * Rotation under `seq 1 300000`, which never pauses: logs/r.log.N ... .1
 * then r.log, read in that order, are exactly what seq wrote when keep is
 * large enough; every file is whole lines within max.  Returns how many
 * rotated files there were.
 */
static int
rotate_run(unsigned keep, long *first_kept)
{
	const char *status = h_path("status.json"), *dir, *problem, *names;
	char *all = NULL, *part;
	size_t len = 0, plen;
	struct h_proc *c;
	struct stat st;
	int n, files;

	dir = h_mkdir("logs", 0755, 0, 0);
	c = h_corral(h_fmt(
	    "[corral]\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:web]\n"
	    "command = seq 1 300000\n"
	    "output = file:%s/r.log\n"
	    "output_max_size = 64K\n"
	    "output_keep = %u\n"
	    "restart = never\n", dir, keep));
	ck_assert_msg(cu_wait_state(status, "web", "stopped", 20000),
	    "web is '%s'; %s", cu_file_state(status, "web"), h_ctx(c));
	stop_corral(c);
	names = dir_names(dir, &n);
	for (files = 0; stat(h_fmt("%s/r.log.%d", dir, files + 1), &st) == 0;)
		files++;
	ck_assert_msg(n == files + 1, "logs/ should hold r.log and r.log.1 to "
	    "r.log.%d, but holds: %s", files, names);
	ck_assert_msg(keep < 100 ? files == (int)keep : files > 10, "%d "
	    "rotated files with output_keep = %u: %s", files, keep, names);
	for (int i = files; i >= 0; i--) {
		const char *path = i > 0 ? h_fmt("%s/r.log.%d", dir, i) :
		    h_fmt("%s/r.log", dir);

		part = slurp(path, &plen);
		ck_assert_msg(plen > 0 && plen <= 65536 && part[plen - 1] ==
		    '\n', "%s: %zu bytes (64 KiB at most, whole lines)", path,
		    plen);
		all = realloc(all, len + plen + 1);
		ck_assert_msg(all != NULL, "out of memory");
		memcpy(all + len, part, plen + 1);
		len += plen;
		free(part);
	}
	*first_kept = strtol(all, NULL, 10);
	problem = seq_problem(all, len, *first_kept, 300000, "%ld");
	ck_assert_msg(problem == NULL, "r.log.%d ... r.log.1 r.log, read in "
	    "that order: %s", files, problem);
	free(all);
	return files;
}

START_TEST(sinks_rotation_loses_nothing)
{
	long first;
	int files = rotate_run(100, &first);

	ck_assert_msg(first == 1, "the rotated files begin at line %ld, not 1",
	    first);
	fprintf(stderr, "%s: %d rotations, 300000 lines checked\n",
	    tcase_name(), files);
}
END_TEST

START_TEST(sinks_rotation_keeps_the_newest)
{
	long first;

	(void)rotate_run(2, &first);
	ck_assert_msg(first > 1, "with output_keep = 2 the files should hold "
	    "only the newest lines, yet they begin at line %ld", first);
}
END_TEST

/* ---- reopen ---- */

/*
 * logrotate renames app.log to app.log.1: the open descriptor follows the
 * file, so lines go on into app.log.1 until `corralctl reopen`, after
 * which they go to a new app.log.  The service echoes what the test writes
 * into its FIFO, one request at a time.
 */
START_TEST(sinks_reopen_after_rename)
{
	const char *fifo = h_path("in.fifo"), *sock = h_path("ctl.sock");
	const char *log = h_path("app.log"), *old = h_path("app.log.1");
	struct cu_run r;
	struct h_proc *c;
	int fd;

	ck_assert_msg(mkfifo(fifo, 0600) == 0, "mkfifo: %s", strerror(errno));
	/* O_RDWR: open does not wait for cat, and cat meets no EOF yet. */
	fd = open(fifo, O_RDWR | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "open %s: %s", fifo, strerror(errno));
	c = h_corral(
	    "[corral]\n"
	    "control_socket = @T@/ctl.sock\n"
	    "\n"
	    "[service:web]\n"
	    "command = cat @T@/in.fifo\n"
	    "output = file:@T@/app.log\n");
	ck_assert_msg(write(fd, "one\n", 4) == 4, "write: %s", strerror(errno));
	ck_assert_msg(h_wait_text(log, "one\n", H_WAIT_MS), "app.log: '%s'; %s",
	    h_tail(log), h_ctx(c));
	ck_assert_msg(rename(log, old) == 0, "rename: %s", strerror(errno));
	ck_assert_msg(write(fd, "two\n", 4) == 4, "write: %s", strerror(errno));
	ck_assert_msg(h_wait_text(old, "one\ntwo\n", H_WAIT_MS), "app.log.1 "
	    "(renamed): '%s'; %s", h_tail(old), h_ctx(c));
	r = cu_ctl(sock, "reopen", NULL);
	ck_assert_msg(r.code == 0 && strcmp(r.out, "reopened 1 output file\n")
	    == 0, "corralctl reopen: %s", cu_ctx(&r));
	ck_assert_msg(write(fd, "three\n", 6) == 6, "write: %s",
	    strerror(errno));
	ck_assert_msg(h_wait_text(log, "three\n", H_WAIT_MS), "app.log after "
	    "reopen: '%s'; %s", h_tail(log), h_ctx(c));
	(void)close(fd);
	stop_corral(c);
	ck_assert_msg(strcmp(h_read(old), "one\ntwo\n") == 0 &&
	    strcmp(h_read(log), "three\n") == 0, "app.log.1 '%s', app.log "
	    "'%s'", h_read(old), h_read(log));
}
END_TEST

/* ---- JSON ---- */

/* Whether s (len bytes) is valid UTF-8 (RFC 3629); NULL, or where not. */
static const char *
utf8_problem(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned c = s[i], n, cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 && c < 0xf0 ? 3 :
		    c >= 0xc2 && c < 0xe0 ? 2 : 0;
		if (n == 0 || i + n > len)
			return h_fmt("byte %zu (0x%02x) begins no sequence", i, c);
		cp = c & (0xff >> (n + 1));
		for (unsigned k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return h_fmt("byte %zu: 0x%02x is no continuation",
				    i + k, s[i + k]);
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return h_fmt("byte %zu: U+%04X is overlong, a surrogate "
			    "or too large", i, cp);
		i += n;
	}
	return NULL;
}

/* Whether t is YYYY-MM-DDTHH:MM:SS.mmm+HH:MM (or -HH:MM); its length. */
static size_t
rfc3339_ms(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddd+dd:dd";

	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? t[i] < '0' || t[i] > '9' :
		    shape[i] == '+' ? t[i] != '+' && t[i] != '-' :
		    t[i] != shape[i])
			return 0;
	return sizeof(shape) - 1;
}

/* Appends the bytes of s (len) to the buffer *b of *n bytes. */
static void
add(char *b, size_t *n, const void *s, size_t len)
{
	memcpy(b + *n, s, len);
	*n += len;
}

/*
 * Checks every line of path as one JSON object with exactly the keys
 * time, service, stream, level and msg; counts the service's lines whose
 * msg is one of want[0..2] (got[i]) and corral's own (*own).
 */
static void
check_json_lines(const char *path, const char *stream,
    const char *const want[3], const size_t wlen[3], int got[3], int *own)
{
	static const char *const keys[] = { "time", "service", "stream",
	    "level", "msg" };
	size_t len;
	char *text = slurp(path, &len), err[256];
	const char *problem;
	int lineno = 0;

	problem = utf8_problem((unsigned char *)text, len);
	ck_assert_msg(problem == NULL, "%s is not valid UTF-8: %s", path,
	    problem);
	for (char *l = text, *nl; l < text + len; l = nl + 1) {
		struct tj *v;
		const struct tj *msg, *svc;
		const char *t;

		lineno++;
		nl = memchr(l, '\n', (size_t)(text + len - l));
		ck_assert_msg(nl != NULL, "%s ends without a newline", path);
		*nl = '\0';
		v = tj_parse_nul(l, err, sizeof(err));
		ck_assert_msg(v != NULL && tj_is(v, TJ_OBJECT) && v->n == 5,
		    "%s line %d is not one JSON object of 5 keys (%s): %.300s",
		    path, lineno, v ? "" : err, l);
		for (size_t k = 0; k < 5; k++)
			ck_assert_msg(strcmp(v->keys[k], keys[k]) == 0, "%s line "
			    "%d: key %zu is '%s', not '%s'", path, lineno, k,
			    v->keys[k], keys[k]);
		t = tj_str(tj_get(v, "time"));
		ck_assert_msg(t != NULL && rfc3339_ms(t) == strlen(t), "%s line "
		    "%d: time '%s' is not RFC 3339 with ms", path, lineno, t);
		svc = tj_get(v, "service");
		msg = tj_get(v, "msg");
		ck_assert_msg(tj_is(msg, TJ_STRING), "%s line %d: no msg string",
		    path, lineno);
		if (tj_is(svc, TJ_NULL)) {
			ck_assert_msg(strcmp(tj_str(tj_get(v, "stream")), "corral")
			    == 0, "%s line %d: corral's own line of stream "
			    "'%s'", path, lineno, tj_str(tj_get(v, "stream")));
			(*own)++;
			tj_free(v);
			continue;
		}
		ck_assert_msg(strcmp(tj_str(svc) ? tj_str(svc) : "", "web") == 0 &&
		    strcmp(tj_str(tj_get(v, "stream")), stream) == 0, "%s line "
		    "%d: service '%s' stream '%s', expected web and %s", path,
		    lineno, tj_str(svc), tj_str(tj_get(v, "stream")), stream);
		for (int i = 0; i < 3; i++)
			if (msg->len == wlen[i] && memcmp(msg->string, want[i],
			    wlen[i]) == 0)
				got[i]++;
		tj_free(v);
	}
	free(text);
}

/*
 * log_format = json: whatever bytes a service writes, every line corral
 * writes is one JSON object in valid UTF-8; msg reads back as the line
 * with each byte that begins no valid UTF-8 sequence as U+FFFD (one per
 * byte: the scan moves on by one) and NUL as \u0000.
 */
START_TEST(sinks_json_every_byte)
{
	static const char fffd[] = "\xef\xbf\xbd";
	static const unsigned char c_in[] = "\xc3\xa9 \xe2\x82\xac \xf0\x9f"
	    "\x98\x80 \xc0\xaf \xed\xa0\x80 \xf5\x80\x80\x80 \xe2\x82";
	const char *status = h_path("status.json"), *want[3];
	char in[1024], a[1024], c_out[256];
	size_t n = 0, alen = 0, clen = 0, wlen[3];
	int got_out[3] = { 0 }, got_err[3] = { 0 }, own = 0;
	struct h_proc *c;
	FILE *f;

	/* A: every byte but the newline; B: a NUL; C: good and bad UTF-8. */
	for (int b = 1; b < 256; b++) {
		if (b == '\n')
			continue;
		in[n++] = (char)b;
		if (b < 0x80)
			a[alen++] = (char)b;
		else
			add(a, &alen, fffd, 3);
	}
	in[n++] = '\n';
	add(in, &n, "a\0b\n", 4);
	add(in, &n, c_in, sizeof(c_in) - 1);
	in[n++] = '\n';
	/* é € 😀 stay; C0 AF, ED A0 80, F5 80 80 80, E2 82: one each. */
	add(c_out, &clen, "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 ", 12);
	for (int i = 0; i < 2 + 3 + 4 + 2; i++) {
		add(c_out, &clen, fffd, 3);
		if (i == 1 || i == 4 || i == 8)
			c_out[clen++] = ' ';
	}
	want[0] = a, wlen[0] = alen;
	want[1] = "a\0b", wlen[1] = 3;
	want[2] = c_out, wlen[2] = clen;
	f = fopen(h_path("bytes"), "we");
	ck_assert_msg(f != NULL && fwrite(in, 1, n, f) == n && fclose(f) == 0,
	    "writing the bytes: %s", strerror(errno));
	c = h_corral(
	    "[corral]\n"
	    "log_format = json\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:web]\n"
	    "command = sh -c 'cat @T@/bytes; cat @T@/bytes >&2'\n"
	    "output = prefix\n"
	    "restart = never\n");
	ck_assert_msg(cu_wait_state(status, "web", "stopped", H_WAIT_MS),
	    "web is '%s'; %s", cu_file_state(status, "web"), h_ctx(c));
	stop_corral(c);
	check_json_lines(c->out, "stdout", want, wlen, got_out, &own);
	ck_assert_msg(own == 0, "corral's own lines on its stdout");
	check_json_lines(c->err, "stderr", want, wlen, got_err, &own);
	for (int i = 0; i < 3; i++)
		ck_assert_msg(got_out[i] == 1 && got_err[i] == 1, "line %c "
		    "decoded as expected %d times on stdout, %d on stderr, not "
		    "once each; %s", 'A' + i, got_out[i], got_err[i], h_ctx(c));
	ck_assert_msg(own >= 1, "no line of corral's own (shutting down) on its "
	    "stderr; %s", h_ctx(c));
}
END_TEST

/* output_timestamps: an RFC 3339 time before each prefixed line. */
START_TEST(sinks_output_timestamps)
{
	const char *status = h_path("status.json");
	struct h_proc *c = h_corral(
	    "[corral]\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:web]\n"
	    "command = sh -c 'echo first; echo second'\n"
	    "output = prefix\n"
	    "output_timestamps = yes\n"
	    "restart = never\n");
	const char *want[] = { "first", "second" };
	char *text, *l, *nl;
	size_t len, t;
	int i = 0;

	ck_assert_msg(cu_wait_state(status, "web", "stopped", H_WAIT_MS),
	    "web is '%s'; %s", cu_file_state(status, "web"), h_ctx(c));
	stop_corral(c);
	text = slurp(c->out, &len);
	for (l = text; (nl = strchr(l, '\n')) != NULL; l = nl + 1, i++) {
		*nl = '\0';
		t = rfc3339_ms(l);
		ck_assert_msg(i < 2 && t > 0 && strcmp(l + t, h_fmt(" web | %s",
		    want[i])) == 0, "line %d of corral's stdout is '%s', not "
		    "'YYYY-MM-DDTHH:MM:SS.mmm+HH:MM web | %s'", i + 1, l,
		    want[i < 2 ? i : 1]);
	}
	ck_assert_msg(i == 2 && *l == '\0', "corral's stdout: %d lines, then "
	    "'%s'", i, l);
	free(text);
}
END_TEST

/* ---- journal ---- */

/* A fake journald: a datagram socket at path, named to corral. */
static int
journal_bind(const char *path, int rcvbuf)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_msg(fd >= 0, "socket: %s", strerror(errno));
	ck_assert_msg(strlen(path) < sizeof(sun.sun_path), "%s is too long",
	    path);
	strcpy(sun.sun_path, path);
	if (rcvbuf > 0)
		ck_assert_msg(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf)) == 0, "SO_RCVBUF: %s", strerror(errno));
	ck_assert_msg(bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0,
	    "bind %s: %s", path, strerror(errno));
	/* The test is a process of its own: corral inherits this, no other. */
	ck_assert_msg(setenv("CORRAL_JOURNAL_SOCKET", path, 1) == 0, "setenv");
	return fd;
}

/* The next datagram within timeout_ms (0: only one already there), or NULL. */
static char *
journal_recv(int fd, int timeout_ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	static char buf[65536];
	ssize_t r;

	if (poll(&p, 1, timeout_ms * h_slowdown()) != 1)
		return NULL;
	r = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	ck_assert_msg(r >= 0, "recv: %s", strerror(errno));
	return h_fmt("%.*s", (int)r, buf);
}

/*
 * output = journal: each line is one datagram of journald's native
 * protocol, stdout at priority 6 and stderr at 3, and nothing of them on
 * corral's own stdout or stderr.
 */
START_TEST(sinks_journal_native)
{
	int fd = journal_bind(h_path("journal.sock"), 0);
	const char *status = h_path("status.json"), *got[2];
	static const char *const want[2] = {
		"SYSLOG_IDENTIFIER=web\nCORRAL_SERVICE=web\nPRIORITY=6\n"
		"MESSAGE=to stdout\n",
		"SYSLOG_IDENTIFIER=web\nCORRAL_SERVICE=web\nPRIORITY=3\n"
		"MESSAGE=to stderr\n",
	};
	struct h_proc *c = h_corral(
	    "[corral]\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:web]\n"
	    "command = sh -c 'echo to stdout; echo to stderr >&2'\n"
	    "output = journal\n"
	    "restart = never\n");

	for (int i = 0; i < 2; i++) {
		got[i] = journal_recv(fd, H_WAIT_MS);
		ck_assert_msg(got[i] != NULL, "datagram %d did not come; %s",
		    i + 1, h_ctx(c));
	}
	/* The two streams are two pipes: their order is not promised. */
	ck_assert_msg((strcmp(got[0], want[0]) == 0 && strcmp(got[1], want[1])
	    == 0) || (strcmp(got[0], want[1]) == 0 && strcmp(got[1], want[0])
	    == 0), "the datagrams:\n%s--\n%s--\nexpected:\n%s--\n%s", got[0],
	    got[1], want[0], want[1]);
	ck_assert_msg(cu_wait_state(status, "web", "stopped", H_WAIT_MS),
	    "web is '%s'; %s", cu_file_state(status, "web"), h_ctx(c));
	stop_corral(c);
	ck_assert_msg(journal_recv(fd, 0) == NULL, "a third datagram: %s",
	    journal_recv(fd, 0));
	ck_assert_msg(h_count_lines(c->out, "to std") == 0 &&
	    h_count_lines(c->err, "to std") == 0 && h_count_lines(c->err,
	    "journal") == 0, "journal lines went to corral's too, or a "
	    "warning; %s", h_ctx(c));
	(void)close(fd);
}
END_TEST

/* No journal: one warning, then prefix, for every service. */
START_TEST(sinks_journal_fallback)
{
	const char *missing = h_path("no-journal.sock");
	struct h_proc *c;

	ck_assert_msg(setenv("CORRAL_JOURNAL_SOCKET", missing, 1) == 0,
	    "setenv");
	c = h_corral(
	    "[service:a]\n"
	    "command = sh -c 'echo hello from a'\n"
	    "output = journal\n"
	    "restart = never\n"
	    "\n"
	    "[service:b]\n"
	    "command = sh -c 'echo hello from b'\n"
	    "output = journal\n"
	    "restart = never\n");
	ck_assert_msg(h_wait_text(c->out, "a | hello from a\n", H_WAIT_MS) &&
	    h_wait_text(c->out, "b | hello from b\n", H_WAIT_MS), "the lines "
	    "did not fall back to prefix; %s", h_ctx(c));
	stop_corral(c);
	ck_assert_msg(h_count_lines(c->err, h_fmt("corral: no journal at %s; "
	    "output = journal falls back to prefix: %s", missing,
	    strerror(ENOENT))) == 1 && h_count_lines(c->err, "journal") == 1,
	    "expected exactly one 'no journal at %s' warning; %s", missing,
	    h_ctx(c));
}
END_TEST

/* Whether datagram d is whole: flood's line SEQ as journald's fields. */
static long
flood_datagram(const char *d)
{
	static const char head[] = "SYSLOG_IDENTIFIER=f\nCORRAL_SERVICE=f\n"
	    "PRIORITY=6\nMESSAGE=f ";
	const char *p;
	char *end;
	long seq, plen;

	if (strncmp(d, head, sizeof(head) - 1) != 0)
		return -1;
	p = d + sizeof(head) - 1;
	seq = strtol(p, &end, 10);
	if (end == p || *end != ' ')
		return -1;
	p = end + 1;
	plen = seq * 7 % 61;
	for (long i = 0; i < plen; i++)
		if (p[i] != (char)('a' + (seq + i) % 26))
			return -1;
	return strcmp(p + plen, "\n") == 0 ? seq : -1;
}

/*
 * A journal that never reads: corral drops what it does not take, with one
 * warning, answers at once meanwhile, and never slows the service; what
 * did reach the journal is whole datagrams, in order.
 */
START_TEST(sinks_journal_not_reading)
{
	int fd = journal_bind(h_path("journal.sock"), 4096);
	const char *sock = h_path("ctl.sock"), *mark = h_path("f.mark");
	struct h_proc *c = h_corral(
	    "[corral]\n"
	    "control_socket = @T@/ctl.sock\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:f]\n"
	    "command = @SVC@/flood -m 100000 @T@/f.mark @T@/f.count f\n"
	    "output = journal\n");
	double worst = 0, ms;
	long seq, last = -1, n = 0;
	char *d;

	/* Running: corral listens on its socket before it starts services. */
	ck_assert_msg(cu_wait_state(h_path("status.json"), "f", "running",
	    H_WAIT_MS), "f is '%s'; %s", cu_file_state(h_path("status.json"),
	    "f"), h_ctx(c));
	/* flood writes until SIGTERM: these all run while it floods. */
	for (int i = 0; i < 5; i++) {
		ms = status_ms(c, sock);
		worst = ms > worst ? ms : worst;
	}
	ck_assert_msg(worst < 500 * h_slowdown(), "status took %.1f ms while "
	    "the journal was full", worst);
	ck_assert_msg(h_wait_file(mark, 20000), "flood did not get 100000 "
	    "lines out within 20 s: the journal slowed it; %s", h_ctx(c));
	ck_assert_msg(h_wait_text(c->err, "unable to send output to the "
	    "journal", H_WAIT_MS), "no warning that lines are dropped; %s",
	    h_ctx(c));
	ms = status_ms(c, sock);
	stop_corral(c);
	ck_assert_msg(h_count_lines(c->err, "unable to send output to the "
	    "journal") == 1 && h_count_lines(c->err, "never reached the "
	    "journal") == 1, "expected one warning of dropped lines and one "
	    "count at exit; %s", h_ctx(c));
	while ((d = journal_recv(fd, 0)) != NULL) {
		seq = flood_datagram(d);
		ck_assert_msg(seq > last, "datagram %ld is not a whole line "
		    "after line %ld: '%.200s'", n + 1, last, d);
		last = seq;
		n++;
	}
	ck_assert_msg(n > 0, "the journal got nothing");
	fprintf(stderr, "%s: status in %.1f ms at worst (%.1f ms after), %ld "
	    "datagrams queued\n", tcase_name(), worst, ms, n);
	(void)close(fd);
}
END_TEST

/* ---- files that fail ---- */

/*
 * A file: sink that cannot be opened (nobody may not write in a root-owned
 * directory) is told once, with path and errno, though corral tries again;
 * the service starts all the same and its other sink works.
 */
START_TEST(sinks_file_unopenable_others_work)
{
	struct passwd *pw = h_nobody_or_skip();
	const char *dir, *sock = h_path("ctl.sock"), *path;
	struct h_proc *c;
	struct tj *st;

	if (pw == NULL)
		return;
	dir = h_mkdir("root-only", 0755, 0, 0);
	path = h_fmt("%s/x.log", dir);
	c = h_corral(h_fmt(
	    "[corral]\n"
	    "control_socket = @T@/ctl.sock\n"
	    "\n"
	    "[service:web]\n"
	    /* The second line comes after corral's retry (once a second). */
	    "command = sh -c 'echo first; sleep 1.2; echo second; exec sleep 60'\n"
	    "user = nobody\n"
	    "output = prefix file:%s\n", path));
	ck_assert_msg(h_wait_text(c->out, "web | first\n", H_WAIT_MS) &&
	    h_wait_text(c->out, "web | second\n", H_WAIT_MS), "the prefixed "
	    "lines did not come; %s", h_ctx(c));
	st = cu_status(sock);
	ck_assert_msg(strcmp(cu_state(st, "web"), "running") == 0, "web is "
	    "'%s', expected 'running'; %s", cu_state(st, "web"), h_ctx(c));
	tj_free(st);
	ck_assert_msg(h_count_lines(c->err, h_fmt("web: unable to open output "
	    "file %s for web: %s", path, strerror(EACCES))) == 1 &&
	    h_count_lines(c->err, "x.log") == 1, "expected one warning naming "
	    "%s and '%s'; %s", path, strerror(EACCES), h_ctx(c));
	ck_assert_msg(access(path, F_OK) == -1, "%s was made", path);
	stop_corral(c);
}
END_TEST

/*
 * A disk that fills up: a 64 KiB tmpfs, in a mount namespace of the test's
 * own, so that it goes away with the test's processes whatever happens.
 * The file holds whole lines from the first on; the rest is dropped with
 * one warning, corral answers, and the count of dropped lines is told.
 */
START_TEST(sinks_file_disk_full)
{
	const char *dir, *sock = h_path("ctl.sock"), *status =
	    h_path("status.json"), *problem, *msg;
	struct h_proc *c;
	size_t len;
	char *text;
	long lines, total = 116509;	/* of 9 bytes: 1 MiB and a bit */

	if (geteuid() != 0 || unshare(CLONE_NEWNS) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1) {
		fprintf(stderr, "SKIP %s: needs root and a mount namespace: "
		    "%s\n", tcase_name(), strerror(errno));
		return;
	}
	dir = h_mkdir("full", 0755, 0, 0);
	if (mount("tmpfs", dir, "tmpfs", 0, "size=64k") == -1) {
		fprintf(stderr, "SKIP %s: mount tmpfs: %s\n", tcase_name(),
		    strerror(errno));
		return;
	}
	c = h_corral(h_fmt(
	    "[corral]\n"
	    "control_socket = @T@/ctl.sock\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:web]\n"
	    "command = seq -f %%08g 1 %ld\n"
	    "output = file:%s/full.log\n"
	    "restart = never\n", total, dir));
	ck_assert_msg(cu_wait_state(status, "web", "stopped", H_WAIT_MS),
	    "web is '%s'; %s", cu_file_state(status, "web"), h_ctx(c));
	(void)status_ms(c, sock);
	stop_corral(c);
	text = slurp(h_fmt("%s/full.log", dir), &len);
	lines = (long)(len / 9);
	problem = seq_problem(text, len, 1, lines, "%08ld");
	ck_assert_msg(problem == NULL && lines > 1000 && lines < total,
	    "full.log (%zu bytes): %s", len, problem ? problem : "no lines "
	    "were dropped");
	free(text);
	ck_assert_msg(h_count_lines(c->err, strerror(ENOSPC)) == 1,
	    "expected one warning with '%s'; %s", strerror(ENOSPC), h_ctx(c));
	msg = h_fmt("web: %ld lines to output file %s/full.log were dropped",
	    total - lines, dir);
	ck_assert_msg(h_count_lines(c->err, msg) == 1, "no '%s'; %s", msg,
	    h_ctx(c));
	ck_assert_msg(umount(dir) == 0, "umount %s: %s", dir, strerror(errno));
}
END_TEST

/* ---- attackers ---- */

/*
 * The service's user owns the log directory and, while a writer keeps
 * rotations coming, swaps the log file for a symlink to a root-only file
 * over and over.  Rotation renames the link as the user, never through it;
 * a new open that meets the link refuses it.  Then, planted once more and
 * met by `corralctl reopen`, twice: ELOOP, told once.
 */
START_TEST(sinks_symlink_swapped_between_rotations)
{
	struct passwd *pw = h_nobody_or_skip();
	const char *dir, *target, *sock = h_path("ctl.sock"), *elo;
	struct stat before, after;
	struct cu_run r;
	struct h_proc *c;
	struct tj *st;
	int loops;

	if (pw == NULL)
		return;
	dir = h_mkdir("logs", 0755, pw->pw_uid, pw->pw_gid);
	target = h_write("secret", "root's own\n");
	ck_assert_msg(chmod(target, 0600) == 0 && stat(target, &before) == 0,
	    "%s: %s", target, strerror(errno));
	/* The planter: 300 swaps, racing corral's rotations, then done. */
	(void)h_write("evil.sh", h_fmt(
	    "i=0\n"
	    "while [ $i -lt 300 ]; do\n"
	    "	ln -sf %s %s/tmp.lnk && mv -fT %s/tmp.lnk %s/app.log\n"
	    "	seq -f 'line %%g' 1 200\n"
	    "	i=$((i + 1))\n"
	    "done\n"
	    "echo done >%s/planted\n"
	    "exec sleep 60\n", target, dir, dir, dir, dir));
	c = h_corral(h_fmt(
	    "[corral]\n"
	    "control_socket = @T@/ctl.sock\n"
	    "\n"
	    "[service:evil]\n"
	    "command = sh @T@/evil.sh\n"
	    "user = nobody\n"
	    "output = file:%s/app.log\n"
	    "output_max_size = 4K\n"
	    "output_keep = 3\n", dir));
	ck_assert_msg(h_wait_file(h_fmt("%s/planted", dir), 20000), "the "
	    "planter did not finish; %s", h_ctx(c));
	/* Every line written, so every rotation the race allowed is done. */
	st = cu_status(sock);
	wait_output_handled(c, sock, cu_pid(st, "evil"));
	tj_free(st);
	/*
	 * How many rotations the race allows is the race's: once a new open
	 * meets the link, lines are dropped until reopen (under valgrind,
	 * often after the first).  One is the point: it renamed the link.
	 */
	ck_assert_msg(access(h_fmt("%s/app.log.1", dir), F_OK) == 0, "no "
	    "rotation happened; %s", h_ctx(c));
	/*
	 * Once more, for certain: the link is there when reopen opens, and
	 * no rotation is still to come that would rename it away.
	 */
	(void)unlink(h_fmt("%s/app.log", dir));
	ck_assert_msg(symlink(target, h_fmt("%s/app.log", dir)) == 0,
	    "symlink: %s", strerror(errno));
	elo = h_fmt("evil: unable to open output file %s/app.log for evil: %s",
	    dir, strerror(ELOOP));
	loops = h_count_lines(c->err, elo);
	for (int i = 0; i < 2; i++) {
		r = cu_ctl(sock, "reopen", NULL);
		ck_assert_msg(r.code == 0, "corralctl reopen: %s", cu_ctx(&r));
	}
	(void)status_ms(c, sock);
	/*
	 * Told once: the two reopens add one line, or none when the race was
	 * refused already, since that streak may not have ended or the repeat
	 * may fall within the second that ratelimit.c holds it back.
	 */
	ck_assert_msg(h_count_lines(c->err, elo) == loops + 1 || (loops > 0 &&
	    h_count_lines(c->err, elo) == loops), "the refused symlink was "
	    "not told once (%d times before reopen, %d after); %s", loops,
	    h_count_lines(c->err, elo), h_ctx(c));
	ck_assert_msg(stat(target, &after) == 0 && strcmp(h_read(target),
	    "root's own\n") == 0 && after.st_size == before.st_size &&
	    after.st_uid == 0 && (after.st_mode & 07777) == 0600 &&
	    after.st_ino == before.st_ino, "the root-only file behind the "
	    "symlink was touched (%lld bytes, owner %d, mode %04o): %s",
	    (long long)after.st_size, (int)after.st_uid,
	    (unsigned)(after.st_mode & 07777), h_tail(target));
	fprintf(stderr, "%s: %d refusals during the race\n", tcase_name(),
	    loops);
	stop_corral(c);
}
END_TEST

/*
 * A FIFO planted at the path before corral opens it, which nobody reads:
 * opening it would wait for a reader, so corral opens without waiting,
 * is refused (ENXIO), says so once, answers, and counts the lines lost.
 */
START_TEST(sinks_fifo_planted_unread)
{
	struct passwd *pw = h_nobody_or_skip();
	const char *dir, *sock = h_path("ctl.sock"), *status =
	    h_path("status.json"), *fifo, *msg;
	struct h_proc *c;

	if (pw == NULL)
		return;
	dir = h_mkdir("logs", 0755, pw->pw_uid, pw->pw_gid);
	fifo = h_fmt("%s/app.log", dir);
	ck_assert_msg(mkfifo(fifo, 0666) == 0 && chown(fifo, pw->pw_uid,
	    pw->pw_gid) == 0, "mkfifo: %s", strerror(errno));
	c = h_corral(h_fmt(
	    "[corral]\n"
	    "control_socket = @T@/ctl.sock\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:web]\n"
	    "command = seq 1 1000\n"
	    "user = nobody\n"
	    "output = file:%s\n"
	    "restart = never\n", fifo));
	ck_assert_msg(cu_wait_state(status, "web", "stopped", H_WAIT_MS),
	    "web is '%s'; %s", cu_file_state(status, "web"), h_ctx(c));
	(void)status_ms(c, sock);
	stop_corral(c);
	ck_assert_msg(h_count_lines(c->err, h_fmt("web: unable to open output "
	    "file %s for web: %s", fifo, strerror(ENXIO))) == 1, "expected one "
	    "'%s' naming %s; %s", strerror(ENXIO), fifo, h_ctx(c));
	msg = h_fmt("web: 1000 lines to output file %s were dropped", fifo);
	ck_assert_msg(h_count_lines(c->err, msg) == 1, "no '%s'; %s", msg,
	    h_ctx(c));
}
END_TEST

/*
 * A FIFO at the path, opened by a reader that never reads: corral writes
 * what the FIFO takes and drops the rest, never waiting; what the reader
 * finally reads is whole lines, in order, none cut where the FIFO filled.
 * The FIFO is filled first but for one page, the room that a write of
 * more than PIPE_BUF bytes would take in part; cat writes in big chunks,
 * so corral's reads, and its writes to the FIFO, are big too.
 */
START_TEST(sinks_fifo_planted_stalled)
{
	const char *sock = h_path("ctl.sock"), *status = h_path("status.json");
	const char *fifo = h_path("app.log");
	char *buf = malloc(1 << 20), filler[64];
	size_t len = 0, full;
	long last = 0, n;
	ssize_t r;
	struct h_proc *c;
	int fd, wfd, size;

	ck_assert_msg(buf != NULL, "out of memory");
	ck_assert_msg(mkfifo(fifo, 0600) == 0, "mkfifo: %s", strerror(errno));
	fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	wfd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	ck_assert_msg(fd >= 0 && wfd >= 0, "open %s: %s", fifo,
	    strerror(errno));
	size = fcntl(fd, F_GETPIPE_SZ);
	ck_assert_msg(size >= 8192, "F_GETPIPE_SZ: %d (%s)", size,
	    strerror(errno));
	memset(filler, 'x', sizeof(filler) - 1);
	filler[sizeof(filler) - 1] = '\n';
	for (full = 0; full < (size_t)size - 4096; full += sizeof(filler))
		ck_assert_msg(write(wfd, filler, sizeof(filler)) ==
		    (ssize_t)sizeof(filler), "filling the FIFO: %s",
		    strerror(errno));
	(void)close(wfd);
	c = h_corral(
	    "[corral]\n"
	    "control_socket = @T@/ctl.sock\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:web]\n"
	    "command = sh -c 'seq -f \"line %g of a service that writes too "
	    "much\" 1 100000 >@T@/lines; exec cat @T@/lines'\n"
	    "output = file:@T@/app.log\n"
	    "restart = never\n");
	ck_assert_msg(cu_wait_state(status, "web", "stopped", 20000),
	    "web is '%s'; %s", cu_file_state(status, "web"), h_ctx(c));
	(void)status_ms(c, sock);
	stop_corral(c);
	while ((r = read(fd, buf + len, (1 << 20) - 1 - len)) > 0)
		len += (size_t)r;
	buf[len] = '\0';
	(void)close(fd);
	ck_assert_msg(len > full && buf[len - 1] == '\n', "what the FIFO holds "
	    "(%zu bytes, %zu of them the test's) does not end with a whole "
	    "line: '...%s'", len, full, len > 60 ? buf + len - 60 : buf);
	for (size_t i = 0; i < full; i += sizeof(filler))
		ck_assert_msg(memcmp(buf + i, filler, sizeof(filler)) == 0,
		    "the test's own lines in the FIFO were changed");
	for (char *l = buf + full, *nl; (nl = strchr(l, '\n')) != NULL;
	    l = nl + 1) {
		*nl = '\0';
		n = 0;
		ck_assert_msg(sscanf(l, "line %ld of a service that writes too "
		    "much", &n) == 1 && n > last && strcmp(l, h_fmt("line %ld of "
		    "a service that writes too much", n)) == 0, "'%s' in the "
		    "FIFO, after line %ld", l, last);
		last = n;
	}
	ck_assert_msg(last > 0 && h_count_lines(c->err, "lines to output "
	    "file") == 1, "nothing of web in the FIFO (after %ld), or the "
	    "dropped lines were not counted; %s", last, h_ctx(c));
	free(buf);
}
END_TEST

/* ---- config ---- */

/*
 * Every mistake of the output keys, in one `corral -t` run, each at its
 * FILE:LINE and saying what would be right.
 */
START_TEST(sinks_config_errors)
{
	/* @T@ is replaced in the file, not here: the lines stay the same. */
	const char *conf =
	    "[corral]\n"
	    "log_format = xml\n"
	    "\n"
	    "[service:a]\n"
	    "command = true\n"
	    "output = prefix syslog\n"
	    "\n"
	    "[service:b]\n"
	    "command = true\n"
	    "output = inherit prefix\n"
	    "\n"
	    "[service:c]\n"
	    "command = true\n"
	    "output = null file:/x\n"
	    "\n"
	    "[service:d]\n"
	    "command = true\n"
	    "output = prefix prefix\n"
	    "\n"
	    "[service:e]\n"
	    "command = true\n"
	    "output = file:@T@/e.log file:@T@/e.log\n"
	    "\n"
	    "[service:f]\n"
	    "command = true\n"
	    "output = file:@T@/shared.log\n"
	    "\n"
	    "[service:g]\n"
	    "command = true\n"
	    "output = prefix file:@T@/shared.log\n"
	    "\n"
	    "[service:h]\n"
	    "command = true\n"
	    "instances = 2\n"
	    "output = file:@T@/h.log\n"
	    "\n"
	    "[service:i]\n"
	    "command = true\n"
	    "output_max_size = 1M\n"
	    "\n"
	    "[service:j]\n"
	    "command = true\n"
	    "output = file:@T@/j.log\n"
	    "output_max_size = lots\n"
	    "\n"
	    "[service:k]\n"
	    "command = true\n"
	    "output = journal\n"
	    "output_timestamps = yes\n";
	const char *path = h_write("bad.conf", conf), *out;
	struct {
		const char	*at;	/* the line's text */
		const char	*says;	/* in the message */
	} want[] = {
		{ "log_format = xml", "'xml' is not a log format (text or "
		    "json)" },
		{ "output = prefix syslog", "'syslog' is not an output sink "
		    "(inherit, null, prefix, journal or file:/ABSOLUTE/PATH)" },
		{ "output = inherit prefix", "inherit and null stand alone "
		    "(combine prefix, journal and file:PATH)" },
		{ "output = null file:/x", "inherit and null stand alone" },
		{ "output = prefix prefix", "'prefix' is given twice" },
		{ "output = file:", "/e.log' is given twice" },
		{ "output = prefix file:", h_fmt("file:%s/shared.log is written "
		    "by [service:f] already (%s:%d)", h_dir(), path, line_of(conf,
		    "[service:f]")) },
		{ "instances = 2\noutput", "its instances would all write "
		    "file:" },
		{ "instances = 2\noutput", "(put ${CORRAL_INSTANCE} in the "
		    "path)" },
		{ "output_max_size = 1M", "only file: sinks rotate, and output "
		    "has none (add file:/PATH to output" },
		{ "output_max_size = lots", "'lots' is not a size (bytes, or "
		    "a number with K, M or G" },
		{ "output_timestamps = yes", "output has no prefix sink (add "
		    "prefix to output)" },
	};
	struct h_proc *p = h_spawn("check", NULL, (const char *[]){
	    getenv("CORRAL_BIN"), "-t", "-c", path, NULL });

	h_expect_exit(p, 1, H_WAIT_MS);
	out = h_read(p->err);
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		int line = line_of(conf, want[i].at) + (strchr(want[i].at, '\n')
		    != NULL);
		const char *at = h_fmt("%s:%d: ", path, line), *l = strstr(out,
		    at), *nl = l ? strchr(l, '\n') : NULL;

		ck_assert_msg(l != NULL && nl != NULL && memmem(l, (size_t)(nl -
		    l), want[i].says, strlen(want[i].says)) != NULL, "no error "
		    "at %s saying '%s'; corral -t said:\n%s", at, want[i].says,
		    out);
	}
	ck_assert_msg(h_count_lines(p->err, path) == 11, "expected 11 errors, "
	    "one per mistake; corral -t said:\n%s", out);
}
END_TEST

Suite *
suite_sinks(void)
{
	Suite *s = suite_create("sinks");

	h_add(s, sinks_prefix_and_file, 20);
	h_add(s, sinks_several_files, 20);
	h_add(s, sinks_rotation_loses_nothing, 60);
	h_add(s, sinks_rotation_keeps_the_newest, 60);
	h_add(s, sinks_reopen_after_rename, 20);
	h_add(s, sinks_json_every_byte, 20);
	h_add(s, sinks_output_timestamps, 20);
	h_add(s, sinks_journal_native, 20);
	h_add(s, sinks_journal_fallback, 20);
	h_add(s, sinks_journal_not_reading, 60);
	h_add(s, sinks_file_unopenable_others_work, 20);
	h_add(s, sinks_file_disk_full, 30);
	h_add(s, sinks_symlink_swapped_between_rotations, 60);
	h_add(s, sinks_fifo_planted_unread, 20);
	h_add(s, sinks_fifo_planted_stalled, 40);
	h_add(s, sinks_config_errors, 20);
	return s;
}
