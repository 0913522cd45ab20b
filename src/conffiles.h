/*
 * The files of a config (SPEC §13): the main one, then those its `include`
 * patterns match, each read whole into memory and handed to conf_read().
 * Which files are read, in which order, and what each may hold is decided
 * here and nowhere else.
 */
#ifndef CORRAL_CONFFILES_H
#define CORRAL_CONFFILES_H

#include <stddef.h>
#include <sys/stat.h>

#include "confload.h"
#include "values.h"

/*
 * Reads the regular file path, at most max bytes, into *bufp (malloc'd,
 * NUL-terminated, *lenp bytes) and its identity into *st (may be NULL).
 * Returns 0, or -1 with a complete reason in err ("cannot open: ...").  A
 * FIFO or a device is refused without waiting on it.
 */
int	conf_slurp(const char *path, size_t max, char **bufp, size_t *lenp,
	    struct stat *st, char err[VALUE_ERR_MAX]);

/* The same, from a descriptor open for reading, which it leaves open. */
int	conf_slurp_fd(int fd, size_t max, char **bufp, size_t *lenp,
	    struct stat *st, char err[VALUE_ERR_MAX]);

/* Adds path to ld->c->files; its index, or -1 when out of memory. */
int	conf_add_file(struct loader *ld, const char *path);

/*
 * Reads buf as file (an index into ld->c->files): sections and entries are
 * added to ld.  An included file may hold only service sections.
 */
void	conf_read_buffer(struct loader *ld, unsigned file, const char *buf,
	    size_t len, bool included);

/*
 * Globs every `include` pattern of the main file, relative to its
 * directory, and reads each file matched, in sorted order, once; main is
 * the main file's identity (NULL if unknown), which no pattern may match.
 */
void	conf_read_includes(struct loader *ld, const struct stat *main);

#endif
