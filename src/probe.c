/*
 * Built-in probes: their syntax, their one name lookup, and an attempt run
 * in the loop.  See probe.h.
 *
 * Invariants:
 * - Nothing here blocks while the loop runs: a name is looked up only by
 *   probe_resolve(), at load; an attempt's socket is non-blocking from
 *   its creation, and what it reads is bounded by PROBE_READ_MAX.
 * - An attempt owns at most one descriptor and two watchers, and every way
 *   out of it (done, cancel) closes and stops them all.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"
#include "sysdb.h"

bool
probe_is_builtin(const char *text)
{
	return strncmp(text, "tcp:", 4) == 0 ||
	    strncasecmp(text, "http://", 7) == 0 ||
	    strncasecmp(text, "https://", 8) == 0 || strncmp(text, "log:", 4) == 0;
}

/* "1".."65535" and nothing else; 0 when it is not. */
static unsigned
parse_port(const char *s, size_t len)
{
	unsigned v = 0;

	if (len == 0 || len > 5)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v <= 65535 ? v : 0;
}

static bool
host_char(char ch, bool v6)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '.')
		return true;
	return v6 ? ch == ':' || ch == '%' : ch == '-' || ch == '_';
}

/*
 * HOST[:PORT] of len bytes into p; a bracketed IPv6 address keeps its
 * colons.  need_port: tcp: must name one, http: defaults to 80.
 */
static int
parse_authority(const char *s, size_t len, bool need_port, struct probe *p,
    char err[PROBE_ERR_MAX])
{
	const char *host = s, *colon = NULL;
	size_t hlen;
	bool v6 = len > 0 && s[0] == '[';

	if (v6) {
		const char *close = memchr(s, ']', len);

		if (close == NULL) {
			snprintf(err, PROBE_ERR_MAX, "'[' without its ']' in "
			    "the host");
			return -1;
		}
		host = s + 1;
		hlen = (size_t)(close - host);
		if (close + 1 < s + len) {
			if (close[1] != ':') {
				snprintf(err, PROBE_ERR_MAX, "']' must be "
				    "followed by ':PORT' or nothing");
				return -1;
			}
			colon = close + 1;
		}
	} else {
		colon = memchr(s, ':', len);
		hlen = colon != NULL ? (size_t)(colon - s) : len;
	}
	if (hlen == 0 || hlen > PROBE_HOST_MAX) {
		snprintf(err, PROBE_ERR_MAX, hlen == 0 ? "no host" :
		    "the host is longer than %d bytes", PROBE_HOST_MAX);
		return -1;
	}
	for (size_t i = 0; i < hlen; i++)
		if (!host_char(host[i], v6)) {
			snprintf(err, PROBE_ERR_MAX, "'%.*s' is not a host "
			    "name or address", (int)hlen, host);
			return -1;
		}
	memcpy(p->host, host, hlen);
	p->host[hlen] = '\0';
	if (colon == NULL) {
		p->port = 80;
		if (!need_port)
			return 0;
		snprintf(err, PROBE_ERR_MAX, "no port (write tcp:HOST:PORT)");
		return -1;
	}
	if ((p->port = parse_port(colon + 1, (size_t)(s + len - colon - 1))) == 0) {
		snprintf(err, PROBE_ERR_MAX, "'%.*s' is not a port (1 to 65535)",
		    (int)(s + len - colon - 1), colon + 1);
		return -1;
	}
	return 0;
}

static int
parse_http(const char *rest, struct probe *p, char err[PROBE_ERR_MAX])
{
	const char *slash = strchr(rest, '/');
	size_t alen = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	const char *path = slash != NULL ? slash : "/";

	p->kind = PROBE_HTTP;
	if (parse_authority(rest, alen, false, p, err) == -1)
		return -1;
	if (strlen(path) > PROBE_PATH_MAX) {
		snprintf(err, PROBE_ERR_MAX, "the path is longer than %d bytes",
		    PROBE_PATH_MAX);
		return -1;
	}
	/* It goes into the request line as written: no space, no control. */
	for (const char *c = path; *c != '\0'; c++)
		if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f ||
		    *c == '#') {
			snprintf(err, PROBE_ERR_MAX, "the path may hold no space, "
			    "control byte, '#' or non-ASCII byte (percent-encode "
			    "it)");
			return -1;
		}
	snprintf(p->path, sizeof(p->path), "%s", path);
	return 0;
}

/*
 * glibc's regcomp(3) copies a repeated part once per repetition it may
 * need, so stacked or nested quantifiers grow the compiled form
 * exponentially: 25 characters of `a++++...` take more than 20 GB.  This
 * weighs an extended regex as the copies it asks for (an atom is 1, `*`,
 * `+` and `?` double what they repeat, `{m,n}` multiplies it by n + 1: a
 * bound on what glibc builds, whichever it copies) and refuses it
 * past REGEX_WEIGHT_MAX, before regcomp() sees it; and it refuses back
 * references, whose matching may take exponential time on a line.
 */
#define REGEX_WEIGHT_MAX	256
#define REGEX_DEPTH_MAX		32

/* The n of {m,n} (m of {m} or {m,}) at *pp, which it moves past '}'. */
static unsigned long
brace_count(const char **pp)
{
	char *q;
	unsigned long m = strtoul(*pp + 1, &q, 10), n = m;

	if (*q == ',' && q[1] >= '0' && q[1] <= '9')
		n = strtoul(q + 1, &q, 10);
	else if (*q == ',')
		q++;
	if (*q == '}')
		*pp = q;
	return n > m ? n : m;
}

/* The end of the bracket expression that starts at p ('['). */
static const char *
bracket_end(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	for (; *p != '\0' && *p != ']'; p++)
		if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
			const char *close = strstr(p + 2, p[1] == ':' ? ":]" :
			    p[1] == '.' ? ".]" : "=]");

			if (close == NULL)
				return p + strlen(p) - 1;
			p = close + 1;
		}
	return *p == '\0' ? p - 1 : p;
}

static int
regex_weight(const char *re, char err[PROBE_ERR_MAX])
{
	unsigned long total[REGEX_DEPTH_MAX + 1] = { 0 };
	unsigned long last[REGEX_DEPTH_MAX + 1] = { 0 };
	int depth = 0;

	for (const char *p = re; *p != '\0'; p++) {
		unsigned long k = 0;

		switch (*p) {
		case '(':
			if (++depth > REGEX_DEPTH_MAX) {
				snprintf(err, PROBE_ERR_MAX, "log: nests groups "
				    "deeper than %d", REGEX_DEPTH_MAX);
				return -1;
			}
			total[depth] = last[depth] = 0;
			continue;
		case ')':
			if (depth == 0)
				break;
			/* glibc copies an empty group, and an anchor, too. */
			last[depth - 1] = total[depth] > 0 ? total[depth] : 1;
			total[depth - 1] += last[depth - 1];
			depth--;
			continue;
		case '|':
			continue;
		case '*':
		case '?':
		case '+':
			k = 2;
			break;
		case '{':
			k = brace_count(&p) + 1;
			break;
		case '[':
			p = bracket_end(p);
			break;
		case '\\':
			if (p[1] >= '1' && p[1] <= '9') {
				snprintf(err, PROBE_ERR_MAX, "log: back "
				    "references (\\%c) are refused: matching "
				    "them may take exponential time", p[1]);
				return -1;
			}
			if (p[1] != '\0')
				p++;
			break;
		default:
			break;
		}
		if (k == 0) {
			last[depth] = 1;
			total[depth]++;
		} else if (last[depth] > 0) {
			if (k > REGEX_WEIGHT_MAX)
				k = REGEX_WEIGHT_MAX + 1;
			total[depth] += last[depth] * (k - 1);
			last[depth] *= k;
		}
		if (total[depth] > REGEX_WEIGHT_MAX || last[depth] >
		    REGEX_WEIGHT_MAX) {
			snprintf(err, PROBE_ERR_MAX, "log: the regular expression "
			    "repeats too much (stacked or nested repetitions "
			    "compile to more than %d copies)", REGEX_WEIGHT_MAX);
			return -1;
		}
	}
	return 0;
}

int
probe_parse(const char *text, bool ready, struct probe *p,
    char err[PROBE_ERR_MAX])
{
	int rc;

	memset(p, 0, sizeof(*p));
	if (strncmp(text, "tcp:", 4) == 0) {
		p->kind = PROBE_TCP;
		return parse_authority(text + 4, strlen(text + 4), true, p, err);
	}
	if (strncasecmp(text, "https://", 8) == 0) {
		snprintf(err, PROBE_ERR_MAX, "corral's probes speak plain HTTP, "
		    "not TLS (probe a plain port, or use a command)");
		return -1;
	}
	if (strncasecmp(text, "http://", 7) == 0)
		return parse_http(text + 7, p, err);
	if (strncmp(text, "log:", 4) != 0) {
		snprintf(err, PROBE_ERR_MAX, "not a built-in probe (tcp:, "
		    "http:// or log:)");
		return -1;
	}
	p->kind = PROBE_LOG;
	if (!ready) {
		snprintf(err, PROBE_ERR_MAX, "log: is for ready_check only (a "
		    "line once seen cannot go bad again)");
		return -1;
	}
	if (text[4] == '\0') {
		snprintf(err, PROBE_ERR_MAX, "log: needs a regular expression");
		return -1;
	}
	if (regex_weight(text + 4, err) == -1)
		return -1;
	if ((rc = regcomp(&p->re, text + 4, REG_EXTENDED | REG_NOSUB)) != 0) {
		char why[96];

		(void)regerror(rc, &p->re, why, sizeof(why));
		snprintf(err, PROBE_ERR_MAX, "'%s' is not an extended regular "
		    "expression: %s", text + 4, why);
		return -1;
	}
	p->has_re = true;
	return 0;
}

int
probe_resolve(struct probe *p, char err[PROBE_ERR_MAX])
{
	if (p->kind == PROBE_LOG ||
	    sysdb_address(p->host, p->port, &p->addr, &p->addrlen) == 0)
		return 0;
	return sysdb_host(p->host, p->port, &p->addr, &p->addrlen, err,
	    PROBE_ERR_MAX);
}

void
probe_free(struct probe *p)
{
	if (p != NULL && p->has_re) {
		regfree(&p->re);
		p->has_re = false;
	}
}

void
probe_address(const struct probe *p, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	bool v6 = p->addr.ss_family == AF_INET6;
	const void *a = v6 ?
	    (const void *)&((const struct sockaddr_in6 *)&p->addr)->sin6_addr :
	    (const void *)&((const struct sockaddr_in *)&p->addr)->sin_addr;

	buf[0] = '\0';
	if (p->kind == PROBE_LOG || p->addrlen == 0)
		return;
	if (inet_ntop(p->addr.ss_family, a, host, sizeof(host)) == NULL)
		snprintf(host, sizeof(host), "?");
	snprintf(buf, len, "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "",
	    p->port);
}

bool
probe_log_matches(const struct probe *p, const char *line, size_t len)
{
	char buf[8192 + 1];

	/* regexec(3) wants a string; a longer line is matched on its start. */
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, line, len);
	buf[len] = '\0';
	return regexec(&p->re, buf, 0, NULL, 0) == 0;
}

/* ---- an attempt ---- */

static void
finish(struct probe_run *r, struct ev_loop *loop, bool ok, const char *why)
{
	probe_cancel(loop, r);
	r->done(r, ok, why);
}

/* A status line "HTTP/1.x NNN ..." with NNN 2xx or 3xx. */
static void
judge(struct probe_run *r, struct ev_loop *loop, bool eof)
{
	char why[PROBE_WHY_MAX];
	int code;

	r->buf[r->buf_len] = '\0';
	if (strncmp(r->buf, "HTTP/1.", 7) != 0 || r->buf_len < 12 ||
	    sscanf(r->buf + 8, " %3d", &code) != 1 || code < 100) {
		snprintf(why, sizeof(why), r->buf_len == 0 && eof ?
		    "%.100s closed the connection without answering" :
		    "%.100s answered something other than HTTP/1.x", r->target);
		finish(r, loop, false, why);
		return;
	}
	if (code >= 200 && code < 400) {
		finish(r, loop, true, NULL);
		return;
	}
	snprintf(why, sizeof(why), "%.100s answered %d", r->target, code);
	finish(r, loop, false, why);
}

static void
fail_errno(struct probe_run *r, struct ev_loop *loop, const char *what, int e)
{
	char why[PROBE_WHY_MAX];

	snprintf(why, sizeof(why), "%s %.100s: %s", what, r->target, strerror(e));
	finish(r, loop, false, why);
}

static void
send_more(struct probe_run *r, struct ev_loop *loop)
{
	ssize_t n = send(r->fd, r->req + r->req_sent, r->req_len - r->req_sent,
	    MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			fail_errno(r, loop, "sending to", errno);
		return;
	}
	r->req_sent += (size_t)n;
	if (r->req_sent == r->req_len) {
		ev_io_stop(loop, &r->io_w);
		ev_io_set(&r->io_w, r->fd, EV_READ);
		ev_io_start(loop, &r->io_w);
	}
}

static void
read_more(struct probe_run *r, struct ev_loop *loop)
{
	ssize_t n = recv(r->fd, r->buf + r->buf_len,
	    PROBE_READ_MAX - r->buf_len, MSG_DONTWAIT);

	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			fail_errno(r, loop, "reading from", errno);
		return;
	}
	r->buf_len += (size_t)n;
	if (n == 0 || r->buf_len == PROBE_READ_MAX ||
	    memchr(r->buf, '\n', r->buf_len) != NULL)
		judge(r, loop, n == 0);
}

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct probe_run *r = w->data;
	int e = 0;
	socklen_t elen = sizeof(e);

	(void)revents;
	if (!r->connected) {
		if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &e, &elen) == -1)
			e = errno;
		if (e != 0) {
			fail_errno(r, loop, "connect to", e);
			return;
		}
		r->connected = true;
		if (!r->http) {
			finish(r, loop, true, NULL);
			return;
		}
	}
	if (r->req_sent < r->req_len)
		send_more(r, loop);
	else
		read_more(r, loop);
}

static void
timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct probe_run *r = w->data;
	char why[PROBE_WHY_MAX];

	(void)revents;
	if (r->fd == -1) {
		/* The socket could not be made: said from this turn, not start's. */
		fail_errno(r, loop, "connect to", r->start_errno);
		return;
	}
	snprintf(why, sizeof(why), "%s %.100s timed out after %gs",
	    !r->connected ? "connect to" : r->req_sent < r->req_len ?
	    "sending to" : "waiting for an answer from", r->target,
	    w->repeat > 0 ? w->repeat : 0);
	finish(r, loop, false, why);
}

void
probe_run_init(struct probe_run *r,
    void (*done)(struct probe_run *, bool, const char *), void *ctx)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->done = done;
	r->ctx = ctx;
	ev_init(&r->io_w, io_cb);
	ev_init(&r->timeout_w, timeout_cb);
	r->io_w.data = r->timeout_w.data = r;
}

static void
describe_target(struct probe_run *r, const struct probe *p)
{
	bool v6 = strchr(p->host, ':') != NULL;

	snprintf(r->target, sizeof(r->target), "%s%s%s:%u", v6 ? "[" : "",
	    p->host, v6 ? "]" : "", p->port);
	r->req_len = r->req_sent = 0;
	if (!r->http)
		return;
	/* Connection: close, so that the server never waits on corral. */
	r->req_len = (size_t)snprintf(r->req, sizeof(r->req),
	    "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: corral\r\n"
	    "Accept: */*\r\nConnection: close\r\n\r\n", p->path, r->target);
}

void
probe_start(struct ev_loop *loop, struct probe_run *r, const struct probe *p,
    double timeout)
{
	probe_cancel(loop, r);
	r->out = true;
	r->http = p->kind == PROBE_HTTP;
	r->connected = false;
	r->buf_len = 0;
	describe_target(r, p);
	/* The timer holds the bound, and repeat remembers it for the message. */
	ev_timer_set(&r->timeout_w, timeout, timeout);
	r->fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (r->fd == -1 || (connect(r->fd, (const struct sockaddr *)&p->addr,
	    p->addrlen) == -1 && errno != EINPROGRESS)) {
		r->start_errno = errno;		/* timeout_cb reports it */
		if (r->fd != -1)
			(void)close(r->fd);
		r->fd = -1;
		ev_timer_set(&r->timeout_w, 0, timeout);
		ev_timer_start(loop, &r->timeout_w);
		return;
	}
	/* Connected or not yet: either way it shows as writable. */
	ev_io_set(&r->io_w, r->fd, EV_WRITE);
	ev_io_start(loop, &r->io_w);
	ev_timer_start(loop, &r->timeout_w);
}

bool
probe_running(const struct probe_run *r)
{
	return r->out;
}

void
probe_cancel(struct ev_loop *loop, struct probe_run *r)
{
	r->out = false;
	ev_io_stop(loop, &r->io_w);
	ev_timer_stop(loop, &r->timeout_w);
	if (r->fd != -1) {
		(void)close(r->fd);	/* a probe's socket: nothing to flush */
		r->fd = -1;
	}
}
