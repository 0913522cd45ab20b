/*
 * Which of corral's children a pid is: a service's main process or its
 * cleanup hook.  Every reaped pid is looked up here; a pid that is not
 * found is a leftover of a service or an adopted orphan (reaper.h).  Open
 * addressing with backward-shift deletion, so lookups stay O(1) with
 * thousands of services.
 */
#ifndef CORRAL_PIDMAP_H
#define CORRAL_PIDMAP_H

#include <stddef.h>
#include <sys/types.h>

/*
 * PID_ORPHAN: an adopted process that corral asked to stop at shutdown.
 * PID_DISOWNED: a check that was killed and whose service may be gone by
 * the time it is reaped; its exit means nothing.
 * PID_ONSTATE: a run of on_state (onstate.h), owned by its run.
 */
enum pid_kind {
	PID_NONE, PID_SERVICE, PID_HOOK, PID_PREPARE, PID_STOP, PID_CHECK,
	PID_ORPHAN, PID_DISOWNED, PID_ONSTATE,
};

struct pidmap_slot {
	pid_t		 pid;		/* 0: empty */
	enum pid_kind	 kind;
	void		*owner;
};

struct pidmap {
	struct pidmap_slot *slots;
	size_t		 cap;		/* a power of two, or 0 */
	size_t		 n;
};

/* Returns 0, or -1 when out of memory. */
int	pidmap_put(struct pidmap *m, pid_t pid, enum pid_kind kind, void *owner);
/* Returns the kind (PID_NONE if absent) and, if owner, the owner. */
enum pid_kind pidmap_get(const struct pidmap *m, pid_t pid, void **owner);
void	pidmap_del(struct pidmap *m, pid_t pid);
void	pidmap_free(struct pidmap *m);

#endif
