/*
 * report/opt.h - the options authgate-report summary and html share
 * Use:     ag_view_opts_init(); for each argv[i], ag_view_opt() first,
 *          then the subcommand's own options.
 * Owns:    nothing: every string points into argv.
 * Threads: reentrant (no getopt state, so a subcommand can run twice in
 *          one process, as the unit tests do).
 */
#ifndef AG_REPORT_OPT_H
#define AG_REPORT_OPT_H

#include <stdbool.h>
#include <stdint.h>

#include "report/filter.h"
#include "util/dns.h"

struct ag_view_opts {
	struct ag_rfilter filter;
	bool no_dns;
	const char *ns[AG_DNS_MAX_NS];	/* --dns, in order */
	unsigned nns;
};

void ag_view_opts_init(struct ag_view_opts *o);

/*
 * ag_opt_value - when argv[*i] is NAME ("NAME VALUE" or "NAME=VALUE"):
 * true with *val_r the value (NULL when it is missing) and *i on the
 * last word used; false otherwise
 */
bool ag_opt_value(int argc, char **argv, int *i, const char *name,
		  const char **val_r);

/*
 * ag_view_opt - take argv[*i] when it is --domain, --since, --until,
 * --no-dns or --dns: 1 taken, 0 not one of these, -1 bad (why in
 * why_r, a fixed text, for the caller's message)
 */
int ag_view_opt(struct ag_view_opts *o, int argc, char **argv, int *i,
		int64_t now, const char **why_r);

/*
 * ag_view_exit - the exit status for an AG_E* code of a store or DNS
 * step (report/cli.h): 75 temporary, 2 configuration (bad location,
 * tables missing), 1 otherwise
 */
int ag_view_exit(int rc);

#endif
