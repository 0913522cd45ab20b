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
#include "filesink.h"
#include "journal.h"
#include "log.h"
#include "output.h"
#include "sockets.h"
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
	return kind == CHILD_MAIN && config_log_probe(c) != NULL;
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
	int		 pipes[2][2];	/* corral reads: stdout, stderr */
	int		 fd;		/* output = null */
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

/* How a child's stdout and stderr are given to it. */
enum child_out { CO_INHERIT, CO_NULL, CO_PIPES };

/* The sinks corral writes a service's lines to itself. */
static unsigned
read_sinks(const struct svc_conf *c)
{
	return c->output.sinks & (OUT_PREFIX | OUT_JOURNAL | OUT_FILE);
}

/* The descriptors of the child's stdout and stderr.  0, or -1 logged. */
static int
prepare_output(const struct svc_conf *c, enum child_out mode,
    const char *what, struct spawn_req *req, struct child_io *io)
{
	switch (mode) {
	case CO_INHERIT:
		break;
	case CO_PIPES:
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
	case CO_NULL:
		/* corral's own /dev/null: no path a service can change. */
		io->fd = open("/dev/null", O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (io->fd == -1) {
			log_warn("%s: unable to open /dev/null for %s%s",
			    c->name, what, c->name);
			return -1;
		}
		req->out_fd = req->err_fd = io->fd;
		break;
	}
	return 0;
}

static struct service_io *
service_io(struct service *s)
{
	if (s->io == NULL && (s->io = calloc(1, sizeof(*s->io))) != NULL)
		for (int k = 0; k < 2; k++)
			s->io->out[k].fd = s->io->hook_out[k].fd = -1;
	return s->io;
}

static void
free_files(struct service_io *io)
{
	for (size_t i = 0; i < io->nfiles; i++)
		filesink_free(&io->files[i]);
	free(io->files);
	io->files = NULL;
	io->nfiles = 0;
}

/* Whether the service's file sinks are those its settings name. */
static bool
files_match(const struct service_io *io, const struct svc_conf *c)
{
	if (io->nfiles != c->output.nfiles)
		return false;
	for (size_t i = 0; i < io->nfiles; i++)
		if (strcmp(io->files[i].path, c->output.files[i]) != 0 ||
		    io->files[i].max != c->rare->output_max_size ||
		    io->files[i].keep != c->rare->output_keep)
			return false;
	return true;
}

/*
 * The file sinks, with the rights the child will have (SPEC §12), so that
 * a symlink or link its user planted leads nowhere that user could not
 * write already.  One that cannot be opened is reported (filesink.c) and
 * the child starts all the same, its other sinks working (SPEC §16).
 * Returns 0, or -1 when out of memory (logged).
 */
static int
prepare_files(struct service *s, const struct spawn_req *req)
{
	const struct svc_conf *c = s->conf;
	struct service_io *io = service_io(s);

	if (io == NULL)
		goto oom;
	/* Streams still being read keep the files they write to. */
	if (!files_match(io, c) && !output_stream_open_p(&io->out[0]) &&
	    !output_stream_open_p(&io->out[1]) &&
	    !output_stream_open_p(&io->hook_out[0]) &&
	    !output_stream_open_p(&io->hook_out[1])) {
		free_files(io);
		if ((io->files = calloc(c->output.nfiles,
		    sizeof(*io->files))) == NULL)
			goto oom;
		for (; io->nfiles < c->output.nfiles; io->nfiles++)
			if (filesink_init(&io->files[io->nfiles], c->name,
			    c->output.files[io->nfiles],
			    c->rare->output_max_size,
			    c->rare->output_keep) == -1)
				return -1;
	}
	for (size_t i = 0; i < io->nfiles; i++) {
		if (filesink_set_creds(&io->files[i], req->uid, req->gid,
		    req->groups, req->ngroups) == -1)
			goto oom;
		filesink_open(&io->files[i]);
	}
	return 0;
oom:
	log_errorx("%s: out of memory for its output files", c->name);
	return -1;
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
 * Checks say what they found by their exit status, not their output.
 * stop_command runs beside the main process and the hook, whose pipes are
 * taken: its lines go straight to corral's own, unless output is null.
 * corral reads the others' pipes whenever it writes their lines somewhere,
 * or a log: probe or the output buffer (of the main process) wants them.
 */
static enum child_out
child_out(const struct svc_conf *c, enum child_kind kind)
{
	if (is_check(kind))
		return CO_NULL;
	if (kind == CHILD_STOP)
		return c->output.sinks == OUT_NULL ? CO_NULL : CO_INHERIT;
	if (read_sinks(c) != 0 || taps_output(c, kind) ||
	    (kind == CHILD_MAIN && c->output_buffer > 0))
		return CO_PIPES;
	return c->output.sinks == OUT_NULL ? CO_NULL : CO_INHERIT;
}

/*
 * Fills req with what conf asks for and opens the descriptors the child
 * needs.  Returns 0, or -1 with errno set and a message logged.
 */
static int
prepare(struct service *s, enum child_kind kind, struct spawn_req *req,
    struct child_io *io)
{
	const struct svc_conf *c = s->conf;
	const char *what = kind == CHILD_HOOK ? "cleanup hook of " :
	    kind == CHILD_PREPARE ? "prepare of " :
	    kind == CHILD_STOP ? "stop_command of " :
	    is_check(kind) ? "check of " : "";
	enum child_out mode = child_out(c, kind);
	int saved;

	memset(io, 0, sizeof(*io));
	io->pipes[0][0] = io->pipes[0][1] = io->pipes[1][0] = io->pipes[1][1] = -1;
	io->fd = -1;
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
	if (mode == CO_PIPES && (c->output.sinks & OUT_FILE) &&
	    prepare_files(s, req) == -1)
		goto fail;
	if (prepare_output(c, mode, what, req, io) == -1)
		goto fail;
	return 0;
fail:
	saved = errno;
	io_abort(io);
	errno = saved;
	return -1;
}

/* Where the lines of s's processes go; journal without one is prefix. */
static struct output_route
route_of(const struct service *s)
{
	const struct svc_conf *c = s->conf;
	struct output_route r = {
		.sinks = read_sinks(c),
		.files = s->io->files,
		.nfiles = s->io->nfiles,
		.timestamps = c->rare->output_timestamps,
	};

	if ((r.sinks & OUT_JOURNAL) && !journal_available())
		r.sinks = (r.sinks & ~OUT_JOURNAL) | OUT_PREFIX;
	return r;
}

/* After fork: the parent keeps only the read ends, and reads them. */
static void
attach_output(struct service *s, enum child_kind kind, struct child_io *io)
{
	bool hook = kind == CHILD_HOOK || kind == CHILD_PREPARE;
	struct output_stream *out;
	struct output_route route;
	char prefix[sizeof(out->prefix)];

	io_close_child_ends(io);
	if (io->pipes[0][0] == -1)
		return;
	if (service_io(s) == NULL) {
		log_errorx("%s: out of memory; its output is lost",
		    s->conf->name);
		io_abort(io);
		return;
	}
	out = hook ? s->io->hook_out : s->io->out;
	route = route_of(s);
	snprintf(prefix, sizeof(prefix), "%s%s", s->conf->name,
	    kind == CHILD_PREPARE ? "/prepare" : hook ? "/cleanup" : "");
	for (int i = 0; i < 2; i++) {
		output_stream_open(&out[i], io->pipes[i][0],
		    i == 0 ? STDOUT_FILENO : STDERR_FILENO, prefix,
		    hook ? hook_eof_fn : main_eof_fn, s);
		output_stream_route(&out[i], &route);
		/* Both streams of a main process go past its log: probe. */
		if (taps_output(s->conf, kind))
			output_stream_tap(&out[i], main_line_fn);
		/* Only the main process's lines are kept for `corralctl logs`. */
		if (kind == CHILD_MAIN)
			out[i].logbuf = s->logbuf;
	}
}

void
children_reopen(struct service *s)
{
	if (s->io != NULL)
		for (size_t i = 0; i < s->io->nfiles; i++)
			filesink_reopen(&s->io->files[i]);
}

void
children_release(struct service *s)
{
	if (s->io == NULL)
		return;
	for (int k = 0; k < 2; k++) {
		output_stream_close(&s->io->out[k]);
		output_stream_close(&s->io->hook_out[k]);
	}
	free_files(s->io);
	free(s->io);
	s->io = NULL;
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
