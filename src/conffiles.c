/*
 * Reading the main file and the files it includes.  An include is glob(3)
 * on each pattern, relative to the main file's directory, matches sorted
 * (corral sets no locale: by byte value), patterns in the order written.
 * A file matched twice is read once; the main file matched by its own
 * pattern (`include = *.conf` next to corral.conf) is the one include loop
 * there can be, since included files include nothing, and is an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "confvalue.h"
#include "confdata.h"
#include "confdiag.h"
#include "conffiles.h"
#include "confread.h"

static int
read_all(int fd, char *buf, size_t want, size_t *lenp)
{
	size_t len = 0;

	while (len < want) {
		ssize_t r = read(fd, buf + len, want - len);

		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	*lenp = len;
	return 0;
}

int
conf_slurp_fd(int fd, size_t max, char **bufp, size_t *lenp,
    struct stat *stp, char err[VALUE_ERR_MAX])
{
	struct stat st;
	char *buf;

	if (fstat(fd, &st) == -1) {
		snprintf(err, VALUE_ERR_MAX, "cannot stat: %s", strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, VALUE_ERR_MAX, "is a directory, not a file");
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, VALUE_ERR_MAX, "not a regular file");
		return -1;
	}
	if ((size_t)st.st_size > max) {
		snprintf(err, VALUE_ERR_MAX, "%lld bytes; at most %zu are read",
		    (long long)st.st_size, max);
		return -1;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, VALUE_ERR_MAX, "out of memory");
		return -1;
	}
	if (read_all(fd, buf, (size_t)st.st_size, lenp) == -1) {
		snprintf(err, VALUE_ERR_MAX, "cannot read: %s", strerror(errno));
		free(buf);
		return -1;
	}
	buf[*lenp] = '\0';
	*bufp = buf;
	if (stp != NULL)
		*stp = st;
	return 0;
}

int
conf_slurp(const char *path, size_t max, char **bufp, size_t *lenp,
    struct stat *st, char err[VALUE_ERR_MAX])
{
	int fd, r;

	/* O_NONBLOCK: a FIFO must be refused, not wait for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		snprintf(err, VALUE_ERR_MAX, "cannot open: %s", strerror(errno));
		return -1;
	}
	r = conf_slurp_fd(fd, max, bufp, lenp, st, err);
	(void)close(fd);
	return r;
}

int
conf_add_file(struct loader *ld, const char *path)
{
	struct config *c = ld->c;
	char **v = conf_grow(c->files, c->nfiles, sizeof(*v));

	if (v == NULL)
		return -1;
	c->files = v;
	if ((c->files[c->nfiles] = strdup(path)) == NULL)
		return -1;
	return (int)c->nfiles++;
}

void
conf_read_buffer(struct loader *ld, unsigned file, const char *buf,
    size_t len, bool included)
{
	ld->file = file;
	ld->included = included;
	ld->buf = buf;
	ld->len = len;
	conf_read(ld);
	ld->buf = NULL;
	ld->len = 0;
}

/* glob(3) gives its error callback no argument: one glob runs at a time. */
static struct {
	int		 err;
	char		 path[256];
} glob_failure;

static int
note_glob_error(const char *path, int err)
{
	/* A directory that is not there matches nothing: no error. */
	if (err == ENOENT || err == ENOTDIR)
		return 0;
	if (glob_failure.err == 0) {
		glob_failure.err = err;
		snprintf(glob_failure.path, sizeof(glob_failure.path), "%s",
		    path);
	}
	return 0;
}

/* Whether a pattern has a wildcard that is not escaped. */
static bool
has_wildcard(const char *p)
{
	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '*' || *p == '?' || *p == '[')
			return true;
	}
	return false;
}

/* Whether a file with st's identity was read already; records it if not. */
static bool
seen_file(struct loader *ld, const struct stat *st)
{
	struct file_id *v;

	for (size_t i = 0; i < ld->nids; i++)
		if (ld->ids[i].dev == st->st_dev && ld->ids[i].ino == st->st_ino)
			return true;
	if ((v = conf_grow(ld->ids, ld->nids, sizeof(*v))) == NULL) {
		ld->oom = true;
		return true;
	}
	ld->ids = v;
	ld->ids[ld->nids].dev = st->st_dev;
	ld->ids[ld->nids++].ino = st->st_ino;
	return false;
}

static void
include_file(struct loader *ld, const struct use *u, const char *path,
    const struct stat *main)
{
	char err[VALUE_ERR_MAX], *buf;
	struct stat st;
	size_t len;
	int file;

	if (conf_slurp(path, CONFIG_FILE_MAX, &buf, &len, &st, err) == -1) {
		conf_use_err(ld, u, "%s: %s", path, err);
		return;
	}
	if (main != NULL && st.st_dev == main->st_dev &&
	    st.st_ino == main->st_ino)
		conf_use_err(ld, u, "'%s' is the file that holds this line (an "
		    "include loop); keep included files in a directory of "
		    "their own, such as conf.d/", path);
	else if (!seen_file(ld, &st)) {
		if ((file = conf_add_file(ld, path)) == -1)
			ld->oom = true;
		else
			conf_read_buffer(ld, (unsigned)file, buf, len, true);
	}
	free(buf);
}

/* One pattern of an `include` line, made relative to the main file. */
static void
include_pattern(struct loader *ld, const struct use *u, const char *word,
    const struct stat *main)
{
	const char *slash = strrchr(ld->c->path, '/');
	int dirlen = *word == '/' || slash == NULL ? 0 :
	    (int)(slash - ld->c->path + 1);
	char *pattern;
	glob_t g;
	int r;

	if (asprintf(&pattern, "%.*s%s", dirlen, ld->c->path, word) == -1) {
		ld->oom = true;
		return;
	}
	memset(&glob_failure, 0, sizeof(glob_failure));
	r = glob(pattern, 0, note_glob_error, &g);
	if (r == GLOB_NOSPACE)
		ld->oom = true;
	else if (glob_failure.err != 0)
		conf_use_err(ld, u, "'%s': cannot read %s: %s", word,
		    glob_failure.path, strerror(glob_failure.err));
	else if (r == GLOB_NOMATCH && !has_wildcard(word))
		conf_use_err(ld, u, "%s does not exist (a pattern without "
		    "wildcards must name a file)", pattern);
	for (size_t i = 0; r == 0 && i < g.gl_pathc && !ld->oom; i++)
		include_file(ld, u, g.gl_pathv[i], main);
	if (r == 0 || r == GLOB_NOMATCH)
		globfree(&g);
	free(pattern);
}

void
conf_read_includes(struct loader *ld, const struct stat *main)
{
	size_t n = ld->nentries;

	for (size_t i = 0; i < n && !ld->oom; i++) {
		/* A copy: reading a file moves ld->entries. */
		struct entry e = ld->entries[i];
		struct use u = { .svc = NULL };
		char **words;
		size_t nwords;

		if (e.key == NULL || e.key->type != KT_PATTERNS)
			continue;
		if (*e.value == '\0') {
			err_at(ld, e.sect->file, e.line, "[corral] include: no "
			    "value given");
			continue;
		}
		if (conf_expand(ld, &e, true, &u) == -1)
			continue;
		if (conf_words(ld, &u, &words, &nwords, "list of patterns") == 0) {
			for (size_t j = 0; j < nwords && !ld->oom; j++)
				include_pattern(ld, &u, words[j], main);
			free(words);
		}
		free(u.value);
	}
}
