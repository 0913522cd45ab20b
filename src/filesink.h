/*
 * `file:` sinks (SPEC §16): the files corral writes a service's lines to.
 *
 * A file is opened, rotated and reopened with the service's credentials
 * (creds.h), so that nothing its user plants in the directory leads corral
 * anywhere that user could not write.  Writes are of whole lines, a batch
 * at a time, on a descriptor that never blocks: a FIFO whose reader stalls
 * costs lines, counted, never the loop.  A regular file rotates before a
 * write that would take it past max bytes (a line is never split: a line
 * longer than max goes alone into a file); a disk that fills up loses the
 * lines that did not fit, whole, and their count is told.  A file that
 * cannot be opened or written is reported once, with its path and errno,
 * until it works again; it is tried again at most once a second.
 */
#ifndef CORRAL_FILESINK_H
#define CORRAL_FILESINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "creds.h"

struct filesink {
	char		 service[80];	/* for messages */
	char		*path;
	uint64_t	 max;		/* rotate past it; 0: never */
	unsigned	 keep;		/* PATH.1 ... PATH.keep */
	struct creds	 cr;		/* groups owned */
	int		 fd;		/* -1: not open */
	bool		 regular;	/* only regular files rotate */
	uint64_t	 size;		/* of the open file */
	bool		 failing;	/* reported; quiet until it works */
	double		 retry_at;	/* monotonic: no try before */
	unsigned long	 dropped;	/* lines lost while failing */
};

/* A sink for path, closed.  Returns 0, or -1 (out of memory, logged). */
int	filesink_init(struct filesink *f, const char *service,
	    const char *path, uint64_t max, unsigned keep);

/* Whose rights it opens and rotates with (groups are copied). */
int	filesink_set_creds(struct filesink *f, uid_t uid, gid_t gid,
	    const gid_t *groups, int ngroups);

/* Opens the file if it is not open; a failure is reported once. */
void	filesink_open(struct filesink *f);

/* Writes len bytes of whole lines, newlines included. */
void	filesink_write(struct filesink *f, const char *buf, size_t len);

/* Closes and opens again (corralctl reopen, after logrotate's rename). */
void	filesink_reopen(struct filesink *f);

/* Closes it and frees what it holds; says how many lines were lost. */
void	filesink_free(struct filesink *f);

#endif
