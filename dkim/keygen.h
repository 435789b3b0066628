/*
 * dkim/keygen.h - make a DKIM key pair and the DNS record to publish
 * Use:     ag_dkim_keygen() writes the private key and returns the TXT
 *          record value; ag_dkim_keygen_zone_line() turns that value into
 *          the zone-file line for selector._domainkey.domain.
 * Owns:    nothing after return.
 * Threads: reentrant.
 * Errors:  AG_OK, AG_EINVAL (bad algorithm/size/name, the key file exists
 *          or cannot be created: err names it), AG_ELIMIT (an output does
 *          not fit the caller's buffer), AG_EINTERNAL (OpenSSL failed).
 */
#ifndef AG_DKIM_KEYGEN_H
#define AG_DKIM_KEYGEN_H

#include <stddef.h>

#include "dkim/keys.h"
#include "util/err.h"

#define AG_DKIM_KEYGEN_RSA_BITS 2048 /* RFC 8301 3.2: SHOULD be >= 2048 */
#define AG_DKIM_TXT_MAX                                                        \
	2048 /* the record value of an RSA-8192                                \
	      * key is about 1.4 KB */
#define AG_DKIM_ZONE_LINE_MAX 4096

/*
 * ag_dkim_keygen - generate a key (RSA of bits, 0 meaning 2048, from 1024
 * to 8192; Ed25519 takes bits 0 or 256) and write its private key as an
 * unencrypted PKCS#8 PEM to keyfile_out, created with mode 0600 and
 * O_EXCL (an existing file, or a symlink there, is never overwritten; a
 * failed write removes the file). txt_r receives the TXT record value,
 * unsplit: "v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>" or
 * "v=DKIM1; k=ed25519; p=<base64 of the 32-byte raw key>" (RFC 8463 4.2).
 */
int ag_dkim_keygen(enum ag_dkim_alg alg, unsigned bits, const char *keyfile_out,
		   char *txt_r, size_t txt_size,
		   struct ag_err *err) AG_MUST_CHECK;

/*
 * ag_dkim_keygen_zone_line - the zone-file line publishing txt:
 *   selector._domainkey.domain. IN TXT ( "v=DKIM1; k=rsa; p=MIIB..."
 *   	"..." )
 * txt is cut into character-strings of at most 255 bytes (RFC 1035
 * 3.3.14); resolvers join them (RFC 6376 3.6.2.2). Strings after the
 * first go on their own lines, so the output can be pasted into a zone.
 */
int ag_dkim_keygen_zone_line(const char *domain, const char *selector,
			     const char *txt, char *line_r, size_t size,
			     struct ag_err *err) AG_MUST_CHECK;

#endif
