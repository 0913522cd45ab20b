/*
 * The pid map against a plain array, through growth and backward-shift
 * deletion, with pids that collide in the table.
 */
#include <check.h>
#include <stdlib.h>

#include "pidmap.h"
#include "suites.h"

START_TEST(matches_a_reference)
{
	enum { N = 5000 };
	static char owners[N];
	struct pidmap m = { 0 };
	void *o;

	for (int i = 1; i < N; i++)
		ck_assert_int_eq(pidmap_put(&m, i * 64, PID_SERVICE, &owners[i]), 0);
	for (int i = 1; i < N; i += 2)
		pidmap_del(&m, i * 64);
	for (int i = 1; i < N; i++) {
		enum pid_kind k = pidmap_get(&m, i * 64, &o);

		if (i % 2) {
			ck_assert_int_eq(k, PID_NONE);
		} else {
			ck_assert_int_eq(k, PID_SERVICE);
			ck_assert_ptr_eq(o, &owners[i]);
		}
	}
	ck_assert_uint_eq(m.n, (N - 1) / 2);
	pidmap_del(&m, 12345678);	/* absent: no effect */
	ck_assert_uint_eq(m.n, (N - 1) / 2);
	pidmap_free(&m);
}
END_TEST

START_TEST(put_replaces)
{
	struct pidmap m = { 0 };
	int a, b;
	void *o;

	ck_assert_int_eq(pidmap_get(&m, 7, &o), PID_NONE);
	pidmap_del(&m, 7);
	ck_assert_int_eq(pidmap_put(&m, 7, PID_SERVICE, &a), 0);
	ck_assert_int_eq(pidmap_put(&m, 7, PID_HOOK, &b), 0);
	ck_assert_int_eq(pidmap_get(&m, 7, &o), PID_HOOK);
	ck_assert_ptr_eq(o, &b);
	ck_assert_uint_eq(m.n, 1);
	pidmap_free(&m);
}
END_TEST

Suite *
pidmap_suite(void)
{
	Suite *s = suite_create("pidmap");
	TCase *tc = tcase_create("pidmap");

	tcase_add_test(tc, matches_a_reference);
	tcase_add_test(tc, put_replaces);
	suite_add_tcase(s, tc);
	return s;
}
