/*
 * The reader of env_file files (SPEC §13): KEY=VALUE lines, as systemd's
 * EnvironmentFile= and Docker's --env-file read them where the two agree.
 * Pure: it parses a buffer; opening the file is the loader's (confenv.c).
 *
 * - Lines end with LF; a CR before it is dropped; a UTF-8 byte-order mark
 *   at the start is skipped; the last line needs no LF.
 * - Blank lines, and lines whose first non-blank is '#', are skipped;
 *   leading blanks are.
 * - "export " (then blanks) may come before KEY.  KEY is letters, digits
 *   and _, not starting with a digit, and '=' follows it at once.
 * - VALUE is the rest of the line without trailing blanks, literally
 *   ('#' included); or '...', literally; or "...", where \" \\ \$ \` and
 *   \n (a newline) are escapes and any other backslash stays.  After a
 *   closing quote, only blanks and a '#' comment may follow.  A value is
 *   one line.  Nothing is expanded.
 * - A later line for the same KEY is appended after the earlier one; the
 *   environment is built so that the last one wins.
 */
#ifndef CORRAL_ENVFILE_H
#define CORRAL_ENVFILE_H

#include <stddef.h>

#define ENVFILE_MAX	(1 << 20)	/* bytes the loader reads of a file */

/* Told of a malformed line: a whole phrase, no file name. */
typedef void envfile_report_fn(void *arg, int line, const char *msg);

/*
 * Parses len bytes at buf (which may hold NUL bytes) and appends a
 * malloc'd "KEY=VALUE" for each assignment to *env, *n of them, kept
 * NULL-terminated (*env may start NULL with *n 0).  Each malformed line is
 * reported and skipped.  Returns how many lines were malformed, or -1 when
 * out of memory (what was appended stays valid).
 */
int	envfile_parse(const char *buf, size_t len, char ***env, size_t *n,
	    envfile_report_fn *report, void *arg);

#endif
