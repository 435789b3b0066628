/*
 * report/rdns.c - PTR names of the reported source IPs
 */
#include "report/rdns.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/opt.h"

int
ag_rdns_new(struct ag_dns **dns_r, const char *const *ns, unsigned nns,
	    struct ag_err *err)
{
	struct ag_dns_config cfg;

	ag_dns_config_defaults(&cfg);
	for (unsigned i = 0; i < nns && i < AG_DNS_MAX_NS; i++)
		cfg.nameservers[cfg.n_nameservers++] = ns[i];
	/* a report run waits for the operator: slow answers are not worth
	 * it, a missing name is only a "-" */
	cfg.timeout_ms = AG_RDNS_TIMEOUT_MS;
	cfg.retries = 1;
	return ag_dns_new(dns_r, &cfg, err);
}

/*
 * ptr_name - the in-addr.arpa / ip6.arpa name of ip; false when ip is
 * not an address (reports carry it as written)
 */
static bool
ptr_name(const char *ip, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char a[16];
	size_t o = 0;

	if (inet_pton(AF_INET, ip, a) == 1) {
		snprintf(out, size, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2],
			 a[1], a[0]);
		return true;
	}
	if (inet_pton(AF_INET6, ip, a) != 1 || size < 74)
		return false;
	for (int i = 15; i >= 0; i--) {
		out[o++] = hex[a[i] & 15];
		out[o++] = '.';
		out[o++] = hex[a[i] >> 4];
		out[o++] = '.';
	}
	snprintf(out + o, size - o, "ip6.arpa");
	return true;
}

/* lookup - the first PTR name of ip into name; false when the DNS did
 * not answer (as opposed to answering "no name") */
static bool
lookup(struct ag_dns *dns, const char *ip, char *name, size_t size)
{
	struct ag_dns_answer *ans = NULL;
	char q[80];
	bool answered = true;

	snprintf(name, size, "-");
	if (!ptr_name(ip, q, sizeof(q)))
		return true;
	if (ag_dns_query(dns, q, AG_DNS_PTR, &ans) != AG_OK)
		return true;
	if (ans->status == AG_DNS_OK && ans->count > 0 &&
	    ans->rr[0].data[0] != '\0')
		snprintf(name, size, "%s", (const char *)ans->rr[0].data);
	else if (ans->status == AG_DNS_TIMEOUT ||
		 ans->status == AG_DNS_SERVFAIL ||
		 ans->status == AG_DNS_ERROR)
		answered = false;
	ag_dns_answer_free(&ans);
	return answered;
}

static int
by_ip(const void *a, const void *b)
{
	const struct ag_source *const *x = a, *const *y = b;

	return strcmp((*x)->ip, (*y)->ip);
}

size_t
ag_rdns_fill(struct ag_dns *dns, struct ag_sources *s)
{
	struct ag_source **idx = NULL;
	size_t unanswered = 0;
	unsigned fails = 0;

	for (size_t i = 0; i < s->n; i++)
		snprintf(s->v[i].rdns, sizeof(s->v[i].rdns), "-");
	if (dns == NULL || s->n == 0)
		return 0;
	/* by IP, so each address is asked once and its name copied to the
	 * other orgs' rows; the rows keep their order */
	if ((idx = malloc(s->n * sizeof(*idx))) == NULL)
		return s->n;
	for (size_t i = 0; i < s->n; i++)
		idx[i] = &s->v[i];
	qsort(idx, s->n, sizeof(*idx), by_ip);
	for (size_t i = 0; i < s->n; i++) {
		struct ag_source *x = idx[i];

		if (i > 0 && strcmp(idx[i - 1]->ip, x->ip) == 0) {
			memcpy(x->rdns, idx[i - 1]->rdns, sizeof(x->rdns));
			continue;
		}
		if (fails >= AG_RDNS_MAX_FAILS) {
			unanswered++;
			continue;
		}
		if (lookup(dns, x->ip, x->rdns, sizeof(x->rdns))) {
			fails = 0;
		} else {
			fails++;
			unanswered++;
		}
	}
	free(idx);
	return unanswered;
}

void
ag_rdns_names(const struct ag_view_opts *vo, struct ag_sources *s)
{
	struct ag_dns *dns = NULL;
	struct ag_err err = { 0, "" };
	size_t missed;

	if (!vo->no_dns && ag_rdns_new(&dns, vo->ns, vo->nns, &err) != AG_OK)
		fprintf(stderr, "authgate-report: reverse DNS off: %s\n",
			err.msg);
	missed = ag_rdns_fill(dns, s);
	if (missed > 0)
		fprintf(stderr, "authgate-report: no reverse DNS answer for "
			"%zu addresses (shown as -)\n", missed);
	ag_dns_free(&dns);
}
