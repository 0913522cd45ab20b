/*
 * Loading corral.conf(5): the file read into memory, its lines read
 * (confread.c), its values applied (confapply.c), then what no single key
 * can check: inherited timeouts, required keys, cross-key limits and
 * dependency cycles.  Also the service `main` of single-command mode.
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
#include "confdata.h"
#include "confdiag.h"
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
				err_at(ld, c->services[to]->after_line, "[service:%s] "
				    "after: dependency cycle %s (remove one of "
				    "these 'after' names)", c->services[to]->name,
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

/* Whether the file set key in s, even to a value that was refused. */
static bool
has_entry(const struct loader *ld, const struct svc_conf *s, const char *key)
{
	for (size_t i = 0; i < ld->nentries; i++)
		if (ld->entries[i].sect->svc == s && ld->entries[i].key != NULL &&
		    strcmp(ld->entries[i].key->name, key) == 0)
			return true;
	return false;
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

static void
resolve(struct loader *ld)
{
	struct config *c = ld->c;

	for (size_t i = 0; i < c->nservices; i++) {
		struct svc_conf *s = c->services[i];

		if (isnan(s->stop_timeout))
			s->stop_timeout = c->stop_timeout;
		if (isnan(s->cleanup_timeout))
			s->cleanup_timeout = c->cleanup_timeout;
		set_watchdog(ld, s);
		if (s->rare->ready_interval <= 0 &&
		    s->rare->ready_check_argv != NULL)
			err_at(ld, s->line, "[service:%s]: ready_interval must "
			    "be more than 0", s->name);
		if (s->rare->health_interval <= 0 &&
		    s->rare->health_check_argv != NULL)
			err_at(ld, s->line, "[service:%s]: health_interval must "
			    "be more than 0", s->name);
		if (s->argv == NULL && !has_entry(ld, s, "command"))
			err_at(ld, s->line, "[service:%s]: no command (add "
			    "'command = PROGRAM ARGS...')", s->name);
		if (s->restart_delay_max < s->restart_delay)
			err_at(ld, s->line, "[service:%s]: restart_delay_max "
			    "(%gs) is shorter than restart_delay (%gs)",
			    s->name, s->restart_delay_max, s->restart_delay);
		if (s->after_idx == NULL &&
		    (s->after_idx = calloc(1, sizeof(*s->after_idx))) == NULL)
			ld->oom = true;
	}
	check_cycles(ld);
	if (c->shutdown_deadline != 0 && isinf(c->shutdown_deadline))
		c->shutdown_deadline = 0;
}

struct config *
config_parse(const char *path, const char *buf, size_t len, struct diag *d)
{
	struct loader ld = { 0 };
	size_t before = d->nerrors;

	ld.path = path;
	ld.d = d;
	ld.buf = buf;
	ld.len = len;
	ld.c = config_default();
	if (ld.c == NULL || (ld.c->path = strdup(path)) == NULL) {
		diag_add(d, true, "%s: out of memory", path);
		config_free(ld.c);
		return NULL;
	}
	conf_read(&ld);
	conf_apply_entries(&ld);
	resolve(&ld);
	if (ld.oom)
		diag_add(d, true, "%s: out of memory", path);
	conf_read_free(&ld);
	if (d->nerrors > before) {
		config_free(ld.c);
		return NULL;
	}
	return ld.c;
}

struct config *
config_load(const char *path, struct diag *d)
{
	struct config *c = NULL;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd;

	/* O_NONBLOCK: a FIFO must be refused below, not wait for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		diag_add(d, true, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		diag_add(d, true, "%s: cannot stat: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		diag_add(d, true, "%s: is a directory, not a config file", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_add(d, true, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		diag_add(d, true, "%s: %lld bytes; a config file is at most "
		    "%d bytes", path, (long long)st.st_size, CONFIG_FILE_MAX);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		diag_add(d, true, "%s: out of memory", path);
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + len, (size_t)st.st_size - len);

		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			diag_add(d, true, "%s: cannot read: %s", path,
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	c = config_parse(path, buf, len, d);
out:
	free(buf);
	(void)close(fd);
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
