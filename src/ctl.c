/*
 * corralctl: the client of corral's control socket.  It turns its command
 * line into one request line, prints the reply, and exits with a status a
 * script can test (see corralctl(1)):
 *   0 done, 1 corral refused or failed the request, 2 usage,
 *   3 corral is not reachable, 4 permission denied.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "ctlpath.h"
#include "verbs.h"

enum { EX_DONE, EX_FAILED, EX_USAGE, EX_UNREACHABLE, EX_DENIED };

#define REPLY_TIMEOUT_MS	30000

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: corralctl [-s SOCKET] [--json] status [NAME...]\n"
	    "       corralctl [-s SOCKET] start|stop|restart NAME...\n"
	    "       corralctl [-s SOCKET] signal NAME SIGNAL\n"
	    "       corralctl [-s SOCKET] reload [--dry-run]\n"
	    "       corralctl [-s SOCKET] shutdown | check | metrics | reopen\n"
	    "       corralctl [-s SOCKET] logs NAME [-n LINES] [-f]\n");
}

/* Whether word can go in a request line as one word. */
static bool
is_word(const char *word)
{
	return *word != '\0' && strpbrk(word, " \t\n") == NULL;
}

/*
 * Writes the request for the command line argv[0..argc): the verb, the
 * options it takes among *opts (which gains those of the line), then its
 * arguments.  The options the verb
 * takes may also come among its arguments, as in `corralctl status
 * --json` or `corralctl logs web -n 10`.  Returns the verb, or NULL for a
 * line that corral would not take (a usage error).
 */
static const struct verb *
build_request(int argc, char *argv[], unsigned *opts, char *buf, size_t len)
{
	const struct verb *v = verb_find(argv[0]);
	const char *value[VOPT__COUNT] = { NULL };
	char *args[argc];
	unsigned o;
	size_t n, nargs = 0;
	int i;

	if (v == NULL)
		return NULL;
	for (i = 1; i < argc; i++) {
		if ((o = verb_option(argv[i]) & v->options) == 0) {
			args[nargs++] = argv[i];
			continue;
		}
		*opts |= o;
		if ((o & VOPT_VALUED) == 0)
			continue;
		if (++i == argc || !is_word(argv[i]))
			return NULL;
		for (int k = 0; k < VOPT__COUNT; k++)
			if (o == 1u << k)
				value[k] = argv[i];
	}
	if (!verb_args_ok(v, nargs))
		return NULL;
	n = (size_t)snprintf(buf, len, "%s", v->name);
	for (i = 0; i < VOPT__COUNT && n < len; i++)
		if (*opts & v->options & (1u << i))
			n += (size_t)snprintf(buf + n, len - n, " %s%s%s",
			    verb_option_words[i], value[i] != NULL ? " " : "",
			    value[i] != NULL ? value[i] : "");
	for (size_t k = 0; k < nargs && n < len; k++) {
		if (!is_word(args[k]))
			return NULL;
		n += (size_t)snprintf(buf + n, len - n, " %s", args[k]);
	}
	if (n + 2 > len)
		return NULL;
	buf[n++] = '\n';
	buf[n] = '\0';
	return v;
}

/* Returns the socket, -2 when permission was denied, -1 otherwise. */
static int
connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "corralctl: %s: socket path too long\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		fprintf(stderr, "corralctl: unable to create a socket: %s\n",
		    strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		int e = errno;

		(void)close(fd);
		/* The socket's mode refused us: as a 'denied' from corral. */
		if (e == EACCES || e == EPERM) {
			fprintf(stderr, "corralctl: %s: permission denied\n", path);
			return -2;
		}
		fprintf(stderr, "corralctl: cannot reach corral at %s: %s%s\n",
		    path, strerror(e), e == ENOENT || e == ECONNREFUSED ?
		    " (is corral running? -s or $CORRAL_SOCKET pick another "
		    "socket)" : "");
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t r = send(fd, buf, len, MSG_NOSIGNAL);

		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		buf += r;
		len -= (size_t)r;
	}
	return 0;
}

/* Reads the whole reply (corral closes after it); NULL on error. */
static char *
read_reply(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (buf != NULL) {
		ssize_t r;

		if (len + 1 == cap) {
			char *nb = realloc(buf, cap * 2);

			if (nb == NULL)
				break;
			buf = nb;
			cap *= 2;
		}
		if (poll(&p, 1, REPLY_TIMEOUT_MS) == 0) {
			fprintf(stderr, "corralctl: no reply from corral "
			    "within %d s\n", REPLY_TIMEOUT_MS / 1000);
			break;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			break;
		if (r == 0) {
			buf[len] = '\0';
			return buf;
		}
		len += (size_t)r;
	}
	free(buf);
	return NULL;
}

static volatile sig_atomic_t quit;

static void
on_quit(int sig)
{
	(void)sig;
	quit = 1;
}

/* Writes all of buf to stdout; -1 once it is gone (or we are told to quit). */
static int
put_out(const char *buf, size_t len)
{
	while (len > 0 && !quit) {
		ssize_t r = write(STDOUT_FILENO, buf, len);

		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		buf += r;
		len -= (size_t)r;
	}
	return quit ? -1 : 0;
}

/*
 * `logs`: corral's first line says ok, error or denied; after "ok" the
 * lines are printed as they come, and with -f they never end but by
 * SIGINT or SIGTERM, or a reader of stdout that went away, all of which
 * end corralctl as a success.  Only a follower waits without a bound.
 */
static int
stream_logs(int fd, bool follow, const char *path)
{
	/* No SA_RESTART: a signal must end the wait in poll(). */
	struct sigaction sa = { .sa_handler = on_quit };
	char buf[65536];
	size_t len = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	const char *nl = NULL;
	int status = -1;
	ssize_t r;

	if (sigemptyset(&sa.sa_mask) == -1 || sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fprintf(stderr, "corralctl: unable to catch signals: %s\n",
		    strerror(errno));
	for (;;) {
		if (poll(&p, 1, follow && status == EX_DONE ? -1 :
		    REPLY_TIMEOUT_MS) == 0) {
			fprintf(stderr, "corralctl: no reply from corral within "
			    "%d s\n", REPLY_TIMEOUT_MS / 1000);
			return EX_UNREACHABLE;
		}
		if (quit)
			return EX_DONE;
		r = read(fd, buf + len, sizeof(buf) - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (status == -1 && (nl = memchr(buf, '\n', len)) == NULL &&
		    len < sizeof(buf))
			continue;
		if (status == -1) {
			status = strncmp(buf, "ok\n", 3) == 0 ? EX_DONE :
			    strncmp(buf, "denied\n", 7) == 0 ? EX_DENIED :
			    EX_FAILED;
			len -= nl != NULL ? (size_t)(nl + 1 - buf) : 0;
			memmove(buf, nl != NULL ? nl + 1 : buf, len);
		}
		if (status == EX_DENIED)
			len = 0;
		else if (status == EX_FAILED)
			fwrite(buf, 1, len, stderr);
		else if (put_out(buf, len) == -1)
			return EX_DONE;
		len = 0;
	}
	if (status == -1 || r == -1) {
		fprintf(stderr, "corralctl: lost the connection to corral at "
		    "%s\n", path);
		return EX_UNREACHABLE;
	}
	if (status == EX_DENIED)
		fprintf(stderr, "corralctl: %s: permission denied\n", path);
	return status;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	char req[CONTROL_REQUEST_MAX], *reply, *body;
	const struct verb *v = NULL;
	unsigned opts = 0;
	int ch, fd, status;

	while ((ch = getopt_long(argc, argv, "+s:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			path = optarg;
			break;
		case 'j':
			opts |= VOPT(JSON);
			break;
		case 'h':
			usage(stdout);
			return EX_DONE;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 ||
	    (v = build_request(argc, argv, &opts, req, sizeof(req))) == NULL) {
		usage(stderr);
		return EX_USAGE;
	}
	if (path == NULL || *path == '\0')
		path = control_default_path();
	if (path == NULL) {
		fprintf(stderr, "corralctl: no socket given (-s SOCKET or "
		    "$CORRAL_SOCKET) and no XDG_RUNTIME_DIR\n");
		return EX_UNREACHABLE;
	}
	if ((fd = connect_to(path)) < 0)
		return fd == -2 ? EX_DENIED : EX_UNREACHABLE;
	if (v->id == VERB_LOGS && send_all(fd, req, strlen(req)) == 0) {
		status = stream_logs(fd, (opts & VOPT(FOLLOW)) != 0, path);
		(void)close(fd);
		return status;
	}
	if (v->id == VERB_LOGS || send_all(fd, req, strlen(req)) == -1 ||
	    (reply = read_reply(fd)) == NULL) {
		fprintf(stderr, "corralctl: lost the connection to corral at "
		    "%s\n", path);
		(void)close(fd);
		return EX_UNREACHABLE;
	}
	(void)close(fd);
	body = strchr(reply, '\n');
	body = body != NULL ? body + 1 : reply + strlen(reply);
	if (strncmp(reply, "ok\n", 3) == 0) {
		fputs(body, stdout);
		status = EX_DONE;
	} else if (strncmp(reply, "denied\n", 7) == 0) {
		fprintf(stderr, "corralctl: %s: permission denied\n", path);
		status = EX_DENIED;
	} else {
		/* Status and check failures are answers: print them on stdout. */
		fputs(body, v->id == VERB_CHECK ? stdout : stderr);
		status = EX_FAILED;
	}
	free(reply);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "corralctl: unable to write: %s\n",
		    strerror(errno));
		return EX_FAILED;
	}
	return status;
}
