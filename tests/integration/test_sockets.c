/*
 * Listening sockets (SPEC §15) with real sockets: owned ones survive the
 * service's restarts with no connection refused, a reload keeps a socket
 * whose line it keeps and moves one whose line changed, an inherited one
 * (socket activation) reaches the service that names it and no other, and
 * every bad address or a bind that fails is refused with its reason.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctlutil.h"

#define HEAD \
	"[corral]\n" \
	"control_socket = @T@/ctl.sock\n" \
	"status_file = @T@/status.json\n" \
	"\n"

/*
 * Connects to port (or the unix path) and reads the answer, within
 * H_WAIT_MS; NULL with errno set when the connection was refused or no
 * answer came.
 */
static char *
ask(int port, const char *path)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct pollfd pfd;
	char buf[64];
	ssize_t r;
	int fd, rc;

	if (path != NULL) {
		snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		rc = connect(fd, (struct sockaddr *)&un, sizeof(un));
	} else {
		in.sin_port = htons((uint16_t)port);
		in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		rc = connect(fd, (struct sockaddr *)&in, sizeof(in));
	}
	if (rc == -1) {
		int saved = errno;

		close(fd);
		errno = saved;
		return NULL;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	r = poll(&pfd, 1, H_WAIT_MS * h_slowdown()) == 1 ?
	    read(fd, buf, sizeof(buf) - 1) : -1;
	close(fd);
	if (r <= 0) {
		errno = ETIMEDOUT;
		return NULL;
	}
	buf[r] = '\0';
	return h_fmt("%s", buf);
}

/* The value of WORD=... in the nth start record of a listener. */
static const char *
field(const char *file, int nth, const char *word)
{
	return cu_var(h_event(file, "start", nth).rest, word);
}

START_TEST(owned_sockets_survive_restarts)
{
	int port = cu_free_port(), refused = 0, answered = 0;
	const char *sock = h_path("ctl.sock"), *app = h_path("app");
	struct h_proc *c = h_corral(h_fmt(HEAD
	    "[service:app]\n"
	    "listen = tcp:127.0.0.1:%d unix:@T@/app.sock\n"
	    "listen_mode = 0660\n"
	    "command = @SVC@/listener @T@/app\n"
	    "[service:plain]\n"
	    "command = @SVC@/listener @T@/plain\n", port));
	struct h_event e;
	struct stat st;

	ck_assert(h_wait_events(app, "start", 1, H_WAIT_MS) &&
	    h_wait_events(h_path("plain"), "start", 1, H_WAIT_MS));
	e = h_event(app, "start", 0);
	ck_assert_msg(strcmp(field(app, 0, "fds"), "2") == 0 &&
	    strcmp(field(app, 0, "names"), "app:app") == 0 &&
	    atoi(field(app, 0, "pid")) == (int)e.pid, "app got '%s'", e.rest);
	ck_assert_msg(stat(h_path("app.sock"), &st) == 0 && S_ISSOCK(st.st_mode)
	    && (st.st_mode & 0777) == 0660, "app.sock has mode %o",
	    (unsigned)st.st_mode);
	ck_assert_msg(strcmp(field(h_path("plain"), 0, "fds"), "0") == 0,
	    "a service without listen got sockets: %s",
	    h_event(h_path("plain"), "start", 0).rest);

	for (int i = 0; i < 20; i++) {
		struct cu_run r = cu_ctl(sock, "restart", "app", NULL);

		ck_assert_msg(r.code == 0, "restart: %s", cu_ctx(&r));
		/* While it restarts: the backlog holds the connection. */
		for (int k = 0; k < 2; k++) {
			char *a = ask(port, k ? h_path("app.sock") : NULL);

			if (a == NULL && errno == ECONNREFUSED)
				refused++;
			else if (a != NULL && strncmp(a, "hello ", 6) == 0)
				answered++;
		}
	}
	ck_assert_msg(refused == 0 && answered == 40, "%d refused, %d of 40 "
	    "answered over 20 restarts; %s", refused, answered, h_ctx(c));
	ck_assert_msg(strcmp(field(app, 20, "ino"), field(app, 0, "ino")) == 0,
	    "the socket changed over the restarts: %s, then %s",
	    field(app, 0, "ino"), field(app, 20, "ino"));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

START_TEST(reload_keeps_a_kept_line_and_moves_a_changed_one)
{
	static const char conf[] = HEAD
	    "[service:app]\n"
	    "listen = tcp:127.0.0.1:%d\n"
	    "command = @SVC@/listener @T@/app\n"
	    "%s";
	int port = cu_free_port(), port2 = cu_free_port();
	const char *sock = h_path("ctl.sock"), *app = h_path("app");
	struct h_proc *c = h_corral(h_fmt(conf, port, ""));
	const char *ino;
	struct cu_run r;

	ck_assert(h_wait_events(app, "start", 1, H_WAIT_MS));
	ino = field(app, 0, "ino");
	(void)h_write("corral.conf", h_fmt(conf, port,
	    "[service:more]\ncommand = @SVC@/catch @T@/more TERM=die\n"));
	r = cu_ctl(sock, "reload", NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out, "keep app"), "reload: %s",
	    cu_ctx(&r));
	r = cu_ctl(sock, "restart", "app", NULL);
	ck_assert(r.code == 0 && h_wait_events(app, "start", 2, H_WAIT_MS));
	ck_assert_msg(strcmp(field(app, 1, "ino"), ino) == 0, "a kept line "
	    "got a new socket");

	(void)h_write("corral.conf", h_fmt(conf, port2, ""));
	r = cu_ctl(sock, "reload", NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out, "restart app"), "reload: %s",
	    cu_ctx(&r));
	ck_assert(h_wait_events(app, "start", 3, H_WAIT_MS));
	ck_assert_msg(strcmp(field(app, 2, "ino"), ino) != 0 &&
	    ask(port2, NULL) != NULL, "app does not answer on its new port; "
	    "%s", h_ctx(c));
	ck_assert_msg(ask(port, NULL) == NULL && errno == ECONNREFUSED,
	    "the old port still answers after the move");

	/* A bind that fails fails the reload, and nothing changes. */
	(void)h_write("corral.conf", h_fmt(conf, port2,
	    "[service:bad]\nlisten = unix:/nonexistent-corral/x.sock\n"
	    "command = @SVC@/catch @T@/bad TERM=die\n"));
	r = cu_ctl(sock, "reload", NULL);
	ck_assert_msg(r.code == 1 && strstr(r.err, "[service:bad] listen: "
	    "unix:/nonexistent-corral/x.sock: cannot bind: No such file"),
	    "reload with a socket that cannot be bound: %s", cu_ctx(&r));
	ck_assert(ask(port2, NULL) != NULL);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/* Socket activation: the fd named http goes to web, and to nothing else. */
START_TEST(inherited_socket_reaches_its_service)
{
	const char *conf = h_write("act.conf", "[corral]\n"
	    "control_socket = none\n"
	    "[service:web]\n"
	    "listen_names = http\n"
	    "command = @SVC@/listener @T@/web\n"
	    "cleanup = @SVC@/stamp -e @T@/hooks web\n"
	    "[service:other]\n"
	    "command = @SVC@/listener @T@/other\n");
	const char *argv[] = { h_svc("activate"), h_path("port"), "http",
	    getenv("CORRAL_BIN"), "-c", conf, NULL };
	struct h_proc *p = h_spawn("activated", NULL, argv);
	const char *web = h_path("web");
	char *answer;
	int port;

	ck_assert_msg(h_wait_events(web, "start", 1, H_WAIT_MS) &&
	    h_wait_events(h_path("other"), "start", 1, H_WAIT_MS),
	    "no start; %s", h_ctx(p));
	port = atoi(h_read(h_path("port")));
	ck_assert_msg(strcmp(field(web, 0, "fds"), "1") == 0 &&
	    strcmp(field(web, 0, "names"), "http") == 0 &&
	    atoi(field(web, 0, "pid")) == (int)h_event(web, "start", 0).pid,
	    "web got '%s'", h_event(web, "start", 0).rest);
	ck_assert_msg(strcmp(field(h_path("other"), 0, "fds"), "0") == 0 &&
	    strcmp(field(h_path("other"), 0, "pid"), "-") == 0,
	    "other saw the inherited socket: %s",
	    h_event(h_path("other"), "start", 0).rest);
	answer = ask(port, NULL);
	ck_assert_msg(answer != NULL && atoi(answer + 6) ==
	    (int)h_event(web, "start", 0).pid, "the activated port answered "
	    "'%s'", answer != NULL ? answer : strerror(errno));
	h_signal(p, SIGTERM);
	h_expect_exit(p, 0, H_WAIT_MS);
	ck_assert_msg(!strstr(h_read(h_path("hooks")), "LISTEN"),
	    "the hook saw LISTEN_ variables");
}
END_TEST

START_TEST(bad_addresses_and_binds)
{
	const char *conf = h_write("bad.conf",
	    "[service:a]\ncommand = /bin/true\n"
	    "listen = tcp:127.0.0.1:0 tcp:localhost:80 tcp6:::1:80\n"	/* 3 */
	    "listen = unix:relative.sock udp:1.2.3.4:5\n"		/* 4 */
	    "listen = unix:/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaa.sock\n"						/* 5 */
	    "[service:b]\ncommand = /bin/true\nlisten = tcp:127.0.0.1:81\n"
	    "[service:c]\ncommand = /bin/true\nlisten = tcp:127.0.0.1:81\n");
	const char *argv[] = { getenv("CORRAL_BIN"), "-t", "-c", conf, NULL };
	struct h_proc *p = h_spawn("check", NULL, argv);
	const char *err;
	int fd, port = cu_free_port();
	struct sockaddr_in sa = { .sin_family = AF_INET };

	ck_assert(h_wait_exit(p, H_WAIT_MS));
	err = h_read(p->err);
	ck_assert_msg(WEXITSTATUS(p->status) == 1 &&
	    strstr(err, h_fmt("%s:3: [service:a] listen: port '0' is not "
	    "1-65535", conf)) &&
	    strstr(err, "'localhost' is not a numeric IPv4 address") &&
	    strstr(err, "an IPv6 address goes in brackets") &&
	    strstr(err, h_fmt("%s:4: [service:a] listen: 'unix:relative.sock':"
	    " a unix socket needs an absolute path", conf)) &&
	    strstr(err, "'udp:1.2.3.4:5' is not a socket address") &&
	    strstr(err, h_fmt("%s:5: ", conf)) &&
	    strstr(err, h_fmt("%s:11: [service:c] listen: tcp:127.0.0.1:81 is "
	    "[service:b]'s already", conf)), "corral -t; %s", h_ctx(p));

	/* In use: corral does not start, and says where and why. */
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    listen(fd, 1) == 0);
	p = h_corral(h_fmt("[service:a]\nlisten = tcp:127.0.0.1:%d\n"
	    "command = @SVC@/catch @T@/a TERM=die\n", port));
	h_expect_exit(p, 1, H_WAIT_MS);
	ck_assert_msg(strstr(h_read(p->err), h_fmt("[service:a] listen: "
	    "tcp:127.0.0.1:%d: cannot bind: Address already in use", port)) &&
	    h_event_count(h_path("a"), "start") == 0, "%s", h_ctx(p));
	close(fd);
}
END_TEST

Suite *
suite_sockets(void)
{
	Suite *s = suite_create("sockets");

	h_add(s, owned_sockets_survive_restarts, 60);
	h_add(s, reload_keeps_a_kept_line_and_moves_a_changed_one, 30);
	h_add(s, inherited_socket_reaches_its_service, 30);
	h_add(s, bad_addresses_and_binds, 30);
	return s;
}
