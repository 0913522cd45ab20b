/*
 * The ring of output_buffer (logbuf.h): whole lines evicted oldest first,
 * exactly the last N lines, a line longer than the buffer, wrap-around,
 * an empty buffer, and readers that fall behind and are told how many
 * lines they lost; and the size values of corral.conf(5).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logbuf.h"
#include "suites.h"
#include "values.h"

static int wakes;

static void
count_wake(void *ctx)
{
	(void)ctx;
	wakes++;
}

static void
add(struct logbuf *b, const char *line)
{
	logbuf_line(b, 1, line, strlen(line));
}

/* What a reader of the last n lines reads now, NUL-terminated; freed by caller. */
static char *
tail(struct logbuf *b, size_t n)
{
	struct logbuf_reader *r = logbuf_reader_new(b, n, false, count_wake,
	    NULL);
	char *out = malloc(1 << 20), chunk[LOGBUF_READ_MIN];
	size_t len = 0, k;
	bool done = false;

	ck_assert_ptr_nonnull(r);
	while (!done) {
		k = logbuf_read(r, chunk, sizeof(chunk), &done);
		memcpy(out + len, chunk, k);
		len += k;
	}
	out[len] = '\0';
	logbuf_reader_free(r);
	return out;
}

START_TEST(empty_buffer_reads_nothing)
{
	struct logbuf *b = logbuf_new(64);
	char *got = tail(b, SIZE_MAX);

	ck_assert_str_eq(got, "");
	free(got);
	ck_assert_uint_eq(logbuf_size(b), 64);
	ck_assert_uint_eq(logbuf_size(NULL), 0);
	logbuf_free(b);
	logbuf_free(NULL);
}
END_TEST

/* 64 bytes hold six lines of 6 bytes (4 of header each): 60, not 70. */
START_TEST(oldest_whole_lines_are_evicted)
{
	struct logbuf *b = logbuf_new(64);
	char line[16], *got;

	for (int i = 0; i < 100; i++) {
		snprintf(line, sizeof(line), "line%02d", i);
		add(b, line);
	}
	got = tail(b, SIZE_MAX);
	ck_assert_str_eq(got,
	    "line94\nline95\nline96\nline97\nline98\nline99\n");
	free(got);
	logbuf_free(b);
}
END_TEST

START_TEST(last_n_lines_exactly)
{
	struct logbuf *b = logbuf_new(4096);
	char line[16], *got;

	for (int i = 0; i < 10; i++) {
		snprintf(line, sizeof(line), "%d", i);
		add(b, line);
	}
	add(b, "");
	got = tail(b, 3);
	ck_assert_str_eq(got, "8\n9\n\n");
	free(got);
	got = tail(b, 0);
	ck_assert_str_eq(got, "");
	free(got);
	got = tail(b, 11);
	ck_assert_str_eq(got, "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n\n");
	free(got);
	got = tail(b, 1000);
	ck_assert_uint_eq(strlen(got), 21);
	free(got);
	logbuf_free(b);
}
END_TEST

START_TEST(line_longer_than_the_buffer_keeps_its_start)
{
	struct logbuf *b = logbuf_new(32);
	char big[100], *got;

	memset(big, 'x', sizeof(big));
	big[0] = 'A';
	add(b, "before");
	logbuf_line(b, 2, big, sizeof(big));
	got = tail(b, SIZE_MAX);
	/* The whole ring: 4 bytes of header, 28 of the line. */
	ck_assert_uint_eq(strlen(got), 29);
	ck_assert(got[0] == 'A' && got[27] == 'x' && got[28] == '\n');
	free(got);
	add(b, "after");
	got = tail(b, SIZE_MAX);
	ck_assert_str_eq(got, "after\n");
	free(got);
	logbuf_free(b);
}
END_TEST

/* Records cross the end of the ring, headers included, and read back whole. */
START_TEST(records_wrap_around)
{
	struct logbuf *b = logbuf_new(50);
	char line[32], want[256], *got;

	for (int i = 0; i < 1000; i++) {
		int n = i % 13;

		memset(line, 'a' + i % 26, (size_t)n);
		line[n] = '\0';
		add(b, line);
		if (i % 37 != 0)
			continue;
		got = tail(b, 1);
		snprintf(want, sizeof(want), "%s\n", line);
		ck_assert_str_eq(got, want);
		free(got);
	}
	logbuf_free(b);
}
END_TEST

START_TEST(follower_reads_new_lines_and_is_woken)
{
	struct logbuf *b = logbuf_new(1024);
	struct logbuf_reader *r;
	char chunk[LOGBUF_READ_MIN];
	bool done;
	size_t n;

	add(b, "old");
	wakes = 0;
	r = logbuf_reader_new(b, 0, true, count_wake, NULL);
	ck_assert_uint_eq(logbuf_read(r, chunk, sizeof(chunk), &done), 0);
	ck_assert(!done);
	logbuf_line(b, 2, "new", 3);
	ck_assert_int_eq(wakes, 1);
	add(b, "newer");
	ck_assert_int_eq(wakes, 1);	/* woken once until it reads again */
	n = logbuf_read(r, chunk, sizeof(chunk), &done);
	ck_assert_uint_eq(n, 10);
	ck_assert(memcmp(chunk, "new\nnewer\n", 10) == 0);
	ck_assert_uint_eq(logbuf_read(r, chunk, sizeof(chunk), &done), 0);
	/* Its buffer goes: it is woken, then done. */
	logbuf_free(b);
	ck_assert_int_eq(wakes, 2);
	ck_assert_uint_eq(logbuf_read(r, chunk, sizeof(chunk), &done), 0);
	ck_assert(done);
	logbuf_reader_free(r);
}
END_TEST

/* A reader that does not read loses the overwritten lines, and is told. */
START_TEST(slow_reader_is_told_what_it_lost)
{
	struct logbuf *b = logbuf_new(64);
	struct logbuf_reader *r = logbuf_reader_new(b, 0, true, count_wake,
	    NULL);
	char chunk[LOGBUF_READ_MIN], line[16], want[128];
	bool done;
	size_t n;

	for (int i = 0; i < 100; i++) {
		snprintf(line, sizeof(line), "line%02d", i);
		add(b, line);
	}
	n = logbuf_read(r, chunk, sizeof(chunk), &done);
	chunk[n] = '\0';
	snprintf(want, sizeof(want), LOGBUF_DROPPED_FMT
	    "line94\nline95\nline96\nline97\nline98\nline99\n", 94ul);
	ck_assert_str_eq(chunk, want);
	/* Caught up: nothing more is lost or told. */
	add(b, "line100");
	n = logbuf_read(r, chunk, sizeof(chunk), &done);
	chunk[n] = '\0';
	ck_assert_str_eq(chunk, "line100\n");
	/* A resize empties the ring: what it had not read is lost too. */
	add(b, "line101");
	ck_assert_int_eq(logbuf_resize(b, 128), 0);
	add(b, "line102");
	n = logbuf_read(r, chunk, sizeof(chunk), &done);
	chunk[n] = '\0';
	snprintf(want, sizeof(want), LOGBUF_DROPPED_FMT "line102\n", 1ul);
	ck_assert_str_eq(chunk, want);
	logbuf_reader_free(r);
	logbuf_free(b);
}
END_TEST

/* A reader of what was there stops there, whatever comes after. */
START_TEST(reader_without_follow_ends)
{
	struct logbuf *b = logbuf_new(64);
	struct logbuf_reader *r;
	char chunk[LOGBUF_READ_MIN], want[64];
	bool done;
	size_t n;

	add(b, "a");
	add(b, "b");
	r = logbuf_reader_new(b, SIZE_MAX, false, count_wake, NULL);
	for (int i = 0; i < 20; i++)
		add(b, "overwrites");
	n = logbuf_read(r, chunk, sizeof(chunk), &done);
	chunk[n] = '\0';
	snprintf(want, sizeof(want), LOGBUF_DROPPED_FMT, 2ul);
	ck_assert_str_eq(chunk, want);
	ck_assert_uint_eq(logbuf_read(r, chunk, sizeof(chunk), &done), 0);
	ck_assert(done);
	logbuf_reader_free(r);
	logbuf_free(b);
}
END_TEST

START_TEST(sizes_parse)
{
	char err[VALUE_ERR_MAX];
	size_t v;

	ck_assert_int_eq(parse_size("0", 100, &v, err), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(parse_size("64k", SIZE_MAX, &v, err), 0);
	ck_assert_uint_eq(v, 65536);
	ck_assert_int_eq(parse_size("16M", LOGBUF_MAX, &v, err), 0);
	ck_assert_uint_eq(v, 16u << 20);
	ck_assert_int_eq(parse_size("1G", SIZE_MAX, &v, err), 0);
	ck_assert_uint_eq(v, 1u << 30);
	ck_assert_int_eq(parse_size("1500", SIZE_MAX, &v, err), 0);
	ck_assert_uint_eq(v, 1500);
	ck_assert_int_eq(parse_size("17M", LOGBUF_MAX, &v, err), -1);
	ck_assert_str_eq(err, "'17M' is over the limit of 16M");
	ck_assert_int_eq(parse_size("16385K", LOGBUF_MAX, &v, err), -1);
	ck_assert_int_eq(parse_size("99999999999999999999", SIZE_MAX, &v,
	    err), -1);
	ck_assert_int_eq(parse_size("lots", SIZE_MAX, &v, err), -1);
	ck_assert_str_eq(err, "'lots' is not a size (bytes, or a number with "
	    "K, M or G, as in 64K)");
	ck_assert_int_eq(parse_size("1KB", SIZE_MAX, &v, err), -1);
	ck_assert_int_eq(parse_size("-1", SIZE_MAX, &v, err), -1);
	ck_assert_int_eq(parse_size("1T", SIZE_MAX, &v, err), -1);
	ck_assert_int_eq(parse_size("", SIZE_MAX, &v, err), -1);
}
END_TEST

Suite *
logbuf_suite(void)
{
	Suite *s = suite_create("logbuf");
	TCase *tc = tcase_create("ring");

	tcase_add_test(tc, empty_buffer_reads_nothing);
	tcase_add_test(tc, oldest_whole_lines_are_evicted);
	tcase_add_test(tc, last_n_lines_exactly);
	tcase_add_test(tc, line_longer_than_the_buffer_keeps_its_start);
	tcase_add_test(tc, records_wrap_around);
	tcase_add_test(tc, follower_reads_new_lines_and_is_woken);
	tcase_add_test(tc, slow_reader_is_told_what_it_lost);
	tcase_add_test(tc, reader_without_follow_ends);
	tcase_add_test(tc, sizes_parse);
	suite_add_tcase(s, tc);
	return s;
}
