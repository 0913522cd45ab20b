/*
 * The plan derived from a config: in which waves services start (from
 * `after`), in which order they stop, and the worst-case shutdown timeline
 * with the latest moment each service may get its kill_signal so that every
 * cleanup hook still fits in shutdown_deadline.  `corral -t -v` prints it;
 * the supervisor follows it.  Pure computation.
 */
#ifndef CORRAL_PLAN_H
#define CORRAL_PLAN_H

#include <stdio.h>

#include "config.h"

struct plan_step {
	double		 begin;		/* its stop begins (after its blockers) */
	double		 signal_at;	/* stop_signal, after stop_delay */
	double		 kill_at;	/* kill_signal at the end of the window */
	double		 end;		/* stopped, cleanup hook included */
};

struct plan {
	size_t		 n;
	unsigned	*wave;		/* per service: start wave, from 0 */
	unsigned	 nwaves;
	unsigned	*stop_order;	/* service indexes, first to stop first */
	/* Services that must be fully stopped before service i stops. */
	unsigned	**blockers;
	size_t		*nblockers;
	struct plan_step *full;		/* windows as configured */
	struct plan_step *cut;		/* shortened to fit shutdown_deadline */
	double		*latest_kill;	/* from shutdown start; INFINITY: none */
	double		 total;		/* end of the full timeline */
	double		 cut_total;
	double		 min_total;	/* with every window and delay at 0 */
};

int	plan_build(const struct config *c, struct plan *p);
void	plan_free(struct plan *p);

/*
 * How long a stop that begins `avail` seconds before its latest kill may
 * delay and wait: stop_delay is cut first, then the window.
 */
void	plan_fit(const struct svc_conf *s, double avail, double *delay,
	    double *window);

/* Prints the start order and the timeline (for `corral -t -v`). */
void	plan_print(const struct config *c, const struct plan *p, FILE *out);

/* Warnings about the deadline, as "FILE: warning: ..." lines; count. */
int	plan_warn(const struct config *c, const struct plan *p, FILE *out);

#endif
