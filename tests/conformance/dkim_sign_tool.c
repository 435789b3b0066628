/*
 * tests/conformance/dkim_sign_tool.c - sign a message file with authgate's
 * signer, for the interoperability runs (run-dkim-interop.sh)
 *
 * Usage: dkim_sign_tool [-c header/body] MESSAGE KEYFILE DOMAIN SELECTOR
 *                       [KEYFILE DOMAIN SELECTOR ...]
 * Prints the message with one DKIM-Signature field per key on top, in the
 * message's own line ending (CRLF if its first line ends so, else LF).
 * Header values are passed as a milter with SMFIP_HDR_LEADSPC gets them
 * (everything after the colon), so simple canonicalization is exact too.
 *        dkim_sign_tool --keygen rsa|ed25519 BITS KEYFILE DOMAIN SELECTOR
 * makes a key with dkim/keygen.c and prints the TXT record value on the
 * first line, then the zone-file line.
 * Exit status: 0 signed, 1 signing failed, 2 usage or input error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/keygen.h"
#include "dkim/keys.h"
#include "dkim/lib.h"
#include "dkim/sign.h"
#include "util/dns.h"
#include "util/dns_zone.h"

#define TOOL_MSG_MAX   (16 * 1024 * 1024)
#define TOOL_FIELD_MAX 65536

/* tool_read - the whole file */
static char *
tool_read(const char *path, size_t *len_r)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;

	if (fp == NULL || (buf = malloc(TOOL_MSG_MAX + 1)) == NULL)
		goto out;
	n = fread(buf, 1, TOOL_MSG_MAX, fp);
	if (ferror(fp) || n == TOOL_MSG_MAX) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	*len_r = n;
out:
	if (fp != NULL)
		fclose(fp);
	return buf;
}

/* tool_line_end - length of the line ending at p ("\r\n" 2, "\n" 1) */
static size_t
tool_eol(const char *p, const char *end)
{
	if (p < end && *p == '\n')
		return 1;
	if (p + 1 < end && p[0] == '\r' && p[1] == '\n')
		return 2;
	return 0;
}

/* tool_headers - feed every field of msg; *body_r is where the body
 * starts (after the empty line) */
static int
tool_headers(struct ag_dkim_signer *s, const char *msg, size_t len,
	     size_t *body_r)
{
	const char *p = msg, *end = msg + len;
	static char field[TOOL_FIELD_MAX];

	while (p < end && tool_eol(p, end) == 0) {
		const char *q = p, *colon;
		size_t flen;
		/* a field runs until a line that does not start with WSP */
		for (;;) {
			const char *nl = memchr(q, '\n', (size_t)(end - q));
			q = nl == NULL ? end : nl + 1;
			if (q >= end || (*q != ' ' && *q != '\t'))
				break;
		}
		flen = (size_t)(q - p);
		while (flen > 0 && (p[flen - 1] == '\n' || p[flen - 1] == '\r'))
			flen--;
		if (flen >= sizeof(field) ||
		    (colon = memchr(p, ':', flen)) == NULL)
			return -1;
		memcpy(field, p, flen);
		field[flen] = '\0';
		field[colon - p] = '\0';
		if (ag_dkim_sign_header(s, field, field + (colon - p) + 1) !=
		    AG_OK)
			return -1;
		p = q;
	}
	p += tool_eol(p, end);
	*body_r = (size_t)(p - msg);
	return 0;
}

/* tool_keygen - the --keygen mode */
static int
tool_keygen(char **argv)
{
	char txt[AG_DKIM_TXT_MAX], line[AG_DKIM_ZONE_LINE_MAX];
	struct ag_err err = {0, ""};
	enum ag_dkim_alg alg = strcmp(argv[0], "ed25519") == 0
				       ? AG_DKIM_ALG_ED25519_SHA256
				       : AG_DKIM_ALG_RSA_SHA256;

	if (ag_dkim_keygen(alg, (unsigned)atoi(argv[1]), argv[2], txt,
			   sizeof(txt), &err) != AG_OK ||
	    ag_dkim_keygen_zone_line(argv[3], argv[4], txt, line, sizeof(line),
				     &err) != AG_OK) {
		fprintf(stderr, "dkim_sign_tool: %s\n", err.msg);
		return 1;
	}
	printf("%s\n%s\n", txt, line);
	return 0;
}

int
main(int argc, char **argv)
{
	struct ag_dkim_keys *keys[AG_DKIM_MAX_SIGNERS] = {NULL};
	const struct ag_dkim_key *k[AG_DKIM_MAX_SIGNERS];
	struct ag_dkim_sign_config scfg = {0};
	struct ag_dkim_signature *sigs = NULL;
	struct ag_dkim_lib_config lcfg;
	struct ag_dkim_signer *s = NULL;
	struct ag_dkim_lib *lib = NULL;
	struct ag_dns_zone *zone = NULL;
	struct ag_dns_config dcfg;
	struct ag_dns *dns = NULL;
	struct ag_err err = {0, ""};
	unsigned nk = 0, nsig = 0;
	size_t len = 0, body = 0;
	char *msg = NULL;
	int a = 1, rc = 2;
	const char *eol;

	if (argc == 7 && strcmp(argv[1], "--keygen") == 0)
		return tool_keygen(argv + 2);
	if (argc > 2 && strcmp(argv[1], "-c") == 0) {
		scfg.header_simple = strncmp(argv[2], "simple", 6) == 0;
		scfg.body_simple = strstr(argv[2], "/simple") != NULL;
		a = 3;
	}
	if (argc - a < 4 || (argc - a - 1) % 3 != 0 ||
	    (argc - a - 1) / 3 > AG_DKIM_MAX_SIGNERS) {
		fprintf(stderr, "usage: dkim_sign_tool [-c h/b] MESSAGE "
				"KEYFILE DOMAIN SELECTOR [...]\n");
		goto out;
	}
	if ((msg = tool_read(argv[a], &len)) == NULL) {
		fprintf(stderr, "%s: cannot read\n", argv[a]);
		goto out;
	}
	for (int i = a + 1; i + 2 < argc; i += 3, nk++) {
		struct ag_dkim_keys_config kc = {0};
		char addr[300];

		kc.domain = argv[i + 1];
		kc.selector = argv[i + 2];
		kc.keyfile = argv[i];
		kc.require_safe_keys = true;
		snprintf(addr, sizeof(addr), "postmaster@%s", argv[i + 1]);
		if (ag_dkim_keys_load(&keys[nk], &kc, &err) != AG_OK ||
		    ag_dkim_keys_match(keys[nk], addr, &k[nk], 1) != 1)
			goto fail;
	}
	ag_dns_config_defaults(&dcfg);
	ag_dkim_lib_config_defaults(&lcfg);
	if (ag_dns_zone_new(&zone) != AG_OK ||
	    ag_dns_new_zone(&dns, &dcfg, zone, &err) != AG_OK ||
	    ag_dkim_lib_new(&lib, &lcfg, dns, &err) != AG_OK ||
	    ag_dkim_sign_configure_lib(lib, &scfg, &err) != AG_OK ||
	    ag_dkim_sign_new(&s, lib, &scfg, k, nk, "tool", &err) != AG_OK)
		goto fail;
	if (tool_headers(s, msg, len, &body) != 0 ||
	    ag_dkim_sign_eoh(s) != AG_OK ||
	    ag_dkim_sign_body(s, (const unsigned char *)msg + body,
			      len - body) != AG_OK)
		goto fail;
	if ((sigs = calloc(nk, sizeof(*sigs))) == NULL ||
	    ag_dkim_sign_finish(s, sigs, nk, &nsig, &err) != AG_OK)
		goto fail;
	eol = memchr(msg, '\n', len);
	eol = eol != NULL && eol > msg && eol[-1] == '\r' ? "\r\n" : "\n";
	for (unsigned i = 0; i < nsig; i++) {
		fputs("DKIM-Signature: ", stdout);
		for (const char *p = sigs[i].value; *p != '\0'; p++) {
			if (*p == '\n')
				fputs(eol, stdout);
			else
				putchar(*p);
		}
		fputs(eol, stdout);
	}
	fwrite(msg, 1, len, stdout);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "dkim_sign_tool: %s\n",
		err.msg[0] != '\0' ? err.msg : "signing failed");
	rc = 1;
out:
	ag_dkim_sign_free(&s);
	ag_dkim_lib_free(&lib);
	ag_dns_free(&dns);
	ag_dns_zone_free(&zone);
	for (unsigned i = 0; i < nk; i++)
		ag_dkim_keys_free(&keys[i]);
	free(sigs);
	free(msg);
	return rc;
}
