/*
 * report/sources.h - the stored aggregate reports per sending source,
 * what authgate-report summary prints and html draws
 * Use:     ag_sources_load(); read s->v[0..n); ag_sources_free().
 * Owns:    the rows.
 * Threads: one set per thread.
 * Limits:  AG_SOURCES_MAX rows (AG_ELIMIT past it); the text columns are
 *          cut to their arrays (display only: grouping is done on the
 *          full values).
 *
 * A source is one (source IP, reporting org) pair; its reverse name is
 * filled in afterwards (report/rdns.h), "" until then.
 */
#ifndef AG_REPORT_SOURCES_H
#define AG_REPORT_SOURCES_H

#include <stddef.h>
#include <stdint.h>

#include "dmarc/sqldb.h"
#include "report/filter.h"

#define AG_SOURCES_MAX 200000

/* what a feedback_records row (alias r) means, as portable SQL: its
 * messages, and whether DMARC passed (policy_evaluated dkim or spf) */
#define AG_SQL_COUNT "CAST(r.count AS BIGINT)"
#define AG_SQL_DMARC_PASS "(LOWER(COALESCE(r.dkim, '')) = 'pass' OR " \
	"LOWER(COALESCE(r.spf, '')) = 'pass')"

struct ag_source {
	char ip[64];
	char org[256];
	char rdns[256];
	uint64_t messages;	/* sum of count */
	uint64_t spf_pass;	/* auth_results: some SPF pass */
	uint64_t dkim_pass;	/* auth_results: some DKIM pass */
	uint64_t dmarc_pass;	/* policy_evaluated dkim or spf pass */
	uint64_t unaligned;	/* DMARC fail though SPF or DKIM passed */
	uint64_t fail;		/* DMARC fail: rejected at p=reject */
};

struct ag_sources {
	struct ag_source *v;
	size_t n;
};

/*
 * ag_sources_load - every source of the reports f selects, most messages
 * first (ties: IP, then org, byte order, so output is stable across both
 * databases). AG_OK, AG_ELIMIT, AG_ENOMEM or the store's error.
 */
int ag_sources_load(struct ag_sql *db, const struct ag_rfilter *f,
		    struct ag_sources *s, struct ag_err *err) AG_MUST_CHECK;

void ag_sources_free(struct ag_sources *s);

/* ag_source_verdict - "ok" (nothing fails DMARC), "would be blocked"
 * (everything fails), else "partly blocked" */
const char *ag_source_verdict(const struct ag_source *s);

/* ag_pct - 100 * part / whole with one decimal ("66.7") into buf; ""
 * when whole is 0 */
const char *ag_pct(char *buf, size_t size, uint64_t part, uint64_t whole);

/* ag_u64 - a number column as the store returns it ("" as 0; a
 * PostgreSQL numeric sum reads the same) */
uint64_t ag_u64(const char *s);

#endif
