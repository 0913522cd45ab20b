/*
 * `output = prefix`: corral reads each service's stdout and stderr pipes in
 * its loop and copies every line to its own stdout or stderr as
 * "NAME | line".
 *
 * Lines are never lost and never interleaved: each one is written whole by
 * a single writer (corral), and what corral's own stdout cannot take yet is
 * queued.  The loop never blocks on a slow reader: corral writes through a
 * non-blocking descriptor of its own, and when a stream has OUTPUT_QUEUE_MAX
 * bytes queued, corral stops reading that stream, so the service blocks on
 * its own writes instead.
 */
#ifndef CORRAL_OUTPUT_H
#define CORRAL_OUTPUT_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>

/* A longer line is written as several lines of at most this many bytes. */
#define OUTPUT_LINE_MAX		8192
#define OUTPUT_QUEUE_MAX	(64 * 1024)

struct output_sink;

struct output_stream {
	int		 fd;		/* read end of the pipe, or -1 at EOF */
	ev_io		 w;
	char		 prefix[80];	/* "web" or "web/cleanup" */
	struct output_sink *sink;
	size_t		 queued;	/* bytes of this stream in the sink */
	bool		 paused;
	char		*partial;	/* a line without its newline yet */
	size_t		 partial_len;
	bool		 just_split;	/* a full-length piece went out last */
	/* Called once, at end-of-file. */
	void		(*on_eof)(struct output_stream *, void *);
	void		*ctx;
};

/*
 * Prepares corral's stdout and stderr as sinks.  A pipe gets a non-blocking
 * open file description of its own (reopened through /proc), so that the
 * services that inherit the same pipe keep their blocking one.
 */
void	output_init(struct ev_loop *loop);
/* Flushes what is queued (bounded wait); call after the streams are closed. */
void	output_free(void);

/* Starts reading fd (the read end of a pipe) into corral's stdout (1) or stderr (2). */
void	output_stream_open(struct output_stream *st, int fd, int to,
	    const char *prefix, void (*on_eof)(struct output_stream *, void *),
	    void *ctx);

/* Reads whatever is readable now, without blocking; for a process that ended. */
void	output_stream_drain(struct output_stream *st);

/* Stops reading, writes a pending partial line, closes the pipe. */
void	output_stream_close(struct output_stream *st);

bool	output_stream_open_p(const struct output_stream *st);

/*
 * Splits buf into lines for st, calling emit for each complete line (without
 * its newline); keeps an unfinished tail in st->partial.  Exposed for tests.
 */
void	output_split(struct output_stream *st, const char *buf, size_t len,
	    void (*emit)(struct output_stream *, const char *, size_t));

#endif
