/*
 * milter/eom.c - end of message: Authentication-Results, verdict, log
 *
 * Order matters: forged Authentication-Results carrying our authserv-id
 * are deleted first, highest index first (so earlier indexes stay valid
 * whatever the MTA does with deleted slots), then ours is inserted at
 * index 0, above the MTA's trace headers.
 */
#include "milter/eom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dmarc/from.h"
#include "policy/authres.h"
#include "milter/history.h"
#include "policy/dmarc.h"
#include "policy/verdict.h"
#include "util/log.h"

/* eom_authres_dkim - one dkim= clause per signature (RFC 8601 2.7.1),
 * header.b telling two signatures of one domain apart (RFC 6008) */
static int
eom_authres_dkim(const struct ag_session *s, struct ag_authres *ar)
{
	const struct ag_message *m = &s->msg;
	int rc = AG_OK;

	if (!m->dkim_verified)
		return AG_OK;
	if (m->dkim.count == 0)
		return ag_authres_add(ar, "dkim", "none", NULL, NULL, 0);
	for (unsigned i = 0; i < m->dkim.count && rc == AG_OK; i++) {
		const struct ag_dkim_sig_result *r = &m->dkim.sig[i];
		struct ag_authres_prop p[] = {
			{ "header.d", r->d }, { "header.i", r->i },
			{ "header.s", r->s }, { "header.a", r->a },
			{ "header.b", r->b },
		};
		rc = ag_authres_add(ar, "dkim", ag_dkim_result_name(r->result),
				    r->reason, p, 5);
	}
	return rc;
}

/* eom_authres_dmarc - one dmarc= clause per author domain evaluated:
 * "dmarc=fail (p=reject sp=none dis=reject) header.from=example.com
 * policy.dmarc=reject" */
static int
eom_authres_dmarc(const struct ag_session *s, struct ag_authres *ar)
{
	const struct ag_message *m = &s->msg;
	int rc = AG_OK;

	for (unsigned i = 0; i < m->ndmarc && rc == AG_OK; i++) {
		const struct ag_dmarc_done *d = &m->dmarc[i];
		char comment[160];
		struct ag_authres_prop p[] = {
			{ "header.from", d->domain },
			{ "policy.dmarc", d->have_record
						  ? ag_dmarc_policy_name(d->policy)
						  : NULL },
		};

		if (d->have_record)
			snprintf(comment, sizeof(comment), "p=%s sp=%s dis=%s",
				 ag_dmarc_policy_name(d->p),
				 ag_dmarc_policy_name(d->sp != AG_DMARC_P_UNSET
							      ? d->sp
							      : d->p),
				 ag_dmarc_policy_name(d->disposition));
		else
			snprintf(comment, sizeof(comment), "%s", d->why);
		rc = ag_authres_add(ar, "dmarc", ag_dmarc_result_name(d->result),
				    comment, p, 2);
	}
	return rc;
}

/* eom_authres - build our field body into *ar_r */
static int
eom_authres(const struct ag_session *s, struct ag_authres **ar_r)
{
	const struct ag_message *m = &s->msg;
	struct ag_authres *ar = NULL;
	int rc;

	if ((rc = ag_authres_new(&ar, s->cfg->authserv_id)) != AG_OK)
		goto out;
	if (m->auth_user[0] != '\0') {
		/* RFC 8601 2.7.4: the client authenticated */
		struct ag_authres_prop p = { "smtp.auth", m->auth_user };
		if ((rc = ag_authres_add(ar, "auth", "pass", NULL, &p, 1)) !=
		    AG_OK)
			goto out;
	}
	if (m->spf_mf_done) {
		/* a null reverse-path was checked as postmaster@HELO; an
		 * address too long to report whole is reported by its
		 * domain (RFC 8601 2.7.2 allows either), so a cut never
		 * hides the domain that was checked */
		const char *mf = m->mailfrom, *at = strrchr(mf, '@');
		if (strlen(mf) > AG_AUTHRES_PVALUE_MAX / 2 && at != NULL)
			mf = at + 1;
		struct ag_authres_prop p =
			m->mailfrom[0] != '\0'
				? (struct ag_authres_prop){ "smtp.mailfrom",
							    mf }
				: (struct ag_authres_prop){ "smtp.helo",
							    s->helo };
		if ((rc = ag_authres_add(ar, "spf",
					 ag_spf_result_name(m->spf_mf.result),
					 NULL, &p, 1)) != AG_OK)
			goto out;
	}
	if (m->spf_helo_done) {
		struct ag_authres_prop p = { "smtp.helo", s->helo };
		if ((rc = ag_authres_add(ar, "spf",
					 ag_spf_result_name(
						 m->spf_helo.result),
					 NULL, &p, 1)) != AG_OK)
			goto out;
	}
	if ((rc = eom_authres_dkim(s, ar)) != AG_OK)
		goto out;
	if ((rc = eom_authres_dmarc(s, ar)) != AG_OK)
		goto out;
	*ar_r = ar;
	ar = NULL;
out:
	ag_authres_free(&ar);
	return rc;
}

/* eom_edit_headers - delete forged fields, add our signatures, insert
 * our results on top; AG_OK or error */
static int
eom_edit_headers(SMFICTX *ctx, struct ag_session *s, const char *value,
		 const struct ag_dkim_signature *sigs, unsigned nsigs)
{
	const struct ag_message *m = &s->msg;

	for (unsigned i = m->n_ours; i > 0; i--) {
		if (smfi_chgheader(ctx, "Authentication-Results",
				   (int)m->ar_ours[i - 1], NULL) !=
		    MI_SUCCESS)
			return AG_EINTERNAL;
	}
	/* last first, so the first key's signature ends on top */
	for (unsigned i = nsigs; i > 0; i--) {
		if (smfi_insheader(ctx, 0, "DKIM-Signature",
				   (char *)sigs[i - 1].value) != MI_SUCCESS)
			return AG_EINTERNAL;
	}
	if (smfi_insheader(ctx, 0, "Authentication-Results",
			   (char *)value) != MI_SUCCESS)
		return AG_EINTERNAL;
	return AG_OK;
}

/* eom_ms - milliseconds since the message started */
static long
eom_ms(const struct ag_message *m)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - m->start.tv_sec) * 1000 +
	       (now.tv_nsec - m->start.tv_nsec) / 1000000;
}

/* eom_dkim_summary - "pass:example.com,fail:other.example" or "-" */
static void
eom_dkim_summary(const struct ag_message *m, char *buf, size_t size)
{
	size_t o = 0;

	snprintf(buf, size, "%s", m->dkim_verified ? "none" : "-");
	for (unsigned i = 0; i < m->dkim.count && o + 1 < size; i++) {
		int n = snprintf(buf + o, size - o, "%s%s:%s", i ? "," : "",
				 ag_dkim_result_name(m->dkim.sig[i].result),
				 m->dkim.sig[i].d);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

/* eom_log - the one line per message */
static void
eom_log(const struct ag_session *s, const char *verdict, const char *reason)
{
	const struct ag_message *m = &s->msg;
	const char *spf = "skipped", *spf_helo = "-";
	char dkim[512], signed_[96], dmarc[400];
	size_t o = 0;

	if (m->spf_mf_done)
		spf = ag_spf_result_name(m->spf_mf.result);
	else if (!m->spf_skipped)
		spf = "-";
	if (m->spf_helo_done)
		spf_helo = ag_spf_result_name(m->spf_helo.result);
	eom_dkim_summary(m, dkim, sizeof(dkim));
	snprintf(dmarc, sizeof(dmarc), "-");
	for (unsigned i = 0; i < m->ndmarc && o + 1 < sizeof(dmarc); i++) {
		int n = snprintf(dmarc + o, sizeof(dmarc) - o, "%s%s:%s/%s",
				 i ? "," : "",
				 ag_dmarc_result_name(m->dmarc[i].result),
				 m->dmarc[i].domain,
				 ag_dmarc_policy_name(m->dmarc[i].disposition));
		if (n < 0)
			break;
		o += (size_t)n;
	}
	if (m->dkim_signed > 0)
		snprintf(signed_, sizeof(signed_), "%u", m->dkim_signed);
	else
		snprintf(signed_, sizeof(signed_), "no(%s)",
			 m->dkim_nosign != NULL ? m->dkim_nosign
			 : m->outbound	       ? "no key"
						: "inbound");
	ag_log(AG_LOG_INFO,
	       "%s: ip=%s helo=%s from=<%s> hfrom=%s rcpts=%u auth=%s "
	       "internal=%s spf=%s spf_helo=%s dkim=%s dmarc=%s signed=%s "
	       "ar_removed=%u verdict=%s%s%s ms=%ld",
	       m->qid[0] != '\0' ? m->qid : "NOQUEUE", s->ip,
	       s->helo[0] != '\0' ? s->helo : "-", m->mailfrom,
	       m->hfrom_domain[0] != '\0' ? m->hfrom_domain : "-", m->nrcpt,
	       m->auth_user[0] != '\0' ? m->auth_user : "-",
	       s->internal ? "yes" : "no", spf, spf_helo, dkim, dmarc, signed_,
	       m->n_ours, verdict, reason[0] != '\0' ? " reason=" : "", reason,
	       eom_ms(m));
}

/* eom_internal - answer an internal failure per OnInternalError */
static sfsistat
eom_internal(SMFICTX *ctx, struct ag_session *s)
{
	const struct ag_message *m = &s->msg;

	ag_log(AG_LOG_ERR, "%s: internal error (%s: %s)",
	       m->qid[0] != '\0' ? m->qid : "NOQUEUE", m->error_what,
	       ag_strerror(m->error));
	if (s->cfg->on_error_accept) {
		eom_log(s, "accept", "internal-error");
		return SMFIS_ACCEPT;
	}
	smfi_setreply(ctx, "451", "4.3.0",
		      "Temporary authentication failure, try again later");
	eom_log(s, "tempfail", "internal-error");
	return SMFIS_TEMPFAIL;
}

/* eom_dkim - finish verifying (inbound) and signing (outbound) */
static int
eom_dkim(struct ag_session *s, struct ag_dkim_signature **sigs_r,
	 unsigned *n_r)
{
	struct ag_message *m = &s->msg;
	struct ag_err err = { 0, "" };
	int rc = AG_OK;

	if (!m->outbound && s->cfg->dkim_verify) {
		if (m->dkim_v != NULL &&
		    (rc = ag_dkim_verify_finish(m->dkim_v, &m->dkim)) != AG_OK)
			return rc;
		m->dkim_verified = true;
	}
	if (m->dkim_s == NULL)
		return AG_OK;
	*sigs_r = calloc(AG_DKIM_MAX_SIGNERS, sizeof(**sigs_r));
	if (*sigs_r == NULL)
		return AG_ENOMEM;
	rc = ag_dkim_sign_finish(m->dkim_s, *sigs_r, AG_DKIM_MAX_SIGNERS, n_r,
				 &err);
	if (rc == AG_OK)
		m->dkim_signed = *n_r;
	else
		snprintf(m->error_what, sizeof(m->error_what), "%s", err.msg);
	return rc;
}

/* eom_dmarc_one - evaluate one author domain, keep the summary, apply
 * the policy keys to v */
static int
eom_dmarc_one(struct ag_session *s, const char *domain, struct ag_verdict *v)
{
	struct ag_message *m = &s->msg;
	struct ag_dmarc_input in;
	struct ag_dmarc_eval *ev;
	struct ag_dmarc_done *d;
	struct ag_err err = { 0, "" };
	int rc;

	if (m->ndmarc >= AG_SESSION_DMARC_MAX)
		return AG_OK;
	for (unsigned i = 0; i < m->ndmarc; i++)
		if (strcmp(m->dmarc[i].domain, domain) == 0)
			return AG_OK;	/* evaluated already */
	memset(&in, 0, sizeof(in));
	in.from_domain = domain;
	if (m->spf_mf_done) {
		in.spf_domain = m->spf_mf.domain;
		in.spf_pass = m->spf_mf.result == AG_SPF_PASS;
	}
	for (unsigned i = 0; i < m->dkim.count && i < AG_DMARC_MAX_DKIM; i++) {
		in.dkim[in.ndkim].d = m->dkim.sig[i].d;
		in.dkim[in.ndkim].selector = m->dkim.sig[i].s;
		in.dkim[in.ndkim].pass = m->dkim.sig[i].result == AG_DKIM_PASS;
		in.ndkim++;
	}
	in.sample = arc4random_uniform(100);
	/* the record holds up to 16 report URIs: not on the stack */
	if ((ev = malloc(sizeof(*ev))) == NULL)
		return AG_ENOMEM;
	rc = ag_dmarc_evaluate(&s->cfg->dmarc_env, &in, ev, &err);
	if (rc == AG_EINVAL) {
		/* not a usable From domain: never a pass */
		memset(ev, 0, sizeof(*ev));
		ev->result = AG_DMARC_RES_PERMERROR;
		ev->why = "no usable From domain";
		rc = AG_OK;
	}
	if (rc == AG_OK) {
		d = &m->dmarc[m->ndmarc++];
		snprintf(d->domain, sizeof(d->domain), "%s", domain);
		d->result = ev->result;
		d->have_record = ev->have_record;
		d->p = ev->rec.p;
		d->sp = ev->rec.sp;
		d->policy = ev->policy;
		d->disposition = ev->disposition;
		d->why = ev->why;
		ag_policy_dmarc(&s->cfg->dmarc_policy, ev, domain, v);
		ag_milter_history_add(s, ev, domain);
	}
	free(ev);
	return rc;
}

/* eom_dmarc - DMARC for inbound mail: the From field(s) first (no
 * author, several, or several domains is never a bypass), then each
 * author domain; the strictest outcome wins */
static int
eom_dmarc(struct ag_session *s, struct ag_verdict *v)
{
	struct ag_message *m = &s->msg;
	enum ag_from_problem problem = AG_FROM_OK;
	const char *single = NULL;
	int rc = AG_OK;

	if (m->outbound || !s->cfg->dmarc_enable)
		return AG_OK;
	if (m->nfrom == 0)
		problem = AG_FROM_NONE;
	else if (m->nfrom > 1)
		problem = AG_FROM_SEVERAL;
	else if ((single = ag_dmarc_from_single_domain(&m->hfrom[0])) == NULL)
		problem = m->hfrom[0].count > 1 ? AG_FROM_DOMAINS
						: AG_FROM_NO_DOMAIN;
	if (problem != AG_FROM_OK) {
		m->from_problem = ag_from_problem_name(problem);
		ag_policy_dmarc_from(&s->cfg->dmarc_policy, problem, v);
		if (v->action != AG_ACTION_ACCEPT)
			return AG_OK;	/* rejected: no lookups needed */
	}
	if (single != NULL)
		return eom_dmarc_one(s, single, v);
	/* RejectMultipleFrom no: every author domain, strictest wins */
	for (unsigned f = 0; f < m->nfrom && f < AG_SESSION_FROM_KEPT; f++) {
		const struct ag_dmarc_from *hf = &m->hfrom[f];

		for (unsigned i = 0; i < hf->count && i < AG_DMARC_FROM_MAX &&
				     rc == AG_OK;
		     i++) {
			const char *dom = hf->addr[i].domain;

			rc = eom_dmarc_one(s, dom[0] != '\0' ? dom : "-", v);
		}
	}
	return rc;
}

/* ag_eom - decide and answer one message */
sfsistat
ag_eom(SMFICTX *ctx, struct ag_session *s)
{
	struct ag_message *m = &s->msg;
	struct ag_authres *ar = NULL;
	struct ag_dkim_signature *sigs = NULL;
	unsigned nsigs = 0;
	struct ag_verdict v;
	sfsistat ret;
	int rc;

	ag_verdict_init(&v);
	if (m->error != 0) {
		ret = eom_internal(ctx, s);
		goto out;
	}
	if (m->ar_overflow) {
		smfi_setreply(ctx, "550", "5.7.0",
			      "Too many Authentication-Results fields");
		eom_log(s, "reject", "authres-overflow");
		ret = SMFIS_REJECT;
		goto out;
	}
	if ((rc = eom_dkim(s, &sigs, &nsigs)) != AG_OK) {
		m->error = rc;
		if (m->error_what[0] == '\0')
			snprintf(m->error_what, sizeof(m->error_what), "DKIM");
		ret = eom_internal(ctx, s);
		goto out;
	}
	ag_policy_spf(&s->cfg->spf_policy, m->spf_mf_done ? &m->spf_mf : NULL,
		      &v);
	if (v.action == AG_ACTION_ACCEPT && (rc = eom_dmarc(s, &v)) != AG_OK) {
		m->error = rc;
		snprintf(m->error_what, sizeof(m->error_what), "DMARC");
		ret = eom_internal(ctx, s);
		goto out;
	}
	if (v.action != AG_ACTION_ACCEPT) {
		smfi_setreply(ctx, v.rcode, v.xcode, v.text);
		eom_log(s, ag_verdict_name(&v), v.reason);
		ret = v.action == AG_ACTION_REJECT ? SMFIS_REJECT
						   : SMFIS_TEMPFAIL;
		goto out;
	}
	if ((rc = eom_authres(s, &ar)) != AG_OK ||
	    (rc = eom_edit_headers(ctx, s, ag_authres_value(ar), sigs,
				   nsigs)) != AG_OK) {
		m->error = rc;
		snprintf(m->error_what, sizeof(m->error_what),
			 "adding Authentication-Results");
		ret = eom_internal(ctx, s);
		goto out;
	}
	if (v.quarantine) {
		char why[300];

		snprintf(why, sizeof(why), "DMARC quarantine policy of %.200s",
			 m->ndmarc > 0 ? m->dmarc[0].domain : "the author");
		if (smfi_quarantine(ctx, why) != MI_SUCCESS) {
			m->error = AG_EINTERNAL;
			snprintf(m->error_what, sizeof(m->error_what),
				 "quarantine");
			ret = eom_internal(ctx, s);
			goto out;
		}
		eom_log(s, "quarantine", "dmarc-quarantine");
		ret = SMFIS_ACCEPT;
		goto out;
	}
	eom_log(s, "accept", "");
	ret = SMFIS_ACCEPT;
out:
	free(sigs);
	ag_authres_free(&ar);
	ag_session_msg_reset(s);
	return ret;
}
