/*
 * Problems found while loading (struct diag in config.h): diag_add() and
 * diag_free() for all of corral, err_at() for the files of the loader.
 */
#ifndef CORRAL_CONFDIAG_H
#define CORRAL_CONFDIAG_H

#include "confload.h"

/* An error "PATH:LINE: message" about line of the file ld reads. */
void	err_at(struct loader *ld, int line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
