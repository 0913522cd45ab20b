/*
 * The one list of keys: reading, applying, suggestions and the reload
 * comparison all use it, and nothing else lists keys again.  A row says
 * where its value lives (an offset into struct config, struct svc_conf or
 * struct svc_rare) and of what type it is; how a type is parsed is
 * confapply.c's.  Pure data and lookups: no allocation, no messages.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "confkeys.h"

#define G(n, t, rc)	{ SECT_CORRAL, #n, t,				\
			  offsetof(struct config, n), 0, false, false, rc }
#define G2(n, t, f2, rc) { SECT_CORRAL, #n, t,				\
			  offsetof(struct config, n),			\
			  offsetof(struct config, f2), false, false, rc }
#define S(n, t, rc)	{ SECT_SERVICE, #n, t,				\
			  offsetof(struct svc_conf, n), 0, false, false, rc }
#define S2(n, f, t, f2, r, rc) { SECT_SERVICE, #n, t,			\
			  offsetof(struct svc_conf, f),			\
			  offsetof(struct svc_conf, f2), r, false, rc }
#define R(n, t, rc)	{ SECT_SERVICE, #n, t,				\
			  offsetof(struct svc_rare, n), 0, false, true, rc }
#define RF(n, f, t, rc)	{ SECT_SERVICE, #n, t,				\
			  offsetof(struct svc_rare, f), 0, false, true, rc }
#define R2(n, t, f2, rc) { SECT_SERVICE, #n, t,				\
			  offsetof(struct svc_rare, n),			\
			  offsetof(struct svc_rare, f2), false, true, rc }

/*
 * The last column is what a reload does about a change (corral(8), RELOAD).
 * For services, config_compare() reads it: a key that shapes the process
 * restarts the service, a check's setting restarts its checks, the rest
 * applies in place.  For [corral], it says what request_reload() does:
 * it applies the file's forward_signals, log_level, status_file,
 * metrics_file, on_state (to the runs that start after it), shutdown
 * order and deadline and strict from then on, and the two timeouts reach
 * each service that inherits them as its own (resolve() in config.c);
 * control_socket, control_group, log_timestamps, log_format and subreaper
 * are read only when corral starts.  The RC_SET rows decide which services there
 * are and which of them run: a reload compares names and conditions'
 * outcomes, not these values.
 */
const struct key conf_keys[] = {
	G(stop_timeout, KT_DURATION_INF, RC_IN_PLACE),
	G(cleanup_timeout, KT_DURATION_INF, RC_IN_PLACE),
	G(check_timeout, KT_DURATION, RC_IN_PLACE),
	G(shutdown_order, KT_ORDER, RC_IN_PLACE),
	G(shutdown_deadline, KT_DURATION_INF, RC_IN_PLACE),
	G(forward_signals, KT_SIGSET, RC_IN_PLACE),
	G(log_level, KT_LOG_LEVEL, RC_IN_PLACE),
	G(log_timestamps, KT_BOOL, RC_AT_START),
	G(log_format, KT_LOG_FORMAT, RC_AT_START),
	G(subreaper, KT_BOOL, RC_AT_START),
	G(strict, KT_BOOL, RC_IN_PLACE),
	G(control_socket, KT_PATH, RC_AT_START),
	G(control_group, KT_GROUP, RC_AT_START),
	G(status_file, KT_PATH, RC_IN_PLACE),
	G(metrics_file, KT_PATH, RC_IN_PLACE),
	G2(on_state, KT_COMMAND, on_state_argv, RC_IN_PLACE),
	/* Read by conffiles.c before any service is made: no field. */
	{ SECT_CORRAL, "include", KT_PATTERNS, 0, 0, true, false, RC_SET },

	S2(command, command, KT_COMMAND, argv, false, RC_RESTART),
	S(directory, KT_PATH, RC_RESTART),
	S(user, KT_USER, RC_RESTART),
	S(group, KT_GROUP, RC_RESTART),
	S(umask, KT_UMASK, RC_RESTART),
	RF(limit_nofile, limits[LIMIT_nofile], KT_LIMIT, RC_RESTART),
	RF(limit_nproc, limits[LIMIT_nproc], KT_LIMIT, RC_RESTART),
	RF(limit_core, limits[LIMIT_core], KT_LIMIT, RC_RESTART),
	RF(limit_memlock, limits[LIMIT_memlock], KT_LIMIT, RC_RESTART),
	S(output, KT_OUTPUT, RC_RESTART),
	R(output_max_size, KT_SIZE, RC_RESTART),
	R(output_keep, KT_UINT, RC_RESTART),
	R(output_timestamps, KT_BOOL, RC_RESTART),
	S2(environment, env, KT_ENV, nenv, true, RC_RESTART),
	/* What it reads is in env, and is compared there. */
	S2(env_file, env_file, KT_ENV_FILE, nenv_file, true, RC_IN_PLACE),
	S(instances, KT_INSTANCES, RC_SET),
	S2(condition, condition, KT_CONDITION, ncondition, true, RC_SET),
	S(autostart, KT_BOOL, RC_IN_PLACE),
	S(critical, KT_BOOL, RC_IN_PLACE),
	S(restart, KT_RESTART, RC_IN_PLACE),
	RF(success_exit_codes, success_codes, KT_EXIT_CODES, RC_IN_PLACE),
	S(start_seconds, KT_DURATION, RC_IN_PLACE),
	S(start_retries, KT_UINT, RC_IN_PLACE),
	S(restart_delay, KT_DURATION, RC_IN_PLACE),
	S(restart_delay_max, KT_DURATION, RC_IN_PLACE),
	S(stop_delay, KT_DURATION, RC_IN_PLACE),
	S(stop_signal, KT_SIGNAL, RC_IN_PLACE),
	S(stop_timeout, KT_DURATION_INF, RC_IN_PLACE),
	S(kill_signal, KT_SIGNAL, RC_IN_PLACE),
	S2(cleanup, cleanup, KT_COMMAND, cleanup_argv, false, RC_IN_PLACE),
	S(cleanup_timeout, KT_DURATION_INF, RC_IN_PLACE),
	S2(after, after, KT_NAMES, nafter, true, RC_IN_PLACE),
	S2(requires, requires, KT_REQUIRES, nrequires, true, RC_IN_PLACE),
	S(type, KT_TYPE, RC_RESTART),
	R2(prepare, KT_COMMAND, prepare_argv, RC_IN_PLACE),
	R(prepare_timeout, KT_DURATION_INF, RC_IN_PLACE),
	R2(stop_command, KT_COMMAND, stop_command_argv, RC_IN_PLACE),
	S2(listen, listen, KT_LISTEN, nlisten, true, RC_RESTART),
	S2(listen_names, listen_names, KT_WORDS, nlisten_names, true, RC_RESTART),
	S(listen_mode, KT_UMASK, RC_RESTART),
	S(listen_owner, KT_OWNER, RC_RESTART),
	R2(watch, KT_WATCH, nwatch, RC_IN_PLACE),
	R2(watch_action, KT_WATCH_ACTION, watch_signal, RC_IN_PLACE),
	R(watch_delay, KT_DURATION, RC_IN_PLACE),
	R2(ready_check, KT_CHECK, ready_check_argv, RC_CHECKS),
	R(ready_interval, KT_DURATION, RC_CHECKS),
	S(ready_timeout, KT_DURATION_INF, RC_IN_PLACE),
	S(notify, KT_BOOL, RC_RESTART),
	R2(health_check, KT_CHECK, health_check_argv, RC_CHECKS),
	R(health_interval, KT_DURATION, RC_CHECKS),
	R(health_timeout, KT_DURATION, RC_CHECKS),
	R(health_retries, KT_UINT, RC_CHECKS),
	S(check_timeout, KT_DURATION, RC_CHECKS),
	/* A new size empties the buffer (lifecycle_sync_buffer()). */
	S(output_buffer, KT_SIZE, RC_IN_PLACE),
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


size_t
config_key_count(void)
{
	return conf_nkeys;
}

const char *
config_key_name(size_t i)
{
	return conf_keys[i].name;
}

bool
config_key_in_service(size_t i)
{
	return conf_keys[i].sect == SECT_SERVICE;
}

enum reload_class
config_key_reload(size_t i)
{
	return conf_keys[i].reload;
}
