/*
 * Reaping every child of corral (SPEC §4): its own and the orphans that
 * reach it as PID 1 or child subreaper.
 *
 * corral reaps them itself rather than through libev's ev_child, which
 * reaps before any callback runs: a zombie is first looked at without
 * being reaped (waitid WNOWAIT), so that for a pid it does not know the
 * zombie's process group can still be read from /proc, and a process that
 * outlived its parent inside a service's group is told from a stranger.
 * Every zombie present is reaped within the same turn of the loop.
 */
#ifndef CORRAL_REAPER_H
#define CORRAL_REAPER_H

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>

/* Whether pid is one corral knows (a service, hook or check). */
typedef bool	reaper_known_fn(pid_t pid);
/*
 * A child was reaped with wait status `status`; pgid is its process group
 * when known_fn said it was not known (0 if it could not be read), else 0.
 */
typedef void	reaper_fn(pid_t pid, int status, pid_t pgid);

void	reaper_init(struct ev_loop *loop, reaper_known_fn *known, reaper_fn *fn);
void	reaper_free(void);

#endif
