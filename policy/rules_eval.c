/*
 * policy/rules_eval.c - evaluate compiled rules against one message's facts
 *
 * Order (documented in conf/rules.example): DNS lists are asked first and
 * add their scores; then every rule in file order; a rule whose condition
 * holds adds its score and records its actions; "accept" stops there and
 * skips the thresholds. Then the thresholds map the total to actions; the
 * strongest action wins (accept < tag < redirect < quarantine < tempfail
 * < discard < reject), and among equals the first reached. Texts are
 * expanded last, so ${score} is the final total.
 *
 * Nothing here allocates per rule: one PCRE2 match block per message.
 */
#include "policy/rules_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "policy/dnsbl.h"
#include "policy/mime.h"

#define MAX_PENDING 32

struct dnsbl_state {
	unsigned n;
	uint32_t code[AG_DNSBL_MAX_CODES];
};

struct eval {
	void (*each)(void *arg, const char *name, const char *value);
	void *each_arg;
	const struct ag_rules *rules;
	const struct ag_facts *f;
	struct ag_rules_result *r;
	pcre2_match_data *md;
	enum fact_scope scope;
	unsigned idx;			/* element inside any (...) */
	int score;
	struct dnsbl_state dnsbl[AG_RULES_MAX_DNSBL];
	const struct ract *decider;	/* action of the verdict */
	const struct ract *pending[MAX_PENDING]; /* header edits */
	unsigned npending;
};

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

static const char *
domain_of(const char *addr)
{
	const char *at = strrchr(nz(addr), '@');

	return at != NULL ? at + 1 : "";
}

/* ---- value tests ---- */

static bool
test_str(struct eval *e, const struct node *n, const char *s)
{
	int rc;

	s = nz(s);
	switch (n->op) {
	case OP_EACH:
		e->each(e->each_arg, n->fact->name, s);
		return false;
	case OP_TRUE:
		return s[0] != '\0';
	case OP_EQ:
	case OP_NE:
		return strcmp(s, n->str) == 0;
	case OP_IS:
		return strcasecmp(s, n->str) == 0;
	case OP_CONTAINS:
		if (n->list != NULL) {
			for (size_t i = 0; i < n->list->n; i++)
				if (strcasestr(s, n->list->item[i]) != NULL)
					return true;
			return false;
		}
		return strcasestr(s, n->str) != NULL;
	case OP_MATCH:
	case OP_NOMATCH:
		rc = pcre2_match(n->re, (PCRE2_SPTR)s, strlen(s), 0, 0, e->md,
				 e->rules->mctx);
		if (rc >= 0)
			return true;
		if (rc != PCRE2_ERROR_NOMATCH)
			e->r->regex_limit++;
		return false;
	case OP_IN:
		return ag_rules_list_has(n->list, s);
	default:
		return false;
	}
}

/* test_num - v in hundredths, like the literal */
static bool
test_num(struct eval *e, const struct node *n, long long v)
{
	char t[32];

	switch (n->op) {
	case OP_EACH:
		ag_rules_score_text((int)(v > 2000000000 ? 2000000000 : v), t,
				    sizeof(t));
		if (v > 2000000000)
			snprintf(t, sizeof(t), "%lld", v / 100);
		e->each(e->each_arg, n->fact->name, t);
		return false;
	case OP_TRUE:
		return v != 0;
	case OP_EQ:
	case OP_NE:
		return v == n->num;
	case OP_LT:
		return v < n->num;
	case OP_LE:
		return v <= n->num;
	case OP_GT:
		return v > n->num;
	case OP_GE:
		return v >= n->num;
	default:
		return false;
	}
}

static bool
test_bool(struct eval *e, const struct node *n, bool b)
{
	if (n->op == OP_EACH) {
		e->each(e->each_arg, n->fact->name, b ? "yes" : "no");
		return false;
	}
	if (n->op == OP_TRUE)
		return b;
	return b == (n->num != 0);
}

/* attachment_part - index in mime->part of the k-th attachment */
static int
attachment_part(const struct ag_mime_result *m, unsigned k)
{
	for (unsigned i = 0; m != NULL && i < m->nparts; i++)
		if (m->part[i].attachment && k-- == 0)
			return (int)i;
	return -1;
}

static unsigned
attachment_count(const struct ag_mime_result *m)
{
	unsigned c = 0;

	for (unsigned i = 0; m != NULL && i < m->nparts; i++)
		c += m->part[i].attachment;
	return c;
}

static const char *
dkim_str(const struct ag_fact_dkim *d, enum fact_id id)
{
	return id == F_DKIM_RESULT ? d->result
	       : id == F_DKIM_DOMAIN ? d->domain
				     : d->selector;
}

/* code_text - "127.0.0.2" */
static void
code_text(uint32_t code, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%u.%u", code >> 24, (code >> 16) & 255,
		 (code >> 8) & 255, code & 255);
}

/* any_value - the test holds for at least one value of the fact (the
 * operator taken positively: != and !~ are inverted by the caller) */
static bool
any_value(struct eval *e, const struct node *n)
{
	const struct ag_facts *f = e->f;
	const struct factdef *fd = n->fact;
	bool scoped = fd->scope != SC_NONE && e->scope == fd->scope;

	switch (fd->id) {
	case F_CLIENT_IP:
		return test_str(e, n, f->ip);
	case F_CLIENT_NAME:
		return test_str(e, n, f->client_name);
	case F_CLIENT_IPREV:
		return test_str(e, n, f->iprev != NULL ? f->iprev : "none");
	case F_CLIENT_INTERNAL:
		return test_bool(e, n, f->internal);
	case F_HELO:
		return test_str(e, n, f->helo);
	case F_TLS:
		return test_bool(e, n, f->tls);
	case F_TLS_VERSION:
		return test_str(e, n, f->tls_version);
	case F_TLS_CIPHER:
		return test_str(e, n, f->tls_cipher);
	case F_AUTH:
		return test_bool(e, n, nz(f->auth_user)[0] != '\0');
	case F_AUTH_USER:
		return test_str(e, n, f->auth_user);
	case F_ENV_FROM:
		return test_str(e, n, f->mailfrom);
	case F_ENV_FROM_DOMAIN:
		return test_str(e, n, domain_of(f->mailfrom));
	case F_ENV_RCPT:
	case F_ENV_RCPT_DOMAIN:
		for (unsigned i = 0; i < f->nrcpt; i++)
			if (test_str(e, n, fd->id == F_ENV_RCPT
						   ? f->rcpt[i]
						   : domain_of(f->rcpt[i])))
				return true;
		return false;
	case F_RCPT_COUNT:
		return test_num(e, n, (long long)f->nrcpt * 100);
	case F_FROM_ADDRESS:
	case F_FROM_DOMAIN:
	case F_FROM_NAME:
		for (unsigned i = 0; i < f->nfrom_addr; i++) {
			const struct ag_fact_from *a = &f->from[i];

			if (test_str(e, n, fd->id == F_FROM_ADDRESS ? a->address
					   : fd->id == F_FROM_DOMAIN ? a->domain
								     : a->name))
				return true;
		}
		return false;
	case F_FROM_COUNT:
		return test_num(e, n, (long long)f->nfrom_fields * 100);
	case F_FROM_PROBLEM:
		return test_str(e, n, f->from_problem);
	case F_HEADER:
	case F_HEADER_RAW:
	case F_SUBJECT: {
		const char *name = fd->id == F_SUBJECT ? "Subject" : n->arg;

		for (unsigned i = 0; i < f->nhdr; i++) {
			const struct ag_fact_header *h = &f->hdr[i];

			if (strcasecmp(h->name, name) != 0)
				continue;
			if (test_str(e, n, fd->id != F_HEADER_RAW &&
						   h->decoded != NULL
					       ? h->decoded
					       : h->value))
				return true;
			if (fd->id == F_SUBJECT)
				return false;	/* the first only */
		}
		/* an absent Subject reads as "" */
		return fd->id == F_SUBJECT && test_str(e, n, "");
	}
	case F_HEADER_COUNT: {
		long long c = 0;

		for (unsigned i = 0; i < f->nhdr; i++)
			c += strcasecmp(f->hdr[i].name, n->arg) == 0;
		return test_num(e, n, c * 100);
	}
	case F_SIZE:
		return test_num(e, n, (long long)f->size * 100);
	case F_BODY:
		return test_str(e, n, f->mime != NULL ? f->mime->text : "");
	case F_ATT_NAME:
	case F_ATT_TYPE:
		for (unsigned k = 0;; k++) {
			int p = attachment_part(f->mime, scoped ? e->idx : k);
			const struct ag_mime_part *mp;

			if (p < 0)
				return false;
			mp = &f->mime->part[p];
			if (test_str(e, n, fd->id == F_ATT_NAME ? mp->name
								 : mp->type))
				return true;
			if (scoped)
				return false;
		}
	case F_ATT_COUNT:
		return test_num(e, n, (long long)attachment_count(f->mime) * 100);
	case F_MIME_TYPE:
		for (unsigned i = 0; f->mime != NULL && i < f->mime->nparts;
		     i++)
			if (test_str(e, n, f->mime->part[i].type))
				return true;
		return false;
	case F_SPF_MAILFROM:
		return test_str(e, n, f->spf_mailfrom != NULL ? f->spf_mailfrom
							      : "none");
	case F_SPF_HELO:
		return test_str(e, n, f->spf_helo != NULL ? f->spf_helo
							  : "none");
	case F_SPF_DOMAIN:
		return test_str(e, n, f->spf_domain);
	case F_SPF_EXPLANATION:
		return test_str(e, n, f->spf_explanation);
	case F_DKIM_RESULT:
	case F_DKIM_DOMAIN:
	case F_DKIM_SELECTOR:
	case F_DKIM_ALIGNED:
	case F_DKIM_LENGTH:
		for (unsigned i = scoped ? e->idx : 0; i < f->ndkim; i++) {
			const struct ag_fact_dkim *d = &f->dkim[i];
			bool hit;

			if (fd->id == F_DKIM_ALIGNED)
				hit = test_bool(e, n, d->aligned);
			else if (fd->id == F_DKIM_LENGTH)
				hit = test_bool(e, n, d->length);
			else
				hit = test_str(e, n, dkim_str(d, fd->id));
			if (hit)
				return true;
			if (scoped)
				return false;
		}
		/* no signature: dkim.result reads "none" */
		return f->ndkim == 0 && fd->id == F_DKIM_RESULT &&
		       test_str(e, n, "none");
	case F_DKIM_COUNT:
		return test_num(e, n, (long long)f->ndkim * 100);
	case F_DMARC_RESULT:
		return test_str(e, n, f->dmarc_result != NULL ? f->dmarc_result
							      : "none");
	case F_DMARC_POLICY:
		return test_str(e, n, f->dmarc_policy);
	case F_DMARC_DISPOSITION:
		/* after a dmarc-override the policy is not applied */
		return test_str(e, n, e->r->dmarc_override != NULL
					      ? "none"
					      : f->dmarc_disposition != NULL
						  ? f->dmarc_disposition
						  : "none");
	case F_DMARC_DOMAIN:
		return test_str(e, n, f->dmarc_domain);
	case F_DMARC_ORG:
		return test_str(e, n, f->dmarc_org);
	case F_DMARC_OVERRIDE:
		return test_str(e, n, e->r->dmarc_override);
	case F_ARC_RESULT:
		return test_str(e, n, f->arc_result != NULL ? f->arc_result
							    : "none");
	case F_ARC_SEALER:
		return test_str(e, n, f->narc_sealers > 0 ? f->arc_sealers[0]
							  : "");
	case F_ARC_SEALERS:
		for (unsigned i = 0; i < f->narc_sealers; i++)
			if (test_str(e, n, f->arc_sealers[i]))
				return true;
		return false;
	case F_ARC_TRUSTED:
		return test_bool(e, n, f->arc_trusted);
	case F_DNSBL: {
		const struct dnsbl_state *st = &e->dnsbl[n->dnsbl];
		char t[16];

		if (n->op == OP_TRUE)
			return st->n > 0;
		for (unsigned i = 0; i < st->n; i++) {
			code_text(st->code[i], t, sizeof(t));
			if (test_str(e, n, t))
				return true;
		}
		return false;
	}
	case F_SCORE:
		return test_num(e, n, e->score);
	}
	return false;
}

static bool
eval_node(struct eval *e, const struct node *n)
{
	switch (n->kind) {
	case N_AND:
		return eval_node(e, n->a) && eval_node(e, n->b);
	case N_OR:
		return eval_node(e, n->a) || eval_node(e, n->b);
	case N_NOT:
		return !eval_node(e, n->a);
	case N_ANY: {
		unsigned count = n->scope == SC_DKIM ? e->f->ndkim
				 : attachment_count(e->f->mime);
		bool hit = false;

		e->scope = n->scope;
		for (unsigned i = 0; i < count && !hit; i++) {
			e->idx = i;
			hit = eval_node(e, n->a);
		}
		e->scope = SC_NONE;
		return hit;
	}
	case N_TEST:
		if (n->op == OP_NE || n->op == OP_NOMATCH)
			return !any_value(e, n);
		return any_value(e, n);
	}
	return false;
}

/* ---- actions ---- */

static enum ag_rule_action
ract_strength(enum ract_kind k)
{
	switch (k) {
	case RA_TAG: return AG_RA_TAG;
	case RA_REDIRECT: return AG_RA_REDIRECT;
	case RA_QUARANTINE: return AG_RA_QUARANTINE;
	case RA_TEMPFAIL: return AG_RA_TEMPFAIL;
	case RA_DISCARD: return AG_RA_DISCARD;
	case RA_REJECT: return AG_RA_REJECT;
	default: return AG_RA_ACCEPT;
	}
}

/* harden - take a if it is stronger than what is decided */
static void
harden(struct eval *e, const struct ract *a, const char *by)
{
	enum ag_rule_action s = ract_strength(a->kind);

	if (a->kind == RA_TAG)
		e->r->tagged = true;
	if (s <= e->r->action)
		return;
	e->r->action = s;
	e->r->decided_by = by;
	e->decider = a;
}

static void
add_hit(struct ag_rules_result *r, const char *name, const char *origin,
	int score)
{
	r->nhits_total++;
	if (r->nhits < AG_RULES_MAX_HITS) {
		r->hit[r->nhits].name = name;
		r->hit[r->nhits].origin = origin;
		r->hit[r->nhits].score = score;
		r->nhits++;
	}
}

/* run_rule - evaluate one rule; false when it said accept (stop) */
static bool
run_rule(struct eval *e, const struct rule *rule)
{
	struct ag_rules_result *r = e->r;

	r->rules_run++;
	if (rule->cond != NULL && !eval_node(e, rule->cond))
		return true;
	e->score += rule->score;
	add_hit(r, rule->name, rule->origin, rule->score);
	for (unsigned i = 0; i < rule->nact; i++) {
		const struct ract *a = &rule->act[i];

		switch (a->kind) {
		case RA_ACCEPT:
			r->accepted = true;
			r->decided_by = r->action == AG_RA_ACCEPT ? rule->name
								   : r->decided_by;
			return false;
		case RA_ADD_HEADER:
		case RA_REMOVE_HEADER:
			if (e->npending < MAX_PENDING)
				e->pending[e->npending++] = a;
			break;
		case RA_DMARC_OVERRIDE:
			if (r->dmarc_override == NULL)
				r->dmarc_override = a->a;
			break;
		default:
			harden(e, a, rule->name);
			break;
		}
	}
	return true;
}

/* ---- DNS lists ---- */

static const char *
dnsbl_subject(const struct ag_facts *f, enum dnsbl_of of)
{
	switch (of) {
	case DO_HELO:
		return nz(f->helo);
	case DO_FROM_DOMAIN:
		return f->nfrom_addr > 0 ? nz(f->from[0].domain) : "";
	case DO_ENV_FROM_DOMAIN:
		return domain_of(f->mailfrom);
	case DO_CLIENT_NAME:
		return nz(f->client_name);
	default:
		return "";
	}
}

static void
run_dnsbl(struct eval *e, struct ag_dns *dns)
{
	const struct ag_rules *rules = e->rules;
	struct ag_rules_result *r = e->r;
	const struct ag_facts *f = e->f;

	for (unsigned i = 0; i < rules->ndnsbl; i++) {
		const struct dnsbl *d = &rules->dnsbl[i];
		struct ag_rules_dnsbl *out = &r->dnsbl[r->ndnsbl++];
		struct ag_dnsbl_answer ans;
		char name[300];
		int rc;

		out->name = d->name;
		out->query = "";
		out->codes[0] = '\0';
		out->score = 0;
		snprintf(out->status, sizeof(out->status), "skipped");
		/* our own users and networks are not looked up */
		if (dns == NULL || f->internal || nz(f->auth_user)[0] != '\0')
			continue;
		if (d->of == DO_IP)
			rc = f->addr != NULL ? ag_dnsbl_ip_name(f->addr, d->zone,
								name,
								sizeof(name))
					     : AG_EINVAL;
		else
			rc = ag_dnsbl_domain_name(dnsbl_subject(f, d->of),
						  d->zone, name, sizeof(name));
		if (rc != AG_OK)
			continue;
		if (ag_dnsbl_query(dns, name, false, &ans) != AG_OK) {
			snprintf(out->status, sizeof(out->status), "error");
			continue;
		}
		snprintf(out->status, sizeof(out->status), "%s",
			 ans.status == AG_DNSBL_LISTED	   ? "listed"
			 : ans.status == AG_DNSBL_NOT_LISTED ? "not listed"
							      : "error");
		if (ans.status != AG_DNSBL_LISTED)
			continue;
		e->dnsbl[i].n = ans.ncodes;
		memcpy(e->dnsbl[i].code, ans.code,
		       ans.ncodes * sizeof(ans.code[0]));
		/* each code entry that one of the answers falls in counts
		 * once */
		for (unsigned c = 0; c < d->ncode; c++)
			for (unsigned k = 0; k < ans.ncodes; k++)
				if (ans.code[k] >= d->code[c].lo &&
				    ans.code[k] <= d->code[c].hi) {
					out->score += d->code[c].score;
					break;
				}
		for (unsigned k = 0; k < ans.ncodes; k++) {
			size_t o = strlen(out->codes);
			char t[16];

			code_text(ans.code[k], t, sizeof(t));
			snprintf(out->codes + o, sizeof(out->codes) - o, "%s%s",
				 o ? "," : "", t);
		}
		e->score += out->score;
		add_hit(r, d->name, "dnsbl", out->score);
	}
}

/* ---- text expansion ---- */

/* fact_first - the first value of a fact without argument, as text */
static void
fact_first(const struct eval *e, const char *name, char *buf, size_t size)
{
	const struct ag_facts *f = e->f;
	const struct factdef *fd = ag_rules_fact_find(name, SC_NONE);
	const char *s = "";

	buf[0] = '\0';
	if (fd == NULL)
		return;
	switch (fd->id) {
	case F_CLIENT_IP: s = f->ip; break;
	case F_CLIENT_NAME: s = f->client_name; break;
	case F_CLIENT_IPREV: s = f->iprev != NULL ? f->iprev : "none"; break;
	case F_CLIENT_INTERNAL: s = f->internal ? "yes" : "no"; break;
	case F_HELO: s = f->helo; break;
	case F_TLS: s = f->tls ? "yes" : "no"; break;
	case F_TLS_VERSION: s = f->tls_version; break;
	case F_TLS_CIPHER: s = f->tls_cipher; break;
	case F_AUTH: s = nz(f->auth_user)[0] ? "yes" : "no"; break;
	case F_AUTH_USER: s = f->auth_user; break;
	case F_ENV_FROM: s = f->mailfrom; break;
	case F_ENV_FROM_DOMAIN: s = domain_of(f->mailfrom); break;
	case F_ENV_RCPT: s = f->nrcpt ? f->rcpt[0] : ""; break;
	case F_ENV_RCPT_DOMAIN: s = f->nrcpt ? domain_of(f->rcpt[0]) : "";
		break;
	case F_RCPT_COUNT: snprintf(buf, size, "%u", f->nrcpt); return;
	case F_FROM_ADDRESS: s = f->nfrom_addr ? f->from[0].address : "";
		break;
	case F_FROM_DOMAIN: s = f->nfrom_addr ? f->from[0].domain : "";
		break;
	case F_FROM_NAME: s = f->nfrom_addr ? f->from[0].name : ""; break;
	case F_FROM_COUNT: snprintf(buf, size, "%u", f->nfrom_fields); return;
	case F_FROM_PROBLEM: s = f->from_problem; break;
	case F_SUBJECT:
		for (unsigned i = 0; i < f->nhdr; i++)
			if (strcasecmp(f->hdr[i].name, "Subject") == 0) {
				s = f->hdr[i].decoded ? f->hdr[i].decoded
						      : f->hdr[i].value;
				break;
			}
		break;
	case F_SIZE: snprintf(buf, size, "%llu", f->size); return;
	case F_SPF_MAILFROM: s = f->spf_mailfrom ? f->spf_mailfrom : "none";
		break;
	case F_SPF_HELO: s = f->spf_helo ? f->spf_helo : "none"; break;
	case F_SPF_DOMAIN: s = f->spf_domain; break;
	case F_SPF_EXPLANATION: s = f->spf_explanation; break;
	case F_DKIM_COUNT: snprintf(buf, size, "%u", f->ndkim); return;
	case F_ATT_COUNT:
		snprintf(buf, size, "%u", attachment_count(f->mime));
		return;
	case F_DMARC_RESULT: s = f->dmarc_result ? f->dmarc_result : "none";
		break;
	case F_DMARC_POLICY: s = f->dmarc_policy; break;
	case F_DMARC_DISPOSITION: s = f->dmarc_disposition; break;
	case F_DMARC_DOMAIN: s = f->dmarc_domain; break;
	case F_DMARC_ORG: s = f->dmarc_org; break;
	case F_DMARC_OVERRIDE: s = e->r->dmarc_override; break;
	case F_ARC_RESULT: s = f->arc_result ? f->arc_result : "none"; break;
	case F_ARC_SEALER:
	case F_ARC_SEALERS:
		s = f->narc_sealers ? f->arc_sealers[0] : "";
		break;
	case F_ARC_TRUSTED: s = f->arc_trusted ? "yes" : "no"; break;
	default: break;
	}
	snprintf(buf, size, "%s", nz(s));
}

/* hits_text - "SPF_FAIL(3), DKIM_FAIL(2.5)" */
static void
hits_text(const struct ag_rules_result *r, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < r->nhits && o + 1 < size; i++) {
		char sc[24];
		int n;

		ag_rules_score_text(r->hit[i].score, sc, sizeof(sc));
		n = snprintf(buf + o, size - o, "%s%s(%s)", i ? ", " : "",
			     r->hit[i].name, sc);
		if (n < 0 || (size_t)n >= size - o) {
			buf[o] = '\0';
			break;
		}
		o += (size_t)n;
	}
}

/* expand - tmpl with ${...} replaced, printable ASCII and UTF-8 kept,
 * control bytes (CR, LF) dropped; in reply text '%' becomes '?' */
static void
expand(const struct eval *e, const char *tmpl, char *out, size_t size,
       bool reply)
{
	size_t o = 0;

	for (const char *p = nz(tmpl); *p != '\0' && o + 1 < size;) {
		char val[AG_RULES_HDR_MAX + 1];
		const char *v;

		if (p[0] == '$' && p[1] == '{' && strchr(p, '}') != NULL) {
			const char *end = strchr(p, '}');
			char name[64];
			size_t nl = (size_t)(end - p - 2);

			if (nl >= sizeof(name))
				nl = sizeof(name) - 1;
			memcpy(name, p + 2, nl);
			name[nl] = '\0';
			if (strcmp(name, "score") == 0)
				ag_rules_score_text(e->r->score, val,
						    sizeof(val));
			else if (strcmp(name, "rules") == 0)
				hits_text(e->r, val, sizeof(val));
			else if (strcmp(name, "action") == 0)
				snprintf(val, sizeof(val), "%s",
					 ag_rules_action_name(e->r->action));
			else
				fact_first(e, name, val, sizeof(val));
			p = end + 1;
			v = val;
		} else {
			val[0] = *p++;
			val[1] = '\0';
			v = val;
		}
		for (; *v != '\0' && o + 1 < size; v++) {
			unsigned char c = (unsigned char)*v;

			if (c < 0x20 || c == 0x7f)
				continue;
			if (reply && (c == '%' || c >= 0x80))
				c = '?';
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

/* ---- the whole evaluation ---- */

static void
finish(struct eval *e)
{
	const struct ag_rules *rules = e->rules;
	struct ag_rules_result *r = e->r;
	const struct ract *a = e->decider;

	r->score = e->score;
	if (r->action == AG_RA_ACCEPT && r->tagged)
		r->action = AG_RA_TAG;
	if (r->decided_by == NULL)
		r->decided_by = "";
	if (a != NULL && (a->kind == RA_REJECT || a->kind == RA_TEMPFAIL)) {
		snprintf(r->rcode, sizeof(r->rcode), "%s", a->rcode);
		snprintf(r->xcode, sizeof(r->xcode), "%s", a->xcode);
		if (a->a != NULL)
			expand(e, a->a, r->text, sizeof(r->text), true);
		else if (a->kind == RA_REJECT)
			snprintf(r->text, sizeof(r->text), "Message rejected "
				 "by local policy (%.60s)", r->decided_by);
		else
			snprintf(r->text, sizeof(r->text), "Message deferred "
				 "by local policy (%.60s), try again later",
				 r->decided_by);
	}
	if (r->action == AG_RA_QUARANTINE) {
		char sc[24];

		/* Postfix keeps the first 100 bytes of the reason */
		ag_rules_score_text(r->score, sc, sizeof(sc));
		if (a != NULL && a->a != NULL)
			expand(e, a->a, r->quarantine, sizeof(r->quarantine),
			       true);
		else
			snprintf(r->quarantine, sizeof(r->quarantine),
				 "authgate rule %.60s (score %s)",
				 r->decided_by, sc);
	}
	if (r->action == AG_RA_REDIRECT && a != NULL)
		expand(e, a->a, r->redirect, sizeof(r->redirect), true);
	if (r->action >= AG_RA_TEMPFAIL)
		return;	/* not delivered: no header edits */
	for (unsigned i = 0; i < e->npending && r->nedits < AG_RULES_MAX_EDITS;
	     i++) {
		struct ag_rules_edit *ed = &r->edit[r->nedits++];

		ed->remove = e->pending[i]->kind == RA_REMOVE_HEADER;
		ed->name = e->pending[i]->a;
		ed->value[0] = '\0';
		if (!ed->remove)
			expand(e, e->pending[i]->b, ed->value,
			       sizeof(ed->value), false);
	}
	if (!r->tagged)
		return;
	for (unsigned i = 0; i < rules->ntag && r->nedits < AG_RULES_MAX_EDITS;
	     i++) {
		struct ag_rules_edit *ed = &r->edit[r->nedits++];

		ed->remove = false;
		ed->name = rules->tag_name[i];
		expand(e, rules->tag_value[i], ed->value, sizeof(ed->value),
		       false);
	}
}

void
ag_rules_eval(const struct ag_rules *rules, const struct ag_facts *f,
	      struct ag_dns *dns, struct ag_rules_result *r)
{
	static const char *const thr_name[] = {
		[AG_RA_TAG] = "threshold tag",
		[AG_RA_REDIRECT] = "threshold redirect",
		[AG_RA_QUARANTINE] = "threshold quarantine",
		[AG_RA_TEMPFAIL] = "threshold tempfail",
		[AG_RA_DISCARD] = "threshold discard",
		[AG_RA_REJECT] = "threshold reject",
	};
	struct eval e;

	memset(r, 0, offsetof(struct ag_rules_result, hit));
	memset(&e, 0, sizeof(e));
	e.rules = rules;
	e.f = f;
	e.r = r;
	r->action = AG_RA_ACCEPT;
	/* one match block for the message: ovector of one pair, since
	 * rules only ask whether a pattern matches */
	e.md = pcre2_match_data_create(1, NULL);
	if (rules->ndnsbl > 0)
		run_dnsbl(&e, dns);
	for (unsigned i = 0; i < rules->nrules; i++) {
		if (e.md == NULL)
			break;	/* out of memory: no rule can run */
		if (!run_rule(&e, &rules->rule[i]))
			break;
	}
	if (!r->accepted) {
		for (int a = AG_RA_REJECT; a >= AG_RA_TAG; a--) {
			const struct threshold *t = &rules->thr[a];

			if (t->set && e.score >= t->score)
				harden(&e, &t->act, thr_name[a]);
		}
	}
	r->score = e.score;
	finish(&e);
	pcre2_match_data_free(e.md);
}

void
ag_rules_facts_each(const struct ag_facts *f,
		    void (*cb)(void *arg, const char *name, const char *value),
		    void *arg)
{
	static struct ag_rules_result none;
	static const struct ag_rules norules;
	struct eval e;
	struct node n;

	memset(&e, 0, sizeof(e));
	e.each = cb;
	e.each_arg = arg;
	e.rules = &norules;
	e.f = f;
	e.r = &none;
	for (unsigned i = 0; i < ag_rules_nfacts; i++) {
		const struct factdef *fd = &ag_rules_facts[i];

		if (fd->arg || fd->id == F_SCORE)
			continue;
		memset(&n, 0, sizeof(n));
		n.kind = N_TEST;
		n.fact = fd;
		n.op = OP_EACH;
		(void)any_value(&e, &n);
	}
}

/* ---- the rules object ---- */

int
ag_rules_new(struct ag_rules **rules_r)
{
	struct ag_rules *rules = calloc(1, sizeof(*rules));

	if (rules == NULL)
		return AG_ENOMEM;
	if ((rules->mctx = pcre2_match_context_create(NULL)) == NULL) {
		free(rules);
		return AG_ENOMEM;
	}
	/* a pattern that backtracks without end must not stall a milter
	 * thread: past these it simply does not match */
	pcre2_set_match_limit(rules->mctx, 1000000);
	pcre2_set_depth_limit(rules->mctx, 10000);
	*rules_r = rules;
	return AG_OK;
}

static void
ract_free(struct ract *a)
{
	free(a->a);
	free(a->b);
}

void
ag_rules_free(struct ag_rules **rulesp)
{
	struct ag_rules *rules = *rulesp;
	struct node *n, *next;

	if (rules == NULL)
		return;
	for (unsigned i = 0; i < rules->nrules; i++) {
		for (unsigned k = 0; k < rules->rule[i].nact; k++)
			ract_free(&rules->rule[i].act[k]);
		free(rules->rule[i].name);
		free(rules->rule[i].origin);
	}
	free(rules->rule);
	for (n = rules->nodes; n != NULL; n = next) {
		next = n->next_free;
		free(n->arg);
		free(n->str);
		pcre2_code_free(n->re);
		free(n);
	}
	ag_rules_lists_free(&rules->lists);
	for (unsigned i = 0; i < rules->ndnsbl; i++) {
		free(rules->dnsbl[i].name);
		free(rules->dnsbl[i].zone);
	}
	for (unsigned i = 0; i <= AG_RA_REJECT; i++)
		ract_free(&rules->thr[i].act);
	for (unsigned i = 0; i < rules->ntag; i++) {
		free(rules->tag_name[i]);
		free(rules->tag_value[i]);
	}
	free(rules->subject_prefix);
	pcre2_match_context_free(rules->mctx);
	free(rules);
	*rulesp = NULL;
}

unsigned
ag_rules_needs(const struct ag_rules *rules)
{
	return rules->needs;
}

unsigned
ag_rules_count(const struct ag_rules *rules)
{
	return rules->nrules;
}

const char *const *
ag_rules_tag_names(const struct ag_rules *rules, unsigned *n_r)
{
	*n_r = rules->ntag;
	return (const char *const *)rules->tag_name;
}

const char *
ag_rules_subject_prefix(const struct ag_rules *rules)
{
	return rules->subject_prefix;
}

const char *
ag_rules_action_name(enum ag_rule_action a)
{
	static const char *const names[] = {
		[AG_RA_ACCEPT] = "accept", [AG_RA_TAG] = "tag",
		[AG_RA_REDIRECT] = "redirect",
		[AG_RA_QUARANTINE] = "quarantine",
		[AG_RA_TEMPFAIL] = "tempfail", [AG_RA_DISCARD] = "discard",
		[AG_RA_REJECT] = "reject",
	};

	if ((unsigned)a > AG_RA_REJECT)
		return "accept";
	return names[a];
}

void
ag_rules_score_text(int score, char *buf, size_t size)
{
	int a = score < 0 ? -score : score;

	if (a % 100 == 0)
		snprintf(buf, size, "%s%d", score < 0 ? "-" : "", a / 100);
	else if (a % 10 == 0)
		snprintf(buf, size, "%s%d.%d", score < 0 ? "-" : "", a / 100,
			 (a % 100) / 10);
	else
		snprintf(buf, size, "%s%d.%02d", score < 0 ? "-" : "", a / 100,
			 a % 100);
}
