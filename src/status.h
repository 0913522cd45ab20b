/*
 * How services look from outside: the `corralctl status` table, its JSON,
 * and the status file (the same JSON, replaced atomically).
 */
#ifndef CORRAL_STATUS_H
#define CORRAL_STATUS_H

#include <ev.h>
#include <stdbool.h>

#include "service.h"
#include "strbuf.h"

/* The services shown, and all of the config's, whom `after` indexes. */
struct status_list {
	struct service *const *svcs;
	size_t		 n;
	struct service *const *all;
	size_t		 nall;
};

/*
 * One line per service of l: name, state, pid, uptime, restarts, last
 * exit, and a note (what it waits for, why it is disabled...).  now is
 * CLOCK_MONOTONIC, as services' started_at.
 */
void	status_table(struct strbuf *b, const struct status_list *l,
	    ev_tstamp now);
/* The same as JSON, the note as "note" (absent when empty). */
void	status_json(struct strbuf *b, const struct status_list *l);

/*
 * Writes the JSON of l to path through a temporary file in the same
 * directory and renameat(2), all relative to the directory opened by
 * status_open(), so a reader sees the old file or the new one,
 * never half of one.  Returns 0, or -1 with errno set.
 */
int	status_write(const char *path, const struct status_list *l);

/*
 * Opens the directory of path for status_write() (see trustdir_open()), if
 * not open for path already; status_write() calls it too.  Called before
 * any service starts, so none can have swapped a directory on the way yet.
 * Returns 0, or -1 with errno set.
 */
int	status_open(const char *path);

/* Closes that directory. */
void	status_close(void);

#endif
