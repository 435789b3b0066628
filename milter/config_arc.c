/*
 * milter/config_arc.c - the ARC keys of authgate.conf (RFC 8617): verify,
 * trusted sealers, and the sealing key
 *
 * ARCTrustedSealers becomes one rule (ARCTrustedSealers) compiled BEFORE
 * the Rules file, so every DMARC rule - the admin's own dmarc_reject as
 * much as the DMARCEnforce shorthand - already sees the override
 * (dmarc.disposition reads "none" after it).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "milter/config_int.h"

static int
k_arc_verify(struct ag_config *c, const struct ag_conf_where *w,
	     const char *v, struct ag_err *err)
{
	return ag_config_bool(&c->arc_verify, w, "ARCVerify", v, err);
}

/* arc_domain_ok - letters, digits, '-', '.', no empty label: the d= an
 * ARC-Seal can carry (RFC 6376 3.5 d= is a domain name) */
static bool
arc_domain_ok(const char *d)
{
	size_t n = strlen(d);

	if (n == 0 || n >= AG_ARC_DOMAIN_MAX || d[0] == '.' ||
	    strstr(d, "..") != NULL)
		return false;
	for (const char *p = d; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return false;
	return true;
}

/* arc_trusted_item - one ARCTrustedSealers entry, lower case, trailing
 * dot removed */
static int
arc_trusted_item(void *arg, const struct ag_conf_where *w, const char *item,
		 struct ag_err *err)
{
	struct ag_config *c = arg;
	char d[AG_ARC_DOMAIN_MAX];
	size_t n = strlen(item);

	if (n > 1 && item[n - 1] == '.')
		n--;
	if (n >= sizeof(d))
		return ag_err_set(err, AG_EINVAL, "%s:%u: ARCTrustedSealers: "
				  "\"%.64s...\" is too long for a domain",
				  w->file, w->line, item);
	for (size_t i = 0; i < n; i++)
		d[i] = (char)tolower((unsigned char)item[i]);
	d[n] = '\0';
	if (!arc_domain_ok(d))
		return ag_err_set(err, AG_EINVAL, "%s:%u: ARCTrustedSealers: "
				  "\"%s\" is not a domain name", w->file,
				  w->line, item);
	if (c->n_arc_trusted >= AG_CONFIG_ARC_TRUSTED_MAX)
		return ag_err_set(err, AG_EINVAL, "%s:%u: ARCTrustedSealers: "
				  "more than %d domains", w->file, w->line,
				  AG_CONFIG_ARC_TRUSTED_MAX);
	if (c->n_arc_trusted == c->arc_trusted_cap) {
		unsigned cap = c->arc_trusted_cap ? c->arc_trusted_cap * 2 : 16;
		char(*v)[AG_ARC_DOMAIN_MAX] =
			realloc(c->arc_trusted, cap * sizeof(*v));

		if (v == NULL)
			return ag_err_set(err, AG_ENOMEM, "out of memory");
		c->arc_trusted = v;
		c->arc_trusted_cap = cap;
	}
	memcpy(c->arc_trusted[c->n_arc_trusted++], d, n + 1);
	return AG_OK;
}

static int
k_arc_trusted(struct ag_config *c, const struct ag_conf_where *w,
	      const char *v, struct ag_err *err)
{
	c->line_arc_trusted = w->line;
	return ag_conflist_parse(v, w, arc_trusted_item, c, err);
}

static int
k_arc_domain(struct ag_config *c, const struct ag_conf_where *w,
	     const char *v, struct ag_err *err)
{
	c->arc_line[0] = w->line;
	if (!arc_domain_ok(v))
		return ag_err_set(err, AG_EINVAL, "%s:%u: ARCSealDomain: "
				  "\"%s\" is not a domain name", w->file,
				  w->line, v);
	return ag_config_copy(c->arc_seal_domain, sizeof(c->arc_seal_domain),
			      w, "ARCSealDomain", v, err);
}

static int
k_arc_selector(struct ag_config *c, const struct ag_conf_where *w,
	       const char *v, struct ag_err *err)
{
	c->arc_line[1] = w->line;
	/* a selector is a dot-atom of labels (RFC 6376 3.1) */
	if (!arc_domain_ok(v))
		return ag_err_set(err, AG_EINVAL, "%s:%u: ARCSealSelector: "
				  "\"%s\" is not a selector (labels of "
				  "letters, digits, '-')", w->file, w->line, v);
	return ag_config_copy(c->arc_seal_selector,
			      sizeof(c->arc_seal_selector), w,
			      "ARCSealSelector", v, err);
}

static int
k_arc_key(struct ag_config *c, const struct ag_conf_where *w, const char *v,
	  struct ag_err *err)
{
	c->arc_line[2] = w->line;
	return ag_config_copy(c->arc_seal_keyfile, sizeof(c->arc_seal_keyfile),
			      w, "ARCSealKey", v, err);
}

/* arc_hdr_item - one ARCSealHeaders name */
static int
arc_hdr_item(void *arg, const struct ag_conf_where *w, const char *item,
	     struct ag_err *err)
{
	struct ag_config *c = arg;

	if (c->n_arc_hdrs >= AG_ARC_SIGN_HDRS_MAX)
		return ag_err_set(err, AG_EINVAL, "%s:%u: ARCSealHeaders: more "
				  "than %d names", w->file, w->line,
				  AG_ARC_SIGN_HDRS_MAX);
	for (const char *p = item; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return ag_err_set(err, AG_EINVAL, "%s:%u: "
					  "ARCSealHeaders: \"%s\" is not a "
					  "header field name", w->file,
					  w->line, item);
	if (strlen(item) >= sizeof(c->arc_hdr_text[0]))
		return ag_err_set(err, AG_EINVAL, "%s:%u: ARCSealHeaders: "
				  "\"%s\" too long", w->file, w->line, item);
	/* RFC 8617 4.1.2: ARC-* never; the rest change after sealing */
	if (strncasecmp(item, "ARC-", 4) == 0 ||
	    strcasecmp(item, "Authentication-Results") == 0 ||
	    strcasecmp(item, "Received") == 0 ||
	    strcasecmp(item, "Return-Path") == 0)
		return ag_err_set(err, AG_EINVAL, "%s:%u: ARCSealHeaders: %s "
				  "must not be signed (RFC 8617 4.1.2; or "
				  "changed downstream)", w->file, w->line,
				  item);
	memcpy(c->arc_hdr_text[c->n_arc_hdrs], item, strlen(item) + 1);
	c->arc_hdrs[c->n_arc_hdrs] = c->arc_hdr_text[c->n_arc_hdrs];
	c->n_arc_hdrs++;
	return AG_OK;
}

static int
k_arc_headers(struct ag_config *c, const struct ag_conf_where *w,
	      const char *v, struct ag_err *err)
{
	c->arc_line[3] = w->line;
	return ag_conflist_parse(v, w, arc_hdr_item, c, err);
}

const struct config_key ag_config_arc_keys[] = {
	{ "ARCVerify", k_arc_verify },
	{ "ARCTrustedSealers", k_arc_trusted },
	{ "ARCSealDomain", k_arc_domain },
	{ "ARCSealSelector", k_arc_selector },
	{ "ARCSealKey", k_arc_key },
	{ "ARCSealHeaders", k_arc_headers },
};
const unsigned ag_config_arc_nkeys =
	sizeof(ag_config_arc_keys) / sizeof(ag_config_arc_keys[0]);

void
ag_config_arc_defaults(struct ag_config *c)
{
	c->arc_verify = true;
}

int
ag_config_arc_build(struct ag_config *c, struct ag_err *err)
{
	static const char *const key[3] = { "ARCSealDomain", "ARCSealSelector",
					    "ARCSealKey" };
	int n = (c->arc_seal_domain[0] != '\0') +
		(c->arc_seal_selector[0] != '\0') +
		(c->arc_seal_keyfile[0] != '\0');
	struct ag_err why = { 0, "" };
	unsigned line = 0;
	int rc;

	if (c->n_arc_trusted > 0 && !c->arc_verify)
		return ag_err_set(err, AG_EINVAL, "%s:%u: ARCTrustedSealers "
				  "needs ARCVerify yes: only a validated chain "
				  "can be trusted", c->path,
				  c->line_arc_trusted);
	if (n != 0 && n != 3) {
		for (unsigned i = 0; i < 3; i++)
			if (c->arc_line[i] != 0)
				line = c->arc_line[i];
		for (unsigned i = 0; i < 3 && line != 0; i++)
			if (c->arc_line[i] == 0)
				return ag_err_set(err, AG_EINVAL, "%s:%u: "
						  "ARCSealDomain, "
						  "ARCSealSelector and "
						  "ARCSealKey go together: %s "
						  "is missing", c->path, line,
						  key[i]);
	}
	if (n == 0) {
		if (c->n_arc_hdrs > 0)
			return ag_err_set(err, AG_EINVAL, "%s:%u: "
					  "ARCSealHeaders without "
					  "ARCSealDomain, ARCSealSelector and "
					  "ARCSealKey", c->path,
					  c->arc_line[3]);
		return AG_OK;
	}
	if (!c->arc_verify)
		return ag_err_set(err, AG_EINVAL, "%s:%u: ARCSealDomain needs "
				  "ARCVerify yes: a new set's cv= is the "
				  "validation of the chain it extends",
				  c->path, c->arc_line[0]);
	/* read now, as root at start (as User on reload), with the checks
	 * of DKIM signing keys: RequireSafeKeys refuses group/other access */
	rc = ag_arc_key_load(&c->arc_key, c->arc_seal_keyfile,
			     c->dkim_keys_cfg.require_safe_keys, &why);
	if (rc != AG_OK)
		return ag_err_set(err, rc, "%s:%u: ARCSealKey: %s", c->path,
				  c->arc_line[2], why.msg);
	c->arc_seal_cfg.key = c->arc_key;
	c->arc_seal_cfg.domain = c->arc_seal_domain;
	c->arc_seal_cfg.selector = c->arc_seal_selector;
	c->arc_seal_cfg.authserv_id = c->authserv_id;
	c->arc_seal_cfg.sign_headers = c->n_arc_hdrs > 0 ? c->arc_hdrs : NULL;
	c->arc_seal_cfg.n_sign_headers = c->n_arc_hdrs;
	return AG_OK;
}

/* the override: a DMARC failure carried by a valid chain whose newest
 * sealer is trusted (milter/arcmsg.c computes arc.trusted) */
static const char arc_trusted_rules[] =
	"rule ARCTrustedSealers {\n"
	"  if dmarc.result is fail and arc.trusted\n"
	"  dmarc-override trusted_forwarder\n"
	"}\n";

int
ag_config_arc_rules(struct ag_config *c, struct ag_err *err)
{
	char origin[AG_CONFIG_STR_MAX + 64];

	if (c->n_arc_trusted == 0)
		return AG_OK;
	snprintf(origin, sizeof(origin), "ARCTrustedSealers (%s:%u)", c->path,
		 c->line_arc_trusted);
	return ag_rules_parse_text(c->rules, arc_trusted_rules, origin, err);
}

bool
ag_config_arc_trusted(const struct ag_config *c, const char *domain)
{
	for (unsigned i = 0; i < c->n_arc_trusted; i++)
		if (strcasecmp(c->arc_trusted[i], domain) == 0)
			return true;
	return false;
}

void
ag_config_arc_free(struct ag_config *c)
{
	EVP_PKEY_free(c->arc_key);
	c->arc_key = NULL;
	free(c->arc_trusted);
	c->arc_trusted = NULL;
	c->n_arc_trusted = c->arc_trusted_cap = 0;
}
