/*
 * report/summary.c - authgate-report summary: the aggregate reports
 * others sent us, per sending source, for a terminal or as CSV/JSON
 *
 * The header says what the reports cover and what p=reject would do to
 * each domain now; the table says who sends as us and whether that mail
 * authenticates, so a domain owner can tell a forgotten service from a
 * forger before tightening the policy.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report/cli.h"
#include "report/escape.h"
#include "report/export.h"
#include "report/opt.h"
#include "report/overview.h"
#include "report/rdns.h"
#include "report/sources.h"

#define LIST_MAX 10		/* names listed in the header, then "..." */

/* display widths of the text columns: at least the title, at most these */
#define W_IP 39
#define W_NAME 40
#define W_ORG 30

static const char usage[] =
	"usage: authgate-report summary [--domain D] [--since T] [--until T]"
	" [--csv|--json] [--no-dns] [--dns ADDR[:PORT]]...\n";

/* cell - s cut and cleaned for the terminal, padded to width */
static void
cell(const char *s, size_t width, bool right)
{
	char buf[1024];
	size_t n = ag_esc_term(buf, sizeof(buf), s, width);

	if (right)
		printf("%*s%s", (int)(width - n), "", buf);
	else
		printf("%s%*s", buf, (int)(width - n), "");
}

/* put - s cut and cleaned for the terminal, unpadded */
static void
put(const char *s, size_t width)
{
	char buf[1024];

	ag_esc_term(buf, sizeof(buf), s, width);
	fputs(buf, stdout);
}

/* width_of - the widest value of a text column, within [min, max] */
static size_t
width_of(const struct ag_sources *s, size_t off, size_t min, size_t max)
{
	size_t w = min;
	char buf[1024];

	for (size_t i = 0; i < s->n && w < max; i++) {
		size_t n = ag_esc_term(buf, sizeof(buf),
				       (const char *)&s->v[i] + off, max);

		if (n > w)
			w = n;
	}
	return w;
}

static void
when(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t < 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, 32, "-");
}

/* header - what the reports cover, and p=reject per domain */
static void
header(const struct ag_overview *o)
{
	char a[32], b[32], pct[24];

	printf("Domains covered:  %zu", o->ndom);
	for (size_t i = 0; i < o->ndom && i < LIST_MAX; i++) {
		printf("%s", i ? ", " : " (");
		put(o->dom[i].domain, 60);
	}
	printf("%s\n", o->ndom > LIST_MAX ? ", ...)" : o->ndom ? ")" : "");
	printf("Reporting orgs:   %zu", o->norg);
	for (size_t i = 0; i < o->norg && i < LIST_MAX; i++) {
		printf("%s", i ? ", " : " (");
		put(o->org[i].name, 40);
	}
	printf("%s\n", o->norg > LIST_MAX ? ", ...)" : o->norg ? ")" : "");
	when(o->first, a);
	when(o->last, b);
	printf("Date range:       %s .. %s UTC (%" PRIu64 " reports)\n", a, b,
	       o->reports);
	printf("Total messages:   %" PRIu64 "\n", o->messages);
	ag_pct(pct, sizeof(pct), o->dmarc_pass, o->messages);
	printf("DMARC pass rate:  %s%s\n\n", pct[0] ? pct : "-",
	       pct[0] ? "%" : "");
	for (size_t i = 0; i < o->ndom; i++) {
		const struct ag_ov_domain *d = &o->dom[i];
		uint64_t fail = d->messages - d->dmarc_pass;
		char policy[64];

		snprintf(policy, sizeof(policy), "p=%s%s%s",
			 d->p[0] ? d->p : "?", d->pct[0] ? " pct=" : "",
			 d->pct);
		printf("  ");
		cell(d->domain, 40, false);
		printf("  now ");
		cell(policy, 24, false);
		ag_pct(pct, sizeof(pct), fail, d->messages);
		printf("  at p=reject: %s%s rejected (%" PRIu64 " of %" PRIu64
		       " messages)\n", pct[0] ? pct : "-", pct[0] ? "%" : "",
		       fail, d->messages);
	}
	if (o->ndom > 0)
		printf("\n");
}

/* table - one line per source, most messages first */
static void
table(const struct ag_sources *s)
{
	size_t wip = width_of(s, offsetof(struct ag_source, ip), 9, W_IP);
	size_t wname = width_of(s, offsetof(struct ag_source, rdns), 12,
				W_NAME);
	size_t worg = width_of(s, offsetof(struct ag_source, org), 3, W_ORG);
	char n[24], pct[24];

	cell("SOURCE IP", wip, false);
	printf("  ");
	cell("REVERSE NAME", wname, false);
	printf("  ");
	cell("ORG", worg, false);
	printf("  MESSAGES   SPF%%  DKIM%% DMARC%%  UNALIGNED  AT P=REJECT"
	       "  VERDICT\n");
	for (size_t i = 0; i < s->n; i++) {
		const struct ag_source *x = &s->v[i];

		cell(x->ip, wip, false);
		printf("  ");
		cell(x->rdns[0] ? x->rdns : "-", wname, false);
		printf("  ");
		cell(x->org, worg, false);
		snprintf(n, sizeof(n), "%" PRIu64, x->messages);
		printf("  %8s", n);
		printf(" %6s", ag_pct(pct, sizeof(pct), x->spf_pass,
				      x->messages));
		printf(" %6s", ag_pct(pct, sizeof(pct), x->dkim_pass,
				      x->messages));
		printf(" %6s", ag_pct(pct, sizeof(pct), x->dmarc_pass,
				      x->messages));
		printf("  %9" PRIu64 "  %11" PRIu64 "  %s\n", x->unaligned,
		       x->fail, ag_source_verdict(x));
	}
}

int
ag_report_summary(const struct ag_report_env *env, int argc, char **argv)
{
	struct ag_view_opts vo;
	struct ag_sources src = { NULL, 0 };
	struct ag_overview ov;
	struct ag_sql *db = NULL;
	struct ag_err err = { 0, "" };
	int fmt = -1;		/* -1 table, else enum ag_export_fmt */
	int ret = 0, rc;
	bool have_ov = false;
	const char *why;

	ag_view_opts_init(&vo);
	for (int i = 1; i < argc; i++) {
		int r = ag_view_opt(&vo, argc, argv, &i, (int64_t)time(NULL),
				    &why);

		if (r < 0) {
			fprintf(stderr, "authgate-report: summary: %s\n%s",
				why, usage);
			return 2;
		}
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--csv") == 0 && fmt < 0) {
			fmt = AG_EXPORT_CSV;
		} else if (strcmp(argv[i], "--json") == 0 && fmt < 0) {
			fmt = AG_EXPORT_JSON;
		} else {
			fprintf(stderr, "authgate-report: summary: %s '%s'\n%s",
				fmt >= 0 && (strcmp(argv[i], "--csv") == 0 ||
					     strcmp(argv[i], "--json") == 0) ?
				"one of --csv and --json" : "unknown argument",
				argv[i], usage);
			return 2;
		}
	}
	if ((db = ag_report_open_store(env)) == NULL)
		return 75;
	if ((rc = ag_sources_load(db, &vo.filter, &src, &err)) != AG_OK)
		goto fail;
	if (fmt < 0) {
		if ((rc = ag_overview_load(db, &vo.filter, &ov, &err)) != AG_OK)
			goto fail;
		have_ov = true;
	}
	ag_rdns_names(&vo, &src);
	if (fmt >= 0) {
		ag_export_sources(stdout, (enum ag_export_fmt)fmt, &src);
	} else if (ov.reports == 0) {
		printf("No aggregate reports stored%s.\n",
		       vo.filter.domain || vo.filter.since >= 0 ||
		       vo.filter.until >= 0 ? " for this selection" : "");
	} else {
		header(&ov);
		table(&src);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "authgate-report: summary: write error\n");
		ret = 1;
	}
	goto out;
fail:
	fprintf(stderr, "authgate-report: summary: %s\n",
		err.msg[0] ? err.msg : ag_strerror(rc));
	ret = ag_view_exit(rc);
out:
	if (have_ov)
		ag_overview_free(&ov);
	ag_sources_free(&src);
	ag_sql_close(db);
	return ret;
}
