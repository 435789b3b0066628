/*
 * report/rdns.h - reverse DNS names of the sources in a report view
 * Use:     ag_rdns_new() (nameservers from --dns, or the system's);
 *          ag_rdns_fill(); ag_dns_free().
 * Owns:    nothing past the calls.
 * Threads: reentrant.
 * Limits:  a short timeout per lookup (AG_RDNS_TIMEOUT_MS, one retry);
 *          after AG_RDNS_MAX_FAILS timeouts in a row the resolver is
 *          taken as gone and the rest are not asked.
 */
#ifndef AG_REPORT_RDNS_H
#define AG_REPORT_RDNS_H

#include <stddef.h>

#include "report/sources.h"
#include "util/dns.h"

#define AG_RDNS_TIMEOUT_MS 1500
#define AG_RDNS_MAX_FAILS 3

int ag_rdns_new(struct ag_dns **dns_r, const char *const *ns, unsigned nns,
		struct ag_err *err) AG_MUST_CHECK;

/*
 * ag_rdns_fill - set each source's rdns: the first PTR name, "-" when
 * there is none (or dns is NULL: --no-dns). Each IP is asked once,
 * however many orgs reported it. Returns how many IPs got no answer
 * (timeout, server failure), for a warning.
 */
size_t ag_rdns_fill(struct ag_dns *dns, struct ag_sources *s);

struct ag_view_opts;

/*
 * ag_rdns_names - the subcommands' way: a resolver from the view's
 * options (none with --no-dns), fill, and a warning on stderr for a
 * resolver that cannot be made or IPs left without an answer; a DNS
 * problem costs the names, never the report
 */
void ag_rdns_names(const struct ag_view_opts *vo, struct ag_sources *s);

#endif
