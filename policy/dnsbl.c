/*
 * policy/dnsbl.c - DNS list query names and answers (RFC 5782)
 */
#include "policy/dnsbl.h"

#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* name_ok - a domain name of labels of 1..63 bytes, at most 253 */
static bool
name_ok(const char *s)
{
	size_t label = 0, n = strlen(s);

	if (n == 0 || n > 253)
		return false;
	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (++label > 63) {
			return false;
		}
	}
	return label > 0;
}

int
ag_dnsbl_ip_name(const struct sockaddr *sa, const char *zone, char *out,
		 size_t size)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b;
	size_t o = 0;
	int n;

	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 =
			&((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			b = a6->s6_addr + 12;
			goto v4;
		}
		for (int i = 15; i >= 0; i--) {
			if (o + 4 >= size)
				return AG_EINVAL;
			out[o++] = hex[a6->s6_addr[i] & 15];
			out[o++] = '.';
			out[o++] = hex[a6->s6_addr[i] >> 4];
			out[o++] = '.';
		}
		n = snprintf(out + o, size - o, "%s", zone);
		goto check;
	}
	if (sa->sa_family != AF_INET)
		return AG_EINVAL;
	b = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
v4:
	n = snprintf(out, size, "%u.%u.%u.%u.%s", b[3], b[2], b[1], b[0],
		     zone);
	o = 0;
check:
	if (n < 0 || o + (size_t)n >= size || !name_ok(out))
		return AG_EINVAL;
	return AG_OK;
}

int
ag_dnsbl_domain_name(const char *domain, const char *zone, char *out,
		     size_t size)
{
	size_t n = strlen(domain);
	int w;

	while (n > 0 && domain[n - 1] == '.')
		n--;
	if (n == 0)
		return AG_EINVAL;
	w = snprintf(out, size, "%.*s.%s", (int)n, domain, zone);
	if (w < 0 || (size_t)w >= size)
		return AG_EINVAL;
	for (char *p = out; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return name_ok(out) ? AG_OK : AG_EINVAL;
}

int
ag_dnsbl_query(struct ag_dns *dns, const char *name, bool want_txt,
	       struct ag_dnsbl_answer *a)
{
	struct ag_dns_answer *ans = NULL;
	int rc;

	memset(a, 0, sizeof(*a));
	a->status = AG_DNSBL_ERROR;
	if ((rc = ag_dns_query(dns, name, AG_DNS_A, &ans)) != AG_OK)
		return rc;
	if (ans->status == AG_DNS_NXDOMAIN || ans->status == AG_DNS_NODATA) {
		a->status = AG_DNSBL_NOT_LISTED;
		goto out;
	}
	if (ans->status != AG_DNS_OK)
		goto out;	/* timeout, SERVFAIL: unknown, not listed */
	a->status = AG_DNSBL_NOT_LISTED;
	for (unsigned i = 0; i < ans->count; i++) {
		const unsigned char *d = ans->rr[i].data;
		uint32_t code;

		if (ans->rr[i].len != 4)
			continue;
		code = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
		       (uint32_t)d[2] << 8 | d[3];
		if ((code >> 24) != 127)
			continue;	/* not a list answer (RFC 5782 2.1) */
		if ((code >> 8) == 0x7fffff) {
			/* 127.255.255.x: the list refused the query */
			a->status = AG_DNSBL_ERROR;
			a->ncodes = 0;
			goto out;
		}
		if (a->ncodes < AG_DNSBL_MAX_CODES)
			a->code[a->ncodes++] = code;
	}
	if (a->ncodes > 0)
		a->status = AG_DNSBL_LISTED;
	if (want_txt && a->status == AG_DNSBL_LISTED) {
		ag_dns_answer_free(&ans);
		if (ag_dns_query(dns, name, AG_DNS_TXT, &ans) == AG_OK &&
		    ans->status == AG_DNS_OK && ans->count > 0)
			snprintf(a->text, sizeof(a->text), "%.*s",
				 (int)ans->rr[0].len,
				 (const char *)ans->rr[0].data);
	}
out:
	ag_dns_answer_free(&ans);
	return AG_OK;
}
