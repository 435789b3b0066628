/*
 * arc/tags.c - the tag-lists of ARC-Seal, ARC-Message-Signature and key
 * records (RFC 6376 3.2, which RFC 8617 4.1 reuses), parsed strictly: an
 * ARC verifier must fail a set whose tag-list is malformed or repeats a
 * tag, where a lenient parse would let an attacker's variant pass.
 *   tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  = ALPHA *ALNUMPUNC
 *   tag-value = [ tval *( 1*(WSP / FWS) tval ) ], tval = 1*VALCHAR
 * Also the small value checks the sets need.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arc/arc_int.h"

/* tags_fws - a folding-whitespace character */
static bool
tags_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
tags_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
tags_alnum(char c)
{
	return tags_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

/* tags_value_ok - VALCHAR or FWS only (bytes past ASCII are let through
 * for z= and key notes; no control characters) */
static bool
tags_value_ok(const char *v, const char *end)
{
	for (; v < end; v++) {
		unsigned char c = (unsigned char)*v;

		if (tags_fws(*v))
			continue;
		if (c < 0x21 || c == 0x7f || c == ';')
			return false;
	}
	return true;
}

/* tags_one - parse the tag-spec at *pp (up to ';' or NUL) into t */
static int
tags_one(char **pp, struct arc_tags *t)
{
	char *p = *pp, *name, *v, *e;
	size_t nlen;
	unsigned k;

	while (tags_fws(*p))
		p++;
	name = p;
	if (!tags_alpha(*p))
		return AG_EINVAL;
	while (tags_alnum(*p))
		p++;
	nlen = (size_t)(p - name);
	while (tags_fws(*p))
		p++;
	if (*p != '=' || nlen >= ARC_TAGNAME_MAX || t->n >= ARC_TAGS_MAX)
		return AG_EINVAL;
	p++;
	while (tags_fws(*p))
		p++;
	v = p;
	while (*p != '\0' && *p != ';')
		p++;
	e = p;
	while (e > v && tags_fws(e[-1]))
		e--;
	if (!tags_value_ok(v, e))
		return AG_EINVAL;
	for (k = 0; k < t->n; k++)
		if (strlen(t->t[k].name) == nlen &&
		    memcmp(t->t[k].name, name, nlen) == 0)
			return AG_EINVAL;	/* duplicate tag, 3.2 */
	memcpy(t->t[t->n].name, name, nlen);
	t->t[t->n].name[nlen] = '\0';
	t->t[t->n].val = v;
	t->n++;
	if (*p == ';')
		p++;
	*e = '\0';
	*pp = p;
	return AG_OK;
}

/* arc_tags_parse - see arc_int.h */
int
arc_tags_parse(const char *value, struct arc_tags *t)
{
	char *p;
	int rc;

	memset(t, 0, sizeof(*t));
	t->buf = strdup(value);
	if (t->buf == NULL)
		return AG_ENOMEM;
	p = t->buf;
	for (;;) {
		char *q = p;

		while (tags_fws(*q))
			q++;
		if (*q == '\0')
			break;	/* end, or a trailing ';' */
		rc = tags_one(&p, t);
		if (rc != AG_OK)
			return rc;
	}
	return AG_OK;
}

void
arc_tags_free(struct arc_tags *t)
{
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

/* arc_tags_get - see arc_int.h */
const char *
arc_tags_get(const struct arc_tags *t, const char *name)
{
	unsigned k;

	for (k = 0; k < t->n; k++)
		if (strcmp(t->t[k].name, name) == 0)
			return t->t[k].val;
	return NULL;
}

/* arc_strip_wsp - see arc_int.h */
bool
arc_strip_wsp(const char *src, char *dst, size_t cap)
{
	size_t o = 0;

	for (; *src != '\0'; src++) {
		if (tags_fws(*src))
			continue;
		if (o + 1 >= cap)
			return false;
		dst[o++] = *src;
	}
	if (cap == 0)
		return false;
	dst[o] = '\0';
	return true;
}

/* arc_b_empty - see arc_int.h; RFC 6376 3.7: the b= value and the
 * whitespace around it are removed, the rest is hashed as it is */
char *
arc_b_empty(const char *value)
{
	size_t n = strlen(value), o = 0;
	const char *p = value;
	char *out = malloc(n + 1);

	if (out == NULL)
		return NULL;
	while (*p != '\0') {
		const char *q = p;

		while (tags_fws(*q))
			q++;
		if (*q == 'b') {
			const char *r = q + 1;

			while (tags_fws(*r))
				r++;
			if (*r == '=') {
				memcpy(out + o, p, (size_t)(r + 1 - p));
				o += (size_t)(r + 1 - p);
				p = r + 1;
				while (*p != '\0' && *p != ';')
					p++;
			}
		}
		while (*p != '\0' && *p != ';')
			out[o++] = *p++;
		if (*p == ';')
			out[o++] = *p++;
	}
	out[o] = '\0';
	return out;
}

/* arc_domain_ok - see arc_int.h */
bool
arc_domain_ok(const char *s)
{
	size_t label = 0, n = 0;

	for (; *s != '\0'; s++, n++) {
		char c = *s;

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!tags_alnum(c) && c != '-' && (unsigned char)c < 0x80)
			return false;
		if (++label > 63)
			return false;
	}
	return n > 0 && label > 0 && n <= 253;
}

/* arc_instance - see arc_int.h */
bool
arc_instance(const char *s, unsigned *i_r)
{
	unsigned v = 0;
	size_t n = 0;

	for (; *s >= '0' && *s <= '9'; s++, n++) {
		if (n >= 2)
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (*s != '\0' || n == 0 || v < 1 || v > AG_ARC_MAX_SETS)
		return false;
	*i_r = v;
	return true;
}

/* arc_alg_parse - see arc_int.h; rsa-sha1 is refused (RFC 8617 4.1.3
 * follows RFC 8301) */
bool
arc_alg_parse(const char *s, enum arc_alg *alg_r)
{
	if (strcmp(s, "rsa-sha256") == 0) {
		*alg_r = ARC_ALG_RSA_SHA256;
		return true;
	}
	if (strcmp(s, "ed25519-sha256") == 0) {
		*alg_r = ARC_ALG_ED25519_SHA256;
		return true;
	}
	return false;
}
