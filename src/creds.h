/*
 * Files opened for a service with its credentials (SPEC §12): as root,
 * corral opens a service's file sink with that service's user, group and
 * supplementary groups, so that nothing the service's user planted (a
 * symlink, a hard link, a file renamed into place) leads corral to a file
 * that user could not write itself.  Usable from the loop at any time, not
 * only before a spawn: §16's reopen and rotation need the same open.
 */
#ifndef CORRAL_CREDS_H
#define CORRAL_CREDS_H

#include <stdbool.h>
#include <sys/types.h>

/* Whose rights an open uses. */
struct creds {
	uid_t		 uid;
	gid_t		 gid;
	const gid_t	*groups;
	int		 ngroups;	/* -1: corral's own (it is not root) */
};

/*
 * open(path, flags, mode) with cr's rights.  When the directory holding
 * path's last component is one cr's user can write (or owns), a symlink
 * there is refused (O_NOFOLLOW, so ELOOP) and *nofollow is set.  Without
 * a switch (ngroups -1, corral not root, or cr's user is root: no boundary
 * to cross) this is open(2) as corral, following symlinks.  Returns the
 * descriptor, or -1 with errno set.  Never returns if corral cannot take
 * its own ids back (it aborts: see creds.c).
 */
int	creds_open(const struct creds *cr, const char *path, int flags,
	    mode_t mode, bool *nofollow);

/*
 * rename(from, to), or unlink(from) when to is NULL, with cr's rights, as
 * creds_open() opens: for the rotation of a file sink, which moves files
 * in a directory the service's user may write.  rename(2) and unlink(2)
 * never follow a symlink in the last component.  Returns 0, or -1 with
 * errno set.
 */
int	creds_rename(const struct creds *cr, const char *from, const char *to);

/*
 * The supplementary groups a service runs with: those of user_name with
 * gid (getgrouplist), or gid alone for a user without a passwd entry
 * (user_name NULL).  Sets *groups (malloc'd) and returns their number, or
 * returns -1 with errno set.
 */
int	creds_groups(const char *user_name, gid_t gid, gid_t **groups);

#endif
