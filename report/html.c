/*
 * report/html.c - authgate-report html: one static page (DIR/index.html)
 * about the aggregate reports others sent us, and with --csv/--json the
 * data behind it
 *
 * The page works offline and from a mail attachment: inline CSS and SVG,
 * no script, no external asset, and a Content-Security-Policy that
 * would refuse any script or remote load even if an escape were
 * missed: every text on it comes from reports anyone can send us.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "report/charts.h"
#include "report/cli.h"
#include "report/daily.h"
#include "report/escape.h"
#include "report/export.h"
#include "report/opt.h"
#include "report/overview.h"
#include "report/rdns.h"
#include "report/sources.h"

#define TABLE_MAX 1000		/* source rows on the page; all in the files */
#define PATH_MAX_LEN 4096

static const char usage[] =
	"usage: authgate-report html -o DIR [--domain D] [--since T]"
	" [--until T] [--csv] [--json] [--no-dns] [--dns ADDR[:PORT]]...\n";

static const char style[] =
	"body{font-family:sans-serif;margin:24px;color:#222;max-width:1150px}"
	"h1{font-size:22px}h2{font-size:18px;margin-top:28px}"
	"table{border-collapse:collapse;font-size:13px}"
	"th,td{border:1px solid #ccc;padding:3px 7px;text-align:left}"
	"td.n{text-align:right}th{background:#eee}"
	"tr.bad td{background:#fde8e8}tr.part td{background:#fff4e0}"
	".chart{max-width:100%;height:auto;display:block}"
	"dl{display:grid;grid-template-columns:max-content auto;gap:2px 14px}"
	"dt{font-weight:bold}dd{margin:0}";

struct page {
	const struct ag_overview *ov;
	const struct ag_sources *src;
	const struct ag_daily *daily;
};

static void
when(FILE *f, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (t < 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, sizeof(buf), "-");
	fputs(buf, f);
}

/* td - one escaped cell */
static void
td(FILE *f, const char *cls, const char *s)
{
	fprintf(f, "<td%s>", cls);
	ag_esc_html(f, s);
	fputs("</td>", f);
}

/* overview - the header facts and the per-domain p=reject line */
static void
overview(FILE *f, const struct ag_overview *o)
{
	char pct[24];

	fputs("<dl>\n<dt>Domains covered</dt><dd>", f);
	for (size_t i = 0; i < o->ndom; i++) {
		fputs(i ? ", " : "", f);
		ag_esc_html(f, o->dom[i].domain);
	}
	fprintf(f, "</dd>\n<dt>Reporting orgs</dt><dd>%zu: ", o->norg);
	for (size_t i = 0; i < o->norg; i++) {
		fputs(i ? ", " : "", f);
		ag_esc_html(f, o->org[i].name);
		fprintf(f, " (%" PRIu64 ")", o->org[i].reports);
	}
	fputs("</dd>\n<dt>Date range</dt><dd>", f);
	when(f, o->first);
	fputs(" .. ", f);
	when(f, o->last);
	fprintf(f, " UTC, %" PRIu64 " reports</dd>\n"
		"<dt>Total messages</dt><dd>%" PRIu64 "</dd>\n"
		"<dt>DMARC pass rate</dt><dd>%s%%</dd>\n</dl>\n", o->reports,
		o->messages,
		ag_pct(pct, sizeof(pct), o->dmarc_pass, o->messages));
	fputs("<table><tr><th>Domain</th><th>Published now</th>"
	      "<th>Messages</th><th>Rejected at p=reject</th></tr>\n", f);
	for (size_t i = 0; i < o->ndom; i++) {
		const struct ag_ov_domain *d = &o->dom[i];

		fputs("<tr>", f);
		td(f, "", d->domain);
		fputs("<td>p=", f);
		ag_esc_html(f, d->p[0] ? d->p : "?");
		if (d->pct[0]) {
			fputs(" pct=", f);
			ag_esc_html(f, d->pct);
		}
		fprintf(f, "</td><td class=\"n\">%" PRIu64 "</td>"
			"<td class=\"n\">%s%%</td></tr>\n", d->messages,
			ag_pct(pct, sizeof(pct), d->messages - d->dmarc_pass,
			       d->messages));
	}
	fputs("</table>\n", f);
}

/* sources_table - the summary table; rows coloured by verdict */
static void
sources_table(FILE *f, const struct ag_sources *s)
{
	char pct[24];

	if (s->n == 0) {
		fputs("<p>no data</p>\n", f);
		return;
	}
	fputs("<table id=\"sources\"><tr><th>Source IP</th>"
	      "<th>Reverse name</th><th>Org</th><th>Messages</th>"
	      "<th>SPF pass</th><th>DKIM pass</th><th>DMARC pass</th>"
	      "<th>Alignment failures</th><th>At p=reject</th>"
	      "<th>Verdict</th></tr>\n", f);
	for (size_t i = 0; i < s->n && i < TABLE_MAX; i++) {
		const struct ag_source *x = &s->v[i];

		fprintf(f, "<tr%s>", x->fail == 0 ? "" :
			x->fail == x->messages ? " class=\"bad\"" :
			" class=\"part\"");
		td(f, "", x->ip);
		td(f, "", x->rdns[0] ? x->rdns : "-");
		td(f, "", x->org);
		fprintf(f, "<td class=\"n\">%" PRIu64 "</td>", x->messages);
		fprintf(f, "<td class=\"n\">%s%%</td>",
			ag_pct(pct, sizeof(pct), x->spf_pass, x->messages));
		fprintf(f, "<td class=\"n\">%s%%</td>",
			ag_pct(pct, sizeof(pct), x->dkim_pass, x->messages));
		fprintf(f, "<td class=\"n\">%s%%</td>",
			ag_pct(pct, sizeof(pct), x->dmarc_pass, x->messages));
		fprintf(f, "<td class=\"n\">%" PRIu64 "</td>"
			"<td class=\"n\">%" PRIu64 "</td>", x->unaligned,
			x->fail);
		td(f, "", ag_source_verdict(x));
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
	if (s->n > TABLE_MAX)
		fprintf(f, "<p>First %d of %zu sources; all are in "
			"sources.csv / sources.json (--csv, --json).</p>\n",
			TABLE_MAX, s->n);
}

static void
write_page(FILE *f, const struct page *pg)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head>"
	      "<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" "
	      "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n"
	      "<title>DMARC aggregate reports</title>\n<style>", f);
	fputs(style, f);
	fputs("</style></head><body>\n<h1>DMARC aggregate reports "
	      "received</h1>\n", f);
	overview(f, pg->ov);
	fputs("<h2>DMARC pass rate per day</h2>\n", f);
	ag_chart_passrate(f, "chart-passrate", pg->daily);
	fputs("<h2>Top failing sources</h2>\n", f);
	ag_chart_failing(f, "chart-failing", pg->src);
	fputs("<h2>Dispositions applied by the receivers</h2>\n", f);
	ag_chart_disposition(f, "chart-disposition", pg->ov);
	fputs("<h2>Sending sources</h2>\n", f);
	sources_table(f, pg->src);
	fputs("</body></html>\n", f);
}

/*
 * emit - write DIR/NAME through DIR/NAME.tmp and rename, so a reader
 * never sees half a file; one of page, sources or records (db)
 */
static int
emit(const char *dir, const char *name, const struct page *pg,
     int fmt, struct ag_sql *db, const struct ag_rfilter *flt,
     struct ag_err *err)
{
	char path[PATH_MAX_LEN], tmp[PATH_MAX_LEN + 8];
	FILE *f;
	int rc = AG_OK;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return ag_err_set(err, AG_EINVAL, "%s: path too long", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return ag_err_set(err, AG_EINVAL, "%s: %s", tmp,
				  strerror(errno));
	if (db != NULL)
		rc = ag_export_records(db, flt, f, (enum ag_export_fmt)fmt,
				       err);
	else if (fmt >= 0)
		ag_export_sources(f, (enum ag_export_fmt)fmt, pg->src);
	else
		write_page(f, pg);
	if (ferror(f) && rc == AG_OK)
		rc = ag_err_set(err, AG_EINTERNAL, "%s: write error", tmp);
	if (fclose(f) != 0 && rc == AG_OK)
		rc = ag_err_set(err, AG_EINTERNAL, "%s: %s", tmp,
				strerror(errno));
	if (rc == AG_OK && rename(tmp, path) != 0)
		rc = ag_err_set(err, AG_EINTERNAL, "%s: %s", path,
				strerror(errno));
	if (rc != AG_OK)
		remove(tmp);
	return rc;
}

/* outputs - the files asked for, page last (it is the one people open) */
static int
outputs(const char *dir, bool csv, bool json, const struct page *pg,
	struct ag_sql *db, const struct ag_rfilter *flt, struct ag_err *err)
{
	int rc = AG_OK;

	if (csv && (rc = emit(dir, "sources.csv", pg, AG_EXPORT_CSV, NULL,
			      flt, err)) == AG_OK)
		rc = emit(dir, "records.csv", pg, AG_EXPORT_CSV, db, flt, err);
	if (rc == AG_OK && json &&
	    (rc = emit(dir, "sources.json", pg, AG_EXPORT_JSON, NULL, flt,
		       err)) == AG_OK)
		rc = emit(dir, "records.json", pg, AG_EXPORT_JSON, db, flt,
			  err);
	if (rc == AG_OK)
		rc = emit(dir, "index.html", pg, -1, NULL, flt, err);
	return rc;
}

int
ag_report_html(const struct ag_report_env *env, int argc, char **argv)
{
	struct ag_view_opts vo;
	struct ag_sources src = { NULL, 0 };
	struct ag_daily daily = { NULL, 0 };
	struct ag_overview ov;
	struct page pg = { &ov, &src, &daily };
	struct ag_sql *db = NULL;
	struct ag_err err = { 0, "" };
	const char *dir = NULL, *why;
	bool csv = false, json = false, have_ov = false;
	int ret = 0, rc;

	ag_view_opts_init(&vo);
	for (int i = 1; i < argc; i++) {
		int r = ag_view_opt(&vo, argc, argv, &i, (int64_t)time(NULL),
				    &why);

		if (r < 0) {
			fprintf(stderr, "authgate-report: html: %s\n%s", why,
				usage);
			return 2;
		}
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--csv") == 0) {
			csv = true;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (ag_opt_value(argc, argv, &i, "-o", &dir) ||
			   ag_opt_value(argc, argv, &i, "--output", &dir)) {
			if (dir == NULL || dir[0] == '\0') {
				fprintf(stderr, "authgate-report: html: -o "
					"needs a directory\n%s", usage);
				return 2;
			}
		} else {
			fprintf(stderr, "authgate-report: html: unknown "
				"argument '%s'\n%s", argv[i], usage);
			return 2;
		}
	}
	if (dir == NULL) {
		fprintf(stderr, "authgate-report: html: -o DIR is required\n%s",
			usage);
		return 2;
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "authgate-report: html: %s: %s\n", dir,
			strerror(errno));
		return 1;
	}
	if ((db = ag_report_open_store(env)) == NULL)
		return 75;
	if ((rc = ag_sources_load(db, &vo.filter, &src, &err)) != AG_OK ||
	    (rc = ag_daily_load(db, &vo.filter, &daily, &err)) != AG_OK)
		goto fail;
	if ((rc = ag_overview_load(db, &vo.filter, &ov, &err)) != AG_OK)
		goto fail;
	have_ov = true;
	ag_rdns_names(&vo, &src);
	if ((rc = outputs(dir, csv, json, &pg, db, &vo.filter, &err)) !=
	    AG_OK)
		goto fail;
	goto out;
fail:
	fprintf(stderr, "authgate-report: html: %s\n",
		err.msg[0] ? err.msg : ag_strerror(rc));
	ret = ag_view_exit(rc);
out:
	if (have_ov)
		ag_overview_free(&ov);
	ag_daily_free(&daily);
	ag_sources_free(&src);
	ag_sql_close(db);
	return ret;
}
