/*
 * milter/testmode.c - authgate --test: one message through the whole
 * pipeline (SPF, DKIM, DMARC, rules; DNS through the configured resolver)
 * without an MTA, and an explanation of the verdict
 *
 * The message is fed exactly as an MTA would feed it: header fields with
 * folding kept and leading space removed, the body with CRLF line ends.
 * Nothing is written to the DMARC history.
 */
#include "milter/testmode.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "milter/config.h"
#include "milter/decide.h"
#include "milter/feed.h"
#include "util/log.h"

#define TM_MAX_RCPT 100
#define TM_MAX_FILE (64L * 1024 * 1024)

struct tm_opts {
	const char *config;
	const char *ip;
	const char *name;
	const char *helo;
	const char *from;
	const char *rcpt[TM_MAX_RCPT];
	unsigned nrcpt;
	const char *auth;
	const char *tls;
	bool json;
	const char *file;
};

static void
tm_usage(FILE *fp)
{
	fprintf(fp,
		"usage: authgate --test [-c config] [--ip ADDR] [--name HOST] "
		"[--helo NAME]\n"
		"                [--from SENDER] [--rcpt RCPT]... [--auth USER] "
		"[--tls VERSION]\n"
		"                [--json] message.eml\n"
		"  --ip     client address (default 192.0.2.1, TEST-NET-1)\n"
		"  --name   client host name as the MTA verified it\n"
		"  --helo   HELO name (default the address literal)\n"
		"  --from   MAIL FROM (default Return-Path, else the From "
		"address)\n"
		"  --rcpt   RCPT TO, repeatable (default postmaster)\n"
		"  --auth   the client authenticated as USER\n"
		"  --tls    the client used STARTTLS with this version\n"
		"  --json   machine-readable output\n");
}

static int
tm_options(int argc, char **argv, struct tm_opts *o)
{
	static const struct option longopts[] = {
		{ "test", no_argument, NULL, 'T' },
		{ "ip", required_argument, NULL, 'i' },
		{ "name", required_argument, NULL, 'N' },
		{ "helo", required_argument, NULL, 'H' },
		{ "from", required_argument, NULL, 'F' },
		{ "rcpt", required_argument, NULL, 'R' },
		{ "auth", required_argument, NULL, 'A' },
		{ "tls", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->config = "/etc/authgate/authgate.conf";
	o->ip = "192.0.2.1";
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'T':
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'i':
			o->ip = optarg;
			break;
		case 'N':
			o->name = optarg;
			break;
		case 'H':
			o->helo = optarg;
			break;
		case 'F':
			o->from = optarg;
			break;
		case 'R':
			if (o->nrcpt >= TM_MAX_RCPT) {
				fprintf(stderr, "authgate --test: more than "
					"%d --rcpt\n", TM_MAX_RCPT);
				return -1;
			}
			o->rcpt[o->nrcpt++] = optarg;
			break;
		case 'A':
			o->auth = optarg;
			break;
		case 'S':
			o->tls = optarg;
			break;
		case 'J':
			o->json = true;
			break;
		case 'h':
			tm_usage(stdout);
			exit(0);
		default:
			tm_usage(stderr);
			return -1;
		}
	}
	if (optind + 1 != argc) {
		tm_usage(stderr);
		return -1;
	}
	o->file = argv[optind];
	return 0;
}

/* tm_read - the whole file, NUL-terminated */
static char *
tm_read(const char *path, size_t *len_r)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (size = ftell(fp)) >= 0 &&
	    size <= TM_MAX_FILE && fseek(fp, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)size + 1)) != NULL) {
		*len_r = fread(buf, 1, (size_t)size, fp);
		buf[*len_r] = '\0';
	}
	fclose(fp);
	return buf;
}

/* tm_addr - the address inside <...> of a header value, or the value */
static void
tm_addr(char *dst, size_t size, const char *v)
{
	const char *lt = strrchr(v, '<');
	size_t n;

	v = lt != NULL ? lt + 1 : v;
	v += strspn(v, " \t");
	n = strcspn(v, "> \t\r\n,");
	if (n >= size)
		n = size - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

/* field - one header field split out of the message */
struct field {
	char *name;
	char *value;
};

/* tm_split - header fields and the body (CRLF line ends) of a message */
static int
tm_split(char *msg, size_t len, struct field **fields_r, unsigned *n_r,
	 char **body_r, size_t *body_len_r)
{
	struct field *fields = NULL;
	unsigned n = 0, cap = 0;
	char *p = msg, *end = msg + len, *body;
	size_t blen = 0;

	while (p < end && *p != '\n' && !(*p == '\r' && p + 1 < end &&
					  p[1] == '\n')) {
		char *colon, *line_end = p, *v;

		/* a field runs until a line that does not start with WSP */
		for (;;) {
			char *nl = memchr(line_end, '\n', (size_t)(end - line_end));

			if (nl == NULL) {
				line_end = end;
				break;
			}
			line_end = nl + 1;
			if (line_end >= end || (*line_end != ' ' &&
						*line_end != '\t'))
				break;
		}
		colon = memchr(p, ':', (size_t)(line_end - p));
		if (colon != NULL) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				fields = realloc(fields, cap * sizeof(*fields));
				if (fields == NULL)
					return -1;
			}
			*colon = '\0';
			fields[n].name = p;
			v = colon + 1;
			while (v < line_end && (*v == ' ' || *v == '\t'))
				v++;
			/* drop the final line end, keep inner folding */
			{
				char *e = line_end;

				if (e > v && e[-1] == '\n')
					e--;
				if (e > v && e[-1] == '\r')
					e--;
				*e = '\0';
			}
			fields[n].value = v;
			/* name without trailing space */
			for (char *q = colon; q > p && (q[-1] == ' ' ||
							q[-1] == '\t');)
				*--q = '\0';
			n++;
		}
		p = line_end;
	}
	if (p < end && *p == '\r')
		p++;
	if (p < end && *p == '\n')
		p++;
	/* body with CRLF line ends, as an MTA hands it over */
	if ((body = malloc((size_t)(end - p) * 2 + 1)) == NULL) {
		free(fields);
		return -1;
	}
	for (char *q = p; q < end; q++) {
		if (*q == '\n' && (q == p || q[-1] != '\r'))
			body[blen++] = '\r';
		body[blen++] = *q;
	}
	body[blen] = '\0';
	*fields_r = fields;
	*n_r = n;
	*body_r = body;
	*body_len_r = blen;
	return 0;
}

/* ---- output ---- */

static void
json_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", fp);
		else if (c == '\r')
			fputs("\\r", fp);
		else if (c == '\t')
			fputs("\\t", fp);
		else if (c < 0x20)
			fprintf(fp, "\\u%04x", c);
		else
			fputc(c, fp);
	}
	fputc('"', fp);
}

/* short_text - a value cut for the screen */
static void
short_text(char *dst, size_t size, const char *v)
{
	size_t n = strlen(v), o = 0;

	for (size_t i = 0; i < n && o + 1 < size; i++) {
		unsigned char c = (unsigned char)v[i];

		if (o + 24 >= size && n - i > 8) {
			o += (size_t)snprintf(dst + o, size - o,
					      "... (%zu bytes)", n);
			break;
		}
		dst[o++] = c == '\r' || c == '\n' || c == '\t' ? ' ' : (char)c;
	}
	dst[o < size ? o : size - 1] = '\0';
}

struct fact_print {
	FILE *fp;
	bool json;
	unsigned count;
};

static void
print_fact(void *arg, const char *name, const char *value)
{
	struct fact_print *p = arg;
	char v[120];

	if (p->json) {
		fprintf(p->fp, "%s\n    [", p->count++ ? "," : "");
		json_str(p->fp, name);
		fputs(", ", p->fp);
		json_str(p->fp, value);
		fputc(']', p->fp);
		return;
	}
	short_text(v, sizeof(v), value);
	fprintf(p->fp, "  %-18s %s\n", name, v[0] != '\0' ? v : "(empty)");
}

static const char *
edit_op(enum ag_edit_op op)
{
	switch (op) {
	case AG_EDIT_DELETE:
		return "delete";
	case AG_EDIT_CHANGE:
		return "change";
	case AG_EDIT_INSERT:
		return "insert";
	default:
		return "add";
	}
}

/* reply - the SMTP reply the client would see at end of DATA */
static void
reply(const struct ag_outcome *o, char *buf, size_t size)
{
	if (o->verdict == AG_OUT_REJECT || o->verdict == AG_OUT_TEMPFAIL)
		snprintf(buf, size, "%s %s %s", o->rcode, o->xcode, o->text);
	else if (o->verdict == AG_OUT_DISCARD)
		snprintf(buf, size, "250 2.0.0 Ok (the MTA discards the "
			 "message)");
	else
		snprintf(buf, size, "250 2.0.0 Ok (queued%s)",
			 o->quarantine[0] != '\0' ? ", held in quarantine"
			 : o->redirect[0] != '\0' ? ", redirected"
						  : "");
}

static void
print_text(FILE *fp, const struct ag_session *s, const struct ag_outcome *o,
	   const struct tm_opts *opt)
{
	const struct ag_facts *f = ag_outcome_facts(o);
	const struct ag_rules_result *r = o->rules;
	struct fact_print fpr = { fp, false, 0 };
	char sc[24], rep[400];

	fprintf(fp, "authgate --test %s\n", opt->file);
	fprintf(fp, "client %s%s, HELO %s, MAIL FROM <%s>, %u recipient(s)%s\n",
		s->ip, opt->ip == NULL ? "" : "", s->helo[0] ? s->helo : "-",
		s->msg.mailfrom, s->msg.nrcpt,
		s->internal ? " (internal: signed, not checked)"
		: s->msg.auth_user[0] ? " (authenticated: signed, not checked)"
				      : "");
	if (f != NULL) {
		fprintf(fp, "\nFacts\n");
		ag_rules_facts_each(f, print_fact, &fpr);
		for (unsigned i = 0; i < f->nhdr; i++) {
			char v[100], name[100];

			snprintf(name, sizeof(name), "header \"%.80s\"",
				 f->hdr[i].name);
			short_text(v, sizeof(v), f->hdr[i].decoded
							 ? f->hdr[i].decoded
							 : f->hdr[i].value);
			fprintf(fp, "  %-30s %s\n", name, v);
		}
	} else {
		fprintf(fp, "\nNo rules are configured (Rules, or the "
			"shorthand keys): the verdict is accept.\n");
	}
	if (r != NULL && r->ndnsbl > 0) {
		fprintf(fp, "\nDNS lists\n");
		for (unsigned i = 0; i < r->ndnsbl; i++) {
			ag_rules_score_text(r->dnsbl[i].score, sc, sizeof(sc));
			fprintf(fp, "  %-18s %s%s%s%s\n", r->dnsbl[i].name,
				r->dnsbl[i].status,
				r->dnsbl[i].codes[0] ? " " : "",
				r->dnsbl[i].codes,
				r->dnsbl[i].score ? " score " : "");
			if (r->dnsbl[i].score)
				fprintf(fp, "%22s%s\n", "", sc);
		}
	}
	if (r != NULL) {
		fprintf(fp, "\nRules matched (%u of %u evaluated)\n",
			r->nhits_total, r->rules_run);
		for (unsigned i = 0; i < r->nhits; i++) {
			const char *orig = r->hit[i].origin;

			char signed_sc[32];

			ag_rules_score_text(r->hit[i].score, sc, sizeof(sc));
			snprintf(signed_sc, sizeof(signed_sc), "%s%s",
				 r->hit[i].score > 0 ? "+" : "", sc);
			fprintf(fp, "  %7s  %-24s%s%s\n",
				r->hit[i].score ? signed_sc : "", r->hit[i].name,
				orig ? "  " : "", orig ? orig : "");
		}
		if (r->nhits == 0)
			fprintf(fp, "  (none)\n");
		ag_rules_score_text(r->score, sc, sizeof(sc));
		fprintf(fp, "  total score %s\n", sc);
		if (r->accepted)
			fprintf(fp, "  a rule said accept: thresholds not "
				"applied\n");
		if (r->dmarc_override != NULL)
			fprintf(fp, "  DMARC policy overridden: %s\n",
				r->dmarc_override);
		if (r->regex_limit > 0)
			fprintf(fp, "  %u regular expression(s) hit the PCRE2 "
				"match limit and did not match\n",
				r->regex_limit);
	}
	fprintf(fp, "\nVerdict: %s%s%s%s\n",
		o->quarantine[0] ? "quarantine" : o->log_verdict,
		o->log_reason[0] ? " (" : "", o->log_reason,
		o->log_reason[0] ? ")" : "");
	if (o->quarantine[0] != '\0')
		fprintf(fp, "  hold reason: %s\n", o->quarantine);
	if (o->redirect[0] != '\0')
		fprintf(fp, "  all recipients replaced by <%s>\n", o->redirect);
	reply(o, rep, sizeof(rep));
	fprintf(fp, "SMTP reply: %s\n", rep);
	if (o->nedits > 0) {
		fprintf(fp, "\nHeader edits\n");
		for (unsigned i = 0; i < o->nedits; i++) {
			const struct ag_edit *e = &o->edit[i];

			if (e->op == AG_EDIT_DELETE)
				fprintf(fp, "  delete %s #%u\n", e->name,
					e->index);
			else if (e->op == AG_EDIT_CHANGE)
				fprintf(fp, "  change %s #%u: %s\n", e->name,
					e->index, e->value);
			else
				fprintf(fp, "  %s %s: %s\n", edit_op(e->op),
					e->name, e->value);
		}
	}
}

static void
print_json(FILE *fp, const struct ag_session *s, const struct ag_outcome *o)
{
	const struct ag_facts *f = ag_outcome_facts(o);
	const struct ag_rules_result *r = o->rules;
	struct fact_print fpr = { fp, true, 0 };
	char sc[24], rep[400];

	fputs("{\n  \"client\": ", fp);
	json_str(fp, s->ip);
	fputs(",\n  \"facts\": [", fp);
	if (f != NULL)
		ag_rules_facts_each(f, print_fact, &fpr);
	fputs("\n  ],\n  \"headers\": [", fp);
	for (unsigned i = 0; f != NULL && i < f->nhdr; i++) {
		fputs(i ? ",\n    [" : "\n    [", fp);
		json_str(fp, f->hdr[i].name);
		fputs(", ", fp);
		json_str(fp, f->hdr[i].decoded ? f->hdr[i].decoded
					       : f->hdr[i].value);
		fputc(']', fp);
	}
	fputs("\n  ],\n  \"dnsbl\": [", fp);
	for (unsigned i = 0; r != NULL && i < r->ndnsbl; i++) {
		ag_rules_score_text(r->dnsbl[i].score, sc, sizeof(sc));
		fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", fp);
		json_str(fp, r->dnsbl[i].name);
		fputs(", \"status\": ", fp);
		json_str(fp, r->dnsbl[i].status);
		fputs(", \"codes\": ", fp);
		json_str(fp, r->dnsbl[i].codes);
		fprintf(fp, ", \"score\": %s}", sc);
	}
	fputs("\n  ],\n  \"rules\": [", fp);
	for (unsigned i = 0; r != NULL && i < r->nhits; i++) {
		ag_rules_score_text(r->hit[i].score, sc, sizeof(sc));
		fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", fp);
		json_str(fp, r->hit[i].name);
		fprintf(fp, ", \"score\": %s}", sc);
	}
	ag_rules_score_text(r != NULL ? r->score : 0, sc, sizeof(sc));
	fprintf(fp, "\n  ],\n  \"score\": %s,\n  \"verdict\": ", sc);
	json_str(fp, o->quarantine[0] ? "quarantine" : o->log_verdict);
	fputs(",\n  \"decided_by\": ", fp);
	json_str(fp, o->log_reason);
	fputs(",\n  \"dmarc_override\": ", fp);
	if (r != NULL && r->dmarc_override != NULL)
		json_str(fp, r->dmarc_override);
	else
		fputs("null", fp);
	fputs(",\n  \"quarantine\": ", fp);
	json_str(fp, o->quarantine);
	fputs(",\n  \"redirect\": ", fp);
	json_str(fp, o->redirect);
	reply(o, rep, sizeof(rep));
	fputs(",\n  \"smtp_reply\": ", fp);
	json_str(fp, rep);
	fputs(",\n  \"edits\": [", fp);
	for (unsigned i = 0; i < o->nedits; i++) {
		const struct ag_edit *e = &o->edit[i];

		fputs(i ? ",\n    {\"op\": " : "\n    {\"op\": ", fp);
		json_str(fp, edit_op(e->op));
		fputs(", \"name\": ", fp);
		json_str(fp, e->name);
		fprintf(fp, ", \"index\": %u, \"value\": ", e->index);
		if (e->value != NULL)
			json_str(fp, e->value);
		else
			fputs("null", fp);
		fputc('}', fp);
	}
	fputs("\n  ]\n}\n", fp);
}

/* tm_sockaddr - the --ip address */
static int
tm_sockaddr(const char *ip, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

int
ag_testmode_main(int argc, char **argv)
{
	struct tm_opts opt;
	struct ag_config *cfg = NULL;
	struct ag_session *s = NULL;
	struct ag_err err = { 0, "" };
	struct sockaddr_storage ss;
	struct field *fields = NULL;
	struct ag_outcome o;
	char *msg = NULL, *body = NULL, helo[80], from[1024] = "";
	size_t len = 0, blen = 0;
	unsigned nfields = 0;
	int status = 1;

	memset(&opt, 0, sizeof(opt));
	memset(&o, 0, sizeof(o));
	if (tm_options(argc, argv, &opt) != 0)
		return 64;
	if (tm_sockaddr(opt.ip, &ss) != 0) {
		fprintf(stderr, "authgate --test: --ip %s is not an IPv4 or "
			"IPv6 address\n", opt.ip);
		return 64;
	}
	if (ag_config_load(opt.config, &cfg, &err) != AG_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return 78;
	}
	/* warnings to stderr; the per-message line is ours to print */
	ag_log_setup("authgate", AG_LOG_WARNING, false, 0, true);
	if ((msg = tm_read(opt.file, &len)) == NULL) {
		fprintf(stderr, "authgate --test: cannot read %s (missing, or "
			"over 64 MB)\n", opt.file);
		goto out;
	}
	if (tm_split(msg, len, &fields, &nfields, &body, &blen) != 0) {
		fprintf(stderr, "authgate --test: out of memory\n");
		goto out;
	}
	if ((s = ag_feed_connect(cfg, opt.name != NULL ? opt.name : "",
				 (struct sockaddr *)&ss)) == NULL) {
		fprintf(stderr, "authgate --test: out of memory\n");
		goto out;
	}
	s->explain = true;
	if (opt.name == NULL)
		snprintf(s->hostname, sizeof(s->hostname), "[%s]", opt.ip);
	if (opt.helo == NULL) {
		snprintf(helo, sizeof(helo), "[%s%s]",
			 ss.ss_family == AF_INET6 ? "IPv6:" : "", opt.ip);
		opt.helo = helo;
	}
	ag_feed_helo(s, opt.helo);
	ag_feed_tls(s, opt.tls, opt.tls != NULL ? "TEST" : NULL);
	if (opt.from != NULL) {
		snprintf(from, sizeof(from), "%s", opt.from);
	} else {
		for (unsigned i = 0; i < nfields && from[0] == '\0'; i++)
			if (strcasecmp(fields[i].name, "Return-Path") == 0)
				tm_addr(from, sizeof(from), fields[i].value);
		for (unsigned i = 0; i < nfields && from[0] == '\0'; i++)
			if (strcasecmp(fields[i].name, "From") == 0)
				tm_addr(from, sizeof(from), fields[i].value);
	}
	ag_feed_envfrom(s, from, opt.auth, "TEST");
	if (opt.nrcpt == 0)
		ag_feed_rcpt(s, "postmaster");
	for (unsigned i = 0; i < opt.nrcpt; i++)
		ag_feed_rcpt(s, opt.rcpt[i]);
	for (unsigned i = 0; i < nfields; i++)
		ag_feed_header(s, fields[i].name, fields[i].value);
	ag_feed_eoh(s);
	for (size_t off = 0; off < blen; off += 65536)
		ag_feed_body(s, (unsigned char *)body + off,
			     blen - off < 65536 ? blen - off : 65536);
	ag_decide(s, &o);
	if (opt.json)
		print_json(stdout, s, &o);
	else
		print_text(stdout, s, &o, &opt);
	status = 0;
out:
	ag_outcome_free(&o);
	ag_session_free(&s);
	free(fields);
	free(body);
	free(msg);
	ag_config_unref(&cfg);
	return status;
}
