/*
 * report/send.c - authgate-report send: one aggregate report per policy
 * domain with unreported history rows, to each of its rua= addresses
 * (RFC 7489 7.2), verified (7.1) and size-limited, then the rows are
 * marked so the next run does not send them again
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "dmarc/orgdomain.h"
#include "report/aggregate.h"
#include "report/cli.h"
#include "report/config.h"
#include "report/mailout.h"

#define MAX_DEST 8

struct send_run {
	const struct ag_report_env *env;
	const struct ag_report_config *cfg;
	struct ag_sql *db;
	struct ag_dns *dns;
	struct ag_psl *psl;
	const char *dry_dir;
	int64_t begin, end, now;
	unsigned reports, sent, skipped, failed, temp;
	char (*domains)[AG_HISTORY_DOMAIN];
	size_t ndomains;
};

struct dest {
	char addr[512];
	uint64_t max_size;	/* 0: no limit */
};

/* unhex - %XX escapes of a mailto: URI (RFC 6068) decoded in place */
static void
unhex(char *s)
{
	char *o = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '%' && s[1] != '\0' && s[2] != '\0') {
			char h[3] = { s[1], s[2], '\0' };
			char *end;
			long v = strtol(h, &end, 16);

			if (*end == '\0' && v > 0x20 && v < 0x7f) {
				*o++ = (char)v;
				s += 2;
				continue;
			}
		}
		*o++ = *s;
	}
	*o = '\0';
}

/* addr_safe - an address we may put on a command line and in To:; the
 * rua text comes from DNS, so from whoever controls the domain */
static int
addr_safe(const char *a)
{
	const char *at = strrchr(a, '@');

	if (at == NULL || at == a || at[1] == '\0' || strlen(a) > 254 ||
	    a[0] == '-')
		return 0;
	for (const char *p = a; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("<>()[]\\,;:\"", *p) != NULL)
			return 0;
	return 1;
}

/* dests - the rua text ("mailto:a@b!10485760,mailto:c@d") as addresses;
 * anything else is reported and left out */
static unsigned
dests(const char *domain, const char *rua, struct dest *d)
{
	char copy[AG_HISTORY_RUA], *save = NULL, *one;
	unsigned n = 0;

	snprintf(copy, sizeof(copy), "%s", rua);
	for (one = strtok_r(copy, ",", &save); one != NULL && n < MAX_DEST;
	     one = strtok_r(NULL, ",", &save)) {
		char *bang;

		one += strspn(one, " \t");
		if (strncasecmp(one, "mailto:", 7) != 0) {
			printf("%s: %s: skipped: only mailto: report URIs "
			       "are supported\n", domain, one);
			continue;
		}
		one += 7;
		d[n].max_size = 0;
		if ((bang = strrchr(one, '!')) != NULL) {
			d[n].max_size = strtoull(bang + 1, NULL, 10);
			*bang = '\0';
		}
		/* mailto: headers ("?subject=") are not ours to follow */
		one[strcspn(one, "?")] = '\0';
		unhex(one);
		if (!addr_safe(one)) {
			printf("%s: mailto:%s: skipped: not a usable address\n",
			       domain, one);
			continue;
		}
		snprintf(d[n].addr, sizeof(d[n].addr), "%s", one);
		n++;
	}
	return n;
}

enum verdict { V_OK, V_REFUSED, V_TEMP };

/* authorized - RFC 7489 7.1: a destination in another organizational
 * domain receives reports only when <domain>._report._dmarc.<its domain>
 * has a TXT record starting "v=DMARC1" */
static enum verdict
authorized(struct send_run *r, const char *domain, const char *addr)
{
	const char *rdom = strrchr(addr, '@') + 1;
	char org_a[256], org_b[256], name[600];
	struct ag_dns_answer *ans = NULL;
	enum verdict v = V_REFUSED;

	if (ag_dmarc_org_domain_psl(r->psl, domain, org_a, sizeof(org_a)) ==
		    AG_OK &&
	    ag_dmarc_org_domain_psl(r->psl, rdom, org_b, sizeof(org_b)) ==
		    AG_OK &&
	    strcasecmp(org_a, org_b) == 0)
		return V_OK;
	snprintf(name, sizeof(name), "%s._report._dmarc.%s", domain, rdom);
	if (ag_dns_query(r->dns, name, AG_DNS_TXT, &ans) != AG_OK) {
		printf("%s: %s: skipped: %s is not a valid name\n", domain,
		       addr, name);
		return V_REFUSED;
	}
	if (ans->status == AG_DNS_SERVFAIL || ans->status == AG_DNS_TIMEOUT ||
	    ans->status == AG_DNS_ERROR) {
		printf("%s: %s: not sent: %s TXT: %s (will retry)\n", domain,
		       addr, name, ag_dns_status_name(ans->status));
		v = V_TEMP;
		goto done;
	}
	for (unsigned i = 0; ans->status == AG_DNS_OK && i < ans->count; i++) {
		const char *t = (const char *)ans->rr[i].data;

		if (strncmp(t, "v=DMARC1", 8) == 0 &&
		    (t[8] == '\0' || t[8] == ';' || t[8] == ' ')) {
			v = V_OK;
			goto done;
		}
	}
	printf("%s: %s: skipped: another organizational domain that does "
	       "not publish %s (RFC 7489 7.1)\n", domain, addr, name);
done:
	ag_dns_answer_free(&ans);
	return v;
}

/* write_file - data into dir/name */
static int
write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "authgate-report: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	ok = fwrite(data, 1, len, f) == len;
	ok = fclose(f) == 0 && ok;
	if (!ok)
		fprintf(stderr, "authgate-report: %s: write failed\n", path);
	return ok ? 0 : -1;
}

/* deliver - one report to its destinations; true when the rows may be
 * marked (sent somewhere, or nowhere to send it ever) */
static bool
deliver(struct send_run *r, const struct ag_feedback *fb,
	const struct ag_aggregate_batch *b, const char *xml, size_t xml_len)
{
	const struct ag_report_config *c = r->cfg;
	struct dest d[MAX_DEST];
	unsigned nd = dests(b->domain, b->rua, d);
	unsigned char *gz = NULL;
	size_t gz_len = 0;
	char fname[768], subject[1024], text[1024];
	struct ag_err err = { 0, "" };
	unsigned sent = 0, temp = 0;

	snprintf(fname, sizeof(fname), "%s!%s!%" PRId64 "!%" PRId64
		 "!%" PRId64 ".xml.gz", c->authserv_id, b->domain, fb->begin,
		 fb->end, b->max_id);
	snprintf(subject, sizeof(subject), "Report Domain: %s Submitter: %s "
		 "Report-ID: <%s>", b->domain, c->authserv_id, fb->report_id);
	snprintf(text, sizeof(text),
		 "DMARC aggregate report (RFC 7489) from %s for %s:\n"
		 "%" PRIu64 " message(s) in %zu record(s), from %" PRId64
		 " to %" PRId64 " (unix time, UTC).\n",
		 c->org_name, b->domain, fb->total_count, fb->nrec, fb->begin,
		 fb->end);
	if (ag_mailout_gzip(xml, xml_len, &gz, &gz_len, &err) != AG_OK) {
		fprintf(stderr, "authgate-report: %s: %s\n", b->domain,
			err.msg);
		r->failed++;
		return false;
	}
	if (r->dry_dir != NULL) {
		char xname[800];

		snprintf(xname, sizeof(xname), "%.*s", (int)(strlen(fname) - 3),
			 fname);
		if (write_file(r->dry_dir, xname, xml, xml_len) != 0)
			r->failed++;
	}
	for (unsigned i = 0; i < nd; i++) {
		struct ag_mailout_msg m = {
			.from = c->email, .from_name = c->org_name,
			.to = d[i].addr, .subject = subject, .text = text,
			.filename = fname, .ctype = "application/gzip",
			.att = gz, .att_len = gz_len,
			.msgid_domain = c->authserv_id
		};
		enum verdict v = authorized(r, b->domain, d[i].addr);
		char *msg = NULL, why[512];
		size_t len = 0;

		if (v == V_TEMP) {
			temp++;
			continue;
		}
		if (v == V_REFUSED) {
			r->skipped++;
			continue;
		}
		if (ag_mailout_compose(&m, &msg, &len, &err) != AG_OK) {
			fprintf(stderr, "authgate-report: %s\n", err.msg);
			temp++;
			continue;
		}
		if (d[i].max_size != 0 && len > d[i].max_size) {
			printf("%s: %s: skipped: report is %zu bytes, the "
			       "address takes at most %" PRIu64 " (rua "
			       "!size)\n", b->domain, d[i].addr, len,
			       d[i].max_size);
			r->skipped++;
		} else if (r->dry_dir != NULL) {
			char ename[800];

			snprintf(ename, sizeof(ename), "%s.%u.eml", fname, i);
			if (write_file(r->dry_dir, ename, msg, len) == 0) {
				printf("%s: %s: written to %s/%s (%zu bytes, "
				       "%zu records, %" PRIu64 " messages)\n",
				       b->domain, d[i].addr, r->dry_dir, ename,
				       len, fb->nrec, fb->total_count);
				sent++;
			}
		} else {
			switch (ag_mailout_send(c->sendmail, c->smtp,
						c->authserv_id, c->email,
						d[i].addr, msg, len, why,
						sizeof(why))) {
			case AG_MAILOUT_SENT:
				printf("%s: %s: sent %s (%zu bytes, %zu "
				       "records, %" PRIu64 " messages)\n",
				       b->domain, d[i].addr, fb->report_id,
				       len, fb->nrec, fb->total_count);
				sent++;
				break;
			case AG_MAILOUT_TEMP:
				printf("%s: %s: not sent, will retry: %s\n",
				       b->domain, d[i].addr, why);
				temp++;
				break;
			case AG_MAILOUT_PERM:
				printf("%s: %s: refused: %s\n", b->domain,
				       d[i].addr, why);
				r->failed++;
				break;
			}
		}
		free(msg);
	}
	free(gz);
	r->sent += sent;
	r->temp += temp;
	return sent > 0 || temp == 0;
}

static int
one_domain(void *arg, const char *domain)
{
	struct send_run *r = arg;
	const struct ag_report_config *c = r->cfg;
	struct ag_aggregate_meta meta = { c->org_name, c->email,
					  c->extra_contact, c->authserv_id };
	struct ag_aggregate_batch b;
	struct ag_feedback *fb = NULL;
	struct ag_err err = { 0, "" };
	char *xml = NULL;
	size_t xml_len = 0;

	if (ag_aggregate_build(r->db, domain, r->begin, r->end, &meta, &fb, &b,
			       &err) != AG_OK ||
	    (fb != NULL && ag_feedback_write(fb, c->format, &xml, &xml_len,
					     &err) != AG_OK)) {
		fprintf(stderr, "authgate-report: %s: %s\n", domain, err.msg);
		r->failed++;
		goto done;
	}
	if (fb == NULL)
		goto done;
	r->reports++;
	if (deliver(r, fb, &b, xml, xml_len) && r->dry_dir == NULL &&
	    ag_aggregate_mark(r->db, &b, r->begin, r->end, r->now, &err) !=
		    AG_OK) {
		fprintf(stderr, "authgate-report: %s: marking rows as "
			"reported: %s\n", domain, err.msg);
		r->failed++;
	}
done:
	free(xml);
	ag_feedback_free(fb);
	return 0;
}

/* collect - the domain list is read whole before any report is built,
 * so no statement is open while rows are marked */
static int
collect(void *arg, const char *domain)
{
	struct send_run *r = arg;
	char (*n)[AG_HISTORY_DOMAIN];

	if (r->ndomains >= 1000000)
		return AG_ELIMIT;
	n = realloc(r->domains, (r->ndomains + 1) * sizeof(*n));
	if (n == NULL)
		return AG_ENOMEM;
	r->domains = n;
	snprintf(n[r->ndomains++], AG_HISTORY_DOMAIN, "%s", domain);
	return 0;
}

/* period - the --period word as [begin, end) */
static int
period(const char *word, int64_t now, int64_t *b, int64_t *e)
{
	int64_t today = ag_report_parse_time("today", now);

	if (strcmp(word, "yesterday") == 0) {
		*b = today - 86400;
		*e = today;
	} else if (strcmp(word, "today") == 0) {
		*b = today;
		*e = now + 1;
	} else if (strcmp(word, "week") == 0) {
		*b = today - 7 * 86400;
		*e = today;
	} else {
		return -1;
	}
	return 0;
}

int
ag_report_send(const struct ag_report_env *env, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "period", required_argument, NULL, 'p' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "domain", required_argument, NULL, 'd' },
		{ "dry-run", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	struct send_run r = { .env = env, .cfg = env->cfg };
	const char *per = "yesterday", *from = NULL, *to = NULL;
	const char *only = NULL;
	struct ag_err err = { 0, "" };
	struct stat st;
	int opt, rc = 0;

	r.now = (int64_t)time(NULL);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'p': per = optarg; break;
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'd': only = optarg; break;
		case 'n': r.dry_dir = optarg; break;
		default: return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "authgate-report send: unexpected \"%s\"\n",
			argv[optind]);
		return 2;
	}
	if ((from != NULL) != (to != NULL)) {
		fprintf(stderr, "authgate-report send: --from and --to go "
			"together\n");
		return 2;
	}
	if (from != NULL) {
		r.begin = ag_report_parse_time(from, r.now);
		r.end = ag_report_parse_time(to, r.now);
		if (r.begin < 0 || r.end < 0 || r.end <= r.begin) {
			fprintf(stderr, "authgate-report send: --from %s --to "
				"%s is not a time range\n", from, to);
			return 2;
		}
	} else if (period(per, r.now, &r.begin, &r.end) != 0) {
		fprintf(stderr, "authgate-report send: --period %s: not "
			"yesterday, today or week\n", per);
		return 2;
	}
	if (r.dry_dir != NULL &&
	    (stat(r.dry_dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
		fprintf(stderr, "authgate-report send: --dry-run %s: not a "
			"directory\n", r.dry_dir);
		return 2;
	}
	if (ag_dns_new(&r.dns, &r.cfg->dns, &err) != AG_OK ||
	    ag_psl_open(&r.psl, r.cfg->psl_file[0] != '\0' ? r.cfg->psl_file
							    : NULL,
			&err) != AG_OK) {
		fprintf(stderr, "authgate-report: %s\n", err.msg);
		rc = 2;
		goto done;
	}
	if ((r.db = ag_report_open_store(env)) == NULL) {
		rc = 75;
		goto done;
	}
	if ((rc = ag_aggregate_domains(r.db, r.begin, r.end, only, collect,
				       &r, &err)) != AG_OK) {
		fprintf(stderr, "authgate-report: %s\n",
			rc == AG_ENOMEM || rc == AG_ELIMIT ? ag_strerror(rc)
							    : err.msg);
		rc = 75;
		goto done;
	}
	for (size_t i = 0; i < r.ndomains; i++)
		(void)one_domain(&r, r.domains[i]);
	printf("%u report(s), %u sent, %u skipped, %u to retry, %u "
	       "failed\n", r.reports, r.sent, r.skipped, r.temp, r.failed);
	rc = r.failed > 0 ? 1 : r.temp > 0 ? 75 : 0;
done:
	free(r.domains);
	ag_sql_close(r.db);
	ag_psl_free(&r.psl);
	ag_dns_free(&r.dns);
	return rc;
}
