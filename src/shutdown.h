/*
 * The shutdown of everything (SPEC §5): its order, the deadline, the
 * second signal, the adopted orphans, and the end of the loop.
 */
#ifndef CORRAL_SHUTDOWN_H
#define CORRAL_SHUTDOWN_H

#include <ev.h>
#include <stdbool.h>

#include "pidmap.h"
#include "svset.h"

/* set is the supervisor's; pids marks the orphans already asked to go. */
void	shutdown_init(struct ev_loop *loop, const struct svset *set,
	    struct pidmap *pids);

/* Starts the shutdown; why is logged ("SIGTERM", "corralctl shutdown"). */
void	shutdown_begin(const char *why);

/*
 * A shutdown signal (TERM, INT, QUIT): the first begins the shutdown, the
 * second ends every graceful window, later ones are only logged.
 */
void	shutdown_signal(int sig);

/* Whether the shutdown has begun; nothing new starts once it has. */
bool	shutdown_started(void);

/* A service settled: those that waited for it may stop now. */
void	shutdown_progress(void);

/* A child was reaped: the adopted orphans may all be gone. */
void	shutdown_reaped(void);

/* Whether the deadline struck, or a service had failed when it began. */
bool	shutdown_unclean(void);
/* Adopted processes sent SIGTERM in the orphan window. */
unsigned long shutdown_orphans_signalled(void);

#endif
