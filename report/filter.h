/*
 * report/filter.h - which stored aggregate reports a view covers, as a
 * SQL condition on feedback_reports (alias "p")
 * Use:     fill struct ag_rfilter; ag_rfilter_sql() into a struct
 *          ag_rfilter_sql on the stack; append .where to a statement
 *          and pass .params / .n to ag_sql_query().
 * Owns:    nothing (the domain points to the caller's text).
 * Threads: reentrant.
 */
#ifndef AG_REPORT_FILTER_H
#define AG_REPORT_FILTER_H

#include <stdint.h>

/* -1: no bound */
struct ag_rfilter {
	const char *domain;	/* feedback_reports.domain, any case; NULL all */
	int64_t since;		/* date_begin >= since */
	int64_t until;		/* date_end <= until */
};

struct ag_rfilter_sql {
	char where[192];	/* " WHERE ..." or "" */
	const char *params[3];
	int n;
	char since[24], until[24];
};

/* ag_rfilter_sql - q from f; q must not move while params are in use */
void ag_rfilter_sql(const struct ag_rfilter *f, struct ag_rfilter_sql *q);

#endif
