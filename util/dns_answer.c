/*
 * util/dns_answer.c - answers: allocation, copies, and the mapping from a
 * DNS response packet (network or zone) to a struct ag_dns_answer.
 *
 * Mapping (RFC 1035 4.1.1, RFC 2308): NXDOMAIN -> AG_DNS_NXDOMAIN;
 * NOERROR without a record of the asked type at the name or at a name its
 * CNAME chain reaches -> AG_DNS_NODATA; REFUSED -> AG_DNS_ERROR (a
 * configuration problem, as util/dns.h documents); every other RCODE ->
 * AG_DNS_SERVFAIL. Negative answers live min(SOA TTL, SOA MINIMUM) from
 * the authority section (RFC 2308 5), else AG_DNS_NEG_TTL_DEFAULT seconds,
 * capped at the configured negative TTL.
 */
#include <stdlib.h>
#include <string.h>

#include "util/dns.h"
#include "util/dns_int.h"

/* ------------------------------------------------------------------ */
/* answers                                                            */
/* ------------------------------------------------------------------ */

/* ag_dns_answer_new - an empty answer with room for n records */
struct ag_dns_answer *
ag_dns_answer_new(enum ag_dns_status st, uint16_t type, unsigned n)
{
	struct ag_dns_answer *ans;

	if (n > AG_DNS_MAX_RRS)
		return NULL;
	ans = calloc(1, sizeof(*ans) + (size_t)n * sizeof(ans->rr[0]));
	if (ans == NULL)
		return NULL;
	ans->status = st;
	ans->type = type;
	return ans;
}

/* ag_dns_answer_free - free an answer and its record data */
void
ag_dns_answer_free(struct ag_dns_answer **ans)
{
	if (ans == NULL || *ans == NULL)
		return;
	for (unsigned i = 0; i < (*ans)->count; i++)
		free((*ans)->rr[i].data);
	free(*ans);
	*ans = NULL;
}

/* ag_dns_answer_copy - deep copy of an answer */
int
ag_dns_answer_copy(const struct ag_dns_answer *src,
		   struct ag_dns_answer **dst_r)
{
	struct ag_dns_answer *dst;
	int rc = AG_ENOMEM;

	if ((dst = ag_dns_answer_new(src->status, src->type, src->count)) ==
	    NULL)
		goto out;
	dst->ttl = src->ttl;
	dst->from_cache = src->from_cache;
	dst->truncated = src->truncated;
	for (unsigned i = 0; i < src->count; i++) {
		const struct ag_dns_rr *s = &src->rr[i];

		if ((dst->rr[i].data = malloc(s->len + 1)) == NULL)
			goto out;
		memcpy(dst->rr[i].data, s->data, s->len + 1);
		dst->rr[i].type = s->type;
		dst->rr[i].pref = s->pref;
		dst->rr[i].ttl = s->ttl;
		dst->rr[i].nstrings = s->nstrings;
		dst->rr[i].len = s->len;
		dst->count = i + 1;
	}
	*dst_r = dst;
	dst = NULL;
	rc = AG_OK;
out:
	ag_dns_answer_free(&dst);
	return rc;
}

/* ag_dns_dname_text - presentation form of a name, no trailing dot */
char *
ag_dns_dname_text(const ldns_rdf *dname, size_t *len_r)
{
	char *s;
	size_t len;

	if ((s = ldns_rdf2str(dname)) == NULL)
		return NULL;
	/* an absolute name always ends in an unescaped dot; the root "." is
	 * then the empty string */
	len = strlen(s);
	if (len > 0 && s[len - 1] == '.')
		s[--len] = '\0';
	*len_r = len;
	return s;
}

/* ------------------------------------------------------------------ */
/* packet to answer                                                   */
/* ------------------------------------------------------------------ */

/* dns_rdf_name - rdf (a dname) as text into out; root is "" */
static int
dns_rdf_name(const ldns_rdf *rdf, struct ag_dns_rr *out)
{
	if (rdf == NULL || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME)
		return AG_EINVAL;
	if ((out->data = (unsigned char *)ag_dns_dname_text(rdf, &out->len)) ==
	    NULL)
		return AG_ENOMEM;
	return AG_OK;
}

/* dns_rdf_concat - the rdata of rr into out; TXT strings lose their
 * length octets (RFC 7208 3.3), other types keep their wire form */
static int
dns_rdf_concat(const ldns_rr *rr, int txt, struct ag_dns_rr *out)
{
	size_t n = ldns_rr_rd_count(rr), len = 0, skip = txt ? 1 : 0;

	for (size_t i = 0; i < n; i++) {
		size_t sz = ldns_rdf_size(ldns_rr_rdf(rr, i));

		if (sz < skip)
			return AG_EINVAL;
		len += sz - skip;
	}
	if (len > AG_DNS_MAX_RDATA)
		return AG_EINVAL;
	if ((out->data = malloc(len + 1)) == NULL)
		return AG_ENOMEM;
	out->len = 0;
	for (size_t i = 0; i < n; i++) {
		const ldns_rdf *rdf = ldns_rr_rdf(rr, i);
		size_t sz = ldns_rdf_size(rdf) - skip;

		memcpy(out->data + out->len, ldns_rdf_data(rdf) + skip, sz);
		out->len += sz;
	}
	out->data[out->len] = '\0';
	out->nstrings = txt ? (unsigned)n : 0;
	return AG_OK;
}

/* dns_rr_fill - rr's data in the form util/dns.h promises; AG_EINVAL
 * when the rdata does not fit its type (the record is then skipped) */
static int
dns_rr_fill(const ldns_rr *rr, struct ag_dns_rr *out)
{
	const ldns_rdf *rdf = ldns_rr_rdf(rr, 0);
	size_t want;

	out->type = (uint16_t)ldns_rr_get_type(rr);
	out->ttl = ldns_rr_ttl(rr);
	switch (out->type) {
	case AG_DNS_A:
	case AG_DNS_AAAA:
		want = out->type == AG_DNS_A ? 4 : 16;
		if (ldns_rr_rd_count(rr) != 1 || ldns_rdf_size(rdf) != want)
			return AG_EINVAL;
		return dns_rdf_concat(rr, 0, out);
	case AG_DNS_NS:
	case AG_DNS_CNAME:
	case AG_DNS_PTR:
		return dns_rdf_name(rdf, out);
	case AG_DNS_MX:
		if (ldns_rr_rd_count(rr) != 2 || ldns_rdf_size(rdf) != 2)
			return AG_EINVAL;
		out->pref = ldns_rdf2native_int16(rdf);
		return dns_rdf_name(ldns_rr_rdf(rr, 1), out);
	case AG_DNS_TXT:
		return dns_rdf_concat(rr, 1, out);
	default:
		return dns_rdf_concat(rr, 0, out);
	}
}

/* dns_neg_ttl - RFC 2308 5: min(SOA TTL, SOA MINIMUM) of the authority
 * section, else the default; capped */
static uint32_t
dns_neg_ttl(const ldns_pkt *pkt, unsigned neg_cap, unsigned ttl_cap)
{
	const ldns_rr_list *auth = ldns_pkt_authority(pkt);
	uint32_t ttl = AG_DNS_NEG_TTL_DEFAULT, min;

	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		const ldns_rdf *rdf = ldns_rr_rdf(rr, 6);

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA || rdf == NULL ||
		    ldns_rdf_size(rdf) != 4)
			continue;
		min = ldns_rdf2native_int32(rdf);
		ttl = ldns_rr_ttl(rr) < min ? ldns_rr_ttl(rr) : min;
		break;
	}
	if (ttl > neg_cap)
		ttl = neg_cap;
	return ttl > ttl_cap ? ttl_cap : ttl;
}

/* dns_chain - qname and the names its CNAME chain in the answer section
 * reaches, into names[] (at most AG_DNS_MAX_CNAME + 1); returns the count
 * and the lowest CNAME TTL in *ttl_r */
static size_t
dns_chain(const ldns_rr_list *an, const ldns_rdf *qname, uint16_t type,
	  const ldns_rdf **names, uint32_t *ttl_r)
{
	size_t n = 1, i, j, count = ldns_rr_list_rr_count(an);
	const ldns_rr *rr;
	const ldns_rdf *target;

	names[0] = qname;
	*ttl_r = UINT32_MAX;
	/* asking for the CNAME itself: the chain is not followed */
	while (type != AG_DNS_CNAME && n <= AG_DNS_MAX_CNAME) {
		for (i = 0; i < count; i++) {
			rr = ldns_rr_list_rr(an, i);
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
			    ldns_rr_rd_count(rr) == 1 &&
			    ldns_dname_compare(ldns_rr_owner(rr),
					       names[n - 1]) == 0)
				break;
		}
		if (i == count)
			break;
		target = ldns_rr_rdf(rr, 0);
		for (j = 0; j < n; j++)	/* a loop ends the chain */
			if (ldns_dname_compare(names[j], target) == 0)
				break;
		if (j < n || ldns_rdf_get_type(target) != LDNS_RDF_TYPE_DNAME)
			break;
		names[n++] = target;
		if (ldns_rr_ttl(rr) < *ttl_r)
			*ttl_r = ldns_rr_ttl(rr);
	}
	return n;
}

/* dns_wanted - whether rr is of type and owned by one of names[] */
static int
dns_wanted(const ldns_rr *rr, uint16_t type, const ldns_rdf **names,
	   size_t n)
{
	if (ldns_rr_get_type(rr) != type ||
	    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (ldns_dname_compare(ldns_rr_owner(rr), names[i]) == 0)
			return 1;
	return 0;
}

/* dns_collect - the wanted records of the answer section into ans;
 * *bad_r counts those skipped because their rdata did not fit the type */
static int
dns_collect(const ldns_rr_list *an, uint16_t type, const ldns_rdf **names,
	    size_t n, uint32_t ttl, unsigned ttl_cap,
	    struct ag_dns_answer *ans, unsigned *bad_r)
{
	size_t count = ldns_rr_list_rr_count(an);
	struct ag_dns_rr *out;
	int rc;

	*bad_r = 0;
	for (size_t i = 0; i < count; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);

		if (!dns_wanted(rr, type, names, n))
			continue;
		if (ans->count == AG_DNS_MAX_RRS) {
			ans->truncated = 1;
			break;
		}
		out = &ans->rr[ans->count];
		if ((rc = dns_rr_fill(rr, out)) == AG_ENOMEM)
			return rc;
		if (rc != AG_OK) {
			memset(out, 0, sizeof(*out));
			(*bad_r)++;
			continue;
		}
		if (out->ttl > ttl_cap)
			out->ttl = ttl_cap;
		if (out->ttl < ttl)
			ttl = out->ttl;
		ans->count++;
	}
	ans->ttl = ttl > ttl_cap ? ttl_cap : ttl;
	return AG_OK;
}

/* dns_status - the status an RCODE gives before looking at records */
static enum ag_dns_status
dns_status(ldns_pkt_rcode rcode)
{
	switch (rcode) {
	case LDNS_RCODE_NOERROR:
		return AG_DNS_OK;
	case LDNS_RCODE_NXDOMAIN:
		return AG_DNS_NXDOMAIN;
	case LDNS_RCODE_REFUSED:
		return AG_DNS_ERROR;
	default:
		return AG_DNS_SERVFAIL;
	}
}

/* ag_dns_pkt_answer - map a response packet to an answer (see top) */
int
ag_dns_pkt_answer(const ldns_pkt *pkt, const ldns_rdf *qname, uint16_t type,
		  unsigned ttl_cap, unsigned neg_cap,
		  struct ag_dns_answer **ans_r)
{
	const ldns_rr_list *an = ldns_pkt_answer(pkt);
	const ldns_rdf *names[AG_DNS_MAX_CNAME + 1];
	enum ag_dns_status st = dns_status(ldns_pkt_get_rcode(pkt));
	struct ag_dns_answer *ans = NULL;
	uint32_t chain_ttl;
	unsigned bad;
	size_t n;
	int rc = AG_ENOMEM;

	if (st == AG_DNS_OK) {
		n = dns_chain(an, qname, type, names, &chain_ttl);
		if ((ans = ag_dns_answer_new(st, type, AG_DNS_MAX_RRS)) ==
		    NULL)
			goto out;
		if ((rc = dns_collect(an, type, names, n, chain_ttl, ttl_cap,
				      ans, &bad)) != AG_OK)
			goto out;
		if (ans->count > 0)
			goto done;
		ag_dns_answer_free(&ans);
		/* records there, but none usable: not the same as none */
		st = bad > 0 ? AG_DNS_ERROR : AG_DNS_NODATA;
	}
	rc = AG_ENOMEM;
	if ((ans = ag_dns_answer_new(st, type, 0)) == NULL)
		goto out;
	if (st == AG_DNS_NXDOMAIN || st == AG_DNS_NODATA)
		ans->ttl = dns_neg_ttl(pkt, neg_cap, ttl_cap);
done:
	*ans_r = ans;
	ans = NULL;
	rc = AG_OK;
out:
	ag_dns_answer_free(&ans);
	return rc;
}

