/*
 * Config composition (SPEC §13) on real files: include, ${VAR} in values,
 * env_file, instances and conditions, and every mistake of each reported
 * at its file and line.  Each test gets a directory of its own under /tmp,
 * removed at the end.
 */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "diagcheck.h"
#include "suites.h"

static char dir[64];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/corral-compose.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
teardown(void)
{
	(void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* DIR/name, in a buffer of its own for each of the last eight calls. */
static const char *
at(const char *name)
{
	static char bufs[8][256];
	static int next;
	char *b = bufs[next++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
	return b;
}

/* Writes DIR/name (making DIR/conf.d when name is in it). */
static void
put(const char *name, const char *text)
{
	FILE *f;

	if (strncmp(name, "conf.d/", 7) == 0)
		(void)mkdir(at("conf.d"), 0755);
	ck_assert_ptr_nonnull(f = fopen(at(name), "w"));
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

/* DIR/corral.conf, which must load without error or warning. */
static struct config *
load_ok(const char *text)
{
	struct diag d = { 0 };
	struct config *c;

	put("corral.conf", text);
	c = config_load(at("corral.conf"), &d);
	ck_assert_msg(c != NULL && d.n == 0, "problems:\n%s", diag_dump(&d));
	diag_free(&d);
	return c;
}

/* DIR/corral.conf, which must fail; the caller frees the problems. */
static struct diag
load_bad(const char *text)
{
	struct diag d = { 0 };

	put("corral.conf", text);
	ck_assert_msg(config_load(at("corral.conf"), &d) == NULL,
	    "loaded:\n%s", text);
	ck_assert_msg(d.nerrors > 0, "NULL without a reason");
	return d;
}

/* "DIR/name:line: ", the start of a problem about that line. */
static const char *
where(const char *name, int line)
{
	static char bufs[4][320];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s:%d: ", at(name), line);
	return b;
}

/* "DIR/name:line", a place a problem names. */
static const char *
place(const char *name, int line)
{
	static char bufs[4][320];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s:%d", at(name), line);
	return b;
}

/* --- include ---------------------------------------------------------- */

START_TEST(include_reads_files_sorted_after_main)
{
	struct config *c;

	put("conf.d/20-b.conf", "[service:b]\ncommand = b\n");
	put("conf.d/10-a.conf", "[service:a]\ncommand = a\n");
	put("conf.d/README", "not a config\n");
	c = load_ok("[corral]\ninclude = conf.d/*.conf\n"
	    "[service:m]\ncommand = m\n");
	ck_assert_uint_eq(c->nservices, 3);
	ck_assert_str_eq(c->services[0]->name, "m");
	ck_assert_str_eq(c->services[1]->name, "a");
	ck_assert_str_eq(c->services[2]->name, "b");
	ck_assert_uint_eq(c->nfiles, 3);
	ck_assert_str_eq(c->files[0], at("corral.conf"));
	ck_assert_str_eq(c->files[1], at("conf.d/10-a.conf"));
	ck_assert_str_eq(config_file_of(c, c->services[2]),
	    at("conf.d/20-b.conf"));
	config_free(c);
}
END_TEST

START_TEST(include_matching_nothing_is_fine)
{
	struct config *c = load_ok("[corral]\ninclude = conf.d/*.conf "
	    "other/*.conf\ninclude = more/*\n");

	ck_assert_uint_eq(c->nservices, 0);
	ck_assert_uint_eq(c->nfiles, 1);
	config_free(c);
}
END_TEST

START_TEST(include_file_matched_twice_is_read_once)
{
	struct config *c;

	put("conf.d/a.conf", "[service:a]\ncommand = a\n");
	c = load_ok("[corral]\ninclude = conf.d/a.conf conf.d/*.conf\n");
	ck_assert_uint_eq(c->nservices, 1);
	ck_assert_uint_eq(c->nfiles, 2);
	config_free(c);
}
END_TEST

START_TEST(include_literal_must_exist)
{
	struct diag d = load_bad("[corral]\ninclude = extra.conf\n");

	ASSERT_DIAG(&d, where("corral.conf", 2), "[corral] include: ",
	    at("extra.conf"), "does not exist (a pattern without wildcards "
	    "must name a file)");
	diag_free(&d);
}
END_TEST

START_TEST(include_errors_name_the_included_file)
{
	struct diag d;

	put("conf.d/a.conf", "# a drop-in\n[service:a]\ncommand = a\n"
	    "stop_timout = 3s\nkill_signal = 99\n");
	d = load_bad("[corral]\ninclude = conf.d/*.conf\n");
	ASSERT_DIAG(&d, where("conf.d/a.conf", 4), "unknown key 'stop_timout'",
	    "did you mean 'stop_timeout'?");
	ASSERT_DIAG(&d, where("conf.d/a.conf", 5), "[service:a] kill_signal: "
	    "'99' is not a signal");
	ck_assert_uint_eq(d.nerrors, 2);
	diag_free(&d);
}
END_TEST

START_TEST(included_file_keys_set_once)
{
	struct diag d;

	put("conf.d/a.conf", "[service:a]\ncommand = a\ncommand = b\n"
	    "after = x\nafter = y\n");
	d = load_bad("[corral]\ninclude = conf.d/*.conf\n"
	    "[service:x]\ncommand = x\n[service:y]\ncommand = y\n");
	ASSERT_DIAG(&d, where("conf.d/a.conf", 3), "[service:a] command: set "
	    "twice (first at line 2; keep one)");
	ck_assert_msg(d.nerrors == 1, "%s", diag_dump(&d));
	diag_free(&d);
}
END_TEST

START_TEST(included_file_holds_only_services)
{
	struct diag d;

	put("conf.d/a.conf", "[corral]\nstop_timeout = 3s\n"
	    "[service:a]\ncommand = a\ninclude = more/*.conf\n");
	put("conf.d/b.conf", "stop_timeout = 3s\n");
	d = load_bad("[corral]\ninclude = conf.d/*.conf\n");
	ASSERT_DIAG(&d, where("conf.d/a.conf", 1), "[corral] in an included "
	    "file: included files hold only [service:NAME] sections",
	    at("corral.conf"));
	ASSERT_DIAG(&d, where("conf.d/a.conf", 5), "'include' in an included "
	    "file: only the [corral] section of", at("corral.conf"));
	ASSERT_DIAG(&d, where("conf.d/b.conf", 1), "before any section (put "
	    "it under a [service:NAME])");
	diag_free(&d);
}
END_TEST

START_TEST(include_of_itself_is_a_loop)
{
	struct diag d = load_bad("[corral]\ninclude = *.conf\n"
	    "[service:a]\ncommand = a\n");

	ASSERT_DIAG(&d, where("corral.conf", 2), "[corral] include: ",
	    "is the file that holds this line (an include loop)", "conf.d/");
	diag_free(&d);
}
END_TEST

START_TEST(include_refuses_what_is_not_a_file)
{
	struct diag d;

	ck_assert_int_eq(mkfifo(at("fifo.conf"), 0600), 0);
	(void)mkdir(at("sub.conf"), 0755);
	d = load_bad("[corral]\ninclude = fifo.conf\ninclude = sub.conf\n");
	ASSERT_DIAG(&d, where("corral.conf", 2), at("fifo.conf"),
	    "not a regular file");
	ASSERT_DIAG(&d, where("corral.conf", 3), at("sub.conf"),
	    "is a directory");
	diag_free(&d);
}
END_TEST

START_TEST(duplicate_service_names_both_places)
{
	struct diag d;

	put("conf.d/a.conf", "\n[service:web]\ncommand = b\n");
	d = load_bad("[corral]\ninclude = conf.d/*.conf\n"
	    "[service:web]\ncommand = a\n");
	ASSERT_DIAG(&d, where("conf.d/a.conf", 2), "[service:web]: service "
	    "'web' is already defined at", place("corral.conf", 3),
	    "rename one of them");
	diag_free(&d);
}
END_TEST

/* --- ${VAR} ----------------------------------------------------------- */

START_TEST(values_are_expanded_from_the_environment)
{
	struct config *c;

	setenv("CT_PORT", "8080", 1);
	setenv("CT_MSG", "a b 'c' \"d\" $HOME", 1);
	setenv("CT_EMPTY", "", 1);
	unsetenv("CT_UNSET");
	c = load_ok("[service:a]\n"
	    "command = prog --port=${CT_PORT} ${CT_MSG} \"x ${CT_MSG}\"\n"
	    "  ${CT_UNSET:-fallback} ${CT_EMPTY:-empty} $$5 '${CT_PORT}'\n"
	    "stop_timeout = ${CT_UNSET:-3}s\n"
	    "environment = MSG=${CT_MSG}\n");
	ck_assert_str_eq(c->services[0]->argv[1], "--port=8080");
	ck_assert_str_eq(c->services[0]->argv[2], "a b 'c' \"d\" $HOME");
	ck_assert_str_eq(c->services[0]->argv[3], "x a b 'c' \"d\" $HOME");
	ck_assert_str_eq(c->services[0]->argv[4], "fallback");
	ck_assert_str_eq(c->services[0]->argv[5], "empty");
	ck_assert_str_eq(c->services[0]->argv[6], "$5");
	ck_assert_str_eq(c->services[0]->argv[7], "${CT_PORT}");
	ck_assert_ptr_null(c->services[0]->argv[8]);
	ck_assert_double_eq(c->services[0]->stop_timeout, 3);
	ck_assert_str_eq(c->services[0]->env[0], "MSG=a b 'c' \"d\" $HOME");
	config_free(c);
}
END_TEST

START_TEST(unset_variable_is_an_error_at_its_line)
{
	struct diag d;

	unsetenv("CT_UNSET");
	setenv("CT_BAD", "soon", 1);
	d = load_bad("[service:a]\ncommand = prog ${CT_UNSET}\n"
	    "stop_timeout = ${CT_BAD}\nkill_signal = ${CT_UNSET:?say which}\n"
	    "directory = ${CT_}x\n");
	ASSERT_DIAG(&d, where("corral.conf", 2), "[service:a] command: "
	    "${CT_UNSET} is not set");
	ASSERT_DIAG(&d, where("corral.conf", 3), "[service:a] stop_timeout: "
	    "'soon' is not a duration", "(expanded from '${CT_BAD}')");
	ASSERT_DIAG(&d, where("corral.conf", 4), "CT_UNSET: say which");
	ck_assert_uint_eq(d.nerrors, 4);
	diag_free(&d);
}
END_TEST

START_TEST(plain_dollar_names_warn)
{
	struct diag d = { 0 };
	struct config *c;

	put("corral.conf", "[service:a]\ncommand = echo $HOME '$HOME' $1 $\n");
	c = config_load(at("corral.conf"), &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(d.nerrors, 0);
	ck_assert_msg(d.n == 1, "%s", diag_dump(&d));
	ASSERT_DIAG(&d, where("corral.conf", 2), "warning: [service:a] "
	    "command: '$HOME' is not expanded (did you mean ${HOME}?)");
	ck_assert_str_eq(c->services[0]->argv[1], "$HOME");
	ck_assert_str_eq(c->services[0]->argv[4], "$");
	config_free(c);
	diag_free(&d);
}
END_TEST

/* --- instances -------------------------------------------------------- */

START_TEST(instances_make_services)
{
	struct config *c = load_ok("[service:db]\ncommand = db\n"
	    "[service:w]\ninstances = 3\nafter = db\n"
	    "command = work --slot=${CORRAL_INSTANCE}\n"
	    "[service:front]\ncommand = f\nafter = w\n");

	ck_assert_uint_eq(c->nservices, 5);
	for (int i = 0; i < 3; i++) {
		const struct svc_conf *s = c->services[1 + i];
		char name[16], arg[32];

		snprintf(name, sizeof(name), "w.%d", i);
		snprintf(arg, sizeof(arg), "--slot=%d", i);
		ck_assert_str_eq(s->name, name);
		ck_assert_int_eq(s->instance, i);
		ck_assert_str_eq(s->argv[1], arg);
		ck_assert_uint_eq(s->nafter, 1);
		ck_assert_msg(config_names(s, "w") && config_names(s, name) &&
		    !config_names(s, "w.") && !config_names(s, "db"), "%s", name);
	}
	ck_assert_uint_eq(c->services[4]->nafter, 3);
	ck_assert_str_eq(c->services[4]->after[2], "w.2");
	ck_assert(!config_names(c->services[0], "d"));
	config_free(c);
}
END_TEST

START_TEST(instances_mistakes)
{
	struct diag d;
	char longname[80], text[200];

	memset(longname, 'n', 61);
	longname[61] = '\0';
	put("conf.d/x.conf", "[service:p.1]\ncommand = p\n");
	d = load_bad(
	    "[corral]\ninclude = conf.d/*.conf\n"
	    "[service:z]\ninstances = 0\ncommand = z\n"		/* 3-5 */
	    "[service:o]\ninstances = 1001\ncommand = o\n"	/* 6-8 */
	    "[service:p]\ninstances = 2\ncommand = p\n"		/* 9-11 */
	    "[service:q]\ncommand = q ${CORRAL_INSTANCE}\n");	/* 12-13 */
	ASSERT_DIAG(&d, where("corral.conf", 4), "[service:z] instances: '0' "
	    "is not a number of instances (1-1000)");
	ASSERT_DIAG(&d, where("corral.conf", 7), "'1001' is not a number");
	ASSERT_DIAG(&d, where("conf.d/x.conf", 1), "[service:p.1]: service "
	    "'p.1' is already defined at", place("corral.conf", 9));
	ASSERT_DIAG(&d, where("corral.conf", 13), "${CORRAL_INSTANCE} is only "
	    "set in a section that sets 'instances'");
	diag_free(&d);

	snprintf(text, sizeof(text), "[service:%s]\ninstances = 2\n"
	    "command = x\n", longname);
	d = load_bad(text);
	ASSERT_DIAG(&d, where("corral.conf", 2), "instances: the name of a "
	    "section with instances has at most 60 characters");
	diag_free(&d);
}
END_TEST

/* --- conditions ------------------------------------------------------- */

START_TEST(conditions_select_services)
{
	struct config *c;

	setenv("CT_ON", "1", 1);
	setenv("CT_OFF", "No", 1);
	unsetenv("CT_UNSET");
	c = load_ok("[service:plain]\ncommand = p\n"
	    "[service:on]\ncommand = p\ncondition = env:CT_ON path:/\n"
	    "[service:off]\ncommand = p\ncondition = env:CT_ON\n"
	    "condition = env:CT_OFF\n"
	    "[service:not]\ncommand = p\ncondition = !env:CT_UNSET "
	    "!path:/nonexistent\n"
	    "[service:gone]\ncommand = p ${CT_UNSET}\ncondition = "
	    "path:/nonexistent\nenv_file = /nonexistent.env\n"
	    "[service:after]\ncommand = p\nafter = off\n");
	ck_assert(!c->services[0]->disabled);
	ck_assert_ptr_null(c->services[0]->decided);
	ck_assert(!c->services[1]->disabled);
	ck_assert_str_eq(c->services[1]->decided, "env:CT_ON (CT_ON is set), "
	    "path:/ (/ exists)");
	ck_assert(c->services[2]->disabled);
	ck_assert_str_eq(c->services[2]->decided, "env:CT_OFF (CT_OFF is "
	    "'No')");
	ck_assert(!c->services[3]->disabled);
	ck_assert_str_eq(c->services[3]->decided, "!env:CT_UNSET (CT_UNSET is "
	    "not set), !path:/nonexistent (/nonexistent does not exist)");
	ck_assert(c->services[4]->disabled);
	ck_assert(!config_autostarts(c->services[4]));
	ck_assert_uint_eq(c->services[5]->nafter, 1);
	config_free(c);
}
END_TEST

START_TEST(condition_mistakes)
{
	struct diag d = load_bad("[service:a]\ncommand = a\n"
	    "condition = env:1X path:relative\ncondition = user:root\n");

	ASSERT_DIAG(&d, where("corral.conf", 3), "[service:a] condition: "
	    "'env:1X': '1X' is not a variable name");
	ASSERT_DIAG(&d, where("corral.conf", 3), "'path:relative': a path "
	    "condition needs an absolute path");
	ASSERT_DIAG(&d, where("corral.conf", 4), "'user:root' is not a "
	    "condition (env:VAR, !env:VAR, path:/PATH or !path:/PATH)");
	diag_free(&d);
}
END_TEST

/* --- env_file --------------------------------------------------------- */

START_TEST(env_file_adds_variables_environment_wins)
{
	struct config *c;
	const struct svc_conf *s;

	put("app.env", "# settings\nexport A=1\nB='two words'\nC=from file\n");
	c = load_ok("[service:a]\ncommand = a\nenvironment = C=from-conf\n"
	    "env_file = app.env -missing.env\n");
	s = c->services[0];
	ck_assert_uint_eq(s->nenv, 4);
	ck_assert_str_eq(s->env[0], "A=1");
	ck_assert_str_eq(s->env[1], "B=two words");
	ck_assert_str_eq(s->env[2], "C=from file");
	/* Later wins at spawn: environment's comes after env_file's. */
	ck_assert_str_eq(s->env[3], "C=from-conf");
	ck_assert_uint_eq(s->nenv_file, 2);
	ck_assert_str_eq(s->env_file[0], at("app.env"));
	config_free(c);
}
END_TEST

START_TEST(env_file_mistakes)
{
	struct diag d;

	put("bad.env", "A=1\nnot an assignment\n1X=2\n");
	d = load_bad("[service:a]\ncommand = a\nenv_file = bad.env\n"
	    "env_file = missing.env\n");
	ASSERT_DIAG(&d, where("bad.env", 2), "(env_file of [service:a], ",
	    place("corral.conf", 3));
	ASSERT_DIAG(&d, where("bad.env", 3), "'1X' is not a variable name");
	ASSERT_DIAG(&d, where("corral.conf", 4), "[service:a] env_file: ",
	    at("missing.env"), "No such file or directory",
	    "(write -PATH if it may be missing)");
	diag_free(&d);
}
END_TEST

/* --- requires (SPEC §14) -------------------------------------------- */

START_TEST(requires_implies_after)
{
	struct config *c = load_ok("[service:db]\ncommand = db\n"
	    "[service:w]\ninstances = 2\ncommand = w\n"
	    "[service:app]\ncommand = a\nrequires = db w\nafter = db\n");
	const struct svc_conf *app = c->services[3];

	ck_assert_uint_eq(app->nrequires, 3);
	ck_assert_uint_eq(app->nafter, 3);
	ck_assert_str_eq(app->requires[2], "w.1");
	ck_assert_uint_eq(app->requires_idx[0], 0);
	config_free(c);
}
END_TEST

START_TEST(requires_cycle_with_after)
{
	struct diag d = load_bad("[service:a]\ncommand = a\nrequires = b\n"
	    "[service:b]\ncommand = b\nafter = a\n"
	    "[service:c]\ncommand = c\nrequires = nope\n"
	    "[service:o]\ncommand = o\ntype = oneshot\nrestart = always\n"
	    "[service:t]\ncommand = t\ntype = daemon\n");

	ASSERT_DIAG(&d, where("corral.conf", 3), "dependency cycle",
	    "'after' or 'requires'");
	ASSERT_DIAG(&d, where("corral.conf", 9), "[service:c] requires: no "
	    "service named 'nope'");
	ASSERT_DIAG(&d, where("corral.conf", 13), "[service:o] restart: a "
	    "oneshot with restart = always would never be done");
	ASSERT_DIAG(&d, where("corral.conf", 16), "[service:t] type: 'daemon' "
	    "is not a service type (simple, oneshot)");
	diag_free(&d);
}
END_TEST

Suite *
compose_suite(void)
{
	Suite *s = suite_create("compose");
	TCase *tc = tcase_create("include");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, include_reads_files_sorted_after_main);
	tcase_add_test(tc, include_matching_nothing_is_fine);
	tcase_add_test(tc, include_file_matched_twice_is_read_once);
	tcase_add_test(tc, include_literal_must_exist);
	tcase_add_test(tc, include_errors_name_the_included_file);
	tcase_add_test(tc, included_file_keys_set_once);
	tcase_add_test(tc, included_file_holds_only_services);
	tcase_add_test(tc, include_of_itself_is_a_loop);
	tcase_add_test(tc, include_refuses_what_is_not_a_file);
	tcase_add_test(tc, duplicate_service_names_both_places);
	suite_add_tcase(s, tc);

	tc = tcase_create("expand");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, values_are_expanded_from_the_environment);
	tcase_add_test(tc, unset_variable_is_an_error_at_its_line);
	tcase_add_test(tc, plain_dollar_names_warn);
	suite_add_tcase(s, tc);

	tc = tcase_create("instances");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, instances_make_services);
	tcase_add_test(tc, instances_mistakes);
	suite_add_tcase(s, tc);

	tc = tcase_create("conditions");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, conditions_select_services);
	tcase_add_test(tc, condition_mistakes);
	suite_add_tcase(s, tc);

	tc = tcase_create("requires");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, requires_implies_after);
	tcase_add_test(tc, requires_cycle_with_after);
	suite_add_tcase(s, tc);

	tc = tcase_create("env_file");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, env_file_adds_variables_environment_wins);
	tcase_add_test(tc, env_file_mistakes);
	suite_add_tcase(s, tc);
	return s;
}
