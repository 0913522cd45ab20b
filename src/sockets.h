/*
 * Listening sockets for services (SPEC §15): those corral inherited by
 * socket activation (LISTEN_FDS), and those it binds itself for a `listen`
 * line and keeps open across the service's restarts and across reloads,
 * so that clients wait in the backlog instead of being refused.  This file
 * owns every such descriptor; a service's child gets them from 3 on, with
 * LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID (spawn.c fills in the pid).
 */
#ifndef CORRAL_SOCKETS_H
#define CORRAL_SOCKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "values.h"

#define LISTEN_TEXT_MAX		128	/* "unix:" + sun_path, with room */
#define SERVICE_FDS_MAX		64	/* descriptors one service may get */

/* One `listen` word, parsed. */
struct listen_addr {
	char		 text[LISTEN_TEXT_MAX];	/* as written: its identity */
	int		 family;		/* AF_INET, AF_INET6, AF_UNIX */
	struct sockaddr_storage sa;
	socklen_t	 salen;
};

/*
 * Parses "tcp:ADDR:PORT", "tcp6:[ADDR]:PORT" or "unix:/PATH" (numeric
 * addresses only: no name is looked up).  0, or -1 with a whole reason in
 * err.  Pure.
 */
int	listen_parse(const char *word, struct listen_addr *out,
	    char err[VALUE_ERR_MAX]);

struct config;
struct svc_conf;

/*
 * Takes the descriptors corral was started with for socket activation
 * (LISTEN_PID naming corral), marks them close-on-exec so that no child
 * gets them unasked, and removes LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES
 * from corral's environment.  Before anything else opens a descriptor.
 */
void	sockets_inherit(void);

/*
 * Binds every `listen` address of c that is not open yet, with corral's
 * privileges.  Returns 0, or -1 with "ADDRESS: cannot bind: reason" in
 * err, having closed what it bound (what was open stays open).
 */
int	sockets_bind(const struct config *c, char err[VALUE_ERR_MAX]);

/*
 * c is the config now: sockets that none of its services names any more
 * close, and inherited ones that no service takes are reported (once).
 */
void	sockets_commit(const struct config *c);

/*
 * The descriptors s (of the config last committed) gets, in order: its
 * `listen` sockets, then the inherited ones its listen_names take (or, for
 * the command line's `main`, every inherited one no other service takes).  Fills fds (at
 * most SERVICE_FDS_MAX) and names ("a:b", the LISTEN_FDNAMES value);
 * returns how many.
 */
int	sockets_for(const struct svc_conf *s, int *fds, char *names,
	    size_t len);

/* Closes everything: corral's end. */
void	sockets_free(void);

#endif
