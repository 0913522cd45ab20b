/*
 * `watch` (SPEC §14): files and directories whose change runs a service's
 * watch_action once, after watch_delay.  One inotify descriptor for all of
 * corral, read in the loop; nothing wakes corral while nothing changes.
 * The owner of a set of watches is opaque here: the caller gets it back
 * when they fire.
 */
#ifndef CORRAL_WATCH_H
#define CORRAL_WATCH_H

#include <ev.h>
#include <stddef.h>

/* Told once a change of one of owner's paths has settled for its delay. */
typedef void watch_fire_fn(void *owner);

void	watch_init(struct ev_loop *loop, watch_fire_fn *fire);

/*
 * owner's watches are now paths (a leading '-': may be missing; then its
 * directory is watched until it appears), debounced by delay: each change
 * starts the delay again, and the action fires once it has passed with
 * no further change.  Replaces what owner watched; n 0 drops it all.
 * A path that cannot be watched is logged, naming it.
 */
void	watch_set(void *owner, const char *name, char *const *paths, size_t n,
	    double delay);

/* Drops every watch of owner (a service that is being freed). */
void	watch_drop(void *owner);

void	watch_free(void);

#endif
