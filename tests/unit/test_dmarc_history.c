/*
 * tests/unit/test_dmarc_history.c - dmarc/history.c with the SQLite
 * backend (cmocka)
 *
 * Records written through the writer thread are all in the file after
 * close, every field as given (hostile text verbatim); a full queue drops
 * and counts instead of blocking; a bad location is a clear error. The
 * PostgreSQL backend runs the same checks in
 * tests/integration/test_history.sh against a real server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "dmarc/history.h"

static char dir[] = "/tmp/agh.XXXXXX";
static char path[256];

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/history.sqlite", dir);
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

static void
fill(struct ag_history_rec *r, int i)
{
	memset(r, 0, sizeof(*r));
	r->time = 1700000000 + i;
	snprintf(r->jobid, sizeof(r->jobid), "Q%d", i);
	snprintf(r->source_ip, sizeof(r->source_ip), "192.0.2.%d", i % 250);
	snprintf(r->header_from, sizeof(r->header_from), "bank.example");
	snprintf(r->envelope_from, sizeof(r->envelope_from), "bounce.example");
	snprintf(r->envelope_to, sizeof(r->envelope_to), "rcpt.example");
	snprintf(r->policy_domain, sizeof(r->policy_domain), "bank.example");
	snprintf(r->adkim, sizeof(r->adkim), "r");
	snprintf(r->aspf, sizeof(r->aspf), "s");
	snprintf(r->p, sizeof(r->p), "reject");
	snprintf(r->sp, sizeof(r->sp), "quarantine");
	r->pct = 50;
	snprintf(r->fo, sizeof(r->fo), "1:d");
	snprintf(r->result, sizeof(r->result), "fail");
	snprintf(r->disposition, sizeof(r->disposition), "quarantine");
	snprintf(r->dkim_aligned, sizeof(r->dkim_aligned), "fail");
	snprintf(r->spf_aligned, sizeof(r->spf_aligned), "fail");
	snprintf(r->reasons, sizeof(r->reasons), "sampled_out");
	snprintf(r->spf_domain, sizeof(r->spf_domain), "bounce.example");
	snprintf(r->spf_scope, sizeof(r->spf_scope), "mfrom");
	snprintf(r->spf_result, sizeof(r->spf_result), "pass");
	r->ndkim = 2;
	snprintf(r->dkim[0].domain, sizeof(r->dkim[0].domain), "esp.example");
	snprintf(r->dkim[0].selector, sizeof(r->dkim[0].selector), "s1");
	snprintf(r->dkim[0].result, sizeof(r->dkim[0].result), "pass");
	snprintf(r->dkim[1].domain, sizeof(r->dkim[1].domain), "x.example");
	snprintf(r->dkim[1].selector, sizeof(r->dkim[1].selector),
		 "'; DROP TABLE messages; --");
	snprintf(r->dkim[1].result, sizeof(r->dkim[1].result), "fail");
}

static long
query_long(const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long n = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
		    SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void
test_write_and_read_back(void **state)
{
	struct ag_history *h = NULL;
	struct ag_history_opts o;
	struct ag_history_stats st;
	struct ag_history_rec r;
	struct ag_err err = { 0, "" };
	long n = 0;

	(void)state;
	ag_history_opts_defaults(&o);
	o.batch_max = 64;
	o.flush_ms = 20;
	snprintf(o.reporter, sizeof(o.reporter), "authgate test");
	assert_int_equal(ag_history_open(&h, path, &o, &err), AG_OK);
	for (int i = 0; i < 1000; i++) {
		fill(&r, i);
		assert_true(ag_history_add(h, &r));
	}
	ag_history_stats(h, &st);
	assert_int_equal(st.queued, 1000);
	ag_history_close(&h);
	assert_null(h);
	assert_int_equal(ag_history_count(path, &n, &err), AG_OK);
	assert_int_equal(n, 1000);
	assert_int_equal(query_long("SELECT count(*) FROM dkim"), 2000);
	assert_int_equal(query_long("SELECT count(*) FROM messages WHERE "
				    "time = 1700000007 AND jobid = 'Q7' AND "
				    "source_ip = '192.0.2.7' AND header_from = "
				    "'bank.example' AND envelope_from = "
				    "'bounce.example' AND envelope_to = "
				    "'rcpt.example' AND policy_domain = "
				    "'bank.example' AND adkim = 'r' AND aspf = "
				    "'s' AND p = 'reject' AND sp = 'quarantine' "
				    "AND np = '' AND pct = 50 AND fo = '1:d' "
				    "AND result = 'fail' AND disposition = "
				    "'quarantine' AND dkim_aligned = 'fail' AND "
				    "spf_aligned = 'fail' AND reasons = "
				    "'sampled_out' AND spf_domain = "
				    "'bounce.example' AND spf_scope = 'mfrom' "
				    "AND spf_result = 'pass' AND reporter = "
				    "'authgate test'"),
			 1);
	assert_int_equal(query_long("SELECT count(*) FROM dkim WHERE selector "
				    "= '''; DROP TABLE messages; --'"),
			 1000);
	/* reopening appends */
	assert_int_equal(ag_history_open(&h, path, &o, &err), AG_OK);
	fill(&r, 5000);
	assert_true(ag_history_add(h, &r));
	ag_history_close(&h);
	assert_int_equal(ag_history_count(path, &n, &err), AG_OK);
	assert_int_equal(n, 1001);
}

static void
test_full_queue_drops(void **state)
{
	struct ag_history *h = NULL;
	struct ag_history_opts o;
	struct ag_history_stats st;
	struct ag_history_rec r;
	struct ag_err err = { 0, "" };
	unsigned accepted = 0;

	(void)state;
	ag_history_opts_defaults(&o);
	o.queue_max = 4;
	o.batch_max = 1000;	/* the writer waits for flush_ms ... */
	o.flush_ms = 60000;	/* ... a minute: the queue stays full */
	assert_int_equal(ag_history_open(&h, path, &o, &err), AG_OK);
	fill(&r, 1);
	for (int i = 0; i < 10; i++)
		accepted += ag_history_add(h, &r) ? 1 : 0;
	ag_history_stats(h, &st);
	assert_int_equal(accepted, 4);
	assert_int_equal(st.dropped, 6);
	assert_int_equal(st.depth, 4);
	ag_history_close(&h);	/* flushes the four */
}

static void
test_bad_location(void **state)
{
	struct ag_history *h = NULL;
	struct ag_err err = { 0, "" };
	long n;

	(void)state;
	assert_int_not_equal(ag_history_open(&h, "/nonexistent/dir/h.sqlite",
					     NULL, &err),
			     AG_OK);
	assert_null(h);
	assert_non_null(strstr(err.msg, "/nonexistent/dir/h.sqlite"));
	assert_int_not_equal(ag_history_open(&h, "", NULL, &err), AG_OK);
	assert_int_not_equal(ag_history_count("/nonexistent/x", &n, &err),
			     AG_OK);
	assert_false(ag_history_add(NULL, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_and_read_back),
		cmocka_unit_test(test_full_queue_drops),
		cmocka_unit_test(test_bad_location),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
