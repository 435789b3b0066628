/*
 * report/config.c - authgate-report's view of authgate.conf
 */
#include "report/config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void
ag_report_config_defaults(struct ag_report_config *c)
{
	char host[256] = "localhost";

	memset(c, 0, sizeof(*c));
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/authgate");
	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "localhost");
	snprintf(c->authserv_id, sizeof(c->authserv_id), "%s", host);
	snprintf(c->sendmail, sizeof(c->sendmail), "/usr/sbin/sendmail");
	c->format = AG_FB_RFC7489;
	ag_dns_config_defaults(&c->dns);
}

/* copy - a value into a fixed field, or the file:line error */
static int
copy(char *dst, size_t size, const struct ag_conf_where *w, const char *key,
     const char *v, struct ag_err *err)
{
	if (strlen(v) >= size)
		return ag_err_set(err, AG_EINVAL, "%s:%u: %s: value too long",
				  w->file, w->line, key);
	memcpy(dst, v, strlen(v) + 1);
	return AG_OK;
}

static int
ns_item(void *arg, const struct ag_conf_where *w, const char *item,
	struct ag_err *err)
{
	struct ag_report_config *c = arg;

	if (c->dns.n_nameservers >= AG_DNS_MAX_NS)
		return ag_err_set(err, AG_EINVAL, "%s:%u: Nameservers: more "
				  "than %d", w->file, w->line, AG_DNS_MAX_NS);
	if (strlen(item) >= sizeof(c->ns_text[0]) ||
	    !ag_dns_nameserver_valid(item))
		return ag_err_set(err, AG_EINVAL, "%s:%u: Nameservers: \"%s\" "
				  "is not address[:port]", w->file, w->line,
				  item);
	memcpy(c->ns_text[c->dns.n_nameservers], item, strlen(item) + 1);
	c->dns.nameservers[c->dns.n_nameservers] =
		c->ns_text[c->dns.n_nameservers];
	c->dns.n_nameservers++;
	return AG_OK;
}

/* addr_ok - a plain address for a From: field: local@domain, no spaces
 * or header-breaking characters */
static int
addr_ok(const char *v)
{
	const char *at = strchr(v, '@');

	if (at == NULL || at == v || at[1] == '\0' || strchr(at + 1, '@'))
		return 0;
	return strpbrk(v, " \t\r\n<>,;\"") == NULL;
}

static int
setting(void *arg, const struct ag_conf_where *w, const char *key,
	const char *v, struct ag_err *err)
{
	struct ag_report_config *c = arg;
	unsigned long ms;

	if (strcasecmp(key, "StateDir") == 0)
		return copy(c->state_dir, sizeof(c->state_dir), w, key, v, err);
	if (strcasecmp(key, "HistoryDB") == 0)
		return copy(c->history_db, sizeof(c->history_db), w, key, v,
			    err);
	if (strcasecmp(key, "AuthservID") == 0)
		return copy(c->authserv_id, sizeof(c->authserv_id), w, key, v,
			    err);
	if (strcasecmp(key, "PublicSuffixList") == 0)
		return copy(c->psl_file, sizeof(c->psl_file), w, key, v, err);
	if (strcasecmp(key, "Nameservers") == 0)
		return ag_conflist_parse(v, w, ns_item, c, err);
	if (strcasecmp(key, "DNSTimeout") == 0) {
		if (ag_conf_duration_ms(v, 60000, &ms) != 0 || ms == 0)
			return ag_err_set(err, AG_EINVAL, "%s:%u: DNSTimeout: "
					  "\"%s\" is not a duration from 1ms "
					  "to 60s", w->file, w->line, v);
		c->dns.timeout_ms = (unsigned)ms;
		return AG_OK;
	}
	if (strcasecmp(key, "ReportOrgName") == 0) {
		if (strpbrk(v, "\r\n") != NULL)
			return ag_err_set(err, AG_EINVAL, "%s:%u: %s: control "
					  "characters", w->file, w->line, key);
		return copy(c->org_name, sizeof(c->org_name), w, key, v, err);
	}
	if (strcasecmp(key, "ReportEmail") == 0) {
		if (!addr_ok(v))
			return ag_err_set(err, AG_EINVAL, "%s:%u: ReportEmail: "
					  "\"%s\" is not a plain address "
					  "local@domain", w->file, w->line, v);
		return copy(c->email, sizeof(c->email), w, key, v, err);
	}
	if (strcasecmp(key, "ReportExtraContact") == 0)
		return copy(c->extra_contact, sizeof(c->extra_contact), w, key,
			    v, err);
	if (strcasecmp(key, "ReportFormat") == 0) {
		if (strcasecmp(v, "rfc7489") == 0)
			c->format = AG_FB_RFC7489;
		else if (strcasecmp(v, "dmarcbis") == 0)
			c->format = AG_FB_DMARCBIS;
		else
			return ag_err_set(err, AG_EINVAL, "%s:%u: ReportFormat: "
					  "\"%s\" is not rfc7489 or dmarcbis",
					  w->file, w->line, v);
		return AG_OK;
	}
	if (strcasecmp(key, "ReportSendmail") == 0) {
		if (v[0] != '/')
			return ag_err_set(err, AG_EINVAL, "%s:%u: "
					  "ReportSendmail: \"%s\" is not an "
					  "absolute path", w->file, w->line, v);
		return copy(c->sendmail, sizeof(c->sendmail), w, key, v, err);
	}
	if (strcasecmp(key, "ReportSMTP") == 0) {
		const char *colon = strrchr(v, ':');

		if (colon == NULL || colon == v || colon[1] == '\0' ||
		    strspn(colon + 1, "0123456789") != strlen(colon + 1))
			return ag_err_set(err, AG_EINVAL, "%s:%u: ReportSMTP: "
					  "\"%s\" is not host:port", w->file,
					  w->line, v);
		return copy(c->smtp, sizeof(c->smtp), w, key, v, err);
	}
	return AG_OK;	/* a milter key */
}

int
ag_report_config_load(struct ag_report_config *c, const char *path,
		      struct ag_err *err)
{
	int rc = ag_conffile_parse(path, setting, c, err);

	if (rc != AG_OK)
		return rc;
	if (c->history_db[0] == '\0')
		snprintf(c->history_db, sizeof(c->history_db),
			 "%.990s/history.sqlite", c->state_dir);
	if (c->org_name[0] == '\0')
		snprintf(c->org_name, sizeof(c->org_name), "%s",
			 c->authserv_id);
	if (c->email[0] == '\0')
		snprintf(c->email, sizeof(c->email), "noreply-dmarc@%.200s",
			 c->authserv_id);
	return AG_OK;
}
