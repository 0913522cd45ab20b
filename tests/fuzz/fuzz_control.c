/*
 * The control-protocol request parser, behind a real supervisor with three
 * services that are never started.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "control.h"
#include "log.h"
#include "supervisor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char conf_text[] =
	"[service:a]\ncommand = /bin/true\nautostart = no\n"
	"[service:b]\ncommand = /bin/true\nautostart = no\nafter = a\n"
	"[service:c]\ncommand = /bin/true\nautostart = no\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = { 0 };
	struct config *c;
	struct strbuf reply = { 0 };
	char *line;

	/* Bounded like the socket reader: CONTROL_REQUEST_MAX, no NUL. */
	if (size >= CONTROL_REQUEST_MAX || memchr(data, '\0', size) != NULL)
		return 0;
	/*
	 * start and restart would fork, and shutdown would signal every child
	 * of the fuzzer (llvm-symbolizer among them) as adopted orphans.
	 */
	if (memmem(data, size, "start", 5) != NULL ||
	    memmem(data, size, "shutdown", 8) != NULL)
		return 0;
	log_init(LOGL_ERROR, false);
	c = config_parse("fuzz.conf", conf_text, sizeof(conf_text) - 1, &d);
	diag_free(&d);
	if (c == NULL || supervisor_init(ev_default_loop(0), c) == -1)
		abort();
	line = malloc(size + 1);
	if (line != NULL) {
		memcpy(line, data, size);
		line[size] = '\0';
		control_execute(line, &reply);
		free(line);
	}
	sb_free(&reply);
	supervisor_free();
	return 0;
}
