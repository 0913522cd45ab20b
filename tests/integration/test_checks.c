/*
 * Readiness and health (SPEC §3 ready_check, notify, ready_timeout,
 * health_check; §4; §10 corral as a notify server for its services).
 */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "svcstate.h"

static struct h_event
started(struct h_proc *c, const char *name, int nth)
{
	ck_assert_msg(h_wait_events(h_path(name), "start", nth + 1, H_WAIT_MS),
	    "%s: no start #%d; %s", name, nth + 1, h_ctx(c));
	return h_event(h_path(name), "start", nth);
}

/* Sends text as one datagram to the socket at path, from this process. */
static void
send_datagram(const char *path, const char *text)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_msg(fd >= 0 && strlen(path) < sizeof(sun.sun_path),
	    "socket: %s", strerror(errno));
	memcpy(sun.sun_path, path, strlen(path));
	ck_assert_msg(sendto(fd, text, strlen(text), 0, (struct sockaddr *)&sun,
	    sizeof(sun)) == (ssize_t)strlen(text), "sendto %s: %s", path,
	    strerror(errno));
	(void)close(fd);
}

static const char *
json_status(const char *sock)
{
	struct h_proc *p = ctl(sock, "--json", "status", NULL);

	ck_assert_msg(WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0,
	    "corralctl --json status failed; %s", h_ctx(p));
	return h_read(p->out);
}

static const char *
text_status(const char *sock, const char *name)
{
	struct h_proc *p = ctl(sock, "status", NULL);
	const char *line = status_line_of(h_read(p->out), name);

	ck_assert_msg(WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0 &&
	    line != NULL, "corralctl status shows no line for %s; %s", name,
	    h_ctx(p));
	return line;
}

/*
 * A notify = yes service says STATUS=warming up, waits for the test's two
 * cues, then sends READY=1 with STATUS=serving.  Before that it is starting
 * and its dependent waits, even after a forged READY=1 from the test, a
 * process outside the service; after it, both run.  (The second cue, not a
 * sleep, holds the service in starting while the test looks after the
 * first.)
 */
START_TEST(checks_notify_ready)
{
	struct h_proc *c = h_corral(
	    "[corral]\n"
	    "control_socket = @T@/x.sock\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:n]\n"
	    "command = @SVC@/notifier @T@/n 'send:STATUS=warming up'\n"
	    "    wait:@T@/go wait:@T@/go2 'send:READY=1\\nSTATUS=serving'\n"
	    "notify = yes\n"
	    "\n"
	    "[service:dep]\n"
	    "command = @SVC@/catch @T@/dep TERM=die\n"
	    "after = n\n");
	const char *status = h_path("status.json"), *sock = h_path("x.sock");
	const char *path, *json, *dir;
	struct h_event n, ready, dep;
	struct stat st, dst;
	int64_t go;

	n = started(c, "n", 0);
	path = h_fmt("%s", n.rest);
	dir = dirname(h_fmt("%s", path));
	/* SPEC §12: corral alone writes the directory; the socket is 0600. */
	ck_assert_msg(path[0] == '/' && stat(path, &st) == 0 &&
	    (st.st_mode & 077) == 0 && stat(dir, &dst) == 0 &&
	    (dst.st_mode & 022) == 0,
	    "NOTIFY_SOCKET should be a socket of mode 0600 in a directory "
	    "only corral writes: '%s', mode %o, directory mode %o", path,
	    (unsigned)(st.st_mode & 07777), (unsigned)(dst.st_mode & 07777));
	ck_assert_msg(h_wait_events(h_path("n"), "sent", 1, H_WAIT_MS),
	    "the service did not send its STATUS=; %s", h_ctx(c));

	/* Forged: READY=1 from a process outside the service's group. */
	send_datagram(path, "READY=1\nSTATUS=forged");
	h_sleep_ms(300);
	json = json_status(sock);
	ck_assert_msg(strcmp(json_str(json, "n", "state"), "starting") == 0 &&
	    strcmp(json_str(json, "dep", "state"), "idle") == 0 &&
	    h_event_count(h_path("dep"), "start") == 0,
	    "a READY=1 from outside the service must be ignored: n is %s, dep "
	    "is %s; %s", json_str(json, "n", "state"),
	    json_str(json, "dep", "state"), h_ctx(c));
	ck_assert_msg(strstr(text_status(sock, "n"), "warming up") != NULL &&
	    strstr(json, "forged") == NULL,
	    "corralctl status should show the service's STATUS= text "
	    "'warming up', not the forged one: %s", text_status(sock, "n"));

	(void)h_write("go", "");
	json = json_status(sock);
	ck_assert_msg(h_event_count(h_path("n"), "sent") == 1,
	    "n sent READY=1 before its second cue");
	ck_assert_msg(strcmp(json_str(json, "n", "state"), "starting") == 0,
	    "n should be starting until it sends READY=1, not %s",
	    json_str(json, "n", "state"));

	go = h_now_ns();
	(void)h_write("go2", "");
	dep = started(c, "dep", 0);
	ready = h_event(h_path("n"), "sent", 1);
	ck_assert_msg(ready.ns > go &&
	    strcmp(ready.rest, "READY=1\\nSTATUS=serving") == 0,
	    "the service did not send READY=1 as told: %s", ready.rest);
	ck_assert_msg(dep.ns > ready.ns, "dep started %.0f ms before n sent "
	    "READY=1", H_MS(ready.ns - dep.ns));
	ck_assert_msg(wait_state(status, "dep", "running", H_WAIT_MS),
	    "dep should be running, not %s; %s", state_of(status, "dep"),
	    h_ctx(c));
	json = json_status(sock);
	ck_assert_str_eq(json_str(json, "n", "state"), "running");
	ck_assert_str_eq(json_str(json, "dep", "state"), "running");
	ck_assert_msg(strstr(text_status(sock, "n"), "serving") != NULL,
	    "corralctl status should show STATUS=serving: %s",
	    text_status(sock, "n"));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/*
 * A ready_check that never passes, ready_timeout = 1s: the service gets
 * its stop signal after a second, its hook is told reason timeout, the run
 * is a failed start and the service backs off, then starts again.
 */
START_TEST(checks_ready_timeout_backs_off)
{
	struct h_proc *c = h_corral(
	    "[corral]\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:slow]\n"
	    "command = @SVC@/catch @T@/slow TERM=die\n"
	    "ready_check = false\n"
	    "ready_interval = 100ms\n"
	    "ready_timeout = 1s\n"
	    "restart_delay = 300ms\n"
	    "restart_delay_max = 10s\n"
	    "start_retries = 5\n"
	    "cleanup = @SVC@/stamp -e @T@/hooks hook\n");
	const char *status = h_path("status.json");
	struct h_event start, term, hook, again;
	const char *json;

	start = started(c, "slow", 0);
	ck_assert_msg(h_wait_events(h_path("slow"), "TERM", 1, 3000),
	    "the service was not stopped 3 s after it started with "
	    "ready_timeout = 1s; %s", h_ctx(c));
	term = h_event(h_path("slow"), "TERM", 0);
	ck_assert_msg(term.ns - start.ns >= 950000000 &&
	    term.ns - start.ns <= 1600000000,
	    "stopped %.0f ms after it started; ready_timeout is 1s",
	    H_MS(term.ns - start.ns));
	ck_assert_msg(h_wait_events(h_path("hooks"), "hook", 1, H_WAIT_MS),
	    "no cleanup hook after the timeout; %s", h_ctx(c));
	hook = h_event(h_path("hooks"), "hook", 0);
	ck_assert_str_eq(hook.rest, "CORRAL_EXIT_SIGNAL=TERM CORRAL_REASON=timeout "
	    "CORRAL_SERVICE=slow");
	ck_assert_msg(wait_state(status, "slow", "backoff", H_WAIT_MS),
	    "the service should back off after the timeout, not be %s; %s",
	    state_of(status, "slow"), h_ctx(c));
	ck_assert_msg(h_count_lines(c->err, "slow: failed start 1 of 5") == 1,
	    "the timeout should count as failed start 1 of 5; %s", h_ctx(c));

	again = started(c, "slow", 1);
	ck_assert_msg(again.ns - hook.ns >= 250000000,
	    "restarted %.0f ms after the hook; restart_delay is 300ms",
	    H_MS(again.ns - hook.ns));
	/* The status file follows within the loop iteration, not before. */
	ck_assert_msg(wait_state(status, "slow", "starting", H_WAIT_MS),
	    "the service should be starting again, not %s; %s",
	    state_of(status, "slow"), h_ctx(c));
	json = h_read(status);
	ck_assert_msg(json_num(json, "slow", "restarts") == 1,
	    "the status file should count 1 restart: %s", json);
	/* The second timeout doubles the delay to 600 ms. */
	ck_assert_msg(h_wait_text(c->err, "slow: failed start 2 of 5", 3000) &&
	    wait_state(status, "slow", "backoff", H_WAIT_MS),
	    "the second timeout should be failed start 2 of 5 and back off; "
	    "%s", h_ctx(c));
	h_signal(c, SIGTERM);
	/* In back-off after a failed start when the shutdown began: unclean. */
	h_expect_exit(c, 3, H_WAIT_MS);
	ck_assert_int_eq(h_event_count(h_path("slow"), "start"), 2);
}
END_TEST

/*
 * A health check that starts failing when the test creates a file: after
 * health_retries (3) failures in a row the service is stopped, its hook
 * (which removes the file) is told reason health, and it is restarted.
 */
START_TEST(checks_health_restarts)
{
	struct h_proc *c = h_corral(
	    "[service:web]\n"
	    "command = @SVC@/catch @T@/web TERM=die\n"
	    "start_seconds = 100ms\n"
	    "health_check = sh -c '@SVC@/stamp @T@/checks check;\n"
	    "    test ! -e @T@/sick'\n"
	    "health_interval = 100ms\n"
	    "health_timeout = 1s\n"
	    "health_retries = 3\n"
	    "cleanup = sh -c 'rm -f @T@/sick; exec @SVC@/stamp -e @T@/hooks hook'\n");
	const char *checks = h_path("checks");
	struct h_event ev[64], term;
	int64_t sick;
	int n, failing = 0;

	(void)started(c, "web", 0);
	ck_assert_msg(h_wait_events(checks, "check", 3, H_WAIT_MS),
	    "the health check did not run; %s", h_ctx(c));
	ck_assert_msg(h_event_count(h_path("web"), "TERM") == 0,
	    "a healthy service was stopped; %s", h_ctx(c));
	/* After: a check that began before the file was there is healthy. */
	(void)h_write("sick", "");
	sick = h_now_ns();
	ck_assert_msg(h_wait_events(h_path("web"), "TERM", 1, H_WAIT_MS),
	    "the failing service was not stopped; %s", h_ctx(c));
	term = h_event(h_path("web"), "TERM", 0);
	n = h_events(checks, "check", ev, 64);
	for (int i = 0; i < n; i++)
		failing += ev[i].ns > sick && ev[i].ns < term.ns;
	/* A check under way as the file appeared may fail too, unrecorded. */
	ck_assert_msg(failing >= 2 && failing <= 3,
	    "stopped after %d checks that began after the health check started "
	    "failing; health_retries is 3", failing);
	ck_assert_msg(h_wait_events(h_path("hooks"), "hook", 1, H_WAIT_MS),
	    "no cleanup hook after the health failures; %s", h_ctx(c));
	ck_assert_str_eq(h_event(h_path("hooks"), "hook", 0).rest,
	    "CORRAL_EXIT_SIGNAL=TERM CORRAL_REASON=health CORRAL_SERVICE=web");
	(void)started(c, "web", 1);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/*
 * SIGTERM while a ready_check (each try bounded by ready_interval) is
 * under way and ready_timeout is 60 s: corral is done within a second and
 * the check process is gone with it.
 */
START_TEST(checks_sigterm_while_waiting_for_ready)
{
	struct h_proc *c = h_corral(
	    "[service:slow]\n"
	    "command = @SVC@/catch @T@/slow TERM=die\n"
	    "ready_check = @SVC@/stamp @T@/checks check sleep 30\n"
	    "ready_interval = 1s\n"
	    "ready_timeout = 60s\n");
	pid_t check;
	int64_t t0;

	(void)started(c, "slow", 0);
	ck_assert_msg(h_wait_events(h_path("checks"), "check", 1, H_WAIT_MS),
	    "the ready_check did not run; %s", h_ctx(c));
	check = h_event(h_path("checks"), "check", 0).pid;
	ck_assert_msg(h_alive(check), "the check ended before the test could "
	    "send SIGTERM");
	t0 = h_now_ns();
	h_signal(c, SIGTERM);
	ck_assert_msg(h_wait_exit(c, 1000), "corral still runs 1 s after "
	    "SIGTERM while it waited for readiness; %s", h_ctx(c));
	ck_assert_msg(h_now_ns() - t0 < 1000000000, "took %.0f ms",
	    H_MS(h_now_ns() - t0));
	ck_assert_msg(!h_alive(check), "the check process %d outlived corral",
	    (int)check);
	h_expect_exit(c, 0, 0);
	ck_assert_int_eq(h_event_count(h_path("slow"), "TERM"), 1);
}
END_TEST

/*
 * WATCHDOG_USEC in the environment of a notify = yes service: corral wants
 * WATCHDOG=1 that often.  While the pings come (every 150 ms, 300 ms
 * allowed) the service runs on, past WATCHDOG_USEC; once they stop, it is
 * restarted with reason health, a whole WATCHDOG_USEC after the last one.
 */
START_TEST(checks_notify_watchdog)
{
	int k = h_slowdown(), ping = 150 * k, usec = 300000 * k;
	struct h_proc *c = h_corral(h_fmt(
	    "[service:w]\n"
	    "command = @SVC@/notifier @T@/w send:READY=1 sleep:%d\n"
	    "    send:WATCHDOG=1 sleep:%d send:WATCHDOG=1 sleep:%d\n"
	    "    send:WATCHDOG=1\n"
	    "notify = yes\n"
	    "environment = WATCHDOG_USEC=%d\n"
	    "restart_delay = 100ms\n", ping, ping, ping, usec));
	struct h_event first = started(c, "w", 0), again, last;

	again = started(c, "w", 1);
	ck_assert_msg(h_wait_text(c->err, "w: no WATCHDOG=1 within "
	    "WATCHDOG_USEC; restarting it", H_WAIT_MS), "no word of the "
	    "watchdog; %s", h_ctx(c));
	last = h_event(h_path("w"), "sent", 3);
	ck_assert_msg(last.pid == first.pid && last.ns < again.ns,
	    "the first run was restarted before its last ping; %s", h_ctx(c));
	/* Not a bound on speed: timers may fire a loop turn early. */
	ck_assert_msg(again.ns - last.ns >= (int64_t)usec * 1000 * 5 / 6,
	    "restarted %.0f ms after the last ping, before WATCHDOG_USEC "
	    "(%d ms) had passed", H_MS(again.ns - last.ns), usec / 1000);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/*
 * A datagram over 4096 bytes from the service itself is dropped with a
 * warning naming the service; what it sends next still counts.
 */
START_TEST(checks_notify_oversized_datagram)
{
	struct h_proc *c = h_corral(
	    "[service:n]\n"
	    "command = @SVC@/notifier @T@/n big:5000 send:READY=1\n"
	    "notify = yes\n"
	    "\n"
	    "[service:dep]\n"
	    "command = @SVC@/catch @T@/dep TERM=exit:0\n"
	    "after = n\n");

	(void)started(c, "dep", 0);
	ck_assert_msg(h_count_lines(c->err, "n: ignored a notification over "
	    "4096 bytes") == 1, "expected one warning about the oversized "
	    "datagram; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

Suite *
suite_checks(void)
{
	Suite *s = suite_create("checks");

	h_add(s, checks_notify_ready, 20);
	h_add(s, checks_ready_timeout_backs_off, 20);
	h_add(s, checks_health_restarts, 20);
	h_add(s, checks_notify_watchdog, 20);
	h_add(s, checks_notify_oversized_datagram, 20);
	h_add(s, checks_sigterm_while_waiting_for_ready, 20);
	return s;
}
