/*
 * util/dns_zone.c - an in-memory DNS zone for tests and conformance runners
 *
 * Records are kept as ready-made ldns_rr in a flat array: the zone holds
 * test data (tens to hundreds of records), so a linear scan per query is
 * simpler than an index and fast enough. Names are keyed in lower case
 * without the trailing dot; the records keep the owner as added.
 * ag_dns_zone_answer() (declared in util/dns_int.h) builds the wire-level
 * answer util/dns.c turns into a struct ag_dns_answer.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "util/dns_zone.h"
#include "util/dns_int.h"

#define ZONE_MAX_CNAME 8	/* CNAME steps followed per query */
#define ZONE_TXT_CHUNK 255	/* bytes per character-string */

struct zone_rec {
	char *key;		/* owner, lower case, no trailing dot */
	uint16_t type;
	ldns_rr *rr;
};

struct zone_mark {
	char *key;
	int timeout;		/* 1 timeout, 0 servfail */
};

struct ag_dns_zone {
	struct zone_rec *rec;
	size_t nrec, caprec;
	struct zone_mark *mark;
	size_t nmark, capmark;
};

/* zone_key_raw - lower-cased copy of name without its trailing dot */
static char *
zone_key_raw(const char *name)
{
	size_t len = strlen(name);
	char *key;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if ((key = malloc(len + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++)
		key[i] = (char)tolower((unsigned char)name[i]);
	key[len] = '\0';
	return key;
}

/* zone_key - the canonical presentation form of name (ldns escapes, lower
 * case, no trailing dot), so "a b.example" and "a\\032b.example" meet;
 * names ldns cannot parse are keyed as written */
static char *
zone_key(const char *name)
{
	ldns_rdf *rdf = NULL;
	char *text, *key;

	if (ldns_str2rdf_dname(&rdf, name[0] ? name : ".") != LDNS_STATUS_OK)
		return zone_key_raw(name);
	ldns_dname2canonical(rdf);
	text = ldns_rdf2str(rdf);
	ldns_rdf_deep_free(rdf);
	if (text == NULL)
		return NULL;
	key = zone_key_raw(text);
	free(text);
	return key;
}

int
ag_dns_zone_new(struct ag_dns_zone **zone_r)
{
	struct ag_dns_zone *zone;

	if ((zone = calloc(1, sizeof(*zone))) == NULL)
		return AG_ENOMEM;
	*zone_r = zone;
	return AG_OK;
}

void
ag_dns_zone_free(struct ag_dns_zone **zone)
{
	struct ag_dns_zone *z;

	if (zone == NULL || (z = *zone) == NULL)
		return;
	for (size_t i = 0; i < z->nrec; i++) {
		free(z->rec[i].key);
		ldns_rr_free(z->rec[i].rr);
	}
	for (size_t i = 0; i < z->nmark; i++)
		free(z->mark[i].key);
	free(z->rec);
	free(z->mark);
	free(z);
	*zone = NULL;
}

/* zone_push - append rr (taken over) under name */
static int
zone_push(struct ag_dns_zone *zone, const char *name, uint16_t type,
	  ldns_rr *rr)
{
	struct zone_rec *grown;
	char *key = NULL;
	int rc = AG_ENOMEM;

	if ((key = zone_key(name)) == NULL)
		goto out;
	if (zone->nrec == zone->caprec) {
		size_t cap = zone->caprec ? zone->caprec * 2 : 16;

		if ((grown = realloc(zone->rec, cap * sizeof(*grown))) == NULL)
			goto out;
		zone->rec = grown;
		zone->caprec = cap;
	}
	zone->rec[zone->nrec].key = key;
	zone->rec[zone->nrec].type = type;
	zone->rec[zone->nrec].rr = rr;
	zone->nrec++;
	key = NULL;
	rr = NULL;
	rc = AG_OK;
out:
	free(key);
	ldns_rr_free(rr);
	return rc;
}

/* zone_rr_new - an empty IN record of type owned by name */
static ldns_rr *
zone_rr_new(const char *name, uint16_t type, uint32_t ttl)
{
	ldns_rdf *owner = NULL;
	ldns_rr *rr;

	if (ldns_str2rdf_dname(&owner, name) != LDNS_STATUS_OK)
		return NULL;
	if ((rr = ldns_rr_new()) == NULL) {
		ldns_rdf_deep_free(owner);
		return NULL;
	}
	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_type(rr, (ldns_rr_type)type);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, ttl);
	return rr;
}

/* zone_push_rdf - append rdf to rr; frees rdf on failure */
static bool
zone_push_rdf(ldns_rr *rr, ldns_rdf *rdf)
{
	if (rdf == NULL)
		return false;
	if (!ldns_rr_push_rdf(rr, rdf)) {
		ldns_rdf_deep_free(rdf);
		return false;
	}
	return true;
}

/* zone_push_txt - append one string as 255-byte character-strings */
static bool
zone_push_txt(ldns_rr *rr, const unsigned char *s, size_t len)
{
	unsigned char buf[ZONE_TXT_CHUNK + 1];
	size_t off = 0;

	/* bounded: one pass per 255-byte chunk; an empty string is one
	 * zero-length character-string */
	do {
		size_t n = len - off > ZONE_TXT_CHUNK ? ZONE_TXT_CHUNK
						      : len - off;

		buf[0] = (unsigned char)n;
		memcpy(buf + 1, s + off, n);
		if (!zone_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR,
							     n + 1, buf)))
			return false;
		off += n;
	} while (off < len);
	return true;
}

/* zone_dname - a name rdf; the empty name is the root */
static ldns_rdf *
zone_dname(const char *text)
{
	ldns_rdf *rdf = NULL;

	if (ldns_str2rdf_dname(&rdf, text[0] ? text : ".") != LDNS_STATUS_OK)
		return NULL;
	return rdf;
}

/* zone_fill - parse text for type into rr's rdata */
static int
zone_fill(ldns_rr *rr, uint16_t type, const char *text)
{
	ldns_rdf *rdf = NULL;
	const char *sp;
	char *end;
	unsigned long pref;

	switch (type) {
	case AG_DNS_A:
		rdf = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, text);
		break;
	case AG_DNS_AAAA:
		rdf = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_AAAA, text);
		break;
	case AG_DNS_PTR:
	case AG_DNS_CNAME:
	case AG_DNS_NS:
		rdf = zone_dname(text);
		break;
	case AG_DNS_MX:
		pref = strtoul(text, &end, 10);
		if (end == text || (*end != ' ' && *end != '\0') ||
		    pref > 65535)
			return AG_EINVAL;
		for (sp = end; *sp == ' '; sp++)
			;
		if (!zone_push_rdf(rr, ldns_native2rdf_int16(
					       LDNS_RDF_TYPE_INT16,
					       (uint16_t)pref)))
			return AG_ENOMEM;
		rdf = zone_dname(sp);
		break;
	case AG_DNS_TXT:
		return zone_push_txt(rr, (const unsigned char *)text,
				     strlen(text)) ? AG_OK : AG_ENOMEM;
	default:
		return AG_EINVAL;
	}
	if (rdf == NULL)
		return AG_EINVAL;
	return zone_push_rdf(rr, rdf) ? AG_OK : AG_ENOMEM;
}

int
ag_dns_zone_add(struct ag_dns_zone *zone, const char *name, uint16_t type,
		const char *text, uint32_t ttl)
{
	ldns_rr *rr = NULL;
	int rc = AG_EINVAL;

	if (zone == NULL || name == NULL || text == NULL)
		goto out;
	if ((rr = zone_rr_new(name, type, ttl)) == NULL)
		goto out;
	if ((rc = zone_fill(rr, type, text)) != AG_OK)
		goto out;
	rc = zone_push(zone, name, type, rr);
	rr = NULL;
out:
	ldns_rr_free(rr);
	return rc;
}

int
ag_dns_zone_add_txt(struct ag_dns_zone *zone, const char *name,
		    const char *const *strings, const size_t *lens,
		    unsigned n, uint32_t ttl)
{
	ldns_rr *rr = NULL;
	int rc = AG_EINVAL;

	if (zone == NULL || name == NULL || (n > 0 && strings == NULL))
		goto out;
	if ((rr = zone_rr_new(name, AG_DNS_TXT, ttl)) == NULL)
		goto out;
	rc = AG_ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		size_t len = lens ? lens[i] : strlen(strings[i]);

		if (!zone_push_txt(rr, (const unsigned char *)strings[i], len))
			goto out;
	}
	if (n == 0 && !zone_push_txt(rr, (const unsigned char *)"", 0))
		goto out;
	rc = zone_push(zone, name, AG_DNS_TXT, rr);
	rr = NULL;
out:
	ldns_rr_free(rr);
	return rc;
}

/* zone_mark - record a timeout or servfail mark for name */
static int
zone_mark(struct ag_dns_zone *zone, const char *name, int timeout)
{
	struct zone_mark *grown;
	char *key;

	if (zone == NULL || name == NULL)
		return AG_EINVAL;
	if ((key = zone_key(name)) == NULL)
		return AG_ENOMEM;
	if (zone->nmark == zone->capmark) {
		size_t cap = zone->capmark ? zone->capmark * 2 : 8;

		if ((grown = realloc(zone->mark, cap * sizeof(*grown))) ==
		    NULL) {
			free(key);
			return AG_ENOMEM;
		}
		zone->mark = grown;
		zone->capmark = cap;
	}
	zone->mark[zone->nmark].key = key;
	zone->mark[zone->nmark].timeout = timeout;
	zone->nmark++;
	return AG_OK;
}

int
ag_dns_zone_timeout(struct ag_dns_zone *zone, const char *name)
{
	return zone_mark(zone, name, 1);
}

int
ag_dns_zone_servfail(struct ag_dns_zone *zone, const char *name)
{
	return zone_mark(zone, name, 0);
}

/* zone_find_mark - 1 timeout, 0 servfail, -1 unmarked */
static int
zone_find_mark(const struct ag_dns_zone *zone, const char *key)
{
	for (size_t i = 0; i < zone->nmark; i++)
		if (strcmp(zone->mark[i].key, key) == 0)
			return zone->mark[i].timeout;
	return -1;
}

/* zone_exists - key owns a record, or is an empty non-terminal */
static bool
zone_exists(const struct ag_dns_zone *zone, const char *key)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < zone->nrec; i++) {
		const char *o = zone->rec[i].key;
		size_t olen = strlen(o);

		if (olen == klen && strcmp(o, key) == 0)
			return true;
		if (olen > klen && o[olen - klen - 1] == '.' &&
		    strcmp(o + olen - klen, key) == 0)
			return true;
	}
	return false;
}

/* zone_copy_rrs - append clones of key's type records to pkt; count */
static int
zone_copy_rrs(const struct ag_dns_zone *zone, const char *key, uint16_t type,
	      ldns_pkt *pkt, unsigned *n_r)
{
	ldns_rr *rr;

	*n_r = 0;
	for (size_t i = 0; i < zone->nrec; i++) {
		if (zone->rec[i].type != type ||
		    strcmp(zone->rec[i].key, key) != 0)
			continue;
		if ((rr = ldns_rr_clone(zone->rec[i].rr)) == NULL)
			return AG_ENOMEM;
		if (!ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr)) {
			ldns_rr_free(rr);
			return AG_ENOMEM;
		}
		(*n_r)++;
	}
	return AG_OK;
}

/* zone_cname - key's CNAME record, or NULL */
static const ldns_rr *
zone_cname(const struct ag_dns_zone *zone, const char *key)
{
	for (size_t i = 0; i < zone->nrec; i++)
		if (zone->rec[i].type == AG_DNS_CNAME &&
		    strcmp(zone->rec[i].key, key) == 0)
			return zone->rec[i].rr;
	return NULL;
}

/* zone_pkt_new - an authoritative response with the question set */
static ldns_pkt *
zone_pkt_new(const char *name, uint16_t type)
{
	ldns_pkt *pkt;
	ldns_rr *q;

	if ((pkt = ldns_pkt_new()) == NULL)
		return NULL;
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_aa(pkt, true);
	ldns_pkt_set_rcode(pkt, LDNS_RCODE_NOERROR);
	/* a name ldns cannot parse gets no question section: the answer
	 * (NXDOMAIN) is still defined */
	if ((q = zone_rr_new(name, type, 0)) == NULL)
		return pkt;
	ldns_rr_set_question(q, true);
	if (ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, q))
		return pkt;
	ldns_rr_free(q);
	ldns_pkt_free(pkt);
	return NULL;
}

/* zone_walk - fill pkt for (key, type), following CNAMEs */
static int
zone_walk(const struct ag_dns_zone *zone, char *key, uint16_t type,
	  ldns_pkt *pkt, int *timeout_r)
{
	const ldns_rr *cname;
	ldns_rr *copy;
	char *target, *next = NULL;
	unsigned n;
	int rc = AG_OK, mark;

	for (unsigned step = 0; step <= ZONE_MAX_CNAME; step++) {
		if ((mark = zone_find_mark(zone, key)) == 1) {
			*timeout_r = 1;
			goto out;
		}
		if (mark == 0) {
			ldns_pkt_set_rcode(pkt, LDNS_RCODE_SERVFAIL);
			goto out;
		}
		if ((rc = zone_copy_rrs(zone, key, type, pkt, &n)) != AG_OK ||
		    n > 0)
			goto out;
		if (type == AG_DNS_CNAME ||
		    (cname = zone_cname(zone, key)) == NULL) {
			if (!zone_exists(zone, key))
				ldns_pkt_set_rcode(pkt, LDNS_RCODE_NXDOMAIN);
			goto out;
		}
		rc = AG_ENOMEM;
		if ((copy = ldns_rr_clone(cname)) == NULL)
			goto out;
		if (!ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, copy)) {
			ldns_rr_free(copy);
			goto out;
		}
		if ((target = ldns_rdf2str(ldns_rr_rdf(cname, 0))) == NULL)
			goto out;
		next = zone_key(target);
		free(target);
		if (next == NULL)
			goto out;
		free(key);
		key = next;
		next = NULL;
		rc = AG_OK;
	}
	/* a CNAME chain longer than ZONE_MAX_CNAME */
	ldns_pkt_set_rcode(pkt, LDNS_RCODE_SERVFAIL);
out:
	free(key);
	return rc;
}

int
ag_dns_zone_answer(const struct ag_dns_zone *zone, const char *name,
		   uint16_t type, ldns_pkt **pkt_r, int *timeout_r)
{
	ldns_pkt *pkt = NULL;
	char *key = NULL;
	int rc = AG_ENOMEM;

	*timeout_r = 0;
	if ((key = zone_key(name)) == NULL)
		goto out;
	if ((pkt = zone_pkt_new(name, type)) == NULL)
		goto out;
	rc = zone_walk(zone, key, type, pkt, timeout_r);
	key = NULL;
	if (rc == AG_OK && !*timeout_r) {
		*pkt_r = pkt;
		pkt = NULL;
	}
out:
	free(key);
	ldns_pkt_free(pkt);
	return rc;
}
