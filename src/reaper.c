/*
 * SIGCHLD arrives through libev's signal watcher (signalfd), on a loop
 * that is not libev's default one, so that libev reaps nothing itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "reaper.h"

static struct ev_loop	*rp_loop;
static ev_signal	 rp_w;
static reaper_known_fn	*rp_known;
static reaper_fn	*rp_fn;

/*
 * The process group of a zombie, from field 5 of /proc/PID/stat (after
 * the command, which is in parentheses and may hold anything); 0 if it
 * cannot be read.
 */
static pid_t
zombie_pgid(pid_t pid)
{
	char path[64], buf[512], *p;
	int fd, pgid = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %*d %d", &pgid) != 1)
		return 0;
	return pgid;
}

static void
sigchld_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	for (;;) {
		siginfo_t si;
		pid_t pid, r, pgid = 0;
		int status;

		si.si_pid = 0;
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == -1) {
			if (errno == EINTR)
				continue;
			if (errno != ECHILD)
				log_warn("unable to wait for children");
			return;
		}
		if ((pid = si.si_pid) == 0)
			return;
		if (!rp_known(pid))
			pgid = zombie_pgid(pid);
		while ((r = waitpid(pid, &status, WNOHANG)) == -1 &&
		    errno == EINTR)
			;
		/* Nothing else reaps here: the zombie seen must be there. */
		if (r != pid) {
			log_warn("unable to reap process %d", (int)pid);
			return;
		}
		rp_fn(pid, status, pgid);
	}
}

void
reaper_init(struct ev_loop *loop, reaper_known_fn *known, reaper_fn *fn)
{
	rp_loop = loop;
	rp_known = known;
	rp_fn = fn;
	ev_signal_init(&rp_w, sigchld_cb, SIGCHLD);
	ev_signal_start(loop, &rp_w);
	/* A child that ended before the watcher existed: look now. */
	ev_feed_signal_event(loop, SIGCHLD);
}

void
reaper_free(void)
{
	if (rp_loop != NULL)
		ev_signal_stop(rp_loop, &rp_w);
	rp_loop = NULL;
}
