/*
 * tests/unit/test_iprev_dnsbl.c - policy/iprev (RFC 8601 iprev) and
 * policy/dnsbl (RFC 5782 names and answers) against an in-memory zone
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
#include <string.h>

#include <cmocka.h>

#include "policy/dnsbl.h"
#include "policy/iprev.h"
#include "util/dns_zone.h"

static struct ag_dns_zone *zone;
static struct ag_dns *dns;

static void
add(const char *name, uint16_t type, const char *text)
{
	assert_int_equal(ag_dns_zone_add(zone, name, type, text, 60), AG_OK);
}

static int
setup(void **state)
{
	struct ag_dns_config cfg;
	char name[64];

	(void)state;
	if (ag_dns_zone_new(&zone) != AG_OK)
		return -1;
	add("1.2.0.192.in-addr.arpa", AG_DNS_PTR, "mail.good.example");
	add("mail.good.example", AG_DNS_A, "192.0.2.1");
	add("2.2.0.192.in-addr.arpa", AG_DNS_PTR, "liar.example");
	add("liar.example", AG_DNS_A, "198.51.100.1");
	add("3.2.0.192.in-addr.arpa", AG_DNS_PTR, "first.example");
	add("3.2.0.192.in-addr.arpa", AG_DNS_PTR, "second.example");
	add("second.example", AG_DNS_A, "192.0.2.3");
	add("4.2.0.192.in-addr.arpa", AG_DNS_PTR, "broken.example");
	assert_int_equal(ag_dns_zone_servfail(zone, "broken.example"), AG_OK);
	assert_int_equal(ag_dns_zone_timeout(zone, "5.2.0.192.in-addr.arpa"),
			 AG_OK);
	for (int i = 0; i < 11; i++) {
		snprintf(name, sizeof(name), "n%d.example", i);
		add("6.2.0.192.in-addr.arpa", AG_DNS_PTR, name);
		add(name, AG_DNS_A, i == 10 ? "192.0.2.6" : "203.0.113.9");
	}
	add("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
	    "ip6.arpa",
	    AG_DNS_PTR, "v6.good.example");
	add("v6.good.example", AG_DNS_AAAA, "2001:db8::1");
	/* DNS lists */
	add("2.0.0.127.bl.example", AG_DNS_A, "127.0.0.2");
	add("2.0.0.127.bl.example", AG_DNS_TXT, "test point");
	add("9.2.0.192.bl.example", AG_DNS_A, "127.0.0.4");
	add("9.2.0.192.bl.example", AG_DNS_A, "127.0.0.10");
	add("8.2.0.192.bl.example", AG_DNS_A, "192.0.2.99");
	add("7.2.0.192.bl.example", AG_DNS_A, "127.255.255.254");
	add("bad.example.dbl.example", AG_DNS_A, "127.0.1.2");
	assert_int_equal(ag_dns_zone_timeout(zone, "6.2.0.192.bl.example"),
			 AG_OK);
	ag_dns_config_defaults(&cfg);
	cfg.cache_entries = 0;
	return ag_dns_new_zone(&dns, &cfg, zone, NULL) == AG_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	ag_dns_free(&dns);
	ag_dns_zone_free(&zone);
	return 0;
}

static void
sa_of(const char *ip, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &((struct sockaddr_in *)ss)->sin_addr) ==
	    1)
		ss->ss_family = AF_INET;
	else if (inet_pton(AF_INET6, ip,
			   &((struct sockaddr_in6 *)ss)->sin6_addr) == 1)
		ss->ss_family = AF_INET6;
}

static void
test_iprev(void **state)
{
	static const struct {
		const char *label, *ip, *result, *name;
	} cases[] = {
		{ "pass v4", "192.0.2.1", "pass", "mail.good.example" },
		{ "pass v6", "2001:db8::1", "pass", "v6.good.example" },
		{ "mapped v4", "::ffff:192.0.2.1", "pass", "mail.good.example" },
		{ "no PTR", "192.0.2.200", "fail", "" },
		{ "PTR name elsewhere", "192.0.2.2", "fail", "liar.example" },
		{ "second name confirms", "192.0.2.3", "pass",
		  "second.example" },
		{ "forward servfail", "192.0.2.4", "temperror",
		  "broken.example" },
		{ "PTR timeout", "192.0.2.5", "temperror", "" },
		{ "only the 11th name confirms", "192.0.2.6", "fail", NULL },
	};
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_storage ss;
		struct ag_iprev r;

		sa_of(cases[i].ip, &ss);
		assert_int_equal(ag_iprev_check(dns, (struct sockaddr *)&ss, &r),
				 AG_OK);
		if (strcmp(ag_iprev_result_name(r.result), cases[i].result) !=
			    0 ||
		    (cases[i].name != NULL &&
		     strcmp(r.name, cases[i].name) != 0)) {
			printf("case %s: got %s %s, want %s %s\n",
			       cases[i].label, ag_iprev_result_name(r.result),
			       r.name, cases[i].result,
			       cases[i].name ? cases[i].name : "*");
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void
test_dnsbl_names(void **state)
{
	struct sockaddr_storage ss;
	char out[300], longname[300];

	(void)state;
	sa_of("192.0.2.9", &ss);
	assert_int_equal(ag_dnsbl_ip_name((struct sockaddr *)&ss,
					  "bl.example", out, sizeof(out)),
			 AG_OK);
	assert_string_equal(out, "9.2.0.192.bl.example");
	sa_of("2001:db8::1", &ss);
	assert_int_equal(ag_dnsbl_ip_name((struct sockaddr *)&ss,
					  "bl.example", out, sizeof(out)),
			 AG_OK);
	assert_string_equal(out, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
				 "0.0.0.0.8.b.d.0.1.0.0.2.bl.example");
	sa_of("::ffff:192.0.2.9", &ss);
	assert_int_equal(ag_dnsbl_ip_name((struct sockaddr *)&ss,
					  "bl.example", out, sizeof(out)),
			 AG_OK);
	assert_string_equal(out, "9.2.0.192.bl.example");
	assert_int_equal(ag_dnsbl_ip_name((struct sockaddr *)&ss, "bl.example",
					  out, 10),
			 AG_EINVAL);
	assert_int_equal(ag_dnsbl_domain_name("Bad.Example.", "dbl.example",
					      out, sizeof(out)),
			 AG_OK);
	assert_string_equal(out, "bad.example.dbl.example");
	assert_int_equal(ag_dnsbl_domain_name("", "dbl.example", out,
					      sizeof(out)),
			 AG_EINVAL);
	assert_int_equal(ag_dnsbl_domain_name("a..b", "dbl.example", out,
					      sizeof(out)),
			 AG_EINVAL);
	memset(longname, 'a', 250);
	longname[250] = '\0';
	assert_int_equal(ag_dnsbl_domain_name(longname, "dbl.example", out,
					      sizeof(out)),
			 AG_EINVAL);
}

static void
test_dnsbl_answers(void **state)
{
	static const struct {
		const char *label, *name;
		enum ag_dnsbl_status status;
		unsigned ncodes;
	} cases[] = {
		{ "RFC 5782 test point listed", "2.0.0.127.bl.example",
		  AG_DNSBL_LISTED, 1 },
		{ "RFC 5782 127.0.0.1 not listed", "1.0.0.127.bl.example",
		  AG_DNSBL_NOT_LISTED, 0 },
		{ "two codes", "9.2.0.192.bl.example", AG_DNSBL_LISTED, 2 },
		{ "answer outside 127/8 ignored", "8.2.0.192.bl.example",
		  AG_DNSBL_NOT_LISTED, 0 },
		{ "query refused", "7.2.0.192.bl.example", AG_DNSBL_ERROR, 0 },
		{ "timeout", "6.2.0.192.bl.example", AG_DNSBL_ERROR, 0 },
		{ "domain list", "bad.example.dbl.example", AG_DNSBL_LISTED, 1 },
	};
	struct ag_dnsbl_answer a;
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(ag_dnsbl_query(dns, cases[i].name, false, &a),
				 AG_OK);
		if (a.status != cases[i].status || a.ncodes != cases[i].ncodes) {
			printf("case %s: got status %d codes %u, want %d %u\n",
			       cases[i].label, a.status, a.ncodes,
			       cases[i].status, cases[i].ncodes);
			failed++;
		}
	}
	assert_int_equal(ag_dnsbl_query(dns, "2.0.0.127.bl.example", true, &a),
			 AG_OK);
	assert_string_equal(a.text, "test point");
	assert_int_equal(a.code[0], 0x7f000002);
	assert_int_equal(failed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iprev),
		cmocka_unit_test(test_dnsbl_names),
		cmocka_unit_test(test_dnsbl_answers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
