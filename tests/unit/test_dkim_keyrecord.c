/*
 * tests/unit/test_dkim_keyrecord.c - dkim/keyrecord: a key record whose
 * p= is a bare PKCS#1 RSAPublicKey is rewritten to the
 * SubjectPublicKeyInfo of the same key, every other record is passed on
 * unchanged (SPKI, revoked, not base64, not a key, k=ed25519, repeated
 * or malformed tags, oversize).
 *
 * Each table row is one labelled case; a failure prints
 * "case <label>: got <x>, want <y>" and the test fails after the whole
 * table has run. Records are templates: %P is the case key's PKCS#1
 * RSAPublicKey in base64, %F the same folded with CRLF+TAB, %S its
 * SubjectPublicKeyInfo, %V its RSAPrivateKey, %T the RSAPublicKey with
 * one byte appended, %E a raw Ed25519 key; in the wanted output %S is
 * what the rewrite must produce. No case may leave errors on OpenSSL's
 * error queue.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dkim/keyrecord.h"

#define NKEYS 3
#define TXT_MAX 8192

static EVP_PKEY *keys[NKEYS];	/* 1024, 2048, 4096 bits */
static EVP_PKEY *edkey;

/* b64 - base64 of der (len bytes) into out, optionally folded every
 * 64 characters with CRLF TAB */
static void
b64(const unsigned char *der, int len, char *out, size_t size, int fold)
{
	unsigned char tmp[TXT_MAX];
	int n = EVP_EncodeBlock(tmp, der, len);
	size_t o = 0;

	for (int i = 0; i < n; i++) {
		if (fold && i > 0 && i % 64 == 0) {
			assert_true(o + 3 < size);
			memcpy(out + o, "\r\n\t", 3);
			o += 3;
		}
		assert_true(o + 1 < size);
		out[o++] = (char)tmp[i];
	}
	out[o] = '\0';
}

/* key_b64 - the base64 form of key that placeholder c stands for */
static void
key_b64(EVP_PKEY *key, char c, char *out, size_t size)
{
	unsigned char *der = NULL, raw[32], buf[TXT_MAX];
	size_t rawlen = sizeof(raw);
	int len = 0;

	switch (c) {
	case 'P':
	case 'F':
	case 'T':
		len = i2d_PublicKey(key, &der);	/* RSA: PKCS#1 */
		break;
	case 'S':
		len = i2d_PUBKEY(key, &der);
		break;
	case 'V':
		len = i2d_PrivateKey(key, &der);	/* RSA: PKCS#1 */
		break;
	case 'E':
		assert_int_equal(EVP_PKEY_get_raw_public_key(edkey, raw,
							     &rawlen), 1);
		b64(raw, (int)rawlen, out, size, 0);
		return;
	default:
		fail_msg("unknown placeholder %%%c", c);
	}
	assert_true(len > 0 && (size_t)len + 1 < sizeof(buf));
	memcpy(buf, der, (size_t)len);
	OPENSSL_free(der);
	if (c == 'T')
		buf[len++] = 0;
	b64(buf, len, out, size, c == 'F');
}

/* expand - tmpl with its placeholders filled in for key */
static size_t
expand(const char *tmpl, EVP_PKEY *key, char *out, size_t size)
{
	size_t o = 0;
	char piece[TXT_MAX];

	for (const char *t = tmpl; *t != '\0'; t++) {
		if (*t != '%') {
			assert_true(o + 1 < size);
			out[o++] = *t;
			continue;
		}
		key_b64(key, *++t, piece, sizeof(piece));
		assert_true(o + strlen(piece) < size);
		memcpy(out + o, piece, strlen(piece));
		o += strlen(piece);
	}
	out[o] = '\0';
	return o;
}

static int
group_setup(void **state)
{
	static const unsigned bits[NKEYS] = { 1024, 2048, 4096 };

	(void)state;
	for (int i = 0; i < NKEYS; i++)
		if ((keys[i] = EVP_RSA_gen(bits[i])) == NULL)
			return -1;
	edkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	return edkey == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < NKEYS; i++)
		EVP_PKEY_free(keys[i]);
	EVP_PKEY_free(edkey);
	return 0;
}

/* spki_of - the key in the p= of a rewritten record, read the way
 * libopendkim reads it (d2i_PUBKEY); NULL when it does not load */
static EVP_PKEY *
spki_of(const unsigned char *rec, size_t len)
{
	char txt[TXT_MAX];
	unsigned char der[TXT_MAX];
	const unsigned char *p = der;
	const char *v, *end;
	int n;

	memcpy(txt, rec, len);
	txt[len] = '\0';
	if ((v = strstr(txt, "p=")) == NULL && (v = strstr(txt, "p =")) == NULL)
		return NULL;
	v = strchr(v, '=') + 1;
	v += strspn(v, " \t\r\n");
	end = v + strcspn(v, "; \t\r\n");
	n = EVP_DecodeBlock(der, (const unsigned char *)v, (int)(end - v));
	if (n <= 0)
		return NULL;
	/* EVP_DecodeBlock counts the padding as zero bytes */
	n -= (end[-1] == '=') + (end[-2] == '=');
	return d2i_PUBKEY(NULL, &p, n);
}

struct fix_case {
	const char *label;
	int key;		/* index into keys[] */
	const char *rec;
	int rc;			/* 1 rewritten, 0 unchanged */
	const char *want;	/* the rewritten record (rc 1) */
};

static const struct fix_case fix_cases[] = {
	/* rewritten */
	{ "pkcs1 1024", 0, "v=DKIM1; k=rsa; p=%P", 1, "v=DKIM1; k=rsa; p=%S" },
	{ "pkcs1 2048", 1, "v=DKIM1; p=%P", 1, "v=DKIM1; p=%S" },
	{ "pkcs1 4096", 2, "v=DKIM1; p=%P", 1, "v=DKIM1; p=%S" },
	{ "pkcs1 only tag", 0, "p=%P", 1, "p=%S" },
	{ "pkcs1 first, tags after", 0, "p=%P; t=y; s=email; n=a b c;", 1,
	  "p=%S; t=y; s=email; n=a b c;" },
	{ "pkcs1 k=RSA upper case", 0, "v=DKIM1; k=RSA; p=%P", 1,
	  "v=DKIM1; k=RSA; p=%S" },
	{ "pkcs1 folded in p=", 1, "v=DKIM1; k=rsa; p=%F", 1,
	  "v=DKIM1; k=rsa; p=%S" },
	{ "pkcs1 whitespace around tags", 0,
	  "v = DKIM1 ;\r\n\tk\t=\trsa ;\r\n p =\r\n %F \r\n; h=sha256 ; ", 1,
	  "v = DKIM1 ;\r\n\tk\t=\trsa ;\r\n p =\r\n %S \r\n; h=sha256 ; " },
	{ "pkcs1 unknown tags kept", 0, "v=DKIM1; x_y=1:2; p=%P;zz=\"q\"", 1,
	  "v=DKIM1; x_y=1:2; p=%S;zz=\"q\"" },
	/* unchanged */
	{ "spki", 0, "v=DKIM1; k=rsa; p=%S", 0, NULL },
	{ "spki 4096", 2, "v=DKIM1; k=rsa; p=%S", 0, NULL },
	{ "empty p= (revoked)", 0, "v=DKIM1; k=rsa; p=", 0, NULL },
	{ "empty p= with FWS (revoked)", 0, "v=DKIM1; p= \r\n ; t=s", 0, NULL },
	{ "no p=", 0, "v=DKIM1; k=rsa; t=y", 0, NULL },
	{ "empty record", 0, "", 0, NULL },
	{ "garbage p= not base64", 0, "v=DKIM1; p=MIGJ!!AoGB", 0, NULL },
	{ "garbage p= base64 not DER", 0, "v=DKIM1; p=Z2FyYmFnZQ==", 0, NULL },
	{ "garbage p= bad padding", 0, "v=DKIM1; p=QUJ=DRA==", 0, NULL },
	{ "pkcs1 with trailing byte", 0, "v=DKIM1; p=%T", 0, NULL },
	{ "pkcs1 private key", 0, "v=DKIM1; p=%V", 0, NULL },
	{ "k=ed25519", 0, "v=DKIM1; k=ed25519; p=%E", 0, NULL },
	{ "k=ed25519 with pkcs1 p=", 0, "v=DKIM1; k=ed25519; p=%P", 0, NULL },
	{ "k=rsax", 0, "v=DKIM1; k=rsax; p=%P", 0, NULL },
	{ "p= twice", 0, "v=DKIM1; p=%P; p=%P", 0, NULL },
	{ "k= twice", 0, "v=DKIM1; k=rsa; k=rsa; p=%P", 0, NULL },
	{ "P= is not p= (case-sensitive)", 0, "v=DKIM1; P=%P", 0, NULL },
	{ "tag without =", 0, "v=DKIM1; k rsa; p=%P", 0, NULL },
	{ "tag name starts with digit", 0, "v=DKIM1; 1k=rsa; p=%P", 0, NULL },
	{ "empty tag-spec", 0, "v=DKIM1;; p=%P", 0, NULL },
	{ "no tag name", 0, "=x; p=%P", 0, NULL },
};

/* check_fixed - a rewritten record is what c wants and its p= loads,
 * with d2i_PUBKEY, as the same key; number of failures */
static int
check_fixed(const struct fix_case *c, const unsigned char *out, size_t n)
{
	char want[TXT_MAX];
	size_t wlen = expand(c->want, keys[c->key], want, sizeof(want));
	EVP_PKEY *got = spki_of(out, n);
	int bad = 0;

	if (n != wlen || memcmp(out, want, n) != 0) {
		printf("case %s: got '%.*s', want '%s'\n", c->label, (int)n,
		       (const char *)out, want);
		bad++;
	}
	if (got == NULL || EVP_PKEY_eq(got, keys[c->key]) != 1) {
		printf("case %s: got a p= that %s, want the same key\n",
		       c->label, got == NULL ? "does not load" : "differs");
		bad++;
	}
	EVP_PKEY_free(got);
	return bad;
}

static void
test_fix_table(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(fix_cases) / sizeof(*fix_cases); i++) {
		const struct fix_case *c = &fix_cases[i];
		char rec[TXT_MAX];
		unsigned char out[AG_DKIM_KEYREC_OUT_MAX];
		size_t len = expand(c->rec, keys[c->key], rec, sizeof(rec));
		size_t n = 12345;
		int rc;

		memset(out, 0xa5, sizeof(out));
		ERR_clear_error();
		rc = ag_dkim_keyrecord_fix((const unsigned char *)rec, len,
					   out, sizeof(out), &n);
		/* libopendkim reads the thread's OpenSSL errors after its
		 * own decoding: ours must not be left there */
		if (ERR_peek_error() != 0) {
			printf("case %s: got OpenSSL errors queued, want "
			       "none\n", c->label);
			bad++;
		}
		if (rc != c->rc) {
			printf("case %s: got rc %d, want %d\n", c->label, rc,
			       c->rc);
			bad++;
		} else if (rc == 1) {
			bad += check_fixed(c, out, n);
		} else if (n != 12345 || out[0] != 0xa5) {
			printf("case %s: got outputs written, want untouched\n",
			       c->label);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* test_limits - oversize records and a short output buffer are refused
 * with AG_ELIMIT and leave the outputs alone */
static void
test_limits(void **state)
{
	char rec[TXT_MAX], pad[AG_DKIM_KEYREC_MAX + 2];
	unsigned char out[AG_DKIM_KEYREC_OUT_MAX];
	size_t len, n = 777;

	(void)state;
	/* a valid PKCS#1 record padded with an unknown tag past the limit */
	memset(pad, 'a', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	len = expand("v=DKIM1; p=%P; n=", keys[0], rec, sizeof(rec));
	memcpy(rec + len, pad, AG_DKIM_KEYREC_MAX + 1 - len);
	out[0] = 0xa5;
	assert_int_equal(ag_dkim_keyrecord_fix((unsigned char *)rec,
					       AG_DKIM_KEYREC_MAX + 1, out,
					       sizeof(out), &n),
			 AG_ELIMIT);
	assert_int_equal(n, 777);
	assert_int_equal(out[0], 0xa5);
	/* the same at exactly the limit is rewritten */
	assert_int_equal(ag_dkim_keyrecord_fix((unsigned char *)rec,
					       AG_DKIM_KEYREC_MAX, out,
					       sizeof(out), &n),
			 1);
	assert_true(n > AG_DKIM_KEYREC_MAX && n <= AG_DKIM_KEYREC_OUT_MAX);
	/* an output buffer too small for the rewrite */
	n = 777;
	len = expand("v=DKIM1; p=%P", keys[0], rec, sizeof(rec));
	out[0] = 0xa5;
	assert_int_equal(ag_dkim_keyrecord_fix((unsigned char *)rec, len, out,
					       len, &n),
			 AG_ELIMIT);
	assert_int_equal(n, 777);
	assert_int_equal(out[0], 0xa5);
	/* NULL arguments: nothing to do */
	assert_int_equal(ag_dkim_keyrecord_fix(NULL, 0, out, sizeof(out), &n),
			 0);
	assert_int_equal(ag_dkim_keyrecord_fix((unsigned char *)rec, len, NULL,
					       0, &n),
			 0);
}

/* test_not_terminated - the record is read by length only: bytes after
 * it (here a second p=) are never looked at */
static void
test_not_terminated(void **state)
{
	char rec[TXT_MAX], want[TXT_MAX];
	unsigned char out[AG_DKIM_KEYREC_OUT_MAX];
	size_t len, wlen, n = 0;

	(void)state;
	len = expand("v=DKIM1; p=%P", keys[0], rec, sizeof(rec));
	memcpy(rec + len, "; p=x", 6);
	wlen = expand("v=DKIM1; p=%S", keys[0], want, sizeof(want));
	assert_int_equal(ag_dkim_keyrecord_fix((unsigned char *)rec, len, out,
					       sizeof(out), &n),
			 1);
	assert_int_equal(n, wlen);
	assert_memory_equal(out, want, wlen);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fix_table),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_not_terminated),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
