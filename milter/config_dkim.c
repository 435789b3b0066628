/*
 * milter/config_dkim.c - the DKIM keys of authgate.conf
 *
 * Key names follow opendkim.conf(5) where OpenDKIM has the same setting
 * (KeyTable, SigningTable, Domain, Selector, KeyFile, RequireSafeKeys,
 * MultipleSignatures, Canonicalization, SignHeaders, OversignHeaders), so
 * an admin moving from OpenDKIM recognises them.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "milter/config_int.h"

static int
k_dkim_verify(struct ag_config *c, const struct ag_conf_where *w,
	      const char *v, struct ag_err *err)
{
	return ag_config_bool(&c->dkim_verify, w, "DKIMVerify", v, err);
}

static int
k_dkim_max_sigs(struct ag_config *c, const struct ag_conf_where *w,
		const char *v, struct ag_err *err)
{
	unsigned long n;

	if (ag_conf_uint(v, 1, 16, &n) != 0)
		return ag_err_set(err, AG_EINVAL, "%s:%u: DKIMMaxSignatures: "
				  "\"%s\" is not a number from 1 to 16",
				  w->file, w->line, v);
	c->dkim_lib_cfg.max_sigs = (unsigned)n;
	return AG_OK;
}

static int
k_dkim_accept_sha1(struct ag_config *c, const struct ag_conf_where *w,
		   const char *v, struct ag_err *err)
{
	return ag_config_bool(&c->dkim_lib_cfg.accept_sha1, w, "DKIMAcceptSHA1", v,
			 err);
}

static int
k_keytable(struct ag_config *c, const struct ag_conf_where *w, const char *v,
	   struct ag_err *err)
{
	return ag_config_copy(c->dkim_keytable, sizeof(c->dkim_keytable), w,
			 "KeyTable", v, err);
}

static int
k_signingtable(struct ag_config *c, const struct ag_conf_where *w,
	       const char *v, struct ag_err *err)
{
	return ag_config_copy(c->dkim_signingtable, sizeof(c->dkim_signingtable),
			 w, "SigningTable", v, err);
}

static int
k_domain(struct ag_config *c, const struct ag_conf_where *w, const char *v,
	 struct ag_err *err)
{
	c->dkim_line[0] = w->line;
	return ag_config_copy(c->dkim_domain, sizeof(c->dkim_domain), w, "Domain",
			 v, err);
}

static int
k_selector(struct ag_config *c, const struct ag_conf_where *w, const char *v,
	   struct ag_err *err)
{
	c->dkim_line[1] = w->line;
	return ag_config_copy(c->dkim_selector, sizeof(c->dkim_selector), w,
			 "Selector", v, err);
}

static int
k_keyfile(struct ag_config *c, const struct ag_conf_where *w, const char *v,
	  struct ag_err *err)
{
	c->dkim_line[2] = w->line;
	return ag_config_copy(c->dkim_keyfile, sizeof(c->dkim_keyfile), w,
			 "KeyFile", v, err);
}

static int
k_require_safe_keys(struct ag_config *c, const struct ag_conf_where *w,
		    const char *v, struct ag_err *err)
{
	return ag_config_bool(&c->dkim_keys_cfg.require_safe_keys, w,
			 "RequireSafeKeys", v, err);
}

static int
k_multiple(struct ag_config *c, const struct ag_conf_where *w, const char *v,
	   struct ag_err *err)
{
	return ag_config_bool(&c->dkim_keys_cfg.multiple, w, "MultipleSignatures",
			 v, err);
}

static int
k_canon(struct ag_config *c, const struct ag_conf_where *w, const char *v,
	struct ag_err *err)
{
	static const char *const forms[] = { "relaxed/relaxed",
					     "relaxed/simple",
					     "simple/relaxed",
					     "simple/simple", "relaxed",
					     "simple" };
	unsigned i;

	for (i = 0; i < 6 && strcasecmp(v, forms[i]) != 0; i++)
		;
	if (i == 6)
		return ag_err_set(err, AG_EINVAL, "%s:%u: Canonicalization: "
				  "\"%s\" is not header/body with relaxed or "
				  "simple", w->file, w->line, v);
	/* RFC 6376 3.5: a single word names the header canonicalization,
	 * and the body one defaults to simple */
	c->dkim_sign_cfg.header_simple = strncasecmp(v, "simple", 6) == 0;
	c->dkim_sign_cfg.body_simple =
		i >= 4 || strcasecmp(v + strcspn(v, "/") + 1, "simple") == 0;
	return AG_OK;
}

struct dkim_hdr_list {
	struct ag_config *c;
	unsigned which;		/* 0 SignHeaders, 1 OversignHeaders */
	unsigned n;
};

/* dkim_hdr_item - one header name of a list */
static int
dkim_hdr_item(void *arg, const struct ag_conf_where *w, const char *item,
	      struct ag_err *err)
{
	struct dkim_hdr_list *l = arg;
	char *dst = l->c->dkim_hdr_text[l->which][l->n];

	if (l->n >= AG_DKIM_MAX_HDRS)
		return ag_err_set(err, AG_EINVAL, "%s:%u: more than %d header "
				  "names", w->file, w->line, AG_DKIM_MAX_HDRS);
	/* letters, digits, '-' and '_': the names libopendkim can take in
	 * its header list (RFC 5322 allows more; no real field uses it) */
	for (const char *p = item; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return ag_err_set(err, AG_EINVAL, "%s:%u: \"%s\" is "
					  "not a header field name (letters, "
					  "digits, '-', '_')", w->file, w->line,
					  item);
	if (strlen(item) >= sizeof(l->c->dkim_hdr_text[0][0]))
		return ag_err_set(err, AG_EINVAL, "%s:%u: header name \"%s\" "
				  "too long", w->file, w->line, item);
	if (strcasecmp(item, "Authentication-Results") == 0 ||
	    strcasecmp(item, "DKIM-Signature") == 0 ||
	    strcasecmp(item, "Received") == 0 ||
	    strcasecmp(item, "Return-Path") == 0 ||
	    strncasecmp(item, "ARC-", 4) == 0)
		return ag_err_set(err, AG_EINVAL, "%s:%u: %s must not be "
				  "signed: we add or change it after "
				  "signing", w->file, w->line, item);
	memcpy(dst, item, strlen(item) + 1);
	l->c->dkim_hdrs[l->which][l->n++] = dst;
	return AG_OK;
}

/* dkim_hdrs - SignHeaders / OversignHeaders */
static int
dkim_hdrs(struct ag_config *c, const struct ag_conf_where *w, const char *v,
	  unsigned which, struct ag_err *err)
{
	struct dkim_hdr_list l = { c, which, 0 };
	int rc;

	if ((rc = ag_conflist_parse(v, w, dkim_hdr_item, &l, err)) != AG_OK)
		return rc;
	if (which == 0) {
		c->dkim_sign_cfg.sign_headers = c->dkim_hdrs[0];
		c->dkim_sign_cfg.n_sign_headers = l.n;
	} else {
		c->dkim_sign_cfg.oversign_headers = c->dkim_hdrs[1];
		c->dkim_sign_cfg.n_oversign_headers = l.n;
	}
	return AG_OK;
}

static int
k_sign_headers(struct ag_config *c, const struct ag_conf_where *w,
	       const char *v, struct ag_err *err)
{
	return dkim_hdrs(c, w, v, 0, err);
}

static int
k_oversign_headers(struct ag_config *c, const struct ag_conf_where *w,
		   const char *v, struct ag_err *err)
{
	return dkim_hdrs(c, w, v, 1, err);
}

const struct config_key ag_config_dkim_keys[] = {
	{ "DKIMVerify", k_dkim_verify },
	{ "DKIMMaxSignatures", k_dkim_max_sigs },
	{ "DKIMAcceptSHA1", k_dkim_accept_sha1 },
	{ "KeyTable", k_keytable },
	{ "SigningTable", k_signingtable },
	{ "Domain", k_domain },
	{ "Selector", k_selector },
	{ "KeyFile", k_keyfile },
	{ "RequireSafeKeys", k_require_safe_keys },
	{ "MultipleSignatures", k_multiple },
	{ "Canonicalization", k_canon },
	{ "SignHeaders", k_sign_headers },
	{ "OversignHeaders", k_oversign_headers },
};
const unsigned ag_config_dkim_nkeys =
	sizeof(ag_config_dkim_keys) / sizeof(ag_config_dkim_keys[0]);

void
ag_config_dkim_defaults(struct ag_config *c)
{
	c->dkim_verify = true;
	ag_dkim_lib_config_defaults(&c->dkim_lib_cfg);
	c->dkim_keys_cfg.require_safe_keys = true;
}

/* dkim_or_null - "" means not configured */
static const char *
dkim_or_null(const char *s)
{
	return s[0] != '\0' ? s : NULL;
}

/* dkim_single_where - a single-form key error ("Domain ...",
 * "Selector ...", "KeyFile: ...") gets the file:line of that key */
static void
dkim_single_where(const struct ag_config *c, struct ag_err *err)
{
	static const char *const key[3] = { "Domain", "Selector", "KeyFile" };
	char msg[sizeof(err->msg)];
	unsigned line = c->dkim_line[2];

	if (err == NULL)
		return;
	for (unsigned i = 0; i < 3; i++)
		if (strncmp(err->msg, key[i], strlen(key[i])) == 0)
			line = c->dkim_line[i];
	memcpy(msg, err->msg, sizeof(msg));
	(void)ag_err_set(err, err->code, "%s:%u: %s", c->path, line, msg);
}

int
ag_config_dkim_build(struct ag_config *c, struct ag_err *err)
{
	struct ag_dkim_keys_config *k = &c->dkim_keys_cfg;
	int n = (c->dkim_domain[0] != '\0') + (c->dkim_selector[0] != '\0') +
		(c->dkim_keyfile[0] != '\0');
	int rc;

	if (n != 0 && n != 3)
		return ag_err_set(err, AG_EINVAL, "%s: Domain, Selector and "
				  "KeyFile go together: set all three or none",
				  c->path);
	if ((c->dkim_keytable[0] != '\0') != (c->dkim_signingtable[0] != '\0'))
		return ag_err_set(err, AG_EINVAL, "%s: KeyTable and "
				  "SigningTable go together", c->path);
	if ((rc = ag_dkim_lib_new(&c->dkim_lib, &c->dkim_lib_cfg, c->dns,
				  err)) != AG_OK ||
	    (rc = ag_dkim_sign_configure_lib(c->dkim_lib, &c->dkim_sign_cfg,
					     err)) != AG_OK)
		return rc;
	k->keytable = dkim_or_null(c->dkim_keytable);
	k->signingtable = dkim_or_null(c->dkim_signingtable);
	k->domain = dkim_or_null(c->dkim_domain);
	k->selector = dkim_or_null(c->dkim_selector);
	k->keyfile = dkim_or_null(c->dkim_keyfile);
	if ((rc = ag_dkim_keys_load(&c->dkim_keys, k, err)) != AG_OK &&
	    k->keyfile != NULL)
		dkim_single_where(c, err);
	return rc;
}

void
ag_config_dkim_free(struct ag_config *c)
{
	ag_dkim_keys_free(&c->dkim_keys);
	ag_dkim_lib_free(&c->dkim_lib);
}
