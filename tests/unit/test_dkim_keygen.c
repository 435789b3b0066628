/*
 * tests/unit/test_dkim_keygen.c - dkim/keygen: key files (mode 0600, never
 * overwritten, loadable as signing keys), the TXT record value and the
 * zone-file line split into 255-byte character-strings.
 *
 * Each table row is one labelled case; a failure prints
 * "case <label>: got <x>, want <y>". Files go to a mkdtemp() directory.
 * That the published key matches the private one is shown in
 * test_dkim_sign.c, where dkimpy verifies signatures made with these keys.
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

#include "dkim/keygen.h"
#include "dkim/keys.h"

static char dir[256];

static const char *
tpath(const char *name)
{
	static char buf[4][512];
	static unsigned i;
	char *p = buf[i++ % 4];

	snprintf(p, 512, "%s/%s", dir, name);
	return p;
}

static int
group_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/agkeygenXXXXXX", tmp ? tmp : "/tmp");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

struct gen_case {
	const char *label;
	enum ag_dkim_alg alg;
	unsigned bits;
	const char *file;
	size_t txt_size; /* 0: AG_DKIM_TXT_MAX */
	int rc;
	const char *prefix; /* of the TXT value, or of err.msg */
	unsigned want_bits; /* as ag_dkim_keys_load() reads it back */
	size_t p_len;	    /* bytes that p= decodes to; 0: unchecked */
};

static const struct gen_case gen_cases[] = {
	{"rsa default 2048", AG_DKIM_ALG_RSA_SHA256, 0, "rsa.pem", 0, AG_OK,
	 "v=DKIM1; k=rsa; p=MIIBIjAN", 2048, 294},
	{"rsa 1024", AG_DKIM_ALG_RSA_SHA256, 1024, "rsa1024.pem", 0, AG_OK,
	 "v=DKIM1; k=rsa; p=MIGfMA0G", 1024, 162},
	{"ed25519: raw 32-byte key (RFC 8463)", AG_DKIM_ALG_ED25519_SHA256, 0,
	 "ed.pem", 0, AG_OK, "v=DKIM1; k=ed25519; p=", 256, 32},
	{"ed25519 with bits 256", AG_DKIM_ALG_ED25519_SHA256, 256, "ed256.pem",
	 0, AG_OK, "v=DKIM1; k=ed25519; p=", 256, 32},
	{"rsa 512 refused", AG_DKIM_ALG_RSA_SHA256, 512, "rsa512.pem", 0,
	 AG_EINVAL, "RSA keys are 1024 to 8192 bits", 0, 0},
	{"ed25519 with bits 2048 refused", AG_DKIM_ALG_ED25519_SHA256, 2048,
	 "ed2048.pem", 0, AG_EINVAL, "Ed25519 keys are 256 bits", 0, 0},
	{"existing file never overwritten", AG_DKIM_ALG_ED25519_SHA256, 0,
	 "rsa.pem", 0, AG_EINVAL, "", 0, 0},
	{"symlink never followed", AG_DKIM_ALG_ED25519_SHA256, 0, "link.pem", 0,
	 AG_EINVAL, "", 0, 0},
	{"record buffer too small: no file left", AG_DKIM_ALG_RSA_SHA256, 1024,
	 "small.pem", 64, AG_ELIMIT, "the TXT record", 0, 0},
};

/* p_bytes - how many bytes the p= base64 of txt decodes to */
static size_t
p_bytes(const char *txt)
{
	unsigned char out[2048];
	const char *p = strstr(txt, "p=") + 2;
	size_t len = strlen(p), pad = 0;
	int n = EVP_DecodeBlock(out, (const unsigned char *)p, (int)len);

	while (len > 0 && p[len - 1] == '=' && pad < 2) {
		pad++;
		len--;
	}
	return n < 0 ? 0 : (size_t)n - pad;
}

/* check_file - mode 0600 and loadable with the expected size */
static unsigned
check_file(const struct gen_case *c)
{
	struct ag_dkim_keys_config cfg = {0};
	struct ag_dkim_keys *keys = NULL;
	const struct ag_dkim_key *k[1];
	struct ag_err err = {0, ""};
	struct stat st;
	unsigned bad = 0;

	if (stat(tpath(c->file), &st) != 0 || (st.st_mode & 07777) != 0600) {
		printf("case %s: got mode %o, want 600\n", c->label,
		       (unsigned)(st.st_mode & 07777));
		bad++;
	}
	cfg.domain = "example.com";
	cfg.selector = "s";
	cfg.keyfile = tpath(c->file);
	cfg.require_safe_keys = true;
	if (ag_dkim_keys_load(&keys, &cfg, &err) != AG_OK ||
	    ag_dkim_keys_match(keys, "a@example.com", k, 1) != 1 ||
	    k[0]->alg != c->alg || k[0]->bits != c->want_bits) {
		printf("case %s: got '%s', want a %u-bit key\n", c->label,
		       err.msg, c->want_bits);
		bad++;
	}
	ag_dkim_keys_free(&keys);
	return bad;
}

static void
test_keygen(void **state)
{
	unsigned bad = 0;

	(void)state;
	umask(0); /* the file must still come out 0600 */
	assert_int_equal(symlink(tpath("target"), tpath("link.pem")), 0);
	for (size_t i = 0; i < sizeof(gen_cases) / sizeof(*gen_cases); i++) {
		const struct gen_case *c = &gen_cases[i];
		char txt[AG_DKIM_TXT_MAX] = "", before[64] = "", after[64] = "";
		struct ag_err err = {0, ""};
		FILE *fp = fopen(tpath(c->file), "r");
		int rc;

		if (fp != NULL) {
			(void)!fread(before, 1, sizeof(before) - 1, fp);
			fclose(fp);
		}
		rc = ag_dkim_keygen(c->alg, c->bits, tpath(c->file), txt,
				    c->txt_size ? c->txt_size : sizeof(txt),
				    &err);
		if (rc != c->rc) {
			printf("case %s: got rc %d '%s', want %d\n", c->label,
			       rc, err.msg, c->rc);
			bad++;
			continue;
		}
		if (rc == AG_OK) {
			if (strncmp(txt, c->prefix, strlen(c->prefix)) != 0 ||
			    p_bytes(txt) != c->p_len) {
				printf("case %s: got '%s' (%zu bytes), want "
				       "'%s...' (%zu bytes)\n",
				       c->label, txt, p_bytes(txt), c->prefix,
				       c->p_len);
				bad++;
			}
			bad += check_file(c);
			continue;
		}
		if (strstr(err.msg, c->prefix) == NULL) {
			printf("case %s: got '%s', want: '%s'\n", c->label,
			       err.msg, c->prefix);
			bad++;
		}
		fp = fopen(tpath(c->file), "r");
		if (fp != NULL) {
			(void)!fread(after, 1, sizeof(after) - 1, fp);
			fclose(fp);
		}
		if (strcmp(before, after) != 0 ||
		    access(tpath("target"), F_OK) == 0 ||
		    (before[0] == '\0' && access(tpath(c->file), F_OK) == 0)) {
			printf("case %s: got the file changed, want it left "
			       "alone\n",
			       c->label);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* unsplit - the zone line's strings joined; the count in *n_r, the
 * longest in *max_r */
static void
unsplit(const char *line, char *out, size_t size, unsigned *n_r, size_t *max_r)
{
	size_t o = 0;

	*n_r = 0;
	*max_r = 0;
	for (const char *p = strchr(line, '"'); p != NULL;) {
		const char *e = strchr(p + 1, '"');
		size_t len = (size_t)(e - p - 1);
		if (o + len < size) {
			memcpy(out + o, p + 1, len);
			o += len;
		}
		(*n_r)++;
		if (len > *max_r)
			*max_r = len;
		p = strchr(e + 1, '"');
	}
	out[o] = '\0';
}

static void
test_zone_line(void **state)
{
	char rsa2048[AG_DKIM_TXT_MAX], rsa4096[AG_DKIM_TXT_MAX];
	char ed[AG_DKIM_TXT_MAX], x255[300], x256[300];
	struct ag_err err = {0, ""};
	const struct {
		const char *label, *domain, *selector, *txt;
		size_t size;
		int rc;
		unsigned strings;
	} cases[] = {
		{"ed25519: one string", "example.com", "ed", ed, 0, AG_OK, 1},
		{"rsa-2048: two strings", "example.com", "rsa", rsa2048, 0,
		 AG_OK, 2},
		{"rsa-4096: three strings", "mail.example.com", "big", rsa4096,
		 0, AG_OK, 3},
		{"exactly 255 bytes: one string", "example.com", "s", x255, 0,
		 AG_OK, 1},
		{"256 bytes: two strings", "example.com", "s", x256, 0, AG_OK,
		 2},
		{"bad domain", "exa mple.com", "s", ed, 0, AG_EINVAL, 0},
		{"bad selector", "example.com", "", ed, 0, AG_EINVAL, 0},
		{"quote in value", "example.com", "s", "v=DKIM1; p=\"", 0,
		 AG_EINVAL, 0},
		{"buffer too small", "example.com", "rsa", rsa2048, 100,
		 AG_ELIMIT, 0},
	};
	unsigned bad = 0;

	(void)state;
	assert_int_equal(ag_dkim_keygen(AG_DKIM_ALG_RSA_SHA256, 2048,
					tpath("z1.pem"), rsa2048,
					sizeof(rsa2048), &err),
			 AG_OK);
	assert_int_equal(ag_dkim_keygen(AG_DKIM_ALG_RSA_SHA256, 4096,
					tpath("z2.pem"), rsa4096,
					sizeof(rsa4096), &err),
			 AG_OK);
	assert_int_equal(ag_dkim_keygen(AG_DKIM_ALG_ED25519_SHA256, 0,
					tpath("z3.pem"), ed, sizeof(ed), &err),
			 AG_OK);
	memset(x255, 'a', 255);
	x255[255] = '\0';
	memset(x256, 'b', 256);
	x256[256] = '\0';
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char line[AG_DKIM_ZONE_LINE_MAX], joined[AG_DKIM_TXT_MAX];
		char head[300];
		unsigned n;
		size_t max;
		int rc = ag_dkim_keygen_zone_line(
			cases[i].domain, cases[i].selector, cases[i].txt, line,
			cases[i].size ? cases[i].size : sizeof(line), &err);

		if (rc != cases[i].rc) {
			printf("case %s: got rc %d '%s', want %d\n",
			       cases[i].label, rc, err.msg, cases[i].rc);
			bad++;
			continue;
		}
		if (rc != AG_OK)
			continue;
		unsplit(line, joined, sizeof(joined), &n, &max);
		snprintf(head, sizeof(head), "%s._domainkey.%s. IN TXT ( \"",
			 cases[i].selector, cases[i].domain);
		if (n != cases[i].strings || max > 255 ||
		    strcmp(joined, cases[i].txt) != 0 ||
		    strncmp(line, head, strlen(head)) != 0 ||
		    strcmp(line + strlen(line) - 3, "\" )") != 0) {
			printf("case %s: got %u strings (longest %zu) in "
			       "'%s', want %u of <= 255 joining to the "
			       "value\n",
			       cases[i].label, n, max, line, cases[i].strings);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keygen),
		cmocka_unit_test(test_zone_line),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
