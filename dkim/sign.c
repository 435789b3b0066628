/*
 * dkim/sign.c - sign one message with one or more keys, our own signer
 *
 * Why our own signer and not libopendkim (which still verifies): speed.
 * Per message and key, libopendkim re-parsed the PEM key (dkim/keycache.c
 * had to interpose PEM_read_bio_PrivateKey() to avoid that), copied and
 * hashed every header and body byte once per key, and rebuilt its header
 * list per handle. Here the body is canonicalized and hashed once for
 * all keys (dkim/canon.c), the signed fields once, and each key only
 * hashes its own signature field and signs with the EVP_PKEY parsed at
 * load (dkim/sigfield.c). Measured A/B on the bench's 4 KB message at
 * concurrency 16 (2 shared cores): the milter's CPU time per signed
 * message fell from about 1120 to 1000 us with one RSA-2048 key and from
 * 1450 to 1300 us with RSA-2048 + Ed25519, i.e. to the cost of the path
 * without a key plus the RSA operation itself (tests/bench).
 *
 * The header list. Of the fields present, those whose names are in the
 * signed or the oversigned list go into h=, in message order; then every
 * oversigned name once more. An oversigned name that is present is thus
 * listed one time more than it occurs, and an absent one once: either
 * way no such field can be added after signing without breaking the
 * signature (RFC 6376 5.4.2, 8.15). Fields are hashed in h= order, each
 * name taking the last instance not yet used (5.4.2, what a verifier
 * does), so repeated fields verify whatever their order.
 */
#include "dkim/sign.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dkim/canon.h"
#include "dkim/dkim_int.h"
#include "dkim/sign_int.h"

#define SIGN_FIELDS_MAX 1000	   /* signed fields kept per message */
#define SIGN_HDR_MAX (1024 * 1024) /* bytes of those fields */
#define SIGN_HBUF_START 4096

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


/* one kept field: offsets of its name and value in hbuf */
struct sign_field {
	uint32_t name, value;
	bool used; /* hashed already (finish) */
};

struct ag_dkim_signer {
	const struct ag_dkim_key *key[AG_DKIM_MAX_SIGNERS];
	unsigned n;
	enum ag_canon hc, bc;
	const struct ag_dkim_signlists *lists; /* the library's, or own */
	struct ag_dkim_signlists *own;	       /* lists of another cfg */
	time_t fixed_time; /* the library's; 0: the clock */
	struct ag_canon_body *body;
	struct sign_field *field;
	unsigned nfield;
	char *hbuf;
	size_t hlen, hcap;
	bool eoh;
	int rc; /* first failure; sticky */
};

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

/* sign_name_check - AG_OK when name may be signed: a field name we can
 * list in h= (letters, digits, '-', '_') that is not added or changed
 * after signing */
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
 * *len_r counts the bytes of the joined list */
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
	if (*len_r > AG_DKIM_SIGN_LIST_MAX)
		return ag_err_set(err, AG_EINVAL,
				  "the signed header names "
				  "are too long together (%d bytes)",
				  AG_DKIM_SIGN_LIST_MAX);
	list[(*n)++] = name;
	list[*n] = NULL;
	return AG_OK;
}

/* sign_build - the union of both lists and the oversigned list alone;
 * both NULL-terminated, pointing into cfg */
static int
sign_build(const struct ag_dkim_sign_config *cfg, const char **all,
	   const char **over, struct ag_err *err)
{
	const char *const *h, *const *o;
	unsigned nh, no, n = 0, m = 0;
	size_t len = 0, olen = 0;
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

/* sign_prepare - cfg's lists checked, copied into a new *l_r */
static int
sign_prepare(const struct ag_dkim_sign_config *cfg,
	     struct ag_dkim_signlists **l_r, struct ag_err *err)
{
	const char *all[2 * AG_DKIM_MAX_HDRS + 1];
	const char *over[2 * AG_DKIM_MAX_HDRS + 1];
	struct ag_dkim_signlists *l = NULL;
	size_t o = 0;
	unsigned i, m = 0;
	int rc;

	if ((rc = sign_build(cfg, all, over, err)) != AG_OK)
		goto out;
	if (all[0] == NULL) {
		rc = ag_err_set(err, AG_EINVAL, "no header names to sign");
		goto out;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		rc = ag_err_set(err, AG_ENOMEM, "out of memory");
		goto out;
	}
	l->cfg_sign = cfg->sign_headers;
	l->cfg_nsign = cfg->n_sign_headers;
	l->cfg_over = cfg->oversign_headers;
	l->cfg_nover = cfg->n_oversign_headers;
	for (i = 0; all[i] != NULL; i++) {
		size_t n = strlen(all[i]) + 1; /* fits: sign_add_name() */
		memcpy(l->names + o, all[i], n);
		l->all[i] = l->names + o;
		o += n;
		for (unsigned j = 0; over[j] != NULL; j++)
			if (strcasecmp(over[j], all[i]) == 0)
				l->over[m++] = l->all[i];
	}
	l->all[i] = NULL;
	l->over[m] = NULL;
	*l_r = l;
	l = NULL;
out:
	ag_dkim_signlists_free(&l);
	return rc;
}

/* ag_dkim_signlists_free - see sign_int.h */
void
ag_dkim_signlists_free(struct ag_dkim_signlists **l)
{
	if (l == NULL || *l == NULL)
		return;
	free(*l);
	*l = NULL;
}

/* ag_dkim_sign_configure_lib - check and prepare the lists once, kept by
 * lib for every message signed with this configuration */
int
ag_dkim_sign_configure_lib(struct ag_dkim_lib *lib,
			   const struct ag_dkim_sign_config *cfg,
			   struct ag_err *err)
{
	struct ag_dkim_signlists *l = NULL;
	int rc;

	if ((rc = sign_prepare(cfg, &l, err)) == AG_OK)
		ag_dkim_lib_set_signlists(lib, l);
	return rc;
}

/* sign_same_cfg - l was prepared from these very lists */
static bool
sign_same_cfg(const struct ag_dkim_signlists *l,
	      const struct ag_dkim_sign_config *cfg)
{
	return l->cfg_sign == cfg->sign_headers &&
	       l->cfg_nsign == cfg->n_sign_headers &&
	       l->cfg_over == cfg->oversign_headers &&
	       l->cfg_nover == cfg->n_oversign_headers;
}

/* ag_dkim_sign_new - the lists, one body canonicalizer for every key */
int
ag_dkim_sign_new(struct ag_dkim_signer **s_r, const struct ag_dkim_lib *lib,
		 const struct ag_dkim_sign_config *cfg,
		 const struct ag_dkim_key *const *keys, unsigned nkeys,
		 const char *jobid, struct ag_err *err)
{
	const struct ag_dkim_signlists *lists = ag_dkim_lib_signlists(lib);
	struct ag_dkim_signer *s = NULL;
	int rc;

	(void)jobid; /* libopendkim's job id; nothing to log here */
	if (nkeys == 0 || nkeys > AG_DKIM_MAX_SIGNERS) {
		rc = ag_err_set(err, AG_EINVAL, "%u keys: sign with 1 to %d",
				nkeys, AG_DKIM_MAX_SIGNERS);
		goto out;
	}
	if (lists == NULL) {
		rc = ag_err_set(err, AG_EINTERNAL, "DKIM library handle not "
				"set up for signing: call "
				"ag_dkim_sign_configure_lib()");
		goto out;
	}
	for (unsigned i = 0; i < nkeys; i++)
		if (keys[i] == NULL || keys[i]->pkey == NULL) {
			rc = ag_err_set(err, AG_EINVAL, "key %u: not loaded",
					i);
			goto out;
		}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		rc = ag_err_set(err, AG_ENOMEM, "out of memory");
		goto out;
	}
	/* the configured lists (checked once), else this cfg's own */
	if (sign_same_cfg(lists, cfg))
		s->lists = lists;
	else if ((rc = sign_prepare(cfg, &s->own, err)) != AG_OK)
		goto out;
	else
		s->lists = s->own;
	for (unsigned i = 0; i < nkeys; i++)
		s->key[i] = keys[i];
	s->n = nkeys;
	s->hc = cfg->header_simple ? AG_CANON_SIMPLE : AG_CANON_RELAXED;
	s->bc = cfg->body_simple ? AG_CANON_SIMPLE : AG_CANON_RELAXED;
	s->fixed_time = ag_dkim_lib_cfg(lib)->fixed_time;
	/* never l=: the whole body (RFC 6376 8.2) */
	if ((rc = ag_canon_body_new(&s->body, s->bc, EVP_sha256(), -1)) !=
	    AG_OK) {
		rc = ag_err_set(err, rc, "cannot start the body hash");
		goto out;
	}
	*s_r = s;
	s = NULL;
out:
	ag_dkim_sign_free(&s);
	return rc;
}

/* sign_listed - name is in the signed or oversigned list */
static bool
sign_listed(const struct ag_dkim_signer *s, const char *name)
{
	for (unsigned i = 0; s->lists->all[i] != NULL; i++)
		if (strcasecmp(s->lists->all[i], name) == 0)
			return true;
	return false;
}

/* sign_keep - append "name\0value\0" to hbuf, growing it by doubling */
static int
sign_keep(struct ag_dkim_signer *s, const char *name, const char *value)
{
	size_t nl = strlen(name) + 1, vl = strlen(value) + 1;
	size_t need = s->hlen + nl + vl;

	if (s->nfield >= SIGN_FIELDS_MAX || need > SIGN_HDR_MAX)
		return AG_ELIMIT;
	if (s->field == NULL &&
	    (s->field = malloc(SIGN_FIELDS_MAX * sizeof(*s->field))) == NULL)
		return AG_ENOMEM;
	if (need > s->hcap) {
		size_t cap = s->hcap ? s->hcap : SIGN_HBUF_START;
		char *p;
		while (cap < need)
			cap *= 2;
		if ((p = realloc(s->hbuf, cap)) == NULL)
			return AG_ENOMEM;
		s->hbuf = p;
		s->hcap = cap;
	}
	memcpy(s->hbuf + s->hlen, name, nl);
	memcpy(s->hbuf + s->hlen + nl, value, vl);
	s->field[s->nfield].name = (uint32_t)s->hlen;
	s->field[s->nfield].value = (uint32_t)(s->hlen + nl);
	s->field[s->nfield].used = false;
	s->nfield++;
	s->hlen = need;
	return AG_OK;
}

/* ag_dkim_sign_header - keep the field when its name is listed */
int
ag_dkim_sign_header(struct ag_dkim_signer *s, const char *name,
		    const char *value)
{
	if (s->rc != AG_OK)
		return s->rc;
	if (name == NULL || value == NULL || s->eoh)
		s->rc = AG_EINVAL;
	else if (sign_listed(s, name))
		s->rc = sign_keep(s, name, value);
	return s->rc;
}

/* ag_dkim_sign_eoh - end of the header block */
int
ag_dkim_sign_eoh(struct ag_dkim_signer *s)
{
	if (s->rc == AG_OK)
		s->eoh = true;
	return s->rc;
}

/* ag_dkim_sign_body - one chunk into the one body hash */
int
ag_dkim_sign_body(struct ag_dkim_signer *s, const unsigned char *buf,
		  size_t len)
{
	if (s->rc == AG_OK)
		s->rc = ag_canon_body_update(s->body, buf, len);
	return s->rc;
}

/* sign_names - h=: the kept fields' names in message order, then each
 * oversigned name once more; NULL-terminated into h (room for
 * SIGN_FIELDS_MAX + 2 * AG_DKIM_MAX_HDRS + 1) */
static void
sign_names(const struct ag_dkim_signer *s, const char **h)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->nfield; i++)
		h[n++] = s->hbuf + s->field[i].name;
	for (unsigned i = 0; s->lists->over[i] != NULL; i++)
		h[n++] = s->lists->over[i];
	h[n] = NULL;
}

/* sign_hash_fields - the fields named in h into md, each name taking its
 * last instance not yet used (RFC 6376 5.4.2); a name with none left
 * (an oversigned one) adds nothing */
static int
sign_hash_fields(struct ag_dkim_signer *s, const char *const *h,
		 EVP_MD_CTX *md)
{
	int rc = AG_OK;

	for (unsigned i = 0; i < s->nfield; i++)
		s->field[i].used = false;
	for (unsigned k = 0; h[k] != NULL && rc == AG_OK; k++) {
		for (unsigned i = s->nfield; i-- > 0;) {
			struct sign_field *f = &s->field[i];
			if (f->used ||
			    strcasecmp(s->hbuf + f->name, h[k]) != 0)
				continue;
			f->used = true;
			rc = ag_canon_header_hash(s->hc, s->hbuf + f->name,
						  s->hbuf + f->value, true,
						  md);
			break;
		}
	}
	return rc;
}

/* sign_all - the common parts, then one signature per key */
static int
sign_all(struct ag_dkim_signer *s, struct ag_dkim_signature *sigs,
	 struct ag_err *err)
{
	const char *h[SIGN_FIELDS_MAX + 2 * AG_DKIM_MAX_HDRS + 1];
	unsigned char bh[EVP_MAX_MD_SIZE];
	struct ag_dkim_sigparts p = {.hc = s->hc, .bc = s->bc, .h = h};
	EVP_MD_CTX *md = NULL;
	int rc;

	p.t = s->fixed_time != 0 ? (uint64_t)s->fixed_time
				 : (uint64_t)time(NULL);
	p.bh = bh;
	if ((rc = ag_canon_body_final(s->body, bh, &p.bhlen, NULL)) != AG_OK) {
		rc = ag_err_set(err, rc, "the body hash failed");
		goto out;
	}
	sign_names(s, h);
	if (h[0] == NULL) {
		/* nothing listed, not even From as oversigned: a header
		 * list without From is refused by RFC 6376 5.4 */
		rc = ag_err_set(err, AG_EINVAL, "no header field to sign");
		goto out;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		rc = ag_err_set(err, AG_EINTERNAL, "cannot start the header "
				"hash");
		goto out;
	}
	if ((rc = sign_hash_fields(s, h, md)) != AG_OK) {
		rc = ag_err_set(err, rc, "the header hash failed");
		goto out;
	}
	p.hdr_md = md;
	for (unsigned i = 0; i < s->n && rc == AG_OK; i++) {
		rc = ag_dkim_sigfield(s->key[i], &p, sigs[i].value,
				      sizeof(sigs[i].value), err);
		snprintf(sigs[i].domain, sizeof(sigs[i].domain), "%s",
			 s->key[i]->domain);
		snprintf(sigs[i].selector, sizeof(sigs[i].selector), "%s",
			 s->key[i]->selector);
	}
out:
	EVP_MD_CTX_free(md);
	return rc;
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
	if (!s->eoh)
		return ag_err_set(err, AG_EINVAL, "finish before the end of "
				  "the header");
	/* the body hash is final now: a second call cannot sign again */
	if ((rc = sign_all(s, sigs, err)) != AG_OK)
		s->rc = rc;
	else
		s->rc = AG_EINVAL;
	if (rc == AG_OK)
		*n_r = s->n;
	return rc;
}

/* ag_dkim_sign_free - free, clear the pointer; NULL is fine */
void
ag_dkim_sign_free(struct ag_dkim_signer **s)
{
	if (s == NULL || *s == NULL)
		return;
	ag_canon_body_free(&(*s)->body);
	ag_dkim_signlists_free(&(*s)->own);
	free((*s)->field);
	free((*s)->hbuf);
	free(*s);
	*s = NULL;
}
