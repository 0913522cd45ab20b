/*
 * What a reload must do for a service that is in the old config and the
 * new: the key table says, row by row, how a change of a key applies; this
 * file finds which keys differ, comparing the stored values by their type
 * at the row's offsets, and returns the strongest class.  So a key added to
 * the table is compared without a line here.  Pure: reads two svc_confs,
 * changes nothing.
 *
 * The rest of a svc_conf either follows a key compared here (argv from
 * command, watchdog from environment, the passwd fields from user) or is
 * bookkeeping (line, index, after_line, after_idx).
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "config.h"
#include "confkeys.h"

/* The value of type t that a key keeps at offset off of base. */
#define AT(t, base, off)	((t const *)(const void *)((base) + (off)))

/* Whether the values of row k at bases a and b are the same. */
typedef bool same_fn(const struct key *k, const char *a, const char *b);

static bool
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* NAN is the same as NAN: a timeout not resolved yet. */
static bool
same_double(const struct key *k, const char *a, const char *b)
{
	double x = *AT(double, a, k->off), y = *AT(double, b, k->off);

	return x == y || (isnan(x) && isnan(y));
}

static bool
same_int(const struct key *k, const char *a, const char *b)
{
	return *AT(int, a, k->off) == *AT(int, b, k->off);
}

static bool
same_bool(const struct key *k, const char *a, const char *b)
{
	return *AT(bool, a, k->off) == *AT(bool, b, k->off);
}

static bool
same_unsigned(const struct key *k, const char *a, const char *b)
{
	return *AT(unsigned, a, k->off) == *AT(unsigned, b, k->off);
}

static bool
same_size(const struct key *k, const char *a, const char *b)
{
	return *AT(size_t, a, k->off) == *AT(size_t, b, k->off);
}

static bool
same_restart(const struct key *k, const char *a, const char *b)
{
	return *AT(enum restart_policy, a, k->off) ==
	    *AT(enum restart_policy, b, k->off);
}

/* As written: the same text gives the same words. */
static bool
same_string(const struct key *k, const char *a, const char *b)
{
	return same_str(*AT(char *, a, k->off), *AT(char *, b, k->off));
}

/* A list of words at off, its length at off2. */
static bool
same_words(const struct key *k, const char *a, const char *b)
{
	size_t n = *AT(size_t, a, k->off2);
	char *const *wa = *AT(char **, a, k->off);
	char *const *wb = *AT(char **, b, k->off);

	if (n != *AT(size_t, b, k->off2))
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(wa[i], wb[i]) != 0)
			return false;
	return true;
}

/* Whole, padding included: rare_own() copies the defaults with memcpy. */
static bool
same_limit(const struct key *k, const char *a, const char *b)
{
	return memcmp(a + k->off, b + k->off, sizeof(struct limit)) == 0;
}

static bool
same_exit_codes(const struct key *k, const char *a, const char *b)
{
	return memcmp(a + k->off, b + k->off, sizeof(struct exit_set)) == 0;
}

/* The sinks, and the file sinks' paths in their order. */
static bool
same_output(const struct key *k, const char *a, const char *b)
{
	const struct output_set *oa = AT(struct output_set, a, k->off);
	const struct output_set *ob = AT(struct output_set, b, k->off);

	if (oa->sinks != ob->sinks || oa->nfiles != ob->nfiles)
		return false;
	for (size_t i = 0; i < oa->nfiles; i++)
		if (strcmp(oa->files[i], ob->files[i]) != 0)
			return false;
	return true;
}

/* The action at off, its signal at off2. */
static bool
same_watch_action(const struct key *k, const char *a, const char *b)
{
	return *AT(enum watch_action, a, k->off) ==
	    *AT(enum watch_action, b, k->off) &&
	    *AT(int, a, k->off2) == *AT(int, b, k->off2);
}

/* The texts of the listen lines: the same text is the same socket. */
static bool
same_listen(const struct key *k, const char *a, const char *b)
{
	size_t n = *AT(size_t, a, k->off2);
	const struct listen_addr *la = *AT(struct listen_addr *, a, k->off);
	const struct listen_addr *lb = *AT(struct listen_addr *, b, k->off);

	if (n != *AT(size_t, b, k->off2))
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(la[i].text, lb[i].text) != 0)
			return false;
	return true;
}

/* None for the types of [corral] keys alone: they are not compared. */
static same_fn *const same_by_type[KT__COUNT] = {
	[KT_DURATION] = same_double,
	[KT_DURATION_INF] = same_double,
	[KT_SIGNAL] = same_int,
	[KT_BOOL] = same_bool,
	[KT_UINT] = same_unsigned,
	[KT_COMMAND] = same_string,
	[KT_PATH] = same_string,
	[KT_ENV] = same_words,
	[KT_NAMES] = same_words,
	[KT_RESTART] = same_restart,
	[KT_EXIT_CODES] = same_exit_codes,
	[KT_USER] = same_string,
	[KT_GROUP] = same_string,
	[KT_UMASK] = same_int,
	[KT_LIMIT] = same_limit,
	[KT_OUTPUT] = same_output,
	[KT_SIZE] = same_size,
	[KT_ENV_FILE] = same_words,
	[KT_TYPE] = same_int,
	[KT_REQUIRES] = same_words,
	[KT_LISTEN] = same_listen,
	[KT_WORDS] = same_words,
	[KT_OWNER] = same_string,
	[KT_WATCH] = same_words,
	[KT_WATCH_ACTION] = same_watch_action,
	/* As written: a host name's address is looked up again either way. */
	[KT_CHECK] = same_string,
};

static const char *
base_of(const struct svc_conf *s, const struct key *k)
{
	return k->rare ? (const char *)s->rare : (const char *)s;
}

enum reload_class
config_compare(const struct svc_conf *old, const struct svc_conf *new)
{
	enum reload_class change = RC_NONE;

	/*
	 * Not keys, but the process depends on them too: the uid and gid of a
	 * user or group name may differ in /etc/passwd since the last load,
	 * and foreground is set from corral's terminal, not by the file.
	 */
	if (old->uid != new->uid || old->gid != new->gid ||
	    old->foreground != new->foreground)
		return RC_RESTART;
	for (size_t i = 0; i < conf_nkeys; i++) {
		const struct key *k = &conf_keys[i];

		if (k->sect == SECT_SERVICE && k->reload != RC_SET &&
		    k->reload > change &&
		    !same_by_type[k->type](k, base_of(old, k), base_of(new, k)))
			change = k->reload;
	}
	return change;
}
