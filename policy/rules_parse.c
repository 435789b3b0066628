/*
 * policy/rules_parse.c - compile a rules file (conf/rules.example has the
 * language; this file follows its order: list, dnsbl, threshold, tag,
 * rule)
 *
 * Every error names origin:line:column of the token at fault. Regular
 * expressions are compiled (and JIT-compiled) here, once per load.
 */
#include "policy/rules_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/rules_lex.h"

struct parser {
	struct ag_rules *rules;
	struct lex lx;
	char dir[1024];		/* folder of the rules file, for list files */
	struct ag_err *err;
	unsigned depth;
	enum fact_scope scope;	/* inside "any dkim (...)" */
};

/* perr - "origin:line:col: message" at token t */
static int AG_PRINTF(3, 4)
perr(struct parser *ps, const struct tok *t, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	if (t->type == T_ERROR)
		return ag_err_set(ps->err, AG_EINVAL, "%s:%u:%u: %s",
				  ps->lx.origin, t->line, t->col, t->text);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ag_err_set(ps->err, AG_EINVAL, "%s:%u:%u: %s", ps->lx.origin,
			  t->line, t->col, msg);
}

/* shown - how a token reads in a message */
static const char *
shown(const struct tok *t)
{
	switch (t->type) {
	case T_EOF:
		return "end of file";
	case T_STRING:
		return "a string";
	case T_REGEX:
		return "a regular expression";
	case T_LISTREF:
		return "a list reference";
	default:
		return t->text;
	}
}

/* expect - the next token must be punctuation or word s */
static int
expect(struct parser *ps, const char *s)
{
	const struct tok *t = ag_lex_next(&ps->lx);

	if (!ag_lex_is(t, s))
		return perr(ps, t, "expected \"%s\", found \"%s\"", s,
			    shown(t));
	return AG_OK;
}

/* dupstr - a copy of the current token text */
static char *
dupstr(const struct tok *t)
{
	char *s = malloc(t->len + 1);

	if (s != NULL) {
		memcpy(s, t->text, t->len);
		s[t->len] = '\0';
	}
	return s;
}

/* parse_number - "12", "-2.5", "10K", "5M" to hundredths; false when
 * not a number */
static bool
parse_number(const char *s, long long *v_r)
{
	long long whole = 0, frac = 0, mult = 1;
	bool neg = false, digits = false;
	int fd = 0;

	if (*s == '-') {
		neg = true;
		s++;
	}
	for (; isdigit((unsigned char)*s); s++) {
		if (whole > LLONG_MAX / 1000000)
			return false;
		whole = whole * 10 + (*s - '0');
		digits = true;
	}
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++)
			if (fd < 2) {
				frac = frac * 10 + (*s - '0');
				fd++;
			}
		if (fd == 1)
			frac *= 10;
	}
	if (*s == 'K' || *s == 'k')
		mult = 1024;
	else if (*s == 'M' || *s == 'm')
		mult = 1024 * 1024;
	else if (*s == 'G' || *s == 'g')
		mult = 1024LL * 1024 * 1024;
	if (mult != 1)
		s++;
	if (!digits || *s != '\0')
		return false;
	/* whole * 100 + frac fits (whole <= LLONG_MAX / 10^6); with a
	 * K/M/G multiplier it may not: too large, refused */
	if (whole * 100 + frac > LLONG_MAX / mult)
		return false;
	*v_r = (whole * 100 + frac) * mult * (neg ? -1 : 1);
	return true;
}

/* node_new - a zeroed node on the rules' free list */
static struct node *
node_new(struct parser *ps, enum node_kind kind)
{
	struct node *n = calloc(1, sizeof(*n));

	if (n == NULL) {
		ag_err_set(ps->err, AG_ENOMEM, "out of memory");
		return NULL;
	}
	n->kind = kind;
	n->next_free = ps->rules->nodes;
	ps->rules->nodes = n;
	return n;
}

/* ---- lists ---- */

static int
list_type(struct parser *ps, const struct tok *t, enum list_type *type_r)
{
	if (ag_lex_is(t, "strings"))
		*type_r = LT_STRINGS;
	else if (ag_lex_is(t, "domains"))
		*type_r = LT_DOMAINS;
	else if (ag_lex_is(t, "cidr"))
		*type_r = LT_CIDR;
	else
		return perr(ps, t, "list type must be strings, domains or "
			    "cidr, not \"%s\"", shown(t));
	return AG_OK;
}

/* list_items - "{ a, b c }" after the opening brace was consumed */
static int
list_items(struct parser *ps, struct rlist *l)
{
	struct ag_err e = { 0, "" };

	for (;;) {
		const struct tok *t = ag_lex_item(&ps->lx);

		if (ag_lex_is(t, "}") && t->type == T_PUNCT)
			break;
		if (t->type == T_EOF)
			return perr(ps, t, "list not closed with }");
		if (t->type == T_ERROR || (t->type == T_PUNCT))
			return perr(ps, t, "unexpected \"%s\" in a list",
				    shown(t));
		if (ag_rules_list_add(l, t->text, &e) != AG_OK)
			return perr(ps, t, "%s", e.msg);
	}
	ag_rules_list_done(l);
	return AG_OK;
}

/* list_file - one entry a line, # comments */
static int
list_file(struct parser *ps, const struct tok *t, struct rlist *l)
{
	char path[2048], line[4096];
	struct ag_err e = { 0, "" };
	unsigned lineno = 0;
	FILE *fp;
	int rc = AG_OK;

	if (t->text[0] == '/' || ps->dir[0] == '\0')
		snprintf(path, sizeof(path), "%s", t->text);
	else
		snprintf(path, sizeof(path), "%s/%s", ps->dir, t->text);
	if ((fp = fopen(path, "r")) == NULL)
		return perr(ps, t, "list file %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *s = line, *end;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			rc = ag_err_set(ps->err, AG_EINVAL, "%s:%u: line too "
					"long", path, lineno);
			break;
		}
		if ((end = strchr(s, '#')) != NULL)
			*end = '\0';
		while (isspace((unsigned char)*s))
			s++;
		end = s + strlen(s);
		while (end > s && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*s == '\0')
			continue;
		if (ag_rules_list_add(l, s, &e) != AG_OK) {
			rc = ag_err_set(ps->err, AG_EINVAL, "%s:%u: %s", path,
					lineno, e.msg);
			break;
		}
	}
	fclose(fp);
	ag_rules_list_done(l);
	return rc;
}

/* parse_list - list NAME TYPE { ... } | list NAME TYPE file "path" */
static int
parse_list(struct parser *ps)
{
	const struct tok *t = ag_lex_next(&ps->lx);
	enum list_type type = LT_STRINGS;
	struct rlist *l;
	char name[128];
	int rc;

	if (t->type != T_WORD || !isalpha((unsigned char)t->text[0]))
		return perr(ps, t, "a list needs a name");
	if (ag_rules_list_find(ps->rules, t->text) != NULL)
		return perr(ps, t, "list %s is already defined", t->text);
	snprintf(name, sizeof(name), "%s", t->text);
	if ((rc = list_type(ps, ag_lex_next(&ps->lx), &type)) != AG_OK)
		return rc;
	if ((l = ag_rules_list_new(ps->rules, name, type)) == NULL)
		return ag_err_set(ps->err, AG_ENOMEM, "out of memory");
	t = ag_lex_next(&ps->lx);
	if (ag_lex_is(t, "{"))
		return list_items(ps, l);
	if (ag_lex_is(t, "file")) {
		t = ag_lex_next(&ps->lx);
		if (t->type != T_STRING)
			return perr(ps, t, "file needs a \"path\"");
		return list_file(ps, t, l);
	}
	return perr(ps, t, "expected { entries } or file \"path\" after the "
		    "list type");
}

/* ---- text with ${variables} ---- */

/* check_vars - every ${name} in s is a fact without argument, or score,
 * rules, action */
static int
check_vars(struct parser *ps, const struct tok *t, const char *s)
{
	while ((s = strstr(s, "${")) != NULL) {
		const char *end = strchr(s, '}');
		char name[64];
		const struct factdef *f;

		if (end == NULL || (size_t)(end - s - 2) >= sizeof(name))
			return perr(ps, t, "${ without a closing } in text");
		memcpy(name, s + 2, (size_t)(end - s - 2));
		name[end - s - 2] = '\0';
		f = ag_rules_fact_find(name, SC_NONE);
		if (strcmp(name, "score") != 0 && strcmp(name, "rules") != 0 &&
		    strcmp(name, "action") != 0 &&
		    (f == NULL || f->arg || f->scope != SC_NONE))
			return perr(ps, t, "unknown variable ${%s} in text",
				    name);
		if (f != NULL)
			ps->rules->needs |= f->needs;
		s = end + 1;
	}
	return AG_OK;
}

/* text_arg - a string argument, its ${variables} checked */
static int
text_arg(struct parser *ps, const char *what, char **out)
{
	const struct tok *t = ag_lex_next(&ps->lx);
	int rc;

	if (t->type != T_STRING)
		return perr(ps, t, "%s needs a \"string\", found \"%s\"", what,
			    shown(t));
	if ((rc = check_vars(ps, t, t->text)) != AG_OK)
		return rc;
	if ((*out = dupstr(t)) == NULL)
		return ag_err_set(ps->err, AG_ENOMEM, "out of memory");
	return AG_OK;
}

/* header_name_ok - RFC 5322 field name: printable ASCII but ':' */
static bool
header_name_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > 76)
		return false;
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s > '~' || *s == ':')
			return false;
	return true;
}

/* ---- actions ---- */

/* reply_codes - optional "550 5.7.1" before a text; class is '5' or '4' */
static int
reply_codes(struct parser *ps, struct ract *a, char cls, const char *dr,
	    const char *dx)
{
	const struct tok *t = ag_lex_peek(&ps->lx);

	snprintf(a->rcode, sizeof(a->rcode), "%s", dr);
	snprintf(a->xcode, sizeof(a->xcode), "%s", dx);
	if (t->type != T_WORD || !isdigit((unsigned char)t->text[0]))
		return AG_OK;
	t = ag_lex_next(&ps->lx);
	if (t->len != 3 || t->text[0] != cls || !isdigit((unsigned char)t->text[1]) ||
	    !isdigit((unsigned char)t->text[2]))
		return perr(ps, t, "reply code must be %cXX, not \"%s\"", cls,
			    t->text);
	snprintf(a->rcode, sizeof(a->rcode), "%s", t->text);
	t = ag_lex_next(&ps->lx);
	{
		unsigned x, y, z;
		char c2;
		int n = 0;

		/* RFC 3463: class.subject.detail, 1-3 digits each */
		if (t->type != T_WORD ||
		    sscanf(t->text, "%u.%u.%u%c%n", &x, &y, &z, &c2, &n) !=
			    3 ||
		    t->text[0] != cls || y > 999 || z > 999 || t->len > 9)
			return perr(ps, t, "enhanced status code must follow "
				    "the reply code, like %c.7.1", cls);
		snprintf(a->xcode, sizeof(a->xcode), "%s", t->text);
	}
	return AG_OK;
}

static const char *const override_types[] = {
	"forwarded", "sampled_out", "trusted_forwarder", "mailing_list",
	"local_policy", "other", NULL
};

/* parse_action - one action word and its arguments into a; the word is
 * the current token t */
static int
parse_action(struct parser *ps, const struct tok *t, struct ract *a,
	     bool threshold)
{
	memset(a, 0, sizeof(*a));
	if (ag_lex_is(t, "accept") && !threshold) {
		a->kind = RA_ACCEPT;
	} else if (ag_lex_is(t, "tag")) {
		a->kind = RA_TAG;
	} else if (ag_lex_is(t, "discard")) {
		a->kind = RA_DISCARD;
	} else if (ag_lex_is(t, "reject") || ag_lex_is(t, "tempfail")) {
		bool rej = ag_lex_is(t, "reject");
		int rc;

		a->kind = rej ? RA_REJECT : RA_TEMPFAIL;
		rc = reply_codes(ps, a, rej ? '5' : '4', rej ? "550" : "451",
				 rej ? "5.7.1" : "4.7.1");
		if (rc != AG_OK)
			return rc;
		if (ag_lex_peek(&ps->lx)->type == T_STRING)
			return text_arg(ps, "the reply", &a->a);
	} else if (ag_lex_is(t, "quarantine")) {
		a->kind = RA_QUARANTINE;
		if (ag_lex_peek(&ps->lx)->type == T_STRING)
			return text_arg(ps, "quarantine", &a->a);
	} else if (ag_lex_is(t, "redirect")) {
		a->kind = RA_REDIRECT;
		return text_arg(ps, "redirect", &a->a);
	} else if ((ag_lex_is(t, "add-header") ||
		    ag_lex_is(t, "remove-header")) &&
		   !threshold) {
		const struct tok *n;
		int rc;

		a->kind = ag_lex_is(t, "add-header") ? RA_ADD_HEADER
						     : RA_REMOVE_HEADER;
		n = ag_lex_next(&ps->lx);
		if (n->type != T_STRING || !header_name_ok(n->text))
			return perr(ps, n, "a header field name in quotes "
				    "must follow (printable, no colon)");
		if ((a->a = dupstr(n)) == NULL)
			return ag_err_set(ps->err, AG_ENOMEM, "out of memory");
		if (a->kind == RA_ADD_HEADER &&
		    (rc = text_arg(ps, "add-header", &a->b)) != AG_OK)
			return rc;
	} else if (ag_lex_is(t, "dmarc-override") && !threshold) {
		const struct tok *n = ag_lex_next(&ps->lx);

		a->kind = RA_DMARC_OVERRIDE;
		for (unsigned i = 0; override_types[i] != NULL; i++)
			if (ag_lex_is(n, override_types[i]))
				a->a = strdup(override_types[i]);
		if (a->a == NULL)
			return perr(ps, n, "dmarc-override needs one of "
				    "forwarded, sampled_out, "
				    "trusted_forwarder, mailing_list, "
				    "local_policy, other");
	} else {
		return perr(ps, t, "unknown %s \"%s\"",
			    threshold ? "threshold action" : "action or "
							     "keyword",
			    shown(t));
	}
	return AG_OK;
}

/* ---- conditions ---- */

static int parse_or(struct parser *ps, struct node **n_r);

/* operand_text - a string, or a bare word, for ==, is, contains */
static int
operand_text(struct parser *ps, struct node *n)
{
	const struct tok *t = ag_lex_next(&ps->lx);

	if (t->type != T_STRING && t->type != T_WORD)
		return perr(ps, t, "expected a \"string\" to compare with, "
			    "found \"%s\"", shown(t));
	if ((n->str = dupstr(t)) == NULL)
		return ag_err_set(ps->err, AG_ENOMEM, "out of memory");
	n->len = t->len;
	return AG_OK;
}

static int
operand_regex(struct parser *ps, struct node *n)
{
	const struct tok *t = ag_lex_next(&ps->lx);
	uint32_t opt = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	PCRE2_SIZE off;
	int code;

	if (t->type != T_REGEX)
		return perr(ps, t, "expected a /regular expression/, found "
			    "\"%s\"", shown(t));
	if (strchr(t->flags, 'i'))
		opt |= PCRE2_CASELESS;
	if (strchr(t->flags, 'm'))
		opt |= PCRE2_MULTILINE;
	if (strchr(t->flags, 's'))
		opt |= PCRE2_DOTALL;
	if (strchr(t->flags, 'x'))
		opt |= PCRE2_EXTENDED;
	n->re = pcre2_compile((PCRE2_SPTR)t->text, t->len, opt, &code, &off,
			      NULL);
	if (n->re == NULL) {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(code, msg, sizeof(msg));
		return perr(ps, t, "bad regular expression: %s (at pattern "
			    "offset %zu)", (char *)msg, (size_t)off);
	}
	/* JIT is an optimisation: without it PCRE2 interprets */
	(void)pcre2_jit_compile(n->re, PCRE2_JIT_COMPLETE);
	if ((n->str = dupstr(t)) == NULL)
		return ag_err_set(ps->err, AG_ENOMEM, "out of memory");
	return AG_OK;
}

static int
operand_list(struct parser *ps, struct node *n)
{
	const struct tok *t = ag_lex_next(&ps->lx);
	enum fact_kind k = n->fact->kind;
	struct rlist *l;

	if (t->type == T_LISTREF) {
		const struct rlist *found = ag_rules_list_find(ps->rules,
							       t->text);

		if (found == NULL)
			return perr(ps, t, "no list named %s (define it "
				    "with \"list\" before use)", t->text);
		if (found->type == LT_CIDR && k != FK_ADDRESS)
			return perr(ps, t, "list %s holds networks; %s is "
				    "not an address", t->text,
				    n->fact->name);
		if (found->type != LT_CIDR && k == FK_ADDRESS)
			return perr(ps, t, "%s is an address: use a cidr "
				    "list", n->fact->name);
		n->list = found;
		return AG_OK;
	}
	if (!ag_lex_is(t, "{"))
		return perr(ps, t, "expected @list or { entries } after in");
	l = ag_rules_list_new(ps->rules, NULL,
			      k == FK_ADDRESS ? LT_CIDR
			      : k == FK_DOMAIN ? LT_DOMAINS
					       : LT_STRINGS);
	if (l == NULL)
		return ag_err_set(ps->err, AG_ENOMEM, "out of memory");
	n->list = l;
	return list_items(ps, l);
}

static int
operand_number(struct parser *ps, struct node *n)
{
	const struct tok *t = ag_lex_next(&ps->lx);

	if (t->type != T_WORD || !parse_number(t->text, &n->num))
		return perr(ps, t, "expected a number, found \"%s\"",
			    shown(t));
	return AG_OK;
}

static int
operand_bool(struct parser *ps, struct node *n)
{
	const struct tok *t = ag_lex_next(&ps->lx);

	if (ag_lex_is(t, "yes") || ag_lex_is(t, "true"))
		n->num = 1;
	else if (ag_lex_is(t, "no") || ag_lex_is(t, "false"))
		n->num = 0;
	else
		return perr(ps, t, "%s is yes or no, not \"%s\"",
			    n->fact->name, shown(t));
	return AG_OK;
}

/* test_op - the operator after a fact; OP_TRUE when none follows */
static int
test_op(struct parser *ps, struct node *n, bool *negate)
{
	const struct tok *t = ag_lex_peek(&ps->lx);
	static const struct {
		const char *s;
		enum op op;
	} ops[] = {
		{ "==", OP_EQ }, { "!=", OP_NE }, { "=~", OP_MATCH },
		{ "!~", OP_NOMATCH }, { "<", OP_LT }, { "<=", OP_LE },
		{ ">", OP_GT }, { ">=", OP_GE }, { "is", OP_IS },
		{ "contains", OP_CONTAINS }, { "in", OP_IN },
	};

	*negate = false;
	n->op = OP_TRUE;
	if (ag_lex_is(t, "not")) {
		/* "not in", "not contains" */
		ag_lex_next(&ps->lx);
		t = ag_lex_peek(&ps->lx);
		if (!ag_lex_is(t, "in") && !ag_lex_is(t, "contains"))
			return perr(ps, t, "expected in or contains after "
				    "not");
		*negate = true;
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (!ag_lex_is(t, ops[i].s))
			continue;
		ag_lex_next(&ps->lx);
		n->op = ops[i].op;
		if (n->op == OP_IS && ag_lex_is(ag_lex_peek(&ps->lx), "not")) {
			ag_lex_next(&ps->lx);
			*negate = true;
		}
		return AG_OK;
	}
	return AG_OK;
}

/* parse_test - FACT ["arg"] [OP operand] */
static int
parse_test(struct parser *ps, struct node **n_r)
{
	const struct tok *t = ag_lex_next(&ps->lx);
	const struct factdef *f;
	struct node *n, *neg;
	enum fact_kind k;
	bool negate;
	int rc;

	if (t->type != T_WORD)
		return perr(ps, t, "expected a fact name, found \"%s\"",
			    shown(t));
	if ((f = ag_rules_fact_find(t->text, ps->scope)) == NULL)
		return perr(ps, t, "unknown fact \"%s\" (see rules.example "
			    "for the list)", t->text);
	if (f->scope != SC_NONE && ps->scope != SC_NONE && f->scope !=
								   ps->scope)
		return perr(ps, t, "%s cannot be used inside this any (...)",
			    f->name);
	if ((n = node_new(ps, N_TEST)) == NULL)
		return AG_ENOMEM;
	n->fact = f;
	ps->rules->needs |= f->needs;
	if (f->arg) {
		t = ag_lex_next(&ps->lx);
		if (t->type != T_STRING)
			return perr(ps, t, "%s needs a \"name\" after it",
				    f->name);
		if ((n->arg = dupstr(t)) == NULL)
			return ag_err_set(ps->err, AG_ENOMEM, "out of memory");
		if (f->id == F_DNSBL) {
			n->dnsbl = -1;
			for (unsigned i = 0; i < ps->rules->ndnsbl; i++)
				if (strcmp(ps->rules->dnsbl[i].name, t->text) ==
				    0)
					n->dnsbl = (int)i;
			if (n->dnsbl < 0)
				return perr(ps, t, "no dnsbl named %s "
					    "(declare it before use)",
					    t->text);
		} else if (!header_name_ok(t->text)) {
			return perr(ps, t, "not a header field name");
		}
	}
	t = ag_lex_peek(&ps->lx);
	if ((rc = test_op(ps, n, &negate)) != AG_OK)
		return rc;
	k = f->kind;
	switch (n->op) {
	case OP_TRUE:
		break;
	case OP_EQ:
	case OP_NE:
		rc = k == FK_NUMBER ? operand_number(ps, n)
		     : k == FK_BOOL ? operand_bool(ps, n)
				    : operand_text(ps, n);
		break;
	case OP_IS:
	case OP_CONTAINS:
		if (k == FK_NUMBER)
			return perr(ps, t, "%s is a number: use == < > ...",
				    f->name);
		if (k == FK_BOOL && n->op == OP_IS) {
			rc = operand_bool(ps, n);
		} else if (n->op == OP_CONTAINS &&
			   ag_lex_peek(&ps->lx)->type == T_LISTREF) {
			/* contains any entry of a list */
			const struct tok *lt = ag_lex_next(&ps->lx);

			n->list = ag_rules_list_find(ps->rules, lt->text);
			if (n->list == NULL)
				return perr(ps, lt, "no list named %s (define "
					    "it with \"list\" before use)",
					    lt->text);
			if (n->list->type == LT_CIDR)
				return perr(ps, lt, "list %s holds networks: "
					    "contains needs strings or "
					    "domains", lt->text);
		} else {
			rc = operand_text(ps, n);
		}
		break;
	case OP_MATCH:
	case OP_NOMATCH:
		if (k == FK_NUMBER || k == FK_BOOL)
			return perr(ps, t, "%s is not text: no regular "
				    "expressions", f->name);
		rc = operand_regex(ps, n);
		break;
	case OP_IN:
		if (k == FK_NUMBER || k == FK_BOOL)
			return perr(ps, t, "%s is not text: no lists",
				    f->name);
		rc = operand_list(ps, n);
		break;
	default:
		if (k != FK_NUMBER)
			return perr(ps, t, "%s is not a number: < > <= >= "
				    "compare numbers", f->name);
		rc = operand_number(ps, n);
		break;
	}
	if (rc != AG_OK)
		return rc;
	if (negate) {
		if ((neg = node_new(ps, N_NOT)) == NULL)
			return AG_ENOMEM;
		neg->a = n;
		n = neg;
	}
	*n_r = n;
	return AG_OK;
}

/* parse_unary - not X | ( X ) | any dkim|attachment ( X ) | test */
static int
parse_unary(struct parser *ps, struct node **n_r)
{
	const struct tok *t = ag_lex_peek(&ps->lx);
	struct node *n;
	int rc;

	if (++ps->depth > AG_RULES_MAX_DEPTH) {
		rc = perr(ps, t, "condition nested deeper than %d",
			  AG_RULES_MAX_DEPTH);
		goto out;
	}
	if (ag_lex_is(t, "not")) {
		ag_lex_next(&ps->lx);
		if ((n = node_new(ps, N_NOT)) == NULL) {
			rc = AG_ENOMEM;
			goto out;
		}
		if ((rc = parse_unary(ps, &n->a)) == AG_OK)
			*n_r = n;
	} else if (ag_lex_is(t, "(")) {
		ag_lex_next(&ps->lx);
		if ((rc = parse_or(ps, n_r)) == AG_OK)
			rc = expect(ps, ")");
	} else if (ag_lex_is(t, "any")) {
		enum fact_scope outer = ps->scope;

		ag_lex_next(&ps->lx);
		t = ag_lex_next(&ps->lx);
		if (outer != SC_NONE) {
			rc = perr(ps, t, "any (...) cannot nest");
			goto out;
		}
		if ((n = node_new(ps, N_ANY)) == NULL) {
			rc = AG_ENOMEM;
			goto out;
		}
		if (ag_lex_is(t, "dkim"))
			n->scope = SC_DKIM;
		else if (ag_lex_is(t, "attachment"))
			n->scope = SC_ATTACHMENT;
		else {
			rc = perr(ps, t, "any takes dkim or attachment, not "
				  "\"%s\"", shown(t));
			goto out;
		}
		if (n->scope == SC_ATTACHMENT)
			ps->rules->needs |= AG_NEED_BODY;
		if ((rc = expect(ps, "(")) != AG_OK)
			goto out;
		ps->scope = n->scope;
		rc = parse_or(ps, &n->a);
		ps->scope = outer;
		if (rc == AG_OK && (rc = expect(ps, ")")) == AG_OK)
			*n_r = n;
	} else {
		rc = parse_test(ps, n_r);
	}
out:
	ps->depth--;
	return rc;
}

/* parse_chain - left-assoc chain of sub joined by word, as kind nodes */
static int
parse_chain(struct parser *ps, const char *word, enum node_kind kind,
	    int (*sub)(struct parser *, struct node **), struct node **n_r)
{
	struct node *left, *n;
	int rc;

	if ((rc = sub(ps, &left)) != AG_OK)
		return rc;
	while (ag_lex_is(ag_lex_peek(&ps->lx), word)) {
		ag_lex_next(&ps->lx);
		if ((n = node_new(ps, kind)) == NULL)
			return AG_ENOMEM;
		n->a = left;
		if ((rc = sub(ps, &n->b)) != AG_OK)
			return rc;
		left = n;
	}
	*n_r = left;
	return AG_OK;
}

/* "and" binds tighter than "or" */
static int
parse_and(struct parser *ps, struct node **n_r)
{
	return parse_chain(ps, "and", N_AND, parse_unary, n_r);
}

static int
parse_or(struct parser *ps, struct node **n_r)
{
	return parse_chain(ps, "or", N_OR, parse_and, n_r);
}

/* ---- rules ---- */

static struct rule *
rule_find(const struct ag_rules *rules, const char *name)
{
	for (unsigned i = 0; i < rules->nrules; i++)
		if (strcmp(rules->rule[i].name, name) == 0)
			return &rules->rule[i];
	return NULL;
}

/* parse_rule - rule NAME { [if COND] [score N] ACTION ... } */
static int
parse_rule(struct parser *ps)
{
	const struct tok *t = ag_lex_next(&ps->lx);
	struct ag_rules *rules = ps->rules;
	struct rule *r, *dup;
	bool have_if = false, have_score = false;
	char origin[600];
	int rc;

	if (t->type != T_WORD || !isalpha((unsigned char)t->text[0]))
		return perr(ps, t, "a rule needs a name (letters, digits, "
			    "_ . -)");
	if ((dup = rule_find(rules, t->text)) != NULL)
		return perr(ps, t, "rule %s is already defined at %s",
			    t->text, dup->origin);
	if (rules->nrules >= AG_RULES_MAX_RULES)
		return perr(ps, t, "more than %d rules", AG_RULES_MAX_RULES);
	if (rules->nrules == rules->cap) {
		unsigned cap = rules->cap ? rules->cap * 2 : 32;
		struct rule *p = realloc(rules->rule, cap * sizeof(*p));

		if (p == NULL)
			return ag_err_set(ps->err, AG_ENOMEM, "out of memory");
		rules->rule = p;
		rules->cap = cap;
	}
	r = &rules->rule[rules->nrules++];
	memset(r, 0, sizeof(*r));
	snprintf(origin, sizeof(origin), "%s:%u", ps->lx.origin, t->line);
	if ((r->name = dupstr(t)) == NULL ||
	    (r->origin = strdup(origin)) == NULL)
		return ag_err_set(ps->err, AG_ENOMEM, "out of memory");
	if ((rc = expect(ps, "{")) != AG_OK)
		return rc;
	for (;;) {
		t = ag_lex_next(&ps->lx);
		if (ag_lex_is(t, "}"))
			break;
		if (t->type == T_EOF)
			return perr(ps, t, "rule %s not closed with }",
				    r->name);
		if (ag_lex_is(t, "if")) {
			if (have_if || have_score || r->nact > 0)
				return perr(ps, t, "if must come first in a "
					    "rule, once");
			have_if = true;
			if ((rc = parse_or(ps, &r->cond)) != AG_OK)
				return rc;
		} else if (ag_lex_is(t, "score")) {
			long long v;

			if (have_score)
				return perr(ps, t, "score given twice");
			have_score = true;
			t = ag_lex_next(&ps->lx);
			if (t->type != T_WORD || !parse_number(t->text, &v) ||
			    v > 1000000 || v < -1000000)
				return perr(ps, t, "score needs a number "
					    "between -10000 and 10000");
			r->score = (int)v;
		} else {
			struct ract a;

			if (t->type != T_WORD)
				return perr(ps, t, "expected if, score or an "
					    "action, found \"%s\"", shown(t));
			if ((rc = parse_action(ps, t, &a, false)) != AG_OK) {
				free(a.a);
				free(a.b);
				return rc;
			}
			if (r->nact >= RULE_MAX_ACTS) {
				free(a.a);
				free(a.b);
				return perr(ps, t, "more than %d actions in "
					    "one rule", RULE_MAX_ACTS);
			}
			r->act[r->nact++] = a;
		}
	}
	return AG_OK;
}

/* parse_dnsbl - dnsbl NAME ip|helo|... "zone" { CODE [- CODE] score N |
 * any score N ... } */
static int
parse_dnsbl(struct parser *ps)
{
	struct ag_rules *rules = ps->rules;
	const struct tok *t = ag_lex_next(&ps->lx);
	struct dnsbl *d;
	static const struct {
		const char *w;
		enum dnsbl_of of;
	} ofs[] = {
		{ "ip", DO_IP }, { "helo", DO_HELO },
		{ "from.domain", DO_FROM_DOMAIN },
		{ "env.from.domain", DO_ENV_FROM_DOMAIN },
		{ "client.name", DO_CLIENT_NAME },
	};
	bool of_ok = false;

	if (t->type != T_WORD || !isalpha((unsigned char)t->text[0]))
		return perr(ps, t, "a dnsbl needs a name");
	for (unsigned i = 0; i < rules->ndnsbl; i++)
		if (strcmp(rules->dnsbl[i].name, t->text) == 0)
			return perr(ps, t, "dnsbl %s is already defined",
				    t->text);
	if (rules->ndnsbl >= AG_RULES_MAX_DNSBL)
		return perr(ps, t, "more than %d DNS lists",
			    AG_RULES_MAX_DNSBL);
	d = &rules->dnsbl[rules->ndnsbl++];
	memset(d, 0, sizeof(*d));
	if ((d->name = dupstr(t)) == NULL)
		return ag_err_set(ps->err, AG_ENOMEM, "out of memory");
	t = ag_lex_next(&ps->lx);
	for (size_t i = 0; i < sizeof(ofs) / sizeof(ofs[0]); i++)
		if (ag_lex_is(t, ofs[i].w)) {
			d->of = ofs[i].of;
			of_ok = true;
		}
	if (!of_ok)
		return perr(ps, t, "dnsbl looks up ip, helo, client.name, "
			    "from.domain or env.from.domain, not \"%s\"",
			    shown(t));
	t = ag_lex_next(&ps->lx);
	if (t->type != T_STRING || t->len == 0 || t->len > 200 ||
	    strspn(t->text, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
		    t->len)
		return perr(ps, t, "dnsbl needs its zone as a \"domain\"");
	if ((d->zone = dupstr(t)) == NULL)
		return ag_err_set(ps->err, AG_ENOMEM, "out of memory");
	if (expect(ps, "{") != AG_OK)
		return AG_EINVAL;
	ps->rules->needs |= AG_NEED_DNSBL;
	for (;;) {
		struct dnsbl_code *c;
		struct in_addr ia;
		long long v;

		t = ag_lex_next(&ps->lx);
		if (ag_lex_is(t, "}"))
			break;
		if (d->ncode >= sizeof(d->code) / sizeof(d->code[0]))
			return perr(ps, t, "more than 16 codes");
		c = &d->code[d->ncode];
		if (ag_lex_is(t, "any")) {
			c->lo = 0;
			c->hi = UINT32_MAX;
		} else if (t->type == T_WORD &&
			   inet_pton(AF_INET, t->text, &ia) == 1) {
			c->lo = c->hi = ntohl(ia.s_addr);
			if (ag_lex_is(ag_lex_peek(&ps->lx), "-")) {
				ag_lex_next(&ps->lx);
				t = ag_lex_next(&ps->lx);
				if (t->type != T_WORD ||
				    inet_pton(AF_INET, t->text, &ia) != 1 ||
				    ntohl(ia.s_addr) < c->lo)
					return perr(ps, t, "range end must be "
						    "an address not below "
						    "its start");
				c->hi = ntohl(ia.s_addr);
			}
		} else {
			return perr(ps, t, "expected a return code like "
				    "127.0.0.2, a range, any, or }");
		}
		if (expect(ps, "score") != AG_OK)
			return AG_EINVAL;
		t = ag_lex_next(&ps->lx);
		if (t->type != T_WORD || !parse_number(t->text, &v) ||
		    v > 1000000 || v < -1000000)
			return perr(ps, t, "score needs a number");
		c->score = (int)v;
		d->ncode++;
	}
	return AG_OK;
}

/* parse_threshold - threshold ACTION SCORE [action arguments] */
static int
parse_threshold(struct parser *ps)
{
	const struct tok *t = ag_lex_next(&ps->lx);
	struct ract a;
	struct threshold *th;
	struct tok fake;
	char word[32];
	long long v;
	int rc;

	if (t->type != T_WORD || ag_lex_is(t, "accept"))
		return perr(ps, t, "threshold takes tag, redirect, "
			    "quarantine, tempfail, discard or reject");
	/* the action's arguments follow the score: read the score first,
	 * then let parse_action read the rest */
	snprintf(word, sizeof(word), "%s", t->text);
	fake = *t;
	fake.text = word;
	fake.len = strlen(word);
	{
		t = ag_lex_next(&ps->lx);
		if (t->type != T_WORD || !parse_number(t->text, &v) ||
		    v > 1000000 || v < -1000000)
			return perr(ps, t, "threshold needs a score");
		if ((rc = parse_action(ps, &fake, &a, true)) != AG_OK)
			return rc;
	}
	{
		enum ag_rule_action idx;

		switch (a.kind) {
		case RA_TAG: idx = AG_RA_TAG; break;
		case RA_REDIRECT: idx = AG_RA_REDIRECT; break;
		case RA_QUARANTINE: idx = AG_RA_QUARANTINE; break;
		case RA_TEMPFAIL: idx = AG_RA_TEMPFAIL; break;
		case RA_DISCARD: idx = AG_RA_DISCARD; break;
		default: idx = AG_RA_REJECT; break;
		}
		th = &ps->rules->thr[idx];
		if (th->set) {
			free(a.a);
			return perr(ps, &fake, "threshold %s is already set",
				    word);
		}
		th->set = true;
		th->score = (int)v;
		th->act = a;
	}
	return AG_OK;
}

/* parse_tag - tag { header "Name" "value" ... subject-prefix "text" } */
static int
parse_tag(struct parser *ps)
{
	struct ag_rules *rules = ps->rules;
	const struct tok *t;
	int rc;

	if (rules->ntag > 0 || rules->subject_prefix != NULL)
		return perr(ps, ag_lex_peek(&ps->lx), "tag block given twice");
	if ((rc = expect(ps, "{")) != AG_OK)
		return rc;
	for (;;) {
		t = ag_lex_next(&ps->lx);
		if (ag_lex_is(t, "}"))
			break;
		if (ag_lex_is(t, "header")) {
			const struct tok *n = ag_lex_next(&ps->lx);

			if (rules->ntag >= 8)
				return perr(ps, n, "more than 8 tag headers");
			if (n->type != T_STRING || !header_name_ok(n->text))
				return perr(ps, n, "header needs a field "
					    "name in quotes");
			if ((rules->tag_name[rules->ntag] = dupstr(n)) == NULL)
				return ag_err_set(ps->err, AG_ENOMEM, "out of "
						  "memory");
			rc = text_arg(ps, "header",
				      &rules->tag_value[rules->ntag]);
			rules->ntag++;
			if (rc != AG_OK)
				return rc;
		} else if (ag_lex_is(t, "subject-prefix")) {
			free(rules->subject_prefix);
			rules->subject_prefix = NULL;
			if ((rc = text_arg(ps, "subject-prefix",
					   &rules->subject_prefix)) != AG_OK)
				return rc;
		} else {
			return perr(ps, t, "expected header, subject-prefix or "
				    "} in the tag block, found \"%s\"",
				    shown(t));
		}
	}
	return AG_OK;
}

static int
parse_top(struct parser *ps)
{
	for (;;) {
		const struct tok *t = ag_lex_next(&ps->lx);
		int rc;

		if (t->type == T_EOF)
			return AG_OK;
		if (ag_lex_is(t, "rule"))
			rc = parse_rule(ps);
		else if (ag_lex_is(t, "list"))
			rc = parse_list(ps);
		else if (ag_lex_is(t, "dnsbl"))
			rc = parse_dnsbl(ps);
		else if (ag_lex_is(t, "threshold"))
			rc = parse_threshold(ps);
		else if (ag_lex_is(t, "tag"))
			rc = parse_tag(ps);
		else
			rc = perr(ps, t, "expected rule, list, dnsbl, "
				  "threshold or tag, found \"%s\"", shown(t));
		if (rc != AG_OK)
			return rc;
	}
}

int
ag_rules_parse_text(struct ag_rules *rules, const char *text,
		    const char *origin, struct ag_err *err)
{
	struct parser ps;
	struct ag_err local = { 0, "" };
	int rc;

	memset(&ps, 0, sizeof(ps));
	ps.rules = rules;
	ps.err = err != NULL ? err : &local;
	ag_lex_init(&ps.lx, origin, text, strlen(text));
	rc = parse_top(&ps);
	if (rc != AG_OK && ps.err->code == 0)
		ps.err->code = rc;
	ag_lex_done(&ps.lx);
	return rc != AG_OK ? (ps.err->code ? ps.err->code : rc) : AG_OK;
}

int
ag_rules_parse_file(struct ag_rules *rules, const char *path,
		    struct ag_err *err)
{
	struct parser ps;
	struct ag_err local = { 0, "" };
	char *text = NULL, *slash;
	size_t len = 0;
	FILE *fp = NULL;
	long size;
	int rc;

	memset(&ps, 0, sizeof(ps));
	ps.rules = rules;
	ps.err = err != NULL ? err : &local;
	if ((fp = fopen(path, "r")) == NULL) {
		rc = ag_err_set(ps.err, AG_ENOENT, "%s: %s", path,
				strerror(errno));
		goto out;
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 ||
	    size > 64L * 1024 * 1024 || fseek(fp, 0, SEEK_SET) != 0) {
		rc = ag_err_set(ps.err, AG_EINVAL, "%s: cannot read, or over "
				"64 MB", path);
		goto out;
	}
	if ((text = malloc((size_t)size + 1)) == NULL) {
		rc = ag_err_set(ps.err, AG_ENOMEM, "out of memory");
		goto out;
	}
	len = fread(text, 1, (size_t)size, fp);
	text[len] = '\0';
	if (memchr(text, '\0', len) != NULL) {
		rc = ag_err_set(ps.err, AG_EINVAL, "%s: NUL byte in rules "
				"file", path);
		goto out;
	}
	snprintf(ps.dir, sizeof(ps.dir), "%s", path);
	if ((slash = strrchr(ps.dir, '/')) != NULL)
		*slash = '\0';
	else
		ps.dir[0] = '\0';
	ag_lex_init(&ps.lx, path, text, len);
	rc = parse_top(&ps);
	ag_lex_done(&ps.lx);
	if (rc != AG_OK && ps.err->code != 0)
		rc = ps.err->code;
out:
	if (fp != NULL)
		fclose(fp);
	free(text);
	return rc;
}
