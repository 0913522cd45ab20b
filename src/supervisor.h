/*
 * The supervisor owns the set of services and everything corral does to
 * them: it carries out the actions that service.c's state machine decides,
 * reaps every child (services, hooks, adopted orphans), and runs the
 * shutdown: dependency order, deadline, orphans, exit status.
 *
 * There is one supervisor per process, driven by libev's default loop.
 */
#ifndef CORRAL_SUPERVISOR_H
#define CORRAL_SUPERVISOR_H

#include <ev.h>
#include <stdbool.h>

#include "config.h"

/* Takes ownership of conf.  Returns 0, or -1 (logged) when out of memory. */
int	supervisor_init(struct ev_loop *loop, struct config *conf);

/* Starts every autostart service whose dependencies allow it. */
void	supervisor_start(void);

/* A shutdown signal (TERM, INT, QUIT) or another cause; see SPEC §5. */
void	supervisor_shutdown_signal(int sig);

/* Relays sig to the process group of every service with a live process. */
void	supervisor_forward(int sig);

/* The exit status of corral once the loop has ended (SPEC §6). */
int	supervisor_exit_status(void);

/* Logs the final report: one line per service, then the summary. */
void	supervisor_report(void);

void	supervisor_free(void);

#endif
