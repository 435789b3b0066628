/*
 * util/dns_int.h - internals of the resolver, shared by util/dns.c,
 *          dns_answer.c, dns_net.c, dns_cache.c, dns_zone.c and the unit
 *          tests; not for use outside util/.
 * Use:     dns_zone.c implements ag_dns_zone_answer() and dns_net.c
 *          ag_dns_net_query(); dns.c asks one of them for a response packet
 *          and turns it into an answer with ag_dns_pkt_answer() (in
 *          dns_answer.c), so zone and network share one mapping.
 * Owns:    see each function.
 * Threads: all functions here are reentrant; the zone is read-only.
 * Errors:  AG_OK, AG_ENOMEM, AG_EINVAL as stated per function.
 */
#ifndef AG_UTIL_DNS_INT_H
#define AG_UTIL_DNS_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "util/dns.h"
#include "util/err.h"

#define AG_DNS_NEG_TTL_DEFAULT 300	/* negative TTL when no SOA is given */
#define AG_DNS_MAX_CNAME 16		/* CNAME steps followed in one answer */
#define AG_DNS_MAX_TIMEOUT_MS 60000	/* per try, and for a whole query */
#define AG_DNS_MAX_RETRIES 10

/* one nameserver: a numeric address and port */
struct ag_dns_ns {
	struct sockaddr_storage addr;
	socklen_t len;
};

/* the network transport's settings (util/dns_net.c) */
struct ag_dns_net {
	struct ag_dns_ns ns[AG_DNS_MAX_NS];
	unsigned n_ns;			/* >= 1 */
	unsigned timeout_ms;		/* per try, 1..AG_DNS_MAX_TIMEOUT_MS */
	unsigned retries;		/* 0..AG_DNS_MAX_RETRIES */
};

/*
 * ag_dns_zone_answer - the answer the zone gives for (name, type): on AG_OK
 * either *pkt_r is a packet (owned by the caller, ldns_pkt_free()) with the
 * RCODE and answer records set (no SOA for NXDOMAIN/NODATA), or *pkt_r is
 * NULL and *timeout_r is 1 for a name marked with ag_dns_zone_timeout().
 * Returns AG_OK or AG_ENOMEM.
 */
int ag_dns_zone_answer(const struct ag_dns_zone *zone, const char *name,
		       uint16_t type, ldns_pkt **pkt_r, int *timeout_r)
	AG_MUST_CHECK;

/*
 * ag_dns_set_clock - the cache's clock (util/dns_cache.h), for tests; set
 * before the resolver is shared. No-op when the cache is disabled.
 */
void ag_dns_set_clock(struct ag_dns *dns, uint64_t (*now_ms)(void *arg),
		      void *arg);

/*
 * ag_dns_name_check - AG_OK when name (presentation form, trailing dot
 * optional, "\" escapes allowed) is a valid domain name: every label 1..63
 * octets, at most 253 octets without the trailing dot. The root "." alone
 * is refused (nothing we look up lives there). AG_EINVAL otherwise.
 */
int ag_dns_name_check(const char *name) AG_MUST_CHECK;

/*
 * ag_dns_pkt_answer - turn the response pkt to a question for (qname, type)
 * into a new answer (*ans_r, owned by the caller); records of type are
 * collected from the answer section, following the CNAME chain from qname
 * (util/dns_answer.c states the RCODE mapping). TTLs are capped at
 * ttl_cap, the negative TTL at neg_cap. Returns AG_OK (the status is in
 * the answer) or AG_ENOMEM.
 */
int ag_dns_pkt_answer(const ldns_pkt *pkt, const ldns_rdf *qname,
		      uint16_t type, unsigned ttl_cap, unsigned neg_cap,
		      struct ag_dns_answer **ans_r) AG_MUST_CHECK;

/*
 * ag_dns_dname_text - dname in presentation form without the trailing dot
 * (the root is ""), as a malloc()ed string with its length in *len_r;
 * NULL when out of memory.
 */
char *ag_dns_dname_text(const ldns_rdf *dname, size_t *len_r);

/*
 * ag_dns_ns_parse - "addr", "addr:port", "[v6addr]:port", "[v6addr]" or a
 * bare "v6addr" (numeric only; port 53 when none is given) into *ns_r.
 * AG_OK or AG_EINVAL.
 */
int ag_dns_ns_parse(const char *text, struct ag_dns_ns *ns_r) AG_MUST_CHECK;

/*
 * ag_dns_ns_resolvconf - the "nameserver" lines of the resolv.conf file at
 * path, at most max of them, into ns[]; *n_r is their count. As the C
 * library does, a missing file or one without a usable line gives
 * 127.0.0.1 port 53. Returns AG_OK.
 */
int ag_dns_ns_resolvconf(const char *path, struct ag_dns_ns *ns, unsigned max,
			 unsigned *n_r) AG_MUST_CHECK;

/*
 * ag_dns_net_query - ask net's nameservers for (qname, type) over UDP, and
 * over TCP when the answer is truncated; each server in turn, each round
 * retried net->retries times. On AG_OK either *pkt_r is the first response
 * whose id and question match (owned by the caller; a server answering
 * SERVFAIL, REFUSED and the like is skipped while another may still
 * answer, and the last such answer is returned when none does), or *pkt_r
 * is NULL and *st_r is AG_DNS_TIMEOUT (no answer in time) or AG_DNS_ERROR
 * (network errors or malformed answers only). Returns AG_OK or AG_ENOMEM.
 */
int ag_dns_net_query(const struct ag_dns_net *net, const ldns_rdf *qname,
		     uint16_t type, ldns_pkt **pkt_r, enum ag_dns_status *st_r)
	AG_MUST_CHECK;

/*
 * ag_dns_answer_new - a zeroed answer with room for n records (count 0),
 * status st; NULL when out of memory. Free with ag_dns_answer_free().
 */
struct ag_dns_answer *ag_dns_answer_new(enum ag_dns_status st, uint16_t type,
					unsigned n);

/* ag_dns_answer_copy - a deep copy of src in *dst_r; AG_OK or AG_ENOMEM */
int ag_dns_answer_copy(const struct ag_dns_answer *src,
		       struct ag_dns_answer **dst_r) AG_MUST_CHECK;

#endif
