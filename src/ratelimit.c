/*
 * The limiter never sleeps or arms a timer: a count held back waits for the
 * next warning of its kind, or for the caller to ask (ratelimit_pending,
 * ratelimit_take) at a moment of its own, such as a socket closing.
 */
#include "ratelimit.h"

static bool
is_due(const struct ratelimit *rl, double now)
{
	return rl->shown_at == 0 || now - rl->shown_at >= RATELIMIT_INTERVAL_S;
}

bool
ratelimit_allow(struct ratelimit *rl, double now, unsigned long *held)
{
	if (!is_due(rl, now)) {
		rl->held++;
		return false;
	}
	*held = rl->held;
	rl->held = 0;
	rl->shown_at = now;
	return true;
}

bool
ratelimit_pending(struct ratelimit *rl, double now, unsigned long *held)
{
	if (rl->held == 0 || !is_due(rl, now))
		return false;
	*held = rl->held;
	rl->held = 0;
	rl->shown_at = now;
	return true;
}

unsigned long
ratelimit_take(struct ratelimit *rl)
{
	unsigned long n = rl->held;

	rl->held = 0;
	return n;
}
