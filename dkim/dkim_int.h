/*
 * dkim/dkim_int.h - what the DKIM module's own files share (not for other
 * modules: they use dkim/lib.h, dkim/verify.h, dkim/sign.h)
 * Use:     ag_dkim_lib_handle() gives sign.c and verify.c the DKIM_LIB of a
 *          library handle, to open one DKIM handle per message.
 * Owns:    nothing; the DKIM_LIB stays owned by struct ag_dkim_lib.
 * Threads: the DKIM_LIB is shared by every thread (libopendkim allows it);
 *          library options may be set only before the handle is shared.
 */
#ifndef AG_DKIM_INT_H
#define AG_DKIM_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <opendkim/dkim.h>

#include "dkim/lib.h"
#include "dkim/verify.h"

/* ag_dkim_lib_handle - the DKIM_LIB of lib (never NULL for a lib that
 * ag_dkim_lib_new() returned) */
DKIM_LIB *ag_dkim_lib_handle(const struct ag_dkim_lib *lib);

/* ag_dkim_lib_cfg - the settings lib was made with */
const struct ag_dkim_lib_config *ag_dkim_lib_cfg(const struct ag_dkim_lib *lib);

/* ag_dkim_lib_signlists - the header lists ag_dkim_sign_configure_lib()
 * checked and prepared for lib (dkim/sign_int.h), NULL when it was not
 * called: dkim/sign.c signs only with a handle set up so */
struct ag_dkim_signlists;
const struct ag_dkim_signlists *
ag_dkim_lib_signlists(const struct ag_dkim_lib *lib);

/* ag_dkim_lib_set_signlists - lib takes l (freed with lib, or when
 * replaced) */
void ag_dkim_lib_set_signlists(struct ag_dkim_lib *lib,
			       struct ag_dkim_signlists *l);

/* ag_dkim_dns_install - route lib's key lookups to dns (dkim/dns.c) */
struct ag_dns;
void ag_dkim_dns_install(DKIM_LIB *lib, struct ag_dns *dns);

/* ag_dkim_verify_prescreen - libopendkim's prescreen hook (dkim/verify.c):
 * marks the signatures past the verifier's limits ignored before any key
 * is looked up; does nothing for a DKIM handle without a verifier */
DKIM_CBSTAT ag_dkim_verify_prescreen(DKIM *dkim, DKIM_SIGINFO **sigs,
				     int nsigs);

/* the tags of one DKIM-Signature that results and our own checks need,
 * read by dkim/sigtags.c (results name the signature even when
 * libopendkim could not parse it) */
struct ag_dkim_sigtags {
	char d[AG_DKIM_DOMAIN_MAX];	/* printable, FWS removed */
	char i[AG_DKIM_DOMAIN_MAX];	/* dkim-quoted-printable decoded */
	char s[128];
	char a[32];
	char b[AG_DKIM_B_PREFIX + 1];	/* first characters, FWS removed */
	bool body_relaxed;		/* c=x/relaxed */
	bool b64_bad;			/* b= or bh= holds a non-base64
					 * character (libopendkim skips them) */
	bool has_l, has_x, has_t;	/* the tag is present */
	bool l_ok, x_ok, t_ok;		/* ...and its value is a number */
	uint64_t l, x, t;
};

/* canonical body length so far, both canonicalizations (RFC 6376 3.4.3,
 * 3.4.4), to tell whether content follows the l= length */
struct ag_dkim_blen {
	uint64_t simple, relaxed;	/* committed lengths */
	uint64_t empty_s, empty_r;	/* empty lines not yet committed */
	uint64_t line_s, line_r;	/* the current line so far */
	bool wsp;			/* relaxed: WSP run pending */
	bool cr;			/* a CR waits for its LF */
};

/* ag_dkim_blen_byte - count one body byte (start from a zeroed struct) */
void ag_dkim_blen_byte(struct ag_dkim_blen *b, unsigned char c);

/* ag_dkim_blen_total - the canonical body length at end of body */
uint64_t ag_dkim_blen_total(const struct ag_dkim_blen *b, bool relaxed);

/* ag_dkim_sigtags_parse - the tags of a DKIM-Signature field body; never
 * fails: what does not parse is left empty (RFC 6376 3.2 tag-list) */
void ag_dkim_sigtags_parse(const char *value, struct ag_dkim_sigtags *t_r);

#endif
