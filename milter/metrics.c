/*
 * milter/metrics.c - Prometheus text exposition of the milter's counters
 *
 * Counters are process-wide atomics bumped once per message, after the
 * verdict: a scrape never blocks a message. DNS figures come from the
 * current configuration's resolver (they start again at a reload, which
 * Prometheus reads as a counter reset), history figures from the history
 * writer. The listener is deliberately minimal, HTTP/1.0 with one request
 * per connection, and only on loopback (ag_metrics_check_listen): it
 * serves numbers, not mail data, but nothing here is meant to face a
 * network.
 */
#include "milter/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "milter/callbacks.h"
#include "milter/history.h"
#include "milter/snapshot.h"
#include "util/dns.h"
#include "util/log.h"

#define M_SPF 7	  /* enum ag_spf_result */
#define M_DKIM 7  /* enum ag_dkim_result */
#define M_DMARC 5 /* enum ag_dmarc_result */
#define M_ARC 3	  /* enum ag_arc_result */
#define M_VERDICTS 5

static const char *const verdict_name[M_VERDICTS] = {
	"accept", "reject", "tempfail", "discard", "quarantine"
};

/* upper bounds of the latency buckets, seconds */
static const double bucket_le[] = { 0.001, 0.0025, 0.005, 0.01, 0.025,
				    0.05,  0.1,    0.25,  0.5,  1,
				    2.5,   5,      10,    30 };
#define M_BUCKETS (sizeof(bucket_le) / sizeof(bucket_le[0]))

static struct {
	atomic_ulong messages;
	atomic_ulong verdict[M_VERDICTS];
	atomic_ulong spf[M_SPF], spf_skipped;
	atomic_ulong dkim[M_DKIM], dkim_unsigned, signed_msgs, signatures;
	atomic_ulong dmarc[M_DMARC];
	atomic_ulong arc[M_ARC], arc_sealed;
	atomic_ulong internal_errors;
	atomic_ulong bucket[M_BUCKETS]; /* not cumulative; summed at render */
	atomic_ulong latency_us;	/* sum */
	atomic_ulong scrapes;
} m;

static int listen_fd = -1;
static pthread_t listener;
static atomic_bool stopping;
static bool running;

void
ag_metrics_message(const struct ag_session *s, const struct ag_outcome *o)
{
	const struct ag_message *msg = &s->msg;
	struct timespec now;
	unsigned long us;
	unsigned i, v;

	atomic_fetch_add_explicit(&m.messages, 1, memory_order_relaxed);
	v = (unsigned)o->verdict;
	if (o->verdict == AG_OUT_ACCEPT && o->quarantine[0] != '\0')
		v = 4;
	if (v < M_VERDICTS)
		atomic_fetch_add_explicit(&m.verdict[v], 1,
					  memory_order_relaxed);
	if (msg->error != 0)
		atomic_fetch_add_explicit(&m.internal_errors, 1,
					  memory_order_relaxed);
	if (msg->spf_mf_done && (unsigned)msg->spf_mf.result < M_SPF)
		atomic_fetch_add_explicit(&m.spf[msg->spf_mf.result], 1,
					  memory_order_relaxed);
	else if (msg->spf_skipped)
		atomic_fetch_add_explicit(&m.spf_skipped, 1,
					  memory_order_relaxed);
	if (msg->dkim_verified && msg->dkim.count == 0)
		atomic_fetch_add_explicit(&m.dkim_unsigned, 1,
					  memory_order_relaxed);
	for (i = 0; i < msg->dkim.count; i++)
		if ((unsigned)msg->dkim.sig[i].result < M_DKIM)
			atomic_fetch_add_explicit(
				&m.dkim[msg->dkim.sig[i].result], 1,
				memory_order_relaxed);
	if (msg->dkim_signed > 0) {
		atomic_fetch_add_explicit(&m.signed_msgs, 1,
					  memory_order_relaxed);
		atomic_fetch_add_explicit(&m.signatures, msg->dkim_signed,
					  memory_order_relaxed);
	}
	for (i = 0; i < msg->ndmarc; i++)
		if ((unsigned)msg->dmarc[i].result < M_DMARC)
			atomic_fetch_add_explicit(
				&m.dmarc[msg->dmarc[i].result], 1,
				memory_order_relaxed);
	if (msg->arc_res != NULL && (unsigned)msg->arc_res->result < M_ARC)
		atomic_fetch_add_explicit(&m.arc[msg->arc_res->result], 1,
					  memory_order_relaxed);
	if (msg->arc_sealed && o->verdict == AG_OUT_ACCEPT)
		atomic_fetch_add_explicit(&m.arc_sealed, 1,
					  memory_order_relaxed);
	if (msg->start.tv_sec == 0 && msg->start.tv_nsec == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (unsigned long)((now.tv_sec - msg->start.tv_sec) * 1000000L +
			     (now.tv_nsec - msg->start.tv_nsec) / 1000);
	atomic_fetch_add_explicit(&m.latency_us, us, memory_order_relaxed);
	for (i = 0; i < M_BUCKETS; i++)
		if ((double)us / 1e6 <= bucket_le[i])
			break;
	if (i < M_BUCKETS)
		atomic_fetch_add_explicit(&m.bucket[i], 1,
					  memory_order_relaxed);
}

/* a bounded string builder: out of room, it keeps counting */
struct out {
	char *buf;
	size_t size, len;
};

static void __attribute__((format(printf, 2, 3)))
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->len < o->size ? o->buf + o->len : NULL,
		      o->len < o->size ? o->size - o->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static void
family(struct out *o, const char *name, const char *type, const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static unsigned long
get(atomic_ulong *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}

size_t
ag_metrics_render(char *buf, size_t size)
{
	struct out o = { buf, size, 0 };
	struct ag_dns_stats dns = { 0, 0, 0, 0, 0 };
	struct ag_history_stats hist;
	struct ag_config *cfg = ag_snapshot_get();
	bool have_hist;
	unsigned long cum = 0;
	unsigned i;

	if (size > 0)
		buf[0] = '\0';
	if (cfg != NULL && cfg->dns != NULL)
		ag_dns_stats(cfg->dns, &dns);
	ag_config_unref(&cfg);
	have_hist = ag_milter_history_stats(&hist);

	family(&o, "authgate_messages_total", "counter",
	       "Messages that reached a verdict.");
	put(&o, "authgate_messages_total %lu\n", get(&m.messages));
	family(&o, "authgate_verdicts_total", "counter",
	       "Messages by verdict (quarantine: accepted into the hold "
	       "queue).");
	for (i = 0; i < M_VERDICTS; i++)
		put(&o, "authgate_verdicts_total{verdict=\"%s\"} %lu\n",
		    verdict_name[i], get(&m.verdict[i]));
	family(&o, "authgate_internal_errors_total", "counter",
	       "Messages that met an internal failure (answered per "
	       "OnInternalError).");
	put(&o, "authgate_internal_errors_total %lu\n",
	    get(&m.internal_errors));
	family(&o, "authgate_spf_results_total", "counter",
	       "SPF results for MAIL FROM (skipped: internal or "
	       "authenticated client).");
	for (i = 0; i < M_SPF; i++)
		put(&o, "authgate_spf_results_total{result=\"%s\"} %lu\n",
		    ag_spf_result_name((enum ag_spf_result)i), get(&m.spf[i]));
	put(&o, "authgate_spf_results_total{result=\"skipped\"} %lu\n",
	    get(&m.spf_skipped));
	family(&o, "authgate_dkim_results_total", "counter",
	       "DKIM verification results, one per signature (none: an "
	       "unsigned message).");
	put(&o, "authgate_dkim_results_total{result=\"none\"} %lu\n",
	    get(&m.dkim_unsigned));
	for (i = 1; i < M_DKIM; i++)
		put(&o, "authgate_dkim_results_total{result=\"%s\"} %lu\n",
		    ag_dkim_result_name((enum ag_dkim_result)i),
		    get(&m.dkim[i]));
	family(&o, "authgate_dkim_signed_messages_total", "counter",
	       "Outbound messages signed.");
	put(&o, "authgate_dkim_signed_messages_total %lu\n",
	    get(&m.signed_msgs));
	family(&o, "authgate_dkim_signatures_total", "counter",
	       "DKIM signatures added.");
	put(&o, "authgate_dkim_signatures_total %lu\n", get(&m.signatures));
	family(&o, "authgate_dmarc_results_total", "counter",
	       "DMARC results, one per author domain evaluated.");
	for (i = 0; i < M_DMARC; i++)
		put(&o, "authgate_dmarc_results_total{result=\"%s\"} %lu\n",
		    ag_dmarc_result_name((enum ag_dmarc_result)i),
		    get(&m.dmarc[i]));
	family(&o, "authgate_arc_results_total", "counter",
	       "ARC chain validations of inbound messages (RFC 8617).");
	for (i = 0; i < M_ARC; i++)
		put(&o, "authgate_arc_results_total{result=\"%s\"} %lu\n",
		    ag_arc_result_name((enum ag_arc_result)i), get(&m.arc[i]));
	family(&o, "authgate_arc_sealed_total", "counter",
	       "ARC sets added (messages sealed).");
	put(&o, "authgate_arc_sealed_total %lu\n", get(&m.arc_sealed));
	family(&o, "authgate_message_duration_seconds", "histogram",
	       "Time from MAIL FROM to the verdict.");
	for (i = 0; i < M_BUCKETS; i++) {
		cum += get(&m.bucket[i]);
		put(&o,
		    "authgate_message_duration_seconds_bucket{le=\"%g\"} %lu\n",
		    bucket_le[i], cum);
	}
	{
		/* +Inf and _count from one read, so they agree */
		unsigned long n = get(&m.messages);

		put(&o,
		    "authgate_message_duration_seconds_bucket{le=\"+Inf\"} "
		    "%lu\n", n < cum ? cum : n);
		put(&o, "authgate_message_duration_seconds_sum %.6f\n",
		    (double)get(&m.latency_us) / 1e6);
		put(&o, "authgate_message_duration_seconds_count %lu\n",
		    n < cum ? cum : n);
	}
	family(&o, "authgate_connections_active", "gauge",
	       "MTA connections open now.");
	put(&o, "authgate_connections_active %u\n", ag_milter_active());
	family(&o, "authgate_dns_queries_total", "counter",
	       "DNS lookups asked (since start or the last reload).");
	put(&o, "authgate_dns_queries_total %lu\n", dns.queries);
	family(&o, "authgate_dns_cache_hits_total", "counter",
	       "DNS lookups answered from the cache.");
	put(&o, "authgate_dns_cache_hits_total %lu\n", dns.cache_hits);
	family(&o, "authgate_dns_network_queries_total", "counter",
	       "DNS lookups sent to the nameservers.");
	put(&o, "authgate_dns_network_queries_total %lu\n",
	    dns.network_queries);
	family(&o, "authgate_dns_timeouts_total", "counter",
	       "DNS lookups that got no answer in time.");
	put(&o, "authgate_dns_timeouts_total %lu\n", dns.timeouts);
	family(&o, "authgate_dns_cache_entries", "gauge",
	       "Answers held in the DNS cache.");
	put(&o, "authgate_dns_cache_entries %lu\n", dns.cache_entries);
	if (have_hist) {
		family(&o, "authgate_history_queue_depth", "gauge",
		       "DMARC history rows waiting to be written.");
		put(&o, "authgate_history_queue_depth %u\n", hist.depth);
		family(&o, "authgate_history_written_total", "counter",
		       "DMARC history rows committed to the store.");
		put(&o, "authgate_history_written_total %lu\n", hist.written);
		family(&o, "authgate_history_dropped_total", "counter",
		       "DMARC history rows dropped (queue full or a failed "
		       "write).");
		put(&o, "authgate_history_dropped_total %lu\n", hist.dropped);
		family(&o, "authgate_history_store_failures_total", "counter",
		       "Errors from the history store.");
		put(&o, "authgate_history_store_failures_total %lu\n",
		    hist.failures);
	}
	family(&o, "authgate_metrics_scrapes_total", "counter",
	       "Requests served by this endpoint.");
	put(&o, "authgate_metrics_scrapes_total %lu\n", get(&m.scrapes));
	return o.len;
}

/* parse_listen - "inet:PORT@ADDR", "inet6:PORT@ADDR", "ADDR:PORT" or
 * "[ADDR]:PORT" into a socket address; loopback addresses only */
static int
parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
	     struct ag_err *err)
{
	char host[128], port[16];
	const char *at, *colon;
	struct addrinfo hints, *res = NULL;
	unsigned long p;
	char *end;
	bool loop = false;
	int rc;

	if (strncmp(spec, "inet:", 5) == 0 || strncmp(spec, "inet6:", 6) == 0) {
		spec = strchr(spec, ':') + 1;
		if ((at = strchr(spec, '@')) == NULL ||
		    (size_t)(at - spec) >= sizeof(port) ||
		    strlen(at + 1) >= sizeof(host))
			goto bad;
		snprintf(port, sizeof(port), "%.*s", (int)(at - spec), spec);
		snprintf(host, sizeof(host), "%s", at + 1);
	} else if (spec[0] == '[') {
		if ((colon = strstr(spec, "]:")) == NULL ||
		    (size_t)(colon - spec - 1) >= sizeof(host) ||
		    strlen(colon + 2) >= sizeof(port))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec - 1),
			 spec + 1);
		snprintf(port, sizeof(port), "%s", colon + 2);
	} else {
		if ((colon = strrchr(spec, ':')) == NULL ||
		    (size_t)(colon - spec) >= sizeof(host) ||
		    strlen(colon + 1) >= sizeof(port))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
		snprintf(port, sizeof(port), "%s", colon + 1);
	}
	errno = 0;
	p = strtoul(port, &end, 10);
	if (port[0] == '\0' || *end != '\0' || errno != 0 || p == 0 ||
	    p > 65535)
		goto bad;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0 || res == NULL ||
	    res->ai_addrlen > sizeof(*ss)) {
		if (res != NULL)
			freeaddrinfo(res);
		return ag_err_set(err, AG_EINVAL,
				  "MetricsListen: '%s' is not a numeric "
				  "address", host);
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = (socklen_t)res->ai_addrlen;
	freeaddrinfo(res);
	if (ss->ss_family == AF_INET)
		loop = (ntohl(((struct sockaddr_in *)ss)->sin_addr.s_addr) >>
			24) == 127;
	else if (ss->ss_family == AF_INET6)
		loop = IN6_IS_ADDR_LOOPBACK(
			&((struct sockaddr_in6 *)ss)->sin6_addr);
	if (!loop)
		return ag_err_set(err, AG_EINVAL,
				  "MetricsListen: %s is not a loopback "
				  "address (127.0.0.0/8 or ::1); the "
				  "endpoint has no authentication", host);
	return AG_OK;
bad:
	return ag_err_set(err, AG_EINVAL,
			  "MetricsListen: want inet:PORT@ADDR or ADDR:PORT "
			  "with a loopback ADDR, got '%s'", spec);
}

int
ag_metrics_check_listen(const char *spec, struct ag_err *err)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return parse_listen(spec, &ss, &len, err);
}

/* io_wait - wait for fd to be ready, bounded by the deadline */
static bool
io_wait(int fd, short ev, const struct timespec *deadline)
{
	struct pollfd p = { fd, ev, 0 };
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	if (ms <= 0)
		return false;
	return poll(&p, 1, (int)ms) == 1 && (p.revents & ev) != 0;
}

static void
send_all(int fd, const char *p, size_t n, const struct timespec *deadline)
{
	ssize_t w;

	while (n > 0 && io_wait(fd, POLLOUT, deadline)) {
		w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void
respond(int fd, const char *status, const char *type, const char *body,
	size_t len, const struct timespec *deadline)
{
	char head[256];
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: "
		     "%zu\r\nConnection: close\r\n\r\n",
		     status, type, len);
	send_all(fd, head, (size_t)n, deadline);
	send_all(fd, body, len, deadline);
}

/* serve - read one request line (bounded in size and time), answer it */
static void
serve(int fd)
{
	char req[AG_METRICS_REQ_MAX + 1], *body = NULL;
	struct timespec deadline;
	size_t got = 0, need, size = 16384;
	ssize_t r;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += AG_METRICS_IO_MS / 1000;
	while (got < AG_METRICS_REQ_MAX && memchr(req, '\n', got) == NULL &&
	       io_wait(fd, POLLIN, &deadline)) {
		r = recv(fd, req + got, AG_METRICS_REQ_MAX - got, MSG_DONTWAIT);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	req[got] = '\0';
	if (memchr(req, '\n', got) == NULL) {
		respond(fd, "400 Bad Request", "text/plain", "bad request\n",
			12, &deadline);
		return;
	}
	if (strncmp(req, "GET ", 4) != 0) {
		respond(fd, "405 Method Not Allowed", "text/plain",
			"GET only\n", 9, &deadline);
		return;
	}
	if (strncmp(strchr(req, ' ') + 1, "/metrics", 8) != 0 ||
	    (strchr(req, ' ')[9] != ' ' && strchr(req, ' ')[9] != '?' &&
	     strchr(req, ' ')[9] != '\r' && strchr(req, ' ')[9] != '\n')) {
		respond(fd, "404 Not Found", "text/plain",
			"try /metrics\n", 13, &deadline);
		return;
	}
	atomic_fetch_add(&m.scrapes, 1);
	for (int i = 0; i < 4; i++) {	/* grows at most three times */
		free(body);
		if ((body = malloc(size)) == NULL)
			break;
		need = ag_metrics_render(body, size);
		if (need < size) {
			respond(fd, "200 OK",
				"text/plain; version=0.0.4; charset=utf-8",
				body, need, &deadline);
			free(body);
			return;
		}
		size = need + 1;
	}
	free(body);
	respond(fd, "500 Internal Server Error", "text/plain",
		"out of memory\n", 14, &deadline);
}

static void *
listener_main(void *arg)
{
	struct pollfd p;
	int c;

	(void)arg;
	while (!atomic_load(&stopping)) { /* ends: ag_metrics_stop() */
		p.fd = listen_fd;
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, 500) != 1)
			continue;
		if ((c = accept(listen_fd, NULL, NULL)) < 0)
			continue;
		serve(c);
		close(c);
	}
	return NULL;
}

int
ag_metrics_start(const char *spec, struct ag_err *err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, rc;

	if (spec == NULL || spec[0] == '\0' || running)
		return AG_OK;
	if ((rc = parse_listen(spec, &ss, &len, err)) != AG_OK)
		return rc;
	listen_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		return ag_err_set(err, AG_EINTERNAL, "MetricsListen: socket: "
				  "%s", strerror(errno));
	(void)setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one,
			 sizeof(one));
	if (bind(listen_fd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(listen_fd, 16) != 0) {
		rc = ag_err_set(err, AG_EINVAL, "MetricsListen %s: %s", spec,
				strerror(errno));
		close(listen_fd);
		listen_fd = -1;
		return rc;
	}
	atomic_store(&stopping, false);
	if (pthread_create(&listener, NULL, listener_main, NULL) != 0) {
		close(listen_fd);
		listen_fd = -1;
		return ag_err_set(err, AG_EINTERNAL,
				  "MetricsListen: cannot start its thread");
	}
	running = true;
	return AG_OK;
}

void
ag_metrics_stop(void)
{
	if (!running)
		return;
	atomic_store(&stopping, true);
	pthread_join(listener, NULL);
	close(listen_fd);
	listen_fd = -1;
	running = false;
}
