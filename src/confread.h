/*
 * Reading corral.conf(5) into entries: lines, sections and "key = value"
 * pairs, each checked for what inih would mangle.  Values are not parsed
 * here (confapply.c does that).
 */
#ifndef CORRAL_CONFREAD_H
#define CORRAL_CONFREAD_H

#include "confload.h"

/*
 * Reads ld->buf: ld->sects gets one section per header, ld->c one service
 * per valid [service:NAME], ld->entries every key of a valid section, in
 * file order.  Problems go to ld->d; out of memory sets ld->oom.
 */
void	conf_read(struct loader *ld);

/* Frees the sections and entries of ld, once nothing reads them. */
void	conf_read_free(struct loader *ld);

#endif
