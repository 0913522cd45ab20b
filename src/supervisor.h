/*
 * The supervisor owns the set of services and everything corral does to
 * them: it carries out the actions that service.c's state machine decides,
 * takes every child that reaper.c reaps (services, hooks, checks, leftovers,
 * adopted orphans), and runs the shutdown: dependency order, deadline,
 * orphans, exit status.
 *
 * There is one supervisor per process, driven by the loop main.c makes.
 */
#ifndef CORRAL_SUPERVISOR_H
#define CORRAL_SUPERVISOR_H

#include <ev.h>
#include <stdbool.h>

#include "config.h"
#include "strbuf.h"

enum ctl_verb { CTL_START, CTL_STOP, CTL_RESTART };

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

/* -v or -q set the log level; a reload must not change it. */
void	supervisor_fix_log_level(int level);

/*
 * Operator requests (corralctl).  Each appends a human-readable reply and
 * returns 0, or -1 when the request failed (the reply says why).  Unknown
 * names fail the whole request before anything is done.
 */
int	supervisor_status(char *const *names, size_t n, bool json,
	    struct strbuf *reply);
int	supervisor_control(enum ctl_verb verb, char *const *names, size_t n,
	    struct strbuf *reply);
int	supervisor_signal(const char *name, int sig, struct strbuf *reply);
int	supervisor_check(struct strbuf *reply);
int	supervisor_shutdown_request(struct strbuf *reply);

/*
 * Reads the config file again (SPEC §8).  An invalid file changes nothing;
 * its errors are logged and replied.  With dry_run, only replies what would
 * happen: one "start|stop|restart|update|keep NAME" line per service.
 */
int	supervisor_reload(bool dry_run, struct strbuf *reply);

#endif
