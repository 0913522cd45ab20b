/*
 * corral on a terminal: single-command mode gives the command the terminal
 * as tini does (SPEC §4), and job control stops and resumes the services
 * with corral (SPEC §7).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "harness.h"

/* The master side of a pseudo-terminal, and what came out of it. */
struct pty {
	int		 master;
	const char	*slave;
	const char	*log;		/* everything read from the master */
};

static struct pty
pty_open(void)
{
	struct pty t = { .log = h_path("pty.out") };
	const char *name;

	t.master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	ck_assert_msg(t.master >= 0 && grantpt(t.master) == 0 &&
	    unlockpt(t.master) == 0 && (name = ptsname(t.master)) != NULL,
	    "cannot open a pseudo-terminal: %s", strerror(errno));
	t.slave = h_fmt("%s", name);
	(void)h_write("pty.out", "");
	return t;
}

/*
 * Reads what corral and the command wrote to the terminal, so that their
 * writes never block on a full buffer, and keeps it for the messages.
 */
static void
pty_drain(const struct pty *t)
{
	char buf[4096];
	ssize_t n;
	FILE *f;

	for (;;) {
		struct pollfd pfd = { t->master, POLLIN, 0 };

		if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLIN))
			return;
		n = read(t->master, buf, sizeof(buf));
		if (n <= 0)
			return;
		f = fopen(t->log, "ae");
		if (f != NULL) {
			(void)fwrite(buf, 1, (size_t)n, f);
			(void)fclose(f);
		}
	}
}

struct fg_arg {
	const struct pty	*t;
	pid_t			 pgrp;
};

static bool
is_foreground(const void *arg)
{
	const struct fg_arg *a = arg;

	pty_drain(a->t);
	return tcgetpgrp(a->t->master) == a->pgrp;
}

/* The eighth field of /proc/PID/stat: the terminal's foreground group. */
static pid_t
tpgid(pid_t pid)
{
	char *stat = h_read(h_fmt("/proc/%d/stat", (int)pid)), *p;
	int tpg = -1;

	ck_assert_msg(stat != NULL, "/proc/%d/stat: %s", (int)pid,
	    strerror(errno));
	p = strrchr(stat, ')');
	ck_assert_msg(p != NULL && sscanf(p + 2, "%*c %*d %*d %*d %*d %d",
	    &tpg) == 1, "cannot parse /proc/%d/stat", (int)pid);
	return (pid_t)tpg;
}

static const char *
pty_ctx(const struct pty *t, struct h_proc *c)
{
	pty_drain(t);
	return h_fmt("%s--- terminal (%s) ---\n%s\n", h_ctx(c), t->slave,
	    h_tail(t->log));
}

/*
 * `corral -- CMD` with the terminal on 0, 1 and 2 and as its controlling
 * terminal, like `docker run -it image corral -- CMD`: CMD gets a process
 * group of its own in corral's session, that group is the foreground of the
 * terminal, its stdin is the terminal, and a ^C typed there reaches CMD
 * and not corral: CMD exits 42 on SIGINT, and so does corral after it.
 */
START_TEST(tty_single_command_is_foreground)
{
	struct pty t = pty_open();
	const char *argv[] = { h_svc("ontty"), t.slave, getenv("CORRAL_BIN"),
	    "--", h_svc("catch"), h_path("m"), "INT=exit:42", NULL };
	struct h_proc *c = h_spawn("corral", NULL, argv);
	struct h_pstat main_st, corral_st;
	struct fg_arg fg = { &t, 0 };
	char in[256];
	ssize_t n;
	pid_t m;

	ck_assert_msg(h_wait_events(h_path("m"), "start", 1, H_WAIT_MS),
	    "the command did not start; %s", pty_ctx(&t, c));
	m = h_event(h_path("m"), "start", 0).pid;
	ck_assert_msg(h_pstat(m, &main_st) && h_pstat(c->corral, &corral_st),
	    "the command or corral is gone; %s", pty_ctx(&t, c));
	ck_assert_msg(main_st.pgrp == m && main_st.sid == corral_st.sid &&
	    corral_st.pgrp != m,
	    "the command (pid %d) should lead a process group of its own in "
	    "corral's session %d; it is in group %d, session %d", (int)m,
	    (int)corral_st.sid, (int)main_st.pgrp, (int)main_st.sid);
	fg.pgrp = m;
	ck_assert_msg(h_poll_until(is_foreground, &fg, H_WAIT_MS),
	    "the terminal's foreground group is %d, not the command's %d; %s",
	    (int)tcgetpgrp(t.master), (int)m, pty_ctx(&t, c));
	ck_assert_msg(tpgid(m) == m, "/proc/%d/stat gives foreground group %d",
	    (int)m, (int)tpgid(m));
	n = readlink(h_fmt("/proc/%d/fd/0", (int)m), in, sizeof(in) - 1);
	in[n > 0 ? n : 0] = '\0';
	ck_assert_msg(strcmp(in, t.slave) == 0, "the command's stdin is %s, "
	    "not the terminal %s", in, t.slave);

	ck_assert_msg(write(t.master, "\x03", 1) == 1, "write ^C: %s",
	    strerror(errno));
	ck_assert_msg(h_wait_events(h_path("m"), "INT", 1, H_WAIT_MS),
	    "^C on the terminal did not reach the command; %s", pty_ctx(&t, c));
	for (int i = 0; i < 100 && !h_wait_exit(c, 50); i++)
		pty_drain(&t);
	h_expect_exit(c, 42, H_WAIT_MS);
	pty_drain(&t);
	(void)close(t.master);
}
END_TEST

struct state_arg {
	const pid_t	*pids;
	int		 n;
	char		 state;
};

static bool
all_in_state(const void *arg)
{
	const struct state_arg *a = arg;

	for (int i = 0; i < a->n; i++) {
		struct h_pstat st;

		if (!h_pstat(a->pids[i], &st) || st.state != a->state)
			return false;
	}
	return true;
}

static const char *
states(const pid_t *pids, int n)
{
	const char *s = "";

	for (int i = 0; i < n; i++) {
		struct h_pstat st = { .state = '?' };

		(void)h_pstat(pids[i], &st);
		s = h_fmt("%s %d:%c", s, (int)pids[i], st.state);
	}
	return s;
}

/*
 * SIGTSTP stops every service, a second member of a service's group too,
 * and corral itself (state T); SIGCONT to corral resumes them all.  The
 * states come from /proc, which announces nothing: sampled, within bounds.
 */
START_TEST(tty_tstp_stops_cont_resumes)
{
	struct h_proc *c = h_corral(
	    "[service:a]\n"
	    "command = sh -c '@SVC@/catch @T@/a.child & exec @SVC@/catch @T@/a'\n"
	    "\n"
	    "[service:b]\n"
	    "command = @SVC@/catch @T@/b\n");
	static const char *const files[] = { "a", "a.child", "b" };
	pid_t pids[4];
	struct state_arg all = { pids, 4, 'T' };

	for (int i = 0; i < 3; i++) {
		ck_assert_msg(h_wait_events(h_path(files[i]), "start", 1,
		    H_WAIT_MS), "%s did not start; %s", files[i], h_ctx(c));
		pids[i] = h_event(h_path(files[i]), "start", 0).pid;
	}
	pids[3] = c->corral;
	h_signal(c, SIGTSTP);
	ck_assert_msg(h_poll_until(all_in_state, &all, H_WAIT_MS),
	    "after SIGTSTP every service and corral should be stopped (T); "
	    "states:%s (corral last); %s", states(pids, 4), h_ctx(c));

	all.state = 'S';
	h_signal(c, SIGCONT);
	ck_assert_msg(h_poll_until(all_in_state, &all, H_WAIT_MS),
	    "after SIGCONT every service and corral should run again (S); "
	    "states:%s (corral last); %s", states(pids, 4), h_ctx(c));
	/* Stopped and continued, the services were not stopped for good. */
	ck_assert_msg(h_count_lines(c->err, "exited") == 0 &&
	    h_count_lines(c->err, "killed") == 0,
	    "a service ended during the job control; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

Suite *
suite_tty(void)
{
	Suite *s = suite_create("tty");

	h_add(s, tty_single_command_is_foreground, 20);
	h_add(s, tty_tstp_stops_cont_resumes, 20);
	return s;
}
