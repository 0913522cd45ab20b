/*
 * Watching paths with inotify.  A path is watched through its directory,
 * the name matched in each event: editors that write a new file and
 * rename it over the old one (vim, sed -i), and a Kubernetes ConfigMap,
 * whose update renames a new `..data` symlink over the old one, change the
 * directory and never the file's inode.  So a change of `..data` counts as
 * a change of every file watched in that directory.  A path that is a
 * directory is watched whole.
 *
 * Each owner has one debounce timer, armed only by a change: while nothing
 * changes, nothing here wakes the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "log.h"
#include "watch.h"

#define WATCH_MASK	(IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO |	\
			 IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB | \
			 IN_DELETE_SELF | IN_MOVE_SELF)
#define READS_MAX	16	/* per callback: the loop serves others too */

struct target {
	void		*owner;
	int		 wd;
	char		*name;		/* in the directory; NULL: all of it */
};

struct watcher {
	void		*owner;
	char		*name;		/* for messages */
	double		 delay;
	ev_timer	 timer;
};

static struct {
	struct ev_loop	*loop;
	watch_fire_fn	*fire;
	int		 fd;
	ev_io		 io;
	struct target	*targets;
	size_t		 ntargets;
	struct watcher	**watchers;
	size_t		 nwatchers;
} w = { .fd = -1 };

static void
timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct watcher *x = container_of(t, struct watcher, timer);

	(void)loop;
	(void)revents;
	/* Nothing of x after this: the action may replace every watch. */
	w.fire(x->owner);
}

static struct watcher *
watcher_of(const void *owner)
{
	for (size_t i = 0; i < w.nwatchers; i++)
		if (w.watchers[i]->owner == owner)
			return w.watchers[i];
	return NULL;
}

static void
arm(void *owner)
{
	struct watcher *x = watcher_of(owner);

	if (x == NULL)
		return;
	ev_timer_stop(w.loop, &x->timer);
	ev_timer_set(&x->timer, x->delay, 0);
	ev_timer_start(w.loop, &x->timer);
}

static bool
wd_used(int wd)
{
	for (size_t i = 0; i < w.ntargets; i++)
		if (w.targets[i].wd == wd)
			return true;
	return false;
}

static void
event(const struct inotify_event *ev)
{
	if (ev->mask & IN_Q_OVERFLOW) {
		log_warnx("too many changes at once in watched paths; every "
		    "watch fires");
		for (size_t i = 0; i < w.nwatchers; i++)
			arm(w.watchers[i]->owner);
		return;
	}
	for (size_t i = 0; i < w.ntargets; i++) {
		const struct target *t = &w.targets[i];

		if (t->wd != ev->wd)
			continue;
		if (t->name == NULL || ev->len == 0 ||
		    strcmp(ev->name, t->name) == 0 ||
		    strcmp(ev->name, "..data") == 0)
			arm(t->owner);
	}
}

static void
io_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	(void)loop;
	(void)io;
	(void)revents;
	for (int k = 0; k < READS_MAX; k++) {
		ssize_t r = read(w.fd, buf, sizeof(buf));

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (char *p = buf; p < buf + r;) {
			const struct inotify_event *ev = (const void *)p;

			event(ev);
			p += sizeof(*ev) + ev->len;
		}
	}
}

static int
ensure_fd(void)
{
	if (w.fd != -1)
		return 0;
	if ((w.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		log_warn("unable to create an inotify instance for watch");
		return -1;
	}
	ev_io_init(&w.io, io_cb, w.fd, EV_READ);
	ev_io_start(w.loop, &w.io);
	return 0;
}

/* Adds the watch of one path; logged when it cannot be had. */
static void
add_path(void *owner, const char *svc, const char *path)
{
	char dir[PATH_MAX], base[PATH_MAX];
	struct target *v;
	struct stat st;
	int wd;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(dir, sizeof(dir), "%s", path);
		base[0] = '\0';
	} else {
		char tmp[PATH_MAX];

		snprintf(tmp, sizeof(tmp), "%s", path);
		snprintf(dir, sizeof(dir), "%s", dirname(tmp));
		snprintf(tmp, sizeof(tmp), "%s", path);
		snprintf(base, sizeof(base), "%s", basename(tmp));
	}
	if ((wd = inotify_add_watch(w.fd, dir, WATCH_MASK)) == -1) {
		if (errno == ENOSPC)
			log_warnx("%s: cannot watch %s: the inotify watch limit "
			    "is reached (sysctl fs.inotify.max_user_watches)",
			    svc, dir);
		else
			log_warn("%s: cannot watch %s", svc, dir);
		return;
	}
	if ((v = reallocarray(w.targets, w.ntargets + 1, sizeof(*v))) == NULL)
		goto oom;
	w.targets = v;
	v[w.ntargets].owner = owner;
	v[w.ntargets].wd = wd;
	v[w.ntargets].name = base[0] != '\0' ? strdup(base) : NULL;
	if (base[0] != '\0' && v[w.ntargets].name == NULL)
		goto oom;
	w.ntargets++;
	return;
oom:
	log_errorx("%s: out of memory watching %s", svc, path);
	if (!wd_used(wd))
		(void)inotify_rm_watch(w.fd, wd);
}

void
watch_drop(void *owner)
{
	size_t i = 0;

	while (i < w.ntargets) {
		int wd = w.targets[i].wd;

		if (w.targets[i].owner != owner) {
			i++;
			continue;
		}
		free(w.targets[i].name);
		w.targets[i] = w.targets[--w.ntargets];
		if (!wd_used(wd))
			(void)inotify_rm_watch(w.fd, wd);
	}
	for (size_t j = 0; j < w.nwatchers; j++)
		if (w.watchers[j]->owner == owner) {
			ev_timer_stop(w.loop, &w.watchers[j]->timer);
			free(w.watchers[j]->name);
			free(w.watchers[j]);
			w.watchers[j] = w.watchers[--w.nwatchers];
			break;
		}
}

void
watch_set(void *owner, const char *name, char *const *paths, size_t n,
    double delay)
{
	struct watcher *x, **v;

	watch_drop(owner);
	if (n == 0 || ensure_fd() == -1)
		return;
	v = reallocarray(w.watchers, w.nwatchers + 1, sizeof(*v));
	if (v == NULL || (x = calloc(1, sizeof(*x))) == NULL ||
	    (x->name = strdup(name)) == NULL) {
		if (v != NULL)
			w.watchers = v;
		log_errorx("%s: out of memory; its watch is off", name);
		return;
	}
	w.watchers = v;
	x->owner = owner;
	x->delay = delay;
	ev_init(&x->timer, timer_cb);
	w.watchers[w.nwatchers++] = x;
	for (size_t i = 0; i < n; i++)
		add_path(owner, name, paths[i] + (paths[i][0] == '-'));
}

void
watch_init(struct ev_loop *loop, watch_fire_fn *fire)
{
	w.loop = loop;
	w.fire = fire;
}

void
watch_free(void)
{
	while (w.nwatchers > 0)
		watch_drop(w.watchers[0]->owner);
	free(w.targets);
	free(w.watchers);
	if (w.fd != -1) {
		ev_io_stop(w.loop, &w.io);
		(void)close(w.fd);
	}
	memset(&w, 0, sizeof(w));
	w.fd = -1;
}
