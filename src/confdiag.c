/*
 * Problems found while loading, each one whole line.  Nothing here prints:
 * the caller decides where the lines go (stderr for `corral -t`, the log and
 * corralctl for a reload).  Errors past MAX_REPORTED are counted but not
 * kept, so that a binary file given by mistake does not fill the memory.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "confdiag.h"

#define MAX_REPORTED	100	/* errors; then "too many errors" */

void
diag_add(struct diag *d, bool error, const char *fmt, ...)
{
	va_list ap;
	char *line;

	if (error)
		d->nerrors++;
	if (error && d->nerrors == MAX_REPORTED + 1)
		fmt = "too many errors; giving up on the rest of the file";
	else if (error && d->nerrors > MAX_REPORTED)
		return;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		char **lines = reallocarray(d->lines, cap, sizeof(*lines));

		if (lines == NULL)
			return;
		d->lines = lines;
		d->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) != -1)
		d->lines[d->n++] = line;
	va_end(ap);
}

void
diag_free(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->lines[i]);
	free(d->lines);
	memset(d, 0, sizeof(*d));
}

static bool
already_said(const struct diag *d, const char *line)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->lines[i], line) == 0)
			return true;
	return false;
}

/*
 * The instances of a section are applied one by one, each from the same
 * lines: a mistake they share is said once, not once per instance.  The
 * first one counts, so the load still fails.
 */
static void
say_at(struct loader *ld, bool error, const char *path, int line,
    const char *fmt, va_list ap)
{
	char *msg, *whole;

	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	if (asprintf(&whole, "%s:%d: %s%s", path, line,
	    error ? "" : "warning: ", msg != NULL ? msg : "out of memory") == -1) {
		diag_add(ld->d, error, "%s:%d: out of memory", path, line);
		free(msg);
		return;
	}
	if (!already_said(ld->d, whole))
		diag_add(ld->d, error, "%s", whole);
	free(whole);
	free(msg);
}

static const char *
path_of(const struct loader *ld, unsigned file)
{
	return file < ld->c->nfiles ? ld->c->files[file] : ld->c->path;
}

void
err_at(struct loader *ld, unsigned file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say_at(ld, true, path_of(ld, file), line, fmt, ap);
	va_end(ap);
}

void
warn_at(struct loader *ld, unsigned file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say_at(ld, false, path_of(ld, file), line, fmt, ap);
	va_end(ap);
}

void
err_at_path(struct loader *ld, const char *path, int line, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	say_at(ld, true, path, line, fmt, ap);
	va_end(ap);
}
