/*
 * The control socket server.  Each client is a small state machine:
 * reading its request (bounded in size and time), then writing its reply,
 * then closed.  Nothing a client does can make corral block or exit: every
 * failure ends that client only.  What may be done to a client follows from
 * its phase alone: one still reading has been promised nothing, so it is the
 * only kind that may be evicted to make room for a newcomer.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "container.h"
#include "control.h"
#include "ctlpath.h"
#include "log.h"
#include "logbuf.h"
#include "strbuf.h"
#include "requests.h"
#include "trustdir.h"
#include "values.h"
#include "verbs.h"

#define MAX_WORDS	256

enum client_phase {
	CP_READING,			/* evictable */
	CP_WRITING,
	CP_LOGS,			/* `logs`: lines from its reader */
};

struct client {
	int		 fd;
	enum client_phase phase;
	ev_io		 io_w;
	ev_timer	 idle_w;
	char		*req;		/* NULL until its first byte */
	size_t		 len;
	struct strbuf	 reply;
	size_t		 sent;
	bool		 denied;	/* answered "denied" whatever it asks */
	/* `logs`: once the reply is out, what its reader gives (logbuf.h). */
	struct logbuf_reader *logs;
	bool		 follows;	/* -f: counted in ctl.nfollowers */
	char		*chunk;		/* LOGBUF_READ_MIN bytes */
	size_t		 chunk_off;
	size_t		 chunk_len;
	struct client	*next;		/* newer ones first */
};

/* A request's options, and its client (NULL: control_execute()). */
struct req_ctx {
	unsigned	 opts;
	char		*value[VOPT__COUNT];	/* of options that take one */
	struct client	*client;
};

static struct {
	struct ev_loop	*loop;
	int		 fd;
	ev_io		 accept_w;
	ev_timer	 pause_w;	/* accepting paused after a failure */
	bool		 accept_failing;	/* warned, not yet recovered */
	char		 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int		 dir;		/* the socket's directory, or -1 */
	const char	*base;		/* the socket's name in dir */
	dev_t		 dev;		/* the socket's inode, once made */
	ino_t		 ino;
	uid_t		 uid;
	gid_t		 gid;		/* control_group, or (gid_t)-1 */
	struct client	*clients;
	size_t		 nclients;
	size_t		 nfollowers;
} ctl = { .fd = -1, .dir = -1 };

/* --- requests ---------------------------------------------------------- */

static int
unknown_request(const char *verb, struct strbuf *body)
{
	sb_printf(body, "unknown or incomplete request '%.64s' (see "
	    "corralctl(1))\n", verb);
	return -1;
}

static void	logs_wake(void *ctx);

/* With no client to stream to (tests, fuzzing): the lines in the reply. */
static void
logs_into(struct logbuf_reader *r, struct strbuf *body)
{
	char *chunk = malloc(LOGBUF_READ_MIN);
	bool done = chunk == NULL;

	if (chunk == NULL)
		body->oom = true;
	while (!done)
		sb_add(body, chunk, logbuf_read(r, chunk, LOGBUF_READ_MIN,
		    &done));
	free(chunk);
	logbuf_reader_free(r);
}

/*
 * logs [-f] [-n N] NAME: its client streams the lines once "ok" is out
 * (logs_begin()).  Followers are bounded: they never end by themselves,
 * and must leave most slots to other clients.
 */
static int
run_logs(const char *name, const struct req_ctx *rq, struct strbuf *body)
{
	struct client *c = rq->client;
	bool follow = (rq->opts & VOPT(FOLLOW)) != 0 && c != NULL;
	unsigned long lines = ULONG_MAX;
	struct logbuf_reader *r;
	char err[VALUE_ERR_MAX];

	if ((rq->opts & VOPT(LINES)) != 0 && parse_uint(rq->value[VOPT_LINES_BIT],
	    0, LOGBUF_MAX, &lines, err) == -1) {
		sb_printf(body, "-n: %s\n", err);
		return -1;
	}
	if (follow && ctl.nfollowers >= CONTROL_FOLLOWERS_MAX) {
		sb_printf(body, "too many followers: %d already follow "
		    "(corralctl(1), logs)\n", CONTROL_FOLLOWERS_MAX);
		return -1;
	}
	if (request_logs(name, lines == ULONG_MAX ? SIZE_MAX : lines, follow,
	    logs_wake, c, &r, body) == -1)
		return -1;
	if (c == NULL) {
		logs_into(r, body);
		return 0;
	}
	c->logs = r;
	c->follows = follow;
	ctl.nfollowers += follow;
	return 0;
}

/* Carries out v with its n arguments and the options it takes in rq. */
static int
run_verb(const struct verb *v, char **args, size_t n,
    const struct req_ctx *rq, struct strbuf *body)
{
	char err[VALUE_ERR_MAX];
	int sig;

	switch (v->id) {
	case VERB_STATUS:
		return request_status(args, n, (rq->opts & VOPT(JSON)) != 0,
		    body);
	case VERB_START:
		return request_control(CTL_START, args, n, body);
	case VERB_STOP:
		return request_control(CTL_STOP, args, n, body);
	case VERB_RESTART:
		return request_control(CTL_RESTART, args, n, body);
	case VERB_SIGNAL:
		if (parse_signal(args[1], &sig, err) == -1) {
			sb_printf(body, "%s\n", err);
			return -1;
		}
		return request_signal(args[0], sig, body);
	case VERB_RELOAD:
		return request_reload((rq->opts & VOPT(DRY_RUN)) != 0, body);
	case VERB_SHUTDOWN:
		return request_shutdown(body);
	case VERB_CHECK:
		return request_check(body);
	case VERB_METRICS:
		return request_metrics(body);
	case VERB_REOPEN:
		return request_reopen(body);
	case VERB_LOGS:
		return run_logs(args[0], rq, body);
	case VERB__COUNT:
		break;
	}
	/* A verb of verbs.h with no case here: the unit test names it. */
	return unknown_request(v->name, body);
}

/*
 * The options after the verb, from words[*first] on, into rq; *first ends
 * at the first argument.  Skipped after any verb: `start --json web` has
 * always started web.  False when an option that takes a value ends the
 * line: the request is incomplete.
 */
static bool
take_options(char **words, size_t n, size_t *first, struct req_ctx *rq)
{
	unsigned o;

	while (*first < n && (o = verb_option(words[*first])) != 0) {
		rq->opts |= o;
		(*first)++;
		if ((o & VOPT_VALUED) == 0)
			continue;
		if (*first == n)
			return false;
		for (size_t i = 0; i < VOPT__COUNT; i++)
			if (o == 1u << i)
				rq->value[i] = words[*first];
		(*first)++;
	}
	return true;
}

/* Runs a request line of client c, or of no client (control_execute()). */
static void
execute(char *line, struct strbuf *reply, struct client *c)
{
	char *words[MAX_WORDS], *save = NULL, *w;
	size_t n = 0, first = 1;
	struct strbuf body = { 0 };
	const struct verb *v;
	struct req_ctx rq = { .client = c };
	int r;

	for (w = strtok_r(line, " \t", &save); w != NULL && n < MAX_WORDS;
	    w = strtok_r(NULL, " \t", &save))
		words[n++] = w;
	if (n == 0) {
		sb_printf(reply, "error\nempty request\n");
		return;
	}
	v = verb_find(words[0]);
	if (v != NULL && take_options(words, n, &first, &rq) &&
	    verb_args_ok(v, n - first)) {
		rq.opts &= v->options;
		r = run_verb(v, words + first, n - first, &rq, &body);
	} else
		r = unknown_request(words[0], &body);
	sb_printf(reply, "%s\n", r == 0 ? "ok" : "error");
	if (body.len > 0)
		sb_printf(reply, "%s", body.p);
	if (body.oom)
		sb_printf(reply, "out of memory\n");
	sb_free(&body);
}

void
control_execute(char *line, struct strbuf *reply)
{
	execute(line, reply, NULL);
}

/* --- clients ----------------------------------------------------------- */

static void
logs_end(struct client *c)
{
	logbuf_reader_free(c->logs);
	c->logs = NULL;
	ctl.nfollowers -= c->follows;
	c->follows = false;
	free(c->chunk);
	c->chunk = NULL;
}

static void
client_close(struct client *c)
{
	struct client **pp;

	logs_end(c);
	ev_io_stop(ctl.loop, &c->io_w);
	ev_timer_stop(ctl.loop, &c->idle_w);
	(void)close(c->fd);
	for (pp = &ctl.clients; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	free(c->req);
	sb_free(&c->reply);
	free(c);
	ctl.nclients--;
	/*
	 * A slot and a descriptor are free again: resume accepting if it was
	 * stopped for want of a slot (a no-op if it runs), not if it waits out
	 * a failure.
	 */
	if (ctl.fd != -1 && !ev_is_active(&ctl.pause_w))
		ev_io_start(ctl.loop, &ctl.accept_w);
}

static bool
is_evictable(const struct client *c)
{
	return c->phase == CP_READING;
}

/*
 * Makes room for a newcomer: closes the oldest client that has sent
 * nothing, else the oldest still reading its request.  False when every
 * client is past its request, which ends within CONTROL_IDLE_S.
 */
static bool
evict_one(void)
{
	struct client *c, *silent = NULL, *reading = NULL;

	for (c = ctl.clients; c != NULL; c = c->next) {
		if (!is_evictable(c))
			continue;
		reading = c;
		if (c->len == 0)
			silent = c;
	}
	if (reading == NULL)
		return false;
	client_close(silent != NULL ? silent : reading);
	return true;
}

/* Watches c for events, if it does not already. */
static void
watch(struct client *c, int events)
{
	if (ev_is_active(&c->io_w) &&
	    (c->io_w.events & (EV_READ | EV_WRITE)) == events)
		return;
	ev_io_stop(ctl.loop, &c->io_w);
	ev_io_set(&c->io_w, c->fd, events);
	ev_io_start(ctl.loop, &c->io_w);
}

/*
 * Sends what c's reader has, as far as the socket takes it.  A follower
 * that read everything waits for logs_wake(), watching only for its end;
 * one that does not read loses lines in its reader (logbuf.h), never in
 * the service.  The reader's lines were there before the call, so a
 * service that writes on cannot keep the loop here.
 */
static void
logs_write(struct client *c)
{
	bool done;
	ssize_t r;

	for (;;) {
		if (c->chunk_off == c->chunk_len) {
			c->chunk_off = 0;
			c->chunk_len = logbuf_read(c->logs, c->chunk,
			    LOGBUF_READ_MIN, &done);
			if (c->chunk_len == 0 && done) {
				client_close(c);
				return;
			}
			if (c->chunk_len == 0) {
				watch(c, EV_READ);
				return;
			}
		}
		r = send(c->fd, c->chunk + c->chunk_off,
		    c->chunk_len - c->chunk_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN) {
			watch(c, c->follows ? EV_READ | EV_WRITE : EV_WRITE);
			return;
		}
		if (r == -1) {
			client_close(c);
			return;
		}
		c->chunk_off += (size_t)r;
	}
}

static void
logs_wake(void *ctx)
{
	struct client *c = ctx;

	watch(c, c->follows ? EV_READ | EV_WRITE : EV_WRITE);
}

/*
 * A follower ends when its client closes its side of the connection; what
 * else it sends is read and dropped.  Returns whether it ended.
 */
static bool
logs_gone(struct client *c)
{
	char buf[256];
	ssize_t r;

	do
		r = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	while (r == -1 && errno == EINTR);
	if (r > 0 || (r == -1 && errno == EAGAIN))
		return false;
	client_close(c);
	return true;
}

/*
 * The reply is out: the lines follow.  A follower has no idle bound (SPEC
 * §16); it is never evicted, and there are at most CONTROL_FOLLOWERS_MAX.
 */
static void
logs_begin(struct client *c)
{
	c->phase = CP_LOGS;
	sb_free(&c->reply);
	c->sent = 0;
	if (c->follows)
		ev_timer_stop(ctl.loop, &c->idle_w);
	if ((c->chunk = malloc(LOGBUF_READ_MIN)) == NULL) {
		client_close(c);
		return;
	}
	c->chunk_off = c->chunk_len = 0;
	logs_write(c);
}

static void
client_write(struct client *c)
{
	while (c->sent < c->reply.len) {
		ssize_t r = send(c->fd, c->reply.p + c->sent,
		    c->reply.len - c->sent, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN)
			return;		/* the write watcher calls again */
		if (r == -1) {
			client_close(c);
			return;
		}
		c->sent += (size_t)r;
	}
	if (c->logs != NULL)
		logs_begin(c);
	else
		client_close(c);
}

static void
client_reply(struct client *c, const char *text)
{
	if (text != NULL)
		sb_printf(&c->reply, "%s", text);
	if (c->reply.oom) {
		sb_free(&c->reply);
		sb_printf(&c->reply, "error\nout of memory\n");
		logs_end(c);
	}
	c->phase = CP_WRITING;
	free(c->req);
	c->req = NULL;
	ev_io_stop(ctl.loop, &c->io_w);
	ev_io_set(&c->io_w, c->fd, EV_WRITE);
	ev_io_start(ctl.loop, &c->io_w);
	client_write(c);
}

/* Answers the request in req, whose first newline is at nl. */
static void
client_request(struct client *c, char *req, char *nl)
{
	*nl = '\0';
	if (c->denied) {
		client_reply(c, "denied\npermission denied\n");
		return;
	}
	if (memchr(req, '\0', (size_t)(nl - req)) != NULL) {
		client_reply(c, "error\nrequest contains a NUL byte\n");
		return;
	}
	execute(req, &c->reply, c);
	client_reply(c, NULL);
}

/*
 * A request usually comes whole in one read, into a buffer on the stack; a
 * client gets a buffer of its own only when it leaves a part, so that idle
 * connections cost no more than their struct.
 */
static void
client_read(struct client *c)
{
	char first[CONTROL_REQUEST_MAX], *buf = c->req ? c->req : first, *nl;
	ssize_t r;

	do
		r = recv(c->fd, buf + c->len, CONTROL_REQUEST_MAX - c->len - 1,
		    MSG_DONTWAIT);
	while (r == -1 && errno == EINTR);
	if (r == -1 && errno == EAGAIN)
		return;
	if (r <= 0) {
		client_close(c);
		return;
	}
	c->len += (size_t)r;
	buf[c->len] = '\0';
	if ((nl = memchr(buf, '\n', c->len)) != NULL)
		client_request(c, buf, nl);
	else if (c->len == CONTROL_REQUEST_MAX - 1)
		client_reply(c, "error\nrequest too long\n");
	else if (c->req == NULL &&
	    (c->req = malloc(CONTROL_REQUEST_MAX)) == NULL)
		client_close(c);	/* out of memory: this client only */
	else if (buf == first)
		memcpy(c->req, first, c->len + 1);
}

static void
client_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct client *c = container_of(w, struct client, io_w);

	(void)loop;
	if (c->phase == CP_LOGS) {
		if ((revents & EV_READ) && logs_gone(c))
			return;
		if (revents & EV_WRITE)
			logs_write(c);
	} else if (c->phase == CP_WRITING)
		client_write(c);
	else
		client_read(c);
}

static void
client_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	client_close(container_of(w, struct client, idle_w));
}

static bool
peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gid_t groups[256];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return false;
	if (cred.uid == 0 || cred.uid == ctl.uid)
		return true;
	if (ctl.gid == (gid_t)-1)
		return false;
	if (cred.gid == ctl.gid)
		return true;
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == -1)
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == ctl.gid)
			return true;
	return false;
}

static void
client_add(struct ev_loop *loop, int fd)
{
	struct client *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		(void)close(fd);
		return;
	}
	c->fd = fd;
	c->phase = CP_READING;
	/*
	 * A refused peer is still read like any other, and answered after
	 * its request: closing on unread data would reset the connection and
	 * lose the answer.
	 */
	c->denied = !peer_allowed(fd);
	ev_io_init(&c->io_w, client_io_cb, fd, EV_READ);
	ev_io_start(loop, &c->io_w);
	ev_timer_init(&c->idle_w, client_idle_cb, CONTROL_IDLE_S, 0);
	ev_timer_start(loop, &c->idle_w);
	c->next = ctl.clients;
	ctl.clients = c;
	ctl.nclients++;
	/*
	 * corralctl sends its request as it connects: read it now, so that
	 * it counts as sent before the next eviction, and is answered at once.
	 */
	client_read(c);
}

/*
 * An accept that failed for want of a descriptor or of memory leaves the
 * connection queued and the socket readable: accepting pauses, or the loop
 * would spin on it.  Warned once until an accept succeeds again.
 */
static void
accept_failed(int err)
{
	if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR ||
	    err == ECONNABORTED)
		return;
	if (!ctl.accept_failing) {
		errno = err;
		log_warn("control socket %s: unable to accept a client "
		    "(trying again every %.2g s)", ctl.path, CONTROL_PAUSE_S);
		ctl.accept_failing = true;
	}
	ev_io_stop(ctl.loop, &ctl.accept_w);
	ev_timer_again(ctl.loop, &ctl.pause_w);
}

static void
pause_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	ev_timer_stop(loop, w);
	ev_io_start(loop, &ctl.accept_w);
}

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	int fd;

	(void)w;
	(void)revents;
	if (ctl.nclients >= CONTROL_CLIENTS_MAX && !evict_one()) {
		/* Every slot is answering; client_close() resumes. */
		ev_io_stop(loop, &ctl.accept_w);
		return;
	}
	fd = accept4(ctl.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	/* Idle clients are the descriptors corral can give back at once. */
	if (fd == -1 && (errno == EMFILE || errno == ENFILE) && evict_one())
		fd = accept4(ctl.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd == -1) {
		accept_failed(errno);
		return;
	}
	if (ctl.accept_failing) {
		log_info("control socket %s: accepting clients again",
		    ctl.path);
		ctl.accept_failing = false;
	}
	client_add(loop, fd);
}

/* --- the socket -------------------------------------------------------- */

/*
 * The socket's directory may be writable by a service's user (nothing
 * forbids control_socket = /srv/app/ctl.sock), so as root corral never names
 * the socket by its path after start-up: ctl.dir is that directory, opened
 * once by trustdir_open(), and the socket is bound, connected to, checked,
 * given its group and removed as ctl.base relative to it.  bind() and
 * connect() take no directory descriptor, so they run with the working
 * directory moved to ctl.dir for the one call; corral is single-threaded
 * and starts no service before control_init(), so nothing else sees it.
 */
static int
sock_in_dir(int dir, int fd, const struct sockaddr_un *sa, bool is_bind)
{
	int cwd, r, saved;

	if ((cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if (fchdir(dir) == -1) {
		saved = errno;
		(void)close(cwd);
		errno = saved;
		return -1;
	}
	if (is_bind)
		r = bind(fd, (const struct sockaddr *)sa, sizeof(*sa));
	else
		r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	saved = errno;
	if (fchdir(cwd) == -1) {
		r = -1;
		saved = errno;
	}
	(void)close(cwd);
	errno = saved;
	return r;
}

/*
 * A socket file left by a corral that died is replaced; one that a live
 * corral answers on, or anything that is not a socket, is not touched.
 */
static int
clear_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r;

	if (fstatat(ctl.dir, ctl.base, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	r = sock_in_dir(ctl.dir, fd, sa, false);
	(void)close(fd);
	if (r == 0) {
		errno = EADDRINUSE;
		return -1;
	}
	if (errno != ECONNREFUSED)
		return -1;
	return unlinkat(ctl.dir, ctl.base, 0);
}

/*
 * Makes sure that what is at ctl.base is the socket just bound, with mode
 * (and group, if gid is not -1), and records its inode for control_free().
 * bind() made it with the mode already (the umask), owned by corral's
 * euid and with corral's egid, or the directory's group if that is
 * set-group-ID.  Whoever can write the directory may have put something
 * else at ctl.base since, so the name is opened without following a link
 * (O_PATH | O_NOFOLLOW) and changed only through that descriptor, and only
 * if it is a socket of corral's euid with one link, as no one else can make
 * one: anything else is refused (EEXIST) and left alone.
 *
 * Why not setegid(control_gid) around bind() instead: a corral that is not
 * root but a member of control_group may chown to it but not setegid to
 * it, and a set-group-ID directory would override it anyway.  Giving the
 * group a moment after bind() exposes nothing: the socket does not listen
 * yet, so a connect() to it is refused.
 */
static int
check_socket(gid_t gid, mode_t mode)
{
	struct stat st;
	char proc[64];
	int fd, saved;

	fd = openat(ctl.dir, ctl.base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid() ||
	    st.st_nlink != 1) {
		errno = EEXIST;
		goto fail;
	}
	if (gid != (gid_t)-1 && st.st_gid != gid &&
	    fchownat(fd, "", (uid_t)-1, gid, AT_EMPTY_PATH) == -1)
		goto fail;
	/*
	 * Only a default ACL on the directory overrides the umask.  An O_PATH
	 * descriptor takes no fchmod(); its /proc link names that inode and
	 * no other, whatever happens to the name.
	 */
	if ((st.st_mode & 07777) != mode) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (chmod(proc, mode) == -1)
			goto fail;
	}
	ctl.dev = st.st_dev;
	ctl.ino = st.st_ino;
	(void)close(fd);
	return 0;
fail:
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}

static int
make_socket(const char *path, const struct config *conf)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	gid_t gid = conf->control_group != NULL ? conf->control_gid :
	    (gid_t)-1;
	/* Never reachable by others, not even for a moment after bind(). */
	mode_t mode = gid != (gid_t)-1 ? 0660 : 0600, old;
	int fd, r, saved;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* ctl.base points into ctl.path: conf goes at a reload. */
	snprintf(ctl.path, sizeof(ctl.path), "%s", path);
	if ((ctl.dir = trustdir_open(ctl.path, &ctl.base)) == -1)
		return -1;
	/* Relative: bound and connected to in ctl.dir (sock_in_dir). */
	strcpy(sa.sun_path, ctl.base);
	if (clear_stale(&sa) == -1)
		goto fail;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		goto fail;
	old = umask(~mode & 0777);
	r = sock_in_dir(ctl.dir, fd, &sa, true);
	saved = errno;
	(void)umask(old);
	if (r == -1) {
		(void)close(fd);
		errno = saved;
		goto fail;
	}
	if (check_socket(gid, mode) == -1 || listen(fd, 64) == -1) {
		saved = errno;
		/* Only the socket made here, never what replaced it. */
		if (errno != EEXIST)
			(void)unlinkat(ctl.dir, ctl.base, 0);
		(void)close(fd);
		errno = saved;
		goto fail;
	}
	return fd;
fail:
	saved = errno;
	(void)close(ctl.dir);
	ctl.dir = -1;
	errno = saved;
	return -1;
}

int
control_init(struct ev_loop *loop, const struct config *conf)
{
	const char *path = conf->control_socket;
	bool configured = path != NULL;

	ctl.loop = loop;
	ctl.uid = geteuid();
	ctl.gid = conf->control_group != NULL ? conf->control_gid : (gid_t)-1;
	if (path == NULL)
		path = control_default_path();
	if (path != NULL && strcmp(path, "none") == 0)
		return 0;
	if (path == NULL) {
		log_warnx("no control socket: not root and no XDG_RUNTIME_DIR "
		    "(set control_socket to have one)");
		return 0;
	}
	ctl.fd = make_socket(path, conf);
	if (ctl.fd == -1) {
		if (configured) {
			log_error("unable to create control socket %s", path);
			return -1;
		}
		log_warn("unable to create control socket %s; running without",
		    path);
		return 0;
	}
	ev_io_init(&ctl.accept_w, accept_cb, ctl.fd, EV_READ);
	ev_io_start(loop, &ctl.accept_w);
	/* Armed by ev_timer_again(): a stopped timer keeps what was left. */
	ev_timer_init(&ctl.pause_w, pause_cb, 0, CONTROL_PAUSE_S);
	log_debug("control socket %s", path);
	return 0;
}

void
control_free(void)
{
	struct stat st;

	while (ctl.clients != NULL)
		client_close(ctl.clients);
	if (ctl.fd == -1)
		return;
	ev_io_stop(ctl.loop, &ctl.accept_w);
	ev_timer_stop(ctl.loop, &ctl.pause_w);
	(void)close(ctl.fd);
	ctl.fd = -1;
	/*
	 * Removed relative to its directory, and only if the name is still
	 * the socket made at start-up: whoever can write the directory may
	 * have put something else there.
	 */
	if (fstatat(ctl.dir, ctl.base, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT)
			log_warn("unable to remove control socket %s", ctl.path);
	} else if (st.st_dev != ctl.dev || st.st_ino != ctl.ino)
		log_warnx("control socket %s was replaced by someone else; "
		    "leaving it", ctl.path);
	else if (unlinkat(ctl.dir, ctl.base, 0) == -1 && errno != ENOENT)
		log_warn("unable to remove control socket %s", ctl.path);
	(void)close(ctl.dir);
	ctl.dir = -1;
}
