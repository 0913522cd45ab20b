/*
 * The integration harness; see harness.h for the rules it keeps.
 */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/inotify.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define H_MAX_PROCS	320
#define TAIL_BYTES	2000

/* Set by the runner; inherited by every test process. */
static char run_dir[64];		/* /tmp/corral-it.XXXXXX */

/* What wakes h_wait_until(): any change to a file in a watched directory. */
#define WATCHED (IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | \
	    IN_ATTRIB | IN_DELETE)

/* Per test process. */
static char test_dir[PATH_MAX];
static int inotify_fd = -1;
static struct h_proc procs[H_MAX_PROCS];
static int nprocs;
static void **kept;
static size_t nkept, capkept;

static void *
keep(void *p)
{
	ck_assert_msg(p != NULL, "out of memory");
	if (nkept == capkept) {
		capkept = capkept ? 2 * capkept : 64;
		kept = realloc(kept, capkept * sizeof(*kept));
		ck_assert_msg(kept != NULL, "out of memory");
	}
	kept[nkept++] = p;
	return p;
}

char *
h_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	ck_assert_msg(r >= 0, "out of memory");
	return keep(s);
}

int64_t
h_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
h_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* ---- /proc ---- */

struct pinfo {
	pid_t		 pid;
	struct h_pstat	 st;
	char		 comm[32];
};

static bool
read_stat(pid_t pid, struct pinfo *pi)
{
	char path[64], buf[1024], *open_paren, *close_paren;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: it ends at the last ')'. */
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (open_paren == NULL || close_paren == NULL || close_paren < open_paren)
		return false;
	pi->pid = pid;
	snprintf(pi->comm, sizeof(pi->comm), "%.*s",
	    (int)(close_paren - open_paren - 1), open_paren + 1);
	return sscanf(close_paren + 2, "%c %d %d %d", &pi->st.state,
	    &pi->st.ppid, &pi->st.pgrp, &pi->st.sid) == 4;
}

/* Every process on the machine; the caller frees. */
static int
snapshot(struct pinfo **out)
{
	struct pinfo *v = NULL;
	int n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	d = opendir("/proc");
	ck_assert_msg(d != NULL, "opendir /proc: %s", strerror(errno));
	while ((de = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end != '\0' || pid <= 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 512;
			v = realloc(v, (size_t)cap * sizeof(*v));
			ck_assert_msg(v != NULL, "out of memory");
		}
		if (read_stat((pid_t)pid, &v[n]))
			n++;
	}
	(void)closedir(d);
	*out = v;
	return n;
}

/* Live (not zombie) descendants of this process; the caller frees. */
static int
live_descendants(pid_t **out)
{
	struct pinfo *all;
	bool *mine, changed = true;
	pid_t self = getpid(), *pids;
	int n = snapshot(&all), m = 0;

	mine = calloc((size_t)n + 1, sizeof(*mine));
	pids = calloc((size_t)n + 1, sizeof(*pids));
	ck_assert_msg(mine != NULL && pids != NULL, "out of memory");
	/* Marks spread one generation per pass until nothing changes. */
	while (changed) {
		changed = false;
		for (int i = 0; i < n; i++) {
			bool parent_mine = all[i].st.ppid == self;

			for (int j = 0; j < n && !parent_mine && !mine[i]; j++)
				parent_mine = mine[j] && all[j].pid == all[i].st.ppid;
			if (parent_mine && !mine[i]) {
				mine[i] = true;
				changed = true;
			}
		}
	}
	for (int i = 0; i < n; i++)
		if (mine[i] && all[i].st.state != 'Z' && all[i].st.state != 'X')
			pids[m++] = all[i].pid;
	free(all);
	free(mine);
	*out = pids;
	return m;
}

static void
reap_children(void)
{
	int status;

	while (waitpid(-1, &status, WNOHANG) > 0)
		;
}

/*
 * SIGKILLs every descendant, by pid, and reaps what becomes ours.  Rounds
 * repeat because a process may fork between the snapshot and its kill, and
 * because grandchildren only become our children (we are a subreaper) once
 * their parents are dead.
 */
static int
kill_descendants(void)
{
	int killed = 0;

	for (int round = 0; round < 100; round++) {
		pid_t *pids;
		int n = live_descendants(&pids);

		if (n == 0) {
			free(pids);
			break;
		}
		for (int i = 0; i < n; i++) {
			int fd = pidfd_open(pids[i], 0);

			if (kill(pids[i], SIGKILL) == 0)
				killed++;
			if (fd >= 0) {
				struct pollfd pfd = { fd, POLLIN, 0 };

				(void)poll(&pfd, 1, 2000);
				(void)close(fd);
			}
		}
		free(pids);
		reap_children();
	}
	reap_children();
	return killed;
}

bool
h_pstat(pid_t pid, struct h_pstat *st)
{
	struct pinfo pi;

	if (!read_stat(pid, &pi))
		return false;
	*st = pi.st;
	return true;
}

bool
h_alive(pid_t pid)
{
	struct h_pstat st;

	return h_pstat(pid, &st) && st.state != 'Z' && st.state != 'X';
}

int
h_zombies_of(pid_t parent)
{
	struct pinfo *all;
	int n = snapshot(&all), z = 0;

	for (int i = 0; i < n; i++)
		if (all[i].st.state == 'Z' && all[i].st.ppid == parent)
			z++;
	free(all);
	return z;
}

/* Children of the test that it did not start itself, as text; NULL if none. */
static const char *
strays(void)
{
	struct pinfo *all;
	char *list = NULL;
	int n = snapshot(&all);

	for (int i = 0; i < n; i++) {
		bool ours = false;

		if (all[i].st.ppid != getpid())
			continue;
		for (int j = 0; j < nprocs && !ours; j++)
			ours = procs[j].pid == all[i].pid;
		if (!ours)
			list = h_fmt("%s %d (%s, state %c)", list ? list : "",
			    (int)all[i].pid, all[i].comm, all[i].st.state);
	}
	free(all);
	return list;
}

static char *
status_line(pid_t pid, const char *field)
{
	char path[64], *text, *p;
	size_t flen = strlen(field);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return NULL;
	text = NULL;
	for (char line[512]; fgets(line, sizeof(line), f) != NULL;) {
		if (strncmp(line, field, flen) != 0 || line[flen] != ':')
			continue;
		p = line + flen + 1;
		p += strspn(p, " \t");
		p[strcspn(p, "\n")] = '\0';
		text = h_fmt("%s", p);
		break;
	}
	(void)fclose(f);
	return text;
}

long long
h_status_num(pid_t pid, const char *field)
{
	char *v = status_line(pid, field);

	return v ? strtoll(v, NULL, 10) : -1;
}

char *
h_status_str(pid_t pid, const char *field)
{
	return status_line(pid, field);
}

/* ---- files ---- */

static int
rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	/* Best effort: a leftover file must not fail a test that passed. */
	(void)remove(path);
	return 0;
}

static void
rm_tree(const char *dir)
{
	(void)nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
h_dir(void)
{
	if (test_dir[0] != '\0')
		return test_dir;
	snprintf(test_dir, sizeof(test_dir), "%s/%s", run_dir, tcase_name());
	/* Open to all: a test runs corral as nobody to be refused a file. */
	ck_assert_msg(mkdir(test_dir, 0755) == 0 && chmod(test_dir, 0755) == 0,
	    "mkdir %s: %s", test_dir, strerror(errno));
	inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	ck_assert_msg(inotify_fd >= 0, "inotify_init1: %s", strerror(errno));
	ck_assert_msg(inotify_add_watch(inotify_fd, test_dir, WATCHED) >= 0,
	    "inotify_add_watch %s: %s", test_dir, strerror(errno));
	return test_dir;
}

const char *
h_path(const char *name)
{
	return h_fmt("%s/%s", h_dir(), name);
}

const char *
h_svc(const char *prog)
{
	return h_fmt("%s/%s", getenv("CORRAL_SVC"), prog);
}

const char *
h_write(const char *name, const char *text)
{
	const char *path = h_path(name), *svc = getenv("CORRAL_SVC");
	FILE *f = fopen(path, "we");

	ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
	for (const char *p = text; *p != '\0'; p++) {
		if (strncmp(p, "@T@", 3) == 0) {
			fputs(h_dir(), f);
			p += 2;
		} else if (strncmp(p, "@SVC@", 5) == 0) {
			fputs(svc, f);
			p += 4;
		} else {
			fputc(*p, f);
		}
	}
	ck_assert_msg(fclose(f) == 0, "write %s: %s", path, strerror(errno));
	return path;
}

const char *
h_mkdir(const char *name, mode_t mode, uid_t uid, gid_t gid)
{
	const char *path = h_path(name);

	/* chmod after chown: chown clears the set-id bits. */
	ck_assert_msg(mkdir(path, 0700) == 0 && chown(path, uid, gid) == 0 &&
	    chmod(path, mode) == 0, "mkdir %s: %s", path, strerror(errno));
	return path;
}

static char *
read_all(const char *path)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return NULL;
	do {
		if (cap - len < 4096) {
			cap = cap ? 2 * cap : 8192;
			buf = realloc(buf, cap + 1);
			ck_assert_msg(buf != NULL, "out of memory");
		}
		r = read(fd, buf + len, cap - len);
		if (r > 0)
			len += (size_t)r;
	} while (r > 0 || (r == -1 && errno == EINTR));
	(void)close(fd);
	buf[len] = '\0';
	return buf;
}

char *
h_read(const char *path)
{
	char *s = read_all(path);

	return s ? keep(s) : NULL;
}

const char *
h_tail(const char *path)
{
	char *s = h_read(path);
	size_t len;

	if (s == NULL)
		return "(no such file)";
	len = strlen(s);
	return len > TAIL_BYTES ? s + len - TAIL_BYTES : s;
}

static int
count_lines(const char *text, const char *needle)
{
	int n = 0;

	for (const char *line = text; line && *line != '\0';) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char *copy = strndup(line, len);

		ck_assert_msg(copy != NULL, "out of memory");
		if (strstr(copy, needle) != NULL)
			n++;
		free(copy);
		line = nl ? nl + 1 : NULL;
	}
	return n;
}

int
h_count_lines(const char *path, const char *text)
{
	char *s = read_all(path);
	int n = s ? count_lines(s, text) : 0;

	free(s);
	return n;
}

/* ---- records of the svc programs ---- */

static int
parse_events(const char *text, const char *label, struct h_event *ev, int max)
{
	int n = 0;

	for (const char *line = text; line && *line != '\0';) {
		struct h_event e = { .pid = 0 };
		long long ns;
		int pid, used = 0;

		if (sscanf(line, "%63s %d %lld%n", e.label, &pid, &ns, &used) == 3 &&
		    (label == NULL || strcmp(label, e.label) == 0)) {
			const char *rest = line + used;
			size_t len = strcspn(rest, "\n");

			if (*rest == ' ') {
				rest++;
				len--;
			}
			e.pid = (pid_t)pid;
			e.ns = ns;
			snprintf(e.rest, sizeof(e.rest), "%.*s", (int)len, rest);
			if (ev != NULL && n < max)
				ev[n] = e;
			n++;
		}
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return n;
}

int
h_events(const char *path, const char *label, struct h_event *ev, int max)
{
	char *s = read_all(path);
	int n = s ? parse_events(s, label, ev, max) : 0;

	free(s);
	return n < max ? n : max;
}

int
h_event_count(const char *path, const char *label)
{
	char *s = read_all(path);
	int n = s ? parse_events(s, label, NULL, 0) : 0;

	free(s);
	return n;
}

struct h_event
h_event(const char *path, const char *label, int nth)
{
	struct h_event ev[64], none = { .ns = -1 };
	int n = h_events(path, label, ev, 64);

	return nth < n ? ev[nth] : none;
}

/* ---- waits ---- */

static void
drain_inotify(void)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(inotify_fd, buf, sizeof(buf)) > 0)
		;
}

int
h_slowdown(void)
{
	static int factor;

	if (factor == 0) {
		const char *v = getenv("CORRAL_TEST_SLOWDOWN");

		factor = v != NULL && atoi(v) > 1 ? atoi(v) : 1;
	}
	return factor;
}

/* Every bound on a wait stretches with h_slowdown(); nothing else does. */
static int
bound(int timeout_ms)
{
	return timeout_ms * h_slowdown();
}

bool
h_wait_until(bool (*pred)(const void *), const void *arg, int timeout_ms)
{
	int64_t deadline = h_now_ns() + (int64_t)bound(timeout_ms) * 1000000;

	(void)h_dir();
	for (;;) {
		struct pollfd pfd = { inotify_fd, POLLIN, 0 };
		int64_t left;

		/* Drained before the check, so no event can fall between. */
		drain_inotify();
		if (pred(arg))
			return true;
		left = deadline - h_now_ns();
		if (left <= 0)
			return false;
		(void)poll(&pfd, 1, (int)((left + 999999) / 1000000));
	}
}

bool
h_poll_until(bool (*pred)(const void *), const void *arg, int timeout_ms)
{
	int64_t deadline = h_now_ns() + (int64_t)bound(timeout_ms) * 1000000;

	for (;;) {
		if (pred(arg))
			return true;
		if (h_now_ns() >= deadline)
			return false;
		h_sleep_ms(2);
	}
}

struct passwd *
h_nobody_or_skip(void)
{
	struct passwd *pw = getpwnam("nobody");

	if (geteuid() != 0 || pw == NULL) {
		fprintf(stderr, "SKIP %s: needs root and user nobody\n",
		    tcase_name());
		return NULL;
	}
	return pw;
}

bool
h_pipe_full(int fd)
{
	struct pollfd p = { .events = POLLOUT };
	int r;

	p.fd = open(h_fmt("/proc/self/fd/%d", fd), O_WRONLY | O_NONBLOCK |
	    O_CLOEXEC);
	if (p.fd == -1)
		return false;
	r = poll(&p, 1, 0);
	(void)close(p.fd);
	return r == 0;
}

char *
h_fd_targets(pid_t pid)
{
	char *dir = h_fmt("/proc/%d/fd", (int)pid), *list;
	size_t size;
	FILE *out = open_memstream(&list, &size);
	DIR *d = opendir(dir);
	struct dirent *de;

	ck_assert_msg(out != NULL, "open_memstream: %s", strerror(errno));
	ck_assert_msg(d != NULL, "opendir %s: %s", dir, strerror(errno));
	fputc('\n', out);
	while ((de = readdir(d)) != NULL) {
		char target[256];
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (n != -1)	/* else closed since readdir() */
			fprintf(out, "%.*s\n", (int)n, target);
	}
	(void)closedir(d);
	ck_assert_msg(fclose(out) == 0, "open_memstream: %s", strerror(errno));
	return keep(list);
}

int
h_count_fds(pid_t pid)
{
	int newlines = 0;

	for (const char *p = h_fd_targets(pid); (p = strchr(p, '\n')) != NULL;
	    p++)
		newlines++;
	return newlines - 1;	/* the list begins with one */
}

bool
h_wait_on(const char *path, bool (*pred)(const void *), const void *arg,
    int timeout_ms)
{
	char *dir = h_fmt("%s", path), *slash = strrchr(dir, '/');

	(void)h_dir();
	if (slash != NULL)
		*slash = '\0';
	if (slash == NULL || strcmp(dir, test_dir) == 0 ||
	    inotify_add_watch(inotify_fd, dir, WATCHED) >= 0)
		return h_wait_until(pred, arg, timeout_ms);
	return h_poll_until(pred, arg, timeout_ms);
}

static bool
file_exists(const void *arg)
{
	return access(arg, F_OK) == 0;
}

bool
h_wait_file(const char *path, int timeout_ms)
{
	return h_wait_on(path, file_exists, path, timeout_ms);
}

struct text_arg {
	const char	*path;
	const char	*text;
	const char	*label;
	int		 n;
};

static bool
has_text(const void *arg)
{
	const struct text_arg *a = arg;
	char *s = read_all(a->path);
	bool found = s != NULL && strstr(s, a->text) != NULL;

	free(s);
	return found;
}

bool
h_wait_text(const char *path, const char *text, int timeout_ms)
{
	struct text_arg a = { .path = path, .text = text };

	return h_wait_on(path, has_text, &a, timeout_ms);
}

static bool
has_lines(const void *arg)
{
	const struct text_arg *a = arg;

	return h_count_lines(a->path, a->text) >= a->n;
}

bool
h_wait_lines(const char *path, const char *text, int n, int timeout_ms)
{
	struct text_arg a = { .path = path, .text = text, .n = n };

	return h_wait_on(path, has_lines, &a, timeout_ms);
}

static bool
has_events(const void *arg)
{
	const struct text_arg *a = arg;

	return h_event_count(a->path, a->label) >= a->n;
}

bool
h_wait_events(const char *path, const char *label, int n, int timeout_ms)
{
	struct text_arg a = { .path = path, .label = label, .n = n };

	return h_wait_on(path, has_events, &a, timeout_ms);
}

bool
h_wait_gone(pid_t pid, int timeout_ms)
{
	struct pollfd pfd = { pidfd_open(pid, 0), POLLIN, 0 };
	int r;

	if (pfd.fd == -1)
		return errno == ESRCH;
	r = poll(&pfd, 1, bound(timeout_ms));
	(void)close(pfd.fd);
	return r == 1;
}

/* ---- processes ---- */

/*
 * The kernel's struct sigaction, for rt_sigaction(2) itself: glibc refuses
 * signals 32 and 33 (its own), but a process can inherit them ignored, and
 * a test must be able to start corral in a known state either way.  This is
 * the layout of x86-64, arm64 and the other "generic" Linux ABIs.
 */
struct kernel_sigaction {
	void		(*handler)(int);
	unsigned long	 flags;
	void		(*restorer)(void);
	uint64_t	 mask;
};

static void
set_dispositions(uint64_t ignored)
{
	for (int sig = 1; sig <= 64; sig++) {
		struct kernel_sigaction ks = {
			.handler = ignored >> (sig - 1) & 1 ? SIG_IGN : SIG_DFL,
		};

		if (sig != SIGKILL && sig != SIGSTOP)
			(void)syscall(SYS_rt_sigaction, sig, &ks, NULL,
			    sizeof(ks.mask));
	}
}

struct h_proc *
h_spawn(const char *tag, const struct h_spawn_opts *o, const char *const *argv)
{
	static const struct h_spawn_opts defaults;
	struct h_proc *p;
	bool as_user = false;
	uid_t uid = 0;
	gid_t gid = 0;
	char **args;
	size_t argc = 0;
	pid_t pid;

	ck_assert_msg(nprocs < H_MAX_PROCS, "too many processes for the harness");
	p = &procs[nprocs];
	p->out = h_path(h_fmt("%s.out", tag));
	p->err = h_path(h_fmt("%s.err", tag));
	while (argv[argc] != NULL)
		argc++;
	args = keep(calloc(argc + 1, sizeof(*args)));
	for (size_t i = 0; i < argc; i++)
		args[i] = h_fmt("%s", argv[i]);
	if (o == NULL)
		o = &defaults;
	if (o->user != NULL) {
		char *end;
		unsigned long n = strtoul(o->user, &end, 10);
		struct passwd *pw;

		if (*o->user != '\0' && *end == '\0')
			uid = gid = (uid_t)n;
		else {
			pw = getpwnam(o->user);
			ck_assert_msg(pw != NULL, "no user %s", o->user);
			uid = pw->pw_uid;
			gid = pw->pw_gid;
		}
		as_user = true;
	}
	pid = fork();
	ck_assert_msg(pid != -1, "fork: %s", strerror(errno));
	if (pid == 0) {
		sigset_t none;
		int in = open("/dev/null", O_RDONLY);
		int out = open(p->out, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
		int err = open(p->err, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);

		/* Its own session: nothing the test does reaches it by accident. */
		if (setsid() == -1 || in == -1 || out == -1 || err == -1 ||
		    dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(err, 2) == -1)
			_exit(125);
		/* corral must be judged by its own descriptors, not Check's. */
		if (close_range(3, ~0U, 0) == -1)
			_exit(125);
		set_dispositions(o->ignored);
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		/* The harness's own settings are no business of corral's. */
		(void)unsetenv("CORRAL_BIN");
		(void)unsetenv("CORRAL_SVC");
		(void)unsetenv("CORRAL_SRC");
		(void)unsetenv("CORRAL_CTL");
		(void)unsetenv("CORRAL_TEST_SLOWDOWN");
		if (o->nproc != 0 && setrlimit(RLIMIT_NPROC,
		    &(struct rlimit){ o->nproc, o->nproc }) == -1)
			_exit(125);
		if (as_user && (setgroups(0, NULL) == -1 ||
		    setgid(gid) == -1 || setuid(uid) == -1))
			_exit(125);
		execvp(args[0], args);
		dprintf(2, "harness: cannot execute %s: %s\n", args[0],
		    strerror(errno));
		_exit(127);
	}
	p->pid = p->corral = pid;
	p->pidfd = pidfd_open(pid, 0);
	ck_assert_msg(p->pidfd >= 0, "pidfd_open: %s", strerror(errno));
	nprocs++;
	return p;
}

static struct h_proc *
spawn_corral(const char *tag, const char *first, va_list ap)
{
	const char *argv[64] = { getenv("CORRAL_BIN") };
	int argc = 1;

	for (const char *a = first; a != NULL; a = va_arg(ap, const char *)) {
		ck_assert_msg(argc < 63, "too many arguments");
		argv[argc++] = a;
	}
	argv[argc] = NULL;
	return h_spawn(tag, NULL, argv);
}

struct h_proc *
h_corral_args(const char *tag, const char *arg, ...)
{
	struct h_proc *p;
	va_list ap;

	va_start(ap, arg);
	p = spawn_corral(tag, arg, ap);
	va_end(ap);
	return p;
}

/*
 * As root corral's control socket defaults to /run/corral.sock: a test must
 * not take the machine's, nor let concurrent corrals race for it.
 */
static const char *
hermetic(const char *conf)
{
	const char *corral = strstr(conf, "[corral]\n");

	if (strstr(conf, "control_socket") != NULL)
		return conf;
	if (corral == NULL)
		return h_fmt("[corral]\ncontrol_socket = none\n\n%s", conf);
	return h_fmt("%.*scontrol_socket = none\n%s",
	    (int)(corral + strlen("[corral]\n") - conf), conf,
	    corral + strlen("[corral]\n"));
}

struct h_proc *
h_corral(const char *conf)
{
	const char *tag = nprocs == 0 ? "corral" : h_fmt("corral-%d", nprocs);
	const char *path = h_write(h_fmt("%s.conf", tag), hermetic(conf));

	return h_corral_args(tag, "-c", path, NULL);
}

struct unshare_arg {
	pid_t		 parent;
	pid_t		*found;
};

static char *
exe_of(pid_t pid)
{
	char path[64], exe[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	return h_fmt("%s", exe);
}

/*
 * unshare's child, once it has exec'd (until then it is unshare mounting
 * /proc).  Compared with unshare's own program rather than with CORRAL_BIN:
 * under `make valgrind` the child runs valgrind's tool.
 */
static bool
corral_under(const void *arg)
{
	const struct unshare_arg *a = arg;
	char path[64], *kids, *mine, *its;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)a->parent,
	    (int)a->parent);
	kids = read_all(path);
	*a->found = kids ? (pid_t)atoi(kids) : 0;
	free(kids);
	if (*a->found <= 0)
		return false;
	mine = exe_of(a->parent);
	its = exe_of(*a->found);
	return mine != NULL && its != NULL && strcmp(mine, its) != 0;
}

struct h_proc *
h_corral_pid1(const char *conf)
{
	static const char *const probe[] = { "unshare", "--pid", "--fork",
	    "--mount-proc", "true", NULL };
	struct h_proc *p = h_spawn("unshare-probe", NULL, probe);
	struct unshare_arg a = { 0 };
	char exe[PATH_MAX];
	pid_t found = 0;

	if (!h_wait_exit(p, H_WAIT_MS) || !WIFEXITED(p->status) ||
	    WEXITSTATUS(p->status) != 0) {
		fprintf(stderr, "SKIP %s: unshare --pid --fork --mount-proc is not "
		    "permitted here: %s\n", tcase_name(), h_tail(p->err));
		return NULL;
	}
	ck_assert_msg(realpath(getenv("CORRAL_BIN"), exe) != NULL,
	    "realpath %s: %s", getenv("CORRAL_BIN"), strerror(errno));
	p = h_spawn("corral", NULL, (const char *[]){ "unshare", "--pid",
	    "--fork", "--mount-proc", exe, "-c", h_write("corral.conf",
	    hermetic(conf)),
	    NULL });
	a.parent = p->pid;
	a.found = &found;
	ck_assert_msg(h_poll_until(corral_under, &a, H_WAIT_MS),
	    "corral did not start under unshare; %s", h_ctx(p));
	p->corral = found;
	return p;
}

void
h_signal(struct h_proc *p, int sig)
{
	ck_assert_msg(kill(p->corral, sig) == 0, "kill(%d, %s): %s; %s",
	    (int)p->corral, sigabbrev_np(sig), strerror(errno), h_ctx(p));
}

bool
h_wait_exit(struct h_proc *p, int timeout_ms)
{
	struct pollfd pfd = { p->pidfd, POLLIN, 0 };

	if (p->reaped)
		return true;
	if (poll(&pfd, 1, bound(timeout_ms)) != 1)
		return false;
	ck_assert_msg(waitpid(p->pid, &p->status, 0) == p->pid, "waitpid %d: %s",
	    (int)p->pid, strerror(errno));
	p->reaped = true;
	return true;
}

static const char *
describe_status(int status)
{
	if (WIFEXITED(status))
		return h_fmt("exited with status %d", WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return h_fmt("was killed by SIG%s", sigabbrev_np(WTERMSIG(status)));
	return h_fmt("wait status 0x%x", status);
}

const char *
h_ctx(struct h_proc *p)
{
	const char *state = p->reaped ? describe_status(p->status) :
	    h_alive(p->pid) ? "is still running" : "has exited (not reaped yet)";
	const char *out = h_read(p->out);

	return h_fmt("pid %d %s\n--- stderr (%s, tail) ---\n%s%s%s", (int)p->pid,
	    state, p->err, h_tail(p->err), out && *out ? "--- stdout (tail) ---\n"
	    : "", out && *out ? h_tail(p->out) : "");
}

void
h_expect_exit(struct h_proc *p, int code, int timeout_ms)
{
	const char *left;

	ck_assert_msg(h_wait_exit(p, timeout_ms),
	    "expected exit status %d within %d ms, but %s", code, timeout_ms,
	    h_ctx(p));
	ck_assert_msg(WIFEXITED(p->status) && WEXITSTATUS(p->status) == code,
	    "expected exit status %d, but %s", code, h_ctx(p));
	/* Whatever corral left running was reparented to us, the subreaper. */
	left = strays();
	ck_assert_msg(left == NULL, "corral exited but left behind:%s\n%s",
	    left, h_ctx(p));
}

/* ---- fixtures and the runner ---- */

static void
h_setup(void)
{
	ck_assert_msg(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0,
	    "PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
}

/* Runs only when the test passed; a failed test keeps its directory. */
static void
h_teardown(void)
{
	(void)kill_descendants();
	for (int i = 0; i < nprocs; i++)
		(void)close(procs[i].pidfd);
	if (inotify_fd >= 0)
		(void)close(inotify_fd);
	if (test_dir[0] != '\0')
		rm_tree(test_dir);
	for (size_t i = 0; i < nkept; i++)
		free(kept[i]);
	free(kept);
}

/* In the runner, after each test: what a failed test could not clean up. */
static void
h_sweep(void)
{
	int n = kill_descendants();

	if (n > 0)
		fprintf(stderr, "harness: killed %d process%s the last test left "
		    "behind\n", n, n == 1 ? "" : "es");
}

void
h_add(Suite *s, const TTest *t, double timeout_s)
{
	TCase *tc = tcase_create(t->name);

	tcase_add_checked_fixture(tc, h_setup, h_teardown);
	tcase_add_unchecked_fixture(tc, NULL, h_sweep);
	tcase_set_timeout(tc, timeout_s);
	tcase_add_test(tc, t);
	suite_add_tcase(s, tc);
}

/*
 * Unset, the paths default to where `make` puts things: the binaries next
 * to check_integration, the sources one directory up.
 */
static void
default_paths(void)
{
	char exe[PATH_MAX], path[PATH_MAX + 8], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return;
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/corral", exe);
	(void)setenv("CORRAL_BIN", path, 0);
	snprintf(path, sizeof(path), "%s/svc", exe);
	(void)setenv("CORRAL_SVC", path, 0);
	if ((slash = strrchr(exe, '/')) != NULL) {
		*slash = '\0';
		(void)setenv("CORRAL_SRC", exe, 0);
	}
}

void
h_runner_init(void)
{
	static const char *const hostile[] = { "CORRAL_CONFIG", "CORRAL_SOCKET",
	    "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID" };
	static const char *const svc[] = { "catch", "envinfo", "orphans",
	    "stamp" };
	struct rlimit no_core = { 0, 0 };

	default_paths();
	for (size_t i = 0; i <= sizeof(svc) / sizeof(*svc); i++) {
		char path[PATH_MAX + 16];

		if (i == 0)
			snprintf(path, sizeof(path), "%s", getenv("CORRAL_BIN"));
		else
			snprintf(path, sizeof(path), "%s/%s", getenv("CORRAL_SVC"),
			    svc[i - 1]);
		if (access(path, X_OK) == -1) {
			fprintf(stderr, "check_integration: %s: %s; run `make "
			    "check-integration`\n", path, strerror(errno));
			exit(2);
		}
	}
	/* Settings of the caller's environment that would change corral. */
	for (size_t i = 0; i < sizeof(hostile) / sizeof(*hostile); i++)
		(void)unsetenv(hostile[i]);
	/* Tests kill services with SIGSEGV; a core dump would only slow them. */
	(void)setrlimit(RLIMIT_CORE, &no_core);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1 ||
	    mkdtemp(strcpy(run_dir, "/tmp/corral-it.XXXXXX")) == NULL ||
	    chmod(run_dir, 0755) == -1) {
		fprintf(stderr, "check_integration: cannot set up: %s\n",
		    strerror(errno));
		exit(2);
	}
	/*
	 * Configs name the helper programs through a short link, so a test's
	 * lines stay under corral's 200 bytes wherever the tree is checked out.
	 */
	{
		char link[sizeof(run_dir) + 8];

		snprintf(link, sizeof(link), "%s/svc", run_dir);
		if (symlink(getenv("CORRAL_SVC"), link) == -1) {
			fprintf(stderr, "check_integration: symlink %s: %s\n",
			    link, strerror(errno));
			exit(2);
		}
		(void)setenv("CORRAL_SVC", link, 1);
	}
}

void
h_runner_finish(bool passed)
{
	if (passed)
		rm_tree(run_dir);
	else
		fprintf(stderr, "check_integration: the failed tests' files are "
		    "in %s\n", run_dir);
}
