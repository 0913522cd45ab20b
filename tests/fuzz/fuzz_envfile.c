/*
 * The env_file parser on arbitrary bytes: whatever it appends is a valid
 * KEY=VALUE, the array stays NULL-terminated, and the count of bad lines
 * is the count of reports.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
count(void *arg, int line, const char *msg)
{
	int *n = arg;

	if (line < 1 || msg[0] == '\0')
		abort();
	(*n)++;
}

static void
check_assignment(const char *kv)
{
	size_t k = strcspn(kv, "=");

	if (kv[k] != '=' || k == 0 || (kv[0] >= '0' && kv[0] <= '9'))
		abort();
	for (size_t i = 0; i < k; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789_", kv[i]) == NULL)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char **env = NULL;
	size_t n = 0;
	int reports = 0, bad;

	bad = envfile_parse((const char *)data, size, &env, &n, count,
	    &reports);
	if (bad != -1 && bad != reports)
		abort();
	if (n > 0 && env[n] != NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		check_assignment(env[i]);
		free(env[i]);
	}
	free(env);
	return 0;
}
