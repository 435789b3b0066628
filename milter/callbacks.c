/*
 * milter/callbacks.c - libmilter callbacks: one connection, its messages
 *
 * SPF runs at MAIL FROM (all its inputs are known then); everything else is
 * decided at end of message, where the verdict, the header edits and the
 * one log line for the message are produced.
 */
#include "milter/callbacks.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "milter/eom.h"
#include "milter/session.h"
#include "policy/authres.h"
#include "util/log.h"

static atomic_uint active_connections;

unsigned
ag_milter_active(void)
{
	return atomic_load(&active_connections);
}

/* cb_session - the session of ctx, NULL if connect failed to make one */
static struct ag_session *
cb_session(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

/* cb_internal_error - mark the message failed; eom decides what to answer */
static void
cb_internal_error(struct ag_session *s, int code, const char *what)
{
	if (s->msg.error != 0)
		return;
	s->msg.error = code;
	snprintf(s->msg.error_what, sizeof(s->msg.error_what), "%s", what);
}

/* cb_connect - take the config snapshot and record the client */
static sfsistat
cb_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct ag_session *s = ag_session_new();

	if (s == NULL) {
		ag_log(AG_LOG_ERR, "connect: out of memory or no "
		       "configuration; answering tempfail");
		return SMFIS_TEMPFAIL;
	}
	atomic_fetch_add(&active_connections, 1);
	smfi_setpriv(ctx, s);
	ag_session_copy(s->hostname, sizeof(s->hostname), hostname);
	if (hostaddr != NULL && hostaddr->sa_family == AF_INET) {
		memcpy(&s->addr, hostaddr, sizeof(struct sockaddr_in));
		s->have_addr = true;
		inet_ntop(AF_INET, &((struct sockaddr_in *)hostaddr)->sin_addr,
			  s->ip, sizeof(s->ip));
	} else if (hostaddr != NULL && hostaddr->sa_family == AF_INET6) {
		memcpy(&s->addr, hostaddr, sizeof(struct sockaddr_in6));
		s->have_addr = true;
		inet_ntop(AF_INET6,
			  &((struct sockaddr_in6 *)hostaddr)->sin6_addr, s->ip,
			  sizeof(s->ip));
	} else {
		/* no address: local submission (sendmail(1), pickup) */
		snprintf(s->ip, sizeof(s->ip), "local");
	}
	s->internal = !s->have_addr ||
		      ag_cidr_match(s->cfg->internal_hosts,
				    (struct sockaddr *)&s->addr);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_helo(SMFICTX *ctx, char *helo)
{
	struct ag_session *s = cb_session(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	ag_session_copy(s->helo, sizeof(s->helo), helo);
	return SMFIS_CONTINUE;
}

/* cb_strip_brackets - "<a@b>" to "a@b" (bounded copy) */
static void
cb_strip_brackets(char *dst, size_t size, const char *arg)
{
	size_t n;

	ag_session_copy(dst, size, arg);
	n = strlen(dst);
	if (n >= 2 && dst[0] == '<' && dst[n - 1] == '>') {
		memmove(dst, dst + 1, n - 2);
		dst[n - 2] = '\0';
	}
}

/* cb_run_spf - check MAIL FROM (and HELO) unless the client is trusted */
static void
cb_run_spf(struct ag_session *s)
{
	const struct ag_config *cfg = s->cfg;
	struct ag_message *m = &s->msg;
	const struct sockaddr *sa = (const struct sockaddr *)&s->addr;

	if (s->internal || m->auth_user[0] != '\0') {
		m->spf_skipped = true;
		return;
	}
	if (ag_spf_check_mailfrom(cfg->spf, sa, s->helo, m->mailfrom,
				  &m->spf_mf) != AG_OK) {
		cb_internal_error(s, AG_EINTERNAL, "SPF check of MAIL FROM");
		return;
	}
	m->spf_mf_done = true;
	/* with a null reverse-path the MAIL FROM check already was the HELO
	 * check (RFC 7208 2.4); do not run it twice */
	if (!cfg->spf_check_helo || m->mailfrom[0] == '\0' ||
	    s->helo[0] == '\0')
		return;
	if (ag_spf_check_helo(cfg->spf, sa, s->helo, &m->spf_helo) != AG_OK) {
		cb_internal_error(s, AG_EINTERNAL, "SPF check of HELO");
		return;
	}
	m->spf_helo_done = true;
}

static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct ag_session *s = cb_session(ctx);
	const char *v;

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	ag_session_msg_reset(s);
	cb_strip_brackets(s->msg.mailfrom, sizeof(s->msg.mailfrom),
			  argv != NULL ? argv[0] : NULL);
	if ((v = smfi_getsymval(ctx, "{auth_authen}")) != NULL)
		ag_session_copy(s->msg.auth_user, sizeof(s->msg.auth_user), v);
	if ((v = smfi_getsymval(ctx, "i")) != NULL)
		ag_session_copy(s->msg.qid, sizeof(s->msg.qid), v);
	/* DESIGN.md: authenticated or internal mail is ours to sign, the
	 * rest is checked */
	s->msg.outbound = s->internal || s->msg.auth_user[0] != '\0';
	cb_run_spf(s);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct ag_session *s = cb_session(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	if (s->msg.nrcpt++ == 0 && argv != NULL && argv[0] != NULL) {
		/* the first recipient's domain, for the DMARC history */
		const char *at = strrchr(argv[0], '@');
		char dom[AG_SESSION_STR];

		ag_session_copy(dom, sizeof(dom), at != NULL ? at + 1 : "");
		dom[strcspn(dom, ">")] = '\0';
		snprintf(s->msg.rcpt_domain, sizeof(s->msg.rcpt_domain), "%s",
			 dom);
	}
	return SMFIS_CONTINUE;
}

/* cb_from_domain - the domain of a From value, for the log line only:
 * the DMARC evaluation parses From with a real RFC 5322 parser */
static void
cb_from_domain(char *dst, size_t size, const char *value)
{
	const char *at = NULL, *p;
	size_t o = 0;

	for (p = value; *p != '\0' && *p != '>'; p++)
		if (*p == '@')
			at = p;
	if (at != NULL) {
		for (p = at + 1; *p != '\0' && o + 1 < size; p++) {
			char c = *p;
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '.' || c == '-'))
				break;
			dst[o++] = c;
		}
	}
	dst[o] = '\0';
}

/* cb_from_addr - the address of a From value for the SigningTable:
 * inside the last <...>, else the value without comments and spaces.
 * The DMARC evaluation uses a full RFC 5322 parser instead. */
static void
cb_from_addr(char *dst, size_t size, const char *value)
{
	const char *lt = strrchr(value, '<'), *p;
	size_t o = 0;
	int depth = 0;

	p = lt != NULL ? lt + 1 : value;
	for (; *p != '\0' && *p != '>' && o + 1 < size; p++) {
		if (*p == '(' && depth < 64)
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (depth == 0 && *p > ' ' && *p != 0x7f)
			dst[o++] = *p;
	}
	dst[o] = '\0';
}

/* cb_dkim_header - hand a header to the verifier or keep it for signing */
static void
cb_dkim_header(struct ag_session *s, const char *name, const char *value)
{
	struct ag_message *m = &s->msg;
	struct ag_err err = { 0, "" };
	int rc;

	if (m->outbound) {
		if (ag_dkim_keys_count(s->cfg->dkim_keys) == 0 ||
		    m->dkim_nosign != NULL)
			return;
		rc = ag_session_keep_header(m, name, value);
		if (rc == AG_ELIMIT) {
			m->dkim_nosign = "headers too large to sign";
			ag_session_drop_headers(m);
		} else if (rc != AG_OK) {
			cb_internal_error(s, rc, "keeping headers to sign");
		}
		return;
	}
	if (!s->cfg->dkim_verify)
		return;
	if (m->dkim_v == NULL &&
	    ag_dkim_verify_new(&m->dkim_v, s->cfg->dkim_lib, m->qid, &err) !=
		    AG_OK) {
		cb_internal_error(s, AG_EINTERNAL, "starting DKIM verify");
		return;
	}
	if (ag_dkim_verify_header(m->dkim_v, name, value) != AG_OK)
		cb_internal_error(s, AG_EINTERNAL, "DKIM verify header");
}

static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct ag_session *s = cb_session(ctx);
	struct ag_message *m;

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	m = &s->msg;
	if (strcasecmp(name, "Authentication-Results") == 0) {
		m->ar_count++;
		if (ag_authres_is_ours(value, strlen(value),
				       s->cfg->authserv_id)) {
			if (m->n_ours < AG_SESSION_MAX_AR)
				m->ar_ours[m->n_ours++] = m->ar_count;
			else
				m->ar_overflow = true;
		}
	} else if (strcasecmp(name, "From") == 0) {
		if (m->nfrom < AG_SESSION_FROM_KEPT &&
		    ag_dmarc_from_parse(value, strlen(value),
					&m->hfrom[m->nfrom], NULL) != AG_OK)
			cb_internal_error(s, AG_ENOMEM, "parsing From");
		if (m->nfrom++ == 0) {
			cb_from_domain(m->hfrom_domain,
				       sizeof(m->hfrom_domain), value);
			cb_from_addr(m->from_addr, sizeof(m->from_addr),
				     value);
		}
	}
	if (m->error == 0)
		cb_dkim_header(s, name, value);
	return SMFIS_CONTINUE;
}

/* cb_start_signing - at end of headers: pick keys by From, replay the
 * kept headers into a signer */
static void
cb_start_signing(struct ag_session *s)
{
	struct ag_message *m = &s->msg;
	const struct ag_dkim_key *keys[AG_DKIM_MAX_SIGNERS];
	struct ag_err err = { 0, "" };
	unsigned n;

	if (ag_dkim_keys_count(s->cfg->dkim_keys) == 0 || m->dkim_nosign)
		goto out;
	if (m->nfrom != 1) {
		/* no author, or several: nobody to sign for */
		m->dkim_nosign = m->nfrom == 0 ? "no From" : "several From";
		goto out;
	}
	n = ag_dkim_keys_match(s->cfg->dkim_keys, m->from_addr, keys,
			       AG_DKIM_MAX_SIGNERS);
	if (n == 0) {
		m->dkim_nosign = "no signing key for the From domain";
		goto out;
	}
	if (ag_dkim_sign_new(&m->dkim_s, s->cfg->dkim_lib,
			     &s->cfg->dkim_sign_cfg, keys, n, m->qid,
			     &err) != AG_OK) {
		cb_internal_error(s, AG_EINTERNAL, "starting DKIM signing");
		goto out;
	}
	for (unsigned i = 0; i < m->nhdrs; i++) {
		if (ag_dkim_sign_header(m->dkim_s, m->hdrs[i].name,
					m->hdrs[i].value) != AG_OK) {
			cb_internal_error(s, AG_EINTERNAL, "DKIM sign header");
			goto out;
		}
	}
	if (ag_dkim_sign_eoh(m->dkim_s) != AG_OK)
		cb_internal_error(s, AG_EINTERNAL, "DKIM sign headers");
out:
	ag_session_drop_headers(m);
}

static sfsistat
cb_eoh(SMFICTX *ctx)
{
	struct ag_session *s = cb_session(ctx);
	struct ag_message *m;

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	m = &s->msg;
	if (m->error != 0)
		return SMFIS_CONTINUE;
	if (m->outbound)
		cb_start_signing(s);
	else if (m->dkim_v != NULL && ag_dkim_verify_eoh(m->dkim_v) != AG_OK)
		cb_internal_error(s, AG_EINTERNAL, "DKIM verify headers");
	return SMFIS_CONTINUE;
}

static sfsistat
cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct ag_session *s = cb_session(ctx);
	struct ag_message *m;

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	m = &s->msg;
	if (m->error != 0)
		return SMFIS_CONTINUE;
	if (m->dkim_v != NULL &&
	    ag_dkim_verify_body(m->dkim_v, chunk, len) != AG_OK)
		cb_internal_error(s, AG_EINTERNAL, "DKIM verify body");
	if (m->dkim_s != NULL && ag_dkim_sign_body(m->dkim_s, chunk, len) !=
					 AG_OK)
		cb_internal_error(s, AG_EINTERNAL, "DKIM sign body");
	return SMFIS_CONTINUE;
}

static sfsistat
cb_eom(SMFICTX *ctx)
{
	struct ag_session *s = cb_session(ctx);
	const char *v;

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	if ((v = smfi_getsymval(ctx, "i")) != NULL)
		ag_session_copy(s->msg.qid, sizeof(s->msg.qid), v);
	return ag_eom(ctx, s);
}

static sfsistat
cb_abort(SMFICTX *ctx)
{
	struct ag_session *s = cb_session(ctx);

	if (s != NULL)
		ag_session_msg_reset(s);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_close(SMFICTX *ctx)
{
	struct ag_session *s = cb_session(ctx);

	if (s != NULL) {
		smfi_setpriv(ctx, NULL);
		ag_session_free(&s);
		atomic_fetch_sub(&active_connections, 1);
	}
	return SMFIS_CONTINUE;
}

struct smfiDesc ag_milter_desc = {
	.xxfi_name = "authgate",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
	.xxfi_connect = cb_connect,
	.xxfi_helo = cb_helo,
	.xxfi_envfrom = cb_envfrom,
	.xxfi_envrcpt = cb_envrcpt,
	.xxfi_header = cb_header,
	.xxfi_eoh = cb_eoh,
	.xxfi_body = cb_body,
	.xxfi_eom = cb_eom,
	.xxfi_abort = cb_abort,
	.xxfi_close = cb_close,
};
