/*
 * Helpers for the tests of the control socket, corralctl and the status
 * file (test_control.c, test_reload.c, test_output.c, test_exec_env.c).
 * Built on harness.h; the same rules: bounded waits, everything cleaned up
 * by the harness.
 */
#ifndef CORRAL_TEST_CTLUTIL_H
#define CORRAL_TEST_CTLUTIL_H

#include "harness.h"
#include "tjson.h"

/* A finished run of corralctl. */
struct cu_run {
	int		 code;		/* its exit status */
	const char	*out;		/* its stdout */
	const char	*err;		/* its stderr */
	struct h_proc	*p;
};

/* build/corralctl, next to CORRAL_BIN. */
const char	*cu_ctl_path(void);

/*
 * Runs `corralctl -s SOCK ARGS...` to its end (H_WAIT_MS at most), as the
 * test's user or, with o, as o says.
 */
struct cu_run	 cu_ctl(const char *sock, ...) __attribute__((sentinel));
struct cu_run	 cu_ctl_opts(const struct h_spawn_opts *o,
		    const char *const *argv);
const char	*cu_ctx(const struct cu_run *r);

/*
 * One request on the socket without corralctl: connects, sends len bytes
 * of req, reads until corral closes.  The reply, or NULL when it did not
 * come within timeout_ms (*why says what went wrong).
 */
char		*cu_request(const char *sock, const char *req, size_t len,
		    int timeout_ms, const char **why);
int		 cu_connect(const char *sock);

/*
 * Whether pid (corral) runs under valgrind (`make valgrind`) or with
 * ASan's runtime (`make sanitize`), from its memory map.
 */
bool		 cu_valgrind(pid_t pid);
bool		 cu_asan(pid_t pid);

/* `status --json` through the socket, parsed and checked; freed by caller. */
struct tj	*cu_status(const char *sock);

/* A service's entry in a parsed status (an object with "services"). */
const struct tj	*cu_service(const struct tj *status, const char *name);
const char	*cu_state(const struct tj *status, const char *name);
pid_t		 cu_pid(const struct tj *status, const char *name);

/*
 * Checks that text is a status snapshot: one JSON object with a number
 * "time" and an array "services" of objects, each with a string "name",
 * a string "state" among corral's states, a number "pid", a number
 * "restarts", "started_at" a number or null, "last_exit" null or an
 * object.  NULL when it is, else what is wrong.
 */
const char	*cu_status_problem(const char *text);

/*
 * Waits (on inotify, through h_wait_on()) until the status file at path
 * shows service name in state; false on timeout.
 */
bool		 cu_wait_state(const char *status_file, const char *name,
		    const char *state, int timeout_ms);
/*
 * cu_wait_state() for each name of the list that ends with NULL, all
 * within H_WAIT_MS each; the first name not in state, or NULL.
 */
const char	*cu_wait_all(const char *status_file, const char *state, ...)
		    __attribute__((sentinel));
/* The state of name in the status file, or "(none)". */
const char	*cu_file_state(const char *status_file, const char *name);

/* The pid of the nth (from 0) start record of a catch service, waited for. */
pid_t		 cu_started(struct h_proc *c, const char *name, int nth);

/* The value of NAME in the "NAME=VALUE ..." words of a stamp -e record. */
const char	*cu_var(const char *words, const char *name);

/*
 * The whole file, NUL bytes included, NUL-terminated; *len its size.
 * NULL when it cannot be opened.  The caller frees it.
 */
char		*cu_slurp(const char *path, size_t *len);

/* A port of 127.0.0.1 that nothing listens on now. */
int		 cu_free_port(void);

#endif
