/*
 * milter/sockbuf.c - a read buffer under libmilter's connection sockets
 *
 * libmilter reads each milter packet with two read() calls (length and
 * command, then the data), each after a poll(), and one more poll() with a
 * short timeout before every command: five system calls a packet. The MTA
 * sends several packets at once (macros and their command; every header
 * field when it waits for no reply), so most of those calls find data
 * already there. Here the sockets libmilter accepts (milter/nodelay.c
 * registers them) get a user-space buffer: one read() takes what is
 * there, up to SOCKBUF_SIZE bytes, and the following reads and polls are
 * answered from it. Reads as large as the buffer, and every descriptor
 * not registered, go straight to the kernel.
 *
 * authgate links libmilter statically with --wrap=read, --wrap=poll and
 * --wrap=close (Makefile), so these wrappers see libmilter's calls; ours
 * pass through unchanged (no other descriptor is registered). Before a
 * read or a wait for input, the edits milter/sockwrite.c holds back on
 * that connection are written.
 *
 * Threads: a connection is served by one libmilter thread at a time; the
 * table slot of a descriptor is set by the accepting thread before the
 * session starts and cleared by close(), both with atomic stores.
 * Limits: descriptors below SOCKBUF_FDS are buffered (others pass
 * through); SOCKBUF_SIZE bytes per connection, allocated at its first
 * read, freed at close.
 */
#include "milter/sockbuf.h"
#include "milter/sockwrite.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SOCKBUF_FDS 65536
#define SOCKBUF_SIZE 16384

struct sockbuf {
	size_t off, len;
	unsigned char data[SOCKBUF_SIZE];
};

/* NULL: not ours; SOCKBUF_EMPTY: ours, no buffer yet */
static _Atomic(struct sockbuf *) table[SOCKBUF_FDS];
static struct sockbuf empty_mark;
#define SOCKBUF_EMPTY (&empty_mark)

ssize_t __real_read(int fd, void *p, size_t n);
ssize_t __wrap_read(int fd, void *p, size_t n);
int __real_poll(struct pollfd *fds, nfds_t n, int timeout);
int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout);
int __real_close(int fd);
int __wrap_close(int fd);

void
ag_sockbuf_register(int fd)
{
	if (fd >= 0 && fd < SOCKBUF_FDS)
		atomic_store(&table[fd], SOCKBUF_EMPTY);
}

/* sockbuf_of - the buffer of a registered descriptor, else NULL */
static struct sockbuf *
sockbuf_of(int fd)
{
	if (fd < 0 || fd >= SOCKBUF_FDS)
		return NULL;
	return atomic_load_explicit(&table[fd], memory_order_acquire);
}

/* sockbuf_has - buffered bytes are waiting on fd */
static int
sockbuf_has(int fd)
{
	struct sockbuf *b = sockbuf_of(fd);

	return b != NULL && b != SOCKBUF_EMPTY && b->off < b->len;
}

ssize_t
__wrap_read(int fd, void *p, size_t n)
{
	struct sockbuf *b = sockbuf_of(fd);
	ssize_t r;
	size_t k;

	if (b == NULL)
		return __real_read(fd, p, n);
	/* the MTA may be waiting for what sockwrite.c holds back */
	if (ag_sockwrite_flush(fd) < 0)
		return -1;
	if (b != SOCKBUF_EMPTY && b->off < b->len) {
		k = b->len - b->off < n ? b->len - b->off : n;
		memcpy(p, b->data + b->off, k);
		b->off += k;
		return (ssize_t)k;
	}
	if (n >= SOCKBUF_SIZE)
		return __real_read(fd, p, n);
	if (b == SOCKBUF_EMPTY) {
		if ((b = malloc(sizeof(*b))) == NULL)
			return __real_read(fd, p, n);
		atomic_store(&table[fd], b);
	}
	b->off = b->len = 0;
	r = __real_read(fd, b->data, sizeof(b->data));
	if (r <= 0)
		return r;
	b->len = (size_t)r;
	k = b->len < n ? b->len : n;
	memcpy(p, b->data, k);
	b->off = k;
	return (ssize_t)k;
}

int
__wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	nfds_t i, ready = 0;
	int r;

	for (i = 0; i < n; i++) {
		if ((fds[i].events & POLLIN) == 0 || sockbuf_of(fds[i].fd) == NULL)
			continue;
		if (ag_sockwrite_flush(fds[i].fd) < 0)
			return -1;
		if (sockbuf_has(fds[i].fd))
			ready++;
	}
	if (ready == 0)
		return __real_poll(fds, n, timeout);
	/* data is waiting: do not block; ask the kernel only about the
	 * others (and errors), without waiting */
	r = ready < n ? __real_poll(fds, n, 0) : 0;
	if (r < 0)
		return r;
	if (ready == n)
		for (i = 0; i < n; i++)
			fds[i].revents = 0;
	r = 0;
	for (i = 0; i < n; i++) {
		if ((fds[i].events & POLLIN) != 0 && sockbuf_has(fds[i].fd))
			fds[i].revents |= POLLIN;
		if (fds[i].revents != 0)
			r++;
	}
	return r;
}

int
__wrap_close(int fd)
{
	struct sockbuf *b = sockbuf_of(fd);

	if (b != NULL) {
		ag_sockwrite_forget(fd);
		atomic_store(&table[fd], NULL);
		if (b != SOCKBUF_EMPTY)
			free(b);
	}
	return __real_close(fd);
}
