/*
 * Reading env_file files.  The file is opened with the rights the service
 * will have (SPEC §12): as root, a path in a directory its user can write
 * could be a link to /etc/shadow or to another service's secrets, whose
 * lines would then land in this service's environment.  So a service with
 * a `user` reads its env_file as that user, and a symbolic link in a
 * directory the user can write is not followed (creds.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "confdiag.h"
#include "confenv.h"
#include "conffiles.h"
#include "creds.h"
#include "envfile.h"

/* Where the problems of one env_file go, and what they name. */
struct env_report {
	struct loader	*ld;
	const struct use *u;
	const char	*path;
};

static void
report_line(void *arg, int line, const char *msg)
{
	struct env_report *r = arg;
	const struct entry *e = r->u->e;

	err_at_path(r->ld, r->path, line, "%s (env_file of [service:%s], "
	    "%s:%d)", msg, e->sect->name, r->ld->c->files[e->sect->file],
	    e->line);
}

/*
 * Opens path as the service's user when corral is root and the service
 * names one; then reads it as conf_slurp() does.  -1 with err set.
 */
static int
open_as_service(const struct svc_conf *s, const char *path, int *fdp,
    bool *missing, char err[VALUE_ERR_MAX])
{
	struct creds cr = { s->uid, s->gid, NULL, -1 };
	gid_t *groups = NULL;
	bool nofollow = false;
	int fd;

	if (s->user != NULL && geteuid() == 0) {
		cr.ngroups = creds_groups(s->has_passwd ? s->user_name : NULL,
		    s->gid, &groups);
		if (cr.ngroups == -1) {
			snprintf(err, VALUE_ERR_MAX, "cannot list the groups of "
			    "%s: %s", s->user, strerror(errno));
			return -1;
		}
		cr.groups = groups;
	}
	fd = creds_open(&cr, path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK, 0, &nofollow);
	*missing = fd == -1 && errno == ENOENT;
	free(groups);
	if (fd == -1 && errno == ELOOP && nofollow)
		snprintf(err, VALUE_ERR_MAX, "cannot open as %s: a symbolic "
		    "link in a directory that user can write is not followed",
		    s->user);
	else if (fd == -1)
		snprintf(err, VALUE_ERR_MAX, "cannot open%s%s: %s",
		    s->user != NULL && geteuid() == 0 ? " as " : "",
		    s->user != NULL && geteuid() == 0 ? s->user : "",
		    strerror(errno));
	*fdp = fd;
	return fd == -1 ? -1 : 0;
}

/* The whole of one env_file into *bufp; -1 with err set. */
static int
read_env_file(const struct svc_conf *s, const char *path, char **bufp,
    size_t *lenp, bool *missing, char err[VALUE_ERR_MAX])
{
	int fd, r;

	if (open_as_service(s, path, &fd, missing, err) == -1)
		return -1;
	r = conf_slurp_fd(fd, ENVFILE_MAX, bufp, lenp, NULL, err);
	(void)close(fd);
	return r;
}

/* path, made relative to the directory of the file that names it. */
static char *
resolve_path(const struct loader *ld, const struct entry *e, const char *path)
{
	const char *file = ld->c->files[e->sect->file];
	const char *slash = strrchr(file, '/');
	char *full;
	int dirlen = *path == '/' || slash == NULL ? 0 :
	    (int)(slash - file + 1);

	if (asprintf(&full, "%.*s%s", dirlen, file, path) == -1)
		return NULL;
	return full;
}

/* Adds path to s->env_file and its variables to s->env. */
static void
add_env_file(struct loader *ld, const struct use *u, const char *word)
{
	struct svc_conf *s = u->svc;
	bool optional = word[0] == '-';
	struct env_report r = { ld, u, NULL };
	char err[VALUE_ERR_MAX], *buf, *path, **v;
	bool missing = false;
	size_t len;

	if (word[optional] == '\0') {
		conf_use_err(ld, u, "'%s' is not a path", word);
		return;
	}
	if ((path = resolve_path(ld, u->e, word + optional)) == NULL ||
	    (v = reallocarray(s->env_file, s->nenv_file + 2,
	    sizeof(*v))) == NULL) {
		free(path);
		ld->oom = true;
		return;
	}
	s->env_file = v;
	s->env_file[s->nenv_file++] = path;
	s->env_file[s->nenv_file] = NULL;
	if (read_env_file(s, path, &buf, &len, &missing, err) == -1) {
		/* A disabled service may name a file only an enabled one has. */
		if (!missing || !(optional || s->disabled))
			conf_use_err(ld, u, "%s: %s%s", path, err, missing ?
			    " (write -PATH if it may be missing)" : "");
		return;
	}
	r.path = path;
	if (envfile_parse(buf, len, &s->env, &s->nenv, report_line, &r) == -1)
		ld->oom = true;
	free(buf);
}

void
conf_env_file(struct loader *ld, const struct use *u)
{
	char **words;
	size_t n;

	if (conf_words(ld, u, &words, &n, "list of files") == -1)
		return;
	for (size_t i = 0; i < n && !ld->oom; i++)
		add_env_file(ld, u, words[i]);
	free(words);
}
