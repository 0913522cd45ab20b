/*
 * Prefixed output.  Two sinks (corral's stdout and stderr) each hold a FIFO
 * of whole lines that could not be written yet; each line remembers the
 * stream it came from, so that stream is paused while it has too much
 * queued and resumed once its lines are out.
 *
 * A sink that fails for good (EPIPE, EBADF...) drops what it holds and
 * everything after, and resumes every paused stream: losing a log line is
 * better than blocking a service forever on a pipe nobody reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "log.h"
#include "output.h"

#define READ_CHUNK		65536
#define OUTPUT_EXIT_WAIT_MS	5000

struct chunk {
	struct chunk	*next;
	struct output_stream *owner;	/* NULL once the stream closed */
	size_t		 len;
	size_t		 off;
	char		 data[];
};

struct output_sink {
	int		 fd;
	bool		 own_fd;	/* a reopened descriptor, ours to close */
	bool		 is_socket;
	bool		 broken;
	ev_io		 w;
	struct chunk	*head;
	struct chunk	*tail;
};

static struct ev_loop	*out_loop;
static struct output_sink sinks[2];	/* stdout, stderr */

static void	sink_write_cb(struct ev_loop *, ev_io *, int);

static void
sink_init(struct output_sink *k, int fd)
{
	struct stat st;
	char path[64];
	int nfd;

	memset(k, 0, sizeof(*k));
	k->fd = fd;
	if (fstat(fd, &st) == -1) {
		k->broken = true;
		return;
	}
	k->is_socket = S_ISSOCK(st.st_mode);
	if (S_ISFIFO(st.st_mode)) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (nfd != -1) {
			k->fd = nfd;
			k->own_fd = true;
		} else
			log_debug("unable to reopen %s non-blocking; a slow "
			    "reader may delay corral", path);
	}
	ev_io_init(&k->w, sink_write_cb, k->fd, EV_WRITE);
}

void
output_init(struct ev_loop *loop)
{
	out_loop = loop;
	sink_init(&sinks[0], STDOUT_FILENO);
	sink_init(&sinks[1], STDERR_FILENO);
}

static void
release(struct output_stream *st, size_t n)
{
	if (st == NULL)
		return;
	st->queued -= n;
	if (st->paused && st->queued <= OUTPUT_QUEUE_MAX / 2) {
		st->paused = false;
		if (st->fd != -1)
			ev_io_start(out_loop, &st->w);
	}
}

/* Streams are only told (resumed) while they still exist: not at exit. */
static void
drop_all(struct output_sink *k, bool tell)
{
	struct chunk *c, *next;

	for (c = k->head; c != NULL; c = next) {
		next = c->next;
		if (tell)
			release(c->owner, c->len - c->off);
		free(c);
	}
	k->head = k->tail = NULL;
	ev_io_stop(out_loop, &k->w);
}

static ssize_t
sink_put(struct output_sink *k, const char *buf, size_t len)
{
	ssize_t r;

	do {
		if (k->is_socket)
			r = send(k->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			r = write(k->fd, buf, len);
	} while (r == -1 && errno == EINTR);
	if (r == -1 && errno != EAGAIN) {
		k->broken = true;
		log_warn("unable to write service output to fd %d; dropping "
		    "it from now on", k->fd);
		drop_all(k, true);
	}
	return r;
}

static void
sink_flush(struct output_sink *k)
{
	while (k->head != NULL && !k->broken) {
		struct chunk *c = k->head;
		ssize_t r = sink_put(k, c->data + c->off, c->len - c->off);

		if (r <= 0)
			break;
		c->off += (size_t)r;
		release(c->owner, (size_t)r);
		if (c->off < c->len)
			break;
		k->head = c->next;
		if (k->head == NULL)
			k->tail = NULL;
		free(c);
	}
	if (k->head == NULL)
		ev_io_stop(out_loop, &k->w);
	else if (!k->broken)
		ev_io_start(out_loop, &k->w);
}

static void
sink_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	sink_flush(container_of(w, struct output_sink, w));
}

static void
emit(struct output_stream *st, const char *line, size_t len)
{
	struct output_sink *k = st->sink;
	size_t plen = strlen(st->prefix), n = plen + 3 + len + 1;
	struct chunk *c;
	ssize_t r = 0;

	if (k->broken)
		return;
	c = malloc(sizeof(*c) + n);
	if (c == NULL) {
		log_warnx("%s: out of memory; dropping a line of output",
		    st->prefix);
		return;
	}
	memcpy(c->data, st->prefix, plen);
	memcpy(c->data + plen, " | ", 3);
	memcpy(c->data + plen + 3, line, len);
	c->data[n - 1] = '\n';
	c->len = n;
	c->off = 0;
	c->next = NULL;
	c->owner = st;
	if (k->head == NULL) {
		r = sink_put(k, c->data, n);
		if (r == (ssize_t)n || k->broken) {
			free(c);
			return;
		}
		if (r > 0)
			c->off = (size_t)r;
	}
	st->queued += n - c->off;
	if (k->tail != NULL)
		k->tail->next = c;
	else
		k->head = c;
	k->tail = c;
	ev_io_start(out_loop, &k->w);
	if (st->queued > OUTPUT_QUEUE_MAX && !st->paused) {
		st->paused = true;
		ev_io_stop(out_loop, &st->w);
	}
}

void
output_split(struct output_stream *st, const char *buf, size_t len,
    void (*emit_fn)(struct output_stream *, const char *, size_t))
{
	while (len > 0) {
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
			return;
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
}

enum read_result { READ_DATA, READ_AGAIN, READ_END };

static enum read_result
read_some(struct output_stream *st)
{
	char buf[READ_CHUNK];
	ssize_t r;

	do
		r = read(st->fd, buf, sizeof(buf));
	while (r == -1 && errno == EINTR);
	if (r > 0) {
		output_split(st, buf, (size_t)r, emit);
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

static void
stream_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct output_stream *st = container_of(w, struct output_stream, w);

	(void)loop;
	(void)revents;
	if (read_some(st) == READ_END)
		stream_eof(st);
}

void
output_stream_open(struct output_stream *st, int fd, int to,
    const char *prefix, void (*on_eof)(struct output_stream *, void *),
    void *ctx)
{
	st->fd = fd;
	st->sink = &sinks[to == STDERR_FILENO ? 1 : 0];
	snprintf(st->prefix, sizeof(st->prefix), "%s", prefix);
	st->paused = false;
	st->partial_len = 0;
	st->just_split = false;
	st->on_eof = on_eof;
	st->ctx = ctx;
	ev_io_init(&st->w, stream_read_cb, fd, EV_READ);
	ev_io_start(out_loop, &st->w);
}

void
output_stream_drain(struct output_stream *st)
{
	/* Bounded: a writer that never stops must not keep the loop here. */
	for (int i = 0; i < 64 && st->fd != -1; i++) {
		switch (read_some(st)) {
		case READ_DATA:
			break;
		case READ_AGAIN:
			return;
		case READ_END:
			stream_eof(st);
			return;
		}
	}
}

bool
output_stream_open_p(const struct output_stream *st)
{
	return st->fd != -1;
}

void
output_stream_close(struct output_stream *st)
{
	if (st->fd == -1)
		return;
	ev_io_stop(out_loop, &st->w);
	(void)close(st->fd);
	st->fd = -1;
	if (st->partial_len > 0)
		emit(st, st->partial, st->partial_len);
	st->partial_len = 0;
	free(st->partial);
	st->partial = NULL;
	/*
	 * Its queued lines still go out, but no longer on its account: the
	 * stream may be freed (its service retired) before they do.
	 */
	for (struct chunk *c = st->sink != NULL ? st->sink->head : NULL;
	    c != NULL; c = c->next)
		if (c->owner == st)
			c->owner = NULL;
	st->queued = 0;
	st->paused = false;
}

void
output_free(void)
{
	for (int i = 0; i < 2; i++) {
		struct output_sink *k = &sinks[i];
		struct pollfd p = { .fd = k->fd, .events = POLLOUT };

		/*
		 * Queued lines get a last, bounded chance: a reader that does
		 * not read for OUTPUT_EXIT_WAIT_MS must not keep corral alive.
		 */
		for (int waited = 0; k->head != NULL && !k->broken &&
		    waited < OUTPUT_EXIT_WAIT_MS; waited += 100) {
			if (poll(&p, 1, 100) == -1 && errno != EINTR)
				break;
			sink_flush(k);
		}
		if (k->head != NULL)
			log_warnx("dropping service output that could not be "
			    "written before exit");
		drop_all(k, false);
		if (k->own_fd)
			(void)close(k->fd);
	}
}
