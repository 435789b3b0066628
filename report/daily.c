/*
 * report/daily.c - pass rate per domain and UTC day
 *
 * The database sums per report (no date functions: strftime is SQLite's
 * only); the days are cut here, then points of the same domain and day
 * are merged.
 */
#include "report/daily.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/sources.h"

static const char sql_daily[] =
	"SELECT LOWER(p.domain), p.date_begin, SUM(" AG_SQL_COUNT "), "
	"SUM(CASE WHEN " AG_SQL_DMARC_PASS " THEN " AG_SQL_COUNT
	" ELSE 0 END) FROM feedback_reports p "
	"JOIN feedback_records r ON r.report = p.id";

struct load {
	struct ag_daily *d;
	size_t cap;
	int rc;
};

static int
stop(struct load *l, int rc)
{
	l->rc = rc;
	return 1;
}

/* day_of - the UTC day of t, rounding down also before 1970 */
static int64_t
day_of(int64_t t)
{
	return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

/* add_row - LOWER(domain), date_begin, messages, DMARC pass */
static int
add_row(void *arg, int ncol, const char *const *v)
{
	struct load *l = arg;
	struct ag_daily_point *x;

	if (ncol < 4)
		return stop(l, AG_EINTERNAL);
	if (l->d->n == l->cap) {
		size_t cap = l->cap == 0 ? 64 : l->cap * 2;
		struct ag_daily_point *nv;

		if (l->d->n >= AG_DAILY_MAX)
			return stop(l, AG_ELIMIT);
		if (cap > AG_DAILY_MAX)
			cap = AG_DAILY_MAX;
		if ((nv = realloc(l->d->v, cap * sizeof(*nv))) == NULL)
			return stop(l, AG_ENOMEM);
		l->d->v = nv;
		l->cap = cap;
	}
	x = &l->d->v[l->d->n++];
	memset(x, 0, sizeof(*x));
	snprintf(x->domain, sizeof(x->domain), "%s", v[0]);
	x->day = day_of(strtoll(v[1], NULL, 10));
	x->messages = ag_u64(v[2]);
	x->dmarc_pass = ag_u64(v[3]);
	return 0;
}

static int
by_domain_day(const void *a, const void *b)
{
	const struct ag_daily_point *x = a, *y = b;
	int c = strcmp(x->domain, y->domain);

	if (c != 0)
		return c;
	return x->day < y->day ? -1 : x->day > y->day;
}

/* merge - one point per (domain, day) in the sorted array */
static void
merge(struct ag_daily *d)
{
	size_t o = 0;

	for (size_t i = 0; i < d->n; i++) {
		if (o > 0 && by_domain_day(&d->v[o - 1], &d->v[i]) == 0) {
			d->v[o - 1].messages += d->v[i].messages;
			d->v[o - 1].dmarc_pass += d->v[i].dmarc_pass;
			continue;
		}
		if (o != i)
			d->v[o] = d->v[i];
		o++;
	}
	d->n = o;
}

int
ag_daily_load(struct ag_sql *db, const struct ag_rfilter *f,
	      struct ag_daily *d, struct ag_err *err)
{
	struct ag_rfilter_sql q;
	struct load l = { d, 0, AG_OK };
	char sql[1024];
	int rc;

	memset(d, 0, sizeof(*d));
	ag_rfilter_sql(f, &q);
	snprintf(sql, sizeof(sql),
		 "%s%s GROUP BY p.id, LOWER(p.domain), p.date_begin",
		 sql_daily, q.where);
	rc = ag_sql_query(db, sql, q.n, q.params, add_row, &l, err);
	if (l.rc != AG_OK)
		rc = ag_err_set(err, l.rc, "daily: %s", ag_strerror(l.rc));
	if (rc != AG_OK) {
		ag_daily_free(d);
		return rc;
	}
	if (d->n > 1)
		qsort(d->v, d->n, sizeof(*d->v), by_domain_day);
	merge(d);
	return AG_OK;
}

void
ag_daily_free(struct ag_daily *d)
{
	free(d->v);
	d->v = NULL;
	d->n = 0;
}
