/*
 * Running out of a resource degrades one service, never the supervisor
 * (issue 10): descriptors at a spawn, processes at a spawn, a full
 * filesystem under the status file, and a stdout nobody reads any more.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/*
 * With no descriptor to spare, a service in prefix mode cannot get its
 * pipes: it gets a spawn error and backs off, and the running service and
 * corral are untouched.  With descriptors back, it starts.
 */
START_TEST(exhaust_nofile_fails_one_spawn)
{
	struct rlimit low, saved;
	struct h_proc *c;
	int fds;

	if (getenv("VALGRIND_TARGET") != NULL) {
		fprintf(stderr, "SKIP %s: valgrind needs descriptors of its "
		    "own below the limit\n", tcase_name());
		return;
	}
	c = h_corral(
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a TERM=exit:0\n");
	ck_assert_msg(h_wait_events(h_path("a"), "start", 1, H_WAIT_MS),
	    "a did not start; %s", h_ctx(c));
	fds = h_count_fds(c->corral);
	ck_assert_int_eq(prlimit(c->corral, RLIMIT_NOFILE, NULL, &saved), 0);
	/* One to spare: enough to read the config again, not for two pipes. */
	low.rlim_cur = (rlim_t)fds + 1;
	low.rlim_max = saved.rlim_max;
	ck_assert_int_eq(prlimit(c->corral, RLIMIT_NOFILE, &low, NULL), 0);
	h_write("corral.conf", h_fmt(
	    "[corral]\ncontrol_socket = none\n"
	    "[service:a]\n"
	    "command = %s %s/a TERM=exit:0\n"
	    "[service:p]\n"
	    "command = %s %s/p TERM=exit:0\n"
	    "output = prefix\n"
	    "restart_delay = 100ms\n", h_svc("catch"), h_dir(), h_svc("catch"),
	    h_dir()));
	h_signal(c, SIGHUP);
	ck_assert_msg(h_wait_text(c->err, "p: unable to create output pipes",
	    H_WAIT_MS), "no spawn error for p; %s", h_ctx(c));
	ck_assert_msg(h_wait_text(c->err, "p: failed start 1 of", H_WAIT_MS),
	    "p did not back off; %s", h_ctx(c));
	ck_assert_msg(h_alive(c->corral) && h_alive(h_event(h_path("a"),
	    "start", 0).pid), "corral or a suffered; %s", h_ctx(c));
	ck_assert_int_eq(prlimit(c->corral, RLIMIT_NOFILE, &saved, NULL), 0);
	ck_assert_msg(h_wait_events(h_path("p"), "start", 1, H_WAIT_MS),
	    "p did not start once descriptors were back; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

/*
 * A uid of its own, which no other process has: RLIMIT_NPROC counts the
 * processes of corral's real uid, wherever they come from.
 */
#define NPROC_UID	"64999"

/*
 * No process to spare: RLIMIT_NPROC reached, so fork fails with EAGAIN.
 * The limit binds only users without CAP_SYS_RESOURCE, so corral runs as
 * an unprivileged uid, with room for itself and a: b's start fails, is
 * reported and backed off.  Once a has ended there is room, and b starts.
 */
START_TEST(exhaust_nproc_fails_one_spawn)
{
	const char *dir = h_path("user");
	const char *argv[] = { getenv("CORRAL_BIN"), "-c", NULL, NULL };
	struct h_spawn_opts o = { .user = NPROC_UID, .nproc = 2 };
	const char *catch = h_svc("catch");
	uid_t uid = (uid_t)atoi(NPROC_UID);
	struct h_proc *c;
	pid_t a;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP %s: RLIMIT_NPROC must bind corral, so "
		    "it runs as uid %s, which needs root\n", tcase_name(),
		    NPROC_UID);
		return;
	}
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_int_eq(chown(dir, uid, uid), 0);
	argv[2] = h_write("user.conf", h_fmt(
	    "[corral]\ncontrol_socket = none\n"
	    "[service:a]\n"
	    "command = %s %s/a TERM=exit:0\n"
	    "restart = never\n"
	    "[service:b]\n"
	    "after = a\n"
	    "command = %s %s/b TERM=exit:0\n"
	    "restart_delay = 100ms\n", catch, dir, catch, dir));
	c = h_spawn("corral", &o, argv);
	ck_assert_msg(h_wait_events(h_fmt("%s/a", dir), "start", 1, H_WAIT_MS),
	    "a did not start; %s", h_ctx(c));
	ck_assert_msg(h_wait_text(c->err, "b: unable to start",
	    H_WAIT_MS), "no spawn error for b; %s", h_ctx(c));
	ck_assert_msg(h_wait_text(c->err, "out of processes (RLIMIT_NPROC",
	    H_WAIT_MS), "the error does not say why; %s", h_ctx(c));
	ck_assert_msg(h_wait_text(c->err, "b: failed start 1 of", H_WAIT_MS),
	    "b did not back off; %s", h_ctx(c));
	a = h_event(h_fmt("%s/a", dir), "start", 0).pid;
	ck_assert_msg(h_alive(c->corral) && h_alive(a), "corral or a suffered; "
	    "%s", h_ctx(c));
	ck_assert_int_eq(kill(a, SIGTERM), 0);
	ck_assert_msg(h_wait_events(h_fmt("%s/b", dir), "start", 1, H_WAIT_MS),
	    "b did not start once a had ended; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

static bool
status_valid(const void *arg)
{
	char *text = h_read(arg);
	size_t n = text != NULL ? strlen(text) : 0;

	return n > 2 && text[0] == '{' && strcmp(text + n - 2, "}\n") == 0;
}

struct fill {
	int		 fd;
	const char	*err;
};

/*
 * Fills the filesystem again each time: a page the filler could not get
 * because a status file's temporary copy held it is free once the rename
 * is done, and corral would find room for every write after that.
 */
static bool
fill_until_told(const void *arg)
{
	const struct fill *f = arg;
	char chunk[4096];

	memset(chunk, 'x', sizeof(chunk));
	while (write(f->fd, chunk, sizeof(chunk)) > 0)
		;
	return h_count_lines(f->err, "unable to write status file") > 0;
}

/*
 * A full filesystem: every write of the status file fails, which is logged
 * once for the whole streak; the last good file stays whole; corral goes
 * on, and writes again once there is room.
 */
START_TEST(exhaust_status_file_on_full_fs)
{
	const char *fs = h_path("fs"), *status, *filler;
	struct h_proc *c;
	int fd;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP %s: mounting a tmpfs needs root\n",
		    tcase_name());
		return;
	}
	ck_assert_int_eq(mkdir(fs, 0755), 0);
	if (mount("tmpfs", fs, "tmpfs", 0, "size=64k") == -1) {
		fprintf(stderr, "SKIP %s: mount: %s\n", tcase_name(),
		    strerror(errno));
		return;
	}
	status = h_fmt("%s/status.json", fs);
	filler = h_fmt("%s/filler", fs);
	c = h_corral(h_fmt(
	    "[corral]\nstatus_file = %s\n"
	    "[service:a]\n"
	    "command = @SVC@/catch @T@/a TERM=exit:0\n"
	    "[service:loop]\n"
	    "command = sh -c 'sleep 0.05'\n"
	    "restart = always\n"
	    "start_seconds = 0\n", status));
	ck_assert_msg(h_wait_on(status, status_valid, status, H_WAIT_MS),
	    "no status file; %s", h_ctx(c));
	fd = open(filler, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ne(fd, -1);
	ck_assert_msg(h_poll_until(fill_until_told, &(struct fill){ fd,
	    c->err }, H_WAIT_MS), "no complaint about the full filesystem; %s",
	    h_ctx(c));
	/* The loop keeps changing states: still one line for the streak. */
	ck_assert_msg(h_wait_events(h_path("a"), "start", 1, H_WAIT_MS), "a "
	    "did not start");
	h_sleep_ms(300);
	ck_assert_int_eq(h_count_lines(c->err, "unable to write status file"), 1);
	ck_assert_msg(status_valid(status), "the last good status file was "
	    "damaged");
	ck_assert_msg(h_alive(c->corral), "corral died; %s", h_ctx(c));
	close(fd);
	ck_assert_int_eq(unlink(filler), 0);
	ck_assert_msg(h_wait_text(status, "\"name\":\"loop\"", H_WAIT_MS),
	    "the status file was not written again");
	h_signal(c, SIGTERM);
	h_wait_exit(c, H_WAIT_MS);
	ck_assert_int_eq(umount2(fs, MNT_DETACH), 0);
}
END_TEST

/*
 * corral's stdout is a pipe whose reader is gone: writing the services'
 * prefixed lines fails with EPIPE, which must neither kill corral (SIGPIPE
 * is ignored) nor stop supervision.
 */
START_TEST(exhaust_stdout_broken_pipe)
{
	int p[2], status;
	pid_t pid;
	const char *conf = h_write("corral.conf", h_fmt(
	    "[corral]\ncontrol_socket = none\n"
	    "[service:talk]\n"
	    "command = sh -c 'while :; do echo hello; sleep 0.01; done'\n"
	    "output = prefix\n"
	    "[service:a]\n"
	    "command = %s %s/a TERM=exit:0\n", h_svc("catch"), h_dir()));
	const char *err = h_path("corral.err");

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (e == -1 || dup2(p[1], 1) == -1 || dup2(e, 2) == -1)
			_exit(125);
		close(p[0]);
		execl(getenv("CORRAL_BIN"), "corral", "-c", conf, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	close(p[0]);		/* nobody will ever read corral's stdout */
	ck_assert_msg(h_wait_events(h_path("a"), "start", 1, H_WAIT_MS),
	    "a did not start");
	ck_assert_msg(h_wait_text(err, "unable to write service output",
	    H_WAIT_MS), "no word about the broken stdout: %s", h_tail(err));
	ck_assert_msg(h_alive(pid), "corral died of its broken stdout: %s",
	    h_tail(err));
	/* Supervision goes on: a stop is still a clean stop. */
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_msg(h_wait_gone(pid, H_WAIT_MS), "corral did not stop: %s",
	    h_tail(err));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "corral died of signal %d: %s",
	    WIFSIGNALED(status) ? WTERMSIG(status) : 0, h_tail(err));
	ck_assert_msg(h_event_count(h_path("a"), "TERM") == 1, "a did not "
	    "get its stop signal");
}
END_TEST

Suite *
suite_exhaustion(void)
{
	Suite *s = suite_create("exhaustion");

	h_add(s, exhaust_nofile_fails_one_spawn, 20);
	h_add(s, exhaust_nproc_fails_one_spawn, 20);
	h_add(s, exhaust_status_file_on_full_fs, 20);
	h_add(s, exhaust_stdout_broken_pipe, 20);
	return s;
}
