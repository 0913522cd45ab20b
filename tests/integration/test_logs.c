/*
 * output_buffer and `corralctl logs` (SPEC §16): the buffer holds exactly
 * the last lines that fit, -n the last N, -f follows new lines past the
 * idle timeout of other clients, a follower that never reads neither slows
 * the service nor corral and is told what it lost, and the mistakes are
 * reported at their line.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctlutil.h"

#define HEAD \
	"[corral]\n" \
	"control_socket = @T@/ctl.sock\n" \
	"status_file = @T@/status.json\n" \
	"\n"

/* The lines "n first" to "n last", each with its newline. */
static const char *
lines_from(int first, int last)
{
	char *out = h_fmt("%s", "");

	for (int i = first; i <= last; i++)
		out = h_fmt("%sn %d\n", out, i);
	return out;
}

/* What a buffer of room bytes keeps of "n 0" ... "n last": 4 bytes a line more. */
static const char *
expected_tail(size_t room, int last)
{
	int first = last + 1;

	for (size_t used = 0; first > 0; first--) {
		size_t len = strlen(h_fmt("n %d", first - 1)) + 4;

		if (used + len > room)
			break;
		used += len;
	}
	return lines_from(first, last);
}

START_TEST(logs_shows_the_last_lines_that_fit)
{
	const char *sock = h_path("ctl.sock");
	struct h_proc *c = h_corral(HEAD
	    "[service:web]\n"
	    "command = sh -c 'i=0; while [ $i -lt 1000 ]; do echo \"n $i\"; "
	    "i=$((i+1)); done; exec sleep 60'\n"
	    "output = prefix\n"
	    "output_buffer = 4K\n"
	    /* Running once corral has read the last line. */
	    "ready_check = log:^n 999$\n");
	struct cu_run r;
	const char *want;

	ck_assert_msg(cu_wait_state(h_path("status.json"), "web", "running",
	    H_WAIT_MS), "web not running; %s", h_ctx(c));
	r = cu_ctl(sock, "logs", "web", NULL);
	want = expected_tail(4096, 999);
	ck_assert_msg(r.code == 0 && strcmp(r.out, want) == 0,
	    "logs web: %s\nwanted:\n%s", cu_ctx(&r), want);
	r = cu_ctl(sock, "logs", "web", "-n", "10", NULL);
	ck_assert_msg(r.code == 0 && strcmp(r.out, lines_from(990, 999)) == 0,
	    "logs -n 10: %s", cu_ctx(&r));
	r = cu_ctl(sock, "logs", "-n", "0", "web", NULL);
	ck_assert_msg(r.code == 0 && strcmp(r.out, "") == 0, "logs -n 0: %s",
	    cu_ctx(&r));
	r = cu_ctl(sock, "logs", "web", "-n", "ten", NULL);
	ck_assert_msg(r.code == 1 && strstr(r.err, "'ten' is not a whole "
	    "number") != NULL, "logs -n ten: %s", cu_ctx(&r));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/* An idle client's eviction: corral closes it, which the client reads. */
static bool
closed_by_corral(int fd, int timeout_ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char c;

	return poll(&p, 1, timeout_ms * h_slowdown()) == 1 &&
	    recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

/*
 * -f follows: new lines come in order, also after an idle client that
 * connected after the follower was evicted for its idleness.
 */
START_TEST(logs_follow_outlives_the_idle_timeout)
{
	const char *sock = h_path("ctl.sock");
	/* A line per USR1; its sleeps ignore the USR1 sent to the group. */
	const char *script = h_write("tick.sh",
	    "n=0\n"
	    "trap 'n=$((n + 1)); echo \"tick $n\"' USR1\n"
	    "echo start\n"
	    "while :; do (trap '' USR1; exec sleep 60) & wait $!; done\n");
	struct h_proc *c = h_corral(h_fmt(HEAD
	    "[service:web]\n"
	    "command = sh %s\n"
	    "output = prefix\n"
	    "output_buffer = 64K\n"
	    "ready_check = log:^start$\n", script));
	struct h_proc *f;
	struct cu_run r;
	int idle;

	ck_assert_msg(cu_wait_state(h_path("status.json"), "web", "running",
	    H_WAIT_MS), "web not running; %s", h_ctx(c));
	f = h_spawn("follow", NULL, (const char *[]){ cu_ctl_path(), "-s",
	    sock, "logs", "web", "-f", NULL });
	ck_assert_msg(h_wait_text(f->out, "start\n", H_WAIT_MS),
	    "no backlog; %s", h_ctx(f));
	for (int i = 1; i <= 3; i++) {
		r = cu_ctl(sock, "signal", "web", "USR1", NULL);
		ck_assert_msg(r.code == 0, "signal: %s", cu_ctx(&r));
		ck_assert_msg(h_wait_lines(f->out, "tick", i, H_WAIT_MS),
		    "tick %d not followed; %s", i, h_ctx(f));
	}
	idle = cu_connect(sock);
	ck_assert_msg(closed_by_corral(idle, 2 * 5000), "the idle client was "
	    "not evicted; %s", h_ctx(c));
	(void)close(idle);
	r = cu_ctl(sock, "signal", "web", "USR1", NULL);
	ck_assert_msg(r.code == 0, "signal: %s", cu_ctx(&r));
	ck_assert_msg(h_wait_lines(f->out, "tick", 4, H_WAIT_MS),
	    "the follower lost its connection with the idle timeout; %s",
	    h_ctx(f));
	ck_assert_str_eq(h_read(f->out), "start\ntick 1\ntick 2\ntick 3\n"
	    "tick 4\n");
	h_signal(f, SIGINT);
	h_expect_exit(f, 0, H_WAIT_MS);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/* Reads fd until text shows, within timeout_ms; what was read. */
static char *
read_until(int fd, const char *text, int timeout_ms)
{
	int64_t deadline = h_now_ns() + (int64_t)timeout_ms * h_slowdown() *
	    1000000;
	size_t len = 0, cap = 1 << 20;
	char *buf = malloc(cap + 1);

	ck_assert_msg(buf != NULL, "out of memory");
	buf[0] = '\0';
	while (strstr(buf, text) == NULL && h_now_ns() < deadline) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;

		if (poll(&p, 1, 100) != 1)
			continue;
		if (len == cap) {
			/* Keep the end: the notice comes after the backlog. */
			memmove(buf, buf + cap / 2, cap / 2);
			len = cap / 2;
		}
		r = recv(fd, buf + len, cap - len, MSG_DONTWAIT);
		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
	}
	return buf;
}

/*
 * A follower that never reads: the service writes its lines at full speed
 * all the same, corral answers, and the follower is told what it lost.
 */
START_TEST(logs_slow_follower_never_slows_the_service)
{
	const char *sock = h_path("ctl.sock"), *why, *notice;
	struct h_proc *c = h_corral(HEAD
	    "[service:web]\n"
	    "command = @SVC@/flood -m 300000 @T@/mark @T@/count web\n"
	    "output = prefix\n"
	    "output_buffer = 64K\n");
	char *reply, *got;
	unsigned long lost = 0;
	struct cu_run r;
	int slow;

	ck_assert_msg(cu_wait_state(h_path("status.json"), "web", "running",
	    H_WAIT_MS), "web not running; %s", h_ctx(c));
	slow = cu_connect(sock);
	ck_assert_int_eq(send(slow, "logs -f web\n", 12, MSG_NOSIGNAL), 12);
	ck_assert_msg(h_wait_file(h_path("mark"), 2 * H_WAIT_MS), "flood did "
	    "not write its 300000 lines: something slowed it; %s", h_ctx(c));
	r = cu_ctl(sock, "status", NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out, "web") != NULL,
	    "status while a follower is stuck: %s", cu_ctx(&r));
	reply = cu_request(sock, "logs -n 1 web\n", 14, H_WAIT_MS, &why);
	ck_assert_msg(reply != NULL && strncmp(reply, "ok\nweb ", 7) == 0,
	    "logs -n 1: %s", reply != NULL ? reply : why);
	got = read_until(slow, "lines dropped: this reader fell behind\n",
	    H_WAIT_MS);
	notice = strstr(got, "corral: ");
	while (notice != NULL && notice != got && notice[-1] != '\n')
		notice = strstr(notice + 1, "corral: ");
	ck_assert_msg(notice != NULL && sscanf(notice, "corral: %lu lines "
	    "dropped: this reader fell behind\n", &lost) == 1 && lost > 0,
	    "no notice of lost lines for the slow follower (read %zu bytes)",
	    strlen(got));
	free(got);
	(void)close(slow);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

START_TEST(logs_config_errors_at_their_line)
{
	const char *path = h_write("bad.conf",
	    "[service:a]\n"
	    "command = /bin/true\n"
	    "output = prefix\n"
	    "output_buffer = 17M\n"
	    "[service:b]\n"
	    "command = /bin/true\n"
	    "output = prefix\n"
	    "output_buffer = lots\n"
	    "[service:c]\n"
	    "command = /bin/true\n"
	    "output_buffer = 1M\n"
	    "[service:d]\n"
	    "command = /bin/true\n"
	    "output = null\n"
	    "output_buffer = 64\n");
	struct h_proc *p = h_spawn("check", NULL, (const char *[]){
	    getenv("CORRAL_BIN"), "-t", "-c", path, NULL });
	const char *err;

	ck_assert(h_wait_exit(p, H_WAIT_MS));
	ck_assert_msg(WIFEXITED(p->status) && WEXITSTATUS(p->status) == 1,
	    "corral -t: %s", h_ctx(p));
	err = h_read(p->err);
	ck_assert_msg(strstr(err, h_fmt("%s:4: [service:a] output_buffer: "
	    "'17M' is over the limit of 16M\n", path)) != NULL, "%s", err);
	ck_assert_msg(strstr(err, h_fmt("%s:8: [service:b] output_buffer: "
	    "'lots' is not a size", path)) != NULL, "%s", err);
	ck_assert_msg(strstr(err, h_fmt("%s:11: [service:c] output_buffer: "
	    "needs output other than inherit", path)) != NULL, "%s", err);
	ck_assert_msg(strstr(err, h_fmt("%s:15: [service:d] output_buffer: "
	    "'64' is under the least buffer of 1K", path)) != NULL, "%s",
	    err);
}
END_TEST

START_TEST(logs_refused_without_a_buffer)
{
	const char *sock = h_path("ctl.sock");
	struct h_proc *c = h_corral(HEAD
	    "[service:web]\n"
	    "command = sleep 60\n"
	    "[service:pool]\n"
	    "instances = 2\n"
	    "command = sleep 60\n"
	    "output = prefix\n"
	    "output_buffer = 1K\n");
	struct cu_run r;

	ck_assert_msg(cu_wait_state(h_path("status.json"), "web", "running",
	    H_WAIT_MS), "web not running; %s", h_ctx(c));
	r = cu_ctl(sock, "logs", "web", NULL);
	ck_assert_msg(r.code == 1 && strcmp(r.err, "web: no output buffer "
	    "(set output_buffer in its section)\n") == 0, "%s", cu_ctx(&r));
	r = cu_ctl(sock, "logs", "-f", "nosuch", NULL);
	ck_assert_msg(r.code == 1 && strcmp(r.err,
	    "unknown service 'nosuch'\n") == 0, "%s", cu_ctx(&r));
	r = cu_ctl(sock, "logs", "pool", NULL);
	ck_assert_msg(r.code == 1 && strstr(r.err, "name one (pool.0 to "
	    "pool.1)") != NULL, "%s", cu_ctx(&r));
	r = cu_ctl(sock, "logs", "pool.1", NULL);
	ck_assert_msg(r.code == 0 && strcmp(r.out, "") == 0, "%s", cu_ctx(&r));
	r = cu_ctl(sock, "logs", NULL);
	ck_assert_msg(r.code == 2, "logs without a name: %s", cu_ctx(&r));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

Suite *
suite_logs(void)
{
	Suite *s = suite_create("logs");

	h_add(s, logs_shows_the_last_lines_that_fit, 30);
	h_add(s, logs_follow_outlives_the_idle_timeout, 40);
	h_add(s, logs_slow_follower_never_slows_the_service, 40);
	h_add(s, logs_config_errors_at_their_line, 30);
	h_add(s, logs_refused_without_a_buffer, 30);
	return s;
}
