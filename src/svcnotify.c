/*
 * The runtime directory is made once, mode 0711, with one subdirectory per
 * service, mode 0700 and owned by the service's user, so that a service
 * running as another user can reach its own socket and no other.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "container.h"
#include "log.h"
#include "svcnotify.h"

#define DGRAM_MAX	4096

static struct ev_loop	*sn_loop;
static svcnotify_fn	*sn_fn;
static char		 sn_dir[108];

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

	if (sn_dir[0] != '\0')
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
	if (chmod(sn_dir, 0711) == -1) {
		log_warn("unable to set the mode of %s", sn_dir);
		(void)rmdir(sn_dir);
		sn_dir[0] = '\0';
		return -1;
	}
	return 0;
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
		/* Anything else (FDSTORE=, ERRNO=...) is not for corral. */
	}
}

static void
notify_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct service *s = w->data;
	char buf[DGRAM_MAX + 1];
	char cbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { .iov_base = buf, .iov_len = DGRAM_MAX };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct ucred *cred = NULL;
	ssize_t r;

	(void)loop;
	(void)revents;
	r = recvmsg(w->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
	if (r == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("%s: unable to read a notification",
			    s->conf->name);
		return;
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL;
	    c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
			cred = (struct ucred *)(void *)CMSG_DATA(c);
	if (cred == NULL || s->pgid == 0 || (cred->pid != s->pid &&
	    getpgid(cred->pid) != s->pgid)) {
		log_debug("%s: ignored a notification from pid %d, not of "
		    "this service", s->conf->name, cred ? (int)cred->pid : -1);
		return;
	}
	if ((size_t)r > DGRAM_MAX || (mh.msg_flags & MSG_TRUNC)) {
		log_warnx("%s: ignored a notification over %d bytes",
		    s->conf->name, DGRAM_MAX);
		return;
	}
	svcnotify_parse(s, buf, (size_t)r, sn_fn);
}

int
svcnotify_open(struct service *s)
{
	const struct svc_conf *c = s->conf;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sn_dir) + SERVICE_NAME_MAX + 2];
	int one = 1, fd = -1;

	if (make_dir() == -1)
		return -1;
	snprintf(dir, sizeof(dir), "%s/%s", sn_dir, c->name);
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify",
	    dir) >= sizeof(sa.sun_path)) {
		log_warnx("%s: notify socket path too long", c->name);
		return -1;
	}
	if ((mkdir(dir, 0700) == -1 && errno != EEXIST) ||
	    (c->user != NULL && chown(dir, c->uid, c->gid) == -1)) {
		log_warn("%s: unable to create %s", c->name, dir);
		return -1;
	}
	(void)unlink(sa.sun_path);		/* from an earlier run */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    (c->user != NULL && chown(sa.sun_path, c->uid, c->gid) == -1)) {
		log_warn("%s: unable to create notify socket %s", c->name,
		    sa.sun_path);
		if (fd != -1)
			(void)close(fd);
		return -1;
	}
	if ((s->health->notify_path = strdup(sa.sun_path)) == NULL) {
		(void)close(fd);
		(void)unlink(sa.sun_path);
		return -1;
	}
	s->health->notify_fd = fd;
	ev_io_init(&s->health->notify_w, notify_cb, fd, EV_READ);
	s->health->notify_w.data = s;
	ev_io_start(sn_loop, &s->health->notify_w);
	return 0;
}

void
svcnotify_close(struct service *s)
{
	struct service_health *h = s->health;
	char *slash;

	if (h == NULL || h->notify_fd == -1)
		return;
	ev_io_stop(sn_loop, &h->notify_w);
	(void)close(h->notify_fd);
	h->notify_fd = -1;
	(void)unlink(h->notify_path);
	if ((slash = strrchr(h->notify_path, '/')) != NULL) {
		*slash = '\0';
		(void)rmdir(h->notify_path);
	}
	free(h->notify_path);
	h->notify_path = NULL;
}

void
svcnotify_free(void)
{
	if (sn_dir[0] != '\0' && rmdir(sn_dir) == -1 && errno != ENOENT)
		log_warn("unable to remove %s", sn_dir);
	sn_dir[0] = '\0';
}
