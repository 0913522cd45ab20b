/*
 * catch: a service that writes down the signals it gets, with the time.
 *
 * usage: catch [-b] FILE [SIG=ACTION]...
 *
 * Appends "start PID NS" to FILE once the signals are blocked, then
 * "SIG PID NS" for each signal that arrives (NS: CLOCK_MONOTONIC in
 * nanoseconds, SIG without "SIG").  ACTION is what follows:
 *   ignore	go on running
 *   exit:N	exit with status N
 *   die	die by that very signal
 *   linger:MS	go on for MS milliseconds, append "exit PID NS", exit 0
 * Signals not named get their default action, even where a sanitizer's
 * runtime installed a handler (SIGSEGV must kill, not print a report).
 *
 * -b forks once the signals are blocked: the parent exits 0 at once and the
 * child carries on, so a test gets a main process that exits and leaves a
 * member of its process group behind that already holds its signals.
 *
 * The signals are taken with sigwaitinfo(), not a handler, so that recording
 * and acting happen outside signal context and nothing can be lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum action { ACT_NONE, ACT_IGNORE, ACT_EXIT, ACT_DIE, ACT_LINGER };

static const char *file;

static void
record(const char *what)
{
	struct timespec ts;
	char line[128];
	int fd, n;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(line, sizeof(line), "%s %d %lld\n", what, (int)getpid(),
	    (long long)ts.tv_sec * 1000000000 + ts.tv_nsec);
	fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	/* One write() each, so lines of several processes never mix. */
	if (fd == -1 || write(fd, line, (size_t)n) != n) {
		fprintf(stderr, "catch: %s: %s\n", file, strerror(errno));
		exit(111);
	}
	(void)close(fd);
}

static int
signal_number(const char *name)
{
	if (strncmp(name, "SIG", 3) == 0)
		name += 3;
	for (int sig = 1; sig < NSIG; sig++) {
		const char *abbrev = sigabbrev_np(sig);

		if (abbrev != NULL && strcmp(abbrev, name) == 0)
			return sig;
	}
	return atoi(name);
}

static void
usage(void)
{
	fprintf(stderr, "usage: catch [-b] FILE [SIG=ignore|exit:N|die|"
	    "linger:MS]...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	enum action act[NSIG] = { ACT_NONE };
	int arg[NSIG] = { 0 };
	bool background = false;
	sigset_t set;
	int i = 1;

	if (i < argc && strcmp(argv[i], "-b") == 0) {
		background = true;
		i++;
	}
	if (i >= argc)
		usage();
	file = argv[i++];
	sigemptyset(&set);
	for (; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		int sig;

		if (eq == NULL)
			usage();
		*eq++ = '\0';
		sig = signal_number(argv[i]);
		if (sig <= 0 || sig >= NSIG)
			usage();
		if (strcmp(eq, "ignore") == 0)
			act[sig] = ACT_IGNORE;
		else if (strcmp(eq, "die") == 0)
			act[sig] = ACT_DIE;
		else if (strncmp(eq, "exit:", 5) == 0)
			act[sig] = ACT_EXIT, arg[sig] = atoi(eq + 5);
		else if (strncmp(eq, "linger:", 7) == 0)
			act[sig] = ACT_LINGER, arg[sig] = atoi(eq + 7);
		else
			usage();
		sigaddset(&set, sig);
	}
	for (int sig = 1; sig < NSIG; sig++)
		if (!sigismember(&set, sig))
			(void)signal(sig, SIG_DFL);	/* EINVAL for KILL etc. */
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return 111;
	if (background) {
		pid_t pid = fork();

		if (pid == -1)
			return 111;
		if (pid > 0)
			_exit(0);
	}
	record("start");
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		struct timespec ts;

		if (sig == -1) {
			if (errno == EINTR)
				continue;
			return 111;
		}
		record(sigabbrev_np(sig));
		switch (act[sig]) {
		case ACT_EXIT:
			_exit(arg[sig]);
		case ACT_DIE:
			signal(sig, SIG_DFL);
			sigdelset(&set, sig);
			sigprocmask(SIG_SETMASK, &set, NULL);
			raise(sig);
			return 111;
		case ACT_LINGER:
			ts.tv_sec = arg[sig] / 1000;
			ts.tv_nsec = (long)(arg[sig] % 1000) * 1000000;
			while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
				;
			record("exit");
			_exit(0);
		case ACT_IGNORE:
		case ACT_NONE:
			break;
		}
	}
}
