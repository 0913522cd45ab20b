/*
 * corral's entry point: the command line, `-t`, start-up, the loop and the
 * exit status.  Anything fatal happens here, before ev_run(); once the loop
 * runs, corral only exits when the shutdown is complete (SPEC §6).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <ev.h>

#include "config.h"
#include "control.h"
#include "log.h"
#include "notify.h"
#include "journal.h"
#include "logfmt.h"
#include "output.h"
#include "plan.h"
#include "requests.h"
#include "shutdown.h"
#include "sockets.h"
#include "watch.h"
#include "signals.h"
#include "supervisor.h"

#define CORRAL_VERSION	"0.1.0"
#define DEFAULT_CONFIG	"/etc/corral.conf"

enum { EXIT_CONFIG = 1, EXIT_USAGE = 2 };

struct options {
	const char	*config;
	bool		 check;
	int		 verbosity;	/* -1 quiet, 0 as configured, 1 debug */
	char *const	*command;	/* NULL-terminated, or NULL */
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: corral [-c FILE] [-t] [-v|-q] [--] [COMMAND [ARG...]]\n"
	    "       corral --version | --help\n"
	    "\n"
	    "  -c, --config FILE  config file (default $CORRAL_CONFIG, else "
	    DEFAULT_CONFIG " when no COMMAND is given)\n"
	    "  -t, --check        check the config and exit; with -v, print "
	    "the plan\n"
	    "  -v, --verbose      log level debug\n"
	    "  -q, --quiet        log level warn\n"
	    "  COMMAND ARG...     run COMMAND as the critical service 'main'\n"
	    "\n"
	    "See corral(8) and corral.conf(5).\n");
}

static int
parse_args(int argc, char *argv[], struct options *o)
{
	static const struct option longopts[] = {
		{ "config",	required_argument, NULL, 'c' },
		{ "check",	no_argument,	   NULL, 't' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "quiet",	no_argument,	   NULL, 'q' },
		{ "version",	no_argument,	   NULL, 'V' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	/* '+': the first non-option word starts COMMAND, as with tini. */
	while ((ch = getopt_long(argc, argv, "+c:tvq", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 't':
			o->check = true;
			break;
		case 'v':
			o->verbosity = 1;
			break;
		case 'q':
			o->verbosity = -1;
			break;
		case 'V':
			printf("corral %s\n", CORRAL_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc)
		o->command = argv + optind;
	if (o->config == NULL && o->command == NULL) {
		o->config = getenv("CORRAL_CONFIG");
		if (o->config == NULL || *o->config == '\0')
			o->config = DEFAULT_CONFIG;
	}
	return 0;
}

static struct config *
load(const struct options *o)
{
	struct config *c;
	struct diag d = { 0 };

	c = o->config != NULL ? config_load(o->config, &d) : config_default();
	if (c != NULL && c->path == NULL &&
	    (c->path = strdup("(command line)")) == NULL) {
		config_free(c);
		c = NULL;
		diag_add(&d, true, "out of memory");
	}
	if (c != NULL && o->command != NULL &&
	    config_add_main(c, o->command, &d) == -1) {
		config_free(c);
		c = NULL;
	}
	/* `docker run -it image corral -- bash` must behave like bash. */
	if (c != NULL && o->command != NULL && o->config == NULL &&
	    isatty(STDIN_FILENO))
		config_find(c, "main")->foreground = true;
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.lines[i]);
	diag_free(&d);
	return c;
}

static int
check_only(struct config *c, const struct options *o)
{
	struct plan p;

	if (plan_build(c, &p) == -1) {
		fprintf(stderr, "%s: out of memory\n", c->path);
		return EXIT_CONFIG;
	}
	(void)plan_warn(c, &p, stderr);
	printf("%s: ok (%zu service%s)\n", c->path, c->nservices,
	    c->nservices == 1 ? "" : "s");
	if (o->verbosity > 0)
		plan_print(c, &p, stdout);
	plan_free(&p);
	return 0;
}

/*
 * Orphans of services are reparented to the nearest subreaper; without one
 * (corral not PID 1, e.g. under systemd or in a test) they would escape to
 * PID 1 and never be waited for by the service's stop sequence.
 */
static void
become_subreaper(const struct config *c)
{
	if (getpid() == 1 || !c->subreaper)
		return;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		log_warn("unable to become a child subreaper; orphans of "
		    "services will not be reaped by corral");
}

/*
 * Started with fd 0, 1 or 2 closed, corral's first descriptors (the config
 * file, the epoll instance, the signalfd, the control socket) would take
 * their numbers: its log lines and its services' inherited stdio would go
 * into them (SPEC §12).  /dev/null fills every gap: open() takes the lowest
 * free number, so opening until it returns one above 2 fills them all.
 * Returns 0, or -1 with errno set.
 */
static int
fill_stdio(void)
{
	int fd;

	do
		fd = open("/dev/null", O_RDWR | O_NOCTTY);
	while (fd >= 0 && fd <= STDERR_FILENO);
	if (fd == -1)
		return -1;
	return close(fd);
}

/* SIGHUP: errors are logged by the reload itself; nobody reads the reply. */
static void
reload_on_hup(void)
{
	struct strbuf reply = { 0 };

	(void)request_reload(false, &reply);
	sb_free(&reply);
}

/* What -t would warn of the deadline, said at every start too. */
static void
warn_plan(const struct config *c)
{
	struct plan p;

	if (plan_build(c, &p) == 0) {
		(void)plan_warn(c, &p, stderr);
		plan_free(&p);
	}
}

/* The services' listening sockets: before any starts, with corral's rights. */
static int
open_sockets(const struct config *c)
{
	char err[VALUE_ERR_MAX];

	if (sockets_bind(c, err) == -1) {
		log_errorx("%s", err);
		return -1;
	}
	sockets_commit(c);
	return 0;
}

/* The log as the file and -v/-q ask; -t and usage errors stay text. */
static void
start_logging(const struct config *c, const struct options *o)
{
	log_init(o->verbosity > 0 ? LOGL_DEBUG : o->verbosity < 0 ? LOGL_WARN :
	    (enum log_level)c->log_level, c->log_timestamps);
	logfmt_set_json(c->log_format == LOG_FORMAT_JSON);
	warn_plan(c);
}

static const struct signal_ops on_signal = {
	.shutdown = shutdown_signal,
	.forward = supervisor_forward,
	.reload = reload_on_hup,
};

int
main(int argc, char *argv[])
{
	struct options o;
	struct config *c;
	struct ev_loop *loop;
	int status;

	if (fill_stdio() == -1) {
		/* If stderr is what is missing, nobody hears of it. */
		fprintf(stderr, "corral: unable to open /dev/null onto a closed "
		    "fd 0, 1 or 2: %s\n", strerror(errno));
		return EXIT_CONFIG;
	}
	/* Socket activation's fds first: nothing else may take or pass them. */
	sockets_inherit();
	if (parse_args(argc, argv, &o) == -1)
		return EXIT_USAGE;
	c = load(&o);
	if (c == NULL)
		return EXIT_CONFIG;
	if (o.check) {
		status = check_only(c, &o);
		config_free(c);
		return status;
	}
	start_logging(c, &o);
	/*
	 * With signalfd a relayed signal costs corral one epoll_wait() and
	 * one read() instead of a handler, an eventfd write and a sigreturn
	 * (make bench W4: 7-11 us less in three runs, about the size of that
	 * machine's noise).  libev keeps the watched signals blocked, and
	 * leaves their dispositions alone: signals.c sets them, and spawn.c
	 * gives every child an empty mask and default dispositions.  Not
	 * libev's default loop: that one reaps every child itself before any
	 * callback runs, and reaper.c must see a zombie's group first.
	 */
	loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_SIGNALFD);
	if (loop == NULL) {
		log_errorx("unable to initialise the event loop");
		config_free(c);
		return EXIT_CONFIG;
	}
	become_subreaper(c);
	log_start_loop(loop);
	output_init(loop);
	(void)notify_init(loop);	/* on failure, corral runs without it */
	watch_init(loop, request_watch_fired);
	if (signals_init(loop, c, o.config != NULL, &on_signal) == -1 ||
	    supervisor_init(loop, c) == -1) {
		config_free(c);
		return EXIT_CONFIG;
	}
	if (control_init(loop, c) == -1) {
		supervisor_free();
		return EXIT_CONFIG;
	}
	if (open_sockets(c) == -1) {
		control_free();
		supervisor_free();
		return EXIT_CONFIG;
	}
	if (o.verbosity != 0)
		supervisor_fix_log_level(o.verbosity > 0 ? LOGL_DEBUG : LOGL_WARN);
	log_debug("started with %zu services (pid %d)", c->nservices,
	    (int)getpid());
	supervisor_start();
	ev_run(loop, 0);
	supervisor_report();
	status = supervisor_exit_status();
	control_free();
	signals_free(loop);
	supervisor_free();
	sockets_free();
	journal_close();
	watch_free();
	notify_free();
	log_end_loop();
	ev_loop_destroy(loop);
	return status;
}
