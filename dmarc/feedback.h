/*
 * dmarc/feedback.h - one DMARC aggregate report (RFC 7489 appendix C;
 * DMARCbis aggregate reporting, RFC 9990) as plain C data: what
 * dmarc/feedback_write.c turns our history into, and what
 * dmarc/feedback_parse.c reads out of the reports others send.
 * Use:     ag_feedback_new(); fill (the writer's caller) or
 *          ag_feedback_parse(); ag_feedback_free() always.
 * Owns:    every string and array hangs off the report (one arena);
 *          ag_feedback_free() releases all of it. Strings are never NULL
 *          ("" when absent), UTF-8, NUL-terminated.
 * Threads: a report belongs to one thread; the functions are reentrant.
 * Limits:  AG_FB_MAX_RECORDS records, AG_FB_MAX_AUTH dkim and spf results
 *          per record, AG_FB_MAX_REASONS reasons, AG_FB_MAX_ERRORS
 *          errors; AG_FB_TEXT_MAX bytes per string (longer is an error
 *          when parsing).
 */
#ifndef AG_DMARC_FEEDBACK_H
#define AG_DMARC_FEEDBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define AG_FB_MAX_RECORDS 200000
#define AG_FB_MAX_AUTH 32
#define AG_FB_MAX_REASONS 8
#define AG_FB_MAX_ERRORS 32
#define AG_FB_TEXT_MAX 4096
/* the largest XML document ag_feedback_parse() accepts */
#define AG_FB_XML_MAX (64u * 1024 * 1024)

/* one <dkim> or <spf> of <auth_results> */
struct ag_fb_auth {
	const char *domain;
	const char *selector;	/* DKIM: s=; SPF: "" */
	const char *scope;	/* SPF: mfrom / helo, "" when absent; DKIM: "" */
	const char *result;	/* lower case: pass fail none ... */
	const char *human_result;
};

struct ag_fb_reason {
	const char *type;	/* forwarded sampled_out local_policy ... */
	const char *comment;
};

struct ag_fb_record {
	const char *source_ip;	/* as written (not validated) */
	uint64_t count;
	/* policy_evaluated */
	const char *disposition; /* none quarantine reject (bis: pass) */
	const char *dkim;	/* pass / fail (DMARC-aligned result) */
	const char *spf;
	unsigned nreason;
	struct ag_fb_reason *reason;
	/* identifiers */
	const char *envelope_to;
	const char *envelope_from;
	const char *header_from;
	/* auth_results */
	unsigned ndkim, nspf;
	struct ag_fb_auth *dkim_res;
	struct ag_fb_auth *spf_res;
};

struct ag_feedback {
	const char *version;	/* "1.0", "2.0", "" when absent */
	bool bis;		/* root in urn:ietf:params:xml:ns:dmarc-2.0 */
	/* report_metadata */
	const char *org_name;
	const char *email;
	const char *extra_contact_info;
	const char *report_id;
	const char *generator;	/* DMARCbis */
	int64_t begin, end;	/* unix seconds */
	unsigned nerror;
	const char **error;
	/* policy_published */
	const char *domain;
	const char *adkim;	/* "r" / "s" / "" */
	const char *aspf;
	const char *p, *sp, *np; /* none quarantine reject, or "" */
	int pct;		/* -1 when absent */
	const char *fo;
	const char *testing;	/* DMARCbis "n" / "y", or "" */
	const char *discovery_method; /* DMARCbis "psl" / "treewalk", or "" */
	/* records */
	size_t nrec;
	struct ag_fb_record *rec;
	uint64_t total_count;	/* sum of the records' counts */

	struct ag_fb_internal *internal; /* arena and growth state */
};

/* ag_feedback_new - an empty report (every string "", pct -1); NULL when
 * out of memory */
struct ag_feedback *ag_feedback_new(void);
void ag_feedback_free(struct ag_feedback *fb);

/* ag_feedback_str - copy len bytes of s (NUL added) into fb's arena;
 * NULL when out of memory */
const char *ag_feedback_str(struct ag_feedback *fb, const char *s,
			    size_t len);
/* ag_feedback_alloc - n zeroed bytes in fb's arena; NULL when out of
 * memory */
void *ag_feedback_alloc(struct ag_feedback *fb, size_t n);
/* ag_feedback_add_record - append a zeroed record (strings "") and
 * return it; NULL when out of memory or over AG_FB_MAX_RECORDS */
struct ag_fb_record *ag_feedback_add_record(struct ag_feedback *fb);

/*
 * ag_feedback_parse - read one aggregate report from an XML document.
 * Accepts RFC 7489 reports with or without a namespace and DMARCbis
 * (dmarc-2.0 namespace) reports; ignores unknown elements and extensions;
 * result words are compared case-insensitively and stored lower case.
 * Refuses (AG_EINVAL with the reason in err, *fb_r NULL): a document that
 * is not well-formed XML or not UTF-8/declared-encoding clean, a DOCTYPE
 * or entity declaration (no XML bombs), a root that is not <feedback>, a
 * missing report_id (an empty org_name is taken from the domain of
 * <email>), report_id, date_range or policy_published/domain, no
 * <record>, a count or time that is not a non-negative integer (a
 * fraction like "1337270400.0" is read as its integer part), a value over
 * AG_FB_TEXT_MAX, or more than the limits above (AG_ELIMIT). len over
 * AG_FB_XML_MAX is AG_ELIMIT.
 */
int ag_feedback_parse(const char *xml, size_t len, struct ag_feedback **fb_r,
		      struct ag_err *err) AG_MUST_CHECK;

enum ag_fb_format {
	AG_FB_RFC7489,	/* appendix C: root dmarc:feedback in namespace
			 * http://dmarc.org/dmarc-xml/0.1 (children
			 * unqualified, as the schema defines them),
			 * version 1.0, pct, full-form IPv6 addresses */
	AG_FB_DMARCBIS	/* RFC 9990: urn:ietf:params:xml:ns:dmarc-2.0,
			 * np, testing, discovery_method, generator */
};

/*
 * ag_feedback_write - the report as an XML document (UTF-8, with XML
 * declaration) in a malloc'd buffer the caller frees. Fields the format
 * requires but fb lacks get the RFC defaults (sp = p, pct 100, fo "0").
 * AG_EINVAL when fb has no records or no domain; AG_ENOMEM.
 */
int ag_feedback_write(const struct ag_feedback *fb, enum ag_fb_format fmt,
		      char **xml_r, size_t *len_r, struct ag_err *err)
	AG_MUST_CHECK;

#endif
