/*
 * tests/unit/test_dns_cache.c - util/dns_cache.c driven directly: hits are
 * deep copies with aged TTLs, expiry on an injected clock, the LRU bound,
 * and which statuses are stored.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/dns.h"
#include "util/dns_cache.h"
#include "util/dns_int.h"

#define WANT_INT(label, what, got, want)                                    \
	do {                                                                \
		long long g_ = (long long)(got), w_ = (long long)(want);    \
		if (g_ != w_)                                               \
			fail_msg("case %s: %s: got %lld, want %lld", (label), \
				 (what), g_, w_);                           \
	} while (0)

#define WANT_STR(label, what, got, want)                                    \
	do {                                                                \
		if (strcmp((got), (want)) != 0)                             \
			fail_msg("case %s: %s: got '%s', want '%s'", (label), \
				 (what), (got), (want));                    \
	} while (0)

static uint64_t
fake_clock(void *arg)
{
	return *(const uint64_t *)arg;
}

/* answer_a - an answer holding one A record 192.0.2.<last> */
static struct ag_dns_answer *
answer_a(enum ag_dns_status st, uint32_t ttl, unsigned char last)
{
	struct ag_dns_answer *ans = ag_dns_answer_new(st, AG_DNS_A, 1);

	assert_non_null(ans);
	ans->ttl = ttl;
	if (st != AG_DNS_OK)
		return ans;
	ans->rr[0].data = malloc(5);
	assert_non_null(ans->rr[0].data);
	memcpy(ans->rr[0].data, (unsigned char[]){ 192, 0, 2, last, 0 }, 5);
	ans->rr[0].len = 4;
	ans->rr[0].type = AG_DNS_A;
	ans->rr[0].ttl = ttl;
	ans->count = 1;
	return ans;
}

static void
test_cache_hit_and_expiry(void **state)
{
	struct ag_dns_cache *c = NULL;
	struct ag_dns_answer *in = answer_a(AG_DNS_OK, 300, 5), *out = NULL;
	uint64_t now = 1000000;

	(void)state;
	assert_int_equal(ag_dns_cache_new(&c, 10), AG_OK);
	ag_dns_cache_set_clock(c, fake_clock, &now);
	assert_int_equal(ag_dns_cache_get(c, "a.example", AG_DNS_A, &out), 0);
	ag_dns_cache_put(c, "a.example", AG_DNS_A, in);
	assert_int_equal(ag_dns_cache_count(c), 1);
	in->rr[0].data[3] = 99;	/* the cache holds its own copy */
	/* another type of the same name is another entry */
	assert_int_equal(ag_dns_cache_get(c, "a.example", AG_DNS_AAAA, &out),
			 0);
	now += 100 * 1000 + 500;
	assert_int_equal(ag_dns_cache_get(c, "a.example", AG_DNS_A, &out), 1);
	assert_int_equal(out->from_cache, 1);
	assert_int_equal(out->ttl, 200);
	assert_int_equal(out->count, 1);
	assert_int_equal(out->rr[0].ttl, 200);
	assert_int_equal(out->rr[0].len, 4);
	assert_memory_equal(out->rr[0].data, "\xc0\x00\x02\x05", 5);
	/* a deep copy: the cache's entry survives the caller freeing it */
	ag_dns_answer_free(&out);
	now += 199 * 1000;
	assert_int_equal(ag_dns_cache_get(c, "a.example", AG_DNS_A, &out), 1);
	assert_int_equal(out->ttl, 1);
	ag_dns_answer_free(&out);
	now += 1000;	/* 300 s after the put */
	assert_int_equal(ag_dns_cache_get(c, "a.example", AG_DNS_A, &out), 0);
	assert_null(out);
	assert_int_equal(ag_dns_cache_count(c), 0);
	ag_dns_answer_free(&in);
	ag_dns_cache_free(&c);
	assert_null(c);
}

static void
test_cache_lru_bound(void **state)
{
	struct ag_dns_cache *c = NULL;
	struct ag_dns_answer *in = answer_a(AG_DNS_OK, 300, 1), *out = NULL;

	(void)state;
	assert_int_equal(ag_dns_cache_new(&c, 2), AG_OK);
	ag_dns_cache_put(c, "a", AG_DNS_A, in);
	ag_dns_cache_put(c, "b", AG_DNS_A, in);
	assert_int_equal(ag_dns_cache_get(c, "a", AG_DNS_A, &out), 1);
	ag_dns_answer_free(&out);
	ag_dns_cache_put(c, "c", AG_DNS_A, in);	/* evicts b, the LRU */
	assert_int_equal(ag_dns_cache_count(c), 2);
	assert_int_equal(ag_dns_cache_get(c, "b", AG_DNS_A, &out), 0);
	assert_int_equal(ag_dns_cache_get(c, "a", AG_DNS_A, &out), 1);
	ag_dns_answer_free(&out);
	assert_int_equal(ag_dns_cache_get(c, "c", AG_DNS_A, &out), 1);
	ag_dns_answer_free(&out);
	/* replacing an entry does not grow the cache */
	for (int i = 0; i < 5; i++)
		ag_dns_cache_put(c, "c", AG_DNS_A, in);
	assert_int_equal(ag_dns_cache_count(c), 2);
	for (int i = 0; i < 100; i++) {
		char key[16];

		snprintf(key, sizeof(key), "k%d", i);
		ag_dns_cache_put(c, key, AG_DNS_A, in);
		assert_true(ag_dns_cache_count(c) <= 2);
	}
	assert_int_equal(ag_dns_cache_get(c, "k99", AG_DNS_A, &out), 1);
	ag_dns_answer_free(&out);
	ag_dns_answer_free(&in);
	ag_dns_cache_free(&c);
}

static void
test_cache_statuses(void **state)
{
	const struct {
		const char *label;
		enum ag_dns_status st;
		uint32_t ttl;
		int stored;
	} cases[] = {
		{ "ok", AG_DNS_OK, 60, 1 },
		{ "nxdomain", AG_DNS_NXDOMAIN, 60, 1 },
		{ "nodata", AG_DNS_NODATA, 60, 1 },
		{ "servfail", AG_DNS_SERVFAIL, 60, 0 },
		{ "timeout", AG_DNS_TIMEOUT, 60, 0 },
		{ "error", AG_DNS_ERROR, 60, 0 },
		{ "ok-ttl-0", AG_DNS_OK, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ag_dns_cache *c = NULL;
		struct ag_dns_answer *in, *out = NULL;

		in = answer_a(cases[i].st, cases[i].ttl, 1);
		assert_int_equal(ag_dns_cache_new(&c, 4), AG_OK);
		ag_dns_cache_put(c, "x.example", AG_DNS_A, in);
		WANT_INT(cases[i].label, "stored",
			 ag_dns_cache_get(c, "x.example", AG_DNS_A, &out),
			 cases[i].stored);
		if (out != NULL)
			WANT_STR(cases[i].label, "status",
				 ag_dns_status_name(out->status),
				 ag_dns_status_name(cases[i].st));
		ag_dns_answer_free(&out);
		ag_dns_answer_free(&in);
		ag_dns_cache_free(&c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_hit_and_expiry),
		cmocka_unit_test(test_cache_lru_bound),
		cmocka_unit_test(test_cache_statuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
