/*
 * milter/config_dmarc.c - the DMARC keys of authgate.conf
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "milter/config_int.h"

static int
k_dmarc(struct ag_config *c, const struct ag_conf_where *w, const char *v,
	struct ag_err *err)
{
	return ag_config_bool(&c->dmarc_enable, w, "DMARC", v, err);
}

static int
k_discovery(struct ag_config *c, const struct ag_conf_where *w,
	    const char *v, struct ag_err *err)
{
	if (strcasecmp(v, "psl") == 0)
		c->dmarc_env.discovery = AG_DMARC_DISC_PSL;
	else if (strcasecmp(v, "treewalk") == 0)
		c->dmarc_env.discovery = AG_DMARC_DISC_TREEWALK;
	else
		return ag_err_set(err, AG_EINVAL, "%s:%u: DMARCDiscovery: "
				  "\"%s\" is not psl or treewalk", w->file,
				  w->line, v);
	return AG_OK;
}

static int
k_psl(struct ag_config *c, const struct ag_conf_where *w, const char *v,
      struct ag_err *err)
{
	c->psl_line = w->line;
	return ag_config_copy(c->psl_file, sizeof(c->psl_file), w,
			      "PublicSuffixList", v, err);
}

static int
k_reject_multiple_from(struct ag_config *c, const struct ag_conf_where *w,
		       const char *v, struct ag_err *err)
{
	c->line_bad_from = w->line;
	return ag_config_bool(&c->dmarc_policy.reject_bad_from, w,
			  "RejectMultipleFrom", v, err);
}

static int
k_enforce(struct ag_config *c, const struct ag_conf_where *w, const char *v,
	  struct ag_err *err)
{
	c->line_dmarc_enforce = w->line;
	return ag_config_bool(&c->dmarc_policy.enforce, w, "DMARCEnforce", v, err);
}

static int
k_temperror(struct ag_config *c, const struct ag_conf_where *w,
	    const char *v, struct ag_err *err)
{
	c->line_dmarc_temp = w->line;
	if (strcasecmp(v, "accept") == 0)
		c->dmarc_policy.temperror_tempfail = false;
	else if (strcasecmp(v, "tempfail") == 0)
		c->dmarc_policy.temperror_tempfail = true;
	else
		return ag_err_set(err, AG_EINVAL, "%s:%u: "
				  "DMARCTempErrorAction: \"%s\" is not accept "
				  "or tempfail", w->file, w->line, v);
	return AG_OK;
}

static int
k_state_dir(struct ag_config *c, const struct ag_conf_where *w,
	    const char *v, struct ag_err *err)
{
	if (strlen(v) >= sizeof(c->state_dir) - 32)
		return ag_err_set(err, AG_EINVAL, "%s:%u: StateDir: path too "
				  "long", w->file, w->line);
	memcpy(c->state_dir, v, strlen(v) + 1);
	return AG_OK;
}

static int
k_history_db(struct ag_config *c, const struct ag_conf_where *w,
	     const char *v, struct ag_err *err)
{
	return ag_config_copy(c->history_db, sizeof(c->history_db), w,
			      "HistoryDB", v, err);
}

static int
k_history_queue(struct ag_config *c, const struct ag_conf_where *w,
		const char *v, struct ag_err *err)
{
	unsigned long n;

	if (ag_conf_uint(v, 1, 1000000, &n) != 0)
		return ag_err_set(err, AG_EINVAL, "%s:%u: HistoryQueue: \"%s\" "
				  "is not a number from 1 to 1000000",
				  w->file, w->line, v);
	c->history_opts.queue_max = (unsigned)n;
	return AG_OK;
}

/* k_report - a key of authgate-report (report/config.c checks it); the
 * milter only accepts it so both read one file */
static int
k_report(struct ag_config *c, const struct ag_conf_where *w, const char *v,
	 struct ag_err *err)
{
	(void)c;
	(void)v;
	(void)w;
	(void)err;
	return AG_OK;
}

const struct config_key ag_config_dmarc_keys[] = {
	{ "StateDir", k_state_dir },
	{ "HistoryDB", k_history_db },
	{ "HistoryQueue", k_history_queue },
	{ "DMARC", k_dmarc },
	{ "DMARCDiscovery", k_discovery },
	{ "PublicSuffixList", k_psl },
	{ "RejectMultipleFrom", k_reject_multiple_from },
	{ "DMARCEnforce", k_enforce },
	{ "DMARCTempErrorAction", k_temperror },
	{ "ReportOrgName", k_report },
	{ "ReportEmail", k_report },
	{ "ReportExtraContact", k_report },
	{ "ReportFormat", k_report },
	{ "ReportSendmail", k_report },
	{ "ReportSMTP", k_report },
};
const unsigned ag_config_dmarc_nkeys =
	sizeof(ag_config_dmarc_keys) / sizeof(ag_config_dmarc_keys[0]);

void
ag_config_dmarc_defaults(struct ag_config *c)
{
	c->dmarc_enable = true;
	c->dmarc_env.discovery = AG_DMARC_DISC_PSL;
	c->dmarc_policy.reject_bad_from = true;
	c->dmarc_policy.enforce = false;
	c->dmarc_policy.temperror_tempfail = false;
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/authgate");
	ag_history_opts_defaults(&c->history_opts);
}

int
ag_config_dmarc_build(struct ag_config *c, struct ag_err *err)
{
	struct ag_err perr = { 0, "" };

	if (!c->dmarc_enable)
		return AG_OK;
	if (ag_psl_open(&c->psl, c->psl_file[0] != '\0' ? c->psl_file : NULL,
			&perr) != AG_OK) {
		if (c->psl_file[0] != '\0')
			return ag_err_set(err, AG_EINVAL, "%s:%u: "
					  "PublicSuffixList: %s",
					  c->path, c->psl_line,
					  perr.msg);
		return ag_err_set(err, AG_EINVAL, "%s", perr.msg);
	}
	c->dmarc_env.dns = c->dns;
	c->dmarc_env.psl = c->psl;
	/* HistoryDB: default a file under StateDir; "none" turns it off */
	if (strcasecmp(c->history_db, "none") == 0)
		c->history_db[0] = '\0';
	else if (c->history_db[0] == '\0')
		snprintf(c->history_db, sizeof(c->history_db),
			 "%.990s/history.sqlite", c->state_dir);
	snprintf(c->history_opts.reporter, sizeof(c->history_opts.reporter),
		 "%.127s", c->authserv_id);
	return AG_OK;
}

void
ag_config_dmarc_free(struct ag_config *c)
{
	ag_psl_free(&c->psl);
}
