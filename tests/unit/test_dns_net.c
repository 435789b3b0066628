/*
 * tests/unit/test_dns_net.c - util/dns_net.c: nameserver parsing,
 * resolv.conf, and the UDP/TCP transport against a small DNS responder
 * running in a thread of this test on 127.0.0.1 (UDP and TCP on one
 * ephemeral port). The responder builds its answers with ldns.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "util/dns.h"
#include "util/dns_int.h"

#define WANT_INT(label, what, got, want)                                    \
	do {                                                                \
		long long g_ = (long long)(got), w_ = (long long)(want);    \
		if (g_ != w_)                                               \
			fail_msg("case %s: %s: got %lld, want %lld", (label), \
				 (what), g_, w_);                           \
	} while (0)

#define TC_RECORDS 40	/* records in the TCP answer: over 512 bytes */

enum resp_mode {
	RESP_NORMAL,		/* A 192.0.2.1 */
	RESP_TC,		/* UDP: empty, TC=1; TCP: TC_RECORDS records */
	RESP_SILENT,		/* read queries, never answer */
	RESP_WRONG_FIRST,	/* wrong id, then wrong question, then right */
	RESP_SERVFAIL,		/* RCODE 2 */
	RESP_GARBAGE		/* our id, then a header without a question */
};

struct responder {
	enum resp_mode mode;
	int udp, tcp, stop[2];
	uint16_t port;
	pthread_t thr;
	atomic_int udp_queries, tcp_queries;
};

/* resp_reply - the wire answer to query q; NULL to send nothing */
static uint8_t *
resp_reply(const ldns_pkt *q, int tcp, uint16_t id, const char *owner,
	   const char *addr, unsigned n, ldns_pkt_rcode rcode, size_t *len_r)
{
	ldns_pkt *p = ldns_pkt_new();
	uint8_t *wire = NULL;
	ldns_rr *rr;
	char text[300];

	ldns_pkt_set_id(p, id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_rd(p, ldns_pkt_rd(q));
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	rr = ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(q), 0));
	if (owner != NULL) {
		ldns_rdf *o = NULL;

		(void)ldns_str2rdf_dname(&o, owner);
		ldns_rdf_deep_free(ldns_rr_owner(rr));
		ldns_rr_set_owner(rr, o);
	}
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, rr);
	for (unsigned i = 0; i < n; i++) {
		char *qn = ldns_rdf2str(ldns_rr_owner(rr));

		/* one record: addr as given; several: addr is a prefix */
		if (n == 1)
			snprintf(text, sizeof(text), "%s 300 IN A %s", qn,
				 addr);
		else
			snprintf(text, sizeof(text), "%s 300 IN A %s%u", qn,
				 addr, i + 1);
		free(qn);
		if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) ==
		    LDNS_STATUS_OK)
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	if (!tcp && n == 0 && rcode == LDNS_RCODE_NOERROR)
		ldns_pkt_set_tc(p, true);
	if (ldns_pkt2wire(&wire, p, len_r) != LDNS_STATUS_OK)
		wire = NULL;
	ldns_pkt_free(p);
	return wire;
}

/* resp_answers - the replies for one query, in sending order */
static unsigned
resp_answers(struct responder *r, const ldns_pkt *q, int tcp,
	     uint8_t *out[3], size_t len[3])
{
	uint16_t id = ldns_pkt_id(q);

	switch (r->mode) {
	case RESP_NORMAL:
		out[0] = resp_reply(q, tcp, id, NULL, "192.0.2.1", 1,
				    LDNS_RCODE_NOERROR, &len[0]);
		return 1;
	case RESP_TC:
		out[0] = resp_reply(q, tcp, id, NULL, "192.0.2.",
				    tcp ? TC_RECORDS : 0, LDNS_RCODE_NOERROR,
				    &len[0]);
		return 1;
	case RESP_SILENT:
		return 0;
	case RESP_WRONG_FIRST:
		out[0] = resp_reply(q, tcp, (uint16_t)(id ^ 0x5a5a), NULL,
				    "192.0.2.66", 1, LDNS_RCODE_NOERROR,
				    &len[0]);
		out[1] = resp_reply(q, tcp, id, "other.test.", "192.0.2.77", 1,
				    LDNS_RCODE_NOERROR, &len[1]);
		out[2] = resp_reply(q, tcp, id, NULL, "192.0.2.1", 1,
				    LDNS_RCODE_NOERROR, &len[2]);
		return 3;
	case RESP_SERVFAIL:
		out[0] = resp_reply(q, tcp, id, NULL, NULL, 0,
				    LDNS_RCODE_SERVFAIL, &len[0]);
		return 1;
	case RESP_GARBAGE:
		if ((out[0] = calloc(1, LDNS_HEADER_SIZE)) == NULL)
			return 0;
		out[0][0] = (uint8_t)(id >> 8);
		out[0][1] = (uint8_t)id;
		out[0][2] = 0x81;	/* QR, RD */
		out[0][5] = 1;		/* QDCOUNT 1, but no question follows */
		len[0] = LDNS_HEADER_SIZE;
		return 1;
	}
	return 0;
}

/* resp_udp - serve one datagram */
static void
resp_udp(struct responder *r)
{
	uint8_t buf[4096], *out[3] = { NULL };
	size_t len[3];
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	ldns_pkt *q = NULL;
	ssize_t n;
	unsigned k;

	n = recvfrom(r->udp, buf, sizeof(buf), 0, (struct sockaddr *)&from,
		     &flen);
	if (n <= 0 || ldns_wire2pkt(&q, buf, (size_t)n) != LDNS_STATUS_OK)
		return;
	atomic_fetch_add(&r->udp_queries, 1);
	k = resp_answers(r, q, 0, out, len);
	for (unsigned i = 0; i < k; i++) {
		if (out[i] != NULL)
			(void)sendto(r->udp, out[i], len[i], 0,
				     (struct sockaddr *)&from, flen);
		free(out[i]);
	}
	ldns_pkt_free(q);
}

/* resp_tcp - serve one TCP connection, one query */
static void
resp_tcp(struct responder *r)
{
	uint8_t buf[4096], *out[3] = { NULL }, hdr[2];
	size_t len[3], qlen;
	ldns_pkt *q = NULL;
	struct timeval tv = { .tv_sec = 2 };
	int fd = accept(r->tcp, NULL, NULL);
	unsigned k = 0;

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (recv(fd, hdr, 2, MSG_WAITALL) != 2)
		goto out;
	qlen = ((size_t)hdr[0] << 8) | hdr[1];
	if (qlen > sizeof(buf) ||
	    recv(fd, buf, qlen, MSG_WAITALL) != (ssize_t)qlen ||
	    ldns_wire2pkt(&q, buf, qlen) != LDNS_STATUS_OK)
		goto out;
	atomic_fetch_add(&r->tcp_queries, 1);
	k = resp_answers(r, q, 1, out, len);
	for (unsigned i = 0; i < k; i++) {
		if (out[i] == NULL)
			continue;
		hdr[0] = (uint8_t)(len[i] >> 8);
		hdr[1] = (uint8_t)len[i];
		(void)send(fd, hdr, 2, MSG_NOSIGNAL);
		(void)send(fd, out[i], len[i], MSG_NOSIGNAL);
	}
out:
	for (unsigned i = 0; i < k; i++)
		free(out[i]);
	ldns_pkt_free(q);
	close(fd);
}

static void *
resp_main(void *p)
{
	struct responder *r = p;
	struct pollfd pfd[3] = { { .fd = r->udp, .events = POLLIN },
				 { .fd = r->tcp, .events = POLLIN },
				 { .fd = r->stop[0], .events = POLLIN } };

	for (;;) {
		if (poll(pfd, 3, -1) < 0 && errno != EINTR)
			break;
		if (pfd[2].revents)
			break;
		if (pfd[0].revents & POLLIN)
			resp_udp(r);
		if (pfd[1].revents & POLLIN)
			resp_tcp(r);
	}
	return NULL;
}

/* resp_bind - UDP and TCP sockets on one free port of 127.0.0.1 */
static int
resp_bind(struct responder *r)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t slen = sizeof(sin);
	int one = 1;

	/* the kernel picks the UDP port; TCP may find it taken: try again */
	for (int tries = 0; tries < 50; tries++) {
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin.sin_port = 0;
		r->udp = socket(AF_INET, SOCK_DGRAM, 0);
		r->tcp = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(r->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(r->udp, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		    getsockname(r->udp, (struct sockaddr *)&sin, &slen) == 0 &&
		    bind(r->tcp, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		    listen(r->tcp, 8) == 0) {
			r->port = ntohs(sin.sin_port);
			return 0;
		}
		close(r->udp);
		close(r->tcp);
	}
	return -1;
}

static struct responder *
resp_start(enum resp_mode mode)
{
	struct responder *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->mode = mode;
	assert_int_equal(resp_bind(r), 0);
	assert_int_equal(pipe(r->stop), 0);
	assert_int_equal(pthread_create(&r->thr, NULL, resp_main, r), 0);
	return r;
}

static void
resp_stop(struct responder *r)
{
	assert_int_equal(write(r->stop[1], "x", 1), 1);
	assert_int_equal(pthread_join(r->thr, NULL), 0);
	close(r->udp);
	close(r->tcp);
	close(r->stop[0]);
	close(r->stop[1]);
	free(r);
}

/* resolver - a resolver asking the given responders in order */
static struct ag_dns *
resolver(struct responder **r, unsigned n, unsigned timeout_ms,
	 unsigned retries, char addr[][32])
{
	struct ag_dns_config cfg;
	struct ag_dns *dns = NULL;
	struct ag_err err;

	ag_dns_config_defaults(&cfg);
	for (unsigned i = 0; i < n; i++) {
		snprintf(addr[i], 32, "127.0.0.1:%u", r[i]->port);
		cfg.nameservers[i] = addr[i];
	}
	cfg.n_nameservers = n;
	cfg.timeout_ms = timeout_ms;
	cfg.retries = retries;
	assert_int_equal(ag_dns_new(&dns, &cfg, &err), AG_OK);
	return dns;
}

/* query_a - ask for name A and return the answer (AG_OK asserted) */
static struct ag_dns_answer *
query_a(struct ag_dns *dns, const char *name)
{
	struct ag_dns_answer *a = NULL;

	assert_int_equal(ag_dns_query(dns, name, AG_DNS_A, &a), AG_OK);
	assert_non_null(a);
	return a;
}

static void
test_net_normal(void **state)
{
	struct responder *r = resp_start(RESP_NORMAL);
	char addr[1][32];
	struct ag_dns *dns = resolver(&r, 1, 2000, 0, addr);
	struct ag_dns_answer *a = query_a(dns, "host.example.test");

	(void)state;
	assert_int_equal(a->status, AG_DNS_OK);
	assert_int_equal(a->count, 1);
	assert_int_equal(a->ttl, 300);
	assert_memory_equal(a->rr[0].data, "\xc0\x00\x02\x01", 4);
	ag_dns_answer_free(&a);
	a = query_a(dns, "host.example.test.");
	assert_int_equal(a->from_cache, 1);
	ag_dns_answer_free(&a);
	assert_int_equal(atomic_load(&r->udp_queries), 1);
	assert_int_equal(atomic_load(&r->tcp_queries), 0);
	ag_dns_free(&dns);
	resp_stop(r);
}

static void
test_net_truncated(void **state)
{
	struct responder *r = resp_start(RESP_TC);
	char addr[1][32];
	struct ag_dns *dns = resolver(&r, 1, 2000, 0, addr);
	struct ag_dns_answer *a = query_a(dns, "big.example.test");

	(void)state;
	assert_int_equal(a->status, AG_DNS_OK);
	assert_int_equal(a->count, TC_RECORDS);
	assert_memory_equal(a->rr[TC_RECORDS - 1].data, "\xc0\x00\x02\x28",
			    4);
	assert_int_equal(atomic_load(&r->udp_queries), 1);
	assert_int_equal(atomic_load(&r->tcp_queries), 1);
	ag_dns_answer_free(&a);
	ag_dns_free(&dns);
	resp_stop(r);
}

static void
test_net_silent(void **state)
{
	struct responder *r = resp_start(RESP_SILENT);
	char addr[1][32];
	struct ag_dns *dns = resolver(&r, 1, 100, 1, addr);
	struct ag_dns_answer *a = query_a(dns, "slow.example.test");

	(void)state;
	assert_int_equal(a->status, AG_DNS_TIMEOUT);
	assert_int_equal(a->count, 0);
	ag_dns_answer_free(&a);
	/* a timeout is not cached: the next query goes out again */
	a = query_a(dns, "slow.example.test");
	assert_int_equal(a->status, AG_DNS_TIMEOUT);
	assert_int_equal(a->from_cache, 0);
	ag_dns_answer_free(&a);
	ag_dns_free(&dns);
	resp_stop(r);
}

static void
test_net_wrong_id_first(void **state)
{
	struct responder *r = resp_start(RESP_WRONG_FIRST);
	char addr[1][32];
	struct ag_dns *dns = resolver(&r, 1, 2000, 0, addr);
	struct ag_dns_answer *a = query_a(dns, "host.example.test");

	(void)state;
	assert_int_equal(a->status, AG_DNS_OK);
	assert_int_equal(a->count, 1);
	assert_memory_equal(a->rr[0].data, "\xc0\x00\x02\x01", 4);
	ag_dns_answer_free(&a);
	ag_dns_free(&dns);
	resp_stop(r);
}

static void
test_net_garbage(void **state)
{
	struct responder *r = resp_start(RESP_GARBAGE);
	char addr[1][32];
	struct ag_dns *dns = resolver(&r, 1, 100, 0, addr);
	struct ag_dns_answer *a = query_a(dns, "host.example.test");

	(void)state;
	/* unparseable answers, and nothing else in time: an error */
	assert_int_equal(a->status, AG_DNS_ERROR);
	assert_int_equal(a->from_cache, 0);
	ag_dns_answer_free(&a);
	ag_dns_free(&dns);
	resp_stop(r);
}

static void
test_net_servfail_then_next(void **state)
{
	struct responder *r[2] = { resp_start(RESP_SERVFAIL),
				   resp_start(RESP_NORMAL) };
	char addr[2][32];
	struct ag_dns *dns = resolver(r, 1, 2000, 2, addr);
	struct ag_dns_answer *a = query_a(dns, "host.example.test");

	(void)state;
	/* one server saying SERVFAIL: asked once, not cached */
	assert_int_equal(a->status, AG_DNS_SERVFAIL);
	ag_dns_answer_free(&a);
	a = query_a(dns, "host.example.test");
	assert_int_equal(a->status, AG_DNS_SERVFAIL);
	assert_int_equal(a->from_cache, 0);
	ag_dns_answer_free(&a);
	assert_int_equal(atomic_load(&r[0]->udp_queries), 2);
	ag_dns_free(&dns);
	/* with a second server, its answer wins */
	dns = resolver(r, 2, 2000, 0, addr);
	a = query_a(dns, "host.example.test");
	assert_int_equal(a->status, AG_DNS_OK);
	assert_int_equal(atomic_load(&r[1]->udp_queries), 1);
	ag_dns_answer_free(&a);
	ag_dns_free(&dns);
	resp_stop(r[0]);
	resp_stop(r[1]);
}

static void
test_net_silent_then_next(void **state)
{
	struct responder *r[2] = { resp_start(RESP_SILENT),
				   resp_start(RESP_NORMAL) };
	char addr[2][32];
	struct ag_dns *dns = resolver(r, 2, 100, 0, addr);
	struct ag_dns_answer *a = query_a(dns, "host.example.test");

	(void)state;
	assert_int_equal(a->status, AG_DNS_OK);
	ag_dns_answer_free(&a);
	ag_dns_free(&dns);
	resp_stop(r[0]);
	resp_stop(r[1]);
}

static void
test_ns_parse(void **state)
{
	const struct {
		const char *label, *text;
		int rc, family;
		unsigned port;
	} cases[] = {
		{ "v4", "192.0.2.53", AG_OK, AF_INET, 53 },
		{ "v4-port", "127.0.0.1:5353", AG_OK, AF_INET, 5353 },
		{ "v6-bracket-port", "[::1]:5353", AG_OK, AF_INET6, 5353 },
		{ "v6-bracket", "[2001:db8::1]", AG_OK, AF_INET6, 53 },
		{ "v6-bare", "2001:db8::53", AG_OK, AF_INET6, 53 },
		{ "v6-loopback-bare", "::1", AG_OK, AF_INET6, 53 },
		{ "port-0", "127.0.0.1:0", AG_EINVAL, 0, 0 },
		{ "port-65536", "127.0.0.1:65536", AG_EINVAL, 0, 0 },
		{ "port-empty", "127.0.0.1:", AG_EINVAL, 0, 0 },
		{ "port-junk", "127.0.0.1:53x", AG_EINVAL, 0, 0 },
		{ "port-sign", "127.0.0.1:+53", AG_EINVAL, 0, 0 },
		{ "hostname", "ns.example.test", AG_EINVAL, 0, 0 },
		{ "v4-bad", "256.0.0.1", AG_EINVAL, 0, 0 },
		{ "bracket-open", "[::1", AG_EINVAL, 0, 0 },
		{ "bracket-junk", "[::1]x", AG_EINVAL, 0, 0 },
		{ "bracket-empty", "[]:53", AG_EINVAL, 0, 0 },
		{ "empty", "", AG_EINVAL, 0, 0 },
		{ "null", NULL, AG_EINVAL, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ag_dns_ns ns;
		unsigned port;

		memset(&ns, 0, sizeof(ns));
		WANT_INT(cases[i].label, "rc",
			 ag_dns_ns_parse(cases[i].text, &ns), cases[i].rc);
		if (cases[i].rc != AG_OK)
			continue;
		WANT_INT(cases[i].label, "family", ns.addr.ss_family,
			 cases[i].family);
		if (ns.addr.ss_family == AF_INET)
			port = ntohs(
				((struct sockaddr_in *)&ns.addr)->sin_port);
		else
			port = ntohs(
				((struct sockaddr_in6 *)&ns.addr)->sin6_port);
		WANT_INT(cases[i].label, "port", port, cases[i].port);
	}
}

static void
test_resolvconf(void **state)
{
	char path[] = "/tmp/test_dns_resolvXXXXXX";
	struct ag_dns_ns ns[AG_DNS_MAX_NS];
	unsigned n = 99;
	int fd = mkstemp(path);
	const char text[] = "# comment\nsearch example.test\n"
			    "nameserver 192.0.2.53\n"
			    "  nameserver\t2001:db8::53 # trailing\n"
			    "nameserver bogus\n"
			    "nameservers 192.0.2.99\n"
			    "nameserver 192.0.2.54;x\n"
			    "nameserver 192.0.2.55\n";

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1),
			 (ssize_t)sizeof(text) - 1);
	close(fd);
	assert_int_equal(ag_dns_ns_resolvconf(path, ns, 3, &n), AG_OK);
	assert_int_equal(n, 3);	/* the fourth good line is past max */
	assert_int_equal(ns[0].addr.ss_family, AF_INET);
	assert_int_equal(ns[1].addr.ss_family, AF_INET6);
	assert_int_equal(((struct sockaddr_in *)&ns[2].addr)->sin_addr.s_addr,
			 inet_addr("192.0.2.54"));
	unlink(path);
	/* no file: 127.0.0.1, as the C library does */
	assert_int_equal(ag_dns_ns_resolvconf(path, ns, 3, &n), AG_OK);
	assert_int_equal(n, 1);
	assert_int_equal(((struct sockaddr_in *)&ns[0].addr)->sin_addr.s_addr,
			 htonl(INADDR_LOOPBACK));
	assert_int_equal(ntohs(((struct sockaddr_in *)&ns[0].addr)->sin_port),
			 53);
}

static void
test_new_config(void **state)
{
	struct ag_dns_config cfg;
	struct ag_dns *dns = NULL;
	struct ag_err err;

	(void)state;
	ag_dns_config_defaults(&cfg);
	assert_int_equal(cfg.timeout_ms, 5000);
	assert_int_equal(cfg.retries, 2);
	assert_int_equal(cfg.cache_entries, 10000);
	assert_int_equal(cfg.ttl_cap, 86400);
	assert_int_equal(cfg.negative_ttl, 900);
	assert_int_equal(ag_dns_new(&dns, &cfg, &err), AG_OK); /* resolv.conf */
	ag_dns_free(&dns);
	assert_null(dns);
	ag_dns_free(&dns);
	cfg.nameservers[0] = "ns.example.test";
	cfg.n_nameservers = 1;
	assert_int_equal(ag_dns_new(&dns, &cfg, &err), AG_EINVAL);
	assert_non_null(strstr(err.msg, "ns.example.test"));
	cfg.nameservers[0] = "127.0.0.1";
	cfg.timeout_ms = 0;
	assert_int_equal(ag_dns_new(&dns, &cfg, &err), AG_EINVAL);
	cfg.timeout_ms = 100;
	cfg.retries = AG_DNS_MAX_RETRIES + 1;
	assert_int_equal(ag_dns_new(&dns, &cfg, &err), AG_EINVAL);
	cfg.retries = 0;
	cfg.n_nameservers = AG_DNS_MAX_NS + 1;
	assert_int_equal(ag_dns_new(&dns, &cfg, &err), AG_EINVAL);
	assert_null(dns);
	assert_int_equal(ag_dns_new_zone(&dns, &cfg, NULL, &err), AG_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ns_parse),
		cmocka_unit_test(test_resolvconf),
		cmocka_unit_test(test_new_config),
		cmocka_unit_test(test_net_normal),
		cmocka_unit_test(test_net_truncated),
		cmocka_unit_test(test_net_silent),
		cmocka_unit_test(test_net_wrong_id_first),
		cmocka_unit_test(test_net_garbage),
		cmocka_unit_test(test_net_servfail_then_next),
		cmocka_unit_test(test_net_silent_then_next),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
