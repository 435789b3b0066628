/*
 * report/overview.c - totals over the selected aggregate reports
 *
 * A few small GROUP BY statements; names are sorted here (collation
 * differs between the two databases).
 */
#include "report/overview.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/sources.h"

#define C AG_SQL_COUNT
#define DMARC_PASS AG_SQL_DMARC_PASS

struct load {
	struct ag_overview *o;
	size_t cap;
	int rc;
};

static int
stop(struct load *l, int rc)
{
	l->rc = rc;
	return 1;
}

/* grow - room for one more element of size sz in *v (n used, *cap) */
static int
grow(void **v, size_t n, size_t *cap, size_t sz)
{
	void *nv;
	size_t c;

	if (n < *cap)
		return AG_OK;
	if (n >= AG_OVERVIEW_MAX)
		return AG_ELIMIT;
	c = *cap == 0 ? 16 : *cap * 2;
	if (c > AG_OVERVIEW_MAX)
		c = AG_OVERVIEW_MAX;
	if ((nv = realloc(*v, c * sz)) == NULL)
		return AG_ENOMEM;
	*v = nv;
	*cap = c;
	return AG_OK;
}

/* domain_row - LOWER(domain), messages, DMARC pass */
static int
domain_row(void *arg, int ncol, const char *const *v)
{
	struct load *l = arg;
	struct ag_ov_domain *d;
	void *p = l->o->dom;
	int rc;

	if (ncol < 3)
		return stop(l, AG_EINTERNAL);
	if ((rc = grow(&p, l->o->ndom, &l->cap, sizeof(*d))) != AG_OK)
		return stop(l, rc);
	l->o->dom = p;
	d = &l->o->dom[l->o->ndom++];
	memset(d, 0, sizeof(*d));
	snprintf(d->domain, sizeof(d->domain), "%s", v[0]);
	d->messages = ag_u64(v[1]);
	d->dmarc_pass = ag_u64(v[2]);
	l->o->messages += d->messages;
	l->o->dmarc_pass += d->dmarc_pass;
	return 0;
}

static int
by_domain(const void *a, const void *b)
{
	return strcmp(((const struct ag_ov_domain *)a)->domain,
		      ((const struct ag_ov_domain *)b)->domain);
}

/* policy_row - LOWER(domain), p, pct, newest first: the first row seen
 * for a domain is its current policy */
static int
policy_row(void *arg, int ncol, const char *const *v)
{
	struct load *l = arg;
	struct ag_ov_domain key, *d;

	if (ncol < 3)
		return stop(l, AG_EINTERNAL);
	snprintf(key.domain, sizeof(key.domain), "%s", v[0]);
	d = l->o->ndom == 0 ? NULL :
	    bsearch(&key, l->o->dom, l->o->ndom, sizeof(key), by_domain);
	if (d != NULL && d->p[0] == '\0') {
		snprintf(d->p, sizeof(d->p), "%s", v[1][0] ? v[1] : "?");
		snprintf(d->pct, sizeof(d->pct), "%s", v[2]);
	}
	return 0;
}

/* org_row - org_name, reports */
static int
org_row(void *arg, int ncol, const char *const *v)
{
	struct load *l = arg;
	void *p = l->o->org;
	int rc;

	if (ncol < 2)
		return stop(l, AG_EINTERNAL);
	if ((rc = grow(&p, l->o->norg, &l->cap, sizeof(*l->o->org))) != AG_OK)
		return stop(l, rc);
	l->o->org = p;
	snprintf(l->o->org[l->o->norg].name, sizeof(l->o->org->name), "%s",
		 v[0]);
	l->o->org[l->o->norg++].reports = ag_u64(v[1]);
	return 0;
}

/* range_row - MIN(date_begin), MAX(date_end), COUNT(*) */
static int
range_row(void *arg, int ncol, const char *const *v)
{
	struct load *l = arg;

	if (ncol < 3)
		return stop(l, AG_EINTERNAL);
	l->o->first = v[0][0] != '\0' ? strtoll(v[0], NULL, 10) : -1;
	l->o->last = v[1][0] != '\0' ? strtoll(v[1], NULL, 10) : -1;
	l->o->reports = ag_u64(v[2]);
	return 0;
}

/* disp_row - LOWER(disposition), messages */
static int
disp_row(void *arg, int ncol, const char *const *v)
{
	struct load *l = arg;
	uint64_t n;

	if (ncol < 2)
		return stop(l, AG_EINTERNAL);
	n = ag_u64(v[1]);
	if (strcmp(v[0], "none") == 0)
		l->o->none += n;
	else if (strcmp(v[0], "quarantine") == 0)
		l->o->quarantine += n;
	else if (strcmp(v[0], "reject") == 0)
		l->o->reject += n;
	else
		l->o->other += n;
	return 0;
}

static int
by_org(const void *a, const void *b)
{
	return strcmp(((const struct ag_ov_org *)a)->name,
		      ((const struct ag_ov_org *)b)->name);
}

/* run - one statement: head, the filter, tail */
static int
run(struct ag_sql *db, const struct ag_rfilter_sql *q, const char *head,
    const char *tail, ag_sql_row_fn fn, struct load *l, struct ag_err *err)
{
	char sql[1024];
	int rc;

	l->cap = 0;
	snprintf(sql, sizeof(sql), "%s%s%s", head, q->where, tail);
	rc = ag_sql_query(db, sql, q->n, q->params, fn, l, err);
	if (l->rc != AG_OK)
		rc = ag_err_set(err, l->rc, "overview: %s", ag_strerror(l->rc));
	return rc;
}

int
ag_overview_load(struct ag_sql *db, const struct ag_rfilter *f,
		 struct ag_overview *o, struct ag_err *err)
{
	struct ag_rfilter_sql q;
	struct load l = { o, 0, AG_OK };
	int rc;

	memset(o, 0, sizeof(*o));
	o->first = o->last = -1;
	ag_rfilter_sql(f, &q);
	rc = run(db, &q, "SELECT LOWER(p.domain), SUM(" C "), SUM(CASE WHEN "
		 DMARC_PASS " THEN " C " ELSE 0 END) FROM feedback_reports p "
		 "LEFT JOIN feedback_records r ON r.report = p.id",
		 " GROUP BY LOWER(p.domain)", domain_row, &l, err);
	if (rc != AG_OK)
		goto out;
	if (o->ndom > 1)
		qsort(o->dom, o->ndom, sizeof(*o->dom), by_domain);
	rc = run(db, &q, "SELECT LOWER(p.domain), p.p, p.pct "
		 "FROM feedback_reports p",
		 " ORDER BY p.date_end DESC, p.id DESC", policy_row, &l, err);
	if (rc != AG_OK)
		goto out;
	rc = run(db, &q, "SELECT p.org_name, COUNT(*) FROM feedback_reports p",
		 " GROUP BY p.org_name", org_row, &l, err);
	if (rc != AG_OK)
		goto out;
	rc = run(db, &q, "SELECT MIN(p.date_begin), MAX(p.date_end), "
		 "COUNT(*) FROM feedback_reports p", "", range_row, &l, err);
	if (rc != AG_OK)
		goto out;
	rc = run(db, &q, "SELECT LOWER(COALESCE(r.disposition, '')), SUM(" C
		 ") FROM feedback_records r JOIN feedback_reports p "
		 "ON r.report = p.id",
		 " GROUP BY LOWER(COALESCE(r.disposition, ''))", disp_row, &l,
		 err);
	if (rc != AG_OK)
		goto out;
	if (o->norg > 1)
		qsort(o->org, o->norg, sizeof(*o->org), by_org);
out:
	if (rc != AG_OK)
		ag_overview_free(o);
	return rc;
}

void
ag_overview_free(struct ag_overview *o)
{
	free(o->dom);
	free(o->org);
	o->dom = NULL;
	o->org = NULL;
	o->ndom = o->norg = 0;
}
