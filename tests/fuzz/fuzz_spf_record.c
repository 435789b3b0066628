/*
 * tests/fuzz/fuzz_spf_record.c - spf/record: our RFC 7208 syntax check
 * and normalisation of an SPF record before libspf2 compiles it, the
 * explanation-text check, and the macro pre-expansion (all fed by DNS
 * TXT data). Input: the TXT data; only a text that spf/dns_layer.c would
 * select ("v=spf1" then space or end, no NUL) reaches the record check,
 * every input reaches the explanation check and the macro fix.
 * Checked beyond "no crash": with the buffer dns_layer.c gives
 * (SPF_PREPARE_CAP), no record is refused as too long, a record that
 * passes gives a NUL-terminated copy inside the buffer that starts with
 * "v=spf1" and no reason, one that fails gives a reason;
 * both address families agree on pass/fail; the answer is the same
 * twice; the explanation copy fits 2n+1 and has no spaces; the macro fix
 * either fits its buffer (NUL-terminated) or says it does not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "spf/spf_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* spf_fit - out[0..cap) holds a NUL-terminated string */
static size_t
spf_fit(const char *out, size_t cap)
{
	size_t n = strnlen(out, cap);

	if (n == cap)
		abort();
	return n;
}

/* spf_rec - the record check for both families */
static void
spf_rec(const char *txt, size_t n)
{
	size_t cap = SPF_PREPARE_CAP(n);
	char *o4 = malloc(cap), *o6 = malloc(cap), *again = malloc(cap);
	const char *why4 = NULL, *why6 = NULL, *why;
	int r4, r6, r;

	if (o4 == NULL || o6 == NULL || again == NULL)
		goto out;
	r4 = spf_record_prepare(txt, AF_INET, o4, cap, &why4);
	r6 = spf_record_prepare(txt, AF_INET6, o6, cap, &why6);
	r = spf_record_prepare(txt, AF_INET, again, cap, &why);
	if (r != r4 || (r4 == 0) != (why4 == NULL) || (r6 == 0) != (why6 == NULL))
		abort();
	/* the buffer always holds the copy: a syntactically good record
	 * is never refused for its length */
	if ((why4 != NULL && strcmp(why4, "SPF record too long") == 0) ||
	    (why6 != NULL && strcmp(why6, "SPF record too long") == 0))
		abort();
	/* the family only changes the CIDR-0 marker, never the syntax */
	if ((r4 == 0) != (r6 == 0))
		abort();
	if (r4 == 0) {
		spf_fit(o4, cap);
		spf_fit(o6, cap);
		if (strncmp(o4, "v=spf1", 6) != 0 ||
		    strcmp(o4, again) != 0)
			abort();
	}
out:
	free(again);
	free(o6);
	free(o4);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct spf_vars vars = {
		"user@example.com", "user", "example.com", "example.com",
		"mail.example.org", "192.0.2.1", "in-addr"
	};
	char *txt = malloc(size + 1), *exp = malloc(2 * size + 1);
	size_t fixcap = size * 2 + 512;
	char *fix = malloc(fixcap);

	if (txt == NULL || exp == NULL || fix == NULL)
		goto out;
	memcpy(txt, data, size);
	txt[size] = '\0';
	if (strlen(txt) == size && strncasecmp(txt, "v=spf1", 6) == 0 &&
	    (txt[6] == ' ' || txt[6] == '\0'))
		spf_rec(txt, size);
	if (spf_exp_prepare(txt, size, exp, 2 * size + 1) == 0 &&
	    (spf_fit(exp, 2 * size + 1) < size || strchr(exp, ' ') != NULL))
		abort();
	if (spf_macro_fix(txt, &vars, fix, fixcap) == 0)
		spf_fit(fix, fixcap);
out:
	free(fix);
	free(exp);
	free(txt);
	return 0;
}
