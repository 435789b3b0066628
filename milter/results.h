/*
 * milter/results.h - our Authentication-Results field body for one message
 * Use:     ag_results_authres() at end of message, once every check has
 *          finished (decide.c); the field goes on top of the header, and
 *          its payload into the ARC-Authentication-Results when sealing.
 * Owns:    *ar_r is the caller's (ag_authres_free()).
 * Threads: one session, one thread.
 * Errors:  AG_ENOMEM, AG_ELIMIT (over AG_AUTHRES_MAX bytes).
 */
#ifndef AG_MILTER_RESULTS_H
#define AG_MILTER_RESULTS_H

#include "milter/session.h"
#include "policy/authres.h"

/* ag_results_authres - "authserv-id; auth=...; spf=...; dkim=...;
 * dmarc=...; arc=..." (each clause only for the checks that ran) */
int ag_results_authres(const struct ag_session *s, struct ag_authres **ar_r)
	AG_MUST_CHECK;

#endif
