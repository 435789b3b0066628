/*
 * dmarc/sqldb.h - one small SQL interface over SQLite and PostgreSQL, so
 * the report tools write each statement once for both history backends.
 * Use:     ag_sql_open() with the same location strings as the history
 *          store (a path: SQLite; "postgresql://..." / "postgres://...":
 *          libpq); ag_sql_exec() / ag_sql_query(); ag_sql_close().
 *          Statements use "?" placeholders (turned into $1.. for
 *          PostgreSQL); every parameter and every column is text (NULL
 *          allowed for parameters; a NULL column reads as "").
 * Owns:    the connection.
 * Threads: one connection per thread.
 * Errors:  AG_EINVAL (bad location, bad SQL), AG_ETEMP (store
 *          unreachable or busy) with the database's message in err.
 */
#ifndef AG_DMARC_SQLDB_H
#define AG_DMARC_SQLDB_H

#include <stdbool.h>

#include "util/err.h"

struct ag_sql;

int ag_sql_open(struct ag_sql **db_r, const char *where, struct ag_err *err)
	AG_MUST_CHECK;
void ag_sql_close(struct ag_sql *db);

/* ag_sql_is_pg - true for a PostgreSQL connection (for the few DDL
 * statements that differ) */
bool ag_sql_is_pg(const struct ag_sql *db);

/* ag_sql_exec - run a statement (or, with n == 0, several separated by
 * ';'); nothing read back */
int ag_sql_exec(struct ag_sql *db, const char *sql, int n,
		const char *const *params, struct ag_err *err) AG_MUST_CHECK;

/* one result row: ncol values, "" for NULL; non-zero stops the query and
 * is returned by ag_sql_query */
typedef int (*ag_sql_row_fn)(void *arg, int ncol, const char *const *vals);

int ag_sql_query(struct ag_sql *db, const char *sql, int n,
		 const char *const *params, ag_sql_row_fn fn, void *arg,
		 struct ag_err *err) AG_MUST_CHECK;

/* ag_sql_begin/commit/rollback - one transaction at a time */
int ag_sql_begin(struct ag_sql *db, struct ag_err *err) AG_MUST_CHECK;
int ag_sql_commit(struct ag_sql *db, struct ag_err *err) AG_MUST_CHECK;
void ag_sql_rollback(struct ag_sql *db);

#endif
