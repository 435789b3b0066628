/*
 * milter/eom.c - end of message: hand the decision (decide.c) to the MTA
 * through libmilter, log the one line, reset the message
 */
#include "milter/eom.h"

#include <stdio.h>
#include <string.h>

#include "milter/decide.h"
#include "milter/metrics.h"
#include "util/log.h"

/* eom_edits - the header edits, in order; false when libmilter refused */
static bool
eom_edits(SMFICTX *ctx, const struct ag_outcome *o)
{
	for (unsigned i = 0; i < o->nedits; i++) {
		const struct ag_edit *e = &o->edit[i];
		int rc = MI_FAILURE;

		switch (e->op) {
		case AG_EDIT_DELETE:
			rc = smfi_chgheader(ctx, e->name, (int)e->index, NULL);
			break;
		case AG_EDIT_CHANGE:
			rc = smfi_chgheader(ctx, e->name, (int)e->index,
					    e->value);
			break;
		case AG_EDIT_INSERT:
			rc = smfi_insheader(ctx, 0, e->name, e->value);
			break;
		case AG_EDIT_ADD:
			rc = smfi_addheader(ctx, e->name, e->value);
			break;
		}
		if (rc != MI_SUCCESS)
			return false;
	}
	return true;
}

/* eom_redirect - every recipient replaced by the quarantine mailbox */
static bool
eom_redirect(SMFICTX *ctx, const struct ag_session *s, const char *to)
{
	char addr[300];

	for (unsigned i = 0; i < s->msg.nrcpt_kept; i++) {
		snprintf(addr, sizeof(addr), "<%.290s>", s->msg.rcpt[i]);
		if (smfi_delrcpt(ctx, addr) != MI_SUCCESS)
			return false;
	}
	snprintf(addr, sizeof(addr), "<%.290s>", to);
	return smfi_addrcpt(ctx, addr) == MI_SUCCESS;
}

/* eom_apply - the outcome through libmilter; false on a refusal */
static bool
eom_apply(SMFICTX *ctx, const struct ag_session *s,
	  const struct ag_outcome *o)
{
	if (o->verdict == AG_OUT_REJECT || o->verdict == AG_OUT_TEMPFAIL)
		return smfi_setreply(ctx, (char *)o->rcode, (char *)o->xcode,
				     (char *)o->text) == MI_SUCCESS;
	if (o->verdict == AG_OUT_DISCARD)
		return true;
	if (!eom_edits(ctx, o))
		return false;
	if (o->redirect[0] != '\0' && !eom_redirect(ctx, s, o->redirect))
		return false;
	if (o->quarantine[0] != '\0' &&
	    smfi_quarantine(ctx, (char *)o->quarantine) != MI_SUCCESS)
		return false;
	return true;
}

sfsistat
ag_eom(SMFICTX *ctx, struct ag_session *s)
{
	struct ag_outcome o;
	sfsistat ret;

	ag_decide(s, &o);
	if (!eom_apply(ctx, s, &o)) {
		ag_log(AG_LOG_ERR, "%s: the MTA refused a header edit, "
		       "quarantine or reply; answering tempfail",
		       s->msg.qid[0] != '\0' ? s->msg.qid : "NOQUEUE");
		/* past this point a partial edit may be in place: the only
		 * safe answer keeps the message at the sender */
		o.verdict = AG_OUT_TEMPFAIL;
		o.log_verdict = "tempfail";
		snprintf(o.log_reason, sizeof(o.log_reason), "internal-error");
		smfi_setreply(ctx, "451", "4.3.0",
			      "Temporary authentication failure, try again "
			      "later");
	}
	switch (o.verdict) {
	case AG_OUT_REJECT:
		ret = SMFIS_REJECT;
		break;
	case AG_OUT_TEMPFAIL:
		ret = SMFIS_TEMPFAIL;
		break;
	case AG_OUT_DISCARD:
		ret = SMFIS_DISCARD;
		break;
	default:
		ret = SMFIS_ACCEPT;
		break;
	}
	if (o.quarantine[0] != '\0' && o.verdict == AG_OUT_ACCEPT)
		o.log_verdict = "quarantine";
	ag_outcome_log(s, &o);
	ag_metrics_message(s, &o);
	ag_outcome_free(&o);
	ag_session_msg_reset(s);
	return ret;
}
