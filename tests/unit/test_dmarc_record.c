/*
 * tests/unit/test_dmarc_record.c - dmarc/record.c and dmarc/fetch.c's
 * pure helpers (cmocka)
 *
 * Valid and invalid records with the field values they parse to, the
 * RFC 7489 6.6.3 step 6 fallback (bad p=/sp=/np= with or without rua=),
 * policy fallbacks for subdomains and non-existent names, limits, and
 * hostile input (every prefix of a record, random bytes) that must give a
 * defined answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dmarc/fetch.h"
#include "dmarc/record.h"

static int
parse(const char *txt, struct ag_dmarc_record *r)
{
	struct ag_err err = { 0, "" };

	return ag_dmarc_record_parse(txt, strlen(txt), r, &err);
}

static void
test_full_record(void **state)
{
	struct ag_dmarc_record r;

	(void)state;
	assert_int_equal(parse(" v = DMARC1 ; p=Quarantine; sp=reject; "
			       "np=REJECT; pct=25; adkim=s; aspf=S; "
			       "fo=0:1:d:s; ri=3600; rf=iodef; t=y; psd=n; "
			       "rua=mailto:a@example.com!10m, "
			       "mailto:b@example.com; ruf=https://x.example/r;",
			       &r),
			 AG_OK);
	assert_int_equal(r.p, AG_DMARC_P_QUARANTINE);
	assert_int_equal(r.sp, AG_DMARC_P_REJECT);
	assert_int_equal(r.np, AG_DMARC_P_REJECT);
	assert_false(r.p_implied);
	assert_int_equal(r.pct, 25);
	assert_int_equal(r.adkim, AG_DMARC_ALIGN_STRICT);
	assert_int_equal(r.aspf, AG_DMARC_ALIGN_STRICT);
	assert_int_equal(r.fo, AG_DMARC_FO_0 | AG_DMARC_FO_1 | AG_DMARC_FO_D |
				       AG_DMARC_FO_S);
	assert_int_equal(r.ri, 3600);
	assert_true(r.rf_iodef);
	assert_false(r.rf_afrf);
	assert_true(r.testing);
	assert_int_equal(r.psd, AG_DMARC_PSD_N);
	assert_int_equal(r.n_rua, 2);
	assert_string_equal(r.rua[0].uri, "mailto:a@example.com");
	assert_int_equal(r.rua[0].max_size, 10u << 20);
	assert_string_equal(r.rua[1].uri, "mailto:b@example.com");
	assert_int_equal(r.rua[1].max_size, 0);
	assert_int_equal(r.n_ruf, 1);
	assert_int_equal(r.ignored, 0);
}

static void
test_defaults(void **state)
{
	struct ag_dmarc_record r;

	(void)state;
	assert_int_equal(parse("v=DMARC1; p=none", &r), AG_OK);
	assert_int_equal(r.p, AG_DMARC_P_NONE);
	assert_int_equal(r.sp, AG_DMARC_P_UNSET);
	assert_int_equal(r.np, AG_DMARC_P_UNSET);
	assert_int_equal(r.pct, 100);
	assert_int_equal(r.adkim, AG_DMARC_ALIGN_RELAXED);
	assert_int_equal(r.aspf, AG_DMARC_ALIGN_RELAXED);
	assert_int_equal(r.fo, AG_DMARC_FO_0);
	assert_int_equal(r.ri, 86400);
	assert_true(r.rf_afrf);
	assert_false(r.testing);
	assert_int_equal(r.psd, AG_DMARC_PSD_U);
}

static void
test_not_dmarc(void **state)
{
	static const char *const bad[] = {
		"", ";", "p=reject; v=DMARC1", "v=DMARC2; p=reject",
		"v=dmarc1; p=reject", "v=DMARC1x; p=reject", "v:DMARC1; p=none",
		"v=spf1 -all", "v=DMARC1", "v=DMARC1; p=bogus",
		"v=DMARC1; rua=ftp://example.com", "v=DMARC1; p=none; np=bogus",
		"v=DMARC1; p=reject; sp=invalid",
	};
	struct ag_dmarc_record r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &r) != AG_EINVAL)
			fail_msg("accepted as a DMARC record: \"%s\"", bad[i]);
	}
}

static void
test_fallback_with_rua(void **state)
{
	struct ag_dmarc_record r;

	(void)state;
	/* RFC 7489 6.6.3 step 6: act as p=none when rua= is valid */
	assert_int_equal(parse("v=DMARC1; rua=mailto:x@example.com", &r),
			 AG_OK);
	assert_int_equal(r.p, AG_DMARC_P_NONE);
	assert_true(r.p_implied);
	assert_int_equal(parse("v=DMARC1; p=bogus; rua=mailto:x@example.com",
			       &r),
			 AG_OK);
	assert_int_equal(r.p, AG_DMARC_P_NONE);
	assert_int_equal(parse("v=DMARC1; p=reject; sp=bad; "
			       "rua=mailto:x@example.com",
			       &r),
			 AG_OK);
	assert_int_equal(r.p, AG_DMARC_P_NONE);
	assert_int_equal(r.sp, AG_DMARC_P_UNSET);
	/* DMARCbis: psd=y needs no p= */
	assert_int_equal(parse("v=DMARC1; psd=y", &r), AG_OK);
	assert_int_equal(r.p, AG_DMARC_P_NONE);
	assert_int_equal(r.psd, AG_DMARC_PSD_Y);
}

static void
test_lenient_pieces(void **state)
{
	struct ag_dmarc_record r;

	(void)state;
	assert_int_equal(parse("v=DMARC1;p=none;fo:0;;0;sp-none;pct=;"
			       "newtag=x;adkim=strict;pct=101",
			       &r),
			 AG_OK);
	assert_int_equal(r.p, AG_DMARC_P_NONE);
	assert_int_equal(r.pct, 100);		/* 101 ignored */
	assert_int_equal(r.adkim, AG_DMARC_ALIGN_RELAXED);
	assert_int_equal(r.ignored, 7);
}

static void
test_policy_for(void **state)
{
	struct ag_dmarc_record r;

	(void)state;
	assert_int_equal(parse("v=DMARC1; p=reject", &r), AG_OK);
	assert_int_equal(ag_dmarc_record_policy_for(&r, false, false),
			 AG_DMARC_P_REJECT);
	assert_int_equal(ag_dmarc_record_policy_for(&r, true, true),
			 AG_DMARC_P_REJECT);
	assert_int_equal(parse("v=DMARC1; p=none; sp=quarantine", &r), AG_OK);
	assert_int_equal(ag_dmarc_record_policy_for(&r, true, false),
			 AG_DMARC_P_QUARANTINE);
	assert_int_equal(ag_dmarc_record_policy_for(&r, true, true),
			 AG_DMARC_P_QUARANTINE);
	assert_int_equal(ag_dmarc_record_policy_for(&r, false, false),
			 AG_DMARC_P_NONE);
	assert_int_equal(parse("v=DMARC1; p=none; sp=quarantine; np=reject",
			       &r),
			 AG_OK);
	assert_int_equal(ag_dmarc_record_policy_for(&r, true, true),
			 AG_DMARC_P_REJECT);
	assert_int_equal(ag_dmarc_record_policy_for(&r, true, false),
			 AG_DMARC_P_QUARANTINE);
	assert_string_equal(ag_dmarc_policy_name(AG_DMARC_P_QUARANTINE),
			    "quarantine");
}

static void
test_limits(void **state)
{
	struct ag_dmarc_record r;
	struct ag_err err = { 0, "" };
	char *big = malloc(AG_DMARC_RECORD_MAX + 100);
	size_t o;

	(void)state;
	assert_non_null(big);
	o = (size_t)snprintf(big, AG_DMARC_RECORD_MAX + 100, "v=DMARC1; p=none");
	while (o < AG_DMARC_RECORD_MAX + 50)
		big[o++] = ';';
	big[o] = '\0';
	assert_int_equal(ag_dmarc_record_parse(big, o, &r, &err), AG_EINVAL);
	/* many tags */
	o = (size_t)snprintf(big, AG_DMARC_RECORD_MAX, "v=DMARC1; p=none");
	for (int i = 0; i < 100; i++)
		o += (size_t)snprintf(big + o, AG_DMARC_RECORD_MAX - o, ";x%d=1",
				      i);
	assert_int_equal(ag_dmarc_record_parse(big, o, &r, &err), AG_EINVAL);
	/* more URIs than kept */
	o = (size_t)snprintf(big, AG_DMARC_RECORD_MAX, "v=DMARC1; p=none; rua=");
	for (int i = 0; i < 20; i++)
		o += (size_t)snprintf(big + o, AG_DMARC_RECORD_MAX - o,
				      "%smailto:r%d@example.com", i ? "," : "",
				      i);
	assert_int_equal(ag_dmarc_record_parse(big, o, &r, &err), AG_OK);
	assert_int_equal(r.n_rua, AG_DMARC_MAX_URIS);
	/* a NUL inside */
	assert_int_equal(ag_dmarc_record_parse("v=DMARC1; p=none\0; p=x", 22,
					       &r, &err),
			 AG_EINVAL);
	free(big);
}

static void
test_hostile(void **state)
{
	static const char rec[] =
		"v=DMARC1; p=reject; sp=none; np=quarantine; pct=50; "
		"rua=mailto:a@example.com!1g,https://b.example/x; fo=1:d; "
		"ri=60; rf=afrf:iodef; t=n; psd=u";
	struct ag_dmarc_record r;
	struct ag_err err = { 0, "" };
	unsigned char buf[256];

	(void)state;
	/* every prefix: a defined answer, never a crash */
	for (size_t n = 0; n <= sizeof(rec) - 1; n++) {
		int rc = ag_dmarc_record_parse(rec, n, &r, &err);

		assert_true(rc == AG_OK || rc == AG_EINVAL);
	}
	srand(7);
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)(rand() % (int)sizeof(buf));

		memcpy(buf, "v=DMARC1;", 9);
		for (size_t j = 9; j < n; j++)
			buf[j] = (unsigned char)(rand() % 4 == 0 ? ';'
						 : rand() % 3 == 0 ? '='
								   : rand());
		int rc = ag_dmarc_record_parse((const char *)buf,
					       n < 9 ? 9 : n, &r, &err);
		assert_true(rc == AG_OK || rc == AG_EINVAL);
	}
}

static void
test_tag_values(void **state)
{
	(void)state;
	assert_true(ag_dmarc_tag_value_valid("p", "REJECT"));
	assert_false(ag_dmarc_tag_value_valid("p", "rejected"));
	assert_true(ag_dmarc_tag_value_valid("fo", "0:d"));
	assert_false(ag_dmarc_tag_value_valid("fo", "0::d"));
	assert_true(ag_dmarc_tag_value_valid("ri", "4294967295"));
	assert_false(ag_dmarc_tag_value_valid("ri", "4294967296"));
	assert_false(ag_dmarc_tag_value_valid("pct", "1.0"));
	assert_true(ag_dmarc_tag_value_valid("rua", "mailto:x@example.com!10m"));
	assert_false(ag_dmarc_tag_value_valid("rua", "mailto:x@example.com!10x"));
	assert_false(ag_dmarc_tag_value_valid("rua", "mailto:x@example.com!"));
	assert_false(ag_dmarc_tag_value_valid("nosuchtag", "1"));
}

static void
test_is_dmarc_and_domains(void **state)
{
	(void)state;
	assert_true(ag_dmarc_is_dmarc("v=DMARC1; p=none", 16));
	assert_true(ag_dmarc_is_dmarc("v = DMARC1", 10));
	assert_false(ag_dmarc_is_dmarc("v=DMARC10; p=none", 17));
	assert_false(ag_dmarc_is_dmarc("v=spf1", 6));
	assert_true(ag_dmarc_domain_valid("example.com"));
	assert_true(ag_dmarc_domain_valid("xn--bcher-kva.example"));
	assert_true(ag_dmarc_domain_valid("_x.example.com"));
	assert_false(ag_dmarc_domain_valid("com"));
	assert_false(ag_dmarc_domain_valid("example.com."));
	assert_false(ag_dmarc_domain_valid("exa mple.com"));
	assert_false(ag_dmarc_domain_valid("-a.example.com"));
	assert_false(ag_dmarc_domain_valid("a-.example.com"));
	assert_false(ag_dmarc_domain_valid("a..example.com"));
	assert_false(ag_dmarc_domain_valid("[192.0.2.1]"));
	assert_false(ag_dmarc_domain_valid(""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_record),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_not_dmarc),
		cmocka_unit_test(test_fallback_with_rua),
		cmocka_unit_test(test_lenient_pieces),
		cmocka_unit_test(test_policy_for),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_tag_values),
		cmocka_unit_test(test_is_dmarc_and_domains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
