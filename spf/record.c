/*
 * spf/record.c - RFC 7208 syntax check of an SPF record, before libspf2
 *
 * libspf2 compiles RFC 4408 records leniently in some places (bad
 * domain-specs, "%(" escapes, repeated redirect=, c/r/t macros outside
 * exp text, control characters) and too strictly in others (unknown
 * modifier names with "." or "_", CIDR length 0, redirect= beside "all").
 * RFC 7208 4.6 makes any syntax error a permerror before evaluation, so we
 * check the record against the ABNF of RFC 7208 section 12 here and hand
 * libspf2 a normalised copy it reads correctly:
 *   - unknown modifiers are dropped (6: they are ignored anyway);
 *   - redirect= is dropped when the record has "all" (6.1) and otherwise
 *     moved to the end, where it takes effect (libspf2 runs it in place);
 *   - ip4:/0 and ip6:/0 become two /1 halves (libspf2 rejects /0);
 *   - a/0, mx/0 (for the client's address family) get the domain marker
 *     SPF_CIDR0_MARK; spf/dns_layer.c strips it, and answers such a lookup
 *     with the client's own address when the name has any (5.3, 5.4).
 * Grammar (RFC 7208 12, abridged):
 *   record = "v=spf1" *( 1*SP term ) *SP;  term = directive / modifier
 *   directive = [ "+" / "-" / "?" / "~" ] mechanism
 *   mechanism = all / include:ds / a[:ds][cidr2] / mx[:ds][cidr2] /
 *               ptr[:ds] / ip4:net4[cidr4] / ip6:net6[cidr6] / exists:ds
 *   modifier = redirect=ds / exp=ds / name=macro-string
 *   ds (domain-spec) = macro-string ( "." toplabel ["."] / macro-expand )
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "spf/spf_int.h"

#define REC_MAX_TERMS 128	/* terms looked at in one record */

struct rec_out {
	char *buf;
	size_t len, cap;
	bool full;
};

/* rec_put - append n bytes of s to the normalised record */
static void
rec_put(struct rec_out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

/* rec_macro_ok - s[0..n) is a macro-string; exp allows c, r, t (7.1) */
static bool
rec_macro_ok(const char *s, size_t n, bool exp)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x21 || c > 0x7e)
			return exp && c == ' ';
		if (c != '%')
			continue;
		if (++i >= n)
			return false;
		if (s[i] == '%' || s[i] == '_' || s[i] == '-')
			continue;
		if (s[i] != '{' || ++i >= n)
			return false;
		if (strchr("slodiphv", tolower((unsigned char)s[i])) == NULL &&
		    !(exp && strchr("crt", tolower((unsigned char)s[i]))))
			return false;
		for (i++; i < n && isdigit((unsigned char)s[i]); i++)
			;
		if (i < n && tolower((unsigned char)s[i]) == 'r')
			i++;
		for (; i < n && strchr(".-+,/_=", s[i]) != NULL; i++)
			;
		if (i >= n || s[i] != '}')
			return false;
	}
	return true;
}

/* rec_toplabel_ok - RFC 7208 toplabel: alphanumeric with a letter, or
 * alphanumerics joined by hyphens, neither end a hyphen */
static bool
rec_toplabel_ok(const char *s, size_t n)
{
	bool alpha = false;

	if (n == 0 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (isalpha((unsigned char)s[i]))
			alpha = true;
		else if (!isdigit((unsigned char)s[i]) && s[i] != '-')
			return false;
	}
	return alpha || memchr(s, '-', n) != NULL;
}

/* rec_domain_ok - s[0..n) is a domain-spec */
static bool
rec_domain_ok(const char *s, size_t n)
{
	const char *dot;

	if (n == 0 || !rec_macro_ok(s, n, false))
		return false;
	if (n > 1 && s[n - 1] == '.')
		n--;
	if (s[n - 1] == '}')
		return true;	/* ends in a macro-expand */
	dot = memrchr(s, '.', n);
	if (dot == NULL || dot == s)
		return false;
	return rec_toplabel_ok(dot + 1, n - (size_t)(dot + 1 - s));
}

/* rec_cidr - parse "/len" at s (n bytes) with max; -1 if malformed */
static int
rec_cidr(const char *s, size_t n, int max)
{
	int v = 0;

	if (n < 2 || s[0] != '/' || n > 4)
		return -1;
	if (s[1] == '0' && n > 2)
		return -1;	/* no leading zeros */
	for (size_t i = 1; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

/* rec_split_cidr - find a trailing dual-cidr-length in t[0..n); sets the
 * lengths (-2 when absent) and returns where the cidr part starts */
static size_t
rec_split_cidr(const char *t, size_t n, int *c4, int *c6, bool *bad)
{
	const char *dd = NULL;
	size_t end = n, slash;

	*c4 = *c6 = -2;
	for (size_t i = n; i >= 2; i--)
		if (t[i - 1] == '/' && t[i - 2] == '/') {
			dd = t + i - 2;
			break;
		}
	if (dd != NULL && strspn(dd + 2, "0123456789") ==
				  (size_t)(t + n - dd - 2)) {
		*c6 = rec_cidr(dd + 1, (size_t)(t + n - dd - 1), 128);
		end = (size_t)(dd - t);
	}
	slash = end;
	while (slash > 0 && isdigit((unsigned char)t[slash - 1]))
		slash--;
	if (slash > 0 && slash < end && t[slash - 1] == '/' &&
	    (slash < 2 || t[slash - 2] != '/')) {
		*c4 = rec_cidr(t + slash - 1, end - slash + 1, 32);
		end = slash - 1;
	}
	*bad = *c4 == -1 || *c6 == -1;
	return end;
}

/* rec_ip - ip4/ip6 mechanism body (after "ip4:") into out; false if bad */
static bool
rec_ip(struct rec_out *o, const char *q, size_t qn, const char *v, size_t n,
       bool six)
{
	char addr[64];
	unsigned char bin[16];
	const char *sl = memchr(v, '/', n);
	size_t an = sl ? (size_t)(sl - v) : n;
	int c = -2;

	if (an == 0 || an >= sizeof(addr))
		return false;
	if (sl != NULL && (c = rec_cidr(sl, n - an, six ? 128 : 32)) < 0)
		return false;
	memcpy(addr, v, an);
	addr[an] = '\0';
	if (inet_pton(six ? AF_INET6 : AF_INET, addr, bin) != 1)
		return false;
	if (c != 0) {
		rec_put(o, " ", 1);
		rec_put(o, q, qn);
		rec_put(o, six ? "ip6:" : "ip4:", 4);
		rec_put(o, v, n);
		return true;
	}
	/* /0: every address of that family, as two halves libspf2 takes */
	rec_put(o, " ", 1);
	rec_put(o, q, qn);
	rec_put(o, six ? "ip6:::/1 " : "ip4:0.0.0.0/1 ", six ? 9 : 14);
	rec_put(o, q, qn);
	rec_put(o, six ? "ip6:8000::/1" : "ip4:128.0.0.0/1", six ? 12 : 15);
	return true;
}

/* rec_host - a / mx mechanism into out; false if bad */
static bool
rec_host(struct rec_out *o, const char *q, size_t qn, const char *name,
	 const char *t, size_t n, int af)
{
	size_t nl = strlen(name), end;
	int c4, c6, mine;
	bool bad, colon;

	end = rec_split_cidr(t, n, &c4, &c6, &bad);
	if (bad || end < nl)
		return false;
	colon = end > nl;
	if (colon && (t[nl] != ':' || !rec_domain_ok(t + nl + 1, end - nl - 1)))
		return false;
	mine = af == AF_INET ? c4 : c6;
	rec_put(o, " ", 1);
	rec_put(o, q, qn);
	rec_put(o, name, nl);
	if (colon || mine == 0)
		rec_put(o, ":", 1);
	if (colon)
		rec_put(o, t + nl + 1, end - nl - 1);
	else if (mine == 0)
		rec_put(o, "%{d}", 4);
	/* CIDR 0 for the client's family matches any address (5.3) */
	if (mine == 0)
		rec_put(o, SPF_CIDR0_MARK, strlen(SPF_CIDR0_MARK));
	/* only the client's family's length matters to libspf2 */
	if (mine > 0) {
		char b[8];

		rec_put(o, b, (size_t)snprintf(b, sizeof(b),
					       af == AF_INET ? "/%d" : "//%d",
					       mine));
	}
	return true;
}

/* rec_mech - one directive into out; false on a syntax error */
static bool
rec_mech(struct rec_out *o, const char *t, size_t n, int af, bool *all)
{
	const char *q = t;
	size_t qn = 0;

	if (n > 0 && strchr("+-?~", t[0]) != NULL) {
		qn = 1;
		t++;
		n--;
	}
#define IS(word) (n >= sizeof(word) - 1 && \
		  strncasecmp(t, word, sizeof(word) - 1) == 0)
	if (n == 3 && IS("all")) {
		*all = true;
		rec_put(o, " ", 1);
		rec_put(o, q, qn + n);
		return true;
	}
	if (IS("include:") || IS("exists:")) {
		size_t k = IS("include:") ? 8 : 7;

		if (!rec_domain_ok(t + k, n - k))
			return false;
		rec_put(o, " ", 1);
		rec_put(o, q, qn + n);
		return true;
	}
	if (IS("ptr") && (n == 3 || t[3] == ':')) {
		if (n > 3 && !rec_domain_ok(t + 4, n - 4))
			return false;
		rec_put(o, " ", 1);
		rec_put(o, q, qn + n);
		return true;
	}
	if (IS("ip4:") || IS("ip6:"))
		return rec_ip(o, q, qn, t + 4, n - 4, t[2] == '6');
	if (IS("mx") && (n == 2 || t[2] == ':' || t[2] == '/'))
		return rec_host(o, q, qn, "mx", t, n, af);
	if (IS("a") && (n == 1 || t[1] == ':' || t[1] == '/'))
		return rec_host(o, q, qn, "a", t, n, af);
#undef IS
	return false;
}

/* rec_name_ok - modifier name: ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) */
static bool
rec_name_ok(const char *s, size_t n)
{
	if (n == 0 || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("-_.", s[i]) == NULL)
			return false;
	return true;
}

int
spf_record_prepare(const char *txt, int af, char *out, size_t outlen,
		   const char **why_r)
{
	struct rec_out o = { out, 0, outlen, false };
	const char *p = txt + 6, *redirect = NULL, *exp = NULL, *eq;
	size_t rn = 0, en = 0;
	bool all = false;

	*why_r = "syntax error in SPF record (RFC 7208 4.6)";
	rec_put(&o, "v=spf1", 6);
	for (unsigned terms = 0; *p != '\0'; terms++) {
		size_t n;

		if (terms > REC_MAX_TERMS || *p != ' ')
			return -1;
		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n == 0)
			break;
		eq = memchr(p, '=', n);
		if (eq != NULL && (memchr(p, ':', (size_t)(eq - p)) == NULL) &&
		    (memchr(p, '/', (size_t)(eq - p)) == NULL)) {
			size_t nn = (size_t)(eq - p), vn = n - nn - 1;

			if (!rec_name_ok(p, nn))
				return -1;
			if (nn == 8 && strncasecmp(p, "redirect", 8) == 0) {
				if (redirect != NULL || !rec_domain_ok(eq + 1, vn))
					return -1;
				redirect = p;
				rn = n;
			} else if (nn == 3 && strncasecmp(p, "exp", 3) == 0) {
				if (exp != NULL || !rec_domain_ok(eq + 1, vn))
					return -1;
				exp = p;
				en = n;
			} else if (!rec_macro_ok(eq + 1, vn, false)) {
				return -1;
			}
		} else if (!rec_mech(&o, p, n, af, &all)) {
			return -1;
		}
		p += n;
	}
	if (exp != NULL) {
		rec_put(&o, " ", 1);
		rec_put(&o, exp, en);
	}
	if (redirect != NULL && !all) {
		rec_put(&o, " ", 1);
		rec_put(&o, redirect, rn);
	}
	if (o.full) {
		*why_r = "SPF record too long";
		return -1;
	}
	*why_r = NULL;
	return 0;
}

int
spf_exp_prepare(const char *txt, size_t n, char *out, size_t outlen)
{
	size_t w = 0;

	if (strlen(txt) != n || !rec_macro_ok(txt, n, true) ||
	    outlen < 2 * n + 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		/* a literal "%" before hex digits would be upper-cased with
		 * libspf2's URL escapes (see dns_layer.c): refuse it */
		if (txt[i] == '%' && i + 1 < n && txt[i + 1] == '%' &&
		    i + 2 < n && isxdigit((unsigned char)txt[i + 2]))
			return -1;
		if (txt[i] == ' ') {
			out[w++] = '%';
			out[w++] = '_';
		} else {
			out[w++] = txt[i];
		}
	}
	out[w] = '\0';
	return 0;
}

/* rec_var - the value of macro letter c, or NULL (p: left to libspf2) */
static const char *
rec_var(const struct spf_vars *v, char c)
{
	switch (c) {
	case 's': return v->s;
	case 'l': return v->l;
	case 'o': return v->o;
	case 'd': return v->d;
	case 'h': return v->h;
	case 'i': return v->i;
	case 'v': return v->v;
	default: return NULL;
	}
}

/* rec_expand - RFC 7208 7.3 transformers on val into o, escaped as a
 * macro-literal: split at delims, reverse if rev, all labels (the caller
 * only comes here when there are no more labels than asked for) */
static void
rec_expand(struct rec_out *o, const char *val, const char *delims, bool rev)
{
	size_t n = strlen(val);
	size_t starts[128], lens[128], k = 0, start = 0;

	for (size_t i = 0; i <= n && k < 128; i++)
		if (i == n || strchr(delims, val[i]) != NULL) {
			starts[k] = start;
			lens[k++] = i - start;
			start = i + 1;
		}
	for (size_t j = 0; j < k; j++) {
		size_t idx = rev ? k - 1 - j : j;

		if (j > 0)
			rec_put(o, ".", 1);
		for (size_t c = 0; c < lens[idx]; c++) {
			char ch = val[starts[idx] + c];

			if (ch == '%')
				rec_put(o, "%%", 2);
			else if (ch == ' ')
				rec_put(o, "%_", 2);
			else
				rec_put(o, &ch, 1);
		}
	}
}

/* rec_labels - labels of val split at delims */
static size_t
rec_labels(const char *val, const char *delims)
{
	size_t k = 1;

	for (; *val != '\0'; val++)
		if (strchr(delims, *val) != NULL)
			k++;
	return k;
}

int
spf_macro_fix(const char *in, const struct spf_vars *vars, char *out,
	      size_t outlen)
{
	struct rec_out o = { out, 0, outlen, false };

	out[0] = '\0';
	for (const char *p = in; *p != '\0';) {
		const char *q = p + 2, *val;
		char delims[16] = "";
		unsigned long num = 0;
		bool rev = false;
		size_t nd = 0;

		if (p[0] != '%' || p[1] != '{' ||
		    (val = rec_var(vars, p[2])) == NULL) {
			/* "%%" stays a pair, so "%%{" is no macro */
			rec_put(&o, p, p[0] == '%' && p[1] != '\0' ? 2 : 1);
			p += p[0] == '%' && p[1] != '\0' ? 2 : 1;
			continue;
		}
		for (q++; isdigit((unsigned char)*q) && num < 1000; q++)
			num = num * 10 + (unsigned long)(*q - '0');
		if (*q == 'r' || *q == 'R')
			rev = true, q++;
		for (; *q != '\0' && strchr(".-+,/_=", *q) != NULL && nd < 15;
		     q++)
			delims[nd++] = *q;
		if (nd == 0)
			delims[nd++] = '.';
		delims[nd] = '\0';
		/* libspf2 1.2.10 (spf_expand.c) drops the first byte when a
		 * value has no more labels than the number kept: expand
		 * those ourselves, leave every other macro to libspf2 */
		if (*q != '}' || num == 0 || rec_labels(val, delims) > num) {
			rec_put(&o, p, 2);
			p += 2;
			continue;
		}
		rec_expand(&o, val, delims, rev);
		p = q + 1;
	}
	return o.full ? -1 : 0;
}
