/*
 * Reading the pipes of services and hooks, splitting what they write into
 * lines, and handing the lines of each read to the stream's sinks in one
 * batch: to corral's own stream (sink.h) charged to the stream, which
 * pauses while it has OUTPUT_QUEUE_MAX bytes waiting and resumes once half
 * of them are out; to its files and the journal, which drop what they
 * cannot take.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "container.h"
#include "filesink.h"
#include "journal.h"
#include "log.h"
#include "logfmt.h"
#include "output.h"

#define READ_CHUNK		65536
/* Reads per drain: a writer that never stops must not keep the loop here. */
#define DRAIN_READS		16

static struct ev_loop	*out_loop;

void
output_init(struct ev_loop *loop)
{
	out_loop = loop;
}

static void
pause_stream(struct output_stream *st)
{
	if (!st->paused) {
		st->paused = true;
		ev_io_stop(out_loop, &st->w);
	}
}

static void
released(struct sink_account *a)
{
	struct output_stream *st = container_of(a, struct output_stream, acct);

	if (st->paused && a->queued <= OUTPUT_QUEUE_MAX / 2) {
		st->paused = false;
		if (st->fd == -1)
			return;
		ev_io_start(out_loop, &st->w);
		/*
		 * Lines held in the stream, or a pipe to finish, need no new
		 * byte in the pipe: an empty pipe would never wake the watcher.
		 */
		if (st->held_len > 0 || st->finishing)
			ev_feed_event(out_loop, &st->w, EV_READ);
	}
}

/*
 * The lines of the read being split, dressed for corral's own stream
 * (text) and as they are for the file sinks (raw), written at the end of
 * the read, or before, when one would overflow.  One batch for all the
 * streams: a read is split and written before another stream is read.
 */
#define TEXT_CAP	(OUTPUT_BATCH_MAX + LOGFMT_JSON_MAX(OUTPUT_LINE_MAX))
#define RAW_CAP		(OUTPUT_BATCH_MAX + OUTPUT_LINE_MAX + 1)

struct batch {
	struct output_stream *st;
	size_t		 text_len;
	size_t		 raw_len;
	char		 stamp[LOGFMT_TIME_MAX];
	size_t		 stamp_len;	/* 0: not taken for this batch */
	char		 head[LOGFMT_JSON_HEAD_MAX];	/* JSON up to msg */
	size_t		 head_len;	/* 0: not made for this batch */
	char		 text[TEXT_CAP];
	char		 raw[RAW_CAP];
};

/*
 * Allocated at the first line: 190 KiB that a corral whose services'
 * output it never reads (inherit, null) does not map at all, and that
 * does not spread its small variables over more pages.
 */
static struct batch	*bp;

static void
flush_text(void)
{
	struct output_stream *st = bp->st;
	size_t len = bp->text_len;

	if (len == 0)
		return;
	bp->text_len = 0;
	sink_relay(st->to, &st->acct, bp->text, len);
	if (st->acct.queued >= OUTPUT_QUEUE_MAX)
		pause_stream(st);
}

static void
flush_raw(void)
{
	const struct output_route *r = &bp->st->route;

	for (size_t i = 0; i < r->nfiles; i++)
		filesink_write(&r->files[i], bp->raw, bp->raw_len);
	bp->raw_len = 0;
}

/* Writes what the batch holds; the stream's lines are all out after it. */
static void
batch_flush(void)
{
	if (bp == NULL || bp->st == NULL)
		return;
	flush_text();
	flush_raw();
	bp->stamp_len = bp->head_len = 0;
	bp->st = NULL;
}

/* The time of the batch's lines: they were read at the same moment. */
static const char *
batch_time(size_t *len)
{
	if (bp->stamp_len == 0)
		bp->stamp_len = logfmt_time(bp->stamp);
	*len = bp->stamp_len;
	return bp->stamp;
}

static void
add_text(struct output_stream *st, const char *line, size_t len)
{
	size_t plen = strlen(st->prefix), tlen = 0, need;
	const char *t = NULL;
	char *o;

	need = logfmt_json() ? LOGFMT_JSON_MAX(len) :
	    LOGFMT_TIME_MAX + plen + len + 5;
	if (bp->text_len + need > TEXT_CAP ||
	    bp->text_len >= OUTPUT_BATCH_MAX)
		flush_text();
	o = bp->text + bp->text_len;
	if (logfmt_json() || st->route.timestamps)
		t = batch_time(&tlen);
	if (logfmt_json()) {
		/* The batch's lines share all their fields but msg. */
		if (bp->head_len == 0)
			bp->head_len = logfmt_json_head(bp->head, t, tlen,
			    st->prefix, st->to == SINK_STDERR ? "stderr" :
			    "stdout", st->to == SINK_STDERR ? "error" : "info");
		memcpy(o, bp->head, bp->head_len);
		bp->text_len += bp->head_len +
		    logfmt_json_tail(o + bp->head_len, line, len);
		return;
	}
	if (tlen > 0) {
		memcpy(o, t, tlen);
		o[tlen++] = ' ';
	}
	memcpy(o + tlen, st->prefix, plen);
	memcpy(o + tlen + plen, " | ", 3);
	memcpy(o + tlen + plen + 3, line, len);
	o[tlen + plen + 3 + len] = '\n';
	bp->text_len += tlen + plen + len + 4;
}

static void
add_raw(const char *line, size_t len)
{
	if (bp->raw_len + len + 1 > RAW_CAP ||
	    bp->raw_len >= OUTPUT_BATCH_MAX)
		flush_raw();
	memcpy(bp->raw + bp->raw_len, line, len);
	bp->raw[bp->raw_len + len] = '\n';
	bp->raw_len += len + 1;
}

static void
emit(struct output_stream *st, const char *line, size_t len)
{
	unsigned sinks = st->route.sinks;

	if (st->logbuf != NULL)
		logbuf_line(st->logbuf, st->to == SINK_STDERR ? 2 : 1, line, len);
	if (st->on_line != NULL)
		st->on_line(st, line, len, st->ctx);
	if (bp == NULL && (bp = calloc(1, sizeof(*bp))) == NULL) {
		log_warnx("%s: out of memory; a line is dropped", st->prefix);
		return;
	}
	if (bp->st != st) {
		batch_flush();
		bp->st = st;
	}
	if (sinks & OUT_PREFIX)
		add_text(st, line, len);
	if (sinks & OUT_FILE)
		add_raw(line, len);
	if (sinks & OUT_JOURNAL)
		journal_line(st->prefix, st->to == SINK_STDERR, line, len);
}

size_t
output_split(struct output_stream *st, const char *buf, size_t len,
    void (*emit_fn)(struct output_stream *, const char *, size_t))
{
	size_t all = len;

	/* Stops at the bound: a short line may cost far more than its bytes. */
	while (len > 0 && st->acct.queued < OUTPUT_QUEUE_MAX) {
		const char *nl = memchr(buf, '\n', len);
		size_t n = nl != NULL ? (size_t)(nl - buf) : len;
		size_t take;

		/*
		 * The newline that ends a line of exactly N * OUTPUT_LINE_MAX
		 * bytes belongs to the piece already written: no empty line.
		 */
		if (st->just_split && n == 0 && nl != NULL) {
			st->just_split = false;
			buf++;
			len--;
			continue;
		}
		st->just_split = false;
		if (st->partial_len == 0 && nl != NULL && n <= OUTPUT_LINE_MAX) {
			emit_fn(st, buf, n);
			buf += n + 1;
			len -= n + 1;
			continue;
		}
		if (st->partial == NULL &&
		    (st->partial = malloc(OUTPUT_LINE_MAX)) == NULL) {
			log_warnx("%s: out of memory; dropping output",
			    st->prefix);
			return all;
		}
		take = OUTPUT_LINE_MAX - st->partial_len;
		if (take > n)
			take = n;
		memcpy(st->partial + st->partial_len, buf, take);
		st->partial_len += take;
		buf += take;
		len -= take;
		if (take == n && nl != NULL && st->partial_len < OUTPUT_LINE_MAX) {
			emit_fn(st, st->partial, st->partial_len);
			st->partial_len = 0;
			buf++;
			len--;
		} else if (st->partial_len == OUTPUT_LINE_MAX) {
			/* Too long: what is there goes out as a line of its own. */
			emit_fn(st, st->partial, st->partial_len);
			st->partial_len = 0;
			st->just_split = true;
		}
	}
	return all - len;
}

enum read_result { READ_DATA, READ_AGAIN, READ_END, READ_FULL };

/*
 * What a read brought but the bound left unsplit waits in the stream (at
 * most one read) until the sink takes enough: the pipe is not read again
 * before it is out.
 */
static void
hold(struct output_stream *st, const char *buf, size_t len, size_t used)
{
	if (used == len)
		return;
	if (st->held == NULL && (st->held = malloc(READ_CHUNK)) == NULL) {
		log_warnx("%s: out of memory; dropping output", st->prefix);
		return;
	}
	memcpy(st->held, buf + used, len - used);
	st->held_off = 0;
	st->held_len = len - used;
	pause_stream(st);
}

static enum read_result
split_held(struct output_stream *st)
{
	size_t n = output_split(st, st->held + st->held_off, st->held_len,
	    emit);

	batch_flush();
	st->held_off += n;
	st->held_len -= n;
	if (st->held_len > 0) {
		pause_stream(st);
		return READ_FULL;
	}
	free(st->held);
	st->held = NULL;
	return READ_DATA;
}

static enum read_result
read_some(struct output_stream *st)
{
	char buf[READ_CHUNK];
	size_t room, used;
	ssize_t r;

	if (st->held_len > 0)
		return split_held(st);
	if (st->acct.queued >= OUTPUT_QUEUE_MAX) {
		pause_stream(st);
		return READ_FULL;
	}
	/* Never more than the bound has room for; what the split leaves waits. */
	room = OUTPUT_QUEUE_MAX - st->acct.queued;
	if (room > sizeof(buf))
		room = sizeof(buf);
	if (st->finishing && room > st->finish_left)
		room = st->finish_left;
	if (room == 0)
		return READ_AGAIN;
	do
		r = read(st->fd, buf, room);
	while (r == -1 && errno == EINTR);
	if (r > 0) {
		if (st->finishing)
			st->finish_left -= (size_t)r;
		used = output_split(st, buf, (size_t)r, emit);
		batch_flush();
		hold(st, buf, (size_t)r, used);
		return READ_DATA;
	}
	if (r == -1 && errno == EAGAIN)
		return READ_AGAIN;
	if (r == -1)
		log_warn("%s: unable to read output", st->prefix);
	return READ_END;
}

static void
stream_eof(struct output_stream *st)
{
	output_stream_close(st);
	if (st->on_eof != NULL)
		st->on_eof(st, st->ctx);
}

/* Reads up to DRAIN_READS times; true when the stream closed. */
static bool
read_more(struct output_stream *st)
{
	for (int i = 0; i < DRAIN_READS && st->fd != -1; i++)
		switch (read_some(st)) {
		case READ_DATA:
			break;
		case READ_AGAIN:
			/* A finished writer left nothing more: that is its end. */
			if (st->finishing)
				stream_eof(st);
			return st->fd == -1;
		case READ_END:
			stream_eof(st);
			return true;
		case READ_FULL:
			return false;
		}
	return st->fd == -1;
}

static void
stream_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	(void)read_more(container_of(w, struct output_stream, w));
}

void
output_stream_open(struct output_stream *st, int fd, int to,
    const char *prefix, void (*on_eof)(struct output_stream *, void *),
    void *ctx)
{
	st->fd = fd;
	st->to = to == STDERR_FILENO ? SINK_STDERR : SINK_STDOUT;
	st->acct.queued = 0;
	st->acct.released = released;
	snprintf(st->prefix, sizeof(st->prefix), "%s", prefix);
	st->paused = false;
	st->finishing = false;
	st->partial_len = 0;
	st->just_split = false;
	st->on_eof = on_eof;
	st->ctx = ctx;
	st->route = (struct output_route){ .sinks = OUT_PREFIX };
	st->on_line = NULL;
	st->logbuf = NULL;
	ev_io_init(&st->w, stream_read_cb, fd, EV_READ);
	ev_io_start(out_loop, &st->w);
}

void
output_stream_route(struct output_stream *st, const struct output_route *route)
{
	st->route = *route;
}

void
output_stream_tap(struct output_stream *st,
    void (*on_line)(struct output_stream *, const char *, size_t, void *))
{
	st->on_line = on_line;
}

void
output_stream_drain(struct output_stream *st)
{
	(void)read_more(st);
}

bool
output_stream_finish(struct output_stream *st)
{
	int held;

	if (st->fd == -1)
		return true;
	/*
	 * What the pipe holds now is the rest of what the process wrote; a
	 * process outside its group that keeps the pipe open and writing
	 * must not keep it open for ever.
	 */
	if (!st->finishing) {
		st->finishing = true;
		st->finish_left = ioctl(st->fd, FIONREAD, &held) == 0 &&
		    held >= 0 ? (size_t)held : SIZE_MAX;
	}
	return read_more(st);
}

void
output_stream_abandon(struct output_stream *st)
{
	int left = 0;

	if (st->fd == -1)
		return;
	if (ioctl(st->fd, FIONREAD, &left) == -1)
		left = 0;
	left += (int)st->held_len;
	if (left > 0)
		log_warnx("%s: %d bytes of output dropped: %s was not being "
		    "read", st->prefix, left,
		    st->to == SINK_STDERR ? "stderr" : "stdout");
	output_stream_close(st);
}

bool
output_stream_open_p(const struct output_stream *st)
{
	return st->fd != -1;
}

bool
output_stream_paused(const struct output_stream *st)
{
	return st->fd != -1 && st->paused;
}

void
output_stream_close(struct output_stream *st)
{
	if (st->fd == -1)
		return;
	ev_io_stop(out_loop, &st->w);
	(void)close(st->fd);
	st->fd = -1;
	if (st->partial_len > 0) {
		emit(st, st->partial, st->partial_len);
		batch_flush();
	}
	st->partial_len = 0;
	free(st->partial);
	st->partial = NULL;
	free(st->held);
	st->held = NULL;
	st->held_len = 0;
	/*
	 * Its waiting lines still go out, but no longer on its account: the
	 * stream may be freed (its service retired) before they do.
	 */
	sink_disown(&st->acct);
	st->paused = false;
	st->finishing = false;
	st->on_line = NULL;
	st->route = (struct output_route){ .sinks = OUT_PREFIX };
}
