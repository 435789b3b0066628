/*
 * dkim/pubkey.h - decoded public keys of DKIM/ARC key records, kept for
 * the next message signed with the same key
 * Use:     ag_dkim_pubkey_get() where a key record's p= (DER bytes) is to
 *          become an EVP_PKEY; libopendkim reaches the same cache through
 *          d2i_PUBKEY_bio() (below) without being told.
 * Owns:    up to AG_DKIM_PUBKEY_SLOTS decoded keys (one reference each);
 *          every key handed out is a new reference the caller frees.
 * Threads: safe; one mutex held only to look up or insert, never while
 *          decoding.
 * Limits:  AG_DKIM_PUBKEY_SLOTS keys of at most AG_DKIM_PUBKEY_DER_MAX
 *          DER bytes; the least recently used key makes room. Input that
 *          does not decode is never kept (it costs a decode every time,
 *          as it would without the cache).
 * Errors:  NULL when the bytes are no SubjectPublicKeyInfo (or memory ran
 *          out); OpenSSL's error queue as d2i_PUBKEY() leaves it.
 *
 * Why: OpenSSL 3.0 (Debian 12) builds its decoder chain anew for every
 * d2i_PUBKEY(): about 170 us for an RSA-2048 key on this project's bench
 * machine, more than the RSA verification it is for (21 us). A verifying
 * milter sees the same few keys all day. libopendkim 2.11 decodes p= with
 * d2i_PUBKEY_bio() for every signature and has no hook to be given a key,
 * so this file also defines d2i_PUBKEY_bio(): a program linking it (the
 * milter, the tools, the tests) binds libopendkim's call to this
 * definition before libcrypto's, the way an allocator replaces malloc.
 * Semantics are d2i_PUBKEY_bio()'s: for a memory BIO and a == NULL, one
 * DER object is read from the BIO and a new reference returned (the same
 * EVP_PKEY as for the previous caller of those bytes: no caller may
 * modify it; libopendkim and authgate only verify with it); any other
 * call goes to libcrypto's own function.
 */
#ifndef AG_DKIM_PUBKEY_H
#define AG_DKIM_PUBKEY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define AG_DKIM_PUBKEY_SLOTS 64
/* an RSA-8192 SubjectPublicKeyInfo is 1062 bytes */
#define AG_DKIM_PUBKEY_DER_MAX 1100

/*
 * ag_dkim_pubkey_get - the key whose SubjectPublicKeyInfo starts der
 * der/len:  DER bytes; one object is read, trailing bytes are ignored
 *           (as d2i_PUBKEY() does).
 * used_r:   if not NULL, the bytes the object took (on success).
 * Returns a new reference (EVP_PKEY_free() it), or NULL.
 */
EVP_PKEY *ag_dkim_pubkey_get(const unsigned char *der, size_t len,
			     size_t *used_r);

/* counters since start (or the last clear): lookups served from the
 * cache, and decodes done */
struct ag_dkim_pubkey_stats {
	uint64_t hits, decodes;
};

void ag_dkim_pubkey_stats(struct ag_dkim_pubkey_stats *st_r);

/* ag_dkim_pubkey_clear - drop every kept key (references handed out stay
 * valid) and zero the counters */
void ag_dkim_pubkey_clear(void);

#endif
