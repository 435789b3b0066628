/*
 * tests/fuzz/fuzz_mime.c - policy/mime: the body scan content rules see
 * (multipart nesting, boundaries, base64 and quoted-printable, RFC 2231
 * and RFC 2047 file names, charsets). Input: line 1 is the top-level
 * Content-Type value (empty: absent), line 2 the
 * Content-Transfer-Encoding (empty: absent), the rest the body; the
 * last input byte also picks the text limit.
 * Checked beyond "no crash": the scan succeeds; the text is
 * NUL-terminated at text_len and within the limit; parts kept are at
 * most AG_MIME_MAX_PARTS and never more than the parts seen; every part
 * type and name is NUL-terminated in its field and the type is lower
 * case; scanning again gives the same text and parts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* mime_line - the next line of [*p, end) as a new string */
static char *
mime_line(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = nl != NULL ? (size_t)(nl - *p) : (size_t)(end - *p);
	char *s = malloc(n + 1);

	if (s != NULL) {
		memcpy(s, *p, n);
		s[n] = '\0';
		if (memchr(s, '\0', n) != NULL)
			s[0] = '\0';
	}
	*p += n + (nl != NULL);
	return s;
}

/* mime_check - the invariants of one result */
static void
mime_check(const struct ag_mime_result *r, size_t text_max)
{
	if (r->text == NULL || r->text[r->text_len] != '\0' ||
	    r->text_len > (text_max < 16 ? 16 : text_max))
		abort();
	if (r->nparts > AG_MIME_MAX_PARTS || r->nparts > r->nparts_total)
		abort();
	for (unsigned i = 0; i < r->nparts; i++) {
		const struct ag_mime_part *pt = &r->part[i];

		if (strnlen(pt->type, sizeof(pt->type)) == sizeof(pt->type) ||
		    strnlen(pt->name, sizeof(pt->name)) == sizeof(pt->name))
			abort();
		for (const char *c = pt->type; *c != '\0'; c++)
			if (*c >= 'A' && *c <= 'Z')
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ag_mime_result a, b;
	const uint8_t *p = data, *end = data + size;
	char *ct = NULL, *cte = NULL;
	size_t text_max;

	if (size == 0)
		return 0;
	text_max = (size_t)data[size - 1] * 64;
	ct = mime_line(&p, end);
	cte = mime_line(&p, end);
	if (ct == NULL || cte == NULL)
		goto out;
	if (ag_mime_scan(ct[0] ? ct : NULL, cte[0] ? cte : NULL, p,
			 (size_t)(end - p), text_max, &a) != 0)
		abort();
	mime_check(&a, text_max);
	if (ag_mime_scan(ct[0] ? ct : NULL, cte[0] ? cte : NULL, p,
			 (size_t)(end - p), text_max, &b) != 0)
		abort();
	if (a.text_len != b.text_len ||
	    memcmp(a.text, b.text, a.text_len) != 0 ||
	    a.nparts != b.nparts || a.nparts_total != b.nparts_total ||
	    memcmp(a.part, b.part, sizeof(a.part[0]) * a.nparts) != 0)
		abort();
	ag_mime_result_free(&a);
	ag_mime_result_free(&b);
out:
	free(cte);
	free(ct);
	return 0;
}
