/*
 * arc/chain.c - find the ARC sets among the header fields and check the
 * chain's structure (RFC 8617 4.1, 5.2 steps 1-4) at end of headers, so
 * the body hashes the chain's AMSs need can be computed as the body
 * streams by.
 *
 * Faults (each makes the chain fail): an ARC field whose instance is
 * missing or not 1..50; two fields of one kind for one instance; a gap
 * in 1..N or a set missing one of its three fields; an AS or AMS
 * tag-list that does not parse or lacks a required tag; an AS with h=;
 * an unknown algorithm; cv= other than none/pass/fail; i=1 with a cv=
 * other than none or i>1 with one other than pass (fail included).
 * An older AMS that is malformed is no structural fault: only the
 * newest AMS must validate; older ones decide header.oldest-pass.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arc/arc_int.h"

enum chain_kind { CHAIN_AS, CHAIN_AMS, CHAIN_AAR };

/* chain_fault - record the first structural fault */
static void chain_fault(struct ag_arc *a, const char *fmt, ...)
	AG_PRINTF(2, 3);
static void
chain_fault(struct ag_arc *a, const char *fmt, ...)
{
	va_list ap;

	if (a->fault[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(a->fault, sizeof(a->fault), fmt, ap);
	va_end(ap);
}

/* chain_aar_instance - the i= that must open an AAR value:
 * [WSP] "i" [WSP] "=" [WSP] 1*2DIGIT [WSP] ";" (RFC 8617 4.1.1) */
static bool
chain_aar_instance(const char *v, unsigned *i_r)
{
	char num[4];
	size_t n = 0;

	while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
		v++;
	if (*v++ != 'i')
		return false;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v++ != '=')
		return false;
	while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
		v++;
	while (*v >= '0' && *v <= '9' && n < sizeof(num) - 1)
		num[n++] = *v++;
	num[n] = '\0';
	while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
		v++;
	return *v == ';' && arc_instance(num, i_r);
}

/* chain_kind_of - which ARC field name, -1 for none */
static int
chain_kind_of(const char *name)
{
	if (strcasecmp(name, "ARC-Seal") == 0)
		return CHAIN_AS;
	if (strcasecmp(name, "ARC-Message-Signature") == 0)
		return CHAIN_AMS;
	if (strcasecmp(name, "ARC-Authentication-Results") == 0)
		return CHAIN_AAR;
	return -1;
}

/* chain_place - file field f as its kind's field of its instance */
static int
chain_place(struct ag_arc *a, unsigned f, int kind)
{
	static const char *const what[] = {"ARC-Seal", "AMS", "AAR"};
	struct arc_tags t;
	unsigned i = 0;
	bool ok;
	struct arc_set *s;
	int rc;

	if (kind == CHAIN_AAR) {
		ok = chain_aar_instance(a->f[f].value, &i);
	} else {
		rc = arc_tags_parse(a->f[f].value, &t);
		if (rc == AG_ENOMEM) {
			arc_tags_free(&t);
			return rc;
		}
		ok = rc == AG_OK && arc_tags_get(&t, "i") != NULL &&
		     arc_instance(arc_tags_get(&t, "i"), &i);
		arc_tags_free(&t);
	}
	if (!ok) {
		snprintf(a->fault, sizeof(a->fault),
			 "%s without a valid i=", what[kind]);
		return AG_OK;
	}
	s = &a->set[i - 1];
	if (i > a->nsets)
		a->nsets = i;
	if (kind == CHAIN_AS && s->n_as++ == 0)
		s->as_f = (int)f;
	else if (kind == CHAIN_AMS && s->n_ams++ == 0)
		s->ams_f = (int)f;
	else if (kind == CHAIN_AAR && s->n_aar++ == 0)
		s->aar_f = (int)f;
	else
		chain_fault(a, "duplicate ARC field for i=%u", i);
	return AG_OK;
}

/* chain_seal - parse and check set k's AS */
static int
chain_seal(struct ag_arc *a, unsigned k)
{
	struct arc_set *s = &a->set[k];
	const char *cv, *t;
	int rc = arc_tags_parse(a->f[s->as_f].value, &s->as);

	if (rc == AG_ENOMEM)
		return rc;
	if (rc != AG_OK) {
		chain_fault(a, "ARC-Seal i=%u malformed", k + 1);
		return AG_OK;
	}
	cv = arc_tags_get(&s->as, "cv");
	t = arc_tags_get(&s->as, "t");
	s->cv = cv == NULL ? AG_ARC_CV_BAD :
		strcasecmp(cv, "none") == 0 ? AG_ARC_CV_NONE :
		strcasecmp(cv, "pass") == 0 ? AG_ARC_CV_PASS :
		strcasecmp(cv, "fail") == 0 ? AG_ARC_CV_FAIL : AG_ARC_CV_BAD;
	if (arc_tags_get(&s->as, "a") == NULL ||
	    !arc_alg_parse(arc_tags_get(&s->as, "a"), &s->as_alg) ||
	    arc_tags_get(&s->as, "b") == NULL ||
	    arc_tags_get(&s->as, "d") == NULL ||
	    !arc_domain_ok(arc_tags_get(&s->as, "d")) ||
	    arc_tags_get(&s->as, "s") == NULL ||
	    !arc_domain_ok(arc_tags_get(&s->as, "s")) ||
	    (t != NULL && (t[0] == '\0' || strspn(t, "0123456789") !=
			   strlen(t) || strlen(t) > 12)) ||
	    arc_tags_get(&s->as, "h") != NULL || s->cv == AG_ARC_CV_BAD) {
		chain_fault(a, "ARC-Seal i=%u malformed", k + 1);
		return AG_OK;
	}
	s->as_ok = true;
	return AG_OK;
}

/* chain_ams - parse and check set k's AMS; a malformed one is a fault
 * only for the newest set */
static int
chain_ams(struct ag_arc *a, unsigned k)
{
	struct arc_set *s = &a->set[k];
	const char *c, *l, *t, *h;
	int rc = arc_tags_parse(a->f[s->ams_f].value, &s->ams);
	unsigned long long lv = 0;
	bool ok;

	if (rc == AG_ENOMEM)
		return rc;
	c = arc_tags_get(&s->ams, "c");
	l = arc_tags_get(&s->ams, "l");
	t = arc_tags_get(&s->ams, "t");
	h = arc_tags_get(&s->ams, "h");
	/* no c=: relaxed/relaxed, as dkimpy (the interop reference) and the
	 * ValiMail suite (ams_fields_c_na) read it; RFC 8617 never says and
	 * every ARC sealer we know states c= anyway */
	s->ams_hc = s->ams_bc = AG_CANON_RELAXED;
	ok = rc == AG_OK && arc_tags_get(&s->ams, "a") != NULL &&
	     arc_alg_parse(arc_tags_get(&s->ams, "a"), &s->ams_alg) &&
	     arc_tags_get(&s->ams, "b") != NULL &&
	     arc_tags_get(&s->ams, "bh") != NULL && h != NULL &&
	     arc_tags_get(&s->ams, "d") != NULL &&
	     arc_domain_ok(arc_tags_get(&s->ams, "d")) &&
	     arc_tags_get(&s->ams, "s") != NULL &&
	     arc_domain_ok(arc_tags_get(&s->ams, "s")) &&
	     (c == NULL || ag_canon_parse(c, &s->ams_hc, &s->ams_bc) == AG_OK) &&
	     (t == NULL || (t[0] != '\0' && strlen(t) <= 12 &&
			    strspn(t, "0123456789") == strlen(t))) &&
	     (l == NULL || (l[0] != '\0' && strlen(l) <= 15 &&
			    strspn(l, "0123456789") == strlen(l)));
	if (ok && l != NULL)
		lv = strtoull(l, NULL, 10);
	s->ams_l = l != NULL ? (int64_t)lv : -1;
	if (!ok) {
		if (k + 1 == a->nsets)
			chain_fault(a, "AMS i=%u malformed", k + 1);
		return AG_OK;
	}
	rc = arc_body_want(a, s->ams_bc, s->ams_l);
	if (rc < 0)
		return rc;
	s->body = rc;
	s->ams_ok = true;
	return AG_OK;
}

/* chain_check - the structure of sets 1..nsets */
static int
chain_check(struct ag_arc *a)
{
	unsigned k;
	int rc;

	for (k = 0; k < a->nsets; k++) {
		struct arc_set *s = &a->set[k];

		if (s->as_f < 0 || s->ams_f < 0 || s->aar_f < 0) {
			chain_fault(a, "ARC set i=%u incomplete", k + 1);
			continue;
		}
		rc = chain_seal(a, k);
		if (rc == AG_OK)
			rc = chain_ams(a, k);
		if (rc != AG_OK)
			return rc;
		if (!s->as_ok)
			continue;
		if (s->cv == AG_ARC_CV_FAIL)
			chain_fault(a, "ARC-Seal i=%u says cv=fail", k + 1);
		else if (k == 0 && s->cv != AG_ARC_CV_NONE)
			chain_fault(a, "ARC-Seal i=%u cv must be none", 1);
		else if (k > 0 && s->cv != AG_ARC_CV_PASS)
			chain_fault(a, "ARC-Seal i=%u cv must be pass", k + 1);
	}
	return AG_OK;
}

/* arc_chain_collect - see arc_int.h */
int
arc_chain_collect(struct ag_arc *a)
{
	unsigned f, k;
	int rc, kind;

	if (a->set == NULL &&
	    (a->set = calloc(AG_ARC_MAX_SETS, sizeof(*a->set))) == NULL)
		return AG_ENOMEM;
	for (k = 0; k < AG_ARC_MAX_SETS; k++) {
		a->set[k].as_f = a->set[k].ams_f = a->set[k].aar_f = -1;
		a->set[k].body = -1;
	}
	for (f = 0; f < a->nf; f++) {
		kind = chain_kind_of(a->f[f].name);
		if (kind < 0)
			continue;
		if (strlen(a->f[f].value) > AG_ARC_FIELD_MAX) {
			chain_fault(a, "ARC field over %u bytes",
				    AG_ARC_FIELD_MAX);
			continue;
		}
		rc = chain_place(a, f, kind);
		if (rc != AG_OK)
			return rc;
	}
	if (a->fault[0] != '\0')
		return AG_OK;
	return chain_check(a);
}
