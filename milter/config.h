/*
 * milter/config.h - authgate's configuration: keys, defaults, snapshot
 * Use:     ag_config_load() reads and validates a file and builds what the
 *          checks need (resolver, SPF checker); the result is one immutable
 *          snapshot. ag_config_ref()/ag_config_unref() count its users; the
 *          last unref frees it. conf/authgate.conf documents every key.
 * Owns:    every string, set and checker it holds.
 * Threads: immutable after load; share freely. The refcount is atomic.
 * Errors:  AG_EINVAL etc. with "file:line: what is wrong" in err.
 */
#ifndef AG_MILTER_CONFIG_H
#define AG_MILTER_CONFIG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#include "arc/arc.h"
#include "dkim/keys.h"
#include "dkim/lib.h"
#include "dkim/sign.h"
#include "dmarc/evaluate.h"
#include "dmarc/history.h"
#include "dmarc/orgdomain.h"
#include "policy/dmarc.h"
#include "policy/rules.h"
#include "spf/spf.h"
#include "util/cidr.h"
#include "util/dns.h"
#include "util/err.h"
#include "util/log.h"

#define AG_CONFIG_STR_MAX 1024
#define AG_CONFIG_ARC_TRUSTED_MAX 10000	/* ARCTrustedSealers domains */

/* the interim keys, compiled into rules (config_rules.c) */
struct ag_policy_spf_config {
	int fail_reject;	/* SPFFailAction reject */
	int temperror_tempfail;	/* SPFTempErrorAction tempfail */
};

struct ag_policy_dmarc_config {
	bool enforce;		/* DMARCEnforce: apply the disposition */
	bool temperror_tempfail; /* DMARCTempErrorAction tempfail */
	bool reject_bad_from;	/* RejectMultipleFrom: no From, several,
				 * or several author domains */
};

struct ag_config {
	atomic_uint refs;
	char path[AG_CONFIG_STR_MAX];

	/* daemon */
	char socket[AG_CONFIG_STR_MAX];
	mode_t socket_mode;
	char socket_group[256];
	char user[256];
	char pidfile[AG_CONFIG_STR_MAX];
	char metrics_listen[128];	/* "" off; loopback only (metrics.h) */
	unsigned shutdown_timeout_s;
	unsigned milter_backlog;	/* listen(2) backlog (smfi_setbacklog) */
	unsigned milter_timeout_s;	/* libmilter's MTA I/O timeout */

	/* logging */
	enum ag_log_level log_level;
	bool log_syslog;
	int log_facility;
	bool log_stderr;

	/* message handling */
	char authserv_id[256];
	struct ag_cidr *internal_hosts;
	bool on_error_accept;	/* OnInternalError accept */

	/* DNS */
	char ns_text[AG_DNS_MAX_NS][128];
	struct ag_dns_config dns_cfg;
	struct ag_dns *dns;

	/* SPF */
	bool spf_check_helo;
	char spf_receiver[256];
	struct ag_spf_config spf_cfg;
	struct ag_spf *spf;
	struct ag_policy_spf_config spf_policy;

	/* DKIM */
	bool dkim_verify;
	struct ag_dkim_lib_config dkim_lib_cfg;
	struct ag_dkim_lib *dkim_lib;
	char dkim_keytable[AG_CONFIG_STR_MAX];
	char dkim_signingtable[AG_CONFIG_STR_MAX];
	char dkim_domain[256];
	char dkim_selector[128];
	char dkim_keyfile[AG_CONFIG_STR_MAX];
	unsigned dkim_line[3];	/* where Domain, Selector, KeyFile were set */
	struct ag_dkim_keys_config dkim_keys_cfg;
	struct ag_dkim_keys *dkim_keys;
	char dkim_hdr_text[2][AG_DKIM_MAX_HDRS][64]; /* sign, oversign */
	const char *dkim_hdrs[2][AG_DKIM_MAX_HDRS];
	struct ag_dkim_sign_config dkim_sign_cfg;

	/* DMARC */
	bool dmarc_enable;
	char psl_file[AG_CONFIG_STR_MAX];
	unsigned psl_line;
	struct ag_psl *psl;
	struct ag_dmarc_env dmarc_env;	/* points at dns and psl */
	struct ag_policy_dmarc_config dmarc_policy;
	char state_dir[AG_CONFIG_STR_MAX];
	char history_db[AG_CONFIG_STR_MAX];	/* "" when off */
	struct ag_history_opts history_opts;

	/* ARC (config_arc.c) */
	bool arc_verify;		/* ARCVerify */
	char (*arc_trusted)[AG_ARC_DOMAIN_MAX];	/* lower case, no final dot */
	unsigned n_arc_trusted, arc_trusted_cap;
	unsigned line_arc_trusted;
	char arc_seal_domain[AG_ARC_DOMAIN_MAX];
	char arc_seal_selector[AG_ARC_SELECTOR_MAX];
	char arc_seal_keyfile[AG_CONFIG_STR_MAX];
	unsigned arc_line[4];	/* Domain, Selector, Key, Headers lines */
	char arc_hdr_text[AG_ARC_SIGN_HDRS_MAX][64];
	const char *arc_hdrs[AG_ARC_SIGN_HDRS_MAX];
	unsigned n_arc_hdrs;
	EVP_PKEY *arc_key;		/* NULL: no sealing */
	struct ag_arc_seal_config arc_seal_cfg;

	/* rules (config_rules.c) */
	char rules_file[AG_CONFIG_STR_MAX];	/* "" when none */
	size_t body_window;		/* BodyScanWindow bytes */
	unsigned line_spf_fail, line_spf_temp;	/* where the shorthand */
	unsigned line_dmarc_enforce, line_dmarc_temp; /* keys were set */
	unsigned line_bad_from, line_rules;
	struct ag_rules *rules;		/* NULL: no rules at all */
};

/*
 * ag_config_load - read path, apply defaults, validate, build the resolver
 * and SPF checker. *cfg_r holds one reference on success.
 */
int ag_config_load(const char *path, struct ag_config **cfg_r,
		   struct ag_err *err) AG_MUST_CHECK;

/* ag_config_ref - take one more reference; returns cfg */
struct ag_config *ag_config_ref(struct ag_config *cfg);

/* ag_config_unref - drop a reference, free on the last; clears *cfg */
void ag_config_unref(struct ag_config **cfg);

/* ag_config_arc_trusted - domain (an ARC-Seal d=) is listed in
 * ARCTrustedSealers; compared without regard to case, exactly (a listed
 * domain does not vouch for its subdomains: each seals with its own d=) */
bool ag_config_arc_trusted(const struct ag_config *cfg, const char *domain);

/* ag_config_socket_valid - "unix:/path", "local:/path", "inet:PORT@HOST",
 * "inet6:PORT@HOST" */
bool ag_config_socket_valid(const char *spec);

#endif
