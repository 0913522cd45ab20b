/*
 * envinfo: a service that writes down what it inherited, then waits.
 *
 * usage: envinfo FILE
 *
 * Writes FILE (through a temporary file and rename(), so a reader sees all
 * of it or nothing) with one "NAME VALUE" line each for: fds (the open
 * descriptors), SigBlk, SigIgn (from /proc/self/status), stdin (where fd 0
 * points), pid, pgid, sid, and CORRAL_SERVICE.  Then it waits for a signal
 * with every disposition left as it found it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
fail(const char *what)
{
	fprintf(stderr, "envinfo: %s: %s\n", what, strerror(errno));
	exit(111);
}

int
main(int argc, char **argv)
{
	char fds[1024] = "", tmp[4096], line[256], in[256];
	size_t used = 0;
	struct dirent *de;
	ssize_t n;
	FILE *status, *out;
	DIR *d;

	if (argc != 2) {
		fprintf(stderr, "usage: envinfo FILE\n");
		return 2;
	}
	/* Listed before anything else is opened, minus the listing's own fd. */
	d = opendir("/proc/self/fd");
	if (d == NULL)
		fail("/proc/self/fd");
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		used += (size_t)snprintf(fds + used, sizeof(fds) - used, "%s%s",
		    used ? " " : "", de->d_name);
		if (used >= sizeof(fds))
			break;
	}
	(void)closedir(d);
	n = readlink("/proc/self/fd/0", in, sizeof(in) - 1);
	in[n > 0 ? n : 0] = '\0';

	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	out = fopen(tmp, "we");
	status = fopen("/proc/self/status", "re");
	if (out == NULL || status == NULL)
		fail(tmp);
	fprintf(out, "fds %s\n", fds);
	while (fgets(line, sizeof(line), status) != NULL)
		if (strncmp(line, "SigBlk:", 7) == 0 ||
		    strncmp(line, "SigIgn:", 7) == 0)
			fprintf(out, "%.6s %s", line, line + 7 + strspn(line + 7,
			    " \t"));
	(void)fclose(status);
	fprintf(out, "stdin %s\npid %d\npgid %d\nsid %d\nCORRAL_SERVICE %s\n",
	    in, (int)getpid(), (int)getpgrp(), (int)getsid(0),
	    getenv("CORRAL_SERVICE") ? getenv("CORRAL_SERVICE") : "(unset)");
	if (fclose(out) != 0 || rename(tmp, argv[1]) == -1)
		fail(argv[1]);
	for (;;)
		pause();
}
