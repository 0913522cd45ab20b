/*
 * File sinks.  Rotation renames PATH.N-1 to PATH.N down to PATH to PATH.1
 * and opens a new PATH, all as the service's user; a rename that fails is
 * reported once and the current file goes on growing rather than lose a
 * line.  A short write to a regular file (a full disk) is cut back with
 * ftruncate() to its last whole line, so that no line is ever split; to
 * anything else (a FIFO) lines go in writes of PIPE_BUF bytes at most,
 * which are whole or refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "filesink.h"
#include "log.h"

#define RETRY_S		1.0

int
filesink_init(struct filesink *f, const char *service, const char *path,
    uint64_t max, unsigned keep)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->cr.ngroups = -1;
	snprintf(f->service, sizeof(f->service), "%s", service);
	f->max = max;
	f->keep = keep;
	if ((f->path = strdup(path)) == NULL) {
		log_errorx("%s: out of memory for output file %s", service,
		    path);
		return -1;
	}
	return 0;
}

int
filesink_set_creds(struct filesink *f, uid_t uid, gid_t gid,
    const gid_t *groups, int ngroups)
{
	gid_t *g = NULL;

	if (ngroups > 0) {
		if ((g = calloc((size_t)ngroups, sizeof(*g))) == NULL)
			return -1;
		memcpy(g, groups, (size_t)ngroups * sizeof(*g));
	}
	free((gid_t *)(uintptr_t)f->cr.groups);
	f->cr.uid = uid;
	f->cr.gid = gid;
	f->cr.groups = g;
	f->cr.ngroups = ngroups;
	return 0;
}

static size_t
count_lines(const char *p, size_t len)
{
	size_t n = 0;
	const char *nl;

	while (len > 0 && (nl = memchr(p, '\n', len)) != NULL) {
		n++;
		len -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	return n + (len > 0);
}

/* Says what failed once per failure streak; counts the lines it cost. */
static void
failed(struct filesink *f, const char *what, const char *why, int err,
    size_t lines)
{
	f->dropped += lines;
	if (f->failing)
		return;
	f->failing = true;
	log_warnx("%s: %s %s for %s: %s%s; its lines are dropped and counted "
	    "until it works again", f->service, what, f->path, f->service,
	    strerror(err), why);
}

static void
worked(struct filesink *f)
{
	if (!f->failing)
		return;
	f->failing = false;
	log_info("%s: output file %s works again; %lu line%s dropped",
	    f->service, f->path, f->dropped, f->dropped == 1 ? " was" :
	    "s were");
	f->dropped = 0;
}

void
filesink_open(struct filesink *f)
{
	struct stat st;
	bool nofollow;

	if (f->fd != -1 || mono_now() < f->retry_at)
		return;
	f->fd = creds_open(&f->cr, f->path, O_WRONLY | O_APPEND | O_CREAT |
	    O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0640, &nofollow);
	if (f->fd == -1) {
		f->retry_at = mono_now() + RETRY_S;
		failed(f, "unable to open output file", errno == ELOOP &&
		    nofollow ? " (a symlink in a directory its user can write "
		    "is not followed)" : "", errno, 0);
		return;
	}
	if (fstat(f->fd, &st) == -1) {
		failed(f, "unable to stat output file", "", errno, 0);
		(void)close(f->fd);	/* never written */
		f->fd = -1;
		f->retry_at = mono_now() + RETRY_S;
		return;
	}
	f->regular = S_ISREG(st.st_mode);
	f->size = (uint64_t)st.st_size;
	f->retry_at = 0;
	worked(f);
}

static void
close_fd(struct filesink *f)
{
	if (f->fd != -1) {
		(void)close(f->fd);	/* every write was whole, or counted */
		f->fd = -1;
	}
}

/* PATH.n into buf; false when it does not fit. */
static bool
numbered(const struct filesink *f, unsigned n, char *buf, size_t len)
{
	int r = n == 0 ? snprintf(buf, len, "%s", f->path) :
	    snprintf(buf, len, "%s.%u", f->path, n);

	return r > 0 && (size_t)r < len;
}

/* Returns 0 with a new file open (or none: reported), -1 to write on. */
static int
rotate(struct filesink *f)
{
	char from[PATH_MAX], to[PATH_MAX];

	if (mono_now() < f->retry_at)
		return -1;
	for (unsigned n = f->keep; n > 0; n--) {
		if (!numbered(f, n - 1, from, sizeof(from)) ||
		    !numbered(f, n, to, sizeof(to))) {
			failed(f, "unable to rotate output file", "",
			    ENAMETOOLONG, 0);
			f->retry_at = mono_now() + RETRY_S;
			return -1;
		}
		if (creds_rename(&f->cr, from, to) == -1 && errno != ENOENT)
			goto fail;
	}
	if (f->keep == 0 && creds_rename(&f->cr, f->path, NULL) == -1 &&
	    errno != ENOENT)
		goto fail;
	close_fd(f);
	filesink_open(f);
	return 0;
fail:
	failed(f, "unable to rotate output file", "", errno, 0);
	f->retry_at = mono_now() + RETRY_S;
	return -1;
}

/* The bytes of the whole lines at the start of buf that fit in room. */
static size_t
fit(const char *buf, size_t len, uint64_t room)
{
	const char *nl;

	if (room >= len)
		return len;
	nl = memrchr(buf, '\n', (size_t)room);
	return nl != NULL ? (size_t)(nl - buf) + 1 : 0;
}

/*
 * The bytes of buf (n > PIPE_BUF) to write at once to a FIFO, or any file
 * that is not regular: whole lines, PIPE_BUF bytes at most, since a write
 * of that size is all or nothing there (EAGAIN), where a longer one goes
 * in part when the reader stalls and leaves a cut line in the FIFO, which
 * the next write would then run on.  A longer line goes alone; it may
 * still be cut, which no write that never waits can help.
 */
static size_t
pipe_chunk(const char *buf, size_t n)
{
	const char *nl = memrchr(buf, '\n', PIPE_BUF);

	if (nl == NULL)
		nl = memchr(buf, '\n', n);
	return nl != NULL ? (size_t)(nl - buf) + 1 : n;
}

/* A write that did not take all n bytes: whole lines stay, the rest goes. */
static void
short_write(struct filesink *f, const char *buf, size_t len, ssize_t w,
    int err)
{
	size_t kept = 0;
	const char *nl;

	if (w > 0) {
		nl = memrchr(buf, '\n', (size_t)w);
		kept = nl != NULL ? (size_t)(nl - buf) + 1 : 0;
		if (f->regular && kept < (size_t)w &&
		    ftruncate(f->fd, (off_t)(f->size + kept)) == -1)
			kept = (size_t)w;	/* the piece stays; say so */
		f->size += f->regular ? kept : (uint64_t)w;
	}
	failed(f, "unable to write output file", w >= 0 ? " (a short write)" :
	    "", w >= 0 ? ENOSPC : err, count_lines(buf + kept, len - kept));
}

void
filesink_write(struct filesink *f, const char *buf, size_t len)
{
	size_t n;
	ssize_t w;

	filesink_open(f);
	while (len > 0) {
		if (f->fd == -1) {
			f->dropped += count_lines(buf, len);
			return;
		}
		n = len;
		if (f->regular && f->max > 0 && f->size + len > f->max) {
			n = fit(buf, len, f->max > f->size ? f->max - f->size :
			    0);
			if (n == 0 && f->size > 0 && rotate(f) == 0)
				continue;
			if (n == 0) {
				/* Too long for any file: it goes alone. */
				const char *nl = memchr(buf, '\n', len);

				n = f->size > 0 || nl == NULL ? len :
				    (size_t)(nl - buf) + 1;
			}
		}
		if (!f->regular && n > PIPE_BUF)
			n = pipe_chunk(buf, n);
		do
			w = write(f->fd, buf, n);
		while (w == -1 && errno == EINTR);
		if (w != (ssize_t)n) {
			short_write(f, buf, len, w, errno);
			return;
		}
		f->size += n;
		buf += n;
		len -= n;
		worked(f);
	}
}

void
filesink_reopen(struct filesink *f)
{
	close_fd(f);
	f->retry_at = 0;
	filesink_open(f);
}

void
filesink_free(struct filesink *f)
{
	if (f->dropped > 0)
		log_warnx("%s: %lu line%s to output file %s %s dropped",
		    f->service, f->dropped, f->dropped == 1 ? "" : "s",
		    f->path, f->dropped == 1 ? "was" : "were");
	close_fd(f);
	free(f->path);
	free((gid_t *)(uintptr_t)f->cr.groups);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}
