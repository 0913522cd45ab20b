/*
 * The directory that holds a file corral makes as root (the control socket,
 * the status file), as a descriptor: every later create, stat, rename and
 * unlink is done relative to it, so no one who can write an ancestor can
 * send corral elsewhere by swapping that ancestor for a symbolic link.
 */
#ifndef CORRAL_TRUSTDIR_H
#define CORRAL_TRUSTDIR_H

/*
 * Opens the directory of path (O_PATH, O_CLOEXEC), one component at a time
 * without following symbolic links, except one in a directory that only
 * root or corral's own user can change (such as /var/run).  A link in any
 * other directory is refused with ELOOP: it may have been put there, or be
 * swapped at any moment, by someone else.  Returns the descriptor and sets
 * *base to the last component of path (inside path), or returns -1 with
 * errno set (EISDIR when path ends in "/", "." or "..").
 */
int	trustdir_open(const char *path, const char **base);

#endif
