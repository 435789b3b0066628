/*
 * milter/nodelay.c - TCP_NODELAY on every connection libmilter accepts
 *
 * At end of message a milter writes several small replies in a row (header
 * edits, then the verdict). With Nagle's algorithm on, the second write
 * waits for the MTA's delayed ACK, about 40 ms a message on Linux (the
 * OpenDKIM stall DESIGN.md records). libmilter offers no hook to reach its
 * sockets, so authgate links libmilter statically with --wrap=accept and
 * every accepted socket passes through here. Unix sockets refuse the
 * option harmlessly. The socket also gets its read buffer (sockbuf.c)
 * and its held-back edits (sockwrite.c).
 */
#include "milter/sockbuf.h"
#include "milter/sockwrite.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

int __real_accept(int fd, struct sockaddr *addr, socklen_t *len);
int __wrap_accept(int fd, struct sockaddr *addr, socklen_t *len);

int
__wrap_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	int s = __real_accept(fd, addr, len), one = 1;

	if (s >= 0) {
		(void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof(one));
		ag_sockbuf_register(s);
		ag_sockwrite_register(s);
	}
	return s;
}
