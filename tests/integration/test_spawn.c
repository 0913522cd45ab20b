/*
 * What a service starts with (SPEC §4): spawn errors reported as such, and
 * a clean slate of descriptors, signal mask and dispositions.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctlutil.h"

START_TEST(spawn_error_leaves_others_alone)
{
	struct h_proc *c = h_corral(
	    "[service:bad]\n"
	    "command = /nonexistent\n"
	    "\n"
	    "[service:good]\n"
	    "command = @SVC@/catch @T@/good TERM=die\n");
	const char *good = h_path("good");
	pid_t pid;

	ck_assert_msg(h_wait_text(c->err, "corral: bad: cannot execute "
	    "/nonexistent: No such file or directory\n", H_WAIT_MS),
	    "no spawn error for /nonexistent; %s", h_ctx(c));
	ck_assert_msg(h_wait_events(good, "start", 1, H_WAIT_MS),
	    "good did not start; %s", h_ctx(c));
	pid = h_event(good, "start", 0).pid;
	ck_assert_msg(h_alive(pid) && h_event_count(good, "start") == 1 &&
	    h_event_count(good, "TERM") == 0,
	    "good was disturbed by bad's spawn error; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	/* bad ended with a failed start: the shutdown is not clean. */
	h_expect_exit(c, 3, H_WAIT_MS);
	ck_assert_msg(h_event_count(good, "TERM") == 1,
	    "good did not get its stop signal; %s", h_ctx(c));
}
END_TEST

/* The value of "NAME VALUE" in an envinfo file. */
static const char *
info(const char *text, const char *name)
{
	const char *key = h_fmt("\n%s ", name), *p;
	const char *all = h_fmt("\n%s", text);

	p = strstr(all, key);
	if (p == NULL)
		return "(missing)";
	p += strlen(key);
	return h_fmt("%.*s", (int)strcspn(p, "\n"), p);
}

static void
expect_info(const char *text, const char *name, const char *want,
    const char *what)
{
	const char *got = info(text, name);

	ck_assert_msg(strcmp(got, want) == 0, "a service must have %s: "
	    "%s is '%s', expected '%s'", what, name, got, want);
}

static void
expect_clean_slate(struct h_proc *c)
{
	const char *path = h_path("a.info"), *text, *pid;

	ck_assert_msg(h_wait_file(path, H_WAIT_MS), "the service did not "
	    "report; %s", h_ctx(c));
	text = h_read(path);
	expect_info(text, "fds", "0 1 2", "no descriptor but 0, 1 and 2");
	expect_info(text, "SigBlk", "0000000000000000", "an empty signal mask");
	expect_info(text, "SigIgn", "0000000000000000",
	    "default dispositions (none ignored)");
	expect_info(text, "stdin", "/dev/null", "stdin from /dev/null");
	expect_info(text, "CORRAL_SERVICE", "a", "CORRAL_SERVICE=NAME");
	/* setsid(): leader of its own session and process group. */
	pid = info(text, "pid");
	expect_info(text, "pgid", pid, "its own process group");
	expect_info(text, "sid", pid, "its own session");
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}

static const char envinfo_conf[] =
    "[corral]\n"
    "control_socket = none\n"
    "\n"
    "[service:a]\n"
    "command = @SVC@/envinfo @T@/a.info\n";

START_TEST(spawn_clean_slate)
{
	expect_clean_slate(h_corral(envinfo_conf));
}
END_TEST

/*
 * What corral itself inherited ignored must not reach a service either:
 * GNU make, for one, leaves signals 32 and 33 ignored in what it runs.
 */
START_TEST(spawn_resets_inherited_dispositions)
{
	struct h_spawn_opts o = { .ignored = 1ULL << (SIGALRM - 1) |
	    1ULL << (SIGXFSZ - 1) | 1ULL << (32 - 1) | 1ULL << (33 - 1) |
	    1ULL << (40 - 1) | 1ULL << (64 - 1) };

	expect_clean_slate(h_spawn("corral", &o, (const char *[]){
	    getenv("CORRAL_BIN"), "-c", h_write("corral.conf", envinfo_conf),
	    NULL }));
}
END_TEST

/* Where fd of pid points, or "(closed)". */
static const char *
fd_target(pid_t pid, const char *fd)
{
	char buf[256];
	ssize_t n = readlink(h_fmt("/proc/%d/fd/%s", (int)pid, fd), buf,
	    sizeof(buf) - 1);

	if (n < 0)
		return "(closed)";
	return h_fmt("%.*s", (int)n, buf);
}

/*
 * SPEC §12: started with 0, 1 and 2 closed, corral opens /dev/null onto
 * them before anything else takes those numbers (its epoll instance, its
 * signalfd, its control socket), and runs as usual.
 */
START_TEST(spawn_corral_without_stdio)
{
	const char *conf = h_write("corral.conf",
	    "[corral]\n"
	    "control_socket = @T@/ctl.sock\n"
	    "\n"
	    "[service:a]\n"
	    "command = @SVC@/envinfo @T@/a.info\n");
	const char *all = "", *text;
	bool epoll = false, sock = false;
	struct cu_run r;
	struct dirent *e;
	struct h_proc *c;
	DIR *d;

	if (getenv("VALGRIND_TARGET") != NULL) {
		fprintf(stderr, "SKIP %s: valgrind itself needs descriptors "
		    "0-2 before corral runs\n", tcase_name());
		return;
	}
	c = h_spawn("corral", NULL, (const char *[]){ "sh", "-c",
	    "exec \"$0\" -c \"$1\" <&- >&- 2>&-", getenv("CORRAL_BIN"), conf,
	    NULL });
	ck_assert_msg(h_wait_file(h_path("a.info"), H_WAIT_MS), "the service "
	    "did not report; %s", h_ctx(c));
	d = opendir(h_fmt("/proc/%d/fd", (int)c->corral));
	ck_assert_msg(d != NULL, "/proc/%d/fd: %s", (int)c->corral,
	    strerror(errno));
	while ((e = readdir(d)) != NULL) {
		const char *to = fd_target(c->corral, e->d_name);

		if (e->d_name[0] == '.')
			continue;
		all = h_fmt("%s %s->%s", all, e->d_name, to);
		if (atoi(e->d_name) > 2) {
			epoll = epoll || strstr(to, "eventpoll") != NULL;
			sock = sock || strncmp(to, "socket:", 7) == 0;
		}
	}
	(void)closedir(d);
	for (int fd = 0; fd <= 2; fd++)
		ck_assert_msg(strcmp(fd_target(c->corral, h_fmt("%d", fd)),
		    "/dev/null") == 0, "corral's fd %d should be /dev/null; "
		    "its fds:%s", fd, all);
	ck_assert_msg(epoll && sock, "corral's epoll instance and control "
	    "socket should be above 2; its fds:%s", all);
	text = h_read(h_path("a.info"));
	expect_info(text, "fds", "0 1 2", "no descriptor but 0, 1 and 2");
	expect_info(text, "stdin", "/dev/null", "stdin from /dev/null");
	r = cu_ctl(h_path("ctl.sock"), "status", NULL);
	ck_assert_msg(r.code == 0 && strstr(r.out, "running") != NULL,
	    "corralctl status: %s", cu_ctx(&r));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

Suite *
suite_spawn(void)
{
	Suite *s = suite_create("spawn");

	h_add(s, spawn_error_leaves_others_alone, 20);
	h_add(s, spawn_clean_slate, 20);
	h_add(s, spawn_resets_inherited_dispositions, 20);
	h_add(s, spawn_corral_without_stdio, 20);
	return s;
}
