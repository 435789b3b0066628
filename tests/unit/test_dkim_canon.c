/*
 * tests/unit/test_dkim_canon.c - dkim/canon: RFC 6376 3.4 header and body
 * canonicalization, checked three ways:
 *  - labelled tables of inputs and their canonical text (RFC 6376 3.4.5's
 *    example, empty bodies, trailing empty lines, bare LF and CR, blank
 *    runs, l= limits), each body case fed in every chunk size from 1 byte
 *    to the whole body, and the hash compared with SHA-256 of the wanted
 *    text;
 *  - real signed messages from ../shared/testsuites (dkim-mail-dkim,
 *    dkim-dkimpy, mail-auth-stalwart): the body hash we compute with the
 *    signature's c=, a= and l= must equal the bh= it carries, again with
 *    every chunk size; a missing suite fails the test.
 * Suites are found at $AG_TESTSUITES, else ../shared/testsuites from the
 * working directory (the project root).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "dkim/canon.h"

#define MSG_MAX (256 * 1024)

/* ---- parse ---- */

struct parse_case {
	const char *label, *text;
	int rc;
	enum ag_canon h, b;
};

static const struct parse_case parse_cases[] = {
	{"relaxed/relaxed", "relaxed/relaxed", AG_OK, AG_CANON_RELAXED,
	 AG_CANON_RELAXED},
	{"relaxed/simple", "relaxed/simple", AG_OK, AG_CANON_RELAXED,
	 AG_CANON_SIMPLE},
	{"simple/relaxed", "simple/relaxed", AG_OK, AG_CANON_SIMPLE,
	 AG_CANON_RELAXED},
	{"simple/simple", "simple/simple", AG_OK, AG_CANON_SIMPLE,
	 AG_CANON_SIMPLE},
	{"header only relaxed", "relaxed", AG_OK, AG_CANON_RELAXED,
	 AG_CANON_SIMPLE},
	{"header only simple", "simple", AG_OK, AG_CANON_SIMPLE,
	 AG_CANON_SIMPLE},
	{"case", "Relaxed/SIMPLE", AG_OK, AG_CANON_RELAXED, AG_CANON_SIMPLE},
	{"surrounding fws", " relaxed/relaxed\r\n ", AG_OK, AG_CANON_RELAXED,
	 AG_CANON_RELAXED},
	{"empty", "", AG_EINVAL, 0, 0},
	{"unknown", "foobar", AG_EINVAL, 0, 0},
	{"unknown body", "relaxed/nofws", AG_EINVAL, 0, 0},
	{"three parts", "relaxed/relaxed/relaxed", AG_EINVAL, 0, 0},
	{"trailing slash", "relaxed/", AG_EINVAL, 0, 0},
	{"leading slash", "/relaxed", AG_EINVAL, 0, 0},
	{"inner space", "relaxed /simple", AG_EINVAL, 0, 0},
	{"prefix", "relax", AG_EINVAL, 0, 0},
	{"longer", "relaxedx", AG_EINVAL, 0, 0},
};

static void
test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]);
	     i++) {
		const struct parse_case *c = &parse_cases[i];
		enum ag_canon h = 99, b = 99;
		int rc = ag_canon_parse(c->text, &h, &b);
		if (rc != c->rc)
			fail_msg("case %s: got rc %d, want %d", c->label, rc,
				 c->rc);
		if (rc == AG_OK && (h != c->h || b != c->b))
			fail_msg("case %s: got %d/%d, want %d/%d", c->label,
				 (int)h, (int)b, (int)c->h, (int)c->b);
		if (rc != AG_OK && (h != 99 || b != 99))
			fail_msg("case %s: outputs written on failure",
				 c->label);
	}
	enum ag_canon h, b;
	assert_int_equal(ag_canon_parse(NULL, &h, &b), AG_EINVAL);
}

/* ---- headers ---- */

struct header_case {
	const char *label;
	enum ag_canon c;
	const char *name, *value;
	bool crlf;
	const char *want;
};

static const struct header_case header_cases[] = {
	/* RFC 6376 3.4.5: "A: X" and "B : Y<TAB>CRLF<TAB>Z  " as the milter
	 * hands them over (the blank after the colon is not part of the
	 * value unless LEADSPC) */
	{"rfc 3.4.5 relaxed A", AG_CANON_RELAXED, "A", "X", true, "a:X\r\n"},
	{"rfc 3.4.5 relaxed B", AG_CANON_RELAXED, "B ", "Y\t\r\n\tZ  ", true,
	 "b:Y Z\r\n"},
	{"rfc 3.4.5 simple A", AG_CANON_SIMPLE, "A", "X", true, "A: X\r\n"},
	{"rfc 3.4.5 simple B", AG_CANON_SIMPLE, "B ", "Y\t\r\n\tZ  ", true,
	 "B : Y\t\r\n\tZ  \r\n"},
	{"simple bare lf fold", AG_CANON_SIMPLE, "Subject", "a\n\tb", true,
	 "Subject: a\r\n\tb\r\n"},
	{"simple leadspc", AG_CANON_SIMPLE, "Subject", "  two", true,
	 "Subject:  two\r\n"},
	{"simple leadtab", AG_CANON_SIMPLE, "Subject", "\tx", true,
	 "Subject:\tx\r\n"},
	{"simple empty value", AG_CANON_SIMPLE, "X-Empty", "", true,
	 "X-Empty: \r\n"},
	{"simple no crlf", AG_CANON_SIMPLE, "DKIM-Signature", "v=1; b=", false,
	 "DKIM-Signature: v=1; b="},
	{"simple keeps case and blanks", AG_CANON_SIMPLE, "SuBJect",
	 "a  b\t ", true, "SuBJect: a  b\t \r\n"},
	{"relaxed lowercase name", AG_CANON_RELAXED, "SuBJect", "Hello", true,
	 "subject:Hello\r\n"},
	{"relaxed leadspc dropped", AG_CANON_RELAXED, "Subject", "   x", true,
	 "subject:x\r\n"},
	{"relaxed runs", AG_CANON_RELAXED, "To", "a \t b\t\tc", true,
	 "to:a b c\r\n"},
	{"relaxed trailing", AG_CANON_RELAXED, "To", "a \t", true,
	 "to:a\r\n"},
	{"relaxed folded lf", AG_CANON_RELAXED, "To", "a,\n b,\n\tc", true,
	 "to:a, b, c\r\n"},
	{"relaxed folded crlf", AG_CANON_RELAXED, "To", "a,\r\n  b", true,
	 "to:a, b\r\n"},
	{"relaxed empty", AG_CANON_RELAXED, "X-Empty", "", true,
	 "x-empty:\r\n"},
	{"relaxed only blanks", AG_CANON_RELAXED, "X-Empty", " \t\r\n ", true,
	 "x-empty:\r\n"},
	{"relaxed no crlf", AG_CANON_RELAXED, "DKIM-Signature",
	 " v=1; a=rsa-sha256;\n\tb=", false,
	 "dkim-signature:v=1; a=rsa-sha256; b="},
	{"relaxed 8bit kept", AG_CANON_RELAXED, "Subject", "caf\xc3\xa9  !",
	 true, "subject:caf\xc3\xa9 !\r\n"},
};

static void
sha256_of(const void *p, size_t n, unsigned char *out)
{
	unsigned len = 0;
	assert_int_equal(EVP_Digest(p, n, out, &len, EVP_sha256(), NULL), 1);
	assert_int_equal(len, 32);
}

static void
test_header(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(header_cases) / sizeof(header_cases[0]);
	     i++) {
		const struct header_case *c = &header_cases[i];
		char out[512];
		size_t len = 0;
		int rc = ag_canon_header(c->c, c->name, c->value, c->crlf, out,
					 sizeof(out), &len);
		if (rc != AG_OK)
			fail_msg("case %s: got rc %d, want 0", c->label, rc);
		if (len != strlen(c->want) || memcmp(out, c->want, len) != 0 ||
		    out[len] != '\0')
			fail_msg("case %s: got '%.*s', want '%s'", c->label,
				 (int)len, out, c->want);

		/* the hashing form gives the same bytes */
		unsigned char got[EVP_MAX_MD_SIZE], want[32];
		unsigned glen = 0;
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		assert_non_null(md);
		assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
		rc = ag_canon_header_hash(c->c, c->name, c->value, c->crlf,
					  md);
		assert_int_equal(EVP_DigestFinal_ex(md, got, &glen), 1);
		EVP_MD_CTX_free(md);
		sha256_of(c->want, strlen(c->want), want);
		if (rc != AG_OK || glen != 32 || memcmp(got, want, 32) != 0)
			fail_msg("case %s (hash): rc %d or digest differs",
				 c->label, rc);
	}
}

static void
test_header_limits(void **state)
{
	char out[16];
	size_t len = 77;

	(void)state;
	/* exactly fits: no NUL, but AG_OK */
	memset(out, 'x', sizeof(out));
	assert_int_equal(ag_canon_header(AG_CANON_SIMPLE, "Subject",
					 "1234567", false, out, 16, &len),
			 AG_OK);
	assert_int_equal(len, 16);
	assert_memory_equal(out, "Subject: 1234567", 16);
	/* one more byte: AG_ELIMIT, len untouched, nothing past cap */
	len = 77;
	char big[20];
	memset(big, 'Z', sizeof(big));
	assert_int_equal(ag_canon_header(AG_CANON_SIMPLE, "Subject",
					 "12345678", false, big, 16, &len),
			 AG_ELIMIT);
	assert_int_equal(len, 77);
	for (size_t i = 16; i < sizeof(big); i++)
		assert_int_equal(big[i], 'Z');
	assert_int_equal(ag_canon_header(AG_CANON_RELAXED, NULL, "x", true,
					 out, sizeof(out), &len),
			 AG_EINVAL);
	assert_int_equal(ag_canon_header(AG_CANON_RELAXED, "a", NULL, true,
					 out, sizeof(out), &len),
			 AG_EINVAL);
	assert_int_equal(ag_canon_header((enum ag_canon)7, "a", "b", true,
					 out, sizeof(out), &len),
			 AG_EINVAL);

	/* a value far longer than any internal block hashes whole */
	size_t n = 100000;
	char *v = malloc(n + 1), *w = malloc(n + 16);
	assert_non_null(v);
	assert_non_null(w);
	for (size_t i = 0; i < n; i++)
		v[i] = (char)('a' + (i % 26));
	v[n] = '\0';
	int wl = snprintf(w, n + 16, "x:%s\r\n", v);
	unsigned char got[EVP_MAX_MD_SIZE], want[32];
	unsigned glen = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	assert_non_null(md);
	assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
	assert_int_equal(ag_canon_header_hash(AG_CANON_RELAXED, "X", v, true,
					      md),
			 AG_OK);
	assert_int_equal(EVP_DigestFinal_ex(md, got, &glen), 1);
	sha256_of(w, (size_t)wl, want);
	assert_memory_equal(got, want, 32);
	EVP_MD_CTX_free(md);
	free(v);
	free(w);
}

/* ---- bodies ---- */

/* body_hash - the body hash of body fed in chunks of chunk bytes */
static int
body_hash(enum ag_canon c, const EVP_MD *md, int64_t limit,
	  const unsigned char *body, size_t len, size_t chunk,
	  unsigned char *digest, unsigned *dlen, uint64_t *total)
{
	struct ag_canon_body *b = NULL;
	int rc;

	if ((rc = ag_canon_body_new(&b, c, md, limit)) != AG_OK)
		goto out;
	for (size_t o = 0; o < len && rc == AG_OK; o += chunk)
		rc = ag_canon_body_update(b, body + o,
					  len - o < chunk ? len - o : chunk);
	if (rc == AG_OK)
		rc = ag_canon_body_final(b, digest, dlen, total);
out:
	ag_canon_body_free(&b);
	return rc;
}

struct body_case {
	const char *label;
	enum ag_canon c;
	int64_t limit;
	const char *in;
	const char *want; /* the canonical body (what is hashed) */
	uint64_t total;	  /* with a limit: the canonical length (more
			   * than want's when l= cuts); else want's */
};

static const struct body_case body_cases[] = {
	{"rfc 3.4.5 relaxed", AG_CANON_RELAXED, -1,
	 " C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n", 9},
	{"rfc 3.4.5 simple", AG_CANON_SIMPLE, -1, " C \r\nD \t E\r\n\r\n\r\n",
	 " C \r\nD \t E\r\n", 12},
	{"empty simple", AG_CANON_SIMPLE, -1, "", "\r\n", 2},
	{"empty relaxed", AG_CANON_RELAXED, -1, "", "", 0},
	{"only crlfs simple", AG_CANON_SIMPLE, -1, "\r\n\r\n\r\n", "\r\n", 2},
	{"only crlfs relaxed", AG_CANON_RELAXED, -1, "\r\n\r\n", "", 0},
	{"only blank lines relaxed", AG_CANON_RELAXED, -1, "  \r\n\t\r\n \t",
	 "", 0},
	{"blank lines simple kept", AG_CANON_SIMPLE, -1, "  \r\n\r\n",
	 "  \r\n", 4},
	{"no final crlf simple", AG_CANON_SIMPLE, -1, "abc", "abc\r\n", 5},
	{"no final crlf relaxed", AG_CANON_RELAXED, -1, "abc  ", "abc\r\n", 5},
	{"bare lf simple", AG_CANON_SIMPLE, -1, "a\nb\n\n\n",
	 "a\r\nb\r\n", 6},
	{"bare lf relaxed", AG_CANON_RELAXED, -1, "a \n b\n", "a\r\n b\r\n",
	 7},
	{"mixed lf crlf", AG_CANON_SIMPLE, -1, "a\r\nb\nc\r\n\n",
	 "a\r\nb\r\nc\r\n", 9},
	{"bare cr is content simple", AG_CANON_SIMPLE, -1, "a\rb\r\n",
	 "a\rb\r\n", 5},
	{"bare cr at end simple", AG_CANON_SIMPLE, -1, "a\r", "a\r\r\n", 4},
	{"bare cr relaxed", AG_CANON_RELAXED, -1, "a \r b\r\n",
	 "a \r b\r\n", 7},
	{"cr cr lf", AG_CANON_SIMPLE, -1, "a\r\r\nb", "a\r\r\nb\r\n", 7},
	{"inner empty lines kept", AG_CANON_RELAXED, -1,
	 "a\r\n\r\n\r\nb\r\n\r\n", "a\r\n\r\n\r\nb\r\n", 9},
	{"leading blanks relaxed", AG_CANON_RELAXED, -1, "\t\t x\r\n",
	 " x\r\n", 4},
	{"blank-only middle line relaxed", AG_CANON_RELAXED, -1,
	 "a\r\n \t \r\nb", "a\r\n\r\nb\r\n", 7},
	{"limit 0", AG_CANON_SIMPLE, 0, "abc\r\n", "", 5},
	{"limit inside line", AG_CANON_RELAXED, 3, "a  b  c\r\n", "a b", 7},
	{"limit past end", AG_CANON_SIMPLE, 100, "abc\r\n", "abc\r\n", 5},
	{"limit exact", AG_CANON_SIMPLE, 5, "abc\r\nd\r\n", "abc\r\n", 8},
	{"limit cuts held crlf", AG_CANON_SIMPLE, 4, "abc\r\n\r\nd",
	 "abc\r", 10},
	{"limit empty simple", AG_CANON_SIMPLE, 1, "", "\r", 2},
};

static void
check_body(const char *label, enum ag_canon c, int64_t limit,
	   const unsigned char *in, size_t len, const unsigned char *want,
	   size_t wlen, uint64_t wtotal)
{
	unsigned char exp[32], got[EVP_MAX_MD_SIZE];
	size_t maxc = len > 0 ? len : 1;

	sha256_of(want, wlen, exp);
	for (size_t chunk = 1; chunk <= maxc; chunk++) {
		unsigned dlen = 0;
		uint64_t total = 0;
		int rc = body_hash(c, EVP_sha256(), limit, in, len, chunk, got,
				   &dlen, &total);
		if (rc != AG_OK)
			fail_msg("case %s chunk %zu: got rc %d, want 0", label,
				 chunk, rc);
		if (dlen != 32 || memcmp(got, exp, 32) != 0)
			fail_msg("case %s chunk %zu: got a different hash "
				 "than of '%.*s'",
				 label, chunk, (int)wlen, (const char *)want);
		if (total != wtotal)
			fail_msg("case %s chunk %zu: got total %llu, want "
				 "%llu",
				 label, chunk, (unsigned long long)total,
				 (unsigned long long)wtotal);
	}
}

static void
test_body_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(body_cases) / sizeof(body_cases[0]);
	     i++) {
		const struct body_case *c = &body_cases[i];
		check_body(c->label, c->c, c->limit,
			   (const unsigned char *)c->in, strlen(c->in),
			   (const unsigned char *)c->want, strlen(c->want),
			   c->limit < 0 ? strlen(c->want) : c->total);
	}
}

/* a body larger than the internal block, with long runs of blanks and
 * empty lines, against a naive reference built here line by line */
static void
test_body_large(void **state)
{
	size_t n = 3 * 4096 + 777, wl = 0;
	unsigned char *in = malloc(n), *want = malloc(2 * n + 2);

	(void)state;
	assert_non_null(in);
	assert_non_null(want);
	for (size_t i = 0; i < n; i++) {
		unsigned k = (unsigned)((i * 2654435761u) >> 7) % 11;
		in[i] = k < 5 ? (unsigned char)('a' + k)
		       : k < 8 ? ' '
		       : k < 9 ? '\t'
			       : '\n';
	}
	/* reference relaxed: per line, blank runs -> SP, trailing blanks
	 * dropped; then trailing empty lines dropped; CRLF ends it */
	size_t lastc = 0;
	for (size_t i = 0; i < n;) {
		size_t e = i;
		while (e < n && in[e] != '\n')
			e++;
		size_t ls = wl;
		bool ws = false;
		for (size_t j = i; j < e; j++) {
			if (in[j] == ' ' || in[j] == '\t') {
				ws = true;
				continue;
			}
			if (ws)
				want[wl++] = ' ';
			ws = false;
			want[wl++] = in[j];
		}
		if (wl > ls)
			lastc = wl;
		want[wl++] = '\r';
		want[wl++] = '\n';
		i = e + 1;
	}
	wl = lastc > 0 ? lastc + 2 : 0;
	if (lastc > 0) {
		want[lastc] = '\r';
		want[lastc + 1] = '\n';
	}
	unsigned char exp[32], got[EVP_MAX_MD_SIZE];
	sha256_of(want, wl, exp);
	static const size_t chunks[] = {1, 2, 3, 7, 64, 4095, 4096, 4097,
					9999, 1 << 20};
	for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
		unsigned dlen = 0;
		uint64_t total = 0;
		assert_int_equal(body_hash(AG_CANON_RELAXED, EVP_sha256(), -1,
					   in, n, chunks[k], got, &dlen,
					   &total),
				 AG_OK);
		if (memcmp(got, exp, 32) != 0 || total != wl)
			fail_msg("case large chunk %zu: hash or total %llu "
				 "differs (want %zu)",
				 chunks[k], (unsigned long long)total, wl);
	}
	free(in);
	free(want);
}

static void
test_body_errors(void **state)
{
	struct ag_canon_body *b = NULL;
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dl = 0;

	(void)state;
	assert_int_equal(ag_canon_body_new(&b, (enum ag_canon)5, EVP_sha256(),
					   -1),
			 AG_EINVAL);
	assert_null(b);
	assert_int_equal(ag_canon_body_new(&b, AG_CANON_SIMPLE, NULL, -1),
			 AG_EINVAL);
	assert_int_equal(ag_canon_body_new(&b, AG_CANON_SIMPLE, EVP_sha256(),
					   -2),
			 AG_EINVAL);
	assert_int_equal(ag_canon_body_new(&b, AG_CANON_SIMPLE, EVP_sha1(),
					   -1),
			 AG_OK);
	assert_int_equal(ag_canon_body_update(b, NULL, 0), AG_OK);
	assert_int_equal(ag_canon_body_final(b, d, &dl, NULL), AG_OK);
	assert_int_equal(dl, 20);
	/* sha1("\r\n") */
	unsigned char w[20];
	unsigned wl = 0;
	assert_int_equal(EVP_Digest("\r\n", 2, w, &wl, EVP_sha1(), NULL), 1);
	assert_memory_equal(d, w, 20);
	/* once only */
	assert_int_equal(ag_canon_body_final(b, d, &dl, NULL), AG_EINVAL);
	assert_int_equal(ag_canon_body_update(b, (const unsigned char *)"x",
					      1),
			 AG_EINVAL);
	ag_canon_body_free(&b);
	assert_null(b);
	ag_canon_body_free(&b);
	ag_canon_body_free(NULL);
}

/* ---- real signatures ---- */

static char *
slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(MSG_MAX + 1);
	size_t n = 0;

	if (f == NULL)
		fail_msg("cannot open %s: the shared test suites are "
			 "required (set AG_TESTSUITES)",
			 path);
	assert_non_null(buf);
	n = fread(buf, 1, MSG_MAX, f);
	assert_true(n < MSG_MAX);
	fclose(f);
	buf[n] = '\0';
	*len_r = n;
	return buf;
}

/* tag_get - tag name's value from an unfolded tag list, all blanks
 * removed, into out; false when absent */
static bool
tag_get(const char *list, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	const char *p = list;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' ||
		       *p == ';')
			p++;
		const char *e = strchr(p, ';');
		if (e == NULL)
			e = p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(e - p));
		if (eq != NULL) {
			const char *ne = eq;
			while (ne > p && (ne[-1] == ' ' || ne[-1] == '\t'))
				ne--;
			if ((size_t)(ne - p) == nl &&
			    strncmp(p, name, nl) == 0) {
				size_t o = 0;
				for (const char *q = eq + 1; q < e; q++)
					if (*q != ' ' && *q != '\t' &&
					    *q != '\r' && *q != '\n' &&
					    o + 1 < cap)
						out[o++] = *q;
				out[o] = '\0';
				return true;
			}
		}
		p = e;
	}
	return false;
}

/* corpus_file - every DKIM-Signature of path whose c= we know: its bh=
 * is compared with the hash we compute (the same for every chunk size):
 * *match and *mismatch count the outcomes */
static void
corpus_file(const char *path, bool records, unsigned *match,
	    unsigned *mismatch)
{
	size_t len, hlen, blen;
	char *buf = slurp(path, &len), *msg = buf;
	char *sep = strstr(msg, "\r\n\r\n");
	char *lf = strstr(msg, "\n\n");
	if (records) {
		/* mail-auth-stalwart: key records, a blank line, the message */
		char *e = strstr(msg, "\n\n");
		assert_non_null(e);
		len -= (size_t)(e + 2 - msg);
		msg = e + 2;
		sep = strstr(msg, "\r\n\r\n");
		lf = strstr(msg, "\n\n");
	}
	if (sep == NULL && lf == NULL) {
		/* headers only (no_body_1): the body is empty */
		hlen = len;
		blen = 0;
	} else if (sep == NULL || (lf != NULL && lf < sep)) {
		hlen = (size_t)(lf - msg) + 1;
		blen = len - hlen - 1;
	} else {
		hlen = (size_t)(sep - msg) + 2;
		blen = len - hlen - 2;
	}
	const unsigned char *body = (unsigned char *)msg + len - blen;
	for (size_t o = 0; o < hlen;) {
		size_t e = o;
		/* one field: up to a line end not followed by a blank */
		while (e < hlen && !(msg[e] == '\n' && e + 1 < hlen &&
				     msg[e + 1] != ' ' && msg[e + 1] != '\t'))
			e++;
		if (e - o > 15 && strncasecmp(msg + o, "DKIM-Signature:", 15) ==
					  0) {
			char *f = strndup(msg + o + 15, e - o - 15);
			char cv[64] = "simple", av[64] = "", bh[256] = "",
			     lv[32] = "";
			enum ag_canon hc, bc;
			assert_non_null(f);
			tag_get(f, "c", cv, sizeof(cv));
			tag_get(f, "a", av, sizeof(av));
			bool have_bh = tag_get(f, "bh", bh, sizeof(bh));
			bool have_l = tag_get(f, "l", lv, sizeof(lv));
			free(f);
			if (have_bh && ag_canon_parse(cv, &hc, &bc) == AG_OK) {
				const EVP_MD *md = strcmp(av, "rsa-sha1") == 0
							   ? EVP_sha1()
							   : EVP_sha256();
				unsigned char want[EVP_MAX_MD_SIZE],
					got[EVP_MAX_MD_SIZE];
				int wl = EVP_DecodeBlock(
					want, (const unsigned char *)bh,
					(int)strlen(bh));
				size_t bl = strlen(bh);
				while (bl > 0 && bh[bl - 1] == '=') {
					wl--;
					bl--;
				}
				int64_t lim = have_l ? strtoll(lv, NULL, 10)
						     : -1;
				/* every chunk size gives the same hash */
				unsigned char first[EVP_MAX_MD_SIZE];
				unsigned fl = 0;
				for (size_t ch = 1; ch <= (blen ? blen : 1);
				     ch++) {
					unsigned dl = 0;
					assert_int_equal(
						body_hash(bc, md, lim, body,
							  blen, ch, got, &dl,
							  NULL),
						AG_OK);
					if (ch == 1) {
						memcpy(first, got, dl);
						fl = dl;
					} else if (dl != fl ||
						   memcmp(got, first, dl) != 0)
						fail_msg("case %s (c=%s): "
							 "chunk %zu gives "
							 "another hash than "
							 "chunk 1",
							 path, cv, ch);
				}
				if ((int)fl == wl &&
				    memcmp(first, want, fl) == 0)
					(*match)++;
				else
					(*mismatch)++;
			}
		}
		o = e + 1;
	}
	free(buf);
}

struct corpus_case {
	const char *file; /* under the suites folder */
	unsigned match;	   /* signatures whose bh= we must reproduce */
	unsigned mismatch; /* deliberately broken bh= (upstream's comment) */
};

/* Signed messages whose body is intact. Not listed: good_ietf00_*
 * (pre-RFC drafts without bh=), the bad_* messages (altered bodies), and
 * the DomainKeys (RFC 4870) ones. */
static const struct corpus_case corpus_cases[] = {
	{"dkim-mail-dkim/corpus/good_1878523.txt", 1, 0},
	{"dkim-mail-dkim/corpus/good_83176.txt", 1, 0},
	{"dkim-mail-dkim/corpus/good_ietf01_1.txt", 1, 0},
	{"dkim-mail-dkim/corpus/good_ietf01_2.txt", 1, 0},
	{"dkim-mail-dkim/corpus/good_qp_1.txt", 1, 0},
	{"dkim-mail-dkim/corpus/good_qp_2.txt", 1, 0},
	{"dkim-mail-dkim/corpus/good_qp_3.txt", 1, 0},
	{"dkim-mail-dkim/corpus/good_rfc4871_3.txt", 1, 0},
	{"dkim-mail-dkim/corpus/good_rfc4871_4.txt", 1, 0},
	{"dkim-mail-dkim/corpus/goodkey_1.txt", 1, 0},
	{"dkim-mail-dkim/corpus/goodkey_2.txt", 1, 0},
	{"dkim-mail-dkim/corpus/goodkey_3.txt", 1, 0},
	{"dkim-mail-dkim/corpus/goodkey_4.txt", 1, 0},
	{"dkim-mail-dkim/corpus/goodkey_ed25519.txt", 1, 0},
	{"dkim-mail-dkim/corpus/mine_ietf01_1.txt", 1, 0},
	{"dkim-mail-dkim/corpus/mine_ietf01_2.txt", 1, 0},
	{"dkim-mail-dkim/corpus/mine_ietf01_3.txt", 1, 0},
	{"dkim-mail-dkim/corpus/mine_ietf01_4.txt", 1, 0},
	{"dkim-mail-dkim/corpus/mine_ietf05_1.txt", 1, 0},
	{"dkim-mail-dkim/corpus/multiple_1.txt", 3, 1},
	{"dkim-mail-dkim/corpus/multiple_2.txt", 2, 0}, /* 3rd: c=foobar */
	{"dkim-mail-dkim/corpus/no_body_1.txt", 1, 0},
	{"dkim-mail-dkim/corpus/no_body_2.txt", 1, 0},
	{"dkim-mail-dkim/corpus/no_body_3.txt", 1, 0},
	{"dkim-dkimpy/rfc6376.signed.msg", 2, 0},
	{"dkim-dkimpy/ed25519test2.msg", 1, 0},
	{"mail-auth-stalwart/dkim/001.txt", 2, 0},
	{"mail-auth-stalwart/dkim/002.txt", 1, 0},
	{"mail-auth-stalwart/dkim/003.txt", 2, 0},
	{"mail-auth-stalwart/dkim/004.txt", 1, 0},
	{"mail-auth-stalwart/dkim/005.txt", 1, 0},
	{"mail-auth-stalwart/dkim/006.txt", 1, 0},
};

static void
test_corpus(void **state)
{
	const char *root = getenv("AG_TESTSUITES");
	char path[1024];
	unsigned total = 0;

	(void)state;
	if (root == NULL)
		root = "../shared/testsuites";
	for (size_t i = 0; i < sizeof(corpus_cases) / sizeof(corpus_cases[0]);
	     i++) {
		int n = snprintf(path, sizeof(path), "%s/%s", root,
				 corpus_cases[i].file);
		assert_true(n > 0 && (size_t)n < sizeof(path));
		unsigned m = 0, mm = 0;
		bool records =
			strncmp(corpus_cases[i].file, "mail-auth", 9) == 0;
		corpus_file(path, records, &m, &mm);
		if (m != corpus_cases[i].match ||
		    mm != corpus_cases[i].mismatch)
			fail_msg("case %s: got %u matching and %u differing "
				 "bh=, want %u and %u",
				 corpus_cases[i].file, m, mm,
				 corpus_cases[i].match,
				 corpus_cases[i].mismatch);
		total += m;
	}
	print_message("canon corpus: %u body hashes matched bh=, every "
		      "chunk size\n",
		      total);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_header_limits),
		cmocka_unit_test(test_body_table),
		cmocka_unit_test(test_body_large),
		cmocka_unit_test(test_body_errors),
		cmocka_unit_test(test_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
