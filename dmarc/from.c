/*
 * dmarc/from.c - parse a From field's address-list (RFC 5322 3.4)
 *
 * Two steps: a lexer turns the field into tokens (atoms, quoted strings,
 * domain literals, specials), dropping comments and folding white space;
 * then the address-list grammar runs over the tokens:
 *
 *   address-list = address *("," address)
 *   address      = mailbox / group
 *   group        = display-name ":" [mailbox-list] ";"
 *   mailbox      = name-addr / addr-spec
 *   name-addr    = [display-name] "<" [route ":"] addr-spec ">"
 *   addr-spec    = local-part "@" domain
 *
 * Which form an address has is decided by the first top-level special
 * it contains (":" group, "<" name-addr, "@" addr-spec), so text inside
 * quotes or comments can never supply the domain.
 */
#include "dmarc/from.h"

#include <ctype.h>
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/fetch.h"

enum tok_type { T_ATOM, T_QSTR, T_DLIT, T_SPECIAL };

struct tok {
	enum tok_type type;
	char c;			/* the special character */
	size_t off, len;	/* atom / literal text in the value */
};

struct lexer {
	const char *v;
	size_t len;
	struct tok *toks;
	unsigned n, cap;
	bool error;
	bool truncated;
};

/* atext (RFC 5322 3.2.3) plus "." (dot-atom, obs-phrase) and UTF-8
 * (RFC 6532 3.2) */
static bool
is_atext(unsigned char c)
{
	return isalnum(c) || c >= 0x80 || strchr("!#$%&'*+-/=?^_`{|}~.", c) !=
						     NULL;
}

static bool
push(struct lexer *lx, enum tok_type type, char c, size_t off, size_t len)
{
	if (lx->n >= lx->cap) {
		lx->truncated = true;
		return false;
	}
	lx->toks[lx->n].type = type;
	lx->toks[lx->n].c = c;
	lx->toks[lx->n].off = off;
	lx->toks[lx->n].len = len;
	lx->n++;
	return true;
}

/* skip_comment - at '(': past the matching ')'; nested, escapes */
static size_t
skip_comment(struct lexer *lx, size_t i)
{
	unsigned depth = 0;

	for (; i < lx->len; i++) {
		char c = lx->v[i];

		if (c == '\\') {
			i++;
		} else if (c == '(') {
			if (++depth > AG_DMARC_FROM_DEPTH) {
				lx->error = true;
				return lx->len;
			}
		} else if (c == ')') {
			if (--depth == 0)
				return i + 1;
		}
	}
	lx->error = true;	/* unterminated */
	return lx->len;
}

/* delimited - at '"' or '[': past the closing one; token from open to
 * close (inner text only) */
static size_t
delimited(struct lexer *lx, size_t i, char close, enum tok_type type)
{
	size_t start = i + 1;

	for (i = start; i < lx->len; i++) {
		if (lx->v[i] == '\\')
			i++;
		else if (lx->v[i] == close)
			break;
	}
	if (i >= lx->len) {
		lx->error = true;
		push(lx, type, 0, start, lx->len - start);
		return lx->len;
	}
	push(lx, type, 0, start, i - start);
	return i + 1;
}

static void
lex(struct lexer *lx)
{
	size_t i = 0;

	while (i < lx->len && !lx->truncated) {
		unsigned char c = (unsigned char)lx->v[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			i++;
		} else if (c == '(') {
			i = skip_comment(lx, i);
		} else if (c == '"') {
			i = delimited(lx, i, '"', T_QSTR);
		} else if (c == '[') {
			i = delimited(lx, i, ']', T_DLIT);
		} else if (strchr("<>:;@,", c) != NULL) {
			push(lx, T_SPECIAL, (char)c, i, 1);
			i++;
		} else if (is_atext(c)) {
			size_t start = i;

			while (i < lx->len && is_atext((unsigned char)lx->v[i]))
				i++;
			push(lx, T_ATOM, 0, start, i - start);
		} else {
			/* ")", "]", "\", control bytes: not allowed here */
			lx->error = true;
			i++;
		}
	}
}

struct parser {
	struct lexer *lx;
	unsigned i;
	struct ag_dmarc_from *res;
};

static bool
is_special(const struct parser *p, unsigned i, char c)
{
	return i < p->lx->n && p->lx->toks[i].type == T_SPECIAL &&
	       p->lx->toks[i].c == c;
}

/* add_domain - record one address with the domain tokens [from, to) */
static void
add_domain(struct parser *p, unsigned from, unsigned to)
{
	struct ag_dmarc_from *res = p->res;
	struct ag_dmarc_author *a;
	char raw[512];
	size_t o = 0;
	bool literal = false;

	res->count++;
	if (res->count > AG_DMARC_FROM_MAX) {
		res->truncated = true;
		return;
	}
	a = &res->addr[res->count - 1];
	memset(a, 0, sizeof(*a));
	for (unsigned k = from; k < to; k++) {
		const struct tok *t = &p->lx->toks[k];

		if (t->type == T_DLIT)
			literal = true;
		if (t->type != T_ATOM || o + t->len >= sizeof(raw)) {
			literal = literal || t->type != T_ATOM;
			o = sizeof(raw);	/* unusable */
			break;
		}
		memcpy(raw + o, p->lx->v + t->off, t->len);
		o += t->len;
	}
	if (o == 0 || o >= sizeof(raw) || literal || to - from != 1) {
		/* empty, too long, [literal], or split by white space or
		 * comments between labels: not a name we look up */
		p->res->syntax_error |= o == 0 || to - from != 1;
		if (o > 0 && o < sizeof(raw))
			snprintf(a->domain, sizeof(a->domain), "%.*s",
				 (int)(o > 255 ? 255 : o), raw);
		return;
	}
	raw[o] = '\0';
	if (o > 0 && raw[o - 1] == '.')
		raw[--o] = '\0';	/* "example.com." names the same */
	bool ascii = true;
	for (size_t k = 0; k < o; k++)
		if ((unsigned char)raw[k] >= 0x80)
			ascii = false;
	if (!ascii) {
		char *alabel = NULL;

		if (idn2_to_ascii_8z(raw, &alabel, IDN2_NONTRANSITIONAL) !=
			    IDN2_OK ||
		    strlen(alabel) >= sizeof(a->domain)) {
			idn2_free(alabel);
			snprintf(a->domain, sizeof(a->domain), "%.255s", raw);
			return;
		}
		snprintf(a->domain, sizeof(a->domain), "%s", alabel);
		idn2_free(alabel);
	} else {
		if (o >= sizeof(a->domain))
			return;
		memcpy(a->domain, raw, o + 1);
	}
	for (char *c = a->domain; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	a->valid = ag_dmarc_domain_valid(a->domain);
}

/* no_domain - count an author that has no domain; past
 * AG_DMARC_FROM_MAX the result is truncated, as for add_domain() */
static void
no_domain(struct parser *p)
{
	if (++p->res->count > AG_DMARC_FROM_MAX)
		p->res->truncated = true;
}

/* addr_spec - local-part "@" domain within [i, end): the domain is what
 * follows the last top-level "@" (a quoted local part may hold "@") */
static void
addr_spec(struct parser *p, unsigned i, unsigned end)
{
	unsigned at = end;

	for (unsigned k = i; k < end; k++)
		if (is_special(p, k, '@'))
			at = k;
	if (at == end || at == i) {
		/* no "@", or no local part: not an address */
		p->res->syntax_error = true;
		if (at == end)
			no_domain(p);	/* an author with no domain */
		else
			add_domain(p, at + 1, end);
		return;
	}
	for (unsigned k = i; k < at; k++)
		if (p->lx->toks[k].type == T_SPECIAL)
			p->res->syntax_error = true;
	add_domain(p, at + 1, end);
}

/* mailbox_one - the first mailbox within [i, end); returns where it
 * ended: after its ">", or end */
static unsigned
mailbox_one(struct parser *p, unsigned i, unsigned end)
{
	unsigned lt = end, gt = end;

	for (unsigned k = i; k < end; k++) {
		if (is_special(p, k, '<')) {
			lt = k;
			break;
		}
	}
	if (lt == end) {
		if (i == end) {
			p->res->syntax_error = true;	/* ",," */
			return end;
		}
		addr_spec(p, i, end);
		return end;
	}
	for (unsigned k = lt + 1; k < end; k++) {
		if (is_special(p, k, '>')) {
			gt = k;
			break;
		}
	}
	if (gt == end || gt + 1 != end)
		p->res->syntax_error = true;	/* unclosed, or text after */
	for (unsigned k = i; k < lt; k++)
		if (p->lx->toks[k].type == T_SPECIAL)
			p->res->syntax_error = true; /* "@" in a phrase */
	/* obs-route "@a,@b:" before the addr-spec */
	unsigned start = lt + 1;
	if (is_special(p, start, '@')) {
		for (unsigned k = start; k < gt; k++) {
			if (is_special(p, k, ':')) {
				start = k + 1;
				break;
			}
		}
	}
	if (start == gt) {
		/* "<>": an empty address, an author with no domain */
		p->res->syntax_error = true;
		no_domain(p);
		return gt < end ? gt + 1 : end;
	}
	addr_spec(p, start, gt);
	return gt < end ? gt + 1 : end;
}

/* mailbox - one mailbox within [i, end); an address in the text after
 * its ">" ("<a@x> <b@y>", "<a@x> b@y") is an author too, since a reader
 * may show that one rather than the first */
static void
mailbox(struct parser *p, unsigned i, unsigned end)
{
	for (;;) {		/* ends: i grows past a ">" each time */
		unsigned k;

		i = mailbox_one(p, i, end);
		for (k = i; k < end; k++)
			if (is_special(p, k, '<') || is_special(p, k, '@'))
				break;
		if (k == end)
			return;
	}
}

/* next_comma - the end of one mailbox from i: a top-level "," or ";",
 * or stop; "," inside <...> (obs-route) does not count */
static unsigned
next_sep(const struct parser *p, unsigned i, unsigned stop, bool in_group)
{
	bool angle = false;

	for (; i < stop; i++) {
		if (is_special(p, i, '<'))
			angle = true;
		else if (is_special(p, i, '>'))
			angle = false;
		else if (!angle && (is_special(p, i, ',') ||
				    (in_group && is_special(p, i, ';'))))
			return i;
	}
	return stop;
}

static void
address_list(struct parser *p)
{
	unsigned n = p->lx->n, i = 0;

	while (i < n) {
		/* the first top-level special decides the form */
		unsigned k, first = n;

		for (k = i; k < n; k++) {
			if (p->lx->toks[k].type == T_SPECIAL &&
			    strchr(":<@,", p->lx->toks[k].c) != NULL) {
				first = k;
				break;
			}
		}
		if (first < n && is_special(p, first, ':')) {
			/* group: members up to ";" */
			unsigned j = first + 1;

			while (j < n && !is_special(p, j, ';')) {
				unsigned e = next_sep(p, j, n, true);

				if (e > j)
					mailbox(p, j, e);
				j = e;
				if (is_special(p, j, ','))
					j++;
			}
			if (j >= n)
				p->res->syntax_error = true; /* no ";" */
			else
				j++;
			i = j;
			if (i < n && is_special(p, i, ','))
				i++;
			continue;
		}
		unsigned e = next_sep(p, i, n, false);

		mailbox(p, i, e);
		if (e < n && is_special(p, e, ';'))
			p->res->syntax_error = true;
		i = e + 1;
	}
}

int
ag_dmarc_from_parse(const char *value, size_t len, struct ag_dmarc_from *res,
		    struct ag_err *err)
{
	struct lexer lx;
	struct parser p;

	if (value == NULL || res == NULL)
		return ag_err_set(err, AG_EINVAL, "no From value");
	memset(res, 0, sizeof(*res));
	memset(&lx, 0, sizeof(lx));
	if (len > AG_DMARC_FROM_INPUT_MAX) {
		len = AG_DMARC_FROM_INPUT_MAX;
		res->truncated = true;
	}
	if (memchr(value, '\0', len) != NULL) {
		len = strnlen(value, len);
		res->syntax_error = true;
	}
	lx.v = value;
	lx.len = len;
	/* every token takes at least one byte of the value, so a field of
	 * len bytes has at most len tokens: size the array to the field,
	 * not to the limit (a From field is short; the limit-sized array
	 * cost a 192 KB clear per call) */
	lx.cap = len < AG_DMARC_FROM_TOKENS ? (unsigned)len : AG_DMARC_FROM_TOKENS;
	if ((lx.toks = malloc((lx.cap + 1) * sizeof(*lx.toks))) == NULL)
		return ag_err_set(err, AG_ENOMEM, "out of memory");
	lex(&lx);
	p.lx = &lx;
	p.i = 0;
	p.res = res;
	address_list(&p);
	res->syntax_error |= lx.error;
	res->truncated |= lx.truncated;
	free(lx.toks);
	return AG_OK;
}

const char *
ag_dmarc_from_single_domain(const struct ag_dmarc_from *res)
{
	if (res == NULL || res->count == 0 || res->truncated ||
	    res->count > AG_DMARC_FROM_MAX)
		return NULL;
	for (unsigned i = 0; i < res->count; i++) {
		if (!res->addr[i].valid ||
		    strcmp(res->addr[i].domain, res->addr[0].domain) != 0)
			return NULL;
	}
	return res->addr[0].domain;
}
