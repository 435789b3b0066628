/*
 * tests/unit/test_dns.c - util/dns.c and util/dns_answer.c: response-to-
 * answer mapping, name checks, and the resolver over an in-memory zone
 * with its cache (injected clock), threads included. The cache alone is
 * in test_dns_cache.c, the network transport in test_dns_net.c.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "util/dns.h"
#include "util/dns_cache.h"
#include "util/dns_int.h"
#include "util/dns_zone.h"

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

/* rr_text - a record's data as text: addresses via inet_ntop */
static const char *
rr_text(const struct ag_dns_rr *rr, char *buf, size_t size)
{
	if (rr->type == AG_DNS_A && rr->len == 4)
		return inet_ntop(AF_INET, rr->data, buf, (socklen_t)size);
	if (rr->type == AG_DNS_AAAA && rr->len == 16)
		return inet_ntop(AF_INET6, rr->data, buf, (socklen_t)size);
	snprintf(buf, size, "%.*s", (int)rr->len, (const char *)rr->data);
	return buf;
}

/* ------------------------------------------------------------------ */
/* packet to answer                                                   */
/* ------------------------------------------------------------------ */

/* make_pkt - a response for (qname, qtype) with rcode and records */
static ldns_pkt *
make_pkt(const char *qname, uint16_t qtype, ldns_pkt_rcode rcode,
	 const char *const *an, const char *const *ns)
{
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_rr *rr = ldns_rr_new();
	ldns_rdf *owner = NULL;

	assert_non_null(pkt);
	assert_int_equal(ldns_str2rdf_dname(&owner, qname), LDNS_STATUS_OK);
	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_type(rr, (ldns_rr_type)qtype);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(rr, true);
	assert_true(ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, rr));
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_rcode(pkt, (uint8_t)rcode);
	for (unsigned i = 0; an != NULL && an[i] != NULL; i++) {
		assert_int_equal(ldns_rr_new_frm_str(&rr, an[i], 0, NULL, NULL),
				 LDNS_STATUS_OK);
		assert_true(ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr));
	}
	for (unsigned i = 0; ns != NULL && ns[i] != NULL; i++) {
		assert_int_equal(ldns_rr_new_frm_str(&rr, ns[i], 0, NULL, NULL),
				 LDNS_STATUS_OK);
		assert_true(ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, rr));
	}
	return pkt;
}

/* map_answer - run ag_dns_pkt_answer() on pkt */
static struct ag_dns_answer *
map_answer(const ldns_pkt *pkt, const char *qname, uint16_t qtype,
	   unsigned ttl_cap, unsigned neg_cap)
{
	struct ag_dns_answer *ans = NULL;
	ldns_rdf *q = NULL;

	assert_int_equal(ldns_str2rdf_dname(&q, qname), LDNS_STATUS_OK);
	assert_int_equal(ag_dns_pkt_answer(pkt, q, qtype, ttl_cap, neg_cap,
					   &ans),
			 AG_OK);
	ldns_rdf_deep_free(q);
	assert_non_null(ans);
	return ans;
}

#define SOA(ttl, min)                                                       \
	"example.com. " #ttl " IN SOA ns.example.com. h.example.com. "      \
	"1 7200 900 1209600 " #min

struct map_case {
	const char *label;
	const char *qname;
	uint16_t qtype;
	ldns_pkt_rcode rcode;
	const char *an[6];
	const char *ns[2];
	enum ag_dns_status status;
	unsigned count;
	uint32_t ttl;
	const char *first;	/* rr[0] as rr_text() gives it */
	uint16_t pref;
	unsigned nstrings;
};

static const struct map_case map_cases[] = {
	{ "a", "example.com", AG_DNS_A, LDNS_RCODE_NOERROR,
	  { "example.com. 300 IN A 192.0.2.1" }, { NULL },
	  AG_DNS_OK, 1, 300, "192.0.2.1", 0, 0 },
	{ "a-two-lowest-ttl", "example.com.", AG_DNS_A, LDNS_RCODE_NOERROR,
	  { "example.com. 300 IN A 192.0.2.1",
	    "example.com. 60 IN A 192.0.2.2" }, { NULL },
	  AG_DNS_OK, 2, 60, "192.0.2.1", 0, 0 },
	{ "a-owner-case", "EXAMPLE.com", AG_DNS_A, LDNS_RCODE_NOERROR,
	  { "example.COM. 300 IN A 192.0.2.9" }, { NULL },
	  AG_DNS_OK, 1, 300, "192.0.2.9", 0, 0 },
	{ "a-ttl-capped", "example.com", AG_DNS_A, LDNS_RCODE_NOERROR,
	  { "example.com. 999999 IN A 192.0.2.1" }, { NULL },
	  AG_DNS_OK, 1, 86400, "192.0.2.1", 0, 0 },
	{ "aaaa", "example.com", AG_DNS_AAAA, LDNS_RCODE_NOERROR,
	  { "example.com. 300 IN AAAA 2001:db8::1" }, { NULL },
	  AG_DNS_OK, 1, 300, "2001:db8::1", 0, 0 },
	{ "mx-pref", "example.com", AG_DNS_MX, LDNS_RCODE_NOERROR,
	  { "example.com. 3600 IN MX 10 Mail.Example.com." }, { NULL },
	  AG_DNS_OK, 1, 3600, "Mail.Example.com", 10, 0 },
	{ "mx-null", "example.com", AG_DNS_MX, LDNS_RCODE_NOERROR,
	  { "example.com. 3600 IN MX 0 ." }, { NULL },
	  AG_DNS_OK, 1, 3600, "", 0, 0 },
	{ "ptr", "1.2.0.192.in-addr.arpa", AG_DNS_PTR, LDNS_RCODE_NOERROR,
	  { "1.2.0.192.in-addr.arpa. 300 IN PTR host.example.net." },
	  { NULL }, AG_DNS_OK, 1, 300, "host.example.net", 0, 0 },
	{ "txt-multi", "example.com", AG_DNS_TXT, LDNS_RCODE_NOERROR,
	  { "example.com. 300 IN TXT \"v=spf1 \" \"ip4:192.0.2.0/24\" "
	    "\" -all\"" }, { NULL },
	  AG_DNS_OK, 1, 300, "v=spf1 ip4:192.0.2.0/24 -all", 0, 3 },
	{ "txt-empty", "example.com", AG_DNS_TXT, LDNS_RCODE_NOERROR,
	  { "example.com. 300 IN TXT \"\"" }, { NULL },
	  AG_DNS_OK, 1, 300, "", 0, 1 },
	{ "cname-chain", "www.example.com", AG_DNS_A, LDNS_RCODE_NOERROR,
	  { "www.example.com. 600 IN CNAME a.example.com.",
	    "a.example.com. 100 IN CNAME b.example.org.",
	    "b.example.org. 300 IN A 192.0.2.7" }, { NULL },
	  AG_DNS_OK, 1, 100, "192.0.2.7", 0, 0 },
	{ "cname-asked", "www.example.com", AG_DNS_CNAME, LDNS_RCODE_NOERROR,
	  { "www.example.com. 600 IN CNAME a.example.com." }, { NULL },
	  AG_DNS_OK, 1, 600, "a.example.com", 0, 0 },
	{ "cname-dangling", "www.example.com", AG_DNS_A, LDNS_RCODE_NOERROR,
	  { "www.example.com. 600 IN CNAME a.example.com." }, { NULL },
	  AG_DNS_NODATA, 0, 300, NULL, 0, 0 },
	{ "cname-loop", "a.example.com", AG_DNS_A, LDNS_RCODE_NOERROR,
	  { "a.example.com. 60 IN CNAME b.example.com.",
	    "b.example.com. 60 IN CNAME a.example.com." }, { NULL },
	  AG_DNS_NODATA, 0, 300, NULL, 0, 0 },
	{ "other-owner-ignored", "example.com", AG_DNS_A, LDNS_RCODE_NOERROR,
	  { "evil.example.net. 300 IN A 192.0.2.66" }, { NULL },
	  AG_DNS_NODATA, 0, 300, NULL, 0, 0 },
	{ "other-type-nodata", "example.com", AG_DNS_A, LDNS_RCODE_NOERROR,
	  { "example.com. 300 IN AAAA 2001:db8::1" }, { NULL },
	  AG_DNS_NODATA, 0, 300, NULL, 0, 0 },
	{ "nodata-soa-ttl", "example.com", AG_DNS_TXT, LDNS_RCODE_NOERROR,
	  { NULL }, { SOA(60, 3600) }, AG_DNS_NODATA, 0, 60, NULL, 0, 0 },
	{ "nxdomain-default-ttl", "nx.example.com", AG_DNS_A,
	  LDNS_RCODE_NXDOMAIN, { NULL }, { NULL },
	  AG_DNS_NXDOMAIN, 0, 300, NULL, 0, 0 },
	{ "nxdomain-soa-minimum", "nx.example.com", AG_DNS_A,
	  LDNS_RCODE_NXDOMAIN, { NULL }, { SOA(600, 120) },
	  AG_DNS_NXDOMAIN, 0, 120, NULL, 0, 0 },
	{ "nxdomain-neg-cap", "nx.example.com", AG_DNS_A,
	  LDNS_RCODE_NXDOMAIN, { NULL }, { SOA(7200, 7200) },
	  AG_DNS_NXDOMAIN, 0, 900, NULL, 0, 0 },
	{ "servfail", "example.com", AG_DNS_A, LDNS_RCODE_SERVFAIL,
	  { NULL }, { NULL }, AG_DNS_SERVFAIL, 0, 0, NULL, 0, 0 },
	{ "servfail-ignores-records", "example.com", AG_DNS_A,
	  LDNS_RCODE_SERVFAIL, { "example.com. 300 IN A 192.0.2.1" },
	  { NULL }, AG_DNS_SERVFAIL, 0, 0, NULL, 0, 0 },
	{ "formerr", "example.com", AG_DNS_A, LDNS_RCODE_FORMERR,
	  { NULL }, { NULL }, AG_DNS_SERVFAIL, 0, 0, NULL, 0, 0 },
	{ "refused", "example.com", AG_DNS_A, LDNS_RCODE_REFUSED,
	  { NULL }, { NULL }, AG_DNS_ERROR, 0, 0, NULL, 0, 0 },
};

static void
test_pkt_mapping(void **state)
{
	char buf[300];

	(void)state;
	for (size_t i = 0; i < sizeof(map_cases) / sizeof(map_cases[0]); i++) {
		const struct map_case *c = &map_cases[i];
		ldns_pkt *pkt = make_pkt(c->qname, c->qtype, c->rcode, c->an,
					 c->ns);
		struct ag_dns_answer *ans =
			map_answer(pkt, c->qname, c->qtype, 86400, 900);

		WANT_STR(c->label, "status", ag_dns_status_name(ans->status),
			 ag_dns_status_name(c->status));
		WANT_INT(c->label, "count", ans->count, c->count);
		WANT_INT(c->label, "ttl", ans->ttl, c->ttl);
		WANT_INT(c->label, "type", ans->type, c->qtype);
		WANT_INT(c->label, "truncated", ans->truncated, 0);
		if (c->first != NULL) {
			WANT_STR(c->label, "rr[0]",
				 rr_text(&ans->rr[0], buf, sizeof(buf)),
				 c->first);
			WANT_INT(c->label, "rr[0] type", ans->rr[0].type,
				 c->qtype);
			WANT_INT(c->label, "pref", ans->rr[0].pref, c->pref);
			WANT_INT(c->label, "nstrings", ans->rr[0].nstrings,
				 c->nstrings);
			WANT_INT(c->label, "NUL after data",
				 ans->rr[0].data[ans->rr[0].len], 0);
		}
		ag_dns_answer_free(&ans);
		assert_null(ans);
		ldns_pkt_free(pkt);
	}
}

/* more than AG_DNS_MAX_RRS records: the rest dropped, truncated set */
static void
test_pkt_max_rrs(void **state)
{
	char rec[AG_DNS_MAX_RRS + 10][64];
	const char *an[6] = { NULL };
	ldns_pkt *pkt = make_pkt("big.example", AG_DNS_A, LDNS_RCODE_NOERROR,
				 an, NULL);
	struct ag_dns_answer *ans;
	ldns_rr *rr;

	(void)state;
	for (unsigned i = 0; i < AG_DNS_MAX_RRS + 10; i++) {
		snprintf(rec[i], sizeof(rec[i]),
			 "big.example. 60 IN A 10.0.%u.%u", i / 256, i % 256);
		assert_int_equal(
			ldns_rr_new_frm_str(&rr, rec[i], 0, NULL, NULL),
			LDNS_STATUS_OK);
		assert_true(ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr));
	}
	ans = map_answer(pkt, "big.example", AG_DNS_A, 86400, 900);
	assert_int_equal(ans->status, AG_DNS_OK);
	assert_int_equal(ans->count, AG_DNS_MAX_RRS);
	assert_int_equal(ans->truncated, 1);
	ag_dns_answer_free(&ans);
	ldns_pkt_free(pkt);
}

/* ------------------------------------------------------------------ */
/* names                                                              */
/* ------------------------------------------------------------------ */

/* labels - n labels of the given lengths joined by dots into buf */
static const char *
labels(char *buf, const unsigned *len, unsigned n, const char *tail)
{
	size_t pos = 0;

	for (unsigned i = 0; i < n; i++) {
		if (i > 0)
			buf[pos++] = '.';
		memset(buf + pos, 'a' + (int)i, len[i]);
		pos += len[i];
	}
	snprintf(buf + pos, 300 - pos, "%s", tail);
	return buf;
}

static void
test_name_check(void **state)
{
	static const unsigned l63[] = { 63, 3 }, l64[] = { 64, 3 };
	static const unsigned n253[] = { 63, 63, 63, 61 };
	static const unsigned n254[] = { 63, 63, 63, 62 };
	char b[8][300];
	const struct {
		const char *label, *name;
		int want;
	} cases[] = {
		{ "plain", "example.com", AG_OK },
		{ "trailing-dot", "example.com.", AG_OK },
		{ "underscore", "_spf._dmarc.example.com", AG_OK },
		{ "single-label", "localhost", AG_OK },
		{ "escaped-dot", "a\\.b.example", AG_OK },
		{ "label-63", labels(b[0], l63, 2, ""), AG_OK },
		{ "label-64", labels(b[1], l64, 2, ""), AG_EINVAL },
		{ "name-253", labels(b[2], n253, 4, ""), AG_OK },
		{ "name-253-dot", labels(b[3], n253, 4, "."), AG_OK },
		{ "name-254", labels(b[4], n254, 4, ""), AG_EINVAL },
		{ "name-254-dot", labels(b[5], n254, 4, "."), AG_EINVAL },
		{ "empty", "", AG_EINVAL },
		{ "root", ".", AG_EINVAL },
		{ "empty-label", "a..example", AG_EINVAL },
		{ "leading-dot", ".example", AG_EINVAL },
		{ "two-trailing-dots", "example..", AG_EINVAL },
		{ "bad-escape", "a\\", AG_EINVAL },
		{ "bad-escape-number", "a\\999.example", AG_EINVAL },
		{ "null", NULL, AG_EINVAL },
	};

	(void)state;
	assert_int_equal(strlen(b[2]), 253);
	assert_int_equal(strlen(b[4]), 254);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		WANT_INT(cases[i].label, "ag_dns_name_check",
			 ag_dns_name_check(cases[i].name), cases[i].want);
}

static uint64_t
fake_clock(void *arg)
{
	return *(const uint64_t *)arg;
}

/* ------------------------------------------------------------------ */
/* the resolver over a zone                                           */
/* ------------------------------------------------------------------ */

struct zone_fixture {
	struct ag_dns_zone *zone;
	struct ag_dns *dns;
	uint64_t now;
};

static int
zone_setup(void **state)
{
	static const char *const txt[] = { "v=spf1 ", "-all" };
	struct zone_fixture *f = calloc(1, sizeof(*f));
	struct ag_dns_config cfg;
	struct ag_err err;

	if (f == NULL || ag_dns_zone_new(&f->zone) != AG_OK)
		return -1;
	if (ag_dns_zone_add(f->zone, "www.example.com", AG_DNS_A, "192.0.2.1",
			    300) != AG_OK ||
	    ag_dns_zone_add(f->zone, "alias.example.com", AG_DNS_CNAME,
			    "www.example.com", 600) != AG_OK ||
	    ag_dns_zone_add(f->zone, "example.com", AG_DNS_MX,
			    "10 mx.example.com", 3600) != AG_OK ||
	    ag_dns_zone_add_txt(f->zone, "example.com", txt, NULL, 2, 300) !=
		    AG_OK ||
	    ag_dns_zone_servfail(f->zone, "broken.example.com") != AG_OK ||
	    ag_dns_zone_timeout(f->zone, "slow.example.com") != AG_OK)
		return -1;
	for (unsigned i = 0; i < 20; i++) {
		char name[32], addr[32];

		snprintf(name, sizeof(name), "n%u.example.com", i);
		snprintf(addr, sizeof(addr), "192.0.2.%u", 100 + i);
		if (ag_dns_zone_add(f->zone, name, AG_DNS_A, addr, 300) !=
		    AG_OK)
			return -1;
	}
	ag_dns_config_defaults(&cfg);
	cfg.cache_entries = 8;
	if (ag_dns_new_zone(&f->dns, &cfg, f->zone, &err) != AG_OK)
		return -1;
	f->now = 5000;
	ag_dns_set_clock(f->dns, fake_clock, &f->now);
	*state = f;
	return 0;
}

static int
zone_teardown(void **state)
{
	struct zone_fixture *f = *state;

	ag_dns_free(&f->dns);
	ag_dns_zone_free(&f->zone);
	free(f);
	return 0;
}

/* ask - query and check status and cache origin */
static struct ag_dns_answer *
ask(struct ag_dns *dns, const char *label, const char *name, uint16_t type,
    enum ag_dns_status st, int from_cache)
{
	struct ag_dns_answer *ans = NULL;

	WANT_INT(label, "ag_dns_query", ag_dns_query(dns, name, type, &ans),
		 AG_OK);
	WANT_STR(label, "status", ag_dns_status_name(ans->status),
		 ag_dns_status_name(st));
	WANT_INT(label, "from_cache", ans->from_cache, from_cache);
	return ans;
}

static void
test_zone_resolver(void **state)
{
	struct zone_fixture *f = *state;
	struct ag_dns_answer *a;
	struct ag_dns_stats st;
	char buf[64];

	a = ask(f->dns, "first", "www.example.com", AG_DNS_A, AG_DNS_OK, 0);
	WANT_STR("first", "rr", rr_text(&a->rr[0], buf, sizeof(buf)),
		 "192.0.2.1");
	ag_dns_answer_free(&a);
	f->now += 10 * 1000;
	a = ask(f->dns, "again-other-case", "WWW.Example.COM.", AG_DNS_A,
		AG_DNS_OK, 1);
	WANT_INT("again-other-case", "ttl", a->ttl, 290);
	WANT_STR("again-other-case", "rr", rr_text(&a->rr[0], buf, sizeof(buf)),
		 "192.0.2.1");
	ag_dns_answer_free(&a);
	f->now += 291 * 1000;
	a = ask(f->dns, "expired", "www.example.com", AG_DNS_A, AG_DNS_OK, 0);
	ag_dns_answer_free(&a);
	a = ask(f->dns, "cname", "alias.example.com", AG_DNS_A, AG_DNS_OK, 0);
	WANT_STR("cname", "rr", rr_text(&a->rr[0], buf, sizeof(buf)),
		 "192.0.2.1");
	ag_dns_answer_free(&a);
	a = ask(f->dns, "mx", "example.com", AG_DNS_MX, AG_DNS_OK, 0);
	WANT_INT("mx", "pref", a->rr[0].pref, 10);
	WANT_STR("mx", "rr", (const char *)a->rr[0].data, "mx.example.com");
	ag_dns_answer_free(&a);
	a = ask(f->dns, "txt", "example.com", AG_DNS_TXT, AG_DNS_OK, 0);
	WANT_STR("txt", "rr", (const char *)a->rr[0].data, "v=spf1 -all");
	WANT_INT("txt", "nstrings", a->rr[0].nstrings, 2);
	ag_dns_answer_free(&a);
	ag_dns_stats(f->dns, &st);
	assert_int_equal(st.queries, 6);
	assert_int_equal(st.cache_hits, 1);
	assert_int_equal(st.network_queries, 5);
}

/* test_name_forms - a name written plainly and the same name written
 * with escapes share one cache entry (the plain form is keyed without
 * ldns, the other through it); over-long labels and names are refused */
static void
test_name_forms(void **state)
{
	struct zone_fixture *f = *state;
	struct ag_dns_answer *a = NULL;
	char label[80], name[300];

	/* "\\119" is 'w': the escaped form misses, is stored by its text */
	a = ask(f->dns, "escaped", "\\119ww.example.com", AG_DNS_A, AG_DNS_OK,
		0);
	ag_dns_answer_free(&a);
	a = ask(f->dns, "plain-after-escaped", "www.EXAMPLE.com", AG_DNS_A,
		AG_DNS_OK, 1);
	ag_dns_answer_free(&a);
	a = ask(f->dns, "plain", "n1.example.com.", AG_DNS_A, AG_DNS_OK, 0);
	ag_dns_answer_free(&a);
	a = ask(f->dns, "escaped-after-plain", "\\110\\049.example.com",
		AG_DNS_A, AG_DNS_OK, 1);
	ag_dns_answer_free(&a);
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(name, sizeof(name), "%s.example.com", label);
	a = ask(f->dns, "label-63", name, AG_DNS_A, AG_DNS_NXDOMAIN, 0);
	ag_dns_answer_free(&a);
	snprintf(name, sizeof(name), "a%s.example.com", label);
	assert_int_equal(ag_dns_query(f->dns, name, AG_DNS_A, &a), AG_EINVAL);
	/* 254 characters without the final dot: one octet over 255 */
	memset(name, 'b', 254);
	for (int i = 60; i < 254; i += 61)
		name[i] = '.';
	name[254] = '\0';
	assert_int_equal(ag_dns_query(f->dns, name, AG_DNS_A, &a), AG_EINVAL);
	name[253] = '\0';	/* 253: the longest name there is */
	a = ask(f->dns, "name-253", name, AG_DNS_A, AG_DNS_NXDOMAIN, 0);
	ag_dns_answer_free(&a);
	assert_int_equal(ag_dns_query(f->dns, ".", AG_DNS_A, &a), AG_EINVAL);
	assert_int_equal(ag_dns_query(f->dns, "a..b", AG_DNS_A, &a), AG_EINVAL);
	assert_null(a);
}

static void
test_zone_negative(void **state)
{
	struct zone_fixture *f = *state;
	const struct {
		const char *label, *name;
		uint16_t type;
		enum ag_dns_status st;
		int cached;	/* the second ask comes from the cache */
	} cases[] = {
		{ "nxdomain", "nx.example.com", AG_DNS_A, AG_DNS_NXDOMAIN, 1 },
		{ "nodata", "www.example.com", AG_DNS_TXT, AG_DNS_NODATA, 1 },
		{ "servfail", "broken.example.com", AG_DNS_A, AG_DNS_SERVFAIL,
		  0 },
		{ "timeout", "slow.example.com", AG_DNS_A, AG_DNS_TIMEOUT, 0 },
	};
	struct ag_dns_answer *a;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		a = ask(f->dns, cases[i].label, cases[i].name, cases[i].type,
			cases[i].st, 0);
		if (cases[i].st == AG_DNS_NXDOMAIN ||
		    cases[i].st == AG_DNS_NODATA)
			WANT_INT(cases[i].label, "ttl", a->ttl,
				 AG_DNS_NEG_TTL_DEFAULT);
		ag_dns_answer_free(&a);
		a = ask(f->dns, cases[i].label, cases[i].name, cases[i].type,
			cases[i].st, cases[i].cached);
		ag_dns_answer_free(&a);
	}
}

static void
test_query_bad_input(void **state)
{
	struct zone_fixture *f = *state;
	struct ag_dns_answer *a = NULL;
	struct ag_dns_stats st;

	assert_int_equal(ag_dns_query(f->dns, "a..b", AG_DNS_A, &a), AG_EINVAL);
	assert_int_equal(ag_dns_query(f->dns, NULL, AG_DNS_A, &a), AG_EINVAL);
	assert_int_equal(ag_dns_query(NULL, "a.b", AG_DNS_A, &a), AG_EINVAL);
	assert_int_equal(ag_dns_query(f->dns, "a.b", AG_DNS_A, NULL),
			 AG_EINVAL);
	assert_null(a);
	ag_dns_stats(f->dns, &st);
	assert_int_equal(st.queries, 0);
}

#define THREADS 4
#define THREAD_QUERIES 300

struct thread_arg {
	struct ag_dns *dns;
	unsigned seed;
	int bad;
};

static void *
thread_main(void *p)
{
	struct thread_arg *t = p;

	for (unsigned i = 0; i < THREAD_QUERIES; i++) {
		struct ag_dns_answer *a = NULL;
		unsigned n = (i * 7 + t->seed) % 20;
		char name[32];

		snprintf(name, sizeof(name), "n%u.example.com", n);
		if (ag_dns_query(t->dns, name, AG_DNS_A, &a) != AG_OK ||
		    a->status != AG_DNS_OK || a->count != 1 ||
		    a->rr[0].data[3] != 100 + n)
			t->bad++;
		ag_dns_answer_free(&a);
	}
	return NULL;
}

/* several threads over a cache smaller than the working set */
static void
test_zone_threads(void **state)
{
	struct zone_fixture *f = *state;
	struct thread_arg arg[THREADS];
	pthread_t thr[THREADS];
	struct ag_dns_stats st;

	/* the real clock: the fake one is not written while threads run */
	ag_dns_set_clock(f->dns, NULL, NULL);
	for (unsigned i = 0; i < THREADS; i++) {
		arg[i] = (struct thread_arg){ .dns = f->dns, .seed = i * 3 };
		assert_int_equal(pthread_create(&thr[i], NULL, thread_main,
						&arg[i]),
				 0);
	}
	for (unsigned i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(thr[i], NULL), 0);
		assert_int_equal(arg[i].bad, 0);
	}
	ag_dns_stats(f->dns, &st);
	assert_int_equal(st.queries, THREADS * THREAD_QUERIES);
	assert_int_equal(st.cache_hits + st.network_queries, st.queries);
	assert_true(st.cache_entries <= 8);
}

static void
test_status_names(void **state)
{
	(void)state;
	assert_string_equal(ag_dns_status_name(AG_DNS_OK), "ok");
	assert_string_equal(ag_dns_status_name(AG_DNS_NXDOMAIN), "nxdomain");
	assert_string_equal(ag_dns_status_name(AG_DNS_NODATA), "nodata");
	assert_string_equal(ag_dns_status_name(AG_DNS_SERVFAIL), "servfail");
	assert_string_equal(ag_dns_status_name(AG_DNS_TIMEOUT), "timeout");
	assert_string_equal(ag_dns_status_name(AG_DNS_ERROR), "error");
	assert_string_equal(ag_dns_status_name((enum ag_dns_status)99),
			    "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkt_mapping),
		cmocka_unit_test(test_pkt_max_rrs),
		cmocka_unit_test(test_name_check),
		cmocka_unit_test_setup_teardown(test_zone_resolver, zone_setup,
						zone_teardown),
		cmocka_unit_test_setup_teardown(test_name_forms, zone_setup,
						zone_teardown),
		cmocka_unit_test_setup_teardown(test_zone_negative, zone_setup,
						zone_teardown),
		cmocka_unit_test_setup_teardown(test_query_bad_input,
						zone_setup, zone_teardown),
		cmocka_unit_test_setup_teardown(test_zone_threads, zone_setup,
						zone_teardown),
		cmocka_unit_test(test_status_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
