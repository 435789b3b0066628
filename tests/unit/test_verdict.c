/*
 * tests/unit/test_verdict.c - policy/verdict: turning the MAIL FROM SPF
 * outcome into accept / tempfail / reject under SPFFailAction and
 * SPFTempErrorAction, with reply text safe for libmilter, and the rule that
 * the strictest outcome wins.
 *
 * Each table row is one labelled case; a failure prints
 * "case <label>: got <x>, want <y>" and the test fails after the table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "policy/verdict.h"

struct spf_case {
	const char *label;
	int fail_reject;
	int temperror_tempfail;
	enum ag_spf_result result;
	const char *domain;
	const char *explanation;
	enum ag_action want_action;
	const char *want_rcode;		/* "" when accepted */
	const char *want_xcode;
	const char *want_reason;
	const char *want_in_text;	/* substring of the reply text */
};

static const struct spf_case spf_cases[] = {
	{ "fail with reject", 1, 0, AG_SPF_FAIL, "example.com", "",
	  AG_ACTION_REJECT, "550", "5.7.23", "spf-fail", "example.com" },
	{ "fail with reject and explanation", 1, 0, AG_SPF_FAIL,
	  "example.com", "see https://example.com/spf", AG_ACTION_REJECT,
	  "550", "5.7.23", "spf-fail", "example.com: see https://example.com" },
	{ "fail with both keys", 1, 1, AG_SPF_FAIL, "example.com", "",
	  AG_ACTION_REJECT, "550", "5.7.23", "spf-fail", "example.com" },
	{ "fail with mark", 0, 0, AG_SPF_FAIL, "example.com", "",
	  AG_ACTION_ACCEPT, "", "", "", "" },
	{ "fail with mark, temperror tempfail", 0, 1, AG_SPF_FAIL,
	  "example.com", "", AG_ACTION_ACCEPT, "", "", "", "" },
	{ "temperror with tempfail", 0, 1, AG_SPF_TEMPERROR, "example.com",
	  "", AG_ACTION_TEMPFAIL, "451", "4.7.24", "spf-temperror",
	  "example.com" },
	{ "temperror with both keys", 1, 1, AG_SPF_TEMPERROR, "example.com",
	  "", AG_ACTION_TEMPFAIL, "451", "4.7.24", "spf-temperror",
	  "example.com" },
	{ "temperror with accept", 1, 0, AG_SPF_TEMPERROR, "example.com", "",
	  AG_ACTION_ACCEPT, "", "", "", "" },
	{ "pass", 1, 1, AG_SPF_PASS, "example.com", "", AG_ACTION_ACCEPT, "",
	  "", "", "" },
	{ "none", 1, 1, AG_SPF_NONE, "example.com", "", AG_ACTION_ACCEPT, "",
	  "", "", "" },
	{ "softfail", 1, 1, AG_SPF_SOFTFAIL, "example.com", "",
	  AG_ACTION_ACCEPT, "", "", "", "" },
	{ "neutral", 1, 1, AG_SPF_NEUTRAL, "example.com", "",
	  AG_ACTION_ACCEPT, "", "", "", "" },
	{ "permerror", 1, 1, AG_SPF_PERMERROR, "example.com",
	  "syntax error", AG_ACTION_ACCEPT, "", "", "", "" },
};

/* hostile domain and explanation text: cleaned, never passed raw */
static const struct spf_case spf_hostile[] = {
	{ "explanation with percent", 1, 0, AG_SPF_FAIL, "example.com",
	  "%{i} is not one of %s 100%", AG_ACTION_REJECT, "550", "5.7.23",
	  "spf-fail", "?{i} is not one of ?s 100?" },
	{ "explanation with CRLF", 1, 0, AG_SPF_FAIL, "example.com",
	  "no\r\n250 2.0.0 Ok", AG_ACTION_REJECT, "550", "5.7.23", "spf-fail",
	  "no??250 2.0.0 Ok" },
	{ "explanation with NUL-free controls", 1, 0, AG_SPF_FAIL,
	  "example.com", "a\x1b[2Jb\x7f\tc", AG_ACTION_REJECT, "550", "5.7.23",
	  "spf-fail", "a?[2Jb??c" },
	{ "explanation 8-bit", 1, 0, AG_SPF_FAIL, "example.com",
	  "caf\xc3\xa9 \xff", AG_ACTION_REJECT, "550", "5.7.23", "spf-fail",
	  "caf?" "? ?" },
	{ "domain with percent", 1, 0, AG_SPF_FAIL, "ex%ample.com", "",
	  AG_ACTION_REJECT, "550", "5.7.23", "spf-fail", "ex?ample.com" },
	{ "domain with CRLF on temperror", 0, 1, AG_SPF_TEMPERROR,
	  "example.com\r\nX: y", "", AG_ACTION_TEMPFAIL, "451", "4.7.24",
	  "spf-temperror", "example.com??X: y" },
	{ "domain with percent on temperror", 0, 1, AG_SPF_TEMPERROR,
	  "%n%n%n.example", "", AG_ACTION_TEMPFAIL, "451", "4.7.24",
	  "spf-temperror", "?n?n?n.example" },
	{ "long explanation", 1, 0, AG_SPF_FAIL, "example.com", NULL,
	  AG_ACTION_REJECT, "550", "5.7.23", "spf-fail", "example.com" },
	{ "long domain", 0, 1, AG_SPF_TEMPERROR, NULL, "",
	  AG_ACTION_TEMPFAIL, "451", "4.7.24", "spf-temperror", "aaaaaaaa" },
	{ "result out of range", 1, 1, (enum ag_spf_result)42, "example.com",
	  "", AG_ACTION_ACCEPT, "", "", "", "" },
	{ "permerror with hostile explanation", 1, 1, AG_SPF_PERMERROR,
	  "example.com", "%s\r\n", AG_ACTION_ACCEPT, "", "", "", "" },
	{ "softfail with hostile domain", 1, 1, AG_SPF_SOFTFAIL,
	  "a\r\nb%", "", AG_ACTION_ACCEPT, "", "", "", "" },
	{ "neutral with long explanation", 1, 1, AG_SPF_NEUTRAL,
	  "example.com", NULL, AG_ACTION_ACCEPT, "", "", "", "" },
	{ "none with empty domain", 1, 1, AG_SPF_NONE, "", "",
	  AG_ACTION_ACCEPT, "", "", "", "" },
};

/* text_safe - printable ASCII without '%', NUL-terminated in the field */
static bool
text_safe(const char *t, size_t size)
{
	size_t n = strnlen(t, size);

	if (n == size)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c < 0x20 || c >= 0x7f || c == '%')
			return false;
	}
	return true;
}

/* outcome_fill - the outcome for a row; NULL fields mean "as long as
 * the field allows" */
static void
outcome_fill(const struct spf_case *c, struct ag_spf_outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->result = c->result;
	if (c->domain != NULL)
		snprintf(o->domain, sizeof(o->domain), "%s", c->domain);
	else
		memset(o->domain, 'a', sizeof(o->domain) - 1);
	if (c->explanation != NULL)
		snprintf(o->explanation, sizeof(o->explanation), "%s",
			 c->explanation);
	else
		memset(o->explanation, 'e', sizeof(o->explanation) - 1);
}

/* spf_run - apply one row to a fresh verdict; returns 1 on failure */
static int
spf_run(const struct spf_case *c)
{
	struct ag_policy_spf_config cfg = { c->fail_reject,
					    c->temperror_tempfail };
	struct ag_spf_outcome o;
	struct ag_verdict v;
	int bad = 0;

	outcome_fill(c, &o);
	ag_verdict_init(&v);
	ag_policy_spf(&cfg, &o, &v);
	if (v.action != c->want_action) {
		print_error("case %s: got action %s, want %d\n", c->label,
			    ag_verdict_name(&v), (int)c->want_action);
		bad = 1;
	}
	if (strcmp(v.rcode, c->want_rcode) != 0 ||
	    strcmp(v.xcode, c->want_xcode) != 0) {
		print_error("case %s: got code '%s %s', want '%s %s'\n",
			    c->label, v.rcode, v.xcode, c->want_rcode,
			    c->want_xcode);
		bad = 1;
	}
	if (v.reason == NULL || strcmp(v.reason, c->want_reason) != 0) {
		print_error("case %s: got reason '%s', want '%s'\n", c->label,
			    v.reason != NULL ? v.reason : "(null)",
			    c->want_reason);
		bad = 1;
	}
	if (!text_safe(v.text, sizeof(v.text))) {
		print_error("case %s: got unsafe text '%.*s', want printable "
			    "ASCII without '%%'\n", c->label,
			    (int)sizeof(v.text), v.text);
		bad = 1;
	} else if (strstr(v.text, c->want_in_text) == NULL ||
		   (c->want_action == AG_ACTION_ACCEPT && v.text[0] != '\0')) {
		print_error("case %s: got text '%s', want it %s '%s'\n",
			    c->label, v.text,
			    c->want_action == AG_ACTION_ACCEPT ? "empty, not"
							       : "to contain",
			    c->want_in_text);
		bad = 1;
	}
	return bad;
}

static void
test_verdict_spf_actions(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(spf_cases) / sizeof(spf_cases[0]); i++)
		failed += (unsigned)spf_run(&spf_cases[i]);
	assert_int_equal(failed, 0);
}

static void
test_verdict_spf_text_is_cleaned(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(spf_hostile) / sizeof(spf_hostile[0]);
	     i++)
		failed += (unsigned)spf_run(&spf_hostile[i]);
	assert_int_equal(failed, 0);
}

static void
test_verdict_null_outcome_changes_nothing(void **state)
{
	struct ag_policy_spf_config cfg = { 1, 1 };
	struct ag_spf_outcome fail;
	struct ag_verdict v, before;
	unsigned failed = 0;

	(void)state;
	ag_verdict_init(&v);
	before = v;
	ag_policy_spf(&cfg, NULL, &v);
	if (memcmp(&v, &before, sizeof(v)) != 0 ||
	    v.action != AG_ACTION_ACCEPT) {
		print_error("case accept stays: got %s, want accept "
			    "unchanged\n", ag_verdict_name(&v));
		failed++;
	}
	memset(&fail, 0, sizeof(fail));
	fail.result = AG_SPF_FAIL;
	snprintf(fail.domain, sizeof(fail.domain), "example.com");
	ag_policy_spf(&cfg, &fail, &v);
	before = v;
	ag_policy_spf(&cfg, NULL, &v);
	if (memcmp(&v, &before, sizeof(v)) != 0 ||
	    v.action != AG_ACTION_REJECT) {
		print_error("case reject stays: got %s, want reject "
			    "unchanged\n", ag_verdict_name(&v));
		failed++;
	}
	assert_int_equal(failed, 0);
}

struct seq_case {
	const char *label;
	enum ag_spf_result first, second;
	const char *second_domain;
	enum ag_action want_action;
	const char *want_rcode;
	const char *want_reason;
	const char *want_in_text;
};

static void
test_verdict_strictest_wins(void **state)
{
	static const struct seq_case cases[] = {
		{ "reject not downgraded by tempfail", AG_SPF_FAIL,
		  AG_SPF_TEMPERROR, "other.example", AG_ACTION_REJECT, "550",
		  "spf-fail", "first.example" },
		{ "reject not downgraded by pass", AG_SPF_FAIL, AG_SPF_PASS,
		  "other.example", AG_ACTION_REJECT, "550", "spf-fail",
		  "first.example" },
		{ "tempfail hardened to reject", AG_SPF_TEMPERROR, AG_SPF_FAIL,
		  "other.example", AG_ACTION_REJECT, "550", "spf-fail",
		  "other.example" },
		{ "tempfail not downgraded by pass", AG_SPF_TEMPERROR,
		  AG_SPF_PASS, "other.example", AG_ACTION_TEMPFAIL, "451",
		  "spf-temperror", "first.example" },
		{ "second reject keeps the first text", AG_SPF_FAIL,
		  AG_SPF_FAIL, "other.example", AG_ACTION_REJECT, "550",
		  "spf-fail", "first.example" },
		{ "second tempfail keeps the first text", AG_SPF_TEMPERROR,
		  AG_SPF_TEMPERROR, "other.example", AG_ACTION_TEMPFAIL, "451",
		  "spf-temperror", "first.example" },
	};
	struct ag_policy_spf_config cfg = { 1, 1 };
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct seq_case *c = &cases[i];
		struct ag_spf_outcome a, b;
		struct ag_verdict v;

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		a.result = c->first;
		snprintf(a.domain, sizeof(a.domain), "first.example");
		b.result = c->second;
		snprintf(b.domain, sizeof(b.domain), "%s", c->second_domain);
		ag_verdict_init(&v);
		ag_policy_spf(&cfg, &a, &v);
		ag_policy_spf(&cfg, &b, &v);
		if (v.action != c->want_action ||
		    strcmp(v.rcode, c->want_rcode) != 0 ||
		    strcmp(v.reason, c->want_reason) != 0 ||
		    strstr(v.text, c->want_in_text) == NULL) {
			print_error("case %s: got %s %s %s '%s', want %d %s "
				    "%s with '%s'\n", c->label,
				    ag_verdict_name(&v), v.rcode, v.reason,
				    v.text, (int)c->want_action,
				    c->want_rcode, c->want_reason,
				    c->want_in_text);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

struct name_case {
	const char *label;
	enum ag_action action;
	const char *want;
};

static void
test_verdict_init_and_names(void **state)
{
	static const struct name_case cases[] = {
		{ "accept", AG_ACTION_ACCEPT, "accept" },
		{ "tempfail", AG_ACTION_TEMPFAIL, "tempfail" },
		{ "reject", AG_ACTION_REJECT, "reject" },
	};
	struct ag_verdict v;
	unsigned failed = 0;

	(void)state;
	memset(&v, 0x55, sizeof(v));
	ag_verdict_init(&v);
	if (v.action != AG_ACTION_ACCEPT || v.rcode[0] != '\0' ||
	    v.xcode[0] != '\0' || v.text[0] != '\0' || v.reason == NULL ||
	    v.reason[0] != '\0') {
		print_error("case init: got %s '%s' '%s', want accept with "
			    "empty fields\n", ag_verdict_name(&v), v.rcode,
			    v.text);
		failed++;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v.action = cases[i].action;
		if (strcmp(ag_verdict_name(&v), cases[i].want) != 0) {
			print_error("case %s: got '%s', want '%s'\n",
				    cases[i].label, ag_verdict_name(&v),
				    cases[i].want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_spf_actions),
		cmocka_unit_test(test_verdict_spf_text_is_cleaned),
		cmocka_unit_test(test_verdict_null_outcome_changes_nothing),
		cmocka_unit_test(test_verdict_strictest_wins),
		cmocka_unit_test(test_verdict_init_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
