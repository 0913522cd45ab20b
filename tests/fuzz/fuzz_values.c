/* The command-word splitter and the value parsers, on one NUL-terminated input. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "values.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[VALUE_ERR_MAX], *s = malloc(size + 1), **argv;
	struct exit_set set;
	unsigned long u;
	size_t argc;
	double dur;
	bool b;
	int sig;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (split_words(s, &argv, &argc, err) == 0)
		free(argv);
	(void)parse_duration(s, true, &dur, err);
	(void)parse_duration(s, false, &dur, err);
	(void)parse_signal(s, &sig, err);
	(void)parse_bool(s, &b, err);
	(void)parse_uint(s, 0, 1000000, &u, err);
	(void)parse_exit_codes(s, &set, err);
	free(s);
	return 0;
}
