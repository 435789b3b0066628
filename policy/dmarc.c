/*
 * policy/dmarc.c - DMARC outcomes to verdicts
 */
#include "policy/dmarc.h"

#include <stdio.h>
#include <string.h>

static const char *const problem_names[] = {
	[AG_FROM_OK] = "ok",
	[AG_FROM_NONE] = "no From header field",
	[AG_FROM_SEVERAL] = "more than one From header field",
	[AG_FROM_DOMAINS] = "From addresses in more than one domain",
	[AG_FROM_NO_DOMAIN] = "no valid author domain in From",
};

const char *
ag_from_problem_name(enum ag_from_problem p)
{
	if ((unsigned)p >= sizeof(problem_names) / sizeof(problem_names[0]))
		return "bad From";
	return problem_names[p];
}

/* set - harden v to action, unless it is already as strict */
static void
set(struct ag_verdict *v, enum ag_action a, const char *rcode,
    const char *xcode, const char *reason, const char *text)
{
	if (v->action >= a)
		return;
	v->action = a;
	snprintf(v->rcode, sizeof(v->rcode), "%s", rcode);
	snprintf(v->xcode, sizeof(v->xcode), "%s", xcode);
	snprintf(v->text, sizeof(v->text), "%s", text);
	/* the reply text goes through smfi_setreply: printable, no '%' */
	for (char *p = v->text; *p != '\0'; p++)
		if (*p < ' ' || *p > '~' || *p == '%')
			*p = '?';
	v->reason = reason;
}

void
ag_policy_dmarc_from(const struct ag_policy_dmarc_config *cfg,
		     enum ag_from_problem p, struct ag_verdict *v)
{
	char text[AG_VERDICT_TEXT_MAX];

	if (p == AG_FROM_OK || !cfg->reject_bad_from)
		return;
	snprintf(text, sizeof(text), "Message rejected: %s (RFC 5322 "
		 "3.6.2, RFC 7489 6.6.1)", ag_from_problem_name(p));
	set(v, AG_ACTION_REJECT, "550", "5.7.1", "bad-from", text);
}

void
ag_policy_dmarc(const struct ag_policy_dmarc_config *cfg,
		const struct ag_dmarc_eval *ev, const char *domain,
		struct ag_verdict *v)
{
	char text[AG_VERDICT_TEXT_MAX];

	if (ev->result == AG_DMARC_RES_TEMPERROR) {
		if (!cfg->temperror_tempfail)
			return;
		snprintf(text, sizeof(text), "DMARC policy of %.100s could "
			 "not be looked up, try again later", domain);
		set(v, AG_ACTION_TEMPFAIL, "451", "4.7.1", "dmarc-temperror",
		    text);
		return;
	}
	if (ev->result != AG_DMARC_RES_FAIL || !cfg->enforce)
		return;
	if (ev->disposition == AG_DMARC_P_REJECT) {
		snprintf(text, sizeof(text), "Message rejected by the DMARC "
			 "policy of %.100s (no aligned SPF or DKIM pass)",
			 domain);
		set(v, AG_ACTION_REJECT, "550", "5.7.1", "dmarc-reject", text);
	} else if (ev->disposition == AG_DMARC_P_QUARANTINE)
		v->quarantine = true;
}
