/*
 * spf/dns_layer.c - libspf2's DNS layer on util/dns, with RFC 7208 limits
 *
 * libspf2 1.2.10 implements RFC 4408. What RFC 7208 adds or changed, and
 * libspf2 lacks, is enforced here, where every lookup passes:
 *   - type SPF (99) is never asked: record selection is our own
 *     get_spf hook (TXT only, 4.5), and a stray type-99 lookup is answered
 *     NO_DATA without touching the network and without counting.
 *   - the 10-term limit (4.6.4) counted across includes and redirects
 *     (libspf2 keeps the counter per response, so it restarts inside every
 *     include);
 *   - the void-lookup limit (4.6.4), which libspf2 does not have;
 *   - at most 10 PTR names (4.6.4: the rest ignored; libspf2 would give
 *     permerror), by cutting the PTR answer to 10 names.
 * A lookup is a new term unless it is the address lookup of a name from the
 * preceding MX/PTR answer: libspf2 asks those in answer order right after
 * the MX/PTR lookup, so the layer keeps that list (->pending). %{p}
 * lookups (should_cache == 0 for PTR) are not terms and are not counted.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <spf2/spf_record.h>

#include "spf/spf_int.h"
#include "util/dns.h"

#define SPF_VER "v=spf1"

/* layer_of - our state behind libspf2's DNS server handle */
static struct spf_layer *
layer_of(SPF_dns_server_t *d)
{
	return (struct spf_layer *)d->hook;
}

/* layer_rr - an empty libspf2 answer with herrno */
static SPF_dns_rr_t *
layer_rr(struct spf_layer *layer, const char *domain, ns_type type, int herr)
{
	SPF_dns_rr_t *rr = SPF_dns_rr_new_init(&layer->dns, domain, type, 0,
					       herr);

	if (rr == NULL)
		layer->abort = SPF_ABORT_NOMEM;
	return rr;
}

/* layer_herrno - the libspf2 herrno for a util/dns status */
static int
layer_herrno(enum ag_dns_status st)
{
	switch (st) {
	case AG_DNS_OK:
		return NETDB_SUCCESS;
	case AG_DNS_NXDOMAIN:
		return HOST_NOT_FOUND;
	case AG_DNS_NODATA:
		return NO_DATA;
	default:
		return TRY_AGAIN;
	}
}

/* layer_copy - copy ans's records into rr (at most max of them) */
static int
layer_copy(SPF_dns_rr_t *rr, const struct ag_dns_answer *ans, unsigned max)
{
	int n = 0;

	for (unsigned i = 0; i < ans->count && (unsigned)n < max; i++) {
		const struct ag_dns_rr *r = &ans->rr[i];
		size_t need = r->len + 1;

		if (r->type != ans->type)
			continue;
		if (SPF_dns_rr_buf_realloc(rr, n, need) != SPF_E_SUCCESS)
			return -1;
		if (r->type == AG_DNS_A && r->len == 4)
			memcpy(&rr->rr[n]->a, r->data, 4);
		else if (r->type == AG_DNS_AAAA && r->len == 16)
			memcpy(&rr->rr[n]->aaaa, r->data, 16);
		else if (r->type == AG_DNS_A || r->type == AG_DNS_AAAA)
			continue;
		else
			memcpy(rr->rr[n]->txt, r->data, r->len + 1);
		n++;
	}
	rr->num_rr = n;
	return 0;
}

/* layer_set_pending - remember the names an MX/PTR answer will make
 * libspf2 look up next */
static void
layer_set_pending(struct spf_layer *layer, const SPF_dns_rr_t *rr, bool ptr,
		  bool cidr0)
{
	layer->npending = 0;
	layer->next_pending = 0;
	layer->pending_ptr = ptr;
	layer->pending_cidr0 = cidr0;
	for (int i = 0; i < rr->num_rr && layer->npending < SPF_LAYER_NAMES;
	     i++) {
		size_t len = strlen(rr->rr[i]->ptr);

		if (len >= SPF_LAYER_NAME_MAX)
			len = SPF_LAYER_NAME_MAX - 1;
		memcpy(layer->pending[layer->npending], rr->rr[i]->ptr, len);
		layer->pending[layer->npending][len] = '\0';
		layer->npending++;
	}
}

/* layer_is_pending - domain is the next name of the last MX/PTR answer */
static bool
layer_is_pending(struct spf_layer *layer, const char *domain)
{
	if (layer->next_pending < layer->npending &&
	    strcasecmp(layer->pending[layer->next_pending], domain) == 0) {
		layer->next_pending++;
		return true;
	}
	layer->npending = layer->next_pending = 0;
	layer->pending_ptr = layer->pending_cidr0 = false;
	return false;
}

/* layer_count_term - count one DNS-querying term; false past the limit */
static bool
layer_count_term(struct spf_layer *layer)
{
	if (++layer->mech > layer->max_mech) {
		layer->abort = SPF_ABORT_MECH;
		return false;
	}
	return true;
}

/* layer_name - the name to ask for domain: without SPF_CIDR0_MARK (sets
 * *cidr0), cut from the left to 253 octets (RFC 7208 7.1/25) */
static const char *
layer_name(const char *domain, char *buf, size_t size, bool *cidr0)
{
	size_t len = strlen(domain), mark = sizeof(SPF_CIDR0_MARK) - 1;
	const char *p = domain;

	*cidr0 = false;
	if (len > mark && strcmp(domain + len - mark, SPF_CIDR0_MARK) == 0) {
		*cidr0 = true;
		len -= mark;
	}
	if (len > 0 && domain[len - 1] == '.')
		len--;
	/* bounded: each step drops one label */
	while (len > 253) {
		const char *dot = memchr(p, '.', len);

		if (dot == NULL)
			break;
		len -= (size_t)(dot + 1 - p);
		p = dot + 1;
	}
	if (len >= size)
		len = size - 1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return buf;
}

/* layer_any_addr - an a/mx CIDR-0 term matches any address of the
 * client's family: show libspf2 the client's own address instead */
static void
layer_any_addr(const struct spf_layer *layer, SPF_dns_rr_t *rr)
{
	for (int i = 0; i < rr->num_rr; i++) {
		if (rr->rr_type == ns_t_a && layer->af == AF_INET)
			memcpy(&rr->rr[i]->a, layer->client, 4);
		else if (rr->rr_type == ns_t_aaaa && layer->af == AF_INET6)
			memcpy(&rr->rr[i]->aaaa, layer->client, 16);
	}
}

/* layer_answer - ask util/dns and build libspf2's answer; NULL on ENOMEM */
static SPF_dns_rr_t *
layer_answer(struct spf_layer *layer, const char *name, ns_type type,
	     unsigned max)
{
	struct ag_dns_answer *ans = NULL;
	SPF_dns_rr_t *rr;
	int qrc;

	qrc = ag_dns_query(layer->resolver, name, (uint16_t)type, &ans);
	if (qrc == AG_ENOMEM) {
		layer->abort = SPF_ABORT_NOMEM;
		return layer_rr(layer, name, type, TRY_AGAIN);
	}
	/* a name that cannot exist (AG_EINVAL) is a name that does not */
	rr = layer_rr(layer, name, type,
		      qrc == AG_OK ? layer_herrno(ans->status) : HOST_NOT_FOUND);
	if (rr != NULL && qrc == AG_OK && ans->status == AG_DNS_OK &&
	    layer_copy(rr, ans, max) != 0) {
		layer->abort = SPF_ABORT_NOMEM;
		rr->herrno = TRY_AGAIN;
		rr->num_rr = 0;
	}
	ag_dns_answer_free(&ans);
	return rr;
}

/* layer_lookup - SPF_dns_lookup_t over ag_dns_query() */
static SPF_dns_rr_t *
layer_lookup(SPF_dns_server_t *d, const char *domain, ns_type type,
	     int should_cache)
{
	struct spf_layer *layer = layer_of(d);
	char name[SPF_LAYER_NAME_MAX];
	SPF_dns_rr_t *rr;
	bool term = false, sub_ptr = false, sub_cidr0, cidr0;
	unsigned max = AG_DNS_MAX_RRS;

	/* RFC 7208 3.1: type SPF is gone; never ask, never count */
	if (type == ns_t_spf)
		return layer_rr(layer, domain, type, NO_DATA);
	if (layer->abort != SPF_ABORT_NONE)
		return layer_rr(layer, domain, type, TRY_AGAIN);
	layer_name(domain, name, sizeof(name), &cidr0);
	switch (type) {
	case ns_t_a:
	case ns_t_aaaa:
		sub_ptr = layer->pending_ptr;
		sub_cidr0 = layer->pending_cidr0;
		if (layer_is_pending(layer, name))
			cidr0 = sub_cidr0;	/* an MX/PTR name's address */
		else
			term = true, sub_ptr = false;
		break;
	case ns_t_mx:
		term = true;
		break;
	case ns_t_ptr:
		term = should_cache != 0;	/* 0: %{p}, not a term */
		max = SPF_LAYER_NAMES;	/* 4.6.4: ignore names past 10 */
		break;
	default:
		break;
	}
	if (term && !layer_count_term(layer))
		return layer_rr(layer, domain, type, TRY_AGAIN);
	if ((rr = layer_answer(layer, name, type, max)) == NULL)
		return NULL;
	/* RFC 7208 5.5: an error looking up a PTR name skips that name */
	if (sub_ptr && rr->herrno == TRY_AGAIN &&
	    layer->abort == SPF_ABORT_NONE)
		rr->herrno = HOST_NOT_FOUND;
	if (type == ns_t_mx || type == ns_t_ptr)
		layer_set_pending(layer, rr, type == ns_t_ptr, cidr0);
	else if (cidr0)
		layer_any_addr(layer, rr);
	/* RFC 7208 4.6.4: NXDOMAIN, or NOERROR with no answer */
	if (term && (rr->herrno == HOST_NOT_FOUND || rr->herrno == NO_DATA ||
		     (rr->herrno == NETDB_SUCCESS && rr->num_rr == 0)) &&
	    ++layer->voids > layer->max_void) {
		layer->abort = SPF_ABORT_VOID;
		rr->herrno = TRY_AGAIN;
		rr->num_rr = 0;
	}
	return rr;
}

/* layer_is_spf - txt is a version 1 SPF record (RFC 7208 4.5) */
static bool
layer_is_spf(const char *txt)
{
	size_t n = sizeof(SPF_VER) - 1;

	return strncasecmp(txt, SPF_VER, n) == 0 &&
	       (txt[n] == ' ' || txt[n] == '\0');
}

/* layer_select - index of the one v=spf1 record; -1 none, -2 several */
static int
layer_select(const struct ag_dns_answer *ans)
{
	int found = -1;

	for (unsigned i = 0; i < ans->count; i++) {
		if (ans->rr[i].type != AG_DNS_TXT ||
		    !layer_is_spf((const char *)ans->rr[i].data))
			continue;
		/* a record with a NUL in it is not one we can read as text */
		if (strlen((const char *)ans->rr[i].data) != ans->rr[i].len)
			return -2;
		if (found >= 0)
			return -2;
		found = (int)i;
	}
	return found;
}

/* layer_fix - spf_macro_fix() of text with the request's values and
 * dom as %{d}; a new string, or NULL */
static char *
layer_fix(const struct spf_layer *layer, const char *dom, const char *text)
{
	const SPF_request_t *req = layer->req;
	struct spf_vars v;
	size_t size = strlen(text) * 2 + 512;
	char *out;

	if (req == NULL || (out = malloc(size)) == NULL)
		return NULL;
	v.s = req->env_from;
	v.l = req->env_from_lp;
	v.o = req->env_from_dp;
	v.d = dom;
	v.h = req->helo_dom;
	v.i = layer->ip_text;
	v.v = layer->af == AF_INET ? "in-addr" : "ip6";
	if (v.s == NULL || v.l == NULL || v.o == NULL || v.h == NULL ||
	    spf_macro_fix(text, &v, out, size) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* layer_fetch - the TXT answer for the record of cur_dom, classified */
static SPF_errcode_t
layer_fetch(struct spf_layer *layer, SPF_server_t *server,
	    SPF_response_t *resp, const char *dom, SPF_record_t **rec_r)
{
	struct ag_dns_answer *ans = NULL;
	SPF_errcode_t err = SPF_E_NOT_SPF;
	char name[SPF_LAYER_NAME_MAX], *text = NULL, *fixed = NULL;
	size_t size;
	bool cidr0;
	int idx, rc;

	layer->rec_status = SPF_REC_NONE;
	layer_name(dom, name, sizeof(name), &cidr0);
	rc = ag_dns_query(layer->resolver, name, AG_DNS_TXT, &ans);
	if (rc == AG_ENOMEM) {
		layer->abort = SPF_ABORT_NOMEM;
		layer->rec_status = SPF_REC_TEMP;
		err = SPF_E_NO_MEMORY;
		goto out;
	}
	if (rc != AG_OK)
		goto out;	/* not a valid name: no record */
	if (ans->status == AG_DNS_SERVFAIL || ans->status == AG_DNS_TIMEOUT ||
	    ans->status == AG_DNS_ERROR) {
		layer->rec_status = SPF_REC_TEMP;
		err = SPF_E_DNS_ERROR;
		goto out;
	}
	if (ans->status != AG_DNS_OK || (idx = layer_select(ans)) == -1)
		goto out;
	layer->rec_status = SPF_REC_PERM;
	if (idx == -2) {
		err = SPF_E_MULTIPLE_RECORDS;
		goto out;
	}
	/* RFC 7208 4.6: any syntax error is a permerror, checked by us;
	 * libspf2 compiles the normalised copy */
	size = SPF_PREPARE_CAP((size_t)ans->rr[idx].len);
	err = SPF_E_NO_MEMORY;
	if ((text = malloc(size)) == NULL) {
		layer->abort = SPF_ABORT_NOMEM;
		goto out;
	}
	err = SPF_E_SYNTAX;
	if (spf_record_prepare((const char *)ans->rr[idx].data, layer->af,
			       text, size, &layer->why) != 0)
		goto out;
	err = SPF_E_NO_MEMORY;
	if ((fixed = layer_fix(layer, dom, text)) == NULL) {
		layer->abort = SPF_ABORT_NOMEM;
		goto out;
	}
	err = SPF_record_compile(server, resp, rec_r, fixed);
	if (err == SPF_E_SUCCESS)
		layer->rec_status = SPF_REC_OK;
	else if (err == SPF_E_NOT_SPF)
		err = SPF_E_SYNTAX;	/* libspf2 would read it as "none" */
out:
	free(fixed);
	free(text);
	ag_dns_answer_free(&ans);
	return err;
}

SPF_errcode_t
spf_layer_get_record(SPF_server_t *server, SPF_request_t *req,
		     SPF_response_t *resp, SPF_record_t **rec_r)
{
	struct spf_layer *layer = layer_of(server->resolver);
	SPF_errcode_t err;

	*rec_r = NULL;
	layer->npending = layer->next_pending = 0;
	if (layer->abort != SPF_ABORT_NONE)
		return SPF_E_DNS_ERROR;
	/* include and redirect are terms; the initial lookup is not */
	if (!layer->top && !layer_count_term(layer))
		return SPF_E_DNS_ERROR;
	layer->top = false;
	err = layer_fetch(layer, server, resp, req->cur_dom, rec_r);
	if (err != SPF_E_SUCCESS && *rec_r != NULL) {
		SPF_record_free(*rec_r);
		*rec_r = NULL;
	}
	return err;
}

/* layer_exp_text - expand the one TXT record of domain as an explanation
 * into buf; false when there is none usable (RFC 7208 6.2) */
static bool
layer_exp_text(struct spf_layer *layer, SPF_server_t *server,
	       const char *domain, char **bufp, size_t *buflenp)
{
	struct ag_dns_answer *ans = NULL;
	SPF_response_t *scratch = NULL;
	SPF_macro_t *mac = NULL;
	char name[SPF_LAYER_NAME_MAX], *text = NULL, *fixed = NULL;
	bool ok = false, cidr0;

	layer_name(domain, name, sizeof(name), &cidr0);
	if (layer->req == NULL ||
	    ag_dns_query(layer->resolver, name, AG_DNS_TXT, &ans) != AG_OK)
		goto out;
	if (ans->status != AG_DNS_OK || ans->count != 1 ||
	    ans->rr[0].type != AG_DNS_TXT)
		goto out;
	if ((text = malloc(ans->rr[0].len * 2 + 1)) == NULL ||
	    spf_exp_prepare((const char *)ans->rr[0].data, ans->rr[0].len,
			    text, ans->rr[0].len * 2 + 1) != 0)
		goto out;
	if ((fixed = layer_fix(layer, layer->req->cur_dom, text)) == NULL ||
	    (scratch = SPF_response_new(layer->req)) == NULL)
		goto out;
	if (SPF_record_compile_macro(server, scratch, &mac, fixed) !=
	    SPF_E_SUCCESS)
		goto out;
	ok = SPF_record_expand_data(server, layer->req, scratch,
				    (SPF_data_t *)((char *)mac +
						   sizeof(SPF_macro_t)),
				    mac->macro_len, bufp, buflenp) ==
	     SPF_E_SUCCESS;
	/* libspf2 URL-escapes in lower case; RFC 3986 2.1 prefers upper,
	 * and a literal "%" cannot reach here (spf_exp_prepare refuses
	 * "%%" next to hex digits) */
	for (char *p = *bufp; ok && p != NULL && *p != '\0'; p++)
		if (p[0] == '%' && isxdigit((unsigned char)p[1]) &&
		    isxdigit((unsigned char)p[2])) {
			p[1] = (char)toupper((unsigned char)p[1]);
			p[2] = (char)toupper((unsigned char)p[2]);
		}
out:
	free(fixed);
	free(text);
	if (mac != NULL)
		SPF_macro_free(mac);
	if (scratch != NULL)
		SPF_response_free(scratch);
	ag_dns_answer_free(&ans);
	return ok;
}

/* layer_get_exp - SPF_dns_get_exp_t: exp= lookups are not terms and
 * never fail the check; any problem means "no explanation" (empty) */
static SPF_errcode_t
layer_get_exp(SPF_server_t *server, const char *domain, char **bufp,
	      size_t *buflenp)
{
	struct spf_layer *layer = layer_of(server->resolver);
	char *grown;

	if (layer->abort == SPF_ABORT_NONE &&
	    layer_exp_text(layer, server, domain, bufp, buflenp))
		return SPF_E_SUCCESS;
	if (*bufp == NULL || *buflenp < 1) {
		if ((grown = realloc(*bufp, 64)) == NULL)
			return SPF_E_NO_MEMORY;
		*bufp = grown;
		*buflenp = 64;
	}
	(*bufp)[0] = '\0';
	return SPF_E_SUCCESS;
}

void
spf_layer_init(struct spf_layer *layer, struct ag_dns *resolver,
	       unsigned max_mech, unsigned max_void)
{
	memset(layer, 0, sizeof(*layer));
	layer->resolver = resolver;
	layer->max_mech = max_mech;
	layer->max_void = max_void;
	layer->max_names = SPF_LAYER_NAMES;
	layer->top = true;
	/* destroy == NULL: libspf2 never frees this embedded struct */
	layer->dns.destroy = NULL;
	layer->dns.lookup = layer_lookup;
	layer->dns.get_spf = spf_layer_get_record;
	layer->dns.get_exp = layer_get_exp;
	layer->dns.add_cache = NULL;
	layer->dns.layer_below = NULL;
	layer->dns.name = "authgate";
	layer->dns.hook = layer;
}
