/*
 * What a reload does about each key (config_compare() and the key table).
 * Every key of the table is changed on its own, and the class the diff
 * chooses must be both the row's and the one SPEC §8 and corral(8) give,
 * written out again below from them and not from the table: so a row with
 * the wrong class fails, and so does a comparator that misses a change.
 * A key added to the table without an alternative value here fails too.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "suites.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define PATH		"t.conf"

/*
 * One change of one key: from base (NULL: not set, the default) to alt.
 * A key may have more than one row, for changes its comparator must see
 * apart (the path of output = file:, a value inside environment).
 */
struct change {
	const char	*key;
	const char	*base;
	const char	*alt;
};

static const struct change service_changes[] = {
	{ "command", "/bin/true", "/bin/true --again" },
	{ "directory", NULL, "/tmp" },
	/* The same uid and gid: the name as written counts on its own. */
	{ "user", "12345", "012345" },
	{ "group", "12345", "012345" },
	{ "umask", NULL, "027" },
	{ "limit_nofile", NULL, "64:128" },
	{ "limit_nofile", "64:128", "64:256" },
	{ "limit_nproc", NULL, "64:128" },
	{ "limit_core", NULL, "0" },
	{ "limit_memlock", NULL, "infinity" },
	{ "output", NULL, "null" },
	{ "output", "file:/tmp/a.log", "file:/tmp/b.log" },
	{ "output", "prefix", "prefix file:/tmp/a.log" },
	{ "output", "file:/tmp/a.log file:/tmp/b.log",
	    "file:/tmp/b.log file:/tmp/a.log" },
	/* Each with the output it needs, the same on both sides. */
	{ "output_max_size", "0\noutput = file:/tmp/a.log",
	    "10M\noutput = file:/tmp/a.log" },
	{ "output_keep", NULL, "2" },
	{ "output_timestamps", "no\noutput = prefix", "yes\noutput = prefix" },
	{ "environment", NULL, "A=1" },
	{ "environment", "A=1", "A=2" },
	{ "environment", "A=1", "A=1 B=2" },
	/* What the files hold is compared as environment; the paths alone. */
	{ "env_file", NULL, "-/nonexistent/a.env" },
	{ "autostart", NULL, "no" },
	{ "critical", NULL, "yes" },
	{ "restart", NULL, "always" },
	{ "success_exit_codes", NULL, "0 143" },
	{ "start_seconds", NULL, "250ms" },
	{ "start_retries", NULL, "7" },
	{ "restart_delay", NULL, "2s" },
	{ "restart_delay_max", NULL, "1m" },
	{ "stop_delay", NULL, "3s" },
	{ "stop_signal", NULL, "INT" },
	{ "stop_timeout", NULL, "20s" },
	{ "kill_signal", NULL, "TERM" },
	{ "cleanup", NULL, "/bin/true" },
	{ "cleanup", "/bin/true", "/bin/true --all" },
	{ "cleanup_timeout", NULL, "infinity" },
	{ "after", NULL, "dep" },
	{ "after", "dep", "dep other" },
	{ "requires", NULL, "dep" },
	{ "type", NULL, "oneshot" },
	{ "prepare", NULL, "/bin/true" },
	{ "prepare_timeout", NULL, "5s" },
	{ "stop_command", NULL, "/bin/true" },
	{ "listen", NULL, "tcp:127.0.0.1:1" },
	{ "listen", "tcp:127.0.0.1:1", "tcp:127.0.0.1:2" },
	{ "listen_names", NULL, "http" },
	{ "listen_mode", NULL, "0600" },
	{ "listen_owner", NULL, "12345" },
	{ "watch", NULL, "-/nonexistent/a.ini" },
	{ "watch_action", NULL, "signal:HUP" },
	{ "watch_action", "signal:HUP", "signal:USR1" },
	{ "watch_delay", NULL, "5s" },
	{ "ready_check", NULL, "/bin/true" },
	{ "ready_interval", NULL, "2s" },
	{ "ready_timeout", NULL, "10s" },
	{ "notify", NULL, "yes" },
	{ "health_check", NULL, "/bin/true" },
	{ "health_check", "/bin/true", "/bin/false" },
	{ "health_interval", NULL, "10s" },
	{ "health_timeout", NULL, "1s" },
	{ "health_retries", NULL, "5" },
	{ "health_check", "/bin/true", "tcp:127.0.0.1:80" },
	{ "ready_check", "tcp:127.0.0.1:80", "http://127.0.0.1/" },
	{ "check_timeout", NULL, "1s" },
	{ "output_buffer", NULL, "64K" },
	{ "output_buffer", "64K", "1M" },
};

static const struct change corral_changes[] = {
	{ "stop_timeout", NULL, "5s" },
	{ "cleanup_timeout", NULL, "infinity" },
	{ "check_timeout", NULL, "1s" },
	{ "shutdown_order", NULL, "sequential" },
	{ "shutdown_deadline", NULL, "28s" },
	{ "forward_signals", NULL, "HUP" },
	{ "log_level", NULL, "debug" },
	{ "log_timestamps", NULL, "yes" },
	{ "log_format", NULL, "json" },
	{ "subreaper", NULL, "no" },
	{ "strict", NULL, "no" },
	{ "control_socket", NULL, "/tmp/corral-test.sock" },
	{ "control_group", NULL, "12345" },
	{ "status_file", NULL, "/tmp/corral-test.json" },
	{ "metrics_file", NULL, "/tmp/corral-test.prom" },
	{ "on_state", NULL, "/bin/true" },
	{ "include", NULL, "/nonexistent/*.conf" },
};

/*
 * SPEC §8: "services whose process would differ ... restart"; §13: type
 * and listen lines (and what decides which sockets it gets).
 */
static const char *const spec_restart[] = {
	"command", "directory", "user", "group", "umask", "environment",
	"limit_nofile", "limit_nproc", "limit_core", "limit_memlock",
	"output", "notify", "type", "listen", "listen_names", "listen_mode",
	"listen_owner", "output_max_size", "output_keep", "output_timestamps",
};

/* corral(8), RELOAD: "When its checks changed, they start over". */
static const char *const spec_checks[] = {
	"ready_check", "ready_interval", "health_check", "health_interval",
	"health_timeout", "health_retries", "check_timeout",
};

/* corral(8), RELOAD: these "take effect at the next start of corral". */
static const char *const spec_at_start[] = {
	"control_socket", "control_group", "log_timestamps", "log_format",
	"subreaper",
};

/*
 * SPEC §13: these decide which services there are and which run; a reload
 * starts and stops the difference (test_compose.c, test_reload.c).
 */
static const char *const spec_set[] = { "include", "instances", "condition" };

/* The [corral] keys that a service without its own inherits. */
static const char *const inherited[] = { "stop_timeout", "cleanup_timeout",
	"check_timeout" };

static bool
listed(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

static enum reload_class
spec_service_class(const char *key)
{
	if (listed(spec_restart, NELEM(spec_restart), key))
		return RC_RESTART;
	if (listed(spec_checks, NELEM(spec_checks), key))
		return RC_CHECKS;
	return RC_IN_PLACE;
}

static const char *
shown(const char *value)
{
	return value != NULL ? value : "(unset)";
}

static const char *
class_name(enum reload_class rc)
{
	static const char *const names[] = {
		[RC_UNSET] = "RC_UNSET", [RC_NONE] = "RC_NONE",
		[RC_IN_PLACE] = "RC_IN_PLACE", [RC_CHECKS] = "RC_CHECKS",
		[RC_RESTART] = "RC_RESTART", [RC_AT_START] = "RC_AT_START",
		[RC_SET] = "RC_SET",
	};

	return (size_t)rc < NELEM(names) ? names[rc] : "(not a class)";
}

/* The row of key in section service (or [corral]); fails when absent. */
static size_t
key_row(const char *key, bool service)
{
	for (size_t i = 0; i < config_key_count(); i++)
		if (config_key_in_service(i) == service &&
		    strcmp(config_key_name(i), key) == 0)
			return i;
	ck_abort_msg("'%s' is not a %s key", key, service ? "service" :
	    "[corral]");
	return SIZE_MAX;
}

/*
 * A file with services dep, other and s; key = value (when value is not
 * NULL) goes into s's section, or into [corral] when in_corral.
 */
static struct config *
load_with(const char *key, const char *value, bool in_corral)
{
	char text[1024], line[256] = "";
	struct diag d = { 0 };
	struct config *c;

	if (value != NULL)
		snprintf(line, sizeof(line), "%s = %s\n", key, value);
	snprintf(text, sizeof(text),
	    "[corral]\n%s"
	    "[service:dep]\ncommand = /bin/true\n"
	    "[service:other]\ncommand = /bin/true\n"
	    "[service:s]\n%s%s%s",
	    in_corral ? line : "",
	    !in_corral && strcmp(key, "command") == 0 ? "" :
	    "command = /bin/true\n",
	    /* output_buffer keeps lines corral reads: not inherit's. */
	    strcmp(key, "output_buffer") == 0 ? "output = prefix\n" : "",
	    in_corral ? "" : line);
	c = config_parse(PATH, text, strlen(text), &d);
	ck_assert_msg(c != NULL && d.n == 0, "%s = %s: %s", key, shown(value),
	    d.n > 0 ? d.lines[0] : "(no message)");
	diag_free(&d);
	return c;
}

static enum reload_class
compare_change(const struct change *ch, bool in_corral)
{
	struct config *old = load_with(ch->key, ch->base, in_corral);
	struct config *new = load_with(ch->key, ch->alt, in_corral);
	enum reload_class rc = config_compare(config_find(old, "s"),
	    config_find(new, "s"));

	config_free(old);
	config_free(new);
	return rc;
}

/* Every key of the table, changed alone, gets its row's class and SPEC's. */
START_TEST(each_service_key_alone)
{
	for (size_t i = 0; i < config_key_count(); i++) {
		const char *key = config_key_name(i);
		size_t nchanges = 0;

		if (!config_key_in_service(i))
			continue;
		if (listed(spec_set, NELEM(spec_set), key)) {
			ck_assert_msg(config_key_reload(i) == RC_SET,
			    "%s: its row says %s, SPEC §13 RC_SET", key,
			    class_name(config_key_reload(i)));
			continue;
		}
		for (size_t j = 0; j < NELEM(service_changes); j++) {
			const struct change *ch = &service_changes[j];
			enum reload_class got;

			if (strcmp(ch->key, key) != 0)
				continue;
			nchanges++;
			got = compare_change(ch, false);
			ck_assert_msg(got == config_key_reload(i),
			    "%s: %s -> %s: the diff says %s, its row %s", key,
			    shown(ch->base), ch->alt, class_name(got),
			    class_name(config_key_reload(i)));
			ck_assert_msg(got == spec_service_class(key),
			    "%s: %s -> %s: the diff says %s, SPEC §8 %s", key,
			    shown(ch->base), ch->alt, class_name(got),
			    class_name(spec_service_class(key)));
		}
		ck_assert_msg(nchanges > 0, "service key '%s' has no row in "
		    "service_changes[]: add one with another valid value", key);
	}
}
END_TEST

/* And every row of the test names a key the table has. */
START_TEST(every_change_names_a_key)
{
	for (size_t j = 0; j < NELEM(service_changes); j++)
		(void)key_row(service_changes[j].key, true);
	for (size_t j = 0; j < NELEM(corral_changes); j++)
		(void)key_row(corral_changes[j].key, false);
	for (size_t j = 0; j < NELEM(spec_restart); j++)
		(void)key_row(spec_restart[j], true);
	for (size_t j = 0; j < NELEM(spec_checks); j++)
		(void)key_row(spec_checks[j], true);
	for (size_t j = 0; j < NELEM(spec_at_start); j++)
		(void)key_row(spec_at_start[j], false);
}
END_TEST

/* The class of a service's own key of that name. */
static enum reload_class
service_class(const char *key)
{
	for (size_t i = 0; i < config_key_count(); i++)
		if (config_key_in_service(i) &&
		    strcmp(config_key_name(i), key) == 0)
			return config_key_reload(i);
	return RC_NONE;
}

/*
 * [corral] keys: the row's class is corral(8)'s, and a change restarts no
 * service; only the inherited timeouts reach one, as its own key would.
 */
START_TEST(each_corral_key_alone)
{
	for (size_t i = 0; i < config_key_count(); i++) {
		const char *key = config_key_name(i);
		enum reload_class want = listed(spec_at_start,
		    NELEM(spec_at_start), key) ? RC_AT_START :
		    listed(spec_set, NELEM(spec_set), key) ? RC_SET : RC_IN_PLACE;
		size_t nchanges = 0;

		if (config_key_in_service(i))
			continue;
		ck_assert_msg(config_key_reload(i) == want,
		    "[corral] %s: its row says %s, corral(8) %s", key,
		    class_name(config_key_reload(i)), class_name(want));
		for (size_t j = 0; j < NELEM(corral_changes); j++) {
			const struct change *ch = &corral_changes[j];
			enum reload_class got, svc_want;

			if (strcmp(ch->key, key) != 0)
				continue;
			nchanges++;
			got = compare_change(ch, true);
			svc_want = listed(inherited, NELEM(inherited), key) ?
			    service_class(key) : RC_NONE;
			ck_assert_msg(got == svc_want, "[corral] %s: %s -> %s: "
			    "the service's diff says %s, want %s", key,
			    shown(ch->base), ch->alt, class_name(got),
			    class_name(svc_want));
		}
		ck_assert_msg(nchanges > 0, "[corral] key '%s' has no row in "
		    "corral_changes[]: add one with another valid value", key);
	}
}
END_TEST

/* A row that forgot its class would make a reload miss the change. */
START_TEST(every_key_has_a_class)
{
	for (size_t i = 0; i < config_key_count(); i++) {
		enum reload_class rc = config_key_reload(i);
		bool ok = rc == RC_SET || (config_key_in_service(i) ?
		    rc == RC_IN_PLACE || rc == RC_CHECKS || rc == RC_RESTART :
		    rc == RC_IN_PLACE || rc == RC_AT_START);

		ck_assert_msg(rc != RC_UNSET, "key '%s' has no reload class",
		    config_key_name(i));
		ck_assert_msg(ok, "key '%s': %s is not a class for its section",
		    config_key_name(i), class_name(rc));
	}
}
END_TEST

START_TEST(same_file_is_no_change)
{
	struct config *a = load_with("health_check", "/bin/true", false);
	struct config *b = load_with("health_check", "/bin/true", false);

	ck_assert_int_eq(config_compare(config_find(a, "s"),
	    config_find(b, "s")), RC_NONE);
	/* Services that set no rare key share one block; a copy is no change. */
	ck_assert_int_eq(config_compare(config_find(a, "dep"),
	    config_find(b, "dep")), RC_NONE);
	config_free(a);
	config_free(b);
}
END_TEST

/* Of several changes, the strongest class wins, whatever the key order. */
START_TEST(strongest_change_wins)
{
	static const char *const texts[] = {
		"[service:s]\ncommand = x\n",
		"[service:s]\ncommand = x\nstop_signal = INT\n",
		"[service:s]\ncommand = x\nstop_signal = INT\nhealth_retries = 9\n",
		"[service:s]\ncommand = x\nstop_signal = INT\nhealth_retries = 9\n"
		    "umask = 077\n",
	};
	static const enum reload_class want[] = {
		RC_NONE, RC_IN_PLACE, RC_CHECKS, RC_RESTART,
	};
	struct config *c[NELEM(texts)];

	for (size_t i = 0; i < NELEM(texts); i++) {
		struct diag d = { 0 };

		c[i] = config_parse(PATH, texts[i], strlen(texts[i]), &d);
		ck_assert_ptr_nonnull(c[i]);
		diag_free(&d);
	}
	for (size_t i = 0; i < NELEM(texts); i++) {
		ck_assert_int_eq(config_compare(c[0]->services[0],
		    c[i]->services[0]), want[i]);
		ck_assert_int_eq(config_compare(c[i]->services[0],
		    c[0]->services[0]), want[i]);
	}
	for (size_t i = 0; i < NELEM(texts); i++)
		config_free(c[i]);
}
END_TEST

/*
 * Not keys, but the process depends on them: the uid and gid a name has in
 * /etc/passwd may differ at the next load, and foreground comes from
 * corral's terminal.
 */
START_TEST(uid_gid_and_terminal_restart)
{
	static const char text[] = "[service:s]\ncommand = x\n";
	struct diag d = { 0 };
	struct config *a = config_parse(PATH, text, strlen(text), &d);
	struct config *b = config_parse(PATH, text, strlen(text), &d);
	struct svc_conf *sa, *sb;

	ck_assert(a != NULL && b != NULL && d.n == 0);
	diag_free(&d);
	sa = a->services[0];
	sb = b->services[0];
	sb->uid = 4242;
	ck_assert_int_eq(config_compare(sa, sb), RC_RESTART);
	sb->uid = sa->uid;
	sb->gid = 4242;
	ck_assert_int_eq(config_compare(sa, sb), RC_RESTART);
	sb->gid = sa->gid;
	sb->foreground = !sa->foreground;
	ck_assert_int_eq(config_compare(sa, sb), RC_RESTART);
	sb->foreground = sa->foreground;
	ck_assert_int_eq(config_compare(sa, sb), RC_NONE);
	config_free(a);
	config_free(b);
}
END_TEST

Suite *
confdiff_suite(void)
{
	Suite *s = suite_create("confdiff");
	TCase *tc;

	tc = tcase_create("table");
	tcase_add_test(tc, each_service_key_alone);
	tcase_add_test(tc, every_change_names_a_key);
	tcase_add_test(tc, each_corral_key_alone);
	tcase_add_test(tc, every_key_has_a_class);
	suite_add_tcase(s, tc);

	tc = tcase_create("compare");
	tcase_add_test(tc, same_file_is_no_change);
	tcase_add_test(tc, strongest_change_wins);
	tcase_add_test(tc, uid_gid_and_terminal_restart);
	suite_add_tcase(s, tc);

	return s;
}
