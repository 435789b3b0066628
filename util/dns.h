/*
 * util/dns.h - the one DNS resolver every check uses (ldns wire format)
 * Use:     ag_dns_new() once per configuration snapshot (or per test with an
 *          in-memory zone from util/dns_zone.h), ag_dns_query() from any
 *          thread, ag_dns_answer_free() on every answer, ag_dns_free() when
 *          the last user is gone.
 * Owns:    its nameserver list and its cache; each answer belongs to the
 *          caller of ag_dns_query() until ag_dns_answer_free().
 * Threads: internally locked (the cache); ag_dns_query() may be called from
 *          many threads at once. The lock is never held across network I/O.
 * Limits:  AG_DNS_MAX_RRS records per answer (the rest dropped),
 *          AG_DNS_MAX_RDATA bytes per record, cfg->cache_entries cached
 *          answers, TTLs capped at cfg->ttl_cap seconds.
 * Errors:  ag_dns_query() returns AG_OK whenever the DNS gave a defined
 *          outcome, including NXDOMAIN, NODATA, SERVFAIL and timeout: those
 *          are the answer's status, not errors. It returns AG_ENOMEM or
 *          AG_EINVAL (bad name) otherwise.
 * Mapping: RCODE NXDOMAIN -> NXDOMAIN; NOERROR without a record of the
 *          asked type at the name or where its CNAME chain in the answer
 *          leads -> NODATA; REFUSED -> ERROR (a configuration problem, not
 *          a server failure); any other error RCODE -> SERVFAIL. A
 *          nameserver answering SERVFAIL or REFUSED makes us ask the next.
 *          Negative TTL: min(SOA TTL, SOA MINIMUM) from the authority
 *          section, else 300 s, capped at cfg->negative_ttl. OK, NXDOMAIN
 *          and NODATA answers are cached; SERVFAIL, TIMEOUT, ERROR never.
 */
#ifndef AG_UTIL_DNS_H
#define AG_UTIL_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define AG_DNS_MAX_NS 8		/* nameservers in a configuration */
#define AG_DNS_MAX_RRS 64	/* records kept from one answer */
#define AG_DNS_MAX_RDATA 65535	/* bytes of one record's data */

/* query types we use (numeric values are the DNS RR type codes) */
#define AG_DNS_A 1
#define AG_DNS_NS 2
#define AG_DNS_CNAME 5
#define AG_DNS_SOA 6
#define AG_DNS_PTR 12
#define AG_DNS_MX 15
#define AG_DNS_TXT 16
#define AG_DNS_AAAA 28

enum ag_dns_status {
	AG_DNS_OK = 0,		/* one or more records of the asked type */
	AG_DNS_NXDOMAIN,	/* the name does not exist (RCODE 3) */
	AG_DNS_NODATA,		/* the name exists, no record of that type */
	AG_DNS_SERVFAIL,	/* RCODE 2, or any other error RCODE */
	AG_DNS_TIMEOUT,		/* no answer from any nameserver in time */
	AG_DNS_ERROR		/* malformed answer, refused, network error */
};

/*
 * One record. data is NUL-terminated after len bytes in every case:
 *   A: 4 bytes, network order.  AAAA: 16 bytes.
 *   PTR, CNAME, NS, MX: the target name in presentation form, lower case
 *   kept as sent, without the trailing dot ("mail.example.com").
 *   MX additionally sets pref.
 *   TXT: the character-strings concatenated (RFC 7208 3.3, RFC 6376
 *   3.6.2.2); nstrings says how many there were.
 */
struct ag_dns_rr {
	uint16_t type;
	uint16_t pref;
	uint32_t ttl;
	unsigned nstrings;
	size_t len;
	unsigned char *data;
};

struct ag_dns_answer {
	enum ag_dns_status status;
	uint16_t type;		/* the type asked for */
	uint32_t ttl;		/* the lowest TTL (negative TTL for NX/NODATA) */
	int from_cache;		/* 1 when served from the cache */
	int truncated;		/* 1 when records past AG_DNS_MAX_RRS were dropped */
	unsigned count;
	struct ag_dns_rr rr[];	/* count records, of the asked type only */
};

struct ag_dns_config {
	const char *nameservers[AG_DNS_MAX_NS]; /* "addr", "addr:port",
						 * "[v6addr]:port", "v6addr" */
	unsigned n_nameservers;	/* 0: read /etc/resolv.conf */
	unsigned timeout_ms;	/* per try; default 5000 */
	unsigned retries;	/* tries per nameserver after the first; 2 */
	unsigned cache_entries;	/* 0 disables the cache; default 10000 */
	unsigned ttl_cap;	/* seconds; default 86400 */
	unsigned negative_ttl;	/* cap for NXDOMAIN/NODATA; default 900 */
};

struct ag_dns;
struct ag_dns_zone;

/* ag_dns_config_defaults - fill cfg with the defaults listed above */
void ag_dns_config_defaults(struct ag_dns_config *cfg);

/*
 * ag_dns_new - a resolver that asks the configured nameservers over UDP,
 * retrying over TCP when an answer is truncated (TC).
 */
int ag_dns_new(struct ag_dns **dns_r, const struct ag_dns_config *cfg,
	       struct ag_err *err) AG_MUST_CHECK;

/*
 * ag_dns_new_zone - a resolver that answers from an in-memory zone
 * (util/dns_zone.h) instead of the network; for tests and conformance
 * runners. The zone must outlive the resolver. The cache is used as
 * configured, so cache behaviour can be tested too.
 */
int ag_dns_new_zone(struct ag_dns **dns_r, const struct ag_dns_config *cfg,
		    const struct ag_dns_zone *zone,
		    struct ag_err *err) AG_MUST_CHECK;

/* ag_dns_free - free the resolver and clear *dns; NULL is fine */
void ag_dns_free(struct ag_dns **dns);

/*
 * ag_dns_query - look up name (presentation form, trailing dot optional)
 * for type; *ans_r is set on AG_OK only. A name that is not a valid domain
 * name (label over 63, name over 253, empty label) gives AG_EINVAL.
 */
int ag_dns_query(struct ag_dns *dns, const char *name, uint16_t type,
		 struct ag_dns_answer **ans_r) AG_MUST_CHECK;

/* ag_dns_answer_free - free an answer and clear *ans; NULL is fine */
void ag_dns_answer_free(struct ag_dns_answer **ans);

/* ag_dns_nameserver_valid - true when text is a nameserver in one of the
 * forms ag_dns_config accepts, so configuration can name file:line */
bool ag_dns_nameserver_valid(const char *text);

/* ag_dns_status_name - "ok", "nxdomain", "nodata", "servfail", ... */
const char *ag_dns_status_name(enum ag_dns_status st);

/*
 * statistics for tests and the log: queries asked (valid names only),
 * cache hits, lookups past the cache (to the nameservers, or to the zone
 * of ag_dns_new_zone()), answers held in the cache now
 */
struct ag_dns_stats {
	unsigned long queries;
	unsigned long cache_hits;
	unsigned long network_queries;
	unsigned long timeouts;		/* lookups that got no answer in time */
	unsigned long cache_entries;
};
void ag_dns_stats(struct ag_dns *dns, struct ag_dns_stats *st_r);

#endif
