/*
 * Giving back what start-up touched (issue 23): once the first services
 * are started, corral drops its mappings of the pages of code and
 * read-only data that it will most likely not run again (the config
 * loader, inih, glob, NSS, the dynamic linker's), with MADV_DONTNEED.
 * Those pages stay in the page cache: what corral needs again later (a
 * reload, a rarely used path) comes back as a minor fault.  Only mappings
 * of files that corral never wrote are dropped: a private page it wrote
 * (relocations, RELRO) would lose what was written, so any mapping with
 * an anonymous page is left alone.
 */
#ifndef CORRAL_TRIM_H
#define CORRAL_TRIM_H

/* Drops the clean read-only file mappings' pages; failures change nothing. */
void	trim_startup_pages(void);

#endif
