/*
 * dkim/keys.h - signing keys: OpenDKIM-compatible KeyTable and
 * SigningTable, the single-domain form, PEM loading and permission checks
 * Use:     ag_dkim_keys_load() at configuration load (as root, before
 *          privileges are dropped: keys are read then, never again);
 *          ag_dkim_keys_match() per outbound message; ag_dkim_keys_free().
 * Owns:    every key (one EVP_PKEY reference each); matches point into
 *          the set and live as long as it.
 * Threads: immutable after load; share freely.
 * Limits:  AG_DKIM_MAX_KEYS keys, AG_DKIM_MAX_SIGNERS keys per message.
 * Errors:  AG_EINVAL with "file:line: what is wrong" for table syntax,
 *          unknown key names, unreadable or unsafe key files ("key file
 *          PATH is readable by group or others; chmod 600 it or set
 *          RequireSafeKeys no"), keys that are not RSA >= 1024 or Ed25519.
 *
 * Formats (as opendkim.conf(5) documents them):
 *   KeyTable:     keyname  domain:selector:/path/to/key.pem
 *   SigningTable: pattern  keyname   (pattern: an address "user@domain",
 *                 a domain, or with "refile:" a pattern where '*' matches
 *                 any text, e.g. "*@example.com"). Plain tables look
 *                 up, in OpenDKIM's order: user@host, host, then for each
 *                 parent ".p" from the nearest: user@.p and .p, then
 *                 user@* and *. refile: patterns are tried in file order.
 *   Every key whose pattern matches is used when multiple is set
 *   (OpenDKIM's MultipleSignatures), else the first match.
 *   Not supported, refused with file:line: key data inline in the
 *   KeyTable, "%" as a KeyTable domain, the SigningTable's second field
 *   (signer, i=); details in dkim/keys.c and dkim/signtable.c.
 *   RequireSafeKeys checks the file a key path resolves to (a symlink is
 *   followed; its target's mode counts), through the opened descriptor.
 */
#ifndef AG_DKIM_KEYS_H
#define AG_DKIM_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "util/err.h"

#define AG_DKIM_MAX_KEYS 4096
#define AG_DKIM_MAX_SIGNERS 8

enum ag_dkim_alg {
	AG_DKIM_ALG_RSA_SHA256 = 0,
	AG_DKIM_ALG_ED25519_SHA256
};

struct ag_dkim_key {
	char name[128];		/* KeyTable name, or "default" */
	char domain[256];	/* d= */
	char selector[128];	/* s= */
	enum ag_dkim_alg alg;
	unsigned bits;		/* RSA modulus bits; 256 for Ed25519 */
	EVP_PKEY *pkey;		/* parsed once at load; signs in any
				 * thread (OpenSSL 3: read-only use) */
	unsigned char *pem;	/* the same key as unencrypted PKCS#8 PEM,
				 * NUL-ended, for code that parses keys
				 * itself (arc/seal.c) */
	size_t pem_len;
	char path[1024];	/* for messages */
};

struct ag_dkim_keys_config {
	const char *keytable;	/* "file:/path" or "refile:/path" or path;
				 * NULL: none */
	const char *signingtable; /* same forms */
	const char *domain;	/* single-domain form: Domain, Selector, */
	const char *selector;	/* KeyFile (all three or none) */
	const char *keyfile;
	bool require_safe_keys;	/* refuse group/other-readable key files */
	bool multiple;		/* sign with every matching key */
};

struct ag_dkim_keys;

int ag_dkim_keys_load(struct ag_dkim_keys **keys_r,
		      const struct ag_dkim_keys_config *cfg,
		      struct ag_err *err) AG_MUST_CHECK;
void ag_dkim_keys_free(struct ag_dkim_keys **keys);

/*
 * ag_dkim_keys_match - the keys to sign a message whose author address is
 * addr ("user@example.com", already parsed from From). Returns how many
 * were written to keys_r (0: do not sign), at most max.
 */
unsigned ag_dkim_keys_match(const struct ag_dkim_keys *keys, const char *addr,
			    const struct ag_dkim_key **keys_r, unsigned max);

/* ag_dkim_keys_count - keys loaded (0: signing not configured) */
unsigned ag_dkim_keys_count(const struct ag_dkim_keys *keys);

#endif
