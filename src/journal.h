/*
 * `output = journal` (SPEC §16): each line a datagram to journald's native
 * socket, in the protocol's plain form (KEY=VALUE lines; a line of output
 * has no newline, so no field needs the binary form), written by hand as
 * sd_notify is.  The socket is /run/systemd/journal/socket, or the path in
 * CORRAL_JOURNAL_SOCKET.  Sends never block: a journal that does not keep
 * up costs lines, counted and told once per streak.
 */
#ifndef CORRAL_JOURNAL_H
#define CORRAL_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#define JOURNAL_SOCKET	"/run/systemd/journal/socket"

/* Whether there is a journal to send to (connects on the first call). */
bool	journal_available(void);

/*
 * One line (without its newline) of prefix ("web" or "web/cleanup"):
 * SYSLOG_IDENTIFIER=prefix, CORRAL_SERVICE=NAME, PRIORITY=3 for stderr
 * and 6 for stdout, MESSAGE=line.
 */
void	journal_line(const char *prefix, bool is_stderr, const char *line,
	    size_t len);

/* Closes the socket; says how many lines were lost on the way out. */
void	journal_close(void);

#endif
