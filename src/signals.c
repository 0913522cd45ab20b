/*
 * Signal watchers.  The fixed ones (shutdown, HUP, job control) live for
 * the whole run; the forward_signals set is re-installed on reload.  What
 * a signal makes corral do comes from the ops given at init: this file
 * calls into no other part of corral.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "sigraw.h"
#include "signals.h"
#include "values.h"

#define MAX_WATCHED	80

static ev_signal	 watchers[MAX_WATCHED];
static size_t		 nwatchers;
static size_t		 nfixed;		/* the first ones: never changed */
static struct signal_ops ops;
static struct ev_loop	*sig_loop;	/* for signals_update() */

static void
shutdown_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	ops.shutdown(w->signum);
}

static void
reload_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	ops.reload();
}

static void
forward_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	log_debug("relaying SIG%s to services", signal_name(w->signum));
	ops.forward(w->signum);
}

/*
 * Job control, as dumb-init does it: on a stop request the services stop
 * first, then corral itself; on CONT (corral already runs again) they
 * resume.
 */
static bool
watched(int sig)
{
	for (size_t i = 0; i < nwatchers; i++)
		if (watchers[i].signum == sig)
			return true;
	return false;
}

static void
stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	log_debug("SIG%s: stopping services and corral", signal_name(w->signum));
	ops.forward(SIGSTOP);
	if (kill(getpid(), SIGSTOP) == -1)
		log_warn("unable to stop corral itself");
}

static void
cont_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	ops.forward(SIGCONT);
}

/*
 * A watched signal is also ignored.  libev blocks it and reads it from a
 * signalfd, where an ignored signal still arrives, since a blocked one is
 * never discarded; and when a watcher stops and libev unblocks the signal,
 * one still pending must not take its default action and end corral.
 * (Without signalfd, libev installs its handler over SIG_IGN.)
 */
static void
watch(struct ev_loop *loop, int sig, void (*cb)(struct ev_loop *, ev_signal *, int))
{
	ev_signal *w = &watchers[nwatchers++];

	(void)sig_disposition(sig, SIG_IGN);
	ev_signal_init(w, cb, sig);
	ev_signal_start(loop, w);
}

/*
 * SIG_IGN discards what is pending.  In handler mode libev puts SIG_DFL
 * back when it stops a watcher, hence the second one.
 */
static void
unwatch(struct ev_loop *loop, ev_signal *w)
{
	(void)sig_disposition(w->signum, SIG_IGN);
	ev_signal_stop(loop, w);
	(void)sig_disposition(w->signum, SIG_IGN);
}

/*
 * Signals whose default action would end corral, and which it has no
 * watcher for, are ignored: a stray SIGUSR1 must not kill a supervisor and
 * orphan its services.  (As PID 1 the kernel drops them anyway.)  Faults
 * such as SIGSEGV keep their default.  Services get defaults back at spawn.
 */
static void
ignore_strays(void)
{
	static const int strays[] = {
		SIGHUP, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGSTKFLT,
		SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGXCPU, SIGXFSZ,
	};

	for (size_t i = 0; i < sizeof(strays) / sizeof(strays[0]); i++)
		if (!watched(strays[i]))
			(void)sig_disposition(strays[i], SIG_IGN);
	/* From 32: glibc's SIGRTMIN leaves out the two it reserves. */
	for (int sig = 32; sig <= SIGRTMAX; sig++)
		if (!watched(sig))
			(void)sig_disposition(sig, SIG_IGN);
}

static void
watch_forwarded(struct ev_loop *loop, const struct config *conf)
{
	for (int sig = 1; sig <= 64 && nwatchers < MAX_WATCHED; sig++)
		if (sig != SIGHUP && config_forwards(conf, sig))
			watch(loop, sig, forward_cb);
}

int
signals_init(struct ev_loop *loop, const struct config *conf, bool hup_reloads,
    const struct signal_ops *o)
{
	/*
	 * Inherited ignored (a launcher's SIGCHLD = IGNORE), SIGCHLD would
	 * make the kernel reap the services itself: corral would never see
	 * one end.  No child exists yet.
	 */
	if (sig_disposition(SIGCHLD, SIG_DFL) == -1) {
		log_error("unable to reset SIGCHLD to its default");
		return -1;
	}
	ops = *o;
	sig_loop = loop;
	watch(loop, SIGTERM, shutdown_cb);
	watch(loop, SIGINT, shutdown_cb);
	watch(loop, SIGQUIT, shutdown_cb);
	watch(loop, SIGHUP, hup_reloads ? reload_cb : forward_cb);
	watch(loop, SIGTSTP, stop_cb);
	watch(loop, SIGTTIN, stop_cb);
	watch(loop, SIGTTOU, stop_cb);
	watch(loop, SIGCONT, cont_cb);
	nfixed = nwatchers;
	watch_forwarded(loop, conf);
	ignore_strays();
	return 0;
}

void
signals_update(const struct config *conf)
{
	for (size_t i = nfixed; i < nwatchers; i++)
		unwatch(sig_loop, &watchers[i]);
	nwatchers = nfixed;
	watch_forwarded(sig_loop, conf);
	ignore_strays();
}

/* A TERM still pending at exit is dropped: corral exits with its status. */
void
signals_free(struct ev_loop *loop)
{
	for (size_t i = 0; i < nwatchers; i++)
		unwatch(loop, &watchers[i]);
	nwatchers = nfixed = 0;
}
