/*
 * The pages start-up touched, given back once start-up is over or the
 * loop is quiet.  /proc/self/smaps says, for each mapping, its rights, its
 * file and how much of it is anonymous (pages a private mapping got by
 * being written); only read-only mappings of a file with no such page are
 * dropped.  The list is read whole before any madvise(), so that nothing
 * is dropped while smaps is being read.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "trim.h"

#define TRIM_MAX	128	/* mappings; corral has about 30 */
#define TRIM_QUIET	0.5	/* seconds without an event */
#define TRIM_TRIES	10	/* a busy loop is trimmed after 5 s anyway */

static struct ev_loop	*trim_loop;
static ev_timer		 quiet_w;
static ev_prepare	 turn_end_w;
static unsigned int	 polls;		/* ev_iteration() when armed */
static int		 tries;

struct span {
	uintptr_t	 start;
	uintptr_t	 end;
};

/* A mapping's header line: whether it may be dropped, so far. */
static bool
candidate(const char *line, struct span *sp)
{
	char perms[5];
	unsigned long inode;
	int path = 0;

	if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %4s %*x %*x:%*x %lu %n",
	    &sp->start, &sp->end, perms, &inode, &path) < 4)
		return false;
	return inode != 0 && perms[0] == 'r' && perms[1] == '-' &&
	    perms[3] == 'p' && line[path] == '/';
}

/* A mapping's first line begins with its address, in lower-case hex. */
static bool
header(const char *line)
{
	return (line[0] >= '0' && line[0] <= '9') ||
	    (line[0] >= 'a' && line[0] <= 'f');
}

/* The spans of smaps to drop, at most max; returns their number. */
static size_t
read_spans(FILE *f, struct span *spans, size_t max)
{
	char line[PATH_MAX + 128];
	size_t n = 0;
	bool maybe = false;
	unsigned long kb;

	while (fgets(line, sizeof(line), f) != NULL) {
		if (header(line))
			maybe = n < max && candidate(line, &spans[n]);
		else if (maybe && sscanf(line, "Anonymous: %lu kB", &kb) == 1) {
			n += kb == 0;
			maybe = false;
		}
	}
	return n;
}

/*
 * The kernel maps 64 KiB of a file around each fault (fault-around), so
 * one instruction of corral run after the trim would bring 16 pages of
 * code back.  What runs between the trim and the next poll is kept in its
 * own section (TRIM_KEEP), whose pages are never dropped: no fault.
 */
extern const char __start_corral_keep[], __stop_corral_keep[];

static void TRIM_KEEP
drop(uintptr_t start, uintptr_t end)
{
	if (start < end && madvise((void *)start, end - start,
	    MADV_DONTNEED) == -1)
		log_debug("madvise of %#" PRIxPTR "-%#" PRIxPTR ": %s", start,
		    end, strerror(errno));
}

static void TRIM_KEEP
trim_pages(void)
{
	/* On the stack, which start-up made deeper already: no new page. */
	struct span spans[TRIM_MAX];
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t klo = (uintptr_t)__start_corral_keep & ~(page - 1);
	uintptr_t khi = ((uintptr_t)__stop_corral_keep + page - 1) &
	    ~(page - 1);
	FILE *f = fopen("/proc/self/smaps", "re");
	size_t n;

	if (f == NULL) {
		log_debug("no /proc/self/smaps: start-up pages kept");
		return;
	}
	n = read_spans(f, spans, TRIM_MAX);
	(void)fclose(f);	/* read only */
	for (size_t i = 0; i < n; i++) {
		struct span sp = spans[i];

		if (sp.start < khi && klo < sp.end) {
			drop(sp.start, klo);
			drop(khi, sp.end);
		} else
			drop(sp.start, sp.end);
	}
}

/*
 * libev counts a poll per turn: one more than when the timer was armed
 * means the only wakeup was this timer's, so the loop was quiet.  The
 * trim itself waits for the end of that turn (a prepare watcher of the
 * lowest priority, so after the status file's), so that no code of corral
 * but the kept page runs between it and the poll.  Nothing is added to
 * any other event's path.
 */
static void TRIM_KEEP
quiet_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	unsigned int now = ev_iteration(loop);

	(void)w;
	(void)revents;
	if (now != polls + 1 && ++tries < TRIM_TRIES) {
		polls = now;
		return;		/* the timer repeats */
	}
	trim_at_turn_end();
}

static void TRIM_KEEP
turn_end_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)revents;
	ev_prepare_stop(loop, w);
	trim_pages();
}

void
trim_init(struct ev_loop *loop)
{
	trim_loop = loop;
	ev_timer_init(&quiet_w, quiet_cb, 0., TRIM_QUIET);
	ev_prepare_init(&turn_end_w, turn_end_cb);
	/* libev runs pending watchers by priority, so this one runs last. */
	ev_set_priority(&turn_end_w, EV_MINPRI);
}

/* Start-up may have taken a while since the loop last read the time. */
void
trim_arm(void)
{
	tries = 0;
	polls = ev_iteration(trim_loop);
	ev_now_update(trim_loop);
	ev_timer_again(trim_loop, &quiet_w);
}

void
trim_at_turn_end(void)
{
	ev_timer_stop(trim_loop, &quiet_w);
	ev_prepare_start(trim_loop, &turn_end_w);
}

void
trim_free(void)
{
	ev_timer_stop(trim_loop, &quiet_w);
	ev_prepare_stop(trim_loop, &turn_end_w);
}
