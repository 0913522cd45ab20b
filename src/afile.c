/*
 * Files written whole, through a temporary file and renameat(2); see
 * afile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "afile.h"
#include "trustdir.h"

void
afile_close(struct afile *f)
{
	if (f->dir != -1)
		(void)close(f->dir);
	free(f->path);
	free(f->tmp);
	memset(f, 0, sizeof(*f));
	f->dir = -1;
}

int
afile_open(struct afile *f, const char *path)
{
	int saved;

	if (f->dir != -1 && strcmp(f->path, path) == 0)
		return 0;
	afile_close(f);
	if ((f->path = strdup(path)) == NULL)
		goto fail;
	if ((f->dir = trustdir_open(f->path, &f->base)) == -1)
		goto fail;
	if (asprintf(&f->tmp, "%s.tmp", f->base) == -1) {
		f->tmp = NULL;
		errno = ENOMEM;
		goto fail;
	}
	return 0;
fail:
	saved = errno;
	afile_close(f);
	errno = saved;
	return -1;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t r = write(fd, buf + off, len - off);

		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

int
afile_write(struct afile *f, const char *path, const char *buf, size_t len)
{
	int fd, saved;

	if (afile_open(f, path) == -1)
		return -1;
	/*
	 * O_EXCL: nothing already at PATH.tmp (a leftover of a crash, or a
	 * symlink or hard link put there by someone who can write the
	 * directory) is ever written through; the name is made afresh.
	 */
	fd = openat(f->dir, f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd == -1 && errno == EEXIST && unlinkat(f->dir, f->tmp, 0) == 0)
		fd = openat(f->dir, f->tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1)
		return -1;
	if (write_all(fd, buf, len) == -1) {
		saved = errno;
		(void)close(fd);
		goto fail;
	}
	if (close(fd) == -1 ||
	    renameat(f->dir, f->tmp, f->dir, f->base) == -1) {
		saved = errno;
		goto fail;
	}
	return 0;
fail:
	(void)unlinkat(f->dir, f->tmp, 0);
	errno = saved;
	return -1;
}
