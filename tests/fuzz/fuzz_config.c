/*
 * The config loader, a whole file through the same line reader as `corral
 * -t`.  The file is named as if in an empty directory of its own, so that
 * an `include` pattern relative to it matches nothing; an input that could
 * name another directory (an `include` with a '/' anywhere) is skipped,
 * since globbing the whole file system tests glob(3), not corral.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "plan.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/corral-fuzz.XXXXXX";

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/fuzz.conf", dir);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = { 0 };
	struct config *c;
	struct plan p;

	if (memmem(data, size, "include", 7) != NULL &&
	    memchr(data, '/', size) != NULL)
		return 0;
	c = config_parse(path, (const char *)data, size, &d);
	/* A config that loads must also plan: -t -v does both. */
	if (c != NULL && plan_build(c, &p) == 0)
		plan_free(&p);
	config_free(c);
	diag_free(&d);
	return 0;
}
