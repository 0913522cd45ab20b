/*
 * The ring of output_buffer and its readers (logbuf.h).  Positions are
 * counted from the buffer's first byte ever, and lines from its first line
 * ever, so they only grow: byte p of the stream lives at p % cap while
 * head <= p < tail, and line number n is still there while head_seq <= n.
 * A reader is (seq, pos) of its next line; comparing seq with head_seq
 * tells whether the ring has overwritten it, and by how many lines.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logbuf.h"

#define STDERR_BIT	0x80000000u

struct logbuf {
	char		*ring;
	size_t		 cap;
	uint64_t	 head, tail;		/* bytes: oldest record, end */
	uint64_t	 head_seq, tail_seq;	/* lines: oldest, next */
	struct logbuf_reader *readers;
};

struct logbuf_reader {
	struct logbuf	*b;		/* NULL once the buffer is gone */
	uint64_t	 seq;		/* next line to read */
	uint64_t	 pos;		/* ... its record, while seq >= head_seq */
	uint64_t	 end_seq;	/* not following: where reading ends */
	unsigned long	 dropped;	/* lost, not told yet */
	bool		 follow;
	bool		 waiting;	/* read everything: wake on a new line */
	logbuf_wake_fn	*wake;
	void		*ctx;
	struct logbuf_reader *next, **prevp;
};

static void
ring_put(struct logbuf *b, uint64_t pos, const void *src, size_t n)
{
	size_t at = (size_t)(pos % b->cap), first = b->cap - at;

	if (first > n)
		first = n;
	memcpy(b->ring + at, src, first);
	memcpy(b->ring, (const char *)src + first, n - first);
}

static void
ring_get(const struct logbuf *b, uint64_t pos, void *dst, size_t n)
{
	size_t at = (size_t)(pos % b->cap), first = b->cap - at;

	if (first > n)
		first = n;
	memcpy(dst, b->ring + at, first);
	memcpy((char *)dst + first, b->ring, n - first);
}

/* The length of the line whose record starts at pos. */
static size_t
record_len(const struct logbuf *b, uint64_t pos)
{
	uint32_t h;

	ring_get(b, pos, &h, sizeof(h));
	return h & ~STDERR_BIT;
}

struct logbuf *
logbuf_new(size_t size)
{
	struct logbuf *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	if ((b->ring = malloc(size)) == NULL) {
		free(b);
		return NULL;
	}
	b->cap = size;
	return b;
}

void
logbuf_free(struct logbuf *b)
{
	struct logbuf_reader *r, *next;

	if (b == NULL)
		return;
	for (r = b->readers; r != NULL; r = next) {
		next = r->next;
		r->b = NULL;
		r->next = NULL;
		r->prevp = NULL;
		r->wake(r->ctx);
	}
	free(b->ring);
	free(b);
}

size_t
logbuf_size(const struct logbuf *b)
{
	return b != NULL ? b->cap : 0;
}

int
logbuf_resize(struct logbuf *b, size_t size)
{
	char *ring = malloc(size);

	if (ring == NULL)
		return -1;
	free(b->ring);
	b->ring = ring;
	b->cap = size;
	/*
	 * Every line so far is gone: readers behind count them as lost, and a
	 * reader that had read them all is where the next line goes.
	 */
	b->head = b->tail;
	b->head_seq = b->tail_seq;
	return 0;
}

void
logbuf_line(struct logbuf *b, int stream, const char *line, size_t len)
{
	struct logbuf_reader *r;
	uint32_t h;

	if (len > LOGBUF_LINE_MAX)
		len = LOGBUF_LINE_MAX;
	if (len > b->cap - LOGBUF_HDR)
		len = b->cap - LOGBUF_HDR;
	while (b->tail - b->head + LOGBUF_HDR + len > b->cap) {
		b->head += LOGBUF_HDR + record_len(b, b->head);
		b->head_seq++;
	}
	h = (uint32_t)len | (stream == 2 ? STDERR_BIT : 0);
	ring_put(b, b->tail, &h, sizeof(h));
	ring_put(b, b->tail + LOGBUF_HDR, line, len);
	b->tail += LOGBUF_HDR + len;
	b->tail_seq++;
	for (r = b->readers; r != NULL; r = r->next)
		if (r->waiting) {
			r->waiting = false;
			r->wake(r->ctx);
		}
}

struct logbuf_reader *
logbuf_reader_new(struct logbuf *b, size_t nlines, bool follow,
    logbuf_wake_fn *wake, void *ctx)
{
	struct logbuf_reader *r = calloc(1, sizeof(*r));
	uint64_t held = b->tail_seq - b->head_seq;

	if (r == NULL)
		return NULL;
	r->b = b;
	r->follow = follow;
	r->wake = wake;
	r->ctx = ctx;
	r->end_seq = b->tail_seq;
	r->seq = b->head_seq;
	r->pos = b->head;
	/* Found by walking from the oldest: once per request, never per line. */
	for (; nlines < held; held--) {
		r->pos += LOGBUF_HDR + record_len(b, r->pos);
		r->seq++;
	}
	r->next = b->readers;
	if (b->readers != NULL)
		b->readers->prevp = &r->next;
	r->prevp = &b->readers;
	b->readers = r;
	return r;
}

void
logbuf_reader_free(struct logbuf_reader *r)
{
	if (r == NULL)
		return;
	if (r->prevp != NULL) {
		*r->prevp = r->next;
		if (r->next != NULL)
			r->next->prevp = r->prevp;
	}
	free(r);
}

/* Lines the ring overwrote before r read them become r's notice. */
static void
catch_up(struct logbuf_reader *r)
{
	const struct logbuf *b = r->b;
	uint64_t to = b->head_seq;

	if (r->seq >= to)
		return;
	if (!r->follow && to > r->end_seq)
		to = r->end_seq;
	r->dropped += (unsigned long)(to - r->seq);
	r->seq = b->head_seq;
	r->pos = b->head;
}

size_t
logbuf_read(struct logbuf_reader *r, char *buf, size_t cap, bool *done)
{
	const struct logbuf *b = r->b;
	uint64_t last;
	size_t n = 0;

	*done = false;
	if (b != NULL)
		catch_up(r);
	if (r->dropped > 0) {
		n = (size_t)snprintf(buf, cap, LOGBUF_DROPPED_FMT, r->dropped);
		r->dropped = 0;
	}
	if (b == NULL) {
		*done = n == 0;
		return n;
	}
	last = r->follow ? b->tail_seq : r->end_seq;
	while (r->seq < last) {
		size_t len = record_len(b, r->pos);

		if (n + len + 1 > cap)
			break;
		ring_get(b, r->pos + LOGBUF_HDR, buf + n, len);
		buf[n + len] = '\n';
		n += len + 1;
		r->pos += LOGBUF_HDR + len;
		r->seq++;
	}
	if (n == 0) {
		*done = !r->follow;
		r->waiting = r->follow;
	}
	return n;
}
