/*
 * dkim/sigfield.c - write, hash and sign one DKIM-Signature field value
 *
 * The value is built folded, once: RFC 6376 3.7 hashes the signature
 * field as it appears in the message with the b= value (and the folding
 * white space in it) removed, so with c=simple headers the bytes hashed
 * must be the bytes written. Everything up to "b=" is written first,
 * hashed, and the base64 signature is then appended after it.
 *
 * Tags: v= a= c= d= s= t= h= bh= b=, in that order; never l= (RFC 6376
 * 8.2: content could be appended), no i= (the signing identity is then
 * "@d=", 3.5), no x= and no q= (dns/txt is the default).
 */
#include "dkim/sign_int.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rsa.h>

#define FIELD_PREFIX 16	       /* strlen("DKIM-Signature: ") */
#define FIELD_MARGIN 75	       /* bytes of a line, like libopendkim's */
#define FIELD_SIG_MAX 1024     /* an RSA-8192 signature (keys.h limit) */
#define FIELD_B64_MAX 1368     /* its base64 */

/* the folding writer: col is the current line's width so far */
struct fold {
	char *out;
	size_t cap, len;
	unsigned col;
	bool full;
};

/* fold_raw - n bytes as they are */
static void
fold_raw(struct fold *f, const char *p, size_t n)
{
	if (f->full || n >= f->cap - f->len) {
		f->full = true;
		return;
	}
	memcpy(f->out + f->len, p, n);
	f->len += n;
	f->out[f->len] = '\0';
	f->col += (unsigned)n;
}

/* fold_gap - the white space before a unit of n bytes: a space, or a
 * line break when the unit would pass the margin */
static void
fold_gap(struct fold *f, size_t n, bool space)
{
	/* not first, and not right after a fold: a line of blanks only
	 * is not a folding (RFC 5322 3.2.2) */
	if (f->len > 0 && f->col > 1 &&
	    f->col + (space ? 1 : 0) + n > FIELD_MARGIN) {
		fold_raw(f, "\n\t", 2);
		f->col = 1;
	} else if (space && f->len > 0) {
		fold_raw(f, " ", 1);
	}
}

/* fold_tag - "text" as one unit, after a space or a fold */
static void
fold_tag(struct fold *f, const char *text)
{
	size_t n = strlen(text);

	fold_gap(f, n, true);
	fold_raw(f, text, n);
}

/* fold_names - "h=a:b:c;", folding after a colon where needed */
static void
fold_names(struct fold *f, const char *const *h)
{
	fold_gap(f, 2 + strlen(h[0]) + 1, true);
	fold_raw(f, "h=", 2);
	for (unsigned i = 0; h[i] != NULL; i++) {
		size_t n = strlen(h[i]);
		if (i > 0)
			fold_gap(f, n + 1, false);
		fold_raw(f, h[i], n);
		fold_raw(f, h[i + 1] != NULL ? ":" : ";", 1);
	}
}

/* fold_b64 - base64 text filling lines to the margin (folding white
 * space may sit anywhere in b= and bh=, RFC 6376 3.5) */
static void
fold_b64(struct fold *f, const char *b64)
{
	size_t n = strlen(b64);

	while (n > 0 && !f->full) {
		size_t room = f->col < FIELD_MARGIN ? FIELD_MARGIN - f->col : 0;
		if (room == 0) {
			fold_raw(f, "\n\t", 2);
			f->col = 1;
			continue;
		}
		if (room > n)
			room = n;
		fold_raw(f, b64, room);
		b64 += room;
		n -= room;
	}
}

/* field_head - every tag, and "b=" with no value yet */
static void
field_head(struct fold *f, const struct ag_dkim_key *key,
	   const struct ag_dkim_sigparts *p)
{
	char tag[512], bh[96];

	fold_raw(f, "v=1;", 4);
	fold_tag(f, key->alg == AG_DKIM_ALG_ED25519_SHA256
			    ? "a=ed25519-sha256;"
			    : "a=rsa-sha256;");
	snprintf(tag, sizeof(tag), "c=%s/%s;",
		 p->hc == AG_CANON_SIMPLE ? "simple" : "relaxed",
		 p->bc == AG_CANON_SIMPLE ? "simple" : "relaxed");
	fold_tag(f, tag);
	/* d= and s= were checked at load (ag_dkim_name_ok) and fit */
	snprintf(tag, sizeof(tag), "d=%s;", key->domain);
	fold_tag(f, tag);
	snprintf(tag, sizeof(tag), "s=%s;", key->selector);
	fold_tag(f, tag);
	snprintf(tag, sizeof(tag), "t=%llu;", (unsigned long long)p->t);
	fold_tag(f, tag);
	fold_names(f, p->h);
	EVP_EncodeBlock((unsigned char *)bh, p->bh, (int)p->bhlen);
	snprintf(tag, sizeof(tag), "bh=%s;", bh);
	fold_tag(f, tag);
	fold_tag(f, "b=");
}

/* field_sign - the signature of digest (32 bytes) with key */
static int
field_sign(const struct ag_dkim_key *key, const unsigned char *digest,
	   unsigned char *sig, size_t *siglen)
{
	EVP_PKEY_CTX *pc = NULL;
	EVP_MD_CTX *mc = NULL;
	int rc = AG_EINTERNAL;

	if (key->alg == AG_DKIM_ALG_ED25519_SHA256) {
		/* RFC 8463 3: Ed25519 (PureEdDSA) over the SHA-256 hash */
		if ((mc = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestSignInit(mc, NULL, NULL, NULL, key->pkey) == 1 &&
		    EVP_DigestSign(mc, sig, siglen, digest, 32) == 1)
			rc = AG_OK;
	} else {
		/* RSASSA-PKCS1-v1_5 with SHA-256 (RFC 6376 3.3.1) */
		if ((pc = EVP_PKEY_CTX_new(key->pkey, NULL)) != NULL &&
		    EVP_PKEY_sign_init(pc) == 1 &&
		    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
		    EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) == 1 &&
		    EVP_PKEY_sign(pc, sig, siglen, digest, 32) == 1)
			rc = AG_OK;
	}
	EVP_PKEY_CTX_free(pc);
	EVP_MD_CTX_free(mc);
	return rc;
}

/* ag_dkim_sigfield - see sign_int.h */
int
ag_dkim_sigfield(const struct ag_dkim_key *key,
		 const struct ag_dkim_sigparts *p, char *out, size_t cap,
		 struct ag_err *err)
{
	struct fold f = {.out = out, .cap = cap, .col = FIELD_PREFIX};
	unsigned char digest[EVP_MAX_MD_SIZE], sig[FIELD_SIG_MAX];
	char b64[FIELD_B64_MAX + 4];
	size_t siglen = sizeof(sig);
	unsigned dlen = 0;
	EVP_MD_CTX *md = NULL;
	int rc;

	if (cap == 0 || p->h == NULL || p->h[0] == NULL || key->pkey == NULL) {
		rc = ag_err_set(err, AG_EINVAL, "key %s: nothing to sign",
				key->name);
		goto out;
	}
	out[0] = '\0';
	field_head(&f, key, p);
	if (f.full) {
		rc = ag_err_set(err, AG_ELIMIT, "key %s: signature longer "
				"than %zu bytes", key->name, cap - 1);
		goto out;
	}
	/* the signed fields, then this field with b= empty and no CRLF */
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_MD_CTX_copy_ex(md, p->hdr_md) != 1 ||
	    (rc = ag_canon_header_hash(p->hc, "DKIM-Signature", out, false,
				       md)) != AG_OK ||
	    EVP_DigestFinal_ex(md, digest, &dlen) != 1 || dlen != 32 ||
	    (rc = field_sign(key, digest, sig, &siglen)) != AG_OK ||
	    siglen > FIELD_SIG_MAX) {
		rc = ag_err_set(err, AG_EINTERNAL, "key %s (%s): OpenSSL "
				"could not sign", key->name, key->path);
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
	fold_b64(&f, b64);
	rc = f.full ? ag_err_set(err, AG_ELIMIT, "key %s: signature longer "
				 "than %zu bytes", key->name, cap - 1)
		    : AG_OK;
out:
	EVP_MD_CTX_free(md);
	return rc;
}
