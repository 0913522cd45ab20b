/* Looking at the problems a load reported; see diagcheck.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diagcheck.h"

const char *
diag_dump(const struct diag *d)
{
	static char buf[16384];
	size_t n = 0;

	snprintf(buf, sizeof(buf), "  (no problem reported)\n");
	for (size_t i = 0; i < d->n && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "  %s\n",
		    d->lines[i]);
	return buf;
}

bool
diag_has(const struct diag *d, const char *prefix, ...)
{
	for (size_t i = 0; i < d->n; i++) {
		const char *line = d->lines[i], *frag;
		bool all = strncmp(line, prefix, strlen(prefix)) == 0;
		va_list ap;

		va_start(ap, prefix);
		while (all && (frag = va_arg(ap, const char *)) != NULL)
			all = strstr(line, frag) != NULL;
		va_end(ap);
		if (all)
			return true;
	}
	return false;
}
