/*
 * Helpers for the control socket tests; see ctlutil.h.
 */
#include "ctlutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const states[] = { "idle", "starting", "running",
    "stopping", "cleanup", "stopped", "backoff", "failed", "disabled",
    "done" };

/* CORRAL_CTL (the Makefile sets it), else next to CORRAL_BIN, else on PATH. */
const char *
cu_ctl_path(void)
{
	const char *bin = getenv("CORRAL_BIN"), *slash, *path;

	if (getenv("CORRAL_CTL") != NULL)
		return getenv("CORRAL_CTL");
	if (bin != NULL && (slash = strrchr(bin, '/')) != NULL) {
		path = h_fmt("%.*s/corralctl", (int)(slash - bin), bin);
		if (access(path, X_OK) == 0)
			return path;
	}
	return "corralctl";
}

struct cu_run
cu_ctl_opts(const struct h_spawn_opts *o, const char *const *argv)
{
	static int runs;
	struct cu_run r = { .code = -1 };

	r.p = h_spawn(h_fmt("ctl-%d", ++runs), o, argv);
	ck_assert_msg(h_wait_exit(r.p, H_WAIT_MS), "corralctl did not finish "
	    "within %d ms; %s", H_WAIT_MS, h_ctx(r.p));
	ck_assert_msg(WIFEXITED(r.p->status), "corralctl %s; %s",
	    WIFSIGNALED(r.p->status) ? "was killed by a signal" :
	    "did not exit", h_ctx(r.p));
	r.code = WEXITSTATUS(r.p->status);
	r.out = h_read(r.p->out);
	r.err = h_read(r.p->err);
	if (r.out == NULL)
		r.out = "";
	if (r.err == NULL)
		r.err = "";
	return r;
}

struct cu_run
cu_ctl(const char *sock, ...)
{
	const char *argv[64] = { cu_ctl_path(), "-s", sock };
	int argc = 3;
	va_list ap;

	va_start(ap, sock);
	for (const char *a = va_arg(ap, const char *); a != NULL;
	    a = va_arg(ap, const char *)) {
		ck_assert_msg(argc < 63, "too many arguments");
		argv[argc++] = a;
	}
	va_end(ap);
	argv[argc] = NULL;
	return cu_ctl_opts(NULL, argv);
}

const char *
cu_ctx(const struct cu_run *r)
{
	return h_fmt("corralctl exited %d\n--- its stdout ---\n%s--- its "
	    "stderr ---\n%s", r->code, r->out, r->err);
}

int
cu_connect(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_msg(fd >= 0, "socket: %s", strerror(errno));
	ck_assert_msg(strlen(sock) < sizeof(sa.sun_path), "%s: too long", sock);
	strcpy(sa.sun_path, sock);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0,
	    "connect %s: %s", sock, strerror(errno));
	return fd;
}

char *
cu_request(const char *sock, const char *req, size_t len, int timeout_ms,
    const char **why)
{
	int64_t deadline = h_now_ns() + (int64_t)timeout_ms * 1000000;
	int fd = cu_connect(sock);
	size_t off = 0, got = 0, cap = 4096;
	char *buf = malloc(cap);

	ck_assert_msg(buf != NULL, "out of memory");
	*why = NULL;
	for (;;) {
		struct pollfd p = { fd, off < len ? POLLOUT | POLLIN : POLLIN,
		    0 };
		int64_t left = deadline - h_now_ns();
		ssize_t r;

		if (left <= 0) {
			*why = h_fmt("no reply within %d ms (sent %zu of %zu "
			    "bytes, got %zu)", timeout_ms, off, len, got);
			break;
		}
		if (poll(&p, 1, (int)((left + 999999) / 1000000)) <= 0)
			continue;
		if (off < len && (p.revents & POLLOUT)) {
			r = send(fd, req + off, len - off,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (r > 0)
				off += (size_t)r;
			else if (r == -1 && errno != EAGAIN && errno != EINTR)
				off = len;	/* corral stopped listening */
		}
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (got + 1 >= cap) {
			buf = realloc(buf, cap *= 2);
			ck_assert_msg(buf != NULL, "out of memory");
		}
		r = recv(fd, buf + got, cap - got - 1, MSG_DONTWAIT);
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
			char *reply;

			buf[got] = '\0';
			(void)close(fd);
			reply = h_fmt("%s", buf);
			free(buf);
			return reply;
		}
	}
	(void)close(fd);
	free(buf);
	return NULL;
}

struct tj *
cu_status(const char *sock)
{
	const char *why, *problem;
	char *reply = cu_request(sock, "status --json\n", 14, H_WAIT_MS, &why);
	char err[256];
	struct tj *v;

	ck_assert_msg(reply != NULL, "status --json: %s", why);
	ck_assert_msg(strncmp(reply, "ok\n", 3) == 0, "status --json: "
	    "reply '%s'", reply);
	problem = cu_status_problem(reply + 3);
	ck_assert_msg(problem == NULL, "status --json: %s in:\n%s", problem,
	    reply + 3);
	v = tj_parse(reply + 3, err, sizeof(err));
	ck_assert_msg(v != NULL, "status --json: %s", err);
	return v;
}

const struct tj *
cu_service(const struct tj *status, const char *name)
{
	const struct tj *list = tj_get(status, "services");

	for (size_t i = 0; list != NULL && i < list->n; i++) {
		const char *n = tj_str(tj_get(list->items[i], "name"));

		if (n != NULL && strcmp(n, name) == 0)
			return list->items[i];
	}
	return NULL;
}

const char *
cu_state(const struct tj *status, const char *name)
{
	const char *s = tj_str(tj_get(cu_service(status, name), "state"));

	return s ? s : "(none)";
}

pid_t
cu_pid(const struct tj *status, const char *name)
{
	const struct tj *pid = tj_get(cu_service(status, name), "pid");

	return tj_is(pid, TJ_NUMBER) ? (pid_t)pid->number : -1;
}

static bool
known_state(const char *s)
{
	for (size_t i = 0; i < sizeof(states) / sizeof(*states); i++)
		if (strcmp(states[i], s) == 0)
			return true;
	return false;
}

const char *
cu_status_problem(const char *text)
{
	char err[256];
	struct tj *v = tj_parse(text, err, sizeof(err));
	const struct tj *list;
	const char *problem = NULL;

	if (v == NULL)
		return h_fmt("not JSON: %s", err);
	list = tj_get(v, "services");
	if (!tj_is(v, TJ_OBJECT) || !tj_is(tj_get(v, "time"), TJ_NUMBER) ||
	    !tj_is(list, TJ_ARRAY))
		problem = "not an object with a number 'time' and an array "
		    "'services'";
	for (size_t i = 0; problem == NULL && i < list->n; i++) {
		const struct tj *s = list->items[i];
		const struct tj *started = tj_get(s, "started_at");
		const struct tj *last = tj_get(s, "last_exit");
		const char *name = tj_str(tj_get(s, "name"));
		const char *state = tj_str(tj_get(s, "state"));

		if (!tj_is(s, TJ_OBJECT) || name == NULL || *name == '\0')
			problem = h_fmt("service %zu has no name", i);
		else if (state == NULL || !known_state(state))
			problem = h_fmt("%s: no known state", name);
		else if (!tj_is(tj_get(s, "pid"), TJ_NUMBER) ||
		    !tj_is(tj_get(s, "restarts"), TJ_NUMBER))
			problem = h_fmt("%s: pid or restarts not a number",
			    name);
		else if (!tj_is(started, TJ_NUMBER) &&
		    !tj_is(started, TJ_NULL))
			problem = h_fmt("%s: started_at neither a number nor "
			    "null", name);
		else if (!tj_is(last, TJ_NULL) && !tj_is(last, TJ_OBJECT))
			problem = h_fmt("%s: last_exit neither null nor an "
			    "object", name);
	}
	tj_free(v);
	return problem;
}

const char *
cu_file_state(const char *status_file, const char *name)
{
	char *text = h_read(status_file), err[256];
	struct tj *v = text ? tj_parse(text, err, sizeof(err)) : NULL;
	const char *state = v ? h_fmt("%s", cu_state(v, name)) : "(none)";

	tj_free(v);
	return state;
}

struct state_arg {
	const char	*file;
	const char	*name;
	const char	*state;
};

static bool
in_state(const void *arg)
{
	const struct state_arg *a = arg;

	return strcmp(cu_file_state(a->file, a->name), a->state) == 0;
}

bool
cu_wait_state(const char *status_file, const char *name, const char *state,
    int timeout_ms)
{
	struct state_arg a = { status_file, name, state };

	return h_wait_on(status_file, in_state, &a, timeout_ms);
}

const char *
cu_wait_all(const char *status_file, const char *state, ...)
{
	const char *name;
	va_list ap;

	va_start(ap, state);
	while ((name = va_arg(ap, const char *)) != NULL &&
	    cu_wait_state(status_file, name, state, H_WAIT_MS))
		;
	va_end(ap);
	return name;
}

bool
cu_valgrind(pid_t pid)
{
	const char *maps = h_read(h_fmt("/proc/%d/maps", (int)pid));

	return maps != NULL && (strstr(maps, "vgpreload") != NULL ||
	    strstr(maps, "memcheck") != NULL);
}

bool
cu_asan(pid_t pid)
{
	const char *maps = h_read(h_fmt("/proc/%d/maps", (int)pid));

	return maps != NULL && strstr(maps, "libasan") != NULL;
}

char *
cu_slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0, cap = 8192;
	char *buf;

	if (fd == -1)
		return NULL;
	buf = malloc(cap);
	ck_assert_msg(buf != NULL, "out of memory");
	for (;;) {
		ssize_t r;

		if (got + 1 >= cap) {
			buf = realloc(buf, cap *= 2);
			ck_assert_msg(buf != NULL, "out of memory");
		}
		r = read(fd, buf + got, cap - got - 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	(void)close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
}

pid_t
cu_started(struct h_proc *c, const char *name, int nth)
{
	const char *file = h_path(name);

	ck_assert_msg(h_wait_events(file, "start", nth + 1, H_WAIT_MS),
	    "%s: %d start records, waited for %d; %s", name,
	    h_event_count(file, "start"), nth + 1, h_ctx(c));
	return h_event(file, "start", nth).pid;
}

const char *
cu_var(const char *words, const char *name)
{
	const char *key = h_fmt(" %s=", name), *all = h_fmt(" %s", words), *p;

	if ((p = strstr(all, key)) == NULL)
		return "(unset)";
	p += strlen(key);
	return h_fmt("%.*s", (int)strcspn(p, " "), p);
}

int
cu_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(fd != -1 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
	close(fd);
	return ntohs(sa.sin_port);
}
