/*
 * milter/results.c - our Authentication-Results field body (RFC 8601):
 * auth, spf, dkim, dmarc and arc clauses, in that order
 */
#include "milter/results.h"

#include <stdio.h>
#include <string.h>

#include "milter/arcmsg.h"

/* results_dkim - one dkim= clause per signature (RFC 8601 2.7.1),
 * header.b telling two signatures of one domain apart (RFC 6008) */
static int
results_dkim(const struct ag_session *s, struct ag_authres *ar)
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

/* results_dmarc - one dmarc= clause per author domain evaluated:
 * "dmarc=fail (p=reject sp=none dis=reject) header.from=example.com
 * policy.dmarc=reject" */
static int
results_dmarc(const struct ag_session *s, struct ag_authres *ar)
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

int
ag_results_authres(const struct ag_session *s, struct ag_authres **ar_r)
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
	if ((rc = results_dkim(s, ar)) != AG_OK)
		goto out;
	if ((rc = results_dmarc(s, ar)) != AG_OK)
		goto out;
	if ((rc = ag_arcmsg_authres(s, ar)) != AG_OK)
		goto out;
	*ar_r = ar;
	ar = NULL;
out:
	ag_authres_free(&ar);
	return rc;
}
