/*
 * tests/tools/bench_rules.c - what the rule engine costs per message
 *
 * Usage: bench_rules [-n MESSAGES] [-r REGEX_RULES] RULES_FILE
 *
 * Evaluates RULES_FILE (the shipped conf/rules.example, say) against one
 * realistic message (15 header fields, a 16 KB decoded body, two DKIM
 * signatures) MESSAGES times, then the same file plus REGEX_RULES
 * generated regular-expression rules (subject, body, From name, a header),
 * and prints nanoseconds per message for each. For scale, the same run
 * times one RSA-2048 SHA-256 signature verification (OpenSSL), the core
 * of one DKIM verification. A benchmark, not a test: it asserts nothing;
 * compare the figures of one run.
 */
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy/mime.h"
#include "policy/rules.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct ag_fact_header hdr[] = {
	{ "Received", "from mx.sender.example (mx.sender.example "
		      "[192.0.2.10]) by mx.example.com", NULL },
	{ "Received", "from internal by mx.sender.example", NULL },
	{ "DKIM-Signature", "v=1; a=rsa-sha256; d=sender.example; s=s1; "
			    "h=from:to:subject; bh=x; b=y", NULL },
	{ "From", "Newsletter <news@sender.example>",
	  "Newsletter <news@sender.example>" },
	{ "To", "you@example.com", NULL },
	{ "Subject", "Your weekly offers: 20% off everything",
	  "Your weekly offers: 20% off everything" },
	{ "Date", "Mon, 23 Nov 2026 10:00:00 +0000", NULL },
	{ "Message-ID", "<abc123@sender.example>", NULL },
	{ "MIME-Version", "1.0", NULL },
	{ "Content-Type", "multipart/alternative; boundary=b", NULL },
	{ "List-Unsubscribe", "<https://sender.example/u>", NULL },
	{ "X-Mailer", "MassMailer 5.1", NULL },
	{ "Reply-To", "news@sender.example", NULL },
	{ "Return-Path", "<bounce@sender.example>", NULL },
	{ "X-Campaign", "2026-47", NULL },
};

static int
bench(const char *label, struct ag_rules *rules, const struct ag_facts *f,
      unsigned n, double *ns_r)
{
	struct ag_rules_result *r = malloc(sizeof(*r));
	double t0, t1;

	if (r == NULL)
		return -1;
	ag_rules_eval(rules, f, NULL, r);	/* warm up */
	t0 = now();
	for (unsigned i = 0; i < n; i++)
		ag_rules_eval(rules, f, NULL, r);
	t1 = now();
	*ns_r = (t1 - t0) * 1e9 / n;
	printf("%-44s %5u rules  %9.0f ns/message  (score %d, %u hits, "
	       "verdict %s)\n",
	       label, ag_rules_count(rules), *ns_r, r->score, r->nhits_total,
	       ag_rules_action_name(r->action));
	free(r);
	return 0;
}

/* rsa_verify_ns - one RSA-2048 SHA-256 verification, for scale */
static double
rsa_verify_ns(unsigned n)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	unsigned char sig[512], msg[64] = "canonicalized header hash input";
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	double t0, t1;

	EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key);
	EVP_DigestSign(ctx, sig, &siglen, msg, sizeof(msg));
	t0 = now();
	for (unsigned i = 0; i < n; i++) {
		EVP_MD_CTX_reset(ctx);
		EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key);
		if (EVP_DigestVerify(ctx, sig, siglen, msg, sizeof(msg)) != 1)
			fprintf(stderr, "verify failed\n");
	}
	t1 = now();
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return (t1 - t0) * 1e9 / n;
}

int
main(int argc, char **argv)
{
	unsigned n = 20000, nregex = 200;
	struct ag_rules *shipped = NULL, *more = NULL;
	struct ag_err err = { 0, "" };
	static struct ag_fact_dkim dk[] = {
		{ "pass", "sender.example", "s1", true, false },
		{ "fail", "esp.example", "k2", false, false },
	};
	static struct ag_fact_from from[] = {
		{ "news@sender.example", "sender.example", "Newsletter" },
	};
	static const char *rcpt[] = { "you@example.com" };
	struct ag_mime_result mime;
	struct ag_facts f;
	double ns_shipped, ns_more, ns_rsa;
	char *text;
	int c;

	while ((c = getopt(argc, argv, "n:r:")) != -1) {
		if (c == 'n')
			n = (unsigned)strtoul(optarg, NULL, 10);
		else if (c == 'r')
			nregex = (unsigned)strtoul(optarg, NULL, 10);
		else
			return 64;
	}
	if (optind + 1 != argc || n == 0) {
		fprintf(stderr, "usage: bench_rules [-n MESSAGES] "
			"[-r REGEX_RULES] RULES_FILE\n");
		return 64;
	}
	/* a 16 KB body of ordinary words */
	memset(&mime, 0, sizeof(mime));
	text = malloc(16384 + 1);
	for (size_t i = 0; i < 16384; i++)
		text[i] = "this week only great offers on shoes and bags \n"
			  [i % 48];
	text[16384] = '\0';
	mime.text = text;
	mime.text_len = 16384;
	snprintf(mime.part[0].type, sizeof(mime.part[0].type), "text/plain");
	snprintf(mime.part[1].type, sizeof(mime.part[1].type), "text/html");
	mime.nparts = 2;
	memset(&f, 0, sizeof(f));
	f.ip = "192.0.2.10";
	f.client_name = "mx.sender.example";
	f.helo = "mx.sender.example";
	f.auth_user = "";
	f.mailfrom = "bounce@sender.example";
	f.rcpt = rcpt;
	f.nrcpt = 1;
	f.hdr = hdr;
	f.nhdr = sizeof(hdr) / sizeof(hdr[0]);
	f.from = from;
	f.nfrom_addr = 1;
	f.nfrom_fields = 1;
	f.from_problem = "";
	f.size = 20000;
	f.mime = &mime;
	f.spf_mailfrom = "pass";
	f.spf_domain = "sender.example";
	f.dkim = dk;
	f.ndkim = 2;
	f.dmarc_result = "pass";
	f.dmarc_policy = "none";
	f.dmarc_disposition = "none";
	f.dmarc_domain = "sender.example";
	f.dmarc_org = "sender.example";

	if (ag_rules_new(&shipped) != AG_OK ||
	    ag_rules_parse_file(shipped, argv[optind], &err) != AG_OK ||
	    ag_rules_new(&more) != AG_OK ||
	    ag_rules_parse_file(more, argv[optind], &err) != AG_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	for (unsigned i = 0; i < nregex; i++) {
		/* patterns that do not match, so every one runs to the end:
		 * the expensive case */
		static const char *const fact[] = {
			"subject", "body", "from.name", "header \"X-Mailer\"",
		};
		char text_r[256];

		snprintf(text_r, sizeof(text_r),
			 "rule bench_%u { if %s =~ /(cheap|free|winner)%u[a-z]*"
			 "\\s+(pills|prize|offer)/i score 0.1 }\n",
			 i, fact[i % 4], i);
		if (ag_rules_parse_text(more, text_r, "bench", &err) != AG_OK) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
	}
	printf("bench_rules: %u messages each, 16 KB body, %u header "
	       "fields\n", n, (unsigned)f.nhdr);
	bench("shipped rules", shipped, &f, n, &ns_shipped);
	bench("shipped rules + regex rules", more, &f, n / 10 ? n / 10 : 1,
	      &ns_more);
	ns_rsa = rsa_verify_ns(n / 10 ? n / 10 : 1);
	printf("%-44s             %9.0f ns/verification\n",
	       "RSA-2048 SHA-256 verify (one DKIM key op)", ns_rsa);
	printf("ratio: shipped rules = %.3f RSA verifications, shipped + %u "
	       "regex rules = %.2f\n",
	       ns_shipped / ns_rsa, nregex, ns_more / ns_rsa);
	ag_rules_free(&shipped);
	ag_rules_free(&more);
	free(text);
	return 0;
}
