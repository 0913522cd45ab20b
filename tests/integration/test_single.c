/*
 * Single-command mode, `corral -- COMMAND`: the drop-in for `tini --`
 * (SPEC §2, §6).
 */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "harness.h"

/*
 * Every exit status passes through, as tini's own tests check.  64 corrals
 * at a time, fewer when each is slowed down: 64 under valgrind did not end
 * within 10 s on 2 CPUs.
 */
START_TEST(single_exit_status_passes_through)
{
	int batch = 64 / h_slowdown() > 0 ? 64 / h_slowdown() : 1;
	struct h_proc *p[256];
	char *wrong = NULL;

	for (int first = 0; first < 256; first += batch) {
		for (int n = first; n < first + batch && n < 256; n++)
			p[n] = h_corral_args(h_fmt("exit-%d", n), "--", "sh", "-c",
			    h_fmt("exit %d", n), NULL);
		for (int n = first; n < first + batch && n < 256; n++) {
			ck_assert_msg(h_wait_exit(p[n], 10000),
			    "corral -- sh -c 'exit %d' did not end; %s", n,
			    h_ctx(p[n]));
			if (!WIFEXITED(p[n]->status) ||
			    WEXITSTATUS(p[n]->status) != n)
				wrong = h_fmt("%s\n* exit %d: %s", wrong ? wrong : "",
				    n, h_ctx(p[n]));
		}
	}
	ck_assert_msg(wrong == NULL, "exit statuses changed on the way:%s",
	    wrong);
}
END_TEST

/*
 * Started with SIGCHLD ignored (some launchers leave it so), corral would
 * have the kernel reap its services, and never see one end: it resets it.
 */
START_TEST(single_inherited_ignored_sigchld)
{
	struct h_spawn_opts o = { .ignored = 1ULL << (SIGCHLD - 1) };
	struct h_proc *p = h_spawn("corral", &o, (const char *[]){
	    getenv("CORRAL_BIN"), "--", "sh", "-c", "exit 7", NULL });

	ck_assert_msg(h_wait_exit(p, H_WAIT_MS), "corral did not see its "
	    "command end; %s", h_ctx(p));
	ck_assert_msg(WIFEXITED(p->status) && WEXITSTATUS(p->status) == 7,
	    "expected exit 7; %s", h_ctx(p));
}
END_TEST

START_TEST(single_sigterm_is_clean)
{
	struct h_proc *c = h_corral_args("corral", "--", "sh", "-c",
	    h_fmt("touch %s/up && exec sleep 100", h_dir()), NULL);

	ck_assert_msg(h_wait_file(h_path("up"), H_WAIT_MS),
	    "the command did not start; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}
END_TEST

START_TEST(single_spawn_error_is_127)
{
	struct h_proc *c = h_corral_args("corral", "--", "/nonexistent", NULL);

	h_expect_exit(c, 127, H_WAIT_MS);
	ck_assert_msg(h_count_lines(c->err, "corral: main: cannot execute "
	    "/nonexistent: No such file or directory") == 1,
	    "expected the spawn error with path and errno text; %s", h_ctx(c));
}
END_TEST

/* 128 + SIGTERM after corral sent SIGTERM is how shells and the JVM stop. */
START_TEST(single_143_after_sigterm_is_clean)
{
	struct h_proc *c = h_corral_args("corral", "--", h_svc("catch"),
	    h_path("m"), "TERM=exit:143", NULL);

	ck_assert_msg(h_wait_events(h_path("m"), "start", 1, H_WAIT_MS),
	    "the command did not start; %s", h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
	ck_assert_msg(h_event_count(h_path("m"), "TERM") == 1,
	    "the command never got SIGTERM; %s", h_ctx(c));
}
END_TEST

Suite *
suite_single(void)
{
	Suite *s = suite_create("single");

	h_add(s, single_exit_status_passes_through, 60);
	h_add(s, single_inherited_ignored_sigchld, 20);
	h_add(s, single_sigterm_is_clean, 20);
	h_add(s, single_spawn_error_is_127, 20);
	h_add(s, single_143_after_sigterm_is_clean, 20);
	return s;
}
