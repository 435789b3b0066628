/*
 * policy/iprev.c - forward-confirmed reverse DNS (RFC 8601 3)
 */
#include "policy/iprev.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const char *
ag_iprev_result_name(enum ag_iprev_result r)
{
	switch (r) {
	case AG_IPREV_PASS:
		return "pass";
	case AG_IPREV_FAIL:
		return "fail";
	case AG_IPREV_TEMPERROR:
		return "temperror";
	default:
		return "permerror";
	}
}

static bool
temporary(enum ag_dns_status st)
{
	return st == AG_DNS_SERVFAIL || st == AG_DNS_TIMEOUT ||
	       st == AG_DNS_ERROR;
}

int
ag_iprev_check(struct ag_dns *dns, const struct sockaddr *sa,
	       struct ag_iprev *r)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char addr[16];
	size_t alen;
	uint16_t type;
	char ptr[128];
	struct ag_dns_answer *ans = NULL, *fwd = NULL;
	bool temp = false;
	int rc;

	memset(r, 0, sizeof(*r));
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 =
			&((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			memcpy(addr, a6->s6_addr + 12, 4);
			alen = 4;
		} else {
			memcpy(addr, a6->s6_addr, 16);
			alen = 16;
		}
	} else if (sa->sa_family == AF_INET) {
		memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		alen = 4;
	} else {
		return AG_EINVAL;
	}
	if (alen == 4) {
		snprintf(ptr, sizeof(ptr), "%u.%u.%u.%u.in-addr.arpa", addr[3],
			 addr[2], addr[1], addr[0]);
		type = AG_DNS_A;
	} else {
		size_t o = 0;

		for (int i = 15; i >= 0; i--)
			o += (size_t)snprintf(ptr + o, sizeof(ptr) - o,
					      "%c.%c.", hex[addr[i] & 15],
					      hex[addr[i] >> 4]);
		snprintf(ptr + o, sizeof(ptr) - o, "ip6.arpa");
		type = AG_DNS_AAAA;
	}
	if ((rc = ag_dns_query(dns, ptr, AG_DNS_PTR, &ans)) != AG_OK)
		return rc;
	if (ans->status != AG_DNS_OK) {
		r->result = temporary(ans->status) ? AG_IPREV_TEMPERROR
						   : AG_IPREV_FAIL;
		goto out;
	}
	snprintf(r->name, sizeof(r->name), "%s", (const char *)ans->rr[0].data);
	r->result = AG_IPREV_FAIL;
	for (unsigned i = 0; i < ans->count && i < AG_IPREV_MAX_NAMES; i++) {
		const char *name = (const char *)ans->rr[i].data;

		rc = ag_dns_query(dns, name, type, &fwd);
		if (rc == AG_EINVAL)
			continue;	/* not a usable name */
		if (rc != AG_OK)
			goto out;
		if (temporary(fwd->status))
			temp = true;
		for (unsigned k = 0; fwd->status == AG_DNS_OK &&
				     k < fwd->count;
		     k++) {
			if (fwd->rr[k].len == alen &&
			    memcmp(fwd->rr[k].data, addr, alen) == 0) {
				r->result = AG_IPREV_PASS;
				snprintf(r->name, sizeof(r->name), "%s", name);
			}
		}
		ag_dns_answer_free(&fwd);
		if (r->result == AG_IPREV_PASS)
			break;
	}
	if (r->result != AG_IPREV_PASS && temp)
		r->result = AG_IPREV_TEMPERROR;
	rc = AG_OK;
out:
	ag_dns_answer_free(&fwd);
	ag_dns_answer_free(&ans);
	return rc;
}
