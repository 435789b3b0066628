/*
 * dkim/sign.c - sign one message with libopendkim, one handle per key
 *
 * Every handle is fed the same header fields and body bytes, so one pass
 * over the message yields all signatures (RSA and Ed25519 side by side,
 * as RFC 8463 section 4 suggests).
 *
 * The header list. libopendkim signs, of the fields present, those whose
 * names match the list: the library's (DKIM_OPTS_SIGNHDRS, installed by
 * ag_dkim_sign_configure_lib() from the configured lists) or, when a
 * signer is made with other lists, the handle's own (dkim_signhdrs(), which
 * compiles a regex per message); the library default of "every field"
 * never applies. It appends the
 * library's oversigned names to h= once more (DKIM_OPTS_OVERSIGNHDRS, a
 * library option: ag_dkim_sign_configure_lib()). An oversigned name that
 * is present is thus listed one time more than it occurs, and an absent
 * one is listed once: either way no such field can be added after signing
 * without breaking the signature (RFC 6376 5.4.2, 8.15). The per-handle
 * list is the union of both lists, because a name in h= that libopendkim
 * did not hash would make the signature fail.
 *
 * Known libopendkim 2.11.0~beta2 defect: dkim_free() releases the crypto
 * state of RSA signatures only, so each Ed25519 signature leaks about
 * 600 bytes (fixed upstream, trusteddomainproject/OpenDKIM PR #321); no
 * public API reaches that state, so it cannot be freed from here.
 */
#include "dkim/sign.h"

#include <opendkim/dkim.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim/dkim_int.h"

#define SIGN_PREFIX "DKIM-Signature: "
#define SIGN_CHUNK  8192 /* body bytes converted per step */
#define SIGN_LIB_LIST_MAX                                                      \
	1000 /* libopendkim builds "^(a|b|...)$" in a                          \
	      * 1024-byte buffer (dkim_signhdrs()) */

/*
 * The default signed fields: RFC 6376 5.4.1's list (From, Reply-To,
 * Subject, Date, To, Cc, Resent-*, In-Reply-To, References, List-*), plus
 * Sender and Message-ID (identity and threading), the MIME fields that
 * decide how the body is read (MIME-Version, Content-Type,
 * Content-Transfer-Encoding, Content-Disposition; RFC 6376 8.7), and
 * List-Unsubscribe-Post, which RFC 8058 3.1 requires to be signed.
 * Not signed: Return-Path and Received (RFC 6376 5.4.1: trace fields
 * change in transit), Comments and Keywords (same list), Bcc (removed in
 * transit), and whatever we add or replace after signing.
 */
static const char *const sign_default_headers[] = {"From",
						   "Sender",
						   "Reply-To",
						   "Subject",
						   "Date",
						   "Message-ID",
						   "To",
						   "Cc",
						   "MIME-Version",
						   "Content-Type",
						   "Content-Transfer-Encoding",
						   "Content-Disposition",
						   "In-Reply-To",
						   "References",
						   "Resent-Date",
						   "Resent-From",
						   "Resent-Sender",
						   "Resent-To",
						   "Resent-Cc",
						   "Resent-Message-ID",
						   "List-Id",
						   "List-Help",
						   "List-Unsubscribe",
						   "List-Unsubscribe-Post",
						   "List-Subscribe",
						   "List-Post",
						   "List-Owner",
						   "List-Archive",
						   NULL};

/*
 * The default oversigned fields: those that say who wrote the message, to
 * whom, what it is and how its body reads; a second instance added in
 * transit could be what a reader sees (RFC 6376 8.15). Not oversigned:
 * List-* and Resent-*, which a mailing list or a resending agent adds
 * legitimately to a message it otherwise leaves intact; oversigning them
 * would break our signature on such lists for no gain.
 */
static const char *const sign_default_oversign[] = {"From",
						    "Sender",
						    "Reply-To",
						    "Subject",
						    "Date",
						    "Message-ID",
						    "To",
						    "Cc",
						    "MIME-Version",
						    "Content-Type",
						    "Content-Transfer-Encoding",
						    "In-Reply-To",
						    "References",
						    NULL};

/* added or rewritten after signing, by us or by relays */
static const char *const sign_never[] = {"Authentication-Results",
					 "DKIM-Signature",
					 "Received",
					 "Return-Path",
					 "ARC-Seal",
					 "ARC-Message-Signature",
					 "ARC-Authentication-Results",
					 NULL};

struct ag_dkim_signer {
	DKIM *dkim[AG_DKIM_MAX_SIGNERS];
	const struct ag_dkim_key *key[AG_DKIM_MAX_SIGNERS];
	unsigned n;
	int last_cr; /* the previous body byte was '\r' */
	int rc;	     /* first failure; sticky */
};

static const char *sign_error(DKIM *d);

const char *const *
ag_dkim_sign_default_headers(void)
{
	return sign_default_headers;
}

const char *const *
ag_dkim_sign_default_oversign(void)
{
	return sign_default_oversign;
}

/* sign_name_check - AG_OK when name may be signed and libopendkim can
 * take it (its list is a regex: keep to letters, digits, '-', '_') */
static int
sign_name_check(const char *name, struct ag_err *err)
{
	if (name[0] == '\0' || name[strspn(name, "abcdefghijklmnopqrstuvwxyz"
						 "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
						 "0123456789-_")] != '\0')
		return ag_err_set(err, AG_EINVAL,
				  "header name \"%s\" cannot "
				  "be signed: use letters, digits, '-', '_'",
				  name);
	for (unsigned i = 0; sign_never[i] != NULL; i++)
		if (strcasecmp(name, sign_never[i]) == 0)
			return ag_err_set(err, AG_EINVAL,
					  "%s must not be "
					  "signed: it is added or changed "
					  "after signing",
					  name);
	return AG_OK;
}

/* sign_lists - cfg's two lists, defaults filled in */
static void
sign_lists(const struct ag_dkim_sign_config *cfg, const char *const **h_r,
	   unsigned *nh_r, const char *const **o_r, unsigned *no_r)
{
	unsigned n;

	if (cfg->sign_headers != NULL && cfg->n_sign_headers > 0) {
		*h_r = cfg->sign_headers;
		*nh_r = cfg->n_sign_headers;
	} else {
		for (n = 0; sign_default_headers[n] != NULL; n++)
			;
		*h_r = sign_default_headers;
		*nh_r = n;
	}
	if (cfg->oversign_headers != NULL && cfg->n_oversign_headers > 0) {
		*o_r = cfg->oversign_headers;
		*no_r = cfg->n_oversign_headers;
	} else {
		for (n = 0; sign_default_oversign[n] != NULL; n++)
			;
		*o_r = sign_default_oversign;
		*no_r = n;
	}
}

/* sign_add_name - append name to list (NULL-terminated) unless there;
 * *len_r counts the bytes libopendkim's regex will need */
static int
sign_add_name(const char **list, unsigned *n, size_t *len_r, const char *name,
	      struct ag_err *err)
{
	int rc;

	if ((rc = sign_name_check(name, err)) != AG_OK)
		return rc;
	for (unsigned i = 0; i < *n; i++)
		if (strcasecmp(list[i], name) == 0)
			return AG_OK;
	if (*n >= 2 * AG_DKIM_MAX_HDRS)
		return ag_err_set(err, AG_EINVAL, "more than %d header names",
				  2 * AG_DKIM_MAX_HDRS);
	*len_r += strlen(name) + 1;
	if (*len_r > SIGN_LIB_LIST_MAX)
		return ag_err_set(err, AG_EINVAL,
				  "the signed header names "
				  "are too long together for libopendkim "
				  "(%d bytes)",
				  SIGN_LIB_LIST_MAX);
	list[(*n)++] = name;
	list[*n] = NULL;
	return AG_OK;
}

/* sign_build - the per-handle list (signed and oversigned names) and the
 * oversigned list alone; both NULL-terminated, pointing into cfg */
static int
sign_build(const struct ag_dkim_sign_config *cfg, const char **all,
	   const char **over, struct ag_err *err)
{
	const char *const *h, *const *o;
	unsigned nh, no, n = 0, m = 0;
	size_t len = sizeof("^(from|)$"), olen = 0;
	int rc = AG_OK;

	sign_lists(cfg, &h, &nh, &o, &no);
	all[0] = over[0] = NULL;
	if (nh > AG_DKIM_MAX_HDRS || no > AG_DKIM_MAX_HDRS)
		return ag_err_set(err, AG_EINVAL, "more than %d header names",
				  AG_DKIM_MAX_HDRS);
	for (unsigned i = 0; i < nh && rc == AG_OK; i++)
		rc = sign_add_name(all, &n, &len, h[i], err);
	for (unsigned i = 0; i < no && rc == AG_OK; i++) {
		if ((rc = sign_add_name(all, &n, &len, o[i], err)) == AG_OK)
			rc = sign_add_name(over, &m, &olen, o[i], err);
	}
	return rc;
}

/* sign_join - names ":"-joined into buf; false when they do not fit */
static bool
sign_join(const char *const *names, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; names[i] != NULL; i++) {
		int n = snprintf(buf + o, size - o, "%s%s", i ? ":" : "",
				 names[i]);
		if (n < 0 || (size_t)n >= size - o)
			return false;
		o += (size_t)n;
	}
	return true;
}

/* ag_dkim_sign_configure_lib - install the oversigned names, and the
 * signed names as the library's list: libopendkim compiles that regex
 * once here, where dkim_signhdrs() would compile it for every message */
int
ag_dkim_sign_configure_lib(struct ag_dkim_lib *lib,
			   const struct ag_dkim_sign_config *cfg,
			   struct ag_err *err)
{
	const char *all[2 * AG_DKIM_MAX_HDRS + 1];
	const char *over[2 * AG_DKIM_MAX_HDRS + 1];
	char joined[1024];
	int rc;

	if ((rc = sign_build(cfg, all, over, err)) != AG_OK)
		return rc;
	if (dkim_options(ag_dkim_lib_handle(lib), DKIM_OP_SETOPT,
			 DKIM_OPTS_OVERSIGNHDRS, over,
			 sizeof(u_char **)) != DKIM_STAT_OK)
		return ag_err_set(err, AG_EINTERNAL,
				  "libopendkim refused the "
				  "oversigned header list");
	if (!sign_join(all, joined, sizeof(joined)) ||
	    dkim_options(ag_dkim_lib_handle(lib), DKIM_OP_SETOPT,
			 DKIM_OPTS_SIGNHDRS, all,
			 sizeof(char **)) != DKIM_STAT_OK ||
	    !ag_dkim_lib_set_signlist(lib, joined))
		return ag_err_set(err, AG_EINTERNAL,
				  "libopendkim refused the "
				  "signed header list");
	return AG_OK;
}

/* sign_lib_check - the library must add the oversigned names and must
 * not add l= (DKIM_LIBFLAGS_SIGNLEN) */
static int
sign_lib_check(DKIM_LIB *lib, struct ag_err *err)
{
	u_char **over = NULL;
	u_int flags = 0;

	if (dkim_options(lib, DKIM_OP_GETOPT, DKIM_OPTS_OVERSIGNHDRS, &over,
			 sizeof(over)) != DKIM_STAT_OK ||
	    over == NULL || over[0] == NULL)
		return ag_err_set(err, AG_EINTERNAL,
				  "DKIM library handle "
				  "not set up for signing: call "
				  "ag_dkim_sign_configure_lib()");
	if (dkim_options(lib, DKIM_OP_GETOPT, DKIM_OPTS_FLAGS, &flags,
			 sizeof(flags)) != DKIM_STAT_OK ||
	    (flags & DKIM_LIBFLAGS_SIGNLEN) != 0)
		return ag_err_set(err, AG_EINTERNAL,
				  "DKIM library handle "
				  "would add l= (DKIM_LIBFLAGS_SIGNLEN)");
	return AG_OK;
}

/* sign_open - one libopendkim signing handle for key */
static int
sign_open(DKIM_LIB *lib, const struct ag_dkim_sign_config *cfg,
	  const struct ag_dkim_key *key, const char **hdrs, bool lib_list,
	  const char *jobid, DKIM **dkim_r, struct ag_err *err)
{
	DKIM_STAT st = DKIM_STAT_OK;
	DKIM *d;

	/* length -1: never l= (RFC 6376 8.2: content could be appended) */
	d = dkim_sign(
		lib, (const u_char *)jobid, NULL, (dkim_sigkey_t)key->pem,
		(const u_char *)key->selector, (const u_char *)key->domain,
		cfg->header_simple ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED,
		cfg->body_simple ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED,
		key->alg == AG_DKIM_ALG_ED25519_SHA256 ? DKIM_SIGN_ED25519SHA256
						       : DKIM_SIGN_RSASHA256,
		-1, &st);
	if (d == NULL)
		return ag_err_set(err,
				  st == DKIM_STAT_NORESOURCE ? AG_ENOMEM
							     : AG_EINTERNAL,
				  "key %s (%s): libopendkim refused it: %s",
				  key->name, key->path, dkim_getresultstr(st));
	*dkim_r = d;
	/* libopendkim 2.11 hashes its own field with b= empty and folds it
	 * before b= only for RSA: an Ed25519 b= then wraps differently in
	 * the field it hands out, which breaks c=simple headers. Unfolded
	 * (margin 0), both are the same one line (under 998 bytes for any
	 * list of names ag_dkim_sign_configure_lib() accepts). */
	if (cfg->header_simple && key->alg == AG_DKIM_ALG_ED25519_SHA256 &&
	    dkim_set_margin(d, 0) != DKIM_STAT_OK)
		return ag_err_set(err, AG_EINTERNAL,
				  "key %s: libopendkim "
				  "refused margin 0",
				  key->name);
	/* lib_list: the library's own list is this one (compiled once) */
	if (!lib_list && dkim_signhdrs(d, hdrs) != DKIM_STAT_OK)
		return ag_err_set(err, AG_EINTERNAL,
				  "key %s: libopendkim "
				  "refused the header list: %s",
				  key->name, sign_error(d));
	return AG_OK;
}

/* ag_dkim_sign_new - one handle per key */
int
ag_dkim_sign_new(struct ag_dkim_signer **s_r, const struct ag_dkim_lib *lib,
		 const struct ag_dkim_sign_config *cfg,
		 const struct ag_dkim_key *const *keys, unsigned nkeys,
		 const char *jobid, struct ag_err *err)
{
	const char *all[2 * AG_DKIM_MAX_HDRS + 1];
	const char *over[2 * AG_DKIM_MAX_HDRS + 1];
	struct ag_dkim_signer *s = NULL;
	DKIM_LIB *dl = ag_dkim_lib_handle(lib);
	char joined[1024];
	bool lib_list;
	int rc;

	if (nkeys == 0 || nkeys > AG_DKIM_MAX_SIGNERS) {
		rc = ag_err_set(err, AG_EINVAL, "%u keys: sign with 1 to %d",
				nkeys, AG_DKIM_MAX_SIGNERS);
		goto out;
	}
	if ((rc = sign_lib_check(dl, err)) != AG_OK ||
	    (rc = sign_build(cfg, all, over, err)) != AG_OK)
		goto out;
	lib_list = sign_join(all, joined, sizeof(joined)) &&
		   joined[0] != '\0' &&
		   strcmp(joined, ag_dkim_lib_signlist(lib)) == 0;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		rc = ag_err_set(err, AG_ENOMEM, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < nkeys; i++) {
		s->key[i] = keys[i];
		rc = sign_open(dl, cfg, keys[i], all, lib_list,
			       jobid != NULL ? jobid : "authgate", &s->dkim[i],
			       err);
		if (s->dkim[i] != NULL)
			s->n = i + 1;
		if (rc != AG_OK)
			goto out;
	}
	*s_r = s;
	s = NULL;
out:
	ag_dkim_sign_free(&s);
	return rc;
}

/* sign_error - libopendkim's last error text for d, never NULL */
static const char *
sign_error(DKIM *d)
{
	const char *e = dkim_geterror(d);

	return e != NULL ? e : "no detail";
}

/* sign_stat - an AG_* code for a libopendkim status */
static int
sign_stat(DKIM_STAT st)
{
	switch (st) {
	case DKIM_STAT_OK:
		return AG_OK;
	case DKIM_STAT_NORESOURCE:
		return AG_ENOMEM;
	case DKIM_STAT_SYNTAX:
		return AG_EINVAL;
	default:
		return AG_EINTERNAL;
	}
}

/* sign_feed_header - hand one complete field to every handle */
static int
sign_feed_header(struct ag_dkim_signer *s, u_char *buf, size_t len)
{
	for (unsigned i = 0; i < s->n; i++) {
		int rc = sign_stat(dkim_header(s->dkim[i], buf, len));
		if (rc != AG_OK)
			return rc;
	}
	return AG_OK;
}

/* ag_dkim_sign_header - "Name: value" with bare LF made CRLF */
int
ag_dkim_sign_header(struct ag_dkim_signer *s, const char *name,
		    const char *value)
{
	size_t nlen = strlen(name), vlen = strlen(value), o = 0;
	u_char *buf = NULL;
	int rc;

	if (s->rc != AG_OK)
		return s->rc;
	/* worst case every value byte is a bare LF that gains a CR */
	if ((buf = malloc(nlen + 2 + 2 * vlen + 1)) == NULL) {
		rc = AG_ENOMEM;
		goto out;
	}
	memcpy(buf, name, nlen);
	o = nlen;
	buf[o++] = ':';
	if (value[0] != ' ' && value[0] != '\t')
		buf[o++] = ' ';
	for (size_t i = 0; i < vlen; i++) {
		if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r'))
			buf[o++] = '\r';
		buf[o++] = (u_char)value[i];
	}
	buf[o] = '\0';
	rc = sign_feed_header(s, buf, o);
out:
	free(buf);
	if (rc != AG_OK)
		s->rc = rc;
	return rc;
}

/* ag_dkim_sign_eoh - end of the header block */
int
ag_dkim_sign_eoh(struct ag_dkim_signer *s)
{
	if (s->rc != AG_OK)
		return s->rc;
	for (unsigned i = 0; i < s->n && s->rc == AG_OK; i++)
		s->rc = sign_stat(dkim_eoh(s->dkim[i]));
	return s->rc;
}

/* sign_feed_body - n converted bytes to every handle */
static int
sign_feed_body(struct ag_dkim_signer *s, u_char *buf, size_t n)
{
	for (unsigned i = 0; i < s->n && n > 0; i++) {
		int rc = sign_stat(dkim_body(s->dkim[i], buf, n));
		if (rc != AG_OK)
			return rc;
	}
	return AG_OK;
}

/* ag_dkim_sign_body - one body chunk, bare LF made CRLF across chunks */
int
ag_dkim_sign_body(struct ag_dkim_signer *s, const unsigned char *buf,
		  size_t len)
{
	u_char out[2 * SIGN_CHUNK];
	size_t i = 0;

	while (s->rc == AG_OK && i < len) {
		size_t o = 0;
		for (size_t k = 0; k < SIGN_CHUNK && i < len; k++, i++) {
			if (buf[i] == '\n' && !s->last_cr)
				out[o++] = '\r';
			out[o++] = buf[i];
			s->last_cr = buf[i] == '\r';
		}
		s->rc = sign_feed_body(s, out, o);
	}
	return s->rc;
}

/* sign_value - the signature of handle d, folded with "\n\t", into sig */
static int
sign_value(DKIM *d, const struct ag_dkim_key *key,
	   struct ag_dkim_signature *sig, struct ag_err *err)
{
	u_char *hdr = NULL;
	size_t len = 0, o = 0;
	DKIM_STAT st;

	/* initial = the field name's width, so the first line folds where
	 * it would in "DKIM-Signature: v=1; ..." */
	st = dkim_getsighdr_d(d, strlen(SIGN_PREFIX), &hdr, &len);
	if (st != DKIM_STAT_OK)
		return ag_err_set(
			err,
			sign_stat(st) == AG_ENOMEM ? AG_ENOMEM : AG_EINTERNAL,
			"key %s: no signature: %s", key->name, sign_error(d));
	for (size_t i = 0; i < len; i++) {
		if (hdr[i] == '\r' && i + 1 < len && hdr[i + 1] == '\n')
			continue;
		if (o + 1 >= sizeof(sig->value))
			return ag_err_set(err, AG_EINTERNAL,
					  "key %s: "
					  "signature longer than %d bytes",
					  key->name, AG_DKIM_SIG_MAX);
		sig->value[o++] = (char)hdr[i];
	}
	sig->value[o] = '\0';
	snprintf(sig->domain, sizeof(sig->domain), "%s", key->domain);
	snprintf(sig->selector, sizeof(sig->selector), "%s", key->selector);
	return AG_OK;
}

/* ag_dkim_sign_finish - sign with every key, in key order */
int
ag_dkim_sign_finish(struct ag_dkim_signer *s, struct ag_dkim_signature *sigs,
		    unsigned max, unsigned *n_r, struct ag_err *err)
{
	int rc;

	if (s->rc != AG_OK)
		return ag_err_set(err, s->rc, "signing failed earlier: %s",
				  ag_strerror(s->rc));
	if (max < s->n)
		return ag_err_set(err, AG_EINVAL,
				  "room for %u signatures, "
				  "%u keys",
				  max, s->n);
	for (unsigned i = 0; i < s->n; i++) {
		DKIM_STAT st = dkim_eom(s->dkim[i], NULL);
		if (st != DKIM_STAT_OK) {
			rc = ag_err_set(err,
					st == DKIM_STAT_NORESOURCE
						? AG_ENOMEM
						: AG_EINTERNAL,
					"key %s (%s): signing failed: %s",
					s->key[i]->name, s->key[i]->path,
					sign_error(s->dkim[i]));
			goto out;
		}
		if ((rc = sign_value(s->dkim[i], s->key[i], &sigs[i], err)) !=
		    AG_OK)
			goto out;
	}
	*n_r = s->n;
	rc = AG_OK;
out:
	if (rc != AG_OK)
		s->rc = rc;
	return rc;
}

/* ag_dkim_sign_free - close every handle, free, clear the pointer */
void
ag_dkim_sign_free(struct ag_dkim_signer **s)
{
	if (s == NULL || *s == NULL)
		return;
	for (unsigned i = 0; i < (*s)->n; i++)
		if ((*s)->dkim[i] != NULL)
			dkim_free((*s)->dkim[i]);
	free(*s);
	*s = NULL;
}
