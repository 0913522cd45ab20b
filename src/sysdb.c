/*
 * Users, groups and hosts: through NSS, or (SYSDB_FILES, the static
 * build) from the files themselves.  See sysdb.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sysdb.h"

/* An address of family af in text, with port, into *ss. */
static bool
fill_address(int af, const char *text, unsigned port,
    struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (af == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*len = sizeof(*in);
		return inet_pton(AF_INET, text, &in->sin_addr) == 1;
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons((uint16_t)port);
	*len = sizeof(*in6);
	return inet_pton(AF_INET6, text, &in6->sin6_addr) == 1;
}

#ifdef SYSDB_FILES

const char sysdb_users[] = "/etc/passwd";
const char sysdb_groups[] = "/etc/group";

/* fgetpwent(3) and fgetgrent(3) read a file: no NSS module is loaded. */
static const struct passwd *
find_user(const char *name, uid_t uid)
{
	FILE *f = fopen(sysdb_users, "re");
	struct passwd *pw;
	int saved;

	if (f == NULL)
		return NULL;
	errno = 0;
	while ((pw = fgetpwent(f)) != NULL)
		if (name != NULL ? strcmp(pw->pw_name, name) == 0 :
		    pw->pw_uid == uid)
			break;
	saved = pw != NULL || errno == ENOENT ? 0 : errno;
	(void)fclose(f);	/* read only */
	errno = saved;
	return pw;
}

const struct passwd *
sysdb_user_by_name(const char *name)
{
	return find_user(name, 0);
}

const struct passwd *
sysdb_user_by_uid(uid_t uid)
{
	return find_user(NULL, uid);
}

const struct group *
sysdb_group_by_name(const char *name)
{
	FILE *f = fopen(sysdb_groups, "re");
	struct group *gr;
	int saved;

	if (f == NULL)
		return NULL;
	errno = 0;
	while ((gr = fgetgrent(f)) != NULL && strcmp(gr->gr_name, name) != 0)
		;
	saved = gr != NULL || errno == ENOENT ? 0 : errno;
	(void)fclose(f);	/* read only */
	errno = saved;
	return gr;
}

static bool
lists(char *const *members, const char *user)
{
	for (; members != NULL && *members != NULL; members++)
		if (strcmp(*members, user) == 0)
			return true;
	return false;
}

int
sysdb_grouplist(const char *user, gid_t gid, gid_t *groups, int *n)
{
	FILE *f = fopen(sysdb_groups, "re");
	struct group *gr;
	int count = 0;

	if (count < *n)
		groups[count] = gid;
	count++;
	while (f != NULL && (gr = fgetgrent(f)) != NULL)
		if (gr->gr_gid != gid && lists(gr->gr_mem, user)) {
			if (count < *n)
				groups[count] = gr->gr_gid;
			count++;
		}
	if (f != NULL)
		(void)fclose(f);	/* read only */
	if (count > *n) {
		*n = count;
		return -1;
	}
	*n = count;
	return count;
}

/* Whether the /etc/hosts line holds host among its names; *addr its address. */
static bool
hosts_line(char *line, const char *host, char **addr)
{
	char *save, *w;

	line[strcspn(line, "#\n")] = '\0';
	if ((*addr = strtok_r(line, " \t", &save)) == NULL)
		return false;
	while ((w = strtok_r(NULL, " \t", &save)) != NULL)
		if (strcasecmp(w, host) == 0)
			return true;
	return false;
}

int
sysdb_host(const char *host, unsigned port, struct sockaddr_storage *ss,
    socklen_t *len, char *err, size_t errlen)
{
	FILE *f = fopen("/etc/hosts", "re");
	char line[512], *addr;
	bool found = false;

	while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL)
		found = hosts_line(line, host, &addr) &&
		    (fill_address(AF_INET, addr, port, ss, len) ||
		    fill_address(AF_INET6, addr, port, ss, len));
	if (f != NULL)
		(void)fclose(f);	/* read only */
	if (!found)
		snprintf(err, errlen, "host '%.100s' is not in /etc/hosts (the "
		    "static corral does not ask DNS: give an address, or add "
		    "the name to /etc/hosts)", host);
	return found ? 0 : -1;
}

#else

const char sysdb_users[] = "the user database";
const char sysdb_groups[] = "the group database";

const struct passwd *
sysdb_user_by_name(const char *name)
{
	errno = 0;
	return getpwnam(name);
}

const struct passwd *
sysdb_user_by_uid(uid_t uid)
{
	errno = 0;
	return getpwuid(uid);
}

const struct group *
sysdb_group_by_name(const char *name)
{
	errno = 0;
	return getgrnam(name);
}

int
sysdb_grouplist(const char *user, gid_t gid, gid_t *groups, int *n)
{
	return getgrouplist(user, gid, groups, n);
}

int
sysdb_host(const char *host, unsigned port, struct sockaddr_storage *ss,
    socklen_t *len, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICSERV }, *res;
	char service[8];
	int rc;

	snprintf(service, sizeof(service), "%u", port);
	if ((rc = getaddrinfo(host, service, &hints, &res)) != 0) {
		snprintf(err, errlen, "host '%.100s' does not resolve: %s", host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

#endif

int
sysdb_address(const char *text, unsigned port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	return fill_address(AF_INET, text, port, ss, len) ||
	    fill_address(AF_INET6, text, port, ss, len) ? 0 : -1;
}
