/*
 * `corral -t`: the shipped configs pass, every kind of mistake is reported
 * as FILE:LINE: with exit 1, and `-t -v` prints the plan (SPEC §2, §3).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* Runs `corral -t [-v] -c path` to its end, as user (NULL: the test's). */
static struct h_proc *
check_file(const char *tag, const char *path, const char *user, bool verbose)
{
	const char *argv[] = { getenv("CORRAL_BIN"), "-t", "-c", path,
	    verbose ? "-v" : NULL, NULL };
	struct h_spawn_opts o = { .user = user };
	struct h_proc *p = h_spawn(tag, &o, argv);

	/* A loader that blocks (on a FIFO, say) must fail here, not hang. */
	ck_assert_msg(h_wait_exit(p, H_WAIT_MS), "corral -t %s did not finish "
	    "within %d ms; %s", path, H_WAIT_MS, h_ctx(p));
	return p;
}

static bool
exited_with(const struct h_proc *p, int code)
{
	return WIFEXITED(p->status) && WEXITSTATUS(p->status) == code;
}

/* Whether some line of text starts with prefix and also holds fragment. */
static bool
has_line(const char *text, const char *prefix, const char *fragment)
{
	size_t plen = strlen(prefix);

	for (const char *line = text; line && *line != '\0';) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char *copy = h_fmt("%.*s", (int)len, line);

		if (strncmp(copy, prefix, plen) == 0 && strstr(copy, fragment))
			return true;
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

static void
write_bytes(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_msg(fd >= 0 && write(fd, buf, len) == (ssize_t)len &&
	    close(fd) == 0, "write %s: %s", path, strerror(errno));
}

START_TEST(check_shipped_configs_ok)
{
	static const char *const files[] = { "conf/corral.conf",
	    "conf/demo.conf" };

	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		const char *path = h_fmt("%s/%s", getenv("CORRAL_SRC"), files[i]);
		struct h_proc *p;

		ck_assert_msg(access(path, R_OK) == 0, "%s: %s", path,
		    strerror(errno));
		p = check_file(h_fmt("shipped-%zu", i), path, NULL, false);
		ck_assert_msg(exited_with(p, 0) && has_line(h_read(p->out),
		    h_fmt("%s: ok (", path), "service"),
		    "corral -t %s: expected exit 0 and '%s: ok (N services)'; %s",
		    path, path, h_ctx(p));
	}
}
END_TEST

/* Accepted by SPEC §3 although they look odd. */
START_TEST(check_edge_cases_ok)
{
	char line199[200];
	static const char bom_crlf[] = "\xef\xbb\xbf[corral]\r\nstrict = no\r\n"
	    "\r\n[service:a]\r\ncommand = sh -c 'exit 0'\r\n";
	const char *path;
	struct h_proc *p;

	/* 199 bytes with its newline: the longest line allowed. */
	memset(line199, 'x', sizeof(line199));
	memcpy(line199, "command = echo ", 15);
	line199[198] = '\n';
	line199[199] = '\0';
	path = h_write("long-ok.conf", h_fmt("[service:a]\n%s", line199));
	p = check_file("long-ok", path, NULL, false);
	ck_assert_msg(exited_with(p, 0), "a 199-byte line was refused; %s",
	    h_ctx(p));

	path = h_path("bom-crlf.conf");
	write_bytes(path, bom_crlf, sizeof(bom_crlf) - 1);
	p = check_file("bom-crlf", path, NULL, false);
	ck_assert_msg(exited_with(p, 0) && has_line(h_read(p->out),
	    h_fmt("%s: ok (1 service)", path), ""),
	    "a file with a byte-order mark and CRLF endings was refused; %s",
	    h_ctx(p));
}
END_TEST

struct broken {
	const char	*name;
	const char	*text;
	size_t		 len;		/* 0: strlen(text) */
	int		 line;
	const char	*says;		/* part of the message on that line */
};

static const char nul_byte[] = "[service:a]\ncommand = true\n"
    "environment = A=\0B\n";

static const char garbage[] = "\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0"
    "\x03\0>\0\x01\0\0\0\x10\x11\0\0\0\0\0\0@\0\n\xff\xfe\x80";

static const struct broken broken[] = {
	{ "unknown-key", "[corral]\nstop_timout = 1s\n", 0, 2,
	    "did you mean 'stop_timeout'" },
	{ "unknown-service-key", "[service:a]\ncommand = true\n"
	    "restrat = always\n", 0, 3, "did you mean 'restart'" },
	{ "unknown-section", "[corral]\n[servce:a]\ncommand = true\n", 0, 2,
	    "servce" },
	{ "duplicate-service", "[service:a]\ncommand = true\n\n[service:a]\n"
	    "command = true\n", 0, 4, "'a'" },
	{ "duplicate-key", "[service:a]\ncommand = true\ncommand = false\n", 0,
	    3, "command" },
	{ "second-corral", "[corral]\nstrict = no\n[corral]\n", 0, 3,
	    "[corral]" },
	{ "key-before-section", "strict = no\n[corral]\n", 0, 1, "strict" },
	{ "bad-duration", "[corral]\nstop_timeout = 10 parsecs\n", 0, 2,
	    "'10 parsecs'" },
	{ "negative-duration", "[service:a]\ncommand = true\n"
	    "cleanup_timeout = -1s\n", 0, 3, "'-1s'" },
	{ "bad-signal-number", "[service:a]\ncommand = true\nkill_signal = 99\n",
	    0, 3, "'99'" },
	{ "bad-signal-name", "[service:a]\ncommand = true\n"
	    "stop_signal = SIGFOO\n", 0, 3, "'SIGFOO'" },
	{ "bad-boolean", "[service:a]\ncommand = true\ncritical = maybe\n", 0, 3,
	    "'maybe'" },
	{ "bad-order", "[corral]\nshutdown_order = random\n", 0, 2, "'random'" },
	{ "empty-command", "[service:a]\ncommand = ''\n", 0, 2, "command" },
	{ "no-command", "[service:a]\ndirectory = /\n", 0, 1, "command" },
	{ "quote-cut-by-comment", "[service:a]\n"
	    "command = sh -c 'echo a ; echo b'\n", 0, 2, ";" },
	{ "bad-service-name", "[service:bad name!]\ncommand = true\n", 0, 1,
	    "bad name!" },
	/* Up to the NUL, line 3 is a valid "A=": only the NUL can be wrong. */
	{ "nul-byte", nul_byte, sizeof(nul_byte) - 1, 3, "" },
	{ "binary-garbage", garbage, sizeof(garbage) - 1, 1, "" },
};

START_TEST(check_reports_each_mistake)
{
	char *wrong = NULL;
	char longline[256];
	const char *path;
	struct h_proc *p;

	for (size_t i = 0; i < sizeof(broken) / sizeof(*broken); i++) {
		const struct broken *b = &broken[i];
		const char *where;

		path = h_path(h_fmt("%s.conf", b->name));
		write_bytes(path, b->text, b->len ? b->len : strlen(b->text));
		p = check_file(b->name, path, NULL, false);
		where = h_fmt("%s:%d: ", path, b->line);
		/* Collected, so one run shows every case that is wrong. */
		if (!exited_with(p, 1) || !has_line(h_read(p->err), where, b->says))
			wrong = h_fmt("%s\n* %s: expected exit 1 and a line "
			    "'%s...%s...'; %s", wrong ? wrong : "", b->name, where,
			    b->says, h_ctx(p));
	}
	ck_assert_msg(wrong == NULL, "mistakes not reported as SPEC §3 says:%s",
	    wrong);

	/* 200 bytes with its newline: one too many for Debian's inih. */
	memset(longline, 'x', sizeof(longline));
	memcpy(longline, "command = echo ", 15);
	longline[199] = '\n';
	longline[200] = '\0';
	path = h_write("long.conf", h_fmt("[service:a]\n%s", longline));
	p = check_file("long", path, NULL, false);
	ck_assert_msg(exited_with(p, 1) && has_line(h_read(p->err),
	    h_fmt("%s:2: ", path), "long"),
	    "a 200-byte line must be an error at line 2 that says it is too "
	    "long; %s", h_ctx(p));
}
END_TEST

START_TEST(check_reports_every_error_in_a_file)
{
	const char *path = h_write("three.conf",
	    "[corral]\n"
	    "stop_timeout = soon\n"
	    "\n"
	    "[service:a]\n"
	    "command = true\n"
	    "critical = perhaps\n"
	    "[service:b]\n"
	    "command = true\n"
	    "kill_signal = NOPE\n");
	struct h_proc *p = check_file("three", path, NULL, false);
	const char *err = h_read(p->err);

	ck_assert_msg(exited_with(p, 1) &&
	    has_line(err, h_fmt("%s:2: ", path), "'soon'") &&
	    has_line(err, h_fmt("%s:6: ", path), "'perhaps'") &&
	    has_line(err, h_fmt("%s:9: ", path), "'NOPE'"),
	    "expected errors at lines 2, 6 and 9, all of them; %s", h_ctx(p));
}
END_TEST

/* Problems of the file itself have no line: "FILE: message". */
START_TEST(check_reports_unusable_files)
{
	const char *missing = h_path("missing.conf");
	const char *unreadable = h_write("unreadable.conf",
	    "[service:a]\ncommand = true\n");
	const char *fifo = h_path("fifo.conf");
	struct h_proc *p;

	p = check_file("missing", missing, NULL, false);
	ck_assert_msg(exited_with(p, 1) && has_line(h_read(p->err),
	    h_fmt("%s: ", missing), "No such file"),
	    "missing file: expected exit 1 and '%s: ...No such file...'; %s",
	    missing, h_ctx(p));

	/* Root reads any file, so then corral runs as nobody to be refused. */
	ck_assert_msg(chmod(unreadable, 0) == 0, "chmod: %s", strerror(errno));
	p = check_file("unreadable", unreadable,
	    geteuid() == 0 ? "nobody" : NULL, false);
	ck_assert_msg(exited_with(p, 1) && has_line(h_read(p->err),
	    h_fmt("%s: ", unreadable), "Permission denied"),
	    "unreadable file: expected exit 1 and '%s: ...Permission "
	    "denied...'; %s", unreadable, h_ctx(p));

	p = check_file("directory", h_dir(), NULL, false);
	ck_assert_msg(exited_with(p, 1) && has_line(h_read(p->err),
	    h_fmt("%s: ", h_dir()), "directory"),
	    "directory: expected exit 1 and '%s: ...directory...'; %s", h_dir(),
	    h_ctx(p));

	/* Nobody ever writes to it: opening it for reading must not block. */
	ck_assert_msg(mkfifo(fifo, 0644) == 0, "mkfifo: %s", strerror(errno));
	p = check_file("fifo", fifo, NULL, false);
	ck_assert_msg(exited_with(p, 1) && has_line(h_read(p->err),
	    h_fmt("%s: ", fifo), "regular file"),
	    "FIFO: expected exit 1 and '%s: not a regular file'; %s", fifo,
	    h_ctx(p));
}
END_TEST

/*
 * a: 1s drain + 2s window + 5s cleanup = 8s; b: 3s + 4s = 7s.  In parallel
 * the worst case is the longer one, in sequence (b first: reverse file
 * order) their sum.
 */
#define PLAN_CONF(order)		\
    "[corral]\n"			\
    "shutdown_order = " order "\n"	\
    "shutdown_deadline = 10s\n"		\
    "\n"				\
    "[service:a]\n"			\
    "command = sleep 1\n"		\
    "stop_delay = 1s\n"			\
    "stop_timeout = 2s\n"		\
    "cleanup = true\n"			\
    "cleanup_timeout = 5s\n"		\
    "\n"				\
    "[service:b]\n"			\
    "command = sleep 1\n"		\
    "stop_timeout = 3s\n"		\
    "cleanup = true\n"			\
    "cleanup_timeout = 4s\n"

START_TEST(check_verbose_prints_plan)
{
	const char *par = h_write("parallel.conf", PLAN_CONF("parallel"));
	const char *seq = h_write("sequential.conf",
	    PLAN_CONF("sequential"));
	struct h_proc *p;
	const char *out;

	p = check_file("parallel", par, NULL, true);
	out = h_read(p->out);
	ck_assert_msg(exited_with(p, 0) &&
	    has_line(out, "start order:", "") &&
	    has_line(out, "  wave 1: a b", "") &&
	    has_line(out, "shutdown timeline (parallel", "") &&
	    has_line(out, "  +0s", "TERM at +1s, KILL at +3s, cleanup until +8s") &&
	    has_line(out, "  +0s", "TERM at +0s, KILL at +3s, cleanup until +7s") &&
	    has_line(out, "total: 8s", ""),
	    "parallel plan: expected wave 1: a b, a: TERM +1s KILL +3s cleanup "
	    "until +8s, b: TERM +0s KILL +3s cleanup until +7s, total: 8s; %s",
	    h_ctx(p));
	ck_assert_msg(!has_line(h_read(p->err), "", "warning"),
	    "8s fits in shutdown_deadline 10s, yet there is a warning; %s",
	    h_ctx(p));

	p = check_file("sequential", seq, NULL, true);
	out = h_read(p->out);
	ck_assert_msg(exited_with(p, 0) &&
	    has_line(out, "stop order: b a", "") &&
	    has_line(out, "  +0s", "TERM at +0s, KILL at +3s, cleanup until +7s") &&
	    has_line(out, "  +7s", "TERM at +8s, KILL at +10s, cleanup until +15s") &&
	    has_line(out, "total: 15s", ""),
	    "sequential plan: expected b from +0s until +7s, then a from +7s "
	    "(TERM +8s, KILL +10s, cleanup until +15s), total: 15s; %s",
	    h_ctx(p));
	ck_assert_msg(has_line(h_read(p->err), h_fmt("%s: warning: ", seq),
	    "shutdown takes 15s, more than shutdown_deadline 10s"),
	    "15s exceeds shutdown_deadline 10s: expected a warning; %s",
	    h_ctx(p));
}
END_TEST

/* The command line itself: --version, --help, and usage errors (exit 2). */
START_TEST(cli_usage)
{
	struct h_proc *p = h_corral_args("version", "--version", (char *)NULL);

	h_expect_exit(p, 0, H_WAIT_MS);
	ck_assert_msg(h_wait_text(p->out, "corral ", H_WAIT_MS), "no version");
	p = h_corral_args("help", "--help", (char *)NULL);
	h_expect_exit(p, 0, H_WAIT_MS);
	ck_assert_msg(h_wait_text(p->out, "usage: corral", H_WAIT_MS),
	    "no usage on --help");
	p = h_corral_args("bogus", "--bogus", (char *)NULL);
	h_expect_exit(p, 2, H_WAIT_MS);
	ck_assert_msg(h_wait_text(p->err, "usage: corral", H_WAIT_MS),
	    "no usage after a bad option");
	/* -c needs its argument. */
	p = h_corral_args("noarg", "-c", (char *)NULL);
	h_expect_exit(p, 2, H_WAIT_MS);
}
END_TEST

Suite *
suite_check_cli(void)
{
	Suite *s = suite_create("check_cli");

	h_add(s, check_shipped_configs_ok, 20);
	h_add(s, check_edge_cases_ok, 20);
	h_add(s, check_reports_each_mistake, 30);
	h_add(s, check_reports_every_error_in_a_file, 20);
	h_add(s, check_reports_unusable_files, 30);
	h_add(s, check_verbose_prints_plan, 20);
	h_add(s, cli_usage, 20);
	return s;
}
