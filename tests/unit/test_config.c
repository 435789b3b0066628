/*
 * tests/unit/test_config.c - milter/config: loading authgate.conf into a
 * snapshot, the defaults, and one error per bad key that names
 * "<file>:<line>:" and the key, so an operator can fix it at once.
 *
 * Each table row is one labelled case; a failure prints
 * "case <label>: got <x>, want <y>" and the test fails after the table.
 * Files are written with mkstemp() under $TMPDIR (or /tmp) and removed.
 * The users "nobody" and "daemon" exist on every Debian system.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "milter/config.h"
#include "policy/authres.h"

#define PATH_MAX_T 512
#define TEXT_MAX 16384

/* tmp_write - write text to a new temporary file, its name into path_r */
static void
tmp_write(const char *text, char *path_r, size_t size)
{
	const char *dir = getenv("TMPDIR");
	size_t len = strlen(text);
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(path_r, size, "%s/ag_config_XXXXXX", dir);
	fd = mkstemp(path_r);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* subst - copy text into out with every "@LIST@" replaced by list */
static void
subst(const char *text, const char *list, char *out, size_t size)
{
	size_t o = 0;

	while (*text != '\0' && o + 1 < size) {
		if (list != NULL && strncmp(text, "@LIST@", 6) == 0) {
			o += (size_t)snprintf(out + o, size - o, "%s", list);
			text += 6;
		} else {
			out[o++] = *text++;
		}
	}
	out[o < size ? o : size - 1] = '\0';
}

/* load_text - write conf (and list, when given) and load it */
static int
load_text(const char *conf, const char *list, char *conf_path,
	  char *list_path, struct ag_config **cfg_r, struct ag_err *err)
{
	char text[TEXT_MAX];
	int rc;

	list_path[0] = '\0';
	if (list != NULL)
		tmp_write(list, list_path, PATH_MAX_T);
	subst(conf, list_path, text, sizeof(text));
	tmp_write(text, conf_path, PATH_MAX_T);
	memset(err, 0, sizeof(*err));
	rc = ag_config_load(conf_path, cfg_r, err);
	unlink(conf_path);
	if (list_path[0] != '\0')
		unlink(list_path);
	return rc;
}

/* ------------------------------------------------------------------ */
/* a valid configuration                                               */

static const char full_conf[] =
	"# every key, none at its default\n"
	"Socket            unix:/run/authgate/a#b.sock   # '#' in a value\n"
	"SocketMode        0640\n"
	"SocketGroup       daemon\n"
	"User              nobody\n"
	"PidFile           /run/authgate/authgate.pid\n"
	"ShutdownTimeout   10s\n"
	"\n"
	"LogLevel          debug\n"
	"Syslog            no\n"
	"SyslogFacility    local3\n"
	"LogStderr         yes\n"
	"\r\n"
	"AuthservID        mx.example.com\r\n"
	"InternalHosts     10.0.0.0/8, 192.168.1.0/24 2001:db8::/32\n"
	"OnInternalError   accept\n"
	"Nameservers       127.0.0.1:5353, [::1]:53 192.0.2.53\n"
	"DNSTimeout        500ms\n"
	"DNSRetries        3\n"
	"DNSCacheSize      100\n"
	"DNSCacheMaxTTL    3600s\n"
	"SPFCheckHelo      no\n"
	"SPFFailAction     reject\n"
	"SPFTempErrorAction tempfail\n"
	"SPFMaxLookups     20\n"
	"SPFMaxVoidLookups 3\n"
	"SPFReceiver       rcv.example.com\n";

/* check_* - one finding each; return 1 and print when it is wrong */
static int
check_str(const char *label, const char *what, const char *got,
	  const char *want)
{
	if (strcmp(got, want) == 0)
		return 0;
	print_error("case %s: got %s '%s', want '%s'\n", label, what, got,
		    want);
	return 1;
}

static int
check_num(const char *label, const char *what, unsigned long got,
	  unsigned long want)
{
	if (got == want)
		return 0;
	print_error("case %s: got %s %lu, want %lu\n", label, what, got, want);
	return 1;
}

struct host_case {
	const char *addr;
	bool want;
};

static int
check_hosts(const char *label, const struct ag_cidr *set,
	    const struct host_case *hc, size_t n)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		bool got = ag_cidr_match_text(set, hc[i].addr);
		if (got != hc[i].want) {
			print_error("case %s: got internal(%s) %d, want %d\n",
				    label, hc[i].addr, got, hc[i].want);
			bad = 1;
		}
	}
	return bad;
}

static void
test_config_full_file_sets_every_field(void **state)
{
	static const struct host_case hosts[] = {
		{ "10.1.2.3", true },	   { "192.168.1.200", true },
		{ "2001:db8::25", true },  { "::ffff:10.9.9.9", true },
		{ "192.168.2.1", false },  { "127.0.0.1", false },
		{ "::1", false },	   { "2001:db9::1", false },
	};
	const char *L = "full file";
	char conf[PATH_MAX_T], list[PATH_MAX_T];
	struct ag_config *c = NULL;
	struct ag_err err;
	unsigned bad = 0;
	int rc;

	(void)state;
	rc = load_text(full_conf, NULL, conf, list, &c, &err);
	if (rc != AG_OK || c == NULL)
		fail_msg("case %s: got rc %d '%s', want 0", L, rc, err.msg);
	bad += check_str(L, "path", c->path, conf);
	bad += check_str(L, "socket", c->socket, "unix:/run/authgate/a#b.sock");
	bad += check_num(L, "socket_mode", c->socket_mode, 0640);
	bad += check_str(L, "socket_group", c->socket_group, "daemon");
	bad += check_str(L, "user", c->user, "nobody");
	bad += check_str(L, "pidfile", c->pidfile,
			 "/run/authgate/authgate.pid");
	bad += check_num(L, "shutdown_timeout_s", c->shutdown_timeout_s, 10);
	bad += check_num(L, "log_level", c->log_level, AG_LOG_DEBUG);
	bad += check_num(L, "log_syslog", c->log_syslog, 0);
	bad += check_num(L, "log_facility", (unsigned long)c->log_facility,
			 LOG_LOCAL3);
	bad += check_num(L, "log_stderr", c->log_stderr, 1);
	bad += check_str(L, "authserv_id", c->authserv_id, "mx.example.com");
	bad += check_hosts(L, c->internal_hosts, hosts,
			   sizeof(hosts) / sizeof(hosts[0]));
	bad += check_num(L, "on_error_accept", c->on_error_accept, 1);
	bad += check_num(L, "n_nameservers", c->dns_cfg.n_nameservers, 3);
	if (c->dns_cfg.n_nameservers == 3) {
		bad += check_str(L, "nameserver 0", c->dns_cfg.nameservers[0],
				 "127.0.0.1:5353");
		bad += check_str(L, "nameserver 1", c->dns_cfg.nameservers[1],
				 "[::1]:53");
		bad += check_str(L, "nameserver 2", c->dns_cfg.nameservers[2],
				 "192.0.2.53");
	}
	bad += check_num(L, "dns timeout_ms", c->dns_cfg.timeout_ms, 500);
	bad += check_num(L, "dns retries", c->dns_cfg.retries, 3);
	bad += check_num(L, "dns cache_entries", c->dns_cfg.cache_entries, 100);
	bad += check_num(L, "dns ttl_cap", c->dns_cfg.ttl_cap, 3600);
	bad += check_num(L, "spf_check_helo", c->spf_check_helo, 0);
	bad += check_num(L, "fail_reject",
			 (unsigned long)c->spf_policy.fail_reject, 1);
	bad += check_num(L, "temperror_tempfail",
			 (unsigned long)c->spf_policy.temperror_tempfail, 1);
	bad += check_num(L, "spf max_dns_mech", c->spf_cfg.max_dns_mech, 20);
	bad += check_num(L, "spf max_void", c->spf_cfg.max_void, 3);
	bad += check_str(L, "spf_receiver", c->spf_receiver, "rcv.example.com");
	bad += check_num(L, "resolver built", c->dns != NULL, 1);
	bad += check_num(L, "spf checker built", c->spf != NULL, 1);
	bad += check_num(L, "refs", atomic_load(&c->refs), 1);
	ag_config_unref(&c);
	assert_null(c);
	assert_int_equal(bad, 0);
}

static void
test_config_defaults_when_keys_absent(void **state)
{
	static const struct host_case hosts[] = {
		{ "127.0.0.1", true },	  { "127.255.0.9", true },
		{ "::1", true },	  { "::ffff:127.0.0.1", true },
		{ "10.0.0.1", false },	  { "::2", false },
		{ "128.0.0.1", false },
	};
	static const char *const texts[] = {
		"", "# only comments\n\n   # and blanks\n",
	};
	unsigned bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const char *L = i == 0 ? "empty file" : "comments only";
		char conf[PATH_MAX_T], list[PATH_MAX_T];
		struct ag_config *c = NULL;
		struct ag_err err;
		int rc = load_text(texts[i], NULL, conf, list, &c, &err);

		if (rc != AG_OK || c == NULL)
			fail_msg("case %s: got rc %d '%s', want 0", L, rc,
				 err.msg);
		bad += check_str(L, "socket", c->socket, "inet:8891@127.0.0.1");
		bad += check_num(L, "socket_mode", c->socket_mode, 0660);
		bad += check_str(L, "socket_group", c->socket_group, "");
		bad += check_str(L, "user", c->user, "");
		bad += check_str(L, "pidfile", c->pidfile, "");
		bad += check_num(L, "shutdown_timeout_s", c->shutdown_timeout_s,
				 30);
		bad += check_num(L, "log_level", c->log_level, AG_LOG_INFO);
		bad += check_num(L, "log_syslog", c->log_syslog, 1);
		bad += check_num(L, "log_facility",
				 (unsigned long)c->log_facility, LOG_MAIL);
		bad += check_num(L, "log_stderr", c->log_stderr, 0);
		bad += check_num(L, "authserv_id valid",
				 ag_authres_valid_servid(c->authserv_id), 1);
		bad += check_hosts(L, c->internal_hosts, hosts,
				   sizeof(hosts) / sizeof(hosts[0]));
		bad += check_num(L, "on_error_accept", c->on_error_accept, 0);
		bad += check_num(L, "n_nameservers", c->dns_cfg.n_nameservers,
				 0);
		bad += check_num(L, "dns timeout_ms", c->dns_cfg.timeout_ms,
				 5000);
		bad += check_num(L, "dns retries", c->dns_cfg.retries, 2);
		bad += check_num(L, "dns cache_entries",
				 c->dns_cfg.cache_entries, 10000);
		bad += check_num(L, "dns ttl_cap", c->dns_cfg.ttl_cap, 86400);
		bad += check_num(L, "spf_check_helo", c->spf_check_helo, 1);
		bad += check_num(L, "fail_reject",
				 (unsigned long)c->spf_policy.fail_reject, 0);
		bad += check_num(
			L, "temperror_tempfail",
			(unsigned long)c->spf_policy.temperror_tempfail, 0);
		bad += check_num(L, "spf max_dns_mech", c->spf_cfg.max_dns_mech,
				 10);
		bad += check_num(L, "spf max_void", c->spf_cfg.max_void, 2);
		bad += check_str(L, "spf_receiver", c->spf_receiver, "");
		bad += check_num(L, "resolver built", c->dns != NULL, 1);
		bad += check_num(L, "spf checker built", c->spf != NULL, 1);
		ag_config_unref(&c);
	}
	assert_int_equal(bad, 0);
}

/* ------------------------------------------------------------------ */
/* one key at a time: values that must load                            */

struct good_case {
	const char *label;
	const char *conf;
	const char *list;	/* content of @LIST@, or NULL */
	const char *what;	/* the field checked */
	unsigned long want;
};

/* good_field - the value of the field named by what, as a number */
static unsigned long
good_field(const struct ag_config *c, const char *what)
{
	if (strcmp(what, "dns_timeout_ms") == 0)
		return c->dns_cfg.timeout_ms;
	if (strcmp(what, "dns_retries") == 0)
		return c->dns_cfg.retries;
	if (strcmp(what, "socket_mode") == 0)
		return c->socket_mode;
	if (strcmp(what, "on_error_accept") == 0)
		return c->on_error_accept;
	if (strcmp(what, "fail_reject") == 0)
		return (unsigned long)c->spf_policy.fail_reject;
	if (strcmp(what, "temperror_tempfail") == 0)
		return (unsigned long)c->spf_policy.temperror_tempfail;
	if (strcmp(what, "log_level") == 0)
		return c->log_level;
	if (strcmp(what, "n_nameservers") == 0)
		return c->dns_cfg.n_nameservers;
	if (strcmp(what, "internal 10.1.1.1") == 0)
		return ag_cidr_match_text(c->internal_hosts, "10.1.1.1");
	if (strcmp(what, "internal 127.0.0.1") == 0)
		return ag_cidr_match_text(c->internal_hosts, "127.0.0.1");
	if (strcmp(what, "internal 2001:db8::1") == 0)
		return ag_cidr_match_text(c->internal_hosts, "2001:db8::1");
	if (strcmp(what, "shutdown_timeout_s") == 0)
		return c->shutdown_timeout_s;
	if (strcmp(what, "dmarc_enable") == 0)
		return c->dmarc_enable;
	if (strcmp(what, "dmarc_discovery") == 0)
		return c->dmarc_env.discovery;
	if (strcmp(what, "dmarc_enforce") == 0)
		return c->dmarc_policy.enforce;
	if (strcmp(what, "dmarc_temperror_tempfail") == 0)
		return c->dmarc_policy.temperror_tempfail;
	if (strcmp(what, "reject_bad_from") == 0)
		return c->dmarc_policy.reject_bad_from;
	if (strcmp(what, "psl loaded") == 0)
		return c->psl != NULL;
	if (strcmp(what, "rules") == 0)
		return c->rules != NULL ? ag_rules_count(c->rules) : 0;
	if (strcmp(what, "body_window") == 0)
		return c->body_window;
	if (strcmp(what, "arc_verify") == 0)
		return c->arc_verify;
	if (strcmp(what, "n_arc_trusted") == 0)
		return c->n_arc_trusted;
	if (strncmp(what, "arc trusted ", 12) == 0)
		return ag_config_arc_trusted(c, what + 12);
	if (strcmp(what, "arc sealing") == 0)
		return c->arc_key != NULL;
	fail_msg("no field %s", what);
	return 0;
}

static const struct good_case good_cases[] = {
	{ "DNSTimeout bare seconds", "DNSTimeout 2\n", NULL, "dns_timeout_ms",
	  2000 },
	{ "DNSTimeout 500ms", "DNSTimeout 500ms\n", NULL, "dns_timeout_ms",
	  500 },
	{ "DNSTimeout 1ms", "DNSTimeout 1ms\n", NULL, "dns_timeout_ms", 1 },
	{ "DNSTimeout 60s", "DNSTimeout 60s\n", NULL, "dns_timeout_ms",
	  60000 },
	{ "DNSTimeout 1m", "DNSTimeout 1m\n", NULL, "dns_timeout_ms", 60000 },
	{ "DNSRetries 0", "DNSRetries 0\n", NULL, "dns_retries", 0 },
	{ "DNSRetries 10", "DNSRetries 10\n", NULL, "dns_retries", 10 },
	{ "SocketMode 0600", "SocketMode 0600\n", NULL, "socket_mode", 0600 },
	{ "SocketMode without leading 0", "SocketMode 660\n", NULL,
	  "socket_mode", 0660 },
	{ "OnInternalError tempfail", "OnInternalError tempfail\n", NULL,
	  "on_error_accept", 0 },
	{ "OnInternalError upper case", "OnInternalError ACCEPT\n", NULL,
	  "on_error_accept", 1 },
	{ "SPFFailAction mark", "SPFFailAction mark\n", NULL, "fail_reject",
	  0 },
	{ "SPFTempErrorAction accept", "SPFTempErrorAction accept\n", NULL,
	  "temperror_tempfail", 0 },
	{ "LogLevel warning", "LogLevel warning\n", NULL, "log_level",
	  AG_LOG_WARNING },
	{ "key names without regard to case", "loglevel ERROR\n", NULL,
	  "log_level", AG_LOG_ERR },
	{ "Nameservers eight", "Nameservers 1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 "
	  "5.5.5.5 6.6.6.6 7.7.7.7 8.8.8.8\n", NULL, "n_nameservers", 8 },
	{ "Nameservers v6 bare", "Nameservers ::1\n", NULL, "n_nameservers",
	  1 },
	{ "InternalHosts replaces the default", "InternalHosts 10.0.0.0/8\n",
	  NULL, "internal 127.0.0.1", 0 },
	{ "InternalHosts inline", "InternalHosts 10.0.0.0/8,::1\n", NULL,
	  "internal 10.1.1.1", 1 },
	{ "InternalHosts from a file: list", "InternalHosts file:@LIST@\n",
	  "# site networks\n\n10.0.0.0/8\n2001:db8::/32  # lab\r\n", NULL,
	  0 },
	{ "ShutdownTimeout rounds up", "ShutdownTimeout 1500ms\n", NULL,
	  "shutdown_timeout_s", 2 },
	{ "DMARC on by default, the system PSL loaded", "LogLevel info\n",
	  NULL, "psl loaded", 1 },
	{ "DMARC no", "DMARC no\n", NULL, "dmarc_enable", 0 },
	{ "defaults: the RejectMultipleFrom rule only", "LogLevel info\n",
	  NULL, "rules", 1 },
	{ "shorthand keys compile to rules",
	  "SPFFailAction reject\nSPFTempErrorAction tempfail\n"
	  "DMARCEnforce yes\nDMARCTempErrorAction tempfail\n", NULL, "rules",
	  7 },
	{ "no rules at all", "RejectMultipleFrom no\n", NULL, "rules", 0 },
	{ "Rules file before the shorthands", "Rules @LIST@\n",
	  "rule a { score 1 }\nrule b { tag }\n", "rules", 3 },
	{ "BodyScanWindow 1M", "BodyScanWindow 1M\n", NULL, "body_window",
	  1048576 },
	{ "BodyScanWindow default", "LogLevel info\n", NULL, "body_window",
	  262144 },
	{ "DMARCDiscovery treewalk", "DMARCDiscovery TreeWalk\n", NULL,
	  "dmarc_discovery", AG_DMARC_DISC_TREEWALK },
	{ "DMARCEnforce off by default", "LogLevel info\n", NULL,
	  "dmarc_enforce", 0 },
	{ "DMARCEnforce yes", "DMARCEnforce yes\n", NULL, "dmarc_enforce", 1 },
	{ "DMARCTempErrorAction tempfail", "DMARCTempErrorAction tempfail\n",
	  NULL, "dmarc_temperror_tempfail", 1 },
	{ "RejectMultipleFrom on by default", "LogLevel info\n", NULL,
	  "reject_bad_from", 1 },
	{ "RejectMultipleFrom no", "RejectMultipleFrom no\n", NULL,
	  "reject_bad_from", 0 },
	{ "PublicSuffixList from a file", "PublicSuffixList @LIST@\n",
	  "example\nco.example\n", "psl loaded", 1 },
	{ "ARCVerify on by default", "LogLevel info\n", NULL, "arc_verify",
	  1 },
	{ "ARCVerify no", "ARCVerify no\n", NULL, "arc_verify", 0 },
	{ "no sealing by default", "LogLevel info\n", NULL, "arc sealing",
	  0 },
	{ "ARCTrustedSealers inline", "ARCTrustedSealers a.example, b.example\n",
	  NULL, "n_arc_trusted", 2 },
	{ "ARCTrustedSealers from a file: list",
	  "ARCTrustedSealers file:@LIST@\n",
	  "# lists we trust\nlists.example.org\n\nfwd.example.net\n"
	  "mx.example.com\n", "n_arc_trusted", 3 },
	{ "ARCTrustedSealers any case, final dot",
	  "ARCTrustedSealers Lists.Example.ORG.\n", NULL,
	  "arc trusted LISTS.example.org", 1 },
	{ "ARCTrustedSealers exact: not a subdomain",
	  "ARCTrustedSealers example.org\n", NULL,
	  "arc trusted lists.example.org", 0 },
	{ "ARCTrustedSealers compiles one rule",
	  "ARCTrustedSealers example.org\nRejectMultipleFrom no\n", NULL,
	  "rules", 1 },
	{ "no ARCTrustedSealers: no rule", "RejectMultipleFrom no\n", NULL,
	  "rules", 0 },
};

static void
test_config_values_that_load(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]);
	     i++) {
		const struct good_case *g = &good_cases[i];
		char conf[PATH_MAX_T], list[PATH_MAX_T];
		struct ag_config *c = NULL;
		struct ag_err err;
		int rc = load_text(g->conf, g->list, conf, list, &c, &err);

		if (rc != AG_OK) {
			print_error("case %s: got rc %d '%s', want 0\n",
				    g->label, rc, err.msg);
			failed++;
			continue;
		}
		if (g->what == NULL) {
			/* the file: row: entries from the list, not default */
			static const struct host_case hc[] = {
				{ "10.200.0.1", true },
				{ "2001:db8:5::1", true },
				{ "127.0.0.1", false },
			};
			failed += (unsigned)check_hosts(g->label,
							c->internal_hosts, hc,
							sizeof(hc) /
								sizeof(hc[0]));
		} else {
			failed += (unsigned)check_num(g->label, g->what,
						      good_field(c, g->what),
						      g->want);
		}
		ag_config_unref(&c);
	}
	assert_int_equal(failed, 0);
}

/* ------------------------------------------------------------------ */
/* errors: "<file>:<line>: ..." naming the key                         */

struct err_case {
	const char *label;
	const char *conf;
	const char *list;	/* content of @LIST@, or NULL */
	bool in_list;		/* error names the list file, not conf */
	unsigned line;
	const char *key;	/* must appear in the message */
	const char *extra;	/* must appear too, or NULL */
};

static const struct err_case err_cases[] = {
	{ "unknown key", "Socket inet:1@localhost\nSockett unix:/x\n", NULL,
	  false, 2, "Sockett", "unknown key" },
	{ "DMARCDiscovery bad", "LogLevel info\nDMARCDiscovery dns\n", NULL,
	  false, 2, "DMARCDiscovery", "psl or treewalk" },
	{ "BodyScanWindow too small", "BodyScanWindow 10\n", NULL, false, 1,
	  "BodyScanWindow", "between 1K and 64M" },
	{ "Rules missing file", "LogLevel info\nRules /nonexistent/rules\n",
	  NULL, false, 2, "Rules", "/nonexistent/rules" },
	{ "Rules syntax error names file:line:column", "Rules @LIST@\n",
	  "# rules\nrule x { if nothing }\n", true, 2, "unknown fact",
	  ":2:13:" },
	{ "ARCTrustedSealers not a domain",
	  "LogLevel info\nARCTrustedSealers good.example, bad_domain!\n",
	  NULL, false, 2, "ARCTrustedSealers", "bad_domain!" },
	{ "ARCTrustedSealers list file bad entry",
	  "ARCTrustedSealers file:@LIST@\n", "# ours\nok.example\nbad..example\n",
	  true, 3, "ARCTrustedSealers", "bad..example" },
	{ "ARCSealDomain without ARCSealKey",
	  "ARCSealDomain example.com\nARCSealSelector s1\n", NULL, false, 2,
	  "ARCSealDomain", "ARCSealKey is missing" },
	{ "ARCSealKey without the others", "\n\nARCSealKey /x/k.pem\n", NULL,
	  false, 3, "ARCSealKey", "ARCSealDomain is missing" },
	{ "ARCSealKey missing file",
	  "ARCSealDomain example.com\nARCSealSelector s1\n"
	  "ARCSealKey /nonexistent/arc.pem\n", NULL, false, 3, "ARCSealKey",
	  "/nonexistent/arc.pem" },
	{ "ARCSealDomain with ARCVerify no",
	  "ARCSealDomain example.com\nARCSealSelector s1\n"
	  "ARCSealKey /nonexistent/arc.pem\nARCVerify no\n", NULL, false, 1,
	  "ARCSealDomain", "ARCVerify yes" },
	{ "ARCTrustedSealers with ARCVerify no",
	  "ARCVerify no\n\nARCTrustedSealers lists.example.org\n", NULL,
	  false, 3, "ARCTrustedSealers", "ARCVerify yes" },
	{ "ARCSealDomain not a domain", "ARCSealDomain exa mple.com\n", NULL,
	  false, 1, "ARCSealDomain", "exa mple.com" },
	{ "ARCSealHeaders refuses ARC-Seal", "ARCSealHeaders From, ARC-Seal\n",
	  NULL, false, 1, "ARCSealHeaders", "ARC-Seal" },
	{ "ARCSealHeaders refuses Authentication-Results",
	  "ARCSealHeaders From Authentication-Results\n", NULL, false, 1,
	  "ARCSealHeaders", "Authentication-Results" },
	{ "ARCSealHeaders without sealing",
	  "LogLevel info\nARCSealHeaders From, Subject\n", NULL, false, 2,
	  "ARCSealHeaders", "without ARCSealDomain" },
	{ "ARCVerify bad", "ARCVerify perhaps\n", NULL, false, 1, "ARCVerify",
	  "yes or no" },
	{ "DMARCEnforce bad", "DMARCEnforce maybe\n", NULL, false, 1,
	  "DMARCEnforce", "yes or no" },
	{ "DMARCTempErrorAction bad", "DMARCTempErrorAction reject\n", NULL,
	  false, 1, "DMARCTempErrorAction", "accept or tempfail" },
	{ "PublicSuffixList missing file", "\nPublicSuffixList /nonexistent/psl\n",
	  NULL, false, 2, "PublicSuffixList", "/nonexistent/psl" },
	{ "duplicate key", "Socket unix:/a\n# again\nSocket unix:/b\n", NULL,
	  false, 3, "Socket", "already set at line 1" },
	{ "duplicate key in other case", "User nobody\n\nuser daemon\n",
	  NULL, false, 3, "User", "already set at line 1" },
	{ "duplicate key with empty value", "DNSRetries 1\nDNSRetries\n",
	  NULL, false, 2, "DNSRetries", "already set at line 1" },
	{ "bad key syntax", "Socket=unix:/x\n", NULL, false, 1, "Key value",
	  NULL },
	{ "Socket without scheme", "Socket /run/a.sock\n", NULL, false, 1,
	  "Socket", "/run/a.sock" },
	{ "Socket port 0", "Socket inet:0@127.0.0.1\n", NULL, false, 1,
	  "Socket", NULL },
	{ "Socket without host", "Socket inet:8891\n", NULL, false, 1,
	  "Socket", NULL },
	{ "Socket unix without path", "Socket unix:\n", NULL, false, 1,
	  "Socket", NULL },
	{ "SocketMode not octal", "SocketMode 999\n", NULL, false, 1,
	  "SocketMode", "999" },
	{ "SocketMode sticky bit", "SocketMode 1777\n", NULL, false, 1,
	  "SocketMode", NULL },
	{ "SocketMode symbolic", "SocketMode rw-rw----\n", NULL, false, 1,
	  "SocketMode", NULL },
	{ "SocketMode negative", "SocketMode -1\n", NULL, false, 1,
	  "SocketMode", NULL },
	{ "unknown User", "User no-such-user-authgate-test\n", NULL, false, 1,
	  "User", "no-such-user-authgate-test" },
	{ "unknown SocketGroup", "SocketGroup no-such-group-ag-test\n", NULL,
	  false, 1, "SocketGroup", NULL },
	{ "InternalHosts garbage entry",
	  "# nets\nInternalHosts 10.0.0.0/8, bogus\n", NULL, false, 2,
	  "InternalHosts", "bogus" },
	{ "InternalHosts host bits", "InternalHosts 192.168.1.1/24\n", NULL,
	  false, 1, "InternalHosts", "192.168.1.1/24" },
	{ "InternalHosts v6 host bits", "InternalHosts ::1, 2001:db8::1/64\n",
	  NULL, false, 1, "InternalHosts", "2001:db8::1/64" },
	{ "InternalHosts prefix too long", "InternalHosts 10.0.0.0/33\n", NULL,
	  false, 1, "InternalHosts", NULL },
	{ "InternalHosts list file bad entry", "InternalHosts file:@LIST@\n",
	  "# ours\n10.0.0.0/8\n\n10.0.0.1/8\n", true, 4, "InternalHosts",
	  "10.0.0.1/8" },
	{ "InternalHosts list file garbage", "\n\nInternalHosts file:@LIST@\n",
	  "::1\nnot-a-network\n", true, 2, "InternalHosts", "not-a-network" },
	{ "Nameservers host name", "Nameservers localhost\n", NULL, false, 1,
	  "Nameservers", "localhost" },
	{ "Nameservers too many",
	  "Nameservers 1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 5.5.5.5 6.6.6.6 "
	  "7.7.7.7 8.8.8.8 9.9.9.9\n", NULL, false, 1, "Nameservers", NULL },
	{ "Nameservers hex word", "Nameservers abc\n", NULL, false, 1,
	  "Nameservers", "abc" },
	{ "Nameservers octet 999", "Nameservers 999.1.1.1\n", NULL, false, 1,
	  "Nameservers", "999.1.1.1" },
	{ "Nameservers port too big", "\nNameservers 127.0.0.1:99999\n", NULL,
	  false, 2, "Nameservers", "99999" },
	{ "Nameservers unclosed bracket", "Nameservers [::1:53\n", NULL, false,
	  1, "Nameservers", NULL },
	{ "DNSTimeout 0", "DNSTimeout 0\n", NULL, false, 1, "DNSTimeout",
	  NULL },
	{ "DNSTimeout 0ms", "DNSTimeout 0ms\n", NULL, false, 1, "DNSTimeout",
	  NULL },
	{ "DNSTimeout 61s", "DNSTimeout 61s\n", NULL, false, 1, "DNSTimeout",
	  "61s" },
	{ "DNSTimeout abc", "DNSTimeout abc\n", NULL, false, 1, "DNSTimeout",
	  "abc" },
	{ "DNSTimeout hours", "DNSTimeout 1h\n", NULL, false, 1, "DNSTimeout",
	  NULL },
	{ "DNSRetries 11", "DNSRetries 11\n", NULL, false, 1, "DNSRetries",
	  "11" },
	{ "DNSRetries negative", "DNSRetries -1\n", NULL, false, 1,
	  "DNSRetries", NULL },
	{ "DNSRetries word", "DNSRetries two\n", NULL, false, 1, "DNSRetries",
	  NULL },
	{ "OnInternalError reject", "OnInternalError reject\n", NULL, false, 1,
	  "OnInternalError", "reject" },
	{ "SPFFailAction tempfail", "SPFFailAction tempfail\n", NULL, false, 1,
	  "SPFFailAction", "tempfail" },
	{ "SPFFailAction yes", "SPFFailAction yes\n", NULL, false, 1,
	  "SPFFailAction", NULL },
	{ "SPFTempErrorAction reject", "SPFTempErrorAction reject\n", NULL,
	  false, 1, "SPFTempErrorAction", NULL },
	{ "LogLevel verbose", "LogLevel verbose\n", NULL, false, 1, "LogLevel",
	  "verbose" },
	{ "Syslog maybe", "Syslog maybe\n", NULL, false, 1, "Syslog", NULL },
	{ "SyslogFacility kern", "SyslogFacility kern\n", NULL, false, 1,
	  "SyslogFacility", NULL },
	{ "AuthservID with space", "AuthservID mx example\n", NULL, false, 1,
	  "AuthservID", NULL },
	{ "AuthservID with semicolon", "AuthservID mx;spf=pass\n", NULL, false,
	  1, "AuthservID", NULL },
	{ "ShutdownTimeout hours", "ShutdownTimeout 2h\n", NULL, false, 1,
	  "ShutdownTimeout", NULL },
	{ "SPFMaxLookups 0", "SPFMaxLookups 0\n", NULL, false, 1,
	  "SPFMaxLookups", NULL },
	{ "DNSCacheSize negative", "DNSCacheSize -1\n", NULL, false, 1,
	  "DNSCacheSize", NULL },
	{ "missing value", "User\n", NULL, false, 1, "User", "missing value" },
	{ "missing value before comment", "# x\nSocket    # later\n", NULL,
	  false, 2, "Socket", "missing value" },
	{ "missing value with CRLF", "LogLevel\r\n", NULL, false, 1,
	  "LogLevel", "missing value" },
	{ "error after good lines",
	  "Socket unix:/a\nUser nobody\n# c\n\nDNSRetries 99\n", NULL, false, 5,
	  "DNSRetries", "99" },
};

/* err_run - load one bad file; returns 1 on failure */
static int
err_run(const struct err_case *e)
{
	char conf[PATH_MAX_T], list[PATH_MAX_T], want[PATH_MAX_T + 16];
	struct ag_config *c = NULL;
	struct ag_err err;
	int rc = load_text(e->conf, e->list, conf, list, &c, &err);
	int bad = 0;

	/* "file:line: " or, for the rules language, "file:line:column: " */
	snprintf(want, sizeof(want), "%s:%u:", e->in_list ? list : conf,
		 e->line);
	if (rc == AG_OK || c != NULL) {
		print_error("case %s: got rc %d (loaded), want an error\n",
			    e->label, rc);
		ag_config_unref(&c);
		return 1;
	}
	if (err.code != rc || strncmp(err.msg, want, strlen(want)) != 0) {
		print_error("case %s: got '%s' (code %d, rc %d), want prefix "
			    "'%s'\n", e->label, err.msg, err.code, rc, want);
		bad = 1;
	}
	if (strstr(err.msg, e->key) == NULL ||
	    (e->extra != NULL && strstr(err.msg, e->extra) == NULL)) {
		print_error("case %s: got '%s', want it to mention '%s'%s%s\n",
			    e->label, err.msg, e->key,
			    e->extra != NULL ? " and " : "",
			    e->extra != NULL ? e->extra : "");
		bad = 1;
	}
	return bad;
}

static void
test_config_errors_name_file_line_and_key(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++)
		failed += (unsigned)err_run(&err_cases[i]);
	assert_int_equal(failed, 0);
}

static void
test_config_missing_files(void **state)
{
	char conf[PATH_MAX_T], list[PATH_MAX_T], unused[PATH_MAX_T],
		text[PATH_MAX_T + 64], want[PATH_MAX_T + 16];
	struct ag_config *c = NULL;
	struct ag_err err;
	unsigned failed = 0;
	int rc;

	(void)state;
	/* the configuration file itself */
	tmp_write("", conf, sizeof(conf));
	unlink(conf);
	memset(&err, 0, sizeof(err));
	rc = ag_config_load(conf, &c, &err);
	snprintf(want, sizeof(want), "%s: ", conf);
	if (rc != AG_ENOENT || c != NULL ||
	    strncmp(err.msg, want, strlen(want)) != 0) {
		print_error("case missing config file: got rc %d '%s', want "
			    "%d with prefix '%s'\n", rc, err.msg, AG_ENOENT,
			    want);
		failed++;
	}
	ag_config_unref(&c);

	/* a file: list that is not there: the config line is named */
	tmp_write("", list, sizeof(list));
	unlink(list);
	snprintf(text, sizeof(text), "# nets\nInternalHosts file:%s\n", list);
	rc = load_text(text, NULL, conf, unused, &c, &err);
	snprintf(want, sizeof(want), "%s:2: ", conf);
	if (rc != AG_ENOENT || c != NULL ||
	    strncmp(err.msg, want, strlen(want)) != 0 ||
	    strstr(err.msg, list) == NULL) {
		print_error("case missing list file: got rc %d '%s', want %d "
			    "with prefix '%s' naming %s\n", rc, err.msg,
			    AG_ENOENT, want, list);
		failed++;
	}
	ag_config_unref(&c);
	assert_int_equal(failed, 0);
}

/* the example shipped in conf/, with a user every system has */
static void
test_config_shipped_example_loads(void **state)
{
	char text[TEXT_MAX], conf[PATH_MAX_T], list[PATH_MAX_T];
	struct ag_config *c = NULL;
	struct ag_err err;
	size_t n;
	char *user;
	FILE *fp;
	int rc;

	(void)state;
	fp = fopen("conf/authgate.conf", "r");
	if (fp == NULL)
		skip();		/* run from outside the source tree */
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	assert_true(n < sizeof(text) - 1);
	/* "User\t\t\tauthgate" -> "User nobody" (same line, same numbering) */
	user = strstr(text, "\nUser");
	assert_non_null(user);
	user += 5;
	assert_int_equal(strncmp(user + strspn(user, " \t"), "authgate", 8), 0);
	memcpy(user + strspn(user, " \t"), "nobody  ", 8);
	rc = load_text(text, NULL, conf, list, &c, &err);
	if (rc != AG_OK)
		fail_msg("case shipped example: got rc %d '%s', want 0", rc,
			 err.msg);
	if (strcmp(c->socket, "inet:8891@127.0.0.1") != 0 ||
	    !ag_cidr_match_text(c->internal_hosts, "::1"))
		fail_msg("case shipped example: got socket '%s', want "
			 "inet:8891@127.0.0.1 and ::1 internal", c->socket);
	ag_config_unref(&c);
}

static void
test_config_refcount(void **state)
{
	char conf[PATH_MAX_T], list[PATH_MAX_T];
	struct ag_config *c = NULL, *second, *third;
	struct ag_err err;

	(void)state;
	assert_int_equal(load_text("", NULL, conf, list, &c, &err), AG_OK);
	second = ag_config_ref(c);
	third = ag_config_ref(c);
	if (second != c || third != c || atomic_load(&c->refs) != 3)
		fail_msg("case ref: got refs %u, want 3 and the same pointer",
			 atomic_load(&c->refs));
	ag_config_unref(&second);
	ag_config_unref(&third);
	if (second != NULL || third != NULL || atomic_load(&c->refs) != 1)
		fail_msg("case unref: got refs %u, want 1 and cleared "
			 "pointers", atomic_load(&c->refs));
	ag_config_unref(&c);	/* the last: frees (ASan checks) */
	assert_null(c);
	ag_config_unref(&c);	/* NULL: nothing */
	ag_config_unref(NULL);
}

struct sock_case {
	const char *label;
	const char *spec;
	bool want;
};

static void
test_config_socket_valid(void **state)
{
	static const struct sock_case cases[] = {
		{ "unix path", "unix:/run/authgate/authgate.sock", true },
		{ "local path", "local:/run/a.sock", true },
		{ "unix relative path", "unix:var/a.sock", true },
		{ "inet v4", "inet:8891@127.0.0.1", true },
		{ "inet host name", "inet:8891@localhost", true },
		{ "inet port 1", "inet:1@127.0.0.1", true },
		{ "inet port 65535", "inet:65535@127.0.0.1", true },
		{ "inet6", "inet6:8891@::1", true },
		{ "empty", "", false },
		{ "bare path", "/run/a.sock", false },
		{ "unix without path", "unix:", false },
		{ "local without path", "local:", false },
		{ "inet without port", "inet:@127.0.0.1", false },
		{ "inet without host", "inet:8891@", false },
		{ "inet without at", "inet:8891", false },
		{ "inet port 0", "inet:0@127.0.0.1", false },
		{ "inet port 65536", "inet:65536@127.0.0.1", false },
		{ "inet port huge", "inet:99999999999999999999@h", false },
		{ "inet port letters", "inet:http@127.0.0.1", false },
		{ "inet port plus", "inet:+8891@127.0.0.1", false },
		{ "inet port negative", "inet:-1@127.0.0.1", false },
		{ "inet port space", "inet: 8891@127.0.0.1", false },
		{ "inet port junk", "inet:88x91@127.0.0.1", false },
		{ "inet6 without host", "inet6:8891@", false },
		{ "inet6 port 0", "inet6:0@::1", false },
		{ "unknown scheme", "tcp:8891@127.0.0.1", false },
		{ "upper-case scheme", "INET:8891@127.0.0.1", false },
	};
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = ag_config_socket_valid(cases[i].spec);

		if (got != cases[i].want) {
			print_error("case %s: got %d, want %d\n",
				    cases[i].label, got, cases[i].want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_full_file_sets_every_field),
		cmocka_unit_test(test_config_defaults_when_keys_absent),
		cmocka_unit_test(test_config_values_that_load),
		cmocka_unit_test(test_config_errors_name_file_line_and_key),
		cmocka_unit_test(test_config_missing_files),
		cmocka_unit_test(test_config_shipped_example_loads),
		cmocka_unit_test(test_config_refcount),
		cmocka_unit_test(test_config_socket_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
