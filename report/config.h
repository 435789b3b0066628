/*
 * report/config.h - what authgate-report reads from authgate.conf: the
 * history store, DNS, and the Report* keys (the milter accepts and
 * ignores those). Other keys are the milter's and are skipped here.
 * Use:     ag_report_config_defaults(), then ag_report_config_load().
 * Errors:  "file:line: Key: what is wrong" in err.
 */
#ifndef AG_REPORT_CONFIG_H
#define AG_REPORT_CONFIG_H

#include "dmarc/feedback.h"
#include "util/conffile.h"
#include "util/dns.h"
#include "util/err.h"

struct ag_report_config {
	char state_dir[1024];
	char history_db[1024];	/* "" until loaded: StateDir/history.sqlite */
	char authserv_id[256];	/* AuthservID: the report's Submitter */
	char org_name[256];	/* ReportOrgName; default AuthservID */
	char email[256];	/* ReportEmail; default
				 * noreply-dmarc@AuthservID */
	char extra_contact[512]; /* ReportExtraContact */
	enum ag_fb_format format; /* ReportFormat rfc7489 | dmarcbis */
	char sendmail[512];	/* ReportSendmail, default /usr/sbin/sendmail */
	char smtp[256];		/* ReportSMTP host:port; set: SMTP, not
				 * sendmail */
	char psl_file[1024];	/* PublicSuffixList */
	struct ag_dns_config dns;
	char ns_text[AG_DNS_MAX_NS][64];
};

void ag_report_config_defaults(struct ag_report_config *c);

/* ag_report_config_load - read path (AG_ENOENT when missing); fills in
 * the defaults that depend on other keys */
int ag_report_config_load(struct ag_report_config *c, const char *path,
			  struct ag_err *err) AG_MUST_CHECK;

#endif
