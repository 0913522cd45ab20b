/*
 * Opening a file with a service's credentials.
 *
 * How: corral switches its own effective ids (setgroups, setresgid,
 * setresuid, in that order, as spawn.c drops them) around the open and
 * takes root's back at once, euid first (it gives back the capabilities
 * that setgroups and setresgid need).  That is sound here because corral
 * is one thread (setresuid() changes the whole process, and no other
 * thread can act meanwhile) and takes its signals through signalfd: no
 * handler can run as the service's user.  The real and saved uid stay 0,
 * so the service's user cannot signal or ptrace corral in the window.
 *
 * Why not a helper child that sends the descriptor back over SCM_RIGHTS:
 * a fork (or vfork plus a socketpair and a message) for every start of a
 * crash-looping service and for every §16 rotation, and a child to wait
 * for, against five system calls here.  Both open with exactly the
 * service's rights; this one cannot fail for lack of processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "creds.h"
#include "log.h"
#include "sysdb.h"

/* corral's own ids, to take back after the open. */
struct saved_ids {
	uid_t		 euid;
	gid_t		 egid;
	gid_t		*groups;
	int		 ngroups;
	int		 dumpable;
};

/*
 * Taking back root's ids can only fail if something outside corral (a
 * seccomp filter, an LSM) refuses it.  corral would then go on as the
 * service's user: every file, socket and child it made after that would
 * be made with the wrong rights, so it stops here, the one fatal error
 * after the loop started (STYLE §2.3.4).
 */
static void __attribute__((noreturn))
lost(const char *path)
{
	log_error("unable to take back corral's own ids after opening %s; "
	    "corral cannot go on safely", path);
	abort();
}

static void
restore(struct saved_ids *sv, const char *path)
{
	if (setresuid(-1, sv->euid, -1) == -1 ||
	    setresgid(-1, sv->egid, -1) == -1 ||
	    setgroups((size_t)sv->ngroups, sv->groups) == -1)
		lost(path);
	free(sv->groups);
	sv->groups = NULL;
	/*
	 * A change of euid makes the kernel mark corral not dumpable (no
	 * core file, /proc/PID readable only with CAP_SYS_PTRACE).
	 */
	if (sv->dumpable == 1 && prctl(PR_SET_DUMPABLE, 1) == -1)
		log_warn("unable to make corral dumpable again after "
		    "opening %s", path);
}

/* Switches to cr's ids; on failure, corral's are back and errno is set. */
static int
become(const struct creds *cr, struct saved_ids *sv, const char *path)
{
	int saved;

	sv->euid = geteuid();
	sv->egid = getegid();
	sv->groups = NULL;
	if ((sv->dumpable = prctl(PR_GET_DUMPABLE)) == -1 ||
	    (sv->ngroups = getgroups(0, NULL)) == -1)
		return -1;
	if ((sv->groups = calloc((size_t)sv->ngroups + 1,
	    sizeof(gid_t))) == NULL)
		return -1;
	if (getgroups(sv->ngroups, sv->groups) == -1)
		goto fail;
	if (setgroups((size_t)cr->ngroups, cr->groups) == -1)
		goto fail;
	if (setresgid(-1, cr->gid, -1) == -1 ||
	    setresuid(-1, cr->uid, -1) == -1) {
		saved = errno;
		restore(sv, path);
		errno = saved;
		return -1;
	}
	return 0;
fail:
	saved = errno;
	free(sv->groups);
	sv->groups = NULL;
	errno = saved;
	return -1;
}

/*
 * Whether the service's user (the current effective ids) could have put a
 * symlink at path: it can write the directory of the last component, or
 * owns it (and so could make it writable).  Any doubt counts as yes.
 */
static bool
user_writes_dir(const char *path, uid_t uid)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	struct stat st;
	bool yes;

	if (slash == NULL)
		dir = strdup(".");
	else
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (dir == NULL)
		return true;
	if (faccessat(AT_FDCWD, dir, W_OK, AT_EACCESS) == 0)
		yes = true;
	else if (errno != EACCES && errno != EROFS)
		yes = true;
	else
		yes = stat(dir, &st) == -1 || st.st_uid == uid;
	free(dir);
	return yes;
}

int
creds_open(const struct creds *cr, const char *path, int flags, mode_t mode,
    bool *nofollow)
{
	struct saved_ids sv;
	int fd, saved;

	*nofollow = false;
	if (cr->ngroups < 0 || cr->uid == 0 || geteuid() != 0)
		return open(path, flags, mode);
	if (become(cr, &sv, path) == -1)
		return -1;
	if (user_writes_dir(path, cr->uid)) {
		flags |= O_NOFOLLOW;
		*nofollow = true;
	}
	fd = open(path, flags, mode);
	saved = errno;
	restore(&sv, path);
	errno = saved;
	return fd;
}

int
creds_groups(const char *user_name, gid_t gid, gid_t **groups)
{
	gid_t *g = NULL, *more;
	int n = 32;

	if (user_name == NULL) {
		if ((g = malloc(sizeof(*g))) == NULL)
			return -1;
		g[0] = gid;
		*groups = g;
		return 1;
	}
	for (;;) {
		if ((more = reallocarray(g, (size_t)n, sizeof(*g))) == NULL) {
			free(g);
			return -1;
		}
		g = more;
		/* -1: more than n; n is then how many there are. */
		if (sysdb_grouplist(user_name, gid, g, &n) != -1)
			break;
	}
	*groups = g;
	return n;
}

int
creds_rename(const struct creds *cr, const char *from, const char *to)
{
	struct saved_ids sv;
	int r, saved;

	if (cr->ngroups < 0 || cr->uid == 0 || geteuid() != 0)
		return to != NULL ? rename(from, to) : unlink(from);
	if (become(cr, &sv, from) == -1)
		return -1;
	r = to != NULL ? rename(from, to) : unlink(from);
	saved = errno;
	restore(&sv, from);
	errno = saved;
	return r;
}
