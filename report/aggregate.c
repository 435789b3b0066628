/*
 * report/aggregate.c - history rows grouped into aggregate report records
 *
 * Every message becomes one key string holding all of its record's
 * fields (history text is printable ASCII, so control characters can
 * separate them); sorting the keys puts equal records side by side and
 * a run of equal keys is one <record> with its count.
 */
#include "report/aggregate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FS '\x1f'		/* between fields */
#define KEY_MAX 8192

/* the row columns, in SELECT order */
enum {
	C_ID, C_IP, C_HFROM, C_EFROM, C_ETO, C_ADKIM, C_ASPF, C_P, C_SP, C_NP,
	C_PCT, C_FO, C_DISP, C_DKIM_AL, C_SPF_AL, C_REASONS, C_SPF_DOM,
	C_SPF_SCOPE, C_SPF_RES, C_RUA, C_D_DOM, C_D_SEL, C_D_RES, C_NCOL
};

static const char rows_sql[] =
	"SELECT m.id, m.source_ip, m.header_from, m.envelope_from, "
	"m.envelope_to, m.adkim, m.aspf, m.p, m.sp, m.np, m.pct, m.fo, "
	"m.disposition, m.dkim_aligned, m.spf_aligned, m.reasons, "
	"m.spf_domain, m.spf_scope, m.spf_result, m.rua, d.domain, "
	"d.selector, d.result FROM messages m LEFT JOIN dkim d ON "
	"d.message_id = m.id WHERE m.policy_domain = ? AND m.time >= ? AND "
	"m.time < ? AND m.reported IS NULL AND m.rua IS NOT NULL AND "
	"m.rua <> '' ORDER BY m.id, d.domain, d.selector, d.result";

struct domains {
	ag_aggregate_domain_fn fn;
	void *arg;
};

static int
domain_row(void *arg, int ncol, const char *const *vals)
{
	struct domains *d = arg;

	return ncol > 0 && vals[0][0] != '\0' ? d->fn(d->arg, vals[0]) : 0;
}

int
ag_aggregate_domains(struct ag_sql *db, int64_t begin, int64_t end,
		     const char *only, ag_aggregate_domain_fn fn, void *arg,
		     struct ag_err *err)
{
	char b[24], e[24];
	const char *p[] = { b, e, only };
	struct domains d = { fn, arg };

	snprintf(b, sizeof(b), "%" PRId64, begin);
	snprintf(e, sizeof(e), "%" PRId64, end);
	return ag_sql_query(db,
			    only != NULL
				    ? "SELECT DISTINCT policy_domain FROM "
				      "messages WHERE time >= ? AND time < ? "
				      "AND reported IS NULL AND rua IS NOT "
				      "NULL AND rua <> '' AND policy_domain "
				      "= ? ORDER BY policy_domain"
				    : "SELECT DISTINCT policy_domain FROM "
				      "messages WHERE time >= ? AND time < ? "
				      "AND reported IS NULL AND rua IS NOT "
				      "NULL AND rua <> '' ORDER BY "
				      "policy_domain",
			    only != NULL ? 3 : 2, p, domain_row, &d, err);
}

/* the message being read (its DKIM rows come one per result row) */
struct build {
	char **keys;
	size_t nkeys, cap;
	char cur[KEY_MAX];
	size_t cur_len;
	char cur_id[24];
	char last[C_NCOL][AG_HISTORY_RUA]; /* policy columns, newest row */
	struct ag_aggregate_batch *batch;
	int rc;
};

/* flush - the current message's key into the list */
static int
flush(struct build *b)
{
	char *k;

	if (b->cur_id[0] == '\0')
		return 0;
	if (b->nkeys == b->cap) {
		size_t cap = b->cap != 0 ? b->cap * 2 : 1024;
		char **n = realloc(b->keys, cap * sizeof(*n));

		if (n == NULL)
			return AG_ENOMEM;
		b->keys = n;
		b->cap = cap;
	}
	if ((k = strndup(b->cur, b->cur_len)) == NULL)
		return AG_ENOMEM;
	b->keys[b->nkeys++] = k;
	b->cur_id[0] = '\0';
	b->cur_len = 0;
	return 0;
}

/* add - append one field (and its separator) to the current key */
static void
add(struct build *b, const char *v)
{
	size_t n = strlen(v);

	if (b->cur_len + n + 2 >= sizeof(b->cur))
		n = 0;	/* cannot happen with history's field sizes */
	memcpy(b->cur + b->cur_len, v, n);
	b->cur_len += n;
	b->cur[b->cur_len++] = FS;
	b->cur[b->cur_len] = '\0';
}

static int
build_row(void *arg, int ncol, const char *const *v)
{
	struct build *b = arg;
	int64_t id;

	if (ncol < C_NCOL)
		return AG_EINTERNAL;
	if (strcmp(v[C_ID], b->cur_id) != 0) {
		int rc = flush(b);

		if (rc != 0)
			return rc;
		snprintf(b->cur_id, sizeof(b->cur_id), "%s", v[C_ID]);
		id = strtoll(v[C_ID], NULL, 10);
		if (b->batch->min_id == 0 || id < b->batch->min_id)
			b->batch->min_id = id;
		if (id > b->batch->max_id)
			b->batch->max_id = id;
		b->batch->messages++;
		for (int c = C_ADKIM; c <= C_RUA; c++)
			snprintf(b->last[c], sizeof(b->last[c]), "%s", v[c]);
		add(b, v[C_IP]);
		add(b, v[C_DISP]);
		add(b, v[C_DKIM_AL]);
		add(b, v[C_SPF_AL]);
		add(b, v[C_REASONS]);
		add(b, v[C_ETO]);
		add(b, v[C_EFROM]);
		add(b, v[C_HFROM]);
		add(b, v[C_SPF_DOM]);
		add(b, v[C_SPF_SCOPE]);
		add(b, v[C_SPF_RES]);
	}
	if (v[C_D_DOM][0] != '\0') {
		/* signatures in the order the message carried them */
		add(b, v[C_D_DOM]);
		add(b, v[C_D_SEL]);
		add(b, v[C_D_RES]);
	}
	return 0;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* field - the next FS-terminated field of *s, NUL-terminated in place */
static char *
field(char **s)
{
	char *start = *s, *end = strchr(start, FS);

	if (end == NULL) {
		*s = start + strlen(start);
		return start;
	}
	*end = '\0';
	*s = end + 1;
	return start;
}

/* S - a string into the report's arena (a function: its argument is
 * often field(), which must run once) */
static const char *
S(struct ag_feedback *fb, const char *v)
{
	return ag_feedback_str(fb, v, strlen(v));
}

/* add_reasons - "type comment; type" into the record */
static int
add_reasons(struct ag_feedback *fb, struct ag_fb_record *r, char *text)
{
	char *save = NULL, *one;
	unsigned n = 0;

	if (text[0] == '\0')
		return AG_OK;
	r->reason = ag_feedback_alloc(fb, AG_FB_MAX_REASONS *
						  sizeof(*r->reason));
	if (r->reason == NULL)
		return AG_ENOMEM;
	for (one = strtok_r(text, ";", &save);
	     one != NULL && n < AG_FB_MAX_REASONS;
	     one = strtok_r(NULL, ";", &save)) {
		char *sp;

		one += strspn(one, " ");
		if (*one == '\0')
			continue;
		sp = strchr(one, ' ');
		if (sp != NULL)
			*sp++ = '\0';
		r->reason[n].type = S(fb, one);
		r->reason[n].comment = S(fb, sp != NULL ? sp : "");
		if (r->reason[n].type == NULL || r->reason[n].comment == NULL)
			return AG_ENOMEM;
		n++;
	}
	r->nreason = n;
	return AG_OK;
}

/* fill - one record from a key and its count */
static int
fill(struct ag_feedback *fb, struct ag_fb_record *r, char *key,
     uint64_t count)
{
	char *s = key, *spf_dom, *spf_scope, *spf_res;
	unsigned nd = 0;

	r->count = count;
	if ((r->source_ip = S(fb, field(&s))) == NULL ||
	    (r->disposition = S(fb, field(&s))) == NULL ||
	    (r->dkim = S(fb, field(&s))) == NULL ||
	    (r->spf = S(fb, field(&s))) == NULL)
		return AG_ENOMEM;
	if (add_reasons(fb, r, field(&s)) != AG_OK)
		return AG_ENOMEM;
	if ((r->envelope_to = S(fb, field(&s))) == NULL ||
	    (r->envelope_from = S(fb, field(&s))) == NULL ||
	    (r->header_from = S(fb, field(&s))) == NULL)
		return AG_ENOMEM;
	spf_dom = field(&s);
	spf_scope = field(&s);
	spf_res = field(&s);
	if (spf_dom[0] != '\0') {
		r->spf_res = ag_feedback_alloc(fb, sizeof(*r->spf_res));
		if (r->spf_res == NULL)
			return AG_ENOMEM;
		r->spf_res[0].domain = S(fb, spf_dom);
		r->spf_res[0].selector = "";
		r->spf_res[0].scope = S(fb, spf_scope);
		r->spf_res[0].result = S(fb, spf_res);
		r->spf_res[0].human_result = "";
		if (r->spf_res[0].domain == NULL || r->spf_res[0].scope == NULL ||
		    r->spf_res[0].result == NULL)
			return AG_ENOMEM;
		r->nspf = 1;
	}
	r->dkim_res = ag_feedback_alloc(fb, AG_HISTORY_MAX_DKIM *
						    sizeof(*r->dkim_res));
	if (r->dkim_res == NULL)
		return AG_ENOMEM;
	while (*s != '\0' && nd < AG_HISTORY_MAX_DKIM) {
		struct ag_fb_auth *a = &r->dkim_res[nd++];

		a->domain = S(fb, field(&s));
		a->selector = S(fb, field(&s));
		a->result = S(fb, field(&s));
		a->scope = "";
		a->human_result = "";
		if (a->domain == NULL || a->selector == NULL ||
		    a->result == NULL)
			return AG_ENOMEM;
	}
	r->ndkim = nd;
	return AG_OK;
}

/* policy - policy_published from the newest row */
static int
policy(struct ag_feedback *fb, struct build *b, const char *domain)
{
	if ((fb->domain = S(fb, domain)) == NULL ||
	    (fb->adkim = S(fb, b->last[C_ADKIM])) == NULL ||
	    (fb->aspf = S(fb, b->last[C_ASPF])) == NULL ||
	    (fb->p = S(fb, b->last[C_P])) == NULL ||
	    (fb->sp = S(fb, b->last[C_SP])) == NULL ||
	    (fb->np = S(fb, b->last[C_NP])) == NULL ||
	    (fb->fo = S(fb, b->last[C_FO])) == NULL)
		return AG_ENOMEM;
	fb->pct = b->last[C_PCT][0] != '\0' ? atoi(b->last[C_PCT]) : 100;
	snprintf(b->batch->rua, sizeof(b->batch->rua), "%s", b->last[C_RUA]);
	return AG_OK;
}

static int
meta_fill(struct ag_feedback *fb, const struct ag_aggregate_meta *m,
	  const char *domain, const struct ag_aggregate_batch *batch,
	  int64_t begin, int64_t end)
{
	char id[512];

	/* unique per run: a later run over the same period covers later
	 * rows, so the row range tells the reports apart */
	snprintf(id, sizeof(id), "%s.%" PRId64 ".%" PRId64 "-%" PRId64 "@%s",
		 domain, begin, batch->min_id, batch->max_id, m->submitter);
	fb->begin = begin;
	fb->end = end - 1;	/* inclusive, as receivers write it */
	if ((fb->org_name = S(fb, m->org_name)) == NULL ||
	    (fb->email = S(fb, m->email)) == NULL ||
	    (fb->extra_contact_info = S(fb, m->extra_contact)) == NULL ||
	    (fb->report_id = S(fb, id)) == NULL ||
	    (fb->generator = S(fb, "authgate")) == NULL)
		return AG_ENOMEM;
	return AG_OK;
}

int
ag_aggregate_build(struct ag_sql *db, const char *domain, int64_t begin,
		   int64_t end, const struct ag_aggregate_meta *meta,
		   struct ag_feedback **fb_r, struct ag_aggregate_batch *batch,
		   struct ag_err *err)
{
	struct build *b;
	struct ag_feedback *fb = NULL;
	char bs[24], es[24];
	const char *p[] = { domain, bs, es };
	int rc;

	*fb_r = NULL;
	memset(batch, 0, sizeof(*batch));
	snprintf(batch->domain, sizeof(batch->domain), "%s", domain);
	snprintf(bs, sizeof(bs), "%" PRId64, begin);
	snprintf(es, sizeof(es), "%" PRId64, end);
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return ag_err_set(err, AG_ENOMEM, "out of memory");
	b->batch = batch;
	rc = ag_sql_query(db, rows_sql, 3, p, build_row, b, err);
	if (rc == AG_OK)
		rc = flush(b);
	if (rc != AG_OK) {
		if (rc == AG_ENOMEM || rc == AG_EINTERNAL)
			ag_err_set(err, rc, "%s: reading the history: %s",
				   domain, ag_strerror(rc));
		goto done;
	}
	if (b->nkeys == 0)
		goto done;
	qsort(b->keys, b->nkeys, sizeof(*b->keys), key_cmp);
	if ((fb = ag_feedback_new()) == NULL ||
	    meta_fill(fb, meta, domain, batch, begin, end) != AG_OK ||
	    policy(fb, b, domain) != AG_OK) {
		rc = ag_err_set(err, AG_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < b->nkeys;) {
		size_t j = i + 1;
		struct ag_fb_record *r;

		while (j < b->nkeys && strcmp(b->keys[j], b->keys[i]) == 0)
			j++;
		if ((r = ag_feedback_add_record(fb)) == NULL) {
			rc = ag_err_set(err, AG_ELIMIT, "%s: more than %d "
					"distinct records, or out of memory",
					domain, AG_FB_MAX_RECORDS);
			goto done;
		}
		if (fill(fb, r, b->keys[i], (uint64_t)(j - i)) != AG_OK) {
			rc = ag_err_set(err, AG_ENOMEM, "out of memory");
			goto done;
		}
		fb->total_count += (uint64_t)(j - i);
		i = j;
	}
	*fb_r = fb;
	fb = NULL;
done:
	ag_feedback_free(fb);
	for (size_t i = 0; i < b->nkeys; i++)
		free(b->keys[i]);
	free(b->keys);
	free(b);
	return rc;
}

int
ag_aggregate_mark(struct ag_sql *db, const struct ag_aggregate_batch *b,
		  int64_t begin, int64_t end, int64_t now, struct ag_err *err)
{
	char ns[24], bs[24], es[24], lo[24], hi[24];
	const char *p[] = { ns, b->domain, bs, es, lo, hi };

	snprintf(ns, sizeof(ns), "%" PRId64, now);
	snprintf(bs, sizeof(bs), "%" PRId64, begin);
	snprintf(es, sizeof(es), "%" PRId64, end);
	snprintf(lo, sizeof(lo), "%" PRId64, b->min_id);
	snprintf(hi, sizeof(hi), "%" PRId64, b->max_id);
	/* the same conditions as the report's rows, bounded by the ids it
	 * saw: rows the milter added since are left for the next run */
	return ag_sql_exec(db,
			   "UPDATE messages SET reported = ? WHERE "
			   "policy_domain = ? AND time >= ? AND time < ? AND "
			   "reported IS NULL AND rua IS NOT NULL AND rua <> '' "
			   "AND id >= ? AND id <= ?",
			   6, p, err);
}
