/*
 * Services' output that corral reads: each stdout and stderr pipe is read
 * in the loop and split into lines, and every line goes to the stream's
 * sinks: corral's own stdout or stderr as "NAME | line" (or a JSON object),
 * the journal, the service's files (SPEC §16).
 *
 * Lines are never split or interleaved: corral is their one writer, and
 * writes whole lines, a read's worth in one write.  What corral's own
 * stdout cannot take yet waits in the sink (sink.h), never lost; memory is
 * bounded by back-pressure: when a stream has OUTPUT_QUEUE_MAX bytes
 * waiting, corral stops reading its pipe, so the service blocks on its own
 * writes instead.  A read takes no more than that bound has room for, and
 * its lines can add at most one batch (OUTPUT_BATCH_MAX) on top.  Files and
 * the journal never hold a service back: what they do not take is dropped
 * and counted (filesink.h, journal.h).
 */
#ifndef CORRAL_OUTPUT_H
#define CORRAL_OUTPUT_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "logbuf.h"
#include "sink.h"

/* A longer line is written as several lines of at most this many bytes. */
#define OUTPUT_LINE_MAX		8192
#define OUTPUT_QUEUE_MAX	(64 * 1024)
/* The lines of a read are written together, up to this many bytes. */
#define OUTPUT_BATCH_MAX	(64 * 1024)

struct filesink;

/*
 * Where a stream's lines go (SPEC §16): any of OUT_PREFIX (corral's own
 * stdout or stderr, as "NAME | line" or JSON), OUT_JOURNAL and OUT_FILE
 * (the service's file sinks, shared by its streams); none at all for a
 * log: probe's null.
 */
struct output_route {
	unsigned	 sinks;		/* OUT_* bits of config.h */
	struct filesink	*files;
	size_t		 nfiles;
	bool		 timestamps;	/* output_timestamps, text mode */
};

struct output_stream {
	int		 fd;		/* read end of the pipe, or -1 at EOF */
	ev_io		 w;
	char		 prefix[80];	/* "web" or "web/cleanup" */
	enum sink_id	 to;
	struct output_route route;	/* OUT_PREFIX unless output_stream_route() */
	/* Called with each line before it goes on; NULL: none. */
	void		(*on_line)(struct output_stream *, const char *, size_t,
			    void *);
	struct sink_account acct;	/* its lines waiting in the sink */
	bool		 paused;	/* back-pressure: not reading */
	bool		 finishing;	/* its writer ended: close when read out */
	size_t		 finish_left;	/* bytes the pipe held when it ended */
	char		*held;		/* read, not split yet: over the bound */
	size_t		 held_off;
	size_t		 held_len;
	char		*partial;	/* a line without its newline yet */
	size_t		 partial_len;
	bool		 just_split;	/* a full-length piece went out last */
	/* Gets each line first (logbuf.h); NULL: none. */
	struct logbuf	*logbuf;
	/* Called once, when the stream closes at end-of-file or finished. */
	void		(*on_eof)(struct output_stream *, void *);
	void		*ctx;
};

void	output_init(struct ev_loop *loop);

/* Starts reading fd (the read end of a pipe) into corral's stdout (1) or stderr (2). */
void	output_stream_open(struct output_stream *st, int fd, int to,
	    const char *prefix, void (*on_eof)(struct output_stream *, void *),
	    void *ctx);

/* After output_stream_open(): where its lines go instead of prefix. */
void	output_stream_route(struct output_stream *st,
	    const struct output_route *route);

/* After output_stream_open(): each line goes to on_line (with ctx) first. */
void	output_stream_tap(struct output_stream *st,
	    void (*on_line)(struct output_stream *, const char *, size_t,
	    void *));

/*
 * Reads what is readable now, without blocking and within the bound; for a
 * process that ended while others may still hold the pipe.
 */
void	output_stream_drain(struct output_stream *st);

/*
 * For a pipe whose writer ended: reads what it holds now (at most), then
 * closes it and calls on_eof.  When the sink is backed up this waits for it
 * (back-pressure, nothing lost), so on_eof may come from a later loop turn.
 * Returns whether the stream is closed already.
 */
bool	output_stream_finish(struct output_stream *st);

/*
 * Gives up on a stream that waits for a reader (at a shutdown's end of the
 * window): closes it, logging how many bytes were never read.  No on_eof.
 */
void	output_stream_abandon(struct output_stream *st);

/* Stops reading, writes a pending partial line, closes the pipe. */
void	output_stream_close(struct output_stream *st);

bool	output_stream_open_p(const struct output_stream *st);
bool	output_stream_paused(const struct output_stream *st);

/*
 * Splits buf into lines for st, calling emit for each complete line (without
 * its newline); keeps an unfinished tail in st->partial.  Stops before a
 * line once st has OUTPUT_QUEUE_MAX bytes waiting; returns the bytes it
 * took.  Exposed for tests.
 */
size_t	output_split(struct output_stream *st, const char *buf, size_t len,
	    void (*emit)(struct output_stream *, const char *, size_t));

#endif
