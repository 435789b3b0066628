/*
 * tests/tools/mtclient/wire.c - milter socket, packets and timeouts
 * (part of mtclient, included by mtclient.c; interface in mtclient.h)
 *
 * A packet is a 4-byte big-endian length, one command byte and length - 1
 * bytes of data (libmilter/mfdef.h, Postfix milter8.c). The socket is
 * non-blocking and every wait goes through poll() with a deadline, so a
 * milter that stops answering or reading costs at most timeout_s seconds.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mtclient.h"

#define WIRE_HOST_MAX 256	/* host part of an inet: socket spec */

/* wire_now_ms - monotonic clock in milliseconds */
static int64_t
wire_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* wire_wait - poll fd for events until the deadline; -1 on timeout */
static int
wire_wait(const struct mt_conn *c, short events, int64_t deadline,
    const char *what)
{
	struct pollfd pfd;
	int64_t left;
	int n;

	for (;;) {		/* ends: the deadline */
		left = deadline - wire_now_ms();
		if (left <= 0) {
			mt_err("timeout after %d s %s", c->timeout_s, what);
			return -1;
		}
		pfd.fd = c->fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 0;	/* ready, or an error I/O reports */
		if (n < 0 && errno != EINTR) {
			mt_err("poll: %m");
			return -1;
		}
	}
}

/* wire_connect - non-blocking connect to one address, bounded; on
 * failure c->fd is closed again */
static int
wire_connect(struct mt_conn *c, int family, const struct sockaddr *sa,
    socklen_t salen, const char *spec)
{
	int err = 0, rc = -1;
	socklen_t elen = sizeof err;

	c->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		mt_err("socket for %s: %m", spec);
		goto out;
	}
	if (family != AF_UNIX) {
		/* macros and commands go out as separate small writes, like
		 * Postfix's; without NODELAY each would wait for an ACK */
		int one = 1;
		(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof one);
	}
	if (connect(c->fd, sa, salen) == 0) {
		rc = 0;
		goto out;
	}
	if (errno != EINPROGRESS) {
		mt_err("connect to %s: %m", spec);
		goto out;
	}
	if (wire_wait(c, POLLOUT, wire_now_ms() + c->timeout_s * 1000LL,
		"connecting to the milter") != 0)
		goto out;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
		err = errno;
	if (err != 0) {
		errno = err;
		mt_err("connect to %s: %m", spec);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		mt_conn_close(c);
	return rc;
}

/* wire_open_unix - connect to a unix-domain socket */
static int
wire_open_unix(struct mt_conn *c, const char *path, const char *spec)
{
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path) >=
	    (int)sizeof sun.sun_path) {
		mt_err("socket path too long: %s", path);
		return -1;
	}
	return wire_connect(c, AF_UNIX, (struct sockaddr *)&sun, sizeof sun,
	    spec);
}

/* wire_split_inet - PORT@HOST (libmilter) or HOST:PORT (Postfix), the
 * host optionally in brackets, into host_r and port_r; -1 if malformed */
static int
wire_split_inet(const char *rest, char *host_r, size_t host_size,
    char *port_r, size_t port_size)
{
	const char *at = strchr(rest, '@');
	const char *colon = strrchr(rest, ':');
	const char *host, *port;
	size_t hlen, plen;

	if (at != NULL) {
		port = rest;
		plen = (size_t)(at - rest);
		host = at + 1;
		hlen = strlen(host);
	} else if (colon != NULL) {
		host = rest;
		hlen = (size_t)(colon - rest);
		port = colon + 1;
		plen = strlen(port);
	} else {
		return -1;
	}
	if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= host_size || plen == 0 || plen >= port_size)
		return -1;
	memcpy(host_r, host, hlen);
	host_r[hlen] = '\0';
	memcpy(port_r, port, plen);
	port_r[plen] = '\0';
	return 0;
}

/* wire_open_inet - resolve HOST and connect to the first that answers */
static int
wire_open_inet(struct mt_conn *c, const char *rest, int family,
    const char *spec)
{
	char host[WIRE_HOST_MAX];
	char port[16];
	struct addrinfo hints, *res = NULL, *ai;
	int rc = -1, gai;

	if (wire_split_inet(rest, host, sizeof host, port, sizeof port) != 0) {
		mt_err("bad inet socket %s: want inet:PORT@HOST or "
		    "inet:HOST:PORT", spec);
		goto out;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	if ((gai = getaddrinfo(host, port, &hints, &res)) != 0) {
		mt_err("%s: %s", spec, gai_strerror(gai));
		goto out;
	}
	for (ai = res; ai != NULL && rc != 0; ai = ai->ai_next)
		rc = wire_connect(c, ai->ai_family, ai->ai_addr,
		    ai->ai_addrlen, spec);
out:
	if (res != NULL)
		freeaddrinfo(res);
	return rc;
}

/* mt_put32 - big-endian 32-bit, as the milter protocol writes numbers */
void
mt_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* mt_get32 - big-endian 32-bit */
uint32_t
mt_get32(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* mt_conn_open - connect to the milter named by spec */
int
mt_conn_open(struct mt_conn *c, const char *spec, int timeout_s)
{
	c->fd = -1;
	c->timeout_s = timeout_s;
	if (strncmp(spec, "unix:", 5) == 0)
		return wire_open_unix(c, spec + 5, spec);
	if (strncmp(spec, "local:", 6) == 0)
		return wire_open_unix(c, spec + 6, spec);
	if (strncmp(spec, "inet:", 5) == 0)
		return wire_open_inet(c, spec + 5, AF_UNSPEC, spec);
	if (strncmp(spec, "inet6:", 6) == 0)
		return wire_open_inet(c, spec + 6, AF_INET6, spec);
	mt_err("bad socket %s: want inet:PORT@HOST, inet:HOST:PORT, "
	    "inet6:PORT@HOST or unix:/PATH", spec);
	return -1;
}

/* wire_write - write all n bytes before the deadline */
static int
wire_write(struct mt_conn *c, const void *p, size_t n, int64_t deadline,
    char cmd)
{
	size_t done = 0;
	ssize_t w;
	char what[64];

	while (done < n) {	/* ends: progress, error or the deadline */
		w = send(c->fd, (const char *)p + done, n - done,
		    MSG_NOSIGNAL);
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			mt_err("sending command '%c' to the milter: %m", cmd);
			return -1;
		}
		snprintf(what, sizeof what,
		    "sending command '%c' (the milter does not read)", cmd);
		if (wire_wait(c, POLLOUT, deadline, what) != 0)
			return -1;
	}
	return 0;
}

/* mt_conn_send - one packet */
int
mt_conn_send(struct mt_conn *c, char cmd, const void *data, size_t len)
{
	unsigned char head[5];
	uint32_t plen;
	int64_t deadline = wire_now_ms() + c->timeout_s * 1000LL;

	if (len > MT_MESSAGE_MAX) {
		mt_err("command '%c' too long: %zu bytes", cmd, len);
		return -1;
	}
	plen = (uint32_t)len + 1;
	head[0] = (unsigned char)(plen >> 24);
	head[1] = (unsigned char)(plen >> 16);
	head[2] = (unsigned char)(plen >> 8);
	head[3] = (unsigned char)plen;
	head[4] = (unsigned char)cmd;
	if (wire_write(c, head, sizeof head, deadline, cmd) != 0)
		return -1;
	return len > 0 ? wire_write(c, data, len, deadline, cmd) : 0;
}

/* wire_read - read exactly n bytes before the deadline */
static int
wire_read(struct mt_conn *c, void *p, size_t n, int64_t deadline,
    const char *stage)
{
	size_t got = 0;
	ssize_t r;
	char what[64];

	while (got < n) {	/* ends: progress, EOF, error or deadline */
		r = recv(c->fd, (char *)p + got, n - got, 0);
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0) {
			mt_err("the milter closed the connection while we "
			    "waited for its reply to %s", stage);
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			mt_err("reading the reply to %s: %m", stage);
			return -1;
		}
		snprintf(what, sizeof what, "waiting for the reply to %s",
		    stage);
		if (wire_wait(c, POLLIN, deadline, what) != 0)
			return -1;
	}
	return 0;
}

/* mt_conn_recv - one packet, at most MT_PACKET_MAX bytes */
int
mt_conn_recv(struct mt_conn *c, const char *stage, char *cmd_r,
    struct mt_buf *data_r)
{
	unsigned char head[5];
	uint32_t plen;
	int64_t deadline = wire_now_ms() + c->timeout_s * 1000LL;

	if (wire_read(c, head, 4, deadline, stage) != 0)
		return -1;
	plen = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 |
	    (uint32_t)head[2] << 8 | head[3];
	if (plen == 0 || plen > MT_PACKET_MAX) {
		mt_err("reply to %s has length %lu, want 1..%d",
		    stage, (unsigned long)plen, MT_PACKET_MAX);
		return -1;
	}
	if (wire_read(c, head + 4, 1, deadline, stage) != 0 ||
	    mt_buf_resize(data_r, plen - 1) != 0 ||
	    wire_read(c, data_r->data, plen - 1, deadline, stage) != 0)
		return -1;
	*cmd_r = (char)head[4];
	return 0;
}

/* mt_conn_close - close the socket if open */
void
mt_conn_close(struct mt_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}
