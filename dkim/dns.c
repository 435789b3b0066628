/*
 * dkim/dns.c - libopendkim's DNS hooks on util/dns
 *
 * libopendkim asks for a key with query_start(), then waitreply(), then
 * always cancel() (dkim-keys.c, dkim_get_key_dns()), and parses a DNS
 * reply in wire format itself. We ask util/dns synchronously in start()
 * and write into libopendkim's buffer the reply its parser expects:
 *   - OK:       NOERROR, the question, TXT answers (their data split into
 *               character-strings of at most 255 bytes: util/dns hands us
 *               the strings concatenated, and libopendkim concatenates
 *               them again, RFC 6376 3.6.2.2);
 *   - NXDOMAIN: RCODE 3, no answer -> DKIM_SIGERROR_NOKEY (permerror);
 *   - NODATA:   NOERROR, no answer -> DKIM_SIGERROR_NOKEY (permerror);
 *   - SERVFAIL, ERROR: waitreply() says DKIM_DNS_ERROR, TIMEOUT says
 *               DKIM_DNS_EXPIRED -> DKIM_SIGERROR_KEYFAIL (temperror).
 *               libopendkim reads no RCODE but NXDOMAIN, so a SERVFAIL
 *               written as a reply would become "no key" (permerror).
 *   - a name util/dns refuses (label over 63 octets, ...) cannot exist:
 *               NXDOMAIN, with the root as the question.
 *   - key records (<selector>._domainkey.<domain>) whose p= is a bare
 *               PKCS#1 RSAPublicKey get p= as a SubjectPublicKeyInfo,
 *               which libopendkim can decode (dkim/keyrecord.h).
 * Bounds: libopendkim copies at most 1024 bytes of the first TXT record
 * into its key buffer (BUFRSZ in dkim.c, truncating silently) and treats
 * two records as an error (DKIM_SIGERROR_MULTIREPLY), so we write at most
 * DNS_MAX_TXT records of at most DNS_MAX_TXT_DATA bytes each: what
 * libopendkim decides is unchanged, and the reply always fits its 8 KB
 * buffer, whatever size the published record has.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opendkim/dkim.h>

#include "dkim/dkim_int.h"
#include "dkim/keyrecord.h"
#include "util/dns.h"

#define DNS_HDR_LEN 12
#define DNS_MAX_TXT 2		/* two make libopendkim say "multiple" */
#define DNS_MAX_TXT_DATA 2048	/* > the 1024 bytes libopendkim reads */
#define DNS_MAX_NAME 255	/* wire form of a name, RFC 1035 3.1 */
#define DNS_RCODE_NXDOMAIN 3
#define DNS_CLASS_IN 1

/* one answered query: what waitreply() reports */
struct dkim_dns_query {
	int status;		/* DKIM_DNS_SUCCESS, _ERROR or _EXPIRED */
	size_t len;		/* reply bytes written into the buffer */
};

/* wire - a bounded writer over libopendkim's reply buffer */
struct wire {
	unsigned char *buf;
	size_t size;
	size_t len;
	bool overflow;
};

/* wire_put - append n bytes */
static void
wire_put(struct wire *w, const void *data, size_t n)
{
	if (w->overflow || n > w->size - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, data, n);
	w->len += n;
}

/* wire_u16 - append a 16-bit value in network order */
static void
wire_u16(struct wire *w, unsigned v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	wire_put(w, b, 2);
}

/* dns_name_wire - name in wire form into out (size DNS_MAX_NAME); 0 on
 * success, -1 when it is not a valid name (then out holds the root) */
static int
dns_name_wire(const char *name, unsigned char *out, size_t *len_r)
{
	size_t n = strlen(name), o = 0, start = 0;

	if (n > 0 && name[n - 1] == '.')
		n--;
	for (size_t i = 0; i <= n && n > 0; i++) {
		if (i < n && name[i] != '.')
			continue;
		size_t lab = i - start;
		if (lab == 0 || lab > 63 || o + 1 + lab + 1 > DNS_MAX_NAME)
			goto bad;
		out[o++] = (unsigned char)lab;
		memcpy(out + o, name + start, lab);
		o += lab;
		start = i + 1;
	}
	out[o++] = 0;
	*len_r = o;
	return 0;
bad:
	out[0] = 0;
	*len_r = 1;
	return -1;
}

/* dns_key_query - name is a DKIM key record's (RFC 6376 3.6.2.1: a
 * "_domainkey" label); only those have their p= rewritten */
static bool
dns_key_query(const char *name)
{
	static const char lab[] = "._domainkey.";
	size_t n = strlen(name), l = sizeof(lab) - 1;

	for (size_t i = 0; i + l <= n; i++)
		if (strncasecmp(name + i, lab, l) == 0)
			return true;
	return false;
}

/* dns_txt_rr - one TXT record: data cut into character-strings; a key
 * record (key true) with a PKCS#1 p= is written rewritten */
static void
dns_txt_rr(struct wire *w, const struct ag_dns_rr *rr, bool key)
{
	unsigned char fixed[AG_DKIM_KEYREC_OUT_MAX];
	const unsigned char *data = rr->data;
	size_t len = rr->len, flen = 0, nstr;
	unsigned char ttl[4] = { (unsigned char)(rr->ttl >> 24),
				 (unsigned char)(rr->ttl >> 16),
				 (unsigned char)(rr->ttl >> 8),
				 (unsigned char)rr->ttl };

	/* anything but 1 (left alone, too long, OpenSSL failed): the
	 * record as published, and libopendkim judges it */
	if (key && ag_dkim_keyrecord_fix(rr->data, rr->len, fixed,
					 sizeof(fixed), &flen) == 1) {
		data = fixed;
		len = flen;
	}
	if (len > DNS_MAX_TXT_DATA)
		len = DNS_MAX_TXT_DATA;
	nstr = len == 0 ? 1 : (len + 254) / 255;

	wire_u16(w, 0xc00c);	/* the question's name */
	wire_u16(w, AG_DNS_TXT);
	wire_u16(w, DNS_CLASS_IN);
	wire_put(w, ttl, sizeof(ttl));
	wire_u16(w, (unsigned)(len + nstr));
	for (size_t off = 0, i = 0; i < nstr; i++) {
		size_t part = len - off > 255 ? 255 : len - off;
		unsigned char plen = (unsigned char)part;

		wire_put(w, &plen, 1);
		wire_put(w, data + off, part);
		off += part;
	}
}

/* dns_reply - write the reply for name/type with answer ans (NULL: the
 * name is invalid, NXDOMAIN) */
static void
dns_reply(struct wire *w, const char *name, int type,
	  const struct ag_dns_answer *ans)
{
	unsigned char qname[DNS_MAX_NAME];
	size_t qlen = 0;
	unsigned rcode = 0, an = 0;
	bool key = dns_key_query(name);

	if (dns_name_wire(name, qname, &qlen) != 0 || ans == NULL ||
	    ans->status == AG_DNS_NXDOMAIN)
		rcode = DNS_RCODE_NXDOMAIN;
	else if (ans->status == AG_DNS_OK)
		for (unsigned i = 0; i < ans->count && an < DNS_MAX_TXT; i++)
			if (ans->rr[i].type == AG_DNS_TXT)
				an++;
	wire_u16(w, 0);			/* id */
	wire_u16(w, 0x8180 | rcode);	/* QR, RD, RA */
	wire_u16(w, 1);
	wire_u16(w, an);
	wire_u16(w, 0);
	wire_u16(w, 0);
	wire_put(w, qname, qlen);
	wire_u16(w, (unsigned)type);
	wire_u16(w, DNS_CLASS_IN);
	for (unsigned i = 0, n = 0; ans != NULL && i < ans->count && n < an;
	     i++) {
		if (ans->rr[i].type != AG_DNS_TXT)
			continue;
		dns_txt_rr(w, &ans->rr[i], key);
		n++;
	}
}

/* dkim_dns_start - ask util/dns now; the reply is ready for waitreply() */
static int
dkim_dns_start(void *srv, int type, unsigned char *query, unsigned char *buf,
	       size_t buflen, void **qh)
{
	struct ag_dns_answer *ans = NULL;
	struct dkim_dns_query *q = NULL;
	struct wire w = { buf, buflen, 0, false };
	int rc = -1, st;

	if (srv == NULL || query == NULL || buf == NULL || qh == NULL ||
	    type != AG_DNS_TXT)
		goto out;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		goto out;
	st = ag_dns_query(srv, (const char *)query, AG_DNS_TXT, &ans);
	if (st == AG_EINVAL) {
		dns_reply(&w, (const char *)query, type, NULL);
		q->status = DKIM_DNS_SUCCESS;
	} else if (st != AG_OK) {
		goto out;	/* out of memory: libopendkim's KEYFAIL */
	} else if (ans->status == AG_DNS_TIMEOUT) {
		q->status = DKIM_DNS_EXPIRED;
	} else if (ans->status == AG_DNS_SERVFAIL ||
		   ans->status == AG_DNS_ERROR) {
		q->status = DKIM_DNS_ERROR;
	} else {
		dns_reply(&w, (const char *)query, type, ans);
		q->status = DKIM_DNS_SUCCESS;
	}
	if (w.overflow)
		goto out;
	q->len = w.len;
	*qh = q;
	q = NULL;
	rc = 0;
out:
	ag_dns_answer_free(&ans);
	free(q);
	return rc;
}

/* dkim_dns_waitreply - the outcome start() stored */
static int
dkim_dns_waitreply(void *srv, void *qh, struct timeval *timeout,
		   size_t *bytes, int *error, int *dnssec)
{
	const struct dkim_dns_query *q = qh;

	(void)srv;
	(void)timeout;
	if (q == NULL)
		return DKIM_DNS_INVALID;
	if (bytes != NULL)
		*bytes = q->len;
	if (error != NULL)
		*error = 0;
	if (dnssec != NULL)
		*dnssec = DKIM_DNSSEC_UNKNOWN;
	return q->status;
}

/* dkim_dns_cancel - libopendkim is done with the query: free it */
static int
dkim_dns_cancel(void *srv, void *qh)
{
	(void)srv;
	free(qh);
	return DKIM_DNS_SUCCESS;
}

/* ag_dkim_dns_install - route lib's key lookups to dns. The resolver
 * hooks of libopendkim (init/close/nslist/config/trustanchor) would
 * treat dns as a libresolv handle, so they are cleared. */
void
ag_dkim_dns_install(DKIM_LIB *lib, struct ag_dns *dns)
{
	dkim_dns_set_init(lib, NULL);
	dkim_dns_set_close(lib, NULL);
	dkim_dns_set_nslist(lib, NULL);
	dkim_dns_set_config(lib, NULL);
	dkim_dns_set_trustanchor(lib, NULL);
	(void)dkim_dns_set_query_service(lib, dns);
	dkim_dns_set_query_start(lib, dkim_dns_start);
	dkim_dns_set_query_waitreply(lib, dkim_dns_waitreply);
	dkim_dns_set_query_cancel(lib, dkim_dns_cancel);
}
