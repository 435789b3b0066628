/*
 * dmarc/orgdomain.c - Organizational Domain: libpsl, or the DNS tree walk
 */
#include "dmarc/orgdomain.h"

#include <libpsl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/fetch.h"

struct ag_psl {
	psl_ctx_t *ctx;
	bool builtin;	/* psl_latest()/psl_builtin(): not ours to free */
};

int
ag_psl_open(struct ag_psl **psl_r, const char *file, struct ag_err *err)
{
	struct ag_psl *psl;

	*psl_r = NULL;
	if ((psl = calloc(1, sizeof(*psl))) == NULL)
		return ag_err_set(err, AG_ENOMEM, "out of memory");
	if (file != NULL && file[0] != '\0') {
		psl->ctx = psl_load_file(file);
		if (psl->ctx == NULL) {
			free(psl);
			return ag_err_set(err, AG_EINVAL, "cannot load the "
					  "public suffix list %s", file);
		}
	} else {
		psl->ctx = psl_latest(NULL);
		if (psl->ctx == NULL) {
			psl->ctx = (psl_ctx_t *)psl_builtin();
			psl->builtin = true;
		}
		if (psl->ctx == NULL) {
			free(psl);
			return ag_err_set(err, AG_ENOENT, "no public suffix "
					  "list (install Debian's publicsuffix "
					  "package or set PublicSuffixList)");
		}
	}
	*psl_r = psl;
	return AG_OK;
}

void
ag_psl_free(struct ag_psl **psl)
{
	if (psl == NULL || *psl == NULL)
		return;
	if (!(*psl)->builtin)
		psl_free((*psl)->ctx);
	free(*psl);
	*psl = NULL;
}

int
ag_psl_registrable(const struct ag_psl *psl, const char *domain, char *out,
		   size_t size)
{
	const char *reg;
	size_t n;

	if (psl == NULL || domain == NULL || domain[0] == '\0')
		return AG_EINVAL;
	if ((reg = psl_registrable_domain(psl->ctx, domain)) == NULL)
		return AG_ENOENT;
	if ((n = strlen(reg)) >= size)
		return AG_EINVAL;
	memcpy(out, reg, n + 1);
	return AG_OK;
}

int
ag_dmarc_org_domain_psl(const struct ag_psl *psl, const char *domain,
			char *out, size_t size)
{
	int rc = ag_psl_registrable(psl, domain, out, size);
	size_t n;

	if (rc != AG_ENOENT)
		return rc;
	/* a public suffix is its own Organizational Domain */
	if ((n = strlen(domain)) >= size)
		return AG_EINVAL;
	memcpy(out, domain, n + 1);
	return AG_OK;
}

/* walk_names - the names the walk asks, most specific first */
static unsigned
walk_names(const char *domain, const char *names[AG_DMARC_WALK_MAX])
{
	const char *labels[128];
	unsigned n = 0, k = 0, start;

	labels[n++] = domain;
	for (const char *p = domain; *p != '\0' && n < 128; p++)
		if (*p == '.' && p[1] != '\0')
			labels[n++] = p + 1;
	if (n < 2)
		return 0;	/* a top-level domain is never queried */
	names[k++] = domain;
	/* labels[i] is the suffix with n - i labels; jump to seven */
	start = n - 1 > 7 ? n - 7 : 1;
	for (unsigned i = start; i < n && k < AG_DMARC_WALK_MAX; i++)
		names[k++] = labels[i];
	return k;
}

/* below - the suffix of domain one label longer than psd (a suffix of
 * it, pointing into it); domain itself when psd is domain */
static const char *
below(const char *domain, const char *psd)
{
	const char *p = psd;

	if (p == domain)
		return domain;
	p -= 2;			/* the last character of the label before */
	while (p > domain && p[-1] != '.')
		p--;
	return p;
}

int
ag_dmarc_tree_walk(struct ag_dns *dns, const struct ag_psl *psl,
		   const char *domain, struct ag_dmarc_walk *w,
		   struct ag_err *err)
{
	const char *names[AG_DMARC_WALK_MAX];
	const char *highest = NULL, *org = NULL;
	unsigned n;
	int rc;

	memset(w, 0, sizeof(*w));
	if (domain == NULL || strlen(domain) >= sizeof(w->org_domain))
		return ag_err_set(err, AG_EINVAL, "not a domain name");
	n = walk_names(domain, names);
	for (unsigned i = 0; i < n && org == NULL; i++) {
		struct ag_dmarc_fetched f;

		if ((rc = ag_dmarc_fetch(dns, names[i], &f, err)) != AG_OK)
			return rc;
		w->queries++;
		if (f.status == AG_DMARC_FETCH_TEMP) {
			w->temperror = true;
			return AG_OK;
		}
		if ((f.status == AG_DMARC_FETCH_INVALID ||
		     f.status == AG_DMARC_FETCH_MANY) && !w->have_rec &&
		    !w->unusable) {
			/* RFC 7489 6.6.3 step 6: no DMARC processing; the
			 * walk goes on for the Organizational Domain only */
			w->unusable = true;
			snprintf(w->policy_domain, sizeof(w->policy_domain),
				 "%s", names[i]);
		}
		if (f.status != AG_DMARC_FETCH_ONE)
			continue;
		if (!w->have_rec && !w->unusable) {
			w->have_rec = true;
			w->rec = f.rec;
			snprintf(w->policy_domain, sizeof(w->policy_domain),
				 "%s", names[i]);
		}
		highest = names[i];
		if (f.rec.psd == AG_DMARC_PSD_N)
			org = names[i];
		else if (f.rec.psd == AG_DMARC_PSD_Y)
			org = below(domain, names[i]);
	}
	if (org == NULL)
		org = highest;
	if (org != NULL)
		snprintf(w->org_domain, sizeof(w->org_domain), "%s", org);
	if (w->org_domain[0] == '\0' &&
	    (psl == NULL || ag_dmarc_org_domain_psl(psl, domain, w->org_domain,
						    sizeof(w->org_domain)) !=
				    AG_OK))
		snprintf(w->org_domain, sizeof(w->org_domain), "%s", domain);
	return AG_OK;
}
