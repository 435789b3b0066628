/*
 * tests/unit/test_arcmsg.c - milter/arcmsg.c: the arc= clause of our
 * Authentication-Results, the ARC facts, the trusted-forwarder history
 * reason, the AMS header list check and the log token, from chain results
 * set by hand (the chain validation itself is arc/'s, tested by the ARC
 * conformance suites; the whole path runs in test_arc_postfix.sh)
 *
 * Each table row is one labelled case; a failure prints
 * "case <label>: got <x>, want <y>".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "milter/arcmsg.h"

/* hop - fill instance i (1-based) */
static void
hop(struct ag_arc_results *r, unsigned i, const char *d, const char *ip)
{
	struct ag_arc_hop *h = &r->hop[i - 1];

	h->i = i;
	snprintf(h->d, sizeof(h->d), "%s", d);
	snprintf(h->remote_ip, sizeof(h->remote_ip), "%s", ip);
	if (i > r->count)
		r->count = i;
}

/* session - a session on cfg with the given chain result */
static struct ag_session *
session(struct ag_config *cfg, bool have_addr)
{
	struct ag_session *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->cfg = cfg;
	s->have_addr = have_addr;
	snprintf(s->ip, sizeof(s->ip), "%s",
		 have_addr ? "198.51.100.7" : "local");
	s->msg.arc_res = calloc(1, sizeof(*s->msg.arc_res));
	assert_non_null(s->msg.arc_res);
	return s;
}

static void
session_free(struct ag_session *s)
{
	free(s->msg.arc_res);
	free(s);
}

struct ar_case {
	const char *label;
	enum ag_arc_result result;
	unsigned oldest;
	bool have_addr;
	const char *reason;
	const char *want;	/* the arc= clause as ag_authres writes it */
};

static const struct ar_case ar_cases[] = {
	{ "pass, two hops, newest first, IP where the AAR had one",
	  AG_ARC_PASS, 0, true, "",
	  "arc=pass (i=2 d=lists.example.org, i=1 d=example.com "
	  "ip=192.0.2.1) header.oldest-pass=0 smtp.remote-ip=198.51.100.7" },
	{ "pass with an older AMS broken: oldest-pass 2", AG_ARC_PASS, 2,
	  true, "",
	  "arc=pass (i=2 d=lists.example.org, i=1 d=example.com "
	  "ip=192.0.2.1) header.oldest-pass=2 smtp.remote-ip=198.51.100.7" },
	{ "fail: reason first, no oldest-pass", AG_ARC_FAIL, 0, true,
	  "i=2 AS invalid",
	  "arc=fail (i=2 AS invalid; i=2 d=lists.example.org, i=1 "
	  "d=example.com ip=192.0.2.1) smtp.remote-ip=198.51.100.7" },
	{ "no client address: no smtp.remote-ip", AG_ARC_PASS, 0, false, "",
	  "arc=pass (i=2 d=lists.example.org, i=1 d=example.com "
	  "ip=192.0.2.1) header.oldest-pass=0" },
	{ "a reason with parentheses cannot close the comment", AG_ARC_FAIL,
	  0, true, "bad) arc=pass (x",
	  "arc=fail (bad? arc=pass ?x; i=2 d=lists.example.org, i=1 "
	  "d=example.com ip=192.0.2.1) smtp.remote-ip=198.51.100.7" },
};

static void
test_authres_clause(void **state)
{
	struct ag_config cfg;
	unsigned failed = 0;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	for (size_t i = 0; i < sizeof(ar_cases) / sizeof(ar_cases[0]); i++) {
		const struct ar_case *c = &ar_cases[i];
		struct ag_session *s = session(&cfg, c->have_addr);
		struct ag_authres *ar = NULL;
		const char *v, *arc;

		hop(s->msg.arc_res, 1, "example.com", "192.0.2.1");
		hop(s->msg.arc_res, 2, "lists.example.org", "");
		s->msg.arc_res->result = c->result;
		s->msg.arc_res->oldest_pass = c->oldest;
		snprintf(s->msg.arc_res->reason,
			 sizeof(s->msg.arc_res->reason), "%s", c->reason);
		assert_int_equal(ag_authres_new(&ar, "mx.example.net"), AG_OK);
		assert_int_equal(ag_arcmsg_authres(s, ar), AG_OK);
		v = ag_authres_value(ar);
		arc = strstr(v, "arc=");
		if (arc == NULL || strcmp(arc, c->want) != 0) {
			printf("case %s: got '%s', want '%s'\n", c->label,
			       arc != NULL ? arc : v, c->want);
			failed++;
		}
		ag_authres_free(&ar);
		session_free(s);
	}
	assert_int_equal(failed, 0);
}

static void
test_authres_none_and_unverified(void **state)
{
	struct ag_config cfg;
	struct ag_session *s;
	struct ag_authres *ar = NULL;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	s = session(&cfg, true);
	assert_int_equal(ag_authres_new(&ar, "mx.example.net"), AG_OK);
	assert_int_equal(ag_arcmsg_authres(s, ar), AG_OK);
	assert_string_equal(ag_authres_value(ar),
			    "mx.example.net;\n\tarc=none "
			    "smtp.remote-ip=198.51.100.7");
	ag_authres_free(&ar);
	/* not verified (outbound, ARCVerify no): no clause at all */
	free(s->msg.arc_res);
	s->msg.arc_res = NULL;
	assert_int_equal(ag_authres_new(&ar, "mx.example.net"), AG_OK);
	assert_int_equal(ag_arcmsg_authres(s, ar), AG_OK);
	assert_string_equal(ag_authres_value(ar), "mx.example.net; none");
	ag_authres_free(&ar);
	free(s);
}

static void
test_facts(void **state)
{
	struct ag_config cfg;
	struct ag_session *s;
	const char *sealers[AG_ARC_MAX_SETS];
	struct ag_facts f;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	s = session(&cfg, true);
	hop(s->msg.arc_res, 1, "example.com", "");
	hop(s->msg.arc_res, 2, "", "");	/* a malformed set: no d= */
	hop(s->msg.arc_res, 3, "lists.example.org", "");
	s->msg.arc_res->result = AG_ARC_PASS;
	s->msg.arc_trusted = true;
	memset(&f, 0, sizeof(f));
	ag_arcmsg_facts(s, sealers, &f);
	assert_string_equal(f.arc_result, "pass");
	assert_int_equal(f.narc_sealers, 2);
	assert_string_equal(f.arc_sealers[0], "lists.example.org");
	assert_string_equal(f.arc_sealers[1], "example.com");
	assert_true(f.arc_trusted);
	/* not verified: the facts stay as the caller left them (none) */
	free(s->msg.arc_res);
	s->msg.arc_res = NULL;
	memset(&f, 0, sizeof(f));
	ag_arcmsg_facts(s, sealers, &f);
	assert_null(f.arc_result);
	assert_int_equal(f.narc_sealers, 0);
	assert_false(f.arc_trusted);
	free(s);
}

struct reason_case {
	const char *label;
	const char *override;	/* NULL: none */
	const char *hit;	/* the rule that matched */
	bool trusted;
	const char *want;	/* NULL: no reason */
};

static const struct reason_case reason_cases[] = {
	{ "our rule gave it", "trusted_forwarder", "ARCTrustedSealers", true,
	  "trusted_forwarder ARC i=2 sealed by lists.example.org" },
	{ "an admin's rule gave it", "trusted_forwarder", "trusted_forwarder",
	  true, NULL },
	{ "another override type", "mailing_list", "ARCTrustedSealers", true,
	  NULL },
	{ "no override", NULL, "ARCTrustedSealers", true, NULL },
	{ "chain not trusted", "trusted_forwarder", "ARCTrustedSealers",
	  false, NULL },
};

static void
test_override_reason(void **state)
{
	struct ag_config cfg;
	unsigned failed = 0;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	for (size_t i = 0; i < sizeof(reason_cases) / sizeof(reason_cases[0]);
	     i++) {
		const struct reason_case *c = &reason_cases[i];
		struct ag_session *s = session(&cfg, true);
		struct ag_rules_result *r = calloc(1, sizeof(*r));
		char buf[300] = "untouched";
		bool got;

		assert_non_null(r);
		hop(s->msg.arc_res, 1, "example.com", "");
		hop(s->msg.arc_res, 2, "lists.example.org", "");
		s->msg.arc_res->result = AG_ARC_PASS;
		s->msg.arc_trusted = c->trusted;
		r->dmarc_override = c->override;
		r->hit[0].name = c->hit;
		r->nhits = 1;
		got = ag_arcmsg_override_reason(s, r, buf, sizeof(buf));
		if (got != (c->want != NULL) ||
		    strcmp(buf, c->want != NULL ? c->want : "untouched") != 0) {
			printf("case %s: got %d '%s', want '%s'\n", c->label,
			       got, buf, c->want != NULL ? c->want : "(none)");
			failed++;
		}
		free(r);
		session_free(s);
	}
	assert_int_equal(failed, 0);
}

static void
test_signs_and_log(void **state)
{
	struct ag_config cfg;
	struct ag_session *s;
	char buf[96];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	s = session(&cfg, true);
	/* the library's default list signs From and Subject, never our A-R */
	assert_true(ag_arcmsg_signs(s, "from"));
	assert_true(ag_arcmsg_signs(s, "Subject"));
	assert_false(ag_arcmsg_signs(s, "Authentication-Results"));
	assert_false(ag_arcmsg_signs(s, "X-Spam-Flag"));
	/* ARCSealHeaders replaces it */
	cfg.arc_hdrs[0] = "From";
	cfg.n_arc_hdrs = 1;
	assert_true(ag_arcmsg_signs(s, "FROM"));
	assert_false(ag_arcmsg_signs(s, "Subject"));
	/* the log token: result, newest sealer, trusted; one token */
	hop(s->msg.arc_res, 1, "list example.org", "");
	s->msg.arc_res->result = AG_ARC_PASS;
	s->msg.arc_trusted = false;
	ag_arcmsg_log(s, buf, sizeof(buf));
	assert_string_equal(buf, "pass:list_example.org");
	snprintf(s->msg.arc_res->hop[0].d, sizeof(s->msg.arc_res->hop[0].d),
		 "lists.example.org");
	s->msg.arc_trusted = true;
	ag_arcmsg_log(s, buf, sizeof(buf));
	assert_string_equal(buf, "pass:lists.example.org/trusted");
	s->msg.arc_res->count = 0;
	s->msg.arc_res->result = AG_ARC_NONE;
	s->msg.arc_trusted = false;
	ag_arcmsg_log(s, buf, sizeof(buf));
	assert_string_equal(buf, "none");
	free(s->msg.arc_res);
	s->msg.arc_res = NULL;
	ag_arcmsg_log(s, buf, sizeof(buf));
	assert_string_equal(buf, "-");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authres_clause),
		cmocka_unit_test(test_authres_none_and_unverified),
		cmocka_unit_test(test_facts),
		cmocka_unit_test(test_override_reason),
		cmocka_unit_test(test_signs_and_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
