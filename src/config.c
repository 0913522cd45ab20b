/*
 * Loading corral.conf(5): the main file read (confread.c), its [corral]
 * values applied, the files it includes read (conffiles.c), services made
 * from every section (confcompose.c) and their values applied
 * (confapply.c), then what no single key can check: inherited timeouts,
 * required keys, cross-key limits and dependency cycles.  Also the service
 * `main` of single-command mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "confapply.h"
#include "confcompose.h"
#include "confdata.h"
#include "confdiag.h"
#include "conffiles.h"
#include "confload.h"
#include "confread.h"

/* Depth-first search over `after`; reports each cycle once. */
static void
check_cycles(struct loader *ld)
{
	struct config *c = ld->c;
	unsigned char *mark = calloc(c->nservices, 1);	/* 0 new, 1 open, 2 done */
	unsigned *stack = calloc(c->nservices + 1, sizeof(*stack));
	size_t *next = calloc(c->nservices + 1, sizeof(*next));

	if (mark == NULL || stack == NULL || next == NULL) {
		ld->oom = true;
		goto out;
	}
	for (size_t root = 0; root < c->nservices; root++) {
		size_t depth = 0;

		if (mark[root] != 0)
			continue;
		stack[0] = (unsigned)root;
		next[0] = 0;
		mark[root] = 1;
		while (depth != SIZE_MAX) {
			struct svc_conf *s = c->services[stack[depth]];
			unsigned to;

			if (next[depth] >= s->nafter) {
				mark[stack[depth]] = 2;
				depth = depth == 0 ? SIZE_MAX : depth - 1;
				continue;
			}
			to = s->after_idx[next[depth]++];
			if (mark[to] == 1) {
				char msg[400];
				size_t at = 0, n = 0;

				while (stack[at] != to)
					at++;
				for (size_t i = at; i <= depth && n < sizeof(msg); i++)
					n += (size_t)snprintf(msg + n, sizeof(msg) - n,
					    "%s -> ", c->services[stack[i]]->name);
				if (n < sizeof(msg))
					snprintf(msg + n, sizeof(msg) - n, "%s",
					    c->services[to]->name);
				/* At the 'after' of to: it holds the next edge. */
				err_at(ld, c->services[to]->file,
				    c->services[to]->after_line, "[service:%s] "
				    "after: dependency cycle %s (remove one of "
				    "these 'after' or 'requires' names)", c->services[to]->name,
				    msg);
				continue;
			}
			if (mark[to] == 0) {
				mark[to] = 1;
				stack[++depth] = to;
				next[depth] = 0;
			}
		}
	}
out:
	free(mark);
	free(stack);
	free(next);
}

/* The line where sec sets key, even to a value that was refused; or 0. */
static int
entry_line(const struct loader *ld, const struct section *sec,
    const char *key)
{
	for (size_t i = 0; i < sec->nentries; i++) {
		const struct entry *e = &ld->entries[sec->first + i];

		if (e->key != NULL && strcmp(e->key->name, key) == 0)
			return e->line;
	}
	return 0;
}

/* WATCHDOG_USEC in a service's environment asks corral for WATCHDOG=1. */
static void
set_watchdog(struct loader *ld, struct svc_conf *s)
{
	struct svc_rare *r;

	for (size_t i = 0; i < s->nenv; i++) {
		if (strncmp(s->env[i], "WATCHDOG_USEC=", 14) != 0)
			continue;
		if ((r = rare_own(s)) == NULL) {
			ld->oom = true;
			return;
		}
		r->watchdog = strtod(s->env[i] + 14, NULL) / 1e6;
	}
}

/* What a built-in probe needs of the keys beside it. */
static void
check_probes(struct loader *ld, const struct section *sec,
    const struct svc_conf *s)
{
	int line = entry_line(ld, sec, "check_timeout");

	if (s->check_timeout <= 0 && (s->rare->ready_probe != NULL ||
	    s->rare->health_probe != NULL))
		err_at(ld, sec->file, line ? line : sec->line, "[service:%s] "
		    "check_timeout%s: a probe's try needs more than 0s",
		    sec->name, line ? "" : " (from [corral])");
	if (config_log_probe(s) != NULL && s->output.sinks == OUT_INHERIT)
		err_at(ld, sec->file, entry_line(ld, sec, "ready_check"),
		    "[service:%s] ready_check: log: reads the service's "
		    "output, which output = inherit hands straight to "
		    "corral's (set output = prefix, null or file:PATH)",
		    sec->name);
}

/* What the output_* keys need of output (SPEC §16). */
static void
check_output(struct loader *ld, const struct section *sec,
    const struct svc_conf *s)
{
	int line = entry_line(ld, sec, "output_max_size");

	if (line != 0 && !(s->output.sinks & OUT_FILE))
		err_at(ld, sec->file, line, "[service:%s] output_max_size: "
		    "only file: sinks rotate, and output has none (add "
		    "file:/PATH to output, or remove output_max_size)",
		    sec->name);
	if ((line = entry_line(ld, sec, "output_timestamps")) != 0 &&
	    !(s->output.sinks & OUT_PREFIX) && s->rare->output_timestamps)
		err_at(ld, sec->file, line, "[service:%s] output_timestamps: "
		    "times go before prefixed lines, and output has no "
		    "prefix sink (add prefix to output)", sec->name);
	/* output_buffer keeps the lines corral reads: inherit gives none. */
	if (s->output_buffer > 0 && s->output.sinks == OUT_INHERIT)
		err_at(ld, sec->file, entry_line(ld, sec, "output_buffer"),
		    "[service:%s] output_buffer: needs output other than "
		    "inherit: corral does not read an inherited stream (set "
		    "output = prefix, null or file:PATH)", sec->name);
}

/*
 * What one key cannot check.  Messages name the section, not the instance:
 * the instances of a section share its lines, and so are told once.
 */
static void
resolve_service(struct loader *ld, const struct section *sec,
    struct svc_conf *s)
{
	struct config *c = ld->c;

	if (isnan(s->stop_timeout))
		s->stop_timeout = c->stop_timeout;
	if (isnan(s->cleanup_timeout))
		s->cleanup_timeout = c->cleanup_timeout;
	if (isnan(s->check_timeout))
		s->check_timeout = c->check_timeout;
	set_watchdog(ld, s);
	if (s->rare->ready_interval <= 0 && s->rare->ready_check != NULL)
		err_at(ld, sec->file, sec->line, "[service:%s]: ready_interval "
		    "must be more than 0", sec->name);
	if (s->rare->health_interval <= 0 && s->rare->health_check != NULL)
		err_at(ld, sec->file, sec->line, "[service:%s]: health_interval "
		    "must be more than 0", sec->name);
	check_probes(ld, sec, s);
	check_output(ld, sec, s);
	if (s->argv == NULL && entry_line(ld, sec, "command") == 0)
		err_at(ld, sec->file, sec->line, "[service:%s]: no command (add "
		    "'command = PROGRAM ARGS...')", sec->name);
	if (s->restart_delay_max < s->restart_delay)
		err_at(ld, sec->file, sec->line, "[service:%s]: "
		    "restart_delay_max (%gs) is shorter than restart_delay "
		    "(%gs)", sec->name, s->restart_delay_max, s->restart_delay);
	if (s->type == TYPE_ONESHOT && s->restart == RESTART_ALWAYS)
		err_at(ld, sec->file, entry_line(ld, sec, "restart"),
		    "[service:%s] restart: a oneshot with restart = always "
		    "would never be done (write on-failure or never: a failed "
		    "run is retried either way)", sec->name);
	if (s->after_idx == NULL &&
	    (s->after_idx = calloc(1, sizeof(*s->after_idx))) == NULL)
		ld->oom = true;
}

/* The section before at that listens on text already; NULL if none. */
static const struct section *
listens_before(const struct loader *ld, size_t at, const char *text)
{
	for (size_t i = 0; i < at; i++) {
		const struct section *sec = ld->sects[i];

		if (sec->nsvcs == 0)
			continue;
		for (size_t j = 0; j < sec->svcs[0]->nlisten; j++)
			if (strcmp(sec->svcs[0]->listen[j].text, text) == 0)
				return sec;
	}
	return NULL;
}

/* One address, one section: its instances share it (SPEC §15). */
static void
check_listen_clashes(struct loader *ld)
{
	for (size_t i = 0; i < ld->nsects; i++) {
		const struct section *sec = ld->sects[i], *prev;
		const struct svc_conf *s;

		if (sec->nsvcs == 0)
			continue;
		s = sec->svcs[0];
		for (size_t j = 0; j < s->nlisten; j++)
			if ((prev = listens_before(ld, i, s->listen[j].text)))
				err_at(ld, sec->file, entry_line(ld, sec,
				    "listen"), "[service:%s] listen: %s is "
				    "[service:%s]'s already (%s:%d)", sec->name,
				    s->listen[j].text, prev->name,
				    ld->c->files[prev->file], prev->line);
	}
}

/* The service before s (in file order) that writes path; NULL if none. */
static const struct svc_conf *
writes_before(const struct config *c, const struct svc_conf *s,
    const char *path)
{
	for (size_t i = 0; i < c->nservices && c->services[i] != s; i++)
		for (size_t j = 0; j < c->services[i]->output.nfiles; j++)
			if (strcmp(c->services[i]->output.files[j], path) == 0)
				return c->services[i];
	return NULL;
}

/*
 * One file, one writer: two services' lines would mix in it and each would
 * rotate the other's (SPEC §16).  Instances of one section are told once.
 */
static void
check_file_clashes(struct loader *ld)
{
	const struct config *c = ld->c;

	for (size_t i = 0; i < ld->nsects; i++) {
		const struct section *sec = ld->sects[i];

		for (unsigned k = 0; k < sec->nsvcs; k++) {
			const struct svc_conf *s = sec->svcs[k], *prev;
			const struct output_set *o = &s->output;
			size_t j;

			for (j = 0; j < o->nfiles; j++)
				if ((prev = writes_before(c, s, o->files[j])))
					break;
			if (j == o->nfiles)
				continue;
			if (prev->line == sec->line && prev->file == sec->file)
				err_at(ld, sec->file, entry_line(ld, sec,
				    "output"), "[service:%s] output: its "
				    "instances would all write file:%s (put "
				    "${CORRAL_INSTANCE} in the path)", sec->name,
				    o->files[j]);
			else
				err_at(ld, sec->file, entry_line(ld, sec,
				    "output"), "[service:%s] output: file:%s "
				    "is written by [service:%s] already (%s:%d)",
				    sec->name, o->files[j], prev->name,
				    c->files[prev->file], prev->line);
			break;
		}
	}
}

static void
resolve(struct loader *ld)
{
	struct config *c = ld->c;

	for (size_t i = 0; i < ld->nsects; i++)
		for (unsigned k = 0; k < ld->sects[i]->nsvcs; k++)
			resolve_service(ld, ld->sects[i], ld->sects[i]->svcs[k]);
	check_cycles(ld);
	check_listen_clashes(ld);
	check_file_clashes(ld);
	if (c->shutdown_deadline != 0 && isinf(c->shutdown_deadline))
		c->shutdown_deadline = 0;
}

/* Every file, sections to services, values to settings. */
static void
load(struct loader *ld, const char *buf, size_t len, const struct stat *st)
{
	if (conf_add_file(ld, ld->c->path) == -1) {
		ld->oom = true;
		return;
	}
	conf_read_buffer(ld, 0, buf, len, false);
	conf_apply_corral(ld);
	conf_read_includes(ld, st);
	conf_compose(ld);
	conf_apply_services(ld);
	resolve(ld);
}

static struct config *
parse(const char *path, const char *buf, size_t len, const struct stat *st,
    struct diag *d)
{
	struct loader ld = { 0 };
	size_t before = d->nerrors;

	ld.d = d;
	ld.instance = -1;
	ld.c = config_default();
	if (ld.c == NULL || (ld.c->path = strdup(path)) == NULL) {
		diag_add(d, true, "%s: out of memory", path);
		config_free(ld.c);
		return NULL;
	}
	load(&ld, buf, len, st);
	if (ld.oom)
		diag_add(d, true, "%s: out of memory", path);
	conf_read_free(&ld);
	free(ld.ids);
	if (d->nerrors > before) {
		config_free(ld.c);
		return NULL;
	}
	return ld.c;
}

struct config *
config_parse(const char *path, const char *buf, size_t len, struct diag *d)
{
	struct stat st;

	return parse(path, buf, len, stat(path, &st) == 0 ? &st : NULL, d);
}

struct config *
config_load(const char *path, struct diag *d)
{
	struct config *c;
	struct stat st;
	char err[VALUE_ERR_MAX], *buf;
	size_t len;

	if (conf_slurp(path, CONFIG_FILE_MAX, &buf, &len, &st, err) == -1) {
		if (strncmp(err, "is a directory", 14) == 0)
			diag_add(d, true, "%s: is a directory, not a config "
			    "file", path);
		else
			diag_add(d, true, "%s: %s", path, err);
		return NULL;
	}
	c = parse(path, buf, len, &st, d);
	free(buf);
	return c;
}

int
config_add_main(struct config *c, char *const argv[], struct diag *d)
{
	struct svc_conf *s, *prev = config_find(c, "main");
	size_t argc = 0, len = 0;
	char *p;

	if (prev != NULL) {
		diag_add(d, true, "%s:%d: [service:main] is already defined; "
		    "rename it to run a command with '--'", c->path, prev->line);
		return -1;
	}
	while (argv[argc] != NULL)
		len += strlen(argv[argc++]) + 1;
	s = svc_new("main", 0, 0);
	if (s == NULL)
		goto oom;
	s->critical = true;
	s->restart = RESTART_NEVER;
	s->stop_timeout = c->stop_timeout;
	s->cleanup_timeout = c->cleanup_timeout;
	s->check_timeout = c->check_timeout;
	s->argv = malloc((argc + 1) * sizeof(char *) + len);
	s->command = malloc(len + 1);
	s->after_idx = calloc(1, sizeof(*s->after_idx));
	if (s->argv == NULL || s->command == NULL || s->after_idx == NULL)
		goto oom;
	/* Words are kept verbatim: no quoting applies to a real argv. */
	p = (char *)(s->argv + argc + 1);
	s->command[0] = '\0';
	for (size_t i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;

		s->argv[i] = memcpy(p, argv[i], n);
		p += n;
		if (i > 0)
			strcat(s->command, " ");
		strcat(s->command, argv[i]);
	}
	s->argv[argc] = NULL;
	if (conf_add_service(c, s) == -1)
		goto oom;
	return 0;
oom:
	svc_free(s);
	diag_add(d, true, "out of memory");
	return -1;
}
