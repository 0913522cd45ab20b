/*
 * Whether a reload must restart a service, update it in place, or leave it
 * alone: the old and the new svc_conf compared field by field.  Pure: reads
 * two configs, changes nothing.
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "config.h"

static bool
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool
same_double(double a, double b)
{
	return a == b || (isnan(a) && isnan(b));
}

bool
config_same_checks(const struct svc_conf *a, const struct svc_conf *b)
{
	const struct svc_rare *ra = a->rare, *rb = b->rare;

	return same_str(ra->ready_check, rb->ready_check) &&
	    same_double(ra->ready_interval, rb->ready_interval) &&
	    same_str(ra->health_check, rb->health_check) &&
	    same_double(ra->health_interval, rb->health_interval) &&
	    same_double(ra->health_timeout, rb->health_timeout) &&
	    ra->health_retries == rb->health_retries;
}

bool
config_same_settings(const struct svc_conf *a, const struct svc_conf *b)
{
	if (a->autostart != b->autostart || a->critical != b->critical ||
	    a->restart != b->restart ||
	    memcmp(&a->rare->success_codes, &b->rare->success_codes,
	    sizeof(a->rare->success_codes)) != 0 ||
	    !same_double(a->start_seconds, b->start_seconds) ||
	    a->start_retries != b->start_retries ||
	    !same_double(a->restart_delay, b->restart_delay) ||
	    !same_double(a->restart_delay_max, b->restart_delay_max) ||
	    !same_double(a->stop_delay, b->stop_delay) ||
	    a->stop_signal != b->stop_signal ||
	    !same_double(a->stop_timeout, b->stop_timeout) ||
	    a->kill_signal != b->kill_signal ||
	    !same_str(a->cleanup, b->cleanup) ||
	    !same_double(a->cleanup_timeout, b->cleanup_timeout) ||
	    !same_double(a->ready_timeout, b->ready_timeout) ||
	    a->notify != b->notify || !config_same_checks(a, b) ||
	    a->nafter != b->nafter)
		return false;
	for (size_t i = 0; i < a->nafter; i++)
		if (strcmp(a->after[i], b->after[i]) != 0)
			return false;
	return true;
}

bool
config_same_process(const struct svc_conf *a, const struct svc_conf *b)
{
	if (!same_str(a->command, b->command) ||
	    !same_str(a->directory, b->directory) ||
	    !same_str(a->user, b->user) || !same_str(a->group, b->group) ||
	    a->uid != b->uid || a->gid != b->gid || a->umask != b->umask ||
	    a->output != b->output ||
	    !same_str(a->output_path, b->output_path) ||
	    a->foreground != b->foreground || a->notify != b->notify ||
	    a->nenv != b->nenv ||
	    memcmp(a->rare->limits, b->rare->limits,
	    sizeof(a->rare->limits)) != 0)
		return false;
	for (size_t i = 0; i < a->nenv; i++)
		if (strcmp(a->env[i], b->env[i]) != 0)
			return false;
	return true;
}
