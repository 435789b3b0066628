/*
 * milter/callbacks.c - libmilter callbacks: read the MTA's values and
 * macros, hand them to feed.c; the answer comes from eom.c
 *
 * Every verdict is given at end of message (a failure while feeding is
 * recorded and answered there), so the steps before it need no answer:
 * at option negotiation we ask the MTA not to wait for one (SMFIP_NR_*)
 * and not to send the steps we have no use for (DATA, unknown commands).
 * Each reply saved is one write and one wake-up of the MTA; for a
 * message with 15 header fields that is most of the protocol's round
 * trips. An MTA that does not offer these gets the classic replies.
 */
#include "milter/callbacks.h"

#include <stdatomic.h>
#include <stddef.h>
#include <libmilter/mfdef.h>

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

/* the steps we let go unanswered, and those we do not want at all */
#define CB_NOREPLY                                                             \
	(SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR |          \
	 SMFIP_NR_EOH | SMFIP_NR_BODY)
#define CB_SKIP (SMFIP_NODATA | SMFIP_NOUNKNOWN)

/* cb_go_on - continue, without a reply when the MTA agreed to none */
static sfsistat
cb_go_on(const struct ag_session *s, unsigned long nr_bit)
{
	return (s->noreply & nr_bit) != 0 ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* cb_negotiate - the session starts here, to remember what was agreed */
static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
	     unsigned long f2, unsigned long f3, unsigned long *pf0,
	     unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct ag_session *s;
	unsigned long want = ag_milter_desc.xxfi_flags;

	(void)f2;
	(void)f3;
	if ((f0 & want) != want)
		return SMFIS_ALL_OPTS;	/* libmilter reports the mismatch */
	if ((s = ag_session_new()) == NULL) {
		ag_log(AG_LOG_ERR, "negotiate: out of memory or no "
		       "configuration; answering tempfail");
		return SMFIS_TEMPFAIL;
	}
	s->noreply = f1 & CB_NOREPLY;
	*pf0 = want;
	*pf1 = s->noreply | (f1 & CB_SKIP);
	*pf2 = 0;
	*pf3 = 0;
	smfi_setpriv(ctx, s);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct ag_session *s = cb_session(ctx);

	if (s != NULL)
		ag_feed_connect_to(s, hostname, hostaddr);
	else if ((s = ag_feed_connect(NULL, hostname, hostaddr)) != NULL)
		smfi_setpriv(ctx, s);
	if (s == NULL) {
		ag_log(AG_LOG_ERR, "connect: out of memory or no "
		       "configuration; answering tempfail");
		return SMFIS_TEMPFAIL;
	}
	s->connected = true;
	atomic_fetch_add(&active_connections, 1);
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
	return cb_go_on(s, SMFIP_NR_HELO);
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
	return cb_go_on(s, SMFIP_NR_MAIL);
}

static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct ag_session *s = cb_session(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	ag_feed_rcpt(s, argv != NULL ? argv[0] : NULL);
	return cb_go_on(s, SMFIP_NR_RCPT);
}

static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct ag_session *s = cb_session(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	ag_feed_header(s, name, value);
	return cb_go_on(s, SMFIP_NR_HDR);
}

static sfsistat
cb_eoh(SMFICTX *ctx)
{
	struct ag_session *s = cb_session(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	ag_feed_eoh(s);
	return cb_go_on(s, SMFIP_NR_EOH);
}

static sfsistat
cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct ag_session *s = cb_session(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	ag_feed_body(s, chunk, len);
	return cb_go_on(s, SMFIP_NR_BODY);
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
		bool counted = s->connected;

		smfi_setpriv(ctx, NULL);
		ag_session_free(&s);
		if (counted)
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
	.xxfi_negotiate = cb_negotiate,
};
