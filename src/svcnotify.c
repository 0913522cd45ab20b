/*
 * Nothing on the way to a service's socket is writable by the service's
 * user (SPEC §12): the runtime directory is corral's, mode 0711, and so is
 * the subdirectory of each service, mode 0711.  corral binds the socket
 * there with mode 0600 from the first moment and only then gives it to the
 * service's user, through a descriptor of that subdirectory and without
 * following a link.  A service can reach its own socket and no other, and
 * nothing it renames or replaces can steer one of corral's calls elsewhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "health.h"
#include "log.h"
#include "svcnotify.h"

#define DGRAM_MAX	4096
#define FIELD_MAX	64	/* longest field name shown in a warning */
/* The kernel's SCM_MAX_FD: every descriptor a datagram carries is received. */
#define FDS_MAX		253
#define CBUF_SIZE	(CMSG_SPACE(sizeof(struct ucred)) +		\
			 CMSG_SPACE(FDS_MAX * sizeof(int)))

#define AS_NW_TEXT(e, s) s,
static const char *const nw_text[NW__COUNT] = { NOTIFY_WARNINGS(AS_NW_TEXT) };

/* Fields of sd_notify(3) that corral does not act on, and need no warning. */
static const char *const quiet_fields[] = {
	"MONOTONIC_USEC", "NOTIFYACCESS", "ERRNO", "BUSERROR", "VARLINKERROR",
	"EXIT_STATUS", "MAINPIDFDID", "WATCHDOG_USEC", "EXTEND_TIMEOUT_USEC",
	"FDSTORE", "FDSTOREREMOVE", "FDNAME", "FDPOLL", "BARRIER",
	"READY", "RELOADING", "STOPPING", "WATCHDOG",	/* other values */
};

static struct ev_loop	*sn_loop;
static svcnotify_fn	*sn_fn;
static char		 sn_dir[108];
static int		 sn_dirfd = -1;

void
svcnotify_init(struct ev_loop *loop, svcnotify_fn *fn)
{
	sn_loop = loop;
	sn_fn = fn;
}

static int
make_dir(void)
{
	const char *base = getenv("XDG_RUNTIME_DIR");

	if (sn_dirfd != -1)
		return 0;
	if (geteuid() == 0)
		base = "/run";
	else if (base == NULL || *base != '/')
		base = "/tmp";
	if ((size_t)snprintf(sn_dir, sizeof(sn_dir), "%s/corral.XXXXXX", base) >=
	    sizeof(sn_dir) || mkdtemp(sn_dir) == NULL) {
		log_warn("unable to create a runtime directory in %s", base);
		sn_dir[0] = '\0';
		return -1;
	}
	/* Ours and 0700 from mkdtemp(); in /tmp the sticky bit keeps it so. */
	if ((sn_dirfd = open(sn_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || fchmod(sn_dirfd, 0711) == -1) {
		log_warn("unable to set the mode of %s", sn_dir);
		if (sn_dirfd != -1)
			(void)close(sn_dirfd);	/* a directory: nothing to lose */
		sn_dirfd = -1;
		(void)rmdir(sn_dir);		/* empty, and ours */
		sn_dir[0] = '\0';
		return -1;
	}
	return 0;
}

static double
mono_now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);	/* cannot fail */
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* " (N more since the last warning)", or "" when none was held back. */
static const char *
held_text(unsigned long held)
{
	static char buf[64];

	if (held == 0)
		return "";
	snprintf(buf, sizeof(buf), " (%lu more since the last warning)", held);
	return buf;
}

/* Whether a warning of kind w caused by s is shown now (SPEC §12). */
static bool
may_warn(struct service *s, enum notify_warning w, unsigned long *held)
{
	return ratelimit_allow(&s->health->notify_rl[w], mono_now(), held);
}

/* A line of a datagram that corral does not act on. */
static void
check_unused(struct service *s, const char *line)
{
	const char *eq = strchr(line, '=');
	size_t len = eq != NULL ? (size_t)(eq - line) : 0;
	unsigned long held;

	if (len == 0 || len > FIELD_MAX || strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_") != len) {
		if (may_warn(s, NW_MALFORMED, &held))
			log_warnx("%s: ignored a notification line that is not "
			    "NAME=VALUE%s", s->conf->name, held_text(held));
		return;
	}
	if (strncmp(line, "X_", 2) == 0)
		return;			/* sd_notify(3) leaves X_ to anyone */
	for (size_t i = 0; i < sizeof(quiet_fields) / sizeof(*quiet_fields); i++)
		if (strlen(quiet_fields[i]) == len &&
		    strncmp(line, quiet_fields[i], len) == 0) {
			log_debug("%s: ignored the notification field %.*s",
			    s->conf->name, (int)len, line);
			return;
		}
	if (may_warn(s, NW_UNKNOWN, &held))
		log_warnx("%s: ignored the unknown notification field %.*s%s",
		    s->conf->name, (int)len, line, held_text(held));
}

void
svcnotify_parse(struct service *s, char *msg, size_t len, svcnotify_fn *fn)
{
	char *line, *save = NULL;

	msg[len] = '\0';
	for (line = strtok_r(msg, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strcmp(line, "READY=1") == 0)
			fn(s, SN_READY, NULL);
		else if (strncmp(line, "STATUS=", 7) == 0)
			fn(s, SN_STATUS, line + 7);
		else if (strcmp(line, "STOPPING=1") == 0)
			fn(s, SN_STOPPING, NULL);
		else if (strcmp(line, "RELOADING=1") == 0)
			fn(s, SN_RELOADING, NULL);
		else if (strcmp(line, "WATCHDOG=1") == 0)
			fn(s, SN_WATCHDOG, NULL);
		else if (strncmp(line, "MAINPID=", 8) == 0)
			fn(s, SN_MAINPID, line + 8);
		else
			check_unused(s, line);
	}
}

/*
 * Closes every descriptor the datagram carried, before anything else looks
 * at it: anyone who can reach the socket may attach some, and corral keeps
 * none.  Returns the sender's credentials, or NULL.
 */
static struct ucred *
take_cmsgs(struct msghdr *mh)
{
	struct ucred *cred = NULL;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL;
	    c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int fd;

			for (size_t i = 0; i < n; i++) {
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int),
				    sizeof(fd));
				/* Never used by corral: nothing to flush. */
				(void)close(fd);
			}
		} else if (c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
			cred = (struct ucred *)(void *)CMSG_DATA(c);
	}
	return cred;
}

static void
notify_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct service *s = w->data;
	char buf[DGRAM_MAX + 1];
	union {
		char		 buf[CBUF_SIZE];
		struct cmsghdr	 align;
	} cbuf;
	struct iovec iov = { .iov_base = buf, .iov_len = DGRAM_MAX };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf),
	};
	struct ucred *cred;
	unsigned long held;
	ssize_t r;

	(void)loop;
	(void)revents;
	r = recvmsg(w->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
	if (r == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("%s: unable to read a notification from %s",
			    s->conf->name, s->health->notify_path);
		return;
	}
	cred = take_cmsgs(&mh);
	if ((mh.msg_flags & MSG_CTRUNC) || cred == NULL || s->pgid == 0 ||
	    (cred->pid != s->pid && getpgid(cred->pid) != s->pgid)) {
		log_debug("%s: ignored a notification from pid %d, not of "
		    "this service or with cut ancillary data", s->conf->name,
		    cred ? (int)cred->pid : -1);
		return;
	}
	if ((size_t)r > DGRAM_MAX || (mh.msg_flags & MSG_TRUNC)) {
		if (may_warn(s, NW_BIG, &held))
			log_warnx("%s: ignored a notification over %d bytes%s",
			    s->conf->name, DGRAM_MAX, held_text(held));
		return;
	}
	svcnotify_parse(s, buf, (size_t)r, sn_fn);
}

/*
 * The directory of a service, in sn_dir where only corral writes, so the
 * entry is corral's own even when an earlier run left it.  Returns a
 * descriptor of it, or -1 (logged).
 */
static int
open_svc_dir(const char *name)
{
	int fd;

	if (mkdirat(sn_dirfd, name, 0700) == -1 && errno != EEXIST) {
		log_warn("%s: unable to create %s/%s", name, sn_dir, name);
		return -1;
	}
	/* Searchable by the service's user, whatever corral's umask. */
	if ((fd = openat(sn_dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || fchmod(fd, 0711) == -1) {
		log_warn("%s: unable to open %s/%s", name, sn_dir, name);
		if (fd != -1)
			(void)close(fd);	/* a directory: nothing to lose */
		return -1;
	}
	return fd;
}

/* Binds sa, which is "notify" in dirfd, for s; a descriptor or -1 (logged). */
static int
bind_socket(const struct svc_conf *c, int dirfd, const struct sockaddr_un *sa)
{
	int one = 1, fd, r;
	mode_t mask;

	if (unlinkat(dirfd, "notify", 0) == -1 && errno != ENOENT) {
		log_warn("%s: unable to remove %s", c->name, sa->sun_path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) == -1) {
		log_warn("%s: unable to create notify socket %s", c->name,
		    sa->sun_path);
		if (fd != -1)
			(void)close(fd);	/* unbound: nothing to lose */
		return -1;
	}
	/* bind() gives 0777 less the umask: make it 0600 from the start. */
	mask = umask(0177);
	r = bind(fd, (const struct sockaddr *)sa, sizeof(*sa));
	(void)umask(mask);			/* returns the old mask only */
	if (r == -1 || (c->user != NULL && fchownat(dirfd, "notify", c->uid,
	    c->gid, AT_SYMLINK_NOFOLLOW) == -1)) {
		log_warn("%s: unable to create notify socket %s", c->name,
		    sa->sun_path);
		(void)close(fd);		/* a socket: nothing to lose */
		return -1;
	}
	return fd;
}

/* Removes the socket of a service and its directory, if there. */
static void
remove_svc_dir(const char *name)
{
	char sock[SERVICE_NAME_MAX + sizeof("/notify")];

	/* name is a directory corral made where only corral writes. */
	snprintf(sock, sizeof(sock), "%s/notify", name);
	if (unlinkat(sn_dirfd, sock, 0) == -1 && errno != ENOENT)
		log_warn("%s: unable to remove %s/%s", name, sn_dir, sock);
	if (unlinkat(sn_dirfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		log_warn("%s: unable to remove %s/%s", name, sn_dir, name);
}

int
svcnotify_open(struct service *s)
{
	const struct svc_conf *c = s->conf;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int dirfd, fd;

	if (make_dir() == -1)
		return -1;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s/notify",
	    sn_dir, c->name) >= sizeof(sa.sun_path)) {
		log_warnx("%s: notify socket path too long", c->name);
		return -1;
	}
	if ((dirfd = open_svc_dir(c->name)) == -1)
		return -1;
	fd = bind_socket(c, dirfd, &sa);
	(void)close(dirfd);			/* a directory: nothing to lose */
	if (fd != -1 && (s->health->notify_path = strdup(sa.sun_path)) == NULL) {
		log_warn("%s: unable to keep the path %s", c->name, sa.sun_path);
		(void)close(fd);		/* a socket: nothing to lose */
		fd = -1;
	}
	if (fd == -1) {
		remove_svc_dir(c->name);
		return -1;
	}
	s->health->notify_fd = fd;
	ev_io_init(&s->health->notify_w, notify_cb, fd, EV_READ);
	s->health->notify_w.data = s;
	ev_io_start(sn_loop, &s->health->notify_w);
	return 0;
}

/* The counts held back: now if due, or all of them when final. */
static void
report_held(struct service *s, bool final)
{
	unsigned long held;

	for (int w = 0; w < NW__COUNT; w++) {
		struct ratelimit *rl = &s->health->notify_rl[w];

		if (final)
			held = ratelimit_take(rl);
		else if (!ratelimit_pending(rl, mono_now(), &held))
			held = 0;
		if (held != 0)
			log_warnx("%s: %lu more %s ignored since the last "
			    "warning", s->conf->name, held, nw_text[w]);
	}
}

void
svcnotify_close(struct service *s)
{
	struct service_health *h = s->health;

	if (h == NULL)
		return;
	report_held(s, false);
	if (h->notify_fd == -1)
		return;
	ev_io_stop(sn_loop, &h->notify_w);
	(void)close(h->notify_fd);		/* a socket: nothing to lose */
	h->notify_fd = -1;
	remove_svc_dir(s->conf->name);
	free(h->notify_path);
	h->notify_path = NULL;
}

void
svcnotify_release(struct service *s)
{
	svcnotify_close(s);
	if (s->health != NULL)
		report_held(s, true);
}

void
svcnotify_free(void)
{
	if (sn_dirfd == -1)
		return;
	(void)close(sn_dirfd);			/* a directory: nothing to lose */
	sn_dirfd = -1;
	/* Ours, in /run or a sticky /tmp: nobody else can swap it. */
	if (rmdir(sn_dir) == -1 && errno != ENOENT)
		log_warn("unable to remove %s", sn_dir);
	sn_dir[0] = '\0';
}
