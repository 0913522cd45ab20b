/*
 * Listening sockets.  An owned socket is known by its `listen` text: the
 * same text in the old config and the new one is the same socket, which
 * is how a reload keeps it (same inode, same backlog).  A socket no
 * service names any more is closed at the commit of the config that
 * dropped it: the service that held it has its own copy until it stops,
 * so clients are served on the old address until then.
 *
 * Sockets are blocking, as systemd hands them over: corral never accepts
 * on them, and a service may not expect O_NONBLOCK.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "sockets.h"
#include "trustdir.h"

#define INHERITED_MAX	SERVICE_FDS_MAX

struct owned {
	struct listen_addr a;
	int		 fd;
	bool		 fresh;		/* bound by the sockets_bind() under way */
};

static struct {
	struct owned	*owned;
	size_t		 nowned;
	int		 inherited[INHERITED_MAX];
	char		 names[INHERITED_MAX][64];
	size_t		 ninherited;
	bool		 reported;
	const struct config *conf;	/* the one committed last */
} sk;

static int
parse_port(const char *p, struct sockaddr_storage *sa, int family,
    char err[VALUE_ERR_MAX])
{
	unsigned long port;
	char e2[VALUE_ERR_MAX];

	if (parse_uint(p, 1, 65535, &port, e2) == -1) {
		snprintf(err, VALUE_ERR_MAX, "port '%s' is not 1-65535", p);
		return -1;
	}
	if (family == AF_INET)
		((struct sockaddr_in *)(void *)sa)->sin_port =
		    htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)(void *)sa)->sin6_port =
		    htons((uint16_t)port);
	return 0;
}

static int
parse_inet(const char *word, const char *rest, bool six,
    struct listen_addr *out, char err[VALUE_ERR_MAX])
{
	const char *colon = strrchr(rest, ':');
	char host[64];
	size_t n;

	if (colon == NULL) {
		snprintf(err, VALUE_ERR_MAX, "'%s' has no port (write %s)",
		    word, six ? "tcp6:[ADDR]:PORT" : "tcp:ADDR:PORT");
		return -1;
	}
	n = (size_t)(colon - rest);
	if (six && (n < 2 || rest[0] != '[' || rest[n - 1] != ']')) {
		snprintf(err, VALUE_ERR_MAX, "'%s': an IPv6 address goes in "
		    "brackets (tcp6:[::1]:8080)", word);
		return -1;
	}
	if (six)
		rest++, n -= 2;
	if (n >= sizeof(host)) {
		snprintf(err, VALUE_ERR_MAX, "'%s': the address is too long",
		    word);
		return -1;
	}
	memcpy(host, rest, n);
	host[n] = '\0';
	out->family = six ? AF_INET6 : AF_INET;
	out->sa.ss_family = (sa_family_t)out->family;
	if (inet_pton(out->family, host, six ?
	    (void *)&((struct sockaddr_in6 *)(void *)&out->sa)->sin6_addr :
	    (void *)&((struct sockaddr_in *)(void *)&out->sa)->sin_addr) != 1) {
		snprintf(err, VALUE_ERR_MAX, "'%s': '%s' is not a numeric IPv%c "
		    "address (names are not looked up)", word, host,
		    six ? '6' : '4');
		return -1;
	}
	out->salen = six ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	return parse_port(colon + 1, &out->sa, out->family, err);
}

int
listen_parse(const char *word, struct listen_addr *out,
    char err[VALUE_ERR_MAX])
{
	struct sockaddr_un *un = (struct sockaddr_un *)(void *)&out->sa;

	memset(out, 0, sizeof(*out));
	if (strlen(word) >= sizeof(out->text)) {
		snprintf(err, VALUE_ERR_MAX, "'%.40s...' is too long", word);
		return -1;
	}
	snprintf(out->text, sizeof(out->text), "%s", word);
	if (strncmp(word, "tcp:", 4) == 0)
		return parse_inet(word, word + 4, false, out, err);
	if (strncmp(word, "tcp6:", 5) == 0)
		return parse_inet(word, word + 5, true, out, err);
	if (strncmp(word, "unix:", 5) != 0) {
		snprintf(err, VALUE_ERR_MAX, "'%s' is not a socket address "
		    "(tcp:ADDR:PORT, tcp6:[ADDR]:PORT or unix:/PATH)", word);
		return -1;
	}
	if (word[5] != '/') {
		snprintf(err, VALUE_ERR_MAX, "'%s': a unix socket needs an "
		    "absolute path", word);
		return -1;
	}
	if (strlen(word + 5) >= sizeof(un->sun_path)) {
		snprintf(err, VALUE_ERR_MAX, "'%s': the path is %zu bytes, "
		    "more than a unix socket takes (%zu)", word,
		    strlen(word + 5), sizeof(un->sun_path) - 1);
		return -1;
	}
	out->family = AF_UNIX;
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, word + 5, strlen(word + 5) + 1);
	out->salen = sizeof(*un);
	return 0;
}

void
sockets_inherit(void)
{
	const char *pid = getenv("LISTEN_PID"), *nfds = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	long n;

	if (pid != NULL && nfds != NULL && strtol(pid, NULL, 10) == getpid()) {
		n = strtol(nfds, NULL, 10);
		if (n < 0 || n > INHERITED_MAX)
			n = n < 0 ? 0 : INHERITED_MAX;
		for (long i = 0; i < n; i++) {
			const char *end = names != NULL ?
			    names + strcspn(names, ":") : NULL;
			int fd = 3 + (int)i;

			if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
				continue;
			snprintf(sk.names[sk.ninherited], sizeof(sk.names[0]),
			    "%.*s", end != NULL ? (int)(end - names) : 7,
			    end != NULL ? names : "unknown");
			sk.inherited[sk.ninherited++] = fd;
			if (end != NULL)
				names = *end == ':' ? end + 1 : end;
		}
	}
	(void)unsetenv("LISTEN_PID");
	(void)unsetenv("LISTEN_FDS");
	(void)unsetenv("LISTEN_FDNAMES");
}

static struct owned *
find_owned(const char *text)
{
	for (size_t i = 0; i < sk.nowned; i++)
		if (strcmp(sk.owned[i].a.text, text) == 0)
			return &sk.owned[i];
	return NULL;
}

/*
 * A stale socket file is removed, through the directory opened without
 * following a link planted by someone else; and the new one gets its
 * owner the same way.
 */
static int
bind_unix(int fd, const struct listen_addr *a, const struct svc_conf *s)
{
	const char *path = a->text + 5, *base;
	int dir, r, saved;
	struct stat st;
	mode_t old;

	if ((dir = trustdir_open(path, &base)) == -1)
		return -1;
	if (fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISSOCK(st.st_mode))
		(void)unlinkat(dir, base, 0);
	old = umask(s->listen_mode >= 0 ? (mode_t)(~s->listen_mode & 0777) :
	    0111);
	r = bind(fd, (const struct sockaddr *)&a->sa, a->salen);
	(void)umask(old);
	if (r == 0 && s->listen_uid != (uid_t)-1)
		r = fchownat(dir, base, s->listen_uid, s->listen_gid,
		    AT_SYMLINK_NOFOLLOW);
	saved = errno;
	(void)close(dir);
	errno = saved;
	return r;
}

static int
open_listener(const struct listen_addr *a, const struct svc_conf *s)
{
	int fd, on = 1, saved;

	if ((fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if ((a->family != AF_UNIX && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR,
	    &on, sizeof(on)) == -1) || (a->family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1))
		goto fail;
	if (a->family == AF_UNIX ? bind_unix(fd, a, s) == -1 :
	    bind(fd, (const struct sockaddr *)&a->sa, a->salen) == -1)
		goto fail;
	if (listen(fd, SOMAXCONN) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}

/* Closes what the failed sockets_bind() under way had bound. */
static void
drop_fresh(void)
{
	size_t k = 0;

	for (size_t i = 0; i < sk.nowned; i++) {
		if (sk.owned[i].fresh)
			(void)close(sk.owned[i].fd);
		else
			sk.owned[k++] = sk.owned[i];
	}
	sk.nowned = k;
}

static int
bind_one(const struct listen_addr *a, const struct svc_conf *s,
    char err[VALUE_ERR_MAX])
{
	struct owned *v;
	int fd;

	if (find_owned(a->text) != NULL)
		return 0;
	if ((fd = open_listener(a, s)) == -1) {
		snprintf(err, VALUE_ERR_MAX, "[service:%s] listen: %s: cannot "
		    "bind: %s", s->name, a->text, strerror(errno));
		return -1;
	}
	if ((v = reallocarray(sk.owned, sk.nowned + 1, sizeof(*v))) == NULL) {
		(void)close(fd);
		snprintf(err, VALUE_ERR_MAX, "out of memory");
		return -1;
	}
	sk.owned = v;
	sk.owned[sk.nowned].a = *a;
	sk.owned[sk.nowned].fd = fd;
	sk.owned[sk.nowned++].fresh = true;
	log_debug("%s: listening on %s (fd %d)", s->name, a->text, fd);
	return 0;
}

int
sockets_bind(const struct config *c, char err[VALUE_ERR_MAX])
{
	for (size_t i = 0; i < c->nservices; i++) {
		const struct svc_conf *s = c->services[i];

		for (size_t j = 0; j < s->nlisten; j++)
			if (bind_one(&s->listen[j], s, err) == -1) {
				drop_fresh();
				return -1;
			}
	}
	for (size_t i = 0; i < sk.nowned; i++)
		sk.owned[i].fresh = false;
	return 0;
}

static bool
named_in(const struct config *c, const char *text)
{
	for (size_t i = 0; i < c->nservices; i++)
		for (size_t j = 0; j < c->services[i]->nlisten; j++)
			if (strcmp(c->services[i]->listen[j].text, text) == 0)
				return true;
	return false;
}

/* Whether a service of c other than `main` of the command line takes it. */
static bool
taken_by_name(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->nservices; i++)
		for (size_t j = 0; j < c->services[i]->nlisten_names; j++)
			if (strcmp(c->services[i]->listen_names[j], name) == 0)
				return true;
	return false;
}

static const struct svc_conf *
command_line_main(const struct config *c)
{
	const struct svc_conf *m = config_find(c, "main");

	return m != NULL && m->line == 0 ? m : NULL;
}

void
sockets_commit(const struct config *c)
{
	size_t k = 0;

	sk.conf = c;
	for (size_t i = 0; i < sk.nowned; i++) {
		if (named_in(c, sk.owned[i].a.text))
			sk.owned[k++] = sk.owned[i];
		else {
			log_info("closing %s: no service listens there any "
			    "more", sk.owned[i].a.text);
			(void)close(sk.owned[i].fd);
		}
	}
	sk.nowned = k;
	if (sk.reported || command_line_main(c) != NULL)
		return;
	sk.reported = true;
	for (size_t i = 0; i < sk.ninherited; i++)
		if (!taken_by_name(c, sk.names[i]))
			log_warnx("inherited socket fd %d (name '%s') is taken "
			    "by no service: name it in listen_names",
			    sk.inherited[i], sk.names[i]);
}

/* Appends fd and name to the lists; false when they are full. */
static bool
add_fd(int fd, const char *name, int *fds, int *n, char *names, size_t len)
{
	size_t used = strlen(names);

	if (*n >= SERVICE_FDS_MAX ||
	    used + strlen(name) + 2 > len)
		return false;
	snprintf(names + used, len - used, "%s%s", *n > 0 ? ":" : "", name);
	fds[(*n)++] = fd;
	return true;
}

int
sockets_for(const struct svc_conf *s, int *fds, char *names, size_t len)
{
	const struct config *c = sk.conf;
	bool is_main = s->line == 0 && strcmp(s->name, "main") == 0;
	int n = 0;

	names[0] = '\0';
	if (c == NULL)
		return 0;
	for (size_t j = 0; j < s->nlisten; j++) {
		const struct owned *o = find_owned(s->listen[j].text);

		if (o != NULL)
			(void)add_fd(o->fd, s->name, fds, &n, names, len);
	}
	for (size_t i = 0; i < sk.ninherited; i++) {
		bool take = is_main && !taken_by_name(c, sk.names[i]);

		for (size_t j = 0; !take && j < s->nlisten_names; j++)
			take = strcmp(s->listen_names[j], sk.names[i]) == 0;
		if (take)
			(void)add_fd(sk.inherited[i], sk.names[i], fds, &n,
			    names, len);
	}
	return n;
}

void
sockets_free(void)
{
	for (size_t i = 0; i < sk.nowned; i++)
		(void)close(sk.owned[i].fd);
	free(sk.owned);
	memset(&sk, 0, sizeof(sk));
}
