/*
 * report/store.c - the report tables (report/store.h)
 */
#include "report/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* the DDL differs only in how ids and 64-bit times are declared */
#define DDL(ID, BIG)                                                          \
	"CREATE TABLE IF NOT EXISTS feedback_reports ("                       \
	"  id " ID ", org_name TEXT NOT NULL, report_id TEXT NOT NULL,"       \
	"  email TEXT, extra_contact_info TEXT, date_begin " BIG " NOT NULL," \
	"  date_end " BIG " NOT NULL, domain TEXT NOT NULL, adkim TEXT,"      \
	"  aspf TEXT, p TEXT, sp TEXT, np TEXT, pct INTEGER, fo TEXT,"        \
	"  testing TEXT, version TEXT, errors TEXT, source TEXT,"             \
	"  ingested " BIG " NOT NULL, UNIQUE (org_name, report_id));"         \
	"CREATE INDEX IF NOT EXISTS feedback_reports_domain"                  \
	"  ON feedback_reports (domain, date_begin);"                         \
	"CREATE TABLE IF NOT EXISTS feedback_records ("                       \
	"  id " ID ", report " BIG " NOT NULL REFERENCES feedback_reports"    \
	"  (id), source_ip TEXT NOT NULL, count " BIG " NOT NULL,"            \
	"  disposition TEXT, dkim TEXT, spf TEXT, reasons TEXT,"              \
	"  envelope_to TEXT, envelope_from TEXT, header_from TEXT,"           \
	"  dkim_pass INTEGER NOT NULL, spf_pass INTEGER NOT NULL);"           \
	"CREATE INDEX IF NOT EXISTS feedback_records_report"                  \
	"  ON feedback_records (report);"                                     \
	"CREATE TABLE IF NOT EXISTS feedback_auth ("                          \
	"  record " BIG " NOT NULL REFERENCES feedback_records (id),"         \
	"  kind TEXT NOT NULL, domain TEXT, selector TEXT, scope TEXT,"       \
	"  result TEXT, human_result TEXT);"                                  \
	"CREATE INDEX IF NOT EXISTS feedback_auth_record"                     \
	"  ON feedback_auth (record);"                                        \
	"CREATE TABLE IF NOT EXISTS failure_reports ("                        \
	"  id " ID ", digest TEXT NOT NULL UNIQUE, feedback_type TEXT,"       \
	"  user_agent TEXT, version TEXT, arrival_date TEXT, source_ip TEXT," \
	"  original_mail_from TEXT, original_rcpt_to TEXT,"                   \
	"  reporting_mta TEXT, auth_failure TEXT, delivery_result TEXT,"      \
	"  identity_alignment TEXT, dkim_domain TEXT, dkim_selector TEXT,"    \
	"  reported_domain TEXT, authentication_results TEXT, msg_from TEXT," \
	"  msg_to TEXT, msg_subject TEXT, msg_date TEXT, msg_id TEXT,"        \
	"  source TEXT, ingested " BIG " NOT NULL);"

static const char ddl_lite[] = DDL("INTEGER PRIMARY KEY AUTOINCREMENT",
				   "INTEGER");
static const char ddl_pg[] = DDL("BIGSERIAL PRIMARY KEY", "BIGINT");

int
ag_report_store_init(struct ag_sql *db, struct ag_err *err)
{
	return ag_sql_exec(db, ag_sql_is_pg(db) ? ddl_pg : ddl_lite, 0, NULL,
			   err);
}

/* the first column of the first row, copied */
struct first {
	char val[32];
	bool got;
};

static int
first_row(void *arg, int ncol, const char *const *vals)
{
	struct first *f = arg;

	if (ncol > 0 && !f->got) {
		snprintf(f->val, sizeof(f->val), "%s", vals[0]);
		f->got = true;
	}
	return 0;
}

/* begin_new - open a transaction and look the report up by sql (n
 * params p): when it is there, *dup_r true and the transaction rolled
 * back; else AG_OK with the transaction open for the insert */
static int
begin_new(struct ag_sql *db, const char *sql, int n, const char *const *p,
	  bool *dup_r, struct ag_err *err)
{
	struct first id = { .got = false };
	int rc;

	if ((rc = ag_sql_begin(db, err)) != AG_OK)
		return rc;
	rc = ag_sql_query(db, sql, n, p, first_row, &id, err);
	if (rc != AG_OK || id.got) {
		*dup_r = rc == AG_OK;
		ag_sql_rollback(db);
	}
	return rc;
}

/* any_pass - is one of the n results "pass"? */
static bool
any_pass(const struct ag_fb_auth *a, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(a[i].result, "pass") == 0)
			return true;
	return false;
}

/* add_auth - one feedback_auth row */
static int
add_auth(struct ag_sql *db, const char *rec_id, const char *kind,
	 const struct ag_fb_auth *a, struct ag_err *err)
{
	const char *p[] = { rec_id, kind, a->domain, a->selector, a->scope,
			    a->result, a->human_result };

	return ag_sql_exec(db,
			   "INSERT INTO feedback_auth (record, kind, domain, "
			   "selector, scope, result, human_result) VALUES "
			   "(?,?,?,?,?,?,?)",
			   7, p, err);
}

/* add_record - one feedback_records row and its auth rows */
static int
add_record(struct ag_sql *db, const char *report_id,
	   const struct ag_fb_record *r, struct ag_err *err)
{
	char count[24], reasons[1024] = "";
	struct first id = { .got = false };
	size_t at = 0;
	int rc;

	snprintf(count, sizeof(count), "%" PRIu64, r->count);
	for (unsigned i = 0; i < r->nreason && at < sizeof(reasons); i++)
		at += (size_t)snprintf(reasons + at, sizeof(reasons) - at,
				       "%s%s%s%s", i > 0 ? "; " : "",
				       r->reason[i].type,
				       r->reason[i].comment[0] != '\0' ? " "
								       : "",
				       r->reason[i].comment);
	{
		const char *p[] = { report_id, r->source_ip, count,
				    r->disposition, r->dkim, r->spf, reasons,
				    r->envelope_to, r->envelope_from,
				    r->header_from,
				    any_pass(r->dkim_res, r->ndkim) ? "1"
								    : "0",
				    any_pass(r->spf_res, r->nspf) ? "1" : "0" };

		rc = ag_sql_query(db,
				  "INSERT INTO feedback_records (report, "
				  "source_ip, count, disposition, dkim, spf, "
				  "reasons, envelope_to, envelope_from, "
				  "header_from, dkim_pass, spf_pass) VALUES "
				  "(?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
				  12, p, first_row, &id, err);
	}
	if (rc != AG_OK)
		return rc;
	for (unsigned i = 0; i < r->ndkim && rc == AG_OK; i++)
		rc = add_auth(db, id.val, "dkim", &r->dkim_res[i], err);
	for (unsigned i = 0; i < r->nspf && rc == AG_OK; i++)
		rc = add_auth(db, id.val, "spf", &r->spf_res[i], err);
	return rc;
}

int
ag_report_store_add_feedback(struct ag_sql *db, const struct ag_feedback *fb,
			     const char *source, bool *dup_r,
			     struct ag_err *err)
{
	char begin[24], end[24], pct[12], now[24], errors[2048] = "";
	struct first id = { .got = false };
	size_t at = 0;
	int rc;

	*dup_r = false;
	snprintf(begin, sizeof(begin), "%" PRId64, fb->begin);
	snprintf(end, sizeof(end), "%" PRId64, fb->end);
	snprintf(pct, sizeof(pct), "%d", fb->pct);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	for (unsigned i = 0; i < fb->nerror && at < sizeof(errors); i++)
		at += (size_t)snprintf(errors + at, sizeof(errors) - at,
				       "%s%s", i > 0 ? "; " : "",
				       fb->error[i]);
	{
		const char *p[] = { fb->org_name, fb->report_id };

		rc = begin_new(db,
			       "SELECT id FROM feedback_reports WHERE "
			       "org_name = ? AND report_id = ?",
			       2, p, dup_r, err);
	}
	if (rc != AG_OK || *dup_r)
		return rc;
	{
		const char *p[] = { fb->org_name, fb->report_id, fb->email,
				    fb->extra_contact_info, begin, end,
				    fb->domain, fb->adkim, fb->aspf, fb->p,
				    fb->sp, fb->np, fb->pct >= 0 ? pct : NULL,
				    fb->fo, fb->testing, fb->version, errors,
				    source, now };

		rc = ag_sql_query(db,
				  "INSERT INTO feedback_reports (org_name, "
				  "report_id, email, extra_contact_info, "
				  "date_begin, date_end, domain, adkim, aspf, "
				  "p, sp, np, pct, fo, testing, version, "
				  "errors, source, ingested) VALUES "
				  "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
				  "RETURNING id",
				  19, p, first_row, &id, err);
	}
	if (rc != AG_OK)
		goto fail;
	for (size_t i = 0; i < fb->nrec && rc == AG_OK; i++)
		rc = add_record(db, id.val, &fb->rec[i], err);
	if (rc != AG_OK)
		goto fail;
	return ag_sql_commit(db, err);
fail:
	ag_sql_rollback(db);
	return rc;
}

/* join - the n strings with sep between them, cut to size */
static void
join(char *dst, size_t size, const char *const *s, unsigned n,
     const char *sep)
{
	size_t at = 0;

	dst[0] = '\0';
	for (unsigned i = 0; i < n && at < size; i++)
		at += (size_t)snprintf(dst + at, size - at, "%s%s",
				       i > 0 ? sep : "", s[i]);
}

int
ag_report_store_add_failure(struct ag_sql *db, const struct ag_arf *a,
			    const char *digest, const char *source,
			    bool *dup_r, struct ag_err *err)
{
	char now[24], domains[2048], ar[8192];
	int rc;

	*dup_r = false;
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	join(domains, sizeof(domains), a->reported_domain,
	     a->nreported_domain, ", ");
	join(ar, sizeof(ar), a->authentication_results, a->nauth_results,
	     "\n");
	{
		const char *p[] = { digest };

		rc = begin_new(db,
			       "SELECT id FROM failure_reports WHERE "
			       "digest = ?",
			       1, p, dup_r, err);
	}
	if (rc != AG_OK || *dup_r)
		return rc;
	{
		const char *p[] = {
			digest, a->feedback_type, a->user_agent, a->version,
			a->arrival_date, a->source_ip, a->original_mail_from,
			a->original_rcpt_to, a->reporting_mta, a->auth_failure,
			a->delivery_result, a->identity_alignment,
			a->dkim_domain, a->dkim_selector, domains, ar,
			a->msg_from, a->msg_to, a->msg_subject, a->msg_date,
			a->msg_id, source, now
		};

		rc = ag_sql_exec(db,
				 "INSERT INTO failure_reports (digest, "
				 "feedback_type, user_agent, version, "
				 "arrival_date, source_ip, original_mail_from, "
				 "original_rcpt_to, reporting_mta, "
				 "auth_failure, delivery_result, "
				 "identity_alignment, dkim_domain, "
				 "dkim_selector, reported_domain, "
				 "authentication_results, msg_from, msg_to, "
				 "msg_subject, msg_date, msg_id, source, "
				 "ingested) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,"
				 "?,?,?,?,?,?,?,?,?,?)",
				 23, p, err);
	}
	if (rc != AG_OK)
		goto fail;
	return ag_sql_commit(db, err);
fail:
	ag_sql_rollback(db);
	return rc;
}
