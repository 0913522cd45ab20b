/*
 * Reaping (SPEC §4): corral holds no zombie, whether it is PID 1 of a PID
 * namespace or a child subreaper.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define ORPHANS	1000

static const char orphans_conf[] =
    "[service:o]\n"
    "command = @SVC@/orphans 1000 @T@/o\n";

static bool
no_zombies(const void *arg)
{
	const pid_t *pid = arg;

	return h_zombies_of(*pid) == 0;
}

/*
 * adopter: corral's pid as the orphans see it.  Each orphan says who
 * adopted it, so a corral that is no subreaper cannot pass by letting the
 * test process (a subreaper too) inherit and hide them.
 */
static void
orphans_are_reaped(struct h_proc *c, pid_t adopter)
{
	struct h_event *ev = calloc(ORPHANS, sizeof(*ev));
	const char *want = h_fmt("%d", (int)adopter);
	int n, wrong = 0;

	ck_assert_msg(ev != NULL, "out of memory");
	ck_assert_msg(h_wait_events(h_path("o"), "orphan", ORPHANS, 20000),
	    "%d of %d orphans reported; %s", h_event_count(h_path("o"), "orphan"),
	    ORPHANS, h_ctx(c));
	n = h_events(h_path("o"), "orphan", ev, ORPHANS);
	for (int i = 0; i < n; i++)
		wrong += strcmp(ev[i].rest, want) != 0;
	ck_assert_msg(wrong == 0, "%d orphans were adopted by another process "
	    "than corral (%s), e.g. %s", wrong, want, ev[0].rest);
	free(ev);
	ck_assert_msg(h_wait_events(h_path("o"), "done", 1, H_WAIT_MS),
	    "the service did not finish making orphans; %s", h_ctx(c));
	ck_assert_msg(h_poll_until(no_zombies, &c->corral, 1000),
	    "%d zombies of corral remain 1 s after the last orphan; %s",
	    h_zombies_of(c->corral), h_ctx(c));
	h_signal(c, SIGTERM);
	h_expect_exit(c, 0, H_WAIT_MS);
}

START_TEST(pid1_reaps_orphans)
{
	struct h_proc *c = h_corral_pid1(orphans_conf);
	const char *nspid;

	if (c == NULL)
		return;
	nspid = h_status_str(c->corral, "NSpid");
	ck_assert_msg(nspid != NULL && strcmp(strrchr(nspid, '\t') ?
	    strrchr(nspid, '\t') + 1 : "", "1") == 0,
	    "corral is not PID 1 of its namespace (NSpid: %s)", nspid);
	orphans_are_reaped(c, 1);
}
END_TEST

START_TEST(subreaper_reaps_orphans)
{
	struct h_proc *c = h_corral(orphans_conf);

	orphans_are_reaped(c, c->corral);
}
END_TEST

Suite *
suite_pid1(void)
{
	Suite *s = suite_create("pid1");

	h_add(s, pid1_reaps_orphans, 40);
	h_add(s, subreaper_reaps_orphans, 40);
	return s;
}
