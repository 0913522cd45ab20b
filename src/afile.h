/*
 * A file corral writes whole for others to read (the status file, the
 * metrics file): each write goes to a temporary file in the same directory
 * and is renamed over the old one, so a reader sees the old file or the new
 * one, never half of one.  The directory is opened once through
 * trustdir_open(), and everything is done relative to it, so that swapping
 * an ancestor for a symbolic link cannot send a write, a rename or an unlink
 * elsewhere.
 */
#ifndef CORRAL_AFILE_H
#define CORRAL_AFILE_H

#include <stddef.h>

struct afile {
	char		*path;		/* the path it was opened for */
	int		 dir;		/* -1 until opened */
	const char	*base;		/* in path */
	char		*tmp;		/* base + ".tmp" */
};

#define AFILE_INIT	{ .dir = -1 }

/*
 * Opens the directory of path, if f is not open for path already.  Called
 * before any service starts, so none can have swapped a directory on the
 * way yet.  Returns 0, or -1 with errno set.
 */
int	afile_open(struct afile *f, const char *path);

/* Writes len bytes of buf as the whole of path.  0, or -1 with errno set. */
int	afile_write(struct afile *f, const char *path, const char *buf,
	    size_t len);

void	afile_close(struct afile *f);

#endif
