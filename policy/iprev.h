/*
 * policy/iprev.h - forward-confirmed reverse DNS, the "iprev" method of
 * RFC 8601 section 3
 * Use:     ag_iprev_check() with the client address.
 * Owns:    plain values only.
 * Threads: reentrant.
 * Limits:  AG_IPREV_MAX_NAMES PTR names are checked forward.
 */
#ifndef AG_POLICY_IPREV_H
#define AG_POLICY_IPREV_H

#include <sys/socket.h>

#include "util/dns.h"

#define AG_IPREV_MAX_NAMES 10

enum ag_iprev_result {
	AG_IPREV_PASS,
	AG_IPREV_FAIL,
	AG_IPREV_TEMPERROR,
	AG_IPREV_PERMERROR
};

struct ag_iprev {
	enum ag_iprev_result result;
	char name[256];		/* the confirmed name on pass, else the
				 * first PTR name, else "" */
};

/* ag_iprev_result_name - "pass", "fail", "temperror", "permerror" */
const char *ag_iprev_result_name(enum ag_iprev_result r);

/*
 * ag_iprev_check - PTR of the address, then A (AAAA for IPv6) of each PTR
 * name: pass when one of them holds the address. No PTR (NXDOMAIN,
 * NODATA) or no name confirming is fail; a DNS failure that left the
 * answer open is temperror. An IPv4-mapped IPv6 address is checked as
 * IPv4. AG_OK with *r set, or AG_EINVAL (family), AG_ENOMEM.
 */
int ag_iprev_check(struct ag_dns *dns, const struct sockaddr *sa,
		   struct ag_iprev *r) AG_MUST_CHECK;

#endif
