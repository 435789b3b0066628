/*
 * dmarc/history_pg.c - the history store in PostgreSQL (libpq)
 *
 * For several MTAs writing to one store. Parameterised statements only;
 * a lost connection is reset once per batch (the batch is then retried by
 * dmarc/history.c). The writer thread is the only user of the connection.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/history_int.h"

struct pg {
	PGconn *conn;
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
	"INSERT INTO schema_version (version) SELECT 1 WHERE NOT EXISTS "
	"  (SELECT 1 FROM schema_version);"
	"CREATE TABLE IF NOT EXISTS messages ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  time BIGINT NOT NULL, jobid TEXT, source_ip TEXT NOT NULL,"
	"  header_from TEXT NOT NULL, envelope_from TEXT, envelope_to TEXT,"
	"  policy_domain TEXT, adkim TEXT, aspf TEXT, p TEXT, sp TEXT,"
	"  np TEXT, pct INTEGER, fo TEXT, result TEXT NOT NULL,"
	"  disposition TEXT NOT NULL, dkim_aligned TEXT, spf_aligned TEXT,"
	"  reasons TEXT, spf_domain TEXT, spf_scope TEXT, spf_result TEXT,"
	"  reporter TEXT, rua TEXT, ri INTEGER, reported BIGINT);"
	/* version 1 stores (before aggregate reports were sent) */
	"ALTER TABLE messages ADD COLUMN IF NOT EXISTS rua TEXT;"
	"ALTER TABLE messages ADD COLUMN IF NOT EXISTS ri INTEGER;"
	"ALTER TABLE messages ADD COLUMN IF NOT EXISTS reported BIGINT;"
	"UPDATE schema_version SET version = 2 WHERE version < 2;"
	"CREATE INDEX IF NOT EXISTS messages_time ON messages (time);"
	"CREATE INDEX IF NOT EXISTS messages_from ON messages (header_from);"
	"CREATE TABLE IF NOT EXISTS dkim ("
	"  message_id BIGINT NOT NULL REFERENCES messages (id),"
	"  domain TEXT NOT NULL, selector TEXT, result TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS dkim_message ON dkim (message_id);";

static const char ins_msg[] =
	"INSERT INTO messages (" AG_HISTORY_COLUMNS ") VALUES ($1::bigint,"
	"$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13::integer,$14,$15,$16,$17,"
	"$18,$19,$20,$21,$22,$23,$24,$25::integer) RETURNING id";
static const char ins_dkim[] =
	"INSERT INTO dkim (message_id, domain, selector, result) VALUES "
	"($1::bigint, $2, $3, $4)";

/* exec - one command; true when it returned status want */
static bool
exec(struct pg *p, const char *sql, ExecStatusType want)
{
	PGresult *r = PQexec(p->conn, sql);
	bool ok = PQresultStatus(r) == want;

	PQclear(r);
	return ok;
}

static void
quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int
pg_fail(struct pg *p, struct ag_err *err, const char *what)
{
	return ag_err_set(err, AG_ETEMP, "history store: %s: %s", what,
			  PQerrorMessage(p->conn));
}

static int
pg_write(void *ctx, struct ag_history_rec *const *recs, unsigned n,
	 const char *reporter, struct ag_err *err)
{
	struct pg *p = ctx;
	int rc = AG_OK;

	if (PQstatus(p->conn) != CONNECTION_OK)
		PQreset(p->conn);
	if (PQstatus(p->conn) != CONNECTION_OK)
		return pg_fail(p, err, "connect");
	if (!exec(p, "BEGIN", PGRES_COMMAND_OK))
		return pg_fail(p, err, "BEGIN");
	for (unsigned i = 0; i < n && rc == AG_OK; i++) {
		const char *vals[AG_HISTORY_NCOLUMNS];
		char tbuf[24], pbuf[8], rbuf[16], idbuf[32];
		PGresult *r;

		ag_history_text_values(recs[i], reporter, vals, tbuf, pbuf,
				       rbuf);
		r = PQexecParams(p->conn, ins_msg, AG_HISTORY_NCOLUMNS, NULL,
				 vals, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK ||
		    PQntuples(r) != 1) {
			PQclear(r);
			rc = pg_fail(p, err, "insert");
			break;
		}
		snprintf(idbuf, sizeof(idbuf), "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
		for (unsigned k = 0; k < recs[i]->ndkim; k++) {
			const struct ag_history_dkim *d = &recs[i]->dkim[k];
			const char *dv[4] = { idbuf, d->domain, d->selector,
					      d->result };

			r = PQexecParams(p->conn, ins_dkim, 4, NULL, dv, NULL,
					 NULL, 0);
			if (PQresultStatus(r) != PGRES_COMMAND_OK)
				rc = pg_fail(p, err, "insert dkim");
			PQclear(r);
			if (rc != AG_OK)
				break;
		}
	}
	if (rc != AG_OK) {
		exec(p, "ROLLBACK", PGRES_COMMAND_OK);
		return rc;
	}
	if (!exec(p, "COMMIT", PGRES_COMMAND_OK))
		return pg_fail(p, err, "COMMIT");
	return AG_OK;
}

static int
pg_count(void *ctx, long *n_r, struct ag_err *err)
{
	struct pg *p = ctx;
	PGresult *r = PQexec(p->conn, "SELECT count(*) FROM messages");
	int rc = AG_OK;

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		rc = pg_fail(p, err, "count");
	else
		*n_r = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return rc;
}

static void
pg_close(void *ctx)
{
	struct pg *p = ctx;

	if (p == NULL)
		return;
	PQfinish(p->conn);
	free(p);
}

int
ag_history_pg_open(struct ag_history_backend *b, const char *uri,
		   struct ag_err *err)
{
	struct pg *p;
	PGresult *r;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return ag_err_set(err, AG_ENOMEM, "out of memory");
	p->conn = PQconnectdb(uri);
	/* "already exists, skipping" notices of the schema statements are
	 * not for the log or the report tool's terminal */
	if (p->conn != NULL)
		PQsetNoticeProcessor(p->conn, quiet, NULL);
	if (p->conn == NULL || PQstatus(p->conn) != CONNECTION_OK) {
		int rc = ag_err_set(err, AG_ETEMP, "history store: cannot "
				    "connect to PostgreSQL: %s",
				    p->conn != NULL ? PQerrorMessage(p->conn)
						    : "out of memory");
		pg_close(p);
		return rc;
	}
	/* several writers may create the schema at once: serialise */
	r = PQexec(p->conn, "SELECT pg_advisory_lock(4242)");
	PQclear(r);
	r = PQexec(p->conn, schema);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		int rc = ag_err_set(err, AG_EINVAL, "history store: creating "
				    "the tables: %s", PQerrorMessage(p->conn));
		PQclear(r);
		pg_close(p);
		return rc;
	}
	PQclear(r);
	r = PQexec(p->conn, "SELECT pg_advisory_unlock(4242)");
	PQclear(r);
	b->ctx = p;
	b->write = pg_write;
	b->count = pg_count;
	b->close = pg_close;
	return AG_OK;
}
