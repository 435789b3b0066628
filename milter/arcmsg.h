/*
 * milter/arcmsg.h - ARC (RFC 8617) for one message of a session: feed the
 * verifier, finish it at end of message, turn its result into the arc=
 * clause, the rule facts and the DMARC history reason, and seal
 * Use:     from feed.c: ag_arcmsg_header(), _eoh(), _body() as data
 *          arrives; from decide.c: ag_arcmsg_finish() at end of message,
 *          then _authres(), _facts(), _override_reason(), and _seal()
 *          once the verdict says deliver. The session's reset frees what
 *          these keep (s->msg.arc, s->msg.arc_res).
 * Which mail: verified when ARCVerify is yes and the message is inbound
 *          (the client is neither in InternalHosts nor authenticated:
 *          the mail whose DKIM is verified too). Sealed when ARCSealDomain,
 *          ARCSealSelector and ARCSealKey are set and an inbound message is
 *          delivered (accept, tag, redirect, quarantine): we then forward
 *          mail we authenticated ourselves, and our ARC-Authentication-
 *          Results can say so (RFC 8617 5.1). Outbound mail (ours) is not
 *          sealed: its DKIM signature already speaks for it.
 * Owns:    nothing beyond the session's message.
 * Threads: one session, one thread.
 * Errors:  AG_ENOMEM / AG_EINTERNAL when the verifier could not run (the
 *          message tempfails); a failing chain is a result.
 */
#ifndef AG_MILTER_ARCMSG_H
#define AG_MILTER_ARCMSG_H

#include "arc/arc.h"
#include "milter/session.h"
#include "policy/authres.h"
#include "policy/facts.h"
#include "policy/rules.h"

/* ag_arcmsg_header - one header field; starts the verifier at the first */
int ag_arcmsg_header(struct ag_session *s, const char *name,
		     const char *value) AG_MUST_CHECK;
int ag_arcmsg_eoh(struct ag_session *s) AG_MUST_CHECK;
int ag_arcmsg_body(struct ag_session *s, const unsigned char *chunk,
		   size_t len) AG_MUST_CHECK;

/* ag_arcmsg_finish - validate the chain (no-op when not verifying);
 * s->msg.arc_res and s->msg.arc_trusted are set after it */
int ag_arcmsg_finish(struct ag_session *s) AG_MUST_CHECK;

/* ag_arcmsg_authres - "arc=pass (i=2 d=list.example, i=1 d=a.example
 * ip=192.0.2.1) header.oldest-pass=0 smtp.remote-ip=198.51.100.7": the
 * comment names each hop's sealer and the smtp.remote-ip its AAR
 * recorded, newest first; header.oldest-pass (0: every AMS validates,
 * the IANA registry's meaning) only with pass; smtp.remote-ip is the
 * client that handed us the message. Nothing when not verified. */
int ag_arcmsg_authres(const struct ag_session *s, struct ag_authres *ar)
	AG_MUST_CHECK;

/* ag_arcmsg_facts - arc.result, arc.sealers (newest first, pointing into
 * s->msg.arc_res; sealers must hold AG_ARC_MAX_SETS), arc.trusted */
void ag_arcmsg_facts(const struct ag_session *s, const char **sealers,
		     struct ag_facts *f);

/* ag_arcmsg_override_reason - the history reason for an override the
 * ARCTrustedSealers rule gave: "trusted_forwarder ARC i=N sealed by D"
 * into buf; false (buf untouched) when that rule did not give it */
bool ag_arcmsg_override_reason(const struct ag_session *s,
			       const struct ag_rules_result *r, char *buf,
			       size_t size);

/* ag_arcmsg_seal - the new ARC set into *out when this message is to be
 * sealed (see Which mail); ar_value is our Authentication-Results field
 * body; signed_changed names a header field the rules change that the
 * AMS would sign (then no set is made: it could not validate), or NULL.
 * out->sealed false with out->reason when no set is added. */
int ag_arcmsg_seal(struct ag_session *s, const char *ar_value,
		   const char *signed_changed, struct ag_arc_seal_out *out)
	AG_MUST_CHECK;

/* ag_arcmsg_signs - name is a field the AMS signs (ARCSealHeaders or the
 * library's default list) */
bool ag_arcmsg_signs(const struct ag_session *s, const char *name);

/* ag_arcmsg_log - "pass:list.example/trusted", "fail", "none", "-" */
void ag_arcmsg_log(const struct ag_session *s, char *buf, size_t size);

#endif
