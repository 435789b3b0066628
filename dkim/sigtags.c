/*
 * dkim/sigtags.c - the few tags of a DKIM-Signature our results need
 *
 * libopendkim drops what it cannot parse, but a result must still name
 * the signature (header.d, header.s, header.b), and l=, x=, t= are checked
 * here with our own clock and body length (dkim/verify.c). Grammar, RFC
 * 6376 3.2:
 *   tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  = ALPHA *ALNUMPUNC      (ALNUMPUNC = ALPHA / DIGIT / "_")
 * A tag-spec that does not match is skipped; the first instance of a tag
 * wins (a duplicate makes the signature invalid anyway, 3.2, which
 * libopendkim reports). Values are copied without whitespace, only
 * printable ASCII, and never the characters that would need quoting in
 * an Authentication-Results value ( ( ) ; " \ ), cut to the field size.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "dkim/dkim_int.h"

#define SIGTAGS_NAME_MAX 8	/* longer names are none of ours */
#define SIGTAGS_NUM_MAX 19	/* digits of a uint64_t that cannot overflow */

/* sigtags_wsp - FWS characters */
static bool
sigtags_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* sigtags_keep - a character a result value may hold */
static bool
sigtags_keep(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("();\"\\", c) == NULL;
}

/* sigtags_hex - value of a hex digit, -1 if none */
static int
sigtags_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* sigtags_copy - value [v, end) into out (size n), FWS dropped; qp:
 * decode dkim-quoted-printable "=XX" (RFC 6376 2.11) */
static void
sigtags_copy(const char *v, const char *end, char *out, size_t n, bool qp)
{
	size_t o = 0;

	for (; v < end && o + 1 < n; v++) {
		unsigned char c = (unsigned char)*v;

		if (qp && c == '=' && end - v >= 3 && sigtags_hex(v[1]) >= 0 &&
		    sigtags_hex(v[2]) >= 0) {
			c = (unsigned char)(sigtags_hex(v[1]) * 16 +
					    sigtags_hex(v[2]));
			v += 2;
		}
		if (sigtags_keep(c))
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

/* sigtags_num - a decimal value; false unless digits only (FWS aside) */
static bool
sigtags_num(const char *v, const char *end, uint64_t *n_r)
{
	uint64_t n = 0;
	unsigned digits = 0;

	for (; v < end; v++) {
		if (sigtags_wsp(*v))
			continue;
		if (!isdigit((unsigned char)*v) || ++digits > SIGTAGS_NUM_MAX)
			return false;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	*n_r = n;
	return digits > 0;
}

/* sigtags_base64 - only base64 characters and FWS (RFC 6376 3.5 b=) */
static bool
sigtags_base64(const char *v, const char *end)
{
	for (; v < end; v++)
		if (!sigtags_wsp(*v) && !isalnum((unsigned char)*v) &&
		    *v != '+' && *v != '/' && *v != '=')
			return false;
	return true;
}

/* sigtags_body_relaxed - c= value: header[/body], body default simple */
static bool
sigtags_body_relaxed(const char *v, const char *end)
{
	const char *slash = memchr(v, '/', (size_t)(end - v));
	char body[16];

	if (slash == NULL)
		return false;
	sigtags_copy(slash + 1, end, body, sizeof(body), false);
	return strcasecmp(body, "relaxed") == 0;
}

/* sigtags_one - store the tag name=[v, end) if it is one of ours */
static void
sigtags_one(const char *name, const char *v, const char *end,
	    struct ag_dkim_sigtags *t, unsigned *seen)
{
	static const char *const names[] = { "d", "i", "s", "a", "b", "c",
					     "l", "x", "t", "bh" };
	unsigned k;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (strcmp(name, names[k]) == 0)
			break;
	if (k == sizeof(names) / sizeof(names[0]) || (*seen & (1u << k)))
		return;
	*seen |= 1u << k;
	if (name[0] == 'b' && !sigtags_base64(v, end))
		t->b64_bad = true;	/* b= or bh= */
	if (name[1] != '\0')
		return;			/* bh= is only checked */
	switch (name[0]) {
	case 'd': sigtags_copy(v, end, t->d, sizeof(t->d), false); break;
	case 'i': sigtags_copy(v, end, t->i, sizeof(t->i), true); break;
	case 's': sigtags_copy(v, end, t->s, sizeof(t->s), false); break;
	case 'a': sigtags_copy(v, end, t->a, sizeof(t->a), false); break;
	case 'b': sigtags_copy(v, end, t->b, sizeof(t->b), false); break;
	case 'c': t->body_relaxed = sigtags_body_relaxed(v, end); break;
	case 'l': t->has_l = true; t->l_ok = sigtags_num(v, end, &t->l); break;
	case 'x': t->has_x = true; t->x_ok = sigtags_num(v, end, &t->x); break;
	case 't': t->has_t = true; t->t_ok = sigtags_num(v, end, &t->t); break;
	}
}

/* ag_dkim_sigtags_parse - walk the tag-list once */
void
ag_dkim_sigtags_parse(const char *value, struct ag_dkim_sigtags *t_r)
{
	const char *p = value;
	unsigned seen = 0;

	memset(t_r, 0, sizeof(*t_r));
	while (p != NULL && *p != '\0') {
		const char *semi = strchr(p, ';');
		const char *end = semi != NULL ? semi : p + strlen(p);
		char name[SIGTAGS_NAME_MAX + 1];
		size_t n = 0;

		while (p < end && sigtags_wsp(*p))
			p++;
		while (p < end && (isalnum((unsigned char)*p) || *p == '_')) {
			if (n < SIGTAGS_NAME_MAX)
				name[n] = *p;
			n++;
			p++;
		}
		while (p < end && sigtags_wsp(*p))
			p++;
		if (n > 0 && n <= SIGTAGS_NAME_MAX && p < end && *p == '=') {
			name[n] = '\0';
			sigtags_one(name, p + 1, end, t_r, &seen);
		}
		p = semi != NULL ? semi + 1 : NULL;
	}
}
