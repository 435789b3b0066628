/*
 * tests/fuzz/fuzz_rfc2047.c - policy/rfc2047: decoding header text
 * (unfolding, RFC 2047 encoded-words in any charset, Q and B encodings)
 * and the charset conversion MIME parameters use. Input: the first byte
 * picks the output buffer size (1 to 256, or large), the rest is the
 * header value; for the charset conversion, the text up to the first
 * "\n" is the charset name and the rest the text.
 * Checked beyond "no crash": the length returned is below the buffer
 * size and the byte at it is NUL; nothing is written past the buffer
 * (a guard byte after it, and ASan); decoding again gives the same
 * bytes; the same holds for ag_charset_to_utf8().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/rfc2047.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GUARD 0x5a

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 1;
	size_t inlen, cap, n, n2;
	char *out = NULL, *out2 = NULL, cs[64];
	const char *nl;

	if (size == 0)
		return 0;
	inlen = size - 1;
	cap = data[0] == 0xff ? inlen * 4 + 16 : (size_t)data[0] + 1;
	if ((out = malloc(cap + 1)) == NULL ||
	    (out2 = malloc(cap + 1)) == NULL)
		goto out;
	out[cap] = (char)GUARD;
	n = ag_rfc2047_decode(in, inlen, out, cap);
	if (n >= cap || out[n] != '\0' || out[cap] != (char)GUARD)
		abort();
	n2 = ag_rfc2047_decode(in, inlen, out2, cap);
	if (n2 != n || memcmp(out, out2, n) != 0)
		abort();
	nl = memchr(in, '\n', inlen);
	if (nl != NULL && (size_t)(nl - in) < sizeof(cs)) {
		memcpy(cs, in, (size_t)(nl - in));
		cs[nl - in] = '\0';
		if (strlen(cs) == (size_t)(nl - in)) {
			const char *t = nl + 1;
			size_t tn = inlen - (size_t)(t - in);

			n = ag_charset_to_utf8(cs, t, tn, out, cap);
			if (n >= cap || out[n] != '\0' ||
			    out[cap] != (char)GUARD)
				abort();
			n2 = ag_charset_to_utf8(cs, t, tn, out2, cap);
			if (n2 != n || memcmp(out, out2, n) != 0)
				abort();
		}
	}
out:
	free(out2);
	free(out);
	return 0;
}
