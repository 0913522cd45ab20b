/*
 * How a run of corral ended: the final report in the log and the exit
 * status (SPEC §6), both from what the services' last runs left behind.
 */
#ifndef CORRAL_REPORT_H
#define CORRAL_REPORT_H

#include <stdbool.h>

#include "svset.h"

/* What is not in the services themselves. */
struct report_totals {
	unsigned long	 adopted;	/* orphans reaped */
	unsigned long	 orphans_signalled;
	bool		 unclean;	/* deadline, failed hook, failed service */
	bool		 have_critical;	/* a critical service ended the run */
	int		 critical_status;
};

/* One line per service, then one for the adopted orphans if any. */
void	report_log(const struct svset *set, const struct report_totals *t);

/*
 * A critical service's own non-zero status, else 3 when strict and
 * something ended badly, else 0.
 */
int	report_exit_status(const struct svset *set,
	    const struct report_totals *t);

#endif
