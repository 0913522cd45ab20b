/*
 * The ${VAR} expander (expand.c): every form, every error, the quoting
 * rules, and the property the loader relies on: in a value split into
 * words, what a variable holds comes out literally, inside its word.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expand.h"
#include "suites.h"
#include "values.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* The variables of these tests; X is set per case by set_x(). */
static struct {
	const char	*name;
	const char	*value;
} vars[] = {
	{ "PORT", "8080" }, { "EMPTY", "" }, { "SP", "a b" }, { "X", "" },
	{ "Q", "it's \"q\" \\ $HOME `x`" }, { "STAR", "*.conf" },
};

static char warned[256];

static void
set_x(const char *v)
{
	vars[3].value = v;
}

static int
lookup(void *arg, const char *name, const char **value,
    char err[EXPAND_ERR_MAX])
{
	(void)arg;
	if (strcmp(name, "REFUSED") == 0) {
		snprintf(err, EXPAND_ERR_MAX, "REFUSED may not be used here");
		return -1;
	}
	for (size_t i = 0; i < NELEM(vars); i++)
		if (strcmp(vars[i].name, name) == 0) {
			*value = vars[i].value;
			return 0;
		}
	return 1;
}

static void
warn(void *arg, const char *name)
{
	(void)arg;
	snprintf(warned + strlen(warned), sizeof(warned) - strlen(warned),
	    "%s%s", *warned ? "," : "", name);
}

static const struct expand_env env = { lookup, warn, NULL };

/* s expanded in mode, which must succeed with result r (0 or 1). */
static char *
ok(const char *s, enum expand_mode mode, int r)
{
	char err[EXPAND_ERR_MAX], *out;
	int got = expand(s, mode, &env, &out, err);

	ck_assert_msg(got == r, "expand(%s): %d, want %d (%s)", s, got, r,
	    got == -1 ? err : out);
	return out;
}

static void
text_is(const char *s, const char *want)
{
	char *out = ok(s, EXPAND_TEXT, strcmp(s, want) != 0);

	ck_assert_str_eq(out, want);
	free(out);
}

static void
fails(const char *s, const char *want)
{
	char err[EXPAND_ERR_MAX], *out = (char *)1;

	ck_assert_msg(expand(s, EXPAND_TEXT, &env, &out, err) == -1,
	    "expand(%s) did not fail", s);
	ck_assert_ptr_null(out);
	ck_assert_msg(strstr(err, want) != NULL, "expand(%s): '%s', want "
	    "'%s'", s, err, want);
}

/* The words of s expanded in mode, one string "w1|w2|...". */
static const char *
words(const char *s, enum expand_mode mode)
{
	static char buf[4096];
	char err[VALUE_ERR_MAX], *out, **argv;
	size_t argc, n = 0;

	ck_assert_msg(expand(s, mode, &env, &out, err) != -1, "expand(%s): "
	    "%s", s, err);
	ck_assert_msg(split_words(out, &argv, &argc, err) == 0,
	    "split_words(%s): %s", out, err);
	buf[0] = '\0';
	for (size_t i = 0; i < argc; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
		    i ? "|" : "", argv[i]);
	free(argv);
	free(out);
	return buf;
}

START_TEST(forms)
{
	text_is("no dollar", "no dollar");
	text_is("${PORT}", "8080");
	text_is("--port=${PORT}s", "--port=8080s");
	text_is("${EMPTY}", "");
	text_is("${UNSET:-fallback}", "fallback");
	text_is("${EMPTY:-fallback}", "fallback");
	text_is("${PORT:-fallback}", "8080");
	text_is("${UNSET:-}", "");
	text_is("${UNSET:-a $$ b $x}", "a $ b $x");
	text_is("${PORT:?needed}", "8080");
	text_is("$$", "$");
	text_is("$$PORT", "$PORT");
	text_is("cost: 5$", "cost: 5$");
	text_is("$1 $( $HOME", "$1 $( $HOME");
}
END_TEST

START_TEST(errors)
{
	fails("${UNSET}", "${UNSET} is not set (set it, or write "
	    "${UNSET:-default})");
	fails("${UNSET:?say why}", "UNSET: say why");
	fails("${EMPTY:?}", "${EMPTY} is not set");
	fails("a ${PORT", "unterminated '${' in '${PORT' (close it with '}')");
	fails("${}", "'${}': empty variable name");
	fails("${1X}", "'${1X}': '1X' is not a variable name");
	fails("${A B}", "'${A B}': unknown form");
	fails("${PORT-x}", "'${PORT-x}': unknown form (write ${VAR}, "
	    "${VAR:-default} or ${VAR:?message})");
	fails("${PORT:+x}", "unknown form");
	fails("${UNSET:-${PORT}}", "a default cannot hold another ${...}");
	fails("${REFUSED}", "REFUSED may not be used here");
}
END_TEST

START_TEST(quotes)
{
	text_is("'${PORT} $$' ${PORT}", "'${PORT} $$' 8080");
	text_is("\"${PORT}\"", "\"8080\"");
	text_is("\"it's ${PORT}\"", "\"it's 8080\"");
	text_is("\\${PORT} \\$$", "\\${PORT} \\$$");
	/* An unbalanced quote: the rest is literal; split_words says so. */
	text_is("it's ${PORT}", "it's ${PORT}");
	ck_assert_str_eq(words("sh -c 'echo $CORRAL_SERVICE; exit 0'",
	    EXPAND_WORDS), "sh|-c|echo $CORRAL_SERVICE; exit 0");
	ck_assert_str_eq(words("log:ready$", EXPAND_WORDS), "log:ready$");
}
END_TEST

START_TEST(warnings)
{
	char *out;

	warned[0] = '\0';
	out = ok("$HOME '$USER' \"$LANG\" $1 $$PATH \\$TERM $_x9", EXPAND_TEXT,
	    1);
	free(out);
	ck_assert_str_eq(warned, "HOME,LANG,_x9");
}
END_TEST

START_TEST(values_stay_in_their_word)
{
	ck_assert_str_eq(words("prog ${SP} x${SP}y", EXPAND_WORDS),
	    "prog|a b|xa by");
	ck_assert_str_eq(words("${Q}", EXPAND_WORDS), "it's \"q\" \\ $HOME `x`");
	ck_assert_str_eq(words("\"[${Q}]\"", EXPAND_WORDS),
	    "[it's \"q\" \\ $HOME `x`]");
	ck_assert_str_eq(words("a ${EMPTY} b", EXPAND_WORDS), "a||b");
	ck_assert_str_eq(words("${STAR} *.x", EXPAND_PATTERNS),
	    "\\*.conf|*.x");
}
END_TEST

/* For any value V of X: "a${X}b" is one word aVb, in and out of "". */
START_TEST(property_over_values)
{
	static const char *const values[] = {
		"", " ", "plain", "two words", "'", "''", "\"", "\\", "\\\\",
		"$", "$$", "${X}", "${", "}", "'\"'\"", "a'b\"c\\d$e`f",
		"\t\n", " lead", "trail ", "*?[", "it's", "\\'", "'\\''",
	};

	for (size_t i = 0; i < NELEM(values); i++) {
		char want[256];

		set_x(values[i]);
		snprintf(want, sizeof(want), "a%sb", values[i]);
		ck_assert_msg(strcmp(words("a${X}b", EXPAND_WORDS), want) == 0,
		    "X='%s': got '%s'", values[i], words("a${X}b",
		    EXPAND_WORDS));
		snprintf(want, sizeof(want), "x %s y", values[i]);
		ck_assert_msg(strcmp(words("\"x ${X} y\"", EXPAND_WORDS),
		    want) == 0, "X='%s' in \"\": got '%s'", values[i],
		    words("\"x ${X} y\"", EXPAND_WORDS));
	}
	set_x("");
}
END_TEST

Suite *
expand_suite(void)
{
	Suite *s = suite_create("expand");
	TCase *tc = tcase_create("expand");

	tcase_add_test(tc, forms);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, quotes);
	tcase_add_test(tc, warnings);
	tcase_add_test(tc, values_stay_in_their_word);
	tcase_add_test(tc, property_over_values);
	suite_add_tcase(s, tc);
	return s;
}
