/*
 * dmarc/feedback_write.c - an aggregate report as XML (libxml2's
 * xmlTextWriter, which escapes every value)
 *
 * Element order follows the schemas: RFC 7489 appendix C (namespace
 * http://dmarc.org/dmarc-xml/0.1) and RFC 9990 (dmarc-2.0). Where one
 * schema allows fewer values than the history may hold, values are mapped
 * rather than dropped, so the report always validates.
 */
#include "dmarc/feedback.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#define NS_7489 "http://dmarc.org/dmarc-xml/0.1"
#define NS_BIS "urn:ietf:params:xml:ns:dmarc-2.0"

struct w {
	xmlTextWriterPtr x;
	enum ag_fb_format fmt;
	int bad;
};

static void
el(struct w *w, const char *name, const char *value)
{
	if (xmlTextWriterWriteElement(w->x, BAD_CAST name, BAD_CAST value) < 0)
		w->bad = 1;
}

static void
el_opt(struct w *w, const char *name, const char *value)
{
	if (value != NULL && value[0] != '\0')
		el(w, name, value);
}

static void
el_num(struct w *w, const char *name, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	el(w, name, buf);
}

static void
open_el(struct w *w, const char *name)
{
	if (xmlTextWriterStartElement(w->x, BAD_CAST name) < 0)
		w->bad = 1;
}

static void
close_el(struct w *w)
{
	if (xmlTextWriterEndElement(w->x) < 0)
		w->bad = 1;
}

/* one_of - v when it is in the NULL-terminated list, else dflt */
static const char *
one_of(const char *v, const char *const *list, const char *dflt)
{
	for (; *list != NULL; list++)
		if (strcmp(v, *list) == 0)
			return v;
	return dflt;
}

static const char *const dispositions[] = { "none", "quarantine", "reject",
					    NULL };
static const char *const pass_fail[] = { "pass", "fail", NULL };
static const char *const dkim_results[] = { "none", "pass", "fail", "policy",
					    "neutral", "temperror",
					    "permerror", NULL };
static const char *const spf_7489[] = { "none", "neutral", "pass", "fail",
					"softfail", "temperror", "permerror",
					NULL };
static const char *const spf_bis[] = { "none", "neutral", "pass", "fail",
				       "softfail", "policy", "temperror",
				       "permerror", NULL };
static const char *const reasons_7489[] = { "forwarded", "sampled_out",
					    "trusted_forwarder",
					    "mailing_list", "local_policy",
					    "other", NULL };
static const char *const reasons_bis[] = { "local_policy", "mailing_list",
					   "other", "policy_test_mode",
					   "trusted_forwarder", NULL };

/* full_ip - RFC 7489's IPAddress pattern takes only the full 8-group
 * IPv6 form; IPv4 and anything unparsable pass through */
static const char *
full_ip(const char *ip, char buf[64])
{
	struct in6_addr a;

	if (strchr(ip, ':') == NULL || inet_pton(AF_INET6, ip, &a) != 1)
		return ip;
	snprintf(buf, 64, "%x:%x:%x:%x:%x:%x:%x:%x",
		 a.s6_addr[0] << 8 | a.s6_addr[1],
		 a.s6_addr[2] << 8 | a.s6_addr[3],
		 a.s6_addr[4] << 8 | a.s6_addr[5],
		 a.s6_addr[6] << 8 | a.s6_addr[7],
		 a.s6_addr[8] << 8 | a.s6_addr[9],
		 a.s6_addr[10] << 8 | a.s6_addr[11],
		 a.s6_addr[12] << 8 | a.s6_addr[13],
		 a.s6_addr[14] << 8 | a.s6_addr[15]);
	return buf;
}

static void
metadata(struct w *w, const struct ag_feedback *fb)
{
	open_el(w, "report_metadata");
	el(w, "org_name", fb->org_name);
	el(w, "email", fb->email);
	el_opt(w, "extra_contact_info", fb->extra_contact_info);
	el(w, "report_id", fb->report_id);
	open_el(w, "date_range");
	el_num(w, "begin", fb->begin);
	el_num(w, "end", fb->end);
	close_el(w);
	for (unsigned i = 0; i < fb->nerror; i++)
		el(w, "error", fb->error[i]);
	if (w->fmt == AG_FB_DMARCBIS)
		el_opt(w, "generator", fb->generator);
	close_el(w);
}

static void
policy(struct w *w, const struct ag_feedback *fb)
{
	const char *p = one_of(fb->p, dispositions, "none");
	const char *sp = one_of(fb->sp, dispositions, p);

	open_el(w, "policy_published");
	el(w, "domain", fb->domain);
	if (w->fmt == AG_FB_RFC7489) {
		el_opt(w, "adkim", fb->adkim);
		el_opt(w, "aspf", fb->aspf);
		el(w, "p", p);
		el(w, "sp", sp);
		el_num(w, "pct", fb->pct >= 0 ? fb->pct : 100);
		el(w, "fo", fb->fo[0] != '\0' ? fb->fo : "0");
	} else {
		el(w, "p", p);
		el(w, "sp", sp);
		if (fb->np[0] != '\0')
			el(w, "np", one_of(fb->np, dispositions, sp));
		el_opt(w, "adkim", fb->adkim);
		el_opt(w, "aspf", fb->aspf);
		el_opt(w, "discovery_method", fb->discovery_method);
		el_opt(w, "fo", fb->fo);
		el_opt(w, "testing", fb->testing);
	}
	close_el(w);
}

static void
reason(struct w *w, const struct ag_fb_reason *r)
{
	const char *const *allowed = w->fmt == AG_FB_RFC7489 ? reasons_7489
							      : reasons_bis;
	const char *type = one_of(r->type, allowed, "other");
	char comment[AG_FB_TEXT_MAX + 64];

	/* a reason the schema lacks keeps its word in the comment */
	if (type != r->type)
		snprintf(comment, sizeof(comment), "%s%s%s", r->type,
			 r->comment[0] != '\0' ? ": " : "", r->comment);
	else
		snprintf(comment, sizeof(comment), "%s", r->comment);
	open_el(w, "reason");
	el(w, "type", type);
	el_opt(w, "comment", comment);
	close_el(w);
}

static void
auth_results(struct w *w, const struct ag_fb_record *r)
{
	bool wrote_spf = false;

	open_el(w, "auth_results");
	for (unsigned i = 0; i < r->ndkim; i++) {
		const struct ag_fb_auth *a = &r->dkim_res[i];

		open_el(w, "dkim");
		el(w, "domain", a->domain);
		/* RFC 9990 requires the selector, even when unknown */
		if (w->fmt == AG_FB_DMARCBIS)
			el(w, "selector", a->selector);
		else
			el_opt(w, "selector", a->selector);
		el(w, "result", one_of(a->result, dkim_results, "permerror"));
		el_opt(w, "human_result", a->human_result);
		close_el(w);
	}
	for (unsigned i = 0; i < r->nspf; i++) {
		const struct ag_fb_auth *a = &r->spf_res[i];
		const char *scope = strcmp(a->scope, "helo") == 0 ? "helo"
								  : "mfrom";

		/* RFC 9990 reports the MAIL FROM identity only, once */
		if (w->fmt == AG_FB_DMARCBIS &&
		    (strcmp(scope, "helo") == 0 || wrote_spf))
			continue;
		open_el(w, "spf");
		el(w, "domain", a->domain);
		el(w, "scope", scope);
		el(w, "result", one_of(a->result,
				       w->fmt == AG_FB_RFC7489 ? spf_7489
							       : spf_bis,
				       "permerror"));
		if (w->fmt == AG_FB_DMARCBIS)
			el_opt(w, "human_result", a->human_result);
		close_el(w);
		wrote_spf = true;
	}
	if (!wrote_spf && w->fmt == AG_FB_RFC7489) {
		/* RFC 7489 wants one SPF result: none for the envelope
		 * domain we had (or the From domain without one) */
		open_el(w, "spf");
		el(w, "domain", r->envelope_from[0] != '\0' ? r->envelope_from
							    : r->header_from);
		el(w, "scope", "mfrom");
		el(w, "result", "none");
		close_el(w);
	}
	close_el(w);
}

static void
record(struct w *w, const struct ag_fb_record *r)
{
	char ipbuf[64];

	open_el(w, "record");
	open_el(w, "row");
	el(w, "source_ip", w->fmt == AG_FB_RFC7489
				   ? full_ip(r->source_ip, ipbuf)
				   : r->source_ip);
	el_num(w, "count", (int64_t)r->count);
	open_el(w, "policy_evaluated");
	if (w->fmt == AG_FB_DMARCBIS && strcmp(r->disposition, "pass") == 0)
		el(w, "disposition", "pass");
	else
		el(w, "disposition", one_of(r->disposition, dispositions,
					    "none"));
	el(w, "dkim", one_of(r->dkim, pass_fail, "fail"));
	el(w, "spf", one_of(r->spf, pass_fail, "fail"));
	for (unsigned i = 0; i < r->nreason; i++)
		reason(w, &r->reason[i]);
	close_el(w);
	close_el(w);
	open_el(w, "identifiers");
	if (w->fmt == AG_FB_RFC7489) {
		el_opt(w, "envelope_to", r->envelope_to);
		el(w, "envelope_from", r->envelope_from);
		el(w, "header_from", r->header_from);
	} else {
		el(w, "header_from", r->header_from);
		el_opt(w, "envelope_from", r->envelope_from);
		el_opt(w, "envelope_to", r->envelope_to);
	}
	close_el(w);
	auth_results(w, r);
	close_el(w);
}

int
ag_feedback_write(const struct ag_feedback *fb, enum ag_fb_format fmt,
		  char **xml_r, size_t *len_r, struct ag_err *err)
{
	struct w w = { .fmt = fmt };
	xmlBufferPtr buf = NULL;
	int rc = AG_OK;

	*xml_r = NULL;
	*len_r = 0;
	if (fb->nrec == 0 || fb->domain[0] == '\0')
		return ag_err_set(err, AG_EINVAL, "a report needs a domain and "
				  "at least one record");
	if ((buf = xmlBufferCreate()) == NULL ||
	    (w.x = xmlNewTextWriterMemory(buf, 0)) == NULL) {
		rc = ag_err_set(err, AG_ENOMEM, "out of memory");
		goto done;
	}
	xmlTextWriterSetIndent(w.x, 1);
	xmlTextWriterSetIndentString(w.x, BAD_CAST "  ");
	if (xmlTextWriterStartDocument(w.x, "1.0", "UTF-8", NULL) < 0)
		w.bad = 1;
	/* RFC 7489's schema leaves elementFormDefault unqualified: only
	 * the root is in its namespace, so it takes a prefix and the
	 * children none. RFC 9990 qualifies every element: a default
	 * namespace. */
	if (fmt == AG_FB_RFC7489) {
		if (xmlTextWriterStartElementNS(w.x, BAD_CAST "dmarc",
						BAD_CAST "feedback",
						BAD_CAST NS_7489) < 0)
			w.bad = 1;
	} else {
		open_el(&w, "feedback");
		if (xmlTextWriterWriteAttribute(w.x, BAD_CAST "xmlns",
						BAD_CAST NS_BIS) < 0)
			w.bad = 1;
	}
	el(&w, "version", "1.0");
	metadata(&w, fb);
	policy(&w, fb);
	for (size_t i = 0; i < fb->nrec && !w.bad; i++)
		record(&w, &fb->rec[i]);
	close_el(&w);
	if (xmlTextWriterEndDocument(w.x) < 0)
		w.bad = 1;
	xmlFreeTextWriter(w.x);
	w.x = NULL;
	if (w.bad) {
		rc = ag_err_set(err, AG_EINTERNAL, "writing the report XML "
				"failed (invalid UTF-8 in a value?)");
		goto done;
	}
	if ((*xml_r = malloc((size_t)xmlBufferLength(buf) + 1)) == NULL) {
		rc = ag_err_set(err, AG_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(*xml_r, xmlBufferContent(buf), (size_t)xmlBufferLength(buf));
	(*xml_r)[xmlBufferLength(buf)] = '\0';
	*len_r = (size_t)xmlBufferLength(buf);
done:
	if (w.x != NULL)
		xmlFreeTextWriter(w.x);
	if (buf != NULL)
		xmlBufferFree(buf);
	return rc;
}
