/*
 * dkim/keyrecord.c - rewrite a key record's bare PKCS#1 RSAPublicKey p=
 * into a SubjectPublicKeyInfo, the only form libopendkim decodes (see
 * dkim/keyrecord.h for why)
 *
 * Grammar read (RFC 6376 3.2, 3.6.1), everything else left to
 * libopendkim:
 *   tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  = ALPHA *ALNUMPUNC            ; ALNUMPUNC = ALPHA / DIGIT / "_"
 *   key-p-tag = %x70 [FWS] "=" [ [FWS] base64string ]
 * Tag names are case-sensitive (3.2); a repeated tag makes the record
 * invalid (3.2), so we leave it to libopendkim to refuse. k= defaults to
 * rsa (3.6.1). Whitespace inside p= (FWS) is dropped from the rewritten
 * value; the other tags keep their bytes.
 */
#include "dkim/keyrecord.h"
#include "dkim/pubkey.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* at most this many tag-specs in a record; each takes at least two bytes
 * ("x="), so AG_DKIM_KEYREC_MAX / 2 never cuts a record we accept */
#define KEYREC_MAX_TAGS (AG_DKIM_KEYREC_MAX / 2 + 1)

/* where a tag's value lies in the record */
struct keyrec_span {
	bool found;
	size_t start, end;	/* [start, end), surrounding FWS trimmed */
};

/* keyrec_ws - FWS characters (RFC 5322 FWS, as DNS may carry it) */
static bool
keyrec_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* keyrec_alpha - ALPHA */
static bool
keyrec_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* keyrec_namechar - ALNUMPUNC */
static bool
keyrec_namechar(unsigned char c)
{
	return keyrec_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

/* keyrec_b64char - a base64string character other than FWS */
static bool
keyrec_b64char(unsigned char c)
{
	return keyrec_alpha(c) || (c >= '0' && c <= '9') || c == '+' ||
	       c == '/' || c == '=';
}

/* keyrec_skip_ws - the first index at or after i that is not FWS */
static size_t
keyrec_skip_ws(const unsigned char *rec, size_t len, size_t i)
{
	while (i < len && keyrec_ws(rec[i]))
		i++;
	return i;
}

/* keyrec_tags - find the values of p= and k=; -1 when the tag-list does
 * not parse or p= or k= is repeated. Each pass consumes at least the
 * "=" of a tag, so the loop ends within len bytes. */
static int
keyrec_tags(const unsigned char *rec, size_t len, struct keyrec_span *p_r,
	    struct keyrec_span *k_r)
{
	size_t i = 0, ns, ne;
	struct keyrec_span *t;

	for (unsigned n = 0; i < len; n++) {
		if (n >= KEYREC_MAX_TAGS)
			return -1;
		ns = i = keyrec_skip_ws(rec, len, i);
		while (i < len && keyrec_namechar(rec[i]))
			i++;
		ne = i;
		i = keyrec_skip_ws(rec, len, i);
		if (ns == ne && i == len)
			break;	/* FWS after the last ";" */
		if (ns == ne || !keyrec_alpha(rec[ns]) || i == len ||
		    rec[i] != '=')
			return -1;
		i = keyrec_skip_ws(rec, len, i + 1);
		t = NULL;
		if (ne - ns == 1 && rec[ns] == 'p')
			t = p_r;
		else if (ne - ns == 1 && rec[ns] == 'k')
			t = k_r;
		if (t != NULL && t->found)
			return -1;
		if (t != NULL) {
			t->found = true;
			t->start = i;
		}
		while (i < len && rec[i] != ';')
			i++;
		if (t != NULL) {
			t->end = i;
			while (t->end > t->start && keyrec_ws(rec[t->end - 1]))
				t->end--;
		}
		if (i < len)
			i++;	/* the ";" */
	}
	return 0;
}

/* keyrec_der - base64-decode rec[p] into der (size AG_DKIM_KEYREC_MAX);
 * 1 decoded, 0 empty or not base64, AG_ENOMEM */
static int
keyrec_der(const unsigned char *rec, const struct keyrec_span *p,
	   unsigned char *der, size_t *der_len_r)
{
	unsigned char b64[AG_DKIM_KEYREC_MAX];
	EVP_ENCODE_CTX *ctx = NULL;
	size_t n = 0;
	int out1 = 0, out2 = 0, rc = 0;

	for (size_t i = p->start; i < p->end; i++) {
		if (keyrec_ws(rec[i]))
			continue;
		if (!keyrec_b64char(rec[i]))
			goto out;
		b64[n++] = rec[i];	/* n <= len <= sizeof(b64) */
	}
	if (n == 0)
		goto out;	/* revoked key (3.6.1): libopendkim says so */
	if ((ctx = EVP_ENCODE_CTX_new()) == NULL) {
		rc = AG_ENOMEM;
		goto out;
	}
	/* decoded bytes <= (n + 3) / 4 * 3 < sizeof(b64) */
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, der, &out1, b64, (int)n) < 0 ||
	    EVP_DecodeFinal(ctx, der + out1, &out2) != 1 ||
	    out1 + out2 <= 0)
		goto out;
	*der_len_r = (size_t)out1 + (size_t)out2;
	rc = 1;
out:
	EVP_ENCODE_CTX_free(ctx);
	return rc;
}

/* keyrec_spki - when der is no SubjectPublicKeyInfo but a whole PKCS#1
 * RSAPublicKey, its SubjectPublicKeyInfo DER in *spki_r (OPENSSL_free());
 * 1 converted, 0 not, AG_EINTERNAL */
static int
keyrec_spki(const unsigned char *der, size_t der_len, unsigned char **spki_r,
	    int *spki_len_r)
{
	OSSL_DECODER_CTX *dctx = NULL;
	EVP_PKEY *pkey = NULL;
	const unsigned char *p = der;
	size_t left = der_len;
	int rc = 0;

	/* libopendkim reads it as it is; kept decoded for libopendkim's
	 * own decode right after (dkim/pubkey.h) */
	if ((pkey = ag_dkim_pubkey_get(der, der_len, NULL)) != NULL)
		goto out;
	dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", "type-specific",
					     "RSA", EVP_PKEY_PUBLIC_KEY, NULL,
					     NULL);
	if (dctx == NULL) {
		rc = AG_EINTERNAL;
		goto out;
	}
	p = der;
	/* trailing bytes: not an RSAPublicKey, leave it to libopendkim */
	if (OSSL_DECODER_from_data(dctx, &p, &left) != 1 || pkey == NULL ||
	    left != 0 || !EVP_PKEY_is_a(pkey, "RSA"))
		goto out;
	if ((*spki_len_r = i2d_PUBKEY(pkey, spki_r)) <= 0) {
		rc = AG_EINTERNAL;
		goto out;
	}
	rc = 1;
out:
	OSSL_DECODER_CTX_free(dctx);
	EVP_PKEY_free(pkey);
	return rc;
}

/* keyrec_splice - rec with rec[p] replaced by base64 of spki, into out */
static int
keyrec_splice(const unsigned char *rec, size_t len,
	      const struct keyrec_span *p, const unsigned char *spki,
	      int spki_len, unsigned char *out, size_t out_size,
	      size_t *outlen_r)
{
	unsigned char b64[AG_DKIM_KEYREC_OUT_MAX + 1];
	size_t b64_len = ((size_t)spki_len + 2) / 3 * 4;

	if (b64_len + 1 > sizeof(b64) ||
	    p->start + b64_len + (len - p->end) > out_size)
		return AG_ELIMIT;
	EVP_EncodeBlock(b64, spki, spki_len);
	memcpy(out, rec, p->start);
	memcpy(out + p->start, b64, b64_len);
	memcpy(out + p->start + b64_len, rec + p->end, len - p->end);
	*outlen_r = p->start + b64_len + (len - p->end);
	return 1;
}

/* ag_dkim_keyrecord_fix - rewrite rec's p= from PKCS#1 to SPKI */
int
ag_dkim_keyrecord_fix(const unsigned char *rec, size_t len,
		      unsigned char *out_r, size_t out_size, size_t *outlen_r)
{
	struct keyrec_span p = { false, 0, 0 }, k = { false, 0, 0 };
	unsigned char der[AG_DKIM_KEYREC_MAX], *spki = NULL;
	size_t der_len = 0;
	int spki_len = 0, rc;

	/* OpenSSL's error queue is per thread and libopendkim reads it
	 * after its own key decoding: leave it as we found it */
	ERR_set_mark();
	if (rec == NULL || out_r == NULL || outlen_r == NULL) {
		rc = 0;
		goto out;
	}
	if (len > AG_DKIM_KEYREC_MAX) {
		rc = AG_ELIMIT;
		goto out;
	}
	if (keyrec_tags(rec, len, &p, &k) != 0 || !p.found ||
	    (k.found && (k.end - k.start != 3 ||
			 strncasecmp((const char *)rec + k.start, "rsa",
				     3) != 0))) {
		rc = 0;
		goto out;
	}
	if ((rc = keyrec_der(rec, &p, der, &der_len)) != 1)
		goto out;
	if ((rc = keyrec_spki(der, der_len, &spki, &spki_len)) != 1)
		goto out;
	rc = keyrec_splice(rec, len, &p, spki, spki_len, out_r, out_size,
			   outlen_r);
out:
	OPENSSL_free(spki);
	ERR_pop_to_mark();
	return rc;
}
