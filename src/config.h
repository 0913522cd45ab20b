/*
 * The configuration: what corral.conf(5) says, validated, with defaults
 * applied.  A struct config is immutable once config_load() returns it; a
 * reload builds a new one and the supervisor swaps services over to it.
 *
 * Problems are collected, never printed here: every one is a complete line
 * "FILE:LINE: message", and loading goes on after an error so that one run
 * of `corral -t` shows them all.
 */
#ifndef CORRAL_CONFIG_H
#define CORRAL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "probe.h"
#include "sockets.h"
#include "values.h"

#define SERVICE_NAME_MAX	64
#define INSTANCES_MAX		1000
/* NAME.999 must fit in SERVICE_NAME_MAX. */
#define GROUP_NAME_MAX		(SERVICE_NAME_MAX - 4)
#define CONFIG_LINE_MAX		200	/* Debian's inih buffer, newline included */
#define CONFIG_FILE_MAX		(4 << 20)

enum restart_policy { RESTART_NEVER, RESTART_ON_FAILURE, RESTART_ALWAYS };
enum svc_type { TYPE_SIMPLE, TYPE_ONESHOT };
enum watch_action { WATCH_RESTART, WATCH_SIGNAL, WATCH_RELOAD };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/*
 * The sinks of `output` (SPEC §16), a bit each.  inherit and null stand
 * alone; the others combine, and with any of them corral reads the
 * service's pipes and writes every line to each.
 */
#define OUT_INHERIT	0x01u
#define OUT_NULL	0x02u
#define OUT_PREFIX	0x04u
#define OUT_JOURNAL	0x08u
#define OUT_FILE	0x10u

struct output_set {
	unsigned	 sinks;			/* OUT_* bits */
	char		**files;		/* OUT_FILE: absolute paths */
	size_t		 nfiles;
};

#define OUTPUT_BUFFER_MAX	(16u << 20)	/* SPEC §16 */

/* The resource limits a service may set, in the order of their keys. */
#define SVC_LIMITS(X)							\
	X(nofile, RLIMIT_NOFILE) X(nproc, RLIMIT_NPROC)			\
	X(core, RLIMIT_CORE) X(memlock, RLIMIT_MEMLOCK)
#define AS_LIMIT_ENUM(name, res) LIMIT_##name,
enum svc_limit { SVC_LIMITS(AS_LIMIT_ENUM) LIMIT__COUNT };

struct limit {
	bool		 set;
	rlim_t		 soft;
	rlim_t		 hard;
};
enum shutdown_order { ORDER_PARALLEL, ORDER_SEQUENTIAL };

/*
 * The settings most services leave at their defaults.  Services that set
 * none of them share one constant block, svc_rare_defaults, so that a
 * hundred plain services do not carry a hundred copies of it.
 */
struct svc_rare {
	struct limit	 limits[LIMIT__COUNT];
	struct exit_set	 success_codes;
	char		*ready_check;		/* as written; NULL: none */
	char		**ready_check_argv;	/* NULL for a built-in probe */
	struct probe	*ready_probe;		/* NULL for a command */
	double		 ready_interval;
	char		*health_check;
	char		**health_check_argv;
	struct probe	*health_probe;
	double		 health_interval;
	double		 health_timeout;
	unsigned	 health_retries;
	double		 watchdog;		/* from WATCHDOG_USEC; 0: none */
	char		*prepare;		/* as written; NULL: none */
	char		**prepare_argv;
	double		 prepare_timeout;
	char		*stop_command;		/* as written; NULL: stop_signal */
	char		**stop_command_argv;
	char		**watch;		/* paths; a leading '-': may be missing */
	size_t		 nwatch;
	enum watch_action watch_action;
	int		 watch_signal;		/* WATCH_SIGNAL */
	double		 watch_delay;
	size_t		 output_max_size;	/* file: sinks rotate; 0: never */
	unsigned	 output_keep;		/* rotated files kept */
	bool		 output_timestamps;	/* before prefixed lines */
};

extern const struct svc_rare svc_rare_defaults;

struct svc_conf {
	char		 name[SERVICE_NAME_MAX + 1];
	bool		 has_passwd;		/* user has an entry: HOME etc. */
	bool		 foreground;		/* main on a terminal (not a key) */
	int		 line;			/* of the [service:NAME] header */
	unsigned	 file;			/* ... in its config's files[] */
	unsigned	 index;			/* position in the config */
	int		 instance;		/* NAME.i of instances; -1: none */
	unsigned char	 group_len;		/* of NAME in NAME.i; 0: none */
	unsigned	 instances;		/* of its section; 0: not set */
	bool		 disabled;		/* a condition does not hold */
	char		*decided;		/* which condition decided; NULL: none */
	const struct svc_rare *rare;		/* never NULL */

	char		*command;		/* as written */
	char		**argv;
	char		*directory;		/* NULL: corral's cwd */
	char		*user;			/* as written; NULL: corral's */
	uid_t		 uid;
	gid_t		 gid;			/* user's primary group, or group */
	char		*home;
	char		*user_name;
	char		*group;			/* as written; NULL: user's */
	int		 umask;			/* -1: corral's */
	struct output_set output;
	size_t		 output_buffer;		/* bytes kept for logs; 0: none */
	char		**env;			/* KEY=VALUE, NULL-terminated: */
	size_t		 nenv;			/* env_file's, then environment's */
	char		**env_file;		/* paths, resolved */
	size_t		 nenv_file;
	char		**condition;		/* as expanded */
	size_t		 ncondition;

	bool		 autostart;
	bool		 critical;
	bool		 notify;		/* READY=1 over NOTIFY_SOCKET */
	enum restart_policy restart;
	double		 start_seconds;
	unsigned	 start_retries;
	int		 stop_signal;
	double		 restart_delay;
	double		 restart_delay_max;

	double		 stop_delay;
	double		 stop_timeout;		/* resolved against [corral] */
	int		 kill_signal;
	int		 after_line;		/* of the first 'after' key */

	char		*cleanup;		/* as written; NULL: no hook */
	char		**cleanup_argv;
	double		 cleanup_timeout;	/* resolved against [corral] */
	double		 ready_timeout;		/* for ready_check and notify */
	double		 check_timeout;		/* a probe's try; as stop_timeout */

	char		**after;		/* names; NULL-terminated */
	size_t		 nafter;
	unsigned	*after_idx;		/* indexes into config->services */
	/* Each is in after too: requires implies after (SPEC §14). */
	char		**requires;
	size_t		 nrequires;
	unsigned	*requires_idx;
	enum svc_type	 type;

	struct listen_addr *listen;		/* owned sockets (SPEC §15) */
	size_t		 nlisten;
	char		**listen_names;		/* inherited ones it takes */
	size_t		 nlisten_names;
	int		 listen_mode;		/* unix sockets; -1: 0666 */
	char		*listen_owner;		/* as written; NULL: corral's */
	uid_t		 listen_uid;
	gid_t		 listen_gid;
};

struct config {
	char		*path;			/* as given; "(command line)" for -- */
	char		**files;		/* read: path, then included ones */
	size_t		 nfiles;
	char		**include;		/* patterns, expanded */
	size_t		 ninclude;
	double		 stop_timeout;
	double		 cleanup_timeout;
	double		 check_timeout;
	enum shutdown_order shutdown_order;
	double		 shutdown_deadline;	/* 0: none */
	uint64_t	 forward_signals;	/* bit (sig - 1) */
	int		 log_level;		/* enum log_level */
	bool		 log_timestamps;
	enum log_format	 log_format;
	char		*control_socket;	/* NULL: the default; "none" */
	char		*control_group;		/* as written */
	gid_t		 control_gid;
	char		*status_file;
	char		*metrics_file;		/* NULL: none */
	char		*on_state;		/* as written; NULL: none */
	char		**on_state_argv;
	bool		 subreaper;
	bool		 strict;

	struct svc_conf	**services;		/* in file order */
	size_t		 nservices;
};

/* Problems found while loading, each a whole line without newline. */
struct diag {
	char		**lines;
	size_t		 n;
	size_t		 cap;
	size_t		 nerrors;		/* the rest are warnings */
};

void	diag_add(struct diag *d, bool error, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	diag_free(struct diag *d);

/*
 * Reads and validates path.  Returns a config, or NULL with at least one
 * error in d.  Warnings (which do not fail the load) are added to d too.
 */
struct config *config_load(const char *path, struct diag *d);

/* Same, from memory; path is only used in messages.  For tests and fuzzing. */
struct config *config_parse(const char *path, const char *buf, size_t len,
	    struct diag *d);

/*
 * A config with no file: defaults only.  Used for single-command mode, where
 * the command becomes service "main" through config_add_main().
 */
struct config *config_default(void);
int	config_add_main(struct config *c, char *const argv[], struct diag *d);

void	config_free(struct config *c);

/* Frees one service's config (one that a reload took out of its config). */
void	config_free_service(struct svc_conf *s);

/*
 * What a reload does about a change of a key (corral(8), RELOAD).  Each row
 * of the key table has one; the service classes are in order of strength,
 * so that of several changes the largest value wins.
 */
enum reload_class {
	RC_UNSET,		/* no class: a key table row that forgot it */
	RC_NONE,		/* config_compare(): nothing differs */
	RC_IN_PLACE,		/* applies from the reload on */
	RC_CHECKS,		/* in place, and the service's checks start over */
	RC_RESTART,		/* the process would differ: the service restarts */
	RC_AT_START,		/* [corral] only: read when corral starts */
	RC_SET,			/* decides which services there are and which
				   run: the reload starts and stops the
				   difference; not compared */
};

/*
 * How a reload must apply the differences between a service's settings
 * under its old config and its new one: the strongest class of the keys
 * whose values differ, RC_RESTART too when the uid, gid (looked up again at
 * each load) or terminal differ; RC_NONE when nothing does.
 */
enum reload_class config_compare(const struct svc_conf *old,
	    const struct svc_conf *new);

/* The key table, row i from 0 to config_key_count() - 1; for tests. */
size_t	config_key_count(void);
const char *config_key_name(size_t i);
bool	config_key_in_service(size_t i);	/* false: a [corral] key */
enum reload_class config_key_reload(size_t i);

/* Looks a service up by name; NULL if absent. */
struct svc_conf *config_find(const struct config *c, const char *name);

/*
 * Whether name names s: its own name, or the NAME of its section when s is
 * one of the instances NAME.0 ... NAME.N-1 (SPEC §13).
 */
static inline bool
config_names(const struct svc_conf *s, const char *name)
{
	return strcmp(s->name, name) == 0 || (s->group_len != 0 &&
	    strncmp(s->name, name, s->group_len) == 0 &&
	    name[s->group_len] == '\0');
}

/* Whether corral starts s by itself: autostart, and its conditions hold. */
static inline bool
config_autostarts(const struct svc_conf *s)
{
	return s->autostart && !s->disabled;
}

/* The file that defines s (of c, the config s was loaded in). */
static inline const char *
config_file_of(const struct config *c, const struct svc_conf *s)
{
	return s->file < c->nfiles ? c->files[s->file] : c->path;
}

/* The log: probe of s's ready_check, whose output corral reads; or NULL. */
static inline const struct probe *
config_log_probe(const struct svc_conf *s)
{
	const struct probe *p = s->rare->ready_probe;

	return p != NULL && p->kind == PROBE_LOG ? p : NULL;
}

static inline bool
config_forwards(const struct config *c, int sig)
{
	return sig >= 1 && sig <= 64 && (c->forward_signals >> (sig - 1)) & 1;
}

#endif
