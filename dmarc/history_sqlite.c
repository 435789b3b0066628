/*
 * dmarc/history_sqlite.c - the history store in an SQLite file
 *
 * WAL journal with synchronous=NORMAL: a committed batch survives the
 * process being killed (only an OS crash can lose the last commits), and
 * report tools can read while the writer writes. One connection, used by
 * the writer thread only.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/history_int.h"

struct lite {
	sqlite3 *db;
	sqlite3_stmt *ins_msg;
	sqlite3_stmt *ins_dkim;
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
	"INSERT INTO schema_version (version) SELECT 1 WHERE NOT EXISTS "
	"  (SELECT 1 FROM schema_version);"
	"CREATE TABLE IF NOT EXISTS messages ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  time INTEGER NOT NULL, jobid TEXT, source_ip TEXT NOT NULL,"
	"  header_from TEXT NOT NULL, envelope_from TEXT, envelope_to TEXT,"
	"  policy_domain TEXT, adkim TEXT, aspf TEXT, p TEXT, sp TEXT,"
	"  np TEXT, pct INTEGER, fo TEXT, result TEXT NOT NULL,"
	"  disposition TEXT NOT NULL, dkim_aligned TEXT, spf_aligned TEXT,"
	"  reasons TEXT, spf_domain TEXT, spf_scope TEXT, spf_result TEXT,"
	"  reporter TEXT, rua TEXT, ri INTEGER, reported INTEGER);"
	"CREATE INDEX IF NOT EXISTS messages_time ON messages (time);"
	"CREATE INDEX IF NOT EXISTS messages_from ON messages (header_from);"
	"CREATE TABLE IF NOT EXISTS dkim ("
	"  message_id INTEGER NOT NULL REFERENCES messages (id),"
	"  domain TEXT NOT NULL, selector TEXT, result TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS dkim_message ON dkim (message_id);";

/* upgrade - a version 1 store (before aggregate reports were sent) gets
 * the columns rua, ri and reported; a table made by this version has
 * them already, so "duplicate column" errors are expected and ignored */
static int
upgrade(sqlite3 *db)
{
	static const char *const alter[] = {
		"ALTER TABLE messages ADD COLUMN rua TEXT",
		"ALTER TABLE messages ADD COLUMN ri INTEGER",
		"ALTER TABLE messages ADD COLUMN reported INTEGER",
	};
	sqlite3_stmt *st = NULL;
	int version = 0;

	if (sqlite3_prepare_v2(db, "SELECT max(version) FROM schema_version",
			       -1, &st, NULL) != SQLITE_OK)
		return SQLITE_ERROR;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version >= 2)
		return SQLITE_OK;
	for (size_t i = 0; i < sizeof(alter) / sizeof(alter[0]); i++)
		(void)sqlite3_exec(db, alter[i], NULL, NULL, NULL);
	return sqlite3_exec(db, "UPDATE schema_version SET version = 2",
			    NULL, NULL, NULL);
}

static int
lite_fail(struct lite *l, struct ag_err *err, const char *what)
{
	return ag_err_set(err, AG_ETEMP, "history store: %s: %s", what,
			  l->db != NULL ? sqlite3_errmsg(l->db) : "no handle");
}

static int
lite_write(void *ctx, struct ag_history_rec *const *recs, unsigned n,
	   const char *reporter, struct ag_err *err)
{
	struct lite *l = ctx;
	int rc = AG_OK;

	if (sqlite3_exec(l->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return lite_fail(l, err, "BEGIN");
	for (unsigned i = 0; i < n && rc == AG_OK; i++) {
		const char *vals[AG_HISTORY_NCOLUMNS];
		char tbuf[24], pbuf[8], rbuf[16];
		sqlite3_int64 id;

		ag_history_text_values(recs[i], reporter, vals, tbuf, pbuf,
				       rbuf);
		sqlite3_reset(l->ins_msg);
		for (int c = 0; c < AG_HISTORY_NCOLUMNS; c++) {
			/* time, pct and ri as integers, the rest as text */
			if (c == 0)
				sqlite3_bind_int64(l->ins_msg, c + 1,
						   recs[i]->time);
			else if (c == 12)
				sqlite3_bind_int(l->ins_msg, c + 1,
						 (int)recs[i]->pct);
			else if (c == 24)
				sqlite3_bind_int64(l->ins_msg, c + 1,
						   recs[i]->ri);
			else
				sqlite3_bind_text(l->ins_msg, c + 1, vals[c],
						  -1, SQLITE_STATIC);
		}
		if (sqlite3_step(l->ins_msg) != SQLITE_DONE) {
			rc = lite_fail(l, err, "insert");
			break;
		}
		id = sqlite3_last_insert_rowid(l->db);
		for (unsigned k = 0; k < recs[i]->ndkim; k++) {
			const struct ag_history_dkim *d = &recs[i]->dkim[k];

			sqlite3_reset(l->ins_dkim);
			sqlite3_bind_int64(l->ins_dkim, 1, id);
			sqlite3_bind_text(l->ins_dkim, 2, d->domain, -1,
					  SQLITE_STATIC);
			sqlite3_bind_text(l->ins_dkim, 3, d->selector, -1,
					  SQLITE_STATIC);
			sqlite3_bind_text(l->ins_dkim, 4, d->result, -1,
					  SQLITE_STATIC);
			if (sqlite3_step(l->ins_dkim) != SQLITE_DONE) {
				rc = lite_fail(l, err, "insert dkim");
				break;
			}
		}
	}
	sqlite3_reset(l->ins_msg);
	sqlite3_reset(l->ins_dkim);
	if (rc != AG_OK) {
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	if (sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = lite_fail(l, err, "COMMIT");
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	}
	return rc;
}

static int
lite_count(void *ctx, long *n_r, struct ag_err *err)
{
	struct lite *l = ctx;
	sqlite3_stmt *st = NULL;
	int rc = AG_OK;

	if (sqlite3_prepare_v2(l->db, "SELECT count(*) FROM messages", -1,
			       &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		rc = lite_fail(l, err, "count");
	else
		*n_r = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

static void
lite_close(void *ctx)
{
	struct lite *l = ctx;

	if (l == NULL)
		return;
	sqlite3_finalize(l->ins_msg);
	sqlite3_finalize(l->ins_dkim);
	sqlite3_close(l->db);
	free(l);
}

int
ag_history_sqlite_open(struct ag_history_backend *b, const char *path,
		       struct ag_err *err)
{
	struct lite *l;
	char sql[512];
	int rc;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return ag_err_set(err, AG_ENOMEM, "out of memory");
	if (sqlite3_open_v2(path, &l->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				    SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		rc = ag_err_set(err, AG_EINVAL, "history store %s: %s", path,
				l->db != NULL ? sqlite3_errmsg(l->db)
					      : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(l->db, 5000);
	if (sqlite3_exec(l->db, "PRAGMA journal_mode=WAL;"
				"PRAGMA synchronous=NORMAL;",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(l->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    upgrade(l->db) != SQLITE_OK) {
		rc = ag_err_set(err, AG_EINVAL, "history store %s: %s", path,
				sqlite3_errmsg(l->db));
		goto fail;
	}
	snprintf(sql, sizeof(sql),
		 "INSERT INTO messages (" AG_HISTORY_COLUMNS ") VALUES "
		 "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	if (sqlite3_prepare_v2(l->db, sql, -1, &l->ins_msg, NULL) !=
		    SQLITE_OK ||
	    sqlite3_prepare_v2(l->db,
			       "INSERT INTO dkim (message_id, domain, "
			       "selector, result) VALUES (?,?,?,?)",
			       -1, &l->ins_dkim, NULL) != SQLITE_OK) {
		rc = ag_err_set(err, AG_EINVAL, "history store %s: %s", path,
				sqlite3_errmsg(l->db));
		goto fail;
	}
	b->ctx = l;
	b->write = lite_write;
	b->count = lite_count;
	b->close = lite_close;
	return AG_OK;
fail:
	lite_close(l);
	return rc;
}
