/*
 * policy/facts.h - everything known about one message, as plain C values,
 * for the rule engine (policy/rules.h)
 * Use:     the caller (milter/, or `authgate --test`) fills a struct
 *          ag_facts with pointers to its own strings, then calls
 *          ag_rules_eval(). Facts a rule set does not need (ag_rules_needs())
 *          may be left empty: the body scan, iprev and DNSBL lookups cost.
 * Owns:    nothing: every pointer belongs to the caller and must stay valid
 *          during the evaluation. NULL strings read as "".
 * Threads: one facts struct per message.
 */
#ifndef AG_POLICY_FACTS_H
#define AG_POLICY_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct ag_mime_result;	/* policy/mime.h */

/* one header field as received: name, raw value (folding kept) and the
 * value with RFC 2047 words decoded and unfolded (NULL: same as raw) */
struct ag_fact_header {
	const char *name;
	const char *value;
	const char *decoded;
};

/* one DKIM signature's verification */
struct ag_fact_dkim {
	const char *result;	/* "pass", "fail", "neutral", "temperror",
				 * "permerror", "policy" */
	const char *domain;	/* d= */
	const char *selector;	/* s= */
	bool aligned;		/* d= aligns with the From domain (DMARC) */
	bool length;		/* the signature carries l= */
};

/* one From address */
struct ag_fact_from {
	const char *address;
	const char *domain;
	const char *name;	/* display name, decoded; "" when none */
};

struct ag_facts {
	/* connection */
	const char *ip;			/* "192.0.2.1"; "local" without one */
	const struct sockaddr *addr;	/* NULL without an address */
	const char *client_name;	/* reverse name from the MTA, "" if
					 * unknown */
	const char *iprev;		/* RFC 8601 iprev result, NULL when
					 * not looked up */
	bool internal;			/* InternalHosts */
	const char *helo;
	bool tls;
	const char *tls_version;
	const char *tls_cipher;
	const char *auth_user;		/* "" when not authenticated */

	/* envelope */
	const char *mailfrom;		/* "" for the null reverse-path */
	const char *const *rcpt;
	unsigned nrcpt;

	/* header */
	const struct ag_fact_header *hdr;
	unsigned nhdr;
	const struct ag_fact_from *from; /* addresses of the first From */
	unsigned nfrom_addr;
	unsigned nfrom_fields;		/* From fields in the header */
	const char *from_problem;	/* "" or why From gives no single
					 * author domain */
	unsigned long long size;	/* header and body bytes */

	/* body window (when ag_rules_needs() says AG_NEED_BODY) */
	const struct ag_mime_result *mime;

	/* checks; NULL reads as "none" */
	const char *spf_mailfrom;	/* result for MAIL FROM */
	const char *spf_helo;
	const char *spf_domain;
	const char *spf_explanation;
	const struct ag_fact_dkim *dkim;
	unsigned ndkim;
	const char *dmarc_result;	/* "pass", "fail", "none", ... */
	const char *dmarc_policy;	/* the policy that applied: p, sp
					 * or np; "" without a record */
	const char *dmarc_disposition;	/* after pct and t= */
	const char *dmarc_domain;	/* author domain evaluated */
	const char *dmarc_org;		/* its organizational domain */

	/* ARC (RFC 8617); NULL arc_result reads as "none" */
	const char *arc_result;		/* "none", "pass", "fail" */
	const char *const *arc_sealers;	/* each ARC-Seal d=, newest (the
					 * highest i=) first */
	unsigned narc_sealers;
	bool arc_trusted;		/* arc=pass and the newest sealer is
					 * in ARCTrustedSealers */
};

#endif
