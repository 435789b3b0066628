/*
 * milter/config.c - load and validate authgate.conf into a snapshot
 *
 * Every key is one row of config_keys[]: its name and a setter that
 * validates the value and names file:line on error. A key given twice is
 * an error, so a forgotten older line cannot silently win.
 */
#include "milter/config.h"

#include <ctype.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "milter/config_int.h"
#include "milter/metrics.h"
#include "policy/authres.h"
#include "util/conffile.h"

struct config_load {
	struct ag_config *cfg;
	unsigned seen_line[128];	/* per key row (config_keys[], then
				 * ag_config_dkim_keys[]): line set, 0 none */
};

int
ag_config_copy(char *dst, size_t size, const struct ag_conf_where *w,
	    const char *key, const char *v, struct ag_err *err)
{
	if (strlen(v) >= size)
		return ag_err_set(err, AG_EINVAL, "%s:%u: %s: value too long "
				  "(at most %zu bytes)", w->file, w->line,
				  key, size - 1);
	memcpy(dst, v, strlen(v) + 1);
	return AG_OK;
}

static int
k_socket(struct ag_config *c, const struct ag_conf_where *w, const char *v,
	 struct ag_err *err)
{
	if (!ag_config_socket_valid(v))
		return ag_err_set(err, AG_EINVAL, "%s:%u: Socket: \"%s\" is "
				  "not unix:/path, inet:PORT@HOST or "
				  "inet6:PORT@HOST", w->file, w->line, v);
	return ag_config_copy(c->socket, sizeof(c->socket), w, "Socket", v, err);
}

static int
k_socket_mode(struct ag_config *c, const struct ag_conf_where *w,
	      const char *v, struct ag_err *err)
{
	char *end;
	unsigned long m = strtoul(v, &end, 8);

	if (!isdigit((unsigned char)*v) || *end != '\0' || m > 0777)
		return ag_err_set(err, AG_EINVAL, "%s:%u: SocketMode: \"%s\" "
				  "is not an octal mode like 0660", w->file,
				  w->line, v);
	c->socket_mode = (mode_t)m;
	return AG_OK;
}

static int
k_socket_group(struct ag_config *c, const struct ag_conf_where *w,
	       const char *v, struct ag_err *err)
{
	if (getgrnam(v) == NULL)
		return ag_err_set(err, AG_EINVAL, "%s:%u: SocketGroup: no "
				  "group \"%s\"", w->file, w->line, v);
	return ag_config_copy(c->socket_group, sizeof(c->socket_group), w,
			   "SocketGroup", v, err);
}

static int
k_user(struct ag_config *c, const struct ag_conf_where *w, const char *v,
       struct ag_err *err)
{
	if (getpwnam(v) == NULL)
		return ag_err_set(err, AG_EINVAL, "%s:%u: User: no user \"%s\"",
				  w->file, w->line, v);
	return ag_config_copy(c->user, sizeof(c->user), w, "User", v, err);
}

static int
k_pidfile(struct ag_config *c, const struct ag_conf_where *w, const char *v,
	  struct ag_err *err)
{
	return ag_config_copy(c->pidfile, sizeof(c->pidfile), w, "PidFile", v,
			   err);
}

static int
k_metrics_listen(struct ag_config *c, const struct ag_conf_where *w,
		 const char *v, struct ag_err *err)
{
	struct ag_err why = { 0, "" };

	if (ag_metrics_check_listen(v, &why) != AG_OK)
		return ag_err_set(err, AG_EINVAL, "%s:%u: %s", w->file,
				  w->line, why.msg);
	return ag_config_copy(c->metrics_listen, sizeof(c->metrics_listen),
			      w, "MetricsListen", v, err);
}

static int
k_shutdown_timeout(struct ag_config *c, const struct ag_conf_where *w,
		   const char *v, struct ag_err *err)
{
	unsigned long ms;

	if (ag_conf_duration_ms(v, 3600000UL, &ms) != 0)
		return ag_err_set(err, AG_EINVAL, "%s:%u: ShutdownTimeout: "
				  "\"%s\" is not a duration up to 1h", w->file,
				  w->line, v);
	c->shutdown_timeout_s = (unsigned)((ms + 999) / 1000);
	return AG_OK;
}

static int
k_milter_timeout(struct ag_config *c, const struct ag_conf_where *w,
		 const char *v, struct ag_err *err)
{
	unsigned long ms;

	if (ag_conf_duration_ms(v, 86400000UL, &ms) != 0 || ms < 1000)
		return ag_err_set(err, AG_EINVAL, "%s:%u: MilterTimeout: "
				  "\"%s\" is not a duration from 1s to 1d",
				  w->file, w->line, v);
	c->milter_timeout_s = (unsigned)((ms + 999) / 1000);
	return AG_OK;
}

static int
k_log_level(struct ag_config *c, const struct ag_conf_where *w,
	    const char *v, struct ag_err *err)
{
	if (ag_log_level_parse(v, &c->log_level) != 0)
		return ag_err_set(err, AG_EINVAL, "%s:%u: LogLevel: \"%s\" is "
				  "not error, warning, notice, info or debug",
				  w->file, w->line, v);
	return AG_OK;
}

int
ag_config_bool(bool *dst, const struct ag_conf_where *w, const char *key,
	    const char *v, struct ag_err *err)
{
	int b;

	if (ag_conf_bool(v, &b) != 0)
		return ag_err_set(err, AG_EINVAL, "%s:%u: %s: \"%s\" is not "
				  "yes or no", w->file, w->line, key, v);
	*dst = b != 0;
	return AG_OK;
}

static int
k_syslog(struct ag_config *c, const struct ag_conf_where *w, const char *v,
	 struct ag_err *err)
{
	return ag_config_bool(&c->log_syslog, w, "Syslog", v, err);
}

static int
k_log_stderr(struct ag_config *c, const struct ag_conf_where *w,
	     const char *v, struct ag_err *err)
{
	return ag_config_bool(&c->log_stderr, w, "LogStderr", v, err);
}

static int
k_syslog_facility(struct ag_config *c, const struct ag_conf_where *w,
		  const char *v, struct ag_err *err)
{
	if (ag_log_facility_parse(v, &c->log_facility) != 0)
		return ag_err_set(err, AG_EINVAL, "%s:%u: SyslogFacility: "
				  "\"%s\" is not mail, daemon or local0-7",
				  w->file, w->line, v);
	return AG_OK;
}

static int
k_authserv_id(struct ag_config *c, const struct ag_conf_where *w,
	      const char *v, struct ag_err *err)
{
	if (!ag_authres_valid_servid(v))
		return ag_err_set(err, AG_EINVAL, "%s:%u: AuthservID: \"%s\" "
				  "is not a valid RFC 8601 authserv-id token",
				  w->file, w->line, v);
	return ag_config_copy(c->authserv_id, sizeof(c->authserv_id), w,
			   "AuthservID", v, err);
}

/* config_cidr_item - add one InternalHosts entry */
static int
config_cidr_item(void *arg, const struct ag_conf_where *w, const char *item,
		 struct ag_err *err)
{
	struct ag_config *c = arg;
	int rc = ag_cidr_add(c->internal_hosts, item);

	if (rc == AG_EINVAL)
		return ag_err_set(err, rc, "%s:%u: InternalHosts: \"%s\" is "
				  "not an address or network (addr/len, no "
				  "host bits)", w->file, w->line, item);
	if (rc != AG_OK)
		return ag_err_set(err, rc, "%s:%u: InternalHosts: %s", w->file,
				  w->line, ag_strerror(rc));
	return AG_OK;
}

static int
k_internal_hosts(struct ag_config *c, const struct ag_conf_where *w,
		 const char *v, struct ag_err *err)
{
	ag_cidr_free(&c->internal_hosts);
	if (ag_cidr_new(&c->internal_hosts) != AG_OK)
		return ag_err_set(err, AG_ENOMEM, "out of memory");
	return ag_conflist_parse(v, w, config_cidr_item, c, err);
}

/* config_ns_item - add one nameserver, "addr", "addr:port", "[v6]:port" */
static int
config_ns_item(void *arg, const struct ag_conf_where *w, const char *item,
	       struct ag_err *err)
{
	struct ag_config *c = arg;
	struct ag_dns_config *d = &c->dns_cfg;

	if (d->n_nameservers >= AG_DNS_MAX_NS)
		return ag_err_set(err, AG_EINVAL, "%s:%u: Nameservers: more "
				  "than %d", w->file, w->line, AG_DNS_MAX_NS);
	if (strlen(item) >= sizeof(c->ns_text[0]) ||
	    !ag_dns_nameserver_valid(item))
		return ag_err_set(err, AG_EINVAL, "%s:%u: Nameservers: \"%s\" "
				  "is not address[:port]", w->file, w->line,
				  item);
	memcpy(c->ns_text[d->n_nameservers], item, strlen(item) + 1);
	d->nameservers[d->n_nameservers] = c->ns_text[d->n_nameservers];
	d->n_nameservers++;
	return AG_OK;
}

static int
k_nameservers(struct ag_config *c, const struct ag_conf_where *w,
	      const char *v, struct ag_err *err)
{
	return ag_conflist_parse(v, w, config_ns_item, c, err);
}

static int
k_dns_timeout(struct ag_config *c, const struct ag_conf_where *w,
	      const char *v, struct ag_err *err)
{
	unsigned long ms;

	if (ag_conf_duration_ms(v, 60000, &ms) != 0 || ms == 0)
		return ag_err_set(err, AG_EINVAL, "%s:%u: DNSTimeout: \"%s\" "
				  "is not a duration from 1ms to 60s", w->file,
				  w->line, v);
	c->dns_cfg.timeout_ms = (unsigned)ms;
	return AG_OK;
}

/* config_uint - shared setter body for bounded numbers */
static int
config_uint(unsigned *dst, const struct ag_conf_where *w, const char *key,
	    const char *v, unsigned long min, unsigned long max,
	    struct ag_err *err)
{
	unsigned long n;

	if (ag_conf_uint(v, min, max, &n) != 0)
		return ag_err_set(err, AG_EINVAL, "%s:%u: %s: \"%s\" is not a "
				  "number from %lu to %lu", w->file, w->line,
				  key, v, min, max);
	*dst = (unsigned)n;
	return AG_OK;
}

static int
k_milter_backlog(struct ag_config *c, const struct ag_conf_where *w,
		 const char *v, struct ag_err *err)
{
	return config_uint(&c->milter_backlog, w, "MilterBacklog", v, 1, 65535,
			   err);
}

static int
k_dns_retries(struct ag_config *c, const struct ag_conf_where *w,
	      const char *v, struct ag_err *err)
{
	return config_uint(&c->dns_cfg.retries, w, "DNSRetries", v, 0, 10,
			   err);
}

static int
k_dns_cache_size(struct ag_config *c, const struct ag_conf_where *w,
		 const char *v, struct ag_err *err)
{
	return config_uint(&c->dns_cfg.cache_entries, w, "DNSCacheSize", v, 0,
			   10000000, err);
}

static int
k_dns_cache_max_ttl(struct ag_config *c, const struct ag_conf_where *w,
		    const char *v, struct ag_err *err)
{
	unsigned long ms;

	if (ag_conf_duration_ms(v, 7UL * 86400 * 1000, &ms) != 0)
		return ag_err_set(err, AG_EINVAL, "%s:%u: DNSCacheMaxTTL: "
				  "\"%s\" is not a duration up to 7 days",
				  w->file, w->line, v);
	c->dns_cfg.ttl_cap = (unsigned)(ms / 1000);
	return AG_OK;
}

static int
k_on_internal_error(struct ag_config *c, const struct ag_conf_where *w,
		    const char *v, struct ag_err *err)
{
	if (strcasecmp(v, "tempfail") == 0)
		c->on_error_accept = false;
	else if (strcasecmp(v, "accept") == 0)
		c->on_error_accept = true;
	else
		return ag_err_set(err, AG_EINVAL, "%s:%u: OnInternalError: "
				  "\"%s\" is not tempfail or accept", w->file,
				  w->line, v);
	return AG_OK;
}

static int
k_spf_check_helo(struct ag_config *c, const struct ag_conf_where *w,
		 const char *v, struct ag_err *err)
{
	return ag_config_bool(&c->spf_check_helo, w, "SPFCheckHelo", v, err);
}

static int
k_spf_fail_action(struct ag_config *c, const struct ag_conf_where *w,
		  const char *v, struct ag_err *err)
{
	c->line_spf_fail = w->line;
	if (strcasecmp(v, "mark") == 0)
		c->spf_policy.fail_reject = 0;
	else if (strcasecmp(v, "reject") == 0)
		c->spf_policy.fail_reject = 1;
	else
		return ag_err_set(err, AG_EINVAL, "%s:%u: SPFFailAction: "
				  "\"%s\" is not mark or reject", w->file,
				  w->line, v);
	return AG_OK;
}

static int
k_spf_temperror_action(struct ag_config *c, const struct ag_conf_where *w,
		       const char *v, struct ag_err *err)
{
	c->line_spf_temp = w->line;
	if (strcasecmp(v, "accept") == 0)
		c->spf_policy.temperror_tempfail = 0;
	else if (strcasecmp(v, "tempfail") == 0)
		c->spf_policy.temperror_tempfail = 1;
	else
		return ag_err_set(err, AG_EINVAL, "%s:%u: SPFTempErrorAction: "
				  "\"%s\" is not accept or tempfail", w->file,
				  w->line, v);
	return AG_OK;
}

static int
k_spf_max_lookups(struct ag_config *c, const struct ag_conf_where *w,
		  const char *v, struct ag_err *err)
{
	return config_uint(&c->spf_cfg.max_dns_mech, w, "SPFMaxLookups", v, 1,
			   100, err);
}

static int
k_spf_max_void(struct ag_config *c, const struct ag_conf_where *w,
	       const char *v, struct ag_err *err)
{
	return config_uint(&c->spf_cfg.max_void, w, "SPFMaxVoidLookups", v, 0,
			   100, err);
}

static int
k_spf_receiver(struct ag_config *c, const struct ag_conf_where *w,
	       const char *v, struct ag_err *err)
{
	return ag_config_copy(c->spf_receiver, sizeof(c->spf_receiver), w,
			   "SPFReceiver", v, err);
}

static const struct config_key config_keys[] = {
	{ "Socket", k_socket },
	{ "SocketMode", k_socket_mode },
	{ "SocketGroup", k_socket_group },
	{ "User", k_user },
	{ "PidFile", k_pidfile },
	{ "MetricsListen", k_metrics_listen },
	{ "ShutdownTimeout", k_shutdown_timeout },
	{ "MilterBacklog", k_milter_backlog },
	{ "MilterTimeout", k_milter_timeout },
	{ "LogLevel", k_log_level },
	{ "Syslog", k_syslog },
	{ "SyslogFacility", k_syslog_facility },
	{ "LogStderr", k_log_stderr },
	{ "AuthservID", k_authserv_id },
	{ "InternalHosts", k_internal_hosts },
	{ "OnInternalError", k_on_internal_error },
	{ "Nameservers", k_nameservers },
	{ "DNSTimeout", k_dns_timeout },
	{ "DNSRetries", k_dns_retries },
	{ "DNSCacheSize", k_dns_cache_size },
	{ "DNSCacheMaxTTL", k_dns_cache_max_ttl },
	{ "SPFCheckHelo", k_spf_check_helo },
	{ "SPFFailAction", k_spf_fail_action },
	{ "SPFTempErrorAction", k_spf_temperror_action },
	{ "SPFMaxLookups", k_spf_max_lookups },
	{ "SPFMaxVoidLookups", k_spf_max_void },
	{ "SPFReceiver", k_spf_receiver },
};
#define CONFIG_NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))
_Static_assert(CONFIG_NKEYS + 16 + 16 + 8 + 8 <= 128, "seen_line[] too small");

/* config_find - the row for key and its index across both tables */
static const struct config_key *
config_find(const char *key, unsigned *index_r)
{
	for (unsigned i = 0; i < CONFIG_NKEYS; i++) {
		if (strcasecmp(key, config_keys[i].name) == 0) {
			*index_r = i;
			return &config_keys[i];
		}
	}
	for (unsigned i = 0; i < ag_config_dkim_nkeys; i++) {
		if (strcasecmp(key, ag_config_dkim_keys[i].name) == 0) {
			*index_r = (unsigned)CONFIG_NKEYS + i;
			return &ag_config_dkim_keys[i];
		}
	}
	for (unsigned i = 0; i < ag_config_dmarc_nkeys; i++) {
		if (strcasecmp(key, ag_config_dmarc_keys[i].name) == 0) {
			*index_r = (unsigned)CONFIG_NKEYS +
				   ag_config_dkim_nkeys + i;
			return &ag_config_dmarc_keys[i];
		}
	}
	for (unsigned i = 0; i < ag_config_rules_nkeys; i++) {
		if (strcasecmp(key, ag_config_rules_keys[i].name) == 0) {
			*index_r = (unsigned)CONFIG_NKEYS +
				   ag_config_dkim_nkeys +
				   ag_config_dmarc_nkeys + i;
			return &ag_config_rules_keys[i];
		}
	}
	for (unsigned i = 0; i < ag_config_arc_nkeys; i++) {
		if (strcasecmp(key, ag_config_arc_keys[i].name) == 0) {
			*index_r = (unsigned)CONFIG_NKEYS +
				   ag_config_dkim_nkeys +
				   ag_config_dmarc_nkeys +
				   ag_config_rules_nkeys + i;
			return &ag_config_arc_keys[i];
		}
	}
	return NULL;
}

/* config_setting - dispatch one "Key value" line */
static int
config_setting(void *arg, const struct ag_conf_where *w, const char *key,
	       const char *value, struct ag_err *err)
{
	struct config_load *ld = arg;
	const struct config_key *k;
	unsigned i;

	if ((k = config_find(key, &i)) == NULL)
		return ag_err_set(err, AG_EINVAL, "%s:%u: unknown key \"%s\"",
				  w->file, w->line, key);
	if (ld->seen_line[i] != 0)
		return ag_err_set(err, AG_EINVAL, "%s:%u: %s: already set at "
				  "line %u", w->file, w->line, k->name,
				  ld->seen_line[i]);
	ld->seen_line[i] = w->line;
	if (*value == '\0')
		return ag_err_set(err, AG_EINVAL, "%s:%u: %s: missing value",
				  w->file, w->line, k->name);
	return k->set(ld->cfg, w, value, err);
}

/* config_defaults - every key's default, as conf/authgate.conf lists */
static int
config_defaults(struct ag_config *c)
{
	char host[256] = "localhost";

	atomic_init(&c->refs, 1);
	snprintf(c->socket, sizeof(c->socket), "inet:8891@127.0.0.1");
	c->socket_mode = 0660;
	c->shutdown_timeout_s = 30;
	c->milter_backlog = 256;
	c->milter_timeout_s = 7210;
	c->log_level = AG_LOG_INFO;
	c->log_syslog = true;
	c->log_facility = LOG_MAIL;
	if (gethostname(host, sizeof(host) - 1) != 0 ||
	    !ag_authres_valid_servid(host))
		snprintf(host, sizeof(host), "localhost");
	snprintf(c->authserv_id, sizeof(c->authserv_id), "%s", host);
	ag_dns_config_defaults(&c->dns_cfg);
	c->spf_check_helo = true;
	ag_spf_config_defaults(&c->spf_cfg);
	ag_config_dkim_defaults(c);
	ag_config_dmarc_defaults(c);
	ag_config_rules_defaults(c);
	ag_config_arc_defaults(c);
	if (ag_cidr_new(&c->internal_hosts) != AG_OK ||
	    ag_cidr_add(c->internal_hosts, "127.0.0.0/8") != AG_OK ||
	    ag_cidr_add(c->internal_hosts, "::1") != AG_OK)
		return AG_ENOMEM;
	return AG_OK;
}

/* config_build - create the resolver and the SPF checker */
static int
config_build(struct ag_config *c, struct ag_err *err)
{
	int rc;

	if ((rc = ag_dns_new(&c->dns, &c->dns_cfg, err)) != AG_OK)
		return rc;
	c->spf_cfg.receiver = c->spf_receiver[0] != '\0' ? c->spf_receiver
							 : c->authserv_id;
	if ((rc = ag_spf_new(&c->spf, &c->spf_cfg, c->dns, err)) != AG_OK)
		return rc;
	if ((rc = ag_config_dkim_build(c, err)) != AG_OK)
		return rc;
	if ((rc = ag_config_dmarc_build(c, err)) != AG_OK)
		return rc;
	if ((rc = ag_config_arc_build(c, err)) != AG_OK)
		return rc;
	return ag_config_rules_build(c, err);
}

/* ag_config_load - parse, validate and build one snapshot */
int
ag_config_load(const char *path, struct ag_config **cfg_r,
	       struct ag_err *err)
{
	struct config_load ld;
	struct ag_config *c = NULL;
	int rc;

	memset(&ld, 0, sizeof(ld));
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		rc = ag_err_set(err, AG_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = config_defaults(c)) != AG_OK) {
		ag_err_set(err, rc, "out of memory");
		goto out;
	}
	if (strlen(path) >= sizeof(c->path)) {
		rc = ag_err_set(err, AG_EINVAL, "%s: path too long", path);
		goto out;
	}
	memcpy(c->path, path, strlen(path) + 1);
	ld.cfg = c;
	if ((rc = ag_conffile_parse(path, config_setting, &ld, err)) != AG_OK)
		goto out;
	if ((rc = config_build(c, err)) != AG_OK)
		goto out;
	*cfg_r = c;
	c = NULL;
out:
	if (c != NULL)
		ag_config_unref(&c);
	return rc;
}

struct ag_config *
ag_config_ref(struct ag_config *cfg)
{
	atomic_fetch_add(&cfg->refs, 1);
	return cfg;
}

void
ag_config_unref(struct ag_config **cfg)
{
	struct ag_config *c;

	if (cfg == NULL || *cfg == NULL)
		return;
	c = *cfg;
	*cfg = NULL;
	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	ag_config_dkim_free(c);
	ag_config_dmarc_free(c);
	ag_config_rules_free(c);
	ag_config_arc_free(c);
	ag_spf_free(&c->spf);
	ag_dns_free(&c->dns);
	ag_cidr_free(&c->internal_hosts);
	free(c);
}

/* config_port_host - "PORT@HOST" with a numeric port and a host */
static bool
config_port_host(const char *s)
{
	const char *at = strchr(s, '@');
	char *end;
	unsigned long port;

	if (at == NULL || at == s || at[1] == '\0' ||
	    !isdigit((unsigned char)*s))
		return false;
	port = strtoul(s, &end, 10);
	return end == at && port > 0 && port < 65536;
}

bool
ag_config_socket_valid(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec[5] != '\0';
	if (strncmp(spec, "local:", 6) == 0)
		return spec[6] != '\0';
	if (strncmp(spec, "inet:", 5) == 0)
		return config_port_host(spec + 5);
	if (strncmp(spec, "inet6:", 6) == 0)
		return config_port_host(spec + 6);
	return false;
}
