/*
 * Parsing env_file files, one line at a time.  A line is copied out first
 * (NUL bytes and control characters refused there), so that the rest works
 * on a C string.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envfile.h"
#include "strbuf.h"

#define SHOWN_MAX	60	/* bytes of a line quoted in a message */

struct line {
	const char	*s;		/* NUL-terminated, without CR LF */
	int		 no;
	char		 msg[320];
};

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool
name_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	    (!first && c >= '0' && c <= '9');
}

/* A quoted prefix of the line, for messages: printable bytes only. */
static void
shown(const char *s, size_t n, char out[SHOWN_MAX + 4])
{
	size_t k = 0;

	for (size_t i = 0; i < n && i < SHOWN_MAX; i++)
		out[k++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[k] = '\0';
	if (n > SHOWN_MAX)
		strcpy(out + k, "...");
}

/* After a closing quote: blanks, then nothing or a comment. */
static bool
only_comment(const char *p)
{
	while (blank(*p))
		p++;
	return *p == '\0' || *p == '#';
}

/* A "..." value from p (after the quote) into v; -1 with l->msg set. */
static int
double_quoted(struct line *l, const char *p, struct strbuf *v)
{
	for (; *p != '"'; p++) {
		if (*p == '\0') {
			snprintf(l->msg, sizeof(l->msg), "unterminated double "
			    "quote (values are one line; write \\n for a "
			    "newline)");
			return -1;
		}
		if (*p == '\\' && p[1] == 'n') {
			sb_add(v, "\n", 1);
			p++;
		} else if (*p == '\\' && p[1] != '\0' &&
		    strchr("\"\\$`", p[1]) != NULL) {
			sb_add(v, p + 1, 1);
			p++;
		} else
			sb_add(v, p, 1);
	}
	if (!only_comment(p + 1)) {
		snprintf(l->msg, sizeof(l->msg), "text after the closing quote "
		    "(quote the whole value, or put a '#' before a comment)");
		return -1;
	}
	return 0;
}

/* The value from p (after '=') into v; -1 with l->msg set. */
static int
value(struct line *l, const char *p, struct strbuf *v)
{
	const char *end;

	if (*p == '"')
		return double_quoted(l, p + 1, v);
	if (*p == '\'') {
		if ((end = strchr(p + 1, '\'')) == NULL) {
			snprintf(l->msg, sizeof(l->msg), "unterminated single "
			    "quote (values are one line)");
			return -1;
		}
		if (!only_comment(end + 1)) {
			snprintf(l->msg, sizeof(l->msg), "text after the closing "
			    "quote (quote the whole value, or put a '#' before "
			    "a comment)");
			return -1;
		}
		sb_add(v, p + 1, (size_t)(end - p - 1));
		return 0;
	}
	end = p + strlen(p);
	while (end > p && blank(end[-1]))
		end--;
	sb_add(v, p, (size_t)(end - p));
	return 0;
}

/*
 * One line: 1 with *kv set to its "KEY=VALUE", 0 for a line without one,
 * -1 with l->msg set for a malformed one; -2 when out of memory.
 */
static int
parse_line(struct line *l, char **kv)
{
	struct strbuf v = { 0 };
	char show[SHOWN_MAX + 4];
	const char *p = l->s, *key;
	size_t klen = 0;

	while (blank(*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	if (strncmp(p, "export", 6) == 0 && blank(p[6]))
		for (p += 6; blank(*p); p++)
			;
	key = p;
	while (name_char(key[klen], klen == 0))
		klen++;
	if (key[klen] == '=' && klen > 0) {
		sb_add(&v, key, klen + 1);
		if (value(l, key + klen + 1, &v) == -1) {
			sb_free(&v);
			return -1;
		}
		if (v.oom)
			return -2;
		*kv = v.p;
		return 1;
	}
	if (klen > 0 && blank(key[klen])) {
		size_t k = klen;

		while (blank(key[k]))
			k++;
		if (key[k] == '=') {
			shown(key, klen, show);
			snprintf(l->msg, sizeof(l->msg), "'%s =': no blank "
			    "allowed before '=' (write %s=VALUE)", show, show);
			return -1;
		}
	}
	if (strchr(key, '=') != NULL) {
		shown(key, strcspn(key, "="), show);
		snprintf(l->msg, sizeof(l->msg), "'%s' is not a variable name "
		    "(letters, digits and _, not starting with a digit)", show);
		return -1;
	}
	shown(p, strlen(p), show);
	snprintf(l->msg, sizeof(l->msg), "'%s' is not KEY=VALUE", show);
	return -1;
}

/* Appends kv to *env; -1 when out of memory (kv is freed). */
static int
append(char ***env, size_t *n, char *kv)
{
	char **v = reallocarray(*env, *n + 2, sizeof(**env));

	if (v == NULL) {
		free(kv);
		return -1;
	}
	v[(*n)++] = kv;
	v[*n] = NULL;
	*env = v;
	return 0;
}

/* The bytes of a line are text: -1 with l->msg set if not. */
static int
check_bytes(struct line *l, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			snprintf(l->msg, sizeof(l->msg), "control character 0x%02x "
			    "at column %zu (is this a text file?)", c, i + 1);
			return -1;
		}
	}
	return 0;
}

int
envfile_parse(const char *buf, size_t len, char ***env, size_t *n,
    envfile_report_fn *report, void *arg)
{
	size_t pos = 0;
	int bad = 0;
	struct line l = { .no = 0 };

	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *start = buf + pos, *nl = memchr(start, '\n', len - pos);
		size_t k = nl != NULL ? (size_t)(nl - start) : len - pos;
		char *copy, *kv = NULL;
		int r;

		pos += k + (nl != NULL);
		l.no++;
		if (k > 0 && start[k - 1] == '\r')
			k--;
		if (check_bytes(&l, start, k) == -1) {
			report(arg, l.no, l.msg);
			bad++;
			continue;
		}
		if ((copy = strndup(start, k)) == NULL)
			return -1;
		l.s = copy;
		r = parse_line(&l, &kv);
		free(copy);
		if (r == -2 || (r == 1 && append(env, n, kv) == -1))
			return -1;
		if (r == -1) {
			report(arg, l.no, l.msg);
			bad++;
		}
	}
	return bad;
}
