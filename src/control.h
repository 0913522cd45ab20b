/*
 * The control socket: a UNIX stream socket in corral's loop that corralctl
 * (or a script) talks to.  One request per connection: a line of words,
 * "VERB [ARG...]\n"; the reply is "ok", "error" or "denied" on its first
 * line, then free text, then the connection closes.  See corralctl(1).
 *
 * A client can never stall or crash corral: all I/O is non-blocking, a
 * request is at most CONTROL_REQUEST_MAX bytes, and a client has
 * CONTROL_IDLE_S seconds from connect to its whole request.  There are
 * CONTROL_CLIENTS_MAX slots; when they are all taken, a newcomer takes the
 * slot of the oldest client still reading its request, preferring one that
 * has sent nothing, so idle connections cannot keep a real client out.
 * Only when every slot is past its request does accepting wait for one to
 * end.  A client that cannot be accepted (no
 * descriptor left) pauses accepting for CONTROL_PAUSE_S.
 *
 * `logs` is the one reply that goes on after the request's answer: "ok",
 * then the lines of the service's output buffer, and with -f every new
 * one until the client closes.  A follower is past its request, so never
 * evicted, and has no idle bound (SPEC §16); at most CONTROL_FOLLOWERS_MAX
 * follow at once, so that they never hold more than a quarter of the
 * slots.
 */
#ifndef CORRAL_CONTROL_H
#define CORRAL_CONTROL_H

#include <ev.h>

#include "config.h"
#include "strbuf.h"

#define CONTROL_REQUEST_MAX	4096
#define CONTROL_CLIENTS_MAX	64
#define CONTROL_IDLE_S		5.0
#define CONTROL_PAUSE_S		0.25
#define CONTROL_FOLLOWERS_MAX	16

/*
 * Creates the socket named by conf (or the default).  Returns 0, also when
 * the default socket cannot be made (warned, corral runs without it), or -1
 * (logged) when a control_socket given in the file cannot be made.
 */
int	control_init(struct ev_loop *loop, const struct config *conf);

/* Closes every client and removes the socket file. */
void	control_free(void);

/*
 * Runs one request line (without its newline) and appends the reply.
 * Exposed for tests and fuzzing.
 */
void	control_execute(char *line, struct strbuf *reply);

#endif
