/*
 * The verbs of the control protocol, listed once.  corralctl (ctl.c) checks
 * a command line against this list before it sends anything; the control
 * socket (control.c) parses a request line with it, then maps the verb to
 * the supervisor call that carries it out.  Nothing here calls the
 * supervisor: corralctl links this file and not the daemon.
 *
 * A request line is "VERB [OPTION...] [ARG...]", where each OPTION is a
 * word of VERB_OPTIONS, followed by its value if it takes one, and a verb
 * takes min_args to max_args ARGs.
 * corralctl sends only the options the verb takes; corral skips any option
 * after any verb, as it always has, and a verb sees only its own.
 */
#ifndef CORRAL_VERBS_H
#define CORRAL_VERBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VERB_ARGS_ANY	SIZE_MAX

/*
 * X(ID, word, takes_value): the options, each a bit VOPT(ID) in a verb's
 * options; one that takes a value has it in the next word.
 */
#define VERB_OPTIONS(X)							\
	X(JSON, "--json", false)					\
	X(DRY_RUN, "--dry-run", false)					\
	X(FOLLOW, "-f", false)						\
	X(LINES, "-n", true)

/* X(ID, name, min_args, max_args, options) */
#define CTL_VERBS(X)							\
	X(STATUS, "status", 0, VERB_ARGS_ANY, VOPT(JSON))		\
	X(START, "start", 1, VERB_ARGS_ANY, 0)				\
	X(STOP, "stop", 1, VERB_ARGS_ANY, 0)				\
	X(RESTART, "restart", 1, VERB_ARGS_ANY, 0)			\
	X(SIGNAL, "signal", 2, 2, 0)					\
	X(RELOAD, "reload", 0, 0, VOPT(DRY_RUN))			\
	X(SHUTDOWN, "shutdown", 0, 0, 0)				\
	X(CHECK, "check", 0, 0, 0)					\
	X(METRICS, "metrics", 0, 0, 0)					\
	X(REOPEN, "reopen", 0, 0, 0)					\
	X(LOGS, "logs", 1, 1, VOPT(FOLLOW) | VOPT(LINES))

#define AS_VOPT_BIT(e, word, valued) VOPT_##e##_BIT,
#define AS_VERB_ENUM(e, name, min, max, opts) VERB_##e,
enum { VERB_OPTIONS(AS_VOPT_BIT) VOPT__COUNT };
enum verb_id { CTL_VERBS(AS_VERB_ENUM) VERB__COUNT };
#define VOPT(e)		(1u << VOPT_##e##_BIT)
#define AS_VOPT_VALUED(e, word, valued) | ((valued) ? VOPT(e) : 0u)
/* The VOPT() bits of the options that take a value. */
#define VOPT_VALUED	(0u VERB_OPTIONS(AS_VOPT_VALUED))

struct verb {
	enum verb_id	 id;
	const char	*name;
	size_t		 min_args;	/* after the options */
	size_t		 max_args;	/* or VERB_ARGS_ANY */
	unsigned	 options;	/* VOPT() bits it takes */
};

/* Indexed by enum verb_id, and by VOPT_*_BIT. */
extern const struct verb verbs[VERB__COUNT];
extern const char *const verb_option_words[VOPT__COUNT];

/* The verb called name, or NULL. */
const struct verb *verb_find(const char *name);

/* The VOPT() bit of an option word, or 0 if word is not an option. */
unsigned	verb_option(const char *word);

bool		verb_args_ok(const struct verb *v, size_t nargs);

#endif
