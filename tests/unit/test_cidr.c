/*
 * tests/unit/test_cidr.c - util/cidr: parsing networks, refusing host bits
 * and garbage, matching IPv4, IPv6 and IPv4-mapped IPv6 clients.
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
#include <sys/socket.h>
#include <sys/un.h>

#include <cmocka.h>

#include "util/cidr.h"

struct add_case {
	const char *label;
	const char *text;
	int want_rc;
};

static const struct add_case add_good[] = {
	{ "v4 /0", "0.0.0.0/0", AG_OK },
	{ "v4 /8", "10.0.0.0/8", AG_OK },
	{ "v4 /24", "192.0.2.0/24", AG_OK },
	{ "v4 odd /23", "192.0.2.0/23", AG_OK },
	{ "v4 /25", "198.51.100.128/25", AG_OK },
	{ "v4 /31", "192.0.2.254/31", AG_OK },
	{ "v4 /32", "192.0.2.1/32", AG_OK },
	{ "v4 bare host", "192.0.2.1", AG_OK },
	{ "v6 /0", "::/0", AG_OK },
	{ "v6 /32", "2001:db8::/32", AG_OK },
	{ "v6 odd /33", "2001:db8:8000::/33", AG_OK },
	{ "v6 /64", "2001:db8:1:2::/64", AG_OK },
	{ "v6 /127", "2001:db8::2/127", AG_OK },
	{ "v6 /128", "::1/128", AG_OK },
	{ "v6 bare host", "::1", AG_OK },
	{ "v6 mapped network", "::ffff:192.0.2.0/120", AG_OK },
};

static const struct add_case add_bad[] = {
	{ "empty", "", AG_EINVAL },
	{ "prefix only", "/24", AG_EINVAL },
	{ "slash without length", "192.0.2.0/", AG_EINVAL },
	{ "v4 host bits /24", "192.0.2.1/24", AG_EINVAL },
	{ "v4 host bits /23", "192.0.3.0/23", AG_EINVAL },
	{ "v4 host bits /8", "10.0.0.1/8", AG_EINVAL },
	{ "v4 host bits /31", "192.0.2.255/31", AG_EINVAL },
	{ "v4 host bits /0", "0.0.0.1/0", AG_EINVAL },
	{ "v4 prefix 33", "192.0.2.0/33", AG_EINVAL },
	{ "v4 prefix negative", "192.0.2.0/-1", AG_EINVAL },
	{ "v4 prefix plus sign", "192.0.2.0/+24", AG_EINVAL },
	{ "v4 prefix with space", "192.0.2.0/ 24", AG_EINVAL },
	{ "v4 trailing space", "192.0.2.0/24 ", AG_EINVAL },
	{ "v4 leading space", " 192.0.2.0/24", AG_EINVAL },
	{ "v4 two slashes", "192.0.2.0/24/", AG_EINVAL },
	{ "v4 prefix letters", "192.0.2.0/2a", AG_EINVAL },
	{ "v4 prefix overflow", "192.0.2.0/99999999999999999999",
	  AG_EINVAL },
	{ "v4 three octets", "192.0.2", AG_EINVAL },
	{ "v4 octet 256", "256.0.0.0", AG_EINVAL },
	{ "v4 five octets", "1.2.3.4.5", AG_EINVAL },
	{ "v4 leading zero octet", "01.2.3.4", AG_EINVAL },
	{ "host name", "localhost", AG_EINVAL },
	{ "v6 host bits /64", "2001:db8::1/64", AG_EINVAL },
	{ "v6 host bits /127", "2001:db8::1/127", AG_EINVAL },
	{ "v6 host bits /0", "::1/0", AG_EINVAL },
	{ "v6 prefix 129", "::/129", AG_EINVAL },
	{ "v6 slash without length", "::1/", AG_EINVAL },
	{ "v6 triple colon", "2001:db8:::/48", AG_EINVAL },
	{ "v6 zone id", "fe80::1%eth0", AG_EINVAL },
	{ "v6 in brackets", "[::1]", AG_EINVAL },
	{ "over-long text",
	  "2001:0db8:0000:0000:0000:0000:0000:0001:2001:0db8:0000:0000/64",
	  AG_EINVAL },
};

/* add_run - add one entry to a fresh set; returns 1 on failure */
static int
add_run(const struct add_case *c)
{
	struct ag_cidr *set = NULL;
	unsigned want_n = c->want_rc == AG_OK ? 1 : 0;
	int rc, bad = 0;

	assert_int_equal(ag_cidr_new(&set), AG_OK);
	rc = ag_cidr_add(set, c->text);
	if (rc != c->want_rc || ag_cidr_count(set) != want_n) {
		print_error("case %s: got rc %d count %u, want rc %d count "
			    "%u\n", c->label, rc, ag_cidr_count(set),
			    c->want_rc, want_n);
		bad = 1;
	}
	ag_cidr_free(&set);
	assert_null(set);
	return bad;
}

static void
test_cidr_add_accepts_networks(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(add_good) / sizeof(add_good[0]); i++)
		failed += (unsigned)add_run(&add_good[i]);
	assert_int_equal(failed, 0);
}

static void
test_cidr_add_rejects_host_bits_and_garbage(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(add_bad) / sizeof(add_bad[0]); i++)
		failed += (unsigned)add_run(&add_bad[i]);
	assert_int_equal(failed, 0);
}

struct match_case {
	const char *label;
	const char *entries;	/* space-separated, each must add */
	const char *client;
	bool want;
};

static const struct match_case match_cases[] = {
	{ "v4 /0 matches any v4", "0.0.0.0/0", "203.0.113.9", true },
	{ "v4 /32 exact", "192.0.2.1/32", "192.0.2.1", true },
	{ "v4 bare host exact", "192.0.2.1", "192.0.2.1", true },
	{ "v4 /32 neighbour", "192.0.2.1/32", "192.0.2.2", false },
	{ "v4 /23 low half", "192.0.2.0/23", "192.0.2.200", true },
	{ "v4 /23 high half", "192.0.2.0/23", "192.0.3.7", true },
	{ "v4 /23 just above", "192.0.2.0/23", "192.0.4.0", false },
	{ "v4 /23 just below", "192.0.2.0/23", "192.0.1.255", false },
	{ "v4 /25 first", "198.51.100.128/25", "198.51.100.128", true },
	{ "v4 /25 last", "198.51.100.128/25", "198.51.100.255", true },
	{ "v4 /25 below", "198.51.100.128/25", "198.51.100.127", false },
	{ "v4 /8", "10.0.0.0/8", "10.255.255.255", true },
	{ "v4 /8 outside", "10.0.0.0/8", "11.0.0.0", false },
	{ "v6 /0 matches any v6", "::/0", "2001:db8::1", true },
	{ "v6 /128 exact", "::1/128", "::1", true },
	{ "v6 /128 neighbour", "::1/128", "::2", false },
	{ "v6 /127 pair low", "2001:db8::2/127", "2001:db8::2", true },
	{ "v6 /127 pair high", "2001:db8::2/127", "2001:db8::3", true },
	{ "v6 /127 below", "2001:db8::2/127", "2001:db8::1", false },
	{ "v6 /127 above", "2001:db8::2/127", "2001:db8::4", false },
	{ "v6 /33 inside", "2001:db8:8000::/33", "2001:db8:ffff::1", true },
	{ "v6 /33 outside", "2001:db8:8000::/33", "2001:db8:7fff::1", false },
	{ "v6 /32 inside", "2001:db8::/32", "2001:db8:1234::5", true },
	{ "v6 /32 outside", "2001:db8::/32", "2001:db9::", false },
	{ "mapped client matches v4 entry", "192.0.2.0/24",
	  "::ffff:192.0.2.5", true },
	{ "mapped client outside v4 entry", "192.0.2.0/24",
	  "::ffff:192.0.3.5", false },
	{ "mapped client matches v4 /0", "0.0.0.0/0", "::ffff:1.2.3.4", true },
	{ "mapped loopback", "127.0.0.0/8 ::1", "::ffff:127.0.0.1", true },
	{ "mapped client matches v6 ::ffff:0:0/96", "::ffff:0:0/96",
	  "::ffff:192.0.2.1", true },
	{ "mapped client matches v6 ::/0", "::/0", "::ffff:192.0.2.1", true },
	{ "mapped client matches v6 mapped /120", "::ffff:192.0.2.0/120",
	  "::ffff:192.0.2.1", true },
	{ "mapped client matches v6 /128 of itself", "::ffff:192.0.2.1/128",
	  "::ffff:192.0.2.1", true },
	{ "mapped client, v6 entry after an unrelated v4 one",
	  "10.0.0.0/8 ::ffff:0:0/96", "::ffff:192.0.2.1", true },
	{ "mapped client not matched by unrelated v6", "2001:db8::/32",
	  "::ffff:192.0.2.1", false },
	{ "mapped client outside v6 mapped /120", "::ffff:198.51.100.0/120",
	  "::ffff:192.0.2.1", false },
	{ "mapped client not matched by v6 loopback", "::1",
	  "::ffff:127.0.0.1", false },
	{ "mapped client not matched by v4-compatible /96", "::/96",
	  "::ffff:192.0.2.1", false },
	{ "mapped client not matched by NAT64 /96", "64:ff9b::/96",
	  "::ffff:192.0.2.1", false },
	{ "v6 client not matched by v4 /0", "0.0.0.0/0", "2001:db8::1",
	  false },
	{ "v6 loopback not matched by v4 loopback", "127.0.0.0/8", "::1",
	  false },
	{ "v4 client not matched by v6 /0", "::/0", "192.0.2.1", false },
	{ "v4-compatible is not mapped", "192.0.2.0/24", "::192.0.2.5",
	  false },
	{ "NAT64 is not mapped", "192.0.2.0/24", "64:ff9b::c000:205", false },
	{ "::fffe is not mapped", "192.0.2.0/24", "::fffe:c000:205", false },
	{ "v4 with v6 bytes of zero", "0.0.0.0/8", "::", false },
	{ "several entries, second", "10.0.0.0/8 192.168.0.0/16 ::1",
	  "192.168.5.5", true },
	{ "several entries, none", "10.0.0.0/8 192.168.0.0/16 ::1",
	  "172.16.0.1", false },
	{ "empty set", "", "127.0.0.1", false },
	{ "garbage client", "0.0.0.0/0 ::/0", "not-an-address", false },
	{ "empty client", "0.0.0.0/0 ::/0", "", false },
	{ "client with prefix", "0.0.0.0/0 ::/0", "192.0.2.1/32", false },
	{ "client with trailing space", "0.0.0.0/0 ::/0", "192.0.2.1 ",
	  false },
	{ "client in brackets", "0.0.0.0/0 ::/0", "[::1]", false },
	{ "client with zone id", "0.0.0.0/0 ::/0", "fe80::1%lo", false },
};

/* set_build - a set holding each space-separated entry of entries */
static struct ag_cidr *
set_build(const char *entries)
{
	char buf[256], *p, *save = NULL;
	struct ag_cidr *set = NULL;

	assert_int_equal(ag_cidr_new(&set), AG_OK);
	snprintf(buf, sizeof(buf), "%s", entries);
	for (p = strtok_r(buf, " ", &save); p != NULL;
	     p = strtok_r(NULL, " ", &save))
		assert_int_equal(ag_cidr_add(set, p), AG_OK);
	return set;
}

/* sockaddr_from_text - fill ss from an address; false when not one */
static bool
sockaddr_from_text(const char *text, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		return true;
	}
	return false;
}

/* match_run - ag_cidr_match_text and ag_cidr_match must both agree */
static int
match_run(const struct match_case *c)
{
	struct sockaddr_storage ss;
	struct ag_cidr *set = set_build(c->entries);
	bool got = ag_cidr_match_text(set, c->client);
	int bad = 0;

	if (got != c->want) {
		print_error("case %s: got match_text %d, want %d\n", c->label,
			    got, c->want);
		bad = 1;
	}
	if (sockaddr_from_text(c->client, &ss)) {
		got = ag_cidr_match(set, (const struct sockaddr *)&ss);
		if (got != c->want) {
			print_error("case %s: got match %d, want %d\n",
				    c->label, got, c->want);
			bad = 1;
		}
	}
	ag_cidr_free(&set);
	return bad;
}

static void
test_cidr_match(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]);
	     i++)
		failed += (unsigned)match_run(&match_cases[i]);
	assert_int_equal(failed, 0);
}

static void
test_cidr_match_odd_inputs_are_false(void **state)
{
	struct ag_cidr *set = set_build("0.0.0.0/0 ::/0");
	struct sockaddr_un un;
	struct sockaddr_in in;
	unsigned failed = 0;

	(void)state;
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	if (ag_cidr_match(set, (const struct sockaddr *)&un)) {
		print_error("case unix socket client: got 1, want 0\n");
		failed++;
	}
	if (ag_cidr_match(set, NULL)) {
		print_error("case NULL client: got 1, want 0\n");
		failed++;
	}
	if (ag_cidr_match(NULL, (const struct sockaddr *)&in)) {
		print_error("case NULL set: got 1, want 0\n");
		failed++;
	}
	if (ag_cidr_match_text(NULL, "127.0.0.1")) {
		print_error("case NULL set text: got 1, want 0\n");
		failed++;
	}
	if (ag_cidr_count(NULL) != 0) {
		print_error("case NULL set count: got %u, want 0\n",
			    ag_cidr_count(NULL));
		failed++;
	}
	ag_cidr_free(&set);
	ag_cidr_free(&set);	/* a cleared pointer is fine to free again */
	ag_cidr_free(NULL);
	assert_int_equal(failed, 0);
}

static void
test_cidr_failed_add_leaves_set_unchanged(void **state)
{
	struct ag_cidr *set = set_build("10.0.0.0/8 ::1");
	unsigned failed = 0;

	(void)state;
	if (ag_cidr_add(set, "192.0.2.1/24") != AG_EINVAL ||
	    ag_cidr_add(set, "garbage") != AG_EINVAL) {
		print_error("case bad adds: got success, want AG_EINVAL\n");
		failed++;
	}
	if (ag_cidr_count(set) != 2) {
		print_error("case count after bad adds: got %u, want 2\n",
			    ag_cidr_count(set));
		failed++;
	}
	if (ag_cidr_match_text(set, "192.0.2.1")) {
		print_error("case refused entry matches: got 1, want 0\n");
		failed++;
	}
	if (!ag_cidr_match_text(set, "10.1.1.1") ||
	    !ag_cidr_match_text(set, "::1")) {
		print_error("case earlier entries: got no match, want "
			    "match\n");
		failed++;
	}
	ag_cidr_free(&set);
	assert_int_equal(failed, 0);
}

static void
test_cidr_limit_is_elimit(void **state)
{
	struct ag_cidr *set = NULL;
	char text[32];
	int rc = AG_OK;

	(void)state;
	assert_int_equal(ag_cidr_new(&set), AG_OK);
	for (unsigned i = 0; i < AG_CIDR_MAX && rc == AG_OK; i++) {
		snprintf(text, sizeof(text), "10.%u.%u.0/24", (i >> 8) & 0xff,
			 i & 0xff);
		rc = ag_cidr_add(set, text);
	}
	if (rc != AG_OK || ag_cidr_count(set) != AG_CIDR_MAX)
		fail_msg("case fill to limit: got rc %d count %u, want 0 "
			 "count %u", rc, ag_cidr_count(set), AG_CIDR_MAX);
	rc = ag_cidr_add(set, "192.0.2.0/24");
	if (rc != AG_ELIMIT || ag_cidr_count(set) != AG_CIDR_MAX ||
	    ag_cidr_match_text(set, "192.0.2.1"))
		fail_msg("case one past limit: got rc %d count %u, want %d "
			 "count %u and no match", rc, ag_cidr_count(set),
			 AG_ELIMIT, AG_CIDR_MAX);
	ag_cidr_free(&set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_add_accepts_networks),
		cmocka_unit_test(test_cidr_add_rejects_host_bits_and_garbage),
		cmocka_unit_test(test_cidr_match),
		cmocka_unit_test(test_cidr_match_odd_inputs_are_false),
		cmocka_unit_test(test_cidr_failed_add_leaves_set_unchanged),
		cmocka_unit_test(test_cidr_limit_is_elimit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
