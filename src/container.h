/*
 * container_of: from a libev watcher embedded in a struct back to the
 * struct (ev(3), "BUILDING YOUR OWN COMPOSITE WATCHERS").
 */
#ifndef CORRAL_CONTAINER_H
#define CORRAL_CONTAINER_H

#include <stddef.h>

/* Fails to compile if ptr is not a pointer to type's member field. */
#define container_of(ptr, type, member) ((type *)(void *)((char *)	\
	(1 ? (ptr) : &((type *)0)->member) - offsetof(type, member)))

#endif
