/*
 * The small modules: the logger's line format, the default socket path,
 * JSON string escaping, and the status table and JSON of a service.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctlpath.h"
#include "health.h"
#include "log.h"
#include "status.h"
#include "strbuf.h"
#include "suites.h"

/* Runs fn with stderr going to a file, returns what it wrote. */
static char *
capture_stderr(void (*fn)(void))
{
	char path[] = "/tmp/corral-unit-XXXXXX", *buf;
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	FILE *f;
	long n;

	ck_assert_int_ne(fd, -1);
	ck_assert_int_ne(dup2(fd, STDERR_FILENO), -1);
	fn();
	ck_assert_int_ne(dup2(saved, STDERR_FILENO), -1);
	close(saved);
	f = fdopen(fd, "r");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	unlink(path);
	return buf;
}

static void
log_some(void)
{
	log_init(LOGL_WARN, false);
	log_info("not shown at warn");
	errno = ENOENT;
	log_warn("unable to open %s", "/x");
	log_warnx("plain %d", 7);
	log_debug("not shown either");
	log_errorx("bad");
}

START_TEST(log_lines)
{
	char *out = capture_stderr(log_some);

	ck_assert_str_eq(out, "corral: unable to open /x: No such file or "
	    "directory\ncorral: plain 7\ncorral: bad\n");
	free(out);
}
END_TEST

static void
log_stamped(void)
{
	log_init(LOGL_DEBUG, true);
	log_debug("x");
}

START_TEST(log_timestamps_rfc3339)
{
	char *out = capture_stderr(log_stamped);
	int y, mo, d, h, mi, s, ms, oh, om;
	char sign;

	/* 2026-11-25T18:00:00.123+00:00 corral: x */
	ck_assert_int_eq(sscanf(out, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c%2d:%2d",
	    &y, &mo, &d, &h, &mi, &s, &ms, &sign, &oh, &om), 10);
	ck_assert_ptr_nonnull(strstr(out, " corral: x\n"));
	free(out);
}
END_TEST

START_TEST(log_level_names)
{
	ck_assert_int_eq(log_level_from_name("DEBUG"), LOGL_DEBUG);
	ck_assert_int_eq(log_level_from_name("warn"), LOGL_WARN);
	ck_assert_int_eq(log_level_from_name("loud"), -1);
	ck_assert_str_eq(log_level_name(LOGL_ERROR), "error");
	log_set_level(LOGL_INFO);
	ck_assert_int_eq(log_get_level(), LOGL_INFO);
}
END_TEST

START_TEST(socket_path_from_environment)
{
	setenv("CORRAL_SOCKET", "/tmp/x.sock", 1);
	ck_assert_str_eq(control_default_path(), "/tmp/x.sock");
	unsetenv("CORRAL_SOCKET");
	if (geteuid() == 0)
		ck_assert_str_eq(control_default_path(), "/run/corral.sock");
}
END_TEST

START_TEST(json_escapes)
{
	struct strbuf b = { 0 };

	sb_json_string(&b, "a\"b\\c\n\x01");
	ck_assert_str_eq(b.p, "\"a\\\"b\\\\c\\u000a\\u0001\"");
	sb_free(&b);
}
END_TEST

START_TEST(status_of_a_service)
{
	struct svc_rare rare = { .health_retries = 3 };
	struct svc_conf c = { .name = "web", .rare = &rare };
	struct service s = { .conf = &c, .state = SS_STOPPED, .status = 256 * 3,
	    .started_at = 5, .started_wall = 1000, .restarts = 2 };
	struct service_health h = { .health_last = -1 };
	struct service *list[] = { &s };
	const struct status_list l = { list, 1, list, 1 };
	struct strbuf b = { 0 };

	status_table(&b, &l, 100);
	ck_assert_ptr_nonnull(strstr(b.p, "web"));
	ck_assert_ptr_nonnull(strstr(b.p, "stopped"));
	ck_assert_ptr_nonnull(strstr(b.p, "exit 3"));
	sb_free(&b);
	s.status = SIGKILL;
	status_json(&b, &l);
	ck_assert_ptr_nonnull(strstr(b.p, "\"last_exit\":{\"signal\":\"KILL\"}"));
	ck_assert_ptr_nonnull(strstr(b.p, "\"restarts\":2"));
	/* A service with no checks has no health block, and no health. */
	ck_assert_ptr_null(strstr(b.p, "\"health\""));
	sb_free(&b);
	s.health = &h;
	s.state = SS_RUNNING;
	s.pid = 42;
	h.health_last = 0;
	h.health_fails = 1;
	status_table(&b, &l, 5 + 3725);
	ck_assert_ptr_nonnull(strstr(b.p, "1h02m"));
	ck_assert_ptr_nonnull(strstr(b.p, "health check failing (1 of 3)"));
	sb_free(&b);
	/* The note of the table is the JSON's too (SPEC §16). */
	status_json(&b, &l);
	ck_assert_ptr_nonnull(strstr(b.p, "\"note\":\"health check failing "
	    "(1 of 3)"));
	sb_free(&b);
}
END_TEST

Suite *
misc_suite(void)
{
	Suite *s = suite_create("misc");
	TCase *tc = tcase_create("misc");

	tcase_add_test(tc, log_lines);
	tcase_add_test(tc, log_timestamps_rfc3339);
	tcase_add_test(tc, log_level_names);
	tcase_add_test(tc, socket_path_from_environment);
	tcase_add_test(tc, json_escapes);
	tcase_add_test(tc, status_of_a_service);
	suite_add_tcase(s, tc);
	return s;
}
