/*
 * dkim/keyrecord.h - give libopendkim a DKIM key record's RSA p= in the
 * form it can decode (internal to dkim/: dkim/dns.c calls it)
 * Use:     ag_dkim_keyrecord_fix() on the TXT data of a key record
 *          (<selector>._domainkey.<domain>) before libopendkim reads it.
 * Owns:    nothing; the caller owns both buffers.
 * Threads: stateless; share freely.
 * Limits:  records over AG_DKIM_KEYREC_MAX bytes are left alone; the
 *          rewritten record fits AG_DKIM_KEYREC_OUT_MAX bytes.
 * Errors:  AG_ELIMIT, AG_ENOMEM, AG_EINTERNAL; a record that needs no
 *          rewrite (or cannot have one) is a result, not an error.
 *
 * RFC 6376 3.6.1 defines p= for k=rsa as "an ASN.1 DER-encoded
 * RSAPublicKey" (PKCS#1), while its examples and every key published in
 * practice hold a SubjectPublicKeyInfo. libopendkim decodes p= with
 * d2i_PUBKEY() only, so a bare RSAPublicKey never loads; dkimpy and
 * Mail::DKIM accept both. We rewrite such a p= into the
 * SubjectPublicKeyInfo of the same key and leave every other byte of the
 * record as published, so libopendkim still judges the record itself
 * (v=, k=, h=, s=, t=, revocation, size).
 */
#ifndef AG_DKIM_KEYRECORD_H
#define AG_DKIM_KEYRECORD_H

#include <stddef.h>

#include "util/err.h"

/* the longest record we look into: more than libopendkim reads (1024
 * bytes, BUFRSZ in dkim.c) and than dkim/dns.c passes on */
#define AG_DKIM_KEYREC_MAX 2048
/* room for any rewrite of a record of AG_DKIM_KEYREC_MAX bytes: the
 * SubjectPublicKeyInfo wrapper adds at most 24 DER bytes (32 base64) */
#define AG_DKIM_KEYREC_OUT_MAX (AG_DKIM_KEYREC_MAX + 64)

/*
 * ag_dkim_keyrecord_fix - rewrite rec's p= from PKCS#1 to SPKI
 * rec/len:  the record's TXT data, character-strings concatenated (RFC
 *           6376 3.6.2.2); need not be NUL-terminated.
 * out_r:    out_size bytes; on 1 holds the rewritten record (not
 *           NUL-terminated), *outlen_r its length.
 * Returns 1 when rewritten; 0 when the record is to be passed on as it
 * is: p= absent, empty (revoked), not base64, already a
 * SubjectPublicKeyInfo, not an RSAPublicKey either, k= other than rsa,
 * or the tag-list does not parse (libopendkim then reports the record);
 * AG_ELIMIT when len > AG_DKIM_KEYREC_MAX or the result does not fit
 * out_size; AG_ENOMEM, AG_EINTERNAL from OpenSSL. On anything but 1,
 * out_r and *outlen_r are untouched and the caller passes rec on.
 */
int ag_dkim_keyrecord_fix(const unsigned char *rec, size_t len,
			  unsigned char *out_r, size_t out_size,
			  size_t *outlen_r) AG_MUST_CHECK;

#endif
