/*
 * arc/crypto.c - ARC keys and signatures with OpenSSL EVP
 *
 * Keys are DKIM key records (RFC 8617 4.1.3 reuses RFC 6376 3.6.1):
 * s._domainkey.d TXT. Both algorithms sign the SHA-256 digest of the
 * canonical input: RSA with PKCS#1 v1.5 (RFC 6376 3.3.1), Ed25519 as
 * PureEdDSA over the 32 digest bytes (RFC 8463 3). RSA keys under 1024
 * bits are refused (RFC 8301 3.2).
 */
#include <string.h>
#include <strings.h>

#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "arc/arc_int.h"
#include "dkim/keyrecord.h"
#include "dkim/pubkey.h"

#define ARC_RSA_MIN_BITS 1024

/* arc_unb64 - see arc_int.h */
long
arc_unb64(const char *in, unsigned char *out, size_t cap)
{
	size_t n = strlen(in), pad = 0;
	unsigned char tmp[4 * ((ARC_KEY_MAX + 2) / 3) + 4];
	int got;

	if (n == 0 || n % 4 != 0 || n > sizeof(tmp) - 4 ||
	    (n / 4) * 3 > cap + 2)
		return -1;
	if (strspn(in, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789+/=") != n)
		return -1;
	if (in[n - 1] == '=')
		pad++;
	if (in[n - 2] == '=')
		pad++;
	if (strchr(in, '=') != NULL && strchr(in, '=') < in + n - pad)
		return -1;
	got = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)n);
	if (got < 0 || (size_t)got < pad || (size_t)got - pad > cap)
		return -1;
	memcpy(out, tmp, (size_t)got - pad);
	return (long)((size_t)got - pad);
}

/* arc_b64 - see arc_int.h */
bool
arc_b64(const unsigned char *buf, size_t len, char *out, size_t cap)
{
	if (4 * ((len + 2) / 3) + 1 > cap)
		return false;
	EVP_EncodeBlock((unsigned char *)out, buf, (int)len);
	return true;
}

/* key_pkey - the public key of p= (already without FWS) for alg */
static int
key_pkey(const char *p, enum arc_alg alg, EVP_PKEY **pkey_r, char *why,
	 size_t whylen)
{
	unsigned char der[ARC_KEY_MAX];
	const unsigned char *q = der;
	long n = arc_unb64(p, der, sizeof(der));
	EVP_PKEY *pk = NULL;

	if (n <= 0) {
		snprintf(why, whylen, "key p= not base64");
		return AG_EINVAL;
	}
	if (alg == ARC_ALG_ED25519_SHA256) {
		if (n == 32)
			pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
							 der, 32);
	} else {
		pk = ag_dkim_pubkey_get(der, (size_t)n, NULL);
		if (pk == NULL) {	/* a bare RSAPublicKey, see keyrecord.h */
			q = der;
			pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, n);
		}
		if (pk != NULL && (EVP_PKEY_base_id(pk) != EVP_PKEY_RSA ||
				   EVP_PKEY_bits(pk) < ARC_RSA_MIN_BITS)) {
			snprintf(why, whylen, "RSA key under %d bits",
				 ARC_RSA_MIN_BITS);
			EVP_PKEY_free(pk);
			return AG_EINVAL;
		}
	}
	if (pk == NULL) {
		snprintf(why, whylen, "key does not decode");
		return AG_EINVAL;
	}
	*pkey_r = pk;
	return AG_OK;
}

/* key_record - check one key record's tags and decode its key */
static int
key_record(const char *rec, enum arc_alg alg, EVP_PKEY **pkey_r, char *why,
	   size_t whylen)
{
	struct arc_tags t;
	const char *v, *k, *p, *h, *s;
	char pk[4 * ((ARC_KEY_MAX + 2) / 3) + 4];
	int rc = AG_EINVAL;

	if (arc_tags_parse(rec, &t) != AG_OK) {
		snprintf(why, whylen, "key record malformed");
		goto out;
	}
	v = arc_tags_get(&t, "v");
	k = arc_tags_get(&t, "k");
	p = arc_tags_get(&t, "p");
	h = arc_tags_get(&t, "h");
	s = arc_tags_get(&t, "s");
	if ((v != NULL && (strcmp(v, "DKIM1") != 0 ||
			   strcmp(t.t[0].name, "v") != 0)) || p == NULL) {
		snprintf(why, whylen, "key record malformed");
		goto out;
	}
	if (!arc_strip_wsp(p, pk, sizeof(pk)) || pk[0] == '\0') {
		snprintf(why, whylen, pk[0] == '\0' ? "key revoked" :
			 "key too long");
		goto out;
	}
	if ((k == NULL ? alg != ARC_ALG_RSA_SHA256 :
	     strcasecmp(k, alg == ARC_ALG_RSA_SHA256 ? "rsa" : "ed25519"))) {
		snprintf(why, whylen, "key type does not match a=");
		goto out;
	}
	if ((h != NULL && strstr(h, "sha256") == NULL) ||
	    (s != NULL && strchr(s, '*') == NULL && strstr(s, "email") == NULL)) {
		snprintf(why, whylen, "key not for sha256 email");
		goto out;
	}
	rc = key_pkey(pk, alg, pkey_r, why, whylen);
out:
	arc_tags_free(&t);
	return rc;
}

/* arc_key_fetch - see arc_int.h */
int
arc_key_fetch(struct ag_dns *dns, const char *d, const char *s,
	      enum arc_alg alg, EVP_PKEY **pkey_r, char *why, size_t whylen)
{
	char name[AG_ARC_DOMAIN_MAX + AG_ARC_SELECTOR_MAX + 16];
	char rec[AG_DKIM_KEYREC_OUT_MAX + 1];
	struct ag_dns_answer *ans = NULL;
	size_t len;
	int rc;

	*pkey_r = NULL;
	if ((size_t)snprintf(name, sizeof(name), "%s._domainkey.%s", s, d) >=
	    sizeof(name)) {
		snprintf(why, whylen, "key name too long");
		return AG_EINVAL;
	}
	rc = ag_dns_query(dns, name, AG_DNS_TXT, &ans);
	if (rc == AG_EINVAL) {
		snprintf(why, whylen, "bad key name");
		return AG_EINVAL;
	}
	if (rc != AG_OK)
		return rc;
	if (ans->status == AG_DNS_SERVFAIL || ans->status == AG_DNS_TIMEOUT) {
		snprintf(why, whylen, "key lookup %s",
			 ag_dns_status_name(ans->status));
		rc = AG_ETEMP;
	} else if (ans->status != AG_DNS_OK || ans->count != 1 ||
		   ans->rr[0].len > AG_DKIM_KEYREC_MAX) {
		snprintf(why, whylen, ans->status == AG_DNS_OK ?
			 "no single key record" : "no key");
		rc = AG_EINVAL;
	} else {
		len = ans->rr[0].len;
		memcpy(rec, ans->rr[0].data, len);
		rec[len] = '\0';
		if (memchr(rec, '\0', len) != NULL) {
			snprintf(why, whylen, "key record malformed");
			rc = AG_EINVAL;
		} else {
			rc = key_record(rec, alg, pkey_r, why, whylen);
		}
	}
	ag_dns_answer_free(&ans);
	return rc;
}

/* arc_sig_verify - see arc_int.h */
bool
arc_sig_verify(EVP_PKEY *pkey, enum arc_alg alg, const unsigned char *digest,
	       unsigned dlen, const char *b64sig)
{
	unsigned char sig[ARC_SIG_MAX];
	long n = arc_unb64(b64sig, sig, sizeof(sig));
	EVP_PKEY_CTX *pc = NULL;
	EVP_MD_CTX *mc = NULL;
	bool ok = false;

	if (n <= 0)
		return false;
	if (alg == ARC_ALG_ED25519_SHA256) {
		if (EVP_PKEY_base_id(pkey) != EVP_PKEY_ED25519)
			return false;
		mc = EVP_MD_CTX_new();
		ok = mc != NULL &&
		     EVP_DigestVerifyInit(mc, NULL, NULL, NULL, pkey) == 1 &&
		     EVP_DigestVerify(mc, sig, (size_t)n, digest, dlen) == 1;
		EVP_MD_CTX_free(mc);
		return ok;
	}
	if (EVP_PKEY_base_id(pkey) != EVP_PKEY_RSA)
		return false;
	pc = EVP_PKEY_CTX_new(pkey, NULL);
	ok = pc != NULL && EVP_PKEY_verify_init(pc) == 1 &&
	     EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
	     EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) == 1 &&
	     EVP_PKEY_verify(pc, sig, (size_t)n, digest, dlen) == 1;
	EVP_PKEY_CTX_free(pc);
	return ok;
}

/* arc_sig_make - see arc_int.h */
int
arc_sig_make(EVP_PKEY *pkey, const unsigned char *digest, unsigned dlen,
	     char *out, size_t cap)
{
	unsigned char sig[ARC_SIG_MAX];
	size_t n = sizeof(sig);
	EVP_PKEY_CTX *pc = NULL;
	EVP_MD_CTX *mc = NULL;
	bool ok;

	if (EVP_PKEY_base_id(pkey) == EVP_PKEY_ED25519) {
		mc = EVP_MD_CTX_new();
		ok = mc != NULL &&
		     EVP_DigestSignInit(mc, NULL, NULL, NULL, pkey) == 1 &&
		     EVP_DigestSign(mc, sig, &n, digest, dlen) == 1;
		EVP_MD_CTX_free(mc);
	} else {
		pc = EVP_PKEY_CTX_new(pkey, NULL);
		ok = pc != NULL && EVP_PKEY_sign_init(pc) == 1 &&
		     EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) == 1 &&
		     EVP_PKEY_sign(pc, NULL, &n, digest, dlen) == 1 &&
		     n <= sizeof(sig) &&
		     EVP_PKEY_sign(pc, sig, &n, digest, dlen) == 1;
		EVP_PKEY_CTX_free(pc);
	}
	if (!ok)
		return AG_EINTERNAL;
	return arc_b64(sig, n, out, cap) ? AG_OK : AG_ELIMIT;
}
