/*
 * Process creation.  Between vfork() and exec() the child only makes
 * system calls: everything that allocates (argv, the environment, the
 * supplementary groups, the /dev/null descriptor) is prepared by the
 * parent, and the child writes no memory the parent reads but the
 * exec-status pipe's record, which it sends through the pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sigraw.h"
#include "spawn.h"

extern char **environ;

#define AS_TEXT(e, s) [SPAWN_##e] = s,
static const char *const stage_texts[SPAWN__COUNT] = { SPAWN_STAGES(AS_TEXT) };
#undef AS_TEXT

const char *
spawn_stage_text(int stage)
{
	if (stage < 0 || stage >= SPAWN__COUNT)
		return "start";
	return stage_texts[stage];
}

#define AS_KEY(name, res) "limit_" #name,
static const char *const limit_keys[LIMIT__COUNT] = { SVC_LIMITS(AS_KEY) };
#undef AS_KEY
#define AS_RES(name, res) res,
static const int limit_resources[LIMIT__COUNT] = { SVC_LIMITS(AS_RES) };
#undef AS_RES

const char *
spawn_limit_key(int i)
{
	return i >= 0 && i < LIMIT__COUNT ? limit_keys[i] : "limit";
}

/* Never returns. */
static void
child_fail_detail(int fd, enum spawn_stage stage, int err, int detail)
{
	struct spawn_error e = { .stage = stage, .err = err, .detail = detail };

	/* Nothing can be done about a failed write: the exit code remains. */
	(void)!write(fd, &e, sizeof(e));
	_exit(err == ENOENT && stage == SPAWN_EXEC ? 127 : 126);
}

static void
child_fail(int fd, enum spawn_stage stage, int err)
{
	child_fail_detail(fd, stage, err, 0);
}

/*
 * Every descriptor above 2 must close on exec, including any that corral
 * inherited without O_CLOEXEC from whoever started it.
 */
static void
cloexec_from_3(void)
{
	struct rlimit rl;

	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur > 65536)
		rl.rlim_cur = 65536;
	for (int fd = 3; fd < (int)rl.rlim_cur; fd++)
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);	/* EBADF expected */
}

/*
 * The listening sockets become 3, 4, ... without close-on-exec.  Each goes
 * through a copy above them first, so that moving one cannot clobber
 * another that sits where it must go.  The child's own stack and pid_env
 * are the only memory written (the parent waits, and reads neither).
 */
static void
child_fds(const struct spawn_req *req, int *errfdp)
{
	int tmp[SPAWN_FDS_MAX], k = 0, errfd = *errfdp;
	char digits[SPAWN_PID_DIGITS], *p;
	pid_t pid;

	/* The exec-status pipe may sit where a socket must go: move it too. */
	if ((errfd = fcntl(errfd, F_DUPFD_CLOEXEC, 3 + req->nfds)) == -1)
		child_fail(*errfdp, SPAWN_SOCKETS, errno);
	*errfdp = errfd;
	for (int i = 0; i < req->nfds; i++)
		if ((tmp[i] = fcntl(req->fds[i], F_DUPFD_CLOEXEC,
		    3 + req->nfds)) == -1)
			child_fail(errfd, SPAWN_SOCKETS, errno);
	for (int i = 0; i < req->nfds; i++)
		if (dup2(tmp[i], 3 + i) == -1)
			child_fail(errfd, SPAWN_SOCKETS, errno);
	if (req->pid_env == NULL)
		return;
	pid = getpid();
	do
		digits[k++] = (char)('0' + pid % 10);
	while ((pid /= 10) > 0 && k < SPAWN_PID_DIGITS);
	p = req->pid_env + sizeof("LISTEN_PID=") - 1;
	while (k > 0)
		*p++ = digits[--k];
	*p = '\0';
}

static void
child(const struct spawn_req *req, int errfd, int nullfd)
{
	sigset_t empty;

	/* Dispositions first, so nothing corral ignores stays ignored. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sig_disposition(sig, SIG_DFL);
	sigemptyset(&empty);
	if (req->foreground) {
		sigset_t ttou;

		/* tcsetpgrp() from a background group stops it unless blocked. */
		sigemptyset(&ttou);
		sigaddset(&ttou, SIGTTOU);
		(void)sigprocmask(SIG_SETMASK, &ttou, NULL);
		if (setpgid(0, 0) == -1 || tcsetpgrp(STDIN_FILENO, getpid()) == -1)
			child_fail(errfd, SPAWN_TTY, errno);
	} else {
		if (setsid() == -1)
			child_fail(errfd, SPAWN_SETSID, errno);
		if (dup2(nullfd, STDIN_FILENO) == -1)
			child_fail(errfd, SPAWN_STDIN, errno);
	}
	(void)sigprocmask(SIG_SETMASK, &empty, NULL);
	if ((req->out_fd != -1 && dup2(req->out_fd, STDOUT_FILENO) == -1) ||
	    (req->err_fd != -1 && dup2(req->err_fd, STDERR_FILENO) == -1))
		child_fail(errfd, SPAWN_STDOUT, errno);
	cloexec_from_3();
	if (req->nfds > 0)
		child_fds(req, &errfd);
	for (int i = 0; req->limits != NULL && i < LIMIT__COUNT; i++) {
		struct rlimit rl = {
			.rlim_cur = req->limits[i].soft,
			.rlim_max = req->limits[i].hard,
		};

		if (req->limits[i].set &&
		    setrlimit(limit_resources[i], &rl) == -1)
			child_fail_detail(errfd, SPAWN_LIMIT, errno, i);
	}
	if (req->umask != -1)
		(void)umask((mode_t)req->umask);
	if (req->set_ids) {
		if (req->ngroups >= 0 &&
		    setgroups((size_t)req->ngroups, req->groups) == -1)
			child_fail(errfd, SPAWN_GROUPS, errno);
		if (setgid(req->gid) == -1)
			child_fail(errfd, SPAWN_SETGID, errno);
		if (setuid(req->uid) == -1)
			child_fail(errfd, SPAWN_SETUID, errno);
	}
	if (req->directory != NULL && chdir(req->directory) == -1)
		child_fail(errfd, SPAWN_CHDIR, errno);
	execvpe(req->argv[0], req->argv, req->envp);
	child_fail(errfd, SPAWN_EXEC, errno);
}

/*
 * The children's stdin, opened once and kept (close-on-exec): a start of
 * a hundred services, or a crash loop, saves an open and a close each.
 */
static int
null_fd(void)
{
	static int fd = -1;

	if (fd == -1)
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd;
}

pid_t
spawn_start(const struct spawn_req *req, int *status_fd)
{
	sigset_t all, old;
	int p[2], nullfd, saved;
	pid_t pid;

	if ((nullfd = null_fd()) == -1)
		return -1;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	/*
	 * vfork(): the child borrows corral's memory until it execs, so a
	 * start costs no page-table copy (fork() was half of corral's CPU in
	 * a crash loop).  All signals stay blocked until the child has reset
	 * every handler, so none of corral's handlers can run in it, touching
	 * memory the parent owns.  The child only makes system calls, and
	 * exits through execve() or _exit().
	 */
	(void)sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, &old);
	pid = vfork();
	if (pid == 0) {
		(void)close(p[0]);
		child(req, p[1], nullfd);
	}
	saved = errno;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	(void)close(p[1]);
	if (pid == -1) {
		(void)close(p[0]);
		errno = saved;
		return -1;
	}
	*status_fd = p[0];
	return pid;
}

int
spawn_read_status(int fd, struct spawn_error *e)
{
	ssize_t r;

	do
		r = read(fd, e, sizeof(*e));
	while (r == -1 && errno == EINTR);
	if (r == -1 && errno == EAGAIN)
		return -1;
	if (r == (ssize_t)sizeof(*e))
		return 0;
	if (r == -1) {
		e->stage = -1;
		e->err = errno;
		return 0;
	}
	return 1;
}

static bool
is_supervisor_var(const char *kv)
{
	static const char *const names[] = {
		"NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID=",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(kv, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

static bool
overridden(const char *kv, char *const *extra, size_t nextra)
{
	size_t n = strcspn(kv, "=");

	for (size_t i = 0; i < nextra; i++)
		if (strncmp(kv, extra[i], n) == 0 && extra[i][n] == '=')
			return true;
	return false;
}

char **
spawn_environment(char *const *extra, size_t nextra)
{
	size_t n = 0, k = 0;
	char **env;

	for (char **e = environ; *e != NULL; e++)
		n++;
	env = malloc((n + nextra + 1) * sizeof(*env));
	if (env == NULL)
		return NULL;
	/* Pointers into environ and extra stay valid while the child starts. */
	for (char **e = environ; *e != NULL; e++)
		if (!is_supervisor_var(*e) && !overridden(*e, extra, nextra))
			env[k++] = *e;
	for (size_t i = 0; i < nextra; i++)
		if (!overridden(extra[i], extra + i + 1, nextra - i - 1))
			env[k++] = extra[i];
	env[k] = NULL;
	return env;
}
