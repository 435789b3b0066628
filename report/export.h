/*
 * report/export.h - the per-source rows and the stored records as CSV or
 * JSON, for authgate-report summary --csv/--json and html's data files
 * Use:     ag_export_sources() with loaded (and rdns-filled) sources;
 *          ag_export_records() streams straight from the store.
 * Owns:    nothing; the caller owns the stream and checks it for write
 *          errors.
 * Threads: reentrant.
 *
 * CSV: a header line, then one line per row (RFC 4180 quoting, LF line
 * ends). JSON: one array of objects, one object a line; counts are
 * numbers, percentages numbers with one decimal or null (no messages).
 */
#ifndef AG_REPORT_EXPORT_H
#define AG_REPORT_EXPORT_H

#include <stdio.h>

#include "dmarc/sqldb.h"
#include "report/filter.h"
#include "report/sources.h"

enum ag_export_fmt { AG_EXPORT_CSV, AG_EXPORT_JSON };

void ag_export_sources(FILE *f, enum ag_export_fmt fmt,
		       const struct ag_sources *s);

/* ag_export_records - one row per feedback_records row of the reports f
 * selects, with its report's org_name, report_id, domain, date_begin,
 * date_end; oldest report first */
int ag_export_records(struct ag_sql *db, const struct ag_rfilter *f,
		      FILE *out, enum ag_export_fmt fmt,
		      struct ag_err *err) AG_MUST_CHECK;

#endif
