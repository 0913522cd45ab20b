/*
 * Signals corral receives: every one it honours has an ev_signal watcher,
 * because as PID 1 a signal without a handler is simply dropped by the
 * kernel.  Handlers run synchronously in the loop (libev), never in
 * signal context.
 */
#ifndef CORRAL_SIGNALS_H
#define CORRAL_SIGNALS_H

#include <ev.h>
#include <stdbool.h>

#include "config.h"

/* What corral does on a signal; main.c wires them to the supervisor. */
struct signal_ops {
	void	(*shutdown)(int sig);	/* TERM, INT, QUIT */
	void	(*forward)(int sig);	/* relay to every live service */
	void	(*reload)(void);	/* HUP, with a config file */
};

/*
 * Installs the watchers: TERM, INT, QUIT shut down; HUP reloads (or, in
 * single-command mode, is relayed to main); the forward_signals set is
 * relayed to services; TSTP, TTIN, TTOU and CONT do job control.  Ignores SIGPIPE, so a
 * closed stdout never kills corral.  Returns 0, or -1 (logged).
 */
int	signals_init(struct ev_loop *loop, const struct config *conf,
	    bool hup_reloads, const struct signal_ops *ops);
/* After a reload: relays the new forward_signals set. */
void	signals_update(const struct config *conf);
void	signals_free(struct ev_loop *loop);

#endif
