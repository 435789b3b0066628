/*
 * policy/dmarc.h - what a DMARC outcome does to the message (interim
 * DMARCEnforce, DMARCTempErrorAction and RejectMultipleFrom keys until the
 * rule engine replaces them)
 * Use:     ag_policy_dmarc_from() for a message whose From cannot give one
 *          author domain; ag_policy_dmarc() with the evaluation.
 * Owns:    plain values only.
 * Threads: reentrant; the settings are immutable.
 */
#ifndef AG_POLICY_DMARC_H
#define AG_POLICY_DMARC_H

#include <stdbool.h>

#include "dmarc/evaluate.h"
#include "policy/verdict.h"

struct ag_policy_dmarc_config {
	bool enforce;		/* DMARCEnforce: apply the disposition */
	bool temperror_tempfail; /* DMARCTempErrorAction tempfail */
	bool reject_bad_from;	/* RejectMultipleFrom: no From, several,
				 * or several author domains */
};

/* why a message has no single author domain */
enum ag_from_problem {
	AG_FROM_OK = 0,
	AG_FROM_NONE,		/* no From field */
	AG_FROM_SEVERAL,	/* more than one From field */
	AG_FROM_DOMAINS,	/* one field, several author domains */
	AG_FROM_NO_DOMAIN	/* no usable author domain in it */
};

const char *ag_from_problem_name(enum ag_from_problem p);

/*
 * ag_policy_dmarc_from - RejectMultipleFrom: reject (550 5.7.1) a message
 * whose From is the problem given; with the key off nothing changes and
 * the caller evaluates every author domain
 */
void ag_policy_dmarc_from(const struct ag_policy_dmarc_config *cfg,
			  enum ag_from_problem p, struct ag_verdict *v);

/*
 * ag_policy_dmarc - apply one evaluation of domain: with DMARCEnforce a
 * fail with disposition reject rejects (550 5.7.1), quarantine sets
 * v->quarantine; a temperror tempfails (451 4.7.1) when configured
 */
void ag_policy_dmarc(const struct ag_policy_dmarc_config *cfg,
		     const struct ag_dmarc_eval *ev, const char *domain,
		     struct ag_verdict *v);

#endif
