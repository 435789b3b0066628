/*
 * policy/dnsbl.h - DNS block and allow list queries (RFC 5782)
 * Use:     build the query name with ag_dnsbl_ip_name() or
 *          ag_dnsbl_domain_name(), then ag_dnsbl_query() through the
 *          shared resolver (and its cache).
 * Owns:    plain values only.
 * Threads: reentrant.
 * Limits:  AG_DNSBL_MAX_CODES return codes kept per answer.
 */
#ifndef AG_POLICY_DNSBL_H
#define AG_POLICY_DNSBL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/dns.h"

#define AG_DNSBL_MAX_CODES 8

enum ag_dnsbl_status {
	AG_DNSBL_LISTED,
	AG_DNSBL_NOT_LISTED,
	AG_DNSBL_ERROR		/* timeout, SERVFAIL, refused query: never
				 * "listed" */
};

struct ag_dnsbl_answer {
	enum ag_dnsbl_status status;
	unsigned ncodes;
	uint32_t code[AG_DNSBL_MAX_CODES]; /* host order, 127.0.0.0/8 only */
	char text[256];		/* the TXT record when asked, else "" */
};

/* ag_dnsbl_ip_name - "4.3.2.1.zone" for 1.2.3.4 (RFC 5782 2.1), 32
 * reversed nibbles for IPv6 (2.4); an IPv4-mapped IPv6 address is
 * queried as IPv4. AG_EINVAL for an unknown family or a name too long */
int ag_dnsbl_ip_name(const struct sockaddr *sa, const char *zone, char *out,
		     size_t size) AG_MUST_CHECK;

/* ag_dnsbl_domain_name - "domain.zone" (RFC 5782 2.3), lower case, no
 * trailing dot; AG_EINVAL for an empty or over-long name or label */
int ag_dnsbl_domain_name(const char *domain, const char *zone, char *out,
			 size_t size) AG_MUST_CHECK;

/* ag_dnsbl_query - look up name. A records outside 127.0.0.0/8 are
 * ignored (RFC 5782 2.1); 127.255.255.0/24 is how lists say "query
 * refused" and gives AG_DNSBL_ERROR. AG_OK, or the resolver's error */
int ag_dnsbl_query(struct ag_dns *dns, const char *name, bool want_txt,
		   struct ag_dnsbl_answer *a) AG_MUST_CHECK;

#endif
