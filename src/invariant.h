/*
 * Invariants that no input may break; a broken one is a bug of corral's.
 * The debug build (make sanitize adds -DCORRAL_DEBUG) aborts on it, so the
 * tests catch it where it happens; the normal build logs it and goes on,
 * since PID 1 must not die of its own bug.
 */
#ifndef CORRAL_INVARIANT_H
#define CORRAL_INVARIANT_H

#include <stdlib.h>

#include "log.h"

#ifdef CORRAL_DEBUG
#define CORRAL_ABORT()	abort()
#else
#define CORRAL_ABORT()	((void)0)
#endif

#define CORRAL_ASSERT(cond, ...)					\
	do {								\
		if (!(cond)) {						\
			log_errorx("internal error: " __VA_ARGS__);	\
			CORRAL_ABORT();					\
		}							\
	} while (0)

#endif
