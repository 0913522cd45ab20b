/*
 * corral under systemd (SPEC §10): the sd_notify(3) datagrams it sends to
 * the NOTIFY_SOCKET it was given, the watchdog, and the promise that
 * NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID never reach a service.
 *
 * The test plays systemd: it binds a datagram socket (a path, or an
 * abstract name) and reads what corral sends, each datagram with the time
 * it arrived.  STATUS= lines may come at any time and WATCHDOG=1 is
 * counted on its own; every other line is an event, and the events must
 * come exactly in the order systemd expects them.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"

/* The socket of the test, playing systemd. */
struct nsock {
	int		 fd;
	const char	*env;		/* the value of NOTIFY_SOCKET */
	const char	*seen;		/* every datagram so far, for messages */
	int		 msgs;		/* datagrams received */
	int		 watchdogs;	/* WATCHDOG=1 lines received */
	char		 pending[16][256];	/* events of the last datagram */
	int		 npending, next;
	int		 pending_msg;	/* the datagram they came in */
	int64_t		 pending_ns;	/* when it arrived */
};

/* One event: a line other than STATUS= and WATCHDOG=1. */
struct nevent {
	char		 line[256];
	int		 msg;		/* which datagram */
	int64_t		 ns;		/* when it arrived */
};

/* One per test: each test is a process of its own. */
static struct nsock *
nsock_open(bool abstract)
{
	static struct nsock the;
	struct nsock *ns = &the;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *name;
	socklen_t len;

	if (abstract) {
		/* Unique on the machine: tests of other runs may be running. */
		name = h_fmt("corral-it-%d-%lld", (int)getpid(),
		    (long long)h_now_ns());
		ns->env = h_fmt("@%s", name);
		memcpy(sun.sun_path + 1, name, strlen(name));
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
		    strlen(name));
	} else {
		name = h_path("notify.sock");
		ns->env = name;
		ck_assert_msg(strlen(name) < sizeof(sun.sun_path),
		    "%s: path too long for a socket", name);
		memcpy(sun.sun_path, name, strlen(name));
		len = (socklen_t)sizeof(sun);
	}
	ns->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_msg(ns->fd >= 0 && bind(ns->fd, (struct sockaddr *)&sun,
	    len) == 0, "bind %s: %s", ns->env, strerror(errno));
	ns->seen = "";
	return ns;
}

/* Receives one datagram within timeout_ms; false if none came. */
static bool
nsock_recv(struct nsock *ns, int timeout_ms)
{
	struct pollfd pfd = { ns->fd, POLLIN, 0 };
	char buf[4096], *line, *save = NULL;
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) != 1)
		return false;
	n = recv(ns->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	ck_assert_msg(n >= 0, "recv: %s", strerror(errno));
	buf[n] = '\0';
	ns->pending_ns = h_now_ns();
	ns->pending_msg = ++ns->msgs;
	ns->npending = ns->next = 0;
	ns->seen = h_fmt("%s  #%d: '%s'\n", ns->seen, ns->msgs, buf);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "STATUS=", 7) == 0)
			continue;
		if (strcmp(line, "WATCHDOG=1") == 0) {
			ns->watchdogs++;
			continue;
		}
		if (ns->npending < 16)
			snprintf(ns->pending[ns->npending++], 256, "%s", line);
	}
	return true;
}

/* The next event, waiting at most timeout_ms for it; false if none came. */
static bool
nsock_event(struct nsock *ns, int timeout_ms, struct nevent *ev)
{
	int64_t deadline = h_now_ns() + (int64_t)timeout_ms * 1000000;

	while (ns->next == ns->npending) {
		int64_t left = deadline - h_now_ns();

		if (left < 0 || !nsock_recv(ns, (int)(left / 1000000)))
			return false;
	}
	snprintf(ev->line, sizeof(ev->line), "%s", ns->pending[ns->next++]);
	ev->msg = ns->pending_msg;
	ev->ns = ns->pending_ns;
	return true;
}

/* The next event must be want (a whole line, or a prefix ending in '='). */
static struct nevent
expect_event(struct nsock *ns, struct h_proc *c, const char *want)
{
	struct nevent ev;
	size_t wlen = strlen(want);
	bool prefix = want[wlen - 1] == '=';

	ck_assert_msg(nsock_event(ns, H_WAIT_MS, &ev),
	    "expected %s from corral within %d ms; received so far:\n%s%s",
	    want, H_WAIT_MS, ns->seen, h_ctx(c));
	ck_assert_msg(prefix ? strncmp(ev.line, want, wlen) == 0 :
	    strcmp(ev.line, want) == 0,
	    "expected %s next, but corral sent '%s'; received so far:\n%s%s",
	    want, ev.line, ns->seen, h_ctx(c));
	return ev;
}

static long long
event_value(const struct nevent *ev)
{
	return strtoll(strchr(ev->line, '=') + 1, NULL, 10);
}

/*
 * The life of a corral under systemd, with NOTIFY_SOCKET a path or an
 * abstract name: READY=1 only once the ready_check of db passed,
 * RELOADING=1 with MONOTONIC_USEC then READY=1 around a SIGHUP,
 * STOPPING=1 at SIGTERM, EXTEND_TIMEOUT_USEC while app's 1 s cleanup hook
 * runs, and nothing else.
 */
static void
notify_life(bool abstract)
{
	struct nsock *ns = nsock_open(abstract);
	struct h_proc *c;
	struct nevent ev, reloading, extend;
	int64_t t;

	ck_assert_int_eq(setenv("NOTIFY_SOCKET", ns->env, 1), 0);
	c = h_corral(
	    "[corral]\n"
	    "stop_timeout = 2s\n"
	    "\n"
	    "[service:db]\n"
	    "command = @SVC@/catch @T@/db TERM=die\n"
	    "ready_check = test -e @T@/db.ready\n"
	    "ready_interval = 50ms\n"
	    "\n"
	    "[service:app]\n"
	    "command = @SVC@/catch @T@/app TERM=die\n"
	    "cleanup = sh -c '@SVC@/stamp @T@/hook begin && sleep 1 &&\n"
	    "    @SVC@/stamp @T@/hook end'\n"
	    "cleanup_timeout = 5s\n");
	ck_assert_msg(h_wait_events(h_path("db"), "start", 1, H_WAIT_MS) &&
	    h_wait_events(h_path("app"), "start", 1, H_WAIT_MS),
	    "the services did not start; %s", h_ctx(c));
	/* db runs but is not ready: corral is not ready either. */
	ck_assert_msg(!nsock_event(ns, 300, &ev), "corral sent '%s' while db "
	    "was not ready yet; received:\n%s", ev.line, ns->seen);
	(void)h_write("db.ready", "");
	(void)expect_event(ns, c, "READY=1");

	t = h_now_ns();
	h_signal(c, SIGHUP);
	reloading = expect_event(ns, c, "RELOADING=1");
	ev = expect_event(ns, c, "MONOTONIC_USEC=");
	ck_assert_msg(ev.msg == reloading.msg, "MONOTONIC_USEC must come in "
	    "the datagram of RELOADING=1; received:\n%s", ns->seen);
	ck_assert_msg(event_value(&ev) * 1000 >= t - 1000000 &&
	    event_value(&ev) * 1000 <= ev.ns,
	    "MONOTONIC_USEC=%lld is not the CLOCK_MONOTONIC of the reload: "
	    "the SIGHUP was sent at %lld us, the datagram arrived at %lld us",
	    event_value(&ev), (long long)(t / 1000), (long long)(ev.ns / 1000));
	ev = expect_event(ns, c, "READY=1");

	h_signal(c, SIGTERM);
	(void)expect_event(ns, c, "STOPPING=1");
	extend = expect_event(ns, c, "EXTEND_TIMEOUT_USEC=");
	/* It must cover the whole cleanup_timeout of the hook (5 s). */
	ck_assert_msg(event_value(&extend) >= 5000000,
	    "EXTEND_TIMEOUT_USEC=%lld does not cover the hook's "
	    "cleanup_timeout of 5s", event_value(&extend));
	h_expect_exit(c, 0, H_WAIT_MS);
	ck_assert_msg(h_event_count(h_path("hook"), "end") == 1,
	    "the cleanup hook did not finish; %s", h_ctx(c));
	ck_assert_msg(extend.ns < h_event(h_path("hook"), "end", 0).ns,
	    "EXTEND_TIMEOUT_USEC came %.0f ms after the cleanup hook had "
	    "ended; it must come while the hook runs",
	    H_MS(extend.ns - h_event(h_path("hook"), "end", 0).ns));
	/* Whatever is still queued: no event after these. */
	ck_assert_msg(!nsock_event(ns, 0, &ev), "corral sent '%s' after "
	    "EXTEND_TIMEOUT_USEC; received:\n%s", ev.line, ns->seen);
}

START_TEST(notify_life_path)
{
	notify_life(false);
}
END_TEST

START_TEST(notify_life_abstract)
{
	notify_life(true);
}
END_TEST

enum wd_pid { WD_UNSET, WD_CORRAL, WD_OTHER };

/*
 * corral with WATCHDOG_USEC=200000 and WATCHDOG_PID as told; returns how
 * many WATCHDOG=1 came in the second after READY=1.
 */
static int
watchdogs_in_a_second(enum wd_pid who)
{
	struct nsock *ns = nsock_open(false);
	const char *conf = h_write("corral.conf",
	    "[corral]\n"
	    "control_socket = none\n"
	    "\n"
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a TERM=die\n");
	/* `exec` keeps the shell's pid: WATCHDOG_PID=$$ names corral. */
	const char *argv[] = { "sh", "-c", who == WD_CORRAL ?
	    "export WATCHDOG_PID=$$; exec \"$0\" \"$@\"" : "exec \"$0\" \"$@\"",
	    getenv("CORRAL_BIN"), "-c", conf, NULL };
	struct h_proc *c;
	int64_t end;
	int n;

	ck_assert_int_eq(setenv("NOTIFY_SOCKET", ns->env, 1), 0);
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "200000", 1), 0);
	if (who == WD_OTHER)
		ck_assert_int_eq(setenv("WATCHDOG_PID", h_fmt("%d",
		    (int)getpid()), 1), 0);
	c = h_spawn("corral", NULL, argv);
	(void)expect_event(ns, c, "READY=1");
	n = ns->watchdogs;
	end = h_now_ns() + 1000000000;
	while (h_now_ns() < end)
		(void)nsock_recv(ns, (int)((end - h_now_ns()) / 1000000) + 1);
	n = ns->watchdogs - n;
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	return n;
}

START_TEST(notify_watchdog_pings)
{
	int n = watchdogs_in_a_second(WD_UNSET);

	/* Every 100 ms: 10 in a second; generous bounds for a busy machine. */
	ck_assert_msg(n >= 6 && n <= 14, "%d WATCHDOG=1 in one second with "
	    "WATCHDOG_USEC=200000; expected about 10", n);
}
END_TEST

START_TEST(notify_watchdog_pid_is_corral)
{
	int n = watchdogs_in_a_second(WD_CORRAL);

	ck_assert_msg(n >= 6 && n <= 14, "%d WATCHDOG=1 in one second with "
	    "WATCHDOG_USEC=200000 and WATCHDOG_PID corral's own pid; expected "
	    "about 10", n);
}
END_TEST

START_TEST(notify_watchdog_pid_elsewhere)
{
	int n = watchdogs_in_a_second(WD_OTHER);

	ck_assert_msg(n == 0, "%d WATCHDOG=1 in one second, though "
	    "WATCHDOG_PID names another process", n);
}
END_TEST

/* Where a line "NAME=" of an env(1) listing starts, or NULL. */
static const char *
env_var(const char *listing, const char *name)
{
	size_t len = strlen(name);

	for (const char *l = listing; l != NULL && *l != '\0';) {
		if (strncmp(l, name, len) == 0 && l[len] == '=')
			return l;
		l = strchr(l, '\n');
		if (l != NULL)
			l++;
	}
	return NULL;
}

static void
expect_clean_env(struct h_proc *c, const char *what, const char *file)
{
	static const char *const vars[] = { "NOTIFY_SOCKET", "WATCHDOG_USEC",
	    "WATCHDOG_PID" };
	const char *listing;

	ck_assert_msg(h_wait_file(h_path(file), H_WAIT_MS),
	    "%s did not run; %s", what, h_ctx(c));
	listing = h_read(h_path(file));
	ck_assert_msg(env_var(listing, "CORRAL_SERVICE") != NULL,
	    "%s: no CORRAL_SERVICE: is %s an env(1) listing?", what, file);
	for (size_t i = 0; i < sizeof(vars) / sizeof(*vars); i++)
		ck_assert_msg(env_var(listing, vars[i]) == NULL,
		    "%s sees corral's %.40s", what, env_var(listing, vars[i]));
}

START_TEST(notify_vars_not_passed_on)
{
	struct nsock *ns = nsock_open(false);
	struct h_proc *c;
	const char *listing, *own;

	/* dump FILE: writes env(1) to FILE, whole or not at all. */
	ck_assert_msg(chmod(h_write("dump", "#!/bin/sh\n"
	    "env > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"\n"), 0755) == 0,
	    "chmod: %s", strerror(errno));
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", ns->env, 1), 0);
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "60000000", 1), 0);
	ck_assert_int_eq(setenv("WATCHDOG_PID", h_fmt("%d", (int)getpid()), 1),
	    0);
	c = h_corral(
	    "[service:plain]\n"
	    "command = sh -c '@T@/dump @T@/plain.env &&\n"
	    "    exec @SVC@/catch @T@/plain TERM=die'\n"
	    "ready_check = @T@/dump @T@/ready.env\n"
	    "ready_interval = 50ms\n"
	    "health_check = @T@/dump @T@/health.env\n"
	    "health_interval = 50ms\n"
	    "cleanup = @T@/dump @T@/hook.env\n"
	    "\n"
	    "[service:notified]\n"
	    "command = sh -c '@T@/dump @T@/notified.env &&\n"
	    "    exec @SVC@/notifier @T@/n send:READY=1'\n"
	    "notify = yes\n");
	(void)expect_event(ns, c, "READY=1");
	expect_clean_env(c, "the service", "plain.env");
	expect_clean_env(c, "the ready_check", "ready.env");
	expect_clean_env(c, "the health_check", "health.env");
	ck_assert_msg(h_wait_events(h_path("n"), "sent", 1, H_WAIT_MS),
	    "the notify = yes service did not report; %s", h_ctx(c));
	listing = h_read(h_path("notified.env"));
	own = env_var(listing, "NOTIFY_SOCKET");
	/* A notify = yes service gets a socket of corral's, never systemd's. */
	ck_assert_msg(own != NULL && own[14] == '/' &&
	    strncmp(own + 14, ns->env, strlen(ns->env)) != 0,
	    "the notify = yes service should see its own NOTIFY_SOCKET path "
	    "from corral, not %.80s", own ? own : "(none)");
	ck_assert_msg(env_var(listing, "WATCHDOG_USEC") == NULL &&
	    env_var(listing, "WATCHDOG_PID") == NULL,
	    "the notify = yes service sees corral's WATCHDOG_* variables");
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	expect_clean_env(c, "the cleanup hook", "hook.env");
}
END_TEST

Suite *
suite_notify(void)
{
	Suite *s = suite_create("notify");

	h_add(s, notify_life_path, 20);
	h_add(s, notify_life_abstract, 20);
	h_add(s, notify_watchdog_pings, 20);
	h_add(s, notify_watchdog_pid_is_corral, 20);
	h_add(s, notify_watchdog_pid_elsewhere, 20);
	h_add(s, notify_vars_not_passed_on, 20);
	return s;
}
