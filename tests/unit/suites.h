/*
 * The unit test suites, one line each.  check_main.c builds its table from
 * this list, so a new test file only needs its line here.  The comment that
 * ends the macro lets every suite line keep its trailing backslash.
 */
#ifndef CORRAL_TEST_SUITES_H
#define CORRAL_TEST_SUITES_H

#include <check.h>

#define UNIT_SUITES(X) \
	X(values_suite) \
	X(config_suite) \
	X(confdiff_suite) \
	X(service_suite) \
	X(plan_suite) \
	X(pidmap_suite) \
	X(output_suite) \
	X(misc_suite) \
	X(ratelimit_suite) \
	X(verbs_suite) \
	X(compose_suite) \
	X(expand_suite) \
	X(envfile_suite) \
	X(probe_suite) \
	X(onstate_suite) \
	X(logbuf_suite) \
	X(logfmt_suite) \
	/* end of UNIT_SUITES */

#define DECLARE_SUITE(fn) Suite *fn(void);
UNIT_SUITES(DECLARE_SUITE)
#undef DECLARE_SUITE

#endif
