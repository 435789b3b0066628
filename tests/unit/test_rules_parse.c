/*
 * tests/unit/test_rules_parse.c - policy/rules parser: every error message
 * with its origin:line:column, and the forms that must compile
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
#include <unistd.h>

#include <cmocka.h>

#include "policy/rules.h"

struct err_case {
	const char *label;
	const char *text;
	const char *want;	/* substring of the error, with position */
};

static const struct err_case err_cases[] = {
	{ "top-level junk", "hello", "t:1:1: expected rule, list, dnsbl, "
				     "threshold or tag, found \"hello\"" },
	{ "bad character", "rule a { if helo == \"x\" } $",
	  "t:1:27: unexpected character" },
	{ "string not closed", "rule a { if helo == \"x }",
	  "t:1:21: string not closed on this line" },
	{ "bad escape", "rule a { if helo == \"\\q\" }",
	  "unknown escape in string" },
	{ "regex not closed", "rule a { if helo =~ /abc }",
	  "t:1:21: regular expression not closed with / on this line" },
	{ "regex bad flag", "rule a { if helo =~ /abc/q }",
	  "unknown regular expression flag (use i, m, s, x)" },
	{ "regex bad pattern", "rule a { if helo =~ /a(b/ }",
	  "t:1:21: bad regular expression: missing closing parenthesis" },
	{ "listref without name", "rule a { if helo in @ }",
	  "a list name must follow @" },
	{ "rule without name", "rule { }",
	  "t:1:6: a rule needs a name" },
	{ "rule twice", "rule a { }\nrule a { }",
	  "t:2:6: rule a is already defined at t:1" },
	{ "rule missing brace", "rule a if", "t:1:8: expected \"{\", found "
					      "\"if\"" },
	{ "rule not closed", "rule a {\n score 1\n",
	  "t:3:1: rule a not closed with }" },
	{ "if twice", "rule a { if tls if tls }",
	  "t:1:17: if must come first in a rule, once" },
	{ "if after action", "rule a { tag if tls }",
	  "if must come first in a rule, once" },
	{ "score twice", "rule a { score 1 score 2 }", "t:1:18: score given "
							 "twice" },
	{ "score not number", "rule a { score x }",
	  "t:1:16: score needs a number between -10000 and 10000" },
	{ "score too big", "rule a { score 20000 }",
	  "score needs a number between -10000 and 10000" },
	{ "unknown action", "rule a { explode }",
	  "t:1:10: unknown action or keyword \"explode\"" },
	{ "action not word", "rule a { \"x\" }",
	  "t:1:10: expected if, score or an action, found \"a string\"" },
	{ "unknown fact", "rule a { if hello is x }",
	  "t:1:13: unknown fact \"hello\"" },
	{ "fact missing", "rule a { if == x }",
	  "t:1:13: expected a fact name, found \"==\"" },
	{ "header needs name", "rule a { if header is x }",
	  "t:1:20: header needs a \"name\" after it" },
	{ "header bad name", "rule a { if header \"a b\" is x }",
	  "not a header field name" },
	{ "number with is", "rule a { if size is 3 }",
	  "size is a number: use == < > ..." },
	{ "number compare text", "rule a { if helo > 3 }",
	  "helo is not a number: < > <= >= compare numbers" },
	{ "number over range", "rule a { if size > 9000000000000G }",
	  "t:1:20: expected a number, found \"9000000000000G\"" },
	{ "number over range, M", "rule a { if size > 515605921473200M }",
	  "expected a number" },
	{ "regex on number", "rule a { if size =~ /1/ }",
	  "size is not text: no regular expressions" },
	{ "list on bool", "rule a { if tls in { yes } }",
	  "tls is not text: no lists" },
	{ "bool value", "rule a { if tls is maybe }",
	  "tls is yes or no, not \"maybe\"" },
	{ "number expected", "rule a { if size > big }",
	  "t:1:20: expected a number, found \"big\"" },
	{ "text expected", "rule a { if helo is ( }",
	  "expected a \"string\" to compare with, found \"(\"" },
	{ "regex expected", "rule a { if helo =~ \"x\" }",
	  "expected a /regular expression/, found \"a string\"" },
	{ "not without in", "rule a { if helo not is x }",
	  "expected in or contains after not" },
	{ "in without list", "rule a { if helo in x }",
	  "expected @list or { entries } after in" },
	{ "unknown list", "rule a { if helo in @nope }",
	  "t:1:21: no list named nope (define it with \"list\" before use)" },
	{ "cidr list on text", "list n cidr { 10.0.0.0/8 }\n"
			       "rule a { if helo in @n }",
	  "t:2:21: list n holds networks; helo is not an address" },
	{ "text list on address", "list n strings { a }\n"
				  "rule a { if client.ip in @n }",
	  "client.ip is an address: use a cidr list" },
	{ "contains unknown list", "rule a { if helo contains @zz }",
	  "no list named zz" },
	{ "contains cidr list", "list n cidr { ::1 }\n"
				"rule a { if helo contains @n }",
	  "list n holds networks: contains needs strings or domains" },
	{ "group not closed", "rule a { if (tls and auth }",
	  "t:1:27: expected \")\", found \"}\"" },
	{ "any unknown", "rule a { if any rcpt ( tls ) }",
	  "t:1:17: any takes dkim or attachment, not \"rcpt\"" },
	{ "any nested", "rule a { if any dkim ( any dkim ( aligned ) ) }",
	  "any (...) cannot nest" },
	{ "any wrong scope", "rule a { if any dkim ( attachment.name is x ) }",
	  "attachment.name cannot be used inside this any (...)" },
	{ "too deep", NULL, "condition nested deeper than 64" },
	{ "reply code class", "rule a { reject 450 4.7.1 \"x\" }",
	  "t:1:17: reply code must be 5XX, not \"450\"" },
	{ "tempfail code class", "rule a { tempfail 550 5.7.1 \"x\" }",
	  "reply code must be 4XX" },
	{ "enhanced code", "rule a { reject 550 \"x\" }",
	  "t:1:21: enhanced status code must follow the reply code, like "
	  "5.7.1" },
	{ "reply not string", "rule a { redirect x }",
	  "redirect needs a \"string\", found \"x\"" },
	{ "unknown variable", "rule a { reject \"${nope}\" }",
	  "t:1:17: unknown variable ${nope} in text" },
	{ "variable not closed", "rule a { reject \"${score\" }",
	  "${ without a closing } in text" },
	{ "variable with argument", "rule a { reject \"${header}\" }",
	  "unknown variable ${header} in text" },
	{ "add-header name", "rule a { add-header \"A:B\" \"v\" }",
	  "a header field name in quotes must follow (printable, no colon)" },
	{ "override reason", "rule a { dmarc-override because }",
	  "t:1:25: dmarc-override needs one of forwarded, sampled_out, "
	  "trusted_forwarder, mailing_list, local_policy, other" },
	{ "too many actions", "rule a { tag tag tag tag tag tag tag tag tag "
			      "tag tag tag tag tag tag tag tag }",
	  "more than 16 actions in one rule" },
	{ "list no name", "list { }", "t:1:6: a list needs a name" },
	{ "list twice", "list a strings { x }\nlist a strings { y }",
	  "t:2:6: list a is already defined" },
	{ "list type", "list a words { x }",
	  "t:1:8: list type must be strings, domains or cidr, not \"words\"" },
	{ "list body", "list a strings ( x )",
	  "expected { entries } or file \"path\" after the list type" },
	{ "list not closed", "list a strings { x", "list not closed with }" },
	{ "list brace", "list a strings { x { }", "unexpected \"{\" in a list" },
	{ "bad cidr", "list a cidr { 10.0.0.1/8 }",
	  "t:1:15: \"10.0.0.1/8\" is not an address or network" },
	{ "bad domain", "list a domains { exa..mple }",
	  "\"exa..mple\" is not a domain name" },
	{ "list file path", "list a strings file nope",
	  "file needs a \"path\"" },
	{ "list file missing", "list a strings file \"/nonexistent/x\"",
	  "list file /nonexistent/x: No such file or directory" },
	{ "dnsbl no name", "dnsbl { }", "a dnsbl needs a name" },
	{ "dnsbl of", "dnsbl z body \"zen\" { }",
	  "t:1:9: dnsbl looks up ip, helo, client.name, from.domain or "
	  "env.from.domain, not \"body\"" },
	{ "dnsbl zone", "dnsbl z ip zen { }",
	  "dnsbl needs its zone as a \"domain\"" },
	{ "dnsbl zone chars", "dnsbl z ip \"ze n\" { }",
	  "dnsbl needs its zone as a \"domain\"" },
	{ "dnsbl twice", "dnsbl z ip \"a.example\" { }\n"
			 "dnsbl z ip \"b.example\" { }",
	  "t:2:7: dnsbl z is already defined" },
	{ "dnsbl code", "dnsbl z ip \"a.example\" { 300.1.1.1 score 1 }",
	  "expected a return code like 127.0.0.2, a range, any, or }" },
	{ "dnsbl score word", "dnsbl z ip \"a.example\" { any 3 }",
	  "expected \"score\", found \"3\"" },
	{ "dnsbl score value", "dnsbl z ip \"a.example\" { any score x }",
	  "score needs a number" },
	{ "dnsbl range", "dnsbl z ip \"a.example\" { 127.0.0.5 - 127.0.0.2 "
			 "score 1 }",
	  "range end must be an address not below its start" },
	{ "dnsbl unknown", "rule a { if dnsbl \"zz\" }",
	  "t:1:19: no dnsbl named zz (declare it before use)" },
	{ "threshold action", "threshold accept 5",
	  "threshold takes tag, redirect, quarantine, tempfail, discard or "
	  "reject" },
	{ "threshold score", "threshold tag x", "threshold needs a score" },
	{ "threshold twice", "threshold tag 5\nthreshold tag 6",
	  "t:2:11: threshold tag is already set" },
	{ "threshold bad action", "threshold add-header 5",
	  "unknown threshold action \"add-header\"" },
	{ "tag twice", "tag { subject-prefix \"x\" }\ntag { }",
	  "tag block given twice" },
	{ "tag header name", "tag { header X \"v\" }",
	  "header needs a field name in quotes" },
	{ "tag junk", "tag { colour \"red\" }",
	  "expected header, subject-prefix or } in the tag block, found "
	  "\"colour\"" },
	{ "tag too many", "tag { header \"a\" \"1\" header \"b\" \"1\" "
			  "header \"c\" \"1\" header \"d\" \"1\" header \"e\" "
			  "\"1\" header \"f\" \"1\" header \"g\" \"1\" header "
			  "\"h\" \"1\" header \"i\" \"1\" }",
	  "more than 8 tag headers" },
};

static void
test_errors(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *c = &err_cases[i];
		struct ag_rules *r = NULL;
		struct ag_err err = { 0, "" };
		char deep[1024];
		const char *text = c->text;
		int rc;

		if (text == NULL) {
			/* 70 nested "not" */
			size_t o = (size_t)snprintf(deep, sizeof(deep),
						    "rule a { if ");
			for (int k = 0; k < 70; k++)
				o += (size_t)snprintf(deep + o, sizeof(deep) - o,
						      "not ");
			snprintf(deep + o, sizeof(deep) - o, "tls }");
			text = deep;
		}
		assert_int_equal(ag_rules_new(&r), AG_OK);
		rc = ag_rules_parse_text(r, text, "t", &err);
		if (rc == AG_OK || strstr(err.msg, c->want) == NULL) {
			printf("case %s: got %d \"%s\", want \"%s\"\n", c->label,
			       rc, err.msg, c->want);
			failed++;
		}
		ag_rules_free(&r);
	}
	assert_int_equal(failed, 0);
}

static const char *const ok_cases[] = {
	"",
	"# only a comment\n",
	"rule a { }",
	"rule a.b-c_d { score -2.5 }",
	"rule a { if tls and not auth or (helo is \"x\" and size > 10K) "
	"tag }",
	"rule a { if client.ip in { 192.0.2.0/24, 2001:db8::/32 ::1 } "
	"accept }",
	"rule a { if from.domain in { example.com *.example.net .x.org } "
	"score 1 }",
	"rule a { if header \"X-Mailer\" =~ /^Foo\\/[0-9]+/imsx score 1 }",
	"rule a { if header.raw \"Subject\" contains \"=?utf-8?\" score 1 }",
	"rule a { if header.count \"Received\" >= 20 score 1 }",
	"rule a { if any dkim ( result is pass and aligned and not length ) "
	"score -1 }",
	"rule a { if any attachment ( name =~ /\\.exe$/i or type is "
	"\"application/x-msdownload\" ) reject }",
	"rule a { if subject is not \"hi\" and body !~ /x/ and helo != \"h\" "
	"score 1 }",
	"rule a { if env.rcpt not in { a@b.example } tempfail }",
	"rule a { reject 554 5.7.0 \"No (${score}) ${rules} ${action} "
	"${from.domain}\" }",
	"rule a { tempfail 421 4.3.2 \"later\" }",
	"rule a { quarantine quarantine \"why\" redirect \"q@x.example\" "
	"discard }",
	"rule a { add-header \"X-A\" \"${score}\" remove-header \"X-B\" }",
	"rule a { dmarc-override mailing_list }",
	"dnsbl zen ip \"zen.example\" { 127.0.0.2 score 5 127.0.0.4 - "
	"127.0.0.7 score 3 any score 0.5 }\nrule a { if dnsbl \"zen\" is "
	"\"127.0.0.2\" score 1 }",
	"dnsbl d from.domain \"dbl.example\" { any score 5 }",
	"threshold tag 5\nthreshold quarantine 10 \"q\"\nthreshold redirect 8 "
	"\"spam@x.example\"\nthreshold tempfail 30\nthreshold discard 40\n"
	"threshold reject 20 550 5.7.1 \"spam ${score}\"",
	"tag { header \"X-Spam-Flag\" \"YES\" subject-prefix \"[SPAM] \" }",
	"list s strings { \"a b\", c }\nrule a { if from.name contains @s "
	"score 1 }",
};

static void
test_ok(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		struct ag_rules *r = NULL;
		struct ag_err err = { 0, "" };

		assert_int_equal(ag_rules_new(&r), AG_OK);
		if (ag_rules_parse_text(r, ok_cases[i], "t", &err) != AG_OK) {
			printf("case ok %zu: got \"%s\", want success\n", i,
			       err.msg);
			failed++;
		}
		ag_rules_free(&r);
	}
	assert_int_equal(failed, 0);
}

/* the built-in limits: rules, DNS lists, codes per list */
static void
test_limits(void **state)
{
	static const struct {
		const char *label, *prefix, *suffix, *want;
		unsigned n;
	} cases[] = {
		{ "more rules than allowed", "rule r", " { }\n",
		  "more than 10000 rules", AG_RULES_MAX_RULES + 1 },
		{ "more DNS lists than allowed", "dnsbl z",
		  " ip \"z.example\" { }\n", "more than 32 DNS lists",
		  AG_RULES_MAX_DNSBL + 1 },
	};
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t size = (size_t)cases[i].n * 64, o = 0;
		char *text = malloc(size);
		struct ag_rules *r = NULL;
		struct ag_err err = { 0, "" };

		assert_non_null(text);
		for (unsigned k = 0; k < cases[i].n; k++)
			o += (size_t)snprintf(text + o, size - o, "%s%u%s",
					      cases[i].prefix, k,
					      cases[i].suffix);
		assert_int_equal(ag_rules_new(&r), AG_OK);
		if (ag_rules_parse_text(r, text, "t", &err) == AG_OK ||
		    strstr(err.msg, cases[i].want) == NULL) {
			printf("case %s: got \"%s\", want \"%s\"\n",
			       cases[i].label, err.msg, cases[i].want);
			failed++;
		}
		ag_rules_free(&r);
		free(text);
	}
	{
		/* 17 return codes in one list */
		char text[2048];
		size_t o = (size_t)snprintf(text, sizeof(text),
					    "dnsbl z ip \"z.example\" {");
		struct ag_rules *r = NULL;
		struct ag_err err = { 0, "" };

		for (int k = 0; k < 17; k++)
			o += (size_t)snprintf(text + o, sizeof(text) - o,
					      " 127.0.0.%d score 1", k + 1);
		snprintf(text + o, sizeof(text) - o, " }");
		assert_int_equal(ag_rules_new(&r), AG_OK);
		assert_int_not_equal(ag_rules_parse_text(r, text, "t", &err),
				     AG_OK);
		if (strstr(err.msg, "more than 16 codes") == NULL) {
			printf("case 17 codes: got \"%s\"\n", err.msg);
			failed++;
		}
		ag_rules_free(&r);
	}
	assert_int_equal(failed, 0);
}

/* list files: relative to the rules file, comments, errors at file:line */
static void
test_list_file(void **state)
{
	char dir[] = "/tmp/ag-rules-XXXXXX", path[256], list[256];
	struct ag_rules *r = NULL;
	struct ag_err err = { 0, "" };
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(list, sizeof(list), "%s/nets.txt", dir);
	fp = fopen(list, "w");
	fprintf(fp, "# networks\n192.0.2.0/24\n\n  2001:db8::/32  # v6\n");
	fclose(fp);
	snprintf(path, sizeof(path), "%s/rules", dir);
	fp = fopen(path, "w");
	fprintf(fp, "list n cidr file \"nets.txt\"\n"
		    "rule a { if client.ip in @n score 1 }\n");
	fclose(fp);
	assert_int_equal(ag_rules_new(&r), AG_OK);
	assert_int_equal(ag_rules_parse_file(r, path, &err), AG_OK);
	assert_int_equal(ag_rules_count(r), 1);
	ag_rules_free(&r);

	fp = fopen(list, "w");
	fprintf(fp, "192.0.2.0/24\nnot-an-address\n");
	fclose(fp);
	assert_int_equal(ag_rules_new(&r), AG_OK);
	assert_int_not_equal(ag_rules_parse_file(r, path, &err), AG_OK);
	if (strstr(err.msg, "nets.txt:2: \"not-an-address\" is not an "
			    "address") == NULL)
		fail_msg("got \"%s\"", err.msg);
	ag_rules_free(&r);

	assert_int_equal(ag_rules_new(&r), AG_OK);
	assert_int_equal(ag_rules_parse_file(r, "/nonexistent/rules", &err),
			 AG_ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/rules"));
	ag_rules_free(&r);
	unlink(list);
	unlink(path);
	rmdir(dir);
}

/* what the rules need gathered, from the facts they name */
static void
test_needs(void **state)
{
	static const struct {
		const char *text;
		unsigned needs;
	} cases[] = {
		{ "rule a { if helo is x }", 0 },
		{ "rule a { if body contains \"x\" }", AG_NEED_BODY },
		{ "rule a { if attachment.count > 0 }", AG_NEED_BODY },
		{ "rule a { if any attachment ( name is x ) }", AG_NEED_BODY },
		{ "rule a { if client.iprev is fail }", AG_NEED_IPREV },
		{ "rule a { reject \"${client.iprev}\" }", AG_NEED_IPREV },
		{ "dnsbl z ip \"z.example\" { any score 1 }", AG_NEED_DNSBL },
	};
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ag_rules *r = NULL;

		assert_int_equal(ag_rules_new(&r), AG_OK);
		assert_int_equal(ag_rules_parse_text(r, cases[i].text, "t",
						     NULL),
				 AG_OK);
		if (ag_rules_needs(r) != cases[i].needs) {
			printf("case needs %zu: got %u, want %u\n", i,
			       ag_rules_needs(r), cases[i].needs);
			failed++;
		}
		ag_rules_free(&r);
	}
	assert_int_equal(failed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_list_file),
		cmocka_unit_test(test_needs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
