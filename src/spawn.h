/*
 * fork + exec of services and hooks.  The child reports a failure before
 * exec as {stage, errno} through a close-on-exec pipe and exits 127 (not
 * found) or 126 (anything else), as a shell would; the parent learns of a
 * successful exec when that pipe reaches end-of-file.
 */
#ifndef CORRAL_SPAWN_H
#define CORRAL_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

#define SPAWN_STAGES(X)							\
	X(SETSID, "create a session for")				\
	X(TTY, "give the terminal to")					\
	X(STDIN, "open /dev/null as stdin for")				\
	X(STDOUT, "set up stdout and stderr for")			\
	X(LIMIT, "set a resource limit for")				\
	X(GROUPS, "set the supplementary groups for")			\
	X(SETGID, "set the group of")					\
	X(SETUID, "set the user of")					\
	X(CHDIR, "change to the directory of")				\
	X(SOCKETS, "pass the listening sockets to")			\
	X(EXEC, "execute")

#define AS_SPAWN_ENUM(e, s) SPAWN_##e,
enum spawn_stage { SPAWN_STAGES(AS_SPAWN_ENUM) SPAWN__COUNT };

struct spawn_error {
	int		 stage;		/* enum spawn_stage */
	int		 err;		/* errno */
	int		 detail;	/* LIMIT: which limit */
};

/*
 * What the child becomes.  Privileges are dropped in the only safe order,
 * supplementary groups, then gid, then uid, after the resource limits
 * (raising a hard limit needs root) and before chdir (the directory is
 * entered with the service's own rights).
 */
struct spawn_req {
	char *const	*argv;
	char *const	*envp;
	const char	*directory;	/* NULL: corral's */
	int		 out_fd;	/* stdout, or -1 to inherit corral's */
	int		 err_fd;	/* stderr, or -1 to inherit corral's */
	const struct limit *limits;	/* LIMIT__COUNT entries, or NULL */
	int		 umask;		/* -1: corral's */
	bool		 set_ids;
	uid_t		 uid;
	gid_t		 gid;
	const gid_t	*groups;	/* with set_ids, when corral is root */
	int		 ngroups;	/* -1: leave the groups alone */
	/*
	 * A terminal on fd 0 (single-command mode, as tini): instead of a
	 * session of its own, the child gets a process group in corral's
	 * session, the terminal's foreground, and the terminal as stdin.
	 */
	bool		 foreground;
	/*
	 * Listening sockets (SPEC §15): they become fds 3, 4, ... in the
	 * child, which writes its own pid into pid_env, an entry of envp
	 * ("LISTEN_PID=" and room for the digits), as sd_listen_fds(3) wants.
	 */
	const int	*fds;
	int		 nfds;
	char		*pid_env;
};

/* The listening sockets one child may get. */
#define SPAWN_FDS_MAX		64

/* Room for the digits of a pid after "LISTEN_PID=". */
#define SPAWN_PID_DIGITS	12

/*
 * Starts argv in a new session.  On success returns the pid and stores the
 * read end of the exec-status pipe (non-blocking, close-on-exec) in
 * *status_fd.  On failure of pipe() or fork() returns -1 with errno set.
 */
pid_t	spawn_start(const struct spawn_req *req, int *status_fd);

/*
 * Reads the exec-status pipe.  Returns 1 when the exec succeeded (EOF),
 * 0 when the child reported an error (stored in *e), -1 when nothing can be
 * read yet (EAGAIN).  Closes nothing.
 */
int	spawn_read_status(int fd, struct spawn_error *e);

/* "execute" style text for a failed stage. */
const char *spawn_stage_text(int stage);

/* The config key of resource limit i ("limit_nofile"). */
const char *spawn_limit_key(int i);

/*
 * The environment of a child: corral's own, minus the variables that belong
 * to corral's supervisor (NOTIFY_SOCKET, WATCHDOG_*), with extra (KEY=VALUE,
 * later ones win) on top.  One allocation: free() the result; the strings
 * are not copied.
 */
char	**spawn_environment(char *const *extra, size_t nextra);

#endif
