/*
 * tests/unit/test_policy_dmarc.c - policy/dmarc.c (cmocka)
 *
 * What each DMARC outcome and each From problem does to the verdict under
 * DMARCEnforce, DMARCTempErrorAction and RejectMultipleFrom, and that a
 * stricter verdict already set is never softened.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "policy/dmarc.h"

static struct ag_dmarc_eval
eval(enum ag_dmarc_result r, enum ag_dmarc_policy dis)
{
	struct ag_dmarc_eval ev;

	memset(&ev, 0, sizeof(ev));
	ev.result = r;
	ev.disposition = dis;
	return ev;
}

static void
test_enforce(void **state)
{
	struct ag_policy_dmarc_config on = { true, false, true };
	struct ag_policy_dmarc_config off = { false, false, true };
	struct ag_dmarc_eval ev = eval(AG_DMARC_RES_FAIL, AG_DMARC_P_REJECT);
	struct ag_verdict v;

	(void)state;
	ag_verdict_init(&v);
	ag_policy_dmarc(&off, &ev, "bank.example", &v);
	assert_int_equal(v.action, AG_ACTION_ACCEPT);
	ag_policy_dmarc(&on, &ev, "bank.example", &v);
	assert_int_equal(v.action, AG_ACTION_REJECT);
	assert_string_equal(v.rcode, "550");
	assert_string_equal(v.xcode, "5.7.1");
	assert_non_null(strstr(v.text, "bank.example"));
	assert_string_equal(v.reason, "dmarc-reject");

	ev = eval(AG_DMARC_RES_FAIL, AG_DMARC_P_QUARANTINE);
	ag_verdict_init(&v);
	ag_policy_dmarc(&on, &ev, "shop.example", &v);
	assert_int_equal(v.action, AG_ACTION_ACCEPT);
	assert_true(v.quarantine);

	ev = eval(AG_DMARC_RES_FAIL, AG_DMARC_P_NONE);
	ag_verdict_init(&v);
	ag_policy_dmarc(&on, &ev, "open.example", &v);
	assert_int_equal(v.action, AG_ACTION_ACCEPT);
	assert_false(v.quarantine);

	/* a pass never does anything, whatever the policy */
	ev = eval(AG_DMARC_RES_PASS, AG_DMARC_P_REJECT);
	ag_verdict_init(&v);
	ag_policy_dmarc(&on, &ev, "bank.example", &v);
	assert_int_equal(v.action, AG_ACTION_ACCEPT);
}

static void
test_temperror(void **state)
{
	struct ag_policy_dmarc_config accept = { true, false, true };
	struct ag_policy_dmarc_config tempfail = { false, true, true };
	struct ag_dmarc_eval ev = eval(AG_DMARC_RES_TEMPERROR, AG_DMARC_P_NONE);
	struct ag_verdict v;

	(void)state;
	ag_verdict_init(&v);
	ag_policy_dmarc(&accept, &ev, "slow.example", &v);
	assert_int_equal(v.action, AG_ACTION_ACCEPT);
	ag_policy_dmarc(&tempfail, &ev, "slow.example", &v);
	assert_int_equal(v.action, AG_ACTION_TEMPFAIL);
	assert_string_equal(v.rcode, "451");
	assert_string_equal(v.xcode, "4.7.1");
}

static void
test_never_softer(void **state)
{
	struct ag_policy_dmarc_config cfg = { true, true, true };
	struct ag_dmarc_eval ev = eval(AG_DMARC_RES_TEMPERROR, AG_DMARC_P_NONE);
	struct ag_verdict v;

	(void)state;
	ag_verdict_init(&v);
	ag_policy_dmarc_from(&cfg, AG_FROM_SEVERAL, &v);
	assert_int_equal(v.action, AG_ACTION_REJECT);
	ag_policy_dmarc(&cfg, &ev, "slow.example", &v);
	assert_int_equal(v.action, AG_ACTION_REJECT);	/* not 451 */
	assert_string_equal(v.reason, "bad-from");
}

static void
test_from_problems(void **state)
{
	struct ag_policy_dmarc_config on = { false, false, true };
	struct ag_policy_dmarc_config off = { false, false, false };
	struct ag_verdict v;
	enum ag_from_problem p[] = { AG_FROM_NONE, AG_FROM_SEVERAL,
				     AG_FROM_DOMAINS, AG_FROM_NO_DOMAIN };

	(void)state;
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		ag_verdict_init(&v);
		ag_policy_dmarc_from(&off, p[i], &v);
		assert_int_equal(v.action, AG_ACTION_ACCEPT);
		ag_policy_dmarc_from(&on, p[i], &v);
		assert_int_equal(v.action, AG_ACTION_REJECT);
		assert_string_equal(v.xcode, "5.7.1");
		assert_non_null(strstr(v.text, ag_from_problem_name(p[i])));
		assert_null(strchr(v.text, '%'));
	}
	ag_verdict_init(&v);
	ag_policy_dmarc_from(&on, AG_FROM_OK, &v);
	assert_int_equal(v.action, AG_ACTION_ACCEPT);
}

static void
test_hostile_domain_in_reply(void **state)
{
	struct ag_policy_dmarc_config on = { true, false, true };
	struct ag_dmarc_eval ev = eval(AG_DMARC_RES_FAIL, AG_DMARC_P_REJECT);
	struct ag_verdict v;

	(void)state;
	ag_verdict_init(&v);
	ag_policy_dmarc(&on, &ev, "a%s%n\r\nb.example", &v);
	assert_int_equal(v.action, AG_ACTION_REJECT);
	assert_null(strchr(v.text, '%'));
	assert_null(strchr(v.text, '\r'));
	assert_null(strchr(v.text, '\n'));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enforce),
		cmocka_unit_test(test_temperror),
		cmocka_unit_test(test_never_softer),
		cmocka_unit_test(test_from_problems),
		cmocka_unit_test(test_hostile_domain_in_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
