/*
 * milter/sockwrite.h - coalesce libmilter's end-of-message writes
 * Use:     ag_sockwrite_register(fd) on every socket libmilter accepts
 *          (milter/nodelay.c); libmilter's writev() on that socket then
 *          goes through milter/sockwrite.c (linked with --wrap=writev:
 *          the authgate binary only); ag_sockwrite_flush(fd) before
 *          libmilter reads it, ag_sockwrite_forget(fd) when it is
 *          closed (both from milter/sockbuf.c's wrappers).
 * Owns:    one buffer per registered socket that has held back a write,
 *          freed by ag_sockwrite_forget().
 * Threads: any; one thread writes a given socket at a time.
 */
#ifndef AG_MILTER_SOCKWRITE_H
#define AG_MILTER_SOCKWRITE_H

#include <stddef.h>

/* bytes held back per connection before they are written anyway */
#define AG_SOCKWRITE_SIZE 16384

void ag_sockwrite_register(int fd);
void ag_sockwrite_forget(int fd);

/* ag_sockwrite_flush - write what fd holds back now (milter/sockbuf.c,
 * before libmilter reads or waits to read fd); 0, or -1 with errno */
int ag_sockwrite_flush(int fd);

#endif
