/*
 * Signal watchers.  Until reload exists, HUP is relayed like the
 * forward_signals set, which is what tini and dumb-init do with it.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "signals.h"
#include "supervisor.h"
#include "values.h"

#define MAX_WATCHED	64

static ev_signal	 watchers[MAX_WATCHED];
static size_t		 nwatchers;

static void
shutdown_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	supervisor_shutdown_signal(w->signum);
}

static void
forward_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	log_debug("relaying SIG%s to services", signal_name(w->signum));
	supervisor_forward(w->signum);
}

/*
 * Job control, as dumb-init does it: on a stop request the services stop
 * first, then corral itself; on CONT (corral already runs again) they
 * resume.
 */
static void
stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	log_debug("SIG%s: stopping services and corral", signal_name(w->signum));
	supervisor_forward(SIGSTOP);
	if (kill(getpid(), SIGSTOP) == -1)
		log_warn("unable to stop corral itself");
}

static void
cont_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	supervisor_forward(SIGCONT);
}

static void
watch(struct ev_loop *loop, int sig, void (*cb)(struct ev_loop *, ev_signal *, int))
{
	ev_signal *w = &watchers[nwatchers++];

	ev_signal_init(w, cb, sig);
	ev_signal_start(loop, w);
}

int
signals_init(struct ev_loop *loop, const struct config *conf)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };

	if (sigemptyset(&sa.sa_mask) == -1 || sigaction(SIGPIPE, &sa, NULL) == -1) {
		log_error("unable to ignore SIGPIPE");
		return -1;
	}
	watch(loop, SIGTERM, shutdown_cb);
	watch(loop, SIGINT, shutdown_cb);
	watch(loop, SIGQUIT, shutdown_cb);
	watch(loop, SIGHUP, forward_cb);
	watch(loop, SIGTSTP, stop_cb);
	watch(loop, SIGTTIN, stop_cb);
	watch(loop, SIGTTOU, stop_cb);
	watch(loop, SIGCONT, cont_cb);
	for (int sig = 1; sig <= 64 && nwatchers < MAX_WATCHED; sig++)
		if (sig != SIGHUP && config_forwards(conf, sig))
			watch(loop, sig, forward_cb);
	return 0;
}

void
signals_free(struct ev_loop *loop)
{
	for (size_t i = 0; i < nwatchers; i++)
		ev_signal_stop(loop, &watchers[i]);
	nwatchers = 0;
}
