/*
 * A growing text buffer for replies and files.  An allocation failure is
 * remembered (oom) and later appends do nothing, so callers check once at
 * the end instead of after every append.
 */
#ifndef CORRAL_STRBUF_H
#define CORRAL_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char		*p;		/* NUL-terminated when len > 0 */
	size_t		 len;
	size_t		 cap;
	bool		 oom;
};

void	sb_printf(struct strbuf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Appends the n bytes at s. */
void	sb_add(struct strbuf *b, const char *s, size_t n);
/* Appends s as the contents of a JSON string, quotes included. */
void	sb_json_string(struct strbuf *b, const char *s);
void	sb_free(struct strbuf *b);

#endif
