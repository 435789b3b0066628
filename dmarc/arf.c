/*
 * dmarc/arf.c - the fields of an ARF failure report (RFC 5965, RFC 6591)
 */
#include "dmarc/arf.h"

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct store {
	char *p;
	size_t used, cap;
};

/* keep - a value (trimmed, cut at AG_ARF_FIELD_MAX) into the store */
static const char *
keep(struct store *s, const char *v, size_t n, bool lower)
{
	char *out;

	while (n > 0 && isspace((unsigned char)*v)) {
		v++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	if (n > AG_ARF_FIELD_MAX)
		n = AG_ARF_FIELD_MAX;
	if (s->used + n + 1 > s->cap)
		return "";
	out = s->p + s->used;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		/* control characters (folding leftovers, NULs) become
		 * spaces: these values reach terminals and HTML */
		if (c < 0x20 || c == 0x7f)
			c = ' ';
		out[i] = (char)(lower ? tolower(c) : c);
	}
	out[n] = '\0';
	s->used += n + 1;
	return out;
}

typedef void (*field_fn)(void *arg, struct store *s, const char *name,
			 size_t nlen, const char *val, size_t vlen);

/* fields - every "Name: value" of a header block, unfolded (CRLF or LF;
 * stops at the first blank line) */
static void
fields(const char *d, size_t len, struct store *s, field_fn fn, void *arg)
{
	const char *p = d, *end = d + len;
	char *buf = malloc(AG_ARF_FIELD_MAX * 2);
	size_t bl = 0;

	if (buf == NULL)
		return;
	while (p <= end) {
		const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p))
					 : NULL;
		const char *le = nl != NULL ? nl : end;
		const char *next = nl != NULL ? nl + 1 : end + 1;
		bool cont;

		if (le > p && le[-1] == '\r')
			le--;
		cont = p < end && le > p && (*p == ' ' || *p == '\t');
		if (!cont && bl > 0) {
			const char *colon = memchr(buf, ':', bl);

			if (colon != NULL)
				fn(arg, s, buf, (size_t)(colon - buf),
				   colon + 1, bl - (size_t)(colon - buf) - 1);
			bl = 0;
		}
		if (p >= end || le == p)
			break;
		{
			size_t n = (size_t)(le - p);

			if (bl + n + 1 < AG_ARF_FIELD_MAX * 2) {
				if (cont)
					buf[bl++] = ' ';
				memcpy(buf + bl, p, n);
				bl += n;
			}
		}
		p = next;
	}
	free(buf);
}

static bool
named(const char *name, size_t nlen, const char *want)
{
	return strlen(want) == nlen && strncasecmp(name, want, nlen) == 0;
}

static void
feedback_field(void *arg, struct store *s, const char *n, size_t nl,
	       const char *v, size_t vl)
{
	struct ag_arf *a = arg;
	static const struct {
		const char *name;
		size_t off;
		bool lower;
	} map[] = {
#define F(name, field, lower) { name, offsetof(struct ag_arf, field), lower }
		F("Feedback-Type", feedback_type, true),
		F("User-Agent", user_agent, false),
		F("Version", version, false),
		F("Arrival-Date", arrival_date, false),
		F("Source-IP", source_ip, false),
		F("Original-Mail-From", original_mail_from, false),
		F("Original-Rcpt-To", original_rcpt_to, false),
		F("Original-Envelope-Id", original_envelope_id, false),
		F("Reporting-MTA", reporting_mta, false),
		F("Auth-Failure", auth_failure, true),
		F("Delivery-Result", delivery_result, true),
		F("Identity-Alignment", identity_alignment, true),
		F("DKIM-Domain", dkim_domain, false),
		F("DKIM-Identity", dkim_identity, false),
		F("DKIM-Selector", dkim_selector, false),
		F("Incidents", incidents, false),
#undef F
	};

	/* Source-IP is an address; a trailing "(host name)" comment is
	 * not part of it */
	if (named(n, nl, "Source-IP")) {
		size_t k = 0;

		while (k < vl && (v[k] == ' ' || v[k] == '\t'))
			k++;
		v += k;
		vl -= k;
		for (k = 0; k < vl && v[k] != ' ' && v[k] != '\t' && v[k] != '(';
		     k++)
			;
		vl = k;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		const char **dst = (const char **)((char *)a + map[i].off);

		/* the first occurrence counts */
		if (named(n, nl, map[i].name) && (*dst)[0] == '\0') {
			*dst = keep(s, v, vl, map[i].lower);
			return;
		}
	}
	if (named(n, nl, "Reported-Domain") &&
	    a->nreported_domain < AG_ARF_MAX_MULTI)
		a->reported_domain[a->nreported_domain++] =
			keep(s, v, vl, true);
	else if (named(n, nl, "Authentication-Results") &&
		 a->nauth_results < AG_ARF_MAX_MULTI)
		a->authentication_results[a->nauth_results++] =
			keep(s, v, vl, false);
}

static void
original_field(void *arg, struct store *s, const char *n, size_t nl,
	       const char *v, size_t vl)
{
	struct ag_arf *a = arg;

	if (named(n, nl, "From") && a->msg_from[0] == '\0')
		a->msg_from = keep(s, v, vl, false);
	else if (named(n, nl, "To") && a->msg_to[0] == '\0')
		a->msg_to = keep(s, v, vl, false);
	else if (named(n, nl, "Subject") && a->msg_subject[0] == '\0')
		a->msg_subject = keep(s, v, vl, false);
	else if (named(n, nl, "Date") && a->msg_date[0] == '\0')
		a->msg_date = keep(s, v, vl, false);
	else if (named(n, nl, "Message-ID") && a->msg_id[0] == '\0')
		a->msg_id = keep(s, v, vl, false);
}

int
ag_arf_parse(const char *feedback, size_t flen, const char *original,
	     size_t olen, struct ag_arf **arf_r, struct ag_err *err)
{
	struct ag_arf *a;
	struct store s = { NULL, 0, 0 };

	*arf_r = NULL;
	if (flen > AG_ARF_MAX)
		flen = AG_ARF_MAX;
	if (original == NULL)
		olen = 0;
	if (olen > AG_ARF_MAX)
		olen = AG_ARF_MAX;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return ag_err_set(err, AG_ENOMEM, "out of memory");
	s.cap = flen + olen + 64;
	if ((s.p = malloc(s.cap)) == NULL) {
		free(a);
		return ag_err_set(err, AG_ENOMEM, "out of memory");
	}
	a->internal_ = s.p;
	a->feedback_type = a->user_agent = a->version = a->arrival_date = "";
	a->source_ip = a->original_mail_from = a->original_rcpt_to = "";
	a->original_envelope_id = a->reporting_mta = a->auth_failure = "";
	a->delivery_result = a->identity_alignment = a->dkim_domain = "";
	a->dkim_identity = a->dkim_selector = a->incidents = "";
	a->msg_from = a->msg_to = a->msg_subject = a->msg_date = "";
	a->msg_id = "";
	fields(feedback, flen, &s, feedback_field, a);
	if (olen > 0)
		fields(original, olen, &s, original_field, a);
	if (a->feedback_type[0] == '\0') {
		ag_arf_free(a);
		return ag_err_set(err, AG_EINVAL, "failure report refused: no "
				  "Feedback-Type field (RFC 5965 3.1)");
	}
	*arf_r = a;
	return AG_OK;
}

void
ag_arf_free(struct ag_arf *arf)
{
	if (arf == NULL)
		return;
	free(arf->internal_);
	free(arf);
}
