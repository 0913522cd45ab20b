/*
 * Runs every suite of suites.h.  Each test runs in its own process, so a
 * crash or a leaked static state fails one test, not the run.
 */
#include <check.h>
#include <stdlib.h>

#include "suites.h"

#define AS_TABLE_ENTRY(fn) fn,
static Suite *(*const suites[])(void) = { UNIT_SUITES(AS_TABLE_ENTRY) };

int
main(void)
{
	SRunner *sr = srunner_create(NULL);
	int failed;

	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		srunner_add_suite(sr, suites[i]());
	/* CK_FORK=no in the environment still wins, for gdb and valgrind. */
	if (getenv("CK_FORK") == NULL)
		srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
