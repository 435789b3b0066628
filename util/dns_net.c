/*
 * util/dns_net.c - the resolver's network transport: nameserver parsing,
 * one DNS exchange over UDP with TCP fallback (RFC 1035 4.2, RFC 7766).
 *
 * Every query opens its own sockets, so threads share nothing here. UDP
 * sockets are connect()ed: the kernel then drops datagrams from any other
 * address, and picks a random source port. Each try uses a fresh random
 * id from getrandom(); a response counts only when its id, QR bit and
 * question match ours (RFC 5452 9.1), anything else is discarded while we
 * keep waiting. Every wait is a poll() against a deadline, and a whole
 * query never runs past AG_DNS_MAX_TIMEOUT_MS.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "util/dns_cache.h"
#include "util/dns_int.h"

#define NET_MSG_MAX 65535	/* a DNS message, UDP or TCP */
#define NET_EDNS_SIZE 1232	/* EDNS0 UDP payload (DNS flag day 2020) */
#define NET_MAX_DGRAMS 256	/* datagrams read per UDP try */
#define NET_NS_TEXT_MAX 128	/* "[v6addr%scope]:port" fits easily */
#define NET_RESOLV_LINE 512	/* longer resolv.conf lines are skipped */
#define NET_RESOLV_LINES 1000	/* lines read from resolv.conf */

enum net_outcome {
	NET_ANSWER,		/* *pkt_r holds a matching response */
	NET_TRUNCATED,		/* UDP answer with TC=1: ask over TCP */
	NET_TIMEOUT,		/* nothing usable before the deadline */
	NET_MALFORMED,		/* timed out, but saw an unparseable answer */
	NET_NETERR		/* socket-level failure */
};

/* one query being resolved: the wire form and what must match */
struct net_query {
	uint8_t *wire;		/* query message; bytes 0-1 are the id */
	size_t wlen;
	const ldns_rdf *qname;
	uint16_t type;
	uint8_t *buf;		/* NET_MSG_MAX + 2 bytes for responses */
};

/* net_port - parse a decimal port 1..65535; 0 when invalid */
static unsigned
net_port(const char *s)
{
	unsigned long v = 0;

	if (*s == '\0' || strlen(s) > 5)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	return v <= 65535 ? (unsigned)v : 0;
}

/* net_split - find host and port strings inside buf (modified) */
static int
net_split(char *buf, char **host_r, const char **port_r)
{
	char *p, *colon;

	*port_r = "53";
	if (buf[0] == '[') {
		if ((p = strchr(buf, ']')) == NULL)
			return AG_EINVAL;
		*p++ = '\0';
		*host_r = buf + 1;
		if (*p == ':')
			*port_r = p + 1;
		else if (*p != '\0')
			return AG_EINVAL;
		return AG_OK;
	}
	*host_r = buf;
	colon = strchr(buf, ':');
	if (colon != NULL && strchr(colon + 1, ':') == NULL) {
		/* exactly one colon: addr:port; two or more: bare IPv6 */
		*colon = '\0';
		*port_r = colon + 1;
	}
	return AG_OK;
}

/* ag_dns_ns_parse - numeric nameserver text to a socket address */
int
ag_dns_ns_parse(const char *text, struct ag_dns_ns *ns_r)
{
	struct addrinfo hints, *ai = NULL;
	char buf[NET_NS_TEXT_MAX], *host;
	const char *port;
	int rc = AG_EINVAL;

	if (text == NULL || strlen(text) >= sizeof(buf))
		goto out;
	memcpy(buf, text, strlen(text) + 1);
	if (net_split(buf, &host, &port) != AG_OK || *host == '\0' ||
	    net_port(port) == 0)
		goto out;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL ||
	    ai->ai_addrlen > sizeof(ns_r->addr))
		goto out;
	memset(ns_r, 0, sizeof(*ns_r));
	memcpy(&ns_r->addr, ai->ai_addr, ai->ai_addrlen);
	ns_r->len = ai->ai_addrlen;
	rc = AG_OK;
out:
	if (ai != NULL)
		freeaddrinfo(ai);
	return rc;
}

/* net_resolv_line - the address of a "nameserver ADDR" line, or NULL */
static char *
net_resolv_line(char *line)
{
	char *p = line + strspn(line, " \t");
	char *addr;

	if (strncmp(p, "nameserver", 10) != 0 ||
	    (p[10] != ' ' && p[10] != '\t'))
		return NULL;
	addr = p + 10 + strspn(p + 10, " \t");
	addr[strcspn(addr, " \t\r\n#;")] = '\0';
	return *addr != '\0' ? addr : NULL;
}

/* ag_dns_ns_resolvconf - nameserver lines of resolv.conf */
int
ag_dns_ns_resolvconf(const char *path, struct ag_dns_ns *ns, unsigned max,
		     unsigned *n_r)
{
	char line[NET_RESOLV_LINE];
	const char *addr;
	FILE *fp = NULL;
	unsigned n = 0, lines = 0;
	int skipping = 0;

	if ((fp = fopen(path, "re")) == NULL)
		goto out;
	while (n < max && lines < NET_RESOLV_LINES &&
	       fgets(line, sizeof(line), fp) != NULL) {
		int whole = strchr(line, '\n') != NULL || feof(fp);

		/* the tail of an overlong line is not a line of its own */
		if (skipping || !whole) {
			skipping = !whole;
			continue;
		}
		lines++;
		if ((addr = net_resolv_line(line)) != NULL &&
		    ag_dns_ns_parse(addr, &ns[n]) == AG_OK)
			n++;
	}
out:
	if (fp != NULL)
		fclose(fp);
	if (n == 0 && max > 0 && ag_dns_ns_parse("127.0.0.1", &ns[0]) == AG_OK)
		n = 1;
	*n_r = n;
	return AG_OK;
}

/* net_left - milliseconds until deadline, 0 once past it */
static int
net_left(uint64_t deadline)
{
	uint64_t now = ag_dns_clock_monotonic(NULL);

	return now >= deadline ? 0 : (int)(deadline - now);
}

/* net_wait - poll fd for events until deadline: 1 ready, 0 timeout, -1 */
static int
net_wait(int fd, short events, uint64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int left, n;

	/* bounded: each EINTR retry re-reads the clock against deadline */
	for (;;) {
		if ((left = net_left(deadline)) == 0)
			return 0;
		n = poll(&pfd, 1, left);
		if (n > 0)
			return (pfd.revents & (events | POLLERR | POLLHUP)) ? 1
									    : 0;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* net_new_id - put a fresh random id into the query; -1 if none */
static int
net_new_id(struct net_query *q)
{
	uint8_t id[2];

	if (getrandom(id, sizeof(id), 0) != (ssize_t)sizeof(id) &&
	    RAND_bytes(id, sizeof(id)) != 1)
		return -1;
	q->wire[0] = id[0];
	q->wire[1] = id[1];
	return 0;
}

/*
 * net_match - check a response against the query: 1 and *pkt_r when it
 * is ours, 2 when it is ours with TC=1, 0 when it is not ours (wrong id,
 * not a response, other question), -1 when it has our id but no parse.
 */
static int
net_match(const struct net_query *q, const uint8_t *msg, size_t len,
	  ldns_pkt **pkt_r)
{
	ldns_pkt *pkt = NULL;
	const ldns_rr *qr;
	int rc = 0;

	if (len < LDNS_HEADER_SIZE || msg[0] != q->wire[0] ||
	    msg[1] != q->wire[1] || !LDNS_QR_WIRE(msg))
		goto out;
	if (LDNS_TC_WIRE(msg)) {
		/* the TCP exchange verifies its own answer */
		rc = 2;
		goto out;
	}
	if (ldns_wire2pkt(&pkt, msg, len) != LDNS_STATUS_OK) {
		rc = -1;
		goto out;
	}
	if (ldns_pkt_qdcount(pkt) != 1 ||
	    (qr = ldns_rr_list_rr(ldns_pkt_question(pkt), 0)) == NULL ||
	    ldns_rr_get_type(qr) != q->type ||
	    ldns_rr_get_class(qr) != LDNS_RR_CLASS_IN ||
	    ldns_dname_compare(ldns_rr_owner(qr), q->qname) != 0)
		goto out;
	*pkt_r = pkt;
	pkt = NULL;
	rc = 1;
out:
	ldns_pkt_free(pkt);
	return rc;
}

/* net_socket - a non-blocking socket connected (or connecting) to ns */
static int
net_socket(const struct ag_dns_ns *ns, int socktype)
{
	int fd;

	fd = socket(ns->addr.ss_family, socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&ns->addr, ns->len) != 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* net_udp - one UDP try against ns until deadline */
static enum net_outcome
net_udp(struct net_query *q, const struct ag_dns_ns *ns, uint64_t deadline,
	ldns_pkt **pkt_r)
{
	enum net_outcome res = NET_NETERR;
	int fd = -1, m, malformed = 0;
	ssize_t n;

	if (net_new_id(q) != 0 || (fd = net_socket(ns, SOCK_DGRAM)) < 0)
		goto out;
	if (send(fd, q->wire, q->wlen, 0) != (ssize_t)q->wlen)
		goto out;
	res = NET_TIMEOUT;
	for (unsigned i = 0; i < NET_MAX_DGRAMS; i++) {
		if ((m = net_wait(fd, POLLIN, deadline)) <= 0) {
			res = m < 0 ? NET_NETERR : NET_TIMEOUT;
			break;
		}
		if ((n = recv(fd, q->buf, NET_MSG_MAX, 0)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			res = NET_NETERR;	/* e.g. ICMP port unreachable */
			break;
		}
		m = net_match(q, q->buf, (size_t)n, pkt_r);
		if (m == 1 || m == 2) {
			res = m == 1 ? NET_ANSWER : NET_TRUNCATED;
			break;
		}
		malformed |= m < 0;
	}
	if (res == NET_TIMEOUT && malformed)
		res = NET_MALFORMED;
out:
	if (fd >= 0)
		close(fd);
	return res;
}

/* net_tcp_io - send or receive exactly len bytes before deadline */
static int
net_tcp_io(int fd, uint8_t *p, size_t len, int sending, uint64_t deadline)
{
	size_t done = 0;
	ssize_t n;

	/* bounded: every pass moves data or waits against the deadline */
	while (done < len) {
		if (net_wait(fd, sending ? POLLOUT : POLLIN, deadline) <= 0)
			return -1;
		n = sending ? send(fd, p + done, len - done, MSG_NOSIGNAL)
			    : recv(fd, p + done, len - done, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* net_tcp - one TCP exchange with ns (2-byte length prefix, RFC 1035 4.2.2) */
static enum net_outcome
net_tcp(struct net_query *q, const struct ag_dns_ns *ns, uint64_t deadline,
	ldns_pkt **pkt_r)
{
	enum net_outcome res = NET_NETERR;
	uint8_t len[2];
	size_t rlen;
	int fd = -1, m;
	socklen_t elen = sizeof(m);

	if (net_new_id(q) != 0 || (fd = net_socket(ns, SOCK_STREAM)) < 0)
		goto out;
	if (net_wait(fd, POLLOUT, deadline) <= 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &m, &elen) != 0 || m != 0)
		goto out;
	len[0] = (uint8_t)(q->wlen >> 8);
	len[1] = (uint8_t)(q->wlen & 0xff);
	if (net_tcp_io(fd, len, 2, 1, deadline) != 0 ||
	    net_tcp_io(fd, q->wire, q->wlen, 1, deadline) != 0 ||
	    net_tcp_io(fd, len, 2, 0, deadline) != 0)
		goto out;
	rlen = ((size_t)len[0] << 8) | len[1];
	if (net_tcp_io(fd, q->buf, rlen, 0, deadline) != 0)
		goto out;
	/* over TCP a TC bit is meaningless; parse whatever came */
	q->buf[2] &= (uint8_t)~LDNS_TC_MASK;
	m = net_match(q, q->buf, rlen, pkt_r);
	res = m == 1 ? NET_ANSWER : m < 0 ? NET_MALFORMED : NET_NETERR;
out:
	if (fd >= 0)
		close(fd);
	return res;
}

/* net_try - one try against ns: UDP, then TCP on truncation */
static enum net_outcome
net_try(struct net_query *q, const struct ag_dns_ns *ns, unsigned timeout_ms,
	uint64_t end, ldns_pkt **pkt_r)
{
	uint64_t deadline = ag_dns_clock_monotonic(NULL) + timeout_ms;
	enum net_outcome res;

	if (deadline > end)
		deadline = end;
	res = net_udp(q, ns, deadline, pkt_r);
	if (res != NET_TRUNCATED)
		return res;
	/* the TCP exchange gets a full timeout of its own */
	deadline = ag_dns_clock_monotonic(NULL) + timeout_ms;
	if (deadline > end)
		deadline = end;
	return net_tcp(q, ns, deadline, pkt_r);
}

/* net_wire - the query for (qname, type) in wire form, RD=1, EDNS0 */
static int
net_wire(const ldns_rdf *qname, uint16_t type, struct net_query *q)
{
	ldns_pkt *pkt = NULL;
	ldns_rr *qrr = NULL;
	ldns_rdf *owner = NULL;
	int rc = AG_ENOMEM;

	if ((pkt = ldns_pkt_new()) == NULL || (qrr = ldns_rr_new()) == NULL ||
	    (owner = ldns_rdf_clone(qname)) == NULL)
		goto out;
	ldns_rr_set_owner(qrr, owner);
	owner = NULL;
	ldns_rr_set_type(qrr, (ldns_rr_type)type);
	ldns_rr_set_class(qrr, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(qrr, true);
	if (!ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, qrr))
		goto out;
	qrr = NULL;
	ldns_pkt_set_opcode(pkt, LDNS_PACKET_QUERY);
	/* RD=1: works against a recursive resolver and an authoritative one */
	ldns_pkt_set_rd(pkt, true);
	ldns_pkt_set_edns_udp_size(pkt, NET_EDNS_SIZE);
	if (ldns_pkt2wire(&q->wire, pkt, &q->wlen) != LDNS_STATUS_OK ||
	    q->wlen < LDNS_HEADER_SIZE)
		goto out;
	rc = AG_OK;
out:
	ldns_rdf_deep_free(owner);
	ldns_rr_free(qrr);
	ldns_pkt_free(pkt);
	return rc;
}

/* net_usable - whether a response ends the search (not SERVFAIL & co) */
static int
net_usable(const ldns_pkt *pkt)
{
	ldns_pkt_rcode rc = ldns_pkt_get_rcode(pkt);

	return rc == LDNS_RCODE_NOERROR || rc == LDNS_RCODE_NXDOMAIN;
}

/* net_rounds - ask every server once per round; keep the last bad answer */
static void
net_rounds(const struct ag_dns_net *net, struct net_query *q,
	   ldns_pkt **pkt_r, enum ag_dns_status *st_r)
{
	uint64_t end = ag_dns_clock_monotonic(NULL) + AG_DNS_MAX_TIMEOUT_MS;
	unsigned char answered[AG_DNS_MAX_NS] = { 0 };
	ldns_pkt *pkt = NULL, *bad = NULL;
	int timed_out = 0, malformed = 0;
	enum net_outcome res;

	for (unsigned r = 0; r <= net->retries && r <= AG_DNS_MAX_RETRIES;
	     r++) {
		for (unsigned i = 0; i < net->n_ns && i < AG_DNS_MAX_NS; i++) {
			if (answered[i] || net_left(end) == 0)
				continue;
			res = net_try(q, &net->ns[i], net->timeout_ms, end,
				      &pkt);
			timed_out |= res == NET_TIMEOUT;
			malformed |= res == NET_MALFORMED;
			if (res != NET_ANSWER)
				continue;
			if (net_usable(pkt))
				goto done;
			/* this server failed the query: ask the others */
			answered[i] = 1;
			ldns_pkt_free(bad);
			bad = pkt;
			pkt = NULL;
		}
	}
	pkt = bad;
	bad = NULL;
done:
	ldns_pkt_free(bad);
	*pkt_r = pkt;
	*st_r = pkt != NULL ? AG_DNS_OK
		: (timed_out && !malformed) ? AG_DNS_TIMEOUT
					    : AG_DNS_ERROR;
}

/* ag_dns_net_query - one query over the network, all servers and retries */
int
ag_dns_net_query(const struct ag_dns_net *net, const ldns_rdf *qname,
		 uint16_t type, ldns_pkt **pkt_r, enum ag_dns_status *st_r)
{
	struct net_query q = { .qname = qname, .type = type };
	int rc;

	*pkt_r = NULL;
	if ((rc = net_wire(qname, type, &q)) != AG_OK)
		goto out;
	rc = AG_ENOMEM;
	if ((q.buf = malloc(NET_MSG_MAX + 2)) == NULL)
		goto out;
	net_rounds(net, &q, pkt_r, st_r);
	rc = AG_OK;
out:
	free(q.wire);
	free(q.buf);
	return rc;
}
