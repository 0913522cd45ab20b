/*
 * The two sinks.  A line is first offered to the stream directly when
 * nothing waits before it; what the stream does not take goes to the tail of
 * the FIFO, and the write watcher sends the FIFO out as the reader reads.
 *
 * A sink that fails for good (EPIPE, EBADF...) drops what it holds and
 * everything after, and releases every account: losing a log line is better
 * than blocking a service forever on a pipe nobody reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "sink.h"

/*
 * At exit a reader that is reading gets what waits for it; one that takes
 * nothing for this long is given up on, and the whole flush is bounded.
 */
#define FINAL_STALL_MS	50
#define FINAL_MAX_MS	1000

struct chunk {
	struct chunk	*next;
	struct sink_account *owner;	/* NULL: corral's own, or disowned */
	bool		 own;		/* counts against SINK_OWN_MAX */
	size_t		 len;
	size_t		 off;
	char		 data[];
};

struct sink {
	enum sink_id	 id;
	int		 fd;
	bool		 is_socket;
	bool		 is_pipe;	/* writes of PIPE_BUF or less are whole */
	bool		 broken;
	ev_io		 w;
	struct chunk	*head;
	struct chunk	*tail;
	size_t		 own_queued;
	unsigned long	 own_dropped;	/* since the last report */
	unsigned long	 lost_at_exit;	/* lines, at sink_finish() */
};

/* DIRECT: before the loop, plain writes; FINAL: after it, never waiting. */
static enum { DIRECT, LOOP, FINAL } mode = DIRECT;
static struct ev_loop	*sk_loop;
static const struct sink_ops *sk_ops;
static struct sink	 sinks[SINK__COUNT] = {
	{ .id = SINK_STDOUT, .fd = STDOUT_FILENO },
	{ .id = SINK_STDERR, .fd = STDERR_FILENO },
};

static void	write_cb(struct ev_loop *, ev_io *, int);

static void
open_sink(struct sink *k)
{
	struct stat st;
	char path[64];
	int nfd;

	if (fstat(k->fd, &st) == -1) {
		k->broken = true;
		return;
	}
	k->is_socket = S_ISSOCK(st.st_mode);
	k->is_pipe = S_ISFIFO(st.st_mode);
	/*
	 * O_NONBLOCK on the inherited description would reach the services
	 * that share it; a description of corral's own is non-blocking alone.
	 */
	if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", k->fd);
		nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		/* Kept open to the end: the last lines at exit need it too. */
		if (nfd != -1)
			k->fd = nfd;
		else if (errno == ENXIO)
			k->broken = true;	/* a pipe nobody reads any more */
		else {
			char msg[160];
			int n = snprintf(msg, sizeof(msg), "corral: unable to "
			    "reopen %s non-blocking (%s); a reader that stops "
			    "reading may stall corral\n", path, strerror(errno));

			(void)!write(STDERR_FILENO, msg, (size_t)n);
		}
	}
	ev_io_init(&k->w, write_cb, k->fd, EV_WRITE);
}

void
sink_init(struct ev_loop *loop, const struct sink_ops *ops)
{
	sk_loop = loop;
	sk_ops = ops;
	for (int i = 0; i < SINK__COUNT; i++)
		open_sink(&sinks[i]);
	mode = LOOP;
}

/*
 * An account is charged what its chunks hold in memory: their bytes and
 * their headers, so that many short lines cannot hide behind a small count.
 */
#define CHUNK_COST(len)	(sizeof(struct chunk) + (len))

static void
charge(struct chunk *c, size_t n)
{
	if (c->owner != NULL) {
		c->owner->queued -= n;
		c->owner->released(c->owner);
	}
}

static void
drop_all(struct sink *k)
{
	struct chunk *c, *next;

	for (c = k->head; c != NULL; c = next) {
		next = c->next;
		if (c->own)
			k->own_queued -= c->len - c->off;
		k->lost_at_exit++;
		charge(c, CHUNK_COST(c->len - c->off));
		free(c);
	}
	k->head = k->tail = NULL;
	if (sk_loop != NULL)
		ev_io_stop(sk_loop, &k->w);
}

static void
fail(struct sink *k, int err)
{
	k->broken = true;
	drop_all(k);
	k->lost_at_exit = 0;
	if (sk_ops != NULL && sk_ops->broken != NULL)
		sk_ops->broken(k->id, err);
}

/* Returns the bytes taken, 0 when the stream takes nothing now. */
static size_t
put(struct sink *k, const struct iovec *iov, int n)
{
	struct msghdr mh = { .msg_iov = (struct iovec *)(uintptr_t)iov,
	    .msg_iovlen = (size_t)n };
	ssize_t r;

	if (k->broken)
		return 0;
	do {
		if (k->is_socket)
			r = sendmsg(k->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			r = writev(k->fd, iov, n);
	} while (r == -1 && errno == EINTR);
	if (r >= 0)
		return (size_t)r;
	if (errno != EAGAIN)
		fail(k, errno);
	return 0;
}

/*
 * put() of whole lines: to a pipe, in writes of at most PIPE_BUF bytes
 * that end with a newline (a longer line goes in pieces).  Returns the
 * bytes taken.
 */
static size_t
put_lines(struct sink *k, const char *buf, size_t len)
{
	size_t done = 0;

	if (!k->is_pipe) {
		struct iovec iov = { (void *)(uintptr_t)buf, len };

		return put(k, &iov, 1);
	}
	while (done < len) {
		size_t n = len - done, r;
		const char *nl;
		struct iovec iov;

		if (n > PIPE_BUF && (nl = memrchr(buf + done, '\n',
		    PIPE_BUF)) != NULL)
			n = (size_t)(nl - (buf + done)) + 1;
		iov.iov_base = (void *)(uintptr_t)(buf + done);
		iov.iov_len = n;
		r = put(k, &iov, 1);
		done += r;
		if (r < n)
			break;
	}
	return done;
}

static void
flush(struct sink *k)
{
	while (k->head != NULL && !k->broken) {
		struct chunk *c = k->head;
		size_t r = put_lines(k, c->data + c->off, c->len - c->off);

		if (r == 0)
			break;
		c->off += r;
		if (c->own)
			k->own_queued -= r;
		if (c->off < c->len) {
			charge(c, r);
			break;
		}
		k->head = c->next;
		if (k->head == NULL)
			k->tail = NULL;
		charge(c, r + sizeof(*c));
		free(c);
	}
	if (sk_loop == NULL)
		return;
	if (k->head == NULL || k->broken)
		ev_io_stop(sk_loop, &k->w);
	else
		ev_io_start(sk_loop, &k->w);
	if (k->own_queued == 0 && k->own_dropped > 0 && mode == LOOP) {
		unsigned long n = k->own_dropped;

		k->own_dropped = 0;
		if (sk_ops != NULL && sk_ops->dropped != NULL)
			sk_ops->dropped(k->id, n);
	}
}

static void
write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	flush(container_of(w, struct sink, w));
}

static size_t
iov_len(const struct iovec *iov, int n)
{
	size_t len = 0;

	for (int i = 0; i < n; i++)
		len += iov[i].iov_len;
	return len;
}

/* Queues what of iov the stream did not take (the first `taken` bytes). */
static bool
enqueue(struct sink *k, const struct iovec *iov, int n, size_t taken,
    struct sink_account *a, bool own)
{
	size_t len = iov_len(iov, n) - taken, at = 0;
	struct chunk *c = malloc(sizeof(*c) + len);

	if (c == NULL)
		return false;
	for (int i = 0; i < n; i++) {
		size_t skip = taken < iov[i].iov_len ? taken : iov[i].iov_len;

		taken -= skip;
		memcpy(c->data + at, (const char *)iov[i].iov_base + skip,
		    iov[i].iov_len - skip);
		at += iov[i].iov_len - skip;
	}
	c->next = NULL;
	c->owner = a;
	c->own = own;
	c->len = len;
	c->off = 0;
	if (own)
		k->own_queued += len;
	if (a != NULL)
		a->queued += CHUNK_COST(len);
	if (k->tail != NULL)
		k->tail->next = c;
	else
		k->head = c;
	k->tail = c;
	ev_io_start(sk_loop, &k->w);
	return true;
}

static void
write_direct(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t r = write(fd, p, len);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return;		/* nowhere left to say so */
		p += r;
		len -= (size_t)r;
	}
}

void
sink_own(enum sink_id id, const char *line, size_t len)
{
	struct sink *k = &sinks[id];
	struct iovec iov = { (void *)(uintptr_t)line, len };
	size_t taken = 0;

	if (mode == DIRECT) {
		write_direct(k->fd, line, len);
		return;
	}
	if (k->broken)
		return;
	if (k->head == NULL && (taken = put(k, &iov, 1)) == len)
		return;
	if (mode == FINAL || k->broken) {
		k->lost_at_exit += mode == FINAL;
		return;
	}
	/* A line begun on the stream must be finished, whatever the bound. */
	if (taken == 0 && k->own_queued + len > SINK_OWN_MAX) {
		k->own_dropped++;
		return;
	}
	if (!enqueue(k, &iov, 1, taken, NULL, true))
		k->own_dropped++;
}

void
sink_relay(enum sink_id id, struct sink_account *a, const char *buf,
    size_t len)
{
	struct sink *k = &sinks[id];
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	size_t taken = 0;

	/* Services are read only while the loop runs; after it, never wait. */
	if (mode != LOOP || k->broken)
		return;
	if (k->head == NULL && (taken = put_lines(k, buf, len)) == len)
		return;
	if (k->broken)
		return;
	/* Out of memory: the lines are lost, the service is not blocked. */
	(void)enqueue(k, &iov, 1, taken, a, false);
}

void
sink_disown(struct sink_account *a)
{
	for (int i = 0; i < SINK__COUNT; i++)
		for (struct chunk *c = sinks[i].head; c != NULL; c = c->next)
			if (c->owner == a)
				c->owner = NULL;
	a->queued = 0;
}

bool
sink_broken(enum sink_id id)
{
	return sinks[id].broken;
}

static long long
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);	/* cannot fail */
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
final_flush(struct sink *k)
{
	struct pollfd p = { .fd = k->fd, .events = POLLOUT };
	long long end = now_ms() + FINAL_MAX_MS;

	flush(k);
	while (k->head != NULL && !k->broken && now_ms() < end) {
		int r = poll(&p, 1, FINAL_STALL_MS);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;		/* the reader took nothing in time */
		flush(k);
	}
	drop_all(k);
}

void
sink_finish(void)
{
	char msg[128];

	if (mode != LOOP)
		return;
	for (int i = 0; i < SINK__COUNT; i++)
		final_flush(&sinks[i]);
	sk_loop = NULL;
	mode = FINAL;
	for (int i = 0; i < SINK__COUNT; i++) {
		struct sink *k = &sinks[i];
		unsigned long n = k->lost_at_exit + k->own_dropped;

		if (n == 0 || k->broken)
			continue;
		k->lost_at_exit = k->own_dropped = 0;
		snprintf(msg, sizeof(msg), "corral: %lu line%s dropped at exit: "
		    "%s was not being read\n", n, n == 1 ? "" : "s",
		    i == SINK_STDOUT ? "stdout" : "stderr");
		sink_own(SINK_STDERR, msg, strlen(msg));
	}
}
