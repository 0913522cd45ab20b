/*
 * The line reader of one file: inih does the INI splitting, this file does
 * everything inih cannot.
 *
 * Debian's inih silently splits lines longer than its 200-byte buffer, gives
 * the handler no line numbers, cannot tell a continuation line from a
 * repeated key, and reports only the first syntax error.  So the file is
 * read into memory and handed to ini_parse_stream() line by line through
 * read_line(), which counts lines, rejects what inih would mangle (long
 * lines, NUL bytes, control characters), tracks section headers itself and
 * catches malformed lines, passing inih an empty line in their place.  The
 * handler only records (section, key, value, line) entries; their values
 * are applied afterwards, driven by the key table.  Services are not made
 * here: a section may stand for many (instances), and its name is checked
 * against every file's (confcompose.c).
 */
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "confdata.h"
#include "confdiag.h"
#include "confkeys.h"
#include "confread.h"

static void
unknown_key(struct loader *ld, int line, enum sect_kind sect,
    const char *secname, const char *name)
{
	const struct key *best, *other;
	size_t best_d;

	best = conf_nearest_key(sect, name, &best_d);
	other = conf_find_key(sect == SECT_CORRAL ? SECT_SERVICE : SECT_CORRAL,
	    name);
	if (other != NULL && other->sect == SECT_CORRAL && ld->included)
		err_at(ld, ld->file, line, "%s '%s' in an included file: only "
		    "the [corral] section of %s may set it", secname, name,
		    ld->c->path);
	else if (other != NULL)
		err_at(ld, ld->file, line, "%s unknown key '%s' here (it belongs "
		    "in %s)", secname, name,
		    other->sect == SECT_CORRAL ? "[corral]" : "a [service:NAME]");
	else if (best != NULL && best_d <= 1 + strlen(name) / 4)
		err_at(ld, ld->file, line, "%s unknown key '%s' (did you mean "
		    "'%s'?)", secname, name, best->name);
	else
		err_at(ld, ld->file, line, "%s unknown key '%s' (see "
		    "corral.conf(5) for the keys of this section)", secname,
		    name);
}

static bool
valid_service_name(const char *s, size_t n)
{
	if (n == 0 || n > SERVICE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789_.-", s[i]) == NULL || s[i] == '\0')
			return false;
	return true;
}

/* Where inih would see an inline comment: ';' after a blank. */
static const char *
find_inline_comment(const char *s)
{
	for (const char *p = s; *p != '\0'; p++)
		if (*p == ';' && p > s && (p[-1] == ' ' || p[-1] == '\t'))
			return p;
	return NULL;
}

/*
 * The text between '[' and ']' of header line into text, or -1 when the
 * line is not a whole header (reported).
 */
static int
header_text(struct loader *ld, const char *line, char text[CONFIG_LINE_MAX])
{
	const char *close = strchr(line, ']');
	const char *comment = find_inline_comment(line);
	const char *rest;
	size_t n;

	if (close == NULL || (comment != NULL && comment < close)) {
		err_at(ld, ld->file, ld->lineno, "section header without closing ']' "
		    "(write [corral] or [service:NAME])");
		return -1;
	}
	n = (size_t)(close - line - 1);
	memcpy(text, line + 1, n);
	text[n] = '\0';
	for (rest = close + 1; *rest == ' ' || *rest == '\t'; rest++)
		;
	if (*rest != '\0' && *rest != ';' && *rest != '#') {
		err_at(ld, ld->file, ld->lineno, "unexpected text '%s' after section "
		    "header [%s]", rest, text);
		return -1;
	}
	return 0;
}

static enum sect_kind
corral_section(struct loader *ld)
{
	if (ld->included) {
		err_at(ld, ld->file, ld->lineno, "[corral] in an included file: "
		    "included files hold only [service:NAME] sections (move "
		    "these settings to %s)", ld->c->path);
		return SECT_INVALID;
	}
	if (!ld->seen_corral) {
		ld->seen_corral = true;
		return SECT_CORRAL;
	}
	for (size_t i = 0; i < ld->nsects; i++)
		if (ld->sects[i]->kind == SECT_CORRAL) {
			err_at(ld, ld->file, ld->lineno, "second [corral] section (the "
			    "first is at line %d; merge them)",
			    ld->sects[i]->line);
			break;
		}
	return SECT_INVALID;
}

/* [service:NAME] (text): its name goes to sec. */
static enum sect_kind
service_section(struct loader *ld, const char *text, struct section *sec)
{
	const char *name = text + 8;

	if (!valid_service_name(name, strlen(name))) {
		err_at(ld, ld->file, ld->lineno, "[%s]: '%s' is not a valid "
		    "service name (1-%d characters of A-Z a-z 0-9 _ . -)",
		    text, name, SERVICE_NAME_MAX);
		return SECT_INVALID;
	}
	/* valid_service_name() bounds it. */
	memcpy(sec->name, name, strlen(name) + 1);
	return SECT_SERVICE;
}

/* What header line opens; SECT_INVALID when it is wrong (reported). */
static enum sect_kind
section_kind(struct loader *ld, const char *line, struct section *sec)
{
	char text[CONFIG_LINE_MAX];

	if (header_text(ld, line, text) == -1)
		return SECT_INVALID;
	if (strcmp(text, "corral") == 0)
		return corral_section(ld);
	if (strncmp(text, "service:", 8) == 0)
		return service_section(ld, text, sec);
	err_at(ld, ld->file, ld->lineno, "unknown section [%s] (expected [corral] "
	    "or [service:NAME])%s", text,
	    strchr(text, ':') != NULL && strncasecmp(text, "service", 7) != 0 ?
	    "; corral calls programs [service:NAME]" : "");
	return SECT_INVALID;
}

/*
 * Every header gets a section, a wrong one too: its keys are then dropped
 * without a message each, since the header was reported.
 */
static void
begin_section(struct loader *ld, const char *line)
{
	struct section *sec, **v;

	ld->have_key = false;
	ld->cur = NULL;
	if ((v = conf_grow(ld->sects, ld->nsects, sizeof(*v))) == NULL) {
		ld->oom = true;
		return;
	}
	ld->sects = v;
	if ((sec = calloc(1, sizeof(*sec))) == NULL) {
		ld->oom = true;
		return;
	}
	ld->sects[ld->nsects++] = sec;
	sec->line = ld->lineno;
	sec->file = ld->file;
	sec->kind = section_kind(ld, line, sec);
	ld->cur = sec;
}

/*
 * Checks one physical line and returns what inih should see: the line
 * itself, or "\n" when the line is wrong (already reported) or is a section
 * header (tracked here rather than by inih, so that every header is checked
 * even when no key follows it).
 */
static const char *
classify_line(struct loader *ld, char *line, size_t n)
{
	char *p;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)line[i];

		if (ch == '\0') {
			err_at(ld, ld->file, ld->lineno, "NUL byte at column %zu (is this "
			    "a text file?)", i + 1);
			return "\n";
		}
		if ((ch < 0x20 && ch != '\t' && ch != '\n') || ch == 0x7f) {
			err_at(ld, ld->file, ld->lineno, "control character 0x%02x at "
			    "column %zu (is this a text file?)", ch, i + 1);
			return "\n";
		}
	}
	ld->indented = (line[0] == ' ' || line[0] == '\t');
	for (p = line; *p == ' ' || *p == '\t' || *p == '\n'; p++)
		;
	if (*p == '\0' || *p == ';' || *p == '#')
		return line;
	ld->comment_cut = find_inline_comment(p) != NULL;
	if (ld->indented && ld->have_key) {
		/* Debian's inih strips inline comments on key lines only. */
		const char *comment = find_inline_comment(p);

		if (comment != NULL) {
			char *cut = p + (comment - p);

			cut[0] = '\n';
			cut[1] = '\0';
		}
		return line;
	}
	if (*p == '[') {
		char header[CONFIG_LINE_MAX];
		size_t len = strcspn(p, "\n");

		memcpy(header, p, len);
		header[len] = '\0';
		begin_section(ld, header);
		/* inih sees it too: it must forget the previous key. */
		return line;
	}
	{
		const char *comment = find_inline_comment(p);
		size_t kv = strcspn(p, "=:");

		if (p[kv] == '\0' || (comment != NULL && comment < p + kv)) {
			char *nl = strchr(p, '\n');

			if (nl != NULL)
				*nl = '\0';
			err_at(ld, ld->file, ld->lineno, "'%s' is not a 'key = value' line",
			    p);
			return "\n";
		}
	}
	return line;
}

static char *
read_line(char *str, int num, void *arg)
{
	struct loader *ld = arg;
	char *line = ld->line;
	const char *start, *nl, *out;
	size_t n;

	if (ld->pos >= ld->len)
		return NULL;
	start = ld->buf + ld->pos;
	nl = memchr(start, '\n', ld->len - ld->pos);
	n = nl != NULL ? (size_t)(nl - start) + 1 : ld->len - ld->pos;
	ld->pos += n;
	ld->lineno++;
	ld->comment_cut = false;
	if (ld->lineno == 1 && n >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0) {
		start += 3;
		n -= 3;
	}
	if (n >= CONFIG_LINE_MAX) {
		err_at(ld, ld->file, ld->lineno, "line is %zu bytes long; lines must be "
		    "shorter than %d bytes (split a long value over indented "
		    "continuation lines)", n, CONFIG_LINE_MAX);
		out = "\n";
	} else {
		memcpy(line, start, n);
		line[n] = '\0';
		/* CRLF: inih would keep the '\r' on values of the last line. */
		if (n >= 2 && line[n - 2] == '\r' && line[n - 1] == '\n') {
			line[n - 2] = '\n';
			line[n - 1] = '\0';
			n--;
		} else if (n >= 1 && line[n - 1] == '\r') {
			line[--n] = '\0';
		}
		out = classify_line(ld, line, n);
	}
	snprintf(str, (size_t)num, "%s", out);
	return str;
}

static int
handler(void *arg, const char *section, const char *name, const char *value)
{
	struct loader *ld = arg;
	struct entry *e;
	const struct key *k;
	bool continuation = ld->indented && ld->have_key;

	(void)section;
	if (ld->cur == NULL) {
		err_at(ld, ld->file, ld->lineno, "key '%s' before any section "
		    "(put it under %s)", name, ld->included ?
		    "a [service:NAME]" : "[corral] or [service:NAME]");
		return 1;
	}
	if (ld->cur->kind == SECT_INVALID)
		return 1;		/* the header was reported */
	if (continuation) {
		struct entry *last = ld->nentries ? &ld->entries[ld->nentries - 1] : NULL;
		char *joined;

		ld->have_key = true;
		if (last == NULL || last->sect != ld->cur || *value == '\0')
			return 1;
		if (asprintf(&joined, "%s%s%s", last->value,
		    *last->value ? " " : "", value) == -1) {
			ld->oom = true;
			return 1;
		}
		free(last->value);
		last->value = joined;
		last->comment_cut |= ld->comment_cut;
		return 1;
	}
	ld->have_key = true;
	k = conf_find_key(ld->cur->kind, name);
	if (k == NULL) {
		char secname[SERVICE_NAME_MAX + 16];

		if (ld->cur->kind == SECT_CORRAL)
			snprintf(secname, sizeof(secname), "[corral]");
		else
			snprintf(secname, sizeof(secname), "[service:%s]",
			    ld->cur->name);
		unknown_key(ld, ld->lineno, ld->cur->kind, secname, name);
		/* Continuation lines of an unknown key are dropped with it. */
		k = NULL;
	}
	if ((e = conf_grow(ld->entries, ld->nentries, sizeof(*e))) == NULL) {
		ld->oom = true;
		return 1;
	}
	ld->entries = e;
	if (ld->cur->nentries++ == 0)
		ld->cur->first = ld->nentries;
	e = &ld->entries[ld->nentries++];
	e->sect = ld->cur;
	e->key = k;
	e->value = strdup(value);
	e->line = ld->lineno;
	e->comment_cut = ld->comment_cut;
	if (e->value == NULL)
		ld->oom = true;
	return 1;
}

void
conf_read(struct loader *ld)
{
	ld->pos = 0;
	ld->lineno = 0;
	ld->cur = NULL;
	ld->have_key = false;
	(void)ini_parse_stream(read_line, ld, handler, ld);
}

void
conf_read_free(struct loader *ld)
{
	for (size_t i = 0; i < ld->nentries; i++)
		free(ld->entries[i].value);
	free(ld->entries);
	for (size_t i = 0; i < ld->nsects; i++) {
		free(ld->sects[i]->svcs);
		free(ld->sects[i]);
	}
	free(ld->sects);
}
