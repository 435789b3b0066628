/*
 * dmarc/from.h - the author domains of an RFC5322.From field (RFC 5322
 * 3.4 address-list, RFC 6532 UTF-8, RFC 7489 3.1 / 6.6.1)
 * Use:     ag_dmarc_from_parse() on each From field's value;
 *          ag_dmarc_from_single_domain() for the one author domain when
 *          there is exactly one.
 * Owns:    nothing; results are copied into the caller's struct.
 * Threads: reentrant.
 * Limits:  AG_DMARC_FROM_INPUT_MAX bytes of field, AG_DMARC_FROM_TOKENS
 *          tokens, AG_DMARC_FROM_MAX addresses kept (count goes on),
 *          comments nested AG_DMARC_FROM_DEPTH deep.
 * Errors:  AG_OK with a result for every input, however malformed;
 *          AG_EINVAL only for a NULL argument.
 *
 * The grammar is followed, not guessed: a display name, quoted string or
 * comment that contains "@" or "<" never provides the domain (the
 * OpenDMARC CVE-2019-16378 shape "a@bank.example, b@evil.example" yields
 * two addresses, not one). Group syntax ("team: a@x, b@y;") yields its
 * members; an empty group yields none. Domains are lower-cased A-labels
 * (U-labels converted with libidn2, IDNA2008 non-transitional); a domain
 * literal, or a name that is not a valid DNS name, is kept with
 * valid = false and is never a DMARC pass.
 */
#ifndef AG_DMARC_FROM_H
#define AG_DMARC_FROM_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define AG_DMARC_FROM_MAX 16
#define AG_DMARC_FROM_INPUT_MAX 65536
#define AG_DMARC_FROM_TOKENS 8192
#define AG_DMARC_FROM_DEPTH 64

struct ag_dmarc_author {
	char domain[256];	/* A-label, lower case; "" when none */
	bool valid;		/* a usable DNS domain */
};

struct ag_dmarc_from {
	unsigned count;		/* addresses found (may exceed the kept) */
	struct ag_dmarc_author addr[AG_DMARC_FROM_MAX];
	bool truncated;		/* more than AG_DMARC_FROM_MAX, or input
				 * past the limits */
	bool syntax_error;	/* something did not follow RFC 5322;
				 * the addresses found are still given */
};

int ag_dmarc_from_parse(const char *value, size_t len,
			struct ag_dmarc_from *res, struct ag_err *err)
	AG_MUST_CHECK;

/*
 * ag_dmarc_from_single_domain - the author domain when every address of
 * res has the same valid domain and there is at least one; NULL when
 * there are none, several domains, or an invalid one
 */
const char *ag_dmarc_from_single_domain(const struct ag_dmarc_from *res);

#endif
