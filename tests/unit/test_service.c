/*
 * The state machine, driven with plain function calls: the table, the exit
 * classification and the back-off maths.  No process is started.
 */
#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "service.h"
#include "suites.h"

static struct svc_rare rare;
static struct svc_conf conf;
static struct service svc;

static void
setup(void)
{
	memset(&conf, 0, sizeof(conf));
	memset(&rare, 0, sizeof(rare));
	conf.rare = &rare;
	strcpy(conf.name, "web");
	conf.restart = RESTART_ON_FAILURE;
	rare.success_codes.bits[0] = 1;
	conf.start_seconds = 1;
	conf.start_retries = 5;
	conf.restart_delay = 0.1;
	conf.restart_delay_max = 0.4;
	conf.stop_signal = SIGTERM;
	conf.kill_signal = SIGKILL;
	memset(&svc, 0, sizeof(svc));
	svc.conf = &conf;
	svc.want_up = true;
	svc.started_at = 100;
}

/* The run ended at `at`, 100 being its start. */
static enum svc_event
decide_at(double at)
{
	svc.ended_at = at;
	return service_decide(&svc);
}

START_TEST(every_cell_names_a_real_state)
{
	for (int st = SS_IDLE; st < SS__COUNT; st++)
		for (int ev = SE_NONE; ev < SE__COUNT; ev++) {
			const struct transition *t = service_transition(st, ev);

			ck_assert_int_ge(t->next, SS_NONE);
			ck_assert_int_lt(t->next, SS__COUNT);
			ck_assert_int_lt(t->action, SA__COUNT);
			if (t->next == SS_NONE)
				ck_assert_int_eq(t->action, SA_NONE);
		}
}
END_TEST

START_TEST(every_state_is_reachable_from_idle)
{
	bool seen[SS__COUNT] = { false };
	bool grew = true;

	seen[SS_IDLE] = true;
	while (grew) {
		grew = false;
		for (int st = SS_IDLE; st < SS__COUNT; st++) {
			if (!seen[st])
				continue;
			for (int ev = SE_NONE; ev < SE__COUNT; ev++) {
				enum svc_state n = service_transition(st, ev)->next;

				if (n != SS_NONE && !seen[n]) {
					seen[n] = true;
					grew = true;
				}
			}
		}
	}
	for (int st = SS_IDLE; st < SS__COUNT; st++)
		ck_assert_msg(seen[st], "state %s unreachable",
		    service_state_name(st));
}
END_TEST

START_TEST(every_state_can_be_stopped_or_is_settled)
{
	/* A shutdown must be able to end in any state (SPEC §5). */
	for (int st = SS_IDLE; st < SS__COUNT; st++) {
		const struct transition *t = service_transition(st, SE_STOP);

		svc.state = st;
		ck_assert_msg(t->next != SS_NONE || service_is_settled(&svc) ||
		    st == SS_CLEANUP, "STOP ignored in %s", service_state_name(st));
	}
}
END_TEST

/* Feeds ev to svc, which must land in want by action act. */
static void
step_to(enum svc_event ev, enum svc_state want, enum svc_action act)
{
	enum svc_state from = svc.state;
	const struct transition *t = service_step(&svc, ev);

	ck_assert_msg(t->next == want && t->action == act && svc.state == want,
	    "%s in state %d: got state %d action %s, want %d %s",
	    service_event_name(ev), from, t->next,
	    service_action_name(t->action), want, service_action_name(act));
}

START_TEST(stop_sequence_is_in_the_table)
{
	svc.state = SS_RUNNING;
	step_to(SE_STOP, SS_STOPPING, SA_STOP);
	step_to(SE_DELAYED, SS_DELAYING, SA_NONE);
	step_to(SE_TIMEOUT, SS_STOPPING, SA_SIGNAL);
	step_to(SE_TIMEOUT, SS_STOPPING, SA_WINDOW_OVER);
	step_to(SE_KILLED, SS_KILLING, SA_NONE);
	step_to(SE_TIMEOUT, SS_KILLING, SA_RECHECK);
	step_to(SE_EMPTY, SS_DRAINING, SA_DRAIN);
	step_to(SE_TIMEOUT, SS_DRAINING, SA_DRAIN);
	step_to(SE_DOWN, SS_CLEANUP, SA_CLEANUP);
	/* A window that ends with only the pipes open kills nothing. */
	svc.state = SS_STOPPING;
	step_to(SE_EMPTY, SS_DRAINING, SA_DRAIN);
}
END_TEST

START_TEST(interventions_are_events)
{
	for (int st = SS_IDLE; st < SS__COUNT; st++) {
		svc.state = st;
		/*
		 * The deadline reaches everything that is not settled; a
		 * shutdown's start took every back-off to stopped.
		 */
		ck_assert_msg((service_is_settled(&svc) || st == SS_BACKOFF) ==
		    (service_transition(st, SE_DEADLINE)->next == SS_NONE),
		    "DEADLINE in %s", service_state_name(st));
		/* A second signal only ends graceful windows. */
		ck_assert_int_eq(service_transition(st, SE_HURRY)->action ==
		    SA_HURRY, st == SS_DELAYING || st == SS_STOPPING);
	}
	svc.state = SS_DELAYING;
	step_to(SE_HURRY, SS_DELAYING, SA_HURRY);
	step_to(SE_KILLED, SS_KILLING, SA_NONE);
	svc.state = SS_RUNNING;
	step_to(SE_DEADLINE, SS_RUNNING, SA_DEADLINE);
	step_to(SE_KILLED, SS_RUNNING, SA_NONE);
	svc.state = SS_CLEANUP;
	step_to(SE_DEADLINE, SS_CLEANUP, SA_KILL_HOOK);
	/* corralctl start cuts a back-off short. */
	svc.state = SS_BACKOFF;
	step_to(SE_START, SS_STARTING, SA_SPAWN);
}
END_TEST

START_TEST(stop_states_show_as_stopping)
{
	static const enum svc_state going[] = {
		SS_DELAYING, SS_STOPPING, SS_KILLING, SS_DRAINING,
	};

	for (size_t i = 0; i < sizeof(going) / sizeof(going[0]); i++) {
		svc.state = going[i];
		ck_assert_str_eq(service_state_name(going[i]), "stopping");
		ck_assert(service_is_stopping(&svc));
		ck_assert(service_is_live(&svc));
		ck_assert(!service_is_settled(&svc));
	}
	svc.state = SS_CLEANUP;
	ck_assert(!service_is_stopping(&svc));
}
END_TEST

START_TEST(an_ignored_event_changes_nothing)
{
	svc.state = SS_STOPPED;
	ck_assert_int_eq(service_step(&svc, SE_TIMEOUT)->next, SS_NONE);
	ck_assert_int_eq(svc.state, SS_STOPPED);
}
END_TEST

START_TEST(out_of_range_is_ignored)
{
	ck_assert_int_eq(service_transition(SS__COUNT, SE_START)->next, SS_NONE);
	ck_assert_int_eq(service_transition(SS_IDLE, SE__COUNT)->next, SS_NONE);
	ck_assert_str_eq(service_state_name(SS__COUNT), "?");
}
END_TEST

START_TEST(names_come_from_one_list)
{
	ck_assert_str_eq(service_state_name(SS_BACKOFF), "backoff");
	ck_assert_str_eq(service_event_name(SE_SPAWN_FAILED), "SPAWN_FAILED");
	ck_assert_str_eq(service_action_name(SA_ARM_BACKOFF), "ARM_BACKOFF");
	ck_assert_str_eq(service_reason_name(SR_SHUTDOWN), "shutdown");
	for (int st = SS_NONE; st < SS__COUNT; st++)
		ck_assert_ptr_nonnull(service_state_name(st));
}
END_TEST

START_TEST(clean_exit_under_on_failure_finishes)
{
	svc.status = W_EXITCODE(0, 0);
	ck_assert_int_eq(decide_at(105), SE_FINISH);
}
END_TEST

START_TEST(failure_after_a_long_run_restarts_at_once)
{
	svc.status = W_EXITCODE(1, 0);
	svc.failed_starts = 3;
	ck_assert_int_eq(decide_at(105), SE_RESTART);
	ck_assert_uint_eq(svc.failed_starts, 0);
}
END_TEST

START_TEST(short_failure_backs_off_then_gives_up)
{
	svc.status = W_EXITCODE(1, 0);
	for (unsigned i = 1; i < conf.start_retries; i++) {
		ck_assert_int_eq(decide_at(100.2), SE_RETRY);
		ck_assert_uint_eq(svc.failed_starts, i);
	}
	ck_assert_int_eq(decide_at(100.2), SE_GIVE_UP);
}
END_TEST

START_TEST(listed_exit_code_is_success)
{
	rare.success_codes.bits[0] |= UINT64_C(1) << 3;
	svc.status = W_EXITCODE(3, 0);
	ck_assert_int_eq(decide_at(100.1), SE_FINISH);
}
END_TEST

START_TEST(signal_death_is_a_failure)
{
	svc.status = SIGKILL;		/* WIFSIGNALED */
	ck_assert_int_eq(decide_at(110), SE_RESTART);
}
END_TEST

START_TEST(always_restarts_success)
{
	conf.restart = RESTART_ALWAYS;
	svc.status = W_EXITCODE(0, 0);
	ck_assert_int_eq(decide_at(110), SE_RESTART);
}
END_TEST

START_TEST(never_never_restarts)
{
	conf.restart = RESTART_NEVER;
	svc.status = W_EXITCODE(1, 0);
	ck_assert_int_eq(decide_at(100.1), SE_FINISH);
	ck_assert(!svc.failed_start);
}
END_TEST

START_TEST(spawn_failure_is_a_failed_start)
{
	svc.spawn_failed = true;
	svc.status = W_EXITCODE(127, 0);
	ck_assert_int_eq(decide_at(200), SE_RETRY);
	ck_assert(svc.failed_start);
}
END_TEST

START_TEST(stopped_service_finishes)
{
	svc.want_up = false;
	svc.status = SIGKILL;
	ck_assert_int_eq(decide_at(100.1), SE_FINISH);
}
END_TEST

START_TEST(zero_retries_give_up_at_once)
{
	conf.start_retries = 0;
	svc.status = W_EXITCODE(1, 0);
	ck_assert_int_eq(decide_at(100.1), SE_GIVE_UP);
}
END_TEST

START_TEST(backoff_doubles_and_caps)
{
	ck_assert_double_eq_tol(service_backoff(&conf, 1), 0.1, 1e-9);
	ck_assert_double_eq_tol(service_backoff(&conf, 2), 0.2, 1e-9);
	ck_assert_double_eq_tol(service_backoff(&conf, 3), 0.4, 1e-9);
	ck_assert_double_eq_tol(service_backoff(&conf, 4), 0.4, 1e-9);
	ck_assert_double_eq_tol(service_backoff(&conf, 1000), 0.4, 1e-9);
	conf.restart_delay = 0;
	ck_assert_double_eq_tol(service_backoff(&conf, 7), 0, 1e-9);
}
END_TEST

START_TEST(expected_status_after_stop)
{
	svc.status = SIGTERM;
	ck_assert(!service_status_expected(&svc));	/* not sent by corral */
	svc.sent_stop = true;
	ck_assert(service_status_expected(&svc));
	svc.status = W_EXITCODE(143, 0);
	ck_assert(service_status_expected(&svc));
	svc.status = W_EXITCODE(1, 0);
	ck_assert(!service_status_expected(&svc));
	svc.status = SIGKILL;
	ck_assert(!service_status_expected(&svc));
	svc.status = W_EXITCODE(0, 0);
	ck_assert(service_status_expected(&svc));
}
END_TEST

START_TEST(exit_code_like_a_shell)
{
	ck_assert_int_eq(service_exit_code(W_EXITCODE(7, 0)), 7);
	ck_assert_int_eq(service_exit_code(SIGSEGV), 139);
	ck_assert_int_eq(service_exit_code(SIGTERM), 143);
}
END_TEST

/* What hooks and on_state are told: a code, or a name without SIG. */
START_TEST(exit_var_code_or_signal)
{
	char buf[32];

	service_exit_var(W_EXITCODE(3, 0), buf, sizeof(buf));
	ck_assert_str_eq(buf, "CORRAL_EXIT_CODE=3");
	service_exit_var(SIGTERM, buf, sizeof(buf));
	ck_assert_str_eq(buf, "CORRAL_EXIT_SIGNAL=TERM");
	service_exit_var(SIGKILL | 0x80, buf, sizeof(buf));
	ck_assert_str_eq(buf, "CORRAL_EXIT_SIGNAL=KILL");
}
END_TEST

Suite *
service_suite(void)
{
	Suite *s = suite_create("service");
	TCase *tc = tcase_create("table");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, every_cell_names_a_real_state);
	tcase_add_test(tc, every_state_is_reachable_from_idle);
	tcase_add_test(tc, every_state_can_be_stopped_or_is_settled);
	tcase_add_test(tc, out_of_range_is_ignored);
	tcase_add_test(tc, stop_sequence_is_in_the_table);
	tcase_add_test(tc, interventions_are_events);
	tcase_add_test(tc, stop_states_show_as_stopping);
	tcase_add_test(tc, an_ignored_event_changes_nothing);
	tcase_add_test(tc, names_come_from_one_list);
	suite_add_tcase(s, tc);
	tc = tcase_create("decide");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, clean_exit_under_on_failure_finishes);
	tcase_add_test(tc, failure_after_a_long_run_restarts_at_once);
	tcase_add_test(tc, short_failure_backs_off_then_gives_up);
	tcase_add_test(tc, listed_exit_code_is_success);
	tcase_add_test(tc, signal_death_is_a_failure);
	tcase_add_test(tc, always_restarts_success);
	tcase_add_test(tc, never_never_restarts);
	tcase_add_test(tc, spawn_failure_is_a_failed_start);
	tcase_add_test(tc, stopped_service_finishes);
	tcase_add_test(tc, zero_retries_give_up_at_once);
	tcase_add_test(tc, backoff_doubles_and_caps);
	tcase_add_test(tc, expected_status_after_stop);
	tcase_add_test(tc, exit_code_like_a_shell);
	tcase_add_test(tc, exit_var_code_or_signal);
	suite_add_tcase(s, tc);
	return s;
}
