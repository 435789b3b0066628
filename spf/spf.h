/*
 * spf/spf.h - SPF (RFC 7208) for the MAIL FROM and HELO identities
 * Use:     ag_spf_new() once per configuration snapshot with its resolver,
 *          ag_spf_check_mailfrom()/ag_spf_check_helo() per message from any
 *          thread, ag_spf_free() when the snapshot goes.
 * Owns:    a libspf2 server per check, driven by util/dns through a custom
 *          SPF_dns_server_t layer (never libspf2's own resolver). The
 *          resolver is borrowed and must outlive the checker.
 * Threads: immutable after _new(); share freely (each check builds its own
 *          libspf2 state, so checks never share mutable data).
 * Limits:  max_dns_mech DNS-querying terms (RFC 7208 4.6.4, default 10),
 *          max_void voids (default 2), 10 MX / 10 PTR names per lookup;
 *          past a limit the result is permerror, as the RFC says.
 * Errors:  AG_OK with a result for every outcome of check_host(), including
 *          temperror and permerror; AG_ENOMEM / AG_EINTERNAL only when the
 *          check could not run at all.
 */
#ifndef AG_SPF_SPF_H
#define AG_SPF_SPF_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "util/err.h"

struct ag_dns;
struct ag_spf;

enum ag_spf_result {
	AG_SPF_NONE = 0,
	AG_SPF_NEUTRAL,
	AG_SPF_PASS,
	AG_SPF_FAIL,
	AG_SPF_SOFTFAIL,
	AG_SPF_TEMPERROR,
	AG_SPF_PERMERROR
};

struct ag_spf_config {
	const char *receiver;	/* our host name, for %{r}; NULL: gethostname */
	unsigned max_dns_mech;	/* RFC 7208 4.6.4: 10 */
	unsigned max_void;	/* RFC 7208 4.6.4: 2 */
};

#define AG_SPF_EXPLANATION_MAX 512
#define AG_SPF_DOMAIN_MAX 256

/* the outcome of one check_host() */
struct ag_spf_outcome {
	enum ag_spf_result result;
	char domain[AG_SPF_DOMAIN_MAX];	/* the domain checked */
	char explanation[AG_SPF_EXPLANATION_MAX]; /* exp= text on fail, or
						   * why (permerror) */
	unsigned dns_lookups;	/* DNS-querying terms used */
	unsigned void_lookups;	/* lookups that returned NXDOMAIN/NODATA */
};

void ag_spf_config_defaults(struct ag_spf_config *cfg);

int ag_spf_new(struct ag_spf **spf_r, const struct ag_spf_config *cfg,
	       struct ag_dns *dns, struct ag_err *err) AG_MUST_CHECK;
void ag_spf_free(struct ag_spf **spf);

/*
 * ag_spf_check_mailfrom - check_host() for the MAIL FROM identity.
 * mailfrom is the reverse-path without angle brackets; when it is empty
 * ("<>") the identity is postmaster@helo (RFC 7208 2.4). A mailfrom with no
 * local part ("@example.com") uses "postmaster" as local part (4.3).
 * client is an AF_INET or AF_INET6 address.
 */
int ag_spf_check_mailfrom(const struct ag_spf *spf,
			  const struct sockaddr *client, const char *helo,
			  const char *mailfrom, struct ag_spf_outcome *out_r)
	AG_MUST_CHECK;

/* ag_spf_check_helo - check_host() for the HELO identity (RFC 7208 2.3);
 * a HELO that is not a domain name (an address literal, no dot) is none. */
int ag_spf_check_helo(const struct ag_spf *spf, const struct sockaddr *client,
		      const char *helo, struct ag_spf_outcome *out_r)
	AG_MUST_CHECK;

/* ag_spf_result_name - "pass", "fail", ... as RFC 8601 spells them */
const char *ag_spf_result_name(enum ag_spf_result r);

#endif
