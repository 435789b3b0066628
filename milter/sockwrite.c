/*
 * milter/sockwrite.c - coalesce libmilter's end-of-message writes
 *
 * At end of message libmilter writes every header edit (smfi_insheader,
 * smfi_chgheader, ...) as its own packet with its own writev(), then the
 * verdict. On a TCP connection each write is a segment, a wake-up of the
 * MTA's reader and, over loopback, the receive path run on our CPU: a
 * signed message's two edits and its verdict cost three of each, about a
 * fifth of the whole unsigned outbound path in perf. The MTA answers
 * none of those edits; it reads them until the verdict. So a packet whose
 * command is an edit is held back here and written together with the
 * next packet that is not (the verdict, a progress report, anything
 * else), in one writev(). Order is kept; nothing is reordered across a
 * packet the MTA answers.
 *
 * Held back is at most AG_SOCKWRITE_SIZE bytes per connection; an edit
 * that does not fit first writes what is held. Before libmilter reads or
 * waits to read the connection (milter/sockbuf.c), what is held is
 * written, so neither side can wait on the other. A write that is not a
 * whole milter packet as libmilter builds it (length and command in the
 * first vector) is never held. On a failed write the caller gets -1 and
 * libmilter ends the session, as it does on any write error.
 *
 * Threads: a connection is served by one libmilter thread at a time; the
 * table slot of a descriptor is set by the accepting thread before the
 * session starts and cleared at close, both with atomic stores.
 */
#include "milter/sockwrite.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#define SOCKWRITE_FDS 65536
/* a stuck MTA gets this long to take what we hold (libmilter's own
 * write timeout is its 7210 s default; the MTA's is far shorter) */
#define SOCKWRITE_WAIT_MS 600000
#define SOCKWRITE_IOV 8

struct sockwrite {
	size_t len;
	unsigned char data[AG_SOCKWRITE_SIZE];
};

static _Atomic(struct sockwrite *) table[SOCKWRITE_FDS];
static struct sockwrite empty_mark;
#define SOCKWRITE_EMPTY (&empty_mark)

ssize_t __real_writev(int fd, const struct iovec *iov, int cnt);
ssize_t __wrap_writev(int fd, const struct iovec *iov, int cnt);
int __real_poll(struct pollfd *fds, nfds_t n, int timeout);

void
ag_sockwrite_register(int fd)
{
	if (fd >= 0 && fd < SOCKWRITE_FDS)
		atomic_store(&table[fd], SOCKWRITE_EMPTY);
}

static struct sockwrite *
sockwrite_of(int fd)
{
	if (fd < 0 || fd >= SOCKWRITE_FDS)
		return NULL;
	return atomic_load_explicit(&table[fd], memory_order_acquire);
}

void
ag_sockwrite_forget(int fd)
{
	struct sockwrite *w = sockwrite_of(fd);

	if (w == NULL)
		return;
	atomic_store(&table[fd], NULL);
	if (w != SOCKWRITE_EMPTY)
		free(w);
}

/* write_all - every byte of iov[0..cnt), waiting while the socket is
 * full; 0, or -1 with errno */
static int
write_all(int fd, struct iovec *iov, int cnt)
{
	while (cnt > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		ssize_t n = __real_writev(fd, iov, cnt);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			n = __real_poll(&pfd, 1, SOCKWRITE_WAIT_MS);
			if (n == 0)
				errno = ETIMEDOUT;
			if (n <= 0 && errno != EINTR)
				return -1;
			continue;
		}
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/* held_back - a whole libmilter packet carrying an edit the MTA does not
 * answer: 4-byte length and command in iov[0], the rest after it */
static bool
held_back(const struct iovec *iov, int cnt, size_t total)
{
	const unsigned char *h = iov[0].iov_base;
	uint32_t nl;

	if (cnt < 1 || iov[0].iov_len != 5)
		return false;
	memcpy(&nl, h, sizeof(nl));
	if ((size_t)ntohl(nl) != total - 4)
		return false;
	switch (h[4]) {
	case 'h':	/* SMFIR_ADDHEADER */
	case 'i':	/* SMFIR_INSHEADER */
	case 'm':	/* SMFIR_CHGHEADER */
	case '+':	/* SMFIR_ADDRCPT */
	case '-':	/* SMFIR_DELRCPT */
	case '2':	/* SMFIR_ADDRCPT_PAR */
	case 'e':	/* SMFIR_CHGFROM */
	case 'b':	/* SMFIR_REPLBODY */
	case 'q':	/* SMFIR_QUARANTINE */
		return true;
	default:
		return false;
	}
}

/* flush - what fd holds, then iov[0..cnt) (cnt < SOCKWRITE_IOV), in one
 * writev */
static int
flush(int fd, struct sockwrite *w, const struct iovec *iov, int cnt)
{
	struct iovec v[SOCKWRITE_IOV];
	int n = 0, rc;

	if (w != SOCKWRITE_EMPTY && w->len > 0) {
		v[n].iov_base = w->data;
		v[n].iov_len = w->len;
		n++;
	}
	if (cnt > 0)
		memcpy(v + n, iov, sizeof(*v) * (size_t)cnt);
	rc = write_all(fd, v, n + cnt);
	if (w != SOCKWRITE_EMPTY)
		w->len = 0;
	return rc;
}

int
ag_sockwrite_flush(int fd)
{
	struct sockwrite *w = sockwrite_of(fd);

	if (w == NULL || w == SOCKWRITE_EMPTY || w->len == 0)
		return 0;
	return flush(fd, w, NULL, 0);
}

ssize_t
__wrap_writev(int fd, const struct iovec *iov, int cnt)
{
	struct sockwrite *w = sockwrite_of(fd);
	size_t total = 0;

	if (w == NULL || cnt < 0)
		return __real_writev(fd, iov, cnt);
	for (int i = 0; i < cnt; i++)
		total += iov[i].iov_len;
	if (held_back(iov, cnt, total)) {
		if (w == SOCKWRITE_EMPTY) {
			if ((w = malloc(sizeof(*w))) == NULL)
				return __real_writev(fd, iov, cnt);
			w->len = 0;
			atomic_store(&table[fd], w);
		}
		if (w->len + total > sizeof(w->data) &&
		    flush(fd, w, NULL, 0) < 0)
			return -1;
		if (total <= sizeof(w->data)) {
			for (int i = 0; i < cnt; i++) {
				memcpy(w->data + w->len, iov[i].iov_base,
				       iov[i].iov_len);
				w->len += iov[i].iov_len;
			}
			return (ssize_t)total;
		}
	}
	if (cnt >= SOCKWRITE_IOV)	/* not libmilter's shape: as asked */
		return ag_sockwrite_flush(fd) < 0 ? -1
						  : __real_writev(fd, iov, cnt);
	return flush(fd, w, iov, cnt) < 0 ? -1 : (ssize_t)total;
}
