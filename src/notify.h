/*
 * The systemd notification protocol, upward: corral tells its own
 * supervisor (systemd with Type=notify) when it is ready, reloading and
 * stopping, extends the stop timeout while cleanup hooks run, and pets the
 * watchdog.  One datagram per message to $NOTIFY_SOCKET, implemented
 * directly (no libsystemd).  Without NOTIFY_SOCKET every call does nothing.
 */
#ifndef CORRAL_NOTIFY_H
#define CORRAL_NOTIFY_H

#include <ev.h>
#include <stdbool.h>

/*
 * Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID, removes them from
 * corral's environment (services must never see them), and starts the
 * watchdog timer when systemd asked for one.  Returns 0, or -1 (logged)
 * when the variables are malformed or the socket cannot be made; corral
 * then runs without notifications.
 */
int	notify_init(struct ev_loop *loop);
void	notify_free(void);

bool	notify_enabled(void);

/* Sends one message ("READY=1\nSTATUS=..."); failures are logged once. */
void	notify_send(const char *msg);

#endif
