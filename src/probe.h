/*
 * Built-in probes (SPEC §14): a ready_check or health_check that corral
 * runs itself, in its loop, with no process: `tcp:HOST:PORT` (a connect
 * succeeds), `http://HOST[:PORT]/PATH` (an HTTP/1.1 GET answers 2xx or
 * 3xx) and, for readiness only, `log:REGEX` (a line of the service's
 * output matches).
 *
 * probe.c owns their syntax, the one name lookup (at load and reload,
 * never in the loop) and a run: one attempt at a time, non-blocking from
 * the socket to the last byte read, bounded by its timeout and by a
 * response read of at most PROBE_READ_MAX bytes.  An attempt copies what
 * it needs, so a reload may free the probe it came from while it is out.
 */
#ifndef CORRAL_PROBE_H
#define CORRAL_PROBE_H

#include <ev.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define PROBE_ERR_MAX	160
/* The status line must come within this many bytes: no more is read. */
#define PROBE_READ_MAX	512
#define PROBE_HOST_MAX	253
#define PROBE_PATH_MAX	1024
#define PROBE_WHY_MAX	160

enum probe_kind { PROBE_TCP, PROBE_HTTP, PROBE_LOG };

struct probe {
	enum probe_kind	 kind;
	char		 host[PROBE_HOST_MAX + 1];	/* no brackets */
	unsigned	 port;
	char		 path[PROBE_PATH_MAX + 1];	/* http: from '/' */
	regex_t		 re;				/* log: compiled */
	bool		 has_re;			/* re needs regfree */
	struct sockaddr_storage addr;			/* tcp, http: resolved */
	socklen_t	 addrlen;
};

/* Whether text is written as a built-in probe rather than a command. */
bool	probe_is_builtin(const char *text);

/*
 * Parses text into p without looking a name up; ready: for ready_check
 * (log: is allowed only there).  Returns 0, or -1 with a reason in err.
 * What it holds is released by probe_free(), whether it succeeded or not.
 */
int	probe_parse(const char *text, bool ready, struct probe *p,
	    char err[PROBE_ERR_MAX]);

/*
 * Fills p->addr from p->host: a numeric address as it is, a name through
 * getaddrinfo(3), which may block; only at load and reload.  -1 with err.
 */
int	probe_resolve(struct probe *p, char err[PROBE_ERR_MAX]);

void	probe_free(struct probe *p);

/* The address a tcp: or http: probe connects to, "ADDR:PORT"; "" for log:. */
void	probe_address(const struct probe *p, char *buf, size_t len);

/* Whether line (len bytes, no newline) matches p, a log: probe. */
bool	probe_log_matches(const struct probe *p, const char *line, size_t len);

/* One attempt of a tcp: or http: probe. */
struct probe_run {
	int		 fd;		/* -1: none open */
	bool		 out;		/* an attempt is under way */
	ev_io		 io_w;
	ev_timer	 timeout_w;
	bool		 http;
	bool		 connected;
	char		 target[PROBE_HOST_MAX + 16];	/* "HOST:PORT" */
	char		 req[PROBE_PATH_MAX + PROBE_HOST_MAX + 96];
	size_t		 req_len, req_sent;
	char		 buf[PROBE_READ_MAX + 1];
	size_t		 buf_len;
	int		 start_errno;	/* socket or connect failed at once */
	/* The attempt's end: ok, or why it failed; the run is idle again. */
	void		(*done)(struct probe_run *, bool ok, const char *why);
	void		*ctx;
};

void	probe_run_init(struct probe_run *r,
	    void (*done)(struct probe_run *, bool, const char *), void *ctx);

/*
 * Starts an attempt of p bounded by timeout seconds; done is called once,
 * from a later loop turn (never from inside this call).
 */
void	probe_start(struct ev_loop *loop, struct probe_run *r,
	    const struct probe *p, double timeout);

bool	probe_running(const struct probe_run *r);

/* Ends an attempt without calling done; nothing is left open. */
void	probe_cancel(struct ev_loop *loop, struct probe_run *r);

#endif
