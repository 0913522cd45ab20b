/*
 * Problems found while loading (struct diag in config.h): diag_add() and
 * diag_free() for all of corral, err_at() for the files of the loader.
 */
#ifndef CORRAL_CONFDIAG_H
#define CORRAL_CONFDIAG_H

#include "confload.h"

/*
 * An error "PATH:LINE: message" about line of file (an index into the
 * files of the config being loaded); a line said already is not repeated.
 */
void	err_at(struct loader *ld, unsigned file, int line, const char *fmt,
	    ...) __attribute__((format(printf, 4, 5)));

/* The same about a file that is not part of the config (an env_file). */
void	err_at_path(struct loader *ld, const char *path, int line,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "PATH:LINE: warning: message", which does not fail the load. */
void	warn_at(struct loader *ld, unsigned file, int line, const char *fmt,
	    ...) __attribute__((format(printf, 4, 5)));

#endif
