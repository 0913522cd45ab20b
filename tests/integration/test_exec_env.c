/*
 * What a service runs as and with (SPEC §3 user, group, umask, limit_*,
 * environment; §4 HOME, USER, LOGNAME): checked from inside the service,
 * by what id(1), the shell and env(1) report there.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctlutil.h"

/* Waits until the service has ended (the status file says stopped). */
static void
wait_done(struct h_proc *c, const char *name)
{
	const char *file = h_path("status.json");

	ck_assert_msg(cu_wait_state(file, name, "stopped", H_WAIT_MS),
	    "%s: status file says '%s', expected 'stopped'; %s", name,
	    cu_file_state(file, name), h_ctx(c));
}

static int
by_number(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* A list of numbers as text, sorted and without repeats: "4 20 65534". */
static const char *
number_set(const long *v, int n)
{
	long *s = malloc(((size_t)n + 1) * sizeof(*s));
	const char *out = "";

	ck_assert_msg(s != NULL, "out of memory");
	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), by_number);
	for (int i = 0; i < n; i++)
		if (i == 0 || s[i] != s[i - 1])
			out = h_fmt("%s%s%ld", out, *out ? " " : "", s[i]);
	free(s);
	return out;
}

/* The numbers of the blank-separated words of text, as number_set(). */
static const char *
text_set(const char *text)
{
	long v[256];
	int n = 0;
	char *end;

	for (const char *p = text; *p && n < 256;) {
		long x = strtol(p, &end, 10);

		if (end == p)
			break;
		v[n++] = x;
		p = end;
	}
	return number_set(v, n);
}

/* getgrouplist(user, gid) as number_set(). */
static const char *
expected_groups(const char *user, gid_t gid)
{
	gid_t g[256];
	long v[256];
	int n = 256;

	ck_assert_msg(getgrouplist(user, gid, g, &n) != -1, "getgrouplist");
	for (int i = 0; i < n; i++)
		v[i] = (long)g[i];
	return number_set(v, n);
}

/* "UID\nGID\nGROUPS\n", what `id -u; id -g; id -G` wrote, checked. */
static void
expect_ids(struct h_proc *c, const char *name, uid_t uid, gid_t gid,
    const char *groups)
{
	const char *path = h_path(h_fmt("out/%s.ids", name)), *text, *l2, *l3;

	wait_done(c, name);
	text = h_read(path);
	ck_assert_msg(text != NULL, "%s: no output", name);
	l2 = strchr(text, '\n');
	l3 = l2 ? strchr(l2 + 1, '\n') : NULL;
	ck_assert_msg(l3 != NULL, "%s: id wrote '%s'; %s", name, text, h_ctx(c));
	ck_assert_msg(atol(text) == (long)uid && atol(l2 + 1) == (long)gid,
	    "%s: id -u/-g say %ld/%ld, expected %ld/%ld", name, atol(text),
	    atol(l2 + 1), (long)uid, (long)gid);
	ck_assert_msg(strcmp(text_set(l3 + 1), groups) == 0,
	    "%s: id -G says '%s', expected the groups {%s}", name,
	    text_set(l3 + 1), groups);
}

START_TEST(exec_user_and_group)
{
	struct passwd *pw = getpwnam("nobody");
	struct group *gr = getgrnam("daemon");
	struct h_proc *c, *t;
	const char *bad;
	uid_t uid;
	gid_t gid, dgid;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP %s: only root can switch users\n",
		    tcase_name());
		return;
	}
	ck_assert_msg(pw != NULL && gr != NULL, "needs user nobody, group "
	    "daemon");
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	dgid = gr->gr_gid;
	/* Each service writes its own file, as its user. */
	(void)h_mkdir("out", 01777, 0, 0);
	c = h_corral(
	    "[corral]\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:user]\n"
	    "command = sh -c 'id -u; id -g; id -G'\n"
	    "user = nobody\n"
	    "output = file:@T@/out/user.ids\n"
	    "restart = never\n"
	    "\n"
	    "[service:group]\n"
	    "command = sh -c 'id -u; id -g; id -G'\n"
	    "user = nobody\n"
	    "group = daemon\n"
	    "output = file:@T@/out/group.ids\n"
	    "restart = never\n"
	    "\n"
	    "[service:uid]\n"
	    "command = sh -c 'id -u; id -g; id -G'\n"
	    "user = 4242\n"
	    "output = file:@T@/out/uid.ids\n"
	    "restart = never\n");
	expect_ids(c, "user", uid, gid, expected_groups("nobody", gid));
	/* group replaces the primary group; the user's others stay. */
	expect_ids(c, "group", uid, dgid, expected_groups("nobody", dgid));
	/* A bare uid: the gid of the same number, no other group. */
	expect_ids(c, "uid", 4242, 4242, "4242");
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);

	/* A user or group that does not exist is an error at its line. */
	bad = h_write("bad.conf",
	    "[service:a]\n"
	    "command = sleep 1\n"
	    "user = no_such_user_zz\n"
	    "\n"
	    "[service:b]\n"
	    "command = sleep 1\n"
	    "group = no_such_group_zz\n");
	t = h_spawn("check", NULL, (const char *[]){ getenv("CORRAL_BIN"), "-t",
	    "-c", bad, NULL });
	ck_assert_msg(h_wait_exit(t, H_WAIT_MS) && WIFEXITED(t->status) &&
	    WEXITSTATUS(t->status) == 1, "corral -t with an unknown user: "
	    "expected exit 1; %s", h_ctx(t));
	ck_assert_msg(h_count_lines(t->err, h_fmt("%s:3: ", bad)) == 1 &&
	    h_count_lines(t->err, "no_such_user_zz") == 1,
	    "expected '%s:3: ...' naming the user; %s", bad, h_ctx(t));
	ck_assert_msg(h_count_lines(t->err, h_fmt("%s:7: ", bad)) == 1 &&
	    h_count_lines(t->err, "no_such_group_zz") == 1,
	    "expected '%s:7: ...' naming the group; %s", bad, h_ctx(t));
}
END_TEST

START_TEST(exec_umask_and_limits)
{
	struct h_proc *c = h_corral(
	    "[corral]\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:a]\n"
	    "command = sh -c 'umask; ulimit -Sn; ulimit -Hn;\n"
	    "    : > @T@/a.created'\n"
	    "umask = 027\n"
	    "limit_nofile = 256\n"
	    "output = file:@T@/a.out\n"
	    "restart = never\n"
	    "\n"
	    "[service:b]\n"
	    "command = sh -c 'umask; ulimit -Sn; ulimit -Hn'\n"
	    "umask = 0\n"
	    "limit_nofile = 128:512\n"
	    "output = file:@T@/b.out\n"
	    "restart = never\n");
	struct stat st;

	/* Its setrlimit() in the child, before exec, is valgrind's. */
	ck_assert_msg(h_wait_file(h_path("status.json"), H_WAIT_MS),
	    "no status file; %s", h_ctx(c));
	if (cu_valgrind(c->corral)) {
		fprintf(stderr, "SKIP %s: valgrind refuses a child's "
		    "RLIMIT_NOFILE\n", tcase_name());
		return;
	}
	wait_done(c, "a");
	wait_done(c, "b");
	ck_assert_str_eq(h_read(h_path("a.out")), "0027\n256\n256\n");
	ck_assert_str_eq(h_read(h_path("b.out")), "0000\n128\n512\n");
	ck_assert_msg(stat(h_path("a.created"), &st) == 0 &&
	    (st.st_mode & 0777) == 0640, "a file the service created with "
	    "umask 027 has mode %04o, expected 0640", st.st_mode & 0777);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/* Sets name=value in the list (replacing one of the same name). */
static void
env_put(const char **env, int *n, const char *kv)
{
	size_t len = strcspn(kv, "=") + 1;

	for (int i = 0; i < *n; i++)
		if (strncmp(env[i], kv, len) == 0) {
			env[i] = kv;
			return;
		}
	env[(*n)++] = kv;
}

static int
by_string(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* NUL-separated entries, sorted, as one text with a line each. */
static const char *
env_text(const char **env, int n)
{
	const char *out = "";

	qsort(env, (size_t)n, sizeof(*env), by_string);
	for (int i = 0; i < n; i++)
		out = h_fmt("%s%s\n", out, env[i]);
	return out;
}

static int
split_nul(const char *buf, size_t len, const char **env, int max)
{
	int n = 0;

	for (size_t off = 0; off < len && n < max; off += strlen(buf + off) + 1)
		env[n++] = h_fmt("%s", buf + off);
	return n;
}

/*
 * What the service named should see: corral's own environment without
 * NOTIFY_SOCKET and WATCHDOG_*, then HOME/USER/LOGNAME of its user, then
 * its environment, then CORRAL_SERVICE; a later one of a name wins.
 */
static const char *
expected_env(const char *corral_env, size_t len, const struct passwd *pw,
    const char *const *conf, const char *name)
{
	const char *env[512], *all[512];
	int n = 0, m = split_nul(corral_env, len, all, 512);

	for (int i = 0; i < m; i++)
		if (strncmp(all[i], "NOTIFY_SOCKET=", 14) != 0 &&
		    strncmp(all[i], "WATCHDOG_", 9) != 0)
			env[n++] = all[i];
	if (pw != NULL) {
		env_put(env, &n, h_fmt("HOME=%s", pw->pw_dir));
		env_put(env, &n, h_fmt("USER=%s", pw->pw_name));
		env_put(env, &n, h_fmt("LOGNAME=%s", pw->pw_name));
	}
	for (int i = 0; conf[i] != NULL; i++)
		env_put(env, &n, conf[i]);
	env_put(env, &n, h_fmt("CORRAL_SERVICE=%s", name));
	return env_text(env, n);
}

static const char *
service_env(struct h_proc *c, const char *name)
{
	const char *env[512];
	size_t len;
	char *buf;
	int n;

	wait_done(c, name);
	buf = cu_slurp(h_path(h_fmt("out/%s.env", name)), &len);
	ck_assert_msg(buf != NULL, "%s: no output; %s", name, h_ctx(c));
	n = split_nul(buf, len, env, 512);
	free(buf);
	return env_text(env, n);
}

START_TEST(exec_environment)
{
	/* What the file below says, after quoting: */
	static const char *const vars[] = {
		"PLAIN=simple",
		"SINGLE=a b  c",
		"DOUBLE=say \"hi\" $HOME \\ end",
		"ESCAPED=back slash\\x",
		"EQUALS=a=b=c",
		"EMPTY=",
		"SEMI=x;y",
		"HASH=#not-a-comment",
		"IT_OVERRIDE=new",
		"SECOND_LINE=yes",
		NULL
	};
	struct passwd *pw = getpwnam("nobody");
	struct h_proc *c;
	const char *want, *got;
	char *corral_env;
	size_t len;

	/* corral's own environment, which a service inherits. */
	(void)setenv("IT_INHERITED", "from corral", 1);
	(void)setenv("IT_OVERRIDE", "old", 1);
	(void)setenv("WATCHDOG_PID", "1", 1);
	/* Each service writes its own file, as its user. */
	(void)h_mkdir("out", 01777, 0, 0);
	c = h_corral(h_fmt(
	    "[corral]\n"
	    "status_file = @T@/status.json\n"
	    "\n"
	    "[service:env]\n"
	    /* Its own file: corral's file: sink would end its last line. */
	    "command = sh -c 'exec env -0 >@T@/out/env.env'\n"
	    "restart = never\n"
	    "environment = PLAIN=simple 'SINGLE=a b  c'\n"
	    "    \"DOUBLE=say \\\"hi\\\" \\$HOME \\\\ end\"\n"
	    "    ESCAPED=back\\ slash\\\\x EQUALS=a=b=c\n"
	    "    # a comment between continuation lines\n"
	    "\n"
	    "    EMPTY= SEMI=x;y HASH=#not-a-comment\n"
	    "environment = IT_OVERRIDE=new SECOND_LINE=yes\n"
	    "%s",
	    geteuid() == 0 && pw != NULL ?
	    "\n"
	    "[service:user]\n"
	    "command = sh -c 'exec env -0 >@T@/out/user.env'\n"
	    "user = nobody\n"
	    "restart = never\n"
	    "environment = LOGNAME=mine\n" : ""));
	/* Once corral runs: before its exec, /proc shows the test's. */
	ck_assert_msg(h_wait_file(h_path("status.json"), H_WAIT_MS),
	    "no status file; %s", h_ctx(c));
	if (cu_valgrind(c->corral)) {
		fprintf(stderr, "SKIP %s: under valgrind corral's environment "
		    "is not what /proc shows\n", tcase_name());
		return;
	}
	corral_env = cu_slurp(h_fmt("/proc/%d/environ", (int)c->corral), &len);
	ck_assert_msg(corral_env != NULL, "corral's environment: %s",
	    strerror(errno));
	ck_assert_msg(memmem(corral_env, len, "IT_INHERITED=from corral", 25),
	    "corral did not get the test's environment");

	want = expected_env(corral_env, len, NULL, vars, "env");
	got = service_env(c, "env");
	ck_assert_msg(strcmp(got, want) == 0, "the service's environment:\n%s"
	    "expected:\n%s", got, want);
	if (geteuid() == 0 && pw != NULL) {
		static const char *const mine[] = { "LOGNAME=mine", NULL };

		want = expected_env(corral_env, len, pw, mine, "user");
		got = service_env(c, "user");
		ck_assert_msg(strcmp(got, want) == 0, "the environment of a "
		    "service with user = nobody:\n%sexpected:\n%s", got, want);
		ck_assert_msg(strstr(h_fmt("\n%s", got), h_fmt("\nHOME=%s\n",
		    pw->pw_dir)) && strstr(h_fmt("\n%s", got), "\nUSER=nobody\n"),
		    "HOME and USER of nobody "
		    "expected:\n%s", got);
	} else
		fprintf(stderr, "SKIP %s (part): HOME/USER/LOGNAME need root "
		    "and user nobody\n", tcase_name());
	free(corral_env);
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

Suite *
suite_exec_env(void)
{
	Suite *s = suite_create("exec_env");

	h_add(s, exec_user_and_group, 20);
	h_add(s, exec_umask_and_limits, 20);
	h_add(s, exec_environment, 20);
	return s;
}
