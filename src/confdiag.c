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

void
err_at(struct loader *ld, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	diag_add(ld->d, true, "%s:%d: %s", ld->path, line,
	    msg != NULL ? msg : "out of memory");
	free(msg);
}
