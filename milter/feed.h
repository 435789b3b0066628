/*
 * milter/feed.h - one SMTP transaction into a session, without libmilter
 * Use:     the libmilter callbacks (callbacks.c) and `authgate --test`
 *          (testmode.c) call these in SMTP order: connect, helo, envfrom,
 *          rcpt..., header..., eoh, body..., then ag_decide() (decide.h).
 *          ag_feed_envfrom() starts a new message.
 * Owns:    nothing beyond the session.
 * Threads: one session, one thread.
 * Errors:  an internal failure is recorded in s->msg.error; the decision
 *          turns it into the OnInternalError answer.
 */
#ifndef AG_MILTER_FEED_H
#define AG_MILTER_FEED_H

#include <stddef.h>
#include <sys/socket.h>

#include "milter/session.h"

/* ag_feed_connect - a session for a client; sa NULL for local
 * submission; NULL when out of memory or there is no configuration */
struct ag_session *ag_feed_connect(struct ag_config *cfg,
				   const char *hostname,
				   const struct sockaddr *sa);
/* ag_feed_connect_to - the same for a session made earlier (at option
 * negotiation) */
void ag_feed_connect_to(struct ag_session *s, const char *hostname,
			const struct sockaddr *sa);
void ag_feed_helo(struct ag_session *s, const char *helo);
/* ag_feed_tls - the MTA's {tls_version} and {cipher} (NULL: none) */
void ag_feed_tls(struct ag_session *s, const char *version,
		 const char *cipher);
/* ag_feed_envfrom - arg as sent ("<a@b>"), auth_user and qid or NULL */
void ag_feed_envfrom(struct ag_session *s, const char *arg,
		     const char *auth_user, const char *qid);
void ag_feed_rcpt(struct ag_session *s, const char *arg);
void ag_feed_header(struct ag_session *s, const char *name,
		    const char *value);
void ag_feed_eoh(struct ag_session *s);
void ag_feed_body(struct ag_session *s, const unsigned char *chunk,
		  size_t len);

#endif
