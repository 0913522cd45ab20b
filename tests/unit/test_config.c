/*
 * The config loader: what a file means once loaded, and every problem it
 * reports.  corral.conf(5) promises that each problem names the file and
 * the line, so messages are matched on their exact "FILE:LINE: " prefix,
 * and on the parts a user needs to fix the line.
 */
#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "diagcheck.h"
#include "log.h"
#include "suites.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define PATH		"t.conf"

static struct config *
parse_len(const char *text, size_t len, struct diag *d)
{
	return config_parse(PATH, text, len, d);
}

static struct config *
parse(const char *text, struct diag *d)
{
	return parse_len(text, strlen(text), d);
}

#define ASSERT_NERRORS(d, want)						\
	ck_assert_msg((d)->nerrors == (want),				\
	    "%zu errors, want %d:\n%s", (d)->nerrors, (want), diag_dump(d))

/* Loads text that must be clean: no error, no warning. */
static struct config *
load_ok(const char *text)
{
	struct diag d = { 0 };
	struct config *c = parse(text, &d);

	ck_assert_msg(c != NULL && d.n == 0, "unexpected problems in\n%s\n%s",
	    text, diag_dump(&d));
	diag_free(&d);
	return c;
}

/* Loads text that must fail; the caller inspects and frees the problems. */
static struct diag
load_bad_len(const char *text, size_t len)
{
	struct diag d = { 0 };
	struct config *c = parse_len(text, len, &d);

	ck_assert_msg(c == NULL, "loaded without error:\n%s", text);
	ck_assert_msg(d.nerrors > 0 && d.n > 0, "NULL without a reason");
	return d;
}

static struct diag
load_bad(const char *text)
{
	return load_bad_len(text, strlen(text));
}

static void
assert_argv(char **argv, const char *const *want, size_t n)
{
	ck_assert_ptr_nonnull(argv);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(argv[i] != NULL, "argv ends at %zu, want %zu words",
		    i, n);
		ck_assert_str_eq(argv[i], want[i]);
	}
	ck_assert_msg(argv[n] == NULL, "more than %zu words: [%s]", n, argv[n]);
}

#define ASSERT_ARGV(argv, ...) do {					\
	static const char *const want_[] = { __VA_ARGS__ };		\
	assert_argv((argv), want_, NELEM(want_));			\
} while (0)

static bool
only_codes(const struct exit_set *set, const int *codes, size_t n)
{
	for (int code = 0; code <= 255; code++) {
		bool listed = false;

		for (size_t i = 0; i < n; i++)
			listed |= codes[i] == code;
		if (exit_set_has(set, code) != listed)
			return false;
	}
	return true;
}

/* --- what a clean file means ------------------------------------------ */

START_TEST(defaults)
{
	struct config *c = load_ok("[service:a]\ncommand = /bin/true\n");
	const struct svc_conf *s;
	static const int zero[] = { 0 };

	ck_assert_str_eq(c->path, PATH);
	ck_assert(c->stop_timeout == 10);
	ck_assert(c->cleanup_timeout == 30);
	ck_assert_int_eq(c->shutdown_order, ORDER_PARALLEL);
	ck_assert(c->shutdown_deadline == 0);
	ck_assert(config_forwards(c, SIGUSR1));
	ck_assert(config_forwards(c, SIGUSR2));
	ck_assert(config_forwards(c, SIGWINCH));
	ck_assert(!config_forwards(c, SIGTERM));
	ck_assert(!config_forwards(c, SIGHUP));
	ck_assert(!config_forwards(c, 0) && !config_forwards(c, 65));
	ck_assert_int_eq(c->log_level, LOGL_INFO);
	ck_assert(!c->log_timestamps);
	ck_assert(c->subreaper);
	ck_assert(c->strict);

	ck_assert_uint_eq(c->nservices, 1);
	s = c->services[0];
	ck_assert_ptr_eq(config_find(c, "a"), s);
	ck_assert_ptr_null(config_find(c, "b"));
	ck_assert_str_eq(s->name, "a");
	ck_assert_int_eq(s->line, 1);
	ck_assert_uint_eq(s->index, 0);
	ck_assert_str_eq(s->command, "/bin/true");
	ASSERT_ARGV(s->argv, "/bin/true");
	ck_assert_ptr_null(s->directory);
	ck_assert_uint_eq(s->nenv, 0);
	ck_assert(s->autostart);
	ck_assert(!s->critical);
	ck_assert_int_eq(s->restart, RESTART_ON_FAILURE);
	/* Nothing rare set: the shared block, not a copy. */
	ck_assert_ptr_eq(s->rare, &svc_rare_defaults);
	ck_assert(only_codes(&s->rare->success_codes, zero, NELEM(zero)));
	ck_assert(s->start_seconds == 1);
	ck_assert_uint_eq(s->start_retries, 5);
	ck_assert(s->restart_delay == 1);
	ck_assert(s->restart_delay_max == 30);
	ck_assert(s->stop_delay == 0);
	ck_assert_int_eq(s->stop_signal, SIGTERM);
	ck_assert(s->stop_timeout == 10);
	ck_assert_int_eq(s->kill_signal, SIGKILL);
	ck_assert_ptr_null(s->cleanup);
	ck_assert_ptr_null(s->cleanup_argv);
	ck_assert(s->cleanup_timeout == 30);
	ck_assert_uint_eq(s->nafter, 0);
	config_free(c);
}
END_TEST

START_TEST(every_key)
{
	struct config *c = load_ok(
	    "; an annotated file\n"
	    "[corral]\n"
	    "stop_timeout = 5s\n"
	    "cleanup_timeout = infinity\n"
	    "shutdown_order = sequential\n"
	    "shutdown_deadline = 28s\n"
	    "forward_signals = HUP SIGUSR1 30\n"
	    "log_level = debug\n"
	    "log_timestamps = yes\n"
	    "subreaper = no\n"
	    "strict = off\n"
	    "\n"
	    "[service:db]\n"
	    "command = postgres -D '/var/lib/pg data'\n"
	    "\n"
	    "[service:web]\n"
	    "command = /usr/bin/web --port 80\n"
	    "directory = /srv/web\n"
	    "environment = A=1 B='two words'\n"
	    "autostart = no\n"
	    "critical = yes\n"
	    "restart = always\n"
	    "success_exit_codes = 0 143\n"
	    "start_seconds = 250ms\n"
	    "start_retries = 7\n"
	    "restart_delay = 2s\n"
	    "restart_delay_max = 1m\n"
	    "stop_delay = 3s\n"
	    "stop_signal = INT\n"
	    "stop_timeout = 20s\n"
	    "kill_signal = 9\n"
	    "cleanup = /bin/cleanup --all \"x y\"\n"
	    "cleanup_timeout = 45s\n"
	    "after = db\n");
	const struct svc_conf *db, *web;
	static const int codes[] = { 0, 143 }, zero[] = { 0 };

	ck_assert(c->stop_timeout == 5);
	ck_assert(isinf(c->cleanup_timeout));
	ck_assert_int_eq(c->shutdown_order, ORDER_SEQUENTIAL);
	ck_assert(c->shutdown_deadline == 28);
	ck_assert(c->forward_signals == ((UINT64_C(1) << (SIGHUP - 1)) |
	    (UINT64_C(1) << (SIGUSR1 - 1)) | (UINT64_C(1) << (30 - 1))));
	ck_assert_int_eq(c->log_level, LOGL_DEBUG);
	ck_assert(c->log_timestamps);
	ck_assert(!c->subreaper);
	ck_assert(!c->strict);

	ck_assert_uint_eq(c->nservices, 2);
	db = c->services[0];
	web = c->services[1];
	ck_assert_str_eq(db->name, "db");
	ck_assert_int_eq(db->line, 13);
	ck_assert_uint_eq(db->index, 0);
	ASSERT_ARGV(db->argv, "postgres", "-D", "/var/lib/pg data");
	ck_assert(db->stop_timeout == 5);
	ck_assert(isinf(db->cleanup_timeout));

	ck_assert_str_eq(web->name, "web");
	ck_assert_int_eq(web->line, 16);
	ck_assert_uint_eq(web->index, 1);
	ck_assert_str_eq(web->command, "/usr/bin/web --port 80");
	ASSERT_ARGV(web->argv, "/usr/bin/web", "--port", "80");
	ck_assert_str_eq(web->directory, "/srv/web");
	ck_assert_uint_eq(web->nenv, 2);
	ASSERT_ARGV(web->env, "A=1", "B=two words");
	ck_assert(!web->autostart);
	ck_assert(web->critical);
	ck_assert_int_eq(web->restart, RESTART_ALWAYS);
	ck_assert_ptr_ne(web->rare, &svc_rare_defaults);
	ck_assert(only_codes(&web->rare->success_codes, codes, NELEM(codes)));
	/* web's copy, not the block db shares, took the codes. */
	ck_assert_ptr_eq(db->rare, &svc_rare_defaults);
	ck_assert(only_codes(&db->rare->success_codes, zero, NELEM(zero)));
	ck_assert_double_eq_tol(web->start_seconds, 0.25, 1e-9);
	ck_assert_uint_eq(web->start_retries, 7);
	ck_assert(web->restart_delay == 2);
	ck_assert(web->restart_delay_max == 60);
	ck_assert(web->stop_delay == 3);
	ck_assert_int_eq(web->stop_signal, SIGINT);
	ck_assert(web->stop_timeout == 20);
	ck_assert_int_eq(web->kill_signal, SIGKILL);
	ck_assert_str_eq(web->cleanup, "/bin/cleanup --all \"x y\"");
	ASSERT_ARGV(web->cleanup_argv, "/bin/cleanup", "--all", "x y");
	ck_assert(web->cleanup_timeout == 45);
	ck_assert_uint_eq(web->nafter, 1);
	ASSERT_ARGV(web->after, "db");
	ck_assert_uint_eq(web->after_idx[0], db->index);
	config_free(c);
}
END_TEST

/*
 * The settings of struct svc_rare land in the service's own block, which
 * starts from the defaults; the shared block never changes.
 */
START_TEST(rare_keys)
{
	struct config *c = load_ok(
	    "[service:plain]\n"
	    "command = x\n"
	    "[service:checked]\n"
	    "command = x\n"
	    "ready_check = /bin/ready --now\n"
	    "health_check = /bin/healthy\n"
	    "health_retries = 7\n"
	    "limit_nofile = 64:128\n"
	    "[service:dog]\n"
	    "command = x\n"
	    "environment = WATCHDOG_USEC=2500000\n");
	const struct svc_rare *r;

	ck_assert_ptr_eq(c->services[0]->rare, &svc_rare_defaults);
	r = c->services[1]->rare;
	ck_assert_ptr_ne(r, &svc_rare_defaults);
	ck_assert_str_eq(r->ready_check, "/bin/ready --now");
	ASSERT_ARGV(r->ready_check_argv, "/bin/ready", "--now");
	ck_assert(r->ready_interval == 1);
	ASSERT_ARGV(r->health_check_argv, "/bin/healthy");
	ck_assert_uint_eq(r->health_retries, 7);
	ck_assert(r->health_interval == 30 && r->health_timeout == 5);
	ck_assert(r->limits[LIMIT_nofile].set);
	ck_assert_uint_eq(r->limits[LIMIT_nofile].soft, 64);
	ck_assert_uint_eq(r->limits[LIMIT_nofile].hard, 128);
	ck_assert(!r->limits[LIMIT_nproc].set);
	ck_assert(c->services[2]->rare->watchdog == 2.5);
	ck_assert_ptr_null(svc_rare_defaults.health_check);
	ck_assert_uint_eq(svc_rare_defaults.health_retries, 3);
	ck_assert(!svc_rare_defaults.limits[LIMIT_nofile].set);
	ck_assert(svc_rare_defaults.watchdog == 0);
	config_free(c);
}
END_TEST

/* Where [corral] sits in the file must not change what services inherit. */
START_TEST(timeouts_inherit_from_corral_below)
{
	struct config *c = load_ok(
	    "[service:a]\n"
	    "command = x\n"
	    "[service:b]\n"
	    "command = x\n"
	    "stop_timeout = 2s\n"
	    "cleanup_timeout = 0\n"
	    "[corral]\n"
	    "stop_timeout = 3s\n"
	    "cleanup_timeout = infinity\n");
	const struct svc_conf *a = config_find(c, "a"), *b = config_find(c, "b");

	ck_assert(a->stop_timeout == 3);
	ck_assert(isinf(a->cleanup_timeout));
	ck_assert(b->stop_timeout == 2);
	ck_assert(b->cleanup_timeout == 0);
	config_free(c);
}
END_TEST

START_TEST(keys_in_any_case_of_value)
{
	struct config *c = load_ok(
	    "[corral]\n"
	    "shutdown_order = Sequential\n"
	    "log_level = WARN\n"
	    "forward_signals = none\n"
	    "shutdown_deadline = infinity\n"
	    "[service:a]\n"
	    "command = x\n"
	    "restart = Never\n"
	    "stop_signal = sigquit\n"
	    "stop_timeout = infinity\n");
	const struct svc_conf *a = c->services[0];

	ck_assert_int_eq(c->shutdown_order, ORDER_SEQUENTIAL);
	ck_assert_int_eq(c->log_level, LOGL_WARN);
	ck_assert(c->forward_signals == 0);
	/* "No bound" and "none" are the same deadline. */
	ck_assert(c->shutdown_deadline == 0);
	ck_assert_int_eq(a->restart, RESTART_NEVER);
	ck_assert_int_eq(a->stop_signal, SIGQUIT);
	ck_assert(isinf(a->stop_timeout));
	config_free(c);
}
END_TEST

START_TEST(comments)
{
	struct config *c = load_ok(
	    "# a comment\n"
	    "; another\n"
	    "[service:a] ; the web server\n"
	    "command = sh -c 'a;b' ; the ';' inside the word stays\n"
	    "  # not part of the command\n"
	    "stop_timeout = 5s ; five seconds\n");
	const struct svc_conf *a = c->services[0];

	ASSERT_ARGV(a->argv, "sh", "-c", "a;b");
	ck_assert(a->stop_timeout == 5);
	config_free(c);
}
END_TEST

START_TEST(semicolon_without_blank_is_no_comment)
{
	/* "2s;" has no blank before ';': not a comment, so not a duration. */
	struct diag d = load_bad("[service:a]\ncommand = x\nrestart_delay = 2s;\n");

	ASSERT_DIAG(&d, PATH ":3: [service:a] restart_delay: ", "'2s;'",
	    "is not a duration");
	ASSERT_NERRORS(&d, 1);
	diag_free(&d);
}
END_TEST

START_TEST(continuation_lines)
{
	struct config *c = load_ok(
	    "[service:a]\n"
	    "command = /bin/prog\n"
	    "  --flag\n"
	    "\t--other 'x y'\n"
	    "  ; a comment between continuation lines\n"
	    "    --last=1\n"
	    "stop_signal = INT\n");
	const struct svc_conf *a = c->services[0];

	ck_assert_str_eq(a->command, "/bin/prog --flag --other 'x y' --last=1");
	ASSERT_ARGV(a->argv, "/bin/prog", "--flag", "--other", "x y", "--last=1");
	ck_assert_int_eq(a->stop_signal, SIGINT);
	config_free(c);
}
END_TEST

/*
 * A " ;" comment is a comment on every line.  Debian's inih 55 strips it
 * from key lines only, so on a continuation line it is the loader's job.
 */
START_TEST(inline_comment_on_continuation_line)
{
	struct config *c = load_ok(
	    "[service:a]\n"
	    "command = /bin/prog\n"
	    "  --flag ; what the flag does\n"
	    "environment = A=1\n"
	    "  B=2 ; why B\n");
	const struct svc_conf *a = c->services[0];

	ASSERT_ARGV(a->argv, "/bin/prog", "--flag");
	ASSERT_ARGV(a->env, "A=1", "B=2");
	config_free(c);
}
END_TEST

/* The fix that the long-line message suggests must work. */
START_TEST(long_value_over_continuation_lines)
{
	char text[1024], word[151];
	struct config *c;

	memset(word, 'w', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	snprintf(text, sizeof(text), "[service:a]\ncommand = echo\n  %s\n  %s\n"
	    "  %s\n", word, word, word);
	c = load_ok(text);
	ck_assert_uint_eq(strlen(c->services[0]->command), 4 + 3 * 151);
	ck_assert_str_eq(c->services[0]->argv[3], word);
	config_free(c);
}
END_TEST

START_TEST(environment_repeated)
{
	struct config *c = load_ok(
	    "[service:a]\n"
	    "command = x\n"
	    "environment = A=1\n"
	    "environment = B=2\n"
	    "  C=3 D='x y'\n"
	    "\tE=\"q \\\"r\\\"\" F=\n"
	    "stop_timeout = 1s\n"
	    "environment = _G=7\n");
	const struct svc_conf *a = c->services[0];

	ck_assert_uint_eq(a->nenv, 7);
	ASSERT_ARGV(a->env, "A=1", "B=2", "C=3", "D=x y", "E=q \"r\"", "F=",
	    "_G=7");
	config_free(c);
}
END_TEST

START_TEST(after_repeated)
{
	struct config *c = load_ok(
	    "[service:d]\ncommand = x\n"
	    "[service:b]\ncommand = x\nafter = d\n"
	    "[service:c]\ncommand = x\nafter = d\n"
	    "[service:a]\ncommand = x\nafter = b\nafter = c\n  d\n");
	const struct svc_conf *a = config_find(c, "a");

	ck_assert_uint_eq(a->nafter, 3);
	ASSERT_ARGV(a->after, "b", "c", "d");
	ck_assert_uint_eq(a->after_idx[0], config_find(c, "b")->index);
	ck_assert_uint_eq(a->after_idx[1], config_find(c, "c")->index);
	ck_assert_uint_eq(a->after_idx[2], config_find(c, "d")->index);
	config_free(c);
}
END_TEST

START_TEST(crlf)
{
	struct config *c = load_ok(
	    "[service:a]\r\n"
	    "command = /bin/x y\r\n"
	    "  z\r\n"
	    "stop_signal = INT\r\n"
	    "[corral]\r\n"
	    "log_level = warn\r\n"
	    "stop_timeout = 4s\r");
	const struct svc_conf *a = c->services[0];

	ASSERT_ARGV(a->argv, "/bin/x", "y", "z");
	ck_assert_int_eq(a->stop_signal, SIGINT);
	ck_assert_int_eq(c->log_level, LOGL_WARN);
	ck_assert(c->stop_timeout == 4);
	config_free(c);
}
END_TEST

START_TEST(bom)
{
	struct config *c = load_ok("\xEF\xBB\xBF[service:a]\ncommand = x\n");
	struct diag d;

	ck_assert_str_eq(c->services[0]->name, "a");
	config_free(c);

	/* The mark is not counted against the line. */
	d = load_bad("\xEF\xBB\xBF[corral]\nbogus = 1\n");
	ASSERT_DIAG(&d, PATH ":2: [corral] unknown key 'bogus'");
	diag_free(&d);
}
END_TEST

static void
make_line(char *buf, size_t size, size_t linelen)
{
	static const char head[] = "[service:a]\ncommand = echo ";
	size_t fill = linelen - (sizeof(head) - 1 - 12) - 1;

	ck_assert(size > sizeof(head) + fill + 1);
	memcpy(buf, head, sizeof(head) - 1);
	memset(buf + sizeof(head) - 1, 'a', fill);
	strcpy(buf + sizeof(head) - 1 + fill, "\n");
}

START_TEST(line_of_199_bytes)
{
	char text[512];
	struct config *c;

	make_line(text, sizeof(text), 199);
	ck_assert_uint_eq(strlen(strchr(text, '\n') + 1), 199);
	c = load_ok(text);
	ck_assert_uint_eq(strlen(c->services[0]->argv[1]), 199 - 16);
	config_free(c);
}
END_TEST

START_TEST(line_of_200_bytes)
{
	char text[512];
	struct diag d;

	make_line(text, sizeof(text), 200);
	ck_assert_uint_eq(strlen(strchr(text, '\n') + 1), 200);
	d = load_bad(text);
	ASSERT_DIAG(&d, PATH ":2: line is 200 bytes long; lines must be shorter "
	    "than 200 bytes", "continuation lines");
	diag_free(&d);
}
END_TEST

/* inih would split such a line and read its tail as a key of its own. */
START_TEST(long_line_tail_is_not_a_key)
{
	char text[512], *p;
	struct diag d;

	make_line(text, sizeof(text), 300);
	p = strrchr(text, '\n');
	memcpy(p - 20, " stop_signal = 99999", 20);
	d = load_bad(text);
	ASSERT_DIAG(&d, PATH ":2: line is 300 bytes long");
	ck_assert_msg(!diag_has(&d, PATH, "stop_signal", (const char *)NULL),
	    "the tail of the line was parsed:\n%s", diag_dump(&d));
	diag_free(&d);
}
END_TEST

START_TEST(nul_byte)
{
	static const char text[] = "[service:a]\ncommand = x\0y\n";
	static const char later[] = "[service:a]\ncommand = x\n\0\n"
	    "stop_signal = 99\n";
	struct diag d = load_bad_len(text, sizeof(text) - 1);

	ASSERT_DIAG(&d, PATH ":2: NUL byte at column 12");
	diag_free(&d);

	/* Reading goes on past the NUL: the next line is still checked. */
	d = load_bad_len(later, sizeof(later) - 1);
	ASSERT_DIAG(&d, PATH ":3: NUL byte at column 1");
	ASSERT_DIAG(&d, PATH ":4: [service:a] stop_signal: '99' is not a signal");
	ASSERT_NERRORS(&d, 2);
	diag_free(&d);
}
END_TEST

START_TEST(control_character)
{
	struct diag d = load_bad("[service:a]\ncommand = x\001y\n");
	struct config *c;

	ASSERT_DIAG(&d, PATH ":2: control character 0x01 at column 12");
	diag_free(&d);
	d = load_bad("[service:a]\ncommand = x\ny = \177\n");
	ASSERT_DIAG(&d, PATH ":3: control character 0x7f at column 5");
	ASSERT_NERRORS(&d, 1);
	diag_free(&d);

	/* Tabs are blanks, not control characters. */
	c = load_ok("[service:a]\ncommand =\tx\ty\n");
	ASSERT_ARGV(c->services[0]->argv, "x", "y");
	config_free(c);
}
END_TEST

/* --- problems that come alone ----------------------------------------- */

struct bad_case {
	const char	*text;
	const char	*prefix;	/* "FILE:LINE: " and more */
	const char	*frag;		/* also in the message; NULL: none */
	const char	*frag2;
};

static const struct bad_case single_errors[] = {
	/* Keys and sections. */
	{ "[service:web]\ncommand = x\nstop_timout = 5s\n",
	  PATH ":3: [service:web] unknown key 'stop_timout' ",
	  "(did you mean 'stop_timeout'?)", NULL },
	{ "[corral]\nlog_levl = debug\n",
	  PATH ":2: [corral] unknown key 'log_levl' ",
	  "(did you mean 'log_level'?)", NULL },
	{ "[corral]\nfrobnicate = 1\n",
	  PATH ":2: [corral] unknown key 'frobnicate' ", "corral.conf(5)",
	  NULL },
	{ "[corral]\ncommand = x\n",
	  PATH ":2: [corral] unknown key 'command' here ",
	  "belongs in a [service:NAME]", NULL },
	{ "[service:a]\ncommand = x\nlog_level = debug\n",
	  PATH ":3: [service:a] unknown key 'log_level' here ",
	  "belongs in [corral]", NULL },
	{ "[foo]\nbar = 1\n",
	  PATH ":1: unknown section [foo] ",
	  "(expected [corral] or [service:NAME])", NULL },
	{ "[program:web]\ncommand = x\n",
	  PATH ":1: unknown section [program:web]",
	  "corral calls programs [service:NAME]", NULL },
	{ "[service:a\ncommand = x\n",
	  PATH ":1: section header without closing ']'", NULL, NULL },
	{ "[service:a] web\ncommand = x\n",
	  PATH ":1: unexpected text 'web' after section header [service:a]",
	  NULL, NULL },
	{ "[service:a]\ncommand = x\n\n[service:a]\ncommand = y\n",
	  PATH ":4: [service:a]: service 'a' is already defined at line 1",
	  NULL, NULL },
	{ "[corral]\nstrict = no\n[service:a]\ncommand = x\n[corral]\n"
	  "strict = yes\n",
	  PATH ":5: second [corral] section ", "first is at line 1", NULL },
	{ "[service:a]\ncommand = x\ncommand = y\n",
	  PATH ":3: [service:a] command: set twice ", "first at line 2", NULL },
	{ "[corral]\nstrict = no\n\nstrict = yes\n",
	  PATH ":4: [corral] strict: set twice ", "first at line 2", NULL },
	{ "stop_timeout = 5s\n[corral]\n",
	  PATH ":1: key 'stop_timeout' before any section", "[corral]", NULL },
	{ "[service:a b]\ncommand = x\n",
	  PATH ":1: [service:a b]: 'a b' is not a valid service name ",
	  "1-64 characters", NULL },
	{ "[service:]\ncommand = x\n",
	  PATH ":1: [service:]: '' is not a valid service name", NULL, NULL },
	{ "[service:a/b]\ncommand = x\n",
	  PATH ":1: [service:a/b]: 'a/b' is not a valid service name", NULL,
	  NULL },
	{ "[service:a]\ncommand = x\njunk\n",
	  PATH ":3: 'junk' is not a 'key = value' line", NULL, NULL },
	{ "[service:a]\ncommand = x\nbad ; = 1\n",
	  PATH ":3: 'bad ; = 1' is not a 'key = value' line", NULL, NULL },

	/* Values. */
	{ "[service:a]\ncommand = x\nstop_signal =\n",
	  PATH ":3: [service:a] stop_signal: no value given", NULL, NULL },
	{ "[service:a]\nstop_signal = INT\n",
	  PATH ":1: [service:a]: no command ",
	  "(add 'command = PROGRAM ARGS...')", NULL },
	{ "[service:a]\ncommand = x\nstop_timeout = 10x\n",
	  PATH ":3: [service:a] stop_timeout: '10x' is not a duration", NULL,
	  NULL },
	{ "[corral]\nstop_timeout = -1s\n",
	  PATH ":2: [corral] stop_timeout: '-1s' is not a duration", NULL,
	  NULL },
	{ "[service:a]\ncommand = x\nstart_seconds = infinity\n",
	  PATH ":3: [service:a] start_seconds: 'infinity' is not allowed here",
	  NULL, NULL },
	{ "[service:a]\ncommand = x\nstop_signal = TERMINATE\n",
	  PATH ":3: [service:a] stop_signal: 'TERMINATE' is not a signal", NULL,
	  NULL },
	{ "[service:a]\ncommand = x\nautostart = maybe\n",
	  PATH ":3: [service:a] autostart: 'maybe' is not a boolean", NULL,
	  NULL },
	{ "[corral]\nstrict = 2\n",
	  PATH ":2: [corral] strict: '2' is not a boolean", NULL, NULL },
	{ "[service:a]\ncommand = x\nrestart = sometimes\n",
	  PATH ":3: [service:a] restart: 'sometimes' is not a restart policy",
	  "never, on-failure, always", NULL },
	{ "[corral]\nshutdown_order = random\n",
	  PATH ":2: [corral] shutdown_order: 'random' is not a shutdown order",
	  "parallel, sequential", NULL },
	{ "[corral]\nlog_level = verbose\n",
	  PATH ":2: [corral] log_level: 'verbose' is not a log level",
	  "error, warn, info, debug", NULL },
	{ "[service:a]\ncommand = x\nsuccess_exit_codes = 0 256\n",
	  PATH ":3: [service:a] success_exit_codes: '256' is not an exit code "
	  "(0-255)", NULL, NULL },
	{ "[service:a]\ncommand = x\nstart_retries = -1\n",
	  PATH ":3: [service:a] start_retries: '-1' is not a whole number", NULL,
	  NULL },
	{ "[service:a]\ncommand = x\nenvironment = A=1 1B=2\n",
	  PATH ":3: [service:a] environment: '1B=2' is not KEY=VALUE", NULL,
	  NULL },
	{ "[service:a]\ncommand = x\nenvironment = NOVALUE\n",
	  PATH ":3: [service:a] environment: 'NOVALUE' is not KEY=VALUE", NULL,
	  NULL },
	{ "[corral]\nforward_signals = USR1 TERM\n",
	  PATH ":2: [corral] forward_signals: TERM cannot be forwarded", NULL,
	  NULL },
	{ "[corral]\nforward_signals = SIGKILL\n",
	  PATH ":2: [corral] forward_signals: SIGKILL cannot be forwarded", NULL,
	  NULL },
	{ "[corral]\nforward_signals = USR1 bogus\n",
	  PATH ":2: [corral] forward_signals: 'bogus' is not a signal", NULL,
	  NULL },
	{ "[service:a]\ncommand = x\ncleanup = rm 'a ;b'\n",
	  PATH ":3: [service:a] cleanup: ", "unbalanced single quote", "';'" },
	{ "[service:a]\ncommand = x\nenvironment = A='x ;y'\n",
	  PATH ":3: [service:a] environment: ", "unbalanced single quote",
	  "';'" },

	/* Dependencies and cross-key rules. */
	{ "[service:a]\ncommand = x\nafter = nope\n",
	  PATH ":3: [service:a] after: no service named 'nope'", NULL, NULL },
	{ "[service:a]\ncommand = x\nafter = a\n",
	  PATH ":3: [service:a] after: a service cannot wait for itself", NULL,
	  NULL },
	{ "[service:a]\ncommand = x\nrestart_delay = 5s\nrestart_delay_max = 2s\n",
	  PATH ":1: [service:a]: restart_delay_max (2s) is shorter than "
	  "restart_delay (5s)", NULL, NULL },
	{ "[service:a]\ncommand = x\nrestart_delay = 1m\n",
	  PATH ":1: [service:a]: restart_delay_max (30s) is shorter than "
	  "restart_delay (60s)", NULL, NULL },
	{ "[service:a]\ncommand = x\nafter = b\n[service:b]\ncommand = x\n"
	  "after = a\n",
	  PATH ":3: [service:a] after: dependency cycle a -> b -> a", NULL,
	  NULL },
};

/*
 * A command that cannot be split is reported once, at its own line: not
 * again as a missing command at the header.
 */
static const struct bad_case broken_commands[] = {
	{ "[service:a]\ncommand = sh -c 'echo a\n",
	  PATH ":2: [service:a] command: ", "unbalanced single quote", NULL },
	{ "[service:a]\ncommand = sh -c 'echo a ; echo b'\n",
	  PATH ":2: [service:a] command: ", "unbalanced single quote", "';'" },
	{ "[service:a]\ncommand = sh -c \"echo a ; echo b\"\n",
	  PATH ":2: [service:a] command: ", "unbalanced double quote", "';'" },
	{ "[service:a]\ncommand = sh -c 'echo a\n  echo b ; echo c'\n",
	  PATH ":2: [service:a] command: ", "unbalanced single quote", "';'" },
	{ "[service:a]\ncommand = x\\\n",
	  PATH ":2: [service:a] command: 'x\\' ends with a lone backslash", NULL,
	  NULL },
};

static void
assert_bad_case(const struct bad_case *bc, size_t nerrors)
{
	struct diag d = load_bad(bc->text);

	ck_assert_msg(diag_has(&d, bc->prefix, bc->frag, bc->frag2,
	    (const char *)NULL), "no problem [%s...%s...%s] for\n%s\ngot:\n%s",
	    bc->prefix, bc->frag ? bc->frag : "", bc->frag2 ? bc->frag2 : "",
	    bc->text, diag_dump(&d));
	ck_assert_msg(d.nerrors == nerrors, "%zu errors, want %zu, for\n%s\n"
	    "got:\n%s", d.nerrors, nerrors, bc->text, diag_dump(&d));
	diag_free(&d);
}

START_TEST(single_error)
{
	assert_bad_case(&single_errors[_i], 1);
}
END_TEST

START_TEST(broken_command)
{
	assert_bad_case(&broken_commands[_i], 1);
}
END_TEST

/* The example of corral.conf(5), word for word. */
START_TEST(spec_signal_message)
{
	static const char text[] =
	    "[corral]\n"
	    "stop_timeout = 5s\n"
	    "\n"
	    "[service:web]\n"
	    "command = /usr/bin/web\n"
	    "stop_signal = TERM\n"
	    "kill_signal = 99\n";
	struct diag d = { 0 };

	ck_assert_ptr_null(config_parse("corral.conf", text, strlen(text), &d));
	ck_assert_uint_eq(d.n, 1);
	ck_assert_str_eq(d.lines[0],
	    "corral.conf:7: [service:web] kill_signal: '99' is not a signal (1-64)");
	diag_free(&d);
}
END_TEST

START_TEST(unbalanced_quote_without_comment_blames_no_semicolon)
{
	struct diag d = load_bad("[service:a]\ncommand = sh -c 'echo a\n");

	ck_assert_msg(strchr(d.lines[0], ';') == NULL,
	    "';' blamed without an inline comment: %s", d.lines[0]);
	diag_free(&d);
}
END_TEST

START_TEST(empty_command)
{
	struct diag d = load_bad("[service:a]\ncommand =\n");

	ASSERT_DIAG(&d, PATH ":2: [service:a] command: no value given");
	/* One mistake, one message: not also "no command" at the header. */
	ck_assert_uint_eq(d.nerrors, 1);
	diag_free(&d);
}
END_TEST

START_TEST(service_names)
{
	char name65[66], text[128];
	struct config *c;
	struct diag d;

	memset(name65, 'n', 65);
	name65[65] = '\0';
	snprintf(text, sizeof(text), "[service:%s]\ncommand = x\n", name65);
	d = load_bad(text);
	ASSERT_DIAG(&d, PATH ":1: [service:", "is not a valid service name");
	ASSERT_NERRORS(&d, 1);
	diag_free(&d);

	snprintf(text, sizeof(text), "[service:%.64s]\ncommand = x\n", name65);
	c = load_ok(text);
	ck_assert_uint_eq(strlen(c->services[0]->name), 64);
	config_free(c);

	c = load_ok("[service:A-z_0.9]\ncommand = x\n");
	ck_assert_str_eq(c->services[0]->name, "A-z_0.9");
	config_free(c);
}
END_TEST

START_TEST(dependency_cycle_of_three)
{
	struct diag d = load_bad(
	    "[service:a]\ncommand = x\nafter = b\n"
	    "[service:b]\ncommand = x\nafter = c\n"
	    "[service:c]\ncommand = x\nafter = a\n");

	/* At the line of an 'after' that makes the cycle, not the header. */
	ASSERT_DIAG(&d, PATH ":3: [service:a] after: dependency cycle "
	    "a -> b -> c -> a");
	ASSERT_NERRORS(&d, 1);
	diag_free(&d);
}
END_TEST

START_TEST(diamond_is_no_cycle)
{
	struct config *c = load_ok(
	    "[service:a]\ncommand = x\nafter = b c\n"
	    "[service:b]\ncommand = x\nafter = d\n"
	    "[service:c]\ncommand = x\nafter = d\n"
	    "[service:d]\ncommand = x\n");

	ck_assert_uint_eq(c->nservices, 4);
	config_free(c);
}
END_TEST

START_TEST(after_error_points_at_its_line)
{
	struct diag d = load_bad(
	    "[service:a]\n"
	    "command = x\n"
	    "after = nope\n"
	    "after = b\n"
	    "[service:b]\n"
	    "command = x\n");

	ASSERT_DIAG(&d, PATH ":3: [service:a] after: no service named 'nope'");
	diag_free(&d);
}
END_TEST

/* An indented first key must not continue a key of the section before. */
START_TEST(indented_key_after_header)
{
	struct config *c = load_ok(
	    "[service:a]\n"
	    "command = x\n"
	    "[service:b]\n"
	    "  command = y\n");

	ASSERT_ARGV(config_find(c, "b")->argv, "y");
	config_free(c);
}
END_TEST

START_TEST(three_errors_all_reported)
{
	struct diag d = load_bad(
	    "[corral]\n"
	    "stop_timout = 5s\n"
	    "\n"
	    "[service:a]\n"
	    "command = x\n"
	    "stop_timeout = soon\n"
	    "\n"
	    "kill_signal = 0\n"
	    "[service:b]\n"
	    "command = y\n");

	ASSERT_DIAG(&d, PATH ":2: [corral] unknown key 'stop_timout'");
	ASSERT_DIAG(&d, PATH ":6: [service:a] stop_timeout: 'soon' is not a "
	    "duration");
	ASSERT_DIAG(&d, PATH ":8: [service:a] kill_signal: '0' is not a signal "
	    "(1-64)");
	ASSERT_NERRORS(&d, 3);
	diag_free(&d);
}
END_TEST

START_TEST(too_many_errors)
{
	char text[8192];
	size_t n = 0;
	struct diag d;

	n += (size_t)snprintf(text, sizeof(text), "[corral]\n");
	for (int i = 0; i < 150; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "bogus%d = 1\n",
		    i);
	d = load_bad(text);
	ck_assert_uint_eq(d.nerrors, 150);
	ck_assert_uint_eq(d.n, 101);
	ASSERT_DIAG(&d, PATH ":101: [corral] unknown key 'bogus99'");
	ck_assert_msg(strstr(d.lines[100], "too many errors") != NULL,
	    "last line: %s", d.lines[100]);
	diag_free(&d);
}
END_TEST

/* --- config_load ------------------------------------------------------ */

START_TEST(load_missing_file)
{
	struct diag d = { 0 };

	ck_assert_ptr_null(config_load("/nonexistent/corral.conf", &d));
	ck_assert_uint_eq(d.n, 1);
	ck_assert_str_eq(d.lines[0], "/nonexistent/corral.conf: cannot open: "
	    "No such file or directory");
	diag_free(&d);
}
END_TEST

START_TEST(load_directory)
{
	char dir[] = "/tmp/corral-test.XXXXXX", want[128];
	struct diag d = { 0 };

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_null(config_load(dir, &d));
	rmdir(dir);
	ck_assert_uint_eq(d.n, 1);
	snprintf(want, sizeof(want), "%s: is a directory, not a config file",
	    dir);
	ck_assert_str_eq(d.lines[0], want);
	diag_free(&d);
}
END_TEST

START_TEST(load_not_regular)
{
	struct diag d = { 0 };

	ck_assert_ptr_null(config_load("/dev/null", &d));
	ck_assert_uint_eq(d.n, 1);
	ck_assert_str_eq(d.lines[0], "/dev/null: not a regular file");
	diag_free(&d);
}
END_TEST

/* Writes text to a new temporary file; the caller unlinks path. */
static void
temp_file(char *path, const char *text)
{
	int fd = mkstemp(path);
	size_t len = strlen(text);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

START_TEST(load_empty_file)
{
	char path[] = "/tmp/corral-test.XXXXXX";
	struct diag d = { 0 };
	struct config *c;

	temp_file(path, "");
	c = config_load(path, &d);
	unlink(path);
	ck_assert_msg(c != NULL && d.n == 0, "empty file refused:\n%s", diag_dump(&d));
	ck_assert_uint_eq(c->nservices, 0);
	ck_assert_str_eq(c->path, path);
	config_free(c);
}
END_TEST

START_TEST(load_file)
{
	char path[] = "/tmp/corral-test.XXXXXX", want[128];
	struct diag d = { 0 };
	struct config *c;

	temp_file(path, "[service:a]\ncommand = x\n[service:b]\ncommand = y\n");
	c = config_load(path, &d);
	unlink(path);
	ck_assert_msg(c != NULL && d.n == 0, "refused:\n%s", diag_dump(&d));
	ck_assert_uint_eq(c->nservices, 2);
	config_free(c);

	strcpy(path, "/tmp/corral-test.XXXXXX");
	temp_file(path, "[service:a]\n\nkill_signal = 65\n");
	ck_assert_ptr_null(config_load(path, &d));
	unlink(path);
	snprintf(want, sizeof(want), "%s:3: [service:a] kill_signal: ", path);
	ASSERT_DIAG(&d, want, "'65' is not a signal (1-64)");
	diag_free(&d);
}
END_TEST

/* --- single-command mode ---------------------------------------------- */

START_TEST(default_and_main)
{
	char a0[] = "sleep", a1[] = "a b", a2[] = "'q'";
	char *const argv[] = { a0, a1, a2, NULL };
	struct config *c = config_default();
	struct diag d = { 0 };
	const struct svc_conf *m;

	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->nservices, 0);
	ck_assert(c->stop_timeout == 10 && c->cleanup_timeout == 30);
	ck_assert(c->strict && c->subreaper);
	ck_assert(config_forwards(c, SIGUSR1));

	ck_assert_int_eq(config_add_main(c, argv, &d), 0);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(c->nservices, 1);
	m = c->services[0];
	ck_assert_ptr_eq(config_find(c, "main"), m);
	ck_assert_str_eq(m->name, "main");
	ck_assert_uint_eq(m->index, 0);
	ck_assert(m->critical);
	ck_assert_int_eq(m->restart, RESTART_NEVER);
	ck_assert(m->autostart);
	/* A real argv is taken as it is: no word splitting, no quote removal. */
	ASSERT_ARGV(m->argv, "sleep", "a b", "'q'");
	ck_assert_str_eq(m->command, "sleep a b 'q'");
	ck_assert(m->stop_timeout == 10);
	ck_assert(m->cleanup_timeout == 30);
	ck_assert_int_eq(m->stop_signal, SIGTERM);
	ck_assert_int_eq(m->kill_signal, SIGKILL);
	ck_assert_uint_eq(m->nafter, 0);
	config_free(c);
}
END_TEST

START_TEST(main_after_file)
{
	char a0[] = "true";
	char *const argv[] = { a0, NULL };
	struct config *c = load_ok(
	    "[corral]\nstop_timeout = 3s\n[service:web]\ncommand = x\n");
	struct diag d = { 0 };
	const struct svc_conf *m;

	ck_assert_int_eq(config_add_main(c, argv, &d), 0);
	ck_assert_uint_eq(c->nservices, 2);
	m = config_find(c, "main");
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->index, 1);
	ck_assert(m->stop_timeout == 3);
	config_free(c);
}
END_TEST

START_TEST(main_already_defined)
{
	char a0[] = "true";
	char *const argv[] = { a0, NULL };
	struct config *c = load_ok(
	    "[service:web]\ncommand = x\n[service:main]\ncommand = y\n");
	struct diag d = { 0 };

	ck_assert_int_eq(config_add_main(c, argv, &d), -1);
	ASSERT_DIAG(&d, PATH ":3: [service:main] is already defined", "rename");
	ck_assert_uint_eq(c->nservices, 2);
	diag_free(&d);
	config_free(c);
}
END_TEST

Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("meaning");
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, every_key);
	tcase_add_test(tc, rare_keys);
	tcase_add_test(tc, timeouts_inherit_from_corral_below);
	tcase_add_test(tc, keys_in_any_case_of_value);
	tcase_add_test(tc, comments);
	tcase_add_test(tc, semicolon_without_blank_is_no_comment);
	tcase_add_test(tc, continuation_lines);
	tcase_add_test(tc, inline_comment_on_continuation_line);
	tcase_add_test(tc, long_value_over_continuation_lines);
	tcase_add_test(tc, environment_repeated);
	tcase_add_test(tc, after_repeated);
	tcase_add_test(tc, crlf);
	tcase_add_test(tc, bom);
	tcase_add_test(tc, indented_key_after_header);
	tcase_add_test(tc, service_names);
	tcase_add_test(tc, diamond_is_no_cycle);
	suite_add_tcase(s, tc);

	tc = tcase_create("lines");
	tcase_add_test(tc, line_of_199_bytes);
	tcase_add_test(tc, line_of_200_bytes);
	tcase_add_test(tc, long_line_tail_is_not_a_key);
	tcase_add_test(tc, nul_byte);
	tcase_add_test(tc, control_character);
	suite_add_tcase(s, tc);

	tc = tcase_create("problems");
	tcase_add_loop_test(tc, single_error, 0, (int)NELEM(single_errors));
	tcase_add_loop_test(tc, broken_command, 0, (int)NELEM(broken_commands));
	tcase_add_test(tc, spec_signal_message);
	tcase_add_test(tc, unbalanced_quote_without_comment_blames_no_semicolon);
	tcase_add_test(tc, empty_command);
	tcase_add_test(tc, dependency_cycle_of_three);
	tcase_add_test(tc, after_error_points_at_its_line);
	tcase_add_test(tc, three_errors_all_reported);
	tcase_add_test(tc, too_many_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_test(tc, load_missing_file);
	tcase_add_test(tc, load_directory);
	tcase_add_test(tc, load_not_regular);
	tcase_add_test(tc, load_empty_file);
	tcase_add_test(tc, load_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("main");
	tcase_add_test(tc, default_and_main);
	tcase_add_test(tc, main_after_file);
	tcase_add_test(tc, main_already_defined);
	suite_add_tcase(s, tc);

	return s;
}
