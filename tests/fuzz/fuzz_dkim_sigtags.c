/*
 * tests/fuzz/fuzz_dkim_sigtags.c - dkim/sigtags: our reading of the tags
 * of a DKIM-Signature field body (d= i= s= a= b= c= l= x= t= bh=).
 * Input: the field body (a NUL ends it, as for a header value).
 * Checked beyond "no crash": parsing twice gives the same struct; every
 * copied value is NUL-terminated inside its field and holds only the
 * characters an Authentication-Results value may carry (printable ASCII
 * without ( ) ; " \); a number is only "ok" for a tag that is present.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/dkim_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* tag_check - s (size n) is a clean, NUL-terminated value */
static void
tag_check(const char *s, size_t n)
{
	size_t len = strnlen(s, n);

	if (len == n)
		abort();
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || strchr("();\"\\", c) != NULL)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ag_dkim_sigtags a, b;
	char *value = malloc(size + 1);

	if (value == NULL)
		return 0;
	memcpy(value, data, size);
	value[size] = '\0';
	ag_dkim_sigtags_parse(value, &a);
	ag_dkim_sigtags_parse(value, &b);
	if (memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	tag_check(a.d, sizeof(a.d));
	tag_check(a.i, sizeof(a.i));
	tag_check(a.s, sizeof(a.s));
	tag_check(a.a, sizeof(a.a));
	tag_check(a.b, sizeof(a.b));
	if ((a.l_ok && !a.has_l) || (a.x_ok && !a.has_x) ||
	    (a.t_ok && !a.has_t))
		abort();
	free(value);
	return 0;
}
