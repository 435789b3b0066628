/*
 * dkim/canon.h - DKIM canonicalization and hashing (RFC 6376 3.4, 3.7),
 * written once and shared by our DKIM signer and ARC (RFC 8617 uses the
 * DKIM algorithms unchanged)
 * Use:     headers: ag_canon_header() gives one field's canonical form,
 *          ag_canon_header_hash() feeds it straight into a digest.
 *          body: ag_canon_body_new(), _update() for every chunk (chunks may
 *          split a line, a CRLF or a run of blanks anywhere), _final() for
 *          the body hash, _free() on every path.
 * Input:   header values as the milter receives them: a value that starts
 *          with a space or tab (SMFIP_HDR_LEADSPC) follows "Name:" verbatim,
 *          else "Name: value" is the field. Line breaks inside a folded
 *          value and in the body may be "\n" or "\r\n"; a bare "\n" counts
 *          as "\r\n", the form the message has on the wire. A CR not
 *          followed by LF is body content. Relaxed headers drop every CR
 *          and LF of the value (in a field they only fold).
 * Owns:    a body canonicalizer owns its digest context; nothing else is
 *          allocated.
 * Threads: no shared state.
 * Limits:  ag_canon_header() never writes past cap; a body limit (l=)
 *          stops hashing after that many canonical bytes.
 * Errors:  AG_OK, AG_EINVAL (bad c= text, NULL name), AG_ELIMIT (output
 *          does not fit), AG_ENOMEM, AG_EINTERNAL (OpenSSL refused).
 */
#ifndef AG_DKIM_CANON_H
#define AG_DKIM_CANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "util/err.h"

enum ag_canon {
	AG_CANON_SIMPLE = 0,
	AG_CANON_RELAXED
};

/* ag_canon_parse - a c= tag value ("relaxed/simple", "relaxed", ...) into
 * its header and body forms; a missing body part means simple (RFC 6376
 * 3.5); case-insensitive; AG_EINVAL for anything else */
int ag_canon_parse(const char *text, enum ag_canon *hdr_r,
		   enum ag_canon *body_r) AG_MUST_CHECK;

/*
 * ag_canon_header - the canonical form of the field name/value into out
 * (cap bytes; NUL-terminated when room is left), its length in *len_r.
 * With crlf, CRLF ends it (every signed field but the signature field
 * itself, RFC 6376 3.7). For the signature field being computed, the
 * caller passes the value with its b= value already emptied.
 */
int ag_canon_header(enum ag_canon c, const char *name, const char *value,
		    bool crlf, char *out, size_t cap,
		    size_t *len_r) AG_MUST_CHECK;

/* ag_canon_header_hash - the same, fed into md (any size, no copy limit) */
int ag_canon_header_hash(enum ag_canon c, const char *name,
			 const char *value, bool crlf,
			 EVP_MD_CTX *md) AG_MUST_CHECK;

struct ag_canon_body;

/* ag_canon_body_new - a body canonicalizer hashing with md (EVP_sha256()
 * or EVP_sha1() for verification of old signatures); limit: the l= value,
 * or -1 for the whole body */
int ag_canon_body_new(struct ag_canon_body **b_r, enum ag_canon c,
		      const EVP_MD *md, int64_t limit) AG_MUST_CHECK;

int ag_canon_body_update(struct ag_canon_body *b, const unsigned char *buf,
			 size_t len) AG_MUST_CHECK;

/* ag_canon_body_final - the body hash into digest (EVP_MAX_MD_SIZE bytes
 * of room), its length in *dlen_r; *total_r (may be NULL) is the length
 * of the whole canonical body, so a verifier can tell whether content
 * follows an l= limit. Call once. */
int ag_canon_body_final(struct ag_canon_body *b, unsigned char *digest,
			unsigned *dlen_r, uint64_t *total_r) AG_MUST_CHECK;

void ag_canon_body_free(struct ag_canon_body **b);

#endif
