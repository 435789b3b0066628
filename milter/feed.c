/*
 * milter/feed.c - record one SMTP transaction into a session
 *
 * SPF runs at MAIL FROM (all its inputs are known then); DKIM and ARC
 * are fed as headers and body arrive; everything else is decided at end of message
 * (decide.c).
 */
#include "milter/feed.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "milter/arcmsg.h"
#include "policy/authres.h"
#include "policy/rules.h"

/* feed_error - mark the message failed; the decision answers for it */
static void
feed_error(struct ag_session *s, int code, const char *what)
{
	if (s->msg.error != 0)
		return;
	s->msg.error = code;
	snprintf(s->msg.error_what, sizeof(s->msg.error_what), "%s", what);
}

struct ag_session *
ag_feed_connect(struct ag_config *cfg, const char *hostname,
		const struct sockaddr *sa)
{
	struct ag_session *s = cfg != NULL ? ag_session_new_cfg(cfg)
					   : ag_session_new();

	if (s != NULL)
		ag_feed_connect_to(s, hostname, sa);
	return s;
}

void
ag_feed_connect_to(struct ag_session *s, const char *hostname,
		   const struct sockaddr *sa)
{
	ag_session_copy(s->hostname, sizeof(s->hostname), hostname);
	if (sa != NULL && sa->sa_family == AF_INET) {
		memcpy(&s->addr, sa, sizeof(struct sockaddr_in));
		s->have_addr = true;
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  s->ip, sizeof(s->ip));
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		memcpy(&s->addr, sa, sizeof(struct sockaddr_in6));
		s->have_addr = true;
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr, s->ip,
			  sizeof(s->ip));
	} else {
		/* no address: local submission (sendmail(1), pickup) */
		snprintf(s->ip, sizeof(s->ip), "local");
	}
	s->internal = !s->have_addr ||
		      ag_cidr_match(s->cfg->internal_hosts,
				    (struct sockaddr *)&s->addr);
}

void
ag_feed_helo(struct ag_session *s, const char *helo)
{
	ag_session_copy(s->helo, sizeof(s->helo), helo);
}

void
ag_feed_tls(struct ag_session *s, const char *version, const char *cipher)
{
	if (version != NULL)
		ag_session_copy(s->tls_version, sizeof(s->tls_version),
				version);
	if (cipher != NULL)
		ag_session_copy(s->tls_cipher, sizeof(s->tls_cipher), cipher);
}

/* strip_brackets - "<a@b>" to "a@b" (bounded copy) */
static void
strip_brackets(char *dst, size_t size, const char *arg)
{
	size_t n;

	ag_session_copy(dst, size, arg);
	n = strlen(dst);
	if (n >= 2 && dst[0] == '<' && dst[n - 1] == '>') {
		memmove(dst, dst + 1, n - 2);
		dst[n - 2] = '\0';
	}
}

/* run_spf - check MAIL FROM (and HELO) unless the client is trusted */
static void
run_spf(struct ag_session *s)
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
		feed_error(s, AG_EINTERNAL, "SPF check of MAIL FROM");
		return;
	}
	m->spf_mf_done = true;
	/* with a null reverse-path the MAIL FROM check already was the HELO
	 * check (RFC 7208 2.4); do not run it twice */
	if (!cfg->spf_check_helo || m->mailfrom[0] == '\0' ||
	    s->helo[0] == '\0')
		return;
	if (ag_spf_check_helo(cfg->spf, sa, s->helo, &m->spf_helo) != AG_OK) {
		feed_error(s, AG_EINTERNAL, "SPF check of HELO");
		return;
	}
	m->spf_helo_done = true;
}

void
ag_feed_envfrom(struct ag_session *s, const char *arg, const char *auth_user,
		const char *qid)
{
	ag_session_msg_reset(s);
	strip_brackets(s->msg.mailfrom, sizeof(s->msg.mailfrom), arg);
	if (auth_user != NULL)
		ag_session_copy(s->msg.auth_user, sizeof(s->msg.auth_user),
				auth_user);
	if (qid != NULL)
		ag_session_copy(s->msg.qid, sizeof(s->msg.qid), qid);
	/* DESIGN.md: authenticated or internal mail is ours to sign, the
	 * rest is checked */
	s->msg.outbound = s->internal || s->msg.auth_user[0] != '\0';
	run_spf(s);
}

void
ag_feed_rcpt(struct ag_session *s, const char *arg)
{
	char addr[AG_SESSION_ADDR_MAX];

	strip_brackets(addr, sizeof(addr), arg);
	if (s->msg.nrcpt == 0) {
		/* the first recipient's domain, for the DMARC history */
		const char *at = strrchr(addr, '@');

		snprintf(s->msg.rcpt_domain, sizeof(s->msg.rcpt_domain), "%s",
			 at != NULL ? at + 1 : "");
	}
	if (ag_session_keep_rcpt(&s->msg, addr) != AG_OK)
		feed_error(s, AG_ENOMEM, "keeping recipients");
}

/* from_domain - the domain of a From value, for the log line only: the
 * DMARC evaluation parses From with a real RFC 5322 parser */
static void
from_domain(char *dst, size_t size, const char *value)
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

/* from_addr - the address of a From value for the SigningTable and the
 * rules: inside the last <...>, else the value without comments and
 * spaces. The DMARC evaluation uses a full RFC 5322 parser instead. */
static void
from_addr(char *dst, size_t size, const char *value)
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

/* from_name - the display name: what stands before the last '<', quotes
 * and outer space removed (still RFC 2047 encoded; decided later) */
static void
from_name(char *dst, size_t size, const char *value)
{
	const char *lt = strrchr(value, '<');
	size_t n, o = 0;

	dst[0] = '\0';
	if (lt == NULL)
		return;
	n = (size_t)(lt - value);
	for (size_t i = 0; i < n && o + 1 < size; i++) {
		char c = value[i];

		if (c == '"' || c == '\r' || c == '\n')
			continue;
		if (c == '\\' && i + 1 < n)
			c = value[++i];
		dst[o++] = c;
	}
	dst[o] = '\0';
	while (o > 0 && (dst[o - 1] == ' ' || dst[o - 1] == '\t'))
		dst[--o] = '\0';
	n = strspn(dst, " \t");
	memmove(dst, dst + n, o - n + 1);
}

/* feed_dkim_header - hand a header to the verifier or keep it for
 * signing */
static void
feed_dkim_header(struct ag_session *s, const char *name, const char *value)
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
			feed_error(s, rc, "keeping headers to sign");
		}
		return;
	}
	if (!s->cfg->dkim_verify)
		return;
	if (m->dkim_v == NULL &&
	    ag_dkim_verify_new(&m->dkim_v, s->cfg->dkim_lib, m->qid, &err) !=
		    AG_OK) {
		feed_error(s, AG_EINTERNAL, "starting DKIM verify");
		return;
	}
	if (ag_dkim_verify_header(m->dkim_v, name, value) != AG_OK)
		feed_error(s, AG_EINTERNAL, "DKIM verify header");
}

void
ag_feed_header(struct ag_session *s, const char *name, const char *value)
{
	struct ag_message *m = &s->msg;

	m->size += strlen(name) + strlen(value) + 4;
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
			feed_error(s, AG_ENOMEM, "parsing From");
		if (m->nfrom++ == 0) {
			from_domain(m->hfrom_domain, sizeof(m->hfrom_domain),
				    value);
			from_addr(m->from_addr, sizeof(m->from_addr), value);
			from_name(m->from_name, sizeof(m->from_name), value);
		}
	}
	if (s->cfg->rules != NULL &&
	    ag_session_keep_all(m, name, value) != AG_OK)
		feed_error(s, AG_ENOMEM, "keeping headers for the rules");
	if (m->error == 0)
		feed_dkim_header(s, name, value);
	if (m->error == 0 && ag_arcmsg_header(s, name, value) != AG_OK)
		feed_error(s, AG_EINTERNAL, "ARC verify header");
}

/* from_addr_is_author - the address the SigningTable sees has the one
 * author domain the RFC 5322 parser found in the From field: a domain in
 * a comment, a quoted local part or a second address ("x <ceo@bank>"@evil,
 * "a@evil (ceo@bank)", "<a@evil> <ceo@bank>") must not pick its key */
static bool
from_addr_is_author(const struct ag_message *m)
{
	struct ag_dmarc_from addr;
	const char *author = ag_dmarc_from_single_domain(&m->hfrom[0]), *d;

	if (author == NULL ||
	    ag_dmarc_from_parse(m->from_addr, strlen(m->from_addr), &addr,
				NULL) != AG_OK)
		return false;
	d = ag_dmarc_from_single_domain(&addr);
	return d != NULL && strcmp(d, author) == 0;
}

/* start_signing - at end of headers: pick keys by From, replay the kept
 * headers into a signer */
static void
start_signing(struct ag_session *s)
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
	if (!from_addr_is_author(m)) {
		m->dkim_nosign = "no single author domain in From";
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
		feed_error(s, AG_EINTERNAL, "starting DKIM signing");
		goto out;
	}
	for (unsigned i = 0; i < m->nhdrs; i++) {
		if (ag_dkim_sign_header(m->dkim_s, m->hdrs[i].name,
					m->hdrs[i].value) != AG_OK) {
			feed_error(s, AG_EINTERNAL, "DKIM sign header");
			goto out;
		}
	}
	if (ag_dkim_sign_eoh(m->dkim_s) != AG_OK)
		feed_error(s, AG_EINTERNAL, "DKIM sign headers");
out:
	ag_session_drop_headers(m);
}

void
ag_feed_eoh(struct ag_session *s)
{
	struct ag_message *m = &s->msg;

	m->size += 2;
	if (m->error != 0)
		return;
	if (m->outbound)
		start_signing(s);
	else if (m->dkim_v != NULL && ag_dkim_verify_eoh(m->dkim_v) != AG_OK)
		feed_error(s, AG_EINTERNAL, "DKIM verify headers");
	if (m->error == 0 && ag_arcmsg_eoh(s) != AG_OK)
		feed_error(s, AG_EINTERNAL, "ARC verify headers");
}

/* keep_body - the first BodyScanWindow bytes, when the rules read the
 * body; memory is bounded by the window, never by the message */
static void
keep_body(struct ag_session *s, const unsigned char *chunk, size_t len)
{
	struct ag_message *m = &s->msg;
	size_t window = s->cfg->body_window, n;

	if (s->cfg->rules == NULL ||
	    (!(ag_rules_needs(s->cfg->rules) & AG_NEED_BODY) && !s->explain) ||
	    m->body_len >= window)
		return;
	if (m->body == NULL && (m->body = malloc(window)) == NULL) {
		feed_error(s, AG_ENOMEM, "keeping the body scan window");
		return;
	}
	n = len < window - m->body_len ? len : window - m->body_len;
	memcpy(m->body + m->body_len, chunk, n);
	m->body_len += n;
}

void
ag_feed_body(struct ag_session *s, const unsigned char *chunk, size_t len)
{
	struct ag_message *m = &s->msg;

	m->size += len;
	if (m->error != 0)
		return;
	keep_body(s, chunk, len);
	if (m->dkim_v != NULL &&
	    ag_dkim_verify_body(m->dkim_v, chunk, len) != AG_OK)
		feed_error(s, AG_EINTERNAL, "DKIM verify body");
	if (m->dkim_s != NULL && ag_dkim_sign_body(m->dkim_s, chunk, len) !=
					 AG_OK)
		feed_error(s, AG_EINTERNAL, "DKIM sign body");
	if (ag_arcmsg_body(s, chunk, len) != AG_OK)
		feed_error(s, AG_EINTERNAL, "ARC verify body");
}
