/*
 * What corral says about its services, for the tests of start order,
 * readiness and health: `corralctl` run to its end, and the JSON of
 * `corralctl --json status` and of the status file.
 *
 * The status file is rewritten (temp + rename in the test's directory) on
 * every state change, so a wait for a state blocks on inotify like every
 * other wait of the harness.  The JSON is read with string searches: one
 * object per service, {"name":"NAME","state":"STATE",...}.
 */
#ifndef CORRAL_TEST_SVCSTATE_H
#define CORRAL_TEST_SVCSTATE_H

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ctlutil.h"
#include "harness.h"

/* Runs `corralctl -s SOCK ARG...` to its end; its output is in ->out. */
static inline struct h_proc *
ctl(const char *sock, const char *arg, ...) __attribute__((sentinel));

static inline struct h_proc *
ctl(const char *sock, const char *arg, ...)
{
	static int calls;
	const char *argv[16] = { cu_ctl_path(), "-s", sock };
	int argc = 3;
	struct h_proc *p;
	va_list ap;

	va_start(ap, arg);
	for (const char *a = arg; a != NULL; a = va_arg(ap, const char *)) {
		ck_assert_msg(argc < 15, "too many arguments");
		argv[argc++] = a;
	}
	va_end(ap);
	argv[argc] = NULL;
	p = h_spawn(h_fmt("corralctl-%d", ++calls), NULL, argv);
	ck_assert_msg(h_wait_exit(p, H_WAIT_MS), "corralctl %s did not finish "
	    "within %d ms; %s", arg, H_WAIT_MS, h_ctx(p));
	return p;
}

/* The JSON object of service name in a status text, as a string; or NULL. */
static inline const char *
json_service(const char *json, const char *name)
{
	const char *start, *end;

	if (json == NULL)
		return NULL;
	start = strstr(json, h_fmt("{\"name\":\"%s\",", name));
	if (start == NULL)
		return NULL;
	end = strstr(start + 1, "{\"name\":");
	return h_fmt("%.*s", end ? (int)(end - start) : (int)strlen(start),
	    start);
}

/*
 * The string value of "field" in the object of service name, or
 * "(absent)": never NULL, so that a test can compare it as it is.
 */
static inline const char *
json_str(const char *json, const char *name, const char *field)
{
	const char *obj = json_service(json, name), *v, *end;

	if (obj == NULL || (v = strstr(obj, h_fmt("\"%s\":\"", field))) == NULL)
		return "(absent)";
	v += strlen(field) + 4;
	end = strchr(v, '"');
	return end ? h_fmt("%.*s", (int)(end - v), v) : "(absent)";
}

/* The number value of "field" in the object of service name, or -1. */
static inline long
json_num(const char *json, const char *name, const char *field)
{
	const char *obj = json_service(json, name), *v;

	if (obj == NULL || (v = strstr(obj, h_fmt("\"%s\":", field))) == NULL)
		return -1;
	return strtol(v + strlen(field) + 3, NULL, 10);
}

struct state_wait {
	const char	*file;
	const char	*name;
	const char	*state;
};

static inline bool
in_state(const void *arg)
{
	const struct state_wait *w = arg;

	return strcmp(json_str(h_read(w->file), w->name, "state"),
	    w->state) == 0;
}

/* Waits until the status file shows service name in state. */
static inline bool
wait_state(const char *file, const char *name, const char *state,
    int timeout_ms)
{
	struct state_wait w = { file, name, state };

	return h_wait_until(in_state, &w, timeout_ms);
}

/* The state of service name in the status file. */
static inline const char *
state_of(const char *file, const char *name)
{
	return json_str(h_read(file), name, "state");
}

/* The line of `corralctl status` (text) about service name, or NULL. */
static inline const char *
status_line_of(const char *text, const char *name)
{
	size_t len = strlen(name);

	for (const char *l = text; l != NULL && *l != '\0';) {
		const char *nl = strchr(l, '\n');

		if (strncmp(l, name, len) == 0 && l[len] == ' ')
			return h_fmt("%.*s", nl ? (int)(nl - l) : (int)strlen(l),
			    l);
		l = nl ? nl + 1 : NULL;
	}
	return NULL;
}

#endif
