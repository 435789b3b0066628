/*
 * policy/verdict.h - what to tell the MTA about one message
 * Use:     ag_verdict_init() to accept, then ag_policy_spf() (and the
 *          later checks) may harden it; the strictest outcome wins.
 * Owns:    plain values only.
 * Threads: one verdict per message; the policy settings are immutable.
 *
 * The interim SPF keys (SPFFailAction, SPFTempErrorAction) live here until
 * the rule engine replaces them.
 */
#ifndef AG_POLICY_VERDICT_H
#define AG_POLICY_VERDICT_H

#include <stdbool.h>

#include "spf/spf.h"

enum ag_action {
	AG_ACTION_ACCEPT = 0,	/* deliver (with our header) */
	AG_ACTION_TEMPFAIL,	/* 4xx: the MTA keeps or retries it */
	AG_ACTION_REJECT	/* 5xx */
};

#define AG_VERDICT_TEXT_MAX 200

struct ag_verdict {
	enum ag_action action;
	char rcode[4];		/* "550", "451" */
	char xcode[10];		/* "5.7.23" */
	char text[AG_VERDICT_TEXT_MAX]; /* printable ASCII, no '%' */
	const char *reason;	/* short word for the log: "spf-fail" */
	bool quarantine;	/* accept, but into the MTA's hold queue */
};

struct ag_policy_spf_config {
	int fail_reject;	/* SPFFailAction reject */
	int temperror_tempfail;	/* SPFTempErrorAction tempfail */
};

void ag_verdict_init(struct ag_verdict *v);

/* ag_verdict_name - "accept", "tempfail", "reject" */
const char *ag_verdict_name(const struct ag_verdict *v);

/*
 * ag_policy_spf - apply the SPF settings to the MAIL FROM identity's
 * outcome (check_host() of RFC 7208 2.4). A NULL outcome (SPF skipped
 * for an internal or authenticated client) changes nothing.
 */
void ag_policy_spf(const struct ag_policy_spf_config *cfg,
		   const struct ag_spf_outcome *mailfrom,
		   struct ag_verdict *v);

#endif
