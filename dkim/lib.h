/*
 * dkim/lib.h - the libopendkim library handle of one configuration
 * Use:     ag_dkim_lib_new() once per configuration snapshot, handed to
 *          dkim/verify.h and dkim/sign.h; ag_dkim_lib_free() with the
 *          snapshot.
 * Owns:    one DKIM_LIB, whose DNS hooks (dkim_dns_set_query_service/
 *          start/waitreply/cancel) ask util/dns, so key lookups use the
 *          configured nameservers and the shared cache. The resolver is
 *          borrowed and must outlive the library handle.
 * Threads: immutable after _new(); libopendkim documents one DKIM_LIB
 *          shared by all threads with one DKIM handle per message
 *          (docs/overview.html), which is how verify.c and sign.c use it.
 * Errors:  AG_OK, AG_ENOMEM, AG_EINVAL (bad settings), AG_EINTERNAL.
 */
#ifndef AG_DKIM_LIB_H
#define AG_DKIM_LIB_H

#include <stdbool.h>
#include <time.h>

#include "util/err.h"

struct ag_dns;
struct ag_dkim_lib;

struct ag_dkim_lib_config {
	unsigned max_sigs;	/* signatures verified per message; 5 */
	bool accept_sha1;	/* rsa-sha1: false = "policy" (RFC 8301) */
	unsigned min_rsa_bits;	/* 1024 (RFC 8301 3.2); smaller keys fail */
	time_t fixed_time;	/* 0: the clock; else "now" (tests, x=/t=) */
	unsigned clock_drift;	/* seconds of t= in the future tolerated;
				 * 300 */
};

void ag_dkim_lib_config_defaults(struct ag_dkim_lib_config *cfg);

int ag_dkim_lib_new(struct ag_dkim_lib **lib_r,
		    const struct ag_dkim_lib_config *cfg, struct ag_dns *dns,
		    struct ag_err *err) AG_MUST_CHECK;
void ag_dkim_lib_free(struct ag_dkim_lib **lib);

#endif
