/*
 * The integration harness: runs the real build/corral with real children and
 * gives the tests bounded waits on what those children leave behind.
 *
 * Every test runs in a process of its own (Check's CK_FORK) that is a child
 * subreaper, so whatever corral leaves behind, or whatever is orphaned when
 * corral dies, stays in the test's process tree and is killed by pid when the
 * test ends.  The runner is a subreaper too and sweeps its own tree after
 * each test, which catches what a failed or timed-out test (Check _exit()s
 * it without running the teardown) left behind.
 *
 * Each test gets a directory of its own, named after the test under one
 * directory per run; a test that passes removes its directory, a failed one
 * keeps it for a post-mortem.  Configs name that directory @T@ and the
 * directory of the helper programs (tests/integration/svc/) @SVC@.
 *
 * Waits never sleep "long enough": file waits block in poll() on an inotify
 * descriptor, process waits on a pidfd.  Only what the kernel announces
 * nowhere (zombies, context switches, a new process under unshare) is
 * sampled from /proc, every few milliseconds, and always within a bound.
 *
 * Strings the harness returns live until the end of the test.
 */
#ifndef CORRAL_TEST_HARNESS_H
#define CORRAL_TEST_HARNESS_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/* Bound of a wait for something corral should do at once. */
#define H_WAIT_MS	5000

/* A process the test started: corral, or unshare running corral. */
struct passwd;

struct h_proc {
	pid_t		 pid;		/* what the harness forked */
	pid_t		 corral;	/* corral itself: pid, or unshare's child */
	int		 pidfd;
	bool		 reaped;
	int		 status;	/* wait status, once reaped */
	const char	*out;		/* file holding its stdout */
	const char	*err;		/* file holding its stderr */
};

/* A line "LABEL PID NS [REST]" written by the svc programs. */
struct h_event {
	char		 label[64];
	pid_t		 pid;
	int64_t		 ns;		/* CLOCK_MONOTONIC */
	char		 rest[512];
};

/* The runner (check_integration.c). */
void		 h_runner_init(void);
void		 h_runner_finish(bool passed);
void		 h_add(Suite *s, const TTest *t, double timeout_s);

Suite		*suite_check_cli(void);
Suite		*suite_shutdown(void);
Suite		*suite_signals(void);
Suite		*suite_pid1(void);
Suite		*suite_spawn(void);
Suite		*suite_single(void);
Suite		*suite_restart(void);
Suite		*suite_exhaustion(void);
Suite		*suite_notify(void);
Suite		*suite_tty(void);
Suite		*suite_deps(void);
Suite		*suite_checks(void);
Suite		*suite_control(void);
Suite		*suite_reload(void);
Suite		*suite_exec_env(void);
Suite		*suite_output(void);
Suite		*suite_trust(void);
Suite		*suite_compose(void);
Suite		*suite_kinds(void);
Suite		*suite_sockets(void);
Suite		*suite_watch(void);
Suite		*suite_probes(void);
Suite		*suite_metrics(void);
Suite		*suite_onstate(void);
Suite		*suite_logs(void);
Suite		*suite_sinks(void);

/* Paths and files. */
const char	*h_dir(void);
const char	*h_path(const char *name);
const char	*h_svc(const char *prog);
char		*h_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char	*h_write(const char *name, const char *text);
/* A directory in the test's directory, with mode and owner; its path. */
const char	*h_mkdir(const char *name, mode_t mode, uid_t uid, gid_t gid);
char		*h_read(const char *path);
const char	*h_tail(const char *path);
int		 h_count_lines(const char *path, const char *text);

/*
 * How h_spawn() starts a process; NULL: as the test's user, with every
 * signal at its default disposition (whatever the test inherited, e.g. the
 * two that GNU make leaves ignored).
 */
struct h_spawn_opts {
	const char	*user;		/* name or number; NULL: the test's own */
	uint64_t	 ignored;	/* bit N-1 set: signal N starts ignored */
	rlim_t		 nproc;		/* 0, or RLIMIT_NPROC (soft and hard) */
};

/*
 * Starting and ending processes.  h_corral() and h_corral_pid1() write the
 * config as corral.conf (@T@ and @SVC@ replaced, and control_socket = none
 * added unless it names one) and start `corral -c` on it.
 */
struct h_proc	*h_spawn(const char *tag, const struct h_spawn_opts *o,
		    const char *const *argv);
struct h_proc	*h_corral(const char *conf);
struct h_proc	*h_corral_args(const char *tag, const char *arg, ...)
		    __attribute__((sentinel));
struct h_proc	*h_corral_pid1(const char *conf);
void		 h_signal(struct h_proc *p, int sig);
bool		 h_wait_exit(struct h_proc *p, int timeout_ms);
void		 h_expect_exit(struct h_proc *p, int code, int timeout_ms);
const char	*h_ctx(struct h_proc *p);

/*
 * Waits; each returns whether the condition came true within the bound,
 * which is multiplied by h_slowdown(): CORRAL_TEST_SLOWDOWN, for runs under
 * valgrind (default 1).
 */
int		 h_slowdown(void);
bool		 h_wait_until(bool (*pred)(const void *), const void *arg,
		    int timeout_ms);
/*
 * What pid's descriptors point at, one per line between newlines: a socket
 * or a pipe by its inode, a file by its path; and how many it has.
 */
char		*h_fd_targets(pid_t pid);
int		 h_count_fds(pid_t pid);
/*
 * h_wait_until() for a predicate on path: h_wait_until() wakes on changes
 * in the test's directory, so a file in another (a service's logs/, say)
 * has its directory watched too, or is polled when that directory is not
 * there yet; else nothing would wake the wait when the file comes.
 */
bool		 h_wait_on(const char *path, bool (*pred)(const void *),
		    const void *arg, int timeout_ms);
/*
 * Whether the pipe (or FIFO) whose read end is fd is full: a writer's
 * poll() would not say POLLOUT.  Asked through a write end of its own,
 * opened and closed again, so that the reader still sees EOF later.
 */
bool		 h_pipe_full(int fd);

/* User nobody, or NULL after a SKIP line when corral cannot switch users. */
struct passwd	*h_nobody_or_skip(void);
bool		 h_poll_until(bool (*pred)(const void *), const void *arg,
		    int timeout_ms);
bool		 h_wait_file(const char *path, int timeout_ms);
bool		 h_wait_text(const char *path, const char *text, int timeout_ms);
bool		 h_wait_lines(const char *path, const char *text, int n,
		    int timeout_ms);
bool		 h_wait_events(const char *path, const char *label, int n,
		    int timeout_ms);
bool		 h_wait_gone(pid_t pid, int timeout_ms);

/* Records of the svc programs. */
int		 h_events(const char *path, const char *label,
		    struct h_event *ev, int max);
int		 h_event_count(const char *path, const char *label);
struct h_event	 h_event(const char *path, const char *label, int nth);

/* /proc. */
struct h_pstat {
	char		 state;
	pid_t		 ppid;
	pid_t		 pgrp;
	pid_t		 sid;
};
bool		 h_pstat(pid_t pid, struct h_pstat *st);
bool		 h_alive(pid_t pid);
int		 h_zombies_of(pid_t parent);
long long	 h_status_num(pid_t pid, const char *field);
char		*h_status_str(pid_t pid, const char *field);

/* Time. */
int64_t		 h_now_ns(void);
void		 h_sleep_ms(int ms);

#define H_MS(ns)	((double)(ns) / 1e6)

#endif
