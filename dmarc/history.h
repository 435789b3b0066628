/*
 * dmarc/history.h - the DMARC evaluation history that aggregate reports
 * (RFC 7489 7.2, appendix C) are built from
 * Use:     ag_history_open() once (after privileges are dropped, so the
 *          store belongs to User); ag_history_add() from any milter
 *          thread per evaluated message; ag_history_close() at exit.
 *          ag_history_count() reads the store (tools, tests).
 * Owns:    the store connection, one writer thread and a bounded queue of
 *          record copies.
 * Threads: ag_history_add() is thread-safe and never blocks on the
 *          store: it copies the record into the queue or, when the queue
 *          is full, drops it and counts the drop. One writer thread
 *          batches queued records into one transaction every flush_ms or
 *          batch_max records.
 * Limits:  opts->queue_max records queued; AG_HISTORY_MAX_DKIM signatures
 *          per record; fixed-size strings (longer text is cut).
 * Errors:  ag_history_open() returns AG_EINVAL (bad location), AG_ETEMP
 *          (store unreachable), AG_ENOMEM with the reason in err. A write
 *          that fails is retried with the next batch, then dropped and
 *          counted (ag_history_stats).
 *
 * Backends: a path is an SQLite file (WAL); "postgresql://..." or
 * "postgres://..." is a PostgreSQL connection URI (libpq), so several
 * MTAs can write to one store. Both have the same two tables, created if
 * missing: messages (one row per evaluation) and dkim (one row per DKIM
 * signature of a message).
 */
#ifndef AG_DMARC_HISTORY_H
#define AG_DMARC_HISTORY_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

#define AG_HISTORY_MAX_DKIM 8
#define AG_HISTORY_DOMAIN 256
#define AG_HISTORY_RUA 1024

struct ag_history_dkim {
	char domain[AG_HISTORY_DOMAIN];
	char selector[128];
	char result[16];		/* pass, fail, ... (RFC 8601 words) */
};

/* one DMARC evaluation: what an aggregate report's <record> needs */
struct ag_history_rec {
	int64_t time;			/* unix seconds */
	char jobid[64];			/* the MTA's queue id */
	char source_ip[48];
	char header_from[AG_HISTORY_DOMAIN];
	char envelope_from[AG_HISTORY_DOMAIN];	/* MAIL FROM domain */
	char envelope_to[AG_HISTORY_DOMAIN];	/* first RCPT domain */
	/* policy published */
	char policy_domain[AG_HISTORY_DOMAIN];
	char adkim[2], aspf[2];		/* "r" / "s" */
	char p[12], sp[12], np[12];	/* none quarantine reject, or "" */
	unsigned pct;
	char fo[12];			/* "0", "1:d" ... */
	/* policy evaluated */
	char result[12];		/* pass fail none temperror permerror */
	char disposition[12];		/* none quarantine reject */
	char dkim_aligned[8];		/* pass / fail */
	char spf_aligned[8];
	char reasons[256];		/* "type comment; ..." overrides:
					 * forwarded, sampled_out, local_policy,
					 * trusted_forwarder, mailing_list */
	/* authentication results */
	char spf_domain[AG_HISTORY_DOMAIN];
	char spf_scope[8];		/* mfrom / helo */
	char spf_result[16];
	unsigned ndkim;
	struct ag_history_dkim dkim[AG_HISTORY_MAX_DKIM];
	/* where aggregate reports go: the record's rua= as written ("" when
	 * none) and ri= in seconds */
	char rua[AG_HISTORY_RUA];
	uint32_t ri;
};

struct ag_history_opts {
	unsigned queue_max;	/* default 10000 */
	unsigned batch_max;	/* default 500 */
	unsigned flush_ms;	/* default 200 */
	char reporter[128];	/* our org name, stored with each row */
};

struct ag_history_stats {
	unsigned long queued;	/* accepted by ag_history_add() */
	unsigned long written;	/* committed to the store */
	unsigned long dropped;	/* queue full, or a failed write */
	unsigned long failures;	/* store errors seen */
	unsigned depth;		/* in the queue now */
};

struct ag_history;

void ag_history_opts_defaults(struct ag_history_opts *o);

int ag_history_open(struct ag_history **h_r, const char *where,
		    const struct ag_history_opts *o, struct ag_err *err)
	AG_MUST_CHECK;

/* ag_history_add - queue a copy of rec; false when dropped (queue full
 * or the store closed) */
bool ag_history_add(struct ag_history *h, const struct ag_history_rec *rec);

void ag_history_stats(struct ag_history *h, struct ag_history_stats *st);

/* ag_history_close - flush what is queued (waiting at most a few
 * seconds), stop the writer, close the store; clears *h */
void ag_history_close(struct ag_history **h);

/* ag_history_prepare - create the store's tables at where, or upgrade
 * an older store, without keeping a connection (for the report tool,
 * which may run before the milter ever wrote) */
int ag_history_prepare(const char *where, struct ag_err *err) AG_MUST_CHECK;

/* ag_history_count - rows in the messages table of the store at where
 * (a fresh connection; for tools and tests) */
int ag_history_count(const char *where, long *n_r, struct ag_err *err)
	AG_MUST_CHECK;

#endif
