/*
 * A strict JSON parser for the tests; see tjson.h.
 */
#include "tjson.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TJ_DEPTH_MAX	64

struct cursor {
	const char	*start;
	const char	*p;
	char		*err;
	size_t		 errlen;
	bool		 failed;
	bool		 nul_ok;	/* tj_parse_nul(): \u0000 in values */
};

static void
fail(struct cursor *c, const char *what)
{
	if (c->failed)
		return;
	c->failed = true;
	snprintf(c->err, c->errlen, "%s at byte %zu (near '%.20s')", what,
	    (size_t)(c->p - c->start), c->p);
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL)
		abort();
	return p;
}

static void
skip_ws(struct cursor *c)
{
	while (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')
		c->p++;
}

static struct tj	*value(struct cursor *c, int depth);

static int
hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int d = isdigit((unsigned char)p[i]) ? p[i] - '0' :
		    p[i] >= 'a' && p[i] <= 'f' ? p[i] - 'a' + 10 :
		    p[i] >= 'A' && p[i] <= 'F' ? p[i] - 'A' + 10 : -1;

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static size_t
put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * At the opening quote; the decoded text, or NULL; *len its bytes.  A
 * key (len NULL) never takes \u0000: keys are compared as C strings.
 */
static char *
string(struct cursor *c, size_t *len)
{
	const char *p = c->p + 1;
	char *out = xcalloc(strlen(p) + 1, 1);
	size_t n = 0;

	for (;;) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '"')
			break;
		if (ch == '\0') {
			c->p = p;
			fail(c, "unterminated string");
			free(out);
			return NULL;
		}
		if (ch < 0x20) {
			c->p = p;
			fail(c, "raw control character in a string");
			free(out);
			return NULL;
		}
		if (ch != '\\') {
			out[n++] = (char)ch;
			p++;
			continue;
		}
		p++;
		switch (*p) {
		case '"': case '\\': case '/':
			out[n++] = *p++;
			break;
		case 'b': out[n++] = '\b'; p++; break;
		case 'f': out[n++] = '\f'; p++; break;
		case 'n': out[n++] = '\n'; p++; break;
		case 'r': out[n++] = '\r'; p++; break;
		case 't': out[n++] = '\t'; p++; break;
		case 'u': {
			int cp = hex4(p + 1);

			if (cp < 0) {
				c->p = p;
				fail(c, "bad \\u escape");
				free(out);
				return NULL;
			}
			p += 5;
			if (cp >= 0xd800 && cp <= 0xdbff && p[0] == '\\' &&
			    p[1] == 'u') {
				int lo = hex4(p + 2);

				if (lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
					p += 6;
				}
			}
			if (cp == 0 && (len == NULL || !c->nul_ok)) {
				c->p = p;
				fail(c, "\\u0000 in a string");
				free(out);
				return NULL;
			}
			n += put_utf8(out + n, (unsigned)cp);
			break;
		}
		default:
			c->p = p;
			fail(c, "bad escape");
			free(out);
			return NULL;
		}
	}
	out[n] = '\0';
	c->p = p + 1;
	if (len != NULL)
		*len = n;
	return out;
}

static bool
number(struct cursor *c, double *out)
{
	const char *p = c->p, *digits;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (isdigit((unsigned char)*p))
			p++;
	else
		return false;
	if (*p == '.') {
		digits = ++p;
		while (isdigit((unsigned char)*p))
			p++;
		if (p == digits)
			return false;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		digits = p;
		while (isdigit((unsigned char)*p))
			p++;
		if (p == digits)
			return false;
	}
	*out = strtod(c->p, NULL);
	c->p = p;
	return true;
}

static struct tj *
container(struct cursor *c, int depth, bool object)
{
	struct tj *v = xcalloc(1, sizeof(*v));
	size_t cap = 0;

	v->type = object ? TJ_OBJECT : TJ_ARRAY;
	c->p++;
	skip_ws(c);
	if (*c->p == (object ? '}' : ']')) {
		c->p++;
		return v;
	}
	for (;;) {
		char *key = NULL;
		struct tj *item;

		skip_ws(c);
		if (object) {
			if (*c->p != '"') {
				fail(c, "expected a key");
				break;
			}
			if ((key = string(c, NULL)) == NULL)
				break;
			for (size_t i = 0; i < v->n; i++)
				if (strcmp(v->keys[i], key) == 0) {
					fail(c, "duplicate key");
					break;
				}
			skip_ws(c);
			if (c->failed || *c->p != ':') {
				fail(c, "expected ':'");
				free(key);
				break;
			}
			c->p++;
		}
		if ((item = value(c, depth + 1)) == NULL) {
			free(key);
			break;
		}
		if (v->n == cap) {
			cap = cap ? 2 * cap : 8;
			v->items = realloc(v->items, cap * sizeof(*v->items));
			v->keys = realloc(v->keys, cap * sizeof(*v->keys));
			if (v->items == NULL || v->keys == NULL)
				abort();
		}
		v->items[v->n] = item;
		v->keys[v->n++] = key;
		skip_ws(c);
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		if (*c->p == (object ? '}' : ']')) {
			c->p++;
			return v;
		}
		fail(c, object ? "expected ',' or '}'" : "expected ',' or ']'");
		break;
	}
	tj_free(v);
	return NULL;
}

static struct tj *
value(struct cursor *c, int depth)
{
	struct tj *v;

	skip_ws(c);
	if (depth > TJ_DEPTH_MAX) {
		fail(c, "nested too deep");
		return NULL;
	}
	switch (*c->p) {
	case '{':
		return container(c, depth, true);
	case '[':
		return container(c, depth, false);
	case '"':
		v = xcalloc(1, sizeof(*v));
		v->type = TJ_STRING;
		if ((v->string = string(c, &v->len)) == NULL) {
			free(v);
			return NULL;
		}
		return v;
	}
	v = xcalloc(1, sizeof(*v));
	if (strncmp(c->p, "true", 4) == 0 || strncmp(c->p, "false", 5) == 0) {
		v->type = TJ_BOOL;
		v->boolean = *c->p == 't';
		c->p += v->boolean ? 4 : 5;
	} else if (strncmp(c->p, "null", 4) == 0) {
		v->type = TJ_NULL;
		c->p += 4;
	} else if (number(c, &v->number)) {
		v->type = TJ_NUMBER;
	} else {
		fail(c, *c->p == '\0' ? "unexpected end" : "expected a value");
		free(v);
		return NULL;
	}
	return v;
}

static struct tj *
parse(const char *text, char *err, size_t errlen, bool nul_ok)
{
	struct cursor c = { text, text, err, errlen, false, nul_ok };
	struct tj *v;

	if (text == NULL) {
		snprintf(err, errlen, "no text");
		return NULL;
	}
	v = value(&c, 0);
	if (v == NULL)
		return NULL;
	skip_ws(&c);
	if (*c.p != '\0') {
		fail(&c, "text after the value");
		tj_free(v);
		return NULL;
	}
	return v;
}

struct tj *
tj_parse(const char *text, char *err, size_t errlen)
{
	return parse(text, err, errlen, false);
}

struct tj *
tj_parse_nul(const char *text, char *err, size_t errlen)
{
	return parse(text, err, errlen, true);
}

void
tj_free(struct tj *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n; i++) {
		tj_free(v->items[i]);
		if (v->keys != NULL)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->string);
	free(v);
}

const struct tj *
tj_get(const struct tj *obj, const char *key)
{
	if (obj == NULL || obj->type != TJ_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return obj->items[i];
	return NULL;
}

const char *
tj_str(const struct tj *v)
{
	return v != NULL && v->type == TJ_STRING ? v->string : NULL;
}

bool
tj_is(const struct tj *v, enum tj_type type)
{
	return v != NULL && v->type == type;
}
