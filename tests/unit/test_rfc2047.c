/*
 * tests/unit/test_rfc2047.c - policy/rfc2047: header text decoded for
 * rules: B and Q words, charsets, adjacent words, folding, malformed
 * words kept, bounded output
 *
 * Each table row is one labelled case; a failure prints
 * "case <label>: got <x>, want <y>" and the test fails after the table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/rfc2047.h"

static const struct {
	const char *label, *in, *want;
} cases[] = {
	{ "plain", "Hello world", "Hello world" },
	{ "B utf-8", "=?UTF-8?B?4oKsIDEwMA==?=", "€ 100" },
	{ "Q latin-1", "=?ISO-8859-1?Q?Gr=FC=DFe?=", "Grüße" },
	{ "Q underscore", "=?utf-8?q?a_b?=", "a b" },
	{ "lower-case encoding and charset", "=?iso-8859-15?b?pA==?=", "€" },
	{ "text around", "Re: =?UTF-8?Q?caf=C3=A9?= now", "Re: café now" },
	{ "adjacent words joined", "=?UTF-8?Q?a?= =?UTF-8?Q?b?=", "ab" },
	{ "adjacent folded words joined", "=?UTF-8?Q?a?=\r\n =?UTF-8?Q?b?=",
	  "ab" },
	{ "folding unfolded", "one\r\n two\n\tthree", "one two\tthree" },
	{ "language suffix", "=?UTF-8*en?Q?hi?=", "hi" },
	{ "unknown charset bytes kept", "=?x-nope?Q?a=E9?=", "a?" },
	{ "malformed kept", "=?UTF-8?X?abc?=", "=?UTF-8?X?abc?=" },
	{ "unterminated kept", "=?UTF-8?Q?abc", "=?UTF-8?Q?abc" },
	{ "space inside word is not a word", "=?UTF-8?Q?a b?=",
	  "=?UTF-8?Q?a b?=" },
	{ "invalid utf-8 replaced", "=?UTF-8?B?/w==?=", "?" },
	{ "koi8-r", "=?KOI8-R?B?8NLJ18XU?=", "Привет" },
	{ "windows-1252", "=?windows-1252?Q?=93x=94?=", "“x”" },
};

static void
test_table(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[256];

		ag_rfc2047_decode(cases[i].in, strlen(cases[i].in), out,
				  sizeof(out));
		if (strcmp(out, cases[i].want) != 0) {
			printf("case %s: got \"%s\", want \"%s\"\n",
			       cases[i].label, out, cases[i].want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* bounded: output never past size, always terminated, any input */
static void
test_bounds(void **state)
{
	char out[8], big[4096];
	size_t n;

	(void)state;
	n = ag_rfc2047_decode("=?UTF-8?Q?abcdefghijkl?=", 24, out, sizeof(out));
	assert_true(n < sizeof(out));
	assert_int_equal(strlen(out), n);
	n = ag_rfc2047_decode("abcdefghijkl", 12, out, sizeof(out));
	assert_string_equal(out, "abcdefg");
	srand(7);
	for (int round = 0; round < 500; round++) {
		size_t len = (size_t)(rand() % (int)sizeof(big));

		for (size_t k = 0; k < len; k++)
			big[k] = "=?QqBb_ \r\n\tA9+/\xff\x80u"[rand() % 18];
		n = ag_rfc2047_decode(big, len, out, sizeof(out));
		assert_true(n < sizeof(out));
		assert_int_equal(strlen(out), n);
	}
	/* the length given is honoured: no read past it */
	n = ag_rfc2047_decode("abc=?UTF-8?Q?x?=", 3, out, sizeof(out));
	assert_string_equal(out, "abc");
}

static void
test_charset(void **state)
{
	char out[32];

	(void)state;
	ag_charset_to_utf8("iso-8859-1", "\xe9t\xe9", 3, out, sizeof(out));
	assert_string_equal(out, "été");
	ag_charset_to_utf8("no-such-charset", "a\xe9", 2, out, sizeof(out));
	assert_string_equal(out, "a?");
	ag_charset_to_utf8(NULL, "ok \xc3\xa9", 5, out, sizeof(out));
	assert_string_equal(out, "ok é");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_charset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
