/*
 * What the files of the config loader share, and nothing outside them
 * includes: a row of the key table, a section and an entry of the files
 * being read, and the loader that carries them from reading (confread.c,
 * conffiles.c) through composing services from sections (confcompose.c)
 * and applying values (confapply.c) to validation (config.c).
 */
#ifndef CORRAL_CONFLOAD_H
#define CORRAL_CONFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

enum sect_kind { SECT_NONE, SECT_CORRAL, SECT_SERVICE, SECT_INVALID };

enum key_type {
	KT_DURATION,		/* double, seconds */
	KT_DURATION_INF,	/* double, seconds, "infinity" allowed */
	KT_SIGNAL,		/* int */
	KT_BOOL,		/* bool */
	KT_UINT,		/* unsigned */
	KT_COMMAND,		/* char * as written, char ** argv at off2 */
	KT_PATH,		/* char * */
	KT_ENV,			/* char ** env, size_t count at off2 */
	KT_NAMES,		/* char ** names, size_t count at off2 */
	KT_RESTART,		/* enum restart_policy */
	KT_ORDER,		/* enum shutdown_order */
	KT_EXIT_CODES,		/* struct exit_set */
	KT_SIGSET,		/* uint64_t */
	KT_LOG_LEVEL,		/* int */
	KT_USER,		/* char * as written; uid, gid, passwd fields */
	KT_GROUP,		/* char * as written; gid */
	KT_UMASK,		/* int */
	KT_LIMIT,		/* struct limit */
	KT_OUTPUT,		/* enum output_mode, char * output_path at off2 */
	KT_PATTERNS,		/* char ** glob patterns, size_t count at off2 */
	KT_ENV_FILE,		/* char ** paths, size_t count at off2; env */
	KT_CONDITION,		/* char ** conditions, size_t count at off2 */
	KT_INSTANCES,		/* unsigned; read by confcompose.c */
	KT_TYPE,		/* enum svc_type */
	KT_REQUIRES,		/* char ** names, size_t count at off2; after too */
	KT_LISTEN,		/* struct listen_addr *, size_t count at off2 */
	KT_WORDS,		/* char ** words, size_t count at off2 */
	KT_OWNER,		/* char * as written; listen_uid, listen_gid */
	KT_WATCH,		/* char ** paths, size_t count at off2 */
	KT_WATCH_ACTION,	/* enum watch_action, int signal at off2 */
	KT_CHECK,		/* KT_COMMAND, or a built-in probe (probe.h) */
	KT_SIZE,		/* size_t, bytes */
	KT__COUNT
};

/* A row of the key table (confkeys.c). */
struct key {
	enum sect_kind	 sect;
	const char	*name;
	enum key_type	 type;
	size_t		 off;
	size_t		 off2;
	bool		 repeatable;	/* a second "key =" line adds to it */
	bool		 rare;		/* off is into struct svc_rare */
	enum reload_class reload;	/* what a reload does about a change */
};

struct section {
	enum sect_kind	 kind;
	int		 line;
	unsigned	 file;		/* index into the config's files[] */
	char		 name[SERVICE_NAME_MAX + 1];	/* SECT_SERVICE */
	size_t		 first;		/* its entries: nentries from first */
	size_t		 nentries;
	/* Its services (confcompose.c): one, or one per instance. */
	struct svc_conf	**svcs;
	unsigned	 nsvcs;
};

/* One "key = value" of the file, continuation lines joined. */
struct entry {
	struct section	*sect;
	const struct key *key;		/* NULL: unknown, already reported */
	char		*value;
	int		 line;
	bool		 comment_cut;	/* an inline " ;" comment cut the line */
};

/* Which file is which, whatever path reached it. */
struct file_id {
	dev_t		 dev;
	ino_t		 ino;
};

struct loader {
	struct diag	*d;
	struct config	*c;
	struct file_id	*ids;		/* of the included files read */
	size_t		 nids;

	/* The file being read: its index in c->files, and what it may hold. */
	unsigned	 file;
	bool		 included;

	/* read_line() state */
	const char	*buf;
	size_t		 len;
	size_t		 pos;
	int		 lineno;
	bool		 indented;	/* current line starts with a blank */
	bool		 comment_cut;
	bool		 have_key;	/* a key was set in this section */
	char		 line[CONFIG_LINE_MAX + 1];

	struct section	**sects;	/* each allocated alone: entries point at them */
	size_t		 nsects;
	struct section	*cur;		/* NULL before the first header */
	bool		 seen_corral;

	struct entry	*entries;
	size_t		 nentries;
	bool		 oom;

	/* The expansion of the value being applied (confapply.c). */
	int		 instance;	/* ${CORRAL_INSTANCE}; -1: none */
	bool		 missing;	/* it named an unset or empty variable */
};

#endif
