/*
 * Time as corral measures it.  Durations use the monotonic clock, never
 * the wall clock, which an operator or NTP may step.
 */
#ifndef CORRAL_CLOCK_H
#define CORRAL_CLOCK_H

#include <ev.h>
#include <math.h>
#include <time.h>

static inline double
mono_now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);	/* cannot fail */
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * (Re)starts a one-shot timer after `after` seconds, at once if that is
 * past; an infinite one (a key set to infinity) never fires, so the timer
 * stays stopped.
 */
static inline void
timer_arm(struct ev_loop *loop, ev_timer *w, double after)
{
	ev_timer_stop(loop, w);
	if (isinf(after))
		return;
	ev_timer_set(w, after < 0 ? 0 : after, 0);
	ev_timer_start(loop, w);
}

#endif
