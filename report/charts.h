/*
 * report/charts.h - the inline SVG charts of authgate-report html
 * Use:     each function writes one <svg> element with the given id,
 *          drawn from the data (paths, rects, circles); with nothing to
 *          draw it writes a visible "no data" instead of empty axes.
 * Owns:    nothing.
 * Threads: reentrant.
 * Text:    every label is report data: HTML-escaped, control characters
 *          replaced, cut to a readable length.
 */
#ifndef AG_REPORT_CHARTS_H
#define AG_REPORT_CHARTS_H

#include <stdio.h>

#include "report/daily.h"
#include "report/overview.h"
#include "report/sources.h"

#define AG_CHART_MAX_LINES 20	/* domains drawn in the pass-rate chart */
#define AG_CHART_TOP 10		/* bars in the failing-sources chart */

/* ag_chart_passrate - DMARC pass % per UTC day, one line per domain */
void ag_chart_passrate(FILE *f, const char *id, const struct ag_daily *d);

/* ag_chart_failing - the sources with the most DMARC-failing messages */
void ag_chart_failing(FILE *f, const char *id, const struct ag_sources *s);

/* ag_chart_disposition - messages per policy_evaluated disposition */
void ag_chart_disposition(FILE *f, const char *id,
			  const struct ag_overview *o);

#endif
