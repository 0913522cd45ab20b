/*
 * Users and groups are looked up when the file is read, so `corral -t`
 * catches a typo before deployment; a numeric id needs no entry (as in
 * containers whose /etc/passwd does not know the uid).  The only file of
 * the loader that reads the user and group databases (through sysdb.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "confusers.h"
#include "sysdb.h"

int
lookup_user(struct svc_conf *s, const char *v, char err[VALUE_ERR_MAX])
{
	const struct passwd *pw;
	unsigned long id;
	char ignored[VALUE_ERR_MAX];
	bool numeric = parse_uint(v, 0, UINT32_MAX - 1, &id, ignored) == 0;

	pw = numeric ? sysdb_user_by_uid((uid_t)id) : sysdb_user_by_name(v);
	if (pw == NULL && !numeric) {
		snprintf(err, VALUE_ERR_MAX, "no user '%s' in %s%s%s (give a "
		    "user it has, or a numeric uid)", v, sysdb_users,
		    errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
		return -1;
	}
	if ((s->user = strdup(v)) == NULL)
		goto oom;
	if (pw == NULL) {
		s->uid = (uid_t)id;
		if (s->group == NULL)
			s->gid = (gid_t)id;
		return 0;
	}
	s->uid = pw->pw_uid;
	if (s->group == NULL)
		s->gid = pw->pw_gid;
	s->has_passwd = true;
	if ((s->home = strdup(pw->pw_dir)) == NULL ||
	    (s->user_name = strdup(pw->pw_name)) == NULL)
		goto oom;
	return 0;
oom:
	snprintf(err, VALUE_ERR_MAX, "out of memory");
	return -1;
}

int
lookup_group(struct svc_conf *s, const char *v, char err[VALUE_ERR_MAX])
{
	const struct group *gr;
	unsigned long id;
	char ignored[VALUE_ERR_MAX];

	if (parse_uint(v, 0, UINT32_MAX - 1, &id, ignored) == 0) {
		s->gid = (gid_t)id;
	} else {
		if ((gr = sysdb_group_by_name(v)) == NULL) {
			snprintf(err, VALUE_ERR_MAX, "no group '%s' in %s%s%s "
			    "(give a group it has, or a numeric gid)", v,
			    sysdb_groups, errno != 0 ? ": " : "",
			    errno != 0 ? strerror(errno) : "");
			return -1;
		}
		s->gid = gr->gr_gid;
	}
	if ((s->group = strdup(v)) == NULL) {
		snprintf(err, VALUE_ERR_MAX, "out of memory");
		return -1;
	}
	return 0;
}

int
lookup_control_group(struct config *c, const char *v,
    char err[VALUE_ERR_MAX])
{
	struct svc_conf tmp = { .gid = (gid_t)-1 };

	if (lookup_group(&tmp, v, err) == -1)
		return -1;
	c->control_group = tmp.group;
	c->control_gid = tmp.gid;
	return 0;
}

int
lookup_owner(struct svc_conf *s, const char *v, char err[VALUE_ERR_MAX])
{
	struct svc_conf tmp = { .uid = (uid_t)-1, .gid = (gid_t)-1 };
	const char *colon = strchr(v, ':');
	char user[128];
	int r;

	snprintf(user, sizeof(user), "%.*s", colon != NULL ?
	    (int)(colon - v) : (int)strlen(v), v);
	r = lookup_user(&tmp, user, err);
	if (r == 0 && colon != NULL)
		r = lookup_group(&tmp, colon + 1, err);
	if (r == 0) {
		s->listen_uid = tmp.uid;
		s->listen_gid = tmp.gid;
		if ((s->listen_owner = strdup(v)) == NULL) {
			snprintf(err, VALUE_ERR_MAX, "out of memory");
			r = -1;
		}
	}
	free(tmp.user);
	free(tmp.group);
	free(tmp.home);
	free(tmp.user_name);
	return r;
}
