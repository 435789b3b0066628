/*
 * milter/config_rules.c - the Rules and BodyScanWindow keys, and the
 * interim keys (SPFFailAction, SPFTempErrorAction, DMARCEnforce,
 * DMARCTempErrorAction, RejectMultipleFrom) compiled into rules
 *
 * The shorthand rules go after the rules file, so an admin's earlier
 * "accept" or "dmarc-override" (trusted forwarders) still takes effect.
 * The one exception, ARCTrustedSealers (config_arc.c), goes before it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "milter/config_int.h"

static int
k_rules(struct ag_config *c, const struct ag_conf_where *w, const char *v,
	struct ag_err *err)
{
	c->line_rules = w->line;
	return ag_config_copy(c->rules_file, sizeof(c->rules_file), w,
			      "Rules", v, err);
}

static int
k_body_window(struct ag_config *c, const struct ag_conf_where *w,
	      const char *v, struct ag_err *err)
{
	unsigned long n;
	char *end;

	n = strtoul(v, &end, 10);
	if (*end == 'K' || *end == 'k')
		n *= 1024, end++;
	else if (*end == 'M' || *end == 'm')
		n *= 1024 * 1024, end++;
	if (end == v || *end != '\0' || n < 1024 || n > 64UL * 1024 * 1024)
		return ag_err_set(err, AG_EINVAL, "%s:%u: BodyScanWindow: "
				  "\"%s\" is not a size between 1K and 64M",
				  w->file, w->line, v);
	c->body_window = n;
	return AG_OK;
}

const struct config_key ag_config_rules_keys[] = {
	{ "Rules", k_rules },
	{ "BodyScanWindow", k_body_window },
};
const unsigned ag_config_rules_nkeys =
	sizeof(ag_config_rules_keys) / sizeof(ag_config_rules_keys[0]);

void
ag_config_rules_defaults(struct ag_config *c)
{
	c->body_window = 256 * 1024;
}

/* the shorthand keys as rules; ${...} is expanded per message */
static const char spf_fail_rules[] =
	"rule SPFFailAction.explained {\n"
	"  if spf.mailfrom is fail and spf.explanation != \"\"\n"
	"  reject 550 5.7.23 \"SPF fail for ${spf.domain}: "
	"${spf.explanation}\"\n"
	"}\n"
	"rule SPFFailAction {\n"
	"  if spf.mailfrom is fail\n"
	"  reject 550 5.7.23 \"SPF fail: ${spf.domain} does not allow "
	"this host\"\n"
	"}\n";
static const char spf_temp_rules[] =
	"rule SPFTempErrorAction {\n"
	"  if spf.mailfrom is temperror\n"
	"  tempfail 451 4.7.24 \"SPF temporary error for ${spf.domain}, "
	"try again later\"\n"
	"}\n";
static const char bad_from_rules[] =
	"rule RejectMultipleFrom {\n"
	"  if from.problem != \"\"\n"
	"  reject 550 5.7.1 \"Message rejected: ${from.problem} "
	"(RFC 5322 3.6.2, RFC 7489 6.6.1)\"\n"
	"}\n";
static const char dmarc_temp_rules[] =
	"rule DMARCTempErrorAction {\n"
	"  if dmarc.result is temperror\n"
	"  tempfail 451 4.7.1 \"DMARC policy of ${dmarc.domain} could not "
	"be looked up, try again later\"\n"
	"}\n";
static const char dmarc_enforce_rules[] =
	"rule DMARCEnforce.reject {\n"
	"  if dmarc.result is fail and dmarc.disposition is reject\n"
	"  reject 550 5.7.1 \"Message rejected by the DMARC policy of "
	"${dmarc.domain} (no aligned SPF or DKIM pass)\"\n"
	"}\n"
	"rule DMARCEnforce.quarantine {\n"
	"  if dmarc.result is fail and dmarc.disposition is quarantine\n"
	"  quarantine \"DMARC quarantine policy of ${dmarc.domain}\"\n"
	"}\n";

/* shorthand - compile one key's rules, named after the key's line */
static int
shorthand(struct ag_config *c, const char *key, unsigned line,
	  const char *text, struct ag_err *err)
{
	char origin[AG_CONFIG_STR_MAX + 64];

	if (line != 0)
		snprintf(origin, sizeof(origin), "%s (%s:%u)", key, c->path,
			 line);
	else
		snprintf(origin, sizeof(origin), "%s (default)", key);
	return ag_rules_parse_text(c->rules, text, origin, err);
}

int
ag_config_rules_build(struct ag_config *c, struct ag_err *err)
{
	int rc;

	if ((rc = ag_rules_new(&c->rules)) != AG_OK)
		return ag_err_set(err, rc, "out of memory");
	/* before the Rules file: its DMARC rules see the override */
	if ((rc = ag_config_arc_rules(c, err)) != AG_OK)
		return rc;
	if (c->rules_file[0] != '\0' &&
	    (rc = ag_rules_parse_file(c->rules, c->rules_file, err)) != AG_OK) {
		char why[AG_ERR_MSG_MAX];

		if (rc != AG_ENOENT || err == NULL)
			return rc;
		/* point at the key, not only at the missing file */
		snprintf(why, sizeof(why), "%s", err->msg);
		return ag_err_set(err, AG_EINVAL, "%s:%u: Rules: %.400s",
				  c->path, c->line_rules, why);
	}
	if (c->dmarc_enable && c->dmarc_policy.reject_bad_from &&
	    (rc = shorthand(c, "RejectMultipleFrom", c->line_bad_from,
			    bad_from_rules, err)) != AG_OK)
		return rc;
	if (c->spf_policy.fail_reject &&
	    (rc = shorthand(c, "SPFFailAction", c->line_spf_fail,
			    spf_fail_rules, err)) != AG_OK)
		return rc;
	if (c->spf_policy.temperror_tempfail &&
	    (rc = shorthand(c, "SPFTempErrorAction", c->line_spf_temp,
			    spf_temp_rules, err)) != AG_OK)
		return rc;
	if (c->dmarc_policy.temperror_tempfail &&
	    (rc = shorthand(c, "DMARCTempErrorAction", c->line_dmarc_temp,
			    dmarc_temp_rules, err)) != AG_OK)
		return rc;
	if (c->dmarc_policy.enforce &&
	    (rc = shorthand(c, "DMARCEnforce", c->line_dmarc_enforce,
			    dmarc_enforce_rules, err)) != AG_OK)
		return rc;
	if (ag_rules_count(c->rules) == 0 && c->rules_file[0] == '\0')
		ag_rules_free(&c->rules);	/* nothing to evaluate */
	return AG_OK;
}

void
ag_config_rules_free(struct ag_config *c)
{
	ag_rules_free(&c->rules);
}
