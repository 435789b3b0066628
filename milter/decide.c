/*
 * milter/decide.c - end of message: finish DKIM and DMARC, build the
 * facts, run the rules, and turn the verdict into an outcome (header
 * edits, reply, quarantine, redirect) that eom.c hands to libmilter and
 * `authgate --test` prints
 *
 * Edits are listed in the order they must be applied: forged
 * Authentication-Results carrying our authserv-id are deleted first,
 * highest index first (so earlier indexes stay valid whatever the MTA does
 * with deleted slots), then the tag headers a sender may have forged, then
 * the rules' edits, then our signatures and results are inserted at index
 * 0, above the MTA's trace headers, and last a new ARC set (when sealing)
 * above our results.
 */
#include "milter/decide.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dmarc/from.h"
#include "milter/arcmsg.h"
#include "milter/history.h"
#include "milter/results.h"
#include "policy/authres.h"
#include "policy/dmarc.h"
#include "policy/iprev.h"
#include "policy/mime.h"
#include "policy/rfc2047.h"
#include "util/log.h"

/* what the facts point into, kept until ag_outcome_free() */
struct ag_decide_facts {
	struct ag_facts f;
	struct ag_fact_header *hdr;
	char **decoded;
	unsigned nhdr;
	struct ag_fact_from from[AG_DMARC_FROM_MAX];
	char from_name[AG_SESSION_STR * 2];
	struct ag_fact_dkim dkim[AG_DKIM_MAX_RESULTS];
	const char *rcpt[AG_SESSION_RCPT_MAX];
	struct ag_mime_result mime;
	bool have_mime;
	struct ag_iprev iprev;
	const char *arc_sealers[AG_ARC_MAX_SETS];
	char client_name[AG_SESSION_STR];
	char org[256];
};

/* the DMARC evaluations of one message, until the history is written */
struct dc_dmarc {
	struct ag_dmarc_eval *ev[AG_SESSION_DMARC_MAX];
	unsigned n;
};

/* dc_dkim - finish verifying (inbound) and signing (outbound) */
static int
dc_dkim(struct ag_session *s, struct ag_dkim_signature **sigs_r,
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
	/* 8 x 8.5 KB: not cleared (the signer writes what it returns) */
	*sigs_r = malloc(AG_DKIM_MAX_SIGNERS * sizeof(**sigs_r));
	if (*sigs_r == NULL)
		return AG_ENOMEM;
	for (unsigned i = 0; i < AG_DKIM_MAX_SIGNERS; i++)
		(*sigs_r)[i].value[0] = (*sigs_r)[i].domain[0] =
			(*sigs_r)[i].selector[0] = '\0';
	rc = ag_dkim_sign_finish(m->dkim_s, *sigs_r, AG_DKIM_MAX_SIGNERS, n_r,
				 &err);
	if (rc == AG_OK)
		m->dkim_signed = *n_r;
	else
		snprintf(m->error_what, sizeof(m->error_what), "%s", err.msg);
	return rc;
}

/* dc_dmarc_one - evaluate one author domain, keep the summary and the
 * evaluation (for the history, written once the verdict is known) */
static int
dc_dmarc_one(struct ag_session *s, struct dc_dmarc *dd, const char *domain)
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
	if (rc != AG_OK) {
		free(ev);
		return rc;
	}
	d = &m->dmarc[m->ndmarc++];
	snprintf(d->domain, sizeof(d->domain), "%s", domain);
	d->result = ev->result;
	d->have_record = ev->have_record;
	d->p = ev->rec.p;
	d->sp = ev->rec.sp;
	d->policy = ev->policy;
	d->disposition = ev->disposition;
	d->why = ev->why;
	dd->ev[dd->n++] = ev;
	return AG_OK;
}

/* dc_dmarc - DMARC for inbound mail: the From field(s) first (no author,
 * several, or several domains is never a bypass: from.problem tells the
 * rules), then each author domain */
static int
dc_dmarc(struct ag_session *s, struct dc_dmarc *dd)
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
		if (s->cfg->dmarc_policy.reject_bad_from)
			return AG_OK;	/* rejected by rule: no lookups */
	}
	if (single != NULL)
		return dc_dmarc_one(s, dd, single);
	/* RejectMultipleFrom no: every author domain */
	for (unsigned f = 0; f < m->nfrom && f < AG_SESSION_FROM_KEPT; f++) {
		const struct ag_dmarc_from *hf = &m->hfrom[f];

		for (unsigned i = 0; i < hf->count && i < AG_DMARC_FROM_MAX &&
				     rc == AG_OK;
		     i++) {
			const char *dom = hf->addr[i].domain;

			rc = dc_dmarc_one(s, dd, dom[0] != '\0' ? dom : "-");
		}
	}
	return rc;
}

/* dc_strictest - the evaluation the rules see: a fail with the strongest
 * disposition, else the first */
static int
dc_strictest(const struct ag_message *m)
{
	int best = m->ndmarc > 0 ? 0 : -1;

	for (unsigned i = 1; i < m->ndmarc; i++) {
		const struct ag_dmarc_done *a = &m->dmarc[i],
					   *b = &m->dmarc[best];
		bool af = a->result == AG_DMARC_RES_FAIL,
		     bf = b->result == AG_DMARC_RES_FAIL;

		if ((af && !bf) || (af == bf && a->disposition >
							b->disposition))
			best = (int)i;
	}
	return best;
}

/* dc_headers - the kept headers with RFC 2047 decoded values */
static int
dc_headers(const struct ag_message *m, struct ag_decide_facts *fx)
{
	if (m->nall == 0)
		return AG_OK;
	fx->hdr = calloc(m->nall, sizeof(*fx->hdr));
	fx->decoded = calloc(m->nall, sizeof(*fx->decoded));
	if (fx->hdr == NULL || fx->decoded == NULL)
		return AG_ENOMEM;
	fx->nhdr = m->nall;
	for (unsigned i = 0; i < m->nall; i++) {
		size_t len = strlen(m->all[i].value);
		size_t size = len * 3 + 1;	/* 8-bit charsets grow */

		if ((fx->decoded[i] = malloc(size)) == NULL)
			return AG_ENOMEM;
		ag_rfc2047_decode(m->all[i].value, len, fx->decoded[i], size);
		fx->hdr[i].name = m->all[i].name;
		fx->hdr[i].value = m->all[i].value;
		fx->hdr[i].decoded = fx->decoded[i];
	}
	return AG_OK;
}

/* dc_header_value - the first kept field of that name, or NULL */
static const char *
dc_header_value(const struct ag_message *m, const char *name)
{
	for (unsigned i = 0; i < m->nall; i++)
		if (strcasecmp(m->all[i].name, name) == 0)
			return m->all[i].value;
	return NULL;
}

/* dc_facts - everything the rules may test */
static int
dc_facts(struct ag_session *s, const struct dc_dmarc *dd,
	 struct ag_decide_facts *fx)
{
	const struct ag_message *m = &s->msg;
	unsigned needs = ag_rules_needs(s->cfg->rules);
	struct ag_facts *f = &fx->f;
	int best, rc;

	if (s->explain)	/* show every fact, needed or not */
		needs |= AG_NEED_BODY | AG_NEED_IPREV;
	f->ip = s->ip;
	f->addr = s->have_addr ? (const struct sockaddr *)&s->addr : NULL;
	/* the MTA says "[192.0.2.1]" or "unknown" when it has no name */
	if (s->hostname[0] != '[' && strcmp(s->hostname, "unknown") != 0)
		snprintf(fx->client_name, sizeof(fx->client_name), "%s",
			 s->hostname);
	f->client_name = fx->client_name;
	if ((needs & AG_NEED_IPREV) && f->addr != NULL) {
		if (ag_iprev_check(s->cfg->dns, f->addr, &fx->iprev) == AG_OK)
			f->iprev = ag_iprev_result_name(fx->iprev.result);
		else
			f->iprev = "temperror";
	}
	f->internal = s->internal;
	f->helo = s->helo;
	f->tls = s->tls_version[0] != '\0' || s->tls_cipher[0] != '\0';
	f->tls_version = s->tls_version;
	f->tls_cipher = s->tls_cipher;
	f->auth_user = m->auth_user;
	f->mailfrom = m->mailfrom;
	for (unsigned i = 0; i < m->nrcpt_kept; i++)
		fx->rcpt[i] = m->rcpt[i];
	f->rcpt = fx->rcpt;
	f->nrcpt = m->nrcpt_kept;
	if ((rc = dc_headers(m, fx)) != AG_OK)
		return rc;
	f->hdr = fx->hdr;
	f->nhdr = fx->nhdr;
	/* From: the address and name of the first field, and every author
	 * domain the RFC 5322 parser found in it */
	ag_rfc2047_decode(m->from_name, strlen(m->from_name), fx->from_name,
			  sizeof(fx->from_name));
	if (m->nfrom > 0) {
		const struct ag_dmarc_from *hf = &m->hfrom[0];
		unsigned n = hf->count < AG_DMARC_FROM_MAX ? hf->count
							   : AG_DMARC_FROM_MAX;

		for (unsigned i = 0; i < n; i++) {
			fx->from[i].address = i == 0 ? m->from_addr : "";
			fx->from[i].domain = hf->addr[i].domain;
			fx->from[i].name = i == 0 ? fx->from_name : "";
		}
		if (n == 0) {
			fx->from[0].address = m->from_addr;
			fx->from[0].domain = m->hfrom_domain;
			fx->from[0].name = fx->from_name;
			n = 1;
		}
		f->from = fx->from;
		f->nfrom_addr = n;
	}
	f->nfrom_fields = m->nfrom;
	f->from_problem = m->from_problem != NULL ? m->from_problem : "";
	f->size = m->size;
	if (needs & AG_NEED_BODY) {
		rc = ag_mime_scan(dc_header_value(m, "Content-Type"),
				  dc_header_value(m,
						  "Content-Transfer-Encoding"),
				  m->body, m->body_len, s->cfg->body_window,
				  &fx->mime);
		fx->have_mime = true;
		if (rc != AG_OK)
			return rc;
		f->mime = &fx->mime;
	}
	if (m->spf_mf_done) {
		f->spf_mailfrom = ag_spf_result_name(m->spf_mf.result);
		f->spf_domain = m->spf_mf.domain;
		f->spf_explanation = m->spf_mf.explanation;
	}
	if (m->spf_helo_done)
		f->spf_helo = ag_spf_result_name(m->spf_helo.result);
	best = dc_strictest(m);
	for (unsigned i = 0; i < m->dkim.count && i < AG_DKIM_MAX_RESULTS;
	     i++) {
		const struct ag_dkim_sig_result *r = &m->dkim.sig[i];
		struct ag_fact_dkim *d = &fx->dkim[i];

		d->result = ag_dkim_result_name(r->result);
		d->domain = r->d;
		d->selector = r->s;
		d->length = r->has_l;
		if (best >= 0 && s->cfg->dmarc_enable) {
			const struct ag_dmarc_eval *ev = dd->ev[best];
			bool temp = false;

			d->aligned = ag_dmarc_aligned(
				&s->cfg->dmarc_env, m->dmarc[best].domain, r->d,
				ev->have_record ? ev->rec.adkim
						: AG_DMARC_ALIGN_RELAXED,
				&temp);
		}
	}
	f->dkim = fx->dkim;
	f->ndkim = m->dkim.count;
	if (best >= 0) {
		const struct ag_dmarc_done *d = &m->dmarc[best];

		f->dmarc_result = ag_dmarc_result_name(d->result);
		f->dmarc_policy = d->have_record
					  ? ag_dmarc_policy_name(d->policy)
					  : "";
		f->dmarc_disposition = ag_dmarc_policy_name(d->disposition);
		f->dmarc_domain = d->domain;
		snprintf(fx->org, sizeof(fx->org), "%s",
			 dd->ev[best]->org_domain);
		f->dmarc_org = fx->org;
	}
	ag_arcmsg_facts(s, fx->arc_sealers, f);
	return AG_OK;
}

/* dc_edit - append one edit (name and value copied) */
static int
dc_edit(struct ag_outcome *o, enum ag_edit_op op, const char *name,
	unsigned index, const char *value)
{
	struct ag_edit *e;

	if (o->nedits == o->edits_cap) {
		unsigned cap = o->edits_cap ? o->edits_cap * 2 : 16;
		struct ag_edit *v = realloc(o->edit, cap * sizeof(*v));

		if (v == NULL)
			return AG_ENOMEM;
		o->edit = v;
		o->edits_cap = cap;
	}
	e = &o->edit[o->nedits];
	memset(e, 0, sizeof(*e));
	e->op = op;
	e->index = index;
	if ((e->name = strdup(name)) == NULL ||
	    (value != NULL && (e->value = strdup(value)) == NULL)) {
		free(e->name);
		return AG_ENOMEM;
	}
	o->nedits++;
	return AG_OK;
}

/* dc_delete_all - delete every field called name, highest index first */
static int
dc_delete_all(const struct ag_message *m, struct ag_outcome *o,
	      const char *name)
{
	unsigned n = 0;
	int rc = AG_OK;

	for (unsigned i = 0; i < m->nall; i++)
		n += strcasecmp(m->all[i].name, name) == 0;
	for (; n > 0 && rc == AG_OK; n--)
		rc = dc_edit(o, AG_EDIT_DELETE, name, n, NULL);
	return rc;
}

/* dc_internal - the OnInternalError answer */
static void
dc_internal(struct ag_session *s, struct ag_outcome *o)
{
	const struct ag_message *m = &s->msg;

	snprintf(o->log_reason, sizeof(o->log_reason), "internal-error");
	ag_log(AG_LOG_ERR, "%s: internal error (%s: %s)",
	       m->qid[0] != '\0' ? m->qid : "NOQUEUE", m->error_what,
	       ag_strerror(m->error));
	for (unsigned i = 0; i < o->nedits; i++) {
		free(o->edit[i].name);
		free(o->edit[i].value);
	}
	o->nedits = 0;
	o->quarantine[0] = o->redirect[0] = '\0';
	if (s->cfg->on_error_accept) {
		o->verdict = AG_OUT_ACCEPT;
		o->log_verdict = "accept";
		return;
	}
	o->verdict = AG_OUT_TEMPFAIL;
	o->log_verdict = "tempfail";
	snprintf(o->rcode, sizeof(o->rcode), "451");
	snprintf(o->xcode, sizeof(o->xcode), "4.3.0");
	snprintf(o->text, sizeof(o->text),
		 "Temporary authentication failure, try again later");
}

/* dc_verdict - the rules' action as a reply */
static void
dc_verdict(const struct ag_rules_result *r, struct ag_outcome *o)
{
	o->log_verdict = ag_rules_action_name(r->action);
	snprintf(o->log_reason, sizeof(o->log_reason), "%s", r->decided_by);
	switch (r->action) {
	case AG_RA_REJECT:
		o->verdict = AG_OUT_REJECT;
		break;
	case AG_RA_TEMPFAIL:
		o->verdict = AG_OUT_TEMPFAIL;
		break;
	case AG_RA_DISCARD:
		o->verdict = AG_OUT_DISCARD;
		return;
	case AG_RA_QUARANTINE:
		snprintf(o->quarantine, sizeof(o->quarantine), "%s",
			 r->quarantine);
		return;
	case AG_RA_REDIRECT:
		snprintf(o->redirect, sizeof(o->redirect), "%s", r->redirect);
		return;
	default:
		if (!r->tagged)
			o->log_reason[0] = '\0';
		return;
	}
	snprintf(o->rcode, sizeof(o->rcode), "%s", r->rcode);
	snprintf(o->xcode, sizeof(o->xcode), "%s", r->xcode);
	snprintf(o->text, sizeof(o->text), "%s", r->text);
}

/* dc_edits - what a delivered message gets: see the file comment */
static int
dc_edits(struct ag_session *s, struct ag_outcome *o, const char *ar_value,
	 const struct ag_dkim_signature *sigs, unsigned nsigs)
{
	const struct ag_message *m = &s->msg;
	const struct ag_rules *rules = s->cfg->rules;
	const struct ag_rules_result *r = o->rules;
	int rc = AG_OK;

	for (unsigned i = m->n_ours; i > 0 && rc == AG_OK; i--)
		rc = dc_edit(o, AG_EDIT_DELETE, "Authentication-Results",
			     m->ar_ours[i - 1], NULL);
	if (rules != NULL && !m->outbound) {
		unsigned n;
		const char *const *names = ag_rules_tag_names(rules, &n);

		/* a sender must not be able to forge our spam verdict */
		for (unsigned i = 0; i < n && rc == AG_OK; i++)
			rc = dc_delete_all(m, o, names[i]);
	}
	for (unsigned i = 0; r != NULL && i < r->nedits && rc == AG_OK; i++) {
		const struct ag_rules_edit *e = &r->edit[i];

		if (e->remove)
			rc = dc_delete_all(m, o, e->name);
		else
			rc = dc_edit(o, AG_EDIT_ADD, e->name, 0, e->value);
	}
	if (r != NULL && r->tagged && rc == AG_OK &&
	    ag_rules_subject_prefix(rules) != NULL) {
		const char *prefix = ag_rules_subject_prefix(rules);
		const char *subj = dc_header_value(m, "Subject");
		char *v;

		if (subj == NULL) {
			rc = dc_edit(o, AG_EDIT_ADD, "Subject", 0, prefix);
		} else if (strncmp(subj, prefix, strlen(prefix)) != 0) {
			if ((v = malloc(strlen(prefix) + strlen(subj) + 1)) ==
			    NULL)
				return AG_ENOMEM;
			strcpy(v, prefix);
			strcat(v, subj);
			rc = dc_edit(o, AG_EDIT_CHANGE, "Subject", 1, v);
			free(v);
		}
	}
	/* last first, so the first key's signature ends on top */
	for (unsigned i = nsigs; i > 0 && rc == AG_OK; i--)
		rc = dc_edit(o, AG_EDIT_INSERT, "DKIM-Signature", 0,
			     sigs[i - 1].value);
	if (rc == AG_OK)
		rc = dc_edit(o, AG_EDIT_INSERT, "Authentication-Results", 0,
			     ar_value);
	return rc;
}

/* dc_history - one record per DMARC evaluation, with what was done */
static void
dc_history(struct ag_session *s, const struct dc_dmarc *dd,
	   const struct ag_outcome *o)
{
	const char *override = o->rules != NULL ? o->rules->dmarc_override
						: NULL;
	enum ag_dmarc_policy applied = AG_DMARC_P_NONE;
	char reason[AG_ARC_DOMAIN_MAX + 64];

	if (o->verdict == AG_OUT_REJECT)
		applied = AG_DMARC_P_REJECT;
	else if (o->verdict == AG_OUT_ACCEPT && o->quarantine[0] != '\0')
		applied = AG_DMARC_P_QUARANTINE;
	/* the history's reasons are "type comment": say which chain */
	if (ag_arcmsg_override_reason(s, o->rules, reason, sizeof(reason)))
		override = reason;
	for (unsigned i = 0; i < dd->n; i++)
		ag_milter_history_add(s, dd->ev[i], s->msg.dmarc[i].domain,
				      applied, override);
}

/* dc_signed_changed - the first field an edit so far touches that the
 * AMS of a new ARC set would sign, or NULL (our A-R is never signed) */
static const char *
dc_signed_changed(const struct ag_session *s, const struct ag_outcome *o)
{
	for (unsigned i = 0; i < o->nedits; i++) {
		const char *name = o->edit[i].name;

		if (strcasecmp(name, "Authentication-Results") != 0 &&
		    ag_arcmsg_signs(s, name))
			return name;
	}
	return NULL;
}

/* dc_seal - add our ARC set above everything (RFC 8617 5.1: the new set
 * on top), inserted AAR first so the ARC-Seal ends on top */
static int
dc_seal(struct ag_session *s, struct ag_outcome *o, const char *ar_value)
{
	struct ag_arc_seal_out *seal = NULL;
	int rc = AG_OK;

	if (s->cfg->arc_key == NULL || s->msg.arc_res == NULL)
		goto out;
	if ((seal = malloc(sizeof(*seal))) == NULL) {
		rc = AG_ENOMEM;
		goto out;
	}
	if ((rc = ag_arcmsg_seal(s, ar_value, dc_signed_changed(s, o),
				 seal)) != AG_OK || !seal->sealed)
		goto out;
	if ((rc = dc_edit(o, AG_EDIT_INSERT, "ARC-Authentication-Results", 0,
			  seal->aar)) != AG_OK ||
	    (rc = dc_edit(o, AG_EDIT_INSERT, "ARC-Message-Signature", 0,
			  seal->ams)) != AG_OK)
		goto out;
	rc = dc_edit(o, AG_EDIT_INSERT, "ARC-Seal", 0, seal->seal);
out:
	free(seal);
	return rc;
}

void
ag_decide(struct ag_session *s, struct ag_outcome *o)
{
	struct ag_message *m = &s->msg;
	struct ag_authres *ar = NULL;
	struct ag_dkim_signature *sigs = NULL;
	struct dc_dmarc dd;
	unsigned nsigs = 0;
	int rc;

	memset(o, 0, sizeof(*o));
	memset(&dd, 0, sizeof(dd));
	o->log_verdict = "accept";
	if (m->error != 0)
		goto internal;
	if (m->ar_overflow) {
		o->verdict = AG_OUT_REJECT;
		o->log_verdict = "reject";
		snprintf(o->log_reason, sizeof(o->log_reason),
			 "authres-overflow");
		snprintf(o->rcode, sizeof(o->rcode), "550");
		snprintf(o->xcode, sizeof(o->xcode), "5.7.0");
		snprintf(o->text, sizeof(o->text),
			 "Too many Authentication-Results fields");
		goto out;
	}
	if ((rc = dc_dkim(s, &sigs, &nsigs)) != AG_OK) {
		m->error = rc;
		if (m->error_what[0] == '\0')
			snprintf(m->error_what, sizeof(m->error_what), "DKIM");
		goto internal;
	}
	if ((rc = dc_dmarc(s, &dd)) != AG_OK) {
		m->error = rc;
		snprintf(m->error_what, sizeof(m->error_what), "DMARC");
		goto internal;
	}
	if ((rc = ag_arcmsg_finish(s)) != AG_OK) {
		m->error = rc;
		snprintf(m->error_what, sizeof(m->error_what), "ARC verify");
		goto internal;
	}
	if (s->cfg->rules != NULL) {
		if ((o->fx = calloc(1, sizeof(*o->fx))) == NULL ||
		    (o->rules = malloc(sizeof(*o->rules))) == NULL) {
			m->error = AG_ENOMEM;
			snprintf(m->error_what, sizeof(m->error_what), "rules");
			goto internal;
		}
		if ((rc = dc_facts(s, &dd, o->fx)) != AG_OK) {
			m->error = rc;
			snprintf(m->error_what, sizeof(m->error_what),
				 "gathering facts for the rules");
			goto internal;
		}
		ag_rules_eval(s->cfg->rules, &o->fx->f, s->cfg->dns, o->rules);
		dc_verdict(o->rules, o);
	}
	if (o->verdict == AG_OUT_ACCEPT) {
		if ((rc = ag_results_authres(s, &ar)) != AG_OK ||
		    (rc = dc_edits(s, o, ag_authres_value(ar), sigs, nsigs)) !=
			    AG_OK) {
			m->error = rc;
			snprintf(m->error_what, sizeof(m->error_what),
				 "adding Authentication-Results");
			goto internal;
		}
		if ((rc = dc_seal(s, o, ag_authres_value(ar))) != AG_OK) {
			m->error = rc;
			if (m->error_what[0] == '\0')
				snprintf(m->error_what, sizeof(m->error_what),
					 "ARC seal");
			goto internal;
		}
	}
	dc_history(s, &dd, o);
	goto out;
internal:
	dc_internal(s, o);
out:
	for (unsigned i = 0; i < dd.n; i++)
		free(dd.ev[i]);
	free(sigs);
	ag_authres_free(&ar);
}

const struct ag_facts *
ag_outcome_facts(const struct ag_outcome *o)
{
	return o->fx != NULL ? &o->fx->f : NULL;
}

void
ag_outcome_free(struct ag_outcome *o)
{
	for (unsigned i = 0; i < o->nedits; i++) {
		free(o->edit[i].name);
		free(o->edit[i].value);
	}
	free(o->edit);
	if (o->fx != NULL) {
		for (unsigned i = 0; i < o->fx->nhdr; i++)
			free(o->fx->decoded[i]);
		free(o->fx->decoded);
		free(o->fx->hdr);
		if (o->fx->have_mime)
			ag_mime_result_free(&o->fx->mime);
		free(o->fx);
	}
	free(o->rules);
	memset(o, 0, sizeof(*o));
}
