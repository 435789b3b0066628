/*
 * tests/unit/test_dmarc_evaluate.c - dmarc/evaluate.c, dmarc/fetch.c and
 * dmarc/orgdomain.c over an in-memory zone (cmocka)
 *
 * A table of messages (From domain, SPF and DKIM facts, sample) with the
 * result, applied policy and disposition each must get, in PSL mode and
 * in tree-walk mode; then DNS failures, the tree walk's query bound, and
 * alignment on its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dmarc/evaluate.h"
#include "dmarc/fetch.h"
#include "dmarc/orgdomain.h"
#include "util/dns.h"
#include "util/dns_zone.h"

static const struct {
	const char *name, *type, *text;
} zone_data[] = {
	{ "_dmarc.reject.example", "TXT", "v=DMARC1; p=reject" },
	{ "reject.example", "MX", "10 mx.reject.example" },
	{ "sub.reject.example", "A", "192.0.2.1" },
	{ "_dmarc.quar.example", "TXT", "v=DMARC1; p=quarantine; sp=none" },
	{ "quar.example", "A", "192.0.2.1" },
	{ "sub.quar.example", "A", "192.0.2.1" },
	{ "_dmarc.np.example", "TXT", "v=DMARC1; p=none; np=reject" },
	{ "np.example", "A", "192.0.2.1" },
	{ "real.np.example", "A", "192.0.2.1" },
	{ "_dmarc.pct.example", "TXT", "v=DMARC1; p=reject; pct=50" },
	{ "_dmarc.test.example", "TXT", "v=DMARC1; p=reject; t=y" },
	{ "_dmarc.strict.example", "TXT",
	  "v=DMARC1; p=reject; adkim=s; aspf=s" },
	{ "_dmarc.two.example", "TXT", "v=DMARC1; p=reject" },
	{ "_dmarc.two.example", "TXT", "v=DMARC1; p=none" },
	{ "_dmarc.bad.example", "TXT", "v=DMARC1; p=bogus" },
	{ "_dmarc.sub.bad.example", "TXT", "v=DMARC1; p=bogus" },
	{ "_dmarc.other.example", "TXT", "some other text" },
	{ "_dmarc.other.example", "TXT", "v=DMARC1; p=quarantine" },
	{ "_dmarc.xn--bcher-kva.example", "TXT", "v=DMARC1; p=reject" },
	/* tree walk: a PSD with psd=y above registrable names */
	{ "_dmarc.psd.example", "TXT", "v=DMARC1; p=reject; psd=y" },
	{ "a.psd.example", "A", "192.0.2.1" },
	{ "_dmarc.org.example", "TXT", "v=DMARC1; p=quarantine; psd=n" },
};

struct fixture {
	struct ag_dns_zone *zone;
	struct ag_dns *dns;
	struct ag_psl *psl;
};

static int
setup(void **state)
{
	static struct fixture f;
	struct ag_dns_config cfg;
	struct ag_err err = { 0, "" };
	uint16_t type;

	memset(&f, 0, sizeof(f));
	if (ag_dns_zone_new(&f.zone) != AG_OK)
		return -1;
	for (size_t i = 0; i < sizeof(zone_data) / sizeof(zone_data[0]); i++) {
		type = strcmp(zone_data[i].type, "TXT") == 0 ? AG_DNS_TXT
		       : strcmp(zone_data[i].type, "MX") == 0 ? AG_DNS_MX
							      : AG_DNS_A;
		if (ag_dns_zone_add(f.zone, zone_data[i].name, type,
				    zone_data[i].text, 300) != AG_OK)
			return -1;
	}
	if (ag_dns_zone_servfail(f.zone, "_dmarc.servfail.example") != AG_OK ||
	    ag_dns_zone_timeout(f.zone, "_dmarc.slow.example") != AG_OK ||
	    ag_dns_zone_timeout(f.zone, "ghost.np.example") != AG_OK)
		return -1;
	ag_dns_config_defaults(&cfg);
	cfg.cache_entries = 0;
	if (ag_dns_new_zone(&f.dns, &cfg, f.zone, &err) != AG_OK)
		return -1;
	/* a list of our own, so the test does not depend on the system's */
	FILE *pf = fopen("test_dmarc_evaluate.psl", "w");
	if (pf == NULL)
		return -1;
	fputs("example\nco.example\n", pf);
	fclose(pf);
	if (ag_psl_open(&f.psl, "test_dmarc_evaluate.psl", &err) != AG_OK)
		return -1;
	remove("test_dmarc_evaluate.psl");
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	ag_psl_free(&f->psl);
	ag_dns_free(&f->dns);
	ag_dns_zone_free(&f->zone);
	return 0;
}

struct eval_case {
	const char *label;
	enum ag_dmarc_discovery disc;
	const char *from, *spf_domain;
	bool spf_pass;
	const char *dkim_d;
	bool dkim_pass;
	unsigned sample;
	enum ag_dmarc_result want;
	enum ag_dmarc_policy policy, disposition;
	const char *policy_domain;
};

#define PSL AG_DMARC_DISC_PSL
#define WALK AG_DMARC_DISC_TREEWALK
#define R(x) AG_DMARC_RES_##x
#define P(x) AG_DMARC_P_##x

static const struct eval_case cases[] = {
	{ "spoof of p=reject", PSL, "reject.example", "evil.test", true,
	  NULL, false, 0, R(FAIL), P(REJECT), P(REJECT), "reject.example" },
	{ "aligned SPF pass", PSL, "reject.example", "reject.example", true,
	  NULL, false, 0, R(PASS), P(REJECT), P(NONE), "reject.example" },
	{ "relaxed SPF alignment through a subdomain", PSL, "reject.example",
	  "bounce.reject.example", true, NULL, false, 0, R(PASS), P(REJECT),
	  P(NONE), "reject.example" },
	{ "SPF pass for another domain does not align", PSL,
	  "reject.example", "reject.example.evil.test", true, NULL, false, 0,
	  R(FAIL), P(REJECT), P(REJECT), "reject.example" },
	{ "aligned DKIM pass with SPF fail (forwarding)", PSL,
	  "reject.example", "reject.example", false, "reject.example", true,
	  0, R(PASS), P(REJECT), P(NONE), "reject.example" },
	{ "failing aligned DKIM does not count", PSL, "reject.example",
	  NULL, false, "reject.example", false, 0, R(FAIL), P(REJECT),
	  P(REJECT), "reject.example" },
	{ "subdomain: org domain record, p applies without sp", PSL,
	  "sub.reject.example", "evil.test", true, NULL, false, 0, R(FAIL),
	  P(REJECT), P(REJECT), "reject.example" },
	{ "subdomain: sp=none", PSL, "sub.quar.example", "evil.test", true,
	  NULL, false, 0, R(FAIL), P(NONE), P(NONE), "quar.example" },
	{ "own domain: p=quarantine", PSL, "quar.example", "evil.test",
	  true, NULL, false, 0, R(FAIL), P(QUARANTINE), P(QUARANTINE),
	  "quar.example" },
	{ "np= for a subdomain that exists: p applies", PSL,
	  "real.np.example", NULL, false, NULL, false, 0, R(FAIL), P(NONE),
	  P(NONE), "np.example" },
	{ "np= for a subdomain that does not exist", PSL,
	  "nx.np.example", NULL, false, NULL, false, 0, R(FAIL), P(REJECT),
	  P(REJECT), "np.example" },
	{ "pct=50, sample 10: applied", PSL, "pct.example", NULL, false,
	  NULL, false, 10, R(FAIL), P(REJECT), P(REJECT), "pct.example" },
	{ "pct=50, sample 70: sampled out to quarantine", PSL,
	  "pct.example", NULL, false, NULL, false, 70, R(FAIL), P(REJECT),
	  P(QUARANTINE), "pct.example" },
	{ "t=y: reject applied as quarantine", PSL, "test.example", NULL,
	  false, NULL, false, 0, R(FAIL), P(REJECT), P(QUARANTINE),
	  "test.example" },
	{ "strict: a subdomain's DKIM does not align", PSL,
	  "strict.example", "strict.example", false, "mail.strict.example",
	  true, 0, R(FAIL), P(REJECT), P(REJECT), "strict.example" },
	{ "strict: exact SPF domain aligns", PSL, "strict.example",
	  "STRICT.example", true, NULL, false, 0, R(PASS), P(REJECT),
	  P(NONE), "strict.example" },
	{ "two DMARC records: no policy", PSL, "two.example", NULL, false,
	  NULL, false, 0, R(NONE), P(NONE), P(NONE), "two.example" },
	{ "invalid record: no policy", PSL, "bad.example", NULL, false,
	  NULL, false, 0, R(NONE), P(NONE), P(NONE), "bad.example" },
	{ "invalid record at the From domain stops discovery", PSL,
	  "sub.bad.example", NULL, false, NULL, false, 0, R(NONE), P(NONE),
	  P(NONE), "sub.bad.example" },
	{ "non-DMARC TXT beside the record is ignored", PSL,
	  "other.example", NULL, false, NULL, false, 0, R(FAIL),
	  P(QUARANTINE), P(QUARANTINE), "other.example" },
	{ "no record anywhere", PSL, "nothing.example", NULL, false, NULL,
	  false, 0, R(NONE), P(NONE), P(NONE), "" },
	{ "A-label From domain", PSL, "xn--bcher-kva.example", NULL, false,
	  NULL, false, 0, R(FAIL), P(REJECT), P(REJECT),
	  "xn--bcher-kva.example" },
	{ "SERVFAIL: temperror", PSL, "servfail.example", NULL, false, NULL,
	  false, 0, R(TEMPERROR), P(NONE), P(NONE), "servfail.example" },
	{ "timeout: temperror", PSL, "slow.example", NULL, false, NULL,
	  false, 0, R(TEMPERROR), P(NONE), P(NONE), "slow.example" },
	{ "np= and the existence check times out: temperror", PSL,
	  "ghost.np.example", NULL, false, NULL, false, 0, R(TEMPERROR),
	  P(NONE), P(NONE), "np.example" },
	{ "not a domain name: permerror", PSL, "exa mple.example", NULL,
	  false, NULL, false, 0, R(PERMERROR), P(NONE), P(NONE), "" },
	{ "single label: permerror", PSL, "localhost", NULL, false, NULL,
	  false, 0, R(PERMERROR), P(NONE), P(NONE), "" },
	/* DMARCbis tree walk */
	{ "walk: psd=y policy applies to a name below it", WALK,
	  "a.psd.example", "evil.test", true, NULL, false, 0, R(FAIL),
	  P(REJECT), P(REJECT), "psd.example" },
	{ "walk: a sibling under the PSD does not align", WALK,
	  "a.psd.example", "b.psd.example", true, NULL, false, 0, R(FAIL),
	  P(REJECT), P(REJECT), "psd.example" },
	{ "walk: same org domain aligns (psd=n)", WALK, "x.y.org.example",
	  "z.org.example", true, NULL, false, 0, R(PASS), P(QUARANTINE),
	  P(NONE), "org.example" },
	{ "walk: deep name jumps and still finds the record", WALK,
	  "a.b.c.d.e.f.g.h.i.j.org.example", NULL, false, NULL, false, 0,
	  R(FAIL), P(QUARANTINE), P(QUARANTINE), "org.example" },
};

static void
test_table(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct eval_case *c = &cases[i];
		struct ag_dmarc_env env = { f->dns, f->psl, c->disc };
		struct ag_dmarc_input in;
		struct ag_dmarc_eval ev;
		struct ag_err err = { 0, "" };

		memset(&in, 0, sizeof(in));
		in.from_domain = c->from;
		in.spf_domain = c->spf_domain;
		in.spf_pass = c->spf_pass;
		in.sample = c->sample;
		if (c->dkim_d != NULL) {
			in.dkim[0].d = c->dkim_d;
			in.dkim[0].pass = c->dkim_pass;
			in.ndkim = 1;
		}
		if (ag_dmarc_evaluate(&env, &in, &ev, &err) != AG_OK)
			fail_msg("%s: error %s", c->label, err.msg);
		if (ev.result != c->want)
			fail_msg("%s: result %s, want %s (%s)", c->label,
				 ag_dmarc_result_name(ev.result),
				 ag_dmarc_result_name(c->want), ev.why);
		if (ev.result == R(PASS) || ev.result == R(FAIL)) {
			if (ev.policy != c->policy)
				fail_msg("%s: policy %s, want %s", c->label,
					 ag_dmarc_policy_name(ev.policy),
					 ag_dmarc_policy_name(c->policy));
		}
		if (ev.disposition != c->disposition)
			fail_msg("%s: disposition %s, want %s", c->label,
				 ag_dmarc_policy_name(ev.disposition),
				 ag_dmarc_policy_name(c->disposition));
		if (strcmp(ev.policy_domain, c->policy_domain) != 0)
			fail_msg("%s: policy domain '%s', want '%s'", c->label,
				 ev.policy_domain, c->policy_domain);
	}
}

static void
test_sampled_and_testing_flags(void **state)
{
	struct fixture *f = *state;
	struct ag_dmarc_env env = { f->dns, f->psl, PSL };
	struct ag_dmarc_input in;
	struct ag_dmarc_eval ev;
	struct ag_err err = { 0, "" };

	memset(&in, 0, sizeof(in));
	in.from_domain = "pct.example";
	in.sample = 99;
	assert_int_equal(ag_dmarc_evaluate(&env, &in, &ev, &err), AG_OK);
	assert_true(ev.sampled_out);
	assert_false(ev.testing);
	in.from_domain = "test.example";
	assert_int_equal(ag_dmarc_evaluate(&env, &in, &ev, &err), AG_OK);
	assert_true(ev.testing);
	assert_false(ev.sampled_out);
	assert_true(ev.have_record);
	assert_int_equal(ev.rec.p, AG_DMARC_P_REJECT);
}

static void
test_walk_bound(void **state)
{
	struct fixture *f = *state;
	struct ag_dmarc_walk w;
	struct ag_err err = { 0, "" };
	struct ag_dns_stats before, after;

	ag_dns_stats(f->dns, &before);
	assert_int_equal(ag_dmarc_tree_walk(f->dns, NULL,
					    "a.b.c.d.e.f.g.h.i.j.k.l.nx.example",
					    &w, &err),
			 AG_OK);
	ag_dns_stats(f->dns, &after);
	assert_true(w.queries <= AG_DMARC_WALK_MAX);
	assert_true(after.queries - before.queries <= AG_DMARC_WALK_MAX);
	assert_false(w.have_rec);
	/* no record at all: the domain itself without a PSL */
	assert_string_equal(w.org_domain, "a.b.c.d.e.f.g.h.i.j.k.l.nx.example");
	assert_int_equal(ag_dmarc_tree_walk(f->dns, NULL, "example", &w, &err),
			 AG_OK);
	assert_int_equal(w.queries, 0);
}

static void
test_org_domain_psl(void **state)
{
	struct fixture *f = *state;
	char out[256];

	assert_int_equal(ag_dmarc_org_domain_psl(f->psl, "a.b.co.example", out,
						 sizeof(out)),
			 AG_OK);
	assert_string_equal(out, "b.co.example");
	assert_int_equal(ag_dmarc_org_domain_psl(f->psl, "co.example", out,
						 sizeof(out)),
			 AG_OK);
	assert_string_equal(out, "co.example");	/* a suffix: itself */
	assert_int_equal(ag_psl_registrable(f->psl, "co.example", out,
					    sizeof(out)),
			 AG_ENOENT);
	assert_int_equal(ag_dmarc_org_domain_psl(f->psl, "a.b.co.example", out,
						 4),
			 AG_EINVAL);
}

static void
test_psl_open_errors(void **state)
{
	struct ag_psl *psl = NULL;
	struct ag_err err = { 0, "" };

	(void)state;
	assert_int_not_equal(ag_psl_open(&psl, "/nonexistent/psl.dat", &err),
			     AG_OK);
	assert_null(psl);
	assert_non_null(strstr(err.msg, "/nonexistent/psl.dat"));
	/* the system list (Debian's publicsuffix) */
	assert_int_equal(ag_psl_open(&psl, NULL, &err), AG_OK);
	char out[256];
	assert_int_equal(ag_dmarc_org_domain_psl(psl, "www.bbc.co.uk", out,
						 sizeof(out)),
			 AG_OK);
	assert_string_equal(out, "bbc.co.uk");
	ag_psl_free(&psl);
	assert_null(psl);
}

static void
test_no_from(void **state)
{
	struct fixture *f = *state;
	struct ag_dmarc_env env = { f->dns, f->psl, PSL };
	struct ag_dmarc_input in;
	struct ag_dmarc_eval ev;
	struct ag_err err = { 0, "" };

	memset(&in, 0, sizeof(in));
	assert_int_equal(ag_dmarc_evaluate(&env, &in, &ev, &err), AG_EINVAL);
	in.from_domain = "";
	assert_int_equal(ag_dmarc_evaluate(&env, &in, &ev, &err), AG_EINVAL);
	assert_string_equal(ag_dmarc_result_name(AG_DMARC_RES_TEMPERROR),
			    "temperror");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_sampled_and_testing_flags),
		cmocka_unit_test(test_walk_bound),
		cmocka_unit_test(test_org_domain_psl),
		cmocka_unit_test(test_psl_open_errors),
		cmocka_unit_test(test_no_from),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
