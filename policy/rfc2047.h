/*
 * policy/rfc2047.h - header text as a reader sees it: unfolded, RFC 2047
 * encoded-words decoded, in UTF-8
 * Use:     ag_rfc2047_decode() on a header field value; ag_charset_to_utf8()
 *          for text in a named charset (MIME parts, RFC 2231 parameters).
 * Owns:    nothing.
 * Threads: reentrant (iconv descriptors are per call).
 * Limits:  output bounded by the caller's buffer; an unknown charset or a
 *          malformed word is kept as written, never an error.
 */
#ifndef AG_POLICY_RFC2047_H
#define AG_POLICY_RFC2047_H

#include <stddef.h>

/* ag_rfc2047_decode - at most size-1 bytes and a NUL into out; returns
 * the length written */
size_t ag_rfc2047_decode(const char *in, size_t inlen, char *out,
			 size_t size);

/* ag_charset_to_utf8 - convert in (len bytes in charset) into out; bytes
 * that do not convert become '?'; an unknown charset copies the bytes,
 * non-ASCII as '?'. Returns the length written (NUL-terminated). */
size_t ag_charset_to_utf8(const char *charset, const char *in, size_t len,
			  char *out, size_t size);

#endif
