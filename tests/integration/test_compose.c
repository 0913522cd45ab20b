/*
 * Config composition at run time (SPEC §13): drop-ins added and removed
 * by a reload, instances that a reload grows and shrinks without touching
 * the ones that stay, conditions that a reload turns on and off, env_file
 * whose change restarts its service, and an env_file that a service's
 * user points at a file that user may not read.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctlutil.h"

#define HEAD \
	"[corral]\n" \
	"control_socket = @T@/ctl.sock\n" \
	"status_file = @T@/status.json\n" \
	"include = conf.d/*.conf\n" \
	"\n"

#define CATCH(name) \
	"[service:" name "]\n" \
	"command = @SVC@/catch @T@/" name " TERM=die\n"

/* A file in conf.d/, @T@ and @SVC@ replaced as h_write() does. */
static void
drop_in(const char *name, const char *text)
{
	if (access(h_path("conf.d"), F_OK) != 0)
		(void)h_mkdir("conf.d", 0755, getuid(), getgid());
	(void)h_write(h_fmt("conf.d/%s", name), text);
}

static const char *
status_of(const char *name)
{
	return cu_file_state(h_path("status.json"), name);
}

/* `corral -t [-v] -c conf`, as user (NULL: the test's), run to its end. */
static struct h_proc *
check_run(const char *conf, const char *user, bool verbose)
{
	const char *argv[] = { getenv("CORRAL_BIN"), "-t", "-c", conf,
	    verbose ? "-v" : NULL, NULL };
	struct h_spawn_opts o = { .user = user };
	struct h_proc *p = h_spawn("check", &o, argv);

	ck_assert_msg(h_wait_exit(p, H_WAIT_MS), "corral -t did not finish; "
	    "%s", h_ctx(p));
	return p;
}

static void
reload_ok(const char *sock, struct h_proc *c)
{
	struct cu_run r = cu_ctl(sock, "reload", NULL);

	ck_assert_msg(r.code == 0, "reload: %s; %s", cu_ctx(&r), h_ctx(c));
}

START_TEST(drop_ins_come_and_go_with_reload)
{
	struct h_proc *c;
	const char *sock = h_path("ctl.sock");
	pid_t base, a, b;
	struct cu_run r;

	drop_in("10-a.conf", CATCH("a"));
	c = h_corral(HEAD CATCH("base"));
	base = cu_started(c, "base", 0);
	a = cu_started(c, "a", 0);

	drop_in("20-b.conf", CATCH("b"));
	r = cu_ctl(sock, "reload", "--dry-run", NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out, "start b\n") &&
	    strstr(r.out, "keep a\n") && strstr(r.out, "keep base\n"),
	    "reload --dry-run after adding a drop-in: %s", cu_ctx(&r));
	reload_ok(sock, c);
	b = cu_started(c, "b", 0);
	ck_assert(b > 0);

	ck_assert_int_eq(unlink(h_path("conf.d/10-a.conf")), 0);
	reload_ok(sock, c);
	ck_assert_msg(h_wait_gone(a, H_WAIT_MS) && h_wait_events(h_path("a"),
	    "TERM", 1, H_WAIT_MS), "a, whose drop-in is gone, still runs; %s",
	    h_ctx(c));
	ck_assert_msg(h_alive(base) && h_alive(b) &&
	    h_event_count(h_path("base"), "start") == 1 &&
	    h_event_count(h_path("b"), "start") == 1,
	    "a reload touched services whose files did not change; %s",
	    h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/* The instances that stay keep their pids when N changes. */
START_TEST(instances_grow_and_shrink_by_the_difference)
{
	static const char conf[] = HEAD
	    "[service:w]\n"
	    "instances = %d\n"
	    "command = @SVC@/catch @T@/w.${CORRAL_INSTANCE} TERM=die\n"
	    "cleanup = @SVC@/stamp -e @T@/hooks w\n"
	    "[service:front]\n"
	    "after = w\n"
	    "command = @SVC@/catch @T@/front TERM=die\n";
	const char *sock = h_path("ctl.sock");
	struct h_proc *c = h_corral(h_fmt(conf, 3));
	pid_t w[5], front;
	struct cu_run r;

	for (int i = 0; i < 3; i++)
		w[i] = cu_started(c, h_fmt("w.%d", i), 0);
	front = cu_started(c, "front", 0);
	r = cu_ctl(sock, "status", "w", NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out, "w.0 ") &&
	    strstr(r.out, "w.2 ") && !strstr(r.out, "front"),
	    "status w should list its instances alone: %s", cu_ctx(&r));

	(void)h_write("corral.conf", h_fmt(conf, 5));
	reload_ok(sock, c);
	w[3] = cu_started(c, "w.3", 0);
	w[4] = cu_started(c, "w.4", 0);
	ck_assert(w[3] > 0 && w[4] > 0);
	(void)h_write("corral.conf", h_fmt(conf, 2));
	reload_ok(sock, c);
	for (int i = 2; i < 5; i++)
		ck_assert_msg(h_wait_gone(w[i], H_WAIT_MS), "w.%d still runs "
		    "after instances went down to 2; %s", i, h_ctx(c));
	ck_assert_msg(h_alive(w[0]) && h_alive(w[1]) && h_alive(front) &&
	    h_event_count(h_path("w.0"), "start") == 1 &&
	    h_event_count(h_path("w.1"), "start") == 1 &&
	    h_event_count(h_path("front"), "start") == 1,
	    "an instance that stays, or front, was restarted; %s", h_ctx(c));
	ck_assert_msg(h_wait_events(h_path("hooks"), "w", 3, H_WAIT_MS) &&
	    strstr(h_read(h_path("hooks")), "CORRAL_INSTANCE=4") &&
	    strstr(h_read(h_path("hooks")), "CORRAL_SERVICE=w.4"),
	    "the hooks of the instances stopped should know which they were; "
	    "%s", h_read(h_path("hooks")));

	/* corralctl's NAME is all of them. */
	r = cu_ctl(sock, "stop", "w", NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out, "w.0:") &&
	    strstr(r.out, "w.1:"), "stop w: %s", cu_ctx(&r));
	ck_assert_msg(h_wait_gone(w[0], H_WAIT_MS) && h_wait_gone(w[1],
	    H_WAIT_MS) && h_alive(front), "stop w should stop w.0 and w.1 "
	    "only; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/* A condition on a path: a reload after the path appears or goes. */
START_TEST(conditions_follow_the_environment_at_reload)
{
	static const char conf[] = HEAD
	    "[service:x]\n"
	    "condition = path:@T@/enable-x !env:CORRAL_TEST_NO_X\n"
	    "command = @SVC@/catch @T@/x TERM=die\n"
	    "cleanup = @SVC@/stamp -e @T@/hooks x\n"
	    "[service:y]\n"
	    "after = x\n"
	    "command = @SVC@/catch @T@/y TERM=die\n";
	const char *sock = h_path("ctl.sock");
	struct h_proc *c = h_corral(conf);
	struct cu_run r;
	pid_t x, y = cu_started(c, "y", 0);

	/* After a disabled service is satisfied at once. */
	ck_assert(y > 0);
	ck_assert_msg(cu_wait_state(h_path("status.json"), "x", "disabled",
	    H_WAIT_MS), "x is %s, not disabled; %s", status_of("x"), h_ctx(c));
	r = cu_ctl(sock, "status", "x", NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out, "disabled by path:") &&
	    strstr(r.out, "enable-x does not exist"), "status x: %s",
	    cu_ctx(&r));
	r = cu_ctl(sock, "check", NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out, "ok: 1/1 running"),
	    "check with a disabled service: %s", cu_ctx(&r));
	r = cu_ctl(sock, "start", "x", NULL);
	ck_assert_msg(r.code != 0 && strstr(r.err, "x: disabled by path:") &&
	    h_event_count(h_path("x"), "start") == 0,
	    "start of a disabled service: %s", cu_ctx(&r));

	(void)h_write("enable-x", "");
	r = cu_ctl(sock, "reload", "--dry-run", NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out, "start x\n") &&
	    strstr(r.out, "keep y\n"), "dry run: %s", cu_ctx(&r));
	reload_ok(sock, c);
	x = cu_started(c, "x", 0);

	ck_assert_int_eq(unlink(h_path("enable-x")), 0);
	r = cu_ctl(sock, "reload", "--dry-run", NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out, "disable x\n"),
	    "dry run: %s", cu_ctx(&r));
	reload_ok(sock, c);
	ck_assert_msg(h_wait_gone(x, H_WAIT_MS) && h_wait_events(h_path(
	    "hooks"), "x", 1, H_WAIT_MS) && strstr(h_read(h_path("hooks")),
	    "CORRAL_REASON=reload"), "x should stop with reason reload; %s",
	    h_ctx(c));
	ck_assert_msg(cu_wait_state(h_path("status.json"), "x", "disabled",
	    H_WAIT_MS) && h_alive(y), "x is %s; %s", status_of("x"), h_ctx(c));

	/* And on again: a stopped service starts. */
	(void)h_write("enable-x", "");
	reload_ok(sock, c);
	ck_assert_msg(cu_started(c, "x", 1) > 0, "x did not start again");
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

START_TEST(env_file_change_restarts_its_service)
{
	static const char conf[] = HEAD
	    "[service:app]\n"
	    "env_file = app.env\n"
	    "environment = B=conf\n"
	    "command = sh -c 'echo \"$A $B $C\" >> @T@/seen;\n"
	    "  exec @SVC@/catch @T@/app TERM=die'\n"
	    CATCH("other");
	const char *sock = h_path("ctl.sock");
	struct h_proc *c;
	pid_t app, other;
	struct cu_run r;

	(void)h_write("app.env", "A=one\nB=file\nexport C='x y'\n");
	c = h_corral(conf);
	app = cu_started(c, "app", 0);
	other = cu_started(c, "other", 0);
	ck_assert_msg(h_wait_text(h_path("seen"), "one conf x y\n", H_WAIT_MS),
	    "the service saw '%s'; want 'one conf x y'", h_read(h_path("seen")));

	r = cu_ctl(sock, "reload", "--dry-run", NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out, "keep app\n"),
	    "an unchanged env_file: %s", cu_ctx(&r));
	(void)h_write("app.env", "A=two\n");
	r = cu_ctl(sock, "reload", NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out, "restart app\n") &&
	    strstr(r.out, "keep other\n"), "reload: %s", cu_ctx(&r));
	ck_assert_msg(cu_started(c, "app", 1) != app && h_wait_text(
	    h_path("seen"), "two conf \n", H_WAIT_MS), "app was not restarted "
	    "with its new env_file; saw '%s'; %s", h_read(h_path("seen")),
	    h_ctx(c));
	ck_assert(h_alive(other));

	/* A malformed line is refused at its line; nothing changes. */
	(void)h_write("app.env", "A=three\nB = spaced\n");
	r = cu_ctl(sock, "reload", NULL);
	ck_assert_msg(r.code == 1 && strstr(r.err, h_fmt("%s:2: 'B =': no "
	    "blank allowed before '='", h_path("app.env"))), "reload of a "
	    "broken env_file: %s", cu_ctx(&r));
	ck_assert(h_event_count(h_path("app"), "start") == 2);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/*
 * As root, a service's user plants a link to a file only root may read
 * where its env_file is: corral reads env_file as that user, so the link
 * leads nowhere, and the file itself, named directly, cannot be read.
 */
START_TEST(env_file_is_read_as_the_service_user)
{
	const char *dir, *secret, *conf;
	struct h_proc *p;

	if (geteuid() != 0)
		return;		/* no user to switch to: nothing to cross */
	secret = h_write("secret.env", "TOKEN=root-only\n");
	ck_assert_int_eq(chmod(secret, 0600), 0);
	dir = h_mkdir("home", 0755, 65534, 65534);
	ck_assert_int_eq(symlink(secret, h_fmt("%s/app.env", dir)), 0);
	conf = h_write("t.conf", h_fmt("[service:a]\nuser = 65534\n"
	    "command = /bin/true\nenv_file = %s/app.env\n"
	    "[service:b]\nuser = 65534\ncommand = /bin/true\n"
	    "env_file = %s\n", dir, secret));
	p = check_run(conf, NULL, false);
	ck_assert_msg(WIFEXITED(p->status) && WEXITSTATUS(p->status) == 1 &&
	    strstr(h_read(p->err), "[service:a] env_file: ") &&
	    strstr(h_read(p->err), "a symbolic link in a directory that user "
	    "can write is not followed") &&
	    strstr(h_read(p->err), "[service:b] env_file: ") &&
	    strstr(h_read(p->err), "Permission denied"),
	    "corral -t read an env_file its service's user may not read; %s",
	    h_ctx(p));
}
END_TEST

/*
 * A drop-in corral may not read, and a directory a pattern cannot list:
 * each is an error at the include line.  Root reads anything, so then
 * corral runs as nobody to be refused.
 */
START_TEST(include_reports_what_it_cannot_read)
{
	const char *conf, *err;
	struct h_proc *p;

	drop_in("a.conf", "[service:a]\ncommand = /bin/true\n");
	ck_assert_int_eq(chmod(h_path("conf.d/a.conf"), 0), 0);
	(void)h_mkdir("closed", 0700, 0, 0);
	(void)h_mkdir("closed/sub", 0755, 0, 0);
	conf = h_write("corral.conf", "[corral]\ninclude = conf.d/a.conf\n"
	    "include = closed/*/*.conf\n");
	p = check_run(conf, geteuid() == 0 ? "nobody" : NULL, false);
	err = h_read(p->err);
	ck_assert_msg(WIFEXITED(p->status) && WEXITSTATUS(p->status) == 1 &&
	    strstr(err, h_fmt("%s:2: [corral] include: %s: cannot open: "
	    "Permission denied", conf, h_path("conf.d/a.conf"))) &&
	    (geteuid() != 0 || strstr(err, h_fmt("%s:3: [corral] include: "
	    "'closed/*/*.conf': cannot read %s: Permission denied", conf,
	    h_path("closed")))), "corral -t; %s", h_ctx(p));
}
END_TEST

/* corral -t -v: the files read, and what this environment selects. */
START_TEST(check_verbose_shows_files_and_selection)
{
	const char *conf, *out;
	struct h_proc *p;

	drop_in("a.conf", "[service:pool]\ninstances = 4\ncommand = /bin/true\n"
	    "condition = env:HOME\n");
	conf = h_write("corral.conf", "[corral]\ninclude = conf.d/*.conf\n"
	    "[service:plain]\ncommand = /bin/true\n"
	    "[service:off]\ncommand = /bin/true ${CORRAL_TEST_UNSET}\n"
	    "condition = env:CORRAL_TEST_UNSET\n");
	p = check_run(conf, NULL, true);
	out = h_read(p->out);
	ck_assert_msg(WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0 &&
	    strstr(out, h_fmt("%s: ok (6 services)", conf)) &&
	    strstr(out, h_fmt("files read:\n  %s\n  %s\n", conf,
	    h_path("conf.d/a.conf"))) &&
	    strstr(out, "  plain                selected (no condition)\n") &&
	    strstr(out, "  off                  disabled env:CORRAL_TEST_UNSET "
	    "(CORRAL_TEST_UNSET is not set)\n") &&
	    strstr(out, "  pool.{0..3}          selected env:HOME (HOME is "
	    "set)\n"), "corral -t -v; %s", h_ctx(p));
}
END_TEST

Suite *
suite_compose(void)
{
	Suite *s = suite_create("compose");

	h_add(s, drop_ins_come_and_go_with_reload, 30);
	h_add(s, instances_grow_and_shrink_by_the_difference, 30);
	h_add(s, conditions_follow_the_environment_at_reload, 30);
	h_add(s, env_file_change_restarts_its_service, 30);
	h_add(s, env_file_is_read_as_the_service_user, 30);
	h_add(s, include_reports_what_it_cannot_read, 30);
	h_add(s, check_verbose_shows_files_and_selection, 30);
	return s;
}
