/*
 * test_report_aggregate.c - history rows into aggregate reports
 * (report/aggregate.c), the report XML written and read back
 * (dmarc/feedback_*.c), time arguments and the report message
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dmarc/feedback.h"
#include "dmarc/history.h"
#include "report/aggregate.h"
#include "report/cli.h"
#include "report/mailout.h"
#include "report/store.h"

static char dbpath[64];

static struct ag_sql *
fresh_store(void)
{
	struct ag_sql *db = NULL;
	struct ag_err err = { 0, "" };

	snprintf(dbpath, sizeof(dbpath), "/tmp/ag-agg-%d.sqlite", getpid());
	unlink(dbpath);
	assert_int_equal(ag_history_prepare(dbpath, &err), AG_OK);
	assert_int_equal(ag_sql_open(&db, dbpath, &err), AG_OK);
	assert_int_equal(ag_report_store_init(db, &err), AG_OK);
	return db;
}

/* row - one history row (and DKIM rows "d:s:r,...") */
static void
row(struct ag_sql *db, long t, const char *ip, const char *dom,
    const char *disp, const char *dal, const char *sal, const char *reasons,
    const char *spf, const char *dkim, const char *rua)
{
	struct ag_err err = { 0, "" };
	char ts[24], id[24];
	const char *p[] = { ts, ip, dom, dom, "authgate.test", dom, "r", "s",
			    "reject", "quarantine", "", "100", "1", "fail",
			    disp, dal, sal, reasons, dom, "mfrom", spf, rua };
	int rc;

	snprintf(ts, sizeof(ts), "%ld", t);
	rc = ag_sql_exec(db,
			 "INSERT INTO messages (time, source_ip, header_from, "
			 "envelope_from, envelope_to, policy_domain, adkim, "
			 "aspf, p, sp, np, pct, fo, result, disposition, "
			 "dkim_aligned, spf_aligned, reasons, spf_domain, "
			 "spf_scope, spf_result, rua, ri) VALUES "
			 "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,86400)",
			 22, p, &err);
	assert_int_equal(rc, AG_OK);
	if (dkim == NULL)
		return;
	snprintf(id, sizeof(id), "%s", "x");
	{
		char copy[256], *save = NULL;

		snprintf(copy, sizeof(copy), "%s", dkim);
		for (char *one = strtok_r(copy, ",", &save); one != NULL;
		     one = strtok_r(NULL, ",", &save)) {
			char *s1 = strchr(one, ':'), *s2;
			const char *q[3];

			*s1++ = '\0';
			s2 = strchr(s1, ':');
			*s2++ = '\0';
			q[0] = one;
			q[1] = s1;
			q[2] = s2;
			assert_int_equal(
				ag_sql_exec(db,
					    "INSERT INTO dkim (message_id, "
					    "domain, selector, result) SELECT "
					    "max(id), ?, ?, ? FROM messages",
					    3, q, &err),
				AG_OK);
		}
	}
}

static const struct ag_aggregate_meta meta = { "Example Org",
					       "dmarc@example.net", "",
					       "mx.example.net" };

static const struct ag_fb_record *
find(const struct ag_feedback *fb, const char *ip, const char *disp)
{
	for (size_t i = 0; i < fb->nrec; i++)
		if (strcmp(fb->rec[i].source_ip, ip) == 0 &&
		    strcmp(fb->rec[i].disposition, disp) == 0)
			return &fb->rec[i];
	return NULL;
}

static void
test_grouping(void **state)
{
	struct ag_sql *db = fresh_store();
	struct ag_feedback *fb = NULL;
	struct ag_aggregate_batch b;
	struct ag_err err = { 0, "" };
	const struct ag_fb_record *r;
	const char *rua = "mailto:d@bank.test!1000";

	(void)state;
	/* 3 identical, 1 differing by DKIM result, 1 with a reason, 1
	 * outside the period, 1 without rua, 1 of another domain */
	for (int i = 0; i < 3; i++)
		row(db, 1000 + i, "192.0.2.1", "bank.test", "none", "pass",
		    "pass", "", "pass", "bank.test:s1:pass", rua);
	row(db, 1010, "192.0.2.1", "bank.test", "none", "pass", "pass", "",
	    "pass", "bank.test:s1:fail", rua);
	row(db, 1020, "198.51.100.7", "bank.test", "none", "fail", "fail",
	    "trusted_forwarder", "fail", NULL, rua);
	row(db, 5000, "192.0.2.1", "bank.test", "none", "pass", "pass", "",
	    "pass", NULL, rua);
	row(db, 1030, "192.0.2.9", "bank.test", "reject", "fail", "fail", "",
	    "fail", NULL, "");
	row(db, 1040, "192.0.2.1", "other.test", "none", "pass", "pass", "",
	    "pass", NULL, "mailto:x@other.test");
	assert_int_equal(ag_aggregate_build(db, "bank.test", 1000, 2000, &meta,
					    &fb, &b, &err),
			 AG_OK);
	assert_non_null(fb);
	assert_int_equal(fb->nrec, 3);
	assert_int_equal(fb->total_count, 5);
	assert_int_equal(b.messages, 5);
	assert_string_equal(b.rua, rua);
	assert_string_equal(fb->p, "reject");
	assert_string_equal(fb->sp, "quarantine");
	assert_string_equal(fb->adkim, "r");
	assert_string_equal(fb->aspf, "s");
	assert_int_equal(fb->begin, 1000);
	assert_int_equal(fb->end, 1999);
	assert_string_equal(fb->org_name, "Example Org");
	assert_non_null(strstr(fb->report_id, "@mx.example.net"));
	r = find(fb, "198.51.100.7", "none");
	assert_non_null(r);
	assert_int_equal(r->count, 1);
	assert_int_equal(r->nreason, 1);
	assert_string_equal(r->reason[0].type, "trusted_forwarder");
	assert_int_equal(r->nspf, 1);
	assert_string_equal(r->spf_res[0].result, "fail");
	assert_string_equal(r->spf_res[0].scope, "mfrom");
	assert_int_equal(r->ndkim, 0);
	{
		uint64_t pass = 0, fail = 0;

		for (size_t i = 0; i < fb->nrec; i++) {
			const struct ag_fb_record *x = &fb->rec[i];

			if (strcmp(x->source_ip, "192.0.2.1") != 0)
				continue;
			assert_int_equal(x->ndkim, 1);
			assert_string_equal(x->dkim_res[0].selector, "s1");
			if (strcmp(x->dkim_res[0].result, "pass") == 0)
				pass = x->count;
			else
				fail = x->count;
		}
		assert_int_equal(pass, 3);
		assert_int_equal(fail, 1);
	}
	/* marked: nothing left for the period; the other rows untouched */
	assert_int_equal(ag_aggregate_mark(db, &b, 1000, 2000, 9999, &err),
			 AG_OK);
	ag_feedback_free(fb);
	assert_int_equal(ag_aggregate_build(db, "bank.test", 1000, 2000, &meta,
					    &fb, &b, &err),
			 AG_OK);
	assert_null(fb);
	assert_int_equal(ag_aggregate_build(db, "bank.test", 0, 9000, &meta,
					    &fb, &b, &err),
			 AG_OK);
	assert_non_null(fb);
	assert_int_equal(fb->total_count, 1);	/* the row at 5000 */
	ag_feedback_free(fb);
	ag_sql_close(db);
	unlink(dbpath);
}

static void
test_write_read_back(void **state)
{
	struct ag_feedback *fb = ag_feedback_new(), *back = NULL;
	struct ag_fb_record *r;
	struct ag_err err = { 0, "" };
	char *xml = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(fb);
	fb->org_name = "Org <&> \"q\"";
	fb->email = "d@example.net";
	fb->report_id = "id-1";
	fb->domain = "example.org";
	fb->p = "reject";
	fb->begin = 10;
	fb->end = 20;
	r = ag_feedback_add_record(fb);
	r->source_ip = "2001:db8::1";
	r->count = 7;
	r->disposition = "none";
	r->dkim = "fail";
	r->spf = "pass";
	r->header_from = "example.org";
	r->reason = ag_feedback_alloc(fb, sizeof(*r->reason));
	r->reason[0].type = "forwarded";
	r->reason[0].comment = "";
	r->nreason = 1;
	for (int fmt = 0; fmt < 2; fmt++) {
		assert_int_equal(ag_feedback_write(fb, (enum ag_fb_format)fmt,
						   &xml, &len, &err),
				 AG_OK);
		assert_int_equal(ag_feedback_parse(xml, len, &back, &err),
				 AG_OK);
		assert_string_equal(back->org_name, "Org <&> \"q\"");
		assert_int_equal(back->nrec, 1);
		assert_int_equal(back->total_count, 7);
		assert_int_equal(back->bis, fmt == AG_FB_DMARCBIS);
		if (fmt == AG_FB_RFC7489) {
			/* the schema's pattern takes only the full form */
			assert_string_equal(back->rec[0].source_ip,
					    "2001:db8:0:0:0:0:0:1");
			assert_string_equal(back->rec[0].reason[0].type,
					    "forwarded");
			assert_string_equal(back->sp, "reject");
			assert_int_equal(back->pct, 100);
		} else {
			assert_string_equal(back->rec[0].source_ip,
					    "2001:db8::1");
			/* RFC 9990 has no "forwarded": other, word kept */
			assert_string_equal(back->rec[0].reason[0].type,
					    "other");
			assert_string_equal(back->rec[0].reason[0].comment,
					    "forwarded");
		}
		ag_feedback_free(back);
		back = NULL;
		free(xml);
	}
	fb->nrec = 0;
	assert_int_equal(ag_feedback_write(fb, AG_FB_RFC7489, &xml, &len, &err),
			 AG_EINVAL);
	ag_feedback_free(fb);
}

static void
test_parse_limits(void **state)
{
	struct ag_feedback *fb = NULL;
	struct ag_err err = { 0, "" };
	const char *ok_head =
		"<feedback><report_metadata><org_name>o</org_name>"
		"<report_id>r</report_id><date_range><begin>1</begin>"
		"<end>2</end></date_range></report_metadata>"
		"<policy_published><domain>d.example</domain><p>none</p>"
		"</policy_published>";
	char *big;
	size_t n = 0, cap = 64u << 20;

	(void)state;
	/* more than 32 DKIM results in one record */
	big = malloc(cap);
	assert_non_null(big);
	n += (size_t)sprintf(big + n, "%s<record><row><source_ip>192.0.2.1"
			     "</source_ip><count>1</count><policy_evaluated>"
			     "<disposition>none</disposition></policy_evaluated>"
			     "</row><auth_results>", ok_head);
	for (int i = 0; i < 40; i++)
		n += (size_t)sprintf(big + n, "<dkim><domain>d</domain><result>"
				     "pass</result></dkim>");
	n += (size_t)sprintf(big + n, "</auth_results></record></feedback>");
	assert_int_equal(ag_feedback_parse(big, n, &fb, &err), AG_ELIMIT);
	assert_null(fb);
	assert_non_null(strstr(err.msg, "more than 32 <dkim> results"));
	/* two counts whose sum overflows 64 bits */
	n = (size_t)sprintf(big, "%s<record><row><source_ip>192.0.2.1"
			    "</source_ip><count>10000000000000000000</count>"
			    "<policy_evaluated><disposition>none</disposition>"
			    "</policy_evaluated></row></record><record><row>"
			    "<source_ip>192.0.2.1</source_ip><count>10000000000000000000"
			    "</count>"
			    "<policy_evaluated><disposition>none</disposition>"
			    "</policy_evaluated></row></record></feedback>",
			    ok_head);
	assert_int_equal(ag_feedback_parse(big, n, &fb, &err), AG_EINVAL);
	assert_non_null(strstr(err.msg, "counts overflow"));
	/* over the document size limit, refused before parsing */
	assert_int_equal(ag_feedback_parse(big, AG_FB_XML_MAX + 1, &fb, &err),
			 AG_ELIMIT);
	free(big);
}

static void
test_times(void **state)
{
	int64_t now = 1795420230;	/* 2026-11-23T07:50:30Z */

	(void)state;
	assert_int_equal(ag_report_parse_time("today", now), 1795392000);
	assert_int_equal(ag_report_parse_time("yesterday", now), 1795305600);
	assert_int_equal(ag_report_parse_time("2026-11-23", now), 1795392000);
	assert_int_equal(ag_report_parse_time("2026-11-23T06:00Z", now),
			 1795413600);
	assert_int_equal(ag_report_parse_time("2026-11-23T06:00:30Z", now),
			 1795413630);
	assert_int_equal(ag_report_parse_time("@12345", now), 12345);
	assert_int_equal(ag_report_parse_time("-2d", now), now - 172800);
	assert_int_equal(ag_report_parse_time("-3h", now), now - 10800);
	assert_int_equal(ag_report_parse_time("2026-11-23T06:00", now), -1);
	assert_int_equal(ag_report_parse_time("tomorrow", now), -1);
	assert_int_equal(ag_report_parse_time("-2w", now), -1);
	assert_int_equal(ag_report_parse_time("", now), -1);
}

static void
test_message(void **state)
{
	static const unsigned char att[] = "\x1f\x8b binary \0 bytes";
	struct ag_mailout_msg m = {
		.from = "dmarc@example.net", .from_name = "Example Org",
		.to = "rua@example.org",
		.subject = "Report Domain: example.org Submitter: mx.example.net "
			   "Report-ID: <r1>",
		.text = "text\n", .filename = "a!b!1!2.xml.gz",
		.ctype = "application/gzip", .att = att,
		.att_len = sizeof(att), .msgid_domain = "mx.example.net"
	};
	struct ag_err err = { 0, "" };
	unsigned char *gz = NULL;
	char *msg = NULL;
	size_t len = 0, gzlen = 0;

	(void)state;
	assert_int_equal(ag_mailout_compose(&m, &msg, &len, &err), AG_OK);
	assert_non_null(strstr(msg, "\nSubject: Report Domain: example.org "
				    "Submitter: mx.example.net Report-ID: "
				    "<r1>\n"));
	assert_non_null(strstr(msg, "From: \"Example Org\" "
				    "<dmarc@example.net>\n"));
	assert_non_null(strstr(msg, "Content-Type: application/gzip; "
				    "name=\"a!b!1!2.xml.gz\""));
	/* base64 of the first bytes 1f 8b 20 */
	assert_non_null(strstr(msg, "\n\nH4sg"));
	free(msg);
	assert_int_equal(ag_mailout_gzip("hello", 5, &gz, &gzlen, &err), AG_OK);
	assert_true(gzlen > 18 && gz[0] == 0x1f && gz[1] == 0x8b);
	free(gz);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grouping),
		cmocka_unit_test(test_write_read_back),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
