/*
 * SIG_DFL or SIG_IGN for any signal, 32 and 33 included.  glibc keeps those
 * two for itself (thread cancellation, setxid) and refuses them to
 * sigaction(), but corral is single-threaded and never uses them: a stray
 * `kill -33` must not end it, and a service must not inherit them ignored.
 * The kernel's own rt_sigaction takes them.
 */
#ifndef CORRAL_SIGRAW_H
#define CORRAL_SIGRAW_H

#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int
sig_disposition(int sig, void (*handler)(int))
{
	struct sigaction sa = { .sa_handler = handler };
	struct {
		void		(*handler)(int);
		unsigned long	 flags;
		void		*restorer;
		uint64_t	 mask;
	} ksa = { .handler = handler };

	if (sigaction(sig, &sa, NULL) == 0)
		return 0;
	return (int)syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof(ksa.mask));
}

#endif
