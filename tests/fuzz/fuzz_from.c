/*
 * tests/fuzz/fuzz_from.c - dmarc/from: the RFC 5322 From field parser
 * (address-list, groups, comments, quoted strings, domain literals,
 * U-labels). Input: the field value.
 * Checked beyond "no crash": parsing never fails on a non-NULL value;
 * parsing twice gives the same result; every kept domain is
 * NUL-terminated, lower case and free of control bytes; the kept count
 * is min(count, AG_DMARC_FROM_MAX) and more addresses set truncated; a
 * single author domain is a valid domain of the result, and the plain
 * address "x@<that domain>" parses back to the same single domain.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/from.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* from_check - the invariants of one result */
static void
from_check(const struct ag_dmarc_from *r)
{
	unsigned kept = r->count < AG_DMARC_FROM_MAX ? r->count
						     : AG_DMARC_FROM_MAX;

	if (r->count > AG_DMARC_FROM_MAX && !r->truncated)
		abort();
	for (unsigned i = 0; i < kept; i++) {
		const char *d = r->addr[i].domain;
		size_t n = strnlen(d, sizeof(r->addr[i].domain));

		if (n == sizeof(r->addr[i].domain))
			abort();
		for (size_t k = 0; r->addr[i].valid && k < n; k++)
			if ((d[k] >= 'A' && d[k] <= 'Z') ||
			    (unsigned char)d[k] < 0x21 ||
			    (unsigned char)d[k] >= 0x7f)
				abort();
		if (r->addr[i].valid && n == 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ag_dmarc_from a, b, c;
	struct ag_err err = { 0, "" };
	const char *one;
	char again[300];

	if (ag_dmarc_from_parse((const char *)data, size, &a, &err) != AG_OK)
		abort();
	if (ag_dmarc_from_parse((const char *)data, size, &b, &err) != AG_OK)
		abort();
	if (memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	from_check(&a);
	if ((one = ag_dmarc_from_single_domain(&a)) == NULL)
		return 0;
	if (a.count == 0 || !a.addr[0].valid ||
	    strcmp(one, a.addr[0].domain) != 0)
		abort();
	snprintf(again, sizeof(again), "x@%s", one);
	if (ag_dmarc_from_parse(again, strlen(again), &c, &err) != AG_OK)
		abort();
	if (ag_dmarc_from_single_domain(&c) == NULL ||
	    strcmp(ag_dmarc_from_single_domain(&c), one) != 0)
		abort();
	return 0;
}
