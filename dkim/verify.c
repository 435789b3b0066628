/*
 * dkim/verify.c - verify every DKIM signature of one message (libopendkim)
 *
 * Flow: header fields go to dkim_header() as "Name: value" lines with CRLF
 * folding; libopendkim's prescreen hook (ag_dkim_verify_prescreen) marks
 * signatures ignored before any key lookup; dkim_eoh() looks the keys up
 * and checks the header hashes; body chunks stream to dkim_body() (bare LF
 * made CRLF); dkim_eom() checks the body hashes. Every signature of the
 * list is then mapped to an RFC 8601 result. libopendkim's list has one
 * entry per DKIM-Signature field, in order, malformed ones included
 * (DKIM_LIBFLAGS_BADSIGHANDLES, dkim/lib.c), so entry k is our field k.
 *
 * Results (RFC 8601 2.7.1 words; RFC 6376 6.1 and RFC 8301 for when):
 *   pass       the signature verified, key acceptable, not expired;
 *   fail       "signature mismatch" (header hash or crypto), "body hash
 *              mismatch", "body shorter than l=";
 *   neutral    the field does not parse or a tag is missing, empty or
 *              unsupported (v=, a=, c=, q=, h= without From, i= outside
 *              d=, x= before t=): RFC 8601's "contained syntax errors";
 *   policy     rsa-sha1 while accept_sha1 is off (RFC 8301 3.1: not
 *              valid; we say policy so an admin can tell it from a
 *              forgery), and signatures past max_sigs ("too many
 *              signatures");
 *   temperror  the key lookup timed out or the server failed;
 *   permerror  no key (NXDOMAIN/NODATA), revoked (empty p=), key record
 *              syntax or unusable key, key not for this hash or service,
 *              t=s key with i= in a subdomain, RSA key under min_rsa_bits
 *              (RFC 8301 3.2: "MUST NOT consider ... valid"; the check ran
 *              but could not produce a result we accept), "expired" (x=)
 *              and "signature in the future" (t= past clock_drift).
 * Limits: max_sigs counts signatures that would need a key lookup;
 * signatures rejected before the lookup (syntax, sha1) cost nothing and
 * are always reported. At most AG_DKIM_MAX_RESULTS DKIM-Signature fields
 * reach libopendkim; later ones are counted in not_evaluated only (a
 * signature whose h= covers them then fails). Header fields over
 * VERIFY_FIELD_MAX bytes, or more than VERIFY_MAX_FIELDS fields or
 * VERIFY_HDR_MAX bytes in all, stop verification: every signature is then
 * permerror "header limits exceeded".
 */
#include "dkim/verify.h"

#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <opendkim/dkim.h>

#include "dkim/dkim_int.h"

#define VERIFY_MAGIC 0x61676476u	/* "agdv": a DKIM handle of ours */
#define VERIFY_FIELD_MAX (128 * 1024)
#define VERIFY_HDR_MAX (1024 * 1024)
#define VERIFY_MAX_FIELDS 1000
#define VERIFY_CHUNK 4096		/* body bytes converted per step */
#define VERIFY_SIGHDR "DKIM-Signature"
#define VERIFY_KEYNAME_MAX 253		/* s._domainkey.d, RFC 1035 */
#define VERIFY_TOO_MANY "too many signatures"	/* verify.h Limits */

/* why a signature was not given to libopendkim to verify */
enum verify_skip {
	SKIP_NONE = 0,
	SKIP_BAD,		/* libopendkim could not parse the field */
	SKIP_KEYNAME,		/* s._domainkey.d is no domain name */
	SKIP_SHA1,		/* rsa-sha1 not accepted */
	SKIP_LIMIT		/* past max_sigs */
};

struct verify_sig {
	struct ag_dkim_sigtags tags;
	enum verify_skip skip;
};

struct ag_dkim_verifier {
	unsigned magic;
	const struct ag_dkim_lib *lib;
	DKIM *dkim;
	char jobid[64];			/* libopendkim keeps the pointer */
	time_t now;
	unsigned nfields;
	size_t hdr_bytes;
	bool overflow;			/* header limits exceeded */
	bool eoh;			/* _eoh() called */
	DKIM_STAT eoh_st;
	bool body_cr;			/* last body byte was CR */
	unsigned nsigs;			/* DKIM-Signature fields seen */
	bool count_body;		/* a signature has l=: count blen */
	struct ag_dkim_blen blen;
	/* last and not cleared at creation (9 KB a message): an entry is set
	 * whole when its field arrives; entries past nsigs are never read */
	struct verify_sig sig[AG_DKIM_MAX_RESULTS];
};

/* ag_dkim_result_name - RFC 8601 spelling */
const char *
ag_dkim_result_name(enum ag_dkim_result r)
{
	static const char *const names[] = { "none", "pass", "fail",
					     "neutral", "policy", "temperror",
					     "permerror" };

	if ((unsigned)r >= sizeof(names) / sizeof(names[0]))
		return "permerror";
	return names[r];
}

/* verify_stat_rc - an AG_E* code for a libopendkim failure status */
static int
verify_stat_rc(DKIM_STAT st)
{
	return st == DKIM_STAT_NORESOURCE ? AG_ENOMEM : AG_EINTERNAL;
}

/* ag_dkim_verify_new - a verifier with its own DKIM handle */
int
ag_dkim_verify_new(struct ag_dkim_verifier **v_r,
		   const struct ag_dkim_lib *lib, const char *jobid,
		   struct ag_err *err)
{
	struct ag_dkim_verifier *v = NULL;
	const struct ag_dkim_lib_config *cfg;
	DKIM_STAT st = DKIM_STAT_OK;
	int rc = AG_OK;

	if (v_r == NULL || lib == NULL) {
		rc = ag_err_set(err, AG_EINVAL, "dkim: no library handle");
		goto out;
	}
	if ((v = malloc(sizeof(*v))) == NULL) {
		rc = ag_err_set(err, AG_ENOMEM, "dkim: out of memory");
		goto out;
	}
	memset(v, 0, offsetof(struct ag_dkim_verifier, sig));
	cfg = ag_dkim_lib_cfg(lib);
	v->magic = VERIFY_MAGIC;
	v->lib = lib;
	v->now = cfg->fixed_time != 0 ? cfg->fixed_time : time(NULL);
	snprintf(v->jobid, sizeof(v->jobid), "%s",
		 jobid != NULL ? jobid : "authgate");
	v->dkim = dkim_verify(ag_dkim_lib_handle(lib),
			      (const unsigned char *)v->jobid, NULL, &st);
	if (v->dkim == NULL) {
		rc = ag_err_set(err, verify_stat_rc(st), "dkim: libopendkim "
				"refused a verify handle: %s",
				dkim_getresultstr(st));
		goto out;
	}
	if (dkim_set_user_context(v->dkim, v) != DKIM_STAT_OK) {
		rc = ag_err_set(err, AG_EINTERNAL, "dkim: cannot set context");
		goto out;
	}
	*v_r = v;
	v = NULL;
out:
	ag_dkim_verify_free(&v);
	return rc;
}

/* verify_is_sighdr - name is DKIM-Signature (trailing WSP ignored, as
 * libopendkim does) */
static bool
verify_is_sighdr(const char *name, size_t nlen)
{
	while (nlen > 0 && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'))
		nlen--;
	return nlen == sizeof(VERIFY_SIGHDR) - 1 &&
	       strncasecmp(name, VERIFY_SIGHDR, nlen) == 0;
}

/* verify_line - "Name: value" (or "Name:value" when value starts with
 * WSP) with bare LF made CRLF, into a new buffer */
static unsigned char *
verify_line(const char *name, size_t nlen, const char *value, size_t vlen,
	    size_t *len_r)
{
	bool wsp = value[0] == ' ' || value[0] == '\t';
	unsigned char *buf = malloc(nlen + 2 + 2 * vlen + 1);
	size_t o = 0;

	if (buf == NULL)
		return NULL;
	memcpy(buf, name, nlen);
	o = nlen;
	buf[o++] = ':';
	if (!wsp)
		buf[o++] = ' ';
	for (size_t i = 0; i < vlen; i++) {
		if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r'))
			buf[o++] = '\r';
		buf[o++] = (unsigned char)value[i];
	}
	buf[o] = '\0';
	*len_r = o;
	return buf;
}

/* ag_dkim_verify_header - one header field */
int
ag_dkim_verify_header(struct ag_dkim_verifier *v, const char *name,
		      const char *value)
{
	unsigned char *line = NULL;
	size_t nlen, vlen, len = 0;
	struct verify_sig *sig = NULL;
	DKIM_STAT st;
	int rc = AG_OK;

	if (v == NULL || name == NULL || value == NULL || v->eoh) {
		rc = AG_EINVAL;
		goto out;
	}
	nlen = strlen(name);
	vlen = strlen(value);
	if (verify_is_sighdr(name, nlen)) {
		if (v->nsigs++ >= AG_DKIM_MAX_RESULTS)
			goto out;	/* counted, never verified */
		sig = &v->sig[v->nsigs - 1];
		memset(sig, 0, sizeof(*sig));
		ag_dkim_sigtags_parse(value, &sig->tags);
	}
	if (v->overflow)
		goto out;
	if (nlen + vlen > VERIFY_FIELD_MAX || v->nfields >= VERIFY_MAX_FIELDS ||
	    v->hdr_bytes + nlen + vlen > VERIFY_HDR_MAX) {
		v->overflow = true;
		goto out;
	}
	v->nfields++;
	v->hdr_bytes += nlen + vlen;
	if ((line = verify_line(name, nlen, value, vlen, &len)) == NULL) {
		rc = AG_ENOMEM;
		goto out;
	}
	st = dkim_header(v->dkim, line, len);
	if (st == DKIM_STAT_SYNTAX && sig != NULL)
		sig->skip = SKIP_BAD;
	else if (st == DKIM_STAT_NORESOURCE || st == DKIM_STAT_INTERNAL)
		rc = AG_ENOMEM;
	else if (st == DKIM_STAT_INVALID)
		rc = AG_EINTERNAL;
	/* any other SYNTAX: the field is not hashed, as if absent */
out:
	free(line);
	return rc;
}

/* verify_keyname_ok - s._domainkey.d fits a domain name; libopendkim
 * would fail the whole message (NORESOURCE) on a longer one */
static bool
verify_keyname_ok(DKIM_SIGINFO *si)
{
	const unsigned char *s = dkim_sig_getselector(si);
	const unsigned char *d = dkim_sig_getdomain(si);

	return s != NULL && d != NULL &&
	       strlen((const char *)s) + strlen((const char *)d) +
			       sizeof("._domainkey.") - 1 <=
		       VERIFY_KEYNAME_MAX;
}

/* ag_dkim_verify_prescreen - mark what must not be looked up */
DKIM_CBSTAT
ag_dkim_verify_prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
	struct ag_dkim_verifier *v = dkim_get_user_context(dkim);
	const struct ag_dkim_lib_config *cfg;
	unsigned looked = 0;
	dkim_alg_t alg;

	if (v == NULL || v->magic != VERIFY_MAGIC)
		return DKIM_CBSTAT_CONTINUE;
	cfg = ag_dkim_lib_cfg(v->lib);
	for (int k = 0; k < nsigs; k++) {
		struct verify_sig *sig = k < AG_DKIM_MAX_RESULTS &&
						 (unsigned)k < v->nsigs
					 ? &v->sig[k]
					 : NULL;

		if (sig == NULL || sig->skip == SKIP_BAD) {
			dkim_sig_ignore(sigs[k]);
			continue;
		}
		if (dkim_sig_geterror(sigs[k]) != DKIM_SIGERROR_UNKNOWN)
			continue;	/* no lookup will happen */
		if (!verify_keyname_ok(sigs[k]))
			sig->skip = SKIP_KEYNAME;
		else if (!cfg->accept_sha1 &&
			 dkim_sig_getsignalg(sigs[k], &alg) == DKIM_STAT_OK &&
			 alg == DKIM_SIGN_RSASHA1)
			sig->skip = SKIP_SHA1;
		else if (looked >= cfg->max_sigs)
			sig->skip = SKIP_LIMIT;
		else
			looked++;
		if (sig->skip != SKIP_NONE)
			dkim_sig_ignore(sigs[k]);
	}
	return DKIM_CBSTAT_CONTINUE;
}

/* ag_dkim_verify_eoh - end of header: keys are looked up here */
int
ag_dkim_verify_eoh(struct ag_dkim_verifier *v)
{
	if (v == NULL || v->eoh)
		return AG_EINVAL;
	v->eoh = true;
	if (v->overflow)
		return AG_OK;
	/* the body's canonical length matters only against an l= */
	for (unsigned k = 0; k < v->nsigs && k < AG_DKIM_MAX_RESULTS; k++)
		if (v->sig[k].tags.has_l)
			v->count_body = true;
	v->eoh_st = dkim_eoh(v->dkim);
	if (v->eoh_st == DKIM_STAT_NORESOURCE)
		return AG_ENOMEM;
	return AG_OK;
}

/* ag_dkim_verify_body - one chunk, bare LF made CRLF across chunks */
int
ag_dkim_verify_body(struct ag_dkim_verifier *v, const unsigned char *buf,
		    size_t len)
{
	unsigned char out[2 * VERIFY_CHUNK];
	DKIM_STAT st;

	if (v == NULL || (buf == NULL && len > 0) || !v->eoh)
		return AG_EINVAL;
	if (v->overflow || v->eoh_st != DKIM_STAT_OK)
		return AG_OK;
	for (size_t off = 0; off < len; off += VERIFY_CHUNK) {
		size_t n = len - off < VERIFY_CHUNK ? len - off : VERIFY_CHUNK;
		size_t o = 0;

		for (size_t i = off; i < off + n; i++) {
			if (buf[i] == '\n' && !v->body_cr)
				out[o++] = '\r';
			out[o++] = buf[i];
			v->body_cr = buf[i] == '\r';
		}
		for (size_t i = 0; v->count_body && i < o; i++)
			ag_dkim_blen_byte(&v->blen, out[i]);
		st = dkim_body(v->dkim, out, o);
		if (st != DKIM_STAT_OK)
			return verify_stat_rc(st);
	}
	return AG_OK;
}

/* verify_set - one result's words */
static void
verify_set(struct ag_dkim_sig_result *r, enum ag_dkim_result res,
	   const char *reason)
{
	r->result = res;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

/* verify_sigerror - result and reason for a libopendkim signature error
 * other than OK/BADSIG (the table at the top of this file) */
static void
verify_sigerror(struct ag_dkim_sig_result *r, int e)
{
	switch (e) {
	case DKIM_SIGERROR_NOKEY:
		verify_set(r, AG_DKIM_PERMERROR, "no key");
		break;
	case DKIM_SIGERROR_KEYFAIL:
		verify_set(r, AG_DKIM_TEMPERROR, "key lookup failed");
		break;
	case DKIM_SIGERROR_KEYREVOKED:
		verify_set(r, AG_DKIM_PERMERROR, "key revoked");
		break;
	case DKIM_SIGERROR_DNSSYNTAX:
	case DKIM_SIGERROR_KEYVERSION:
	case DKIM_SIGERROR_KEYUNKNOWNHASH:
	case DKIM_SIGERROR_KEYTYPEMISSING:
	case DKIM_SIGERROR_KEYTYPEUNKNOWN:
		verify_set(r, AG_DKIM_PERMERROR, "key record syntax");
		break;
	case DKIM_SIGERROR_KEYDECODE:
		verify_set(r, AG_DKIM_PERMERROR, "key unusable");
		break;
	case DKIM_SIGERROR_MULTIREPLY:
		verify_set(r, AG_DKIM_PERMERROR, "several key records");
		break;
	case DKIM_SIGERROR_KEYHASHMISMATCH:
		verify_set(r, AG_DKIM_PERMERROR, "key does not allow this hash");
		break;
	case DKIM_SIGERROR_NOTEMAILKEY:
		verify_set(r, AG_DKIM_PERMERROR, "key not for email");
		break;
	case DKIM_SIGERROR_SUBDOMAIN:
		verify_set(r, AG_DKIM_PERMERROR, "key forbids i= subdomain");
		break;
	case DKIM_SIGERROR_KEYTOOSMALL:
		verify_set(r, AG_DKIM_PERMERROR, "key too small (RFC 8301)");
		break;
	case DKIM_SIGERROR_EXPIRED:
		verify_set(r, AG_DKIM_PERMERROR, "expired");
		break;
	case DKIM_SIGERROR_FUTURE:
		verify_set(r, AG_DKIM_PERMERROR, "signature in the future");
		break;
	case DKIM_SIGERROR_TOOLARGE_L:
		verify_set(r, AG_DKIM_FAIL, "body shorter than l=");
		break;
	case DKIM_SIGERROR_VERSION:
	case DKIM_SIGERROR_MISSING_V:
	case DKIM_SIGERROR_EMPTY_V:
		verify_set(r, AG_DKIM_NEUTRAL, "bad or missing v=");
		break;
	case DKIM_SIGERROR_INVALID_A:
	case DKIM_SIGERROR_MISSING_A:
		verify_set(r, AG_DKIM_NEUTRAL, "unsupported or missing a=");
		break;
	case DKIM_SIGERROR_CORRUPT_B:
	case DKIM_SIGERROR_CORRUPT_BH:
		verify_set(r, AG_DKIM_NEUTRAL, "b= or bh= not base64");
		break;
	default:	/* every other tag problem: syntax (RFC 8601 2.7.1) */
		verify_set(r, AG_DKIM_NEUTRAL, "signature syntax");
		break;
	}
}

/* verify_passed - our own checks of a signature libopendkim passed: our
 * clock for x= and t=, our body length for l= */
static void
verify_passed(const struct ag_dkim_verifier *v, const struct verify_sig *sig,
	      struct ag_dkim_sig_result *r)
{
	const struct ag_dkim_sigtags *t = &sig->tags;
	uint64_t now = (uint64_t)v->now;
	uint64_t drift = ag_dkim_lib_cfg(v->lib)->clock_drift;

	verify_set(r, AG_DKIM_PASS, "");
	if (t->has_x && t->x_ok && now > t->x)
		verify_set(r, AG_DKIM_PERMERROR, "expired");
	else if (t->has_t && t->t_ok && t->t > now + drift)
		verify_set(r, AG_DKIM_PERMERROR, "signature in the future");
	if (r->has_l && t->l_ok)
		r->l_partial = ag_dkim_blen_total(&v->blen, t->body_relaxed) > t->l;
}

/* verify_one - the result of signature k (si: libopendkim's entry, NULL
 * when libopendkim never saw it) */
static void
verify_one(const struct ag_dkim_verifier *v, unsigned k, DKIM_SIGINFO *si,
	   struct ag_dkim_sig_result *r)
{
	const struct verify_sig *sig = &v->sig[k];
	unsigned bits = 0;
	dkim_alg_t alg;
	int e;

	memset(r, 0, sizeof(*r));
	memcpy(r->d, sig->tags.d, sizeof(r->d));
	memcpy(r->i, sig->tags.i, sizeof(r->i));
	memcpy(r->s, sig->tags.s, sizeof(r->s));
	memcpy(r->a, sig->tags.a, sizeof(r->a));
	memcpy(r->b, sig->tags.b, sizeof(r->b));
	r->has_l = sig->tags.has_l;
	if (v->overflow) {
		verify_set(r, AG_DKIM_PERMERROR, "header limits exceeded");
		return;
	}
	switch (sig->skip) {
	case SKIP_BAD:
		verify_set(r, AG_DKIM_NEUTRAL, "signature syntax");
		return;
	case SKIP_KEYNAME:
		verify_set(r, AG_DKIM_PERMERROR, "key name too long");
		return;
	case SKIP_SHA1:
		verify_set(r, AG_DKIM_POLICY, "rsa-sha1 not accepted");
		return;
	case SKIP_LIMIT:
		verify_set(r, AG_DKIM_POLICY, VERIFY_TOO_MANY);
		return;
	case SKIP_NONE:
		break;
	}
	if (si == NULL) {
		verify_set(r, AG_DKIM_PERMERROR, "not verifiable");
		return;
	}
	if (sig->tags.b64_bad) {	/* libopendkim skips such characters */
		verify_set(r, AG_DKIM_NEUTRAL, "b= or bh= not base64");
		return;
	}
	if (dkim_sig_getkeysize(si, &bits) == DKIM_STAT_OK)
		r->key_bits = bits;
	if (r->key_bits == 0 && dkim_sig_getsignalg(si, &alg) == DKIM_STAT_OK &&
	    alg == DKIM_SIGN_ED25519SHA256 &&
	    (dkim_sig_getflags(si) & DKIM_SIGFLAG_PROCESSED) != 0)
		r->key_bits = 256;
	e = dkim_sig_geterror(si);
	if (e == DKIM_SIGERROR_BADSIG)
		verify_set(r, AG_DKIM_FAIL,
			   dkim_sig_getbh(si) == DKIM_SIGBH_MISMATCH
				   ? "body hash mismatch"
				   : "signature mismatch");
	else if (e == DKIM_SIGERROR_OK &&
		 (dkim_sig_getflags(si) & DKIM_SIGFLAG_PASSED) != 0 &&
		 dkim_sig_getbh(si) == DKIM_SIGBH_MATCH)
		verify_passed(v, sig, r);
	else if (e == DKIM_SIGERROR_OK || e == DKIM_SIGERROR_UNKNOWN)
		verify_set(r, AG_DKIM_PERMERROR, "not verifiable");
	else
		verify_sigerror(r, e);
}

/* verify_collect - every signature's result into res */
static int
verify_collect(struct ag_dkim_verifier *v, struct ag_dkim_results *res)
{
	DKIM_SIGINFO **list = NULL;
	unsigned n = v->nsigs < AG_DKIM_MAX_RESULTS ? v->nsigs
						     : AG_DKIM_MAX_RESULTS;
	int nlist = 0;

	res->count = 0;
	res->not_evaluated = 0;
	if (!v->overflow && v->eoh_st != DKIM_STAT_NOSIG &&
	    v->eoh_st != DKIM_STAT_OK)
		return AG_EINTERNAL;
	if (!v->overflow && n > 0 &&
	    (dkim_getsiglist(v->dkim, &list, &nlist) != DKIM_STAT_OK ||
	     nlist != (int)n))
		return AG_EINTERNAL;	/* the lists must pair up */
	res->count = n;
	res->not_evaluated = v->nsigs - n;
	for (unsigned k = 0; k < n; k++) {
		verify_one(v, k, list != NULL ? list[k] : NULL, &res->sig[k]);
		if (v->sig[k].skip == SKIP_LIMIT)
			res->not_evaluated++;
	}
	return AG_OK;
}

/* ag_dkim_verify_finish - end of message: body hashes, then results */
int
ag_dkim_verify_finish(struct ag_dkim_verifier *v,
		      struct ag_dkim_results *res_r)
{
	struct ag_dkim_results *res = NULL;
	DKIM_STAT st;
	int rc;

	if (v == NULL || res_r == NULL || !v->eoh) {
		rc = AG_EINVAL;
		goto out;
	}
	if (!v->overflow && v->eoh_st == DKIM_STAT_OK) {
		st = dkim_eom(v->dkim, NULL);
		if (st == DKIM_STAT_NORESOURCE || st == DKIM_STAT_INTERNAL ||
		    st == DKIM_STAT_INVALID) {
			rc = verify_stat_rc(st);
			goto out;
		}
	}
	if ((res = malloc(sizeof(*res))) == NULL) {
		rc = AG_ENOMEM;
		goto out;
	}
	if ((rc = verify_collect(v, res)) == AG_OK) {
		/* the entries in use only: 13 KB a message otherwise */
		res_r->count = res->count;
		res_r->not_evaluated = res->not_evaluated;
		memcpy(res_r->sig, res->sig, res->count * sizeof(res->sig[0]));
	}
out:
	free(res);
	return rc;
}

/* ag_dkim_verify_free - the DKIM handle and the verifier; NULL is fine */
void
ag_dkim_verify_free(struct ag_dkim_verifier **v)
{
	if (v == NULL || *v == NULL)
		return;
	if ((*v)->dkim != NULL)
		dkim_free((*v)->dkim);
	free(*v);
	*v = NULL;
}
