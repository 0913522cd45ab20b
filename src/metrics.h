/*
 * corral's figures in the Prometheus text exposition format (SPEC §16), for
 * `corralctl metrics` and `metrics_file`: one gauge or counter per service
 * and name, labelled service="NAME", and corral's own count of adopted
 * orphans it reaped.  Renders only: who writes it where is the caller's.
 */
#ifndef CORRAL_METRICS_H
#define CORRAL_METRICS_H

#include <stddef.h>

#include "service.h"
#include "strbuf.h"

void	metrics_text(struct strbuf *b, struct service *const *svcs, size_t n,
	    unsigned long adopted);

#endif
