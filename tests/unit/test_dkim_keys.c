/*
 * tests/unit/test_dkim_keys.c - dkim/keys: key files (types, sizes,
 * RequireSafeKeys), the single-domain form, KeyTable and SigningTable
 * parsing and matching (plain and refile:), and their errors.
 *
 * Each table row is one labelled case; a failure prints
 * "case <label>: got <x>, want <y>" and the test fails after the whole
 * table has run. Keys are made with OpenSSL under a mkdtemp() directory
 * that the group teardown removes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "dkim/keys.h"

static char dir[256];

/* tpath - dir/name in a rotating static buffer */
static const char *
tpath(const char *name)
{
	static char buf[8][512];
	static unsigned i;
	char *p = buf[i++ % 8];

	snprintf(p, 512, "%s/%s", dir, name);
	return p;
}

/* write_file - create name with text and mode */
static void
write_file(const char *name, const char *text, mode_t mode)
{
	FILE *fp = fopen(tpath(name), "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(tpath(name), mode), 0);
}

/* write_key - store pkey as PKCS#8 or as the traditional (PKCS#1) form */
static void
write_key(EVP_PKEY *pkey, const char *name, int pkcs1, mode_t mode)
{
	BIO *b = BIO_new_file(tpath(name), "w");

	assert_non_null(b);
	if (pkcs1)
		assert_int_equal(PEM_write_bio_PrivateKey_traditional(
					 b, pkey, NULL, NULL, 0, NULL, NULL),
				 1);
	else
		assert_int_equal(PEM_write_bio_PrivateKey(b, pkey, NULL, NULL,
							  0, NULL, NULL),
				 1);
	BIO_free(b);
	assert_int_equal(chmod(tpath(name), mode), 0);
}

/* copy_key - same key bytes under another name and mode */
static void
copy_key(const char *from, const char *to, mode_t mode)
{
	char buf[8192];
	FILE *in = fopen(tpath(from), "r");
	size_t n;

	assert_non_null(in);
	n = fread(buf, 1, sizeof(buf) - 1, in);
	fclose(in);
	buf[n] = '\0';
	write_file(to, buf, mode);
}

static int
group_setup(void **state)
{
	EVP_PKEY *k;
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/agkeysXXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return -1;
	k = EVP_RSA_gen(2048);
	write_key(k, "rsa2048.pem", 0, 0600);
	EVP_PKEY_free(k);
	k = EVP_RSA_gen(1024);
	write_key(k, "rsa1024-pkcs1.pem", 1, 0600);
	write_key(k, "rsa1024-pkcs8.pem", 0, 0600);
	EVP_PKEY_free(k);
	k = EVP_RSA_gen(512);
	write_key(k, "rsa512.pem", 1, 0600);
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	write_key(k, "ed25519.pem", 0, 0600);
	EVP_PKEY_free(k);
	k = EVP_EC_gen("P-256");
	write_key(k, "ec.pem", 0, 0600);
	EVP_PKEY_free(k);
	copy_key("rsa2048.pem", "m0644.pem", 0644);
	copy_key("rsa2048.pem", "m0640.pem", 0640);
	copy_key("rsa2048.pem", "m0604.pem", 0604);
	copy_key("rsa2048.pem", "m0620.pem", 0620);
	copy_key("rsa2048.pem", "m0400.pem", 0400);
	write_file("garbage.pem",
		   "-----BEGIN PRIVATE KEY-----\nnope\n"
		   "-----END PRIVATE KEY-----\n",
		   0600);
	write_file("encrypted.pem",
		   "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
		   "MIIB\n-----END ENCRYPTED PRIVATE KEY-----\n",
		   0600);
	if (symlink(tpath("m0644.pem"), tpath("link-unsafe.pem")) != 0 ||
	    symlink(tpath("rsa2048.pem"), tpath("link-safe.pem")) != 0 ||
	    mkdir(tpath("adir"), 0700) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- key files, through the single-domain form ---- */

struct keyfile_case {
	const char *label;
	const char *file;
	bool safe; /* RequireSafeKeys */
	int rc;
	enum ag_dkim_alg alg;
	unsigned bits;
	const char *msg; /* substring of err.msg when rc != AG_OK */
};

static const struct keyfile_case keyfile_cases[] = {
	{"rsa2048 pkcs8 0600", "rsa2048.pem", true, AG_OK,
	 AG_DKIM_ALG_RSA_SHA256, 2048, NULL},
	{"rsa1024 pkcs1", "rsa1024-pkcs1.pem", true, AG_OK,
	 AG_DKIM_ALG_RSA_SHA256, 1024, NULL},
	{"rsa1024 pkcs8", "rsa1024-pkcs8.pem", true, AG_OK,
	 AG_DKIM_ALG_RSA_SHA256, 1024, NULL},
	{"ed25519 pkcs8", "ed25519.pem", true, AG_OK,
	 AG_DKIM_ALG_ED25519_SHA256, 256, NULL},
	{"mode 0400 accepted", "m0400.pem", true, AG_OK, AG_DKIM_ALG_RSA_SHA256,
	 2048, NULL},
	{"mode 0644 accepted when RequireSafeKeys off", "m0644.pem", false,
	 AG_OK, AG_DKIM_ALG_RSA_SHA256, 2048, NULL},
	{"symlink to 0600 accepted", "link-safe.pem", true, AG_OK,
	 AG_DKIM_ALG_RSA_SHA256, 2048, NULL},
	{"rsa512 refused", "rsa512.pem", false, AG_EINVAL, 0, 0,
	 "RSA key of 512 bits"},
	{"mode 0644 refused", "m0644.pem", true, AG_EINVAL, 0, 0,
	 "m0644.pem (mode 0644) is readable by group or others; chmod 600 "
	 "it or set RequireSafeKeys no"},
	{"mode 0640 refused", "m0640.pem", true, AG_EINVAL, 0, 0,
	 "(mode 0640) is readable by group or others"},
	{"mode 0604 refused", "m0604.pem", true, AG_EINVAL, 0, 0,
	 "(mode 0604)"},
	{"mode 0620 (group-writable) refused", "m0620.pem", true, AG_EINVAL, 0,
	 0, "(mode 0620)"},
	{"symlink to 0644 refused", "link-unsafe.pem", true, AG_EINVAL, 0, 0,
	 "link-unsafe.pem (mode 0644) is readable"},
	{"missing file", "nonexistent.pem", true, AG_ENOENT, 0, 0,
	 "nonexistent.pem: cannot open"},
	{"not a key", "garbage.pem", true, AG_EINVAL, 0, 0,
	 "not a PEM private key"},
	{"encrypted key", "encrypted.pem", true, AG_EINVAL, 0, 0,
	 "is encrypted"},
	{"EC key refused", "ec.pem", true, AG_EINVAL, 0, 0,
	 "DKIM signs with RSA or Ed25519"},
	{"a directory", "adir", true, AG_EINVAL, 0, 0, "not a regular file"},
};

static void
test_keyfiles(void **state)
{
	unsigned bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(keyfile_cases) / sizeof(*keyfile_cases);
	     i++) {
		const struct keyfile_case *c = &keyfile_cases[i];
		struct ag_dkim_keys_config cfg = {0};
		struct ag_dkim_keys *keys = NULL;
		const struct ag_dkim_key *k[2];
		struct ag_err err = {0, ""};
		int rc;

		cfg.domain = "example.com";
		cfg.selector = "sel";
		cfg.keyfile = tpath(c->file);
		cfg.require_safe_keys = c->safe;
		rc = ag_dkim_keys_load(&keys, &cfg, &err);
		if (rc != c->rc) {
			printf("case %s: got rc %d (%s), want %d\n", c->label,
			       rc, err.msg, c->rc);
			bad++;
		} else if (rc != AG_OK) {
			if (strstr(err.msg, c->msg) == NULL) {
				printf("case %s: got '%s', want: '%s'\n",
				       c->label, err.msg, c->msg);
				bad++;
			}
			if (keys != NULL) {
				printf("case %s: keys set on error\n",
				       c->label);
				bad++;
			}
		} else if (ag_dkim_keys_match(keys, "a@example.com", k, 2) !=
				   1 ||
			   k[0]->alg != c->alg || k[0]->bits != c->bits ||
			   k[0]->pem == NULL ||
			   strncmp((char *)k[0]->pem,
				   "-----BEGIN PRIVATE KEY-----", 27) != 0 ||
			   strlen((char *)k[0]->pem) != k[0]->pem_len ||
			   k[0]->pkey == NULL ||
			   EVP_PKEY_get_base_id(k[0]->pkey) !=
				   (c->alg == AG_DKIM_ALG_ED25519_SHA256
					    ? EVP_PKEY_ED25519
					    : EVP_PKEY_RSA) ||
			   (c->alg == AG_DKIM_ALG_RSA_SHA256 &&
			    EVP_PKEY_get_bits(k[0]->pkey) != (int)c->bits)) {
			printf("case %s: got a wrong key, want alg %d bits "
			       "%u parsed and as PKCS#8 PEM\n",
			       c->label, c->alg, c->bits);
			bad++;
		}
		ag_dkim_keys_free(&keys);
		assert_null(keys);
	}
	assert_int_equal(bad, 0);
}

/* ---- the single-domain form ---- */

static void
test_single_domain(void **state)
{
	static const struct {
		const char *label, *addr;
		unsigned want;
	} cases[] = {
		{"same domain", "joe@example.com", 1},
		{"case-insensitive", "Joe@EXAMPLE.Com", 1},
		{"subdomain not signed (no SubDomains)", "joe@a.example.com",
		 0},
		{"other domain", "joe@example.org", 0},
		{"suffix trick", "joe@badexample.com", 0},
		{"no @", "example.com", 0},
		{"quoted local part with @", "\"a@b\"@example.com", 1},
	};
	struct ag_dkim_keys_config cfg = {0};
	struct ag_dkim_keys *keys = NULL;
	const struct ag_dkim_key *k[2];
	struct ag_err err = {0, ""};
	unsigned bad = 0;

	(void)state;
	cfg.domain = "example.com";
	cfg.selector = "s2024";
	cfg.keyfile = tpath("ed25519.pem");
	cfg.require_safe_keys = true;
	assert_int_equal(ag_dkim_keys_load(&keys, &cfg, &err), AG_OK);
	assert_int_equal(ag_dkim_keys_count(keys), 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		unsigned n = ag_dkim_keys_match(keys, cases[i].addr, k, 2);
		if (n != cases[i].want) {
			printf("case %s: got %u keys, want %u\n",
			       cases[i].label, n, cases[i].want);
			bad++;
		} else if (n == 1 &&
			   (strcmp(k[0]->domain, "example.com") != 0 ||
			    strcmp(k[0]->selector, "s2024") != 0 ||
			    strcmp(k[0]->name, "default") != 0)) {
			printf("case %s: got %s/%s/%s, want "
			       "default/example.com/s2024\n",
			       cases[i].label, k[0]->name, k[0]->domain,
			       k[0]->selector);
			bad++;
		}
	}
	ag_dkim_keys_free(&keys);
	assert_int_equal(bad, 0);
}

static void
test_not_configured(void **state)
{
	struct ag_dkim_keys_config cfg = {0};
	struct ag_dkim_keys *keys = NULL;
	const struct ag_dkim_key *k[1];
	struct ag_err err = {0, ""};

	(void)state;
	assert_int_equal(ag_dkim_keys_load(&keys, &cfg, &err), AG_OK);
	assert_int_equal(ag_dkim_keys_count(keys), 0);
	assert_int_equal(ag_dkim_keys_match(keys, "a@example.com", k, 1), 0);
	ag_dkim_keys_free(&keys);
	assert_int_equal(ag_dkim_keys_count(NULL), 0);
	ag_dkim_keys_free(NULL);
}

/* ---- KeyTable and SigningTable ---- */

/* expand - text with @RSA@, @ED@, @UNSAFE@ replaced by key paths */
static void
expand(char *out, size_t size, const char *text)
{
	static const struct {
		const char *tag, *file;
	} tags[] = {{"@RSA@", "rsa2048.pem"},
		    {"@ED@", "ed25519.pem"},
		    {"@UNSAFE@", "m0644.pem"}};
	size_t o = 0;

	while (*text != '\0' && o + 1 < size) {
		size_t j;
		for (j = 0; j < 3; j++)
			if (strncmp(text, tags[j].tag, strlen(tags[j].tag)) ==
			    0)
				break;
		if (j < 3) {
			o += (size_t)snprintf(out + o, size - o, "%s",
					      tpath(tags[j].file));
			text += strlen(tags[j].tag);
		} else {
			out[o++] = *text++;
		}
	}
	out[o] = '\0';
}

#define KT3                                                                    \
	"k1 example.com:s1:@RSA@\nk2 example.com:s2:@ED@\n"                    \
	"k3 other.org:s3:@RSA@\n"

struct table_case {
	const char *label;
	const char *kt; /* KeyTable text */
	const char *st; /* SigningTable text */
	bool refile, multiple;
	/* "addr=k1,k2;addr2=;..." : key names matched, in order */
	const char *expect;
};

static const struct table_case table_cases[] = {
	{"plain domain", KT3, "example.com k1\n", false, false,
	 "joe@example.com=k1;joe@other.org=;joe@sub.example.com=;"
	 "Joe@EXAMPLE.COM=k1"},
	{"full address before domain", KT3,
	 "example.com k1\njoe@example.com k2\n", false, false,
	 "joe@example.com=k2;ann@example.com=k1"},
	{"parent domain as .parent", KT3, ".example.com k1\n", false, false,
	 "joe@a.b.example.com=k1;joe@example.com=;joe@com="},
	{"user@.parent before .parent", KT3,
	 ".example.com k1\njoe@.example.com k2\n", false, false,
	 "joe@a.example.com=k2;ann@a.example.com=k1"},
	{"nearest parent first", KT3, ".example.com k1\n.b.example.com k2\n",
	 false, false, "x@a.b.example.com=k2;x@a.c.example.com=k1"},
	{"user@* then *", KT3, "* k1\njoe@* k2\n", false, false,
	 "joe@x.org=k2;ann@x.org=k1"},
	{"domain before catch-all", KT3, "* k3\nexample.com k1\n", false, false,
	 "joe@example.com=k1;joe@x.org=k3"},
	{"multiple: every lookup in order", KT3,
	 "* k3\nexample.com k1\njoe@example.com k2\n", false, true,
	 "joe@example.com=k2,k1,k3;ann@example.com=k1,k3"},
	{"multiple: one key once", KT3, "example.com k1\njoe@example.com k1\n",
	 false, true, "joe@example.com=k1"},
	{"plain: first line of a pattern answers", KT3,
	 "example.com k2\nexample.com k1\n", false, true, "joe@example.com=k2"},
	{"comments and blank lines", KT3,
	 "# comment\n\n  example.com   k1   # trailing\n", false, false,
	 "joe@example.com=k1"},
	{"keyname %: the key named like the domain",
	 "example.com example.com:s1:@RSA@\n", "* %\n", false, false,
	 "joe@example.com=example.com;joe@other.org="},
	{"refile: first match", KT3,
	 "*@example.com k1\n*@*.example.com k2\n* k3\n", true, false,
	 "joe@example.com=k1;joe@a.example.com=k2;joe@x.org=k3"},
	{"refile: multiple in file order", KT3,
	 "*@example.com k1\n*@example.com k2\n* k3\n", true, true,
	 "joe@example.com=k1,k2,k3;joe@x.org=k3"},
	{"refile: dot is literal, anchored", KT3, "*@example.com k1\n", true,
	 false,
	 "joe@exampleXcom=;joe@example.com.evil.org=;"
	 "joe@badexample.com=;JOE@Example.Com=k1"},
	{"refile: exact address", KT3, "joe@example.com k2\n", true, false,
	 "joe@example.com=k2;ann@example.com="},
	{"refile: wildcard in local part", KT3, "bounce-*@example.com k2\n",
	 true, false, "bounce-123@example.com=k2;joe@example.com="},
	{"refile: dual signing RSA + Ed25519", KT3,
	 "*@example.com k1\n*@example.com k2\n", true, true,
	 "joe@example.com=k1,k2"},
};

/* load_tables - write kt/st, load them */
static int
load_tables(const char *kt, const char *st, bool refile, bool multiple,
	    bool safe, struct ag_dkim_keys **keys, struct ag_err *err)
{
	struct ag_dkim_keys_config cfg = {0};
	char text[4096], stspec[600];

	expand(text, sizeof(text), kt);
	write_file("kt", text, 0600);
	write_file("st", st, 0600);
	snprintf(stspec, sizeof(stspec), "%s%s", refile ? "refile:" : "",
		 tpath("st"));
	cfg.keytable = tpath("kt");
	cfg.signingtable = stspec;
	cfg.require_safe_keys = safe;
	cfg.multiple = multiple;
	return ag_dkim_keys_load(keys, &cfg, err);
}

/* check_expect - run every "addr=names" of c->expect */
static unsigned
check_expect(const struct table_case *c, const struct ag_dkim_keys *keys)
{
	char buf[1024], *save = NULL;
	unsigned bad = 0;

	snprintf(buf, sizeof(buf), "%s", c->expect);
	for (char *item = strtok_r(buf, ";", &save); item != NULL;
	     item = strtok_r(NULL, ";", &save)) {
		const struct ag_dkim_key *k[AG_DKIM_MAX_SIGNERS];
		char *eq = strchr(item, '='), got[256] = "";
		unsigned n;

		*eq = '\0';
		n = ag_dkim_keys_match(keys, item, k, AG_DKIM_MAX_SIGNERS);
		for (unsigned j = 0; j < n; j++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got),
				 "%s%s", j ? "," : "", k[j]->name);
		if (strcmp(got, eq + 1) != 0) {
			printf("case %s: %s: got '%s', want: '%s'\n", c->label,
			       item, got, eq + 1);
			bad++;
		}
	}
	return bad;
}

static void
test_tables_match(void **state)
{
	unsigned bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(table_cases) / sizeof(*table_cases);
	     i++) {
		const struct table_case *c = &table_cases[i];
		struct ag_dkim_keys *keys = NULL;
		struct ag_err err = {0, ""};
		int rc = load_tables(c->kt, c->st, c->refile, c->multiple, true,
				     &keys, &err);
		if (rc != AG_OK) {
			printf("case %s: got rc %d (%s), want 0\n", c->label,
			       rc, err.msg);
			bad++;
			continue;
		}
		bad += check_expect(c, keys);
		ag_dkim_keys_free(&keys);
	}
	assert_int_equal(bad, 0);
}

static void
test_match_max(void **state)
{
	struct ag_dkim_keys *keys = NULL;
	const struct ag_dkim_key *k[2] = {NULL, NULL};
	struct ag_err err = {0, ""};

	(void)state;
	assert_int_equal(load_tables(KT3, "* k1\n* k2\n* k3\n", true, true,
				     true, &keys, &err),
			 AG_OK);
	assert_int_equal(ag_dkim_keys_count(keys), 3);
	assert_int_equal(ag_dkim_keys_match(keys, "a@b.c", k, 1), 1);
	assert_string_equal(k[0]->name, "k1");
	assert_null(k[1]);
	assert_int_equal(ag_dkim_keys_match(keys, "a@b.c", k, 0), 0);
	assert_string_equal(k[0]->name, "k1");
	assert_int_equal(k[0]->alg, AG_DKIM_ALG_RSA_SHA256);
	assert_string_equal(k[0]->domain, "example.com");
	assert_string_equal(k[0]->selector, "s1");
	ag_dkim_keys_free(&keys);
}

struct table_err_case {
	const char *label;
	const char *kt, *st;
	bool refile;
	int rc;
	const char *msg; /* "kt:" / "st:" become the file paths */
};

static const struct table_err_case table_err_cases[] = {
	{"keytable: value missing", "k1\n", "", false, AG_EINVAL,
	 "kt:1: expected \"keyname domain:selector:/path/to/key.pem\""},
	{"keytable: two fields", "k1 example.com:s1\n", "", false, AG_EINVAL,
	 "kt:1: expected \"keyname domain:selector:"},
	{"keytable: inline key data", "# c\nk1 example.com:s1:MIIEvQIBADAN\n",
	 "", false, AG_EINVAL,
	 "kt:2: the key must be a file path starting with /, ./ or ../"},
	{"keytable: % domain", "k1 %:s1:@RSA@\n", "", false, AG_EINVAL,
	 "kt:1: domain \"%\" (the From domain) is not supported"},
	{"keytable: bad domain", "k1 exa!mple.com:s1:@RSA@\n", "", false,
	 AG_EINVAL, "kt:1: \"exa!mple.com:s1\" is not domain:selector"},
	{"keytable: empty selector", "k1 example.com::@RSA@\n", "", false,
	 AG_EINVAL, "kt:1: \"example.com:\" is not domain:selector"},
	{"keytable: duplicate name",
	 "k1 example.com:s1:@RSA@\n"
	 "k1 example.com:s2:@ED@\n",
	 "", false, AG_EINVAL,
	 "kt:2: key name \"k1\" already defined at line 1"},
	{"keytable: unsafe key file",
	 "k1 example.com:s1:@RSA@\n\n"
	 "k2 example.com:s2:@UNSAFE@\n",
	 "", false, AG_EINVAL, "kt:3: key file "},
	{"keytable: missing key file", "k1 example.com:s1:/nonexistent/k\n", "",
	 false, AG_ENOENT, "kt:1: key file /nonexistent/k: cannot open"},
	{"signingtable: unknown key name", KT3,
	 "example.com k1\n"
	 "other.org nokey\n",
	 false, AG_EINVAL, "st:2: key name \"nokey\" is not in the KeyTable"},
	{"signingtable: signer field", KT3, "example.com k1 joe@example.com\n",
	 false, AG_EINVAL,
	 "st:1: a second field (the signer, i=) is not "
	 "supported"},
	{"signingtable: no key name", KT3, "example.com\n", false, AG_EINVAL,
	 "st:1: expected \"pattern keyname\""},
	{"signingtable: wildcard without refile", KT3, "*@example.com k1\n",
	 false, AG_EINVAL,
	 "st:1: pattern \"*@example.com\" has a '*' "
	 "wildcard; wildcards need \"SigningTable refile:/path\""},
	{"signingtable: regex character with refile", KT3,
	 "[a-z]*@example.com k1\n", true, AG_EINVAL,
	 "st:1: pattern \"[a-z]*@example.com\" holds a regular-expression"},
};

/* err_want - c->msg with "kt:" and "st:" turned into the file paths */
static void
err_want(char *out, size_t size, const char *msg)
{
	if (strncmp(msg, "kt:", 3) == 0 || strncmp(msg, "st:", 3) == 0)
		snprintf(out, size, "%s/%.2s%s", dir, msg, msg + 2);
	else
		snprintf(out, size, "%s", msg);
}

static void
test_tables_errors(void **state)
{
	unsigned bad = 0;

	(void)state;
	for (size_t i = 0;
	     i < sizeof(table_err_cases) / sizeof(*table_err_cases); i++) {
		const struct table_err_case *c = &table_err_cases[i];
		struct ag_dkim_keys *keys = NULL;
		struct ag_err err = {0, ""};
		char want[600];
		int rc = load_tables(c->kt, c->st, c->refile, false, true,
				     &keys, &err);

		err_want(want, sizeof(want), c->msg);
		if (rc != c->rc || strstr(err.msg, want) == NULL ||
		    keys != NULL) {
			printf("case %s: got %d '%s', want: %d '%s'\n",
			       c->label, rc, err.msg, c->rc, want);
			bad++;
		}
		ag_dkim_keys_free(&keys);
	}
	assert_int_equal(bad, 0);
}

/* ---- configuration forms ---- */

static void
test_config_forms(void **state)
{
	static const struct {
		const char *label;
		bool kt, st, domain, selector, keyfile;
		const char *ktspec; /* NULL: the written kt */
		const char *msg;
	} cases[] = {
		{"KeyTable without SigningTable", true, false, false, false,
		 false, NULL, "KeyTable and SigningTable go together"},
		{"Domain without KeyFile", false, false, true, true, false,
		 NULL, "set all three or none"},
		{"both forms", true, true, true, true, true, NULL, "not both"},
		{"db: dataset", true, true, false, false, false,
		 "db:/etc/keytable.db", "only file: and refile: tables"},
		{"missing KeyTable", true, true, false, false, false,
		 "file:/nonexistent/kt",
		 "KeyTable /nonexistent/kt: cannot "
		 "open"},
	};
	unsigned bad = 0;

	(void)state;
	{
		char text[600];
		expand(text, sizeof(text), "k1 example.com:s1:@RSA@\n");
		write_file("kt", text, 0600);
	}
	write_file("st", "example.com k1\n", 0600);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct ag_dkim_keys_config cfg = {0};
		struct ag_dkim_keys *keys = NULL;
		struct ag_err err = {0, ""};
		int rc;

		cfg.keytable =
			cases[i].kt ? (cases[i].ktspec != NULL ? cases[i].ktspec
							       : tpath("kt"))
				    : NULL;
		cfg.signingtable = cases[i].st ? tpath("st") : NULL;
		cfg.domain = cases[i].domain ? "example.com" : NULL;
		cfg.selector = cases[i].selector ? "s" : NULL;
		cfg.keyfile = cases[i].keyfile ? tpath("rsa2048.pem") : NULL;
		rc = ag_dkim_keys_load(&keys, &cfg, &err);
		if (rc == AG_OK || strstr(err.msg, cases[i].msg) == NULL) {
			printf("case %s: got %d '%s', want: '%s'\n",
			       cases[i].label, rc, err.msg, cases[i].msg);
			bad++;
		}
		ag_dkim_keys_free(&keys);
	}
	/* "file:" prefix and a missing SigningTable */
	{
		struct ag_dkim_keys_config cfg = {0};
		struct ag_dkim_keys *keys = NULL;
		struct ag_err err = {0, ""};
		char spec[600];

		snprintf(spec, sizeof(spec), "file:%s", tpath("kt"));
		cfg.keytable = spec;
		cfg.signingtable = tpath("st");
		assert_int_equal(ag_dkim_keys_load(&keys, &cfg, &err), AG_OK);
		ag_dkim_keys_free(&keys);
		cfg.signingtable = "/nonexistent/st";
		assert_int_equal(ag_dkim_keys_load(&keys, &cfg, &err),
				 AG_ENOENT);
		assert_non_null(strstr(err.msg,
				       "SigningTable "
				       "/nonexistent/st: cannot open"));
	}
	assert_int_equal(bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyfiles),
		cmocka_unit_test(test_single_domain),
		cmocka_unit_test(test_not_configured),
		cmocka_unit_test(test_tables_match),
		cmocka_unit_test(test_match_max),
		cmocka_unit_test(test_tables_errors),
		cmocka_unit_test(test_config_forms),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
