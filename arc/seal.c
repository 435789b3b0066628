/*
 * arc/seal.c - add our ARC set to a message (RFC 8617 5.1)
 *
 * The set is i = highest instance + 1 and cv = the chain's result. The
 * AMS is a relaxed/relaxed signature over the configured header fields
 * present in the message (every occurrence, bottom-up) and the body; the
 * AAR carries our own Authentication-Results payload; the AS signs the
 * AAR, AMS and AS of every set, ours last with b= empty - of ours only
 * when it says cv=fail (RFC 8617 5.1.2: a broken chain is not vouched
 * for).
 *
 * Fields are written in the layout of the ValiMail ARC test suite (tags
 * in alphabetical order, "; " between them, folds only between tags,
 * b= unbroken). With relaxed canonicalization a fold between tags hashes
 * as the space it replaces, but a break inside b= adds a space to the
 * AMS as the next ARC-Seal hashes it; the suite's seals were made over
 * unbroken b= values, so ours compare equal signature for signature. A
 * b= too long for one line (RSA keys over 4096 bits) is broken every 72
 * columns: still valid, only no longer the suite's layout.
 *
 * Default AMS header list: the fields a reader sees and DMARC judges
 * (from, to, cc, subject, date, reply-to), the threading and identity
 * fields (message-id, in-reply-to, references), the MIME fields that
 * change how the body reads, and dkim-signature, so the AMS binds the
 * signatures it vouched for. Never ARC-* (RFC 8617 4.1.2 forbids
 * ARC-Seal; the others belong to sets), Authentication-Results, Received
 * or Return-Path: they are added or rewritten downstream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "arc/arc_int.h"
#include "dkim/keys.h"

#define SEAL_LINE 76	/* fold before a tag that would pass this column */
#define SEAL_B_ONE 900	/* longest b= kept on one line (RFC 5322 2.1.1:
			 * lines end before 998 characters) */
#define SEAL_B_LINE 72	/* b= characters per line past that */

static const char *const seal_default_headers[] = {
	"from", "to", "cc", "subject", "date", "reply-to", "message-id",
	"in-reply-to", "references", "mime-version", "content-type",
	"content-transfer-encoding", "dkim-signature", NULL
};

/* ag_arc_default_sign_headers - see arc.h */
const char *const *
ag_arc_default_sign_headers(void)
{
	return seal_default_headers;
}

/* a field value under construction */
struct seal_buf {
	char *p;
	size_t len, cap, col;
	bool over;
};

static void
seal_put(struct seal_buf *b, const char *s, size_t n)
{
	if (b->over || b->len + n + 1 > b->cap) {
		b->over = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	b->col += n;
}

/* seal_tag - "name=value;" with a space or a fold before it */
static void
seal_tag(struct seal_buf *b, const char *name, const char *value, bool last)
{
	size_t n = strlen(name) + 1 + strlen(value) + (last ? 0 : 1);

	if (b->len > 0) {
		if (b->col + 1 + n > SEAL_LINE) {
			seal_put(b, "\n\t", 2);
			b->col = 1;
		} else {
			seal_put(b, " ", 1);
		}
	}
	seal_put(b, name, strlen(name));
	seal_put(b, "=", 1);
	seal_put(b, value, strlen(value));
	if (!last)
		seal_put(b, ";", 1);
}

/* seal_b - "b=<sig>;" on a line of its own, unbroken when it fits */
static void
seal_b(struct seal_buf *b, const char *sig)
{
	size_t n = strlen(sig), piece = n > SEAL_B_ONE ? SEAL_B_LINE : n;

	seal_put(b, "\n\tb=", 4);
	b->col = 3;
	while (n > 0) {
		size_t k = n < piece ? n : piece;

		seal_put(b, sig, k);
		sig += k;
		n -= k;
		if (n > 0) {
			seal_put(b, "\n\t", 2);
			b->col = 1;
		}
		piece = SEAL_B_LINE;
	}
	seal_put(b, ";", 1);
}

/* one tag of a seal field after a= and b= */
struct seal_tagval {
	const char *name, *value;
};

/* seal_fields - the whole value into b, from the start: a=, then b= with
 * sig ("" for the hashed form), then tags[0..n) in order */
static void
seal_fields(struct seal_buf *b, const char *alg, const char *sig,
	    const struct seal_tagval *tags, size_t n)
{
	b->len = b->col = 0;
	b->over = false;
	seal_tag(b, "a", alg, false);
	seal_b(b, sig);
	for (size_t k = 0; k < n; k++)
		seal_tag(b, tags[k].name, tags[k].value, k + 1 == n);
}

/* seal_name_ok - a header name the AMS may sign */
static bool
seal_name_ok(const char *n)
{
	return n[0] != '\0' && strncasecmp(n, "arc-", 4) != 0 &&
	       strcasecmp(n, "authentication-results") != 0 &&
	       strcasecmp(n, "received") != 0 &&
	       strcasecmp(n, "return-path") != 0 &&
	       strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789-_.") == strlen(n);
}

/* seal_h - the h= list: each configured name as often as it occurs */
static int
seal_h(const struct ag_arc *a, const struct ag_arc_seal_config *cfg,
       char *h, size_t cap, struct ag_err *err)
{
	const char *const *names = cfg->sign_headers != NULL ?
				   cfg->sign_headers : seal_default_headers;
	unsigned n = cfg->sign_headers != NULL ? cfg->n_sign_headers : ~0u;
	size_t len = 0;
	unsigned j, f;

	h[0] = '\0';
	for (j = 0; j < n && names[j] != NULL; j++) {
		if (j >= AG_ARC_SIGN_HDRS_MAX || !seal_name_ok(names[j]))
			return ag_err_set(err, AG_EINVAL,
					  "ARC: header %s may not be sealed",
					  names[j]);
		for (f = 0; f < a->nf; f++) {
			size_t k = strlen(names[j]), i;

			if (strcasecmp(a->f[f].name, names[j]) != 0)
				continue;
			if (len + k + 2 > cap)
				return ag_err_set(err, AG_ELIMIT,
						  "ARC: h= too long");
			if (len > 0)
				h[len++] = ':';
			for (i = 0; i < k; i++)
				h[len++] = (char)(names[j][i] | 0x20);
			h[len] = '\0';
		}
	}
	return AG_OK;
}

/* seal_check - the configuration and the state allow a seal */
static int
seal_check(const struct ag_arc *a, const struct ag_arc_seal_config *cfg,
	   const char *ar, struct ag_err *err)
{
	int id;

	if (a == NULL || cfg == NULL || ar == NULL || !a->want_seal ||
	    a->state != 2 || a->seal_body < 0 || a->rc != AG_OK)
		return ag_err_set(err, AG_EINVAL,
				  "ARC: seal needs a finished object made "
				  "with want_seal");
	if (cfg->key == NULL || cfg->domain == NULL || cfg->selector == NULL ||
	    cfg->authserv_id == NULL || !arc_domain_ok(cfg->domain) ||
	    !arc_domain_ok(cfg->selector) || cfg->authserv_id[0] == '\0' ||
	    strpbrk(cfg->authserv_id, " \t\r\n;()\"\\") != NULL ||
	    strlen(cfg->domain) >= AG_ARC_DOMAIN_MAX ||
	    strlen(cfg->selector) >= AG_ARC_SELECTOR_MAX ||
	    strpbrk(ar, "\r") != NULL)
		return ag_err_set(err, AG_EINVAL,
				  "ARC: bad seal domain, selector, "
				  "authserv-id or results text");
	id = EVP_PKEY_base_id(cfg->key);
	if (!(id == EVP_PKEY_ED25519 ||
	      (id == EVP_PKEY_RSA && EVP_PKEY_bits(cfg->key) >= 1024)))
		return ag_err_set(err, AG_EINVAL,
				  "ARC: sealing key is not RSA >= 1024 "
				  "bits or Ed25519");
	return AG_OK;
}

/* seal_refuse - RFC 8617 5.1.2 and 4.2.1: when no set may be added */
static bool
seal_refuse(const struct ag_arc *a, struct ag_arc_seal_out *out)
{
	const char *why = NULL;

	if (a->limit != NULL)
		why = a->limit;	/* fields were dropped: h= would miss them */
	else if (a->res.temp_error)
		why = "chain not checked: temporary key failure";
	else if (a->nsets > 0 && a->set[a->nsets - 1].as_f >= 0 &&
		 a->set[a->nsets - 1].as.buf != NULL &&
		 a->set[a->nsets - 1].cv == AG_ARC_CV_FAIL)
		why = "newest set says cv=fail";
	else if (a->nsets >= AG_ARC_MAX_SETS)
		why = "chain has 50 sets";
	else if (a->res.result == AG_ARC_FAIL && a->nsets == 0)
		why = "ARC fields without a usable instance";
	if (why == NULL)
		return false;
	snprintf(out->reason, sizeof(out->reason), "%s", why);
	return true;
}

/* seal_ams - the AMS of instance i into out->ams */
static int
seal_ams(struct ag_arc *a, const struct ag_arc_seal_config *cfg,
	 const char *alg, unsigned i, const char *ts,
	 struct ag_arc_seal_out *out, struct ag_err *err)
{
	char h[2048], bh[128], inst[8], sig[4 * ((ARC_SIG_MAX + 2) / 3) + 4];
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned dlen;
	const struct arc_body *body = &a->body[a->seal_body];
	struct seal_buf b = {out->ams, 0, sizeof(out->ams), 0, false};
	char *blank;
	int rc;

	rc = seal_h(a, cfg, h, sizeof(h), err);
	if (rc != AG_OK)
		return rc;
	if (!arc_b64(body->digest, body->dlen, bh, sizeof(bh)))
		return AG_EINTERNAL;
	snprintf(inst, sizeof(inst), "%u", i);
	const struct seal_tagval tags[] = {
		{ "bh", bh }, { "c", "relaxed/relaxed" }, { "d", cfg->domain },
		{ "h", h }, { "i", inst }, { "s", cfg->selector }, { "t", ts },
	};
	/* hashed with b= empty: the same layout with an empty b= */
	for (int pass = 0; pass < 2; pass++) {
		seal_fields(&b, alg, pass == 0 ? "" : sig, tags,
			    sizeof(tags) / sizeof(tags[0]));
		if (b.over)
			return ag_err_set(err, AG_ELIMIT, "ARC: AMS too long");
		if (pass == 1)
			break;
		blank = arc_b_empty(out->ams);
		if (blank == NULL)
			return AG_ENOMEM;
		rc = arc_hdr_hash(a, AG_CANON_RELAXED, h,
				  "ARC-Message-Signature", blank, digest,
				  &dlen);
		free(blank);
		if (rc == AG_OK)
			rc = arc_sig_make(cfg->key, digest, dlen, sig,
					  sizeof(sig));
		if (rc != AG_OK)
			return ag_err_set(err, rc, "ARC: AMS signing failed");
	}
	return AG_OK;
}

/* seal_as - the ARC-Seal of instance i into out->seal */
static int
seal_as(struct ag_arc *a, const struct ag_arc_seal_config *cfg,
	const char *alg, unsigned i, const char *cv, const char *ts,
	struct ag_arc_seal_out *out, struct ag_err *err)
{
	char inst[8], sig[4 * ((ARC_SIG_MAX + 2) / 3) + 4];
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned dlen;
	struct seal_buf b = {out->seal, 0, sizeof(out->seal), 0, false};
	int rc;

	snprintf(inst, sizeof(inst), "%u", i);
	const struct seal_tagval tags[] = {
		{ "cv", cv }, { "d", cfg->domain }, { "i", inst },
		{ "s", cfg->selector }, { "t", ts },
	};
	for (int pass = 0; pass < 2; pass++) {
		seal_fields(&b, alg, pass == 0 ? "" : sig, tags,
			    sizeof(tags) / sizeof(tags[0]));
		if (b.over)
			return ag_err_set(err, AG_ELIMIT, "ARC: seal too long");
		if (pass == 1)
			break;
		rc = arc_as_hash(a, strcmp(cv, "fail") == 0 ? i : 1, i,
				 out->aar, out->ams, out->seal, digest, &dlen);
		if (rc == AG_OK)
			rc = arc_sig_make(cfg->key, digest, dlen, sig,
					  sizeof(sig));
		if (rc != AG_OK)
			return ag_err_set(err, rc, "ARC: seal signing failed");
	}
	return AG_OK;
}

/* ag_arc_seal - see arc.h */
int
ag_arc_seal(struct ag_arc *a, const struct ag_arc_seal_config *cfg,
	    const char *ar_results, time_t t, struct ag_arc_seal_out *out,
	    struct ag_err *err)
{
	const char *alg, *cv;
	char ts[24];
	unsigned i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = seal_check(a, cfg, ar_results, err);
	if (rc != AG_OK || seal_refuse(a, out))
		return rc;
	i = a->nsets + 1;
	alg = EVP_PKEY_base_id(cfg->key) == EVP_PKEY_ED25519 ?
	      "ed25519-sha256" : "rsa-sha256";
	cv = a->res.result == AG_ARC_PASS ? "pass" :
	     a->res.result == AG_ARC_FAIL ? "fail" : "none";
	snprintf(ts, sizeof(ts), "%lld", (long long)t);
	while (*ar_results == ' ' || *ar_results == '\t')
		ar_results++;
	if ((size_t)snprintf(out->aar, sizeof(out->aar), "i=%u; %s; %s", i,
			     cfg->authserv_id, ar_results[0] != '\0' ?
			     ar_results : "none") >= sizeof(out->aar))
		return ag_err_set(err, AG_ELIMIT, "ARC: results too long");
	rc = seal_ams(a, cfg, alg, i, ts, out, err);
	if (rc == AG_OK)
		rc = seal_as(a, cfg, alg, i, cv, ts, out, err);
	if (rc != AG_OK) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	out->sealed = true;
	out->instance = i;
	snprintf(out->reason, sizeof(out->reason), "sealed i=%u cv=%s", i, cv);
	return AG_OK;
}

/* ag_arc_key_load - see arc.h; through dkim/keys.h's single-domain form,
 * so the file is read and judged exactly as a DKIM signing key */
int
ag_arc_key_load(EVP_PKEY **key_r, const char *path, bool require_safe,
		struct ag_err *err)
{
	struct ag_dkim_keys_config kc = {
		.domain = "arc.invalid", .selector = "arc", .keyfile = path,
		.require_safe_keys = require_safe,
	};
	struct ag_dkim_keys *keys = NULL;
	const struct ag_dkim_key *k;
	BIO *bio = NULL;
	int rc;

	*key_r = NULL;
	rc = ag_dkim_keys_load(&keys, &kc, err);
	if (rc != AG_OK)
		return rc;
	if (ag_dkim_keys_match(keys, "x@arc.invalid", &k, 1) != 1) {
		rc = ag_err_set(err, AG_EINTERNAL, "ARC: key %s not loaded",
				path);
		goto out;
	}
	bio = BIO_new_mem_buf(k->pem, (int)k->pem_len);
	if (bio != NULL)
		*key_r = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (*key_r == NULL)
		rc = ag_err_set(err, AG_EINVAL, "ARC: key %s does not load",
				path);
out:
	BIO_free(bio);
	ag_dkim_keys_free(&keys);
	return rc;
}
