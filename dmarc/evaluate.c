/*
 * dmarc/evaluate.c - DMARC for one message
 *
 * RFC 7489 6.6.3 in PSL mode: the record at _dmarc.<From domain>, else at
 * _dmarc.<Organizational Domain>. A TXT set with no "v=DMARC1" record
 * moves on to the next name; one that has several, or one unusable
 * record, ends discovery with no policy (6.6.3 steps 3, 5 and 6). In
 * tree-walk mode dmarc/orgdomain.c walks the DNS (DMARCbis) and hands back
 * where the policy was.
 */
#include "dmarc/evaluate.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dmarc/fetch.h"

static const char *const result_names[] = {
	[AG_DMARC_RES_NONE] = "none",
	[AG_DMARC_RES_PASS] = "pass",
	[AG_DMARC_RES_FAIL] = "fail",
	[AG_DMARC_RES_TEMPERROR] = "temperror",
	[AG_DMARC_RES_PERMERROR] = "permerror",
};

const char *
ag_dmarc_result_name(enum ag_dmarc_result r)
{
	if ((unsigned)r >= sizeof(result_names) / sizeof(result_names[0]))
		return "permerror";
	return result_names[r];
}

/* copy_domain - lower-cased, without a trailing dot; false if too long */
static bool
copy_domain(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n > 0 && src[n - 1] == '.')
		n--;
	if (n >= size)
		return false;
	for (size_t i = 0; i < n; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[n] = '\0';
	return true;
}

/* org_domain - the Organizational Domain of name; *temp_r on DNS trouble
 * (tree walk only); false when none can be found */
static bool
org_domain(const struct ag_dmarc_env *env, const char *name, char *out,
	   size_t size, bool *temp_r)
{
	if (env->discovery == AG_DMARC_DISC_PSL)
		return ag_dmarc_org_domain_psl(env->psl, name, out, size) ==
		       AG_OK;

	struct ag_dmarc_walk w;
	struct ag_err err = { 0, "" };

	if (ag_dmarc_tree_walk(env->dns, env->psl, name, &w, &err) != AG_OK)
		return false;
	if (w.temperror) {
		*temp_r = true;
		return false;
	}
	if (w.org_domain[0] == '\0' || strlen(w.org_domain) >= size)
		return false;
	memcpy(out, w.org_domain, strlen(w.org_domain) + 1);
	return true;
}

bool
ag_dmarc_aligned(const struct ag_dmarc_env *env, const char *from,
		 const char *id, enum ag_dmarc_align mode, bool *temp_r)
{
	char a[AG_DMARC_DOMAIN_MAX], b[AG_DMARC_DOMAIN_MAX];
	char oa[AG_DMARC_DOMAIN_MAX], ob[AG_DMARC_DOMAIN_MAX];

	if (from == NULL || id == NULL || !copy_domain(a, sizeof(a), from) ||
	    !copy_domain(b, sizeof(b), id) || a[0] == '\0' || b[0] == '\0')
		return false;
	if (strcmp(a, b) == 0)
		return true;
	if (mode == AG_DMARC_ALIGN_STRICT)
		return false;
	if (!org_domain(env, a, oa, sizeof(oa), temp_r) ||
	    !org_domain(env, b, ob, sizeof(ob), temp_r))
		return false;
	return strcmp(oa, ob) == 0;
}

/* milder - one step less strict (RFC 7489 6.6.4 for pct=, DMARCbis for
 * t=y): reject -> quarantine -> none */
static enum ag_dmarc_policy
milder(enum ag_dmarc_policy p)
{
	switch (p) {
	case AG_DMARC_P_REJECT:
		return AG_DMARC_P_QUARANTINE;
	case AG_DMARC_P_QUARANTINE:
		return AG_DMARC_P_NONE;
	default:
		return p;
	}
}

/* discover_psl - RFC 7489 6.6.3 steps 1 to 6 */
static int
discover_psl(const struct ag_dmarc_env *env, struct ag_dmarc_eval *ev,
	     const char *from, struct ag_err *err)
{
	struct ag_dmarc_fetched f;
	int rc;

	if ((rc = ag_dmarc_fetch(env->dns, from, &f, err)) != AG_OK)
		return rc;
	if (f.status == AG_DMARC_FETCH_NONE) {
		if (strcmp(ev->org_domain, from) == 0)
			return AG_OK;
		if ((rc = ag_dmarc_fetch(env->dns, ev->org_domain, &f, err)) !=
		    AG_OK)
			return rc;
		if (f.status == AG_DMARC_FETCH_NONE)
			return AG_OK;
		ev->subdomain = true;
		snprintf(ev->policy_domain, sizeof(ev->policy_domain), "%s",
			 ev->org_domain);
	} else {
		snprintf(ev->policy_domain, sizeof(ev->policy_domain), "%s",
			 from);
	}
	switch (f.status) {
	case AG_DMARC_FETCH_ONE:
		ev->have_record = true;
		ev->rec = f.rec;
		break;
	case AG_DMARC_FETCH_TEMP:
		ev->result = AG_DMARC_RES_TEMPERROR;
		ev->why = "DNS error looking up the DMARC record";
		break;
	case AG_DMARC_FETCH_MANY:
		ev->why = "several DMARC records";
		break;
	case AG_DMARC_FETCH_INVALID:
		ev->why = "invalid DMARC record";
		break;
	case AG_DMARC_FETCH_NONE:
		break;
	}
	return AG_OK;
}

/* discover_walk - DMARCbis: the tree walk finds the policy */
static int
discover_walk(const struct ag_dmarc_env *env, struct ag_dmarc_eval *ev,
	      const char *from, struct ag_err *err)
{
	struct ag_dmarc_walk w;
	int rc;

	if ((rc = ag_dmarc_tree_walk(env->dns, env->psl, from, &w, err)) !=
	    AG_OK)
		return rc;
	if (w.temperror) {
		ev->result = AG_DMARC_RES_TEMPERROR;
		ev->why = "DNS error during the DMARC tree walk";
		return AG_OK;
	}
	snprintf(ev->org_domain, sizeof(ev->org_domain), "%s", w.org_domain);
	if (w.unusable) {
		snprintf(ev->policy_domain, sizeof(ev->policy_domain), "%s",
			 w.policy_domain);
		ev->why = "invalid DMARC record, or several";
		return AG_OK;
	}
	if (!w.have_rec)
		return AG_OK;
	snprintf(ev->policy_domain, sizeof(ev->policy_domain), "%s",
		 w.policy_domain);
	ev->subdomain = strcmp(w.policy_domain, from) != 0;
	ev->have_record = true;
	ev->rec = w.rec;
	return AG_OK;
}

/* nonexistent - RFC 9091 / DMARCbis: the From domain does not exist
 * (NXDOMAIN; a name with only other records exists). -1 on DNS trouble */
static int
nonexistent(struct ag_dns *dns, const char *name)
{
	struct ag_dns_answer *ans = NULL;
	int r;

	if (ag_dns_query(dns, name, AG_DNS_A, &ans) != AG_OK)
		return 0;
	switch (ans->status) {
	case AG_DNS_NXDOMAIN:
		r = 1;
		break;
	case AG_DNS_SERVFAIL:
	case AG_DNS_TIMEOUT:
		r = -1;
		break;
	default:
		r = 0;
		break;
	}
	ag_dns_answer_free(&ans);
	return r;
}

/* align - the SPF and DKIM alignment facts; temperror when a tree walk
 * could not tell and nothing else aligned */
static void
align(const struct ag_dmarc_env *env, const struct ag_dmarc_input *in,
      struct ag_dmarc_eval *ev, const char *from, bool *temp_r)
{
	if (in->spf_pass && in->spf_domain != NULL &&
	    in->spf_domain[0] != '\0')
		ev->spf_aligned = ag_dmarc_aligned(env, from, in->spf_domain,
						   ev->rec.aspf, temp_r);
	for (unsigned i = 0; i < in->ndkim && i < AG_DMARC_MAX_DKIM; i++) {
		const struct ag_dmarc_dkim_in *d = &in->dkim[i];

		if (!d->pass || d->d == NULL)
			continue;
		if (ag_dmarc_aligned(env, from, d->d, ev->rec.adkim,
				     temp_r)) {
			ev->dkim_aligned = true;
			copy_domain(ev->dkim_domain, sizeof(ev->dkim_domain),
				    d->d);
			break;
		}
	}
}

int
ag_dmarc_evaluate(const struct ag_dmarc_env *env,
		  const struct ag_dmarc_input *in, struct ag_dmarc_eval *ev,
		  struct ag_err *err)
{
	char from[AG_DMARC_DOMAIN_MAX];
	bool temp = false;
	int rc;

	memset(ev, 0, sizeof(*ev));
	ev->why = "";
	ev->policy = ev->disposition = AG_DMARC_P_NONE;
	if (in->from_domain == NULL || in->from_domain[0] == '\0')
		return ag_err_set(err, AG_EINVAL, "no From domain");
	if (!copy_domain(from, sizeof(from), in->from_domain) ||
	    !ag_dmarc_domain_valid(from)) {
		ev->result = AG_DMARC_RES_PERMERROR;
		ev->why = "From domain is not a valid domain name";
		return AG_OK;
	}
	if (env->discovery == AG_DMARC_DISC_PSL) {
		if (ag_dmarc_org_domain_psl(env->psl, from, ev->org_domain,
					    sizeof(ev->org_domain)) != AG_OK)
			snprintf(ev->org_domain, sizeof(ev->org_domain), "%s",
				 from);
		rc = discover_psl(env, ev, from, err);
	} else {
		rc = discover_walk(env, ev, from, err);
	}
	if (rc != AG_OK)
		return rc;
	if (!ev->have_record) {
		if (ev->result != AG_DMARC_RES_TEMPERROR) {
			ev->result = AG_DMARC_RES_NONE;
			if (ev->why[0] == '\0')
				ev->why = "no DMARC record";
		}
		return AG_OK;
	}

	/* which policy applies: p at the From domain itself; sp (or np
	 * for a name that does not exist) when the record is above it */
	ev->policy = ev->rec.p;
	if (ev->subdomain) {
		bool nx = false;

		if (ev->rec.np != AG_DMARC_P_UNSET) {
			int r = nonexistent(env->dns, from);

			if (r < 0) {
				ev->result = AG_DMARC_RES_TEMPERROR;
				ev->why = "DNS error checking whether the "
					  "From domain exists";
				return AG_OK;
			}
			nx = r == 1;
		}
		ev->nonexistent = nx;
		ev->policy = ag_dmarc_record_policy_for(&ev->rec, true, nx);
	}
	if (ev->policy == AG_DMARC_P_UNSET)
		ev->policy = AG_DMARC_P_NONE;

	align(env, in, ev, from, &temp);
	if (ev->spf_aligned || ev->dkim_aligned) {
		ev->result = AG_DMARC_RES_PASS;
		ev->why = ev->dkim_aligned ? "aligned DKIM pass"
					   : "aligned SPF pass";
		ev->disposition = AG_DMARC_P_NONE;
		return AG_OK;
	}
	if (temp) {
		ev->result = AG_DMARC_RES_TEMPERROR;
		ev->why = "DNS error finding an Organizational Domain";
		return AG_OK;
	}
	ev->result = AG_DMARC_RES_FAIL;
	ev->why = "no aligned SPF or DKIM pass";
	ev->disposition = ev->policy;
	if (ev->rec.pct < 100 && in->sample >= ev->rec.pct &&
	    ev->disposition != AG_DMARC_P_NONE) {
		ev->disposition = milder(ev->disposition);
		ev->sampled_out = true;
	}
	if (ev->rec.testing && !ev->sampled_out &&
	    ev->disposition != AG_DMARC_P_NONE) {
		ev->disposition = milder(ev->disposition);
		ev->testing = true;
	}
	return AG_OK;
}
