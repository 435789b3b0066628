/*
 * dmarc/evaluate.h - DMARC for one message: policy discovery, alignment,
 * result and disposition (RFC 7489 sections 3, 4 and 6.6; DMARCbis np=,
 * t=, psd= and its DNS tree walk; RFC 9091 np=)
 * Use:     fill a struct ag_dmarc_env once per configuration snapshot,
 *          a struct ag_dmarc_input per message (and per From domain when
 *          a message has several), call ag_dmarc_evaluate().
 * Owns:    nothing; env points at the resolver and the PSL the caller
 *          keeps alive.
 * Threads: reentrant; env is read only.
 * Limits:  AG_DMARC_MAX_DKIM signature results considered; at most one
 *          tree walk (8 queries) per identifier, two record lookups in
 *          PSL mode, one existence query for np=.
 * Errors:  AG_OK whenever a DMARC result came out, temperror and
 *          permerror included; AG_EINVAL for an unusable input (no From
 *          domain) or AG_ENOMEM.
 *
 * SPF and DKIM results come in as facts (pass or not, and the domain):
 * dmarc/ does not depend on spf/ or dkim/ (DESIGN.md).
 */
#ifndef AG_DMARC_EVALUATE_H
#define AG_DMARC_EVALUATE_H

#include <stdbool.h>

#include "dmarc/orgdomain.h"
#include "dmarc/record.h"
#include "util/dns.h"
#include "util/err.h"

#define AG_DMARC_MAX_DKIM 16
#define AG_DMARC_DOMAIN_MAX 256

enum ag_dmarc_result {
	AG_DMARC_RES_NONE = 0,	/* no policy published */
	AG_DMARC_RES_PASS,
	AG_DMARC_RES_FAIL,
	AG_DMARC_RES_TEMPERROR,	/* DNS trouble finding the policy */
	AG_DMARC_RES_PERMERROR	/* the From domain is not a usable name */
};

/* how the Organizational Domain is found */
enum ag_dmarc_discovery {
	AG_DMARC_DISC_PSL = 0,	/* RFC 7489 3.2, Public Suffix List */
	AG_DMARC_DISC_TREEWALK	/* DMARCbis DNS tree walk */
};

struct ag_dmarc_env {
	struct ag_dns *dns;
	const struct ag_psl *psl;	/* required for AG_DMARC_DISC_PSL */
	enum ag_dmarc_discovery discovery;
};

struct ag_dmarc_dkim_in {
	const char *d;		/* the signature's d= */
	const char *selector;	/* for the record only; may be NULL */
	bool pass;
};

struct ag_dmarc_input {
	const char *from_domain;	/* RFC5322.From: A-label, lower case */
	const char *spf_domain;		/* RFC5321.MailFrom domain, or the HELO
					 * name when the reverse-path is null
					 * (RFC 7489 4.1, RFC 7208 2.4); NULL
					 * or "" when SPF was not checked */
	bool spf_pass;
	unsigned ndkim;
	struct ag_dmarc_dkim_in dkim[AG_DMARC_MAX_DKIM];
	unsigned sample;	/* 0..99, uniform; pct= compares with it */
};

struct ag_dmarc_eval {
	enum ag_dmarc_result result;
	const char *why;		/* short words for logs and A-R
					 * comments; static text */
	bool have_record;
	struct ag_dmarc_record rec;	/* the policy found */
	char policy_domain[AG_DMARC_DOMAIN_MAX]; /* where it was found */
	char org_domain[AG_DMARC_DOMAIN_MAX];	 /* the From's */
	bool subdomain;		/* policy found above the From domain */
	bool nonexistent;	/* the From domain is NXDOMAIN (np=) */
	enum ag_dmarc_policy policy;	/* p, sp or np: what applies */
	enum ag_dmarc_policy disposition; /* after pct= and t=y */
	bool sampled_out;	/* pct= made the disposition milder */
	bool testing;		/* t=y made it milder */
	bool spf_aligned;
	bool dkim_aligned;
	char dkim_domain[AG_DMARC_DOMAIN_MAX]; /* the aligned pass, if any */
};

/*
 * ag_dmarc_evaluate - evaluate in against the DNS. *ev is always filled
 * (result none at worst) when AG_OK is returned.
 */
int ag_dmarc_evaluate(const struct ag_dmarc_env *env,
		      const struct ag_dmarc_input *in,
		      struct ag_dmarc_eval *ev, struct ag_err *err)
	AG_MUST_CHECK;

/*
 * ag_dmarc_aligned - do two domains align? strict: equal (ignoring case);
 * relaxed: equal Organizational Domains (RFC 7489 3.1). *temp_r is set
 * when a tree walk met DNS trouble (alignment then unknown: false).
 */
bool ag_dmarc_aligned(const struct ag_dmarc_env *env, const char *from,
		      const char *id, enum ag_dmarc_align mode, bool *temp_r);

/* ag_dmarc_result_name - "none", "pass", ... as RFC 8601 spells them */
const char *ag_dmarc_result_name(enum ag_dmarc_result r);

#endif
