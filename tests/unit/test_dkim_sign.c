/*
 * tests/unit/test_dkim_sign.c - dkim/sign: signatures made by our
 * signer, checked by an independent verifier (dkimpy, Debian's
 * python3-dkim, run as /usr/bin/python3 with the public keys served by a
 * dnsfunc), and the signature's shape: c=, no l=, the oversigned names in
 * h=, fields that must never be signed, "\n\t" folding.
 *
 * Each table row is one labelled case; a failure prints
 * "case <label>: got <x>, want <y>". Keys are made with dkim/keygen (and
 * an RSA-1024 PKCS#1 key with OpenSSL) under a mkdtemp() directory.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "dkim/keygen.h"
#include "dkim/keys.h"
#include "dkim/lib.h"
#include "dkim/sign.h"
#include "util/dns.h"
#include "util/dns_zone.h"

#define PY "/usr/bin/python3"

static char dir[256];
static struct ag_dns_zone *zone;
static struct ag_dns *dns;
static struct ag_dkim_lib *lib;
static struct ag_dkim_keys *k_rsa, *k_ed, *k_rsa1024;

/* the verifier: argv: records file, message file, number of signatures;
 * prints "pass" or "fail" per signature, top one first */
static const char verify_py[] =
	"import sys, dkim\n"
	"recs = {}\n"
	"for line in open(sys.argv[1]):\n"
	"    n, v = line.rstrip('\\n').split(' ', 1)\n"
	"    recs[n] = v.encode()\n"
	"msg = open(sys.argv[2], 'rb').read()\n"
	"def dns(name, timeout=5):\n"
	"    return recs.get(name.decode().rstrip('.').lower())\n"
	"d = dkim.DKIM(msg)\n"
	"out = []\n"
	"for i in range(int(sys.argv[3])):\n"
	"    try:\n"
	"        ok = d.verify(idx=i, dnsfunc=dns)\n"
	"    except Exception:\n"
	"        ok = False\n"
	"    out.append('pass' if ok else 'fail')\n"
	"print(' '.join(out))\n";

static const char *
tpath(const char *name)
{
	static char buf[8][512];
	static unsigned i;
	char *p = buf[i++ % 8];

	snprintf(p, 512, "%s/%s", dir, name);
	return p;
}

static void
write_file(const char *name, const char *text, size_t len)
{
	FILE *fp = fopen(tpath(name), "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* load_key - the single-domain form for one key file */
static struct ag_dkim_keys *
load_key(const char *file, const char *selector)
{
	struct ag_dkim_keys_config cfg = {0};
	struct ag_dkim_keys *keys = NULL;
	struct ag_err err = {0, ""};

	cfg.domain = "example.com";
	cfg.selector = selector;
	cfg.keyfile = tpath(file);
	cfg.require_safe_keys = true;
	if (ag_dkim_keys_load(&keys, &cfg, &err) != AG_OK)
		printf("load %s: %s\n", file, err.msg);
	return keys;
}

/* rsa1024_txt - make the PKCS#1 RSA-1024 key and its record value */
static void
rsa1024(char *txt, size_t size)
{
	EVP_PKEY *k = EVP_RSA_gen(1024);
	unsigned char *der = NULL;
	char b64[1024];
	BIO *b = BIO_new_file(tpath("rsa1024.pem"), "w");
	int n;

	assert_non_null(b);
	assert_int_equal(PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL,
							      0, NULL, NULL),
			 1);
	BIO_free(b);
	assert_int_equal(chmod(tpath("rsa1024.pem"), 0600), 0);
	n = i2d_PUBKEY(k, &der);
	EVP_EncodeBlock((unsigned char *)b64, der, n);
	snprintf(txt, size, "v=DKIM1; k=rsa; p=%s", b64);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

static int
group_setup(void **state)
{
	char txt_rsa[AG_DKIM_TXT_MAX], txt_ed[AG_DKIM_TXT_MAX];
	char txt_1024[AG_DKIM_TXT_MAX], recs[8192];
	struct ag_dkim_sign_config scfg = {0};
	struct ag_dkim_lib_config lcfg;
	struct ag_dns_config dcfg;
	struct ag_err err = {0, ""};
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/agsignXXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL ||
	    ag_dkim_keygen(AG_DKIM_ALG_RSA_SHA256, 0, tpath("rsa.pem"), txt_rsa,
			   sizeof(txt_rsa), &err) != AG_OK ||
	    ag_dkim_keygen(AG_DKIM_ALG_ED25519_SHA256, 0, tpath("ed.pem"),
			   txt_ed, sizeof(txt_ed), &err) != AG_OK) {
		printf("setup: %s\n", err.msg);
		return -1;
	}
	rsa1024(txt_1024, sizeof(txt_1024));
	snprintf(recs, sizeof(recs),
		 "rsa._domainkey.example.com %s\n"
		 "ed._domainkey.example.com %s\n"
		 "old._domainkey.example.com %s\n",
		 txt_rsa, txt_ed, txt_1024);
	write_file("recs", recs, strlen(recs));
	write_file("verify.py", verify_py, strlen(verify_py));
	k_rsa = load_key("rsa.pem", "rsa");
	k_ed = load_key("ed.pem", "ed");
	k_rsa1024 = load_key("rsa1024.pem", "old");
	ag_dns_config_defaults(&dcfg);
	ag_dkim_lib_config_defaults(&lcfg);
	if (k_rsa == NULL || k_ed == NULL || k_rsa1024 == NULL ||
	    ag_dns_zone_new(&zone) != AG_OK ||
	    ag_dns_new_zone(&dns, &dcfg, zone, &err) != AG_OK ||
	    ag_dkim_lib_new(&lib, &lcfg, dns, &err) != AG_OK ||
	    ag_dkim_sign_configure_lib(lib, &scfg, &err) != AG_OK) {
		printf("setup: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[600];

	(void)state;
	ag_dkim_lib_free(&lib);
	ag_dns_free(&dns);
	ag_dns_zone_free(&zone);
	ag_dkim_keys_free(&k_rsa);
	ag_dkim_keys_free(&k_ed);
	ag_dkim_keys_free(&k_rsa1024);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* the message: fields as (name, value as a milter without LEADSPC gives
 * it), then the body; "\n" in values and body become CRLF on the wire */
struct field {
	const char *name, *value;
};

static const struct field fields[] = {
	{"Received", "from client.example.net (client.example.net "
		     "[192.0.2.7])\n\tby mx.example.com; Mon, 1 Jan 2024"},
	{"Authentication-Results", "mx.example.com; spf=pass "
				   "smtp.mailfrom=example.com"},
	{"From", "Joe Example <joe@example.com>"},
	{"To", "Ann <ann@example.org>, bob@example.net"},
	{"Subject", "a folded\n subject line"},
	{"Date", "Mon, 1 Jan 2024 10:00:00 +0000"},
	{"Message-ID", "<20240101100000.1@example.com>"},
	{"MIME-Version", "1.0"},
	{"Content-Type", "text/plain; charset=utf-8"},
	{"X-Mailer", "test"},
};

static const char body[] =
	"Hello,\n"
	"a line with trailing whitespace   \t\n"
	"\n"
	"caf\xc3\xa9 8-bit text\n"
	"a long line xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"\n\n\n";

/* a message: its fields and body (NULL in a case: fields[] and body[]) */
struct msgdef {
	const struct field *f;
	size_t nf;
	const char *body;
};

static const struct msgdef msg_default = {
	fields, sizeof(fields) / sizeof(*fields), body};

/* repeated fields (two To, two Cc, one folded over three lines), an
 * unsigned field between them, a field without value text */
static const struct field fields_dup[] = {
	{"Received", "from a by b; Mon, 1 Jan 2024"},
	{"From", "Joe Example <joe@example.com>"},
	{"To", "first@example.org"},
	{"Cc", "one@example.org,\n\ttwo@example.org,\n  three@example.org"},
	{"X-Mailer", "between"},
	{"To", "second@example.org"},
	{"Cc", "four@example.org"},
	{"Subject", "  blanks   inside \t and at the end  "},
	{"Keywords", ""},
	{"Date", "Mon, 1 Jan 2024 10:00:00 +0000"},
};

static const struct msgdef msg_dup = {
	fields_dup, sizeof(fields_dup) / sizeof(*fields_dup),
	"Hello,\n two  to fields\n"};

static const struct msgdef msg_empty = {
	fields, sizeof(fields) / sizeof(*fields), ""};

static const struct msgdef msg_blank_lines = {
	fields, sizeof(fields) / sizeof(*fields), "\n\n  \n\n"};

/* a body of about 20 KB: blank runs and empty lines in every chunk
 * size's way */
static char body_big[20000];
static const struct msgdef msg_big = {
	fields, sizeof(fields) / sizeof(*fields), body_big};

static void
body_big_fill(void)
{
	static const char piece[] = "Hello there \t x\n\n  y  \n";
	size_t o = 0;

	while (o + sizeof(piece) < sizeof(body_big)) {
		memcpy(body_big + o, piece, sizeof(piece) - 1);
		o += sizeof(piece) - 1;
	}
	body_big[o] = '\0';
}

/* crlf - append s to out with every "\n" written as "\r\n" */
static size_t
crlf(char *out, size_t o, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			out[o++] = '\r';
		out[o++] = *s;
	}
	return o;
}

struct sign_case {
	const char *label;
	const char *keys; /* "rsa", "ed", "old", comma-separated */
	bool simple;	  /* c=simple/simple */
	bool leadspc;	  /* values passed with their leading space */
	bool crlf_in;	  /* values and body handed over with CRLF */
	unsigned chunk;	  /* body chunk size; 0: all at once */
	const char *want; /* dkimpy's verdicts, top signature first */
	const struct msgdef *m; /* NULL: msg_default */
	bool rs;		/* c=relaxed/simple (simple false) */
};

static const struct sign_case sign_cases[] = {
	{"rsa relaxed", "rsa", false, false, false, 0, "pass", NULL, false},
	{"ed25519 relaxed", "ed", false, false, false, 0, "pass", NULL, false},
	{"dual rsa+ed25519", "rsa,ed", false, false, false, 0, "pass pass",
	 NULL, false},
	{"rsa-1024 pkcs1 key", "old", false, false, false, 0, "pass", NULL,
	 false},
	{"rsa simple/simple, leading space kept", "rsa", true, true, false, 0,
	 "pass", NULL, false},
	{"ed25519 simple/simple", "ed", true, false, false, 0, "pass", NULL,
	 false},
	{"crlf input", "rsa,ed", false, false, true, 0, "pass pass", NULL,
	 false},
	{"crlf input simple, 1-byte chunks", "rsa", true, false, true, 1,
	 "pass", NULL, false},
	{"lf input, 7-byte chunks", "ed", true, false, false, 7, "pass", NULL,
	 false},
	{"rsa relaxed/simple", "rsa", false, false, false, 0, "pass", NULL,
	 true},
	{"ed25519 relaxed/simple, leading space kept", "ed", false, true,
	 false, 0, "pass", NULL, true},
	{"rsa relaxed, leading space kept", "rsa", false, true, false, 0,
	 "pass", NULL, false},
	{"repeated fields relaxed", "rsa,ed", false, false, false, 0,
	 "pass pass", &msg_dup, false},
	{"repeated fields simple, leading space", "rsa,ed", true, true, false,
	 0, "pass pass", &msg_dup, false},
	{"repeated fields relaxed/simple crlf", "ed", false, false, true, 3,
	 "pass", &msg_dup, true},
	{"empty body relaxed", "rsa,ed", false, false, false, 0, "pass pass",
	 &msg_empty, false},
	{"empty body simple", "rsa,ed", true, false, false, 0, "pass pass",
	 &msg_empty, false},
	{"only empty lines relaxed/simple", "ed", false, false, false, 1,
	 "pass", &msg_blank_lines, true},
	{"20 KB body in 13-byte chunks relaxed", "rsa,ed", false, false,
	 false, 13, "pass pass", &msg_big, false},
	{"20 KB body in 1-byte chunks simple crlf", "ed", true, false, true, 1,
	 "pass", &msg_big, false},
	{"20 KB body in 4097-byte chunks", "rsa", false, false, false, 4097,
	 "pass", &msg_big, false},
};

/* keys_for - the keys named in list */
static unsigned
keys_for(const char *list, const struct ag_dkim_key **k)
{
	unsigned n = 0;

	if (strstr(list, "rsa") != NULL)
		n += ag_dkim_keys_match(k_rsa, "joe@example.com", &k[n], 1);
	if (strstr(list, "ed") != NULL)
		n += ag_dkim_keys_match(k_ed, "joe@example.com", &k[n], 1);
	if (strstr(list, "old") != NULL)
		n += ag_dkim_keys_match(k_rsa1024, "joe@example.com", &k[n], 1);
	return n;
}

/* feed - headers and body as the case says */
static int
feed(struct ag_dkim_signer *s, const struct sign_case *c)
{
	const struct msgdef *m = c->m != NULL ? c->m : &msg_default;
	static char b[2 * sizeof(body_big)];
	char v[1024];
	size_t blen;
	int rc = AG_OK;

	for (size_t i = 0; i < m->nf && !rc; i++) {
		size_t o = 0;
		if (c->leadspc)
			v[o++] = ' ';
		if (c->crlf_in)
			o = crlf(v, o, m->f[i].value);
		else
			o += (size_t)snprintf(v + o, sizeof(v) - o, "%s",
					      m->f[i].value);
		v[o] = '\0';
		rc = ag_dkim_sign_header(s, m->f[i].name, v);
	}
	if (rc == AG_OK)
		rc = ag_dkim_sign_eoh(s);
	if (c->crlf_in) {
		blen = crlf(b, 0, m->body);
	} else {
		blen = strlen(m->body);
		memcpy(b, m->body, blen);
	}
	for (size_t off = 0; rc == AG_OK && off < blen;) {
		size_t n = c->chunk == 0 || blen - off < c->chunk ? blen - off
								  : c->chunk;
		rc = ag_dkim_sign_body(s, (unsigned char *)b + off, n);
		off += n;
	}
	return rc;
}

/* wire_extra - the signed message in SMTP form, as the MTA would send
 * it; extra (NULL: none) is a field line added below the signatures */
static size_t
wire_extra(char *out, const struct ag_dkim_signature *sigs, unsigned n,
	   const struct msgdef *m, const char *extra)
{
	size_t o = 0;

	if (m == NULL)
		m = &msg_default;
	for (unsigned i = 0; i < n; i++) {
		o = crlf(out, o, "DKIM-Signature: ");
		o = crlf(out, o, sigs[i].value);
		o = crlf(out, o, "\n");
	}
	if (extra != NULL)
		o = crlf(out, o, extra);
	for (size_t i = 0; i < m->nf; i++) {
		o = crlf(out, o, m->f[i].name);
		o = crlf(out, o, ": ");
		o = crlf(out, o, m->f[i].value);
		o = crlf(out, o, "\n");
	}
	o = crlf(out, o, "\n");
	o = crlf(out, o, m->body);
	out[o] = '\0'; /* for strstr() on the message */
	return o;
}

/* wire - the same with nothing added */
static size_t
wire(char *out, const struct ag_dkim_signature *sigs, unsigned n,
     const struct msgdef *m)
{
	return wire_extra(out, sigs, n, m, NULL);
}

/* dkimpy - run verify.py on msg; its output line into got */
static void
dkimpy(const char *msg, size_t len, unsigned n, char *got, size_t size)
{
	char cmd[1200];
	FILE *p;

	write_file("msg", msg, len);
	snprintf(cmd, sizeof(cmd), PY " %s %s %s %u", tpath("verify.py"),
		 tpath("recs"), tpath("msg"), n);
	got[0] = '\0';
	if ((p = popen(cmd, "r")) == NULL)
		return;
	if (fgets(got, (int)size, p) != NULL)
		got[strcspn(got, "\n")] = '\0';
	pclose(p);
}

/* sign_one - sign per c; AG_OK and n_r signatures */
static int
sign_one(const struct sign_case *c, struct ag_dkim_signature *sigs,
	 unsigned *n_r, struct ag_err *err)
{
	const struct ag_dkim_key *k[AG_DKIM_MAX_SIGNERS];
	struct ag_dkim_sign_config cfg = {0};
	struct ag_dkim_signer *s = NULL;
	unsigned nk = keys_for(c->keys, k);
	int rc;

	cfg.header_simple = c->simple;
	cfg.body_simple = c->simple || c->rs;
	if ((rc = ag_dkim_sign_new(&s, lib, &cfg, k, nk, "test", err)) ==
		    AG_OK &&
	    (rc = feed(s, c)) == AG_OK)
		rc = ag_dkim_sign_finish(s, sigs, AG_DKIM_MAX_SIGNERS, n_r,
					 err);
	ag_dkim_sign_free(&s);
	assert_null(s);
	return rc;
}

static void
test_sign_verify(void **state)
{
	static struct ag_dkim_signature sigs[AG_DKIM_MAX_SIGNERS];
	static char msg[65536];
	unsigned bad = 0;

	(void)state;
	body_big_fill();
	for (size_t i = 0; i < sizeof(sign_cases) / sizeof(*sign_cases); i++) {
		const struct sign_case *c = &sign_cases[i];
		struct ag_err err = {0, ""};
		char got[256], want_t[256];
		unsigned n = 0;
		size_t len;
		char *at;

		if (sign_one(c, sigs, &n, &err) != AG_OK) {
			printf("case %s: got error '%s', want signatures\n",
			       c->label, err.msg);
			bad++;
			continue;
		}
		len = wire(msg, sigs, n, c->m);
		dkimpy(msg, len, n, got, sizeof(got));
		if (strcmp(got, c->want) != 0) {
			printf("case %s: got '%s', want: '%s'\n", c->label, got,
			       c->want);
			bad++;
		}
		/* the same message altered after signing must fail: the
		 * body (the header when the body has no text), then a
		 * second Subject added (oversigned, RFC 6376 8.15) */
		snprintf(want_t, sizeof(want_t), "%s",
			 n == 2 ? "fail fail" : "fail");
		at = strstr(msg, "Hello");
		if (at == NULL)
			at = strstr(msg, "Joe");
		at[0] = 'J' + (at[0] == 'J');
		dkimpy(msg, len, n, got, sizeof(got));
		if (strcmp(got, want_t) != 0) {
			printf("case %s tampered: got '%s', want: '%s'\n",
			       c->label, got, want_t);
			bad++;
		}
		len = wire_extra(msg, sigs, n, c->m, "Subject: injected\n");
		dkimpy(msg, len, n, got, sizeof(got));
		if (strcmp(got, want_t) != 0) {
			printf("case %s Subject added: got '%s', want: '%s'\n",
			       c->label, got, want_t);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* tag - the value of tag t in a signature, whitespace removed */
static void
tag(const char *sig, const char *t, char *out, size_t size)
{
	size_t tl = strlen(t), o = 0;
	const char *p = sig;

	out[0] = '\0';
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == ';')
			p++;
		if (strncmp(p, t, tl) == 0 && p[tl] == '=') {
			for (p += tl + 1; *p != '\0' && *p != ';'; p++)
				if (!isspace((unsigned char)*p) && o + 1 < size)
					out[o++] = *p;
			out[o] = '\0';
			return;
		}
		p += strcspn(p, ";");
	}
}

/* count_name - how often name occurs in the h= list (case-insensitive) */
static unsigned
count_name(const char *h, const char *name)
{
	char buf[2048], *save = NULL;
	unsigned n = 0;

	snprintf(buf, sizeof(buf), "%s", h);
	for (char *t = strtok_r(buf, ":", &save); t != NULL;
	     t = strtok_r(NULL, ":", &save))
		n += strcasecmp(t, name) == 0;
	return n;
}

static void
test_signature_shape(void **state)
{
	static const struct {
		const char *label, *name;
		unsigned want; /* times in h= */
	} names[] = {
		{"From oversigned", "From", 2},
		{"To oversigned", "To", 2},
		{"Subject oversigned", "Subject", 2},
		{"Date oversigned", "Date", 2},
		{"Message-ID oversigned", "Message-ID", 2},
		{"Content-Type oversigned", "Content-Type", 2},
		{"absent Reply-To signed as absent", "Reply-To", 1},
		{"absent Cc signed as absent", "Cc", 1},
		{"Authentication-Results never", "Authentication-Results", 0},
		{"Received never", "Received", 0},
		{"X-Mailer not in the list", "X-Mailer", 0},
		{"absent List-Id not oversigned", "List-Id", 0},
	};
	static struct ag_dkim_signature sigs[AG_DKIM_MAX_SIGNERS];
	const struct sign_case c = {"shape", "rsa,ed", false, false, false,
				    0,	     NULL,     NULL,  false};
	struct ag_err err = {0, ""};
	char h[2048], v[256];
	unsigned n = 0, bad = 0;

	(void)state;
	assert_int_equal(sign_one(&c, sigs, &n, &err), AG_OK);
	assert_int_equal(n, 2);
	for (unsigned s = 0; s < n; s++) {
		const char *val = sigs[s].value;
		tag(val, "c", v, sizeof(v));
		if (strcmp(v, "relaxed/relaxed") != 0) {
			printf("case sig %u c=: got '%s', want: "
			       "'relaxed/relaxed'\n",
			       s, v);
			bad++;
		}
		tag(val, "l", v, sizeof(v));
		if (v[0] != '\0' || strstr(val, "; l=") != NULL) {
			printf("case sig %u l=: got '%s', want none\n", s, v);
			bad++;
		}
		tag(val, "a", v, sizeof(v));
		if (strcmp(v, s == 0 ? "rsa-sha256" : "ed25519-sha256") != 0) {
			printf("case sig %u a=: got '%s'\n", s, v);
			bad++;
		}
		tag(val, "h", h, sizeof(h));
		for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
			unsigned got = count_name(h, names[i].name);
			if (got != names[i].want) {
				printf("case %s (sig %u): got %u in h=%s, "
				       "want %u\n",
				       names[i].label, s, got, h,
				       names[i].want);
				bad++;
			}
		}
		/* "\n\t" folding, no CR, lines short enough for SMTP */
		if (strchr(val, '\r') != NULL || strstr(val, "\n\t") == NULL) {
			printf("case sig %u folding: got '%s'\n", s, val);
			bad++;
		}
		for (const char *p = val, *e; *p != '\0'; p = e + (*e != 0)) {
			e = p + strcspn(p, "\n");
			if (e - p > 78) {
				printf("case sig %u: line of %d bytes\n", s,
				       (int)(e - p));
				bad++;
			}
		}
		if (strcmp(sigs[s].domain, "example.com") != 0 ||
		    strcmp(sigs[s].selector, s == 0 ? "rsa" : "ed") != 0) {
			printf("case sig %u: got d=%s s=%s\n", s,
			       sigs[s].domain, sigs[s].selector);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void
test_header_lists(void **state)
{
	static const char *const custom[] = {"From", "Subject", "X-Tag"};
	static const char *const over[] = {"From"};
	static const char *const with_ar[] = {"From", "Authentication-Results"};
	static const char *const with_recv[] = {"received"};
	static const char *const regex[] = {"X-*"};
	static const struct {
		const char *label;
		const char *const *sign;
		unsigned nsign;
		const char *const *over;
		unsigned nover;
		int rc;
		const char *msg;
	} cases[] = {
		{"custom lists", custom, 3, over, 1, AG_OK, NULL},
		{"Authentication-Results refused", with_ar, 2, NULL, 0,
		 AG_EINVAL, "Authentication-Results must not be signed"},
		{"Received refused in oversign", NULL, 0, with_recv, 1,
		 AG_EINVAL, "received must not be signed"},
		{"regex character refused", regex, 1, NULL, 0, AG_EINVAL,
		 "header name \"X-*\" cannot be signed"},
	};
	unsigned bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct ag_dkim_sign_config cfg = {0};
		struct ag_dkim_lib_config lcfg;
		struct ag_dkim_lib *l = NULL;
		struct ag_err err = {0, ""};
		int rc;

		cfg.sign_headers = cases[i].sign;
		cfg.n_sign_headers = cases[i].nsign;
		cfg.oversign_headers = cases[i].over;
		cfg.n_oversign_headers = cases[i].nover;
		ag_dkim_lib_config_defaults(&lcfg);
		assert_int_equal(ag_dkim_lib_new(&l, &lcfg, dns, &err), AG_OK);
		rc = ag_dkim_sign_configure_lib(l, &cfg, &err);
		if (rc != cases[i].rc ||
		    (rc != AG_OK && strstr(err.msg, cases[i].msg) == NULL)) {
			printf("case %s: got %d '%s', want %d '%s'\n",
			       cases[i].label, rc, err.msg, cases[i].rc,
			       cases[i].msg ? cases[i].msg : "");
			bad++;
		}
		ag_dkim_lib_free(&l);
	}
	assert_int_equal(bad, 0);
}

static void
test_custom_list_signs(void **state)
{
	static const char *const sign[] = {"From", "Subject", "X-Mailer"};
	static const char *const over[] = {"From"};
	const struct sign_case c = {"custom", "ed", false, false, false,
				    0,	      NULL, NULL,  false};
	struct ag_dkim_sign_config cfg = {0};
	struct ag_dkim_lib_config lcfg;
	struct ag_dkim_signature sigs[1];
	const struct ag_dkim_key *k[1];
	struct ag_dkim_signer *s = NULL;
	struct ag_dkim_lib *l = NULL;
	struct ag_err err = {0, ""};
	static char msg[65536];
	char h[1024], got[64];
	unsigned n = 0;

	(void)state;
	cfg.sign_headers = sign;
	cfg.n_sign_headers = 3;
	cfg.oversign_headers = over;
	cfg.n_oversign_headers = 1;
	ag_dkim_lib_config_defaults(&lcfg);
	assert_int_equal(ag_dkim_lib_new(&l, &lcfg, dns, &err), AG_OK);
	assert_int_equal(ag_dkim_sign_configure_lib(l, &cfg, &err), AG_OK);
	assert_int_equal(keys_for("ed", k), 1);
	assert_int_equal(ag_dkim_sign_new(&s, l, &cfg, k, 1, "t", &err), AG_OK);
	assert_int_equal(feed(s, &c), AG_OK);
	assert_int_equal(ag_dkim_sign_finish(s, sigs, 1, &n, &err), AG_OK);
	tag(sigs[0].value, "h", h, sizeof(h));
	assert_string_equal(h, "From:Subject:X-Mailer:From");
	dkimpy(msg, wire(msg, sigs, n, NULL), n, got, sizeof(got));
	assert_string_equal(got, "pass");
	ag_dkim_sign_free(&s);
	ag_dkim_lib_free(&l);

	/* the same lists with a handle configured for the default lists:
	 * the signer checks and uses the lists it is given */
	assert_int_equal(ag_dkim_sign_new(&s, lib, &cfg, k, 1, "t", &err),
			 AG_OK);
	assert_int_equal(feed(s, &c), AG_OK);
	assert_int_equal(ag_dkim_sign_finish(s, sigs, 1, &n, &err), AG_OK);
	tag(sigs[0].value, "h", h, sizeof(h));
	assert_string_equal(h, "From:Subject:X-Mailer:From");
	dkimpy(msg, wire(msg, sigs, n, NULL), n, got, sizeof(got));
	assert_string_equal(got, "pass");
	ag_dkim_sign_free(&s);
	/* and refuses bad ones there too */
	cfg.sign_headers = (const char *const[]){"From", "Received"};
	cfg.n_sign_headers = 2;
	assert_int_equal(ag_dkim_sign_new(&s, lib, &cfg, k, 1, "t", &err),
			 AG_EINVAL);
	assert_null(s);
}

static void
test_errors(void **state)
{
	struct ag_dkim_sign_config cfg = {0};
	struct ag_dkim_lib_config lcfg;
	struct ag_dkim_signature sigs[2];
	const struct ag_dkim_key *k[2];
	struct ag_dkim_signer *s = NULL;
	struct ag_dkim_lib *l = NULL;
	struct ag_err err = {0, ""};
	unsigned n = 0;

	(void)state;
	assert_int_equal(keys_for("rsa,ed", k), 2);
	/* a library handle that was not configured for signing */
	ag_dkim_lib_config_defaults(&lcfg);
	assert_int_equal(ag_dkim_lib_new(&l, &lcfg, dns, &err), AG_OK);
	assert_int_equal(ag_dkim_sign_new(&s, l, &cfg, k, 2, "t", &err),
			 AG_EINTERNAL);
	assert_non_null(strstr(err.msg, "ag_dkim_sign_configure_lib"));
	assert_null(s);
	ag_dkim_lib_free(&l);
	/* no keys */
	assert_int_equal(ag_dkim_sign_new(&s, lib, &cfg, k, 0, "t", &err),
			 AG_EINVAL);
	/* room for fewer signatures than keys */
	assert_int_equal(ag_dkim_sign_new(&s, lib, &cfg, k, 2, "t", &err),
			 AG_OK);
	assert_int_equal(ag_dkim_sign_header(s, "From", "a@example.com"),
			 AG_OK);
	assert_int_equal(ag_dkim_sign_eoh(s), AG_OK);
	assert_int_equal(ag_dkim_sign_finish(s, sigs, 1, &n, &err), AG_EINVAL);
	ag_dkim_sign_free(&s);
	ag_dkim_sign_free(&s);
	ag_dkim_sign_free(NULL);
}

static void
test_default_lists(void **state)
{
	const char *const *h = ag_dkim_sign_default_headers();
	const char *const *o = ag_dkim_sign_default_oversign();
	unsigned from = 0;

	(void)state;
	for (unsigned i = 0; h[i] != NULL; i++) {
		assert_true(strcasecmp(h[i], "Authentication-Results") != 0);
		assert_true(strcasecmp(h[i], "Received") != 0);
		assert_true(strcasecmp(h[i], "Return-Path") != 0);
		assert_true(strcasecmp(h[i], "DKIM-Signature") != 0);
		from += strcasecmp(h[i], "From") == 0;
	}
	assert_int_equal(from, 1);
	assert_string_equal(o[0], "From");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_signature_shape),
		cmocka_unit_test(test_header_lists),
		cmocka_unit_test(test_custom_list_signs),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_default_lists),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
