/*
 * report/overview.h - the figures above the per-source table: domains
 * with their newest published policy, reporting orgs, date range,
 * totals, dispositions
 * Use:     ag_overview_load(); read; ag_overview_free().
 * Owns:    its arrays.
 * Threads: one overview per thread.
 * Limits:  AG_OVERVIEW_MAX domains and as many orgs (AG_ELIMIT past it).
 */
#ifndef AG_REPORT_OVERVIEW_H
#define AG_REPORT_OVERVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "dmarc/sqldb.h"
#include "report/filter.h"

#define AG_OVERVIEW_MAX 100000

struct ag_ov_domain {
	char domain[256];	/* lower case */
	char p[32];		/* p= of its newest report ("" unknown) */
	char pct[16];		/* pct= of it ("" when absent) */
	uint64_t messages, dmarc_pass;
};

struct ag_ov_org {
	char name[256];
	uint64_t reports;
};

struct ag_overview {
	struct ag_ov_domain *dom;	/* by name */
	size_t ndom;
	struct ag_ov_org *org;		/* by name */
	size_t norg;
	uint64_t reports;
	int64_t first, last;	/* min date_begin, max date_end; -1 none */
	uint64_t messages, dmarc_pass;
	/* policy_evaluated disposition, messages each */
	uint64_t none, quarantine, reject, other;
};

int ag_overview_load(struct ag_sql *db, const struct ag_rfilter *f,
		     struct ag_overview *o, struct ag_err *err) AG_MUST_CHECK;

void ag_overview_free(struct ag_overview *o);

#endif
