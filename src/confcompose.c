/*
 * Composing services from the sections of every file.  Names are checked
 * here, once all files are read, because a clash may be between files and
 * between a plain section and an instance (`[service:web.1]` beside
 * `[service:web]` with instances): both places are named, so the person
 * who edits one file learns of the other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "confvalue.h"
#include "confcompose.h"
#include "confdata.h"
#include "confdiag.h"

/* "line 3" in the same file, "conf.d/a.conf:3" in another. */
static void
place(const struct loader *ld, unsigned here, unsigned file, int line,
    char *buf, size_t len)
{
	if (file == here)
		snprintf(buf, len, "line %d", line);
	else
		snprintf(buf, len, "%s:%d", ld->c->files[file], line);
}

/* The section, among the first n, that is named name; NULL if none. */
static const struct section *
section_named(const struct loader *ld, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (ld->sects[i]->kind == SECT_SERVICE &&
		    strcmp(ld->sects[i]->name, name) == 0)
			return ld->sects[i];
	return NULL;
}

/* The `instances` of sec: 0 when not set, -1 when wrong (reported). */
static int
instances_of(struct loader *ld, const struct section *sec)
{
	char err[VALUE_ERR_MAX];
	unsigned long n;
	int r = 0;

	for (size_t i = 0; i < sec->nentries; i++) {
		const struct entry *e = &ld->entries[sec->first + i];
		struct use u = { .svc = NULL };

		if (e->key == NULL || e->key->type != KT_INSTANCES)
			continue;
		ld->instance = -1;
		if (*e->value == '\0') {
			err_at(ld, sec->file, e->line, "[service:%s] instances: "
			    "no value given", sec->name);
			return -1;
		}
		if (conf_expand(ld, e, true, &u) == -1)
			return -1;
		if (parse_uint(u.value, 1, INSTANCES_MAX, &n, err) == -1) {
			conf_use_err(ld, &u, "'%s' is not a number of instances "
			    "(1-%d)", u.value, INSTANCES_MAX);
			r = -1;
		} else if (strlen(sec->name) > GROUP_NAME_MAX) {
			conf_use_err(ld, &u, "the name of a section with "
			    "instances has at most %d characters, so that "
			    "%s.%d fits in %d", GROUP_NAME_MAX, "NAME",
			    INSTANCES_MAX - 1, SERVICE_NAME_MAX);
			r = -1;
		} else
			r = (int)n;
		free(u.value);
	}
	return r;
}

static void
add_service(struct loader *ld, struct section *sec, const char *name,
    int instance, unsigned count)
{
	const struct svc_conf *prev = config_find(ld->c, name);
	struct svc_conf *s;
	char at[320];

	if (prev != NULL) {
		place(ld, sec->file, prev->file, prev->line, at, sizeof(at));
		err_at(ld, sec->file, sec->line, "[service:%s]: service '%s' is "
		    "already defined at %s%s (rename one of them)", sec->name,
		    name, at, prev->instance >= 0 ? ", by instances" : "");
		return;
	}
	if ((s = svc_new(name, sec->line, 0)) == NULL ||
	    conf_add_service(ld->c, s) == -1) {
		svc_free(s);
		ld->oom = true;
		return;
	}
	s->file = sec->file;
	s->instance = instance;
	s->instances = count;
	if (instance >= 0)
		s->group_len = (unsigned char)strlen(sec->name);
	sec->svcs[sec->nsvcs++] = s;
}

static void
compose_section(struct loader *ld, size_t at)
{
	struct section *sec = ld->sects[at];
	const struct section *prev = section_named(ld, at, sec->name);
	char where[320];
	int n;

	if (prev != NULL) {
		place(ld, sec->file, prev->file, prev->line, where,
		    sizeof(where));
		err_at(ld, sec->file, sec->line, "[service:%s]: service '%s' is "
		    "already defined at %s (rename one of them)", sec->name,
		    sec->name, where);
		return;
	}
	if ((n = instances_of(ld, sec)) == -1)
		return;
	if ((sec->svcs = calloc(n == 0 ? 1 : (size_t)n,
	    sizeof(*sec->svcs))) == NULL) {
		ld->oom = true;
		return;
	}
	if (n == 0)
		add_service(ld, sec, sec->name, -1, 0);
	for (int i = 0; i < n && !ld->oom; i++) {
		/* instances_of() bounds the name and i: it fits. */
		char name[SERVICE_NAME_MAX + 16];

		snprintf(name, sizeof(name), "%s.%d", sec->name, i);
		add_service(ld, sec, name, i, (unsigned)n);
	}
}

void
conf_compose(struct loader *ld)
{
	for (size_t i = 0; i < ld->nsects && !ld->oom; i++)
		if (ld->sects[i]->kind == SECT_SERVICE)
			compose_section(ld, i);
}
