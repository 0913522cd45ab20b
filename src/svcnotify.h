/*
 * corral as a notify server for its `notify = yes` services (SPEC §10):
 * each such service gets a datagram socket of its own, passed to it as a
 * NOTIFY_SOCKET path (never a descriptor number), in a private runtime
 * directory.  A datagram counts only when SCM_CREDENTIALS shows that it
 * comes from the service's process group.  Warnings a service can cause
 * with its datagrams are rate-limited per service and kind (SPEC §12).
 */
#ifndef CORRAL_SVCNOTIFY_H
#define CORRAL_SVCNOTIFY_H

#include <ev.h>

#include "service.h"

/* What a datagram said, one field at a time, for health.c (svcnotify_init). */
enum svcnotify_field {
	SN_READY, SN_STATUS, SN_STOPPING, SN_RELOADING, SN_WATCHDOG, SN_MAINPID,
};

/* Called for every accepted field; value is NULL but for STATUS and MAINPID. */
typedef void svcnotify_fn(struct service *s, enum svcnotify_field f,
	    const char *value);

void	svcnotify_init(struct ev_loop *loop, svcnotify_fn *fn);

/* Creates the socket of s (before it is spawned).  Returns 0 or -1 (logged). */
int	svcnotify_open(struct service *s);
/* Closes it (at each exit); a count of warnings held back is shown if due. */
void	svcnotify_close(struct service *s);
/* For a service that goes for good: also every count still held back. */
void	svcnotify_release(struct service *s);

/* Removes the runtime directory at exit. */
void	svcnotify_free(void);

/* Splits one datagram into fields; exposed for tests and fuzzing. */
void	svcnotify_parse(struct service *s, char *msg, size_t len,
	    svcnotify_fn *fn);

#endif
