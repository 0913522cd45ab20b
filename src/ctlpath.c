#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctlpath.h"

const char *
control_default_path(void)
{
	static char buf[PATH_MAX];
	const char *dir = getenv("CORRAL_SOCKET");

	/* The same variable tells corralctl where corral listens. */
	if (dir != NULL && *dir != '\0')
		return dir;
	if (geteuid() == 0)
		return "/run/corral.sock";
	dir = getenv("XDG_RUNTIME_DIR");
	if (dir == NULL || *dir != '/')
		return NULL;
	if ((size_t)snprintf(buf, sizeof(buf), "%s/corral.sock", dir) >= sizeof(buf))
		return NULL;
	return buf;
}
