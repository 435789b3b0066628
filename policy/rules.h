/*
 * policy/rules.h - the rule engine: a rules file the admin writes, compiled
 * once, evaluated per message into a verdict (conf/rules.example documents
 * the language)
 * Use:     ag_rules_new(), ag_rules_parse_file() and/or
 *          ag_rules_parse_text() (later text appends rules), then
 *          ag_rules_eval() per message from any thread; ag_rules_free().
 * Owns:    every rule, list and compiled regular expression.
 * Threads: built by one thread, immutable afterwards; ag_rules_eval() is
 *          reentrant (its scratch space is per call).
 * Limits:  AG_RULES_MAX_RULES rules, AG_RULES_MAX_DEPTH nested conditions,
 *          AG_RULES_LIST_MAX entries per list, regular expressions bounded
 *          by PCRE2 match and depth limits (a pattern that hits them does
 *          not match and is counted in the result).
 * Errors:  parse errors are "file:line:column: what is wrong".
 */
#ifndef AG_POLICY_RULES_H
#define AG_POLICY_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/facts.h"
#include "util/dns.h"
#include "util/err.h"

#define AG_RULES_MAX_RULES 10000
#define AG_RULES_MAX_DEPTH 64
#define AG_RULES_LIST_MAX 1000000
#define AG_RULES_MAX_HITS 64	/* rule hits kept per message */
#define AG_RULES_MAX_EDITS 32	/* header edits per message */
#define AG_RULES_TEXT_MAX 200	/* SMTP reply text */
#define AG_RULES_HDR_MAX 998	/* header value after expansion */
#define AG_RULES_MAX_DNSBL 32

/* in increasing strength: the strongest action reached wins */
enum ag_rule_action {
	AG_RA_ACCEPT = 0,
	AG_RA_TAG,
	AG_RA_REDIRECT,
	AG_RA_QUARANTINE,
	AG_RA_TEMPFAIL,
	AG_RA_DISCARD,
	AG_RA_REJECT
};

/* what the rule set needs the caller to gather before ag_rules_eval() */
enum {
	AG_NEED_BODY = 1 << 0,	/* facts->mime: body text, attachments */
	AG_NEED_IPREV = 1 << 1,	/* facts->iprev */
	AG_NEED_DNSBL = 1 << 2	/* DNS lists are queried (through dns) */
};

struct ag_rules;

struct ag_rules_hit {
	const char *name;	/* the rule's name (owned by the rules) */
	const char *origin;	/* "file:line", or "dnsbl" */
	int score;		/* hundredths */
};

struct ag_rules_edit {
	bool remove;		/* remove every field of that name */
	const char *name;	/* owned by the rules */
	char value[AG_RULES_HDR_MAX + 1];
};

/* one DNS list answer, for the explanation */
struct ag_rules_dnsbl {
	const char *name;	/* the list's name in the rules */
	const char *query;	/* "" when not asked (no such identity) */
	char status[16];	/* "listed", "not listed", "error", "skipped" */
	char codes[128];	/* "127.0.0.2,127.0.0.4" */
	int score;
};

struct ag_rules_result {
	int score;			/* hundredths */
	enum ag_rule_action action;
	const char *decided_by;		/* rule name, "threshold reject",
					 * or "" */
	char rcode[4];			/* reject, tempfail */
	char xcode[10];
	char text[AG_RULES_TEXT_MAX];
	char quarantine[AG_RULES_TEXT_MAX]; /* reason, when quarantined */
	char redirect[256];		/* mailbox, when redirected */
	bool tagged;			/* tag headers were added */
	const char *dmarc_override;	/* RFC 7489 PolicyOverrideType or
					 * NULL */
	bool accepted;			/* a rule said accept (stop) */
	unsigned nhits;			/* kept */
	unsigned nhits_total;		/* matched */
	unsigned nedits;
	unsigned ndnsbl;
	unsigned regex_limit;		/* patterns that hit a PCRE2 limit */
	unsigned rules_run;
	/* last, and only the first nhits / nedits / ndnsbl entries are
	 * set: ag_rules_eval() clears the fields above, not these 38 KB */
	struct ag_rules_hit hit[AG_RULES_MAX_HITS];
	struct ag_rules_edit edit[AG_RULES_MAX_EDITS];
	struct ag_rules_dnsbl dnsbl[AG_RULES_MAX_DNSBL];
};

int ag_rules_new(struct ag_rules **rules_r) AG_MUST_CHECK;
void ag_rules_free(struct ag_rules **rules);

/*
 * ag_rules_parse_file - read and compile a rules file; lists read from
 * files are named relative to the rules file's folder
 */
int ag_rules_parse_file(struct ag_rules *rules, const char *path,
			struct ag_err *err) AG_MUST_CHECK;

/*
 * ag_rules_parse_text - compile rules from text; origin names it in
 * errors ("SPFFailAction (authgate.conf:12)")
 */
int ag_rules_parse_text(struct ag_rules *rules, const char *text,
			const char *origin, struct ag_err *err) AG_MUST_CHECK;

/* ag_rules_needs - AG_NEED_* bits */
unsigned ag_rules_needs(const struct ag_rules *rules);

/* ag_rules_count - rules compiled */
unsigned ag_rules_count(const struct ag_rules *rules);

/* ag_rules_remove_names - header names the tag block adds: removed from
 * every inbound message so a sender cannot forge them (n of them) */
const char *const *ag_rules_tag_names(const struct ag_rules *rules,
				      unsigned *n_r);

/* ag_rules_subject_prefix - the tag block's subject prefix, or NULL */
const char *ag_rules_subject_prefix(const struct ag_rules *rules);

/*
 * ag_rules_eval - evaluate every rule against facts. dns is used for DNS
 * list queries (NULL: none asked). Never fails: a rule that cannot be
 * decided (a regex past its limit) does not match.
 */
void ag_rules_eval(const struct ag_rules *rules, const struct ag_facts *f,
		   struct ag_dns *dns, struct ag_rules_result *r);

/*
 * ag_rules_facts_each - every value of every fact that takes no argument,
 * as text ("yes"/"no" for flags), in the order conf/rules.example lists
 * them; for `authgate --test`. Facts needing a lookup the caller did not
 * make read as they would in a rule ("none", "").
 */
void ag_rules_facts_each(const struct ag_facts *f,
			 void (*cb)(void *arg, const char *name,
				    const char *value),
			 void *arg);

/* ag_rules_action_name - "accept", "tag", ..., "reject" */
const char *ag_rules_action_name(enum ag_rule_action a);

/* ag_rules_score_text - "12.5", "-3", "0" from hundredths */
void ag_rules_score_text(int score, char *buf, size_t size);

#endif
