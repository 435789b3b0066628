/*
 * arc/verify.c - the cryptographic checks of an ARC chain: the AMS of a
 * set (a DKIM signature with i= for an instance, RFC 8617 4.1.2) and the
 * ARC-Seal (RFC 8617 4.1.3, 5.1.1: relaxed header canonicalization over
 * AAR, AMS, AS of every set up to its own, itself with b= empty).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arc/arc_int.h"

/* verify_pick - index of the n-th (0-based) field named name counted
 * from the bottom, -1 when there are fewer (RFC 6376 5.4.2) */
static int
verify_pick(const struct ag_arc *a, const char *name, size_t nlen,
	    unsigned n)
{
	unsigned f;

	for (f = a->nf; f-- > 0;) {
		if (strlen(a->f[f].name) == nlen &&
		    strncasecmp(a->f[f].name, name, nlen) == 0 && n-- == 0)
			return (int)f;
	}
	return -1;
}

/* verify_names - feed the fields h= names, bottom-up per name */
static int
verify_names(const struct ag_arc *a, enum ag_canon hc, const char *h,
	     EVP_MD_CTX *md)
{
	const char *names[ARC_HNAMES_MAX];
	size_t lens[ARC_HNAMES_MAX];
	unsigned n = 0, j, k, seen;
	const char *p = h;
	int rc, f;

	while (*p != '\0') {
		const char *e = strchr(p, ':');
		size_t len = e != NULL ? (size_t)(e - p) : strlen(p);

		while (len > 0 && strchr(" \t\r\n", *p) != NULL)
			p++, len--;
		while (len > 0 && strchr(" \t\r\n", p[len - 1]) != NULL)
			len--;
		if (n >= ARC_HNAMES_MAX)
			return AG_ELIMIT;
		if (len == 8 && strncasecmp(p, "ARC-Seal", 8) == 0)
			return AG_EINVAL;	/* RFC 8617 4.1.2 */
		if (len > 0) {
			names[n] = p;
			lens[n++] = len;
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	for (j = 0; j < n; j++) {
		for (k = 0, seen = 0; k < j; k++)
			if (lens[k] == lens[j] &&
			    strncasecmp(names[k], names[j], lens[j]) == 0)
				seen++;
		f = verify_pick(a, names[j], lens[j], seen);
		if (f < 0)
			continue;	/* a name not present signs nothing */
		rc = ag_canon_header_hash(hc, a->f[f].name, a->f[f].value,
					  true, md);
		if (rc != AG_OK)
			return rc;
	}
	return AG_OK;
}

/* verify_digest - start a SHA-256 context */
static EVP_MD_CTX *
verify_digest(void)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		EVP_MD_CTX_free(md), md = NULL;
	return md;
}

/* arc_hdr_hash - see arc_int.h */
int
arc_hdr_hash(struct ag_arc *a, enum ag_canon hc, const char *h,
	     const char *ams_name, const char *ams_blank,
	     unsigned char *digest, unsigned *dlen_r)
{
	EVP_MD_CTX *md = verify_digest();
	int rc;

	if (md == NULL)
		return AG_ENOMEM;
	rc = verify_names(a, hc, h, md);
	if (rc == AG_OK)
		rc = ag_canon_header_hash(hc, ams_name, ams_blank, false, md);
	if (rc == AG_OK && EVP_DigestFinal_ex(md, digest, dlen_r) != 1)
		rc = AG_EINTERNAL;
	EVP_MD_CTX_free(md);
	return rc;
}

/* arc_as_hash - see arc_int.h. aar_v NULL: verify set k's AS from the
 * message (its b= emptied here); else seal: sets from..k-1 from the
 * message and set k from the three values (as_v with b= already empty).
 * from is 1 but for a cv=fail seal, which covers only its own set (RFC
 * 8617 5.1.2). */
int
arc_as_hash(struct ag_arc *a, unsigned from, unsigned k, const char *aar_v,
	    const char *ams_v, const char *as_v, unsigned char *digest,
	    unsigned *dlen_r)
{
	EVP_MD_CTX *md = verify_digest();
	char *blank = NULL;
	unsigned j;
	int rc = AG_OK;

	if (md == NULL)
		return AG_ENOMEM;
	for (j = from - 1; j < k && rc == AG_OK; j++) {
		const struct arc_set *s = &a->set[j];
		bool last = j + 1 == k;

		if (last && aar_v != NULL) {
			rc = ag_canon_header_hash(AG_CANON_RELAXED,
				"ARC-Authentication-Results", aar_v, true, md);
			if (rc == AG_OK)
				rc = ag_canon_header_hash(AG_CANON_RELAXED,
					"ARC-Message-Signature", ams_v, true,
					md);
			if (rc == AG_OK)
				rc = ag_canon_header_hash(AG_CANON_RELAXED,
					"ARC-Seal", as_v, false, md);
			break;
		}
		rc = ag_canon_header_hash(AG_CANON_RELAXED, a->f[s->aar_f].name,
					  a->f[s->aar_f].value, true, md);
		if (rc == AG_OK)
			rc = ag_canon_header_hash(AG_CANON_RELAXED,
				a->f[s->ams_f].name, a->f[s->ams_f].value,
				true, md);
		if (rc != AG_OK)
			break;
		if (!last) {
			rc = ag_canon_header_hash(AG_CANON_RELAXED,
				a->f[s->as_f].name, a->f[s->as_f].value, true,
				md);
			continue;
		}
		blank = arc_b_empty(a->f[s->as_f].value);
		rc = blank == NULL ? AG_ENOMEM :
		     ag_canon_header_hash(AG_CANON_RELAXED, a->f[s->as_f].name,
					  blank, false, md);
	}
	if (rc == AG_OK && EVP_DigestFinal_ex(md, digest, dlen_r) != 1)
		rc = AG_EINTERNAL;
	free(blank);
	EVP_MD_CTX_free(md);
	return rc;
}

/* verify_key - the key of d/s for alg, fetched once per message; NULL
 * with why set when there is none; AG_ETEMP is not cached (the chain
 * fails with temp_error anyway) */
static int
verify_key(struct ag_arc *a, const struct arc_tags *t, enum arc_alg alg,
	   EVP_PKEY **pk_r, char *why, size_t whylen)
{
	char name[sizeof(a->key[0].name)];
	struct arc_keyent *e;
	unsigned k;
	int rc;

	*pk_r = NULL;
	snprintf(name, sizeof(name), "%d:%s:%s", (int)alg,
		 arc_tags_get(t, "s"), arc_tags_get(t, "d"));
	for (k = 0; k < a->nkeys; k++) {
		if (strcasecmp(a->key[k].name, name) == 0) {
			*pk_r = a->key[k].pkey;
			snprintf(why, whylen, "%s", a->key[k].why);
			return AG_OK;
		}
	}
	if (a->nkeys >= ARC_KEYS_MAX) {
		/* a chain naming more keys than hops ever need: a message
		 * made to drive lookups */
		snprintf(why, whylen, "more than %d keys", ARC_KEYS_MAX);
		return AG_OK;
	}
	e = &a->key[a->nkeys];
	memset(e, 0, sizeof(*e));
	rc = arc_key_fetch(a->dns, arc_tags_get(t, "d"), arc_tags_get(t, "s"),
			   alg, &e->pkey, e->why, sizeof(e->why));
	if (rc != AG_OK && rc != AG_EINVAL) {
		snprintf(why, whylen, "%s", e->why);
		return rc;
	}
	snprintf(e->name, sizeof(e->name), "%s", name);
	a->nkeys++;
	*pk_r = e->pkey;
	snprintf(why, whylen, "%s", e->why);
	return AG_OK;
}

/* verify_sig - check t's b= over digest with its key; AG_OK with *ok_r,
 * or an error (AG_ETEMP: temporary key failure) */
static int
verify_sig(struct ag_arc *a, const struct arc_tags *t, enum arc_alg alg,
	   const unsigned char *digest, unsigned dlen, bool *ok_r, char *why,
	   size_t whylen)
{
	char b[4 * ((ARC_SIG_MAX + 2) / 3) + 4];
	EVP_PKEY *pk = NULL;
	int rc;

	*ok_r = false;
	if (!arc_strip_wsp(arc_tags_get(t, "b"), b, sizeof(b))) {
		snprintf(why, whylen, "b= too long");
		return AG_OK;
	}
	rc = verify_key(a, t, alg, &pk, why, whylen);
	if (rc != AG_OK || pk == NULL)
		return rc;	/* no usable key: the signature fails */
	*ok_r = arc_sig_verify(pk, alg, digest, dlen, b);
	if (!*ok_r)
		snprintf(why, whylen, "signature does not verify");
	return AG_OK;
}

/* arc_ams_check - see arc_int.h */
int
arc_ams_check(struct ag_arc *a, unsigned k, bool *ok_r, char *why,
	      size_t whylen)
{
	struct arc_set *s = &a->set[k];
	const struct arc_body *body;
	unsigned char bh[EVP_MAX_MD_SIZE], digest[EVP_MAX_MD_SIZE];
	char bhs[128];
	unsigned dlen;
	long n;
	char *blank;
	int rc;

	*ok_r = false;
	if (!s->ams_ok || s->body < 0) {
		snprintf(why, whylen, "AMS malformed");
		return AG_OK;
	}
	body = &a->body[s->body];
	if (!arc_strip_wsp(arc_tags_get(&s->ams, "bh"), bhs, sizeof(bhs)) ||
	    (n = arc_unb64(bhs, bh, sizeof(bh))) <= 0 ||
	    (unsigned long)n != body->dlen || memcmp(bh, body->digest,
						     body->dlen) != 0 ||
	    (s->ams_l >= 0 && (uint64_t)s->ams_l > body->total)) {
		snprintf(why, whylen, "body hash mismatch");
		return AG_OK;
	}
	blank = arc_b_empty(a->f[s->ams_f].value);
	if (blank == NULL)
		return AG_ENOMEM;
	rc = arc_hdr_hash(a, s->ams_hc, arc_tags_get(&s->ams, "h"),
			  a->f[s->ams_f].name, blank, digest, &dlen);
	free(blank);
	if (rc == AG_EINVAL || rc == AG_ELIMIT) {
		snprintf(why, whylen, rc == AG_EINVAL ? "AMS signs ARC-Seal" :
			 "AMS h= too long");
		return AG_OK;
	}
	if (rc != AG_OK)
		return rc;
	return verify_sig(a, &s->ams, s->ams_alg, digest, dlen, ok_r, why,
			  whylen);
}

/* arc_as_check - see arc_int.h */
int
arc_as_check(struct ag_arc *a, unsigned k, bool *ok_r, char *why,
	     size_t whylen)
{
	struct arc_set *s = &a->set[k];
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned dlen;
	int rc;

	*ok_r = false;
	if (!s->as_ok) {
		snprintf(why, whylen, "ARC-Seal malformed");
		return AG_OK;
	}
	rc = arc_as_hash(a, 1, k + 1, NULL, NULL, NULL, digest, &dlen);
	if (rc != AG_OK)
		return rc;
	return verify_sig(a, &s->as, s->as_alg, digest, dlen, ok_r, why,
			  whylen);
}
