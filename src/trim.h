/*
 * Giving back what start-up touched (issue 23): at the end of the turn in
 * which start-up is over (every service that starts with corral has been
 * up), or once the loop has been quiet for half a second after start-up
 * or a reload (5 s after it at the latest, if it never is), corral drops
 * its mappings of the pages of code and read-only data that it will most
 * likely not run again (the config loader, inih, glob, NSS, the dynamic
 * linker's), with MADV_DONTNEED.  Those pages stay in the page cache:
 * what corral needs again later (a reload, a rarely used path) comes back
 * as a minor fault.  Only mappings of files that corral never wrote are
 * dropped: a private page it wrote (relocations, RELRO) would lose what
 * was written, so any mapping with an anonymous page is left alone.
 */
#ifndef CORRAL_TRIM_H
#define CORRAL_TRIM_H

#include <ev.h>

/*
 * On a function that runs when the loop goes idle: its page is never
 * dropped (trim.c says why).
 */
#define TRIM_KEEP	__attribute__((section("corral_keep"), noinline))

void	trim_init(struct ev_loop *loop);
/* After start-up and each reload; failures of the trim change nothing. */
void	trim_arm(void);
/* Start-up is over: the trim is done before the loop next sleeps. */
void	trim_at_turn_end(void);
void	trim_free(void);

#endif
