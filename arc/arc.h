/*
 * arc/arc.h - verify the ARC chain of one message and seal it (RFC 8617)
 * Use:     ag_arc_new() at the first header, _header() for each header
 *          field in order, _eoh(), _body() for each chunk as it arrives,
 *          _finish() at end of message for the chain's result; then, when
 *          the message is to be sealed (the object was made with
 *          want_seal), ag_arc_seal() for the three new header values;
 *          _free() on every path (abort included).
 * Input:   header values as the milter receives them (the rules of
 *          dkim/canon.h: a value starting with a space or tab follows
 *          "Name:" verbatim, else "Name: value" is the field; "\n" or
 *          "\r\n" inside folded values). Body chunks with CRLF line ends.
 * Owns:    copies of the header fields (the AMS h= may name any of them),
 *          one body canonicalizer per distinct c=/l= of the chain's AMSs
 *          plus one relaxed one for sealing; results are copied into the
 *          caller's struct ag_arc_results. Borrows dns, which must outlive
 *          the object.
 * Threads: one object per message, used by one thread at a time; the
 *          resolver is shared (util/dns.h).
 * Limits:  AG_ARC_MAX_SETS (50) instances (RFC 8617 4.2.1); at most
 *          AG_ARC_MAX_FIELDS header fields and AG_ARC_MAX_HDR_BYTES header
 *          bytes are kept, AG_ARC_FIELD_MAX bytes per ARC field: a message
 *          over them with ARC fields is "fail" (reason says which limit),
 *          one without ARC fields stays "none". The body is streamed, never
 *          held. Key lookups: one per distinct d=/s=/a= of the chain,
 *          at most 16 per message (a chain naming more keys fails).
 * Errors:  AG_OK whenever a result was produced, including fail (a bad
 *          chain is a result, not an error); AG_ENOMEM and AG_EINTERNAL
 *          when verification could not run (the milter tempfails);
 *          AG_EINVAL for calls out of order or a bad seal configuration.
 *
 * Result:  none: no ARC fields at all. fail: any structural fault, any
 *          invalid AS, an invalid newest AMS, a cv=fail anywhere, or a key
 *          lookup that failed (temp_error then says it was temporary: do
 *          not seal cv=fail on a DNS outage). pass: all sets present and
 *          valid. oldest_pass (RFC 8617 5.2 step 6 / RFC 8601
 *          header.oldest-pass) is the lowest instance whose AMS and every
 *          newer AMS still validate; 0 when the result is not pass or when
 *          every AMS validates (the header.oldest-pass property is then
 *          left out).
 */
#ifndef AG_ARC_ARC_H
#define AG_ARC_ARC_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

#include "util/dns.h"
#include "util/err.h"

#define AG_ARC_MAX_SETS 50		/* RFC 8617 4.2.1: i= 1..50 */
#define AG_ARC_MAX_FIELDS 1000		/* header fields kept */
#define AG_ARC_MAX_HDR_BYTES (1024 * 1024) /* header bytes kept */
#define AG_ARC_FIELD_MAX 16384		/* bytes of one ARC-* field value */
#define AG_ARC_DOMAIN_MAX 256
#define AG_ARC_SELECTOR_MAX 128
#define AG_ARC_IP_MAX 64		/* an IPv6 text address fits */
#define AG_ARC_VALUE_MAX 8192		/* bytes of one sealed field value */
#define AG_ARC_SIGN_HDRS_MAX 64		/* names in a seal header list */

struct ag_arc;

enum ag_arc_result {
	AG_ARC_NONE = 0,	/* no ARC fields */
	AG_ARC_PASS,
	AG_ARC_FAIL
};

/* the cv= an ARC-Seal states */
enum ag_arc_cv {
	AG_ARC_CV_NONE = 0,
	AG_ARC_CV_PASS,
	AG_ARC_CV_FAIL,
	AG_ARC_CV_BAD		/* missing, empty or unknown (a fault) */
};

/* one instance (hop) of the chain, as its fields state it */
struct ag_arc_hop {
	unsigned i;				/* instance, 1..50 */
	char d[AG_ARC_DOMAIN_MAX];		/* the ARC-Seal's d= */
	char s[AG_ARC_SELECTOR_MAX];		/* the ARC-Seal's s= */
	enum ag_arc_cv cv;			/* the ARC-Seal's cv= */
	char remote_ip[AG_ARC_IP_MAX];		/* smtp.remote-ip of this
						 * hop's AAR; "" if absent */
	bool seal_valid;			/* its AS verified */
	bool ams_valid;				/* its AMS verified (older
						 * AMSs: as far as checked) */
};

struct ag_arc_results {
	enum ag_arc_result result;
	unsigned count;		/* sets found (highest instance); 0: none */
	unsigned oldest_pass;	/* see Result above; 0: not applicable */
	bool temp_error;	/* fail caused by a temporary DNS failure */
	char reason[128];	/* short words for the A-R comment / log */
	struct ag_arc_hop hop[AG_ARC_MAX_SETS];	/* hop[k] is instance k+1;
						 * count entries (fields of
						 * a malformed chain may be
						 * empty) */
};

/*
 * ag_arc_new - an object for one message. dns answers the key lookups
 * (selector._domainkey.domain TXT). want_seal: also hash the body
 * relaxed for ag_arc_seal() (costs a second body hash).
 */
int ag_arc_new(struct ag_arc **a_r, struct ag_dns *dns, bool want_seal,
	       struct ag_err *err) AG_MUST_CHECK;

/* ag_arc_header - one header field, name and value as the milter has
 * them (see Input) */
int ag_arc_header(struct ag_arc *a, const char *name,
		  const char *value) AG_MUST_CHECK;
int ag_arc_eoh(struct ag_arc *a) AG_MUST_CHECK;

/* ag_arc_body - a body chunk (CRLF line ends; chunks split anywhere) */
int ag_arc_body(struct ag_arc *a, const unsigned char *buf,
		size_t len) AG_MUST_CHECK;

/* ag_arc_finish - validate the chain; results copied into *res_r (hop[]
 * up to count: the entries past it are left as they were). Call once,
 * after the whole body. */
int ag_arc_finish(struct ag_arc *a, struct ag_arc_results *res_r)
	AG_MUST_CHECK;

struct ag_arc_seal_config {
	EVP_PKEY *key;		/* RSA >= 1024 bits (rsa-sha256) or Ed25519
				 * (ed25519-sha256); borrowed */
	const char *domain;	/* d= */
	const char *selector;	/* s= */
	const char *authserv_id; /* ours, first item of the AAR */
	/* header names the AMS signs when present (bottom-up, every
	 * occurrence); NULL/0: the default list of
	 * ag_arc_default_sign_headers(). ARC-*, Authentication-Results,
	 * Received and Return-Path are refused (AG_EINVAL): the first may
	 * not be signed (RFC 8617 4.1.2), the rest change downstream. */
	const char *const *sign_headers;
	unsigned n_sign_headers;
};

struct ag_arc_seal_out {
	bool sealed;		/* false: no set added (reason says why:
				 * newest set cv=fail, i=50 reached,
				 * temporary key failure, header limits) */
	unsigned instance;	/* i= of the new set */
	char reason[128];
	/* field values without the name and ": ", folded with "\n\t"
	 * (libmilter header values use "\n"; the MTA writes CRLF). Add them
	 * above the existing fields, in this order from the top: ARC-Seal,
	 * ARC-Message-Signature, ARC-Authentication-Results. */
	char seal[AG_ARC_VALUE_MAX];	/* ARC-Seal */
	char ams[AG_ARC_VALUE_MAX];	/* ARC-Message-Signature */
	char aar[AG_ARC_VALUE_MAX];	/* ARC-Authentication-Results */
};

/*
 * ag_arc_seal - the new ARC set for this message, after ag_arc_finish():
 * instance = the chain's highest + 1, cv = the chain's result (none for
 * an unsealed message). ar_results: our Authentication-Results payload
 * after the authserv-id ("spf=pass smtp.mailfrom=...; dkim=pass ...;
 * arc=pass ..."), put in the AAR as "i=N; authserv-id; ar_results".
 * t: the t= timestamp (time(NULL) in the milter). AG_OK with
 * out->sealed false when RFC 8617 forbids a new set (5.1.2: the newest
 * set says cv=fail; past i=50) or the chain's result is a temporary
 * failure, or the message went over the header limits. AG_EINVAL: made
 * without want_seal, before finish, bad cfg.
 */
int ag_arc_seal(struct ag_arc *a, const struct ag_arc_seal_config *cfg,
		const char *ar_results, time_t t,
		struct ag_arc_seal_out *out, struct ag_err *err) AG_MUST_CHECK;

void ag_arc_free(struct ag_arc **a);

/* ag_arc_result_name - "none", "pass", "fail" (RFC 8617 / RFC 8601) */
const char *ag_arc_result_name(enum ag_arc_result r);

/* ag_arc_cv_name - "none", "pass", "fail", "" (bad) */
const char *ag_arc_cv_name(enum ag_arc_cv cv);

/* the default AMS header list, NULL-terminated, documented in
 * arc/seal.c */
const char *const *ag_arc_default_sign_headers(void);

/*
 * ag_arc_key_load - read the sealing key from a PEM file with the checks
 * of DKIM signing keys (dkim/keyfile.c: require_safe refuses group or
 * other access; RSA >= 1024 bits or Ed25519). At configuration load,
 * before privileges are dropped. *key_r is the caller's: EVP_PKEY_free().
 * Errors: AG_EINVAL naming the file, AG_ENOMEM.
 */
int ag_arc_key_load(EVP_PKEY **key_r, const char *path, bool require_safe,
		    struct ag_err *err) AG_MUST_CHECK;

#endif
