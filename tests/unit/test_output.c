/*
 * The line splitter of `output = prefix`: lines across reads, a final line
 * without newline, and lines longer than OUTPUT_LINE_MAX.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "suites.h"

static char	*lines[64];
static size_t	 nlines;

static void
collect(struct output_stream *st, const char *line, size_t len)
{
	(void)st;
	ck_assert_uint_lt(nlines, 64);
	lines[nlines] = strndup(line, len);
	ck_assert_ptr_nonnull(lines[nlines]);
	nlines++;
}

static void
reset(void)
{
	for (size_t i = 0; i < nlines; i++)
		free(lines[i]);
	nlines = 0;
}

static void
feed(struct output_stream *st, const char *s)
{
	output_split(st, s, strlen(s), collect);
}

START_TEST(whole_lines)
{
	struct output_stream st = { .fd = -1 };

	feed(&st, "a\nbb\n\nccc\n");
	ck_assert_uint_eq(nlines, 4);
	ck_assert_str_eq(lines[0], "a");
	ck_assert_str_eq(lines[1], "bb");
	ck_assert_str_eq(lines[2], "");
	ck_assert_str_eq(lines[3], "ccc");
	ck_assert_uint_eq(st.partial_len, 0);
	reset();
	free(st.partial);
}
END_TEST

START_TEST(lines_across_reads)
{
	struct output_stream st = { .fd = -1 };

	feed(&st, "hel");
	feed(&st, "lo wo");
	ck_assert_uint_eq(nlines, 0);
	feed(&st, "rld\nnext");
	ck_assert_uint_eq(nlines, 1);
	ck_assert_str_eq(lines[0], "hello world");
	ck_assert_uint_eq(st.partial_len, 4);
	ck_assert(memcmp(st.partial, "next", 4) == 0);
	reset();
	free(st.partial);
}
END_TEST

START_TEST(long_line_is_split)
{
	struct output_stream st = { .fd = -1 };
	size_t len = OUTPUT_LINE_MAX * 2 + 10;
	char *big = malloc(len + 2);

	memset(big, 'x', len);
	big[len] = '\n';
	big[len + 1] = '\0';
	feed(&st, big);
	ck_assert_uint_eq(nlines, 3);
	ck_assert_uint_eq(strlen(lines[0]), OUTPUT_LINE_MAX);
	ck_assert_uint_eq(strlen(lines[1]), OUTPUT_LINE_MAX);
	ck_assert_uint_eq(strlen(lines[2]), 10);
	reset();
	free(big);
	free(st.partial);
}
END_TEST

START_TEST(exact_limit_gives_no_empty_line)
{
	struct output_stream st = { .fd = -1 };
	char *big = malloc(OUTPUT_LINE_MAX + 3);

	memset(big, 'y', OUTPUT_LINE_MAX);
	strcpy(big + OUTPUT_LINE_MAX, "\nz");
	/* Split in two reads so the line goes through the partial buffer. */
	output_split(&st, big, 10, collect);
	output_split(&st, big + 10, OUTPUT_LINE_MAX - 10 + 2, collect);
	ck_assert_uint_eq(nlines, 1);
	ck_assert_uint_eq(strlen(lines[0]), OUTPUT_LINE_MAX);
	ck_assert_uint_eq(st.partial_len, 1);
	reset();
	free(big);
	free(st.partial);
}
END_TEST

START_TEST(multiple_of_the_limit_then_more)
{
	struct output_stream st = { .fd = -1 };
	size_t len = OUTPUT_LINE_MAX * 3;
	char *big = malloc(len + 8);

	memset(big, 'w', len);
	strcpy(big + len, "\ntail");
	/* Delivered in reads that do not line up with the limit. */
	for (size_t off = 0; off < len + 5; off += 5000)
		output_split(&st, big + off, off + 5000 > len + 5 ? len + 5 - off :
		    5000, collect);
	ck_assert_uint_eq(nlines, 3);
	for (size_t i = 0; i < 3; i++)
		ck_assert_uint_eq(strlen(lines[i]), OUTPUT_LINE_MAX);
	ck_assert_uint_eq(st.partial_len, 4);
	ck_assert(memcmp(st.partial, "tail", 4) == 0);
	reset();
	free(big);
	free(st.partial);
}
END_TEST

Suite *
output_suite(void)
{
	Suite *s = suite_create("output");
	TCase *tc = tcase_create("split");

	tcase_add_test(tc, whole_lines);
	tcase_add_test(tc, lines_across_reads);
	tcase_add_test(tc, long_line_is_split);
	tcase_add_test(tc, exact_limit_gives_no_empty_line);
	tcase_add_test(tc, multiple_of_the_limit_then_more);
	suite_add_tcase(s, tc);
	return s;
}
