/*
 * report/sources.c - per-source aggregation of the stored aggregate
 * reports
 *
 * One GROUP BY does the counting in the database (a report may carry
 * 200000 records); the order is applied here, because text collation
 * differs between SQLite and PostgreSQL. Flags are CAST to INTEGER so a
 * 0/1 column works whatever type the store gave it.
 */
#include "report/sources.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define C AG_SQL_COUNT
#define DMARC_PASS AG_SQL_DMARC_PASS
#define RAW_PASS "(CAST(COALESCE(r.spf_pass, 0) AS INTEGER) = 1 OR " \
	"CAST(COALESCE(r.dkim_pass, 0) AS INTEGER) = 1)"

static const char sql_sources[] =
	"SELECT r.source_ip, p.org_name, SUM(" C "), "
	"SUM(CASE WHEN CAST(COALESCE(r.spf_pass, 0) AS INTEGER) = 1 "
	"THEN " C " ELSE 0 END), "
	"SUM(CASE WHEN CAST(COALESCE(r.dkim_pass, 0) AS INTEGER) = 1 "
	"THEN " C " ELSE 0 END), "
	"SUM(CASE WHEN " DMARC_PASS " THEN " C " ELSE 0 END), "
	"SUM(CASE WHEN NOT " DMARC_PASS " AND " RAW_PASS
	" THEN " C " ELSE 0 END) "
	"FROM feedback_records r JOIN feedback_reports p ON r.report = p.id";

struct load {
	struct ag_sources *s;
	size_t cap;
	int rc;
};

uint64_t
ag_u64(const char *s)
{
	/* a negative count can only come from a corrupt store: read as 0 */
	if (s[0] == '-')
		return 0;
	return strtoull(s, NULL, 10);
}

/* stop - end the query with code rc */
static int
stop(struct load *l, int rc)
{
	l->rc = rc;
	return 1;
}

/* add_row - one GROUP BY row; 1 (stop) on a limit or no memory */
static int
add_row(void *arg, int ncol, const char *const *v)
{
	struct load *l = arg;
	struct ag_source *x;

	if (ncol < 7)
		return stop(l, AG_EINTERNAL);
	if (l->s->n == l->cap) {
		size_t cap = l->cap == 0 ? 64 : l->cap * 2;
		struct ag_source *nv;

		if (l->s->n >= AG_SOURCES_MAX)
			return stop(l, AG_ELIMIT);
		if (cap > AG_SOURCES_MAX)
			cap = AG_SOURCES_MAX;
		if ((nv = realloc(l->s->v, cap * sizeof(*nv))) == NULL)
			return stop(l, AG_ENOMEM);
		l->s->v = nv;
		l->cap = cap;
	}
	x = &l->s->v[l->s->n++];
	memset(x, 0, sizeof(*x));
	snprintf(x->ip, sizeof(x->ip), "%s", v[0]);
	snprintf(x->org, sizeof(x->org), "%s", v[1]);
	x->messages = ag_u64(v[2]);
	x->spf_pass = ag_u64(v[3]);
	x->dkim_pass = ag_u64(v[4]);
	x->dmarc_pass = ag_u64(v[5]);
	x->unaligned = ag_u64(v[6]);
	if (x->dmarc_pass > x->messages)
		x->dmarc_pass = x->messages;
	x->fail = x->messages - x->dmarc_pass;
	return 0;
}

static int
by_volume(const void *a, const void *b)
{
	const struct ag_source *x = a, *y = b;
	int c;

	if (x->messages != y->messages)
		return x->messages > y->messages ? -1 : 1;
	if ((c = strcmp(x->ip, y->ip)) != 0)
		return c;
	return strcmp(x->org, y->org);
}

int
ag_sources_load(struct ag_sql *db, const struct ag_rfilter *f,
		struct ag_sources *s, struct ag_err *err)
{
	struct ag_rfilter_sql q;
	struct load l = { s, 0, AG_OK };
	char sql[2048];
	int rc;

	memset(s, 0, sizeof(*s));
	ag_rfilter_sql(f, &q);
	snprintf(sql, sizeof(sql), "%s%s GROUP BY r.source_ip, p.org_name",
		 sql_sources, q.where);
	rc = ag_sql_query(db, sql, q.n, q.params, add_row, &l, err);
	if (l.rc != AG_OK)
		rc = ag_err_set(err, l.rc, "sources: %s%s", ag_strerror(l.rc),
				l.rc == AG_ELIMIT ? " (more than 200000)" : "");
	if (rc != AG_OK) {
		ag_sources_free(s);
		return rc;
	}
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), by_volume);
	return AG_OK;
}

void
ag_sources_free(struct ag_sources *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

const char *
ag_source_verdict(const struct ag_source *s)
{
	if (s->fail == 0)
		return "ok";
	if (s->fail == s->messages)
		return "would be blocked";
	return "partly blocked";
}

/* ag_pct - in tenths, rounded half up, in integers: exact for any
 * count (a double would round 2^53+ sums) */
const char *
ag_pct(char *buf, size_t size, uint64_t part, uint64_t whole)
{
	unsigned __int128 t;

	if (whole == 0) {
		snprintf(buf, size, "%s", "");
		return buf;
	}
	t = ((unsigned __int128)part * 2000 + whole) /
	    (2 * (unsigned __int128)whole);
	snprintf(buf, size, "%" PRIu64 ".%" PRIu64, (uint64_t)(t / 10),
		 (uint64_t)(t % 10));
	return buf;
}
