/*
 * tests/unit/test_dmarc_from.c - dmarc/from.c (cmocka)
 *
 * A table of From values, each with the single author domain it must give
 * ("" when there is none) and the number of addresses; the shapes behind
 * OpenDMARC's CVE-2019-16378 (several addresses) and CVE-2021-34555 (odd
 * or empty addresses) among them; then limits and random input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dmarc/from.h"

struct from_case {
	const char *label, *value, *domain;
	unsigned count;
};

static const struct from_case cases[] = {
	{ "plain", "user@example.com", "example.com", 1 },
	{ "name-addr", "Sample User <user@example.com>", "example.com", 1 },
	{ "quoted name", "\"User, Sample\" <user@example.com>", "example.com",
	  1 },
	{ "upper case domain", "<user@EXAMPLE.Com>", "example.com", 1 },
	{ "trailing dot", "<user@example.com.>", "example.com", 1 },
	{ "folded", "Sample\r\n User\r\n\t<user@example.com>", "example.com",
	  1 },
	{ "comment after", "user@example.com (Sample User)", "example.com", 1 },
	{ "nested comment", "user@example.com (a (b (c@evil.test)) d)",
	  "example.com", 1 },
	{ "address in the display name",
	  "\"ceo@bank.example\" <evil@attacker.test>", "attacker.test", 1 },
	{ "address in a comment", "evil@attacker.test (ceo@bank.example)",
	  "attacker.test", 1 },
	{ "angle brackets in a quoted name",
	  "\"<ceo@bank.example>\" <evil@attacker.test>", "attacker.test", 1 },
	{ "encoded word with @ in the name",
	  "=?utf-8?q?ceo@bank.example?= <evil@attacker.test>",
	  "attacker.test", 1 },
	{ "quoted local part with @", "\"a@bank.example\"@attacker.test",
	  "attacker.test", 1 },
	{ "two domains (CVE-2019-16378)", "a@bank.example, b@attacker.test",
	  "", 2 },
	{ "two addresses, one domain", "a@example.com, B <b@Example.com>",
	  "example.com", 2 },
	{ "group", "Team: a@example.com, b@example.com;", "example.com", 2 },
	{ "group, two domains", "Team: a@example.com, b@attacker.test;", "",
	  2 },
	{ "empty group", "undisclosed-recipients:;", "", 0 },
	{ "empty angle (CVE-2021-34555 shape)", "<>", "", 1 },
	{ "no address", "\"Test 1.1.5\"", "", 1 },
	{ "no domain", "user@", "", 1 },
	{ "no local part: the domain still counts", "@example.com",
	  "example.com", 1 },
	{ "domain literal", "user@[192.0.2.1]", "", 1 },
	{ "single label", "user@localhost", "", 1 },
	{ "bad label", "user@exa_mple..com", "", 1 },
	{ "obs-route", "<@relay.test,@r2.test:user@example.com>",
	  "example.com", 1 },
	{ "IDN U-label", "user@bücher.example", "xn--bcher-kva.example", 1 },
	{ "IDN invalid", "user@\xff\xfe.example", "", 1 },
	{ "unterminated quote", "\"Sample <user@example.com>", "", 1 },
	{ "unterminated comment", "user@example.com (oops", "example.com",
	  1 },
	{ "unterminated angle", "Sample <user@example.com", "example.com",
	  1 },
	{ "empty value", "", "", 0 },
	{ "spaces only", "   ", "", 0 },
	{ "comma only", ",", "", 0 },
	{ "domain split by a comment", "user@example(x).com", "", 1 },
	{ "second angle address after the first",
	  "<evil@attacker.test> <ceo@bank.example>", "", 2 },
	{ "addr-spec after an angle address",
	  "<ceo@bank.example> evil@attacker.test", "", 2 },
	{ "angle soup", "<<<a@example.com>>> <ceo@bank.example", "", 2 },
	{ "the same address twice, no comma",
	  "<a@example.com> <b@example.com>", "example.com", 2 },
	{ "words after the angle address", "<a@example.com> trailing words",
	  "example.com", 1 },
};

static void
test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct from_case *c = &cases[i];
		struct ag_dmarc_from res;
		struct ag_err err = { 0, "" };
		const char *d;

		assert_int_equal(ag_dmarc_from_parse(c->value, strlen(c->value),
						     &res, &err),
				 AG_OK);
		d = ag_dmarc_from_single_domain(&res);
		if (strcmp(d != NULL ? d : "", c->domain) != 0)
			fail_msg("%s: domain '%s', want '%s'", c->label,
				 d != NULL ? d : "", c->domain);
		if (res.count != c->count)
			fail_msg("%s: %u addresses, want %u", c->label,
				 res.count, c->count);
	}
}

static void
test_syntax_flags(void **state)
{
	struct ag_dmarc_from res;
	struct ag_err err = { 0, "" };

	(void)state;
	assert_int_equal(ag_dmarc_from_parse("A <a@example.com>", 17, &res,
					     &err),
			 AG_OK);
	assert_false(res.syntax_error);
	assert_int_equal(ag_dmarc_from_parse("a@b@example.com", 15, &res,
					     &err),
			 AG_OK);
	assert_true(res.syntax_error);
	assert_int_equal(ag_dmarc_from_parse("a@example.com\0b@evil.test", 25,
					     &res, &err),
			 AG_OK);
	assert_true(res.syntax_error);
	assert_int_equal(res.count, 1);	/* nothing after the NUL */
	assert_int_equal(ag_dmarc_from_parse(NULL, 0, &res, &err), AG_EINVAL);
}

static void
test_limits(void **state)
{
	struct ag_dmarc_from res;
	struct ag_err err = { 0, "" };
	size_t size = 200000, o = 0;
	char *big = malloc(size);

	(void)state;
	assert_non_null(big);
	/* 1000 addresses: counted, 16 kept, never one author domain */
	for (int i = 0; i < 1000; i++)
		o += (size_t)snprintf(big + o, size - o, "%sa%d@example.com",
				      i ? ", " : "", i);
	assert_int_equal(ag_dmarc_from_parse(big, o, &res, &err), AG_OK);
	assert_int_equal(res.count, 1000);
	assert_true(res.truncated);
	assert_null(ag_dmarc_from_single_domain(&res));
	/* a 100 000-byte display name */
	memset(big, 'x', 100000);
	memcpy(big + 100000, " <a@example.com>", 16);
	assert_int_equal(ag_dmarc_from_parse(big, 100016, &res, &err), AG_OK);
	assert_true(res.truncated);
	assert_null(ag_dmarc_from_single_domain(&res));
	/* comments nested past the limit */
	o = (size_t)snprintf(big, size, "a@example.com ");
	for (int i = 0; i < 1000; i++)
		big[o++] = '(';
	assert_int_equal(ag_dmarc_from_parse(big, o, &res, &err), AG_OK);
	assert_true(res.syntax_error);
	free(big);
}

static void
test_random(void **state)
{
	static const char alphabet[] = "ab@<>()\",;:.[]\\ \t\r\n=?\x80\xc3";
	struct ag_dmarc_from res;
	struct ag_err err = { 0, "" };
	char buf[128];

	(void)state;
	srand(11);
	for (int i = 0; i < 50000; i++) {
		size_t n = (size_t)(rand() % (int)sizeof(buf));

		for (size_t j = 0; j < n; j++)
			buf[j] = alphabet[rand() % (int)(sizeof(alphabet) - 1)];
		assert_int_equal(ag_dmarc_from_parse(buf, n, &res, &err), AG_OK);
		const char *d = ag_dmarc_from_single_domain(&res);
		if (d != NULL)
			assert_true(strchr(d, '@') == NULL &&
				    strchr(d, '<') == NULL);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_syntax_flags),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
