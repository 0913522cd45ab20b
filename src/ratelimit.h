/*
 * Warnings that something outside corral can cause over and over (SPEC §12)
 * are shown at most once a second for each source and kind, and the next one
 * shown says how many were held back in between.  One struct ratelimit per
 * (source, kind), zeroed to start; the caller passes the CLOCK_MONOTONIC
 * time, so the module makes no syscall and is testable with plain numbers.
 */
#ifndef CORRAL_RATELIMIT_H
#define CORRAL_RATELIMIT_H

#include <stdbool.h>

#define RATELIMIT_INTERVAL_S	1.0

struct ratelimit {
	double		 shown_at;	/* last one shown; 0: none yet */
	unsigned long	 held;		/* held back since then */
};

/*
 * A warning happened at now: true if it is to be shown, and then *held is
 * how many were held back since the last one shown (they count as reported).
 */
bool		ratelimit_allow(struct ratelimit *rl, double now,
		    unsigned long *held);

/*
 * For a report with no new warning (the flood may be over): true if some are
 * held back and a line may be shown at now, with their count in *held.
 */
bool		ratelimit_pending(struct ratelimit *rl, double now,
		    unsigned long *held);

/* The count held back, now reported whatever the time; resets it. */
unsigned long	ratelimit_take(struct ratelimit *rl);

#endif
