/*
 * report/filter.c - a view's filter as a portable WHERE clause
 *
 * Values go in as "?" parameters (text, like every ag_sql parameter);
 * the times are CAST so both SQLite and PostgreSQL compare numbers.
 */
#include "report/filter.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* add - one condition, joined with AND */
static void
add(struct ag_rfilter_sql *q, const char *cond, const char *param)
{
	size_t len = strlen(q->where);

	snprintf(q->where + len, sizeof(q->where) - len, "%s%s",
		 len == 0 ? " WHERE " : " AND ", cond);
	q->params[q->n++] = param;
}

void
ag_rfilter_sql(const struct ag_rfilter *f, struct ag_rfilter_sql *q)
{
	memset(q, 0, sizeof(*q));
	if (f->domain != NULL)
		add(q, "LOWER(p.domain) = LOWER(?)", f->domain);
	if (f->since >= 0) {
		snprintf(q->since, sizeof(q->since), "%" PRId64, f->since);
		add(q, "p.date_begin >= CAST(? AS BIGINT)", q->since);
	}
	if (f->until >= 0) {
		snprintf(q->until, sizeof(q->until), "%" PRId64, f->until);
		add(q, "p.date_end <= CAST(? AS BIGINT)", q->until);
	}
}
