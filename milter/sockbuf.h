/*
 * milter/sockbuf.h - user-space read buffer for libmilter's connections
 * Use:     ag_sockbuf_register(fd) on every socket libmilter accepts
 *          (milter/nodelay.c); reads, polls and the close of that socket
 *          then go through milter/sockbuf.c (linked with --wrap=read,
 *          --wrap=poll, --wrap=close: the authgate binary only).
 * Owns:    one buffer per registered socket, freed when it is closed.
 * Threads: any; one thread reads a given socket at a time.
 */
#ifndef AG_MILTER_SOCKBUF_H
#define AG_MILTER_SOCKBUF_H

void ag_sockbuf_register(int fd);

#endif
