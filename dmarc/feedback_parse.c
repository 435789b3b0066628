/*
 * dmarc/feedback_parse.c - an aggregate report out of XML (libxml2)
 *
 * Reports come from anyone who can send us mail, so the document is
 * parsed with the network off and without a DTD: a DOCTYPE is refused
 * before libxml2 sees it, which rules out entity expansion bombs and
 * external entities whatever the library version. libxml2's own depth
 * limit (256) stops deep nesting. Elements are matched by local name
 * so reports with and without a namespace read the same.
 */
#include "dmarc/feedback.h"

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define BIS_NS "urn:ietf:params:xml:ns:dmarc-2.0"

struct parse {
	struct ag_feedback *fb;
	struct ag_err *err;
	size_t recno;		/* 1-based record being read, for messages */
};

static bool
is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	       strcmp((const char *)n->name, name) == 0;
}

/* where - " in <record> N" when inside a record */
static const char *
where(const struct parse *p, char *buf, size_t size)
{
	if (p->recno == 0)
		return "";
	snprintf(buf, size, " in <record> %zu", p->recno);
	return buf;
}

/* text - the element's trimmed text into the arena; *out unchanged and
 * an error when too long; lower: lower-case it (result words) */
static int
text(struct parse *p, const xmlNode *n, const char **out, bool lower)
{
	xmlChar *c = xmlNodeGetContent(n);
	const char *s = c != NULL ? (const char *)c : "";
	size_t len;
	char wb[64];
	char *t;
	int rc = AG_OK;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	len = strlen(s);
	while (len > 0 && strchr(" \t\r\n", s[len - 1]) != NULL)
		len--;
	if (len > AG_FB_TEXT_MAX) {
		rc = ag_err_set(p->err, AG_EINVAL, "report refused: <%s>%s "
				"is longer than %d bytes", n->name,
				where(p, wb, sizeof(wb)), AG_FB_TEXT_MAX);
		goto done;
	}
	if ((t = (char *)ag_feedback_str(p->fb, s, len)) == NULL) {
		rc = ag_err_set(p->err, AG_ENOMEM, "out of memory");
		goto done;
	}
	if (lower && len > 0)
		for (char *q = t; *q != '\0'; q++)
			*q = (char)tolower((unsigned char)*q);
	*out = t;
done:
	xmlFree(c);
	return rc;
}

/* number - a non-negative integer; "1337270400.0" (seen from real
 * reporters) is read as its integer part */
static int
number(struct parse *p, const xmlNode *n, uint64_t *v)
{
	const char *t = "";
	char wb[64];
	const char *s;
	uint64_t x = 0;
	int rc;

	if ((rc = text(p, n, &t, false)) != AG_OK)
		return rc;
	for (s = t; *s >= '0' && *s <= '9'; s++) {
		if (x > (UINT64_MAX - 9) / 10)
			break;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	if (s == t || (*s != '\0' && !(*s == '.' &&
				       strspn(s + 1, "0123456789") ==
					       strlen(s + 1))))
		return ag_err_set(p->err, AG_EINVAL, "report refused: <%s>%s "
				  "is not a number: \"%.40s\"", n->name,
				  where(p, wb, sizeof(wb)), t);
	*v = x;
	return AG_OK;
}

static int
date_range(struct parse *p, const xmlNode *dr, bool *have_b, bool *have_e)
{
	uint64_t v;
	int rc;

	for (const xmlNode *n = dr->children; n != NULL; n = n->next) {
		if (is(n, "begin") || is(n, "end")) {
			if ((rc = number(p, n, &v)) != AG_OK)
				return rc;
			if (v > INT64_MAX)
				v = INT64_MAX;
			if (is(n, "begin")) {
				p->fb->begin = (int64_t)v;
				*have_b = true;
			} else {
				p->fb->end = (int64_t)v;
				*have_e = true;
			}
		}
	}
	return AG_OK;
}

static int
metadata(struct parse *p, const xmlNode *md, bool *have_b, bool *have_e)
{
	struct ag_feedback *fb = p->fb;
	int rc = AG_OK;

	for (const xmlNode *n = md->children; n != NULL && rc == AG_OK;
	     n = n->next) {
		if (is(n, "org_name"))
			rc = text(p, n, &fb->org_name, false);
		else if (is(n, "email"))
			rc = text(p, n, &fb->email, false);
		else if (is(n, "extra_contact_info"))
			rc = text(p, n, &fb->extra_contact_info, false);
		else if (is(n, "report_id"))
			rc = text(p, n, &fb->report_id, false);
		else if (is(n, "generator"))
			rc = text(p, n, &fb->generator, false);
		else if (is(n, "date_range"))
			rc = date_range(p, n, have_b, have_e);
		else if (is(n, "error")) {
			if (fb->nerror >= AG_FB_MAX_ERRORS)
				return ag_err_set(p->err, AG_ELIMIT, "report "
						  "refused: more than %d "
						  "<error> elements",
						  AG_FB_MAX_ERRORS);
			if (fb->error == NULL &&
			    (fb->error = ag_feedback_alloc(
				     fb, AG_FB_MAX_ERRORS *
						 sizeof(*fb->error))) == NULL)
				return ag_err_set(p->err, AG_ENOMEM,
						  "out of memory");
			rc = text(p, n, &fb->error[fb->nerror], false);
			if (rc == AG_OK)
				fb->nerror++;
		}
	}
	return rc;
}

static int
policy(struct parse *p, const xmlNode *pp)
{
	struct ag_feedback *fb = p->fb;
	uint64_t v;
	int rc = AG_OK;

	for (const xmlNode *n = pp->children; n != NULL && rc == AG_OK;
	     n = n->next) {
		if (is(n, "domain"))
			rc = text(p, n, &fb->domain, true);
		else if (is(n, "adkim"))
			rc = text(p, n, &fb->adkim, true);
		else if (is(n, "aspf"))
			rc = text(p, n, &fb->aspf, true);
		else if (is(n, "p"))
			rc = text(p, n, &fb->p, true);
		else if (is(n, "sp"))
			rc = text(p, n, &fb->sp, true);
		else if (is(n, "np"))
			rc = text(p, n, &fb->np, true);
		else if (is(n, "fo"))
			rc = text(p, n, &fb->fo, false);
		else if (is(n, "testing"))
			rc = text(p, n, &fb->testing, true);
		else if (is(n, "discovery_method"))
			rc = text(p, n, &fb->discovery_method, true);
		else if (is(n, "pct")) {
			rc = number(p, n, &v);
			if (rc == AG_OK)
				fb->pct = v > 100 ? 100 : (int)v;
		}
	}
	return rc;
}

static int
reason(struct parse *p, struct ag_fb_record *r, const xmlNode *rn)
{
	struct ag_fb_reason *re;
	char wb[64];
	int rc = AG_OK;

	if (r->nreason >= AG_FB_MAX_REASONS)
		return ag_err_set(p->err, AG_ELIMIT, "report refused: more "
				  "than %d <reason>s%s", AG_FB_MAX_REASONS,
				  where(p, wb, sizeof(wb)));
	if (r->reason == NULL &&
	    (r->reason = ag_feedback_alloc(p->fb, AG_FB_MAX_REASONS *
							  sizeof(*r->reason))) ==
		    NULL)
		return ag_err_set(p->err, AG_ENOMEM, "out of memory");
	re = &r->reason[r->nreason];
	re->type = re->comment = "";
	for (const xmlNode *n = rn->children; n != NULL && rc == AG_OK;
	     n = n->next) {
		if (is(n, "type"))
			rc = text(p, n, &re->type, true);
		else if (is(n, "comment"))
			rc = text(p, n, &re->comment, false);
	}
	/* an empty <reason> (seen in the wild) says nothing: skip it */
	if (rc == AG_OK && re->type[0] != '\0')
		r->nreason++;
	return rc;
}

static int
row(struct parse *p, struct ag_fb_record *r, const xmlNode *rw,
    bool *have_count)
{
	int rc = AG_OK;

	for (const xmlNode *n = rw->children; n != NULL && rc == AG_OK;
	     n = n->next) {
		if (is(n, "source_ip"))
			rc = text(p, n, &r->source_ip, false);
		else if (is(n, "count")) {
			rc = number(p, n, &r->count);
			*have_count = true;
		} else if (is(n, "policy_evaluated")) {
			for (const xmlNode *e = n->children;
			     e != NULL && rc == AG_OK; e = e->next) {
				if (is(e, "disposition"))
					rc = text(p, e, &r->disposition, true);
				else if (is(e, "dkim"))
					rc = text(p, e, &r->dkim, true);
				else if (is(e, "spf"))
					rc = text(p, e, &r->spf, true);
				else if (is(e, "reason"))
					rc = reason(p, r, e);
			}
		}
	}
	return rc;
}

/* auth - one <dkim> or <spf> of <auth_results> */
static int
auth(struct parse *p, struct ag_fb_auth **arr, unsigned *cnt,
     const xmlNode *an)
{
	struct ag_fb_auth *a;
	char wb[64];
	int rc = AG_OK;

	if (*cnt >= AG_FB_MAX_AUTH)
		return ag_err_set(p->err, AG_ELIMIT, "report refused: more "
				  "than %d <%s> results%s", AG_FB_MAX_AUTH,
				  an->name, where(p, wb, sizeof(wb)));
	if (*arr == NULL &&
	    (*arr = ag_feedback_alloc(p->fb, AG_FB_MAX_AUTH * sizeof(**arr))) ==
		    NULL)
		return ag_err_set(p->err, AG_ENOMEM, "out of memory");
	a = &(*arr)[*cnt];
	a->domain = a->selector = a->scope = a->result = a->human_result = "";
	for (const xmlNode *n = an->children; n != NULL && rc == AG_OK;
	     n = n->next) {
		if (is(n, "domain"))
			rc = text(p, n, &a->domain, true);
		else if (is(n, "selector"))
			rc = text(p, n, &a->selector, false);
		else if (is(n, "scope"))
			rc = text(p, n, &a->scope, true);
		else if (is(n, "result"))
			rc = text(p, n, &a->result, true);
		else if (is(n, "human_result"))
			rc = text(p, n, &a->human_result, false);
	}
	if (rc == AG_OK)
		(*cnt)++;
	return rc;
}

static int
record(struct parse *p, const xmlNode *rn)
{
	struct ag_fb_record *r;
	bool have_count = false;
	char wb[64];
	int rc = AG_OK;

	if ((r = ag_feedback_add_record(p->fb)) == NULL)
		return p->fb->nrec >= AG_FB_MAX_RECORDS
			       ? ag_err_set(p->err, AG_ELIMIT, "report "
					    "refused: more than %d records",
					    AG_FB_MAX_RECORDS)
			       : ag_err_set(p->err, AG_ENOMEM,
					    "out of memory");
	p->recno = p->fb->nrec;
	for (const xmlNode *n = rn->children; n != NULL && rc == AG_OK;
	     n = n->next) {
		if (is(n, "row")) {
			rc = row(p, r, n, &have_count);
		} else if (is(n, "identifiers")) {
			for (const xmlNode *i = n->children;
			     i != NULL && rc == AG_OK; i = i->next) {
				if (is(i, "envelope_to"))
					rc = text(p, i, &r->envelope_to, true);
				else if (is(i, "envelope_from"))
					rc = text(p, i, &r->envelope_from,
						  true);
				else if (is(i, "header_from"))
					rc = text(p, i, &r->header_from, true);
			}
		} else if (is(n, "auth_results")) {
			for (const xmlNode *a = n->children;
			     a != NULL && rc == AG_OK; a = a->next) {
				if (is(a, "dkim"))
					rc = auth(p, &r->dkim_res, &r->ndkim,
						  a);
				else if (is(a, "spf"))
					rc = auth(p, &r->spf_res, &r->nspf, a);
			}
		}
	}
	if (rc != AG_OK)
		return rc;
	if (r->source_ip[0] == '\0')
		return ag_err_set(p->err, AG_EINVAL, "report refused: no "
				  "<source_ip>%s", where(p, wb, sizeof(wb)));
	if (!have_count)
		return ag_err_set(p->err, AG_EINVAL, "report refused: no "
				  "<count>%s", where(p, wb, sizeof(wb)));
	if (r->disposition[0] == '\0')
		return ag_err_set(p->err, AG_EINVAL, "report refused: empty "
				  "or missing <disposition>%s",
				  where(p, wb, sizeof(wb)));
	if (p->fb->total_count > UINT64_MAX - r->count)
		return ag_err_set(p->err, AG_EINVAL, "report refused: counts "
				  "overflow");
	p->fb->total_count += r->count;
	return AG_OK;
}

/* refuse_dtd - any DOCTYPE or entity declaration ends it here */
static bool
has_dtd(const char *xml, size_t len)
{
	return memmem(xml, len, "<!DOCTYPE", 9) != NULL ||
	       memmem(xml, len, "<!ENTITY", 8) != NULL;
}

/* on_dtd - a DOCTYPE the byte search could not see (UTF-16, other
 * encodings): stop before any declaration is read */
static void
on_dtd(void *ctx, const xmlChar *name, const xmlChar *ext_id,
       const xmlChar *sys_id)
{
	xmlParserCtxtPtr c = ctx;

	(void)name;
	(void)ext_id;
	(void)sys_id;
	*(bool *)c->_private = true;
	xmlStopParser(c);
}

static void
init_once(void)
{
	xmlInitParser();
}

/* walk - the document's elements into the report */
static int
walk(struct parse *p, const xmlNode *root)
{
	struct ag_feedback *fb = p->fb;
	bool have_b = false, have_e = false, have_pp = false;
	int rc = AG_OK;

	if (root == NULL || !is(root, "feedback"))
		return ag_err_set(p->err, AG_EINVAL, "report refused: the root "
				  "element is <%s>, not <feedback>",
				  root != NULL ? (const char *)root->name : "");
	fb->bis = root->ns != NULL && root->ns->href != NULL &&
		  strcmp((const char *)root->ns->href, BIS_NS) == 0;
	for (const xmlNode *n = root->children; n != NULL && rc == AG_OK;
	     n = n->next) {
		if (is(n, "version"))
			rc = text(p, n, &fb->version, false);
		else if (is(n, "report_metadata"))
			rc = metadata(p, n, &have_b, &have_e);
		else if (is(n, "policy_published")) {
			rc = policy(p, n);
			have_pp = true;
		} else if (is(n, "record"))
			rc = record(p, n);
	}
	if (rc != AG_OK)
		return rc;
	p->recno = 0;
	if (fb->org_name[0] == '\0') {
		/* some reporters leave it empty; the domain of their
		 * <email> names the same organisation */
		const char *at = strrchr(fb->email, '@');

		if (at == NULL || at[1] == '\0')
			return ag_err_set(p->err, AG_EINVAL, "report refused: "
					  "empty <org_name> and no <email> "
					  "to name the reporter");
		fb->org_name = at + 1;
	}
	if (fb->report_id[0] == '\0')
		return ag_err_set(p->err, AG_EINVAL, "report refused: empty "
				  "or missing <report_id>");
	if (!have_b || !have_e)
		return ag_err_set(p->err, AG_EINVAL, "report refused: "
				  "<date_range> without <begin> and <end>");
	if (!have_pp || fb->domain[0] == '\0')
		return ag_err_set(p->err, AG_EINVAL, "report refused: no "
				  "<policy_published> <domain>");
	if (fb->nrec == 0)
		return ag_err_set(p->err, AG_EINVAL, "report refused: no "
				  "<record>");
	return AG_OK;
}

int
ag_feedback_parse(const char *xml, size_t len, struct ag_feedback **fb_r,
		  struct ag_err *err)
{
	struct parse p = { .err = err };
	xmlParserCtxtPtr ctx = NULL;
	xmlDocPtr doc = NULL;
	bool saw_dtd = false;
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int rc;

	*fb_r = NULL;
	if (len > AG_FB_XML_MAX)
		return ag_err_set(err, AG_ELIMIT, "report refused: larger than "
				  "%u bytes", AG_FB_XML_MAX);
	if (len == 0)
		return ag_err_set(err, AG_EINVAL, "report refused: empty");
	if (has_dtd(xml, len))
		return ag_err_set(err, AG_EINVAL, "report refused: DOCTYPE or "
				  "entity declarations are not allowed (XML "
				  "bomb and external entity protection)");
	/* libxml2 2.9 wants one initialisation before threads parse */
	pthread_once(&once, init_once);
	if ((ctx = xmlNewParserCtxt()) == NULL ||
	    (p.fb = ag_feedback_new()) == NULL) {
		rc = ag_err_set(err, AG_ENOMEM, "out of memory");
		goto done;
	}
	ctx->_private = &saw_dtd;
	ctx->sax->internalSubset = on_dtd;
	doc = xmlCtxtReadMemory(ctx, xml, (int)len, "report.xml", NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR |
					XML_PARSE_NOWARNING |
					XML_PARSE_NOCDATA);
	if (saw_dtd) {
		rc = ag_err_set(err, AG_EINVAL, "report refused: DOCTYPE or "
				"entity declarations are not allowed (XML "
				"bomb and external entity protection)");
		goto done;
	}
	if (doc == NULL || !ctx->wellFormed) {
		const xmlError *e = xmlCtxtGetLastError(ctx);
		char msg[256] = "unknown error";
		size_t n;

		if (e != NULL && e->message != NULL)
			snprintf(msg, sizeof(msg), "%s", e->message);
		/* libxml2's messages carry newlines (and may quote input
		 * bytes): one line, printable, for logs and terminals */
		for (char *q = msg; *q != '\0'; q++)
			if ((unsigned char)*q < 0x20 || *q == 0x7f)
				*q = ' ';
		n = strlen(msg);
		while (n > 0 && msg[n - 1] == ' ')
			msg[--n] = '\0';
		rc = ag_err_set(err, AG_EINVAL, "report refused: not "
				"well-formed XML at line %d: %s",
				e != NULL ? e->line : 0, msg);
		goto done;
	}
	if ((rc = walk(&p, xmlDocGetRootElement(doc))) != AG_OK)
		goto done;
	*fb_r = p.fb;
	p.fb = NULL;
done:
	ag_feedback_free(p.fb);
	if (doc != NULL)
		xmlFreeDoc(doc);
	if (ctx != NULL)
		xmlFreeParserCtxt(ctx);
	return rc;
}
