/*
 * Looking at the problems a load reported (struct diag), for the tests of
 * the config loader: test_config.c on text, test_compose.c on files.
 */
#ifndef CORRAL_TEST_DIAGCHECK_H
#define CORRAL_TEST_DIAGCHECK_H

#include <stdbool.h>

#include "config.h"

/* Every problem, one per line, for failure messages; a static buffer. */
const char	*diag_dump(const struct diag *d);

/* Whether one problem starts with prefix and holds every fragment. */
bool		 diag_has(const struct diag *d, const char *prefix, ...)
		    __attribute__((sentinel));

#define ASSERT_DIAG(d, ...)						\
	ck_assert_msg(diag_has((d), __VA_ARGS__, (const char *)NULL),	\
	    "no problem matching %s; got:\n%s", #__VA_ARGS__, diag_dump(d))

#endif
