/*
 * The system's databases of users, groups and hosts, the one place corral
 * reads them.
 *
 * The normal build asks NSS (getpwnam(3), getgrouplist(3),
 * getaddrinfo(3)), so users from LDAP, sssd or systemd-userdbd and names
 * from DNS work as they do for every other program.  The static build
 * (SYSDB_FILES) cannot load NSS modules, so it reads /etc/passwd,
 * /etc/group and /etc/hosts itself, which is all a scratch or distroless
 * image has: there, a user only LDAP knows is unknown, and a probe's host
 * must be an address or in /etc/hosts.
 */
#ifndef CORRAL_SYSDB_H
#define CORRAL_SYSDB_H

#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Where users come from, for messages: "/etc/passwd" or NSS's words. */
extern const char sysdb_users[];
extern const char sysdb_groups[];

/*
 * As getpwnam(3), getpwuid(3) and getgrnam(3): NULL when there is none,
 * with errno 0, or set on an error.  The entry lives until the next call.
 */
const struct passwd	*sysdb_user_by_name(const char *name);
const struct passwd	*sysdb_user_by_uid(uid_t uid);
const struct group	*sysdb_group_by_name(const char *name);

/*
 * As getgrouplist(3): gid and the groups that list user, into groups (room
 * for *n); -1 with *n set to how many there are when they do not fit.
 */
int	sysdb_grouplist(const char *user, gid_t gid, gid_t *groups, int *n);

/* A numeric IPv4 or IPv6 address with port: no database.  0, or -1. */
int	sysdb_address(const char *text, unsigned port,
	    struct sockaddr_storage *ss, socklen_t *len);

/*
 * The first address of host (a name: see sysdb_address()), for a
 * stream socket to port.  Returns 0, or -1 with a reason in err.
 */
int	sysdb_host(const char *host, unsigned port, struct sockaddr_storage *ss,
	    socklen_t *len, char *err, size_t errlen);

#endif
