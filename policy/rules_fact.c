/*
 * policy/rules_fact.c - the facts a rule can test, by name
 */
#include "policy/rules_int.h"

#include <stdio.h>
#include <string.h>

const struct factdef ag_rules_facts[] = {
	{ "client.ip", F_CLIENT_IP, FK_ADDRESS, false, SC_NONE, 0,
	  "SMTP client address" },
	{ "client.name", F_CLIENT_NAME, FK_DOMAIN, false, SC_NONE, 0,
	  "client host name as the MTA verified it" },
	{ "client.iprev", F_CLIENT_IPREV, FK_STRING, false, SC_NONE,
	  AG_NEED_IPREV, "forward-confirmed reverse DNS (RFC 8601 iprev)" },
	{ "client.internal", F_CLIENT_INTERNAL, FK_BOOL, false, SC_NONE, 0,
	  "client is in InternalHosts" },
	{ "helo", F_HELO, FK_DOMAIN, false, SC_NONE, 0, "HELO/EHLO name" },
	{ "tls", F_TLS, FK_BOOL, false, SC_NONE, 0, "STARTTLS was used" },
	{ "tls.version", F_TLS_VERSION, FK_STRING, false, SC_NONE, 0,
	  "TLS protocol version" },
	{ "tls.cipher", F_TLS_CIPHER, FK_STRING, false, SC_NONE, 0,
	  "TLS cipher" },
	{ "auth", F_AUTH, FK_BOOL, false, SC_NONE, 0,
	  "client authenticated (SMTP AUTH)" },
	{ "auth.user", F_AUTH_USER, FK_STRING, false, SC_NONE, 0,
	  "SMTP AUTH user name" },
	{ "env.from", F_ENV_FROM, FK_STRING, false, SC_NONE, 0,
	  "MAIL FROM address" },
	{ "env.from.domain", F_ENV_FROM_DOMAIN, FK_DOMAIN, false, SC_NONE, 0,
	  "MAIL FROM domain" },
	{ "env.rcpt", F_ENV_RCPT, FK_STRING, false, SC_NONE, 0,
	  "each RCPT TO address" },
	{ "env.rcpt.domain", F_ENV_RCPT_DOMAIN, FK_DOMAIN, false, SC_NONE, 0,
	  "each RCPT TO domain" },
	{ "rcpt.count", F_RCPT_COUNT, FK_NUMBER, false, SC_NONE, 0,
	  "number of recipients" },
	{ "from.address", F_FROM_ADDRESS, FK_STRING, false, SC_NONE, 0,
	  "each header From address" },
	{ "from.domain", F_FROM_DOMAIN, FK_DOMAIN, false, SC_NONE, 0,
	  "each header From domain" },
	{ "from.name", F_FROM_NAME, FK_STRING, false, SC_NONE, 0,
	  "each header From display name (decoded)" },
	{ "from.count", F_FROM_COUNT, FK_NUMBER, false, SC_NONE, 0,
	  "number of From header fields" },
	{ "from.problem", F_FROM_PROBLEM, FK_STRING, false, SC_NONE, 0,
	  "why From gives no single author domain, or empty" },
	{ "header", F_HEADER, FK_STRING, true, SC_NONE, 0,
	  "each field of that name, RFC 2047 decoded, unfolded" },
	{ "header.raw", F_HEADER_RAW, FK_STRING, true, SC_NONE, 0,
	  "each field of that name as received" },
	{ "header.count", F_HEADER_COUNT, FK_NUMBER, true, SC_NONE, 0,
	  "number of fields of that name" },
	{ "subject", F_SUBJECT, FK_STRING, false, SC_NONE, 0,
	  "Subject, decoded" },
	{ "size", F_SIZE, FK_NUMBER, false, SC_NONE, 0,
	  "message size in bytes" },
	{ "body", F_BODY, FK_STRING, false, SC_NONE, AG_NEED_BODY,
	  "decoded text parts within the scan window" },
	{ "attachment.name", F_ATT_NAME, FK_STRING, false, SC_ATTACHMENT,
	  AG_NEED_BODY, "each attachment's file name" },
	{ "attachment.type", F_ATT_TYPE, FK_STRING, false, SC_ATTACHMENT,
	  AG_NEED_BODY, "each attachment's MIME type" },
	{ "attachment.count", F_ATT_COUNT, FK_NUMBER, false, SC_NONE,
	  AG_NEED_BODY, "number of attachments" },
	{ "mime.type", F_MIME_TYPE, FK_STRING, false, SC_NONE, AG_NEED_BODY,
	  "each MIME part's type" },
	{ "spf.mailfrom", F_SPF_MAILFROM, FK_STRING, false, SC_NONE, 0,
	  "SPF result for MAIL FROM" },
	{ "spf.helo", F_SPF_HELO, FK_STRING, false, SC_NONE, 0,
	  "SPF result for HELO" },
	{ "spf.domain", F_SPF_DOMAIN, FK_DOMAIN, false, SC_NONE, 0,
	  "domain SPF checked" },
	{ "spf.explanation", F_SPF_EXPLANATION, FK_STRING, false, SC_NONE, 0,
	  "SPF exp= text of a fail" },
	{ "dkim.result", F_DKIM_RESULT, FK_STRING, false, SC_DKIM, 0,
	  "each DKIM signature's result" },
	{ "dkim.domain", F_DKIM_DOMAIN, FK_DOMAIN, false, SC_DKIM, 0,
	  "each DKIM signature's d=" },
	{ "dkim.selector", F_DKIM_SELECTOR, FK_STRING, false, SC_DKIM, 0,
	  "each DKIM signature's s=" },
	{ "dkim.aligned", F_DKIM_ALIGNED, FK_BOOL, false, SC_DKIM, 0,
	  "a DKIM signature's d= aligns with From" },
	{ "dkim.length", F_DKIM_LENGTH, FK_BOOL, false, SC_DKIM, 0,
	  "a DKIM signature has l=" },
	{ "dkim.count", F_DKIM_COUNT, FK_NUMBER, false, SC_NONE, 0,
	  "number of DKIM signatures" },
	{ "dmarc.result", F_DMARC_RESULT, FK_STRING, false, SC_NONE, 0,
	  "DMARC result" },
	{ "dmarc.policy", F_DMARC_POLICY, FK_STRING, false, SC_NONE, 0,
	  "published policy that applied (p, sp or np)" },
	{ "dmarc.disposition", F_DMARC_DISPOSITION, FK_STRING, false,
	  SC_NONE, 0, "policy to apply after pct and t=" },
	{ "dmarc.domain", F_DMARC_DOMAIN, FK_DOMAIN, false, SC_NONE, 0,
	  "author domain evaluated" },
	{ "dmarc.org", F_DMARC_ORG, FK_DOMAIN, false, SC_NONE, 0,
	  "its organizational domain" },
	{ "dmarc.override", F_DMARC_OVERRIDE, FK_STRING, false, SC_NONE, 0,
	  "reason given by an earlier dmarc-override" },
	{ "arc.result", F_ARC_RESULT, FK_STRING, false, SC_NONE, 0,
	  "ARC chain validation (RFC 8617): none, pass, fail" },
	{ "arc.sealer", F_ARC_SEALER, FK_DOMAIN, false, SC_NONE, 0,
	  "d= of the newest ARC-Seal (the hop that handed us the message)" },
	{ "arc.sealers", F_ARC_SEALERS, FK_DOMAIN, false, SC_NONE, 0,
	  "each ARC-Seal d=, newest first" },
	{ "arc.trusted", F_ARC_TRUSTED, FK_BOOL, false, SC_NONE, 0,
	  "arc.result is pass and arc.sealer is in ARCTrustedSealers" },
	{ "dnsbl", F_DNSBL, FK_STRING, true, SC_NONE, AG_NEED_DNSBL,
	  "codes a declared DNS list answered" },
	{ "score", F_SCORE, FK_NUMBER, false, SC_NONE, 0,
	  "score of the rules matched so far" },
};

const unsigned ag_rules_nfacts = sizeof(ag_rules_facts) /
				 sizeof(ag_rules_facts[0]);

static const char *const scope_prefix[] = {
	[SC_NONE] = "", [SC_DKIM] = "dkim.", [SC_ATTACHMENT] = "attachment.",
};

const struct factdef *
ag_rules_fact_find(const char *name, enum fact_scope scope)
{
	char full[64];

	for (unsigned i = 0; i < ag_rules_nfacts; i++)
		if (strcmp(ag_rules_facts[i].name, name) == 0)
			return &ag_rules_facts[i];
	if (scope == SC_NONE)
		return NULL;
	snprintf(full, sizeof(full), "%s%s", scope_prefix[scope], name);
	for (unsigned i = 0; i < ag_rules_nfacts; i++)
		if (strcmp(ag_rules_facts[i].name, full) == 0)
			return &ag_rules_facts[i];
	return NULL;
}
