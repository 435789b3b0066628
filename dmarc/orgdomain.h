/*
 * dmarc/orgdomain.h - the Organizational Domain (RFC 7489 3.2 with the
 * Public Suffix List; DMARCbis DNS tree walk)
 * Use:     ag_psl_open() once per configuration snapshot (Debian's
 *          publicsuffix list, or an admin's file), then
 *          ag_dmarc_org_domain_psl() per name; ag_dmarc_tree_walk() for
 *          the DMARCbis discovery, which also finds the policy record.
 * Owns:    struct ag_psl owns its libpsl context.
 * Threads: a loaded ag_psl is read only; share it.
 * Limits:  the tree walk asks at most AG_DMARC_WALK_MAX names.
 * Errors:  AG_EINVAL for a name that is not a domain, AG_ENOENT / AG_EINVAL
 *          for an unreadable list file, AG_ENOMEM.
 *
 * Names are A-labels (punycode) in lower case without a trailing dot.
 */
#ifndef AG_DMARC_ORGDOMAIN_H
#define AG_DMARC_ORGDOMAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "dmarc/record.h"
#include "util/dns.h"
#include "util/err.h"

#define AG_DMARC_WALK_MAX 8

struct ag_psl;

/* ag_psl_open - file NULL: the newest of Debian's list
 * (/usr/share/publicsuffix) and libpsl's built-in one */
int ag_psl_open(struct ag_psl **psl_r, const char *file, struct ag_err *err)
	AG_MUST_CHECK;
void ag_psl_free(struct ag_psl **psl);

/* ag_psl_registrable - the public suffix of domain plus one label;
 * AG_ENOENT when domain is a public suffix or has no registrable part */
int ag_psl_registrable(const struct ag_psl *psl, const char *domain,
		       char *out, size_t size) AG_MUST_CHECK;

/*
 * ag_dmarc_org_domain_psl - the public suffix of domain plus one label;
 * a domain that is itself a public suffix (or has no registrable part)
 * is its own Organizational Domain. AG_EINVAL if it does not fit.
 */
int ag_dmarc_org_domain_psl(const struct ag_psl *psl, const char *domain,
			    char *out, size_t size) AG_MUST_CHECK;

struct ag_dmarc_walk {
	char policy_domain[256];	/* first valid record walking up; ""
					 * when none */
	bool have_rec;
	struct ag_dmarc_record rec;	/* the record there */
	bool unusable;			/* the first record found was invalid,
					 * or several: no policy (RFC 7489
					 * 6.6.3 step 6); policy_domain says
					 * where */
	char org_domain[256];		/* DMARCbis 4.10.2 */
	unsigned queries;
	bool temperror;			/* a lookup failed: result unknown */
};

/*
 * ag_dmarc_tree_walk - DMARCbis policy discovery and Organizational Domain
 * in one walk: the author domain, then (jumping to at most seven labels)
 * each parent up to the top-level domain. The org domain is the name of a
 * psd=n record, or the name just below a psd=y record, or else the
 * highest name with a record; with none at all, psl's answer when psl is
 * given, else the domain itself. A single-label domain is never queried.
 */
int ag_dmarc_tree_walk(struct ag_dns *dns, const struct ag_psl *psl,
		       const char *domain, struct ag_dmarc_walk *w,
		       struct ag_err *err) AG_MUST_CHECK;

#endif
