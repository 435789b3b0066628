/*
 * report/charts.c - SVG line and bar charts, written straight to a
 * stream
 *
 * Fixed canvas sizes (viewBox, so the page can scale them); coordinates
 * in one-decimal pixels. Colours from one palette that stays apart for
 * the usual colour-blindness kinds.
 */
#include "report/charts.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/escape.h"

static const char *const palette[] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
	"#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"
};
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))

/* label - report text for a chart: escaped, at most width characters */
static void
label(FILE *f, const char *s, size_t width)
{
	char buf[1024];

	ag_esc_term(buf, sizeof(buf), s, width);
	ag_esc_html(f, buf);
}

/* day_text - "YYYY-MM-DD" of a day number */
static void
day_text(int64_t day, char buf[16])
{
	time_t t = (time_t)(day * 86400);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, 16, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, 16, "?");
}

static void
svg_open(FILE *f, const char *id, int w, int h, const char *title)
{
	fprintf(f, "<svg id=\"%s\" class=\"chart\" viewBox=\"0 0 %d %d\" "
		"width=\"%d\" height=\"%d\" role=\"img\" "
		"aria-label=\"%s\">\n", id, w, h, w, h, title);
}

static void
no_data(FILE *f, const char *id, const char *title)
{
	svg_open(f, id, 600, 80, title);
	fputs("<rect x=\"1\" y=\"1\" width=\"598\" height=\"78\" "
	      "fill=\"#f6f6f6\" stroke=\"#bbb\"/>\n"
	      "<text x=\"300\" y=\"46\" text-anchor=\"middle\" "
	      "font-size=\"18\" fill=\"#555\">no data</text>\n</svg>\n", f);
}

/* ---- pass rate over time ---- */

#define PR_W 960
#define PR_H 380
#define PR_L 56			/* plot area */
#define PR_T 16
#define PR_PW 640
#define PR_PH 300

/* series - [start, end) of the next domain's points from i */
static size_t
series_end(const struct ag_daily *d, size_t i)
{
	size_t j = i;

	while (j < d->n && strcmp(d->v[j].domain, d->v[i].domain) == 0)
		j++;
	return j;
}

static double
px_day(int64_t day, int64_t lo, int64_t hi)
{
	if (hi == lo)
		return PR_L + PR_PW / 2.0;
	return PR_L + (double)(day - lo) * PR_PW / (double)(hi - lo);
}

static double
py_pct(const struct ag_daily_point *p)
{
	return PR_T + PR_PH -
	       (double)p->dmarc_pass * PR_PH / (double)p->messages;
}

/* passrate_axes - grid, y labels 0..100 %, up to 7 dated x ticks */
static void
passrate_axes(FILE *f, int64_t lo, int64_t hi)
{
	int64_t span = hi - lo, step = span / 6 + (span % 6 != 0);
	char day[16];

	for (int y = 0; y <= 100; y += 25) {
		double py = PR_T + PR_PH - y * PR_PH / 100.0;

		fprintf(f, "<path d=\"M%d %.1fH%d\" stroke=\"#ddd\"/>"
			"<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" "
			"font-size=\"12\">%d%%</text>\n", PR_L, py,
			PR_L + PR_PW, PR_L - 6, py + 4, y);
	}
	if (step == 0)
		step = 1;
	for (int64_t t = lo; t <= hi; t += step) {
		double px = px_day(t, lo, hi);

		day_text(t, day);
		fprintf(f, "<path d=\"M%.1f %dv5\" stroke=\"#333\"/>"
			"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
			"font-size=\"12\">%s</text>\n", px, PR_T + PR_PH, px,
			PR_T + PR_PH + 20, day);
	}
	fprintf(f, "<path d=\"M%d %dV%dH%d\" stroke=\"#333\" fill=\"none\"/>\n"
		"<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
		"font-size=\"12\">day (UTC)</text>\n"
		"<text x=\"14\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\""
		" transform=\"rotate(-90 14 %d)\">DMARC pass</text>\n",
		PR_L, PR_T, PR_T + PR_PH, PR_L + PR_PW, PR_L + PR_PW / 2,
		PR_T + PR_PH + 44, PR_T + PR_PH / 2, PR_T + PR_PH / 2);
}

/* passrate_line - one domain's line, point markers with a tooltip, and
 * its legend entry */
static void
passrate_line(FILE *f, const struct ag_daily *d, size_t i, size_t j,
	      int64_t lo, int64_t hi, unsigned nth)
{
	const char *color = palette[nth % NPALETTE];
	bool first = true;
	char day[16];
	int ly = PR_T + 8 + (int)nth * 20;

	fprintf(f, "<path fill=\"none\" stroke-width=\"2\" stroke=\"%s\" d=\"",
		color);
	for (size_t k = i; k < j; k++) {
		if (d->v[k].messages == 0)
			continue;
		fprintf(f, "%s%.1f %.1f", first ? "M" : "L",
			px_day(d->v[k].day, lo, hi), py_pct(&d->v[k]));
		first = false;
	}
	fputs("\"/>\n", f);
	for (size_t k = i; k < j; k++) {
		const struct ag_daily_point *p = &d->v[k];

		if (p->messages == 0)
			continue;
		day_text(p->day, day);
		fprintf(f, "<circle r=\"3.5\" fill=\"%s\" cx=\"%.1f\" "
			"cy=\"%.1f\"><title>", color,
			px_day(p->day, lo, hi), py_pct(p));
		label(f, p->domain, 80);
		fprintf(f, " %s: %" PRIu64 " of %" PRIu64
			" messages pass</title></circle>\n", day,
			p->dmarc_pass, p->messages);
	}
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" "
		"fill=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"13\">",
		PR_L + PR_PW + 24, ly, color, PR_L + PR_PW + 44, ly + 12);
	label(f, d->v[i].domain, 34);
	fputs("</text>\n", f);
}

void
ag_chart_passrate(FILE *f, const char *id, const struct ag_daily *d)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	size_t ndom = 0, drawn = 0;

	for (size_t i = 0; i < d->n; i++) {
		if (d->v[i].messages == 0)
			continue;
		if (d->v[i].day < lo)
			lo = d->v[i].day;
		if (d->v[i].day > hi)
			hi = d->v[i].day;
	}
	if (lo > hi) {
		no_data(f, id, "DMARC pass rate per day: no data");
		return;
	}
	svg_open(f, id, PR_W, PR_H, "DMARC pass rate per day and domain");
	passrate_axes(f, lo, hi);
	for (size_t i = 0; i < d->n; i = series_end(d, i)) {
		ndom++;
		if (drawn < AG_CHART_MAX_LINES)
			passrate_line(f, d, i, series_end(d, i), lo, hi,
				      (unsigned)drawn++);
	}
	if (drawn < ndom)
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\">"
			"(%zu more not drawn)</text>\n", PR_L + PR_PW + 24,
			PR_T + 24 + (int)drawn * 20, ndom - drawn);
	fputs("</svg>\n", f);
}

/* ---- top failing sources ---- */

#define FB_LABEL 470		/* bars start here */
#define FB_BAR 380		/* longest bar */
#define FB_ROW 26

static int
by_fail(const void *a, const void *b)
{
	const struct ag_source *const *x = a, *const *y = b;

	if ((*x)->fail != (*y)->fail)
		return (*x)->fail > (*y)->fail ? -1 : 1;
	return strcmp((*x)->ip, (*y)->ip);
}

/* top_failing - up to AG_CHART_TOP sources with failing messages, most
 * first, into top; how many */
static size_t
top_failing(const struct ag_sources *s,
	    const struct ag_source *top[AG_CHART_TOP])
{
	size_t n = 0;

	/* keep the top few by insertion: no copy of a large set */
	for (size_t i = 0; i < s->n; i++) {
		const struct ag_source *x = &s->v[i];
		size_t k;

		if (x->fail == 0)
			continue;
		if (n == AG_CHART_TOP && by_fail(&x, &top[n - 1]) >= 0)
			continue;
		k = n < AG_CHART_TOP ? n++ : n - 1;
		while (k > 0 && by_fail(&x, &top[k - 1]) < 0) {
			top[k] = top[k - 1];
			k--;
		}
		top[k] = x;
	}
	return n;
}

void
ag_chart_failing(FILE *f, const char *id, const struct ag_sources *s)
{
	const struct ag_source *top[AG_CHART_TOP];
	size_t n = top_failing(s, top);
	char who[1024];

	if (n == 0) {
		no_data(f, id, "Top failing sources: no DMARC failures");
		return;
	}
	svg_open(f, id, FB_LABEL + FB_BAR + 110, 12 + (int)n * FB_ROW,
		 "Sources with the most DMARC-failing messages");
	for (size_t i = 0; i < n; i++) {
		const struct ag_source *x = top[i];
		double w = (double)x->fail * FB_BAR / (double)top[0]->fail;
		int y = 6 + (int)i * FB_ROW;

		snprintf(who, sizeof(who), "%s / %s / %s", x->ip,
			 x->rdns[0] ? x->rdns : "-", x->org);
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" "
			"font-size=\"12\">", FB_LABEL - 8, y + 15);
		label(f, who, 66);
		fprintf(f, "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" "
			"height=\"%d\" fill=\"#d62728\"><title>", FB_LABEL, y,
			w < 1 ? 1.0 : w, FB_ROW - 6);
		label(f, who, 300);
		fprintf(f, ": %" PRIu64 " failing of %" PRIu64 "</title></rect>"
			"<text x=\"%.1f\" y=\"%d\" font-size=\"12\">%" PRIu64
			"</text>\n", x->fail, x->messages,
			FB_LABEL + (w < 1 ? 1.0 : w) + 6, y + 15, x->fail);
	}
	fputs("</svg>\n", f);
}

/* ---- dispositions ---- */

#define DB_W 520
#define DB_H 260
#define DB_BASE 210		/* bars stand on this line */
#define DB_MAXH 170

void
ag_chart_disposition(FILE *f, const char *id, const struct ag_overview *o)
{
	const struct {
		const char *name, *color;
		uint64_t n;
	} bar[] = {
		{ "none", "#2ca02c", o->none },
		{ "quarantine", "#ff7f0e", o->quarantine },
		{ "reject", "#d62728", o->reject },
		{ "other", "#7f7f7f", o->other },
	};
	size_t nbar = o->other > 0 ? 4 : 3;
	uint64_t max = 0, total = 0;
	char pct[24];

	for (size_t i = 0; i < nbar; i++) {
		total += bar[i].n;
		if (bar[i].n > max)
			max = bar[i].n;
	}
	if (total == 0) {
		no_data(f, id, "Dispositions: no data");
		return;
	}
	svg_open(f, id, DB_W, DB_H, "Messages per disposition");
	fprintf(f, "<path d=\"M20 %dH%d\" stroke=\"#333\"/>\n", DB_BASE,
		DB_W - 20);
	for (size_t i = 0; i < nbar; i++) {
		double h = (double)bar[i].n * DB_MAXH / (double)max;
		int x = 50 + (int)i * 115;

		ag_pct(pct, sizeof(pct), bar[i].n, total);
		fprintf(f, "<rect x=\"%d\" y=\"%.1f\" width=\"80\" "
			"height=\"%.1f\" fill=\"%s\"><title>%s: %" PRIu64
			" messages</title></rect>\n"
			"<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\" "
			"font-size=\"12\">%" PRIu64 " (%s%%)</text>\n"
			"<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
			"font-size=\"13\">%s</text>\n",
			x, DB_BASE - h, h, bar[i].color, bar[i].name, bar[i].n,
			x + 40, DB_BASE - h - 6, bar[i].n, pct, x + 40,
			DB_BASE + 20, bar[i].name);
	}
	fputs("</svg>\n", f);
}
