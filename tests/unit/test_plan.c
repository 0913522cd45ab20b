/*
 * Shutdown planning on configs parsed from strings: stop order, the
 * worst-case timeline and the latest kill under shutdown_deadline.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "plan.h"
#include "suites.h"

static struct config *
parse(const char *text)
{
	struct diag d = { 0 };
	struct config *c = config_parse("t.conf", text, strlen(text), &d);

	ck_assert_msg(c != NULL, "config refused: %s", d.n ? d.lines[0] : "?");
	diag_free(&d);
	return c;
}

static const char chain[] =
	"[corral]\n"
	"stop_timeout = 10s\n"
	"cleanup_timeout = 5s\n"
	"[service:db]\ncommand = db\ncleanup = c\n"
	"[service:app]\ncommand = app\nafter = db\ncleanup = c\n"
	"[service:proxy]\ncommand = proxy\nafter = app\n"
	"[service:side]\ncommand = side\n";

static size_t
idx(const struct config *c, const char *name)
{
	return config_find(c, name)->index;
}

START_TEST(dependents_stop_first)
{
	struct config *c = parse(chain);
	struct plan p;
	size_t pos[4];

	ck_assert_int_eq(plan_build(c, &p), 0);
	for (size_t k = 0; k < 4; k++)
		pos[p.stop_order[k]] = k;
	ck_assert_uint_lt(pos[idx(c, "proxy")], pos[idx(c, "app")]);
	ck_assert_uint_lt(pos[idx(c, "app")], pos[idx(c, "db")]);
	ck_assert_uint_eq(p.wave[idx(c, "db")], 0);
	ck_assert_uint_eq(p.wave[idx(c, "app")], 1);
	ck_assert_uint_eq(p.wave[idx(c, "proxy")], 2);
	ck_assert_uint_eq(p.nwaves, 3);
	plan_free(&p);
	config_free(c);
}
END_TEST

START_TEST(parallel_timeline_follows_dependencies)
{
	struct config *c = parse(chain);
	struct plan p;

	ck_assert_int_eq(plan_build(c, &p), 0);
	/* proxy 10s, then app 10s + 5s cleanup, then db 10s + 5s. */
	ck_assert_double_eq_tol(p.full[idx(c, "proxy")].end, 10, 1e-9);
	ck_assert_double_eq_tol(p.full[idx(c, "app")].begin, 10, 1e-9);
	ck_assert_double_eq_tol(p.full[idx(c, "app")].end, 25, 1e-9);
	ck_assert_double_eq_tol(p.full[idx(c, "db")].end, 40, 1e-9);
	ck_assert_double_eq_tol(p.full[idx(c, "side")].end, 10, 1e-9);
	ck_assert_double_eq_tol(p.total, 40, 1e-9);
	ck_assert(isinf(p.latest_kill[0]));
	plan_free(&p);
	config_free(c);
}
END_TEST

START_TEST(sequential_is_reverse_file_order)
{
	struct config *c = parse("[corral]\nshutdown_order = sequential\n"
	    "stop_timeout = 1s\n"
	    "[service:a]\ncommand = a\n[service:b]\ncommand = b\n"
	    "[service:c]\ncommand = c\n");
	struct plan p;

	ck_assert_int_eq(plan_build(c, &p), 0);
	ck_assert_uint_eq(p.stop_order[0], 2);
	ck_assert_uint_eq(p.stop_order[1], 1);
	ck_assert_uint_eq(p.stop_order[2], 0);
	ck_assert_double_eq_tol(p.total, 3, 1e-9);
	plan_free(&p);
	config_free(c);
}
END_TEST

START_TEST(sequential_keeps_dependents_first)
{
	/* a is last in the file but depends on c: c must stop after a. */
	struct config *c = parse("[corral]\nshutdown_order = sequential\n"
	    "[service:c]\ncommand = c\n[service:b]\ncommand = b\n"
	    "[service:a]\ncommand = a\nafter = c\n");
	struct plan p;
	size_t pos[3];

	ck_assert_int_eq(plan_build(c, &p), 0);
	for (size_t k = 0; k < 3; k++)
		pos[p.stop_order[k]] = k;
	ck_assert_uint_lt(pos[idx(c, "a")], pos[idx(c, "c")]);
	plan_free(&p);
	config_free(c);
}
END_TEST

START_TEST(deadline_leaves_room_for_cleanups)
{
	struct config *c = parse("[corral]\nshutdown_deadline = 3s\n"
	    "stop_timeout = 10s\ncleanup_timeout = 1s\n"
	    "[service:s]\ncommand = s\ncleanup = c\n");
	struct plan p;

	ck_assert_int_eq(plan_build(c, &p), 0);
	ck_assert_double_eq_tol(p.latest_kill[0], 2, 1e-9);
	ck_assert_double_eq_tol(p.cut[0].kill_at, 2, 1e-9);
	ck_assert_double_eq_tol(p.cut_total, 3, 1e-9);
	ck_assert_double_eq_tol(p.total, 11, 1e-9);
	plan_free(&p);
	config_free(c);
}
END_TEST

START_TEST(deadline_cuts_delay_before_window)
{
	struct svc_conf s = { .stop_delay = 5, .stop_timeout = 10 };
	double delay, window;

	plan_fit(&s, 20, &delay, &window);
	ck_assert_double_eq_tol(delay, 5, 1e-9);
	ck_assert_double_eq_tol(window, 10, 1e-9);
	plan_fit(&s, 12, &delay, &window);
	ck_assert_double_eq_tol(delay, 2, 1e-9);
	ck_assert_double_eq_tol(window, 10, 1e-9);
	plan_fit(&s, 4, &delay, &window);
	ck_assert_double_eq_tol(delay, 0, 1e-9);
	ck_assert_double_eq_tol(window, 4, 1e-9);
	plan_fit(&s, -1, &delay, &window);
	ck_assert_double_eq_tol(window, 0, 1e-9);
}
END_TEST

/*
 * A stop that waited out its delay asks plan_fit() again, at a later
 * moment (lifecycle.c's begin_window): it must get the window it was
 * promised, so the window may depend on the time left but never on the
 * delay.
 */
START_TEST(window_does_not_depend_on_the_delay)
{
	for (double d = 0; d <= 6; d += 1.5)
		for (double avail = -1; avail <= 20; avail += 0.5) {
			struct svc_conf s = { .stop_delay = d, .stop_timeout = 10 };
			struct svc_conf none = { .stop_delay = 0, .stop_timeout = 10 };
			double delay, window, delay0, window0, later, window1;

			plan_fit(&s, avail, &delay, &window);
			plan_fit(&none, avail, &delay0, &window0);
			ck_assert_double_eq_tol(window, window0, 1e-9);
			/* After the delay, the same window is left. */
			plan_fit(&s, avail - delay, &later, &window1);
			ck_assert_double_eq_tol(window1, window, 1e-9);
		}
}
END_TEST

START_TEST(deadline_counts_later_cleanups)
{
	struct config *c = parse("[corral]\nshutdown_deadline = 28s\n"
	    "cleanup_timeout = 5s\n" "[service:db]\ncommand = db\ncleanup = c\n"
	    "[service:app]\ncommand = app\nafter = db\ncleanup = c\n");
	struct plan p;

	ck_assert_int_eq(plan_build(c, &p), 0);
	ck_assert_double_eq_tol(p.latest_kill[idx(c, "app")], 18, 1e-9);
	ck_assert_double_eq_tol(p.latest_kill[idx(c, "db")], 23, 1e-9);
	ck_assert_double_eq_tol(p.min_total, 10, 1e-9);
	ck_assert(p.cut_total <= 28 + 1e-9);
	plan_free(&p);
	config_free(c);
}
END_TEST

START_TEST(warns_only_past_the_deadline)
{
	struct config *c = parse("[corral]\nshutdown_deadline = 5s\n"
	    "stop_timeout = 10s\n[service:s]\ncommand = s\n");
	struct plan p;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	ck_assert_int_eq(plan_build(c, &p), 0);
	ck_assert_int_eq(plan_warn(c, &p, out), 1);
	plan_print(c, &p, out);
	fclose(out);
	ck_assert_ptr_nonnull(strstr(buf, "t.conf: warning: worst-case "
	    "shutdown takes 10s, more than shutdown_deadline 5s"));
	ck_assert_ptr_nonnull(strstr(buf, "total: 10s\n"));
	ck_assert_ptr_nonnull(strstr(buf, "with shutdown_deadline 5s:"));
	ck_assert_ptr_nonnull(strstr(buf, "total: 5s\n"));
	free(buf);
	plan_free(&p);
	config_free(c);

	c = parse("[corral]\nshutdown_deadline = 20s\n[service:s]\ncommand = s\n");
	ck_assert_int_eq(plan_build(c, &p), 0);
	out = open_memstream(&buf, &len);
	ck_assert_int_eq(plan_warn(c, &p, out), 0);
	fclose(out);
	free(buf);
	plan_free(&p);
	config_free(c);
}
END_TEST

Suite *
plan_suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("plan");

	tcase_add_test(tc, dependents_stop_first);
	tcase_add_test(tc, parallel_timeline_follows_dependencies);
	tcase_add_test(tc, sequential_is_reverse_file_order);
	tcase_add_test(tc, sequential_keeps_dependents_first);
	tcase_add_test(tc, deadline_leaves_room_for_cleanups);
	tcase_add_test(tc, deadline_cuts_delay_before_window);
	tcase_add_test(tc, window_does_not_depend_on_the_delay);
	tcase_add_test(tc, deadline_counts_later_cleanups);
	tcase_add_test(tc, warns_only_past_the_deadline);
	suite_add_tcase(s, tc);
	return s;
}
