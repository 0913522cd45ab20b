/*
 * Signals corral receives: every one it honours has an ev_signal watcher,
 * because as PID 1 a signal without a handler is simply dropped by the
 * kernel.  Handlers run synchronously in the loop (libev), never in
 * signal context.
 */
#ifndef CORRAL_SIGNALS_H
#define CORRAL_SIGNALS_H

#include <ev.h>

#include "config.h"

/*
 * Installs the watchers: TERM, INT, QUIT shut down; HUP and the
 * forward_signals set are relayed to services.  Ignores SIGPIPE, so a
 * closed stdout never kills corral.  Returns 0, or -1 (logged).
 */
int	signals_init(struct ev_loop *loop, const struct config *conf);
void	signals_free(struct ev_loop *loop);

#endif
