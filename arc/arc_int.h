/*
 * arc/arc_int.h - what the files of arc/ share
 * Use:     internal to arc/; callers use arc/arc.h.
 * Owns:    see struct ag_arc.
 * Threads: one object per message, one thread at a time.
 */
#ifndef AG_ARC_ARC_INT_H
#define AG_ARC_ARC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "arc/arc.h"
#include "dkim/canon.h"

#define ARC_TAGS_MAX 32		/* tags in one ARC-Seal / AMS / key record */
#define ARC_TAGNAME_MAX 32	/* bytes of a tag name we keep */
#define ARC_BODIES_MAX (AG_ARC_MAX_SETS + 1) /* body hashes at once */
#define ARC_SIG_MAX 1024	/* bytes of a decoded b= (8192-bit RSA) */
#define ARC_KEY_MAX 2048	/* bytes of a decoded p= */
#define ARC_HNAMES_MAX 256	/* names in an AMS h= */
#define ARC_KEYS_MAX 16		/* distinct keys looked up per message */

/* a tag-list (RFC 6376 3.2) parsed into a private copy of the value */
struct arc_tag {
	char name[ARC_TAGNAME_MAX];
	char *val;		/* into buf: FWS around it dropped */
};

struct arc_tags {
	char *buf;
	unsigned n;
	struct arc_tag t[ARC_TAGS_MAX];
};

/* arc_tags_parse - strict tag-list parse of value: AG_OK, AG_EINVAL
 * (syntax, duplicate tag, too many tags), AG_ENOMEM. t is cleared first
 * and must be freed with arc_tags_free() on every path. */
int arc_tags_parse(const char *value, struct arc_tags *t) AG_MUST_CHECK;
void arc_tags_free(struct arc_tags *t);
/* arc_tags_get - the value of tag name (case-sensitive), NULL if absent */
const char *arc_tags_get(const struct arc_tags *t, const char *name);

/* arc_strip_wsp - copy src into dst (cap bytes) without FWS; false when
 * it does not fit */
bool arc_strip_wsp(const char *src, char *dst, size_t cap);

/* arc_b_empty - value with the b= tag's value removed, everything else
 * as it was (the form a signature field is hashed in); malloc'd */
char *arc_b_empty(const char *value);

/* arc_domain_ok - a d= / s= value: dot-separated labels of letters,
 * digits, '-' and '_' */
bool arc_domain_ok(const char *s);

/* arc_instance - "1".."50" into *i_r; false for anything else */
bool arc_instance(const char *s, unsigned *i_r);

enum arc_alg {
	ARC_ALG_RSA_SHA256 = 0,
	ARC_ALG_ED25519_SHA256
};

/* arc_alg_parse - a= value; false for unknown (rsa-sha1 included) */
bool arc_alg_parse(const char *s, enum arc_alg *alg_r);

/* one header field of the message, as the milter gave it */
struct arc_field {
	char *name;
	char *value;
};

/* one body hash being computed */
struct arc_body {
	enum ag_canon c;
	int64_t l;		/* -1: whole body */
	struct ag_canon_body *cb;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned dlen;
	uint64_t total;
	bool done;
};

/* one ARC set as found */
struct arc_set {
	int as_f, ams_f, aar_f;	/* field indexes, -1 if absent */
	unsigned n_as, n_ams, n_aar; /* how many fields claimed instance */
	struct arc_tags as, ams;
	bool as_ok, ams_ok;	/* tags parsed and checked */
	enum ag_arc_cv cv;
	enum arc_alg as_alg, ams_alg;
	enum ag_canon ams_hc, ams_bc;
	int64_t ams_l;
	int body;		/* index into bodies, -1 none */
};

struct ag_arc {
	struct ag_dns *dns;
	bool want_seal;
	int state;		/* 0 headers, 1 body, 2 finished */
	struct arc_field *f;
	unsigned nf, capf;
	size_t bytes;
	unsigned n_arc;		/* ARC-* fields seen */
	const char *limit;	/* the limit a message went over, or NULL */
	bool body_chunks_ok;
	unsigned nsets;
	/* AG_ARC_MAX_SETS sets, allocated when the message has ARC fields
	 * (most have none: 130 KB not cleared for them); NULL until then */
	struct arc_set *set;
	char fault[128];	/* structural fault found at eoh, "" none */
	unsigned nbody;
	int seal_body;		/* relaxed, whole body, for sealing; -1 */
	int rc;			/* sticky internal failure */
	unsigned nkeys;
	/* From here on not cleared at creation (35 KB a message, most
	 * without ARC fields): body[] and key[] entries are set whole when
	 * added (below nbody, nkeys), res at finish (hop[] below count). */
	struct arc_body body[ARC_BODIES_MAX];
	struct ag_arc_results res;
	/* keys fetched for this message: each d/s/a= is looked up once */
	struct arc_keyent {
		char name[AG_ARC_DOMAIN_MAX + AG_ARC_SELECTOR_MAX + 16];
		EVP_PKEY *pkey;		/* NULL: no usable key (why) */
		char why[64];
	} key[ARC_KEYS_MAX];
};

/* the part of struct ag_arc cleared at creation */
#define ARC_CLEARED offsetof(struct ag_arc, body)

/* arc/chain.c: collect the sets at eoh and check their structure */
int arc_chain_collect(struct ag_arc *a) AG_MUST_CHECK;
/* arc_body_want - index of a body hash for (c, l), adding one */
int arc_body_want(struct ag_arc *a, enum ag_canon c, int64_t l) AG_MUST_CHECK;

/* arc/crypto.c: keys and signatures */
struct arc_key {
	EVP_PKEY *pkey;
	enum arc_alg alg;
};

/* arc_key_fetch - the key at s._domainkey.d for alg: AG_OK with *pkey set;
 * AG_ETEMP on a temporary DNS failure; AG_EINVAL for no key, a bad or
 * revoked record, wrong type, RSA under 1024 bits (why in why, 64
 * bytes); AG_ENOMEM */
int arc_key_fetch(struct ag_dns *dns, const char *d, const char *s,
		  enum arc_alg alg, EVP_PKEY **pkey_r, char *why,
		  size_t whylen) AG_MUST_CHECK;
/* arc_sig_verify - b64sig (base64, no FWS) over the SHA-256 digest */
bool arc_sig_verify(EVP_PKEY *pkey, enum arc_alg alg,
		    const unsigned char *digest, unsigned dlen,
		    const char *b64sig);
/* arc_sig_make - the base64 signature of digest into out (cap) */
int arc_sig_make(EVP_PKEY *pkey, const unsigned char *digest, unsigned dlen,
		 char *out, size_t cap) AG_MUST_CHECK;
/* arc_b64 - base64 of buf into out (cap); false when it does not fit */
bool arc_b64(const unsigned char *buf, size_t len, char *out, size_t cap);
/* arc_unb64 - decode base64 (no FWS); -1 on bad input or over cap */
long arc_unb64(const char *in, unsigned char *out, size_t cap);

/* arc/verify.c: the cryptographic checks of finish */
/* arc_ams_check - does set k's AMS validate (header and body hash)? */
int arc_ams_check(struct ag_arc *a, unsigned k, bool *ok_r, char *why,
		  size_t whylen) AG_MUST_CHECK;
/* arc_as_check - does set k's AS validate? */
int arc_as_check(struct ag_arc *a, unsigned k, bool *ok_r, char *why,
		 size_t whylen) AG_MUST_CHECK;
/* arc_as_hash - the AS hash of sets from..k (1-based) into digest; see
 * arc/verify.c */
int arc_as_hash(struct ag_arc *a, unsigned from, unsigned k,
		const char *aar_v,
		const char *ams_v, const char *as_v, unsigned char *digest,
		unsigned *dlen_r) AG_MUST_CHECK;
/* arc_hdr_hash - the header hash of an AMS over h= names and the AMS
 * itself (its b= emptied) into digest */
int arc_hdr_hash(struct ag_arc *a, enum ag_canon hc, const char *h,
		 const char *ams_name, const char *ams_blank,
		 unsigned char *digest, unsigned *dlen_r) AG_MUST_CHECK;

#endif
