/*
 * milter/arcmsg.c - ARC for one message: verifier plumbing, the arc=
 * clause, facts, the trusted-forwarder reason and the new ARC set
 */
#include "milter/arcmsg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* arcmsg_verifying - ARC applies to this message (see arcmsg.h) */
static bool
arcmsg_verifying(const struct ag_session *s)
{
	return s->cfg->arc_verify && !s->msg.outbound;
}

/* arcmsg_start - the message's verifier, made at its first use; AG_OK
 * with s->msg.arc still NULL when ARC does not apply */
static int
arcmsg_start(struct ag_session *s)
{
	struct ag_err err = { 0, "" };

	if (!arcmsg_verifying(s) || s->msg.arc != NULL)
		return AG_OK;
	return ag_arc_new(&s->msg.arc, s->cfg->dns, s->cfg->arc_key != NULL,
			  &err);
}

int
ag_arcmsg_header(struct ag_session *s, const char *name, const char *value)
{
	int rc = arcmsg_start(s);

	if (rc != AG_OK || s->msg.arc == NULL)
		return rc;
	return ag_arc_header(s->msg.arc, name, value);
}

int
ag_arcmsg_eoh(struct ag_session *s)
{
	/* a message without any header field still gets arc=none */
	int rc = arcmsg_start(s);

	if (rc != AG_OK || s->msg.arc == NULL)
		return rc;
	return ag_arc_eoh(s->msg.arc);
}

int
ag_arcmsg_body(struct ag_session *s, const unsigned char *chunk, size_t len)
{
	if (s->msg.arc == NULL)
		return AG_OK;
	return ag_arc_body(s->msg.arc, chunk, len);
}

int
ag_arcmsg_finish(struct ag_session *s)
{
	struct ag_message *m = &s->msg;
	const struct ag_arc_results *r;
	int rc;

	if (m->arc == NULL || m->arc_res != NULL)
		return AG_OK;
	/* ag_arc_finish sets what is read (hop[] below count) */
	if ((m->arc_res = malloc(sizeof(*m->arc_res))) == NULL)
		return AG_ENOMEM;
	if ((rc = ag_arc_finish(m->arc, m->arc_res)) != AG_OK) {
		free(m->arc_res);
		m->arc_res = NULL;
		return rc;
	}
	r = m->arc_res;
	/* RFC 8617 7.2 leaves the trust to the receiver; we take the word
	 * of the newest sealer only: it handed us the message and, sealing
	 * cv=pass, vouched for every older set, so the older hops (often
	 * the author's own domain, or a relay nobody lists) need not be
	 * listed. A chain one untrusted hop extended is not trusted. */
	m->arc_trusted = r->result == AG_ARC_PASS && r->count > 0 &&
			 r->count <= AG_ARC_MAX_SETS &&
			 ag_config_arc_trusted(s->cfg, r->hop[r->count - 1].d);
	return AG_OK;
}

/* arcmsg_hops - "i=2 d=list.example, i=1 d=a.example ip=192.0.2.1" */
static void
arcmsg_hops(const struct ag_arc_results *r, char *buf, size_t size)
{
	size_t o = 0;
	unsigned n = r->count <= AG_ARC_MAX_SETS ? r->count : AG_ARC_MAX_SETS;

	buf[0] = '\0';
	for (unsigned k = n; k > 0 && o + 1 < size; k--) {
		const struct ag_arc_hop *h = &r->hop[k - 1];
		int w = snprintf(buf + o, size - o, "%si=%u%s%s%s%s",
				 k == n ? "" : ", ", k,
				 h->d[0] != '\0' ? " d=" : "", h->d,
				 h->remote_ip[0] != '\0' ? " ip=" : "",
				 h->remote_ip);

		if (w < 0 || (size_t)w >= size - o) {
			buf[o] = '\0';	/* only whole hops */
			break;
		}
		o += (size_t)w;
	}
}

int
ag_arcmsg_authres(const struct ag_session *s, struct ag_authres *ar)
{
	const struct ag_arc_results *r = s->msg.arc_res;
	char comment[sizeof(r->reason) + 2 + 512], hops[512], oldest[16];
	struct ag_authres_prop p[2];
	unsigned np = 0;

	if (r == NULL)
		return AG_OK;
	arcmsg_hops(r, hops, sizeof(hops));
	snprintf(comment, sizeof(comment), "%s%s%s",
		 r->result == AG_ARC_FAIL ? r->reason : "",
		 r->result == AG_ARC_FAIL && r->reason[0] != '\0' &&
				 hops[0] != '\0'
			 ? "; "
			 : "",
		 hops);
	if (r->result == AG_ARC_PASS) {
		snprintf(oldest, sizeof(oldest), "%u", r->oldest_pass);
		p[np++] = (struct ag_authres_prop){ "header.oldest-pass",
						    oldest };
	}
	if (s->have_addr)
		p[np++] = (struct ag_authres_prop){ "smtp.remote-ip", s->ip };
	return ag_authres_add(ar, "arc", ag_arc_result_name(r->result),
			      comment, p, np);
}

void
ag_arcmsg_facts(const struct ag_session *s, const char **sealers,
		struct ag_facts *f)
{
	const struct ag_arc_results *r = s->msg.arc_res;
	unsigned n;

	if (r == NULL)
		return;
	n = r->count <= AG_ARC_MAX_SETS ? r->count : AG_ARC_MAX_SETS;
	f->arc_result = ag_arc_result_name(r->result);
	f->narc_sealers = 0;
	for (unsigned k = n; k > 0; k--)
		if (r->hop[k - 1].d[0] != '\0')
			sealers[f->narc_sealers++] = r->hop[k - 1].d;
	f->arc_sealers = sealers;
	f->arc_trusted = s->msg.arc_trusted;
}

bool
ag_arcmsg_override_reason(const struct ag_session *s,
			  const struct ag_rules_result *r, char *buf,
			  size_t size)
{
	const struct ag_arc_results *a = s->msg.arc_res;
	bool by_arc = false;

	if (r == NULL || r->dmarc_override == NULL || a == NULL ||
	    !s->msg.arc_trusted ||
	    strcmp(r->dmarc_override, "trusted_forwarder") != 0)
		return false;
	for (unsigned i = 0; i < r->nhits && !by_arc; i++)
		by_arc = strcmp(r->hit[i].name, "ARCTrustedSealers") == 0;
	if (!by_arc)
		return false;	/* an admin's own rule gave it */
	/* the sealer is one of ARCTrustedSealers: a domain, no ';' */
	snprintf(buf, size, "trusted_forwarder ARC i=%u sealed by %s",
		 a->count, a->hop[a->count - 1].d);
	return true;
}

bool
ag_arcmsg_signs(const struct ag_session *s, const char *name)
{
	const struct ag_config *c = s->cfg;

	if (c->n_arc_hdrs > 0) {
		for (unsigned i = 0; i < c->n_arc_hdrs; i++)
			if (strcasecmp(c->arc_hdrs[i], name) == 0)
				return true;
		return false;
	}
	for (const char *const *h = ag_arc_default_sign_headers();
	     h != NULL && *h != NULL; h++)
		if (strcasecmp(*h, name) == 0)
			return true;
	return false;
}

/* arcmsg_payload - the A-R field body after "authserv-id;" */
static const char *
arcmsg_payload(const char *ar_value)
{
	const char *p = strchr(ar_value, ';');

	if (p == NULL)
		return "none";
	p++;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

int
ag_arcmsg_seal(struct ag_session *s, const char *ar_value,
	       const char *signed_changed, struct ag_arc_seal_out *out)
{
	struct ag_message *m = &s->msg;
	struct ag_err err = { 0, "" };
	int rc;

	memset(out, 0, sizeof(*out));
	if (s->cfg->arc_key == NULL || m->arc == NULL || m->arc_res == NULL)
		return AG_OK;
	if (signed_changed != NULL) {
		/* our own edit would break the AMS we are about to make */
		snprintf(m->arc_noseal, sizeof(m->arc_noseal),
			 "the rules change %.80s, which the AMS signs",
			 signed_changed);
		return AG_OK;
	}
	rc = ag_arc_seal(m->arc, &s->cfg->arc_seal_cfg,
			 arcmsg_payload(ar_value), time(NULL), out, &err);
	if (rc != AG_OK) {
		snprintf(m->error_what, sizeof(m->error_what), "ARC seal: %.400s",
			 err.msg);
		return rc;
	}
	m->arc_sealed = out->sealed;
	m->arc_instance = out->instance;
	if (!out->sealed)
		snprintf(m->arc_noseal, sizeof(m->arc_noseal), "%s",
			 out->reason);
	return AG_OK;
}

void
ag_arcmsg_log(const struct ag_session *s, char *buf, size_t size)
{
	const struct ag_arc_results *r = s->msg.arc_res;
	char d[72];

	if (r == NULL) {
		snprintf(buf, size, "-");
		return;
	}
	d[0] = '\0';
	if (r->count > 0 && r->count <= AG_ARC_MAX_SETS)
		ag_session_copy(d, sizeof(d), r->hop[r->count - 1].d);
	/* one token in the log line: a d= is attacker text */
	for (char *p = d; *p != '\0'; p++)
		if (*p == ' ' || *p == '\t')
			*p = '_';
	snprintf(buf, size, "%s%s%s%s", ag_arc_result_name(r->result),
		 d[0] != '\0' ? ":" : "", d,
		 s->msg.arc_trusted ? "/trusted" : "");
}
