/*
 * report/export.c - CSV and JSON writers for report views
 */
#include "report/export.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "report/escape.h"

static const char *const source_cols[] = {
	"source_ip", "reverse_name", "org", "messages", "spf_pass",
	"dkim_pass", "dmarc_pass", "spf_pass_pct", "dkim_pass_pct",
	"dmarc_pass_pct", "alignment_failures", "at_p_reject", "verdict"
};
#define NSOURCE_COLS (sizeof(source_cols) / sizeof(source_cols[0]))

/* the records columns; NUM marks those written as JSON numbers */
#define NUM 1
static const struct {
	const char *name;
	int kind;
} record_cols[] = {
	{ "org_name", 0 }, { "report_id", 0 }, { "domain", 0 },
	{ "date_begin", NUM }, { "date_end", NUM }, { "source_ip", 0 },
	{ "count", NUM }, { "disposition", 0 }, { "dkim", 0 },
	{ "spf", 0 }, { "reasons", 0 }, { "envelope_to", 0 },
	{ "envelope_from", 0 }, { "header_from", 0 }, { "dkim_pass", NUM },
	{ "spf_pass", NUM }
};
#define NRECORD_COLS (sizeof(record_cols) / sizeof(record_cols[0]))

static const char sql_records[] =
	"SELECT p.org_name, p.report_id, p.domain, p.date_begin, "
	"p.date_end, r.source_ip, r.count, r.disposition, r.dkim, r.spf, "
	"r.reasons, r.envelope_to, r.envelope_from, r.header_from, "
	"r.dkim_pass, r.spf_pass FROM feedback_records r "
	"JOIN feedback_reports p ON r.report = p.id";

/* source_vals - one row's values as text (numbers formatted into nums) */
static void
source_vals(const struct ag_source *x, const char *v[NSOURCE_COLS],
	    char nums[NSOURCE_COLS][24])
{
	snprintf(nums[3], 24, "%" PRIu64, x->messages);
	snprintf(nums[4], 24, "%" PRIu64, x->spf_pass);
	snprintf(nums[5], 24, "%" PRIu64, x->dkim_pass);
	snprintf(nums[6], 24, "%" PRIu64, x->dmarc_pass);
	ag_pct(nums[7], 24, x->spf_pass, x->messages);
	ag_pct(nums[8], 24, x->dkim_pass, x->messages);
	ag_pct(nums[9], 24, x->dmarc_pass, x->messages);
	snprintf(nums[10], 24, "%" PRIu64, x->unaligned);
	snprintf(nums[11], 24, "%" PRIu64, x->fail);
	v[0] = x->ip;
	v[1] = x->rdns[0] != '\0' ? x->rdns : "-";
	v[2] = x->org;
	for (size_t i = 3; i < 12; i++)
		v[i] = nums[i];
	v[12] = ag_source_verdict(x);
}

void
ag_export_sources(FILE *f, enum ag_export_fmt fmt,
		  const struct ag_sources *s)
{
	const char *v[NSOURCE_COLS];
	char nums[NSOURCE_COLS][24];

	if (fmt == AG_EXPORT_CSV) {
		for (size_t c = 0; c < NSOURCE_COLS; c++)
			fprintf(f, "%s%s", c ? "," : "", source_cols[c]);
		fputc('\n', f);
	} else {
		fputs("[", f);
	}
	for (size_t i = 0; i < s->n; i++) {
		source_vals(&s->v[i], v, nums);
		if (fmt == AG_EXPORT_JSON)
			fputs(i ? ",\n{" : "\n{", f);
		for (size_t c = 0; c < NSOURCE_COLS; c++) {
			if (fmt == AG_EXPORT_CSV) {
				if (c)
					fputc(',', f);
				ag_esc_csv(f, v[c]);
				continue;
			}
			fprintf(f, "%s\"%s\":", c ? "," : "", source_cols[c]);
			/* columns 3..11 are ours, digits only (or "") */
			if (c < 3 || c == 12)
				ag_esc_json(f, v[c]);
			else
				fputs(v[c][0] != '\0' ? v[c] : "null", f);
		}
		fputs(fmt == AG_EXPORT_CSV ? "\n" : "}", f);
	}
	if (fmt == AG_EXPORT_JSON)
		fputs(s->n ? "\n]\n" : "]\n", f);
}

struct rec_out {
	FILE *f;
	enum ag_export_fmt fmt;
	bool first;
};

/* record_row - one record line (CSV) or object (JSON) */
static int
record_row(void *arg, int ncol, const char *const *v)
{
	struct rec_out *o = arg;

	if (ncol < (int)NRECORD_COLS)
		return 1;
	if (o->fmt == AG_EXPORT_JSON)
		fputs(o->first ? "\n{" : ",\n{", o->f);
	o->first = false;
	for (size_t c = 0; c < NRECORD_COLS; c++) {
		if (o->fmt == AG_EXPORT_CSV) {
			if (c)
				fputc(',', o->f);
			ag_esc_csv(o->f, v[c]);
			continue;
		}
		fprintf(o->f, "%s\"%s\":", c ? "," : "", record_cols[c].name);
		/* numbers re-printed, never copied: a corrupt store must
		 * not make the JSON invalid */
		if (record_cols[c].kind == NUM)
			fprintf(o->f, "%lld", strtoll(v[c], NULL, 10));
		else
			ag_esc_json(o->f, v[c]);
	}
	if (o->fmt == AG_EXPORT_CSV)
		fputc('\n', o->f);
	else
		fputc('}', o->f);
	return 0;
}

int
ag_export_records(struct ag_sql *db, const struct ag_rfilter *f,
		  FILE *out, enum ag_export_fmt fmt, struct ag_err *err)
{
	struct ag_rfilter_sql q;
	struct rec_out o = { out, fmt, true };
	char sql[1024];
	int rc;

	ag_rfilter_sql(f, &q);
	snprintf(sql, sizeof(sql), "%s%s ORDER BY p.date_begin, p.id, r.id",
		 sql_records, q.where);
	if (fmt == AG_EXPORT_CSV) {
		for (size_t c = 0; c < NRECORD_COLS; c++)
			fprintf(out, "%s%s", c ? "," : "", record_cols[c].name);
		fputc('\n', out);
	} else {
		fputc('[', out);
	}
	rc = ag_sql_query(db, sql, q.n, q.params, record_row, &o, err);
	if (rc == 1)
		rc = ag_err_set(err, AG_EINTERNAL, "records: short row");
	if (rc == AG_OK && fmt == AG_EXPORT_JSON)
		fputs(o.first ? "]\n" : "\n]\n", out);
	return rc;
}
