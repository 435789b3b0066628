/*
 * tests/unit/test_dkim_verify.c - dkim/verify.c over an in-memory zone
 * (cmocka)
 *
 * Keys are made with OpenSSL when the group starts (RSA 1024 and 512,
 * Ed25519); messages are signed with libopendkim's signer, then edited
 * (tampered body or header, broken tags, a huge z=) and verified through
 * dkim/verify.c with keys served by util/dns_zone. A labelled table covers
 * every result; separate tests cover max_sigs, each broken tag, hostile
 * sizes and the unsigned message. The clock is fixed (TEST_NOW).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <opendkim/dkim.h>

#include "dkim/lib.h"
#include "dkim/pubkey.h"
#include "dkim/verify.h"
#include "util/dns.h"
#include "util/dns_zone.h"

#define TEST_NOW 1700000000
#define TEST_MSG_MAX 200000
#define TEST_DOMAIN "example.org"

static const char base_msg[] =
	"From: Alice <alice@example.org>\r\n"
	"To: Bob <bob@example.net>\r\n"
	"Subject: hello there\r\n"
	"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
	"Message-ID: <1@example.org>\r\n"
	"\r\n"
	"Hello Bob.\r\n"
	"\r\n"
	"A second line.\r\n";

enum key_id { KEY_RSA, KEY_RSA512, KEY_ED25519, KEY_N };

struct key {
	char *pem;		/* private key, PEM */
	char record[4200];	/* the TXT record */
};

static struct key keys[KEY_N];

/* key_pem - PEM text of pkey */
static char *
key_pem(EVP_PKEY *pkey)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	long len;

	if (bio != NULL && PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0,
						    NULL, NULL) == 1 &&
	    (len = BIO_get_mem_data(bio, &data)) > 0 &&
	    (out = malloc((size_t)len + 1)) != NULL) {
		memcpy(out, data, (size_t)len);
		out[len] = '\0';
	}
	BIO_free(bio);
	return out;
}

/* key_make - a key and its record */
static void
key_make(enum key_id id)
{
	unsigned char der[2048], *p = der, b64[4096];
	size_t len = sizeof(der);
	EVP_PKEY *pkey;
	int n = 0;

	if (id == KEY_ED25519) {
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		assert_non_null(pkey);
		assert_int_equal(EVP_PKEY_get_raw_public_key(pkey, der, &len),
				 1);
		n = (int)len;
	} else {
		pkey = EVP_RSA_gen(id == KEY_RSA ? 1024 : 512);
		assert_non_null(pkey);
		n = i2d_PUBKEY(pkey, &p);
	}
	assert_true(n > 0);
	EVP_EncodeBlock(b64, der, n);
	snprintf(keys[id].record, sizeof(keys[id].record),
		 "v=DKIM1; k=%s; p=%s", id == KEY_ED25519 ? "ed25519" : "rsa",
		 (char *)b64);
	keys[id].pem = key_pem(pkey);
	assert_non_null(keys[id].pem);
	EVP_PKEY_free(pkey);
}

static int
group_setup(void **state)
{
	(void)state;
	for (int k = 0; k < KEY_N; k++)
		key_make((enum key_id)k);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	for (int k = 0; k < KEY_N; k++)
		free(keys[k].pem);
	return 0;
}

struct sign_opts {
	enum key_id key;
	const char *selector;
	dkim_alg_t alg;
	bool signlen;		/* l= */
	uint64_t when;		/* t=; 0: TEST_NOW */
	uint64_t ttl;		/* x= = t= + ttl; 0: no x= */
};

/* sign - "DKIM-Signature: ...\r\n" + msg into out */
static void
sign(const char *msg, const struct sign_opts *o, char *out, size_t size)
{
	DKIM_LIB *dl = dkim_init(NULL, NULL);
	u_int flags = o->signlen ? DKIM_LIBFLAGS_SIGNLEN : 0, minbits = 512;
	uint64_t when = o->when != 0 ? o->when : TEST_NOW, ttl = o->ttl;
	unsigned char *sig = NULL;
	size_t slen = 0, len = strlen(msg), p = 0;
	const char *body;
	DKIM_STAT st;
	DKIM *d;

	assert_non_null(dl);
	assert_int_equal(dkim_options(dl, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS,
				      &flags, sizeof(flags)), DKIM_STAT_OK);
	assert_int_equal(dkim_options(dl, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME,
				      &when, sizeof(when)), DKIM_STAT_OK);
	assert_int_equal(dkim_options(dl, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS,
				      &minbits, sizeof(minbits)), DKIM_STAT_OK);
	if (ttl != 0)
		assert_int_equal(dkim_options(dl, DKIM_OP_SETOPT,
					      DKIM_OPTS_SIGNATURETTL, &ttl,
					      sizeof(ttl)), DKIM_STAT_OK);
	d = dkim_sign(dl, (const u_char *)"test", NULL,
		      (dkim_sigkey_t)keys[o->key].pem,
		      (const u_char *)(o->selector != NULL ? o->selector : "s1"),
		      (const u_char *)TEST_DOMAIN, DKIM_CANON_RELAXED,
		      DKIM_CANON_RELAXED, o->alg, -1, &st);
	assert_non_null(d);
	body = strstr(msg, "\r\n\r\n") + 4;
	while (msg + p < body - 2) {
		const char *nl = strstr(msg + p, "\r\n");

		assert_int_equal(dkim_header(d, (u_char *)msg + p,
					     (size_t)(nl - msg) - p),
				 DKIM_STAT_OK);
		p = (size_t)(nl - msg) + 2;
	}
	assert_int_equal(dkim_eoh(d), DKIM_STAT_OK);
	assert_int_equal(dkim_body(d, (u_char *)body,
				   len - (size_t)(body - msg)), DKIM_STAT_OK);
	if (dkim_eom(d, NULL) != DKIM_STAT_OK)
		fail_msg("signing with key %d alg %d: %s", o->key, (int)o->alg,
			 dkim_geterror(d));
	assert_int_equal(dkim_getsighdr_d(d, 16, &sig, &slen), DKIM_STAT_OK);
	assert_true(16 + slen + 2 + len < size);
	snprintf(out, size, "DKIM-Signature: %.*s\r\n%s", (int)slen,
		 (char *)sig, msg);
	dkim_free(d);
	dkim_close(dl);
}

/* replace - the first `from` in msg becomes `to` (must be there) */
static void
replace(char *msg, size_t size, const char *from, const char *to)
{
	char *at = strstr(msg, from);
	size_t fl = strlen(from), tl = strlen(to), rest;

	assert_non_null(at);
	rest = strlen(at + fl) + 1;
	assert_true((size_t)(at - msg) + tl + rest <= size);
	memmove(at + tl, at + fl, rest);
	memcpy(at, to, tl);
}

struct env {
	struct ag_dns_zone *zone;
	struct ag_dns *dns;
	struct ag_dkim_lib *lib;
};

/* env_new - zone with the keys at s1 (rsa), s512, ed; cfg tweaks */
static void
env_new(struct env *e, const struct ag_dkim_lib_config *cfg)
{
	struct ag_dns_config dcfg;
	struct ag_err err = { 0 };

	assert_int_equal(ag_dns_zone_new(&e->zone), AG_OK);
	assert_int_equal(ag_dns_zone_add(e->zone, "s1._domainkey." TEST_DOMAIN,
					 AG_DNS_TXT, keys[KEY_RSA].record, 300),
			 AG_OK);
	assert_int_equal(ag_dns_zone_add(e->zone,
					 "s512._domainkey." TEST_DOMAIN,
					 AG_DNS_TXT, keys[KEY_RSA512].record,
					 300), AG_OK);
	assert_int_equal(ag_dns_zone_add(e->zone, "ed._domainkey." TEST_DOMAIN,
					 AG_DNS_TXT, keys[KEY_ED25519].record,
					 300), AG_OK);
	assert_int_equal(ag_dns_zone_add(e->zone,
					 "revoked._domainkey." TEST_DOMAIN,
					 AG_DNS_TXT, "v=DKIM1; k=rsa; p=", 300),
			 AG_OK);
	assert_int_equal(ag_dns_zone_add(e->zone,
					 "garbage._domainkey." TEST_DOMAIN,
					 AG_DNS_TXT, "v=DKIM1; k=rsa; p=!!!;;=", 300),
			 AG_OK);
	assert_int_equal(ag_dns_zone_timeout(e->zone,
					     "slow._domainkey." TEST_DOMAIN),
			 AG_OK);
	assert_int_equal(ag_dns_zone_servfail(e->zone,
					      "broken._domainkey." TEST_DOMAIN),
			 AG_OK);
	ag_dns_config_defaults(&dcfg);
	dcfg.cache_entries = 0;
	assert_int_equal(ag_dns_new_zone(&e->dns, &dcfg, e->zone, &err), AG_OK);
	assert_int_equal(ag_dkim_lib_new(&e->lib, cfg, e->dns, &err), AG_OK);
}

static void
env_free(struct env *e)
{
	ag_dkim_lib_free(&e->lib);
	ag_dns_free(&e->dns);
	ag_dns_zone_free(&e->zone);
}

/* verify - feed msg (CRLF) as a milter would; chunk: body bytes per call */
static void
verify(struct env *e, const char *msg, size_t chunk,
       struct ag_dkim_results *res)
{
	struct ag_dkim_verifier *v = NULL;
	const char *p = msg, *body = strstr(msg, "\r\n\r\n") + 2;
	size_t blen;

	assert_int_equal(ag_dkim_verify_new(&v, e->lib, "q1", NULL), AG_OK);
	while (p < body) {
		const char *end = p, *colon = strchr(p, ':');
		char name[128], *value;

		do
			end = strstr(end, "\r\n") + 2;
		while (*end == ' ' || *end == '\t');
		assert_true(colon != NULL && colon < end &&
			    (size_t)(colon - p) < sizeof(name));
		memcpy(name, p, (size_t)(colon - p));
		name[colon - p] = '\0';
		value = strndup(colon + 1, (size_t)(end - colon - 3));
		assert_non_null(value);
		assert_int_equal(ag_dkim_verify_header(v, name, value), AG_OK);
		free(value);
		p = end;
	}
	assert_int_equal(ag_dkim_verify_eoh(v), AG_OK);
	body += 2;
	blen = strlen(body);
	for (size_t off = 0; off < blen; off += chunk)
		assert_int_equal(ag_dkim_verify_body(v, (const u_char *)body +
							     off,
						     blen - off < chunk
							     ? blen - off
							     : chunk),
				 AG_OK);
	assert_int_equal(ag_dkim_verify_finish(v, res), AG_OK);
	ag_dkim_verify_free(&v);
	assert_null(v);
}

struct vcase {
	const char *label;
	struct sign_opts sign;
	const char *from, *to;	/* edit after signing; NULL: none */
	const char *append;	/* appended to the body after signing */
	bool accept_sha1;
	enum ag_dkim_result want;
	const char *reason;	/* a substring of the reason; NULL: any */
	int l_partial;		/* -1: not checked */
	unsigned key_bits;	/* 0: not checked */
};

#define RSA256 DKIM_SIGN_RSASHA256
static const struct vcase vcases[] = {
	{ "rsa pass", { KEY_RSA, "s1", RSA256, false, 0, 0 }, NULL, NULL,
	  NULL, false, AG_DKIM_PASS, "", 0, 1024 },
	{ "ed25519 pass", { KEY_ED25519, "ed", DKIM_SIGN_ED25519SHA256, false,
	  0, 0 }, NULL, NULL, NULL, false, AG_DKIM_PASS, "", 0, 256 },
	{ "body tampered", { KEY_RSA, "s1", RSA256, false, 0, 0 }, "Hello Bob",
	  "Hello Eve", NULL, false, AG_DKIM_FAIL, "body hash", -1, 0 },
	{ "body appended", { KEY_RSA, "s1", RSA256, false, 0, 0 }, NULL, NULL,
	  "Click here.\r\n", false, AG_DKIM_FAIL, "body hash", -1, 0 },
	{ "ed25519 body tampered", { KEY_ED25519, "ed",
	  DKIM_SIGN_ED25519SHA256, false, 0, 0 }, "Hello Bob", "Hello Eve",
	  NULL, false, AG_DKIM_FAIL, "body hash", -1, 0 },
	{ "header tampered", { KEY_RSA, "s1", RSA256, false, 0, 0 },
	  "Subject: hello there", "Subject: hello where", NULL, false,
	  AG_DKIM_FAIL, "signature mismatch", -1, 0 },
	{ "key missing", { KEY_RSA, "nokey", RSA256, false, 0, 0 }, NULL, NULL,
	  NULL, false, AG_DKIM_PERMERROR, "no key", -1, 0 },
	{ "key revoked", { KEY_RSA, "revoked", RSA256, false, 0, 0 }, NULL,
	  NULL, NULL, false, AG_DKIM_PERMERROR, "revoked", -1, 0 },
	{ "key record garbage", { KEY_RSA, "garbage", RSA256, false, 0, 0 },
	  NULL, NULL, NULL, false, AG_DKIM_PERMERROR, "key", -1, 0 },
	{ "dns timeout", { KEY_RSA, "slow", RSA256, false, 0, 0 }, NULL, NULL,
	  NULL, false, AG_DKIM_TEMPERROR, "lookup", -1, 0 },
	{ "dns servfail", { KEY_RSA, "broken", RSA256, false, 0, 0 }, NULL,
	  NULL, NULL, false, AG_DKIM_TEMPERROR, "lookup", -1, 0 },
	{ "rsa-sha1 by default", { KEY_RSA, "s1", DKIM_SIGN_RSASHA1, false, 0,
	  0 }, NULL, NULL, NULL, false, AG_DKIM_POLICY, "rsa-sha1", -1, 0 },
	{ "rsa-sha1 accepted", { KEY_RSA, "s1", DKIM_SIGN_RSASHA1, false, 0,
	  0 }, NULL, NULL, NULL, true, AG_DKIM_PASS, "", -1, 1024 },
	{ "512-bit key", { KEY_RSA512, "s512", RSA256, false, 0, 0 }, NULL,
	  NULL, NULL, false, AG_DKIM_PERMERROR, "too small", -1, 512 },
	{ "x= expired", { KEY_RSA, "s1", RSA256, false, TEST_NOW - 7200,
	  3600 }, NULL, NULL, NULL, false, AG_DKIM_PERMERROR, "expired", -1,
	  0 },
	{ "x= not yet", { KEY_RSA, "s1", RSA256, false, TEST_NOW - 60, 3600 },
	  NULL, NULL, NULL, false, AG_DKIM_PASS, "", -1, 0 },
	{ "t= in the future", { KEY_RSA, "s1", RSA256, false, TEST_NOW + 3600,
	  0 }, NULL, NULL, NULL, false, AG_DKIM_PERMERROR, "future", -1, 0 },
	{ "t= within drift", { KEY_RSA, "s1", RSA256, false, TEST_NOW + 100,
	  0 }, NULL, NULL, NULL, false, AG_DKIM_PASS, "", -1, 0 },
	{ "l= content appended", { KEY_RSA, "s1", RSA256, true, 0, 0 }, NULL,
	  NULL, "Appended by someone else.\r\n", false, AG_DKIM_PASS, "", 1,
	  0 },
	{ "l= blank lines appended", { KEY_RSA, "s1", RSA256, true, 0, 0 },
	  NULL, NULL, "\r\n\r\n", false, AG_DKIM_PASS, "", 0, 0 },
	{ "l= nothing appended", { KEY_RSA, "s1", RSA256, true, 0, 0 }, NULL,
	  NULL, NULL, false, AG_DKIM_PASS, "", 0, 0 },
	{ "d= changed", { KEY_RSA, "s1", RSA256, false, 0, 0 },
	  "d=" TEST_DOMAIN, "d=example.com", NULL, false, AG_DKIM_PERMERROR,
	  "no key", -1, 0 },
};

/* case_run - sign, edit, verify one case */
static void
case_run(const struct vcase *c, size_t chunk)
{
	struct ag_dkim_lib_config cfg;
	struct ag_dkim_results res;
	struct env e = { 0 };
	char *msg = malloc(TEST_MSG_MAX);

	assert_non_null(msg);
	ag_dkim_lib_config_defaults(&cfg);
	cfg.fixed_time = TEST_NOW;
	cfg.accept_sha1 = c->accept_sha1;
	env_new(&e, &cfg);
	sign(base_msg, &c->sign, msg, TEST_MSG_MAX);
	if (c->from != NULL)
		replace(msg, TEST_MSG_MAX, c->from, c->to);
	if (c->append != NULL)
		strcat(msg, c->append);
	verify(&e, msg, chunk, &res);
	if (res.count != 1 || res.sig[0].result != c->want ||
	    (c->reason != NULL && strstr(res.sig[0].reason, c->reason) ==
					  NULL) ||
	    (c->reason != NULL && c->reason[0] == '\0' &&
	     res.sig[0].reason[0] != '\0') ||
	    (c->l_partial >= 0 && res.sig[0].l_partial != (c->l_partial == 1)) ||
	    (c->key_bits != 0 && res.sig[0].key_bits != c->key_bits))
		fail_msg("case %s (chunk %zu): got %u x %s (%s) l_partial=%d "
			 "bits=%u, want %s (%s) l_partial=%d bits=%u", c->label,
			 chunk, res.count,
			 ag_dkim_result_name(res.sig[0].result),
			 res.sig[0].reason, res.sig[0].l_partial,
			 res.sig[0].key_bits, ag_dkim_result_name(c->want),
			 c->reason != NULL ? c->reason : "*", c->l_partial,
			 c->key_bits);
	assert_string_equal(res.sig[0].d, c->from != NULL &&
					  strncmp(c->from, "d=", 2) == 0
					  ? "example.com" : TEST_DOMAIN);
	assert_int_equal(strlen(res.sig[0].b), AG_DKIM_B_PREFIX);
	assert_int_equal(res.sig[0].has_l, c->sign.signlen);
	env_free(&e);
	free(msg);
}

static void
test_table(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(vcases) / sizeof(vcases[0]); k++) {
		case_run(&vcases[k], 1 << 20);
		case_run(&vcases[k], 7);	/* CRLF split across chunks */
	}
}

/* test_identity - header.d/i/s/a/b as the signature says */
/* signed_env - env with the defaults, and base_msg signed with s1 (RSA)
 * in a TEST_MSG_MAX buffer the caller frees */
static char *
signed_env(struct env *e)
{
	struct sign_opts o = { KEY_RSA, "s1", RSA256, false, 0, 0 };
	struct ag_dkim_lib_config cfg;
	char *msg = malloc(TEST_MSG_MAX);

	assert_non_null(msg);
	ag_dkim_lib_config_defaults(&cfg);
	cfg.fixed_time = TEST_NOW;
	env_new(e, &cfg);
	sign(base_msg, &o, msg, TEST_MSG_MAX);
	return msg;
}

static void
test_identity(void **state)
{
	struct ag_dkim_results res;
	struct env e = { 0 };
	char *msg = signed_env(&e), *b;
	char want_b[AG_DKIM_B_PREFIX + 1] = "";
	size_t n = 0;

	(void)state;
	verify(&e, msg, 100, &res);
	assert_int_equal(res.count, 1);
	assert_int_equal(res.not_evaluated, 0);
	assert_string_equal(res.sig[0].s, "s1");
	assert_string_equal(res.sig[0].a, "rsa-sha256");
	b = strstr(msg, "\tb=") + 3;
	for (; n < AG_DKIM_B_PREFIX; b++)
		if (*b != ' ' && *b != '\t' && *b != '\r' && *b != '\n')
			want_b[n++] = *b;
	assert_string_equal(res.sig[0].b, want_b);
	env_free(&e);
	free(msg);
}

/* test_key_cache - libopendkim's own decode of the key (d2i_PUBKEY_bio)
 * is served by dkim/pubkey.c: a message verified twice, each time with
 * the record read again from DNS (cache off), decodes its key once */
static void
test_key_cache(void **state)
{
	struct ag_dkim_pubkey_stats st;
	struct ag_dkim_results res;
	struct env e = { 0 };
	char *msg = signed_env(&e);

	(void)state;
	ag_dkim_pubkey_clear();
	verify(&e, msg, 100, &res);
	assert_int_equal(res.count, 1);
	assert_int_equal(res.sig[0].result, AG_DKIM_PASS);
	ag_dkim_pubkey_stats(&st);
	/* dkim/keyrecord.c decoded it; libopendkim's decode was a hit */
	assert_int_equal(st.decodes, 1);
	assert_int_equal(st.hits, 1);
	verify(&e, msg, 100, &res);
	assert_int_equal(res.sig[0].result, AG_DKIM_PASS);
	ag_dkim_pubkey_stats(&st);
	assert_int_equal(st.decodes, 1);
	assert_int_equal(st.hits, 3);
	/* a tampered message still fails with the kept key */
	replace(msg, TEST_MSG_MAX, "Hello Bob.", "Hello Eve.");
	verify(&e, msg, 100, &res);
	assert_int_equal(res.sig[0].result, AG_DKIM_FAIL);
	env_free(&e);
	free(msg);
}

/* verify_text - env with defaults (max_sigs) and verify msg */
static void
verify_text(const char *msg, unsigned max_sigs, struct ag_dkim_results *res)
{
	struct ag_dkim_lib_config cfg;
	struct env e = { 0 };

	ag_dkim_lib_config_defaults(&cfg);
	cfg.fixed_time = TEST_NOW;
	if (max_sigs != 0)
		cfg.max_sigs = max_sigs;
	env_new(&e, &cfg);
	verify(&e, msg, 64, res);
	env_free(&e);
}

/* test_max_sigs - 4 valid signatures, max_sigs 2: the rest is policy */
static void
test_max_sigs(void **state)
{
	struct sign_opts o = { KEY_RSA, "s1", RSA256, false, 0, 0 };
	struct ag_dkim_results res;
	char *msg = malloc(TEST_MSG_MAX), *one = malloc(TEST_MSG_MAX);
	static const enum ag_dkim_result want[] = {
		AG_DKIM_PASS, AG_DKIM_PASS, AG_DKIM_POLICY, AG_DKIM_POLICY };

	(void)state;
	assert_true(msg != NULL && one != NULL);
	msg[0] = '\0';
	for (int k = 0; k < 4; k++) {	/* four signatures of one message */
		sign(base_msg, &o, one, TEST_MSG_MAX);
		*strstr(one, "\r\nFrom:") = '\0';
		strcat(msg, one);
		strcat(msg, "\r\n");
	}
	strcat(msg, base_msg);
	verify_text(msg, 2, &res);
	assert_int_equal(res.count, 4);
	assert_int_equal(res.not_evaluated, 2);
	for (int k = 0; k < 4; k++)
		if (res.sig[k].result != want[k])
			fail_msg("case max_sigs sig %d: got %s, want %s", k,
				 ag_dkim_result_name(res.sig[k].result),
				 ag_dkim_result_name(want[k]));
	assert_string_equal(res.sig[3].reason, "too many signatures");
	free(msg);
	free(one);
}

/* test_many_fields - more DKIM-Signature fields than results: counted */
static void
test_many_fields(void **state)
{
	struct ag_dkim_results res;
	char *msg = malloc(TEST_MSG_MAX);

	(void)state;
	assert_non_null(msg);
	msg[0] = '\0';
	for (int k = 0; k < AG_DKIM_MAX_RESULTS + 4; k++)
		strcat(msg, "DKIM-Signature: v=1; a=rsa-sha256; d=example.org;"
			    " s=s1; h=from; bh=AAAA; b=AAAA\r\n");
	strcat(msg, base_msg);
	verify_text(msg, 0, &res);
	assert_int_equal(res.count, AG_DKIM_MAX_RESULTS);
	assert_true(res.not_evaluated >= 4);
	for (unsigned k = 0; k < res.count; k++)
		assert_int_not_equal(res.sig[k].result, AG_DKIM_PASS);
	free(msg);
}

/* each tag of a signature broken in turn: never a pass, never a crash */
static const struct {
	const char *label, *from, *to;
	enum ag_dkim_result want;
} tag_cases[] = {
	{ "v= wrong", "v=1;", "v=2;", AG_DKIM_NEUTRAL },
	{ "v= missing", "v=1;", "", AG_DKIM_NEUTRAL },
	{ "a= unknown", "a=rsa-sha256", "a=rsa-md5", AG_DKIM_NEUTRAL },
	{ "a= missing", "a=rsa-sha256;", "", AG_DKIM_NEUTRAL },
	{ "c= unknown", "c=relaxed/relaxed", "c=future/relaxed",
	  AG_DKIM_NEUTRAL },
	{ "d= missing", "d=example.org;", "", AG_DKIM_NEUTRAL },
	{ "d= empty", "d=example.org", "d=", AG_DKIM_NEUTRAL },
	{ "s= missing", "s=s1;", "", AG_DKIM_NEUTRAL },
	{ "s= label too long", "s=s1",
	  "s=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  AG_DKIM_PERMERROR },
	{ "h= without from", "\th=From:", "\th=X-None:", AG_DKIM_NEUTRAL },
	{ "bh= not base64", "bh=", "bh=!!", AG_DKIM_NEUTRAL },
	{ "b= not base64", "\tb=", "\tb=!!", AG_DKIM_NEUTRAL },
	{ "b= missing", "\tb=", "\tx-b=", AG_DKIM_NEUTRAL },
	{ "i= outside d=", "d=example.org;", "d=example.org; i=@evil.example;",
	  AG_DKIM_NEUTRAL },
	{ "l= not a number", "d=example.org;", "d=example.org; l=ten;",
	  AG_DKIM_NEUTRAL },
	{ "q= unknown", "d=example.org;", "d=example.org; q=http;",
	  AG_DKIM_NEUTRAL },
	/* x= is checked first: "expired" */
	{ "x= before t=", "d=example.org;", "d=example.org; x=1000;",
	  AG_DKIM_PERMERROR },
	{ "tag without =", "d=example.org;", "d=example.org; junk;",
	  AG_DKIM_NEUTRAL },
	{ "8-bit in value", "d=example.org;", "d=example.org; z=\xc3\xa9;",
	  AG_DKIM_NEUTRAL },
};

static void
test_broken_tags(void **state)
{
	struct sign_opts o = { KEY_RSA, "s1", RSA256, false, 0, 0 };
	struct ag_dkim_results res;
	char *msg = malloc(TEST_MSG_MAX);

	(void)state;
	assert_non_null(msg);
	for (size_t k = 0; k < sizeof(tag_cases) / sizeof(tag_cases[0]); k++) {
		sign(base_msg, &o, msg, TEST_MSG_MAX);
		replace(msg, TEST_MSG_MAX, tag_cases[k].from, tag_cases[k].to);
		verify_text(msg, 0, &res);
		if (res.count != 1 || res.sig[0].result != tag_cases[k].want)
			fail_msg("case %s: got %u x %s (%s), want %s",
				 tag_cases[k].label, res.count,
				 ag_dkim_result_name(res.sig[0].result),
				 res.sig[0].reason,
				 ag_dkim_result_name(tag_cases[k].want));
	}
	free(msg);
}

/* test_hostile_sizes - a z= over 32 KB, a key record over 8 KB, a header
 * field over the verifier's limit (DESIGN.md "inputs that crashed") */
static void
test_hostile_sizes(void **state)
{
	struct sign_opts o = { KEY_RSA, "s1", RSA256, false, 0, 0 };
	struct ag_dkim_lib_config cfg;
	struct ag_dkim_results res;
	struct env e = { 0 };
	char *msg = malloc(TEST_MSG_MAX), *big = malloc(TEST_MSG_MAX);
	size_t n;

	(void)state;
	assert_true(msg != NULL && big != NULL);
	/* z= of 33,000 bytes: the field changed after signing */
	strcpy(big, "d=example.org; z=");
	n = strlen(big);
	memset(big + n, 'A', 33000);
	strcpy(big + n + 33000, ";");
	sign(base_msg, &o, msg, TEST_MSG_MAX);
	replace(msg, TEST_MSG_MAX, "d=example.org;", big);
	verify_text(msg, 0, &res);
	assert_int_equal(res.count, 1);
	assert_int_equal(res.sig[0].result, AG_DKIM_FAIL);

	/* a key record of 9,000 bytes */
	ag_dkim_lib_config_defaults(&cfg);
	cfg.fixed_time = TEST_NOW;
	env_new(&e, &cfg);
	strcpy(big, "v=DKIM1; k=rsa; p=");
	n = strlen(big);
	memset(big + n, 'B', 9000);
	big[n + 9000] = '\0';
	{
		const char *strs[40];
		size_t lens[40];
		unsigned k = 0;

		for (size_t off = 0; off < n + 9000; off += 255, k++) {
			strs[k] = big + off;
			lens[k] = n + 9000 - off < 255 ? n + 9000 - off : 255;
		}
		assert_int_equal(ag_dns_zone_add_txt(e.zone,
						     "big._domainkey." TEST_DOMAIN,
						     strs, lens, k, 300), AG_OK);
	}
	o.selector = "big";
	sign(base_msg, &o, msg, TEST_MSG_MAX);
	verify(&e, msg, 4096, &res);
	assert_int_equal(res.count, 1);
	assert_int_equal(res.sig[0].result, AG_DKIM_PERMERROR);
	env_free(&e);

	/* a header field of 150,000 bytes: over VERIFY_FIELD_MAX */
	o.selector = "s1";
	sign(base_msg, &o, msg, TEST_MSG_MAX);
	strcpy(big, "X-Big: ");
	memset(big + 7, 'C', 150000);
	strcpy(big + 150007, "\r\nFrom:");
	replace(msg, TEST_MSG_MAX, "\r\nFrom:", big + 5);
	memmove(msg + 0, msg, strlen(msg) + 1);
	verify_text(msg, 0, &res);
	assert_int_equal(res.count, 1);
	assert_int_equal(res.sig[0].result, AG_DKIM_PERMERROR);
	assert_string_equal(res.sig[0].reason, "header limits exceeded");
	free(msg);
	free(big);
}

/* test_unsigned - no DKIM-Signature: count 0 (none) */
static void
test_unsigned(void **state)
{
	struct ag_dkim_results res;

	(void)state;
	verify_text(base_msg, 0, &res);
	assert_int_equal(res.count, 0);
	assert_int_equal(res.not_evaluated, 0);
	assert_string_equal(ag_dkim_result_name(AG_DKIM_NONE), "none");
}

/* test_bare_lf - header folding and body with bare LF verify as CRLF */
static void
test_bare_lf(void **state)
{
	struct sign_opts o = { KEY_RSA, "s1", RSA256, false, 0, 0 };
	struct ag_dkim_lib_config cfg;
	struct ag_dkim_verifier *v = NULL;
	struct ag_dkim_results res;
	struct env e = { 0 };
	char *msg = malloc(TEST_MSG_MAX);
	const char *body;

	(void)state;
	assert_non_null(msg);
	ag_dkim_lib_config_defaults(&cfg);
	cfg.fixed_time = TEST_NOW;
	env_new(&e, &cfg);
	sign(base_msg, &o, msg, TEST_MSG_MAX);
	assert_int_equal(ag_dkim_verify_new(&v, e.lib, NULL, NULL), AG_OK);
	/* the signature value folded with "\n\t", as libmilter hands it */
	{
		char *sig = strndup(msg + 16, (size_t)(strstr(msg, "\r\nFrom:") -
						      msg) - 16);
		char *w = sig;

		assert_non_null(sig);
		for (char *r = sig; *r != '\0'; r++)
			if (*r != '\r')
				*w++ = *r;
		*w = '\0';
		assert_int_equal(ag_dkim_verify_header(v, "DKIM-Signature",
						       sig), AG_OK);
		free(sig);
	}
	assert_int_equal(ag_dkim_verify_header(v, "From",
					       "Alice <alice@example.org>"),
			 AG_OK);
	assert_int_equal(ag_dkim_verify_header(v, "To", "Bob <bob@example.net>"),
			 AG_OK);
	assert_int_equal(ag_dkim_verify_header(v, "Subject", "hello there"),
			 AG_OK);
	assert_int_equal(ag_dkim_verify_header(v, "Date", "Tue, 14 Nov 2023 "
					       "22:13:20 +0000"), AG_OK);
	assert_int_equal(ag_dkim_verify_header(v, "Message-ID",
					       "<1@example.org>"), AG_OK);
	assert_int_equal(ag_dkim_verify_eoh(v), AG_OK);
	body = "Hello Bob.\n\nA second line.\n";
	for (size_t k = 0; body[k] != '\0'; k++)	/* byte by byte */
		assert_int_equal(ag_dkim_verify_body(v, (const u_char *)body + k,
						     1), AG_OK);
	assert_int_equal(ag_dkim_verify_finish(v, &res), AG_OK);
	assert_int_equal(res.count, 1);
	if (res.sig[0].result != AG_DKIM_PASS)
		fail_msg("case bare LF: got %s (%s), want pass",
			 ag_dkim_result_name(res.sig[0].result),
			 res.sig[0].reason);
	ag_dkim_verify_free(&v);
	env_free(&e);
	free(msg);
}

/* test_bad_args - misuse is AG_EINVAL, never a crash */
static void
test_bad_args(void **state)
{
	struct ag_dkim_lib_config cfg;
	struct ag_dkim_verifier *v = NULL;
	struct ag_dkim_results res;
	struct ag_dkim_lib *lib = NULL;
	struct env e = { 0 };

	(void)state;
	ag_dkim_lib_config_defaults(&cfg);
	env_new(&e, &cfg);
	cfg.max_sigs = 0;
	assert_int_equal(ag_dkim_lib_new(&lib, &cfg, e.dns, NULL), AG_EINVAL);
	assert_int_equal(ag_dkim_verify_new(&v, NULL, NULL, NULL), AG_EINVAL);
	assert_int_equal(ag_dkim_verify_new(&v, e.lib, NULL, NULL), AG_OK);
	assert_int_equal(ag_dkim_verify_body(v, (const u_char *)"x", 1),
			 AG_EINVAL);
	assert_int_equal(ag_dkim_verify_finish(v, &res), AG_EINVAL);
	assert_int_equal(ag_dkim_verify_header(v, NULL, "x"), AG_EINVAL);
	assert_int_equal(ag_dkim_verify_eoh(v), AG_OK);
	assert_int_equal(ag_dkim_verify_header(v, "From", "x"), AG_EINVAL);
	assert_int_equal(ag_dkim_verify_eoh(v), AG_EINVAL);
	assert_int_equal(ag_dkim_verify_finish(v, &res), AG_OK);
	assert_int_equal(res.count, 0);
	ag_dkim_verify_free(&v);
	ag_dkim_verify_free(&v);
	ag_dkim_lib_free(&lib);
	env_free(&e);
	assert_string_equal(ag_dkim_result_name(AG_DKIM_TEMPERROR),
			    "temperror");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_key_cache),
		cmocka_unit_test(test_max_sigs),
		cmocka_unit_test(test_many_fields),
		cmocka_unit_test(test_broken_tags),
		cmocka_unit_test(test_hostile_sizes),
		cmocka_unit_test(test_unsigned),
		cmocka_unit_test(test_bare_lf),
		cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
