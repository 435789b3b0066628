/*
 * arc/arc.c - one message's ARC object: header fields kept, body hashes
 * streamed, and the validator's steps of RFC 8617 5.2 at finish.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arc/arc_int.h"

/* ag_arc_new - see arc.h */
int
ag_arc_new(struct ag_arc **a_r, struct ag_dns *dns, bool want_seal,
	   struct ag_err *err)
{
	struct ag_arc *a;

	*a_r = NULL;
	if (dns == NULL)
		return ag_err_set(err, AG_EINVAL, "ARC: no resolver");
	a = malloc(sizeof(*a));
	if (a == NULL)
		return ag_err_set(err, AG_ENOMEM, "ARC: out of memory");
	memset(a, 0, ARC_CLEARED);
	a->dns = dns;
	a->want_seal = want_seal;
	a->seal_body = -1;
	*a_r = a;
	return AG_OK;
}

/* arc_is_arc - an ARC-* field name */
static bool
arc_is_arc(const char *name)
{
	return strcasecmp(name, "ARC-Seal") == 0 ||
	       strcasecmp(name, "ARC-Message-Signature") == 0 ||
	       strcasecmp(name, "ARC-Authentication-Results") == 0;
}

/* ag_arc_header - see arc.h; past the limits fields are counted, not
 * kept, and finish reports the limit if the message has ARC fields */
int
ag_arc_header(struct ag_arc *a, const char *name, const char *value)
{
	size_t nl, vl;
	struct arc_field *nf;

	if (a == NULL || name == NULL || value == NULL || a->state != 0)
		return AG_EINVAL;
	if (arc_is_arc(name))
		a->n_arc++;
	if (a->limit != NULL)
		return AG_OK;
	nl = strlen(name);
	vl = strlen(value);
	if (a->nf >= AG_ARC_MAX_FIELDS ||
	    a->bytes + nl + vl > AG_ARC_MAX_HDR_BYTES) {
		a->limit = a->nf >= AG_ARC_MAX_FIELDS ? "too many header fields"
						       : "header too large";
		return AG_OK;
	}
	if (a->nf == a->capf) {
		unsigned cap = a->capf == 0 ? 32 : a->capf * 2;

		nf = realloc(a->f, cap * sizeof(*nf));
		if (nf == NULL)
			return AG_ENOMEM;
		a->f = nf;
		a->capf = cap;
	}
	nf = &a->f[a->nf];
	nf->name = strdup(name);
	nf->value = strdup(value);
	if (nf->name == NULL || nf->value == NULL) {
		free(nf->name);
		free(nf->value);
		return AG_ENOMEM;
	}
	a->nf++;
	a->bytes += nl + vl;
	return AG_OK;
}

/* arc_body_want - see arc_int.h */
int
arc_body_want(struct ag_arc *a, enum ag_canon c, int64_t l)
{
	unsigned k;
	int rc;

	for (k = 0; k < a->nbody; k++)
		if (a->body[k].c == c && a->body[k].l == l)
			return (int)k;
	if (a->nbody >= ARC_BODIES_MAX)
		return AG_ELIMIT;
	memset(&a->body[a->nbody], 0, sizeof(a->body[0]));
	rc = ag_canon_body_new(&a->body[a->nbody].cb, c, EVP_sha256(), l);
	if (rc != AG_OK)
		return rc;
	a->body[a->nbody].c = c;
	a->body[a->nbody].l = l;
	return (int)a->nbody++;
}

/* ag_arc_eoh - see arc.h: the sets are found now, so that only the body
 * hashes the chain (and sealing) need are computed */
int
ag_arc_eoh(struct ag_arc *a)
{
	int rc = AG_OK;

	if (a == NULL || a->state != 0)
		return AG_EINVAL;
	a->state = 1;
	if (a->n_arc > 0 && a->limit == NULL)
		rc = arc_chain_collect(a);
	if (rc == AG_OK && a->want_seal) {
		rc = arc_body_want(a, AG_CANON_RELAXED, -1);
		if (rc >= 0)
			a->seal_body = rc, rc = AG_OK;
	}
	if (rc != AG_OK)
		a->rc = rc;
	return rc;
}

/* ag_arc_body - see arc.h */
int
ag_arc_body(struct ag_arc *a, const unsigned char *buf, size_t len)
{
	unsigned k;
	int rc;

	if (a == NULL || a->state != 1)
		return AG_EINVAL;
	for (k = 0; k < a->nbody; k++) {
		rc = ag_canon_body_update(a->body[k].cb, buf, len);
		if (rc != AG_OK)
			return a->rc = rc;
	}
	return AG_OK;
}

/* arc_hops - what the results say of each set */
static void
arc_hops(struct ag_arc *a, struct ag_arc_results *r)
{
	unsigned k;

	r->count = a->nsets;
	for (k = 0; k < a->nsets; k++) {
		struct arc_set *s = &a->set[k];
		struct ag_arc_hop *h = &r->hop[k];
		const char *ip;

		h->i = k + 1;
		h->cv = s->as_f >= 0 && s->as.buf != NULL ? s->cv
							  : AG_ARC_CV_BAD;
		if (s->as.buf != NULL && arc_tags_get(&s->as, "d") != NULL)
			snprintf(h->d, sizeof(h->d), "%s",
				 arc_tags_get(&s->as, "d"));
		if (s->as.buf != NULL && arc_tags_get(&s->as, "s") != NULL)
			snprintf(h->s, sizeof(h->s), "%s",
				 arc_tags_get(&s->as, "s"));
		if (s->aar_f < 0)
			continue;
		ip = strstr(a->f[s->aar_f].value, "smtp.remote-ip");
		if (ip != NULL) {
			size_t n;

			ip += strlen("smtp.remote-ip");
			ip += strspn(ip, " \t\r\n");
			if (*ip++ != '=')
				continue;
			ip += strspn(ip, " \t\r\n");
			n = strspn(ip, "0123456789abcdefABCDEF:.");
			if (n > 0 && n < sizeof(h->remote_ip)) {
				memcpy(h->remote_ip, ip, n);
				h->remote_ip[n] = '\0';
			}
		}
	}
}

/* arc_fail - result fail with a reason */
static void
arc_fail(struct ag_arc_results *r, const char *why, unsigned i)
{
	r->result = AG_ARC_FAIL;
	if (i > 0)
		snprintf(r->reason, sizeof(r->reason), "i=%u %s", i, why);
	else
		snprintf(r->reason, sizeof(r->reason), "%s", why);
}

/* arc_validate - RFC 8617 5.2 steps 5 to 8 on a well-formed chain */
static int
arc_validate(struct ag_arc *a, struct ag_arc_results *r)
{
	char why[96];
	unsigned n = a->nsets, k;
	bool ok;
	int rc;

	rc = arc_ams_check(a, n - 1, &ok, why, sizeof(why));
	if (rc != AG_OK || !ok)
		goto out;
	r->hop[n - 1].ams_valid = true;
	for (k = n - 1; k-- > 0;) {
		char owhy[96];

		rc = arc_ams_check(a, k, &ok, owhy, sizeof(owhy));
		if (rc == AG_ETEMP)
			rc = AG_OK, ok = false;
		if (rc != AG_OK)
			return rc;
		if (!ok) {
			r->oldest_pass = k + 2;
			break;
		}
		r->hop[k].ams_valid = true;
	}
	for (k = n; k-- > 0;) {
		rc = arc_as_check(a, k, &ok, why, sizeof(why));
		if (rc != AG_OK || !ok) {
			n = k + 1;
			goto out;
		}
		r->hop[k].seal_valid = true;
	}
	r->result = AG_ARC_PASS;
	snprintf(r->reason, sizeof(r->reason), "chain of %u valid", a->nsets);
	return AG_OK;
out:
	r->oldest_pass = 0;
	if (rc == AG_ETEMP) {
		r->temp_error = true;
		arc_fail(r, why, n);
		return AG_OK;
	}
	if (rc != AG_OK)
		return rc;
	arc_fail(r, why, n);
	return AG_OK;
}

/* ag_arc_finish - see arc.h */
int
ag_arc_finish(struct ag_arc *a, struct ag_arc_results *res_r)
{
	struct ag_arc_results *r;
	unsigned k;
	int rc;

	if (a == NULL || res_r == NULL || a->state != 1)
		return AG_EINVAL;
	a->state = 2;
	r = &a->res;
	/* hop[] only when there are hops to describe: 23 KB otherwise */
	memset(r, 0, a->n_arc == 0 ? offsetof(struct ag_arc_results, hop)
				   : sizeof(*r));
	if (a->rc != AG_OK)
		return a->rc;
	for (k = 0; k < a->nbody; k++) {
		rc = ag_canon_body_final(a->body[k].cb, a->body[k].digest,
					 &a->body[k].dlen, &a->body[k].total);
		if (rc != AG_OK)
			return a->rc = rc;
		a->body[k].done = true;
	}
	rc = AG_OK;
	if (a->n_arc == 0) {
		snprintf(r->reason, sizeof(r->reason), "no ARC sets");
	} else if (a->limit != NULL) {
		arc_fail(r, a->limit, 0);
	} else {
		arc_hops(a, r);
		if (a->fault[0] != '\0')
			arc_fail(r, a->fault, 0);
		else
			rc = arc_validate(a, r);
	}
	if (rc != AG_OK)
		return a->rc = rc;
	memcpy(res_r, r, offsetof(struct ag_arc_results, hop) +
				 (r->count <= AG_ARC_MAX_SETS ? r->count
							      : AG_ARC_MAX_SETS) *
					 sizeof(r->hop[0]));
	return AG_OK;
}

/* ag_arc_free - see arc.h */
void
ag_arc_free(struct ag_arc **ap)
{
	struct ag_arc *a;
	unsigned k;

	if (ap == NULL || *ap == NULL)
		return;
	a = *ap;
	for (k = 0; k < a->nf; k++) {
		free(a->f[k].name);
		free(a->f[k].value);
	}
	free(a->f);
	for (k = 0; a->set != NULL && k < AG_ARC_MAX_SETS; k++) {
		arc_tags_free(&a->set[k].as);
		arc_tags_free(&a->set[k].ams);
	}
	free(a->set);
	for (k = 0; k < a->nbody; k++)
		ag_canon_body_free(&a->body[k].cb);
	for (k = 0; k < a->nkeys; k++)
		EVP_PKEY_free(a->key[k].pkey);
	free(a);
	*ap = NULL;
}

/* ag_arc_result_name - see arc.h */
const char *
ag_arc_result_name(enum ag_arc_result r)
{
	switch (r) {
	case AG_ARC_PASS:
		return "pass";
	case AG_ARC_FAIL:
		return "fail";
	case AG_ARC_NONE:
	default:
		return "none";
	}
}

/* ag_arc_cv_name - see arc.h */
const char *
ag_arc_cv_name(enum ag_arc_cv cv)
{
	switch (cv) {
	case AG_ARC_CV_NONE:
		return "none";
	case AG_ARC_CV_PASS:
		return "pass";
	case AG_ARC_CV_FAIL:
		return "fail";
	case AG_ARC_CV_BAD:
	default:
		return "";
	}
}
