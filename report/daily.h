/*
 * report/daily.h - DMARC pass rate per domain per UTC day, for the
 * pass-rate chart of authgate-report html
 * Use:     ag_daily_load(); read d->v[0..n); ag_daily_free().
 * Owns:    the points.
 * Threads: one set per thread.
 * Limits:  AG_DAILY_MAX reports read (AG_ELIMIT past it).
 *
 * A record's messages count on the day its report's date_begin falls
 * in: reports cover a day each in practice, and splitting a longer one
 * would invent a distribution the report does not give.
 */
#ifndef AG_REPORT_DAILY_H
#define AG_REPORT_DAILY_H

#include <stddef.h>
#include <stdint.h>

#include "dmarc/sqldb.h"
#include "report/filter.h"

#define AG_DAILY_MAX 1000000

struct ag_daily_point {
	char domain[256];	/* lower case */
	int64_t day;		/* days since 1970-01-01 (UTC) */
	uint64_t messages, dmarc_pass;
};

/* sorted by domain, then day; one point per (domain, day) */
struct ag_daily {
	struct ag_daily_point *v;
	size_t n;
};

int ag_daily_load(struct ag_sql *db, const struct ag_rfilter *f,
		  struct ag_daily *d, struct ag_err *err) AG_MUST_CHECK;

void ag_daily_free(struct ag_daily *d);

#endif
