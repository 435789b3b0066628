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
	cb_run_spf(s);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct ag_session *s = cb_session(ctx);

	(void)argv;
	if (s == NULL)
		return SMFIS_TEMPFAIL;
	s->msg.nrcpt++;
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
		if (m->nfrom++ == 0)
			cb_from_domain(m->hfrom_domain,
				       sizeof(m->hfrom_domain), value);
	}
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
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
	.xxfi_connect = cb_connect,
	.xxfi_helo = cb_helo,
	.xxfi_envfrom = cb_envfrom,
	.xxfi_envrcpt = cb_envrcpt,
	.xxfi_header = cb_header,
	.xxfi_eom = cb_eom,
	.xxfi_abort = cb_abort,
	.xxfi_close = cb_close,
};
