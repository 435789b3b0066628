/*
 * milter/history.h - the one DMARC history store of the running daemon
 * Use:     ag_milter_history_prepare() as root (makes StateDir for the
 *          default SQLite file), ag_milter_history_open() after privileges
 *          are dropped, ag_milter_history_add() per evaluation from any
 *          milter thread, ag_milter_history_close() at exit (flushes).
 * Owns:    the store, for the life of the process: a reload does not
 *          reopen it (HistoryDB changes need a restart).
 * Threads: open/close from the main thread while no milter thread runs.
 */
#ifndef AG_MILTER_HISTORY_H
#define AG_MILTER_HISTORY_H

#include <stdbool.h>

#include "dmarc/evaluate.h"
#include "dmarc/history.h"
#include "milter/session.h"

int ag_milter_history_prepare(const struct ag_config *cfg,
			      struct ag_err *err) AG_MUST_CHECK;
int ag_milter_history_open(const struct ag_config *cfg, struct ag_err *err)
	AG_MUST_CHECK;
/* ag_milter_history_add - queue one evaluation of domain; applied is the
 * disposition the verdict carried out, override the reason a rule gave
 * (RFC 7489 PolicyOverrideType) or NULL */
void ag_milter_history_add(const struct ag_session *s,
			   const struct ag_dmarc_eval *ev, const char *domain,
			   enum ag_dmarc_policy applied,
			   const char *override);
void ag_milter_history_close(void);
/* ag_milter_history_stats - the writer's counters; false when no
 * history is kept */
bool ag_milter_history_stats(struct ag_history_stats *st);

#endif
