/*
 * tests/unit/test_report_summary.c - authgate-report summary and html
 * over a small SQLite store (cmocka)
 *
 * Two domains, three reporting orgs (one named like an HTML script, with
 * a comma and quotes, as a hostile reporter could), six sources: passing,
 * failing, partly failing, and one authenticated but not aligned. The
 * per-source numbers are checked exactly in CSV and JSON; the page for
 * its charts, its escaping and the absence of anything external.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "report/cli.h"

static char dir[] = "/tmp/agrs.XXXXXX";
static char store[256], empty[256], outfile[256];

#define EVIL "<script>alert(\"x\"),1</script>"
#define D0 "1704067200"		/* 2024-01-01 00:00 UTC */
#define D1 "1704153600"		/* 2024-01-02 */

static const char schema[] =
	"CREATE TABLE feedback_reports (id INTEGER PRIMARY KEY, "
	"org_name TEXT, report_id TEXT, email TEXT, extra_contact_info TEXT,"
	" date_begin INTEGER, date_end INTEGER, domain TEXT, adkim TEXT, "
	"aspf TEXT, p TEXT, sp TEXT, np TEXT, pct INTEGER, fo TEXT, "
	"testing TEXT, version TEXT, errors TEXT, source TEXT, "
	"ingested INTEGER, UNIQUE (org_name, report_id));"
	"CREATE TABLE feedback_records (id INTEGER PRIMARY KEY, "
	"report INTEGER, source_ip TEXT, count INTEGER, disposition TEXT, "
	"dkim TEXT, spf TEXT, reasons TEXT, envelope_to TEXT, "
	"envelope_from TEXT, header_from TEXT, dkim_pass INTEGER, "
	"spf_pass INTEGER);"
	"CREATE TABLE feedback_auth (record INTEGER, kind TEXT, domain TEXT,"
	" selector TEXT, scope TEXT, result TEXT, human_result TEXT);";

/* reports: Yahoo's (a day later, p=quarantine) is bank's newest */
static const char rows[] =
	"INSERT INTO feedback_reports (id, org_name, report_id, date_begin, "
	"date_end, domain, p, pct) VALUES "
	"(1, 'google.com', 'g1', " D0 ", " D0 " + 86399, 'bank.example', "
	"'none', 100),"
	"(2, 'Yahoo', 'y1', " D1 ", " D1 " + 86399, 'bank.example', "
	"'quarantine', NULL),"
	"(3, '" "<script>alert(\"x\"),1</script>" "', 'x1', " D0 ", " D0
	" + 86399, 'Shop.Example', 'reject', 100);"
	"INSERT INTO feedback_records (report, source_ip, count, "
	"disposition, dkim, spf, header_from, dkim_pass, spf_pass) VALUES "
	"(1, '192.0.2.1', 100, 'none', 'pass', 'pass', 'bank.example', 1, 1),"
	"(1, '192.0.2.1', 20, 'none', 'fail', 'pass', 'bank.example', 0, 1),"
	/* DKIM passed for another domain: authenticated, not aligned */
	"(1, '198.51.100.7', 5, 'none', 'fail', 'fail', 'bank.example', 1, 0),"
	"(1, '198.51.100.7', 15, 'none', 'pass', 'fail', 'bank.example', 1, 0),"
	"(2, '192.0.2.1', 30, 'none', 'pass', 'pass', 'bank.example', 1, 1),"
	"(2, '203.0.113.9', 10, 'quarantine', 'fail', 'fail', 'bank.example', 0, 0),"
	"(3, '203.0.113.9', 4, 'reject', 'fail', 'fail', 'shop.example', 0, 0),"
	"(3, '2001:db8::25', 50, 'none', 'pass', 'fail', 'shop.example', 1, 0);";

static int
make_store(const char *path, bool fill)
{
	sqlite3 *db;
	int rc;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(db, schema, NULL, NULL, NULL);
	if (rc == SQLITE_OK && fill)
		rc = sqlite3_exec(db, rows, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(store, sizeof(store), "%s/store.sqlite", dir);
	snprintf(empty, sizeof(empty), "%s/empty.sqlite", dir);
	snprintf(outfile, sizeof(outfile), "%s/stdout", dir);
	if (make_store(store, true) != 0 || make_store(empty, false) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* slurp - a whole file, NUL-terminated; NULL when missing */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

typedef int (*subcmd)(const struct ag_report_env *, int, char **);

/* run - a subcommand with stdout in a file; its text in *out */
static int
run(subcmd fn, const char *where, char **out, ...)
{
	struct ag_report_env env = { where, "test.conf", NULL };
	char *argv[16];
	int argc = 0, saved, fd, rc;
	va_list ap;

	va_start(ap, out);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	fflush(stdout);
	saved = dup(1);
	fd = open(outfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 1);
	close(fd);
	rc = fn(&env, argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	*out = slurp(outfile);
	assert_non_null(*out);
	return rc;
}

static void
test_csv(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run(ag_report_summary, store, &out, "summary",
			     "--no-dns", "--csv", NULL), 0);
	assert_string_equal(out,
		"source_ip,reverse_name,org,messages,spf_pass,dkim_pass,"
		"dmarc_pass,spf_pass_pct,dkim_pass_pct,dmarc_pass_pct,"
		"alignment_failures,at_p_reject,verdict\n"
		"192.0.2.1,-,google.com,120,120,100,120,100.0,83.3,100.0,0,0,ok\n"
		"2001:db8::25,-,\"<script>alert(\"\"x\"\"),1</script>\","
		"50,0,50,50,0.0,100.0,100.0,0,0,ok\n"
		"192.0.2.1,-,Yahoo,30,30,30,30,100.0,100.0,100.0,0,0,ok\n"
		"198.51.100.7,-,google.com,20,0,20,15,0.0,100.0,75.0,5,5,"
		"partly blocked\n"
		"203.0.113.9,-,Yahoo,10,0,0,0,0.0,0.0,0.0,0,10,"
		"would be blocked\n"
		"203.0.113.9,-,\"<script>alert(\"\"x\"\"),1</script>\","
		"4,0,0,0,0.0,0.0,0.0,0,4,would be blocked\n");
	free(out);
}

static void
test_json(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run(ag_report_summary, store, &out, "summary",
			     "--json", "--no-dns", "--domain", "SHOP.example",
			     NULL), 0);
	assert_string_equal(out, "[\n"
		"{\"source_ip\":\"2001:db8::25\",\"reverse_name\":\"-\","
		"\"org\":\"<script>alert(\\\"x\\\"),1</script>\","
		"\"messages\":50,\"spf_pass\":0,\"dkim_pass\":50,"
		"\"dmarc_pass\":50,\"spf_pass_pct\":0.0,"
		"\"dkim_pass_pct\":100.0,\"dmarc_pass_pct\":100.0,"
		"\"alignment_failures\":0,\"at_p_reject\":0,"
		"\"verdict\":\"ok\"},\n"
		"{\"source_ip\":\"203.0.113.9\",\"reverse_name\":\"-\","
		"\"org\":\"<script>alert(\\\"x\\\"),1</script>\","
		"\"messages\":4,\"spf_pass\":0,\"dkim_pass\":0,"
		"\"dmarc_pass\":0,\"spf_pass_pct\":0.0,"
		"\"dkim_pass_pct\":0.0,\"dmarc_pass_pct\":0.0,"
		"\"alignment_failures\":0,\"at_p_reject\":4,"
		"\"verdict\":\"would be blocked\"}\n]\n");
	free(out);
}

/* --since/--until select by the report's begin and end */
static void
test_time_filter(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run(ag_report_summary, store, &out, "summary",
			     "--no-dns", "--csv", "--since", "2024-01-02",
			     NULL), 0);
	assert_non_null(strstr(out, "\n192.0.2.1,-,Yahoo,30,"));
	assert_non_null(strstr(out, "\n203.0.113.9,-,Yahoo,10,"));
	assert_null(strstr(out, "google.com"));
	free(out);
	assert_int_equal(run(ag_report_summary, store, &out, "summary",
			     "--no-dns", "--csv", "--until=2024-01-02",
			     "--domain=bank.example", NULL), 0);
	assert_null(strstr(out, "Yahoo"));
	assert_null(strstr(out, "script"));
	assert_non_null(strstr(out, "\n192.0.2.1,-,google.com,120,"));
	free(out);
}

static void
test_table(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run(ag_report_summary, store, &out, "summary",
			     "--no-dns", NULL), 0);
	assert_non_null(strstr(out, "Domains covered:  2 (bank.example, "
			       "shop.example)\n"));
	assert_non_null(strstr(out, "Reporting orgs:   3 "));
	assert_non_null(strstr(out, "Date range:       2024-01-01 00:00 .. "
			       "2024-01-02 23:59 UTC (3 reports)\n"));
	assert_non_null(strstr(out, "Total messages:   234\n"));
	assert_non_null(strstr(out, "DMARC pass rate:  91.9%\n"));
	/* bank's newest report says quarantine; 15 of 180 fail */
	assert_non_null(strstr(out, "now p=quarantine"));
	assert_non_null(strstr(out, "at p=reject: 8.3% rejected (15 of 180 "
			       "messages)"));
	assert_non_null(strstr(out, "now p=reject pct=100"));
	assert_non_null(strstr(out, "at p=reject: 7.4% rejected (4 of 54 "
			       "messages)"));
	assert_non_null(strstr(out, "partly blocked\n"));
	assert_non_null(strstr(out, "SOURCE IP"));
	assert_null(strchr(out, '\033'));
	free(out);
}

static void
test_usage(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run(ag_report_summary, store, &out, "summary",
			     "--csv", "--json", NULL), 2);
	free(out);
	assert_int_equal(run(ag_report_summary, store, &out, "summary",
			     "--since", "soon", NULL), 2);
	free(out);
	assert_int_equal(run(ag_report_summary, store, &out, "summary",
			     "--dns", "not a server", NULL), 2);
	free(out);
	assert_int_equal(run(ag_report_html, store, &out, "html", "--no-dns",
			     NULL), 2);
	free(out);
}

/* svg_of - the text of <svg id="ID" ...>...</svg> in page (a copy) */
static char *
svg_of(const char *page, const char *id)
{
	char key[64];
	const char *s, *e;

	snprintf(key, sizeof(key), "<svg id=\"%s\"", id);
	if ((s = strstr(page, key)) == NULL ||
	    (e = strstr(s, "</svg>")) == NULL)
		return NULL;
	return strndup(s, (size_t)(e - s));
}

static void
html_at(const char *where, const char *out_dir, bool data)
{
	static const char *const ids[] = { "chart-passrate", "chart-failing",
					   "chart-disposition" };
	char path[512], *page, *out;

	assert_int_equal(run(ag_report_html, where, &out, "html", "-o",
			     out_dir, "--no-dns", "--csv", "--json", NULL), 0);
	free(out);
	snprintf(path, sizeof(path), "%s/index.html", out_dir);
	page = slurp(path);
	assert_non_null(page);
	for (size_t i = 0; i < 3; i++) {
		char *svg = svg_of(page, ids[i]);

		assert_non_null(svg);
		if (data) {
			assert_true(strstr(svg, "<path") != NULL ||
				    strstr(svg, "<rect") != NULL);
			assert_null(strstr(svg, "no data"));
		} else {
			assert_non_null(strstr(svg, ">no data<"));
		}
		free(svg);
	}
	assert_null(strstr(page, "<script"));
	assert_null(strstr(page, "http://"));
	assert_null(strstr(page, "https://"));
	assert_null(strstr(page, "src="));
	assert_null(strstr(page, "href="));
	if (data) {
		assert_non_null(strstr(page, "&lt;script&gt;alert(&quot;x"
				       "&quot;),1&lt;/script&gt;"));
		/* one line per domain in the pass-rate chart */
		assert_non_null(strstr(page, "bank.example</text>"));
		assert_non_null(strstr(page, "shop.example</text>"));
	}
	free(page);
	for (size_t i = 0; i < 4; i++) {
		static const char *const files[] = {
			"sources.csv", "records.csv", "sources.json",
			"records.json"
		};
		char *text;

		snprintf(path, sizeof(path), "%s/%s", out_dir, files[i]);
		text = slurp(path);
		assert_non_null(text);
		free(text);
	}
}

static void
test_html(void **state)
{
	char out_dir[300], path[400], *text, *p;
	size_t lines = 0;

	(void)state;
	snprintf(out_dir, sizeof(out_dir), "%s/html", dir);
	html_at(store, out_dir, true);
	/* records: a header and one line per stored record */
	snprintf(path, sizeof(path), "%s/records.csv", out_dir);
	text = slurp(path);
	for (p = text; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	assert_int_equal(lines, 9);
	assert_non_null(strstr(text, "\nYahoo,y1,bank.example,1704153600,"
			       "1704239999,203.0.113.9,10,quarantine,fail,"
			       "fail,,,,bank.example,0,0\n"));
	free(text);
	snprintf(path, sizeof(path), "%s/records.json", out_dir);
	text = slurp(path);
	assert_non_null(strstr(text, "{\"org_name\":\"Yahoo\",\"report_id\":"
			       "\"y1\",\"domain\":\"bank.example\","
			       "\"date_begin\":1704153600,\"date_end\":"
			       "1704239999,\"source_ip\":\"203.0.113.9\","
			       "\"count\":10,"));
	free(text);
}

static void
test_html_empty(void **state)
{
	char out_dir[300];

	(void)state;
	snprintf(out_dir, sizeof(out_dir), "%s/html-empty", dir);
	html_at(empty, out_dir, false);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_time_filter),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_html_empty),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
