/*
 * The verb list (verbs.h) and the control socket's use of it: every verb
 * of the list must reach a supervisor call at each argument count the list
 * allows, and be refused just outside it, so that a verb added to the list
 * and not to control.c fails here.  Requests run through control_execute
 * behind a real supervisor whose one service is never started; the names
 * given are unknown, so no request forks or signals anything.
 */
#include <check.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "log.h"
#include "strbuf.h"
#include "suites.h"
#include "supervisor.h"
#include "verbs.h"

/* Never read but by a reload, which then fails as it would for a typo. */
#define CONF_PATH	"/nonexistent/corral-unit-verbs.conf"

static const char conf_text[] =
	"[service:a]\ncommand = /bin/true\nautostart = no\n";

static void
setup(void)
{
	struct diag d = { 0 };
	struct config *c;

	log_init(LOGL_ERROR, false);
	c = config_parse(CONF_PATH, conf_text, sizeof(conf_text) - 1, &d);
	diag_free(&d);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(supervisor_init(ev_default_loop(0), c), 0);
}

static void
teardown(void)
{
	supervisor_free();
}

/* The reply to "VERB [OPT] nosuch..." with nargs names; the caller frees. */
static char *
request(const char *verb, const char *opt, size_t nargs)
{
	char line[CONTROL_REQUEST_MAX];
	struct strbuf reply = { 0 };
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "%s", verb);
	if (opt != NULL)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s", opt);
	for (size_t i = 0; i < nargs; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " nosuch");
	ck_assert_uint_lt(n, sizeof(line));
	control_execute(line, &reply);
	ck_assert(!reply.oom);
	return reply.p;
}

static void
assert_refused(const char *verb, const char *opt, size_t nargs)
{
	char want[128], *got = request(verb, opt, nargs);

	snprintf(want, sizeof(want), "error\nunknown or incomplete request "
	    "'%s' (see corralctl(1))\n", verb);
	ck_assert_msg(strcmp(got, want) == 0, "%s with %zu args: got '%s'",
	    verb, nargs, got);
	free(got);
}

/* Reached its handler: answered, whatever the answer. */
static void
assert_accepted(const char *verb, const char *opt, size_t nargs)
{
	char *got = request(verb, opt, nargs);

	ck_assert_msg((strncmp(got, "ok\n", 3) == 0 ||
	    strncmp(got, "error\n", 6) == 0) &&
	    strstr(got, "unknown or incomplete request") == NULL,
	    "%s%s%s with %zu args is not handled by control.c: got '%s'",
	    verb, opt != NULL ? " " : "", opt != NULL ? opt : "", nargs, got);
	free(got);
}

START_TEST(every_verb_is_found_by_its_name)
{
	for (size_t i = 0; i < VERB__COUNT; i++) {
		const struct verb *v = &verbs[i];

		ck_assert_int_eq(v->id, i);
		ck_assert_ptr_nonnull(v->name);
		ck_assert_ptr_eq(verb_find(v->name), v);
		ck_assert_uint_le(v->min_args, v->max_args);
		ck_assert_uint_eq(v->options & ~((1u << VOPT__COUNT) - 1), 0);
		ck_assert_uint_eq(verb_option(v->name), 0);
	}
	ck_assert_ptr_null(verb_find("nosuch"));
	ck_assert_ptr_null(verb_find(""));
}
END_TEST

START_TEST(every_option_is_found_by_its_word)
{
	for (size_t i = 0; i < VOPT__COUNT; i++) {
		ck_assert_ptr_nonnull(verb_option_words[i]);
		ck_assert_uint_eq(verb_option(verb_option_words[i]), 1u << i);
		ck_assert_ptr_null(verb_find(verb_option_words[i]));
	}
	ck_assert_uint_eq(verb_option("--nosuch"), 0);
	ck_assert_uint_eq(verb_option("-"), 0);
}
END_TEST

/* Run once per verb (a loop test), each in a fresh supervisor. */
START_TEST(each_verb_is_handled_at_its_counts)
{
	const struct verb *v = &verbs[_i];

	assert_accepted(v->name, NULL, v->min_args);
	if (v->min_args > 0)
		assert_refused(v->name, NULL, v->min_args - 1);
	if (v->max_args != VERB_ARGS_ANY) {
		assert_accepted(v->name, NULL, v->max_args);
		assert_refused(v->name, NULL, v->max_args + 1);
	} else
		assert_accepted(v->name, NULL, v->min_args + 3);
	for (size_t o = 0; o < VOPT__COUNT; o++) {
		char opt[64];

		if ((v->options & (1u << o)) == 0)
			continue;
		/* An option that takes a value has it in the next word. */
		snprintf(opt, sizeof(opt), "%s%s", verb_option_words[o],
		    (VOPT_VALUED & (1u << o)) != 0 ? " 1" : "");
		assert_accepted(v->name, opt, v->min_args);
	}
}
END_TEST

START_TEST(options_are_skipped_after_any_verb)
{
	char *got = request("start", "--json", 1);

	/* The option counts as no argument: start got its one name. */
	ck_assert_str_eq(got, "error\nunknown service 'nosuch'\n");
	free(got);
	assert_refused("check", "--dry-run", 1);
	/* A value is skipped with its option; an option without one is not. */
	got = request("start", "-n 3", 1);
	ck_assert_str_eq(got, "error\nunknown service 'nosuch'\n");
	free(got);
	assert_refused("logs", "-n", 0);
}
END_TEST

START_TEST(unknown_and_empty_requests)
{
	struct strbuf reply = { 0 };
	char empty[] = " \t ";

	assert_refused("nosuch", NULL, 0);
	assert_refused("--json", NULL, 0);
	assert_refused("STATUS", NULL, 0);
	control_execute(empty, &reply);
	ck_assert_str_eq(reply.p, "error\nempty request\n");
	sb_free(&reply);
}
END_TEST

Suite *
verbs_suite(void)
{
	Suite *s = suite_create("verbs");
	TCase *tc = tcase_create("list");

	tcase_add_test(tc, every_verb_is_found_by_its_name);
	tcase_add_test(tc, every_option_is_found_by_its_word);
	suite_add_tcase(s, tc);

	tc = tcase_create("control");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, each_verb_is_handled_at_its_counts, 0,
	    VERB__COUNT);
	tcase_add_test(tc, options_are_skipped_after_any_verb);
	tcase_add_test(tc, unknown_and_empty_requests);
	suite_add_tcase(s, tc);
	return s;
}
