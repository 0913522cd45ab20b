/*
 * Built-in probes (probe.c): every form the parser takes and refuses, and
 * an attempt run in a real libev loop against real sockets of this
 * process: accepted, refused, answered, never answered.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"
#include "suites.h"

static struct probe
parsed(const char *text, bool ready)
{
	struct probe p;
	char err[PROBE_ERR_MAX] = "";

	ck_assert_msg(probe_parse(text, ready, &p, err) == 0, "%s: %s", text,
	    err);
	return p;
}

static const char *
refused(const char *text, bool ready)
{
	static char err[PROBE_ERR_MAX];
	struct probe p;

	err[0] = '\0';
	ck_assert_msg(probe_parse(text, ready, &p, err) == -1, "%s parsed",
	    text);
	ck_assert_msg(err[0] != '\0', "%s: no reason", text);
	return err;
}

START_TEST(forms)
{
	struct probe p;

	ck_assert(probe_is_builtin("tcp:a:1") && probe_is_builtin("HTTP://a/")
	    && probe_is_builtin("https://a/") && probe_is_builtin("log:x"));
	ck_assert(!probe_is_builtin("/bin/tcp:x") &&
	    !probe_is_builtin("curl http://a/") && !probe_is_builtin("logx"));

	p = parsed("tcp:db.internal:5432", false);
	ck_assert(p.kind == PROBE_TCP && p.port == 5432);
	ck_assert_str_eq(p.host, "db.internal");
	p = parsed("tcp:[::1]:80", false);
	ck_assert_str_eq(p.host, "::1");
	ck_assert_uint_eq(p.port, 80);
	p = parsed("http://127.0.0.1:8080/healthz?full=1", false);
	ck_assert(p.kind == PROBE_HTTP && p.port == 8080);
	ck_assert_str_eq(p.path, "/healthz?full=1");
	p = parsed("http://web", true);
	ck_assert_uint_eq(p.port, 80);
	ck_assert_str_eq(p.path, "/");
	p = parsed("http://[fe80::1%eth0]:81/", true);
	ck_assert_str_eq(p.host, "fe80::1%eth0");
	p = parsed("log:^ready( to serve)?$", true);
	ck_assert(p.kind == PROBE_LOG);
	ck_assert(probe_log_matches(&p, "ready to serve", 14));
	ck_assert(probe_log_matches(&p, "ready\nignored", 5));
	ck_assert(!probe_log_matches(&p, "not ready", 9));
	probe_free(&p);
}
END_TEST

START_TEST(mistakes)
{
	ck_assert_str_eq(refused("tcp:127.0.0.1", false),
	    "no port (write tcp:HOST:PORT)");
	ck_assert_str_eq(refused("tcp::80", false), "no host");
	ck_assert_str_eq(refused("tcp:h:0", false),
	    "'0' is not a port (1 to 65535)");
	ck_assert_str_eq(refused("tcp:h:65536", false),
	    "'65536' is not a port (1 to 65535)");
	ck_assert_str_eq(refused("tcp:h:8o", false),
	    "'8o' is not a port (1 to 65535)");
	ck_assert_str_eq(refused("tcp:a b:1", false),
	    "'a b' is not a host name or address");
	ck_assert_str_eq(refused("tcp:[::1:80", false),
	    "'[' without its ']' in the host");
	ck_assert_str_eq(refused("tcp:[::1]80", false),
	    "']' must be followed by ':PORT' or nothing");
	ck_assert(strstr(refused("https://h/", true), "not TLS") != NULL);
	ck_assert(strstr(refused("http://h/a b", true), "no space") != NULL);
	ck_assert(strstr(refused("http://h/a\r\nX: y", true), "control") !=
	    NULL);
	ck_assert(strstr(refused("http://h/#frag", true), "'#'") != NULL);
	ck_assert_str_eq(refused("", true),
	    "not a built-in probe (tcp:, http:// or log:)");
	ck_assert_str_eq(refused("lo", false),
	    "not a built-in probe (tcp:, http:// or log:)");
	ck_assert_str_eq(refused("log:", true),
	    "log: needs a regular expression");
	ck_assert(strstr(refused("log:a(", true), "'a(' is not an extended "
	    "regular expression") != NULL);
	ck_assert(strstr(refused("log:up", false), "for ready_check only") !=
	    NULL);
}
END_TEST

/*
 * glibc's regcomp() would take gigabytes for these (25 stacked '+' took
 * more than 20 GB here): refused before it sees them.  Ordinary ones pass.
 */
START_TEST(regex_bombs)
{
	struct probe p;

	ck_assert(strstr(refused("log:a++++++++++++++++++++++++", true),
	    "repeats too much") != NULL);
	/* Found by fuzz_probe: an empty group and anchors are copied too. */
	ck_assert(strstr(refused("log:($()+++++++++++++++++++++++)$", true),
	    "repeats too much") != NULL);
	ck_assert(strstr(refused("log:$++++++++++++++++++++++++", true),
	    "repeats too much") != NULL);
	ck_assert(strstr(refused("log:a{1,9}{1,9}{1,9}{1,9}", true),
	    "repeats too much") != NULL);
	ck_assert(strstr(refused("log:((((a{1,20}){1,20}){1,20}))", true),
	    "repeats too much") != NULL);
	ck_assert(strstr(refused("log:x{99999}", true), "repeats too much") !=
	    NULL);
	ck_assert(strstr(refused("log:x?????????????????*+?+*", true),
	    "repeats too much") != NULL);
	ck_assert(strstr(refused("log:(a)\\1", true), "back references") !=
	    NULL);
	ck_assert(strstr(refused("log:((((((((((((((((((((((((((((((((("
	    "a)))))))))))))))))))))))))))))))))", true), "nests groups") !=
	    NULL);
	p = parsed("log:^[0-9]{1,3}(\\.[0-9]{1,3}){3} up [[:alpha:]]+$", true);
	probe_free(&p);
	p = parsed("log:a{1,9}{1,9}", true);
	probe_free(&p);
	p = parsed("log:[]{+]x\\{2\\}", true);
	probe_free(&p);
}
END_TEST

START_TEST(names_are_resolved_at_load)
{
	struct probe p = parsed("tcp:localhost:9", false);
	char err[PROBE_ERR_MAX], addr[128];

	ck_assert_msg(probe_resolve(&p, err) == 0, "%s", err);
	probe_address(&p, addr, sizeof(addr));
	ck_assert_msg(strcmp(addr, "127.0.0.1:9") == 0 ||
	    strcmp(addr, "[::1]:9") == 0, "localhost is %s", addr);
	p = parsed("tcp:no.such.host.invalid:9", false);
	ck_assert_int_eq(probe_resolve(&p, err), -1);
	ck_assert(strstr(err, "host 'no.such.host.invalid' does not resolve")
	    != NULL);
}
END_TEST

/* ---- attempts in a real loop ---- */

struct outcome {
	bool		 over;
	bool		 ok;
	char		 why[PROBE_WHY_MAX];
};

static void
done(struct probe_run *r, bool ok, const char *why)
{
	struct outcome *o = r->ctx;

	o->over = true;
	o->ok = ok;
	snprintf(o->why, sizeof(o->why), "%s", why ? why : "");
}

/* A listening socket of 127.0.0.1; *port its port. */
static int
listener(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(fd != -1 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    listen(fd, 8) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Answers one connection on fd with answer, from inside the loop. */
struct server {
	ev_io		 w;
	const char	*answer;
	int		 conn;
};

static void
serve_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct server *sv = (struct server *)w;
	char req[2048];

	(void)revents;
	if (sv->conn == -1) {
		sv->conn = accept(w->fd, NULL, NULL);
		ck_assert(sv->conn != -1);
		ev_io_stop(loop, w);
		ev_io_set(w, sv->conn, EV_READ);
		ev_io_start(loop, w);
		return;
	}
	if (read(sv->conn, req, sizeof(req)) > 0 && sv->answer != NULL)
		ck_assert(write(sv->conn, sv->answer, strlen(sv->answer)) > 0);
	ev_io_stop(loop, w);
}

static struct outcome
attempt(const char *text, struct server *sv, double timeout)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct probe p = parsed(text, false);
	struct probe_run r;
	struct outcome o = { 0 };
	char err[PROBE_ERR_MAX];

	ck_assert_msg(probe_resolve(&p, err) == 0, "%s", err);
	probe_run_init(&r, done, &o);
	if (sv != NULL)
		ev_io_start(loop, &sv->w);
	probe_start(loop, &r, &p, timeout);
	ck_assert(probe_running(&r) && !o.over);
	while (!o.over)
		ev_run(loop, EVRUN_ONCE);
	ck_assert(!probe_running(&r) && r.fd == -1);
	if (sv != NULL)
		ev_io_stop(loop, &sv->w);
	ev_loop_destroy(loop);
	return o;
}

/* An http:// attempt against a server that answers answer (NULL: never). */
static struct outcome
http_answer(const char *answer, double timeout)
{
	int port, fd = listener(&port);
	struct server sv = { .answer = answer, .conn = -1 };
	struct outcome o;
	char text[64];

	ev_io_init(&sv.w, serve_cb, fd, EV_READ);
	snprintf(text, sizeof(text), "http://127.0.0.1:%d/x", port);
	o = attempt(text, &sv, timeout);
	if (sv.conn != -1)
		close(sv.conn);
	close(fd);
	return o;
}

START_TEST(tcp_attempts)
{
	int port, fd = listener(&port);
	char text[64], want[96];
	struct outcome o;

	snprintf(text, sizeof(text), "tcp:127.0.0.1:%d", port);
	o = attempt(text, NULL, 1);
	ck_assert_msg(o.ok, "a listening port: %s", o.why);
	close(fd);
	o = attempt(text, NULL, 1);
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%d: Connection "
	    "refused", port);
	ck_assert(!o.ok);
	ck_assert_str_eq(o.why, want);
}
END_TEST

START_TEST(http_attempts)
{
	struct outcome o;

	o = http_answer("HTTP/1.1 204 No Content\r\n\r\n", 1);
	ck_assert_msg(o.ok, "204: %s", o.why);
	o = http_answer("HTTP/1.0 301 Moved\r\nLocation: /y\r\n\r\n", 1);
	ck_assert_msg(o.ok, "301: %s", o.why);
	o = http_answer("HTTP/1.1 503 Busy\r\n\r\n", 1);
	ck_assert(!o.ok && strstr(o.why, "answered 503") != NULL);
	o = http_answer("SSH-2.0-OpenSSH\r\n", 1);
	ck_assert(!o.ok && strstr(o.why, "something other than HTTP") != NULL);
	o = http_answer(NULL, 0.2);
	ck_assert_msg(!o.ok && strstr(o.why, "waiting for an answer from "
	    "127.0.0.1:") != NULL && strstr(o.why, "timed out after 0.2s"),
	    "a silent server: %s", o.why);
}
END_TEST

/* A status line longer than the read bound is judged on what was read. */
START_TEST(answers_are_bounded)
{
	static char big[PROBE_READ_MAX * 4];
	struct outcome o;

	memset(big, 'x', sizeof(big) - 1);
	memcpy(big, "HTTP/1.1 200 ", 13);
	o = http_answer(big, 1);
	ck_assert_msg(o.ok, "a long status line: %s", o.why);
}
END_TEST

Suite *
probe_suite(void)
{
	Suite *s = suite_create("probe");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, forms);
	tcase_add_test(tc, mistakes);
	tcase_add_test(tc, regex_bombs);
	tcase_add_test(tc, names_are_resolved_at_load);
	suite_add_tcase(s, tc);
	tc = tcase_create("run");
	tcase_add_test(tc, tcp_attempts);
	tcase_add_test(tc, http_attempts);
	tcase_add_test(tc, answers_are_bounded);
	suite_add_tcase(s, tc);
	return s;
}
