/*
 * The expander: one pass over the value, copying it and replacing each
 * ${...} outside single quotes.  The quote state follows scan_words() in
 * values.c exactly, so that "outside single quotes" means here what it
 * means to the splitter that reads the result.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expand.h"
#include "strbuf.h"

#define SHOWN_MAX	40	/* of a ${...} quoted in a message */
#define NAME_MAX_LEN	64	/* of a variable name */

enum quote { Q_NONE, Q_SINGLE, Q_DOUBLE };

static bool
name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool
name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

/*
 * Appends text as the value of a substitution: verbatim for EXPAND_TEXT;
 * for a value split into words, quoted so that it stays one literal part
 * of its word (a single-quoted span outside double quotes, backslashes
 * inside them); for patterns, glob's wildcards are escaped first.
 */
static void
put_value(struct strbuf *b, const char *text, enum expand_mode mode,
    enum quote q)
{
	struct strbuf g = { 0 };

	if (mode == EXPAND_TEXT) {
		sb_add(b, text, strlen(text));
		return;
	}
	if (mode == EXPAND_PATTERNS) {
		for (const char *p = text; *p != '\0'; p++) {
			if (strchr("*?[\\", *p) != NULL)
				sb_add(&g, "\\", 1);
			sb_add(&g, p, 1);
		}
		if (g.oom)
			b->oom = true;
		text = g.p != NULL ? g.p : "";
	}
	if (q == Q_DOUBLE) {
		for (const char *p = text; *p != '\0'; p++) {
			if (strchr("\"\\$`", *p) != NULL)
				sb_add(b, "\\", 1);
			sb_add(b, p, 1);
		}
	} else {
		sb_add(b, "'", 1);
		for (const char *p = text; *p != '\0'; p++)
			if (*p == '\'')
				sb_add(b, "'\\''", 4);
			else
				sb_add(b, p, 1);
		sb_add(b, "'", 1);
	}
	sb_free(&g);
}

/*
 * The word of ${VAR:-word} or ${VAR:?word} (n bytes at p, in the body of
 * nbody bytes): literal, but $$ is one '$'.
 */
static int
literal_word(const char *p, size_t n, const char *body, size_t nbody,
    struct strbuf *w, char err[EXPAND_ERR_MAX])
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '$' && i + 1 < n && p[i + 1] == '{') {
			snprintf(err, EXPAND_ERR_MAX, "'${%.*s}': a default cannot "
			    "hold another ${...} (write its value out)",
			    nbody > SHOWN_MAX ? SHOWN_MAX : (int)nbody, body);
			return -1;
		}
		if (p[i] == '$' && i + 1 < n && p[i + 1] == '$')
			i++;
		sb_add(w, p + i, 1);
	}
	if (w->p == NULL)
		sb_add(w, "", 0);
	return 0;
}

/* What ${body} (n bytes between the braces) stands for, into b. */
static int
substitute(const char *body, size_t n, enum expand_mode mode, enum quote q,
    const struct expand_env *env, struct strbuf *b, char err[EXPAND_ERR_MAX])
{
	struct strbuf w = { 0 };
	char name[NAME_MAX_LEN + 1];
	const char *value = NULL;
	size_t len = 0;
	int found, shown = n > SHOWN_MAX ? SHOWN_MAX : (int)n;

	while (len < n && name_char(body[len]))
		len++;
	if (n == 0) {
		snprintf(err, EXPAND_ERR_MAX, "'${}': empty variable name");
		return -1;
	}
	if (len == 0 || !name_start(body[0]) || len >= sizeof(name)) {
		int bad = (int)(len > 0 ? len : n);

		snprintf(err, EXPAND_ERR_MAX, "'${%.*s}': '%.*s' is not a "
		    "variable name (letters, digits and _, not starting with a "
		    "digit, at most %d)", shown, body,
		    bad > SHOWN_MAX ? SHOWN_MAX : bad, body, NAME_MAX_LEN);
		return -1;
	}
	if (len != n && (n - len < 2 || body[len] != ':' ||
	    (body[len + 1] != '-' && body[len + 1] != '?'))) {
		snprintf(err, EXPAND_ERR_MAX, "'${%.*s}': unknown form (write "
		    "${VAR}, ${VAR:-default} or ${VAR:?message})", shown, body);
		return -1;
	}
	memcpy(name, body, len);
	name[len] = '\0';
	if ((found = env->lookup(env->arg, name, &value, err)) == -1)
		return -1;
	if (len == n && found == 1) {
		snprintf(err, EXPAND_ERR_MAX, "${%s} is not set (set it, or "
		    "write ${%s:-default})", name, name);
		return -1;
	}
	if (len == n || (found == 0 && *value != '\0')) {
		put_value(b, value, mode, q);
		return 0;
	}
	if (literal_word(body + len + 2, n - len - 2, body, n, &w, err) == -1) {
		sb_free(&w);
		return -1;
	}
	if (body[len + 1] == '-')
		put_value(b, w.p, mode, q);
	else if (w.len == 0)
		snprintf(err, EXPAND_ERR_MAX, "${%s} is not set", name);
	else
		snprintf(err, EXPAND_ERR_MAX, "%s: %s", name, w.p);
	if (w.oom)
		b->oom = true;
	sb_free(&w);
	return body[len + 1] == '-' ? 0 : -1;
}

/* A '$' outside single quotes at *pp: $$, ${...} or a plain '$'. */
static int
dollar(const char **pp, enum expand_mode mode, enum quote q,
    const struct expand_env *env, struct strbuf *b, bool *changed,
    char err[EXPAND_ERR_MAX])
{
	const char *p = *pp, *close;
	char name[NAME_MAX_LEN + 1];
	size_t n;

	if (p[1] == '$') {
		sb_add(b, "$", 1);
		*pp = p + 2;
		*changed = true;
		return 0;
	}
	if (p[1] != '{') {
		for (n = 0; name_char(p[1 + n]) && n < sizeof(name) - 1; n++)
			name[n] = p[1 + n];
		name[n] = '\0';
		if (n > 0 && name_start(name[0]) && env->warn != NULL)
			env->warn(env->arg, name);
		sb_add(b, "$", 1);
		*pp = p + 1;
		return 0;
	}
	if ((close = strchr(p + 2, '}')) == NULL) {
		snprintf(err, EXPAND_ERR_MAX, "unterminated '${' in '%.*s' "
		    "(close it with '}')", SHOWN_MAX, p);
		return -1;
	}
	if (substitute(p + 2, (size_t)(close - p - 2), mode, q, env, b,
	    err) == -1)
		return -1;
	*pp = close + 1;
	*changed = true;
	return 0;
}

int
expand(const char *s, enum expand_mode mode, const struct expand_env *env,
    char **out, char err[EXPAND_ERR_MAX])
{
	struct strbuf b = { 0 };
	enum quote q = Q_NONE;
	bool changed = false;
	const char *p = s;

	*out = NULL;
	while (*p != '\0') {
		if (q != Q_SINGLE && *p == '$') {
			if (dollar(&p, mode, q, env, &b, &changed, err) == -1) {
				sb_free(&b);
				return -1;
			}
			continue;
		}
		if (q != Q_SINGLE && *p == '\\' && p[1] != '\0') {
			sb_add(&b, p, 2);
			p += 2;
			continue;
		}
		if (*p == '\'' && q != Q_DOUBLE)
			q = q == Q_SINGLE ? Q_NONE : Q_SINGLE;
		else if (*p == '"' && q != Q_SINGLE)
			q = q == Q_DOUBLE ? Q_NONE : Q_DOUBLE;
		sb_add(&b, p++, 1);
	}
	if (b.p == NULL)
		sb_add(&b, "", 0);
	if (b.oom) {
		sb_free(&b);
		snprintf(err, EXPAND_ERR_MAX, "out of memory");
		return -1;
	}
	*out = b.p;
	return changed ? 1 : 0;
}
