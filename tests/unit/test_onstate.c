/*
 * The FIFO of on_state changes: first in, first out across the wrap of the
 * ring, at most ONSTATE_QUEUE_MAX waiting, the rest dropped and counted.
 */
#include <check.h>
#include <string.h>

#include "onstate.h"
#include "suites.h"

static struct onstate_fifo q;	/* static: too big for a test's stack */

static struct onstate_event
event(unsigned long seq)
{
	struct onstate_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.seq = seq;
	return ev;
}

START_TEST(fifo_keeps_the_order_and_drops_when_full)
{
	struct onstate_event ev;
	unsigned long next = 1;

	memset(&q, 0, sizeof(q));
	ck_assert(!onstate_fifo_pop(&q, &ev));
	for (unsigned long i = 1; i <= ONSTATE_QUEUE_MAX; i++) {
		ev = event(i);
		ck_assert(onstate_fifo_push(&q, &ev));
	}
	ev = event(999);
	ck_assert(!onstate_fifo_push(&q, &ev));
	ck_assert(!onstate_fifo_push(&q, &ev));
	ck_assert_uint_eq(q.dropped, 2);
	ck_assert_uint_eq(q.len, ONSTATE_QUEUE_MAX);
	/* Half out, more in: the ring wraps, the order holds. */
	for (int i = 0; i < ONSTATE_QUEUE_MAX / 2; i++) {
		ck_assert(onstate_fifo_pop(&q, &ev));
		ck_assert_uint_eq(ev.seq, next++);
	}
	for (unsigned long i = ONSTATE_QUEUE_MAX + 1;
	    i <= ONSTATE_QUEUE_MAX + ONSTATE_QUEUE_MAX / 2; i++) {
		ev = event(i);
		ck_assert(onstate_fifo_push(&q, &ev));
	}
	while (onstate_fifo_pop(&q, &ev))
		ck_assert_uint_eq(ev.seq, next++);
	ck_assert_uint_eq(next, ONSTATE_QUEUE_MAX + ONSTATE_QUEUE_MAX / 2 + 1);
	ck_assert_uint_eq(q.len, 0);
	ck_assert_uint_eq(q.dropped, 2);
}
END_TEST

Suite *
onstate_suite(void)
{
	Suite *s = suite_create("onstate");
	TCase *tc = tcase_create("fifo");

	tcase_add_test(tc, fifo_keeps_the_order_and_drops_when_full);
	suite_add_tcase(s, tc);
	return s;
}
