/*
 * dmarc/record.h - the DMARC policy record (RFC 7489 6.3 and 6.4, with
 * DMARCbis np=, t= and psd=)
 * Use:     ag_dmarc_record_parse() on the text of one TXT record (its
 *          character-strings concatenated); ag_dmarc_tag_value_valid()
 *          for one tag's value on its own.
 * Owns:    nothing; the record is a flat struct the caller holds.
 * Threads: reentrant.
 * Limits:  AG_DMARC_RECORD_MAX bytes of record, AG_DMARC_MAX_TAGS tags,
 *          AG_DMARC_MAX_URIS URIs per rua=/ruf= (the rest dropped).
 * Errors:  AG_OK for a usable record (defaults applied); AG_EINVAL when
 *          the text is not a usable DMARC record, with the reason in err.
 *
 * Reading rules (each decided by the RFC text named):
 *  - v=DMARC1 must be the first tag, value exactly "DMARC1" (RFC 7489 6.4
 *    ABNF %x44 %x4d %x41 %x52 %x43 %x31; DMARCbis %s"DMARC1").
 *  - Tag names compare case-insensitively (ABNF quoted strings); keyword
 *    values too (p=Reject).
 *  - Unknown tags, and fragments that are not tag=value at all ("fo:0",
 *    "sp-none", a stray "0"), are ignored (RFC 7489 6.3: "Unknown tags
 *    MUST be ignored"); so are empty values ("pct=").
 *  - An invalid p=, sp= or np=, or no p= at all: if rua= holds a valid
 *    URI, the record acts as p=none (RFC 7489 6.6.3 step 6); otherwise
 *    it is unusable. A psd=y record needs no p= (DMARCbis 4.7).
 *  - Another known tag with an invalid value keeps its default.
 */
#ifndef AG_DMARC_RECORD_H
#define AG_DMARC_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define AG_DMARC_RECORD_MAX 4096
#define AG_DMARC_MAX_TAGS 64
#define AG_DMARC_MAX_URIS 8
#define AG_DMARC_URI_MAX 512

enum ag_dmarc_policy {
	AG_DMARC_P_UNSET = 0,
	AG_DMARC_P_NONE,
	AG_DMARC_P_QUARANTINE,
	AG_DMARC_P_REJECT
};

enum ag_dmarc_align { AG_DMARC_ALIGN_RELAXED = 0, AG_DMARC_ALIGN_STRICT };

enum ag_dmarc_psd {
	AG_DMARC_PSD_U = 0,	/* absent or "u" */
	AG_DMARC_PSD_Y,
	AG_DMARC_PSD_N
};

/* fo= bits */
#define AG_DMARC_FO_0 0x1
#define AG_DMARC_FO_1 0x2
#define AG_DMARC_FO_D 0x4
#define AG_DMARC_FO_S 0x8

struct ag_dmarc_uri {
	char uri[AG_DMARC_URI_MAX];
	uint64_t max_size;	/* bytes from "!10m"; 0: no limit */
};

struct ag_dmarc_record {
	enum ag_dmarc_policy p;		/* never UNSET in a parsed record */
	enum ag_dmarc_policy sp;	/* UNSET when absent */
	enum ag_dmarc_policy np;	/* UNSET when absent */
	bool p_implied;			/* p=none by RFC 7489 6.6.3 step 6 */
	unsigned pct;			/* default 100 */
	enum ag_dmarc_align adkim, aspf; /* default relaxed */
	unsigned fo;			/* AG_DMARC_FO_*; default FO_0 */
	uint32_t ri;			/* default 86400 */
	bool rf_afrf, rf_iodef;		/* default afrf */
	bool testing;			/* t=y */
	enum ag_dmarc_psd psd;
	unsigned n_rua, n_ruf;
	struct ag_dmarc_uri rua[AG_DMARC_MAX_URIS];
	struct ag_dmarc_uri ruf[AG_DMARC_MAX_URIS];
	unsigned ignored;		/* unknown, malformed or bad tags */
};

int ag_dmarc_record_parse(const char *txt, size_t len,
			  struct ag_dmarc_record *rec, struct ag_err *err)
	AG_MUST_CHECK;

/*
 * ag_dmarc_tag_value_valid - is value a valid value of tag (as above: v,
 * p, sp, np, psd, t, adkim, aspf, fo, rua, ruf, rf, ri, pct)? false for
 * an unknown tag.
 */
bool ag_dmarc_tag_value_valid(const char *tag, const char *value);

/*
 * ag_dmarc_record_policy_for - the policy for a From domain below the
 * record's domain (sp=, else p=), or for one that does not exist (np=,
 * else sp=, else p=, RFC 9091 / DMARCbis); at the record's own domain p=
 */
enum ag_dmarc_policy ag_dmarc_record_policy_for(
	const struct ag_dmarc_record *rec, bool subdomain, bool nonexistent);

/* ag_dmarc_policy_name - "none", "quarantine", "reject" ("" for UNSET) */
const char *ag_dmarc_policy_name(enum ag_dmarc_policy p);

#endif
