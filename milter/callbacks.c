/*
 * milter/callbacks.c - libmilter callbacks: read the MTA's values and
 * macros, hand them to feed.c; the answer comes from eom.c
 */
#include "milter/callbacks.h"

#include <stdatomic.h>
#include <stddef.h>

#include "milter/eom.h"
#include "milter/feed.h"
#include "milter/session.h"
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

/* cb_tls - Postfix sends the TLS macros with HELO, Sendmail with MAIL */
static void
cb_tls(SMFICTX *ctx, struct ag_session *s)
{
	ag_feed_tls(s, smfi_getsymval(ctx, "{tls_version}"),
		    smfi_getsymval(ctx, "{cipher}"));
}

static sfsistat
cb_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct ag_session *s = ag_feed_connect(NULL, hostname, hostaddr);

	if (s == NULL) {
		ag_log(AG_LOG_ERR, "connect: out of memory or no "
		       "configuration; answering tempfail");
		return SMFIS_TEMPFAIL;
	}
	atomic_fetch_add(&active_connections, 1);
	smfi_setpriv(ctx, s);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_helo(SMFICTX *ctx, char *helo)
{
	struct ag_session *s = cb_session(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	ag_feed_helo(s, helo);
	cb_tls(ctx, s);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct ag_session *s = cb_session(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	cb_tls(ctx, s);
	ag_feed_envfrom(s, argv != NULL ? argv[0] : NULL,
			smfi_getsymval(ctx, "{auth_authen}"),
			smfi_getsymval(ctx, "i"));
	return SMFIS_CONTINUE;
}

static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct ag_session *s = cb_session(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	ag_feed_rcpt(s, argv != NULL ? argv[0] : NULL);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct ag_session *s = cb_session(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	ag_feed_header(s, name, value);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_eoh(SMFICTX *ctx)
{
	struct ag_session *s = cb_session(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	ag_feed_eoh(s);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct ag_session *s = cb_session(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	ag_feed_body(s, chunk, len);
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
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE |
		      SMFIF_ADDRCPT | SMFIF_DELRCPT,
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
