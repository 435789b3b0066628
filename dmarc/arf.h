/*
 * dmarc/arf.h - one failure ("forensic") report: the machine-readable
 * part of an Abuse Reporting Format message (RFC 5965) with the DMARC
 * failure fields of RFC 6591, and the reported message's key headers.
 * Use:     ag_arf_parse() on the text of the message/feedback-report part
 *          and, when present, the text of the message/rfc822 or
 *          text/rfc822-headers part; ag_arf_free() always.
 * Owns:    the report owns its strings (never NULL, "" when absent).
 * Threads: reentrant.
 * Limits:  AG_ARF_MAX bytes of each input; field values cut at
 *          AG_ARF_FIELD_MAX bytes; AG_ARF_MAX_MULTI values of a field that
 *          may repeat (Reported-Domain, Authentication-Results...).
 */
#ifndef AG_DMARC_ARF_H
#define AG_DMARC_ARF_H

#include <stddef.h>

#include "util/err.h"

#define AG_ARF_MAX (1024u * 1024)
#define AG_ARF_FIELD_MAX 2048
#define AG_ARF_MAX_MULTI 16

struct ag_arf {
	/* RFC 5965 3.1 / RFC 6591 3.1 fields, values as written (unfolded,
	 * trimmed); feedback_type, auth_failure, delivery_result and
	 * identity_alignment lower case */
	const char *feedback_type;	/* required: auth-failure, abuse ... */
	const char *user_agent;
	const char *version;
	const char *arrival_date;
	const char *source_ip;
	const char *original_mail_from;
	const char *original_rcpt_to;
	const char *original_envelope_id;
	const char *reporting_mta;
	const char *auth_failure;	/* dmarc, dkim, spf, adsp, bodyhash */
	const char *delivery_result;
	const char *identity_alignment;
	const char *dkim_domain;
	const char *dkim_identity;
	const char *dkim_selector;
	const char *incidents;
	unsigned nreported_domain;
	const char *reported_domain[AG_ARF_MAX_MULTI];
	unsigned nauth_results;
	const char *authentication_results[AG_ARF_MAX_MULTI];
	/* from the reported message's header */
	const char *msg_from;
	const char *msg_to;
	const char *msg_subject;
	const char *msg_date;
	const char *msg_id;

	char *internal_;		/* one allocation holding the strings */
};

/*
 * ag_arf_parse - feedback is the message/feedback-report part (decoded);
 * original the reported message or its headers (NULL when absent).
 * AG_EINVAL when there is no Feedback-Type field; *arf_r NULL on error.
 */
int ag_arf_parse(const char *feedback, size_t flen, const char *original,
		 size_t olen, struct ag_arf **arf_r, struct ag_err *err)
	AG_MUST_CHECK;

void ag_arf_free(struct ag_arf *arf);

#endif
