/*
 * spf/spf_int.h - the libspf2 DNS layer shared by spf/spf.c
 * Use:     spf_layer_init() per check, hand &layer->dns to
 *          SPF_server_new_dns(), spf_layer_get_record() for the top-level
 *          record, then read the counters and ->abort.
 * Owns:    nothing beyond the check: the resolver is borrowed.
 * Threads: one layer per check, used by the checking thread only.
 * Limits:  max_mech DNS-querying terms, max_void void lookups, max_names
 *          MX/PTR names per mechanism; past max_mech or max_void the layer
 *          sets ->abort and answers TRY_AGAIN to every further lookup so
 *          libspf2 unwinds with temperror, which spf.c turns into permerror.
 * Errors:  ->abort records why the check stopped; SPF_E_* codes go to
 *          libspf2.
 */
#ifndef AG_SPF_SPF_INT_H
#define AG_SPF_SPF_INT_H

#include <stdbool.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>

struct ag_dns;

#define SPF_LAYER_NAMES 10	/* RFC 7208 4.6.4: MX and PTR names checked */
/* appended to the target of an a/mx term whose CIDR length is 0 for the
 * client's family; no real name ends in it ("_" is not a host name byte) */
#define SPF_CIDR0_MARK "._ag_cidr0_"
#define SPF_LAYER_NAME_MAX 256

enum spf_abort {
	SPF_ABORT_NONE = 0,
	SPF_ABORT_MECH,		/* more than max_mech DNS-querying terms */
	SPF_ABORT_VOID,		/* more than max_void void lookups */
	SPF_ABORT_NOMEM		/* allocation failed inside the layer */
};

/* what the last record lookup found (for the top-level result) */
enum spf_rec_status {
	SPF_REC_OK = 0,
	SPF_REC_NONE,		/* no name, no TXT or no v=spf1 record */
	SPF_REC_TEMP,		/* timeout, SERVFAIL */
	SPF_REC_PERM		/* several records, or a syntax error */
};

/* macro values known before evaluation (RFC 7208 7.2) */
struct spf_vars {
	const char *s, *l, *o, *d, *h, *i, *v;
};

struct spf_layer {
	SPF_dns_server_t dns;	/* first: libspf2 sees this; dns.hook = us */
	struct ag_dns *resolver;
	SPF_request_t *req;	/* for exp= expansion; set by spf.c */
	unsigned max_mech, max_void, max_names;
	unsigned mech;		/* DNS-querying terms counted so far */
	unsigned voids;		/* void lookups counted so far */
	bool top;		/* next get_spf is the initial record: free */
	enum spf_abort abort;
	enum spf_rec_status rec_status;
	/* names from the last MX/PTR answer whose address lookups follow
	 * and belong to that term (not new terms) */
	char pending[SPF_LAYER_NAMES][SPF_LAYER_NAME_MAX];
	unsigned npending, next_pending;
	bool pending_ptr;	/* names came from a ptr term's PTR answer */
	bool pending_cidr0;	/* names came from an mx/0 term */
	const char *why;	/* static text: why the record was refused */
	char ip_text[80];	/* %{i}: dotted quad or dotted nibbles */
	int af;			/* client address family, and address */
	unsigned char client[16];
};

void spf_layer_init(struct spf_layer *layer, struct ag_dns *resolver,
		    unsigned max_mech, unsigned max_void);

/* spf_layer_get_record - SPF_dns_get_spf_t: select and compile the
 * v=spf1 record of spf_request->cur_dom (RFC 7208 4.5) */
SPF_errcode_t spf_layer_get_record(SPF_server_t *server, SPF_request_t *req,
				   SPF_response_t *resp, SPF_record_t **rec_r);

/*
 * spf_record_prepare - check txt (a v=spf1 record) against RFC 7208
 * syntax and write the copy libspf2 should compile into out (outlen
 * bytes) for a client of family af. Returns 0, or -1 with *why_r set.
 * SPF_PREPARE_CAP(n) bytes always hold the copy of an n-byte record.
 */
/* The copy grows most where " a/0" (4 bytes) becomes
 * " a:%{d}._ag_cidr0_" (18): 4.5 times; ip4:/0's two halves and the
 * moved redirect= grow less. */
#define SPF_PREPARE_CAP(n) ((n) * 5 + 64)
int spf_record_prepare(const char *txt, int af, char *out, size_t outlen,
		       const char **why_r);

/*
 * spf_exp_prepare - check an explanation TXT (n bytes) against RFC 7208
 * 6.2/7.1 (printable ASCII macro-string, c/r/t allowed) and write the copy
 * libspf2 should compile, spaces as "%_" (its macro parser ends a string
 * at a space), into out (2n+1 bytes). Returns 0, or -1 when the text
 * is not usable: then there is no explanation.
 */
int spf_exp_prepare(const char *txt, size_t n, char *out, size_t outlen);

/*
 * spf_macro_fix - copy in (a record or explanation) to out, expanding
 * the lower-case macros of vars whose value has no more labels than the
 * transformer keeps (libspf2 1.2.10 gets exactly those wrong). Returns 0,
 * or -1 when out (outlen bytes) is too small.
 */
int spf_macro_fix(const char *in, const struct spf_vars *vars, char *out,
		  size_t outlen);

#endif
