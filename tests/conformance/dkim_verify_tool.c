/*
 * tests/conformance/dkim_verify_tool.c - verify a message file with
 * authgate's verifier, the key records served from an in-memory zone,
 * for the interoperability runs (run-dkim-interop.sh)
 *
 * Usage: dkim_verify_tool RECORDS MESSAGE
 * RECORDS has one "name TXT-value" a line (the value unsplit; it is cut
 * into 255-byte strings as DNS would carry it). Prints one line per
 * signature, "<result> d=<d> s=<s> a=<a>", or "none". Header values are
 * handed over as a milter gets them (without the space after the colon)
 * and the body with CRLF line ends, whatever the file uses.
 * Exit status: 0 verified (whatever the results), 1 could not verify,
 * 2 usage or input error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/lib.h"
#include "dkim/verify.h"
#include "util/dns.h"
#include "util/dns_zone.h"

#define TOOL_MSG_MAX   (16 * 1024 * 1024)
#define TOOL_FIELD_MAX 65536
#define TOOL_TXT_MAX   8192
#define TOOL_TYPE_TXT  16

/* tool_read - the whole file, NUL-terminated */
static char *
tool_read(const char *path, size_t *len_r)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t n;

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

/* tool_zone - one TXT record per line of the records file */
static int
tool_zone(struct ag_dns_zone *zone, const char *path)
{
	char line[TOOL_TXT_MAX];
	FILE *fp = fopen(path, "r");
	int rc = 0;

	if (fp == NULL)
		return -1;
	while (rc == 0 && fgets(line, sizeof(line), fp) != NULL) {
		const char *strs[TOOL_TXT_MAX / 255 + 1];
		size_t lens[TOOL_TXT_MAX / 255 + 1];
		char *v = strchr(line, ' ');
		unsigned n = 0;
		size_t len;

		line[strcspn(line, "\r\n")] = '\0';
		if (v == NULL)
			continue;
		*v++ = '\0';
		len = strlen(v);
		for (size_t off = 0; off < len || n == 0; off += 255) {
			strs[n] = v + off;
			lens[n++] = len - off > 255 ? 255 : len - off;
			if (len == 0)
				break;
		}
		if (ag_dns_zone_add_txt(zone, line, strs, lens, n, 300) !=
		    AG_OK)
			rc = -1;
	}
	fclose(fp);
	return rc;
}

/* tool_eol - length of the line end at p */
static size_t
tool_eol(const char *p, const char *end)
{
	if (p < end && *p == '\n')
		return 1;
	if (p + 1 < end && p[0] == '\r' && p[1] == '\n')
		return 2;
	return 0;
}

/* tool_headers - feed every field; *body_r where the body starts */
static int
tool_headers(struct ag_dkim_verifier *v, const char *msg, size_t len,
	     size_t *body_r)
{
	static char field[TOOL_FIELD_MAX];
	const char *p = msg, *end = msg + len;

	while (p < end && tool_eol(p, end) == 0) {
		const char *q = p, *colon, *val;
		size_t flen;
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
		val = field + (colon - p) + 1;
		if (*val == ' ')
			val++;
		if (ag_dkim_verify_header(v, field, val) != AG_OK)
			return -1;
		p = q;
	}
	p += tool_eol(p, end);
	*body_r = (size_t)(p - msg);
	return 0;
}

/* tool_body - the body with every bare LF sent as CRLF */
static int
tool_body(struct ag_dkim_verifier *v, const char *b, size_t len)
{
	static unsigned char out[2 * 65536];
	size_t i = 0;

	while (i < len) {
		size_t o = 0;
		for (; i < len && o + 2 < sizeof(out); i++) {
			if (b[i] == '\n' && (i == 0 || b[i - 1] != '\r'))
				out[o++] = '\r';
			out[o++] = (unsigned char)b[i];
		}
		if (ag_dkim_verify_body(v, out, o) != AG_OK)
			return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct ag_dkim_results res;
	struct ag_dkim_verifier *v = NULL;
	struct ag_dkim_lib_config lcfg;
	struct ag_dkim_lib *lib = NULL;
	struct ag_dns_zone *zone = NULL;
	struct ag_dns_config dcfg;
	struct ag_dns *dns = NULL;
	struct ag_err err = {0, ""};
	size_t len = 0, body = 0;
	char *msg = NULL;
	int rc = 2;

	if (argc != 3) {
		fprintf(stderr, "usage: dkim_verify_tool RECORDS MESSAGE\n");
		goto out;
	}
	if ((msg = tool_read(argv[2], &len)) == NULL ||
	    ag_dns_zone_new(&zone) != AG_OK || tool_zone(zone, argv[1]) != 0) {
		fprintf(stderr, "dkim_verify_tool: cannot read input\n");
		goto out;
	}
	rc = 1;
	ag_dns_config_defaults(&dcfg);
	ag_dkim_lib_config_defaults(&lcfg);
	if (ag_dns_new_zone(&dns, &dcfg, zone, &err) != AG_OK ||
	    ag_dkim_lib_new(&lib, &lcfg, dns, &err) != AG_OK ||
	    ag_dkim_verify_new(&v, lib, "tool", &err) != AG_OK ||
	    tool_headers(v, msg, len, &body) != 0 ||
	    ag_dkim_verify_eoh(v) != AG_OK ||
	    tool_body(v, msg + body, len - body) != 0 ||
	    ag_dkim_verify_finish(v, &res) != AG_OK) {
		fprintf(stderr, "dkim_verify_tool: %s\n",
			err.msg[0] ? err.msg : "verification could not run");
		goto out;
	}
	if (res.count == 0)
		printf("none\n");
	for (unsigned i = 0; i < res.count; i++)
		printf("%s d=%s s=%s a=%s\n",
		       ag_dkim_result_name(res.sig[i].result), res.sig[i].d,
		       res.sig[i].s, res.sig[i].a);
	rc = 0;
out:
	ag_dkim_verify_free(&v);
	ag_dkim_lib_free(&lib);
	ag_dns_free(&dns);
	ag_dns_zone_free(&zone);
	free(msg);
	return rc;
}
