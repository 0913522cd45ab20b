/*
 * The value parsers of values.c.  Error texts are checked as well as
 * results: they end up verbatim in "FILE:LINE: [section] key: " messages,
 * which corral.conf(5) promises quote the value and say what would be right.
 */
#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "suites.h"
#include "values.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* --- durations ------------------------------------------------------- */

START_TEST(duration_units)
{
	static const struct { const char *in; double want; } cases[] = {
		{ "250ms", 0.25 }, { "1ms", 0.001 }, { "0ms", 0 },
		{ "10s", 10 }, { "1.5s", 1.5 }, { "2m", 120 }, { "1.5m", 90 },
		{ "1h", 3600 }, { "2.5", 2.5 }, { "10", 10 }, { "0", 0 },
		{ "0s", 0 }, { ".5", 0.5 }, { "5.", 5 },
	};
	char err[VALUE_ERR_MAX];

	for (size_t i = 0; i < NELEM(cases); i++) {
		double v = -1;

		ck_assert_msg(parse_duration(cases[i].in, false, &v, err) == 0,
		    "'%s' refused: %s", cases[i].in, err);
		ck_assert_msg(fabs(v - cases[i].want) < 1e-9,
		    "'%s' gave %g, want %g", cases[i].in, v, cases[i].want);
	}
}
END_TEST

START_TEST(duration_infinity)
{
	char err[VALUE_ERR_MAX];
	double v = 0;

	ck_assert_int_eq(parse_duration("infinity", true, &v, err), 0);
	ck_assert(isinf(v) && v > 0);
	v = 0;
	ck_assert_int_eq(parse_duration("Infinity", true, &v, err), 0);
	ck_assert(isinf(v));

	v = 7;
	ck_assert_int_eq(parse_duration("infinity", false, &v, err), -1);
	ck_assert_str_eq(err, "'infinity' is not allowed here (give a duration "
	    "such as 10s)");
	ck_assert_msg(v == 7, "output written on error");
}
END_TEST

START_TEST(duration_garbage)
{
	static const char *const bad[] = {
		"", "abc", "10x", "10 s", " 10s", "10s ", "s", "ms", ".", "-1",
		"-1s", "+1", "10S", "1.2.3", "10sec", "1d", "inf", "nan",
		"infinit", "10ms5",
	};
	char err[VALUE_ERR_MAX];

	for (size_t i = 0; i < NELEM(bad); i++) {
		double v = 42;
		char want[VALUE_ERR_MAX + 64];

		ck_assert_msg(parse_duration(bad[i], false, &v, err) == -1,
		    "'%s' accepted as %g", bad[i], v);
		ck_assert_msg(v == 42, "'%s': output written on error", bad[i]);
		snprintf(want, sizeof(want), "'%s' is not a duration", bad[i]);
		ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
		    "'%s': message '%s'", bad[i], err);
	}
}
END_TEST

START_TEST(duration_message_mentions_infinity_only_where_allowed)
{
	char err[VALUE_ERR_MAX];
	double v;

	ck_assert_int_eq(parse_duration("soon", false, &v, err), -1);
	ck_assert_str_eq(err, "'soon' is not a duration (e.g. 250ms, 10s, 2m, "
	    "1h, or seconds such as 2.5)");
	ck_assert_int_eq(parse_duration("soon", true, &v, err), -1);
	ck_assert_str_eq(err, "'soon' is not a duration (e.g. 250ms, 10s, 2m, "
	    "1h, or seconds such as 2.5, or infinity)");
}
END_TEST

START_TEST(duration_huge)
{
	static const char *const huge[] = {
		"3200000001", "100000000000000000000", "99999999999h",
		"60000000m",
	};
	char err[VALUE_ERR_MAX];
	double v;

	/* The bound (about 100 years) itself is still a duration. */
	ck_assert_int_eq(parse_duration("3200000000", false, &v, err), 0);
	ck_assert(v == 3.2e9);
	for (size_t i = 0; i < NELEM(huge); i++) {
		ck_assert_msg(parse_duration(huge[i], true, &v, err) == -1,
		    "'%s' accepted", huge[i]);
		ck_assert_msg(strstr(err, "is too long (use 'infinity' for no "
		    "bound)") != NULL, "'%s': message '%s'", huge[i], err);
	}
}
END_TEST

/*
 * Digits and one point only, as corral.conf(5) writes durations: strtod()
 * alone would read "0x10" as 16 seconds.
 */
START_TEST(duration_decimal_only)
{
	static const char *const bad[] = {
		"0x10", "0x10s", "0x1p4", "1e3", "1e300", "1e999", "1E3s",
		"1.5.5s", "..5",
	};
	char err[VALUE_ERR_MAX];

	for (size_t i = 0; i < NELEM(bad); i++) {
		double v = 42;

		ck_assert_msg(parse_duration(bad[i], true, &v, err) == -1,
		    "'%s' accepted as %g", bad[i], v);
		ck_assert(v == 42);
	}
}
END_TEST

/* --- signals ---------------------------------------------------------- */

START_TEST(signal_names)
{
	static const struct { const char *in; int want; } cases[] = {
		{ "TERM", SIGTERM }, { "SIGTERM", SIGTERM }, { "term", SIGTERM },
		{ "sigterm", SIGTERM }, { "SigTerm", SIGTERM },
		{ "KILL", SIGKILL }, { "INT", SIGINT }, { "HUP", SIGHUP },
		{ "QUIT", SIGQUIT }, { "USR1", SIGUSR1 }, { "usr2", SIGUSR2 },
		{ "WINCH", SIGWINCH }, { "SIGCHLD", SIGCHLD }, { "SYS", SIGSYS },
		{ "STKFLT", SIGSTKFLT }, { "PWR", SIGPWR },
	};
	char err[VALUE_ERR_MAX];

	for (size_t i = 0; i < NELEM(cases); i++) {
		int sig = 0;

		ck_assert_msg(parse_signal(cases[i].in, &sig, err) == 0,
		    "'%s' refused: %s", cases[i].in, err);
		ck_assert_msg(sig == cases[i].want, "'%s' gave %d, want %d",
		    cases[i].in, sig, cases[i].want);
	}
}
END_TEST

START_TEST(signal_numbers)
{
	char in[12], err[VALUE_ERR_MAX];

	for (int n = 1; n <= 64; n++) {
		int sig = 0;

		snprintf(in, sizeof(in), "%d", n);
		ck_assert_msg(parse_signal(in, &sig, err) == 0, "'%s' refused: %s",
		    in, err);
		ck_assert_int_eq(sig, n);
	}
}
END_TEST

START_TEST(signal_out_of_range)
{
	static const char *const bad[] = {
		"0", "65", "99", "1000", "15x", "99999999999999999999999", "00",
	};
	char err[VALUE_ERR_MAX];

	for (size_t i = 0; i < NELEM(bad); i++) {
		int sig = -7;
		char want[VALUE_ERR_MAX + 64];

		ck_assert_msg(parse_signal(bad[i], &sig, err) == -1,
		    "'%s' accepted as %d", bad[i], sig);
		ck_assert_int_eq(sig, -7);
		snprintf(want, sizeof(want), "'%s' is not a signal (1-64)", bad[i]);
		ck_assert_str_eq(err, want);
	}
}
END_TEST

START_TEST(signal_garbage)
{
	static const char *const bad[] = {
		"", "SIG", "TERMINATE", "garbage", "-1", "-TERM", " TERM",
		"TERM ", "SIGSIGTERM", "RTMIN",
	};
	char err[VALUE_ERR_MAX];

	for (size_t i = 0; i < NELEM(bad); i++) {
		int sig = -7;
		char want[VALUE_ERR_MAX + 64];

		ck_assert_msg(parse_signal(bad[i], &sig, err) == -1,
		    "'%s' accepted as %d", bad[i], sig);
		ck_assert_int_eq(sig, -7);
		snprintf(want, sizeof(want), "'%s' is not a signal (a name such "
		    "as TERM, SIGINT or KILL, or a number 1-64)", bad[i]);
		ck_assert_str_eq(err, want);
	}
}
END_TEST

START_TEST(signal_name_known)
{
	ck_assert_str_eq(signal_name(SIGTERM), "TERM");
	ck_assert_str_eq(signal_name(SIGKILL), "KILL");
	ck_assert_str_eq(signal_name(SIGHUP), "HUP");
	ck_assert_str_eq(signal_name(SIGWINCH), "WINCH");
	ck_assert_str_eq(signal_name(SIGSYS), "SYS");
	ck_assert_ptr_null(signal_name(0));
	ck_assert_ptr_null(signal_name(-1));
	ck_assert_ptr_null(signal_name(65));
}
END_TEST

/* CORRAL_EXIT_SIGNAL is built from signal_name(): it must read back. */
START_TEST(signal_name_round_trip)
{
	char err[VALUE_ERR_MAX];

	for (int n = 1; n < 32; n++) {
		const char *name = signal_name(n);
		int sig = 0;

		ck_assert_msg(name != NULL, "no name for %d", n);
		ck_assert_msg(parse_signal(name, &sig, err) == 0,
		    "'%s' (%d) does not parse: %s", name, n, err);
		ck_assert_int_eq(sig, n);
	}
}
END_TEST

START_TEST(signal_name_realtime)
{
	const char *name;

	for (int n = 32; n <= 64; n++)
		ck_assert_msg(signal_name(n) != NULL, "no name for %d", n);
	/* values.h promises "RTMIN+2" for SIGRTMIN+2. */
	name = signal_name(SIGRTMIN + 2);
	ck_assert_str_eq(name, "RTMIN+2");
	ck_assert_str_eq(signal_name(SIGRTMIN), "RTMIN");
}
END_TEST

/* --- booleans ------------------------------------------------------- */

START_TEST(bool_spellings)
{
	static const char *const yes[] = {
		"yes", "YES", "Yes", "true", "TRUE", "True", "on", "ON", "On", "1",
	};
	static const char *const no[] = {
		"no", "NO", "No", "false", "FALSE", "False", "off", "OFF", "Off",
		"0",
	};
	char err[VALUE_ERR_MAX];

	for (size_t i = 0; i < NELEM(yes); i++) {
		bool b = false;

		ck_assert_msg(parse_bool(yes[i], &b, err) == 0, "'%s' refused",
		    yes[i]);
		ck_assert_msg(b, "'%s' read as false", yes[i]);
	}
	for (size_t i = 0; i < NELEM(no); i++) {
		bool b = true;

		ck_assert_msg(parse_bool(no[i], &b, err) == 0, "'%s' refused",
		    no[i]);
		ck_assert_msg(!b, "'%s' read as true", no[i]);
	}
}
END_TEST

START_TEST(bool_bad)
{
	static const char *const bad[] = {
		"", "y", "n", "2", "yess", "enable", "onn", " yes", "yes ", "01",
	};
	char err[VALUE_ERR_MAX];

	for (size_t i = 0; i < NELEM(bad); i++) {
		bool b = true;
		char want[VALUE_ERR_MAX + 64];

		ck_assert_msg(parse_bool(bad[i], &b, err) == -1, "'%s' accepted",
		    bad[i]);
		ck_assert_msg(b, "'%s': output written on error", bad[i]);
		snprintf(want, sizeof(want), "'%s' is not a boolean (yes/no, "
		    "true/false, on/off, 1/0)", bad[i]);
		ck_assert_str_eq(err, want);
	}
}
END_TEST

/* --- unsigned integers ------------------------------------------------ */

START_TEST(uint_good)
{
	char err[VALUE_ERR_MAX];
	unsigned long v = 99;

	ck_assert_int_eq(parse_uint("0", 0, 10, &v, err), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(parse_uint("10", 0, 10, &v, err), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(parse_uint("007", 0, 10, &v, err), 0);
	ck_assert_uint_eq(v, 7);
	ck_assert_int_eq(parse_uint("1000000", 0, 1000000, &v, err), 0);
	ck_assert_uint_eq(v, 1000000);
}
END_TEST

START_TEST(uint_bad)
{
	static const char *const bad[] = {
		"", "-1", "+1", " 1", "1 ", "1.5", "12abc", "0x10", "abc", "11",
		"99999999999999999999999",
	};
	char err[VALUE_ERR_MAX];

	for (size_t i = 0; i < NELEM(bad); i++) {
		unsigned long v = 99;
		char want[VALUE_ERR_MAX + 64];

		ck_assert_msg(parse_uint(bad[i], 0, 10, &v, err) == -1,
		    "'%s' accepted as %lu", bad[i], v);
		ck_assert_uint_eq(v, 99);
		snprintf(want, sizeof(want), "'%s' is not a whole number from 0 "
		    "to 10", bad[i]);
		ck_assert_str_eq(err, want);
	}
}
END_TEST

START_TEST(uint_below_min)
{
	char err[VALUE_ERR_MAX];
	unsigned long v;

	ck_assert_int_eq(parse_uint("0", 1, 5, &v, err), -1);
	ck_assert_str_eq(err, "'0' is not a whole number from 1 to 5");
}
END_TEST

/* --- exit code lists ---------------------------------------------------- */

static int
count_codes(const struct exit_set *set)
{
	int n = 0;

	for (int code = 0; code <= 255; code++)
		n += exit_set_has(set, code);
	return n;
}

START_TEST(exit_codes_lists)
{
	struct exit_set set;
	char err[VALUE_ERR_MAX];

	ck_assert_int_eq(parse_exit_codes("0", &set, err), 0);
	ck_assert(exit_set_has(&set, 0));
	ck_assert_int_eq(count_codes(&set), 1);

	ck_assert_int_eq(parse_exit_codes("0 143", &set, err), 0);
	ck_assert(exit_set_has(&set, 0) && exit_set_has(&set, 143));
	ck_assert_int_eq(count_codes(&set), 2);

	ck_assert_int_eq(parse_exit_codes(" 1,2,\t3 ,, 255 ", &set, err), 0);
	ck_assert(exit_set_has(&set, 1) && exit_set_has(&set, 2));
	ck_assert(exit_set_has(&set, 3) && exit_set_has(&set, 255));
	ck_assert_int_eq(count_codes(&set), 4);

	/* Each 64-bit word boundary, where an off-by-one would show. */
	ck_assert_int_eq(parse_exit_codes("63 64 127 128 191 192", &set, err), 0);
	ck_assert_int_eq(count_codes(&set), 6);
	ck_assert(exit_set_has(&set, 63) && exit_set_has(&set, 64));
	ck_assert(exit_set_has(&set, 191) && exit_set_has(&set, 192));
	ck_assert(!exit_set_has(&set, -1) && !exit_set_has(&set, 256));
}
END_TEST

START_TEST(exit_codes_bad)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "256", "'256' is not an exit code (0-255)" },
		{ "0 256", "'256' is not an exit code (0-255)" },
		{ "-1", "'-1' is not an exit code (0-255)" },
		{ "0,abc", "'abc' is not an exit code (0-255)" },
		{ "1.5", "'1.5' is not an exit code (0-255)" },
		{ "", "no exit code given (e.g. '0' or '0 143')" },
		{ " , ,", "no exit code given (e.g. '0' or '0 143')" },
	};
	char err[VALUE_ERR_MAX];

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct exit_set set = { { 7, 7, 7, 7 } };

		ck_assert_msg(parse_exit_codes(cases[i].in, &set, err) == -1,
		    "'%s' accepted", cases[i].in);
		ck_assert_str_eq(err, cases[i].want);
		ck_assert_msg(set.bits[0] == 7, "'%s': output written on error",
		    cases[i].in);
	}
}
END_TEST

START_TEST(exit_codes_long_word)
{
	char in[100], err[VALUE_ERR_MAX];
	struct exit_set set;

	memset(in, '1', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	ck_assert_int_eq(parse_exit_codes(in, &set, err), -1);
	ck_assert_msg(strstr(err, "is not an exit code (0-255)") != NULL,
	    "message '%s'", err);
}
END_TEST

/* --- command words ------------------------------------------------------ */

/* Splits s, which must succeed, and compares with the expected words. */
static void
assert_words(const char *s, const char *const *want, size_t nwant)
{
	char err[VALUE_ERR_MAX], **argv = NULL;
	size_t argc = 99;

	ck_assert_msg(split_words(s, &argv, &argc, err) == 0, "[%s] refused: %s",
	    s, err);
	ck_assert_msg(argc == nwant, "[%s]: %zu words, want %zu", s, argc, nwant);
	for (size_t i = 0; i < nwant; i++)
		ck_assert_msg(strcmp(argv[i], want[i]) == 0,
		    "[%s]: word %zu is [%s], want [%s]", s, i, argv[i], want[i]);
	ck_assert_ptr_null(argv[argc]);
	free(argv);
}

#define WORDS(s, ...) do {						\
	static const char *const want_[] = { __VA_ARGS__ };		\
	assert_words((s), want_, NELEM(want_));				\
} while (0)

static void
assert_split_fails(const char *s, const char *want)
{
	char err[VALUE_ERR_MAX], **argv = NULL;
	size_t argc = 99;

	ck_assert_msg(split_words(s, &argv, &argc, err) == -1, "[%s] accepted",
	    s);
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(argv);
	ck_assert_uint_eq(argc, 99);
}

START_TEST(words_plain)
{
	WORDS("ls", "ls");
	WORDS("/bin/ls -l /tmp", "/bin/ls", "-l", "/tmp");
	WORDS("  a \t b\t\tc  ", "a", "b", "c");
	WORDS("a\nb", "a", "b");
	WORDS("a=b;c|d&e$HOME*", "a=b;c|d&e$HOME*");
}
END_TEST

START_TEST(words_single_quotes)
{
	WORDS("sh -c 'echo a; echo b'", "sh", "-c", "echo a; echo b");
	WORDS("'a\\b' '\"x\"' '$HOME'", "a\\b", "\"x\"", "$HOME");
	WORDS("a '' b", "a", "", "b");
	WORDS("''", "");
}
END_TEST

START_TEST(words_double_quotes)
{
	WORDS("echo \"a b\"", "echo", "a b");
	WORDS("\"a \\\"q\\\" b\"", "a \"q\" b");
	WORDS("\"\\\\ \\$ \\`\"", "\\ $ `");
	/* Inside "", a backslash before anything else stays. */
	WORDS("\"a\\nb\\'c\"", "a\\nb\\'c");
	WORDS("\"it's\"", "it's");
	WORDS("\"\"", "");
}
END_TEST

START_TEST(words_backslash)
{
	WORDS("a\\ b c", "a b", "c");
	WORDS("\\'x\\'", "'x'");
	WORDS("\\\"", "\"");
	WORDS("\\\\", "\\");
	WORDS("a\\nb", "anb");
}
END_TEST

START_TEST(words_adjacent_parts)
{
	WORDS("a'b'c", "abc");
	WORDS("a\"b\"c", "abc");
	WORDS("'a'\"b\"c\\ d", "abc d");
	WORDS("--opt='x y' z", "--opt=x y", "z");
}
END_TEST

START_TEST(words_empty)
{
	char err[VALUE_ERR_MAX], **argv = NULL;
	size_t argc = 99;

	ck_assert_int_eq(split_words("", &argv, &argc, err), 0);
	ck_assert_uint_eq(argc, 0);
	ck_assert_ptr_nonnull(argv);
	ck_assert_ptr_null(argv[0]);
	free(argv);

	argc = 99;
	ck_assert_int_eq(split_words(" \t \n ", &argv, &argc, err), 0);
	ck_assert_uint_eq(argc, 0);
	ck_assert_ptr_null(argv[0]);
	free(argv);
}
END_TEST

START_TEST(words_errors)
{
	assert_split_fails("echo 'abc", "'echo 'abc' has an unbalanced single "
	    "quote");
	assert_split_fails("'abc\"", "''abc\"' has an unbalanced single quote");
	assert_split_fails("echo \"abc", "'echo \"abc' has an unbalanced double "
	    "quote");
	assert_split_fails("\"abc'", "'\"abc'' has an unbalanced double quote");
	assert_split_fails("\"abc\\\"", "'\"abc\\\"' has an unbalanced double "
	    "quote");
	assert_split_fails("abc\\", "'abc\\' ends with a lone backslash");
}
END_TEST

/* --- format_duration ---------------------------------------------------- */

START_TEST(format_durations)
{
	static const struct { double in; const char *want; } cases[] = {
		{ 0.25, "250ms" }, { 0.001, "1ms" }, { 0.5, "500ms" },
		{ 10, "10s" }, { 1, "1s" }, { 1.5, "1.5s" }, { 0, "0s" },
		{ 90, "90s" }, { 3600, "3600s" }, { 28.25, "28.25s" },
		{ INFINITY, "infinity" },
	};
	char buf[32];

	for (size_t i = 0; i < NELEM(cases); i++) {
		format_duration(cases[i].in, buf, sizeof(buf));
		ck_assert_msg(strcmp(buf, cases[i].want) == 0,
		    "%g formatted as '%s', want '%s'", cases[i].in, buf,
		    cases[i].want);
	}
}
END_TEST

/* What -t -v prints must read back as the same duration. */
START_TEST(format_duration_round_trip)
{
	static const char *const in[] = {
		"250ms", "10s", "1.5s", "2m", "1h", "infinity", "0", "999ms",
	};
	char buf[32], err[VALUE_ERR_MAX];

	for (size_t i = 0; i < NELEM(in); i++) {
		double a, b;

		ck_assert_int_eq(parse_duration(in[i], true, &a, err), 0);
		format_duration(a, buf, sizeof(buf));
		ck_assert_msg(parse_duration(buf, true, &b, err) == 0,
		    "'%s' formatted as unparsable '%s'", in[i], buf);
		ck_assert_msg(a == b || fabs(a - b) < 1e-9,
		    "'%s' -> '%s' -> %g", in[i], buf, b);
	}
}
END_TEST

/* -t -v prints timeline totals: they must stay exact, without exponents. */
START_TEST(format_duration_large)
{
	char buf[32];

	format_duration(1234567, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1234567s");
	format_duration(2592000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2592000s");
}
END_TEST

/* A short buffer is honoured, not overrun. */
START_TEST(format_duration_truncates)
{
	char buf[4];

	format_duration(INFINITY, buf, sizeof(buf));
	ck_assert_str_eq(buf, "inf");
}
END_TEST

/* The words the log uses for how a child ended. */
START_TEST(describe_statuses)
{
	char buf[64];

	describe_status(W_EXITCODE(3, 0), buf, sizeof(buf));
	ck_assert_str_eq(buf, "exited with status 3");
	describe_status(SIGTERM, buf, sizeof(buf));
	ck_assert_str_eq(buf, "killed by TERM");
	describe_status(SIGSEGV | WCOREFLAG, buf, sizeof(buf));
	ck_assert_str_eq(buf, "killed by SEGV (core dumped)");
	describe_status(W_STOPCODE(SIGSTOP), buf, sizeof(buf));
	ck_assert_str_eq(buf, "ended with wait status 0x137f");
}
END_TEST

Suite *
values_suite(void)
{
	Suite *s = suite_create("values");
	TCase *tc;

	tc = tcase_create("duration");
	tcase_add_test(tc, duration_units);
	tcase_add_test(tc, duration_infinity);
	tcase_add_test(tc, duration_garbage);
	tcase_add_test(tc, duration_message_mentions_infinity_only_where_allowed);
	tcase_add_test(tc, duration_huge);
	tcase_add_test(tc, duration_decimal_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("signal");
	tcase_add_test(tc, signal_names);
	tcase_add_test(tc, signal_numbers);
	tcase_add_test(tc, signal_out_of_range);
	tcase_add_test(tc, signal_garbage);
	tcase_add_test(tc, signal_name_known);
	tcase_add_test(tc, signal_name_round_trip);
	tcase_add_test(tc, signal_name_realtime);
	suite_add_tcase(s, tc);

	tc = tcase_create("bool");
	tcase_add_test(tc, bool_spellings);
	tcase_add_test(tc, bool_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("uint");
	tcase_add_test(tc, uint_good);
	tcase_add_test(tc, uint_bad);
	tcase_add_test(tc, uint_below_min);
	suite_add_tcase(s, tc);

	tc = tcase_create("exit_codes");
	tcase_add_test(tc, exit_codes_lists);
	tcase_add_test(tc, exit_codes_bad);
	tcase_add_test(tc, exit_codes_long_word);
	suite_add_tcase(s, tc);

	tc = tcase_create("split_words");
	tcase_add_test(tc, words_plain);
	tcase_add_test(tc, words_single_quotes);
	tcase_add_test(tc, words_double_quotes);
	tcase_add_test(tc, words_backslash);
	tcase_add_test(tc, words_adjacent_parts);
	tcase_add_test(tc, words_empty);
	tcase_add_test(tc, words_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("format_duration");
	tcase_add_test(tc, format_durations);
	tcase_add_test(tc, format_duration_round_trip);
	tcase_add_test(tc, format_duration_large);
	tcase_add_test(tc, format_duration_truncates);
	suite_add_tcase(s, tc);

	tc = tcase_create("describe_status");
	tcase_add_test(tc, describe_statuses);
	suite_add_tcase(s, tc);

	return s;
}
