/*
 * dkim/verify.h - verify the DKIM signatures of one message (RFC 6376,
 * RFC 8463, RFC 8301)
 * Use:     ag_dkim_verify_new() at the first header, _header() for each
 *          header field in order, _eoh(), _body() for each chunk as it
 *          arrives, _finish() at end of message, _free() on every path
 *          (abort included).
 * Owns:    its libopendkim DKIM handle; results are copied into the
 *          caller's struct ag_dkim_results.
 * Threads: one verifier per message, used by one thread at a time.
 * Limits:  cfg->max_sigs signatures evaluated; the rest are reported with
 *          result "policy" and AG_DKIM_REASON_TOO_MANY. At most
 *          AG_DKIM_MAX_RESULTS results are kept. The body is streamed:
 *          never held whole.
 * Errors:  AG_OK whenever verification produced results, including
 *          fail/permerror/temperror per signature; AG_ENOMEM and
 *          AG_EINTERNAL when it could not run (the milter tempfails).
 */
#ifndef AG_DKIM_VERIFY_H
#define AG_DKIM_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct ag_dkim_lib;
struct ag_dkim_verifier;

#define AG_DKIM_MAX_RESULTS 16
#define AG_DKIM_DOMAIN_MAX 256
#define AG_DKIM_B_PREFIX 16	/* RFC 6008 header.b: first 16 chars */

enum ag_dkim_result {
	AG_DKIM_NONE = 0,	/* the message carries no signature */
	AG_DKIM_PASS,
	AG_DKIM_FAIL,
	AG_DKIM_NEUTRAL,	/* syntactically bad signature (RFC 8601) */
	AG_DKIM_POLICY,		/* valid but not acceptable: rsa-sha1, past
				 * max_sigs */
	AG_DKIM_TEMPERROR,	/* key lookup failed temporarily */
	AG_DKIM_PERMERROR	/* no key, bad key record, key too small */
};

struct ag_dkim_sig_result {
	enum ag_dkim_result result;
	char reason[128];		/* short words for the A-R comment */
	char d[AG_DKIM_DOMAIN_MAX];	/* header.d */
	char i[AG_DKIM_DOMAIN_MAX];	/* header.i (may be empty) */
	char s[128];			/* header.s */
	char a[32];			/* header.a: "rsa-sha256" */
	char b[AG_DKIM_B_PREFIX + 1];	/* header.b prefix */
	bool has_l;			/* l= present: body length limited */
	bool l_partial;			/* content follows the l= length */
	unsigned key_bits;		/* 0 when unknown */
};

struct ag_dkim_results {
	unsigned count;			/* 0: unsigned message (none) */
	struct ag_dkim_sig_result sig[AG_DKIM_MAX_RESULTS];
	unsigned not_evaluated;		/* signatures past the limits */
};

int ag_dkim_verify_new(struct ag_dkim_verifier **v_r,
		       const struct ag_dkim_lib *lib, const char *jobid,
		       struct ag_err *err) AG_MUST_CHECK;

/* ag_dkim_verify_header - one header field: name and value as the MTA
 * passes them (value without the leading space, folding as "\n" + WSP or
 * "\r\n" + WSP) */
int ag_dkim_verify_header(struct ag_dkim_verifier *v, const char *name,
			  const char *value) AG_MUST_CHECK;
int ag_dkim_verify_eoh(struct ag_dkim_verifier *v) AG_MUST_CHECK;

/* ag_dkim_verify_body - a body chunk with CRLF line ends, as milters get
 * it */
int ag_dkim_verify_body(struct ag_dkim_verifier *v, const unsigned char *buf,
			size_t len) AG_MUST_CHECK;

/* ag_dkim_verify_finish - results of every signature (none when
 * unsigned): count, not_evaluated and sig[0..count-1] are set, the
 * entries past count are left as they were */
int ag_dkim_verify_finish(struct ag_dkim_verifier *v,
			  struct ag_dkim_results *res_r) AG_MUST_CHECK;

void ag_dkim_verify_free(struct ag_dkim_verifier **v);

/* ag_dkim_result_name - "pass", "fail", ... as RFC 8601 spells them */
const char *ag_dkim_result_name(enum ag_dkim_result r);

#endif
