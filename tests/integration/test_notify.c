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
 *
 * The other way round, corral as the notify server of its `notify = yes`
 * services, facing a hostile one (SPEC §12): a symlink race on its socket,
 * a flood of oversized datagrams, and datagrams carrying descriptors.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <pwd.h>
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

/* ---- corral as the notify server of a hostile service ---- */

struct race {
	const char	*log;		/* the racer's records */
	const char	*target;	/* root's file the racer aims at */
	int		 rounds;	/* runs of the service to wait for */
};

static bool
is_race_over(const void *arg)
{
	const struct race *r = arg;
	struct stat st;

	return h_event_count(r->log, "start") >= r->rounds ||
	    stat(r->target, &st) == -1 || st.st_uid != 0 ||
	    (st.st_mode & 07777) != 0600;
}

/* The directory path must be root's, and writable by root alone. */
static void
expect_root_dir(const char *path, const char *sock)
{
	struct stat st;

	ck_assert_msg(lstat(path, &st) == 0 && S_ISDIR(st.st_mode),
	    "%s (on the way to %s): %s", path, sock, strerror(errno));
	ck_assert_msg(st.st_uid == 0 && (st.st_mode & 022) == 0,
	    "%s, on the way to the notify socket %s, is uid %d mode %04o: it "
	    "must be root's and writable by root alone", path, sock,
	    (int)st.st_uid, (unsigned)(st.st_mode & 07777));
}

/*
 * A service as nobody whose detached child keeps putting a symlink to a
 * file of root's where its NOTIFY_SOCKET is, while restart = always and
 * restart_delay = 0 give the race a new round at each exit: corral must
 * never chown (or chmod) the file, and the socket it makes is nobody's,
 * 0600, in directories only root can write.
 */
START_TEST(notify_socket_symlink_race)
{
	struct passwd *pw = getpwnam("nobody");
	struct race r = { .rounds = 300 };
	struct h_proc *c;
	struct stat st;
	const char *sock;
	char *dir;
	pid_t racer;

	if (geteuid() != 0 || pw == NULL) {
		fprintf(stderr, "SKIP %s: needs root and a user nobody\n",
		    tcase_name());
		return;
	}
	r.log = h_write("race.log", "");
	r.target = h_write("target", "root's own\n");
	ck_assert_msg(chown(r.log, pw->pw_uid, pw->pw_gid) == 0 &&
	    chmod(r.target, 0600) == 0 && mkdir(h_path("w"), 0700) == 0 &&
	    chown(h_path("w"), pw->pw_uid, pw->pw_gid) == 0,
	    "setting up %s: %s", h_dir(), strerror(errno));
	c = h_corral(
	    "[service:web]\n"
	    "command = @SVC@/racer @T@/race.log @T@/target\n"
	    "    @T@/w/lock @T@/w/hold\n"
	    "user = nobody\n"
	    "notify = yes\n"
	    "restart = always\n"
	    "restart_delay = 0\n"
	    "start_seconds = 0\n"
	    "start_retries = 100000\n");
	ck_assert_msg(h_wait_until(is_race_over, &r, 20000), "the service ran "
	    "only %d times in 20 s; %s", h_event_count(r.log, "start"),
	    h_ctx(c));
	ck_assert_msg(h_event_count(r.log, "racer") == 1, "no racer started; "
	    "%s", h_ctx(c));
	racer = h_event(r.log, "racer", 0).pid;
	ck_assert_msg(kill(racer, SIGKILL) == 0 && h_wait_gone(racer, H_WAIT_MS),
	    "unable to end the racer %d: %s", (int)racer, strerror(errno));
	ck_assert_msg(stat(r.target, &st) == 0 && st.st_uid == 0 &&
	    st.st_gid == 0 && (st.st_mode & 07777) == 0600,
	    "after %d runs of a service as nobody racing symlinks at its "
	    "notify socket, corral left root's 0600 file %s with uid %d gid "
	    "%d mode %04o", h_event_count(r.log, "start"), r.target,
	    (int)st.st_uid, (int)st.st_gid, (unsigned)(st.st_mode & 07777));

	/* A run that stays, so that its socket stays too. */
	(void)h_write("w/hold", "");
	ck_assert_msg(h_wait_events(r.log, "hold", 1, H_WAIT_MS),
	    "the service did not settle; %s", h_ctx(c));
	/* The same path for every run of one corral. */
	sock = h_event(r.log, "start", 0).rest;
	ck_assert_msg(lstat(sock, &st) == 0 && S_ISSOCK(st.st_mode),
	    "%s: not a socket (%s)", sock, strerror(errno));
	ck_assert_msg(st.st_uid == pw->pw_uid && (st.st_mode & 07777) == 0600,
	    "the notify socket %s of a service as nobody is uid %d mode %04o; "
	    "expected nobody's, 0600", sock, (int)st.st_uid,
	    (unsigned)(st.st_mode & 07777));
	dir = dirname(h_fmt("%s", sock));
	expect_root_dir(dir, sock);
	expect_root_dir(dirname(h_fmt("%s", dir)), sock);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	ck_assert_msg(lstat(dirname(h_fmt("%s", dir)), &st) == -1 &&
	    errno == ENOENT, "corral left its runtime directory %s",
	    dirname(h_fmt("%s", dir)));
}
END_TEST

/* The count in "... (N more since the last warning)", or in a summary. */
static long
held_counts(const char *text, const char *what)
{
	long sum = 0;

	for (const char *l = text; l != NULL && *l != '\0';) {
		const char *p = strstr(l, " more ");
		const char *end = strchr(l, '\n');

		if (strstr(l, what) != NULL && p != NULL &&
		    (end == NULL || p < end) && (end == NULL ||
		    strstr(l, what) < end)) {
			while (p > l && p[-1] >= '0' && p[-1] <= '9')
				p--;
			sum += strtol(p, NULL, 10);
		}
		l = end != NULL ? end + 1 : NULL;
	}
	return sum;
}

/*
 * 20,000 oversized datagrams: corral warns at most once a second, every
 * datagram is accounted for by a line or a count held back, and corral
 * still answers and shuts down cleanly.
 */
START_TEST(notify_oversized_flood)
{
	const int n = 20000;
	struct h_proc *c;
	int64_t t0, t1;
	char *err;
	int lines;
	long held;

	c = h_corral(
	    "[corral]\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:web]\n"
	    "command = @SVC@/notifier @T@/n flood:5000:20000 "
	    "send:STATUS=flooded send:READY=1\n"
	    "notify = yes\n");
	ck_assert_msg(h_wait_events(h_path("n"), "start", 1, H_WAIT_MS),
	    "the service did not start; %s", h_ctx(c));
	t0 = h_event(h_path("n"), "start", 0).ns;
	/* Datagrams are read in order: the flood is behind corral then. */
	ck_assert_msg(h_wait_text(h_path("status.json"), "flooded", 30000),
	    "corral did not take the STATUS= after the flood; %s", h_ctx(c));
	t1 = h_now_ns();
	lines = h_count_lines(c->err, "notification");
	ck_assert_msg(lines <= (t1 - t0) / 1000000000 + 1, "%d warning lines "
	    "for %d oversized datagrams in %.0f ms; at most one a second",
	    lines, n, H_MS(t1 - t0));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	err = h_read(c->err);
	lines = h_count_lines(c->err, "ignored a notification over 4096 bytes");
	held = held_counts(err, "notifications over 4096 bytes") +
	    held_counts(err, "ignored a notification over 4096 bytes");
	ck_assert_msg(lines >= 1 && lines + held == n, "%d oversized "
	    "datagrams, but %d warning lines and %ld held back in counts:\n%s",
	    n, lines, held, h_tail(c->err));
}
END_TEST

/*
 * The descriptors of pid, one "N -> TARGET" line each for the first 20 (a
 * Check message is short); *n gets their count.
 */
static const char *
fd_list(pid_t pid, int *n)
{
	const char *dir = h_fmt("/proc/%d/fd", (int)pid);
	DIR *d = opendir(dir);
	const char *list = "";
	struct dirent *e;
	char link[256];
	ssize_t len;

	ck_assert_msg(d != NULL, "%s: %s", dir, strerror(errno));
	*n = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		len = readlink(h_fmt("%s/%s", dir, e->d_name), link,
		    sizeof(link) - 1);
		link[len > 0 ? len : 0] = '\0';
		if (++*n <= 20)
			list = h_fmt("%s  %s -> %s\n", list, e->d_name, link);
	}
	(void)closedir(d);
	return list;
}

/*
 * 200 datagrams of 16 descriptors each, from the service and then from a
 * process outside it: corral keeps none of them.
 */
START_TEST(notify_fds_closed)
{
	struct h_proc *c, *o;
	const char *sock, *was, *now;
	int before, mid, after;

	c = h_corral(
	    "[corral]\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:web]\n"
	    "command = @SVC@/notifier @T@/n send:STATUS=phase-up send:READY=1\n"
	    "    wait:@T@/go0 send:STATUS=phase-base\n"
	    "    wait:@T@/go1 fds:200:16 send:STATUS=phase-service\n"
	    "    wait:@T@/go2 send:STATUS=phase-outsider\n"
	    "notify = yes\n");
	ck_assert_msg(h_wait_text(h_path("status.json"), "phase-up", H_WAIT_MS),
	    "the service did not report; %s", h_ctx(c));
	/* A round trip more: whatever the start kept open is closed now. */
	(void)h_write("go0", "");
	ck_assert_msg(h_wait_text(h_path("status.json"), "phase-base",
	    H_WAIT_MS), "the service did not report again; %s", h_ctx(c));
	was = fd_list(c->corral, &before);
	(void)h_write("go1", "");
	ck_assert_msg(h_wait_text(h_path("status.json"), "phase-service",
	    H_WAIT_MS), "corral did not take the STATUS= after the "
	    "descriptors; %s", h_ctx(c));
	now = fd_list(c->corral, &mid);
	ck_assert_msg(mid == before, "corral had %d descriptors before 200 "
	    "datagrams of 16 descriptors each from its service, %d after:\n"
	    "%sbefore:\n%s", before, mid, now, was);

	sock = h_event(h_path("n"), "start", 0).rest;
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", sock, 1), 0);
	o = h_spawn("outsider", NULL, (const char *[]){ h_svc("notifier"),
	    h_path("o"), "fds:200:16", NULL });
	ck_assert_msg(h_wait_events(h_path("o"), "sent", 1, H_WAIT_MS),
	    "the outsider did not send; %s", h_ctx(o));
	h_signal(o, SIGKILL);
	ck_assert(h_wait_exit(o, H_WAIT_MS));
	(void)h_write("go2", "");
	ck_assert_msg(h_wait_text(h_path("status.json"), "phase-outsider",
	    H_WAIT_MS), "corral did not take the last STATUS=; %s", h_ctx(c));
	now = fd_list(c->corral, &after);
	ck_assert_msg(after == before, "corral had %d descriptors before 200 "
	    "datagrams of 16 descriptors each from outside its service, %d "
	    "after:\n%sbefore:\n%s", before, after, now, was);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
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
	h_add(s, notify_socket_symlink_race, 40);
	h_add(s, notify_oversized_flood, 45);
	h_add(s, notify_fds_closed, 20);
	return s;
}
