/*
 * tests/tools/fb_dump.c - read one aggregate report with
 * ag_feedback_parse() and print the model as JSON (for comparing with
 * expected values), or write it again: fb_dump [--write 7489|bis] FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/feedback.h"
#include "report/unpack.h"

static void
js(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void
kv(const char *k, const char *v, int comma)
{
	printf("\"%s\": ", k);
	js(v);
	if (comma)
		printf(", ");
}

static void
auths(const char *name, const struct ag_fb_auth *a, unsigned n)
{
	printf("\"%s\": [", name);
	for (unsigned i = 0; i < n; i++) {
		printf("%s{", i > 0 ? ", " : "");
		kv("domain", a[i].domain, 1);
		kv("selector", a[i].selector, 1);
		kv("scope", a[i].scope, 1);
		kv("result", a[i].result, 1);
		kv("human_result", a[i].human_result, 0);
		printf("}");
	}
	printf("]");
}

static void
dump(const struct ag_feedback *fb)
{
	printf("{");
	kv("version", fb->version, 1);
	printf("\"bis\": %s, ", fb->bis ? "true" : "false");
	kv("org_name", fb->org_name, 1);
	kv("email", fb->email, 1);
	kv("extra_contact_info", fb->extra_contact_info, 1);
	kv("report_id", fb->report_id, 1);
	kv("generator", fb->generator, 1);
	printf("\"begin\": %lld, \"end\": %lld, \"error\": [",
	       (long long)fb->begin, (long long)fb->end);
	for (unsigned i = 0; i < fb->nerror; i++) {
		printf("%s", i > 0 ? ", " : "");
		js(fb->error[i]);
	}
	printf("], ");
	kv("domain", fb->domain, 1);
	kv("adkim", fb->adkim, 1);
	kv("aspf", fb->aspf, 1);
	kv("p", fb->p, 1);
	kv("sp", fb->sp, 1);
	kv("np", fb->np, 1);
	printf("\"pct\": %d, ", fb->pct);
	kv("fo", fb->fo, 1);
	kv("testing", fb->testing, 1);
	kv("discovery_method", fb->discovery_method, 1);
	printf("\"total_count\": %llu, \"records\": [\n",
	       (unsigned long long)fb->total_count);
	for (size_t i = 0; i < fb->nrec; i++) {
		const struct ag_fb_record *r = &fb->rec[i];

		printf("%s{", i > 0 ? ",\n" : "");
		kv("source_ip", r->source_ip, 1);
		printf("\"count\": %llu, ", (unsigned long long)r->count);
		kv("disposition", r->disposition, 1);
		kv("dkim", r->dkim, 1);
		kv("spf", r->spf, 1);
		printf("\"reasons\": [");
		for (unsigned k = 0; k < r->nreason; k++) {
			printf("%s{", k > 0 ? ", " : "");
			kv("type", r->reason[k].type, 1);
			kv("comment", r->reason[k].comment, 0);
			printf("}");
		}
		printf("], ");
		kv("envelope_to", r->envelope_to, 1);
		kv("envelope_from", r->envelope_from, 1);
		kv("header_from", r->header_from, 1);
		auths("dkim_results", r->dkim_res, r->ndkim);
		printf(", ");
		auths("spf_results", r->spf_res, r->nspf);
		printf("}");
	}
	printf("]}\n");
}

/* the first aggregate report in the file (XML, gzip, zip, a message) */
struct first {
	char *xml;
	size_t len;
	char why[600];
};

static int
take(void *arg, const struct ag_unpacked *u)
{
	struct first *f = arg;

	if (u->kind != AG_UNPACK_AGGREGATE || f->xml != NULL)
		return 0;
	if ((f->xml = malloc(u->len + 1)) != NULL) {
		memcpy(f->xml, u->data, u->len);
		f->len = u->len;
	}
	return 1;
}

static void
refused(void *arg, const char *origin, const char *why)
{
	struct first *f = arg;

	snprintf(f->why, sizeof(f->why), "%s: %s", origin, why);
}

int
main(int argc, char **argv)
{
	const char *path = argv[argc - 1];
	int write_fmt = -1;
	struct ag_feedback *fb = NULL;
	struct ag_err err = { 0, "" };
	char *buf = NULL, *xml = NULL;
	size_t len = 0, cap = 0, xlen;
	FILE *f;
	int rc = 1;

	if (argc == 4 && strcmp(argv[1], "--write") == 0)
		write_fmt = strcmp(argv[2], "bis") == 0 ? AG_FB_DMARCBIS
							: AG_FB_RFC7489;
	else if (argc != 2) {
		fprintf(stderr, "usage: fb_dump [--write 7489|bis] FILE\n");
		return 2;
	}
	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return 2;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((buf = realloc(buf, cap)) == NULL)
				return 2;
		}
		size_t n = fread(buf + len, 1, cap - len, f);

		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	{
		struct first fi = { NULL, 0, "" };

		(void)ag_unpack_buffer(path, (unsigned char *)buf, len, take,
				       refused, &fi);
		if (fi.xml == NULL) {
			fprintf(stderr, "%s\n", fi.why);
			goto done;
		}
		free(buf);
		buf = fi.xml;
		len = fi.len;
	}
	if (ag_feedback_parse(buf, len, &fb, &err) != AG_OK) {
		fprintf(stderr, "%s\n", err.msg);
		goto done;
	}
	if (write_fmt < 0) {
		dump(fb);
		rc = 0;
	} else if (ag_feedback_write(fb, (enum ag_fb_format)write_fmt, &xml,
				     &xlen, &err) == AG_OK) {
		fwrite(xml, 1, xlen, stdout);
		rc = 0;
	} else {
		fprintf(stderr, "%s\n", err.msg);
	}
done:
	free(xml);
	free(buf);
	ag_feedback_free(fb);
	return rc;
}
