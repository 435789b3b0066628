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

#include "policy/authres.h"
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
		/* a null reverse-path was checked as postmaster@HELO */
		struct ag_authres_prop p =
			m->mailfrom[0] != '\0'
				? (struct ag_authres_prop){ "smtp.mailfrom",
							    m->mailfrom }
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
	char dkim[512], signed_[96];

	if (m->spf_mf_done)
		spf = ag_spf_result_name(m->spf_mf.result);
	else if (!m->spf_skipped)
		spf = "-";
	if (m->spf_helo_done)
		spf_helo = ag_spf_result_name(m->spf_helo.result);
	eom_dkim_summary(m, dkim, sizeof(dkim));
	if (m->dkim_signed > 0)
		snprintf(signed_, sizeof(signed_), "%u", m->dkim_signed);
	else
		snprintf(signed_, sizeof(signed_), "no(%s)",
			 m->dkim_nosign != NULL ? m->dkim_nosign
			 : m->outbound	       ? "no key"
						: "inbound");
	ag_log(AG_LOG_INFO,
	       "%s: ip=%s helo=%s from=<%s> hfrom=%s rcpts=%u auth=%s "
	       "internal=%s spf=%s spf_helo=%s dkim=%s signed=%s "
	       "ar_removed=%u verdict=%s%s%s ms=%ld",
	       m->qid[0] != '\0' ? m->qid : "NOQUEUE", s->ip,
	       s->helo[0] != '\0' ? s->helo : "-", m->mailfrom,
	       m->hfrom_domain[0] != '\0' ? m->hfrom_domain : "-", m->nrcpt,
	       m->auth_user[0] != '\0' ? m->auth_user : "-",
	       s->internal ? "yes" : "no", spf, spf_helo, dkim, signed_,
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
	eom_log(s, "accept", "");
	ret = SMFIS_ACCEPT;
out:
	free(sigs);
	ag_authres_free(&ar);
	ag_session_msg_reset(s);
	return ret;
}
