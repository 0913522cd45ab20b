/* The notify datagram parser of `notify = yes` services. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "svcnotify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t fields;

static void
count(struct service *s, enum svcnotify_field f, const char *value)
{
	(void)s;
	(void)f;
	if (value != NULL)
		fields += strlen(value);
	fields++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct svc_conf conf = { .name = "fuzz" };
	static struct service_health health;
	char *msg = malloc(size + 1);
	struct service s;

	if (msg == NULL)
		return 0;
	memset(&s, 0, sizeof(s));
	/* Warnings name the service and are limited per service. */
	s.conf = &conf;
	s.health = &health;
	memcpy(msg, data, size);
	svcnotify_parse(&s, msg, size, count);
	free(msg);
	return 0;
}
