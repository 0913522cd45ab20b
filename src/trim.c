/*
 * The pages start-up touched, given back.  /proc/self/smaps says, for each
 * mapping, its rights, its file and how much of it is anonymous (pages a
 * private mapping got by being written); only read-only mappings of a
 * file with no such page are dropped.  The list is read whole before any
 * madvise(), so that nothing is dropped while smaps is being read.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "trim.h"

#define TRIM_MAX	128	/* mappings; corral has about 30 */

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

void
trim_startup_pages(void)
{
	/* On the stack, which start-up made deeper already: no new page. */
	struct span spans[TRIM_MAX];
	FILE *f = fopen("/proc/self/smaps", "re");
	size_t n;

	if (f == NULL) {
		log_debug("no /proc/self/smaps: start-up pages kept");
		return;
	}
	n = read_spans(f, spans, TRIM_MAX);
	(void)fclose(f);	/* read only */
	for (size_t i = 0; i < n; i++)
		if (madvise((void *)spans[i].start, spans[i].end -
		    spans[i].start, MADV_DONTNEED) == -1)
			log_debug("madvise of %#" PRIxPTR "-%#" PRIxPTR ": %s",
			    spans[i].start, spans[i].end, strerror(errno));
}
