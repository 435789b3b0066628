/*
 * dmarc/fetch.h - the DMARC record at one name (RFC 7489 6.6.3 steps 1-6)
 * Use:     ag_dmarc_fetch() for _dmarc.<name>; ag_dmarc_domain_valid()
 *          before using a name from a message.
 * Owns:    nothing; the record is copied into the caller's struct.
 * Threads: reentrant.
 * Limits:  the first AG_DNS_MAX_RRS TXT records of the answer.
 * Errors:  AG_OK with a status for every DNS outcome; AG_EINVAL for a name
 *          that cannot be looked up, AG_ENOMEM.
 */
#ifndef AG_DMARC_FETCH_H
#define AG_DMARC_FETCH_H

#include <stdbool.h>

#include "dmarc/record.h"
#include "util/dns.h"
#include "util/err.h"

enum ag_dmarc_fetch_status {
	AG_DMARC_FETCH_NONE = 0,	/* no TXT record starting v=DMARC1 */
	AG_DMARC_FETCH_ONE,		/* exactly one, and it is usable */
	AG_DMARC_FETCH_INVALID,		/* exactly one, unusable */
	AG_DMARC_FETCH_MANY,		/* several: no policy (6.6.3 step 5) */
	AG_DMARC_FETCH_TEMP		/* SERVFAIL, timeout: temperror */
};

struct ag_dmarc_fetched {
	enum ag_dmarc_fetch_status status;
	struct ag_dmarc_record rec;	/* with FETCH_ONE */
	char why[160];			/* with FETCH_INVALID: the parser's
					 * words */
};

int ag_dmarc_fetch(struct ag_dns *dns, const char *domain,
		   struct ag_dmarc_fetched *f, struct ag_err *err)
	AG_MUST_CHECK;

/* ag_dmarc_is_dmarc - the TXT text begins with the v=DMARC1 tag (spaces
 * around '=' allowed, RFC 7489 6.4 tag-list) */
bool ag_dmarc_is_dmarc(const char *txt, size_t len);

/* ag_dmarc_domain_valid - an LDH or A-label name we can look up: labels
 * of 1..63 letters, digits and inner hyphens (underscore allowed), at
 * most 253 characters, at least two labels, no trailing dot */
bool ag_dmarc_domain_valid(const char *name);

#endif
