/*
 * The processes of a service: its main process, its cleanup hook, its
 * prepare command and its checks.  prepare and the hook never run at the
 * same time, and share the hook's pipes (output = prefix).  children.c prepares everything a child needs (environment,
 * groups, output descriptors) in the parent, so that between vfork() and
 * exec() spawn.c only makes system calls, and it owns the output pipes of
 * the main process and the hook once they run.
 *
 * Calls go one way: the supervisor and health.c call in, and the one thing
 * children.c has to tell (a pipe closed) goes out through the callbacks
 * given to children_init(), so it knows nothing of who started the child.
 */
#ifndef CORRAL_CHILDREN_H
#define CORRAL_CHILDREN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "output.h"
#include "service.h"

/*
 * What a child of a service is.  The caller says which check it wants,
 * since only the caller knows whether the service is still waiting to be
 * ready: the two run different commands.
 */
enum child_kind {
	CHILD_MAIN, CHILD_HOOK, CHILD_PREPARE, CHILD_STOP, CHILD_READY_CHECK,
	CHILD_HEALTH_CHECK,
};

/* Called once a pipe of a main process (or hook) closed; ctx is its service. */
typedef void children_eof_fn(struct output_stream *st, void *ctx);

/* Called with each line of a main process whose ready_check is log:. */
typedef void children_line_fn(struct output_stream *st, const char *line,
    size_t len, void *ctx);

/* Sets who hears those lines (health.c); before the first start. */
void	children_on_line(children_line_fn *fn);

/*
 * Sets who hears that an output pipe of a main process or of a hook
 * closed: the service may be down only once its pipes are.  Before the
 * first children_start().
 */
void	children_init(children_eof_fn *main_eof, children_eof_fn *hook_eof);

/*
 * Starts the main process, hook or check of s with `more` added to its
 * environment, its output attached.  Returns the pid, or -1 with errno set
 * and the failure logged; *status_fd is the exec-status pipe (spawn.h).
 */
pid_t	children_start(struct service *s, enum child_kind kind,
	    char *const *more, size_t nmore, int *status_fd);
/*
 * The main process (or hook) ended: reads its pipes until empty and closes
 * them.  Returns false while they wait for corral's stdout or stderr to
 * take what they hold (back-pressure); their eof callback tells when they
 * close.
 */
bool	children_finish_output(struct service *s, bool hook);
/* Closes them at once, saying what was never read (a shutdown's end). */
void	children_abandon_output(struct service *s, bool hook);
/*
 * Whether a pipe of the main process (or hook) waits for corral's stdout
 * or stderr.
 */
bool	children_output_paused(const struct service *s, bool hook);
/* Whether the output pipes of the main process (or hook) are closed. */
bool	children_output_done(const struct service *s, bool hook);

/* Closes and opens again every file sink of s (corralctl reopen). */
void	children_reopen(struct service *s);

/* Closes s's pipes and file sinks and frees them: s is retired. */
void	children_release(struct service *s);

#endif
