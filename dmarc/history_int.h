/*
 * dmarc/history_int.h - the store backends behind dmarc/history.c
 * Threads: a backend is used by the writer thread only (and by
 *          ag_history_count() on a connection of its own).
 */
#ifndef AG_DMARC_HISTORY_INT_H
#define AG_DMARC_HISTORY_INT_H

#include "dmarc/history.h"

struct ag_history_backend {
	void *ctx;
	/* write n records in one transaction; all or none */
	int (*write)(void *ctx, struct ag_history_rec *const *recs,
		     unsigned n, const char *reporter, struct ag_err *err);
	int (*count)(void *ctx, long *n_r, struct ag_err *err);
	void (*close)(void *ctx);
};

/* the column list both backends create, in insert order */
#define AG_HISTORY_COLUMNS                                                   \
	"time, jobid, source_ip, header_from, envelope_from, envelope_to, " \
	"policy_domain, adkim, aspf, p, sp, np, pct, fo, result, "          \
	"disposition, dkim_aligned, spf_aligned, reasons, spf_domain, "     \
	"spf_scope, spf_result, reporter, rua, ri"
#define AG_HISTORY_NCOLUMNS 25

int ag_history_sqlite_open(struct ag_history_backend *b, const char *path,
			   struct ag_err *err) AG_MUST_CHECK;
int ag_history_pg_open(struct ag_history_backend *b, const char *uri,
		       struct ag_err *err) AG_MUST_CHECK;

/* ag_history_text_values - the record's columns as text, in
 * AG_HISTORY_COLUMNS order (time, pct and ri formatted into bufs) */
void ag_history_text_values(const struct ag_history_rec *r,
			    const char *reporter,
			    const char *vals[AG_HISTORY_NCOLUMNS],
			    char time_buf[24], char pct_buf[8],
			    char ri_buf[16]);

#endif
