/*
 * The one list of keys: reading, applying, suggestions and the reload
 * comparison all use it, and nothing else lists keys again.  A row says
 * where its value lives (an offset into struct config, struct svc_conf or
 * struct svc_rare) and of what type it is; how a type is parsed is
 * confapply.c's.  Pure data and lookups: no allocation, no messages.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "confkeys.h"

#define G(n, t)		{ SECT_CORRAL, #n, t,				\
			  offsetof(struct config, n), 0, false, false }
#define S(n, t)		{ SECT_SERVICE, #n, t,				\
			  offsetof(struct svc_conf, n), 0, false, false }
#define S2(n, f, t, f2, r) { SECT_SERVICE, #n, t,			\
			  offsetof(struct svc_conf, f),			\
			  offsetof(struct svc_conf, f2), r, false }
#define R(n, t)		{ SECT_SERVICE, #n, t,				\
			  offsetof(struct svc_rare, n), 0, false, true }
#define RF(n, f, t)	{ SECT_SERVICE, #n, t,				\
			  offsetof(struct svc_rare, f), 0, false, true }
#define R2(n, t, f2)	{ SECT_SERVICE, #n, t,				\
			  offsetof(struct svc_rare, n),			\
			  offsetof(struct svc_rare, f2), false, true }

const struct key conf_keys[] = {
	G(stop_timeout, KT_DURATION_INF),
	G(cleanup_timeout, KT_DURATION_INF),
	G(shutdown_order, KT_ORDER),
	G(shutdown_deadline, KT_DURATION_INF),
	G(forward_signals, KT_SIGSET),
	G(log_level, KT_LOG_LEVEL),
	G(log_timestamps, KT_BOOL),
	G(subreaper, KT_BOOL),
	G(strict, KT_BOOL),
	G(control_socket, KT_PATH),
	G(control_group, KT_GROUP),
	G(status_file, KT_PATH),

	S2(command, command, KT_COMMAND, argv, false),
	S(directory, KT_PATH),
	S(user, KT_USER),
	S(group, KT_GROUP),
	S(umask, KT_UMASK),
	RF(limit_nofile, limits[LIMIT_nofile], KT_LIMIT),
	RF(limit_nproc, limits[LIMIT_nproc], KT_LIMIT),
	RF(limit_core, limits[LIMIT_core], KT_LIMIT),
	RF(limit_memlock, limits[LIMIT_memlock], KT_LIMIT),
	S(output, KT_OUTPUT),
	S2(environment, env, KT_ENV, nenv, true),
	S(autostart, KT_BOOL),
	S(critical, KT_BOOL),
	S(restart, KT_RESTART),
	RF(success_exit_codes, success_codes, KT_EXIT_CODES),
	S(start_seconds, KT_DURATION),
	S(start_retries, KT_UINT),
	S(restart_delay, KT_DURATION),
	S(restart_delay_max, KT_DURATION),
	S(stop_delay, KT_DURATION),
	S(stop_signal, KT_SIGNAL),
	S(stop_timeout, KT_DURATION_INF),
	S(kill_signal, KT_SIGNAL),
	S2(cleanup, cleanup, KT_COMMAND, cleanup_argv, false),
	S(cleanup_timeout, KT_DURATION_INF),
	S2(after, after, KT_NAMES, nafter, true),
	R2(ready_check, KT_COMMAND, ready_check_argv),
	R(ready_interval, KT_DURATION),
	S(ready_timeout, KT_DURATION_INF),
	S(notify, KT_BOOL),
	R2(health_check, KT_COMMAND, health_check_argv),
	R(health_interval, KT_DURATION),
	R(health_timeout, KT_DURATION),
	R(health_retries, KT_UINT),
};
const size_t conf_nkeys = sizeof(conf_keys) / sizeof(conf_keys[0]);

static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[48];

	if (lb >= sizeof(row) / sizeof(row[0]) || la >= 48)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const struct key *
conf_find_key(enum sect_kind sect, const char *name)
{
	for (size_t i = 0; i < conf_nkeys; i++)
		if (conf_keys[i].sect == sect &&
		    strcmp(conf_keys[i].name, name) == 0)
			return &conf_keys[i];
	return NULL;
}

const struct key *
conf_nearest_key(enum sect_kind sect, const char *name, size_t *dist)
{
	const struct key *best = NULL;
	size_t best_d = SIZE_MAX;

	for (size_t i = 0; i < conf_nkeys; i++) {
		size_t d;

		if (conf_keys[i].sect != sect)
			continue;
		d = edit_distance(name, conf_keys[i].name);
		if (d < best_d) {
			best_d = d;
			best = &conf_keys[i];
		}
	}
	*dist = best_d;
	return best;
}

