/*
 * tests/unit/test_arc_chain.c - arc/ verification of chains that are not
 * what a sealer made: no ARC fields (none); missing, duplicated or
 * renumbered fields, tag-list faults, wrong cv=, rsa-sha1, h= in a seal
 * (fail, each with its reason); key records that are missing, revoked,
 * under 1024 bits or of the wrong type (fail); header count and size limits
 * (fail with ARC fields, none without); lower-case field names (pass);
 * and random byte changes to a sealed message (a defined result every
 * time, never pass when a signed byte of the body changed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/arc_util.h"

static struct ag_dns_zone *zone;
static struct ag_dns *dns;
static EVP_PKEY *rsa, *small;
static char *sealed;	/* base message with one set by d=fwd.example */

static const char base_msg[] =
	"From: Alice <alice@example.com>\r\n"
	"To: list@example.org\r\n"
	"Subject: hello\r\n"
	"\r\n"
	"Hello list.\r\n";

/* make_sealed - base_msg with one set sealed with key as dom/sel */
static char *
make_sealed(EVP_PKEY *key, const char *dom, const char *sel)
{
	static struct ag_arc_seal_out out;
	struct ag_arc_results res;
	struct ag_arc *a = NULL;
	struct ag_err err = {0};
	struct ag_arc_seal_config cfg = {
		.key = key, .domain = dom, .selector = sel,
		.authserv_id = "mx.fwd.example",
	};
	char *m = NULL;

	if (ag_arc_new(&a, dns, true, &err) != AG_OK ||
	    feed(a, base_msg, 1000) != AG_OK ||
	    ag_arc_finish(a, &res) != AG_OK ||
	    ag_arc_seal(a, &cfg, "spf=pass", 1700000000, &out, &err) != AG_OK ||
	    asprintf(&m, "ARC-Seal: %s\r\nARC-Message-Signature: %s\r\n"
		     "ARC-Authentication-Results: %s\r\n%s", out.seal, out.ams,
		     out.aar, base_msg) < 0)
		m = NULL;
	ag_arc_free(&a);
	return m;
}

static int
group_setup(void **state)
{
	struct ag_dns_config cfg;
	struct ag_err err = {0};
	EVP_PKEY *ed;

	(void)state;
	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)512);
	ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (rsa == NULL || small == NULL || ed == NULL ||
	    ag_dns_zone_new(&zone) != AG_OK)
		return -1;
	publish(zone, "rsa", "fwd.example", rsa);
	publish(zone, "small", "fwd.example", small);
	publish(zone, "edrec", "fwd.example", ed);	/* k=ed25519 record */
	if (ag_dns_zone_add(zone, "revoked._domainkey.fwd.example",
			    AG_DNS_TXT, "v=DKIM1; k=rsa; p=", 300) != AG_OK ||
	    ag_dns_zone_add(zone, "bad._domainkey.fwd.example", AG_DNS_TXT,
			    "v=DKIM1; k=rsa; p=bm90IGEga2V5", 300) != AG_OK)
		return -1;
	EVP_PKEY_free(ed);
	ag_dns_config_defaults(&cfg);
	cfg.cache_entries = 0;
	if (ag_dns_new_zone(&dns, &cfg, zone, &err) != AG_OK)
		return -1;
	sealed = make_sealed(rsa, "fwd.example", "rsa");
	return sealed != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	free(sealed);
	ag_dns_free(&dns);
	ag_dns_zone_free(&zone);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(small);
	return 0;
}

/* edit - sealed with the first "from" replaced by "to" (malloc'd) */
static char *
edit(const char *msg, const char *from, const char *to)
{
	const char *at = strstr(msg, from);
	char *m;

	assert_non_null(at);
	assert_true(asprintf(&m, "%.*s%s%s", (int)(at - msg), msg, to,
			     at + strlen(from)) > 0);
	return m;
}

struct chain_case {
	const char *label;
	const char *from, *to;	/* the edit of the sealed message */
	enum ag_arc_result want;
	const char *reason;	/* a word the reason must hold, or NULL */
};

/* every structural fault, one edit each */
static const struct chain_case cases[] = {
	{"unchanged", "", "", AG_ARC_PASS, "valid"},
	{"lower-case names", "ARC-Seal:", "arc-seal:", AG_ARC_PASS,
	 NULL},
	{"AAR missing", "ARC-Authentication-Results:", "X-AAR:",
	 AG_ARC_FAIL, "incomplete"},
	{"AMS missing", "ARC-Message-Signature:", "X-AMS:",
	 AG_ARC_FAIL, "incomplete"},
	{"seal missing", "ARC-Seal:", "X-Seal:", AG_ARC_FAIL,
	 "incomplete"},
	{"seal duplicated", "From:", "ARC-Seal: i=1; a=rsa-sha256; "
	 "b=AA==; cv=none; d=fwd.example; s=rsa\r\nFrom:",
	 AG_ARC_FAIL, "duplicate"},
	{"AAR i=0", "ARC-Authentication-Results: i=1;",
	 "ARC-Authentication-Results: i=0;", AG_ARC_FAIL, "AAR"},
	{"AAR i=51", "ARC-Authentication-Results: i=1;",
	 "ARC-Authentication-Results: i=51;", AG_ARC_FAIL, "AAR"},
	{"AAR without ;", "ARC-Authentication-Results: i=1;",
	 "ARC-Authentication-Results: i=1 ", AG_ARC_FAIL, "AAR"},
	{"gap: i=2 only", "ARC-Authentication-Results: i=1;",
	 "ARC-Authentication-Results: i=2;", AG_ARC_FAIL, "i=1"},
	{"seal i=abc", "cv=none; d=fwd.example; i=1;",
	 "cv=none; d=fwd.example; i=abc;", AG_ARC_FAIL, "ARC-Seal"},
	{"seal cv=pass at i=1", "cv=none", "cv=pass", AG_ARC_FAIL,
	 "cv"},
	{"seal cv=fail", "cv=none", "cv=fail", AG_ARC_FAIL, "cv=fail"},
	{"seal cv=maybe", "cv=none", "cv=maybe", AG_ARC_FAIL,
	 "malformed"},
	{"seal duplicate tag", "cv=none;", "cv=none; cv=none;",
	 AG_ARC_FAIL, NULL},
	{"seal with h=", "cv=none;", "cv=none; h=from;", AG_ARC_FAIL,
	 "malformed"},
	{"seal rsa-sha1", "ARC-Seal: a=rsa-sha256", "ARC-Seal: "
	 "a=rsa-sha1", AG_ARC_FAIL, "malformed"},
	{"seal ;;", "cv=none;", "cv=none;;", AG_ARC_FAIL, NULL},
	{"seal bad tag name", "cv=none;", "cv=none; 9x=1;",
	 AG_ARC_FAIL, NULL},
	{"AMS a=rsa-sha1", "ARC-Message-Signature: a=rsa-sha256",
	 "ARC-Message-Signature: a=rsa-sha1", AG_ARC_FAIL, "AMS"},
	{"AMS c=odd", "c=relaxed/relaxed", "c=odd/relaxed",
	 AG_ARC_FAIL, "AMS"},
	{"AMS signs ARC-Seal", "h=from:", "h=arc-seal:from:",
	 AG_ARC_FAIL, "ARC-Seal"},
	{"body changed", "Hello list.", "Hello LIST.", AG_ARC_FAIL,
	 "body hash"},
	{"signed field changed", "Subject: hello", "Subject: HELLO",
	 AG_ARC_FAIL, "signature"},
	{"unsigned field added", "From:", "X-List: yes\r\nFrom:",
	 AG_ARC_PASS, NULL},
	{"AAR changed", "spf=pass", "spf=fail", AG_ARC_FAIL,
	 "signature"},
	{"selector without key", "d=fwd.example; i=1; s=rsa",
	 "d=fwd.example; i=1; s=none", AG_ARC_FAIL, "no key"},
	{"revoked key", "d=fwd.example; i=1; s=rsa",
	 "d=fwd.example; i=1; s=revoked", AG_ARC_FAIL, "revoked"},
	{"key not DER", "d=fwd.example; i=1; s=rsa",
	 "d=fwd.example; i=1; s=bad", AG_ARC_FAIL, "decode"},
	{"ed25519 record for rsa-sha256", "d=fwd.example; i=1; s=rsa",
	 "d=fwd.example; i=1; s=edrec", AG_ARC_FAIL, "type"},
	{"512-bit key (RFC 8301)", "d=fwd.example; i=1; s=rsa",
	 "d=fwd.example; i=1; s=small", AG_ARC_FAIL, "1024"},
	{"d= not a domain", "cv=none; d=fwd.example", "cv=none; "
	 "d=fwd..example", AG_ARC_FAIL, "malformed"},
};

static void
test_faults(void **state)
{
	unsigned k, bad = 0;

	(void)state;
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct chain_case *c = &cases[k];
		char *m = c->from[0] ? edit(sealed, c->from, c->to) :
				       strdup(sealed);
		struct ag_arc_results v;

		verify(dns, m, 5, &v);
		if (v.result != c->want ||
		    (c->reason != NULL && strstr(v.reason, c->reason) == NULL)) {
			printf("case %s: got %s (%s), want %s (%s)\n",
			       c->label, ag_arc_result_name(v.result),
			       v.reason, ag_arc_result_name(c->want),
			       c->reason ? c->reason : "any reason");
			bad++;
		}
		free(m);
	}
	assert_int_equal(bad, 0);
}

/* we never seal with a 512-bit key; no ARC at all is none */
static void
test_keys_and_none(void **state)
{
	struct ag_arc_results v;

	(void)state;
	assert_null(make_sealed(small, "fwd.example", "small"));
	verify(dns, base_msg, 100, &v);
	assert_int_equal(v.result, AG_ARC_NONE);
	assert_int_equal(v.count, 0);
	verify(dns, "\r\n", 100, &v);
	assert_int_equal(v.result, AG_ARC_NONE);
	assert_string_equal(ag_arc_result_name(AG_ARC_NONE), "none");
	assert_string_equal(ag_arc_result_name(AG_ARC_PASS), "pass");
	assert_string_equal(ag_arc_result_name(AG_ARC_FAIL), "fail");
	assert_string_equal(ag_arc_cv_name(AG_ARC_CV_PASS), "pass");
}

/* limits: more fields than kept, an oversized ARC field */
static void
test_limits(void **state)
{
	struct ag_arc_results v;
	struct ag_arc *a = NULL;
	struct ag_err err = {0};
	char *big;
	unsigned k;

	(void)state;
	for (int with_arc = 0; with_arc < 2; with_arc++) {
		assert_int_equal(ag_arc_new(&a, dns, false, &err), AG_OK);
		for (k = 0; k < AG_ARC_MAX_FIELDS + 10; k++)
			assert_int_equal(ag_arc_header(a, "X-Filler", " x"),
					 AG_OK);
		if (with_arc)
			assert_int_equal(ag_arc_header(a, "ARC-Seal",
						       " i=1; cv=none"), AG_OK);
		assert_int_equal(ag_arc_eoh(a), AG_OK);
		assert_int_equal(ag_arc_finish(a, &v), AG_OK);
		assert_int_equal(v.result, with_arc ? AG_ARC_FAIL :
				 AG_ARC_NONE);
		if (with_arc)
			assert_non_null(strstr(v.reason, "too many"));
		ag_arc_free(&a);
	}
	big = malloc(AG_ARC_FIELD_MAX + 100);
	assert_non_null(big);
	memset(big, 'a', AG_ARC_FIELD_MAX + 99);
	memcpy(big, " i=1; x=", 8);
	big[AG_ARC_FIELD_MAX + 99] = '\0';
	assert_int_equal(ag_arc_new(&a, dns, false, &err), AG_OK);
	assert_int_equal(ag_arc_header(a, "ARC-Seal", big), AG_OK);
	assert_int_equal(ag_arc_eoh(a), AG_OK);
	assert_int_equal(ag_arc_finish(a, &v), AG_OK);
	assert_int_equal(v.result, AG_ARC_FAIL);
	assert_non_null(strstr(v.reason, "bytes"));
	ag_arc_free(&a);
	free(big);
}

/* random byte changes: always a defined result; a changed body byte
 * (past the first line, which relaxed blanks could absorb) never passes */
static void
test_mutations(void **state)
{
	size_t len = strlen(sealed), body = strstr(sealed, "Hello") -
					    sealed;
	unsigned seed = 12345, k, passes = 0;

	(void)state;
	for (k = 0; k < 3000; k++) {
		char *m = strdup(sealed);
		size_t pos;
		struct ag_arc_results v;
		struct ag_arc *a = NULL;
		struct ag_err err = {0};
		int rc;

		seed = seed * 1103515245u + 12345u;
		pos = (seed >> 8) % len;
		seed = seed * 1103515245u + 12345u;
		m[pos] = (char)(((seed >> 8) % 255) + 1);
		assert_int_equal(ag_arc_new(&a, dns, false, &err), AG_OK);
		rc = feed(a, m, 1 + seed % 50);
		if (rc == AG_OK)
			rc = ag_arc_finish(a, &v);
		ag_arc_free(&a);
		if (rc != AG_OK) {	/* only a field without a colon */
			free(m);
			continue;
		}
		assert_true(v.result == AG_ARC_NONE ||
			    v.result == AG_ARC_PASS ||
			    v.result == AG_ARC_FAIL);
		if (v.result == AG_ARC_PASS) {
			passes++;
			if (pos >= body && pos < body + 5 &&
			    m[pos] != sealed[pos])
				fail_msg("body byte %zu changed, still pass",
					 pos);
		}
		free(m);
	}
	assert_true(passes < 3000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_keys_and_none),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
