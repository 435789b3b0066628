/*
 * milter/decide.h - end of message without libmilter: finish the checks,
 * build the facts, run the rules, and say what the MTA should be told
 * Use:     ag_decide() after the last ag_feed_body(); eom.c applies the
 *          outcome through libmilter, `authgate --test` prints it;
 *          ag_outcome_free() always.
 * Owns:    the outcome owns its edits, the rules result and the facts
 *          (kept for printing), until ag_outcome_free().
 * Threads: one session, one thread.
 */
#ifndef AG_MILTER_DECIDE_H
#define AG_MILTER_DECIDE_H

#include <stdbool.h>

#include "milter/session.h"
#include "policy/facts.h"
#include "policy/rules.h"

enum ag_out_verdict {
	AG_OUT_ACCEPT,
	AG_OUT_REJECT,
	AG_OUT_TEMPFAIL,
	AG_OUT_DISCARD
};

enum ag_edit_op {
	AG_EDIT_DELETE,		/* smfi_chgheader(name, index, NULL) */
	AG_EDIT_CHANGE,		/* smfi_chgheader(name, index, value) */
	AG_EDIT_INSERT,		/* smfi_insheader(0, name, value): on top */
	AG_EDIT_ADD		/* smfi_addheader(name, value): at the end */
};

struct ag_edit {
	enum ag_edit_op op;
	char *name;
	unsigned index;		/* 1-based among fields of that name */
	char *value;
};

struct ag_decide_facts;

struct ag_outcome {
	enum ag_out_verdict verdict;
	char rcode[4];
	char xcode[10];
	char text[AG_RULES_TEXT_MAX];
	char quarantine[AG_RULES_TEXT_MAX]; /* "" when not held */
	char redirect[256];		/* "" when not redirected */
	struct ag_edit *edit;		/* in the order to apply */
	unsigned nedits, edits_cap;
	const char *log_verdict;	/* "accept", "reject", ... */
	char log_reason[160];
	struct ag_rules_result *rules;	/* NULL when no rules ran */
	struct ag_decide_facts *fx;	/* the facts the rules saw */
};

/* ag_decide - fill o; never fails: an internal error becomes the
 * OnInternalError answer. Logs nothing, writes the DMARC history. */
void ag_decide(struct ag_session *s, struct ag_outcome *o);

/* ag_outcome_facts - the facts the rules were given (NULL without) */
const struct ag_facts *ag_outcome_facts(const struct ag_outcome *o);

void ag_outcome_free(struct ag_outcome *o);

/* ag_outcome_log - the one log line for the message */
void ag_outcome_log(const struct ag_session *s, const struct ag_outcome *o);

#endif
