/*
 * The warning limiter: one line a second per (source, kind), and the line
 * shown after a pause carries the count held back in between.
 */
#include <check.h>

#include "ratelimit.h"
#include "suites.h"

START_TEST(ratelimit_once_a_second)
{
	struct ratelimit rl = { 0 };
	unsigned long held = 99;
	int shown = 0;

	ck_assert(ratelimit_allow(&rl, 100.0, &held));
	ck_assert_uint_eq(held, 0);
	/* 1000 warnings in the next 0.999 s: none shown. */
	for (int i = 1; i <= 1000; i++)
		shown += ratelimit_allow(&rl, 100.0 + i * 0.000999, &held);
	ck_assert_int_eq(shown, 0);
	ck_assert(ratelimit_allow(&rl, 101.0, &held));
	ck_assert_uint_eq(held, 1000);
	ck_assert(!ratelimit_allow(&rl, 101.5, &held));
	ck_assert(ratelimit_allow(&rl, 102.0, &held));
	ck_assert_uint_eq(held, 1);
	/* A long quiet spell: the next one is shown at once, nothing held. */
	ck_assert(ratelimit_allow(&rl, 500.0, &held));
	ck_assert_uint_eq(held, 0);
}
END_TEST

START_TEST(ratelimit_pending_count)
{
	struct ratelimit rl = { 0 };
	unsigned long held = 0;

	ck_assert(!ratelimit_pending(&rl, 10.0, &held));
	ck_assert(ratelimit_allow(&rl, 10.0, &held));
	ck_assert(!ratelimit_allow(&rl, 10.1, &held));
	ck_assert(!ratelimit_allow(&rl, 10.2, &held));
	/* Not yet a second since the last line: the count stays held. */
	ck_assert(!ratelimit_pending(&rl, 10.5, &held));
	ck_assert(ratelimit_pending(&rl, 11.0, &held));
	ck_assert_uint_eq(held, 2);
	/* Reported: nothing pending, and the report counts as a line shown. */
	ck_assert(!ratelimit_pending(&rl, 20.0, &held));
	ck_assert(!ratelimit_allow(&rl, 11.5, &held));
	ck_assert_uint_eq(ratelimit_take(&rl), 1);
	ck_assert_uint_eq(ratelimit_take(&rl), 0);
}
END_TEST

START_TEST(ratelimit_kinds_apart)
{
	struct ratelimit a = { 0 }, b = { 0 };
	unsigned long held;

	ck_assert(ratelimit_allow(&a, 5.0, &held));
	ck_assert(ratelimit_allow(&b, 5.0, &held));
	ck_assert(!ratelimit_allow(&a, 5.1, &held));
	ck_assert_uint_eq(ratelimit_take(&b), 0);
	ck_assert_uint_eq(ratelimit_take(&a), 1);
}
END_TEST

Suite *
ratelimit_suite(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc = tcase_create("limiter");

	tcase_add_test(tc, ratelimit_once_a_second);
	tcase_add_test(tc, ratelimit_pending_count);
	tcase_add_test(tc, ratelimit_kinds_apart);
	suite_add_tcase(s, tc);
	return s;
}
