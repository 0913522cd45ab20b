/*
 * corral's own standard output and error, as the loop writes them (SPEC
 * §12): every line is written whole, in order, and never with a write that
 * can block.  What a stream cannot take yet waits in a FIFO of whole lines.
 *
 * Two kinds of line share that FIFO, so their order is kept:
 * - corral's own log lines: at most SINK_OWN_MAX bytes of them wait; past
 *   that, whole lines are dropped and counted, and the count is reported
 *   once the stream has taken every waiting one;
 * - relayed service lines, charged to a struct sink_account: they are never
 *   dropped while the stream works; the account's owner is told as its bytes
 *   go out, and keeps its own bound by reading less (back-pressure).
 *
 * Depends on libev and libc only, so the logger can use it.
 */
#ifndef CORRAL_SINK_H
#define CORRAL_SINK_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#define SINK_OWN_MAX	(64 * 1024)

enum sink_id { SINK_STDOUT, SINK_STDERR, SINK__COUNT };

/* What a relayed writer has waiting in a sink. */
struct sink_account {
	size_t		 queued;	/* bytes of memory, headers included */
	/* Called after some of its bytes went out (or were dropped). */
	void		(*released)(struct sink_account *);
};

/* What a sink tells the logger, which has the words for it. */
struct sink_ops {
	/* The stream took every waiting line of corral's own after `n` were dropped. */
	void	(*dropped)(enum sink_id id, unsigned long n);
	/* The stream failed for good with errno err; it drops everything now. */
	void	(*broken)(enum sink_id id, int err);
};

/*
 * Makes the two streams non-blocking writers of corral's own: a pipe or a
 * terminal is reopened through /proc, so the services that inherit the same
 * open file description keep a blocking one.  Before this, and after
 * sink_finish(), lines are written directly.
 */
void	sink_init(struct ev_loop *loop, const struct sink_ops *ops);

/* One of corral's own lines, newline included. */
void	sink_own(enum sink_id id, const char *line, size_t len);

/*
 * Relayed lines, whole, newlines included.  To a pipe they are written at
 * most PIPE_BUF bytes of whole lines at a time, which the kernel writes
 * whole or not at all: a line is never split, nor mixed with the writes
 * of the services that share the pipe (output = inherit).
 */
void	sink_relay(enum sink_id id, struct sink_account *a, const char *buf,
	    size_t len);

/* The account goes away; its waiting lines still go out, unowned. */
void	sink_disown(struct sink_account *a);

/* Whether the stream failed for good (its reader is gone). */
bool	sink_broken(enum sink_id id);

/*
 * At exit: writes what each stream takes without waiting on a reader that
 * does not read, drops the rest and says how many lines were lost.
 */
void	sink_finish(void);

#endif
