/*
 * The control socket and corralctl (SPEC §9, corralctl(1)): status as a
 * table and as JSON, start/stop/restart/signal, the exit codes, who may
 * talk to corral, hostile clients, leaks, the status file, `check`, and
 * where the socket comes from.
 *
 * Each corral here names its socket in the test's directory (the runner
 * sets CORRAL_SOCKET=none, so no test takes the host's), and most keep a
 * status file there too: it is rewritten by rename on every state change,
 * so a wait for a state blocks on inotify like every other wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctlutil.h"

#define SOCK_CONF \
	"[corral]\n" \
	"control_socket = @T@/ctl.sock\n" \
	"status_file = @T@/status.json\n" \
	"\n"

static void
expect_state(struct h_proc *c, const char *name, const char *state)
{
	const char *file = h_path("status.json");

	ck_assert_msg(cu_wait_state(file, name, state, H_WAIT_MS),
	    "%s: status file says '%s', expected '%s'; %s", name,
	    cu_file_state(file, name), state, h_ctx(c));
}

/* The line of the status table whose first field is name, or NULL. */
static const char *
table_row(const char *table, const char *name)
{
	size_t len = strlen(name);

	for (const char *line = table; line && *line;) {
		const char *nl = strchr(line, '\n');

		if (strncmp(line, name, len) == 0 && line[len] == ' ')
			return h_fmt("%.*s", nl ? (int)(nl - line) :
			    (int)strlen(line), line);
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* Field i (from 0) of a line, split at blanks; "" past the end. */
static const char *
field(const char *line, int i)
{
	char *copy = h_fmt("%s", line ? line : ""), *save = NULL, *w;

	for (w = strtok_r(copy, " ", &save); w && i > 0; i--)
		w = strtok_r(NULL, " ", &save);
	return w ? w : "";
}

START_TEST(control_status_table_and_json)
{
	struct h_proc *c = h_corral(SOCK_CONF
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a TERM=die\n"
	    "\n"
	    "[service:web.api-2]\n"
	    "command = @SVC@/catch @T@/w TERM=die\n"
	    "\n"
	    "[service:later]\n"
	    "command = @SVC@/catch @T@/later TERM=die\n"
	    "autostart = no\n");
	const char *sock = h_path("ctl.sock");
	pid_t a = cu_started(c, "a", 0), w = cu_started(c, "w", 0);
	struct cu_run r;
	struct tj *st;
	const char *row;

	expect_state(c, "a", "running");
	expect_state(c, "web.api-2", "running");
	r = cu_ctl(sock, "status", NULL);
	ck_assert_msg(r.code == 0, "status: %s", cu_ctx(&r));
	ck_assert_msg(strncmp(r.out, "NAME", 4) == 0 && strstr(r.out, "STATE") &&
	    strstr(r.out, "PID") && strstr(r.out, "UPTIME") &&
	    strstr(r.out, "RESTARTS") && strstr(r.out, "LAST EXIT"),
	    "status: no header line with NAME STATE PID UPTIME RESTARTS "
	    "LAST EXIT; %s", cu_ctx(&r));
	row = table_row(r.out, "a");
	ck_assert_msg(strcmp(field(row, 1), "running") == 0 &&
	    atoi(field(row, 2)) == a && strcmp(field(row, 4), "0") == 0 &&
	    strcmp(field(row, 5), "-") == 0, "status: a should be 'running', "
	    "pid %d, 0 restarts, no last exit; %s", (int)a, cu_ctx(&r));
	row = table_row(r.out, "web.api-2");
	ck_assert_msg(strcmp(field(row, 1), "running") == 0 &&
	    atoi(field(row, 2)) == w, "status: web.api-2 should be running "
	    "with pid %d; %s", (int)w, cu_ctx(&r));
	row = table_row(r.out, "later");
	ck_assert_msg(strcmp(field(row, 1), "idle") == 0, "status: later "
	    "(autostart = no) should be idle; %s", cu_ctx(&r));

	/* Only the services named. */
	r = cu_ctl(sock, "status", "web.api-2", NULL);
	ck_assert_msg(r.code == 0 && table_row(r.out, "web.api-2") &&
	    !table_row(r.out, "a") && !table_row(r.out, "later"),
	    "status web.api-2: only that line expected; %s", cu_ctx(&r));

	/* JSON, with --json before or after the verb. */
	for (int form = 0; form < 2; form++) {
		char err[256];
		const char *problem;

		r = form ? cu_ctl(sock, "status", "--json", NULL) :
		    cu_ctl(sock, "--json", "status", NULL);
		ck_assert_msg(r.code == 0, "status --json: %s", cu_ctx(&r));
		problem = cu_status_problem(r.out);
		ck_assert_msg(problem == NULL, "status --json: %s; %s", problem,
		    cu_ctx(&r));
		st = tj_parse(r.out, err, sizeof(err));
		ck_assert_msg(st != NULL, "%s", err);
		ck_assert_msg(tj_get(st, "services")->n == 3,
		    "status --json: 3 services expected; %s", cu_ctx(&r));
		ck_assert_msg(cu_pid(st, "a") == a && cu_pid(st, "web.api-2") == w &&
		    strcmp(cu_state(st, "a"), "running") == 0 &&
		    strcmp(cu_state(st, "later"), "idle") == 0 &&
		    tj_is(tj_get(cu_service(st, "a"), "started_at"), TJ_NUMBER) &&
		    tj_is(tj_get(cu_service(st, "a"), "last_exit"), TJ_NULL) &&
		    tj_is(tj_get(cu_service(st, "later"), "started_at"),
		    TJ_NULL), "status --json: wrong content; %s", cu_ctx(&r));
		tj_free(st);
	}
	r = cu_ctl(sock, "--json", "status", "a", NULL);
	st = tj_parse(r.out, (char[256]){ 0 }, 256);
	ck_assert_msg(r.code == 0 && st != NULL &&
	    tj_get(st, "services")->n == 1 && cu_pid(st, "a") == a,
	    "status --json a: one service expected; %s", cu_ctx(&r));
	tj_free(st);

	/* An unknown name is an error, on stderr, exit 1. */
	r = cu_ctl(sock, "status", "a", "nosuch", NULL);
	ck_assert_msg(r.code == 1 && strstr(r.err, "unknown service 'nosuch'"),
	    "status nosuch: expected exit 1 and \"unknown service 'nosuch'\"; "
	    "%s", cu_ctx(&r));
	r = cu_ctl(sock, "frobnicate", NULL);
	ck_assert_msg(r.code == 2, "an unknown verb is a usage error (exit 2); "
	    "%s", cu_ctx(&r));

	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	/* Removed at exit: now nobody answers. */
	ck_assert_msg(access(sock, F_OK) == -1, "%s still exists after corral "
	    "exited", sock);
	r = cu_ctl(sock, "status", NULL);
	ck_assert_msg(r.code == 3 && *r.err != '\0', "corral not running: "
	    "expected exit 3 with a message; %s", cu_ctx(&r));
	/* A socket file left behind, nobody listening: the same. */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
		ck_assert_msg(fd >= 0 && bind(fd, (struct sockaddr *)&sa,
		    sizeof(sa)) == 0, "bind %s: %s", sock, strerror(errno));
		(void)close(fd);
	}
	r = cu_ctl(sock, "check", NULL);
	ck_assert_msg(r.code == 3 && *r.err != '\0', "a stale socket: "
	    "expected exit 3 with a message; %s", cu_ctx(&r));
}
END_TEST

START_TEST(control_start_stop_restart_signal)
{
	struct h_proc *c = h_corral(SOCK_CONF
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a TERM=die USR1=ignore\n"
	    "cleanup = @SVC@/stamp -e @T@/hooks a\n"
	    "\n"
	    "[service:b]\n"
	    "command = @SVC@/catch @T@/b TERM=die\n"
	    "cleanup = @SVC@/stamp -e @T@/hooks b\n"
	    "\n"
	    "[service:c]\n"
	    "command = @SVC@/catch @T@/c TERM=die\n"
	    "cleanup = @SVC@/stamp -e @T@/hooks c\n"
	    "restart_delay = 0\n");
	const char *sock = h_path("ctl.sock"), *hooks = h_path("hooks");
	pid_t a = cu_started(c, "a", 0), b = cu_started(c, "b", 0);
	pid_t cc = cu_started(c, "c", 0);
	struct h_event e;
	struct cu_run r;

	/* A typo anywhere changes nothing. */
	r = cu_ctl(sock, "stop", "a", "nosuch", NULL);
	ck_assert_msg(r.code == 1 && strstr(r.err, "unknown service 'nosuch'"),
	    "stop a nosuch: expected exit 1 and \"unknown service 'nosuch'\";"
	    " %s", cu_ctx(&r));

	r = cu_ctl(sock, "stop", "a", "b", NULL);
	ck_assert_msg(r.code == 0, "stop a b: %s", cu_ctx(&r));
	ck_assert_msg(h_wait_events(hooks, "a", 1, H_WAIT_MS) &&
	    h_wait_events(hooks, "b", 1, H_WAIT_MS),
	    "stop did not run the cleanup hooks; %s", h_ctx(c));
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "b" : "a";

		e = h_event(hooks, name, 0);
		ck_assert_msg(strcmp(cu_var(e.rest, "CORRAL_REASON"), "stop") == 0 &&
		    strcmp(cu_var(e.rest, "CORRAL_EXIT_SIGNAL"), "TERM") == 0 &&
		    strcmp(cu_var(e.rest, "CORRAL_SERVICE"), name) == 0,
		    "%s's hook after stop was told '%s'", name, e.rest);
		expect_state(c, name, "stopped");
	}
	ck_assert_msg(!h_alive(a) && !h_alive(b), "a or b still runs");
	ck_assert_msg(h_event_count(h_path("a"), "TERM") == 1 &&
	    h_event_count(h_path("c"), "TERM") == 0, "stop a b: a should get "
	    "one TERM and c none; %s", h_ctx(c));
	/* Stopped means stopped: no restart policy brings them back. */
	h_sleep_ms(300);
	ck_assert_msg(h_event_count(h_path("a"), "start") == 1 &&
	    h_event_count(h_path("b"), "start") == 1 &&
	    strcmp(cu_file_state(h_path("status.json"), "a"), "stopped") == 0,
	    "a stopped service started again without 'start'; %s", h_ctx(c));

	r = cu_ctl(sock, "start", "a", "b", NULL);
	ck_assert_msg(r.code == 0, "start a b: %s", cu_ctx(&r));
	a = cu_started(c, "a", 1);
	b = cu_started(c, "b", 1);
	expect_state(c, "a", "running");
	expect_state(c, "b", "running");

	r = cu_ctl(sock, "restart", "b", "c", NULL);
	ck_assert_msg(r.code == 0, "restart b c: %s", cu_ctx(&r));
	ck_assert_msg(cu_started(c, "b", 2) != b && cu_started(c, "c", 1) != cc,
	    "restart b c: new processes expected");
	ck_assert_msg(h_wait_events(hooks, "b", 2, H_WAIT_MS) &&
	    h_wait_events(hooks, "c", 1, H_WAIT_MS), "restart did not run the "
	    "cleanup hooks; %s", h_ctx(c));
	ck_assert_msg(strcmp(cu_var(h_event(hooks, "c", 0).rest, "CORRAL_REASON"),
	    "stop") == 0, "c's hook after restart was told '%s'",
	    h_event(hooks, "c", 0).rest);
	ck_assert_msg(h_alive(a) && h_event_count(h_path("a"), "start") == 2,
	    "restart b c touched a; %s", h_ctx(c));
	expect_state(c, "c", "running");
	cc = cu_started(c, "c", 1);

	/* signal: to the service's group, by name or number. */
	r = cu_ctl(sock, "signal", "a", "USR1", NULL);
	ck_assert_msg(r.code == 0 && h_wait_events(h_path("a"), "USR1", 1,
	    H_WAIT_MS), "signal a USR1: %s; %s", cu_ctx(&r), h_ctx(c));
	r = cu_ctl(sock, "signal", "a", "SIGUSR1", NULL);
	ck_assert_msg(r.code == 0 && h_wait_events(h_path("a"), "USR1", 2,
	    H_WAIT_MS), "signal a SIGUSR1: %s; %s", cu_ctx(&r), h_ctx(c));
	ck_assert_msg(h_alive(a), "a died of an ignored USR1");
	/* corral did not send it to stop c: its restart policy applies. */
	r = cu_ctl(sock, "signal", "c", h_fmt("%d", SIGUSR2), NULL);
	ck_assert_msg(r.code == 0, "signal c %d: %s", SIGUSR2, cu_ctx(&r));
	ck_assert_msg(cu_started(c, "c", 2) != cc, "c was not restarted after a "
	    "relayed signal killed it");
	e = h_event(hooks, "c", 1);
	ck_assert_msg(strcmp(cu_var(e.rest, "CORRAL_REASON"), "exit") == 0 &&
	    strcmp(cu_var(e.rest, "CORRAL_EXIT_SIGNAL"), "USR2") == 0,
	    "c's hook after USR2 was told '%s'", e.rest);

	r = cu_ctl(sock, "signal", "nosuch", "TERM", NULL);
	ck_assert_msg(r.code == 1 && strstr(r.err, "nosuch"),
	    "signal nosuch TERM: expected exit 1 naming it; %s", cu_ctx(&r));
	r = cu_ctl(sock, "signal", "a", "NOTASIGNAL", NULL);
	ck_assert_msg(r.code == 1 && h_alive(a), "signal a NOTASIGNAL: "
	    "expected exit 1; %s", cu_ctx(&r));
	r = cu_ctl(sock, "start", NULL);
	ck_assert_msg(r.code == 2, "start without a name is a usage error; %s",
	    cu_ctx(&r));

	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

START_TEST(control_start_clears_failed_count)
{
	struct h_proc *c = h_corral(SOCK_CONF
	    "[service:flaky]\n"
	    "command = @SVC@/stamp @T@/flaky start sh -c 'exit 1'\n"
	    "start_retries = 3\n"
	    "restart_delay = 20ms\n"
	    "restart_delay_max = 20ms\n");
	const char *sock = h_path("ctl.sock");
	struct cu_run r;

	expect_state(c, "flaky", "failed");
	ck_assert_int_eq(h_event_count(h_path("flaky"), "start"), 3);
	r = cu_ctl(sock, "check", NULL);
	ck_assert_msg(r.code == 1 && strstr(r.out, "flaky: failed"),
	    "check with a failed service: expected exit 1 and 'flaky: failed';"
	    " %s", cu_ctx(&r));
	r = cu_ctl(sock, "start", "flaky", NULL);
	ck_assert_msg(r.code == 0, "start flaky: %s", cu_ctx(&r));
	/* A fresh count: three more tries, not one. */
	ck_assert_msg(h_wait_events(h_path("flaky"), "start", 6, H_WAIT_MS),
	    "after start, %d starts in all; expected 3 more failed starts "
	    "before it gives up again; %s",
	    h_event_count(h_path("flaky"), "start"), h_ctx(c));
	expect_state(c, "flaky", "failed");
	h_sleep_ms(200);
	ck_assert_msg(h_event_count(h_path("flaky"), "start") == 6,
	    "%d starts, expected 6", h_event_count(h_path("flaky"), "start"));
	h_signal(c, SIGTERM);
	/* Failed when the shutdown began: not clean. */
	h_expect_exit(c, 3, H_WAIT_MS);
}
END_TEST

/* corralctl run through setpriv(1) with the given credentials. */
static struct cu_run
ctl_as(const char *creds, const char *sock, const char *verb, const char *arg)
{
	const char *argv[16] = { "setpriv" };
	int n = 1;
	char *save = NULL, *c = h_fmt("%s", creds);

	for (char *w = strtok_r(c, " ", &save); w; w = strtok_r(NULL, " ", &save))
		argv[n++] = w;
	argv[n++] = cu_ctl_path();
	argv[n++] = "-s";
	argv[n++] = sock;
	argv[n++] = verb;
	argv[n++] = arg;
	argv[n] = NULL;
	return cu_ctl_opts(NULL, argv);
}

/*
 * One request on the socket from a child that dropped to uid:gid (no
 * supplementary groups) after fork: the reply, or "(ERROR)" text.
 */
static const char *
raw_as(uid_t uid, gid_t gid, const char *sock, const char *req)
{
	char buf[4096];
	size_t got = 0;
	int p[2], status;
	pid_t pid;

	ck_assert_msg(pipe2(p, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	pid = fork();
	ck_assert_msg(pid != -1, "fork: %s", strerror(errno));
	if (pid == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd;
		ssize_t r;

		(void)close(p[0]);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
		if (setgroups(0, NULL) == -1 || setgid(gid) == -1 ||
		    setuid(uid) == -1)
			_exit(dprintf(p[1], "(ERROR setuid: %s)",
			    strerror(errno)) > 0 ? 1 : 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd == -1 || connect(fd, (struct sockaddr *)&sa,
		    sizeof(sa)) == -1)
			_exit(dprintf(p[1], "(ERROR connect: %s)",
			    strerror(errno)) > 0 ? 1 : 1);
		/* A refused request may meet a closed socket: ignore that. */
		(void)!send(fd, req, strlen(req), MSG_NOSIGNAL);
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			if (write(p[1], buf, (size_t)r) != r)
				_exit(1);
		if (r == -1)
			(void)!dprintf(p[1], "(ERROR read: %s)", strerror(errno));
		_exit(0);
	}
	(void)close(p[1]);
	for (;;) {
		struct pollfd pf = { p[0], POLLIN, 0 };
		ssize_t r;

		ck_assert_msg(poll(&pf, 1, H_WAIT_MS) == 1, "no reply within %d "
		    "ms", H_WAIT_MS);
		r = read(p[0], buf + got, sizeof(buf) - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	(void)close(p[0]);
	ck_assert_msg(h_wait_gone(pid, H_WAIT_MS) && waitpid(pid, &status, 0) ==
	    pid, "the client as uid %d did not end", (int)uid);
	return h_fmt("%s", buf);
}

static bool
can_setpriv(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP %s: needs root to act as another user\n",
		    tcase_name());
		return false;
	}
	if (access("/usr/bin/setpriv", X_OK) == -1 &&
	    access("/bin/setpriv", X_OK) == -1) {
		fprintf(stderr, "SKIP %s: no setpriv(1)\n", tcase_name());
		return false;
	}
	return true;
}

START_TEST(control_peer_credentials)
{
	struct passwd *nobody = getpwnam("nobody");
	struct h_proc *c;
	const char *sock, *as_nobody;
	struct cu_run stop, status;
	struct stat st;
	pid_t a;

	if (!can_setpriv())
		return;
	ck_assert_msg(nobody != NULL, "needs user nobody");
	as_nobody = h_fmt("--reuid=%d --regid=%d --clear-groups",
	    (int)nobody->pw_uid, (int)nobody->pw_gid);
	c = h_corral(SOCK_CONF
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a TERM=die\n");
	sock = h_path("ctl.sock");
	a = cu_started(c, "a", 0);
	expect_state(c, "a", "running");
	ck_assert_msg(stat(sock, &st) == 0 && (st.st_mode & 07777) == 0600,
	    "without control_group the socket should be mode 0600, is %04o",
	    st.st_mode & 07777);
	/*
	 * The file mode is the first gate; opening it lets another user
	 * reach the second, corral's own check of SO_PEERCRED.
	 */
	ck_assert_msg(chmod(sock, 0666) == 0, "chmod: %s", strerror(errno));
	/* On the wire: the first line of the reply is 'denied'. */
	{
		const char *reply = raw_as(nobody->pw_uid, nobody->pw_gid, sock,
		    "stop a\n");

		ck_assert_msg(strncmp(reply, "denied\n", 7) == 0,
		    "'stop a' from nobody on the socket: expected the reply "
		    "'denied', got '%s'", reply);
	}
	stop = ctl_as(as_nobody, sock, "stop", "a");
	status = ctl_as(as_nobody, sock, "status", "a");
	/* Meanwhile root is served as ever. */
	{
		const char *why;
		char *reply = cu_request(sock, "status\n", 7, H_WAIT_MS, &why);

		ck_assert_msg(reply != NULL && strncmp(reply, "ok\n", 3) == 0,
		    "root is always allowed: %s", reply ? reply : why);
	}
	h_sleep_ms(100);
	ck_assert_msg(h_alive(a) && h_event_count(h_path("a"), "TERM") == 0 &&
	    strcmp(cu_file_state(h_path("status.json"), "a"), "running") == 0,
	    "a denied request changed something; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	/* corralctl(1): exit 4, permission denied. */
	ck_assert_msg(stop.code == 4 && strstr(stop.err, "denied"),
	    "stop a as nobody: expected exit 4 and 'denied'; %s",
	    cu_ctx(&stop));
	ck_assert_msg(status.code == 4, "status as nobody: expected exit 4; %s",
	    cu_ctx(&status));
}
END_TEST

START_TEST(control_group_allows_members)
{
	struct passwd *nobody = getpwnam("nobody");
	struct group *daemon_grp = getgrnam("daemon");
	struct h_proc *c;
	const char *sock2;
	struct cu_run r;
	struct stat st;

	if (!can_setpriv())
		return;
	ck_assert_msg(nobody != NULL && daemon_grp != NULL,
	    "needs user nobody and group daemon");
	/* With control_group, a member of that group is allowed. */
	c = h_corral(h_fmt(
	    "[corral]\n"
	    "control_socket = @T@/ctl2.sock\n"
	    "control_group = %s\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:b]\n"
	    "command = @SVC@/catch @T@/b TERM=die\n", daemon_grp->gr_name));
	sock2 = h_path("ctl2.sock");
	(void)cu_started(c, "b", 0);
	/* Its exec seen, or status may still say starting (valgrind). */
	expect_state(c, "b", "running");
	ck_assert_msg(stat(sock2, &st) == 0 && (st.st_mode & 07777) == 0660 &&
	    st.st_gid == daemon_grp->gr_gid, "with control_group the socket "
	    "should be mode 0660, group %d; it is %04o, group %d",
	    (int)daemon_grp->gr_gid, st.st_mode & 07777, (int)st.st_gid);
	/* By a supplementary group (SO_PEERGROUPS)... */
	r = ctl_as(h_fmt("--reuid=%d --regid=%d --groups=%d",
	    (int)nobody->pw_uid, (int)nobody->pw_gid, (int)daemon_grp->gr_gid),
	    sock2, "status", "b");
	ck_assert_msg(r.code == 0 && strstr(r.out, "running"),
	    "status as nobody with supplementary group %s: expected exit 0; %s",
	    daemon_grp->gr_name, cu_ctx(&r));
	/* ...and by the primary one (SO_PEERCRED). */
	r = ctl_as(h_fmt("--reuid=%d --regid=%d --clear-groups",
	    (int)nobody->pw_uid, (int)daemon_grp->gr_gid), sock2, "stop", "b");
	ck_assert_msg(r.code == 0, "stop b as nobody with primary group %s: "
	    "expected exit 0; %s", daemon_grp->gr_name, cu_ctx(&r));
	ck_assert_msg(h_wait_events(h_path("b"), "TERM", 1, H_WAIT_MS),
	    "b was not stopped; %s", h_ctx(c));
	/* Not in the group: the file mode keeps it out, or corral does. */
	ck_assert_msg(chmod(sock2, 0666) == 0, "chmod: %s", strerror(errno));
	{
		/* corralctl's exit code is control_peer_credentials' matter. */
		const char *reply = raw_as(nobody->pw_uid, nobody->pw_gid, sock2,
		    "start b\n");

		ck_assert_msg(strncmp(reply, "denied\n", 7) == 0,
		    "'start b' from nobody outside control_group: expected the "
		    "reply 'denied', got '%s'", reply);
	}
	ck_assert_msg(h_event_count(h_path("b"), "start") == 1,
	    "a denied start started b");
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/* Waits until corral closes fd; how long it took, or -1. */
static int64_t
wait_closed(int fd, int timeout_ms, char *reply, size_t len)
{
	int64_t t0 = h_now_ns(), deadline = t0 + (int64_t)timeout_ms * 1000000;
	size_t got = 0;

	reply[0] = '\0';
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int64_t left = deadline - h_now_ns();
		ssize_t r;

		if (left <= 0)
			return -1;
		if (poll(&p, 1, (int)(left / 1000000) + 1) <= 0)
			continue;
		r = recv(fd, reply + got, len - got - 1, MSG_DONTWAIT);
		if (r > 0) {
			got += (size_t)r;
			reply[got] = '\0';
			if (got + 1 < len)
				continue;
		}
		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		return h_now_ns() - t0;
	}
}

/* A status request on a fresh connection; its latency in ns. */
static int64_t
timed_status(const char *sock)
{
	int64_t t0 = h_now_ns();
	const char *why;
	char *reply = cu_request(sock, "status\n", 7, 2000, &why);

	ck_assert_msg(reply != NULL && strncmp(reply, "ok\n", 3) == 0,
	    "status while hostile clients are connected: %s",
	    reply ? reply : why);
	return h_now_ns() - t0;
}

START_TEST(control_hostile_clients)
{
	struct h_proc *c = h_corral(SOCK_CONF
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a TERM=die\n");
	const char *sock = h_path("ctl.sock");
	int idle, big, garbage, nul;
	char *junk, reply[4096];
	size_t big_sent = 0;
	uint32_t x = 2463534242u;
	int64_t t0, worst = 0, took;

	(void)cu_started(c, "a", 0);
	expect_state(c, "a", "running");
	idle = cu_connect(sock);
	t0 = h_now_ns();

	/* 1 MiB without a newline, sent as fast as corral takes it. */
	big = cu_connect(sock);
	junk = malloc(1 << 20);
	ck_assert_msg(junk != NULL, "out of memory");
	memset(junk, 'x', 1 << 20);
	for (int64_t until = h_now_ns() + 2000000000LL; big_sent < 1 << 20 &&
	    h_now_ns() < until;) {
		ssize_t r = send(big, junk + big_sent, (1 << 20) - big_sent,
		    MSG_NOSIGNAL | MSG_DONTWAIT);

		if (r > 0)
			big_sent += (size_t)r;
		else if (r == -1 && errno != EAGAIN && errno != EINTR)
			break;		/* corral closed it: that is the point */
		else {
			struct pollfd p = { big, POLLOUT, 0 };

			(void)poll(&p, 1, 10);
		}
		took = timed_status(sock);
		worst = took > worst ? took : worst;
	}
	ck_assert_msg(big_sent < 1 << 20, "corral accepted the whole 1 MiB "
	    "request; requests are at most 4096 bytes");

	/* Binary garbage: random bytes (NULs included), then a newline. */
	garbage = cu_connect(sock);
	for (int i = 0; i < 3000; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		junk[i] = (char)(x & 0xff);
		if (junk[i] == '\n')
			junk[i] = '\0';
	}
	junk[1500] = '\0';
	junk[3000] = '\n';
	ck_assert_msg(send(garbage, junk, 3001, MSG_NOSIGNAL) == 3001,
	    "send garbage: %s", strerror(errno));
	/* Binary garbage without a newline, up to the bound. */
	nul = cu_connect(sock);
	ck_assert_msg(send(nul, junk + 1, 4096, MSG_NOSIGNAL) == 4096,
	    "send: %s", strerror(errno));
	free(junk);

	for (int i = 0; i < 20; i++) {
		took = timed_status(sock);
		worst = took > worst ? took : worst;
	}
	ck_assert_msg(worst < 100000000, "a status request took %.1f ms while "
	    "hostile clients were connected; expected < 100 ms", H_MS(worst));

	ck_assert_msg(wait_closed(big, 1000, reply, sizeof(reply)) >= 0,
	    "corral did not close the client that sent 1 MiB without a "
	    "newline");
	ck_assert_msg(wait_closed(garbage, 1000, reply, sizeof(reply)) >= 0 &&
	    strncmp(reply, "error\n", 6) == 0, "binary garbage: expected an "
	    "'error' reply and the end of the connection, got '%s'", reply);
	/* Its reply may be lost: corral closes with a byte still unread. */
	ck_assert_msg(wait_closed(nul, 1000, reply, sizeof(reply)) >= 0 &&
	    (reply[0] == '\0' || strncmp(reply, "error\n", 6) == 0),
	    "4096 bytes of garbage without a newline: expected an 'error' "
	    "reply or none, and the end of the connection; got '%s'", reply);
	/* The idle one is closed after the documented 5 s. */
	took = wait_closed(idle, 7000, reply, sizeof(reply));
	ck_assert_msg(took >= 0, "corral did not close a client that sent "
	    "nothing within 7 s");
	took = h_now_ns() - t0;
	ck_assert_msg(took >= 4500000000LL && took <= 6500000000LL,
	    "the idle client was closed after %.0f ms; corralctl(1) says 5 s",
	    H_MS(took));
	ck_assert_msg(reply[0] == '\0' || strncmp(reply, "error\n", 6) == 0,
	    "the idle client got '%s'", reply);
	(void)close(idle);
	(void)close(big);
	(void)close(garbage);
	(void)close(nul);

	ck_assert_msg(timed_status(sock) < 100000000, "status after the "
	    "hostile clients took too long");
	ck_assert_msg(h_alive(c->corral), "corral died; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/* How many lines of list (from h_fd_targets()) are the len bytes "\nX\n". */
static int
lines_of(const char *list, const char *line, size_t len)
{
	int n = 0;

	for (const char *p = list; (p = memmem(p, strlen(p), line, len)) !=
	    NULL; p += len - 1)
		n++;
	return n;
}

/*
 * Whether pid holds some target more often than before; added gets those
 * targets, one per line, as many as fit.
 */
static bool
fds_new(pid_t pid, const char *before, char *added, size_t size)
{
	char *now = h_fd_targets(pid);
	size_t used = 0;

	added[0] = '\0';
	for (char *line = now; (line = strchr(line, '\n')) != NULL &&
	    line[1] != '\0'; line = strchr(line + 1, '\n')) {
		size_t len = (size_t)(strchr(line + 1, '\n') - line) + 1;

		if (lines_of(now, line, len) > lines_of(before, line, len) &&
		    memmem(added, used, line, len - 1) == NULL &&
		    used + len < size) {
			memcpy(added + used, line, len - 1);
			used += len - 1;
			added[used] = '\0';
		}
	}
	return added[0] != '\0';
}

struct fds_arg {
	pid_t		 pid;
	const char	*before;
};

static bool
fds_back(const void *arg)
{
	const struct fds_arg *a = arg;
	char added[512];

	return !fds_new(a->pid, a->before, added, sizeof(added));
}

/* Fails the test if pid holds a target more often than in before. */
static void
expect_no_new_fds(pid_t pid, const char *before, const char *after_what)
{
	char added[512];

	if (h_poll_until(fds_back, &(struct fds_arg){ pid, before },
	    H_WAIT_MS))
		return;
	(void)fds_new(pid, before, added, sizeof(added));
	ck_abort_msg("corral holds more descriptors of these %s than "
	    "before:%s (before:%s)", after_what, added, before);
}

static void
requests(const char *sock, const char *req, int n)
{
	for (int i = 0; i < n; i++) {
		const char *why;
		char *reply = cu_request(sock, req, strlen(req), H_WAIT_MS, &why);

		ck_assert_msg(reply != NULL && (strncmp(reply, "ok\n", 3) == 0 ||
		    strncmp(reply, "error\n", 6) == 0),
		    "request %d '%s': %s", i, req, reply ? reply : why);
	}
}

START_TEST(control_many_requests_leak_nothing)
{
	struct h_proc *c = h_corral(SOCK_CONF
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a TERM=die\n"
	    "\n"
	    "[service:b]\n"
	    "command = @SVC@/catch @T@/b TERM=die\n");
	const char *sock = h_path("ctl.sock");
	long long rss0, rss1;
	const char *fds0;
	int n0, n1;

	(void)cu_started(c, "a", 0);
	(void)cu_started(c, "b", 0);
	expect_state(c, "b", "running");
	/* Warm-up: malloc's arenas reach their working size first. */
	requests(sock, "status\n", 200);
	requests(sock, "status --json\n", 50);
	requests(sock, "status nosuch\n", 50);
	fds0 = h_fd_targets(c->corral);
	n0 = h_count_fds(c->corral);
	rss0 = h_status_num(c->corral, "VmRSS");
	requests(sock, "status\n", 8000);
	requests(sock, "status --json\n", 1000);
	requests(sock, "status nosuch\n", 1000);
	rss1 = h_status_num(c->corral, "VmRSS");
	expect_no_new_fds(c->corral, fds0, "after 10,000 status requests");
	n1 = h_count_fds(c->corral);
	/*
	 * RSS moves by whole pages as malloc's top chunk and stdio buffers
	 * settle, whatever is freed: up to 8 pages (32 KiB) is that noise.
	 * A leak of even 8 bytes per request would be 80 KiB here.  Under
	 * ASan (freed memory waits in a quarantine) or valgrind, RSS says
	 * nothing about leaks; those tools report leaks themselves.
	 */
	if (cu_asan(c->corral) || cu_valgrind(c->corral))
		fprintf(stderr, "SKIP %s (part): corral runs under ASan or "
		    "valgrind; RSS not compared\n", tcase_name());
	else
		ck_assert_msg(rss1 - rss0 <= 32, "corral's RSS grew from %lld "
		    "KiB to %lld KiB over 10,000 status requests", rss0, rss1);
	fprintf(stderr, "%s: fds %d -> %d, VmRSS %lld -> %lld KiB\n",
	    tcase_name(), n0, n1, rss0, rss1);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/*
 * The flood of SPEC §12: connections that send nothing and stay open.
 * Before the eviction policy, corralctl status took 14.5 s behind 1000 of
 * them (three rounds of the 5 s idle time); IDLE_STATUS_MS is a bound that
 * tells the two apart, not the 100 ms goal (make bench, W-idle).
 */
#define IDLE_N		1000
#define IDLE_STATUS_MS	3000
/* corral(8): the number of client slots. */
#define CLIENT_SLOTS	64

/* At least n descriptors for the test's own connections. */
static void
raise_nofile(rlim_t n)
{
	struct rlimit rl;

	ck_assert_msg(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit: %s",
	    strerror(errno));
	if (rl.rlim_cur >= n)
		return;
	rl.rlim_cur = n;
	if (rl.rlim_max < n)
		rl.rlim_max = n;
	ck_assert_msg(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit "
	    "RLIMIT_NOFILE %llu: %s", (unsigned long long)n, strerror(errno));
}

/*
 * Opens n connections that will never send anything; how many connected
 * (their fds in fds).  Non-blocking, as a flood would be: a connect that
 * finds the backlog full is tried again until the bound, then given up.
 */
static int
idle_clients(const char *sock, int *fds, int n, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = h_now_ns() + (int64_t)timeout_ms * 1000000;
	int made = 0;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0), r;

		ck_assert_msg(fd >= 0, "socket: %s", strerror(errno));
		while ((r = connect(fd, (struct sockaddr *)&sa,
		    sizeof(sa))) == -1 && errno == EAGAIN &&
		    h_now_ns() < deadline)
			h_sleep_ms(1);
		ck_assert_msg(r == 0 || errno == EAGAIN, "connect %s: %s", sock,
		    strerror(errno));
		if (r == 0)
			fds[made++] = fd;
		else
			(void)close(fd);
	}
	return made;
}

static void
close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		(void)close(fds[i]);
}

START_TEST(control_idle_clients_do_not_starve)
{
	struct h_proc *c = h_corral(SOCK_CONF
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a TERM=die\n");
	const char *sock = h_path("ctl.sock"), *out;
	int idle[IDLE_N], made;
	struct h_proc *ctl;
	int64_t t0;

	raise_nofile(IDLE_N + 256);
	(void)cu_started(c, "a", 0);
	expect_state(c, "a", "running");
	made = idle_clients(sock, idle, IDLE_N, 2000);
	t0 = h_now_ns();
	ctl = h_spawn("ctl-status", NULL, (const char *[]){ cu_ctl_path(),
	    "-s", sock, "status", NULL });
	ck_assert_msg(h_wait_exit(ctl, IDLE_STATUS_MS), "corralctl status did "
	    "not answer within %d ms with %d idle connections open; %s",
	    IDLE_STATUS_MS, made, h_ctx(ctl));
	out = h_read(ctl->out);
	ck_assert_msg(WIFEXITED(ctl->status) && WEXITSTATUS(ctl->status) == 0 &&
	    strcmp(field(table_row(out, "a"), 1), "running") == 0,
	    "corralctl status with %d idle connections: expected exit 0 and a "
	    "running; %s", made, h_ctx(ctl));
	fprintf(stderr, "%s: status with %d idle connections open: %.1f ms\n",
	    tcase_name(), made, H_MS(h_now_ns() - t0));
	ck_assert_msg(made == IDLE_N, "only %d of %d idle connections could "
	    "connect within 2 s: corral stopped accepting", made, IDLE_N);
	close_all(idle, made);
	ck_assert_msg(h_alive(c->corral), "corral died; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/*
 * Evicted clients leave nothing behind: each sees the end of its
 * connection, corral's descriptors come back to where they were, and a
 * client in the middle of its request is not the one evicted.
 */
START_TEST(control_evicted_clients_leave_nothing)
{
	struct h_proc *c = h_corral(SOCK_CONF
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a TERM=die\n");
	const char *sock = h_path("ctl.sock"), *why, *problem;
	int idle[IDLE_N], made, ended = 0, partial;
	const char *fds0;
	char *reply, buf[4096];

	raise_nofile(IDLE_N + 256);
	(void)cu_started(c, "a", 0);
	expect_state(c, "a", "running");
	fds0 = h_fd_targets(c->corral);
	partial = cu_connect(sock);
	ck_assert_msg(send(partial, "status --js", 11, MSG_NOSIGNAL) == 11,
	    "send: %s", strerror(errno));
	made = idle_clients(sock, idle, IDLE_N, 2000);
	ck_assert_msg(made == IDLE_N, "only %d of %d idle connections could "
	    "connect within 2 s: corral stopped accepting", made, IDLE_N);
	/* Accepted after every idle one: once answered, all were accepted. */
	reply = cu_request(sock, "status\n", 7, H_WAIT_MS, &why);
	ck_assert_msg(reply != NULL && strncmp(reply, "ok\n", 3) == 0,
	    "status behind %d idle connections: %s", IDLE_N,
	    reply ? reply : why);
	for (int i = 0; i < made; i++)
		if (recv(idle[i], buf, sizeof(buf), MSG_DONTWAIT) == 0)
			ended++;
	ck_assert_msg(ended >= IDLE_N - CLIENT_SLOTS, "corral has %d slots, "
	    "yet only %d of %d idle connections were ended to make room",
	    CLIENT_SLOTS, ended, IDLE_N);

	/* The rest of the request: the answer comes as if nothing happened. */
	ck_assert_msg(send(partial, "on\n", 3, MSG_NOSIGNAL) == 3,
	    "the client in mid-request was evicted: send: %s",
	    strerror(errno));
	ck_assert_msg(wait_closed(partial, H_WAIT_MS, buf, sizeof(buf)) >= 0 &&
	    strncmp(buf, "ok\n", 3) == 0, "the client in mid-request got "
	    "'%s', expected 'ok' and the status", buf);
	problem = cu_status_problem(buf + 3);
	ck_assert_msg(problem == NULL, "status --json: %s in:\n%s", problem,
	    buf + 3);
	(void)close(partial);

	close_all(idle, made);
	expect_no_new_fds(c->corral, fds0, "after 1000 idle clients left");
	ck_assert_msg(h_alive(c->corral), "corral died; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/* utime + stime of pid, in ms. */
static long long
cpu_ms(pid_t pid)
{
	const char *stat = h_read(h_fmt("/proc/%d/stat", (int)pid)), *p;
	unsigned long long ut, st;

	ck_assert_msg(stat != NULL && (p = strrchr(stat, ')')) != NULL &&
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu "
	    "%llu", &ut, &st) == 2, "cannot read /proc/%d/stat", (int)pid);
	return (long long)((ut + st) * 1000 / (unsigned long long)
	    sysconf(_SC_CLK_TCK));
}

/*
 * Out of descriptors: corral first gives back those of its idle clients,
 * and with none to give back it pauses accepting, without spinning and
 * with one warning, until descriptors are back.
 */
START_TEST(control_accept_out_of_descriptors)
{
	struct h_proc *c;
	const char *sock, *why;
	struct rlimit low, saved;
	int idle[10], made, fds, waiter;
	const char *fds0;
	long long cpu0, cpu1;
	char *reply, buf[4096];

	if (getenv("VALGRIND_TARGET") != NULL) {
		fprintf(stderr, "SKIP %s: valgrind needs descriptors of its "
		    "own below the limit\n", tcase_name());
		return;
	}
	c = h_corral(SOCK_CONF
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a TERM=die\n");
	sock = h_path("ctl.sock");
	(void)cu_started(c, "a", 0);
	/* Running: its exec-status pipe is closed, and not in the count. */
	expect_state(c, "a", "running");
	requests(sock, "status\n", 1);
	fds = h_count_fds(c->corral);
	fds0 = h_fd_targets(c->corral);
	ck_assert_int_eq(prlimit(c->corral, RLIMIT_NOFILE, NULL, &saved), 0);
	low.rlim_cur = (rlim_t)fds + 3;
	low.rlim_max = saved.rlim_max;
	ck_assert_int_eq(prlimit(c->corral, RLIMIT_NOFILE, &low, NULL), 0);
	made = idle_clients(sock, idle, 10, 2000);
	ck_assert_msg(made == 10, "only %d of 10 idle connections connected "
	    "with 3 descriptors to spare", made);
	reply = cu_request(sock, "status\n", 7, H_WAIT_MS, &why);
	ck_assert_msg(reply != NULL && strncmp(reply, "ok\n", 3) == 0,
	    "status with 3 descriptors to spare, taken by idle clients: %s",
	    reply ? reply : why);
	ck_assert_msg(h_count_lines(c->err, "unable to accept") == 0,
	    "evicting an idle client was enough, yet corral warned; %s",
	    h_ctx(c));
	close_all(idle, made);
	expect_no_new_fds(c->corral, fds0, "after the idle clients left");

	/* None to spare and no client to evict. */
	low.rlim_cur = (rlim_t)fds;
	ck_assert_int_eq(prlimit(c->corral, RLIMIT_NOFILE, &low, NULL), 0);
	waiter = cu_connect(sock);
	ck_assert_msg(send(waiter, "status\n", 7, MSG_NOSIGNAL) == 7, "send: %s",
	    strerror(errno));
	ck_assert_msg(h_wait_text(c->err, "unable to accept", H_WAIT_MS),
	    "no warning that a client could not be accepted; %s", h_ctx(c));
	cpu0 = cpu_ms(c->corral);
	/* A window for retries, over which a spinning loop burns it all. */
	h_sleep_ms(1000);
	cpu1 = cpu_ms(c->corral);
	ck_assert_msg(cpu1 - cpu0 < 300, "corral used %lld ms of CPU in 1 s "
	    "while unable to accept a client: it spins", cpu1 - cpu0);
	ck_assert_msg(h_count_lines(c->err, "unable to accept") == 1,
	    "expected one warning, not one per attempt; %s", h_ctx(c));
	ck_assert_int_eq(prlimit(c->corral, RLIMIT_NOFILE, &saved, NULL), 0);
	ck_assert_msg(wait_closed(waiter, H_WAIT_MS, buf, sizeof(buf)) >= 0 &&
	    strncmp(buf, "ok\n", 3) == 0, "the waiting client got '%s' once "
	    "descriptors were back, expected 'ok'", buf);
	(void)close(waiter);
	ck_assert_msg(h_wait_text(c->err, "accepting clients again",
	    H_WAIT_MS), "no word that accepting works again; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

START_TEST(control_status_file_always_whole)
{
	struct h_proc *c = h_corral(
	    "[corral]\n"
	    "status_file = @T@/status.json\n"
	    "strict = no\n"
	    "\n"
	    "[service:flap]\n"
	    "command = @SVC@/stamp @T@/flap start sh -c 'exit 0'\n"
	    "restart = always\n"
	    "restart_delay = 5ms\n"
	    "restart_delay_max = 5ms\n"
	    "start_retries = 1000000\n"
	    "cleanup = true\n"
	    "\n"
	    "[service:crash]\n"
	    "command = @SVC@/stamp @T@/crash start sh -c 'exit 3'\n"
	    "restart_delay = 0\n"
	    "start_retries = 1000000\n"
	    "\n"
	    "[service:steady]\n"
	    "command = @SVC@/catch @T@/steady TERM=die\n");
	const char *path = h_path("status.json");
	char *prev = NULL;
	int changes = 0, starts0;
	size_t len;

	(void)cu_started(c, "steady", 0);
	ck_assert_msg(h_wait_events(h_path("flap"), "start", 3, H_WAIT_MS),
	    "flap does not flap; %s", h_ctx(c));
	starts0 = h_event_count(h_path("flap"), "start");
	for (int i = 0; i < 1000; i++) {
		char *text = cu_slurp(path, &len);
		const char *problem;

		ck_assert_msg(text != NULL, "read %d: %s: %s", i, path,
		    strerror(errno));
		problem = cu_status_problem(text);
		ck_assert_msg(problem == NULL, "read %d of the status file: %s "
		    "in:\n%s", i, problem, text);
		ck_assert_msg(strstr(text, "\"name\":\"flap\"") &&
		    strstr(text, "\"name\":\"crash\"") &&
		    strstr(text, "\"name\":\"steady\""), "read %d: a service is "
		    "missing:\n%s", i, text);
		if (prev == NULL || strcmp(prev, text) != 0)
			changes++;
		free(prev);
		prev = text;
		/* Pacing, so that the reads spread over many state changes. */
		h_sleep_ms(1);
	}
	free(prev);
	ck_assert_msg(changes >= 20 && h_event_count(h_path("flap"), "start") -
	    starts0 >= 10, "the reads saw only %d versions of the file over %d "
	    "restarts: the test did not exercise anything", changes,
	    h_event_count(h_path("flap"), "start") - starts0);
	fprintf(stderr, "%s: 1000 reads saw %d versions over %d restarts\n",
	    tcase_name(), changes, h_event_count(h_path("flap"), "start") -
	    starts0);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	/* Written at exit too: everything stopped. */
	ck_assert_msg(cu_status_problem(h_read(path)) == NULL &&
	    strcmp(cu_file_state(path, "steady"), "stopped") == 0 &&
	    strcmp(cu_file_state(path, "flap"), "stopped") == 0,
	    "the status file at exit should show every service stopped:\n%s",
	    h_read(path));
	ck_assert_msg(access(h_fmt("%s.tmp", path), F_OK) == -1,
	    "%s.tmp left behind", path);
}
END_TEST

START_TEST(control_check_probe)
{
	struct h_proc *c = h_corral(SOCK_CONF
	    "[service:up]\n"
	    "command = @SVC@/catch @T@/up TERM=die\n"
	    "\n"
	    "[service:oneshot]\n"
	    "command = @SVC@/stamp @T@/oneshot start sh -c 'exit 3'\n"
	    "success_exit_codes = 0 3\n"
	    "\n"
	    "[service:manual]\n"
	    "command = @SVC@/catch @T@/manual TERM=die\n"
	    "autostart = no\n");
	struct h_proc *c2;
	const char *sock = h_path("ctl.sock"), *sock2;
	struct cu_run r;

	(void)cu_started(c, "up", 0);
	expect_state(c, "up", "running");
	expect_state(c, "oneshot", "stopped");
	r = cu_ctl(sock, "check", NULL);
	ck_assert_msg(r.code == 0, "check: every autostart service runs or "
	    "finished well: expected exit 0; %s", cu_ctx(&r));

	c2 = h_corral(
	    "[corral]\n"
	    "control_socket = @T@/ctl2.sock\n"
	    "status_file = @T@/status2.json\n"
	    "\n"
	    "[service:up]\n"
	    "command = @SVC@/catch @T@/up2 TERM=die\n"
	    "\n"
	    "[service:waiting]\n"
	    "command = sh -c 'exit 1'\n"
	    "restart_delay = 30s\n"
	    "\n"
	    "[service:gaveup]\n"
	    "command = sh -c 'exit 1'\n"
	    "start_retries = 1\n"
	    "\n"
	    "[service:oneshot]\n"
	    "command = sh -c 'exit 4'\n"
	    "restart = never\n");
	sock2 = h_path("ctl2.sock");
	ck_assert_msg(cu_wait_state(h_path("status2.json"), "up", "running",
	    H_WAIT_MS) && cu_wait_state(h_path("status2.json"), "waiting",
	    "backoff", H_WAIT_MS) && cu_wait_state(h_path("status2.json"), "gaveup",
	    "failed", H_WAIT_MS) && cu_wait_state(h_path("status2.json"),
	    "oneshot", "stopped", H_WAIT_MS), "expected up running, waiting in "
	    "backoff, gaveup failed, oneshot stopped; %s", h_ctx(c2));
	r = cu_ctl(sock2, "check", NULL);
	ck_assert_msg(r.code == 1 && strstr(r.out, "waiting: backoff") &&
	    strstr(r.out, "gaveup: failed") && strstr(r.out, "oneshot") &&
	    !strstr(h_fmt("\n%s", r.out), "\nup:"), "check: expected exit 1 listing "
	    "'waiting: backoff', 'gaveup: failed' and oneshot (exit 4 is not "
	    "expected), not up; %s", cu_ctx(&r));

	/* The first one is still fine; during a shutdown it is not. */
	r = cu_ctl(sock, "check", NULL);
	ck_assert_msg(r.code == 0, "check: %s", cu_ctx(&r));
	h_signal(c, SIGTERM);
	h_signal(c2, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	h_expect_exit(c2, 3, H_WAIT_MS);
}
END_TEST

START_TEST(control_default_socket_unavailable)
{
	struct h_spawn_opts o = { .user = "nobody" };
	const char *conf;
	struct h_proc *c;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP %s: needs root to run corral as nobody\n",
		    tcase_name());
		return;
	}
	/* Where nobody's service may write its records. */
	(void)h_write("a", "");
	ck_assert_msg(chmod(h_path("a"), 0666) == 0, "chmod: %s",
	    strerror(errno));
	/* Not through h_corral(): the file must not name a socket. */
	conf = h_write("nobody.conf",
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a TERM=die\n");
	/* The test is a process of its own: this changes only its children. */
	(void)unsetenv("CORRAL_SOCKET");
	(void)unsetenv("XDG_RUNTIME_DIR");
	c = h_spawn("corral", &o, (const char *[]){ getenv("CORRAL_BIN"), "-c",
	    conf, NULL });
	ck_assert_msg(h_wait_events(h_path("a"), "start", 1, H_WAIT_MS),
	    "corral as nobody without XDG_RUNTIME_DIR did not run its service;"
	    " %s", h_ctx(c));
	ck_assert_msg(h_count_lines(c->err, "socket") == 1,
	    "expected exactly one warning about the control socket; %s",
	    h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	ck_assert_msg(h_count_lines(c->err, "socket") == 1,
	    "the control socket warning should come once; %s", h_ctx(c));

	/* An XDG_RUNTIME_DIR that nobody cannot write to: the same. */
	ck_assert_msg(mkdir(h_path("xdg"), 0755) == 0, "mkdir: %s",
	    strerror(errno));
	(void)h_write("a2", "");
	ck_assert_msg(chmod(h_path("a2"), 0666) == 0, "chmod: %s",
	    strerror(errno));
	(void)setenv("XDG_RUNTIME_DIR", h_path("xdg"), 1);
	c = h_spawn("corral-xdg", &o, (const char *[]){ getenv("CORRAL_BIN"),
	    "-c", h_write("nobody2.conf",
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a2 TERM=die\n"), NULL });
	ck_assert_msg(h_wait_events(h_path("a2"), "start", 1, H_WAIT_MS),
	    "corral as nobody with an unwritable XDG_RUNTIME_DIR did not run "
	    "its service; %s", h_ctx(c));
	ck_assert_msg(h_count_lines(c->err, h_path("xdg/corral.sock")) == 1,
	    "expected one warning naming %s; %s", h_path("xdg/corral.sock"),
	    h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	(void)unsetenv("XDG_RUNTIME_DIR");
	(void)setenv("CORRAL_SOCKET", "none", 1);

	/* A socket the file names, in a directory that does not exist. */
	c = h_corral(
	    "[corral]\n"
	    "control_socket = @T@/missing/ctl.sock\n"
	    "\n"
	    "[service:b]\n"
	    "command = @SVC@/stamp @T@/b start sleep 100\n");
	h_expect_exit(c, 1, H_WAIT_MS);
	ck_assert_msg(h_count_lines(c->err, h_path("missing/ctl.sock")) >= 1,
	    "the start-up error should name %s; %s", h_path("missing/ctl.sock"),
	    h_ctx(c));
	ck_assert_msg(h_event_count(h_path("b"), "start") == 0,
	    "a service started although corral could not start; %s", h_ctx(c));

	/* ... and in a directory on a read-only filesystem. */
	ck_assert_int_eq(mkdir(h_path("ro"), 0755), 0);
	if (mount("tmpfs", h_path("ro"), "tmpfs", MS_RDONLY, "size=4k") == -1) {
		fprintf(stderr, "SKIP %s (part): mount: %s\n", tcase_name(),
		    strerror(errno));
		return;
	}
	c = h_corral(
	    "[corral]\n"
	    "control_socket = @T@/ro/ctl.sock\n"
	    "\n"
	    "[service:b]\n"
	    "command = @SVC@/stamp @T@/b start sleep 100\n");
	/* Unmounted before any assertion, which would end the test. */
	(void)h_wait_exit(c, H_WAIT_MS);
	ck_assert_int_eq(umount2(h_path("ro"), MNT_DETACH), 0);
	h_expect_exit(c, 1, 0);
	ck_assert_msg(h_count_lines(c->err, h_path("ro/ctl.sock")) >= 1 &&
	    h_count_lines(c->err, "Read-only file system") >= 1,
	    "the start-up error should name %s and say why; %s",
	    h_path("ro/ctl.sock"), h_ctx(c));
	ck_assert_msg(h_event_count(h_path("b"), "start") == 0,
	    "a service started although corral could not start; %s", h_ctx(c));
}
END_TEST

/*
 * SPEC §12: whatever is at the status file's PATH.tmp when corral writes
 * it (here a hard link to a root-owned file, as anyone who can write the
 * directory can leave one where fs.protected_hardlinks is 0) is replaced,
 * never written through.
 */
START_TEST(control_status_file_never_writes_through)
{
	const char *target = h_write("target", "root's own\n");
	const char *path = h_path("status.json");
	struct h_proc *c;
	struct stat st;

	ck_assert_msg(chmod(target, 0600) == 0 &&
	    link(target, h_path("status.json.tmp")) == 0, "link: %s",
	    strerror(errno));
	c = h_corral(
	    "[corral]\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a TERM=die\n");
	ck_assert_msg(cu_wait_state(path, "a", "running", H_WAIT_MS),
	    "a is '%s' in the status file; %s", cu_file_state(path, "a"),
	    h_ctx(c));
	ck_assert_msg(strcmp(h_read(target), "root's own\n") == 0,
	    "corral wrote the status through the link at %s.tmp into %s:\n%s",
	    path, target, h_tail(target));
	ck_assert_msg(stat(target, &st) == 0 && st.st_nlink == 1,
	    "%s has %d links: the planted one became the status file",
	    target, (int)st.st_nlink);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/* ---- paths a user can swap under corral (SPEC §12) ---- */

struct swap {
	struct passwd	*pw;
	const char	*log;		/* the swapper's record */
	struct h_proc	*swapper;
};

/* Starts swapper MODE PATH TARGET as nobody; false (skipped) without. */
static bool
start_swapper(struct swap *w, const char *mode, const char *path,
    const char *target)
{
	const struct h_spawn_opts as_nobody = { .user = "nobody" };

	if (geteuid() != 0 || (w->pw = getpwnam("nobody")) == NULL) {
		fprintf(stderr, "SKIP %s: needs root and a user nobody\n",
		    tcase_name());
		return false;
	}
	w->log = h_write("swap.log", "");
	ck_assert_msg(chown(w->log, w->pw->pw_uid, w->pw->pw_gid) == 0,
	    "chown %s: %s", w->log, strerror(errno));
	w->swapper = h_spawn("swapper", &as_nobody, (const char *const[]){
	    h_svc("swapper"), mode, w->log, path, target, NULL });
	ck_assert_msg(h_wait_events(w->log, "swapping", 1, H_WAIT_MS),
	    "the swapper did not start; %s", h_ctx(w->swapper));
	return true;
}

static void
stop_swapper(struct swap *w)
{
	h_signal(w->swapper, SIGKILL);
	ck_assert_msg(h_wait_exit(w->swapper, H_WAIT_MS), "the swapper did "
	    "not end; %s", h_ctx(w->swapper));
}

static bool
is_past_control_init(const void *arg)
{
	const struct h_proc *c = arg;
	const char *err = h_read(c->err);

	return err != NULL && (strstr(err, "corral: started with") != NULL ||
	    strstr(err, "unable to create control socket") != NULL);
}

/*
 * One start of corral on conf, up to the point where its control socket is
 * made or refused, then its end: 0 (stopped by SIGTERM) or 1 (refused).
 * Whether it started is returned.
 */
static bool
start_and_stop(const char *conf)
{
	struct h_proc *c = h_corral(conf);

	ck_assert_msg(h_wait_until(is_past_control_init, c, H_WAIT_MS),
	    "corral neither started nor refused its socket; %s", h_ctx(c));
	if (strstr(h_read(c->err), "corral: started with") == NULL) {
		h_expect_exit(c, 1, H_WAIT_MS);
		return false;
	}
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	return true;
}

#define SWAP_ROUNDS	200

/*
 * corral as root with control_group, its socket in a directory of nobody's
 * where nobody keeps renaming a symlink to root's 0600 file over the socket
 * the moment it appears (between bind() and what corral does next): root's
 * file keeps its owner, group and mode, over SWAP_ROUNDS starts.
 */
START_TEST(control_group_socket_symlink_race)
{
	struct swap w = { 0 };
	const char *target = h_write("target", "root's own\n"), *sock;
	struct group *gr;
	struct stat st;
	int started = 0;

	ck_assert_msg(chmod(target, 0600) == 0, "chmod: %s", strerror(errno));
	if (geteuid() == 0 && getpwnam("nobody") != NULL)
		(void)h_mkdir("w", 0700, getpwnam("nobody")->pw_uid,
		    getpwnam("nobody")->pw_gid);
	sock = h_path("w/ctl.sock");
	if (!start_swapper(&w, "sock", sock, target))
		return;
	gr = getgrgid(w.pw->pw_gid);
	ck_assert_msg(gr != NULL, "no group %d", (int)w.pw->pw_gid);
	for (int i = 0; i < SWAP_ROUNDS; i++) {
		started += start_and_stop(h_fmt(
		    "[corral]\n"
		    "control_socket = @T@/w/ctl.sock\n"
		    "control_group = %s\n"
		    "log_level = debug\n"
		    "\n"
		    "[service:a]\n"
		    "command = sleep 1000\n", gr->gr_name));
		ck_assert_msg(stat(target, &st) == 0 && st.st_uid == 0 &&
		    st.st_gid == 0 && (st.st_mode & 07777) == 0600,
		    "start %d of corral with control_group = %s, while nobody "
		    "raced a symlink over its socket, left root's 0600 file "
		    "%s uid %d gid %d mode %04o", i + 1, gr->gr_name, target,
		    (int)st.st_uid, (int)st.st_gid,
		    (unsigned)(st.st_mode & 07777));
		/* What the swapper left at the name stops the next start. */
		if (lstat(sock, &st) == 0 && !S_ISSOCK(st.st_mode))
			ck_assert_msg(unlink(sock) == 0, "unlink %s: %s", sock,
			    strerror(errno));
	}
	stop_swapper(&w);
	fprintf(stderr, "%s: %d of %d starts made a socket\n", tcase_name(),
	    started, SWAP_ROUNDS);
}
END_TEST

/* A socket at path that nothing listens on, as a dead corral leaves. */
static void
make_dead_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ck_assert_msg(fd != -1 && bind(fd, (struct sockaddr *)&sa,
	    sizeof(sa)) == 0, "bind %s: %s", path, strerror(errno));
	(void)close(fd);
}

/*
 * The control socket's directory is in one of nobody's, which nobody keeps
 * swapping with a symlink to a directory of root's that holds a dead socket
 * of the same name: corral never removes it (as a stale socket at start-up
 * or as its own at exit), over SWAP_ROUNDS starts.
 */
START_TEST(control_socket_dir_swap)
{
	struct swap w = { 0 };
	const char *victim, *dir;
	struct stat st0, st;
	int started = 0;

	victim = h_mkdir("victim", 0700, 0, 0);
	make_dead_socket(h_path("victim/ctl.sock"));
	ck_assert_msg(lstat(h_path("victim/ctl.sock"), &st0) == 0, "lstat: %s",
	    strerror(errno));
	if (geteuid() == 0 && getpwnam("nobody") != NULL) {
		(void)h_mkdir("w", 0755, getpwnam("nobody")->pw_uid,
		    getpwnam("nobody")->pw_gid);
		(void)h_mkdir("w/d", 0755, getpwnam("nobody")->pw_uid,
		    getpwnam("nobody")->pw_gid);
	}
	dir = h_path("w/d");
	if (!start_swapper(&w, "dir", dir, victim))
		return;
	for (int i = 0; i < SWAP_ROUNDS; i++) {
		started += start_and_stop(
		    "[corral]\n"
		    "control_socket = @T@/w/d/ctl.sock\n"
		    "log_level = debug\n"
		    "\n"
		    "[service:a]\n"
		    "command = sleep 1000\n");
		ck_assert_msg(lstat(h_path("victim/ctl.sock"), &st) == 0 &&
		    st.st_ino == st0.st_ino, "start %d of corral, while nobody "
		    "swapped %s with a symlink to %s, removed root's %s/ctl.sock",
		    i + 1, dir, victim, victim);
	}
	stop_swapper(&w);
	fprintf(stderr, "%s: %d of %d starts made a socket\n", tcase_name(),
	    started, SWAP_ROUNDS);
}
END_TEST

struct victim {
	const char	*runs;		/* one line per run of the service */
	const char	*file;		/* root's file in root's directory */
	ino_t		 ino;
};

static bool
is_victim_touched(const struct victim *v)
{
	struct stat st;
	char *text = h_read(v->file);

	return text == NULL || strcmp(text, "root's own\n") != 0 ||
	    lstat(v->file, &st) == -1 || st.st_ino != v->ino ||
	    access(h_fmt("%s.tmp", v->file), F_OK) == 0;
}

static bool
is_swap_over(const void *arg)
{
	const struct victim *v = arg;

	return h_count_lines(v->runs, "run") >= 300 || is_victim_touched(v);
}

/*
 * The status file's directory is in one of nobody's, which nobody keeps
 * swapping with a symlink to a directory of root's that holds a file of the
 * same name; a service that exits at once gives corral a status write at
 * every turn: root's file is never written, replaced or joined by a .tmp.
 */
START_TEST(control_status_file_dir_swap)
{
	struct swap w = { 0 };
	struct victim v;
	struct stat st;
	struct h_proc *c;
	const char *victim, *dir;

	victim = h_mkdir("victim", 0700, 0, 0);
	v.file = h_write("victim/status.json", "root's own\n");
	v.runs = h_write("runs", "");
	ck_assert_msg(chmod(v.file, 0600) == 0 && lstat(v.file, &st) == 0,
	    "%s: %s", v.file, strerror(errno));
	v.ino = st.st_ino;
	if (geteuid() == 0 && getpwnam("nobody") != NULL) {
		(void)h_mkdir("w", 0755, getpwnam("nobody")->pw_uid,
		    getpwnam("nobody")->pw_gid);
		(void)h_mkdir("w/d", 0755, getpwnam("nobody")->pw_uid,
		    getpwnam("nobody")->pw_gid);
	}
	dir = h_path("w/d");
	if (!start_swapper(&w, "dir", dir, victim))
		return;
	c = h_corral(
	    "[corral]\n"
	    "status_file = @T@/w/d/status.json\n"
	    "\n"
	    "[service:a]\n"
	    "command = @SVC@/stamp @T@/runs run true\n"
	    "restart = always\n"
	    "restart_delay = 0\n"
	    "start_seconds = 0\n"
	    "start_retries = 100000\n");
	ck_assert_msg(h_wait_until(is_swap_over, &v, 20000), "the service ran "
	    "only %d times in 20 s; %s", h_count_lines(v.runs, "run"),
	    h_ctx(c));
	ck_assert_msg(!is_victim_touched(&v), "after %d runs of a service (a "
	    "status write each) while nobody swapped %s with a symlink to "
	    "%s, root's %s is now:\n%s\n(%s.tmp %s)",
	    h_count_lines(v.runs, "run"), dir, victim, v.file,
	    h_read(v.file) ? h_read(v.file) : strerror(errno), v.file,
	    access(h_fmt("%s.tmp", v.file), F_OK) == 0 ? "exists" : "absent");
	stop_swapper(&w);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	ck_assert_msg(!is_victim_touched(&v), "at its exit corral wrote its "
	    "status into root's %s:\n%s", v.file, h_tail(v.file));
}
END_TEST

Suite *
suite_control(void)
{
	Suite *s = suite_create("control");

	h_add(s, control_status_table_and_json, 20);
	h_add(s, control_start_stop_restart_signal, 30);
	h_add(s, control_start_clears_failed_count, 20);
	h_add(s, control_peer_credentials, 20);
	h_add(s, control_group_allows_members, 20);
	h_add(s, control_hostile_clients, 30);
	h_add(s, control_many_requests_leak_nothing, 60);
	h_add(s, control_idle_clients_do_not_starve, 30);
	h_add(s, control_evicted_clients_leave_nothing, 30);
	h_add(s, control_accept_out_of_descriptors, 20);
	h_add(s, control_status_file_always_whole, 30);
	h_add(s, control_status_file_never_writes_through, 20);
	h_add(s, control_group_socket_symlink_race, 120);
	h_add(s, control_socket_dir_swap, 120);
	h_add(s, control_status_file_dir_swap, 40);
	h_add(s, control_check_probe, 20);
	h_add(s, control_default_socket_unavailable, 20);
	return s;
}
