/*
 * policy/verdict.c - turn check results into accept / tempfail / reject
 */
#include "policy/verdict.h"

#include <stdio.h>
#include <string.h>

void
ag_verdict_init(struct ag_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->action = AG_ACTION_ACCEPT;
	v->reason = "";
}

const char *
ag_verdict_name(const struct ag_verdict *v)
{
	switch (v->action) {
	case AG_ACTION_TEMPFAIL:
		return "tempfail";
	case AG_ACTION_REJECT:
		return "reject";
	default:
		return "accept";
	}
}

/* verdict_text - copy s as printable ASCII without '%' (libmilter treats
 * '%' in reply text as a format character) */
static void
verdict_text(char *dst, size_t size, const char *s)
{
	size_t o = 0;

	for (; *s != '\0' && o + 1 < size; s++) {
		unsigned char c = (unsigned char)*s;
		dst[o++] = (c < 0x20 || c >= 0x7f || c == '%') ? '?' : (char)c;
	}
	dst[o] = '\0';
}

/* verdict_set - harden v to action unless it is already as strict */
static void
verdict_set(struct ag_verdict *v, enum ag_action action, const char *rcode,
	    const char *xcode, const char *text, const char *reason)
{
	if (action <= v->action)
		return;
	v->action = action;
	snprintf(v->rcode, sizeof(v->rcode), "%s", rcode);
	snprintf(v->xcode, sizeof(v->xcode), "%s", xcode);
	verdict_text(v->text, sizeof(v->text), text);
	v->reason = reason;
}

void
ag_policy_spf(const struct ag_policy_spf_config *cfg,
	      const struct ag_spf_outcome *mailfrom, struct ag_verdict *v)
{
	char text[AG_SPF_DOMAIN_MAX + AG_SPF_EXPLANATION_MAX + 64];

	if (mailfrom == NULL)
		return;
	if (mailfrom->result == AG_SPF_FAIL && cfg->fail_reject) {
		/* RFC 7372 3.2: 5.7.23 "SPF validation failed" */
		if (mailfrom->explanation[0] != '\0')
			snprintf(text, sizeof(text), "SPF fail for %s: %s",
				 mailfrom->domain, mailfrom->explanation);
		else
			snprintf(text, sizeof(text),
				 "SPF fail: %s does not allow this host",
				 mailfrom->domain);
		verdict_set(v, AG_ACTION_REJECT, "550", "5.7.23", text,
			    "spf-fail");
	} else if (mailfrom->result == AG_SPF_TEMPERROR &&
		   cfg->temperror_tempfail) {
		/* RFC 7372 3.2: 4.7.24 "SPF validation error" */
		snprintf(text, sizeof(text),
			 "SPF temporary error for %s, try again later",
			 mailfrom->domain);
		verdict_set(v, AG_ACTION_TEMPFAIL, "451", "4.7.24", text,
			    "spf-temperror");
	}
}
