/*
 * dmarc/sqldb.c - dmarc/sqldb.h on SQLite and libpq
 *
 * Everything crosses as text: both databases convert a text parameter to
 * the column's type, which keeps one statement valid for both.
 */
#include "dmarc/sqldb.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_MAX_COLS 64

struct ag_sql {
	bool pg;
	sqlite3 *lite;
	PGconn *conn;
};

bool
ag_sql_is_pg(const struct ag_sql *db)
{
	return db->pg;
}

static void
quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static bool
is_pg_uri(const char *where)
{
	return strncmp(where, "postgresql://", 13) == 0 ||
	       strncmp(where, "postgres://", 11) == 0;
}

int
ag_sql_open(struct ag_sql **db_r, const char *where, struct ag_err *err)
{
	struct ag_sql *db;
	int rc;

	*db_r = NULL;
	if (where == NULL || where[0] == '\0')
		return ag_err_set(err, AG_EINVAL, "no store given");
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return ag_err_set(err, AG_ENOMEM, "out of memory");
	if (is_pg_uri(where)) {
		db->pg = true;
		db->conn = PQconnectdb(where);
		if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
			/* the URI may hold a password: name the error only */
			rc = ag_err_set(err, AG_ETEMP, "PostgreSQL store: %s",
					db->conn != NULL
						? PQerrorMessage(db->conn)
						: "out of memory");
			goto fail;
		}
		PQsetClientEncoding(db->conn, "UTF8");
		/* "already exists, skipping" notices of CREATE ... IF NOT
		 * EXISTS are not for the user's terminal */
		PQsetNoticeProcessor(db->conn, quiet, NULL);
	} else {
		if (sqlite3_open_v2(where, &db->lite,
				    SQLITE_OPEN_READWRITE |
					    SQLITE_OPEN_CREATE,
				    NULL) != SQLITE_OK) {
			rc = ag_err_set(err, AG_EINVAL, "store %s: %s", where,
					db->lite != NULL
						? sqlite3_errmsg(db->lite)
						: "cannot open");
			goto fail;
		}
		/* the milter may be writing: wait for its batches */
		sqlite3_busy_timeout(db->lite, 10000);
		if (sqlite3_exec(db->lite, "PRAGMA journal_mode=WAL", NULL,
				 NULL, NULL) != SQLITE_OK) {
			rc = ag_err_set(err, AG_EINVAL, "store %s: %s", where,
					sqlite3_errmsg(db->lite));
			goto fail;
		}
	}
	*db_r = db;
	return AG_OK;
fail:
	ag_sql_close(db);
	return rc;
}

void
ag_sql_close(struct ag_sql *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL)
		PQfinish(db->conn);
	if (db->lite != NULL)
		sqlite3_close(db->lite);
	free(db);
}

/* lite_err - the SQLite error as an AG_E* code: busy/locked is
 * temporary, the rest is a bad statement or a broken file */
static int
lite_err(struct ag_sql *db, struct ag_err *err, int src)
{
	int code = src == SQLITE_BUSY || src == SQLITE_LOCKED ? AG_ETEMP
							       : AG_EINVAL;

	return ag_err_set(err, code, "store: %s", sqlite3_errmsg(db->lite));
}

static int
pg_err(struct ag_sql *db, struct ag_err *err)
{
	int code = PQstatus(db->conn) != CONNECTION_OK ? AG_ETEMP : AG_EINVAL;
	char msg[AG_ERR_MSG_MAX];
	size_t n;

	snprintf(msg, sizeof(msg), "%s", PQerrorMessage(db->conn));
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	return ag_err_set(err, code, "store: %s", msg);
}

/* pg_sql - sql with each "?" outside quotes turned into $1, $2 ... ;
 * malloc'd, NULL when out of memory */
static char *
pg_sql(const char *sql)
{
	size_t len = strlen(sql);
	char *out = malloc(len * 4 + 1);
	char *o = out;
	int n = 0;
	char quote = 0;

	if (out == NULL)
		return NULL;
	for (const char *s = sql; *s != '\0'; s++) {
		if (quote != 0) {
			if (*s == quote)
				quote = 0;
			*o++ = *s;
		} else if (*s == '\'' || *s == '"') {
			quote = *s;
			*o++ = *s;
		} else if (*s == '?') {
			o += sprintf(o, "$%d", ++n);
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

static int
lite_run(struct ag_sql *db, const char *sql, int n, const char *const *params,
	 ag_sql_row_fn fn, void *arg, struct ag_err *err)
{
	sqlite3_stmt *st = NULL;
	const char *vals[SQL_MAX_COLS];
	int rc = AG_OK, src;

	if ((src = sqlite3_prepare_v2(db->lite, sql, -1, &st, NULL)) !=
	    SQLITE_OK)
		return lite_err(db, err, src);
	for (int i = 0; i < n; i++) {
		if (params[i] == NULL)
			sqlite3_bind_null(st, i + 1);
		else
			sqlite3_bind_text(st, i + 1, params[i], -1,
					  SQLITE_STATIC);
	}
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		int ncol = sqlite3_column_count(st);

		if (fn == NULL)
			continue;
		if (ncol > SQL_MAX_COLS)
			ncol = SQL_MAX_COLS;
		for (int c = 0; c < ncol; c++) {
			const unsigned char *t = sqlite3_column_text(st, c);

			vals[c] = t != NULL ? (const char *)t : "";
		}
		if ((rc = fn(arg, ncol, vals)) != 0)
			goto done;
	}
	if (src != SQLITE_DONE)
		rc = lite_err(db, err, src);
done:
	sqlite3_finalize(st);
	return rc;
}

static int
pg_run(struct ag_sql *db, const char *sql, int n, const char *const *params,
       ag_sql_row_fn fn, void *arg, struct ag_err *err)
{
	PGresult *res = NULL;
	char *q = NULL;
	const char *vals[SQL_MAX_COLS];
	int rc = AG_OK;
	ExecStatusType st;

	if ((q = pg_sql(sql)) == NULL)
		return ag_err_set(err, AG_ENOMEM, "out of memory");
	res = PQexecParams(db->conn, q, n, NULL, params, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		rc = pg_err(db, err);
		goto done;
	}
	if (fn == NULL || st != PGRES_TUPLES_OK)
		goto done;
	for (int r = 0; r < PQntuples(res); r++) {
		int ncol = PQnfields(res);

		if (ncol > SQL_MAX_COLS)
			ncol = SQL_MAX_COLS;
		for (int c = 0; c < ncol; c++)
			vals[c] = PQgetvalue(res, r, c);
		if ((rc = fn(arg, ncol, vals)) != 0)
			goto done;
	}
done:
	PQclear(res);
	free(q);
	return rc;
}

int
ag_sql_exec(struct ag_sql *db, const char *sql, int n,
	    const char *const *params, struct ag_err *err)
{
	if (n == 0 && !db->pg) {
		char *msg = NULL;
		int rc = AG_OK;

		if (sqlite3_exec(db->lite, sql, NULL, NULL, &msg) !=
		    SQLITE_OK)
			rc = ag_err_set(err, AG_EINVAL, "store: %s",
					msg != NULL ? msg : "error");
		sqlite3_free(msg);
		return rc;
	}
	if (n == 0) {
		PGresult *res = PQexec(db->conn, sql);
		ExecStatusType st = PQresultStatus(res);
		int rc = AG_OK;

		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
			rc = pg_err(db, err);
		PQclear(res);
		return rc;
	}
	return ag_sql_query(db, sql, n, params, NULL, NULL, err);
}

int
ag_sql_query(struct ag_sql *db, const char *sql, int n,
	     const char *const *params, ag_sql_row_fn fn, void *arg,
	     struct ag_err *err)
{
	return db->pg ? pg_run(db, sql, n, params, fn, arg, err)
		      : lite_run(db, sql, n, params, fn, arg, err);
}

int
ag_sql_begin(struct ag_sql *db, struct ag_err *err)
{
	/* IMMEDIATE: take SQLite's write lock now, so a busy store is seen
	 * before any work, not at COMMIT */
	return ag_sql_exec(db, db->pg ? "BEGIN" : "BEGIN IMMEDIATE", 0, NULL,
			   err);
}

int
ag_sql_commit(struct ag_sql *db, struct ag_err *err)
{
	return ag_sql_exec(db, "COMMIT", 0, NULL, err);
}

void
ag_sql_rollback(struct ag_sql *db)
{
	/* nothing to do when it fails: the connection ends the
	 * transaction when it closes */
	if (ag_sql_exec(db, "ROLLBACK", 0, NULL, NULL) != AG_OK)
		return;
}
