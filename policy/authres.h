/*
 * policy/authres.h - Authentication-Results header fields (RFC 8601)
 * Use:     building: ag_authres_new(), ag_authres_add() per result,
 *          ag_authres_value() for the field body, ag_authres_free().
 *          reading:  ag_authres_servid() extracts the authserv-id of an
 *          existing field so forged ones carrying ours can be removed.
 * Owns:    the builder owns its text; ag_authres_value() points into it
 *          until the next add or free.
 * Threads: one builder per message; the parser is reentrant.
 * Limits:  AG_AUTHRES_MAX bytes of field body (AG_ELIMIT past it);
 *          property values over AG_AUTHRES_PVALUE_MAX bytes are cut.
 *          The parser reads the whole field (the MTA bounds its size)
 *          but no more than AG_AUTHRES_COMMENT_DEPTH nested comments.
 *
 * Grammar read (RFC 8601 2.2, with RFC 5322 CFWS and RFC 2045 value):
 *   field     = [CFWS] authserv-id [CFWS] ...
 *   authserv-id = token / quoted-string
 *   token     = 1*<any CHAR except SP, CTLs and ()<>@,;:\"/[]?=>
 *   comment   = "(" *(ctext / quoted-pair / comment) ")"
 */
#ifndef AG_POLICY_AUTHRES_H
#define AG_POLICY_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define AG_AUTHRES_MAX 8192
#define AG_AUTHRES_PVALUE_MAX 512
#define AG_AUTHRES_SERVID_MAX 256
#define AG_AUTHRES_COMMENT_DEPTH 16

struct ag_authres;

struct ag_authres_prop {
	const char *name;	/* "smtp.mailfrom", "smtp.helo", "header.d" */
	const char *value;	/* attacker-controlled text: encoded here */
};

int ag_authres_new(struct ag_authres **ar_r, const char *servid)
	AG_MUST_CHECK;
void ag_authres_free(struct ag_authres **ar);

/*
 * ag_authres_add - append "; method=result [reason] prop=value ..." as a
 * resinfo on its own folded line. reason may be NULL; when given it is
 * written as a comment. A property whose value is NULL or empty is left
 * out.
 */
int ag_authres_add(struct ag_authres *ar, const char *method,
		   const char *result, const char *reason,
		   const struct ag_authres_prop *props, unsigned nprops)
	AG_MUST_CHECK;

/* ag_authres_value - the field body, "servid; none" when nothing was added;
 * folded with "\n\t" as milters pass folded values */
const char *ag_authres_value(struct ag_authres *ar);

/*
 * ag_authres_servid - copy the authserv-id of field body value (len bytes,
 * need not be NUL-terminated) into out. Returns 1 found, 0 when the field
 * has no authserv-id, AG_ELIMIT when it is longer than outsize-1,
 * AG_EINVAL when it hides behind more than AG_AUTHRES_COMMENT_DEPTH nested
 * comments (unreadable to us, maybe not to others).
 */
int ag_authres_servid(const char *value, size_t len, char *out,
		      size_t outsize);

/* ag_authres_is_ours - true when value's authserv-id equals servid,
 * compared without regard to case (RFC 8601 5), and when it cannot be
 * read within our limits (so it is removed rather than trusted) */
bool ag_authres_is_ours(const char *value, size_t len, const char *servid);

/* ag_authres_valid_servid - true when s can be written as a bare token */
bool ag_authres_valid_servid(const char *s);

#endif
