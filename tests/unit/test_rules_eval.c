/*
 * tests/unit/test_rules_eval.c - policy/rules evaluation: each condition,
 * each action, scores and threshold ties, accept, dmarc-override, tag
 * edits, text expansion, the PCRE2 limit, DNS lists from an in-memory zone
 *
 * Each table row is one labelled case; a failure prints
 * "case <label>: got <x>, want <y>" and the test fails after the table.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/mime.h"
#include "policy/rules.h"
#include "util/dns_zone.h"

static struct sockaddr_in sin4;
static struct ag_fact_header hdrs[] = {
	{ "Received", "from a by b", NULL },
	{ "Received", "from c by d", NULL },
	{ "From", "=?UTF-8?Q?Jos=C3=A9?= <jose@mail.example.com>",
	  "José <jose@mail.example.com>" },
	{ "Subject", "=?UTF-8?B?Q2hlYXAgVmlhZ3Jh?=", "Cheap Viagra" },
	{ "X-Mailer", "Foo/1.2", NULL },
};
static struct ag_fact_from froms[] = {
	{ "jose@mail.example.com", "mail.example.com", "José" },
};
static struct ag_fact_dkim sigs[] = {
	{ "fail", "other.example", "s1", false, false },
	{ "pass", "example.com", "s2", true, true },
};
static const char *rcpts[] = { "a@dest.example", "b@other.example" };
static const char *sealers[] = { "lists.example.org", "mail.example.com" };
static struct ag_mime_result mime;

/* facts - one message every case below is evaluated against */
static void
facts(struct ag_facts *f)
{
	memset(f, 0, sizeof(*f));
	sin4.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.10", &sin4.sin_addr);
	f->ip = "192.0.2.10";
	f->addr = (struct sockaddr *)&sin4;
	f->client_name = "mx.sender.example";
	f->iprev = "pass";
	f->helo = "mx.sender.example";
	f->tls = true;
	f->tls_version = "TLSv1.3";
	f->auth_user = "";
	f->mailfrom = "bounce@sender.example";
	f->rcpt = rcpts;
	f->nrcpt = 2;
	f->hdr = hdrs;
	f->nhdr = sizeof(hdrs) / sizeof(hdrs[0]);
	f->from = froms;
	f->nfrom_addr = 1;
	f->nfrom_fields = 1;
	f->from_problem = "";
	f->size = 12345;
	memset(&mime, 0, sizeof(mime));
	mime.text = (char *)"Buy now at http://spam.example/offer";
	mime.text_len = strlen(mime.text);
	snprintf(mime.part[0].type, sizeof(mime.part[0].type), "text/plain");
	snprintf(mime.part[1].type, sizeof(mime.part[1].type),
		 "application/octet-stream");
	snprintf(mime.part[1].name, sizeof(mime.part[1].name), "invoice.exe");
	mime.part[1].attachment = true;
	mime.nparts = 2;
	f->mime = &mime;
	f->spf_mailfrom = "softfail";
	f->spf_helo = "pass";
	f->spf_domain = "sender.example";
	f->dkim = sigs;
	f->ndkim = 2;
	f->dmarc_result = "fail";
	f->dmarc_policy = "reject";
	f->dmarc_disposition = "reject";
	f->dmarc_domain = "mail.example.com";
	f->dmarc_org = "example.com";
	f->arc_result = "pass";
	f->arc_sealers = sealers;
	f->narc_sealers = 2;
	f->arc_trusted = true;
}

struct cond_case {
	const char *label;
	const char *cond;
	bool want;
};

static const struct cond_case cond_cases[] = {
	{ "ip in cidr", "client.ip in { 192.0.2.0/24 }", true },
	{ "ip not in cidr", "client.ip in { 198.51.100.0/24 }", false },
	{ "ip not in (negated)", "client.ip not in { 198.51.100.0/24 }", true },
	{ "ip equality", "client.ip == \"192.0.2.10\"", true },
	{ "name domain list subdomain", "client.name in { sender.example }",
	  true },
	{ "name domain list other", "client.name in { ender.example }", false },
	{ "iprev", "client.iprev is pass", true },
	{ "internal flag", "client.internal", false },
	{ "internal is no", "client.internal is no", true },
	{ "tls flag", "tls", true },
	{ "tls version", "tls.version == \"TLSv1.3\"", true },
	{ "auth flag", "auth", false },
	{ "not auth", "not auth", true },
	{ "auth.user empty", "auth.user == \"\"", true },
	{ "env.from exact case", "env.from == \"Bounce@sender.example\"",
	  false },
	{ "env.from is any case", "env.from is \"BOUNCE@SENDER.EXAMPLE\"",
	  true },
	{ "env.from.domain", "env.from.domain is sender.example", true },
	{ "second rcpt matches", "env.rcpt is \"b@other.example\"", true },
	{ "rcpt domain list", "env.rcpt.domain in { other.example }", true },
	{ "rcpt count", "rcpt.count == 2", true },
	{ "rcpt count gt", "rcpt.count > 2", false },
	{ "from.address", "from.address contains \"@MAIL.\"", true },
	{ "from.domain subdomain", "from.domain in { example.com }", true },
	{ "from.name decoded", "from.name == \"José\"", true },
	{ "from.count", "from.count == 1", true },
	{ "from.problem empty", "from.problem != \"\"", false },
	{ "header decoded", "header \"subject\" contains \"viagra\"", true },
	{ "header raw", "header.raw \"Subject\" contains \"viagra\"", false },
	{ "header raw encoded", "header.raw \"Subject\" =~ /^=\\?UTF-8\\?B/",
	  true },
	{ "header any occurrence", "header \"Received\" contains \"from c\"",
	  true },
	{ "header count", "header.count \"received\" == 2", true },
	{ "header absent count", "header.count \"X-None\" == 0", true },
	{ "header absent", "header \"X-None\"", false },
	{ "subject regex", "subject =~ /v[i1]agra/i", true },
	{ "subject regex case", "subject =~ /viagra/", false },
	{ "subject !~", "subject !~ /viagra/i", false },
	{ "size K", "size > 12K", true },
	{ "size K le", "size <= 12K", false },
	{ "body", "body contains \"spam.example\"", true },
	{ "attachment name", "attachment.name =~ /\\.exe$/i", true },
	{ "attachment type", "attachment.type is \"application/octet-stream\"",
	  true },
	{ "attachment count", "attachment.count == 1", true },
	{ "mime type text", "mime.type is \"text/plain\"", true },
	{ "spf mailfrom", "spf.mailfrom is softfail", true },
	{ "spf helo", "spf.helo is pass", true },
	{ "spf domain", "spf.domain in { sender.example }", true },
	{ "dkim any result pass", "dkim.result is pass", true },
	{ "dkim aligned some", "dkim.aligned", true },
	{ "dkim count", "dkim.count == 2", true },
	{ "any dkim same signature",
	  "any dkim ( result is pass and domain is \"example.com\" )", true },
	{ "any dkim no mixing",
	  "any dkim ( result is fail and domain is \"example.com\" )", false },
	{ "any dkim length", "any dkim ( length and not aligned )", false },
	{ "any attachment",
	  "any attachment ( name =~ /exe$/ and type contains \"octet\" )",
	  true },
	{ "dmarc result", "dmarc.result is fail", true },
	{ "dmarc policy", "dmarc.policy is reject", true },
	{ "dmarc disposition", "dmarc.disposition is reject", true },
	{ "dmarc org", "dmarc.org == \"example.com\"", true },
	{ "dmarc domain in", "dmarc.domain in { example.com }", true },
	{ "dmarc override empty", "dmarc.override", false },
	{ "arc result", "arc.result is pass", true },
	{ "arc result not fail", "arc.result is fail", false },
	{ "arc sealer is the newest", "arc.sealer is \"lists.example.org\"",
	  true },
	{ "arc sealer not the oldest", "arc.sealer in { example.com }",
	  false },
	{ "arc sealers any hop", "arc.sealers in { example.com }", true },
	{ "arc sealers none matches", "arc.sealers in { other.example }",
	  false },
	{ "arc sealers != holds when none is",
	  "arc.sealers != \"mail.example.com\"", false },
	{ "arc trusted flag", "arc.trusted", true },
	{ "arc trusted is no", "arc.trusted is no", false },
	{ "and", "tls and auth", false },
	{ "or", "tls or auth", true },
	{ "precedence and over or", "auth and tls or tls", true },
	{ "grouping", "auth and (tls or tls)", false },
	{ "not group", "not (auth or client.internal)", true },
	{ "string list any case", "helo in { \"MX.Sender.Example\" }", true },
	{ "contains list", "from.name contains @words", true },
	{ "dnsbl without lookup", "dnsbl \"zl\"", false },
	{ "score so far", "score == 0", true },
};

static void
test_conditions(void **state)
{
	struct ag_facts f;
	int failed = 0;

	(void)state;
	facts(&f);
	for (size_t i = 0; i < sizeof(cond_cases) / sizeof(cond_cases[0]); i++) {
		const struct cond_case *c = &cond_cases[i];
		struct ag_rules *r = NULL;
		struct ag_rules_result *res = malloc(sizeof(*res));
		struct ag_err err = { 0, "" };
		char text[1024];

		snprintf(text, sizeof(text),
			 "list words strings { nobody, JOS }\n"
			 "dnsbl zl ip \"zl.example\" { any score 1 }\n"
			 "rule r { if %s score 1 }", c->cond);
		assert_int_equal(ag_rules_new(&r), AG_OK);
		if (ag_rules_parse_text(r, text, "t", &err) != AG_OK) {
			printf("case %s: got parse error %s, want %d\n",
			       c->label, err.msg, c->want);
			failed++;
		} else {
			ag_rules_eval(r, &f, NULL, res);
			if ((res->nhits_total == 1) != c->want) {
				printf("case %s: got %u hits, want %d\n",
				       c->label, res->nhits_total, c->want);
				failed++;
			}
		}
		free(res);
		ag_rules_free(&r);
	}
	assert_int_equal(failed, 0);
}

struct act_case {
	const char *label;
	const char *rules;
	enum ag_rule_action action;
	int score;
	const char *rcode, *xcode, *text;	/* NULL: not checked */
	const char *decided_by;
};

static const struct act_case act_cases[] = {
	{ "nothing matches", "rule a { if auth reject }", AG_RA_ACCEPT, 0,
	  NULL, NULL, NULL, "" },
	{ "reject defaults", "rule a { reject }", AG_RA_REJECT, 0, "550",
	  "5.7.1", "Message rejected by local policy (a)", "a" },
	{ "reject custom", "rule a { reject 554 5.7.9 \"No ${dmarc.domain}\" }",
	  AG_RA_REJECT, 0, "554", "5.7.9", "No mail.example.com", "a" },
	{ "arc facts expand",
	  "rule a { reject 550 5.7.1 \"${arc.result} by ${arc.sealer}\" }",
	  AG_RA_REJECT, 0, "550", "5.7.1", "pass by lists.example.org", "a" },
	{ "tempfail defaults", "rule a { tempfail }", AG_RA_TEMPFAIL, 0,
	  "451", "4.7.1", "Message deferred by local policy (a), try again "
			  "later", "a" },
	{ "discard", "rule a { discard }", AG_RA_DISCARD, 0, NULL, NULL, NULL,
	  "a" },
	{ "quarantine", "rule a { quarantine \"why\" }", AG_RA_QUARANTINE, 0,
	  NULL, NULL, NULL, "a" },
	{ "redirect", "rule a { redirect \"spam@x.example\" }",
	  AG_RA_REDIRECT, 0, NULL, NULL, NULL, "a" },
	{ "tag", "rule a { tag }", AG_RA_TAG, 0, NULL, NULL, NULL, "a" },
	{ "strongest wins regardless of order",
	  "rule a { quarantine }\nrule b { reject }\nrule c { tag }",
	  AG_RA_REJECT, 0, NULL, NULL, NULL, "b" },
	{ "discard beats tempfail", "rule a { tempfail }\nrule b { discard }",
	  AG_RA_DISCARD, 0, NULL, NULL, NULL, "b" },
	{ "first of equals", "rule a { reject \"one\" }\nrule b { reject "
			     "\"two\" }",
	  AG_RA_REJECT, 0, "550", "5.7.1", "one", "a" },
	{ "scores add", "rule a { score 2.5 }\nrule b { score 3 }\n"
			"rule c { if auth score 100 }",
	  AG_RA_ACCEPT, 550, NULL, NULL, NULL, "" },
	{ "negative score", "rule a { score 5 }\nrule b { score -7.25 }",
	  AG_RA_ACCEPT, -225, NULL, NULL, NULL, "" },
	{ "threshold tie reaches", "threshold tag 5\nrule a { score 5 }",
	  AG_RA_TAG, 500, NULL, NULL, NULL, "threshold tag" },
	{ "threshold just below", "threshold tag 5\nrule a { score 4.99 }",
	  AG_RA_ACCEPT, 499, NULL, NULL, NULL, "" },
	{ "highest threshold reached wins",
	  "threshold tag 5\nthreshold quarantine 10\nthreshold reject 20 550 "
	  "5.7.1 \"spam ${score}\"\nrule a { score 20 }",
	  AG_RA_REJECT, 2000, "550", "5.7.1", "spam 20", "threshold reject" },
	{ "threshold between", "threshold tag 5\nthreshold quarantine 10\n"
			       "threshold reject 20\nrule a { score 19.99 }",
	  AG_RA_QUARANTINE, 1999, NULL, NULL, NULL, "threshold quarantine" },
	{ "rule action above threshold",
	  "threshold quarantine 1\nrule a { score 2 reject \"r\" }",
	  AG_RA_REJECT, 200, NULL, NULL, "r", "a" },
	{ "accept stops and skips thresholds",
	  "threshold reject 1\nrule a { score 5 }\nrule b { accept }\n"
	  "rule c { reject }",
	  AG_RA_ACCEPT, 500, NULL, NULL, NULL, "b" },
	{ "accept keeps earlier action",
	  "rule a { quarantine }\nrule b { accept }", AG_RA_QUARANTINE, 0,
	  NULL, NULL, NULL, "a" },
	{ "score variable is final",
	  "rule a { reject \"s=${score} ${rules}\" }\nrule b { score 3 }",
	  AG_RA_REJECT, 300, NULL, NULL, "s=3 a(0), b(3)", "a" },
	{ "percent and control removed from reply",
	  "rule a { reject \"100% ${from.name}\" }", AG_RA_REJECT, 0, NULL,
	  NULL, "100? Jos??", "a" },
};

static void
test_actions(void **state)
{
	struct ag_facts f;
	int failed = 0;

	(void)state;
	facts(&f);
	for (size_t i = 0; i < sizeof(act_cases) / sizeof(act_cases[0]); i++) {
		const struct act_case *c = &act_cases[i];
		struct ag_rules *r = NULL;
		struct ag_rules_result *res = malloc(sizeof(*res));
		struct ag_err err = { 0, "" };

		assert_int_equal(ag_rules_new(&r), AG_OK);
		if (ag_rules_parse_text(r, c->rules, "t", &err) != AG_OK) {
			printf("case %s: parse error %s\n", c->label, err.msg);
			failed++;
			goto next;
		}
		ag_rules_eval(r, &f, NULL, res);
		if (res->action != c->action || res->score != c->score ||
		    strcmp(res->decided_by, c->decided_by) != 0 ||
		    (c->rcode && strcmp(res->rcode, c->rcode) != 0) ||
		    (c->xcode && strcmp(res->xcode, c->xcode) != 0) ||
		    (c->text && strcmp(res->text, c->text) != 0)) {
			printf("case %s: got %s score %d by \"%s\" %s %s \"%s\","
			       " want %s score %d by \"%s\" %s %s \"%s\"\n",
			       c->label, ag_rules_action_name(res->action),
			       res->score, res->decided_by, res->rcode,
			       res->xcode, res->text,
			       ag_rules_action_name(c->action), c->score,
			       c->decided_by, c->rcode ? c->rcode : "-",
			       c->xcode ? c->xcode : "-",
			       c->text ? c->text : "-");
			failed++;
		}
next:
		free(res);
		ag_rules_free(&r);
	}
	assert_int_equal(failed, 0);
}

/* quarantine reason, redirect mailbox, tag headers, edits, override */
static void
test_outputs(void **state)
{
	struct ag_facts f;
	struct ag_rules *r = NULL;
	struct ag_rules_result *res = malloc(sizeof(*res));
	unsigned n;

	(void)state;
	facts(&f);
	assert_int_equal(ag_rules_new(&r), AG_OK);
	assert_int_equal(
		ag_rules_parse_text(
			r,
			"threshold tag 2\n"
			"threshold quarantine 4 \"score ${score} from "
			"${from.domain}\"\n"
			"tag { header \"X-Spam-Flag\" \"YES\" header "
			"\"X-Spam-Score\" \"${score}\" header \"X-Spam-Rules\" "
			"\"${rules}\" subject-prefix \"[SPAM] \" }\n"
			"rule fwd { if client.ip in { 192.0.2.0/24 } "
			"dmarc-override trusted_forwarder }\n"
			"rule dm { if dmarc.disposition is reject reject }\n"
			"rule two { score 2 add-header \"X-Seen\" \"ip "
			"${client.ip}\" remove-header \"X-Bad\" }\n"
			"rule three { if dmarc.override is trusted_forwarder "
			"score 2.5 }\n",
			"t", NULL),
		AG_OK);
	ag_rules_eval(r, &f, NULL, res);
	assert_int_equal(res->action, AG_RA_QUARANTINE);
	assert_string_equal(res->dmarc_override, "trusted_forwarder");
	assert_string_equal(res->quarantine, "score 4.5 from "
					     "mail.example.com");
	assert_true(res->tagged);
	assert_int_equal(res->nedits, 5);
	assert_string_equal(res->edit[0].name, "X-Seen");
	assert_string_equal(res->edit[0].value, "ip 192.0.2.10");
	assert_true(res->edit[1].remove);
	assert_string_equal(res->edit[1].name, "X-Bad");
	assert_string_equal(res->edit[2].value, "YES");
	assert_string_equal(res->edit[3].value, "4.5");
	assert_string_equal(res->edit[4].value, "fwd(0), two(2), three(2.5)");
	assert_string_equal(ag_rules_subject_prefix(r), "[SPAM] ");
	assert_string_equal(ag_rules_tag_names(r, &n)[1], "X-Spam-Score");
	assert_int_equal(n, 3);
	ag_rules_free(&r);

	/* redirect; a rejected message gets no edits */
	assert_int_equal(ag_rules_new(&r), AG_OK);
	assert_int_equal(ag_rules_parse_text(r, "threshold redirect 1 "
						"\"spam@${env.rcpt.domain}\"\n"
						"rule a { score 1 add-header "
						"\"X-A\" \"1\" }",
					     "t", NULL),
			 AG_OK);
	ag_rules_eval(r, &f, NULL, res);
	assert_int_equal(res->action, AG_RA_REDIRECT);
	assert_string_equal(res->redirect, "spam@dest.example");
	assert_int_equal(res->nedits, 1);
	ag_rules_free(&r);
	assert_int_equal(ag_rules_new(&r), AG_OK);
	assert_int_equal(ag_rules_parse_text(r, "rule a { add-header \"X-A\" "
						"\"1\" reject }",
					     "t", NULL),
			 AG_OK);
	ag_rules_eval(r, &f, NULL, res);
	assert_int_equal(res->nedits, 0);
	ag_rules_free(&r);
	free(res);
}

/* a pattern that backtracks without end stops at the match limit: no
 * match, counted, and the evaluation goes on */
static void
test_regex_limit(void **state)
{
	struct ag_facts f;
	struct ag_rules *r = NULL;
	struct ag_rules_result *res = malloc(sizeof(*res));
	static char body[40000];

	(void)state;
	facts(&f);
	memset(body, 'a', sizeof(body) - 2);
	body[sizeof(body) - 2] = '!';
	mime.text = body;
	assert_int_equal(ag_rules_new(&r), AG_OK);
	assert_int_equal(ag_rules_parse_text(r, "rule slow { if body =~ "
						"/(a+)+$/ score 1 }\n"
						"rule after { score 2 }",
					     "t", NULL),
			 AG_OK);
	ag_rules_eval(r, &f, NULL, res);
	assert_int_equal(res->regex_limit, 1);
	assert_int_equal(res->score, 200);
	ag_rules_free(&r);
	free(res);
}

/* DNS lists: scores by return code, each entry once; never for our own
 * clients; an error is not "listed" */
static void
test_dnsbl(void **state)
{
	struct ag_dns_zone *zone = NULL;
	struct ag_dns *dns = NULL;
	struct ag_dns_config cfg;
	struct ag_facts f;
	struct ag_rules *r = NULL;
	struct ag_rules_result *res = malloc(sizeof(*res));

	(void)state;
	facts(&f);
	assert_int_equal(ag_dns_zone_new(&zone), AG_OK);
	assert_int_equal(ag_dns_zone_add(zone, "10.2.0.192.bl.example",
					 AG_DNS_A, "127.0.0.2", 60),
			 AG_OK);
	assert_int_equal(ag_dns_zone_add(zone, "10.2.0.192.bl.example",
					 AG_DNS_A, "127.0.0.4", 60),
			 AG_OK);
	assert_int_equal(ag_dns_zone_add(zone, "mail.example.com.dbl.example",
					 AG_DNS_A, "127.0.1.2", 60),
			 AG_OK);
	assert_int_equal(ag_dns_zone_timeout(zone, "10.2.0.192.slow.example"),
			 AG_OK);
	ag_dns_config_defaults(&cfg);
	assert_int_equal(ag_dns_new_zone(&dns, &cfg, zone, NULL), AG_OK);
	assert_int_equal(ag_rules_new(&r), AG_OK);
	assert_int_equal(
		ag_rules_parse_text(
			r,
			"dnsbl bl ip \"bl.example\" { 127.0.0.2 score 5 "
			"127.0.0.3 - 127.0.0.7 score 2 127.0.0.4 score 1 any "
			"score 0.5 }\n"
			"dnsbl none ip \"none.example\" { any score 9 }\n"
			"dnsbl slow ip \"slow.example\" { any score 9 }\n"
			"dnsbl dbl from.domain \"dbl.example\" { any score 3 }\n"
			"rule code { if dnsbl \"bl\" is \"127.0.0.4\" score 0.25 "
			"}\n"
			"rule listed { if dnsbl \"dbl\" score 0.1 }\n"
			"rule unlisted { if dnsbl \"none\" score 100 }\n",
			"t", NULL),
		AG_OK);
	ag_rules_eval(r, &f, dns, res);
	/* bl: 5 + 2 + 1 + 0.5 (each entry once), dbl 3, rules 0.35 */
	assert_int_equal(res->score, 850 + 300 + 35);
	assert_int_equal(res->ndnsbl, 4);
	assert_string_equal(res->dnsbl[0].status, "listed");
	assert_string_equal(res->dnsbl[0].codes, "127.0.0.2,127.0.0.4");
	assert_string_equal(res->dnsbl[1].status, "not listed");
	assert_string_equal(res->dnsbl[2].status, "error");
	assert_string_equal(res->dnsbl[3].status, "listed");

	/* an authenticated client is not looked up */
	f.auth_user = "alice";
	ag_rules_eval(r, &f, dns, res);
	assert_int_equal(res->score, 0);
	assert_string_equal(res->dnsbl[0].status, "skipped");
	ag_rules_free(&r);
	ag_dns_free(&dns);
	ag_dns_zone_free(&zone);
	free(res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_outputs),
		cmocka_unit_test(test_regex_limit),
		cmocka_unit_test(test_dnsbl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
