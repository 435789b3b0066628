/*
 * report/aggregate.h - the DMARC history turned into aggregate reports:
 * one per policy domain per period, one record per distinct (source IP,
 * disposition, aligned results, reasons, identifiers, SPF and DKIM
 * results) with its message count (RFC 7489 7.2, appendix C)
 * Use:     ag_aggregate_domains() lists the domains with unreported rows
 *          and a rua=; ag_aggregate_build() makes one domain's report;
 *          ag_aggregate_mark() records that those rows were reported.
 * Owns:    the caller frees the report (ag_feedback_free).
 * Limits:  AG_FB_MAX_RECORDS distinct records per report.
 */
#ifndef AG_REPORT_AGGREGATE_H
#define AG_REPORT_AGGREGATE_H

#include <stdint.h>

#include "dmarc/feedback.h"
#include "dmarc/history.h"
#include "dmarc/sqldb.h"

/* who we are in the report's metadata */
struct ag_aggregate_meta {
	const char *org_name;
	const char *email;
	const char *extra_contact;
	const char *submitter;	/* AuthservID: the report id's suffix */
};

/* what one domain's report covers */
struct ag_aggregate_batch {
	char domain[AG_HISTORY_DOMAIN];
	char rua[AG_HISTORY_RUA];	/* newest row's rua= */
	int64_t min_id, max_id;		/* history rows covered */
	uint64_t messages;
};

typedef int (*ag_aggregate_domain_fn)(void *arg, const char *domain);

/* ag_aggregate_domains - each policy domain with unreported rows in
 * [begin, end) and a rua=, in name order; only: one domain or NULL */
int ag_aggregate_domains(struct ag_sql *db, int64_t begin, int64_t end,
			 const char *only, ag_aggregate_domain_fn fn,
			 void *arg, struct ag_err *err) AG_MUST_CHECK;

/* ag_aggregate_build - domain's report over [begin, end); *fb_r NULL and
 * AG_OK when there is nothing to report */
int ag_aggregate_build(struct ag_sql *db, const char *domain, int64_t begin,
		       int64_t end, const struct ag_aggregate_meta *meta,
		       struct ag_feedback **fb_r,
		       struct ag_aggregate_batch *batch,
		       struct ag_err *err) AG_MUST_CHECK;

/* ag_aggregate_mark - set reported = now on the rows batch covered */
int ag_aggregate_mark(struct ag_sql *db, const struct ag_aggregate_batch *b,
		      int64_t begin, int64_t end, int64_t now,
		      struct ag_err *err) AG_MUST_CHECK;

#endif
