/*
 * report/mailout.h - a report as an email, and its delivery through the
 * local sendmail binary or an SMTP server
 * Use:     ag_mailout_gzip(), ag_mailout_compose(), ag_mailout_send().
 * Owns:    the caller frees the buffers these return.
 * Limits:  SMTP replies are read with a 60 s timeout per step.
 */
#ifndef AG_REPORT_MAILOUT_H
#define AG_REPORT_MAILOUT_H

#include <stddef.h>

#include "util/err.h"

/* ag_mailout_gzip - gzip (RFC 1952) of data into a malloc'd buffer */
int ag_mailout_gzip(const char *data, size_t len, unsigned char **out_r,
		    size_t *out_len_r, struct ag_err *err) AG_MUST_CHECK;

struct ag_mailout_msg {
	const char *from;	/* address */
	const char *from_name;	/* display name, may be "" */
	const char *to;		/* address */
	const char *subject;	/* printable ASCII */
	const char *text;	/* the human-readable first part */
	const char *filename;	/* of the attachment */
	const char *ctype;	/* of the attachment: application/gzip */
	const unsigned char *att;
	size_t att_len;
	const char *msgid_domain;
};

/* ag_mailout_compose - RFC 5322 / MIME message, LF line ends, the
 * attachment base64 in 76-column lines */
int ag_mailout_compose(const struct ag_mailout_msg *m, char **msg_r,
		       size_t *len_r, struct ag_err *err) AG_MUST_CHECK;

enum ag_mailout_status {
	AG_MAILOUT_SENT,
	AG_MAILOUT_TEMP,	/* try again later (4xx, EX_TEMPFAIL, network) */
	AG_MAILOUT_PERM		/* refused (5xx, other sendmail exits) */
};

/*
 * ag_mailout_send - deliver msg to rcpt with envelope sender from: by
 * running sendmail (path) when smtp is NULL or "", else over SMTP to
 * smtp ("host:port") greeting as helo. why: the reason when not sent.
 */
enum ag_mailout_status ag_mailout_send(const char *sendmail, const char *smtp,
				       const char *helo, const char *from,
				       const char *rcpt, const char *msg,
				       size_t len, char *why, size_t why_size);

#endif
