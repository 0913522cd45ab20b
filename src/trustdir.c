#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trustdir.h"

/*
 * Whether the link named in dir can only have been made, and can only be
 * replaced, by root or by corral's user: dir is theirs and nobody else may
 * write it, or it is sticky (as /tmp) and the link is theirs too.
 */
static bool
is_trusted_link(int dir, uid_t link_uid)
{
	struct stat st;
	uid_t me = geteuid();

	if (fstat(dir, &st) == -1 || (st.st_uid != 0 && st.st_uid != me))
		return false;
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return true;
	return (st.st_mode & S_ISVTX) && (link_uid == 0 || link_uid == me);
}

/* The next directory: comp in dir, a link followed only when trusted. */
static int
open_step(int dir, const char *comp)
{
	struct stat st;
	int fd;

	fd = openat(dir, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd != -1 || (errno != ENOTDIR && errno != ELOOP))
		return fd;
	if (fstatat(dir, comp, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (!S_ISLNK(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	if (!is_trusted_link(dir, st.st_uid)) {
		errno = ELOOP;
		return -1;
	}
	/*
	 * Nobody but root or corral can replace this link, so where it leads
	 * is root's (or corral's user's) choice, like the path in the config.
	 */
	return openat(dir, comp, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int
trustdir_open(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/'), *b = slash ? slash + 1 : path;
	char *dir, *comp, *save = NULL;
	int fd, next, saved;

	if (*b == '\0' || strcmp(b, ".") == 0 || strcmp(b, "..") == 0) {
		errno = EISDIR;
		return -1;
	}
	if ((dir = strndup(path, (size_t)(b - path))) == NULL)
		return -1;
	fd = open(*path == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (comp = strtok_r(dir, "/", &save); fd != -1 && comp != NULL;
	    comp = strtok_r(NULL, "/", &save)) {
		next = open_step(fd, comp);
		saved = errno;
		(void)close(fd);
		errno = saved;
		fd = next;
	}
	saved = errno;
	free(dir);
	errno = saved;
	if (fd != -1)
		*base = b;
	return fd;
}
