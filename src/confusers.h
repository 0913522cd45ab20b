/*
 * Users and groups of corral.conf(5), looked up when the file is read.
 * Each function sets the fields of one key from value v, or returns -1 with
 * a complete reason in err.
 */
#ifndef CORRAL_CONFUSERS_H
#define CORRAL_CONFUSERS_H

#include "config.h"

/*
 * user: s->user as written, uid, the passwd fields, and gid unless group is
 * set (group wins, in either order).
 */
int	lookup_user(struct svc_conf *s, const char *v,
	    char err[VALUE_ERR_MAX]);

/* group: s->group as written and gid. */
int	lookup_group(struct svc_conf *s, const char *v,
	    char err[VALUE_ERR_MAX]);

/*
 * listen_owner: USER or USER:GROUP (names or numbers) of a service's unix
 * sockets, into s->listen_owner as written, listen_uid and listen_gid
 * (the user's primary group unless GROUP is given).
 */
int	lookup_owner(struct svc_conf *s, const char *v,
	    char err[VALUE_ERR_MAX]);

/* [corral] control_group: c->control_group as written and control_gid. */
int	lookup_control_group(struct config *c, const char *v,
	    char err[VALUE_ERR_MAX]);

#endif
