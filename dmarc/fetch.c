/*
 * dmarc/fetch.c - the DMARC record at one name
 */
#include "dmarc/fetch.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

bool
ag_dmarc_is_dmarc(const char *txt, size_t len)
{
	size_t i = 0;

	while (i < len && (txt[i] == ' ' || txt[i] == '\t'))
		i++;
	if (i >= len || txt[i] != 'v')
		return false;
	i++;
	while (i < len && (txt[i] == ' ' || txt[i] == '\t'))
		i++;
	if (i >= len || txt[i] != '=')
		return false;
	i++;
	while (i < len && (txt[i] == ' ' || txt[i] == '\t'))
		i++;
	if (len - i < 6 || memcmp(txt + i, "DMARC1", 6) != 0)
		return false;
	i += 6;
	while (i < len && (txt[i] == ' ' || txt[i] == '\t'))
		i++;
	return i == len || txt[i] == ';';
}

bool
ag_dmarc_domain_valid(const char *name)
{
	size_t n = strlen(name), label = 0;
	unsigned labels = 1;

	if (n == 0 || n > 253 || name[0] == '.' || name[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0 || name[i - 1] == '-')
				return false;
			label = 0;
			labels++;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_')
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return name[n - 1] != '-' && labels >= 2;
}

int
ag_dmarc_fetch(struct ag_dns *dns, const char *domain,
	       struct ag_dmarc_fetched *f, struct ag_err *err)
{
	char qname[300];
	struct ag_dns_answer *ans = NULL;
	const struct ag_dns_rr *found = NULL;
	unsigned n = 0;
	int rc;

	memset(f, 0, sizeof(*f));
	if ((size_t)snprintf(qname, sizeof(qname), "_dmarc.%s", domain) >=
	    sizeof(qname))
		return ag_err_set(err, AG_EINVAL, "name too long: %s", domain);
	if ((rc = ag_dns_query(dns, qname, AG_DNS_TXT, &ans)) != AG_OK)
		return ag_err_set(err, rc, "DNS query for %s failed", qname);
	switch (ans->status) {
	case AG_DNS_OK:
		break;
	case AG_DNS_NXDOMAIN:
	case AG_DNS_NODATA:
		f->status = AG_DMARC_FETCH_NONE;
		goto out;
	default:
		f->status = AG_DMARC_FETCH_TEMP;
		goto out;
	}
	for (unsigned i = 0; i < ans->count; i++) {
		if (!ag_dmarc_is_dmarc((const char *)ans->rr[i].data,
				       ans->rr[i].len))
			continue;
		n++;
		found = &ans->rr[i];
	}
	if (n == 0) {
		f->status = AG_DMARC_FETCH_NONE;
	} else if (n > 1) {
		f->status = AG_DMARC_FETCH_MANY;
	} else {
		struct ag_err perr = { 0, "" };

		if (ag_dmarc_record_parse((const char *)found->data,
					  found->len, &f->rec, &perr) ==
		    AG_OK) {
			f->status = AG_DMARC_FETCH_ONE;
		} else {
			f->status = AG_DMARC_FETCH_INVALID;
			snprintf(f->why, sizeof(f->why), "%.159s", perr.msg);
		}
	}
out:
	ag_dns_answer_free(&ans);
	return AG_OK;
}
