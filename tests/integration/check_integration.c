/*
 * The integration test runner: every suite, one test case per test so that
 * each has its own timeout and its own sweep of leftover processes.
 *
 * Run with `make check-integration`, which sets CORRAL_BIN, CORRAL_CTL,
 * CORRAL_SVC and CORRAL_SRC; run directly, build/check_integration finds
 * build/corral, build/svc and the sources itself.  CK_RUN_SUITE and
 * CK_RUN_CASE pick a suite or a single test (a case is named after its
 * test); CK_VERBOSITY=verbose lists every test.  CORRAL_TEST_SLOWDOWN=N
 * stretches every wait's bound N times (`make valgrind` sets 10).
 */
#include <stdlib.h>

#include "harness.h"

int
main(void)
{
	SRunner *sr = srunner_create(NULL);
	int failed;

	h_runner_init();
	/*
	 * Tests run many corrals at once, as root: none of them may take the
	 * host's default socket.  A test that wants one names it.
	 */
	setenv("CORRAL_SOCKET", "none", 1);
	srunner_add_suite(sr, suite_check_cli());
	srunner_add_suite(sr, suite_shutdown());
	srunner_add_suite(sr, suite_signals());
	srunner_add_suite(sr, suite_spawn());
	srunner_add_suite(sr, suite_single());
	srunner_add_suite(sr, suite_pid1());
	srunner_add_suite(sr, suite_restart());
	srunner_add_suite(sr, suite_exhaustion());
	srunner_add_suite(sr, suite_notify());
	srunner_add_suite(sr, suite_tty());
	srunner_add_suite(sr, suite_deps());
	srunner_add_suite(sr, suite_checks());
	srunner_add_suite(sr, suite_control());
	srunner_add_suite(sr, suite_reload());
	srunner_add_suite(sr, suite_exec_env());
	srunner_add_suite(sr, suite_output());
	srunner_add_suite(sr, suite_trust());
	srunner_add_suite(sr, suite_compose());
	srunner_add_suite(sr, suite_kinds());
	srunner_add_suite(sr, suite_sockets());
	srunner_add_suite(sr, suite_watch());
	srunner_add_suite(sr, suite_probes());
	srunner_add_suite(sr, suite_metrics());
	srunner_add_suite(sr, suite_onstate());
	srunner_add_suite(sr, suite_logs());
	srunner_add_suite(sr, suite_sinks());
	/* The harness's cleanup relies on each test being a process of its own. */
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	h_runner_finish(failed == 0);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
