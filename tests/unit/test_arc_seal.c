/*
 * tests/unit/test_arc_seal.c - arc/seal.c through arc/arc.h: sets we add
 * verify with our own verifier, hop after hop (RSA-2048 and Ed25519);
 * instance and cv follow the chain; the AAR carries our results and the
 * hop's smtp.remote-ip comes back; a modified signed field moves
 * header.oldest-pass; no set after a cv=fail set, past i=50, or when a
 * key lookup failed temporarily; a 17th distinct key fails the chain; a
 * cv=fail seal still verifies as fail;
 * refused configurations (ARC-* in the header list, small key, no
 * want_seal, seal before finish); ag_arc_key_load's file checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/arc_util.h"

#define T0 1700000000

static const char base_msg[] =
	"From: Alice <alice@example.com>\r\n"
	"To: list@example.org\r\n"
	"Subject: hello\r\n"
	"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
	"Message-ID: <1@example.com>\r\n"
	"\r\n"
	"Hello list.  \r\n"
	"\r\n";

static struct ag_dns_zone *zone;
static struct ag_dns *dns;
static EVP_PKEY *rsa, *ed, *small;
static const char *const *sign_headers;	/* seal()'s AMS list; NULL:
					 * the default */
static unsigned n_sign_headers;

static int
group_setup(void **state)
{
	struct ag_dns_config cfg;
	struct ag_err err = {0};

	(void)state;
	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)512);
	if (rsa == NULL || ed == NULL || small == NULL ||
	    ag_dns_zone_new(&zone) != AG_OK)
		return -1;
	publish(zone, "rsa", "fwd.example", rsa);
	publish(zone, "ed", "fwd.example", ed);
	publish(zone, "ed", "list.example", ed);
	for (int k = 0; k < 17; k++) {
		char sel[16];

		snprintf(sel, sizeof(sel), "k%d", k);
		publish(zone, sel, "many.example", ed);
	}
	if (ag_dns_zone_servfail(zone, "down._domainkey.fwd.example") != AG_OK)
		return -1;
	ag_dns_config_defaults(&cfg);
	cfg.cache_entries = 0;
	return ag_dns_new_zone(&dns, &cfg, zone, &err) == AG_OK ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	ag_dns_free(&dns);
	ag_dns_zone_free(&zone);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(small);
	return 0;
}

/* seal - msg with a new set from key/domain/selector on top (malloc'd),
 * or NULL when no set was added; *out gets the seal's details */
static char *
seal(const char *msg, EVP_PKEY *key, const char *domain, const char *sel,
     const char *results, struct ag_arc_seal_out *out,
     struct ag_arc_results *res)
{
	struct ag_arc *a = NULL;
	struct ag_err err = {0};
	struct ag_arc_seal_config cfg = {
		.key = key, .domain = domain, .selector = sel,
		.authserv_id = "mx.fwd.example",
		.sign_headers = sign_headers, .n_sign_headers = n_sign_headers,
	};
	char *m = NULL;

	assert_int_equal(ag_arc_new(&a, dns, true, &err), AG_OK);
	assert_int_equal(feed(a, msg, 61), AG_OK);
	assert_int_equal(ag_arc_finish(a, res), AG_OK);
	assert_int_equal(ag_arc_seal(a, &cfg, results, T0, out, &err),
			 AG_OK);
	if (out->sealed)
		assert_true(asprintf(&m, "ARC-Seal: %s\r\n"
				     "ARC-Message-Signature: %s\r\n"
				     "ARC-Authentication-Results: %s\r\n%s",
				     out->seal, out->ams, out->aar, msg) > 0);
	ag_arc_free(&a);
	return m;
}

/* three hops, RSA then Ed25519 then RSA: each verifies, instance and cv
 * follow, the hop details come back */
static void
test_hops(void **state)
{
	static struct ag_arc_seal_out out;
	struct ag_arc_results res, v;
	char *m1, *m2, *m3;

	(void)state;
	m1 = seal(base_msg, rsa, "fwd.example", "rsa",
		  "spf=pass smtp.mailfrom=example.com smtp.remote-ip=192.0.2.7",
		  &out, &res);
	assert_non_null(m1);
	assert_int_equal(res.result, AG_ARC_NONE);
	assert_int_equal(out.instance, 1);
	assert_non_null(strstr(out.seal, "cv=none"));
	assert_string_equal(out.aar, "i=1; mx.fwd.example; spf=pass "
			    "smtp.mailfrom=example.com smtp.remote-ip=192.0.2.7");
	assert_non_null(strstr(out.ams, "a=rsa-sha256"));
	assert_non_null(strstr(out.ams, "h=from:to:subject:date:message-id"));
	verify(dns, m1, 1, &v);	/* byte by byte */
	assert_int_equal(v.result, AG_ARC_PASS);
	assert_int_equal(v.count, 1);
	assert_int_equal(v.oldest_pass, 0);
	assert_string_equal(v.hop[0].d, "fwd.example");
	assert_string_equal(v.hop[0].s, "rsa");
	assert_int_equal(v.hop[0].cv, AG_ARC_CV_NONE);
	assert_string_equal(v.hop[0].remote_ip, "192.0.2.7");

	m2 = seal(m1, ed, "list.example", "ed", "arc=pass", &out, &res);
	assert_non_null(m2);
	assert_int_equal(res.result, AG_ARC_PASS);
	assert_int_equal(out.instance, 2);
	assert_non_null(strstr(out.seal, "a=ed25519-sha256"));
	assert_non_null(strstr(out.seal, "cv=pass"));
	m3 = seal(m2, rsa, "fwd.example", "rsa",
		  "arc=pass smtp.remote-ip=2001:db8::1", &out, &res);
	assert_non_null(m3);
	verify(dns, m3, 4096, &v);
	assert_int_equal(v.result, AG_ARC_PASS);
	assert_int_equal(v.count, 3);
	assert_int_equal(v.oldest_pass, 0);
	assert_string_equal(v.hop[1].d, "list.example");
	assert_string_equal(v.hop[1].remote_ip, "");
	assert_string_equal(v.hop[2].remote_ip, "2001:db8::1");
	assert_int_equal(v.hop[2].cv, AG_ARC_CV_PASS);
	assert_true(v.hop[0].seal_valid && v.hop[1].seal_valid &&
		    v.hop[2].seal_valid);
	free(m1);
	free(m2);
	free(m3);
}

/* a hop that edits the Subject: the older AMS no longer validates, the
 * chain still passes, oldest-pass names the first AMS that does */
static void
test_oldest_pass(void **state)
{
	static struct ag_arc_seal_out out;
	struct ag_arc_results res, v;
	char *m1, *edited, *m2, *s;

	(void)state;
	m1 = seal(base_msg, rsa, "fwd.example", "rsa", "spf=pass", &out, &res);
	assert_non_null(m1);
	edited = strdup(m1);
	s = strstr(edited, "Subject: hello");
	assert_non_null(s);
	memcpy(s, "Subject: [L] h", 14);	/* same length, new text */
	verify(dns, edited, 100, &v);
	assert_int_equal(v.result, AG_ARC_FAIL);	/* newest AMS broken */
	m2 = seal(edited, ed, "list.example", "ed", "arc=fail", &out, &res);
	assert_non_null(m2);
	assert_int_equal(res.result, AG_ARC_FAIL);
	assert_non_null(strstr(out.seal, "cv=fail"));
	verify(dns, m2, 100, &v);
	/* a cv=fail set: the chain fails whatever its seals say */
	assert_int_equal(v.result, AG_ARC_FAIL);
	free(m2);

	/* the same edit made after a second hop sealed: pass, oldest 2 */
	m2 = seal(m1, ed, "list.example", "ed", "arc=pass", &out, &res);
	assert_non_null(m2);
	free(edited);
	edited = strdup(m2);
	s = strstr(edited, "Subject: hello");
	memcpy(s, "Subject: [L] h", 14);
	verify(dns, edited, 100, &v);
	assert_int_equal(v.result, AG_ARC_FAIL);	/* AMS 2 signs Subject */
	free(m2);
	free(edited);
	free(m1);
}

/* oldest-pass: hop 2 signs From and To only; a later edit of the
 * Subject breaks AMS 1 but neither AMS 2 nor any seal, so the chain
 * passes with header.oldest-pass=2; with nothing edited it is 0 */
static void
test_oldest_pass_value(void **state)
{
	static struct ag_arc_seal_out out;
	static const char *const two[] = {"from", "to"};
	struct ag_arc_results res, v;
	char *m1, *m2, *s;

	(void)state;
	m1 = seal(base_msg, rsa, "fwd.example", "rsa", "spf=pass", &out, &res);
	sign_headers = two;
	n_sign_headers = 2;
	m2 = seal(m1, ed, "list.example", "ed", "arc=pass", &out, &res);
	sign_headers = NULL;
	n_sign_headers = 0;
	assert_non_null(m2);
	assert_non_null(strstr(out.ams, "h=from:to;"));
	verify(dns, m2, 33, &v);
	assert_int_equal(v.result, AG_ARC_PASS);
	assert_int_equal(v.oldest_pass, 0);
	assert_true(v.hop[0].ams_valid && v.hop[1].ams_valid);
	s = strstr(m2, "Subject: hello");
	memcpy(s, "Subject: [L] h", 14);
	verify(dns, m2, 33, &v);
	assert_int_equal(v.result, AG_ARC_PASS);
	assert_int_equal(v.oldest_pass, 2);
	assert_false(v.hop[0].ams_valid);
	assert_true(v.hop[1].ams_valid);
	free(m2);
	free(m1);
}

/* no set after a cv=fail set (RFC 8617 5.1.2) */
static void
test_no_seal_after_fail(void **state)
{
	static struct ag_arc_seal_out out;
	struct ag_arc_results res;
	char *m1, *m2, *m3, *s;

	(void)state;
	m1 = seal(base_msg, rsa, "fwd.example", "rsa", "spf=pass", &out, &res);
	s = strstr(m1, "Hello list.");
	memcpy(s, "Hello LIST.", 11);
	m2 = seal(m1, ed, "list.example", "ed", "arc=fail", &out, &res);
	assert_non_null(m2);
	assert_non_null(strstr(out.seal, "cv=fail"));
	m3 = seal(m2, rsa, "fwd.example", "rsa", "arc=fail", &out, &res);
	assert_null(m3);
	assert_false(out.sealed);
	assert_non_null(strstr(out.reason, "cv=fail"));
	free(m1);
	free(m2);
}

/* 50 sets: the 50th verifies, a 51st is refused */
static void
test_fifty(void **state)
{
	static struct ag_arc_seal_out out;
	struct ag_arc_results res, v;
	char *m = strdup(base_msg), *n;
	unsigned i;

	(void)state;
	for (i = 1; i <= AG_ARC_MAX_SETS; i++) {
		n = seal(m, ed, "list.example", "ed", "arc=pass", &out, &res);
		assert_non_null(n);
		assert_int_equal(out.instance, i);
		assert_int_equal(res.result, i == 1 ? AG_ARC_NONE : AG_ARC_PASS);
		free(m);
		m = n;
	}
	verify(dns, m, 4096, &v);
	assert_int_equal(v.result, AG_ARC_PASS);
	assert_int_equal(v.count, 50);
	n = seal(m, ed, "list.example", "ed", "arc=pass", &out, &res);
	assert_null(n);
	assert_false(out.sealed);
	free(m);
}

/* a chain may name 16 distinct keys; the 17th makes it fail */
static void
test_key_limit(void **state)
{
	static struct ag_arc_seal_out out;
	struct ag_arc_results res, v;
	char *m = strdup(base_msg), *n, sel[16];
	int k;

	(void)state;
	for (k = 0; k < 17; k++) {
		snprintf(sel, sizeof(sel), "k%d", k);
		n = seal(m, ed, "many.example", sel, "arc=pass", &out, &res);
		assert_non_null(n);
		assert_int_equal(res.result, k == 0 ? AG_ARC_NONE : AG_ARC_PASS);
		free(m);
		m = n;
	}
	verify(dns, m, 4096, &v);
	assert_int_equal(v.result, AG_ARC_FAIL);
	assert_non_null(strstr(v.reason, "more than 16 keys"));
	free(m);
}

/* a key lookup that fails temporarily: fail, temp_error, no seal */
static void
test_temp_error(void **state)
{
	static struct ag_arc_seal_out out;
	struct ag_arc_results res, v;
	char *m1, *m2;

	(void)state;
	m1 = seal(base_msg, rsa, "fwd.example", "down", "spf=pass", &out,
		  &res);
	assert_non_null(m1);	/* sealing needs no lookup */
	verify(dns, m1, 4096, &v);
	assert_int_equal(v.result, AG_ARC_FAIL);
	assert_true(v.temp_error);
	m2 = seal(m1, rsa, "fwd.example", "rsa", "arc=fail", &out, &res);
	assert_null(m2);
	assert_false(out.sealed);
	free(m1);
}

/* refused configurations and calls out of order */
static void
test_refused(void **state)
{
	static struct ag_arc_seal_out out;
	struct ag_arc_results res;
	struct ag_arc *a = NULL;
	struct ag_err err = {0};
	const char *bad[] = {"from", "ARC-Seal"};
	const char *bad2[] = {"Authentication-Results"};
	struct ag_arc_seal_config cfg = {
		.key = rsa, .domain = "fwd.example", .selector = "rsa",
		.authserv_id = "mx.fwd.example", .sign_headers = bad,
		.n_sign_headers = 2,
	};

	(void)state;
	assert_int_equal(ag_arc_new(&a, dns, true, &err), AG_OK);
	assert_int_equal(feed(a, base_msg, 100), AG_OK);
	assert_int_equal(ag_arc_seal(a, &cfg, "", T0, &out, &err), AG_EINVAL);
	assert_int_equal(ag_arc_finish(a, &res), AG_OK);
	assert_int_equal(ag_arc_seal(a, &cfg, "", T0, &out, &err), AG_EINVAL);
	assert_non_null(strstr(err.msg, "ARC-Seal"));
	cfg.sign_headers = bad2;
	cfg.n_sign_headers = 1;
	assert_int_equal(ag_arc_seal(a, &cfg, "", T0, &out, &err), AG_EINVAL);
	cfg.sign_headers = NULL;
	cfg.key = small;
	assert_int_equal(ag_arc_seal(a, &cfg, "", T0, &out, &err), AG_EINVAL);
	cfg.key = rsa;
	cfg.authserv_id = "bad id;";
	assert_int_equal(ag_arc_seal(a, &cfg, "", T0, &out, &err), AG_EINVAL);
	cfg.authserv_id = "mx.fwd.example";
	assert_int_equal(ag_arc_seal(a, &cfg, "", T0, &out, &err), AG_OK);
	assert_true(out.sealed);
	assert_string_equal(out.aar, "i=1; mx.fwd.example; none");
	assert_int_equal(ag_arc_header(a, "X", "y"), AG_EINVAL);
	ag_arc_free(&a);

	assert_int_equal(ag_arc_new(&a, dns, false, &err), AG_OK);
	assert_int_equal(feed(a, base_msg, 100), AG_OK);
	assert_int_equal(ag_arc_finish(a, &res), AG_OK);
	assert_int_equal(ag_arc_finish(a, &res), AG_EINVAL);
	assert_int_equal(ag_arc_seal(a, &cfg, "", T0, &out, &err), AG_EINVAL);
	ag_arc_free(&a);
	ag_arc_free(&a);	/* NULL is fine */

	/* over the field limit: no set (its h= could not see them all) */
	cfg.authserv_id = "mx.fwd.example";
	assert_int_equal(ag_arc_new(&a, dns, true, &err), AG_OK);
	for (unsigned k = 0; k < AG_ARC_MAX_FIELDS + 1; k++)
		assert_int_equal(ag_arc_header(a, "X-Filler", " x"), AG_OK);
	assert_int_equal(feed(a, base_msg, 100), AG_OK);
	assert_int_equal(ag_arc_finish(a, &res), AG_OK);
	assert_int_equal(res.result, AG_ARC_NONE);
	assert_int_equal(ag_arc_seal(a, &cfg, "", T0, &out, &err), AG_OK);
	assert_false(out.sealed);
	assert_non_null(strstr(out.reason, "too many"));
	ag_arc_free(&a);
}

/* the key file checks of dkim/keyfile.c apply */
static void
test_key_load(void **state)
{
	char path[] = "/tmp/test_arc_keyXXXXXX";
	struct ag_err err = {0};
	EVP_PKEY *k = NULL;
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, rsa, NULL, NULL, 0, NULL,
					      NULL), 1);
	fclose(f);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(ag_arc_key_load(&k, path, true, &err), AG_EINVAL);
	assert_null(k);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(ag_arc_key_load(&k, path, true, &err), AG_OK);
	assert_non_null(k);
	assert_int_equal(EVP_PKEY_eq(k, rsa), 1);
	EVP_PKEY_free(k);
	unlink(path);
	assert_int_not_equal(ag_arc_key_load(&k, path, true, &err), AG_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hops),
		cmocka_unit_test(test_oldest_pass),
		cmocka_unit_test(test_oldest_pass_value),
		cmocka_unit_test(test_no_seal_after_fail),
		cmocka_unit_test(test_fifty),
		cmocka_unit_test(test_key_limit),
		cmocka_unit_test(test_temp_error),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_key_load),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
