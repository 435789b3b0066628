/*
 * util/dns.c - the resolver: name checks, the cache (util/dns_cache.c) in
 * front, the network (util/dns_net.c) or an in-memory zone
 * (util/dns_zone.c) behind; both sources give a response packet that
 * util/dns_answer.c maps to an answer, so zone tests exercise the same
 * mapping as production.
 */
#include <ctype.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/dns.h"
#include "util/dns_cache.h"
#include "util/dns_int.h"

#define DNS_RESOLV_CONF "/etc/resolv.conf"

struct ag_dns {
	struct ag_dns_net net;		/* unused when zone is set */
	const struct ag_dns_zone *zone;	/* NULL: ask the network */
	struct ag_dns_cache *cache;	/* NULL: caching disabled */
	unsigned ttl_cap;
	unsigned negative_ttl;
	/* counters only: atomics, so they need no lock */
	atomic_ulong queries;
	atomic_ulong cache_hits;
	atomic_ulong network_queries;
	atomic_ulong timeouts;
};

/* a checked query name in its three forms */
struct dns_name {
	ldns_rdf *dname;	/* wire form, as given */
	char *text;		/* presentation form, no trailing dot */
	char *key;		/* text in lower case: the cache key */
};

/* ag_dns_config_defaults - fill cfg with the documented defaults */
void
ag_dns_config_defaults(struct ag_dns_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->timeout_ms = 5000;
	cfg->retries = 2;
	cfg->cache_entries = 10000;
	cfg->ttl_cap = 86400;
	cfg->negative_ttl = 900;
}

/* ag_dns_status_name - fixed lower-case name of a status */
const char *
ag_dns_status_name(enum ag_dns_status st)
{
	switch (st) {
	case AG_DNS_OK:
		return "ok";
	case AG_DNS_NXDOMAIN:
		return "nxdomain";
	case AG_DNS_NODATA:
		return "nodata";
	case AG_DNS_SERVFAIL:
		return "servfail";
	case AG_DNS_TIMEOUT:
		return "timeout";
	case AG_DNS_ERROR:
		return "error";
	}
	return "unknown";
}

/* ------------------------------------------------------------------ */
/* names                                                              */
/* ------------------------------------------------------------------ */

/* dns_dname_ok - labels 1..63 octets, at most 255 octets on the wire
 * (253 in presentation form), and not the root alone */
static int
dns_dname_ok(const ldns_rdf *dname)
{
	const uint8_t *d = ldns_rdf_data(dname);
	size_t size = ldns_rdf_size(dname), pos = 0;

	if (ldns_rdf_get_type(dname) != LDNS_RDF_TYPE_DNAME || size < 2 ||
	    size > LDNS_MAX_DOMAINLEN)
		return 0;
	/* bounded: pos grows by at least 2 per label, up to size */
	while (pos < size && d[pos] != 0) {
		if (d[pos] > LDNS_MAX_LABELLEN)
			return 0;
		pos += (size_t)d[pos] + 1;
	}
	return pos == size - 1;
}

/* dns_name_free - free the forms of a name */
static void
dns_name_free(struct dns_name *n)
{
	ldns_rdf_deep_free(n->dname);
	free(n->text);
	free(n->key);
	memset(n, 0, sizeof(*n));
}

/* dns_name_prepare - check name and fill its forms; AG_EINVAL, AG_ENOMEM */
static int
dns_name_prepare(const char *name, struct dns_name *n)
{
	size_t len;
	int rc = AG_EINVAL;

	memset(n, 0, sizeof(*n));
	if (name == NULL || name[0] == '\0')
		goto out;
	if (ldns_str2rdf_dname(&n->dname, name) != LDNS_STATUS_OK ||
	    n->dname == NULL || !dns_dname_ok(n->dname))
		goto out;
	rc = AG_ENOMEM;
	if ((n->text = ag_dns_dname_text(n->dname, &len)) == NULL ||
	    (n->key = malloc(len + 1)) == NULL)
		goto out;
	for (size_t i = 0; i <= len; i++)
		n->key[i] = (char)tolower((unsigned char)n->text[i]);
	rc = AG_OK;
out:
	if (rc != AG_OK)
		dns_name_free(n);
	return rc;
}

/* a name's presentation form without the final dot: 255 wire octets */
#define DNS_PLAIN_MAX 253

/* dns_name_plain_key - the cache key of a name written plainly (labels
 * of letters, digits, '-' and '_', 1..63 octets, 253 in all, an optional
 * final dot) into key (DNS_PLAIN_MAX + 1 bytes), as dns_name_prepare()
 * would make it, without ldns: the cache-hit path of nearly every query.
 * false for anything else (escapes, empty labels, root): those names take
 * the full path. */
static bool
dns_name_plain_key(const char *name, char *key)
{
	size_t i, label = 0;

	for (i = 0; name[i] != '\0'; i++) {
		unsigned char c = (unsigned char)name[i];

		if (i >= DNS_PLAIN_MAX)
			return false;
		if (c == '.') {
			if (label == 0)
				return false;
			if (name[i + 1] == '\0')
				break;	/* the final dot */
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '_') {
			if (++label > LDNS_MAX_LABELLEN)
				return false;
		} else {
			return false;
		}
		key[i] = (char)tolower(c);
	}
	key[i] = '\0';
	return i > 0;
}

/* ag_dns_name_check - whether name is a valid domain name to ask for */
int
ag_dns_name_check(const char *name)
{
	struct dns_name n;
	int rc;

	if ((rc = dns_name_prepare(name, &n)) == AG_OK)
		dns_name_free(&n);
	return rc;
}

/* ------------------------------------------------------------------ */
/* the resolver                                                       */
/* ------------------------------------------------------------------ */

/* dns_create - a resolver with cfg's limits and cache, no source yet */
static int
dns_create(struct ag_dns **dns_r, const struct ag_dns_config *cfg,
	   struct ag_err *err)
{
	struct ag_dns *dns = NULL;
	int rc;

	if (dns_r == NULL || cfg == NULL) {
		rc = ag_err_set(err, AG_EINVAL, "dns: no configuration");
		goto out;
	}
	if (cfg->n_nameservers > AG_DNS_MAX_NS || cfg->timeout_ms == 0 ||
	    cfg->timeout_ms > AG_DNS_MAX_TIMEOUT_MS ||
	    cfg->retries > AG_DNS_MAX_RETRIES) {
		rc = ag_err_set(err, AG_EINVAL,
				"dns: need at most %d nameservers, timeout "
				"1..%d ms, at most %d retries",
				AG_DNS_MAX_NS, AG_DNS_MAX_TIMEOUT_MS,
				AG_DNS_MAX_RETRIES);
		goto out;
	}
	if ((dns = calloc(1, sizeof(*dns))) == NULL) {
		rc = ag_err_set(err, AG_ENOMEM, "dns: out of memory");
		goto out;
	}
	dns->net.timeout_ms = cfg->timeout_ms;
	dns->net.retries = cfg->retries;
	dns->ttl_cap = cfg->ttl_cap;
	dns->negative_ttl = cfg->negative_ttl;
	atomic_init(&dns->queries, 0);
	atomic_init(&dns->cache_hits, 0);
	atomic_init(&dns->network_queries, 0);
	atomic_init(&dns->timeouts, 0);
	if (cfg->cache_entries > 0 &&
	    (rc = ag_dns_cache_new(&dns->cache, cfg->cache_entries)) !=
		    AG_OK) {
		ag_err_set(err, rc, "dns: cannot create the cache");
		goto out;
	}
	*dns_r = dns;
	dns = NULL;
	rc = AG_OK;
out:
	ag_dns_free(&dns);
	return rc;
}

/* ag_dns_new - a network resolver: configured nameservers or resolv.conf */
int
ag_dns_new(struct ag_dns **dns_r, const struct ag_dns_config *cfg,
	   struct ag_err *err)
{
	struct ag_dns *dns = NULL;
	int rc;

	if ((rc = dns_create(&dns, cfg, err)) != AG_OK)
		goto out;
	if (cfg->n_nameservers == 0) {
		rc = ag_dns_ns_resolvconf(DNS_RESOLV_CONF, dns->net.ns,
					  AG_DNS_MAX_NS, &dns->net.n_ns);
		if (rc != AG_OK)
			goto out;
	}
	for (unsigned i = 0; i < cfg->n_nameservers; i++) {
		if (ag_dns_ns_parse(cfg->nameservers[i], &dns->net.ns[i]) !=
		    AG_OK) {
			rc = ag_err_set(err, AG_EINVAL,
					"dns: bad nameserver '%s' (want addr, "
					"addr:port or [v6addr]:port)",
					cfg->nameservers[i]
						? cfg->nameservers[i]
						: "(null)");
			goto out;
		}
		dns->net.n_ns = i + 1;
	}
	*dns_r = dns;
	dns = NULL;
out:
	ag_dns_free(&dns);
	return rc;
}

/* ag_dns_new_zone - a resolver answering from an in-memory zone */
int
ag_dns_new_zone(struct ag_dns **dns_r, const struct ag_dns_config *cfg,
		const struct ag_dns_zone *zone, struct ag_err *err)
{
	struct ag_dns *dns = NULL;
	int rc;

	if (zone == NULL) {
		rc = ag_err_set(err, AG_EINVAL, "dns: no zone");
		goto out;
	}
	if ((rc = dns_create(&dns, cfg, err)) != AG_OK)
		goto out;
	dns->zone = zone;
	*dns_r = dns;
	dns = NULL;
out:
	ag_dns_free(&dns);
	return rc;
}

/* ag_dns_free - free the resolver and its cache */
void
ag_dns_free(struct ag_dns **dns)
{
	if (dns == NULL || *dns == NULL)
		return;
	ag_dns_cache_free(&(*dns)->cache);
	free(*dns);
	*dns = NULL;
}

/* ag_dns_set_clock - replace the cache clock (tests) */
void
ag_dns_set_clock(struct ag_dns *dns, uint64_t (*now_ms)(void *arg),
		 void *arg)
{
	if (dns->cache != NULL)
		ag_dns_cache_set_clock(dns->cache, now_ms, arg);
}

/* ag_dns_stats - snapshot of the counters */
void
ag_dns_stats(struct ag_dns *dns, struct ag_dns_stats *st_r)
{
	st_r->queries = atomic_load(&dns->queries);
	st_r->cache_hits = atomic_load(&dns->cache_hits);
	st_r->network_queries = atomic_load(&dns->network_queries);
	st_r->timeouts = atomic_load(&dns->timeouts);
	st_r->cache_entries =
		dns->cache != NULL ? ag_dns_cache_count(dns->cache) : 0;
}

/* dns_resolve - ask the zone or the network for n, type; no cache */
static int
dns_resolve(struct ag_dns *dns, const struct dns_name *n, uint16_t type,
	    struct ag_dns_answer **ans_r)
{
	enum ag_dns_status st = AG_DNS_ERROR;
	ldns_pkt *pkt = NULL;
	int rc, timeout = 0;

	if (dns->zone != NULL) {
		rc = ag_dns_zone_answer(dns->zone, n->text, type, &pkt,
					&timeout);
		if (rc == AG_ENOMEM)
			goto out;
		st = timeout ? AG_DNS_TIMEOUT : AG_DNS_ERROR;
	} else if ((rc = ag_dns_net_query(&dns->net, n->dname, type, &pkt,
					  &st)) != AG_OK) {
		goto out;
	}
	if (pkt != NULL) {
		rc = ag_dns_pkt_answer(pkt, n->dname, type, dns->ttl_cap,
				    dns->negative_ttl, ans_r);
		goto out;
	}
	rc = AG_ENOMEM;
	if ((*ans_r = ag_dns_answer_new(st, type, 0)) != NULL)
		rc = AG_OK;
out:
	ldns_pkt_free(pkt);
	return rc;
}

/* ag_dns_query - the answer for (name, type): cache first, then the source */
int
ag_dns_query(struct ag_dns *dns, const char *name, uint16_t type,
	     struct ag_dns_answer **ans_r)
{
	struct ag_dns_answer *ans = NULL;
	struct dns_name n = { 0 };
	char plain[DNS_PLAIN_MAX + 1];
	const char *key;
	int rc = AG_EINVAL;

	if (dns == NULL || ans_r == NULL || name == NULL)
		goto out;
	/* a plain name's key needs no ldns: parse it only on a miss */
	if (dns->cache != NULL && dns_name_plain_key(name, plain))
		key = plain;
	else if ((rc = dns_name_prepare(name, &n)) != AG_OK)
		goto out;
	else
		key = n.key;
	atomic_fetch_add(&dns->queries, 1);
	if (dns->cache != NULL &&
	    (rc = ag_dns_cache_get(dns->cache, key, type, &ans)) != 0) {
		if (rc < 0)
			goto out;
		atomic_fetch_add(&dns->cache_hits, 1);
		goto done;
	}
	if (n.dname == NULL && (rc = dns_name_prepare(name, &n)) != AG_OK)
		goto out;
	atomic_fetch_add(&dns->network_queries, 1);
	if ((rc = dns_resolve(dns, &n, type, &ans)) != AG_OK)
		goto out;
	if (ans->status == AG_DNS_TIMEOUT)
		atomic_fetch_add(&dns->timeouts, 1);
	if (dns->cache != NULL)
		ag_dns_cache_put(dns->cache, n.key, type, ans);
done:
	*ans_r = ans;
	ans = NULL;
	rc = AG_OK;
out:
	ag_dns_answer_free(&ans);
	dns_name_free(&n);
	return rc;
}

/* ag_dns_nameserver_valid - parse without keeping the result */
bool
ag_dns_nameserver_valid(const char *text)
{
	struct ag_dns_ns ns;

	return ag_dns_ns_parse(text, &ns) == AG_OK;
}
