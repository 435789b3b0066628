/*
 * spf/spf.c - SPF (RFC 7208) check_host() on libspf2
 *
 * Each check builds its own libspf2 server, request and response around a
 * struct spf_layer on the stack (spf/dns_layer.c), so checks share no
 * mutable state; building a server costs two tiny record compilations and
 * a gethostname() (measured: about 1.3 microseconds for server, request
 * and free together, against tens of microseconds for a check served from
 * memory, so per-check creation is cheap). We drive SPF_record_interpret() ourselves instead of
 * SPF_request_query_mailfrom(), because that one passes every loopback
 * client without looking at DNS (not in RFC 7208), and because the initial
 * record lookup must not count as a term.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <ctype.h>
#include <idn2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spf2/spf.h>

#include "spf/spf.h"
#include "spf/spf_int.h"
#include "util/dns.h"

#define SPF_MAX_NAME 253	/* RFC 1035 2.3.4, presentation form */
#define SPF_MAX_LABEL 63
#define SPF_NO_LIBSPF2_LIMIT 1000	/* the term limit is the layer's */

static pthread_once_t spf_quiet_once = PTHREAD_ONCE_INIT;

/* spf_quiet - libspf2 warning/info/debug sink: libraries below milter/
 * do not log, and libspf2 would otherwise write to our stderr */
static void
spf_quiet(const char *file, int line, const char *msg)
{
	(void)file;
	(void)line;
	(void)msg;
}

/* spf_silence_libspf2 - set libspf2's process-wide message handlers once;
 * its error handler stays: libspf2 calls it only on its own assertion
 * failures, after which it cannot continue */
static void
spf_silence_libspf2(void)
{
	SPF_warning_handler = spf_quiet;
	SPF_info_handler = spf_quiet;
	SPF_debug_handler = spf_quiet;
}

struct ag_spf {
	char *receiver;		/* NULL: libspf2 asks gethostname() */
	unsigned max_dns_mech;
	unsigned max_void;
	struct ag_dns *dns;
};

/* one check_host() call's inputs */
struct spf_query {
	const char *domain;	/* <domain> of check_host() */
	const char *sender;	/* full <sender>, local part never empty */
	const char *helo;	/* for %{h} */
};

void
ag_spf_config_defaults(struct ag_spf_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_dns_mech = 10;
	cfg->max_void = 2;
}

int
ag_spf_new(struct ag_spf **spf_r, const struct ag_spf_config *cfg,
	   struct ag_dns *dns, struct ag_err *err)
{
	struct ag_spf *spf = NULL;
	int rc;

	if (cfg == NULL || dns == NULL) {
		rc = ag_err_set(err, AG_EINVAL, "spf: no config or resolver");
		goto out;
	}
	if (cfg->max_dns_mech == 0 || cfg->max_dns_mech > 100) {
		rc = ag_err_set(err, AG_EINVAL, "spf: max_dns_mech %u not in "
				"1..100", cfg->max_dns_mech);
		goto out;
	}
	pthread_once(&spf_quiet_once, spf_silence_libspf2);
	if ((spf = calloc(1, sizeof(*spf))) == NULL ||
	    (cfg->receiver != NULL &&
	     (spf->receiver = strdup(cfg->receiver)) == NULL)) {
		rc = ag_err_set(err, AG_ENOMEM, "spf: out of memory");
		goto out;
	}
	spf->max_dns_mech = cfg->max_dns_mech;
	spf->max_void = cfg->max_void;
	spf->dns = dns;
	*spf_r = spf;
	spf = NULL;
	rc = AG_OK;
out:
	ag_spf_free(&spf);
	return rc;
}

void
ag_spf_free(struct ag_spf **spf)
{
	if (spf == NULL || *spf == NULL)
		return;
	free((*spf)->receiver);
	free(*spf);
	*spf = NULL;
}

const char *
ag_spf_result_name(enum ag_spf_result r)
{
	static const char *const names[] = {
		"none", "neutral", "pass", "fail", "softfail", "temperror",
		"permerror"
	};

	if ((unsigned)r >= sizeof(names) / sizeof(names[0]))
		return "permerror";
	return names[r];
}

/* spf_domain_ok - a name check_host() may look up (RFC 7208 4.3): labels
 * of 1..63, at most 253 octets, more than one label, not a literal */
static bool
spf_domain_ok(const char *d)
{
	size_t len = strlen(d), label = 0;
	bool dot = false, alnum = false;

	if (len > 0 && d[len - 1] == '.')
		len--;
	if (len == 0 || len > SPF_MAX_NAME || d[0] == '[')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (d[i] == '.') {
			if (label == 0)
				return false;
			dot = true;
			label = 0;
			continue;
		}
		if (++label > SPF_MAX_LABEL)
			return false;
		if (isalnum((unsigned char)d[i]))
			alnum = true;
	}
	return dot && alnum && label > 0;
}

/* spf_map - our result for libspf2's */
static enum ag_spf_result
spf_map(SPF_result_t r)
{
	switch (r) {
	case SPF_RESULT_NEUTRAL:
		return AG_SPF_NEUTRAL;
	case SPF_RESULT_PASS:
		return AG_SPF_PASS;
	case SPF_RESULT_FAIL:
		return AG_SPF_FAIL;
	case SPF_RESULT_SOFTFAIL:
		return AG_SPF_SOFTFAIL;
	case SPF_RESULT_NONE:
		return AG_SPF_NONE;
	case SPF_RESULT_TEMPERROR:
		return AG_SPF_TEMPERROR;
	default:
		return AG_SPF_PERMERROR;
	}
}

/* spf_set_client - the client address into req; IPv4-mapped IPv6 is IPv4 */
static int
spf_set_client(SPF_request_t *req, const struct sockaddr *client)
{
	const struct sockaddr_in6 *s6;
	struct in_addr a4;

	if (client == NULL)
		return AG_EINVAL;
	if (client->sa_family == AF_INET) {
		SPF_request_set_ipv4(req,
				     ((const struct sockaddr_in *)client)
					     ->sin_addr);
		return AG_OK;
	}
	if (client->sa_family != AF_INET6)
		return AG_EINVAL;
	s6 = (const struct sockaddr_in6 *)client;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		memcpy(&a4, &s6->sin6_addr.s6_addr[12], 4);
		SPF_request_set_ipv4(req, a4);
	} else {
		SPF_request_set_ipv6(req, s6->sin6_addr);
	}
	return AG_OK;
}

/* spf_explain - fill out->explanation from the libspf2 response */
static void
spf_explain(struct ag_spf_outcome *out, const struct spf_layer *layer,
	    SPF_response_t *resp)
{
	const char *why = NULL;

	if (layer->abort == SPF_ABORT_MECH)
		why = "too many DNS-querying terms (RFC 7208 4.6.4)";
	else if (layer->abort == SPF_ABORT_VOID)
		why = "too many void lookups (RFC 7208 4.6.4)";
	else if (out->result == AG_SPF_FAIL && resp->explanation != NULL)
		why = resp->explanation;
	else if (out->result == AG_SPF_PERMERROR && layer->why != NULL)
		why = layer->why;
	else if (out->result == AG_SPF_PERMERROR && resp->err != SPF_E_SUCCESS)
		why = SPF_strerror(resp->err);
	if (why != NULL)
		snprintf(out->explanation, sizeof(out->explanation), "%s", why);
}

/* spf_run - check_host() for q with server/req already built */
static int
spf_run(struct spf_layer *layer, SPF_server_t *server, SPF_request_t *req,
	struct ag_spf_outcome *out)
{
	SPF_response_t *resp = NULL;
	SPF_record_t *rec = NULL;
	SPF_errcode_t err;
	int rc = AG_ENOMEM;

	if ((resp = SPF_response_new(req)) == NULL)
		goto out;
	err = spf_layer_get_record(server, req, resp, &rec);
	if (err == SPF_E_SUCCESS) {
		resp->spf_record_exp = rec;
		SPF_record_interpret(rec, req, resp, 0);
		out->result = spf_map(resp->result);
	} else if (layer->rec_status == SPF_REC_NONE) {
		out->result = AG_SPF_NONE;
	} else if (layer->rec_status == SPF_REC_TEMP) {
		out->result = AG_SPF_TEMPERROR;
	} else {
		out->result = AG_SPF_PERMERROR;
		resp->err = err;
	}
	if (layer->abort == SPF_ABORT_NOMEM)
		goto out;
	/* the layer stopped libspf2 with TRY_AGAIN; the RFC says permerror */
	if (layer->abort != SPF_ABORT_NONE)
		out->result = AG_SPF_PERMERROR;
	spf_explain(out, layer, resp);
	out->dns_lookups = layer->mech > layer->max_mech ? layer->max_mech + 1
							 : layer->mech;
	out->void_lookups = layer->voids;
	rc = AG_OK;
out:
	if (rec != NULL)
		SPF_record_free(rec);
	if (resp != NULL)
		SPF_response_free(resp);
	return rc;
}

/* spf_layer_client - the client address, and %{i}, for the layer */
static void
spf_layer_client(struct spf_layer *layer, const SPF_request_t *req)
{
	char *p = layer->ip_text;

	layer->af = req->client_ver;
	if (layer->af == AF_INET) {
		memcpy(layer->client, &req->ipv4, 4);
		inet_ntop(AF_INET, &req->ipv4, layer->ip_text,
			  sizeof(layer->ip_text));
		return;
	}
	memcpy(layer->client, &req->ipv6, 16);
	/* RFC 7208 7.3: IPv6 %{i} is dot-separated nibbles */
	for (int i = 0; i < 16; i++)
		p += snprintf(p, 5, "%x.%x.", req->ipv6.s6_addr[i] >> 4,
			      req->ipv6.s6_addr[i] & 0xf);
	p[-1] = '\0';
}

/* spf_server_new - a libspf2 server on layer, with our limits and an
 * empty default explanation (a fail without a usable exp= then has no
 * explanation rather than libspf2's openspf.org URL) */
static SPF_server_t *
spf_server_new(const struct ag_spf *spf, struct spf_layer *layer)
{
	SPF_server_t *server;
	SPF_response_t *scratch = NULL;
	bool ok;

	if ((server = SPF_server_new_dns(&layer->dns, 0)) == NULL)
		return NULL;
	SPF_server_set_max_dns_mech(server, SPF_NO_LIBSPF2_LIMIT);
	SPF_server_set_max_dns_mx(server, SPF_LAYER_NAMES);
	SPF_server_set_max_dns_ptr(server, SPF_LAYER_NAMES);
	ok = SPF_server_set_explanation(server, "", &scratch) ==
	     SPF_E_SUCCESS;
	if (scratch != NULL)
		SPF_response_free(scratch);
	if (ok && spf->receiver != NULL)
		ok = SPF_server_set_rec_dom(server, spf->receiver) ==
		     SPF_E_SUCCESS;
	if (!ok) {
		SPF_server_free(server);
		server = NULL;
	}
	return server;
}

/* a spf_query with its domain as A-labels, and the storage for it */
struct spf_idna_query {
	struct spf_query q;
	char domain[SPF_MAX_NAME + 2];
	char *sender;
};

/* spf_idna - a U-label domain (SMTPUTF8) is looked up as A-labels (RFC
 * 8616 4); *qp then points into idna, whose sender the caller frees.
 * AG_EINVAL when the domain is not a valid IDN */
static int
spf_idna(const struct spf_query **qp, struct spf_idna_query *idna)
{
	const struct spf_query *q = *qp;
	const char *at;
	char *a = NULL;
	size_t local, n;
	bool ascii = true;

	idna->sender = NULL;
	for (const char *p = q->domain; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			ascii = false;
	if (ascii)
		return AG_OK;
	if (idn2_to_ascii_8z(q->domain, &a, IDN2_NONTRANSITIONAL) !=
	    IDN2_OK)
		return AG_EINVAL;
	n = strlen(a);
	if (n >= sizeof(idna->domain)) {
		idn2_free(a);
		return AG_EINVAL;
	}
	memcpy(idna->domain, a, n + 1);
	idn2_free(a);
	at = strrchr(q->sender, '@');
	local = at != NULL ? (size_t)(at - q->sender) : 0;
	if ((idna->sender = malloc(local + n + 2)) == NULL)
		return AG_ENOMEM;
	snprintf(idna->sender, local + n + 2, "%.*s@%s", (int)local,
		 q->sender, idna->domain);
	idna->q = *q;
	idna->q.domain = idna->domain;
	idna->q.sender = idna->sender;
	*qp = &idna->q;
	return AG_OK;
}

/* spf_check - check_host(ip, q->domain, q->sender) into out_r */
static int
spf_check(const struct ag_spf *spf, const struct sockaddr *client,
	  const struct spf_query *q, struct ag_spf_outcome *out_r)
{
	struct spf_idna_query idna = { .sender = NULL };
	struct ag_spf_outcome out;
	struct spf_layer layer;
	SPF_server_t *server = NULL;
	SPF_request_t *req = NULL;
	int rc = AG_EINVAL;

	memset(&out, 0, sizeof(out));
	snprintf(out.domain, sizeof(out.domain), "%s", q->domain);
	if (client == NULL || (client->sa_family != AF_INET &&
			       client->sa_family != AF_INET6))
		goto out;
	if (spf_idna(&q, &idna) != AG_OK) {
		out.result = AG_SPF_NONE;	/* not a domain name */
		*out_r = out;
		rc = AG_OK;
		goto out;
	}
	if (!spf_domain_ok(q->domain)) {
		out.result = AG_SPF_NONE;	/* RFC 7208 4.3 */
		*out_r = out;
		rc = AG_OK;
		goto out;
	}
	spf_layer_init(&layer, spf->dns, spf->max_dns_mech, spf->max_void);
	rc = AG_ENOMEM;
	if ((server = spf_server_new(spf, &layer)) == NULL)
		goto out;
	if ((req = SPF_request_new(server)) == NULL)
		goto out;
	if ((rc = spf_set_client(req, client)) != AG_OK)
		goto out;
	rc = AG_ENOMEM;
	if (SPF_request_set_helo_dom(req, q->helo) != SPF_E_SUCCESS ||
	    SPF_request_set_env_from(req, q->sender) != SPF_E_SUCCESS)
		goto out;
	req->cur_dom = q->domain;
	layer.req = req;
	spf_layer_client(&layer, req);
	if ((rc = spf_run(&layer, server, req, &out)) == AG_OK)
		*out_r = out;
out:
	if (req != NULL)
		SPF_request_free(req);
	if (server != NULL)
		SPF_server_free(server);
	free(idna.sender);
	return rc;
}

int
ag_spf_check_helo(const struct ag_spf *spf, const struct sockaddr *client,
		  const char *helo, struct ag_spf_outcome *out_r)
{
	char sender[AG_SPF_DOMAIN_MAX + 16];
	struct spf_query q;

	if (spf == NULL || helo == NULL || out_r == NULL)
		return AG_EINVAL;
	/* RFC 7208 2.3: <sender> is postmaster@<helo> */
	if ((size_t)snprintf(sender, sizeof(sender), "postmaster@%s", helo) >=
	    sizeof(sender)) {
		memset(out_r, 0, sizeof(*out_r));
		out_r->result = AG_SPF_NONE;	/* too long to be a name */
		snprintf(out_r->domain, sizeof(out_r->domain), "%s", helo);
		return AG_OK;
	}
	q.domain = helo;
	q.sender = sender;
	q.helo = helo;
	return spf_check(spf, client, &q, out_r);
}

int
ag_spf_check_mailfrom(const struct ag_spf *spf, const struct sockaddr *client,
		      const char *helo, const char *mailfrom,
		      struct ag_spf_outcome *out_r)
{
	const char *at;
	char *sender = NULL;
	struct spf_query q;
	size_t len;
	int rc;

	if (spf == NULL || out_r == NULL)
		return AG_EINVAL;
	if (helo == NULL)
		helo = "";
	/* RFC 7208 2.4: a null reverse-path is checked as the HELO */
	if (mailfrom == NULL || mailfrom[0] == '\0')
		return ag_spf_check_helo(spf, client, helo, out_r);
	at = strrchr(mailfrom, '@');
	if (at == NULL) {
		/* no domain: not checkable, like an invalid domain */
		memset(out_r, 0, sizeof(*out_r));
		out_r->result = AG_SPF_NONE;
		return AG_OK;
	}
	/* RFC 7208 4.3: an empty local part is "postmaster" */
	len = strlen(mailfrom) + sizeof("postmaster");
	if ((sender = malloc(len)) == NULL)
		return AG_ENOMEM;
	snprintf(sender, len, "%s%s", at == mailfrom ? "postmaster" : "",
		 mailfrom);
	q.domain = at + 1;
	q.sender = sender;
	q.helo = helo;
	rc = spf_check(spf, client, &q, out_r);
	free(sender);
	return rc;
}
