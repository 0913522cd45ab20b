/*
 * How a service's processes are made: its main process, its cleanup hook
 * and its checks.  Everything the child needs (environment, groups, output
 * descriptors) is prepared here in the parent, so that between vfork() and
 * exec() spawn.c only makes system calls.  Nothing here calls back into
 * its callers but through the callbacks of children_init().
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "children.h"
#include "creds.h"
#include "sockets.h"
#include "log.h"
#include "output.h"
#include "spawn.h"

static children_eof_fn	*main_eof_fn;
static children_eof_fn	*hook_eof_fn;
static children_line_fn	*main_line_fn;

void
children_init(children_eof_fn *main_eof, children_eof_fn *hook_eof)
{
	main_eof_fn = main_eof;
	hook_eof_fn = hook_eof;
}

void
children_on_line(children_line_fn *fn)
{
	main_line_fn = fn;
}

/*
 * Whether corral reads this child's lines whatever its sinks: for the log:
 * probe of c, or for its output_buffer.
 */
static bool
taps_output(const struct svc_conf *c, enum child_kind kind)
{
	return kind == CHILD_MAIN && (config_log_probe(c) != NULL ||
	    c->output_buffer > 0);
}

static char *
strcat_dup(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p = malloc(la + lb + 1);

	if (p != NULL) {
		memcpy(p, a, la);
		memcpy(p + la, b, lb + 1);
	}
	return p;
}

/* Strings made for one environment, freed once the child has started. */
struct env_strings {
	char		*s[5];
};

/*
 * The environment of a service or hook: corral's, then HOME, USER and
 * LOGNAME of its user, then its env_file's and `environment`, then
 * CORRAL_SERVICE, CORRAL_INSTANCE of an instance, and `more`; a later one
 * of the same name wins.
 */
static char **
service_env(const struct service *s, char *const *more, size_t nmore,
    struct env_strings *own)
{
	const struct svc_conf *c = s->conf;
	char **extra, **env = NULL;
	size_t n = 0;

	memset(own, 0, sizeof(*own));
	extra = malloc((3 + c->nenv + 2 + nmore) * sizeof(*extra));
	if (extra == NULL)
		return NULL;
	if (c->has_passwd) {
		own->s[0] = strcat_dup("HOME=", c->home);
		own->s[1] = strcat_dup("USER=", c->user_name);
		own->s[2] = strcat_dup("LOGNAME=", c->user_name);
		if (own->s[0] == NULL || own->s[1] == NULL || own->s[2] == NULL)
			goto out;
		for (size_t i = 0; i < 3; i++)
			extra[n++] = own->s[i];
	}
	for (size_t i = 0; i < c->nenv; i++)
		extra[n++] = c->env[i];
	if ((own->s[3] = strcat_dup("CORRAL_SERVICE=", c->name)) == NULL)
		goto out;
	extra[n++] = own->s[3];
	if (c->instance >= 0) {
		if (asprintf(&own->s[4], "CORRAL_INSTANCE=%d", c->instance) == -1) {
			own->s[4] = NULL;
			goto out;
		}
		extra[n++] = own->s[4];
	}
	for (size_t i = 0; i < nmore; i++)
		extra[n++] = more[i];
	env = spawn_environment(extra, n);
out:
	free(extra);
	return env;
}

/* Frees what service_env() made, whether it succeeded or not. */
static void
free_env(char **env, struct env_strings *own)
{
	for (size_t i = 0; i < 5; i++)
		free(own->s[i]);
	free(env);
}


/* Descriptors prepared for one spawn, closed in the parent afterwards. */
struct child_io {
	int		 pipes[2][2];	/* output = prefix: stdout, stderr */
	int		 fd;		/* output = null or file */
	int		 tap_fd;	/* the file corral writes for a log: probe */
	enum output_dest tap_dest;
	gid_t		*groups;
};

static void
io_close_child_ends(struct child_io *io)
{
	for (int i = 0; i < 2; i++)
		if (io->pipes[i][1] != -1) {
			(void)close(io->pipes[i][1]);
			io->pipes[i][1] = -1;
		}
	if (io->fd != -1) {
		(void)close(io->fd);
		io->fd = -1;
	}
	free(io->groups);
	io->groups = NULL;
}

static void
io_abort(struct child_io *io)
{
	for (int i = 0; i < 2; i++)
		if (io->pipes[i][0] != -1) {
			(void)close(io->pipes[i][0]);
			io->pipes[i][0] = -1;
		}
	if (io->tap_fd != -1) {
		(void)close(io->tap_fd);
		io->tap_fd = -1;
	}
	io_close_child_ends(io);
}

/*
 * The supplementary groups of the child, when corral is root and the
 * service names a user or group: the user's (getgrouplist), or only the
 * group of a user without a passwd entry.  Only root may set groups; anyone
 * else keeps theirs (req->ngroups stays -1).  Returns 0, or -1 with errno.
 */
static int
prepare_groups(const struct svc_conf *c, struct spawn_req *req,
    struct child_io *io)
{
	int n;

	req->groups = NULL;
	req->ngroups = -1;
	if (!req->set_ids || geteuid() != 0)
		return 0;
	n = creds_groups(c->has_passwd ? c->user_name : NULL, req->gid,
	    &io->groups);
	if (n == -1)
		return -1;
	req->groups = io->groups;
	req->ngroups = n;
	return 0;
}

/*
 * Opens an `output = file:` sink with the rights the child will have
 * (SPEC §12), so that a symlink or link its user planted in place of the
 * file leads nowhere that user could not write already.  O_NONBLOCK only
 * for the open: a FIFO put there must not make corral wait for a reader.
 * Returns the descriptor, or -1 with the failure logged.
 */
static int
open_file_sink(const struct svc_conf *c, const struct spawn_req *req,
    const char *what, bool for_corral)
{
	const struct creds cr = { req->uid, req->gid, req->groups,
	    req->ngroups };
	bool nofollow;
	int fd, fl;

	fd = creds_open(&cr, c->output_path, O_WRONLY | O_APPEND | O_CREAT |
	    O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0640, &nofollow);
	if (fd == -1) {
		if (errno == ELOOP && nofollow)
			log_warn("%s: unable to open output file %s for %s%s: "
			    "a symlink in a directory its user can write is "
			    "not followed", c->name, c->output_path, what,
			    c->name);
		else
			log_warn("%s: unable to open output file %s for %s%s",
			    c->name, c->output_path, what, c->name);
		return -1;
	}
	/* corral's own writes stay non-blocking: output.c counts what fails. */
	if (for_corral)
		return fd;
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
		log_warn("%s: unable to make output file %s blocking", c->name,
		    c->output_path);
		(void)close(fd);	/* the failure is already reported */
		return -1;
	}
	return fd;
}

/* The descriptors of the child's stdout and stderr.  0, or -1 logged. */
static int
prepare_output(const struct svc_conf *c, enum output_mode mode,
    const char *what, struct spawn_req *req, struct child_io *io)
{
	switch (mode) {
	case OUTPUT_INHERIT:
		break;
	case OUTPUT_PREFIX:
		if (pipe2(io->pipes[0], O_CLOEXEC) == -1 ||
		    pipe2(io->pipes[1], O_CLOEXEC) == -1 ||
		    fcntl(io->pipes[0][0], F_SETFL, O_NONBLOCK) == -1 ||
		    fcntl(io->pipes[1][0], F_SETFL, O_NONBLOCK) == -1) {
			log_warn("%s: unable to create output pipes for %s%s",
			    c->name, what, c->name);
			return -1;
		}
		req->out_fd = io->pipes[0][1];
		req->err_fd = io->pipes[1][1];
		break;
	case OUTPUT_NULL:
		/* corral's own /dev/null: no path a service can change. */
		io->fd = open("/dev/null", O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (io->fd == -1) {
			log_warn("%s: unable to open /dev/null for %s%s",
			    c->name, what, c->name);
			return -1;
		}
		req->out_fd = req->err_fd = io->fd;
		break;
	case OUTPUT_FILE:
		if ((io->fd = open_file_sink(c, req, what, false)) == -1)
			return -1;
		req->out_fd = req->err_fd = io->fd;
		break;
	}
	return 0;
}

static bool
is_check(enum child_kind kind)
{
	return kind == CHILD_READY_CHECK || kind == CHILD_HEALTH_CHECK;
}

static char *const *
child_argv(const struct svc_conf *c, enum child_kind kind)
{
	switch (kind) {
	case CHILD_MAIN:
		break;
	case CHILD_HOOK:
		return c->cleanup_argv;
	case CHILD_PREPARE:
		return c->rare->prepare_argv;
	case CHILD_STOP:
		return c->rare->stop_command_argv;
	case CHILD_READY_CHECK:
		return c->rare->ready_check_argv;
	case CHILD_HEALTH_CHECK:
		return c->rare->health_check_argv;
	}
	return c->argv;
}

/*
 * Fills req with what conf asks for and opens the descriptors the child
 * needs.  Returns 0, or -1 with errno set and a message logged.
 */
static int
prepare(const struct service *s, enum child_kind kind, struct spawn_req *req,
    struct child_io *io)
{
	const struct svc_conf *c = s->conf;
	const char *what = kind == CHILD_HOOK ? "cleanup hook of " :
	    kind == CHILD_PREPARE ? "prepare of " :
	    kind == CHILD_STOP ? "stop_command of " :
	    is_check(kind) ? "check of " : "";
	/*
	 * Checks say what they found by their exit status, not their output.
	 * stop_command runs beside the main process and the hook, whose pipes
	 * are taken: with prefix, its lines go straight to corral's own.
	 */
	enum output_mode mode = is_check(kind) ? OUTPUT_NULL :
	    kind == CHILD_STOP && c->output == OUTPUT_PREFIX ? OUTPUT_INHERIT :
	    c->output;
	int saved;

	memset(io, 0, sizeof(*io));
	io->pipes[0][0] = io->pipes[0][1] = io->pipes[1][0] = io->pipes[1][1] = -1;
	io->fd = io->tap_fd = -1;
	req->out_fd = req->err_fd = -1;
	req->limits = c->rare->limits;
	req->umask = c->umask;
	req->set_ids = c->user != NULL || c->group != NULL;
	req->uid = c->user != NULL ? c->uid : getuid();
	req->gid = c->group != NULL || c->user != NULL ? c->gid : getgid();
	req->foreground = c->foreground && kind == CHILD_MAIN;
	if (prepare_groups(c, req, io) == -1) {
		log_warn("%s: unable to prepare the start of %s%s", c->name,
		    what, c->name);
		goto fail;
	}
	if (!taps_output(c, kind) || mode == OUTPUT_PREFIX) {
		io->tap_dest = DEST_SINK;
		if (prepare_output(c, mode, what, req, io) == -1)
			goto fail;
		return 0;
	}
	/* A log: probe reads the lines on their way to null or the file. */
	io->tap_dest = mode == OUTPUT_FILE ? DEST_FILE : DEST_NONE;
	if (prepare_output(c, OUTPUT_PREFIX, what, req, io) == -1 ||
	    (mode == OUTPUT_FILE &&
	    (io->tap_fd = open_file_sink(c, req, what, true)) == -1))
		goto fail;
	return 0;
fail:
	saved = errno;
	io_abort(io);
	errno = saved;
	return -1;
}

/* Both streams of a main process go past its log: probe first. */
static void
tap_output(struct service *s, struct child_io *io)
{
	int second = -1;

	if (io->tap_dest == DEST_FILE &&
	    (second = fcntl(io->tap_fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		log_warn("%s: unable to share output file %s between stdout "
		    "and stderr; stderr's lines are dropped", s->conf->name,
		    s->conf->output_path);
	}
	output_stream_tap(&s->io->out[0], main_line_fn, io->tap_dest,
	    io->tap_fd);
	output_stream_tap(&s->io->out[1], main_line_fn,
	    io->tap_dest == DEST_FILE && second == -1 ? DEST_NONE : io->tap_dest,
	    second);
	io->tap_fd = -1;	/* the streams own it now */
}

/* After fork: the parent keeps only the read ends, and reads them. */
static void
attach_output(struct service *s, enum child_kind kind, struct child_io *io)
{
	bool hook = kind == CHILD_HOOK || kind == CHILD_PREPARE;
	struct output_stream *out;
	char prefix[sizeof(out->prefix)];

	io_close_child_ends(io);
	if (io->pipes[0][0] == -1)
		return;
	if (s->io == NULL) {
		if ((s->io = calloc(1, sizeof(*s->io))) == NULL) {
			log_errorx("%s: out of memory; its output is lost",
			    s->conf->name);
			io_abort(io);
			return;
		}
		for (int k = 0; k < 2; k++)
			s->io->out[k].fd = s->io->hook_out[k].fd = -1;
	}
	out = hook ? s->io->hook_out : s->io->out;
	snprintf(prefix, sizeof(prefix), "%s%s", s->conf->name,
	    kind == CHILD_PREPARE ? "/prepare" : hook ? "/cleanup" : "");
	for (int i = 0; i < 2; i++)
		output_stream_open(&out[i], io->pipes[i][0],
		    i == 0 ? STDOUT_FILENO : STDERR_FILENO, prefix,
		    hook ? hook_eof_fn : main_eof_fn, s);
	/* Only the main process's lines are kept for `corralctl logs`. */
	if (kind == CHILD_MAIN)
		for (int i = 0; i < 2; i++)
			out[i].logbuf = s->logbuf;
	if (taps_output(s->conf, kind))
		tap_output(s, io);
}

/*
 * The main process (or hook) ended: its pipes are read until empty, then
 * closed; returns whether they are, or whether they wait for corral's own
 * stdout or stderr to take what they hold (their on_eof says when).
 */
bool
children_finish_output(struct service *s, bool hook)
{
	struct output_stream *out;
	bool done = true;

	if (s->io == NULL)
		return true;
	out = hook ? s->io->hook_out : s->io->out;
	for (int i = 0; i < 2; i++)
		done &= output_stream_finish(&out[i]);
	return done;
}

/* Gives up on the pipes of the main process (or hook): a shutdown's end. */
void
children_abandon_output(struct service *s, bool hook)
{
	if (s->io != NULL)
		for (int i = 0; i < 2; i++)
			output_stream_abandon(hook ? &s->io->hook_out[i] :
			    &s->io->out[i]);
}

bool
children_output_paused(const struct service *s, bool hook)
{
	const struct output_stream *out;

	if (s->io == NULL)
		return false;
	out = hook ? s->io->hook_out : s->io->out;
	return output_stream_paused(&out[0]) || output_stream_paused(&out[1]);
}

bool
children_output_done(const struct service *s, bool hook)
{
	const struct output_stream *out;

	if (s->io == NULL)
		return true;
	out = hook ? s->io->hook_out : s->io->out;
	return !output_stream_open_p(&out[0]) && !output_stream_open_p(&out[1]);
}

/* The sockets of a main process and what sd_listen_fds(3) reads of them. */
struct listen_env {
	int		 fds[SERVICE_FDS_MAX];
	char		 nfds[32];
	char		 names[sizeof("LISTEN_FDNAMES=") + 1024];
	char		 pid[sizeof("LISTEN_PID=") + SPAWN_PID_DIGITS];
	char		*more[8];
};

/*
 * more, and the three LISTEN_ variables when the main process gets
 * sockets (SPEC §15); no other child ever does.  Returns the count.
 */
static size_t
listen_more(const struct service *s, enum child_kind kind, char *const *more,
    size_t nmore, struct listen_env *le, struct spawn_req *req)
{
	size_t n = 0;
	int nfds;

	req->fds = NULL;
	req->nfds = 0;
	req->pid_env = NULL;
	for (size_t i = 0; i < nmore && n < 5; i++)
		le->more[n++] = more[i];
	if (kind != CHILD_MAIN)
		return n;
	nfds = sockets_for(s->conf, le->fds, le->names + 15,
	    sizeof(le->names) - 15);
	if (nfds == 0)
		return n;
	memcpy(le->names, "LISTEN_FDNAMES=", 15);
	snprintf(le->nfds, sizeof(le->nfds), "LISTEN_FDS=%d", nfds);
	/* The child writes its pid over the blanks. */
	snprintf(le->pid, sizeof(le->pid), "LISTEN_PID=%*s", SPAWN_PID_DIGITS,
	    "");
	le->more[n++] = le->nfds;
	le->more[n++] = le->names;
	le->more[n++] = le->pid;
	req->fds = le->fds;
	req->nfds = nfds;
	req->pid_env = le->pid;
	return n;
}

pid_t
children_start(struct service *s, enum child_kind kind, char *const *more,
    size_t nmore, int *status_fd)
{
	char *const *argv = child_argv(s->conf, kind);
	struct spawn_req req;
	struct child_io io;
	struct env_strings own;
	struct listen_env le;
	char **env;
	pid_t pid = -1;
	int saved;

	if (prepare(s, kind, &req, &io) == -1)
		return -1;
	nmore = listen_more(s, kind, more, nmore, &le, &req);
	env = service_env(s, le.more, nmore, &own);
	if (env == NULL)
		errno = ENOMEM;
	else {
		req.argv = argv;
		req.envp = env;
		req.directory = s->conf->directory;
		pid = spawn_start(&req, status_fd);
	}
	saved = errno;
	free_env(env, &own);
	if (pid == -1) {
		io_abort(&io);
		errno = saved;
		/* In a container, EAGAIN is most often docker's --pids-limit. */
		log_warn("%s: unable to start %s%s%s", s->conf->name,
		    kind == CHILD_HOOK ? "cleanup hook " :
		    kind == CHILD_PREPARE ? "prepare " :
		    kind == CHILD_STOP ? "stop_command " :
		    is_check(kind) ? "check " : "", argv[0],
		    saved == EAGAIN ? ", out of processes (RLIMIT_NPROC, "
		    "the cgroup's pids.max or kernel.pid_max)" : "");
		errno = saved;
		return -1;
	}
	attach_output(s, kind, &io);
	return pid;
}
