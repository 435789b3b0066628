/*
 * tests/conformance/dkim_suite.c - run a DKIM test suite against
 * dkim/verify.c
 *
 * Usage: dkim_suite stalwart DIR            (mail-auth-stalwart/dkim)
 *        dkim_suite dkimpy DIR              (dkim-dkimpy)
 *        dkim_suite mail-dkim DIR EXPECT    (dkim-mail-dkim + our
 *                                            expectations file)
 *        dkim_suite mail-dkim-sha1 DIR EXPECT  (the same with accept_sha1
 *                                            on: the third column)
 * Keys are served from an in-memory zone (util/dns_zone.h) behind a
 * cache-less resolver. Messages are fed as a milter would: one call per
 * header field (the text after the colon, folding kept), then the body in
 * chunks. Prints "FAIL <case>: got <results>, want <results>" per failing
 * case and finally "<suite>: N passed, N failed"; exits 1 when a case
 * failed, 2 when the suite cannot be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>

#include <openssl/evp.h>
#include <opendkim/dkim.h>

#include "dkim/lib.h"
#include "dkim/verify.h"
#include "util/dns.h"
#include "util/dns_zone.h"

#define SUITE_FILE_MAX (4 * 1024 * 1024)
#define SUITE_LINE_MAX 16384
#define SUITE_CHUNK 1000	/* body bytes per call: exercises chunking */
#define SUITE_TTL 300
#define SUITE_GOT_MAX 512
#define SUITE_STALWART_TIME 1667843664	/* mail-auth-stalwart README */
#define SUITE_MAILDKIM_TIME 1700000000	/* any time after the corpus */

struct suite {
	const char *name;
	struct ag_dns_zone *zone;
	struct ag_dns *dns;
	struct ag_dkim_lib *lib;
	unsigned passed, failed;
};

/* suite_read - a whole file, NUL-terminated */
static char *
suite_read(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;

	if (f == NULL)
		return NULL;
	if ((buf = malloc(SUITE_FILE_MAX + 1)) != NULL) {
		n = fread(buf, 1, SUITE_FILE_MAX, f);
		buf[n] = '\0';
	}
	fclose(f);
	*len_r = n;
	return buf;
}

/* suite_txt - add a TXT record, split into 255-byte strings */
static int
suite_txt(struct ag_dns_zone *zone, const char *name, const char *data,
	  size_t len)
{
	const char *strs[64];
	size_t lens[64];
	unsigned n = 0;

	for (size_t off = 0; (off < len || n == 0) && n < 64; n++) {
		size_t part = len - off > 255 ? 255 : len - off;

		strs[n] = data + off;
		lens[n] = part;
		off += part;
	}
	return ag_dns_zone_add_txt(zone, name, strs, lens, n, SUITE_TTL);
}

/* suite_setup - zone, resolver, library with clock fixed_time */
static int
suite_setup(struct suite *st, time_t fixed_time, bool accept_sha1)
{
	struct ag_dns_config dcfg;
	struct ag_dkim_lib_config lcfg;
	struct ag_err err = { 0 };

	ag_dns_config_defaults(&dcfg);
	dcfg.cache_entries = 0;
	ag_dkim_lib_config_defaults(&lcfg);
	lcfg.fixed_time = fixed_time;
	lcfg.accept_sha1 = accept_sha1;
	lcfg.max_sigs = 10;
	if (ag_dns_new_zone(&st->dns, &dcfg, st->zone, &err) != AG_OK ||
	    ag_dkim_lib_new(&st->lib, &lcfg, st->dns, &err) != AG_OK) {
		fprintf(stderr, "%s: setup: %s\n", st->name, err.msg);
		return -1;
	}
	return 0;
}

/* suite_teardown - free what suite_setup made, and the zone */
static void
suite_teardown(struct suite *st)
{
	ag_dkim_lib_free(&st->lib);
	ag_dns_free(&st->dns);
	ag_dns_zone_free(&st->zone);
}

/* suite_feed_headers - header fields of msg[0, len) one by one; returns
 * the offset of the body */
static int
suite_feed_headers(struct ag_dkim_verifier *v, const char *msg, size_t len,
		   size_t *body_r)
{
	size_t p = 0;

	while (p < len) {
		size_t end = p, colon;
		char name[256], *value;
		int rc;

		if (msg[p] == '\n' || (msg[p] == '\r' && p + 1 < len &&
				       msg[p + 1] == '\n')) {
			*body_r = p + (msg[p] == '\r' ? 2 : 1);
			return AG_OK;
		}
		/* a field: up to a line break not followed by WSP */
		for (;;) {
			const char *nl = memchr(msg + end, '\n', len - end);

			end = nl != NULL ? (size_t)(nl - msg) + 1 : len;
			if (end >= len || (msg[end] != ' ' && msg[end] != '\t'))
				break;
		}
		for (colon = p; colon < end && msg[colon] != ':'; colon++)
			;
		if (colon == end || colon - p >= sizeof(name)) {
			p = end;	/* not a field: skipped */
			continue;
		}
		memcpy(name, msg + p, colon - p);
		name[colon - p] = '\0';
		size_t vlen = end - colon - 1;
		if ((value = malloc(vlen + 1)) == NULL)
			return AG_ENOMEM;
		memcpy(value, msg + colon + 1, vlen);
		while (vlen > 0 &&
		       (value[vlen - 1] == '\n' || value[vlen - 1] == '\r'))
			vlen--;
		value[vlen] = '\0';
		rc = ag_dkim_verify_header(v, name, value);
		free(value);
		if (rc != AG_OK)
			return rc;
		p = end;
	}
	*body_r = len;
	return AG_OK;
}

/* suite_verify - verify a message; results as "pass,fail,..." in got */
static int
suite_verify(struct suite *st, const char *msg, size_t len,
	     struct ag_dkim_results *res, char *got, size_t gotsize)
{
	struct ag_dkim_verifier *v = NULL;
	struct ag_err err = { 0 };
	size_t body = 0, o = 0;
	int rc;

	got[0] = '\0';
	if ((rc = ag_dkim_verify_new(&v, st->lib, "suite", &err)) != AG_OK ||
	    (rc = suite_feed_headers(v, msg, len, &body)) != AG_OK ||
	    (rc = ag_dkim_verify_eoh(v)) != AG_OK)
		goto out;
	for (size_t off = body; off < len && rc == AG_OK; off += SUITE_CHUNK)
		rc = ag_dkim_verify_body(v, (const unsigned char *)msg + off,
					 len - off < SUITE_CHUNK ? len - off
								 : SUITE_CHUNK);
	if (rc != AG_OK || (rc = ag_dkim_verify_finish(v, res)) != AG_OK)
		goto out;
	if (res->count == 0)
		snprintf(got, gotsize, "none");
	for (unsigned k = 0; k < res->count && o < gotsize; k++)
		o += (size_t)snprintf(got + o, gotsize - o, "%s%s",
				      k > 0 ? "," : "",
				      ag_dkim_result_name(res->sig[k].result));
out:
	if (rc != AG_OK)
		snprintf(got, gotsize, "error %d", rc);
	ag_dkim_verify_free(&v);
	return rc;
}

/* suite_check - compare and count; reasons printed for failures */
static void
suite_check(struct suite *st, const char *id, const char *got,
	    const struct ag_dkim_results *res, const char *want)
{
	if (strcmp(got, want) == 0) {
		st->passed++;
		return;
	}
	st->failed++;
	printf("FAIL %s: got %s, want %s (", id, got, want);
	for (unsigned k = 0; k < res->count; k++)
		printf("%s%s", k > 0 ? "; " : "", res->sig[k].reason);
	printf(")\n");
}

/* suite_crlf - msg with bare LF made CRLF (new buffer) */
static char *
suite_crlf(const char *msg, size_t len, size_t *len_r)
{
	char *out = malloc(2 * len + 1);
	size_t o = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			out[o++] = '\r';
		out[o++] = msg[i];
	}
	out[o] = '\0';
	*len_r = o;
	return out;
}

/* ------------------------------------------------------------------ */
/* mail-auth-stalwart/dkim: "NAME TXT" lines, a blank line, the message */

/* stalwart_case - one file: every signature must pass */
static void
stalwart_case(const char *dir, const char *file, unsigned *passed,
	      unsigned *failed)
{
	struct suite st = { .name = "dkim-stalwart" };
	struct ag_dkim_results res;
	char path[1024], got[SUITE_GOT_MAX], want[SUITE_GOT_MAX] = "";
	size_t len = 0, o = 0, p = 0;
	char *buf;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((buf = suite_read(path, &len)) == NULL ||
	    ag_dns_zone_new(&st.zone) != AG_OK) {
		printf("FAIL %s: cannot read\n", file);
		(*failed)++;
		goto out;
	}
	while (p < len && buf[p] != '\n') {	/* DNS lines */
		char *nl = strchr(buf + p, '\n'), *sp;

		if (nl == NULL)
			break;
		*nl = '\0';
		if ((sp = strchr(buf + p, ' ')) != NULL) {
			*sp = '\0';
			if (suite_txt(st.zone, buf + p, sp + 1, strlen(sp + 1)))
				printf("zone: cannot add %s\n", buf + p);
		}
		p = (size_t)(nl - buf) + 1;
	}
	p++;
	for (const char *q = buf + p; (q = strstr(q, "\nDKIM-Signature:"));
	     q++)
		o += (size_t)snprintf(want + o, sizeof(want) - o, "%spass",
				      o > 0 ? "," : "");
	if (strncmp(buf + p, "DKIM-Signature:", 15) == 0)
		o += (size_t)snprintf(want + o, sizeof(want) - o, "%spass",
				      o > 0 ? "," : "");
	if (suite_setup(&st, SUITE_STALWART_TIME, false) != 0) {
		(*failed)++;
		goto out;
	}
	memset(&res, 0, sizeof(res));
	(void)suite_verify(&st, buf + p, len - p, &res, got, sizeof(got));
	suite_check(&st, file, got, &res, want);
out:
	*passed += st.passed;
	*failed += st.failed;
	suite_teardown(&st);
	free(buf);
}

/* run_stalwart - 001.txt ... in order */
static int
run_stalwart(const char *dir)
{
	static const char *const files[] = { "001.txt", "002.txt", "003.txt",
					     "004.txt", "005.txt", "006.txt" };
	char path[1024];
	unsigned passed = 0, failed = 0;
	FILE *f;

	for (unsigned k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[k]);
		if ((f = fopen(path, "r")) == NULL) {
			fprintf(stderr, "missing %s\n", path);
			return 2;
		}
		fclose(f);
		stalwart_case(dir, files[k], &passed, &failed);
	}
	printf("dkim-stalwart: %u passed, %u failed\n", passed, failed);
	return failed > 0;
}

/* ------------------------------------------------------------------ */
/* dkim-dkimpy: two ready-signed messages; the rest signed here with
 * libopendkim and the suite's keys, then verified against each record */

struct dkimpy_case {
	const char *id;
	const char *msg;	/* message file */
	const char *key;	/* private key file; NULL: already signed */
	bool ed25519;		/* key is a base64 Ed25519 seed */
	const char *domain, *selector;
	const char *record;	/* record file for selector._domainkey.domain */
	const char *record2[2];	/* another name and its record file */
	bool signlen;		/* sign with l= */
	const char *append;	/* appended to the body after signing */
	const char *want;
	int want_l_partial;	/* -1: not checked */
};

static const struct dkimpy_case dkimpy_cases[] = {
	{ "rfc6376.signed.msg", "rfc6376.signed.msg", NULL, false,
	  "football.example.com", "test", "test.txt",
	  { "brisbane._domainkey.football.example.com", "=v=DKIM1; k=ed25519; "
	    "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" },
	  false, NULL, "pass,pass", -1 },
	{ "ed25519test2.msg (Exim)", "ed25519test2.msg", NULL, false,
	  "test.ex", "sed", "eximtest.dns", { NULL, NULL }, false, NULL,
	  "pass", -1 },
	{ "sign rsa test.private, verify test.txt", "test.message",
	  "test.private", false, "example.com", "test", "test.txt",
	  { NULL, NULL }, false, NULL, "pass", -1 },
	{ "sign rsa test2.private, verify test2.txt (no k=)", "test2.message",
	  "test2.private", false, "example.com", "test2", "test2.txt",
	  { NULL, NULL }, false, NULL, "pass,permerror", -1 },
	{ "sign ed25519, verify ed25519test.dns", "ed25519test.msg",
	  "ed25519test.key", true, "example.net", "test", "ed25519test.dns",
	  { NULL, NULL }, false, NULL, "pass", -1 },
	{ "record badversion.txt", "test.message", "test.private", false,
	  "example.com", "test", "badversion.txt", { NULL, NULL }, false,
	  NULL, "permerror", -1 },
	{ "record badk.txt", "test.message", "test.private", false,
	  "example.com", "test", "badk.txt", { NULL, NULL }, false, NULL,
	  "permerror", -1 },
	{ "record test_bad.txt (truncated key)", "test.message",
	  "test.private", false, "example.com", "test", "test_bad.txt",
	  { NULL, NULL }, false, NULL, "permerror", -1 },
	{ "record test_tlsrpt.txt (s=tlsrpt)", "test.message",
	  "test.private", false, "example.com", "test", "test_tlsrpt.txt",
	  { NULL, NULL }, false, NULL, "permerror", -1 },
	{ "body appended, no l=", "test.message", "test.private", false,
	  "example.com", "test", "test.txt", { NULL, NULL }, false,
	  "appended text\r\n", "fail", 0 },
	{ "body appended, l= covers the signed part", "test.message",
	  "test.private", false, "example.com", "test", "test.txt",
	  { NULL, NULL }, true, "appended text\r\n", "pass", 1 },
	{ "l= and nothing appended", "test.message", "test.private", false,
	  "example.com", "test", "test.txt", { NULL, NULL }, true, NULL,
	  "pass", 0 },
};

/* dkimpy_key - the private key libopendkim takes (PEM: it measures the
 * key with strlen): PEM files as they are, an Ed25519 seed (base64) as
 * PKCS#8 (RFC 8410) in PEM */
static unsigned char *
dkimpy_key(const char *dir, const struct dkimpy_case *c)
{
	static const unsigned char prefix[16] = {
		0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
		0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20 };
	char path[1024];
	size_t len = 0;
	char *text, *pem = NULL;
	unsigned char seed[64], der[48], b64[80];

	snprintf(path, sizeof(path), "%s/%s", dir, c->key);
	if ((text = suite_read(path, &len)) == NULL)
		return NULL;
	if (!c->ed25519)
		return (unsigned char *)text;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	if (len == 44 &&
	    EVP_DecodeBlock(seed, (unsigned char *)text, 44) == 33 &&
	    (pem = malloc(160)) != NULL) {
		memcpy(der, prefix, 16);
		memcpy(der + 16, seed, 32);
		EVP_EncodeBlock(b64, der, 48);
		snprintf(pem, 160, "-----BEGIN PRIVATE KEY-----\n%s\n"
			 "-----END PRIVATE KEY-----\n", b64);
	}
	free(text);
	return (unsigned char *)pem;
}

/* dkimpy_sign - sign msg (CRLF) with c's key; returns the signed message
 * with the appended text, or NULL */
static char *
dkimpy_sign(const char *dir, const struct dkimpy_case *c, const char *msg,
	    size_t len, size_t *len_r)
{
	DKIM_LIB *dl = dkim_init(NULL, NULL);
	DKIM *d = NULL;
	DKIM_STAT st;
	u_int flags = c->signlen ? DKIM_LIBFLAGS_SIGNLEN : 0;
	unsigned char *key = NULL, *sig = NULL;
	size_t slen = 0, body = len, p = 0;
	char *out = NULL;

	if (dl == NULL || (key = dkimpy_key(dir, c)) == NULL)
		goto out;
	(void)dkim_options(dl, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
			   sizeof(flags));
	d = dkim_sign(dl, (const u_char *)"suite", NULL, key,
		      (const u_char *)c->selector, (const u_char *)c->domain,
		      DKIM_CANON_RELAXED, DKIM_CANON_RELAXED,
		      c->ed25519 ? DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256,
		      -1, &st);
	if (d == NULL)
		goto out;
	while (p < len) {	/* header lines (unfolded fields suffice) */
		const char *nl = strstr(msg + p, "\r\n");
		size_t end = nl != NULL ? (size_t)(nl - msg) : len;

		if (end == p) {
			body = p + 2;
			break;
		}
		while (nl != NULL && (nl[2] == ' ' || nl[2] == '\t')) {
			nl = strstr(nl + 2, "\r\n");
			end = nl != NULL ? (size_t)(nl - msg) : len;
		}
		if (dkim_header(d, (u_char *)msg + p, end - p) != DKIM_STAT_OK)
			goto out;
		p = end + 2;
	}
	if (dkim_eoh(d) != DKIM_STAT_OK ||
	    (body < len && dkim_body(d, (u_char *)msg + body, len - body) !=
				   DKIM_STAT_OK) ||
	    dkim_eom(d, NULL) != DKIM_STAT_OK ||
	    dkim_getsighdr_d(d, 16, &sig, &slen) != DKIM_STAT_OK)
		goto out;
	size_t alen = c->append != NULL ? strlen(c->append) : 0;
	if ((out = malloc(16 + slen + 2 + len + alen + 1)) == NULL)
		goto out;
	memcpy(out, "DKIM-Signature: ", 16);
	memcpy(out + 16, sig, slen);
	memcpy(out + 16 + slen, "\r\n", 2);
	memcpy(out + 18 + slen, msg, len);
	if (alen > 0)
		memcpy(out + 18 + slen + len, c->append, alen);
	*len_r = 18 + slen + len + alen;
	out[*len_r] = '\0';
out:
	if (d != NULL)
		dkim_free(d);
	if (dl != NULL)
		dkim_close(dl);
	free(key);
	return out;
}

/* dkimpy_record - add a record file's first line at name */
static int
dkimpy_record(struct ag_dns_zone *zone, const char *dir, const char *name,
	      const char *file)
{
	char path[1024];
	size_t len = 0;
	char *text;
	int rc;

	if (file[0] == '=')	/* inline record */
		return suite_txt(zone, name, file + 1, strlen(file + 1));
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((text = suite_read(path, &len)) == NULL)
		return -1;
	text[strcspn(text, "\r\n")] = '\0';
	rc = suite_txt(zone, name, text, strlen(text));
	free(text);
	return rc;
}

/* dkimpy_case - one case */
static void
dkimpy_run_case(const char *dir, const struct dkimpy_case *c,
		unsigned *passed, unsigned *failed)
{
	struct suite st = { .name = "dkim-dkimpy" };
	struct ag_dkim_results res;
	char path[1024], name[512], got[SUITE_GOT_MAX];
	char *raw = NULL, *msg = NULL, *signed_msg = NULL;
	size_t len = 0, mlen = 0, slen = 0;

	memset(&res, 0, sizeof(res));
	snprintf(path, sizeof(path), "%s/%s", dir, c->msg);
	snprintf(name, sizeof(name), "%s._domainkey.%s", c->selector,
		 c->domain);
	if ((raw = suite_read(path, &len)) == NULL ||
	    (msg = suite_crlf(raw, len, &mlen)) == NULL ||
	    ag_dns_zone_new(&st.zone) != AG_OK ||
	    dkimpy_record(st.zone, dir, name, c->record) != 0 ||
	    (c->record2[0] != NULL &&
	     dkimpy_record(st.zone, dir, c->record2[0], c->record2[1]) != 0) ||
	    suite_setup(&st, 0, false) != 0) {
		printf("FAIL %s: setup failed\n", c->id);
		(*failed)++;
		goto out;
	}
	if (c->key != NULL &&
	    (signed_msg = dkimpy_sign(dir, c, msg, mlen, &slen)) == NULL) {
		printf("FAIL %s: signing failed\n", c->id);
		(*failed)++;
		goto out;
	}
	(void)suite_verify(&st, signed_msg != NULL ? signed_msg : msg,
			   signed_msg != NULL ? slen : mlen, &res, got,
			   sizeof(got));
	if (c->want_l_partial >= 0 && res.count > 0 &&
	    res.sig[0].l_partial != (c->want_l_partial == 1))
		snprintf(got + strlen(got), sizeof(got) - strlen(got),
			 " l_partial=%d", res.sig[0].l_partial);
	suite_check(&st, c->id, got, &res, c->want);
	*passed += st.passed;
	*failed += st.failed;
out:
	suite_teardown(&st);
	free(raw);
	free(msg);
	free(signed_msg);
}

/* run_dkimpy - every case of the table */
static int
run_dkimpy(const char *dir)
{
	unsigned passed = 0, failed = 0;

	for (unsigned k = 0; k < sizeof(dkimpy_cases) / sizeof(dkimpy_cases[0]);
	     k++)
		dkimpy_run_case(dir, &dkimpy_cases[k], &passed, &failed);
	printf("dkim-dkimpy: %u passed, %u failed\n", passed, failed);
	return failed > 0;
}

/* ------------------------------------------------------------------ */
/* dkim-mail-dkim: corpus/NAME.txt, FAKE_DNS.dat; the expected results are
 * ours (EXPECT: "file<TAB>results<TAB>why"), mapped from EXPECTED.tsv */

/* maildkim_zone - FAKE_DNS.dat into zone */
static int
maildkim_zone(struct ag_dns_zone *zone, const char *dir)
{
	char path[1024], line[SUITE_LINE_MAX];
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/FAKE_DNS.dat", dir);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		char *name = line, *val;

		line[strcspn(line, "\r\n")] = '\0';
		name += strspn(name, " \t");
		if (*name == '\0' || *name == '#' || *name == ';')
			continue;
		val = name + strcspn(name, " \t");
		if (*val != '\0')
			*val++ = '\0';
		val += strspn(val, " \t");
		if (strcmp(val, "NXDOMAIN") == 0)
			continue;
		else if (strcmp(val, "~~Query timed out~~") == 0)
			rc = ag_dns_zone_timeout(zone, name);
		else if (strcmp(val, "~~SERVFAIL~~") == 0)
			rc = ag_dns_zone_servfail(zone, name);
		else if (strcmp(val, "\"\"") == 0)
			rc = suite_txt(zone, name, "", 0);
		else
			rc = suite_txt(zone, name, val, strlen(val));
	}
	fclose(f);
	return rc;
}

/* run_maildkim - every line of the expectations file */
static int
run_maildkim(const char *dir, const char *expect, bool sha1)
{
	struct suite st = { .name = sha1 ? "dkim-mail-dkim-sha1"
					 : "dkim-mail-dkim" };
	char line[SUITE_LINE_MAX], path[1024], got[SUITE_GOT_MAX];
	FILE *f = NULL;
	int rc = 2;

	if ((f = fopen(expect, "r")) == NULL ||
	    ag_dns_zone_new(&st.zone) != AG_OK ||
	    maildkim_zone(st.zone, dir) != 0 ||
	    suite_setup(&st, SUITE_MAILDKIM_TIME, sha1) != 0) {
		fprintf(stderr, "%s: cannot set up (%s)\n", st.name, expect);
		goto out;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		struct ag_dkim_results res;
		char *file = line, *want, *tab;
		char *msg;
		size_t len = 0;

		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0' ||
		    (want = strchr(line, '\t')) == NULL)
			continue;
		*want++ = '\0';
		if (sha1 && (tab = strchr(want, '\t')) != NULL)
			want = tab + 1;	/* the accept_sha1 column */
		if ((tab = strchr(want, '\t')) != NULL)
			*tab = '\0';
		if ((size_t)snprintf(path, sizeof(path), "%s/corpus/%.200s",
				     dir, file) >= sizeof(path))
			continue;
		memset(&res, 0, sizeof(res));
		if ((msg = suite_read(path, &len)) == NULL) {
			printf("FAIL %s: cannot read\n", file);
			st.failed++;
			continue;
		}
		(void)suite_verify(&st, msg, len, &res, got, sizeof(got));
		suite_check(&st, file, got, &res, want);
		free(msg);
	}
	printf("%s: %u passed, %u failed\n", st.name, st.passed, st.failed);
	rc = st.failed > 0;
out:
	if (f != NULL)
		fclose(f);
	suite_teardown(&st);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "stalwart") == 0)
		return run_stalwart(argv[2]);
	if (argc == 3 && strcmp(argv[1], "dkimpy") == 0)
		return run_dkimpy(argv[2]);
	if (argc == 4 && strcmp(argv[1], "mail-dkim") == 0)
		return run_maildkim(argv[2], argv[3], false);
	if (argc == 4 && strcmp(argv[1], "mail-dkim-sha1") == 0)
		return run_maildkim(argv[2], argv[3], true);
	fprintf(stderr, "usage: dkim_suite stalwart|dkimpy DIR\n"
			"       dkim_suite mail-dkim|mail-dkim-sha1 DIR EXPECT\n");
	return 2;
}
