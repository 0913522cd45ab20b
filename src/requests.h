/*
 * What operators ask of a running corral (corralctl, SIGHUP): status,
 * start, stop, restart, signal, check, shutdown, and reload (SPEC §8, §9).
 * Each appends a human-readable reply and returns 0, or -1 when the
 * request failed (the reply says why).  Unknown names fail the whole
 * request before anything is done.
 */
#ifndef CORRAL_REQUESTS_H
#define CORRAL_REQUESTS_H

#include <stdbool.h>
#include <stddef.h>

#include "logbuf.h"
#include "strbuf.h"

enum ctl_verb { CTL_START, CTL_STOP, CTL_RESTART };

int	request_status(char *const *names, size_t n, bool json,
	    struct strbuf *reply);
int	request_control(enum ctl_verb verb, char *const *names, size_t n,
	    struct strbuf *reply);
int	request_signal(const char *name, int sig, struct strbuf *reply);
int	request_check(struct strbuf *reply);
/* The Prometheus text of every service (metrics.h). */
int	request_metrics(struct strbuf *reply);
/* Closes and opens again every file sink (for logrotate's postrotate). */
int	request_reopen(struct strbuf *reply);
int	request_shutdown(struct strbuf *reply);

/*
 * A reader of the output buffer of service name (logbuf.h): its last
 * nlines lines (SIZE_MAX: all), and with follow every later one, wake
 * called with ctx as logbuf_reader_new() says.  -1 with the reply said
 * for an unknown name, the NAME of instances (one must be named), or a
 * service without output_buffer.
 */
int	request_logs(const char *name, size_t nlines, bool follow,
	    logbuf_wake_fn *wake, void *ctx, struct logbuf_reader **out,
	    struct strbuf *reply);

/*
 * Reads the config file again (SPEC §8).  An invalid file changes nothing;
 * its errors are logged and replied.  With dry_run, only replies what would
 * happen: one "start|stop|restart|update|keep NAME" line per service.
 */
int	request_reload(bool dry_run, struct strbuf *reply);

/*
 * A watched path of the service owner changed, and its watch_delay passed
 * (watch.c): its watch_action runs, if it is starting or running.
 */
void	request_watch_fired(void *owner);

#endif
