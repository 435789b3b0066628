/*
 * dkim/sign_int.h - what sign.c, sigfield.c and lib.c share: the
 * prepared header lists a library handle keeps, and writing one
 * DKIM-Signature field value once the hashes are known
 * Use:     internal to dkim/; callers use dkim/sign.h.
 * Owns:    nothing.
 * Threads: no shared state; the key's EVP_PKEY is only read (OpenSSL 3
 *          allows one parsed key to sign in several threads at once).
 */
#ifndef AG_DKIM_SIGN_INT_H
#define AG_DKIM_SIGN_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "dkim/canon.h"
#include "dkim/keys.h"
#include "dkim/sign.h"
#include "util/err.h"

#define AG_DKIM_SIGN_LIST_MAX 1000 /* bytes of all names, ":"-joined: h=
				    * with each name twice still leaves
				    * room for b= in AG_DKIM_SIG_MAX */

/* the checked header lists of one configuration (defaults filled in,
 * duplicates dropped), prepared once by ag_dkim_sign_configure_lib() so
 * that signing a message does not check them again */
struct ag_dkim_signlists {
	/* the configuration lists these were made from (their identity:
	 * a configuration is immutable once built) */
	const char *const *cfg_sign, *const *cfg_over;
	unsigned cfg_nsign, cfg_nover;
	const char *all[2 * AG_DKIM_MAX_HDRS + 1];  /* signed or oversigned,
						     * into names */
	const char *over[2 * AG_DKIM_MAX_HDRS + 1]; /* oversigned, into
						     * names */
	char names[AG_DKIM_SIGN_LIST_MAX + 2 * AG_DKIM_MAX_HDRS + 2];
};

/* ag_dkim_signlists_free - free l; NULL is fine; clears the pointer */
void ag_dkim_signlists_free(struct ag_dkim_signlists **l);

/* what every signature of one message has in common */
struct ag_dkim_sigparts {
	enum ag_canon hc, bc;	   /* c= */
	uint64_t t;		   /* t= */
	const char *const *h;	   /* h= names, NULL-terminated */
	const unsigned char *bh;   /* body hash */
	unsigned bhlen;
	const EVP_MD_CTX *hdr_md;  /* SHA-256 over the signed fields, in h=
				    * order, not finalized */
};

/*
 * ag_dkim_sigfield - the DKIM-Signature value for key into out (cap
 * bytes, NUL-ended), folded with "\n\t" so that no line of the field
 * ("DKIM-Signature: " included) is longer than 75 bytes: the field is
 * hashed with b= empty, exactly as it is then written, and signed with
 * RSA-SHA256 (PKCS#1 v1.5) or Ed25519 (RFC 8463: PureEdDSA over the
 * SHA-256 hash). AG_ELIMIT when it does not fit in cap; AG_EINTERNAL
 * (named in err) when OpenSSL refuses.
 */
int ag_dkim_sigfield(const struct ag_dkim_key *key,
		     const struct ag_dkim_sigparts *p, char *out, size_t cap,
		     struct ag_err *err) AG_MUST_CHECK;

#endif
