/*
 * dkim/sign.h - sign one message with one or more keys (RFC 6376, RFC 8463)
 * Use:     once per configuration, ag_dkim_sign_configure_lib() on the new
 *          library handle, before it is shared (it checks the header lists
 *          and marks the handle as set up for signing); per message,
 *          ag_dkim_sign_new() with the keys from ag_dkim_keys_match(),
 *          _header() per header field in order, _eoh(), _body() per chunk,
 *          _finish() for the DKIM-Signature field values, _free() always.
 * Owns:    the signed fields' copies and one body hash shared by every
 *          key; the keys are borrowed (their parsed EVP_PKEY is only
 *          read) and must outlive the signer; the returned values are
 *          copied into the caller's array.
 * Threads: one signer per message, used by one thread at a time; any
 *          number of signers may use the same keys at once.
 * Policy:  relaxed/relaxed unless configured; never l=, no i=; the header
 *          list and the oversigned list come from the configuration
 *          (defaults and their reasons in dkim/sign.c). Authentication-
 *          Results, ARC-*, DKIM-Signature, Received and Return-Path are
 *          never signed: they are added or rewritten after signing.
 *          a=rsa-sha256 or ed25519-sha256 by the key; tags v= a= c= d= s=
 *          t= h= bh= b=, folded with "\n\t" (dkim/sigfield.c).
 * Input:   header values as the milter receives them: a value that starts
 *          with a space or tab (SMFIP_HDR_LEADSPC) is used verbatim after
 *          "Name:", else "Name: value" is signed. Line breaks inside a
 *          folded value and in the body may be "\n" or "\r\n": bare "\n"
 *          is signed as "\r\n", the form the message has on the wire.
 * Limits:  1000 signed fields and 1 MB of them per message (AG_ELIMIT).
 * Errors:  AG_OK, AG_ENOMEM, AG_EINVAL (a bad header list; a NULL field;
 *          calls out of order), AG_ELIMIT (over the limits above, or a
 *          signature longer than AG_DKIM_SIG_MAX), AG_EINTERNAL (OpenSSL
 *          refused: the key is named in err).
 */
#ifndef AG_DKIM_SIGN_H
#define AG_DKIM_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "dkim/keys.h"
#include "util/err.h"

struct ag_dkim_lib;
struct ag_dkim_signer;

#define AG_DKIM_SIG_MAX 8192	/* bytes of one DKIM-Signature value */
#define AG_DKIM_MAX_HDRS 64	/* names in a header list */

struct ag_dkim_sign_config {
	bool header_simple;	/* c=simple/... ; default relaxed */
	bool body_simple;	/* c=.../simple ; default relaxed */
	/* header names to sign when present; NULL/0: the built-in default
	 * list of ag_dkim_sign_default_headers() */
	const char *const *sign_headers;
	unsigned n_sign_headers;
	/* names signed once more than they occur, so none can be added
	 * after signing (RFC 6376 8.15); NULL/0: the built-in default */
	const char *const *oversign_headers;
	unsigned n_oversign_headers;
};

/* the default lists, NULL-terminated, documented in dkim/sign.c */
const char *const *ag_dkim_sign_default_headers(void);
const char *const *ag_dkim_sign_default_oversign(void);

/*
 * ag_dkim_sign_configure_lib - check cfg's header lists and record on lib
 * that it was set up for signing. Call once, right after
 * ag_dkim_lib_new() and before the handle is shared between threads;
 * ag_dkim_sign_new() refuses a library handle that was not configured
 * (a configuration that forgot it would otherwise sign with lists
 * nobody checked). AG_EINVAL names a header name that must not be signed
 * or cannot be, or lists longer than 1000 bytes together.
 */
int ag_dkim_sign_configure_lib(struct ag_dkim_lib *lib,
			       const struct ag_dkim_sign_config *cfg,
			       struct ag_err *err) AG_MUST_CHECK;

struct ag_dkim_signature {
	char value[AG_DKIM_SIG_MAX];	/* the field body after
					 * "DKIM-Signature: ", folded with
					 * "\n\t" (libmilter header values
					 * use "\n"; the MTA writes CRLF) */
	char domain[256];
	char selector[128];
};

int ag_dkim_sign_new(struct ag_dkim_signer **s_r,
		     const struct ag_dkim_lib *lib,
		     const struct ag_dkim_sign_config *cfg,
		     const struct ag_dkim_key *const *keys, unsigned nkeys,
		     const char *jobid, struct ag_err *err) AG_MUST_CHECK;
int ag_dkim_sign_header(struct ag_dkim_signer *s, const char *name,
			const char *value) AG_MUST_CHECK;
int ag_dkim_sign_eoh(struct ag_dkim_signer *s) AG_MUST_CHECK;
int ag_dkim_sign_body(struct ag_dkim_signer *s, const unsigned char *buf,
		      size_t len) AG_MUST_CHECK;

/* ag_dkim_sign_finish - one signature per key, in key order; insert each
 * as "DKIM-Signature" with value as is (the MTA puts ": " between, which
 * is what was signed) above the fields that were signed */
int ag_dkim_sign_finish(struct ag_dkim_signer *s,
			struct ag_dkim_signature *sigs, unsigned max,
			unsigned *n_r, struct ag_err *err) AG_MUST_CHECK;
void ag_dkim_sign_free(struct ag_dkim_signer **s);

#endif
