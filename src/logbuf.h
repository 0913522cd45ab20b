/*
 * output_buffer (SPEC §16): the last lines of a service's main process,
 * kept in memory for `corralctl logs`, and the readers of those lines.
 *
 * A buffer is one allocation of its size, a ring of records: a 4-byte
 * header (the length, and whether the line came on stderr) and the line
 * without its newline.  A new line evicts the oldest whole lines until it
 * fits, so a buffer of SIZE bytes holds the newest lines whose lengths
 * plus LOGBUF_HDR each add up to at most SIZE.  Nothing here allocates per
 * line, and adding a line never waits for anyone.
 *
 * A reader is a position in the ring, not a copy: a reader that falls so
 * far behind that its next lines are evicted before it read them has lost
 * them, and its next read begins with LOGBUF_DROPPED_FMT and their count.
 * So a slow reader costs the buffer nothing and can never slow the service:
 * the ring itself is every reader's bounded queue.
 *
 * Pure memory and callbacks: no syscalls, no logging.
 */
#ifndef CORRAL_LOGBUF_H
#define CORRAL_LOGBUF_H

#include <stdbool.h>
#include <stddef.h>

#define LOGBUF_HDR		4
#define LOGBUF_MIN		1024
#define LOGBUF_MAX		(16u << 20)
/* Longer lines are cut to this; output.c splits them at the same length. */
#define LOGBUF_LINE_MAX		8192
#define LOGBUF_DROPPED_FMT	"corral: %lu lines dropped: this reader fell " \
				"behind\n"
/* What logbuf_read() needs room for: a whole line and the notice. */
#define LOGBUF_READ_MIN		(LOGBUF_LINE_MAX + 128)

struct logbuf;
struct logbuf_reader;

/* Told that a reader has something to read, or that its buffer is gone. */
typedef void logbuf_wake_fn(void *ctx);

/* A buffer of size bytes (LOGBUF_HDR + 1 at least); NULL: out of memory. */
struct logbuf	*logbuf_new(size_t size);

/*
 * Frees b (NULL is fine).  Its readers stay, each woken: they read what
 * they still hold, then are done.
 */
void	logbuf_free(struct logbuf *b);

/* b's size; 0 for NULL. */
size_t	logbuf_size(const struct logbuf *b);

/*
 * Empties b and gives it size bytes.  Readers stay attached: what they had
 * not read yet counts as dropped.  0, or -1 (out of memory: b unchanged).
 */
int	logbuf_resize(struct logbuf *b, size_t size);

/*
 * Adds a line (len bytes, without its newline) that came on stream (1
 * stdout, 2 stderr).  A line longer than LOGBUF_LINE_MAX, or than the
 * buffer can hold, keeps its beginning.  Wakes the readers that follow b
 * and had read everything.
 */
void	logbuf_line(struct logbuf *b, int stream, const char *line,
	    size_t len);

/*
 * A reader of b's last nlines lines (SIZE_MAX: all of them) and, with
 * follow, of every line added after; wake (with ctx) is called when a
 * follower that read everything has a new line, and when b is freed.
 * NULL: out of memory.
 */
struct logbuf_reader *logbuf_reader_new(struct logbuf *b, size_t nlines,
	    bool follow, logbuf_wake_fn *wake, void *ctx);
void	logbuf_reader_free(struct logbuf_reader *r);

/*
 * Copies r's next whole lines, each with its newline, into buf (cap bytes,
 * at least LOGBUF_READ_MIN), after the notice of lines r lost if it lost
 * some.  Returns the bytes copied; 0 when there is nothing now, and then
 * *done says whether there never will be: a reader that does not follow
 * has read what b held when it was made, or b is gone.
 */
size_t	logbuf_read(struct logbuf_reader *r, char *buf, size_t cap,
	    bool *done);

#endif
