/*
 * The probe parser on arbitrary text, as ready_check (log: allowed) and as
 * health_check: a probe it accepts has a host and a port in range, an
 * http:// path that can go into a request line as it is, and a regex
 * that can be run; what it refuses says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct probe *p, const char *text)
{
	if (p->kind == PROBE_LOG) {
		(void)probe_log_matches(p, text, strlen(text));
		return;
	}
	if (p->host[0] == '\0' || p->port < 1 || p->port > 65535 ||
	    strpbrk(p->host, " \r\n/[]") != NULL)
		abort();
	if (p->kind == PROBE_HTTP && (p->path[0] != '/' ||
	    strpbrk(p->path, " \r\n#") != NULL))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (int ready = 0; ready < 2; ready++) {
		struct probe p;
		char err[PROBE_ERR_MAX];

		err[0] = '\0';
		if (probe_parse(text, ready, &p, err) == 0) {
			check(&p, text);
			probe_free(&p);
		} else if (err[0] == '\0')
			abort();
	}
	free(text);
	return 0;
}
