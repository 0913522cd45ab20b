/*
 * The objects a config is made of, and their defaults.  The defaults live
 * here and only here: a service starts from svc_new(), a config from
 * config_default(), and the file (or the command line) changes them.
 * Services that set no rare setting share svc_rare_defaults, which is never
 * written; rare_own() gives a service its own copy before the first write.
 */
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "confdata.h"
#include "log.h"

/*
 * Doubling from 8: a file of N sections costs log N reallocations instead
 * of N, and leaves the heap of a long-running daemon without N freed blocks
 * strewn through it.
 */
void *
conf_grow(void *v, size_t n, size_t size)
{
	if (n != 0 && (n < 8 || (n & (n - 1)) != 0))
		return v;
	return reallocarray(v, n == 0 ? 8 : n * 2, size);
}

const struct svc_rare svc_rare_defaults = {
	.success_codes = { .bits = { 1 } },	/* exit code 0 */
	.ready_interval = 1,
	.health_interval = 30,
	.health_timeout = 5,
	.health_retries = 3,
	.prepare_timeout = 30,
	.watch_delay = 1,
	.output_keep = 5,
};

struct svc_conf *
svc_new(const char *name, int line, unsigned index)
{
	struct svc_conf *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->line = line;
	s->index = index;
	s->instance = -1;
	s->autostart = true;
	s->restart = RESTART_ON_FAILURE;
	s->start_seconds = 1;
	s->start_retries = 5;
	s->restart_delay = 1;
	s->restart_delay_max = 30;
	s->stop_signal = SIGTERM;
	s->kill_signal = SIGKILL;
	s->stop_timeout = NAN;			/* NAN: inherit [corral]'s */
	s->cleanup_timeout = NAN;
	s->check_timeout = NAN;
	s->umask = -1;
	s->output.sinks = OUT_INHERIT;
	s->rare = &svc_rare_defaults;
	s->ready_timeout = 60;
	s->uid = (uid_t)-1;
	s->gid = (gid_t)-1;
	s->listen_mode = -1;
	s->listen_uid = (uid_t)-1;
	s->listen_gid = (gid_t)-1;
	return s;
}

/*
 * Blocks other than the defaults belong to the config, which is the one
 * writer; everyone else reads them through a const pointer.
 */
static struct svc_rare *
rare_mut(const struct svc_rare *r)
{
	return (struct svc_rare *)(uintptr_t)r;
}

static void
rare_free(const struct svc_rare *r)
{
	if (r == NULL || r == &svc_rare_defaults)
		return;
	free(r->ready_check);
	free(r->ready_check_argv);
	free(r->health_check);
	free(r->health_check_argv);
	probe_free(r->ready_probe);
	free(r->ready_probe);
	probe_free(r->health_probe);
	free(r->health_probe);
	free(r->prepare);
	free(r->prepare_argv);
	free(r->stop_command);
	free(r->stop_command_argv);
	for (size_t i = 0; i < r->nwatch; i++)
		free(r->watch[i]);
	free(r->watch);
	free(rare_mut(r));
}

struct svc_rare *
rare_own(struct svc_conf *s)
{
	struct svc_rare *r;

	if (s->rare != &svc_rare_defaults)
		return rare_mut(s->rare);
	if ((r = malloc(sizeof(*r))) == NULL)
		return NULL;
	/* memcpy, not =: limits are compared whole, padding included. */
	memcpy(r, &svc_rare_defaults, sizeof(*r));
	s->rare = r;
	return r;
}

void
svc_free(struct svc_conf *s)
{
	if (s == NULL)
		return;
	free(s->command);
	free(s->argv);
	free(s->directory);
	free(s->user);
	free(s->home);
	free(s->user_name);
	free(s->group);
	for (size_t i = 0; i < s->output.nfiles; i++)
		free(s->output.files[i]);
	free(s->output.files);
	for (size_t i = 0; i < s->nenv; i++)
		free(s->env[i]);
	free(s->env);
	for (size_t i = 0; i < s->nenv_file; i++)
		free(s->env_file[i]);
	free(s->env_file);
	for (size_t i = 0; i < s->ncondition; i++)
		free(s->condition[i]);
	free(s->condition);
	free(s->decided);
	free(s->cleanup);
	free(s->cleanup_argv);
	rare_free(s->rare);
	for (size_t i = 0; i < s->nafter; i++)
		free(s->after[i]);
	free(s->after);
	free(s->after_idx);
	for (size_t i = 0; i < s->nrequires; i++)
		free(s->requires[i]);
	free(s->requires);
	free(s->requires_idx);
	free(s->listen);
	for (size_t i = 0; i < s->nlisten_names; i++)
		free(s->listen_names[i]);
	free(s->listen_names);
	free(s->listen_owner);
	free(s);
}

struct config *
config_default(void)
{
	struct config *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->stop_timeout = 10;
	c->cleanup_timeout = 30;
	c->check_timeout = 2;
	c->shutdown_order = ORDER_PARALLEL;
	c->shutdown_deadline = 0;
	c->forward_signals = (UINT64_C(1) << (SIGUSR1 - 1)) |
	    (UINT64_C(1) << (SIGUSR2 - 1)) | (UINT64_C(1) << (SIGWINCH - 1));
	c->log_level = LOGL_INFO;
	c->subreaper = true;
	c->strict = true;
	return c;
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nservices; i++)
		svc_free(c->services[i]);
	free(c->services);
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c->path);
	free(c->control_socket);
	free(c->control_group);
	free(c->status_file);
	free(c->metrics_file);
	free(c->on_state);
	free(c->on_state_argv);
	free(c);
}

void
config_free_service(struct svc_conf *s)
{
	svc_free(s);
}

struct svc_conf *
config_find(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->nservices; i++)
		if (strcmp(c->services[i]->name, name) == 0)
			return c->services[i];
	return NULL;
}

int
conf_add_service(struct config *c, struct svc_conf *s)
{
	struct svc_conf **v = conf_grow(c->services, c->nservices, sizeof(*v));

	if (v == NULL)
		return -1;
	c->services = v;
	s->index = (unsigned)c->nservices;
	c->services[c->nservices++] = s;
	return 0;
}
