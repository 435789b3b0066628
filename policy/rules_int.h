/*
 * policy/rules_int.h - the compiled form of a rules file, shared by the
 * parser (rules_parse.c), the fact table (rules_fact.c), lists
 * (rules_list.c) and the evaluator (rules_eval.c). Not for other folders.
 */
#ifndef AG_POLICY_RULES_INT_H
#define AG_POLICY_RULES_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "policy/rules.h"
#include "util/cidr.h"

/* what kind of values a fact has; decides which operators apply */
enum fact_kind {
	FK_STRING,
	FK_DOMAIN,	/* a string; domain lists match subdomains */
	FK_ADDRESS,	/* an IP address: CIDR lists */
	FK_NUMBER,
	FK_BOOL
};

/* collections a condition may quantify over with "any NAME ( ... )" */
enum fact_scope { SC_NONE = 0, SC_DKIM, SC_ATTACHMENT };

enum fact_id {
	F_CLIENT_IP, F_CLIENT_NAME, F_CLIENT_IPREV, F_CLIENT_INTERNAL,
	F_HELO, F_TLS, F_TLS_VERSION, F_TLS_CIPHER, F_AUTH, F_AUTH_USER,
	F_ENV_FROM, F_ENV_FROM_DOMAIN, F_ENV_RCPT, F_ENV_RCPT_DOMAIN,
	F_RCPT_COUNT,
	F_FROM_ADDRESS, F_FROM_DOMAIN, F_FROM_NAME, F_FROM_COUNT,
	F_FROM_PROBLEM,
	F_HEADER, F_HEADER_RAW, F_HEADER_COUNT, F_SUBJECT, F_SIZE,
	F_BODY, F_ATT_NAME, F_ATT_TYPE, F_ATT_COUNT, F_MIME_TYPE,
	F_SPF_MAILFROM, F_SPF_HELO, F_SPF_DOMAIN, F_SPF_EXPLANATION,
	F_DKIM_RESULT, F_DKIM_DOMAIN, F_DKIM_SELECTOR, F_DKIM_ALIGNED,
	F_DKIM_LENGTH, F_DKIM_COUNT,
	F_DMARC_RESULT, F_DMARC_POLICY, F_DMARC_DISPOSITION,
	F_DMARC_DOMAIN, F_DMARC_ORG, F_DMARC_OVERRIDE,
	F_ARC_RESULT, F_ARC_SEALER, F_ARC_SEALERS, F_ARC_TRUSTED,
	F_DNSBL, F_SCORE
};

struct factdef {
	const char *name;
	enum fact_id id;
	enum fact_kind kind;
	bool arg;		/* takes a "string" argument */
	enum fact_scope scope;	/* per element of a collection */
	unsigned needs;		/* AG_NEED_* */
	const char *help;
};

extern const struct factdef ag_rules_facts[];
extern const unsigned ag_rules_nfacts;

/* lookup by name; inside "any dkim (...)" short names are tried with the
 * scope's prefix */
const struct factdef *ag_rules_fact_find(const char *name,
					 enum fact_scope scope);

enum list_type { LT_STRINGS, LT_DOMAINS, LT_CIDR };

struct rlist {
	char *name;		/* NULL for an inline list */
	enum list_type type;
	char **item;		/* sorted, lower case (strings, domains) */
	size_t n, cap;
	struct ag_cidr *cidr;	/* LT_CIDR */
	struct rlist *next;	/* all lists, for freeing */
};

enum op {
	OP_TRUE,	/* the fact alone: any value set */
	OP_EQ,		/* == exact */
	OP_NE,		/* != */
	OP_IS,		/* is: case-insensitive equality */
	OP_CONTAINS,	/* case-insensitive substring */
	OP_MATCH,	/* =~ */
	OP_NOMATCH,	/* !~ */
	OP_IN,
	OP_LT, OP_LE, OP_GT, OP_GE,
	OP_EACH		/* internal: hand every value to a callback */
};

enum node_kind { N_AND, N_OR, N_NOT, N_ANY, N_TEST };

struct node {
	enum node_kind kind;
	struct node *a, *b;		/* AND, OR; NOT uses a */
	enum fact_scope scope;		/* ANY: over what; body in a */
	const struct factdef *fact;	/* TEST */
	char *arg;			/* header name */
	int dnsbl;			/* F_DNSBL: index into rules->dnsbl */
	enum op op;
	char *str;
	size_t len;
	long long num;
	pcre2_code *re;
	const struct rlist *list;
	struct node *next_free;		/* all nodes, for freeing */
};

enum ract_kind {
	RA_ACCEPT, RA_TAG, RA_REJECT, RA_TEMPFAIL, RA_DISCARD, RA_QUARANTINE,
	RA_REDIRECT, RA_ADD_HEADER, RA_REMOVE_HEADER, RA_DMARC_OVERRIDE
};

struct ract {
	enum ract_kind kind;
	char rcode[4], xcode[10];
	char *a, *b;		/* text/reason/mailbox/name, header value */
};

#define RULE_MAX_ACTS 16

struct rule {
	char *name;
	struct node *cond;	/* NULL: always */
	int score;		/* hundredths */
	struct ract act[RULE_MAX_ACTS];
	unsigned nact;
	char *origin;		/* "file:line" of the rule, for --test */
};

struct dnsbl_code {
	uint32_t lo, hi;	/* host order; any: 0..UINT32_MAX */
	int score;
};

enum dnsbl_of { DO_IP, DO_HELO, DO_FROM_DOMAIN, DO_ENV_FROM_DOMAIN,
		DO_CLIENT_NAME };

struct dnsbl {
	char *name;
	char *zone;
	enum dnsbl_of of;
	struct dnsbl_code code[16];
	unsigned ncode;
};

struct threshold {
	bool set;
	int score;
	struct ract act;
};

struct ag_rules {
	struct rule *rule;
	unsigned nrules, cap;
	struct node *nodes;		/* free list of every node */
	struct rlist *lists;
	struct dnsbl dnsbl[AG_RULES_MAX_DNSBL];
	unsigned ndnsbl;
	struct threshold thr[AG_RA_REJECT + 1]; /* by ag_rule_action */
	char *tag_name[8], *tag_value[8];
	unsigned ntag;
	char *subject_prefix;
	unsigned needs;
	pcre2_match_context *mctx;
};

struct rlist *ag_rules_list_new(struct ag_rules *rules, const char *name,
				enum list_type type);
const struct rlist *ag_rules_list_find(const struct ag_rules *rules,
				       const char *name);
/* ag_rules_list_add - one entry; AG_EINVAL with why in err */
int ag_rules_list_add(struct rlist *l, const char *item, struct ag_err *err)
	AG_MUST_CHECK;
/* ag_rules_list_done - sort for lookups */
void ag_rules_list_done(struct rlist *l);
bool ag_rules_list_has(const struct rlist *l, const char *value);
void ag_rules_lists_free(struct rlist **lists);

#endif
