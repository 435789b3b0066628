/*
 * util/dns_zone.h - an in-memory DNS zone for tests and conformance runners
 * Use:     ag_dns_zone_new(), _add() records, hand it to ag_dns_new_zone().
 * Owns:    copies of every name and record added.
 * Threads: build by one thread, then immutable; share freely while read.
 * Limits:  none beyond memory: it holds test data, never network input.
 * Semantics: a name with no record at all is NXDOMAIN; a name with records
 *          of other types only is NODATA (so is an empty non-terminal: a
 *          name that exists only because a longer name under it does);
 *          a name marked with _timeout() times out for every type; a name
 *          marked with _servfail() gives SERVFAIL. A CNAME is followed
 *          (up to 8 steps) and the target's records answered.
 */
#ifndef AG_UTIL_DNS_ZONE_H
#define AG_UTIL_DNS_ZONE_H

#include <stdint.h>
#include <stddef.h>

#include "util/err.h"

struct ag_dns_zone;

int ag_dns_zone_new(struct ag_dns_zone **zone_r) AG_MUST_CHECK;
void ag_dns_zone_free(struct ag_dns_zone **zone);

/*
 * ag_dns_zone_add - add one record. text is the record in the form of
 * struct ag_dns_rr: "192.0.2.1" for A, "2001:db8::1" for AAAA, a name for
 * PTR/CNAME/NS, "10 mx.example.com" for MX, and for TXT the raw bytes of
 * one character-string (use _add_txt for several strings or binary data).
 */
int ag_dns_zone_add(struct ag_dns_zone *zone, const char *name,
		    uint16_t type, const char *text, uint32_t ttl)
	AG_MUST_CHECK;

/* ag_dns_zone_add_txt - one TXT record made of n character-strings */
int ag_dns_zone_add_txt(struct ag_dns_zone *zone, const char *name,
			const char *const *strings, const size_t *lens,
			unsigned n, uint32_t ttl) AG_MUST_CHECK;

int ag_dns_zone_timeout(struct ag_dns_zone *zone, const char *name)
	AG_MUST_CHECK;
int ag_dns_zone_servfail(struct ag_dns_zone *zone, const char *name)
	AG_MUST_CHECK;

#endif
