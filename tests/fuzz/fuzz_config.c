/* The config loader, a whole file through the same line reader as `corral -t`. */
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = { 0 };
	struct config *c = config_parse("fuzz.conf", (const char *)data, size, &d);
	struct plan p;

	/* A config that loads must also plan: -t -v does both. */
	if (c != NULL && plan_build(c, &p) == 0)
		plan_free(&p);
	config_free(c);
	diag_free(&d);
	return 0;
}
