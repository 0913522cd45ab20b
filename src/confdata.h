/*
 * The objects a config is made of (config.h): creating a service with its
 * defaults, giving it its own block of rare settings, adding it to a
 * config, freeing.  For the files of the loader; the public half
 * (config_default, config_free, config_find...) is declared in config.h.
 */
#ifndef CORRAL_CONFDATA_H
#define CORRAL_CONFDATA_H

#include <stddef.h>

#include "config.h"

/* A service named name with every default; NULL when out of memory. */
struct svc_conf *svc_new(const char *name, int line, unsigned index);

/* Frees s and all it holds; s may be NULL. */
void	svc_free(struct svc_conf *s);

/*
 * The rare settings of s, made its own on the first one that the file sets.
 * NULL when out of memory.
 */
struct svc_rare *rare_own(struct svc_conf *s);

/* Appends s to c, setting s->index; -1 when out of memory. */
int	conf_add_service(struct config *c, struct svc_conf *s);

/*
 * Makes room for element n of an array that holds n, doubling its size
 * from 8.  Returns the array, perhaps moved, or NULL (the old one is still
 * valid).
 */
void	*conf_grow(void *v, size_t n, size_t size);

#endif
