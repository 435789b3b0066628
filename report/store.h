/*
 * report/store.h - the tables authgate-report keeps beside the DMARC
 * history (same SQLite file or PostgreSQL database): the aggregate and
 * failure reports others send us, and which history rows we reported.
 * Use:     ag_history_prepare() on the location (the history tables,
 *          dmarc/history.h), then ag_report_store_init() once per
 *          connection (creates the report tables); then the add functions.
 * Owns:    nothing; the caller owns the connection.
 * Threads: one connection per thread (dmarc/sqldb.h).
 *
 * Tables (every time is unix seconds; text is UTF-8):
 *   feedback_reports  id, org_name, report_id, email, extra_contact_info,
 *                     date_begin, date_end, domain, adkim, aspf, p, sp, np,
 *                     pct (NULL when absent), fo, testing, version,
 *                     errors ("; "-joined), source (file it came from),
 *                     ingested; UNIQUE (org_name, report_id)
 *   feedback_records  id, report (-> feedback_reports.id), source_ip,
 *                     count, disposition, dkim, spf (policy_evaluated:
 *                     pass/fail), reasons ("type comment; ..."),
 *                     envelope_to, envelope_from, header_from,
 *                     dkim_pass (1 when any auth_results dkim is pass),
 *                     spf_pass (1 when any auth_results spf is pass)
 *   feedback_auth     record (-> feedback_records.id), kind ('dkim' or
 *                     'spf'), domain, selector, scope, result,
 *                     human_result
 *   failure_reports   id, digest (sha256 of the report, UNIQUE),
 *                     feedback_type, user_agent, version, arrival_date,
 *                     source_ip, original_mail_from, original_rcpt_to,
 *                     reporting_mta, auth_failure, delivery_result,
 *                     identity_alignment, dkim_domain, dkim_selector,
 *                     reported_domain (", "-joined),
 *                     authentication_results ("\n"-joined), msg_from,
 *                     msg_to, msg_subject, msg_date, msg_id, source,
 *                     ingested
 *   messages (the history, dmarc/history.h) gains: rua (the policy
 *                     record's rua= as written, "" when none), ri
 *                     (seconds), reported (unix time of the report run
 *                     that covered the row; NULL until then)
 */
#ifndef AG_REPORT_STORE_H
#define AG_REPORT_STORE_H

#include <stdbool.h>

#include "dmarc/arf.h"
#include "dmarc/feedback.h"
#include "dmarc/sqldb.h"

int ag_report_store_init(struct ag_sql *db, struct ag_err *err)
	AG_MUST_CHECK;

/*
 * ag_report_store_add_feedback - store fb and its records in one
 * transaction. AG_OK with *dup_r true (nothing written) when a report
 * with the same org_name and report_id is already stored.
 */
int ag_report_store_add_feedback(struct ag_sql *db,
				 const struct ag_feedback *fb,
				 const char *source, bool *dup_r,
				 struct ag_err *err) AG_MUST_CHECK;

/* ag_report_store_add_failure - as above for a failure report; digest is
 * the hex sha256 of its text, the duplicate key */
int ag_report_store_add_failure(struct ag_sql *db, const struct ag_arf *arf,
				const char *digest, const char *source,
				bool *dup_r, struct ag_err *err) AG_MUST_CHECK;

#endif
