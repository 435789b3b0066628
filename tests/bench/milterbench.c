/*
 * tests/bench/milterbench.c - load client for milters, speaking the MTA side
 * of the milter protocol the way Postfix does
 *
 * Use:     milterbench -s SOCKET [-s SOCKET...] [options] MESSAGE|DIR...
 *          (usage() lists the options)
 *          -n connections run at once, each in its own thread; each
 *          connection carries -c messages (Postfix reuses an SMTP session
 *          for several transactions) and is then closed and opened again,
 *          until -d seconds have passed after -w seconds of warm-up.
 *          Several -s milters are chained as Postfix chains smtpd_milters:
 *          every event goes to each milter in order, a reject from any of
 *          them ends the message, and each sees the same original message.
 *          --idle N opens N connections, stops after HELO and holds them
 *          for -d seconds (memory per idle connection).
 *          --rate R runs open loop: the connections together start R
 *          messages a second on a fixed schedule (connection i starts its
 *          k-th message at i/R + k*n/R seconds), whether or not earlier
 *          ones have finished, and latency runs from the scheduled start,
 *          so a milter that falls behind is charged for the wait (no
 *          coordinated omission). Without it the loop is closed: each
 *          connection sends its next message when the last one ended.
 * Output:  a human summary on stderr, and one line on stdout:
 *            result conns=N secs=S msgs=N rate=R [offered=R] p50_us=N p95_us=N
 *              p99_us=N max_us=N accept=N quarantine=N reject=N
 *              tempfail=N discard=N error=N signed=N ar_spf_pass=N
 *              ar_dkim_pass=N ar_dmarc_pass=N
 *          msgs, rate and the percentiles count messages finished inside
 *          the measured window; latency runs from MAIL FROM to the
 *          end-of-message reply of the last milter.
 * Owns:    its threads, their connections and buffers; the messages are
 *          read once and shared read-only.
 * Limits:  BENCH_CONNS_MAX connections, BENCH_MSGS_MAX message files,
 *          BENCH_LAT_MAX latency samples per thread (more are counted in
 *          the rate but not in the percentiles).
 * Errors:  exit 0 when the run completed (errors are counted, not fatal),
 *          1 on usage or unreadable input, 2 when nothing could connect.
 *
 * The milter connection and message parsing come from tests/tools/mtclient
 * (included, as mtclient.c includes them: the Makefile builds one program
 * per .c file).
 */

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../tools/mtclient/mtclient.h"
#include "../tools/mtclient/buf.c"
#include "../tools/mtclient/message.c"
#include "../tools/mtclient/wire.c"

#define BENCH_CONNS_MAX 4096
#define BENCH_MILTERS_MAX 4
#define BENCH_MSGS_MAX 10000
#define BENCH_LAT_MAX (1024 * 1024)
#define BENCH_ADDED_MAX 32	/* headers added per message, all milters */
#define BENCH_PEND_MAX (256 * 1024)	/* output held before a write */
#define BENCH_CHUNK 65535	/* Postfix's MILTER_CHUNK_SIZE */

enum verdict {
	V_ACCEPT, V_QUARANTINE, V_REJECT, V_TEMPFAIL, V_DISCARD, V_ERROR,
	V_COUNT
};
static const char *const verdict_name[V_COUNT] = {
	"accept", "quarantine", "reject", "tempfail", "discard", "error"
};

struct opts {
	const char *sock[BENCH_MILTERS_MAX];
	int nsock;
	int conns, per_conn, timeout, idle;
	unsigned long max_msgs;	/* per connection thread; 0: no limit */
	double secs, warm;
	double rate;		/* > 0: open loop, messages/s offered */
	const char *addr, *client_name, *helo, *from, *rcpt, *auth;
	const char *myhostname;
	unsigned long long body_size;	/* > 0: generated body of this size */
	struct mt_message *msg;
	size_t nmsg;
};

/* one milter of the chain on one connection */
struct peer {
	struct mt_conn conn;
	struct mt_buf pend;	/* packets not yet written (see queue()) */
	uint32_t proto;
	bool done;		/* accepted or ended for this message */
};

struct worker {
	const struct opts *o;
	pthread_t tid;
	int id;
	struct peer peer[BENCH_MILTERS_MAX];
	struct mt_buf out, in, mac;
	uint64_t count[V_COUNT];
	uint64_t measured, signed_, spf_pass, dkim_pass, dmarc_pass;
	uint32_t *lat;		/* microseconds, in the window */
	size_t nlat;
	unsigned long seq, sent;
	double next_at;		/* open loop: next scheduled start */
	bool quarantined, signed_now;
	int ar_spf, ar_dkim, ar_dmarc;
	/* headers the milters before this one added to the current message
	 * (Postfix's cleanup hands each milter the message as edited by
	 * the ones before it); owned, freed per message */
	char *added_name[BENCH_ADDED_MAX], *added_value[BENCH_ADDED_MAX];
	bool added_front[BENCH_ADDED_MAX];
	int nadded;
};

static double t_start, t_measure, t_stop;
static atomic_int connected_ok;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int flush(struct peer *p);
static double pace(struct worker *w);

/*
 * queue - add one packet to the milter's pending output. Like Postfix's
 * milter8 (one stream buffer flushed when a reply is due), packets are
 * written together when an answer is awaited: macros and their command go
 * out in one segment, never as two small writes that Nagle would hold.
 */
static int
queue(struct peer *p, char cmd, const void *data, size_t len)
{
	unsigned char head[5];

	mt_put32(head, (uint32_t)len + 1);
	head[4] = (unsigned char)cmd;
	if (mt_buf_append(&p->pend, head, sizeof head) != 0 ||
	    (len != 0 && mt_buf_append(&p->pend, data, len) != 0))
		return -1;
	/* a full stream buffer is written out, as Postfix's is: body
	 * chunks the milter does not answer must not pile up */
	return p->pend.len >= BENCH_PEND_MAX ? flush(p) : 0;
}

/* flush - write the pending packets */
static int
flush(struct peer *p)
{
	int rc;

	if (p->pend.len == 0)
		return 0;
	rc = wire_write(&p->conn, p->pend.data, p->pend.len,
	    wire_now_ms() + p->conn.timeout_s * 1000LL, 'w');
	mt_buf_reset(&p->pend);
	return rc;
}

/* send_macros - one SMFIC_MACRO packet: stage letter, name/value pairs
 * (NULL-terminated list) */
static int
send_macros(struct worker *w, struct peer *p, char stage,
    const char *const *kv)
{
	mt_buf_reset(&w->mac);
	if (mt_buf_append(&w->mac, &stage, 1) != 0)
		return -1;
	for (; kv[0] != NULL; kv += 2)
		if (kv[1] != NULL &&
		    (mt_buf_append_str(&w->mac, kv[0]) != 0 ||
		    mt_buf_append_str(&w->mac, kv[1]) != 0))
			return -1;
	return queue(p, SMFIC_MACRO, w->mac.data, w->mac.len);
}

/*
 * reply - read the milter's answer to one command: V_ACCEPT for continue
 * (the message goes on), else the verdict; *final_r is set when the milter
 * is done with this message (accept, reject, ...). At end of message the
 * edit actions before the verdict are looked at for DKIM-Signature and
 * Authentication-Results headers and a quarantine.
 */
static enum verdict
reply(struct worker *w, struct peer *p, const char *stage, bool *final_r)
{
	char cmd;
	int n;

	*final_r = false;
	if (flush(p) != 0)
		return V_ERROR;
	for (n = 0; n < 100000; n++) {	/* bounded: a milter that streams
					 * progress forever is an error */
		if (mt_conn_recv(&p->conn, stage, &cmd, &w->in) != 0)
			return V_ERROR;
		switch (cmd) {
		case SMFIR_CONTINUE:
			return V_ACCEPT;
		case SMFIR_ACCEPT:
			*final_r = true;
			return V_ACCEPT;
		case SMFIR_REJECT:
			*final_r = true;
			return V_REJECT;
		case SMFIR_TEMPFAIL:
			*final_r = true;
			return V_TEMPFAIL;
		case SMFIR_DISCARD:
			*final_r = true;
			return V_DISCARD;
		case SMFIR_REPLYCODE:
			*final_r = true;
			return w->in.len > 0 && w->in.data[0] == '4' ?
			    V_TEMPFAIL : V_REJECT;
		case SMFIR_PROGRESS:
			continue;
		case SMFIR_QUARANTINE:
			w->quarantined = true;
			continue;
		case SMFIR_ADDHEADER:
		case SMFIR_INSHEADER:
		case SMFIR_CHGHEADER: {
			const char *name = w->in.data;
			size_t off = cmd == SMFIR_ADDHEADER ? 0 : 4;
			const char *value;

			if (w->in.len <= off)
				continue;
			name = w->in.data + off;
			value = name + strnlen(name, w->in.len - off);
			value = value < w->in.data + w->in.len ? value + 1 :
			    "";
			if (strcasecmp(name, "DKIM-Signature") == 0)
				w->signed_now = true;
			if (cmd != SMFIR_CHGHEADER &&
			    w->nadded < BENCH_ADDED_MAX) {
				w->added_name[w->nadded] = strdup(name);
				w->added_value[w->nadded] = strdup(value);
				w->added_front[w->nadded] =
				    cmd == SMFIR_INSHEADER;
				if (w->added_name[w->nadded] != NULL &&
				    w->added_value[w->nadded] != NULL) {
					w->nadded++;
				} else {
					free(w->added_name[w->nadded]);
					free(w->added_value[w->nadded]);
				}
			}
			if (strcasecmp(name, "Authentication-Results") == 0) {
				w->ar_spf |= strstr(value, "spf=pass") != NULL;
				w->ar_dkim |= strstr(value, "dkim=pass") !=
				    NULL;
				w->ar_dmarc |= strstr(value, "dmarc=pass") !=
				    NULL;
			}
			continue;
		}
		case SMFIR_SKIP:
			return V_ACCEPT;
		default:	/* other edits: taken, not looked at */
			continue;
		}
	}
	mt_err("milter sent more than 100000 packets for %s", stage);
	return V_ERROR;
}

/* step_peer - send one command (after its macros, kv NULL for none) to
 * one milter and read its answer; no/nr: the stage's SMFIP_NO and SMFIP_NR
 * flags (a stage the milter skips or leaves unanswered) */
static enum verdict
step_peer(struct worker *w, struct peer *p, char macro_stage,
    const char *const *kv, char cmd, const void *data, size_t len,
    uint32_t no, uint32_t nr, const char *stage)
{
	enum verdict v;
	bool final;

	if (kv != NULL && send_macros(w, p, macro_stage, kv) != 0)
		return V_ERROR;
	if ((p->proto & no) != 0)
		return V_ACCEPT;
	if (queue(p, cmd, data, len) != 0)
		return V_ERROR;
	if ((p->proto & nr) != 0)
		return V_ACCEPT;
	v = reply(w, p, stage, &final);
	if (v == V_ACCEPT && final)
		p->done = true;
	return v;
}

/* step - one envelope command to every milter still in the message, in
 * chain order (smtpd's way); the first verdict other than continue ends
 * the message for all */
static enum verdict
step(struct worker *w, char macro_stage, const char *const *kv, char cmd,
    const void *data, size_t len, uint32_t no, uint32_t nr,
    const char *stage)
{
	enum verdict v;
	int i;

	for (i = 0; i < w->o->nsock; i++) {
		if (w->peer[i].done)
			continue;
		v = step_peer(w, &w->peer[i], macro_stage, kv, cmd, data, len,
		    no, nr, stage);
		if (v != V_ACCEPT)
			return v;
	}
	return V_ACCEPT;
}

static void
close_peers(struct worker *w)
{
	int i;

	for (i = 0; i < w->o->nsock; i++) {
		if (w->peer[i].conn.fd >= 0 &&
		    queue(&w->peer[i], SMFIC_QUIT, NULL, 0) == 0)
			(void)flush(&w->peer[i]);
		mt_conn_close(&w->peer[i].conn);
		mt_buf_reset(&w->peer[i].pend);
	}
}

/* open_peers - connect, negotiate, CONNECT and HELO with every milter */
static int
open_peers(struct worker *w)
{
	const struct opts *o = w->o;
	unsigned char neg[12];
	char cmd, buf[600];
	struct in_addr ia;
	size_t n;
	int i;
	enum verdict v;
	const char *conn_mac[] = { "j", o->myhostname, "{daemon_name}",
		"smtpd", "{daemon_addr}", "127.0.0.1", "v", "Postfix 3.7",
		"_", buf + 300, NULL, NULL };

	for (i = 0; i < o->nsock; i++) {
		struct peer *p = &w->peer[i];

		p->done = false;
		if (mt_conn_open(&p->conn, o->sock[i], o->timeout) != 0)
			goto fail;
		mt_put32(neg, 6);
		mt_put32(neg + 4, SMFI_CURR_ACTS);
		mt_put32(neg + 8, SMFI_CURR_PROT);
		if (mt_conn_send(&p->conn, SMFIC_OPTNEG, neg, 12) != 0 ||
		    mt_conn_recv(&p->conn, "optneg", &cmd, &w->in) != 0)
			goto fail;
		if (cmd != SMFIC_OPTNEG || w->in.len < 12) {
			mt_err("bad option negotiation reply from %s",
			    o->sock[i]);
			goto fail;
		}
		p->proto = mt_get32(w->in.data + 8);
	}
	/* CONNECT: hostname, family, port, address */
	snprintf(buf + 300, 300, "%s [%s]", o->client_name, o->addr);
	n = (size_t)snprintf(buf, 300, "%s", o->client_name) + 1;
	if (inet_pton(AF_INET, o->addr, &ia) == 1) {
		buf[n++] = SMFIA_INET;
		buf[n++] = (char)(25000 >> 8);
		buf[n++] = (char)(25000 & 0xff);
		n += (size_t)snprintf(buf + n, 300 - n, "%s", o->addr) + 1;
	} else {
		buf[n++] = SMFIA_INET6;
		buf[n++] = (char)(25000 >> 8);
		buf[n++] = (char)(25000 & 0xff);
		n += (size_t)snprintf(buf + n, 300 - n, "%s", o->addr) + 1;
	}
	v = step(w, SMFIC_CONNECT, conn_mac, SMFIC_CONNECT, buf, n,
	    SMFIP_NOCONNECT, SMFIP_NR_CONN, "connect");
	if (v != V_ACCEPT)
		goto fail;
	{
		const char *helo_mac[] = { NULL, NULL };

		v = step(w, SMFIC_HELO, helo_mac, SMFIC_HELO, o->helo,
		    strlen(o->helo) + 1, SMFIP_NOHELO, SMFIP_NR_HELO, "helo");
	}
	if (v != V_ACCEPT)
		goto fail;
	for (i = 0; i < o->nsock; i++)
		w->peer[i].done = false;
	atomic_fetch_add(&connected_ok, 1);
	return 0;
fail:
	close_peers(w);
	return -1;
}

/* send_body - the message body in chunks as Postfix sends them */
static enum verdict
send_body(struct worker *w, struct peer *p, const struct mt_message *m)
{
	const struct opts *o = w->o;
	static const char line[] =
	    "The quick brown fox jumps over the lazy dog, again and again "
	    "and again, to fill a large message body.\r\n";
	char chunk[BENCH_CHUNK];
	size_t off, n, i;
	enum verdict v = V_ACCEPT;

	if (o->body_size == 0) {
		for (off = 0; off < m->body.len && !p->done; off += n) {
			n = m->body.len - off;
			if (n > BENCH_CHUNK)
				n = BENCH_CHUNK;
			v = step_peer(w, p, 0, NULL, SMFIC_BODY,
			    m->body.data + off, n, SMFIP_NOBODY,
			    SMFIP_NR_BODY, "body");
			if (v != V_ACCEPT)
				return v;
		}
		return V_ACCEPT;
	}
	/* generated body: whole lines, never held in memory at once */
	for (i = 0; i + sizeof line - 1 <= sizeof chunk; i += sizeof line - 1)
		memcpy(chunk + i, line, sizeof line - 1);
	for (off = 0; off < o->body_size && !p->done; off += n) {
		n = i;
		if (o->body_size - off < n)
			n = (size_t)(o->body_size - off);
		v = step_peer(w, p, 0, NULL, SMFIC_BODY, chunk, n,
		    SMFIP_NOBODY, SMFIP_NR_BODY, "body");
		if (v != V_ACCEPT)
			return v;
	}
	return v;
}

/* send_header - one header to one milter */
static enum verdict
send_header(struct worker *w, struct peer *p, const char *name,
    const char *value)
{
	mt_buf_reset(&w->out);
	if (mt_buf_append_str(&w->out, name) != 0 ||
	    mt_buf_append_str(&w->out, value) != 0)
		return V_ERROR;
	return step_peer(w, p, 0, NULL, SMFIC_HEADER, w->out.data, w->out.len,
	    SMFIP_NOHDRS, SMFIP_NR_HDR, "header");
}

/* content - headers (with those added by earlier milters), body and end
 * of message to one milter, as Postfix's cleanup sends them */
static enum verdict
content(struct worker *w, struct peer *p, const struct mt_message *m,
    const char *const *qid_mac)
{
	enum verdict v = V_ACCEPT;
	bool final;
	int nadded = w->nadded, k;
	size_t i;

	for (k = nadded - 1; v == V_ACCEPT && k >= 0 && !p->done; k--)
		if (w->added_front[k])
			v = send_header(w, p, w->added_name[k],
			    w->added_value[k]);
	for (i = 0; v == V_ACCEPT && i < m->nhdr && !p->done; i++)
		v = send_header(w, p, m->hdr[i].name, m->hdr[i].raw);
	for (k = 0; v == V_ACCEPT && k < nadded && !p->done; k++)
		if (!w->added_front[k])
			v = send_header(w, p, w->added_name[k],
			    w->added_value[k]);
	if (v == V_ACCEPT && !p->done)
		v = step_peer(w, p, SMFIC_EOH, qid_mac, SMFIC_EOH, NULL, 0,
		    SMFIP_NOEOH, SMFIP_NR_EOH, "eoh");
	if (v == V_ACCEPT && !p->done)
		v = send_body(w, p, m);
	if (v != V_ACCEPT || p->done)
		return v;
	if (send_macros(w, p, SMFIC_BODYEOB, qid_mac) != 0 ||
	    queue(p, SMFIC_BODYEOB, NULL, 0) != 0)
		return V_ERROR;
	return reply(w, p, "eom", &final);
}

static void
forget_added(struct worker *w)
{
	int k;

	for (k = 0; k < w->nadded; k++) {
		free(w->added_name[k]);
		free(w->added_value[k]);
	}
	w->nadded = 0;
}

/* one_message - MAIL .. end of message through the chain */
static enum verdict
one_message(struct worker *w, const struct mt_message *m)
{
	const struct opts *o = w->o;
	char qid[32], from[300], rcpt[300];
	int k;
	enum verdict v;
	const char *mail_mac[] = { "i", qid, "{mail_addr}", o->from,
		"{auth_type}", o->auth != NULL ? "PLAIN" : NULL, NULL, NULL,
		NULL, NULL };
	const char *rcpt_mac[] = { "{rcpt_addr}", o->rcpt, NULL, NULL };
	const char *qid_mac[] = { "i", qid, NULL, NULL };

	if (o->auth != NULL) {
		mail_mac[6] = "{auth_authen}";
		mail_mac[7] = o->auth;
	}
	w->quarantined = w->signed_now = false;
	w->ar_spf = w->ar_dkim = w->ar_dmarc = 0;
	forget_added(w);
	for (k = 0; k < o->nsock; k++)
		w->peer[k].done = false;
	snprintf(qid, sizeof qid, "%X%06lX", w->id, ++w->seq);
	snprintf(from, sizeof from, "<%s>", o->from);
	snprintf(rcpt, sizeof rcpt, "<%s>", o->rcpt);
	v = step(w, SMFIC_MAIL, mail_mac, SMFIC_MAIL, from, strlen(from) + 1,
	    SMFIP_NOMAIL, SMFIP_NR_MAIL, "mail");
	if (v == V_ACCEPT)
		v = step(w, SMFIC_RCPT, rcpt_mac, SMFIC_RCPT, rcpt,
		    strlen(rcpt) + 1, SMFIP_NORCPT, SMFIP_NR_RCPT, "rcpt");
	if (v == V_ACCEPT)
		v = step(w, SMFIC_DATA, qid_mac, SMFIC_DATA, NULL, 0,
		    SMFIP_NODATA, SMFIP_NR_DATA, "data");
	for (k = 0; v == V_ACCEPT && k < o->nsock; k++)
		v = content(w, &w->peer[k], m, qid_mac);
	if (v != V_ACCEPT && v != V_ERROR) {
		/* the message ended early: the others forget it */
		for (k = 0; k < o->nsock; k++)
			if (w->peer[k].conn.fd >= 0 &&
			    (queue(&w->peer[k], SMFIC_ABORT, NULL, 0) != 0 ||
			    flush(&w->peer[k]) != 0))
				return V_ERROR;
	}
	if (v == V_ACCEPT && w->quarantined)
		v = V_QUARANTINE;
	return v;
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	size_t next = (size_t)w->id;
	double t0, t1;
	enum verdict v;
	int k;

	for (k = 0; k < o->nsock; k++) {
		w->peer[k].conn.fd = -1;	/* calloc's 0 is stdin */
		mt_buf_init(&w->peer[k].pend, MT_MESSAGE_MAX, "output");
	}
	mt_buf_init(&w->out, MT_MESSAGE_MAX, "command");
	mt_buf_init(&w->in, MT_PACKET_MAX, "reply");
	mt_buf_init(&w->mac, MT_MESSAGE_MAX, "macros");
	while (now_s() < t_stop &&
	    (o->max_msgs == 0 || w->sent < o->max_msgs)) {	/* ends: the
							 * clock or -N */
		if (open_peers(w) != 0) {
			w->count[V_ERROR]++;
			usleep(100000);
			continue;
		}
		if (o->idle) {
			while (now_s() < t_stop)
				usleep(100000);
			break;
		}
		for (k = 0; k < o->per_conn && now_s() < t_stop; k++) {
			if (o->max_msgs != 0 && w->sent >= o->max_msgs)
				break;
			w->sent++;
			t0 = o->rate > 0 ? pace(w) : now_s();
			v = one_message(w, &o->msg[next++ % o->nmsg]);
			t1 = now_s();
			if (t1 < t_measure || (t1 > t_stop && o->max_msgs == 0))
				continue;
			w->count[v]++;
			w->measured++;
			w->signed_ += w->signed_now;
			w->spf_pass += w->ar_spf;
			w->dkim_pass += w->ar_dkim;
			w->dmarc_pass += w->ar_dmarc;
			if (w->nlat < BENCH_LAT_MAX)
				w->lat[w->nlat++] = (uint32_t)((t1 - t0) * 1e6);
			if (v == V_ERROR)
				break;	/* the connection is unusable */
		}
		close_peers(w);
	}
	close_peers(w);
	forget_added(w);
	for (k = 0; k < o->nsock; k++)
		mt_buf_free(&w->peer[k].pend);
	mt_buf_free(&w->out);
	mt_buf_free(&w->in);
	mt_buf_free(&w->mac);
	return NULL;
}

/* pace - open loop: wait for this connection's next scheduled start and
 * return it (in the past when the milter is behind: no wait) */
static double
pace(struct worker *w)
{
	double at = w->next_at;
	struct timespec ts;

	w->next_at += w->o->conns / w->o->rate;
	if (at > now_s()) {
		ts.tv_sec = (time_t)at;
		ts.tv_nsec = (long)((at - (double)ts.tv_sec) * 1e9);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
		    NULL) == EINTR)
			;
	}
	return at;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: milterbench -s SOCKET [-s SOCKET...] [options] "
	    "MESSAGE|DIR...\n"
	    "  -s SOCKET     milter (inet:PORT@HOST, unix:/PATH); repeat to\n"
	    "                chain milters as Postfix does\n"
	    "  -n N          concurrent connections (1)\n"
	    "  -c N          messages per connection (10)\n"
	    "  -d SECS       measured run time (10)\n"
	    "  -w SECS       warm-up, not measured (1)\n"
	    "  -t SECS       timeout per reply (30)\n"
	    "  -a IP         client address (192.0.2.10)\n"
	    "  -H NAME       client host name (mail.example.test)\n"
	    "  -e HELO       HELO name (mail.example.test)\n"
	    "  -f ADDR       envelope sender (user@example.test)\n"
	    "  -r ADDR       recipient (user@authgate.test)\n"
	    "  -u USER       authenticated as USER ({auth_authen})\n"
	    "  -j NAME       our host name, macro j (mx.authgate.test)\n"
	    "  -N COUNT      stop after COUNT messages per connection thread\n"
	    "                (counted even when they end after -d)\n"
	    "  -b BYTES      generated body of BYTES bytes instead of the\n"
	    "                message's own body (streamed, not held)\n"
	    "  --idle N      hold N connections after HELO for -d seconds\n"
	    "  --rate R      open loop: R messages/s started on a schedule,\n"
	    "                latency from the scheduled start\n");
	exit(1);
}

/* load_path - one message file, or every regular file in a directory */
static int
load_path(struct opts *o, const char *path)
{
	struct stat st;
	struct dirent **ent = NULL;
	char file[4096];
	int n, i, rc = 0;

	if (stat(path, &st) != 0) {
		mt_err("%s: %m", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (o->nmsg >= BENCH_MSGS_MAX) {
			mt_err("more than %d messages", BENCH_MSGS_MAX);
			return -1;
		}
		return mt_message_read(&o->msg[o->nmsg++], path);
	}
	n = scandir(path, &ent, NULL, alphasort);
	if (n < 0) {
		mt_err("%s: %m", path);
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(file, sizeof file, "%s/%s", path, ent[i]->d_name);
		if (rc == 0 && ent[i]->d_name[0] != '.' &&
		    stat(file, &st) == 0 && S_ISREG(st.st_mode))
			rc = load_path(o, file);
		free(ent[i]);
	}
	free(ent);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option lopt[] = {
		{ "idle", required_argument, NULL, 'I' },
		{ "rate", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = {
		.conns = 1, .per_conn = 10, .timeout = 30, .secs = 10,
		.warm = 1, .addr = "192.0.2.10",
		.client_name = "mail.example.test",
		.helo = "mail.example.test", .from = "user@example.test",
		.rcpt = "user@authgate.test", .myhostname = "mx.authgate.test",
	};
	struct worker *w;
	uint64_t total[V_COUNT] = { 0 }, measured = 0, sig = 0, spf = 0,
	    dk = 0, dm = 0;
	uint32_t *all;
	size_t nall = 0, j;
	double rate;
	int c, i, started, rc = 1;

	while ((c = getopt_long(argc, argv, "s:n:c:d:w:t:a:H:e:f:r:u:j:b:N:",
	    lopt, NULL)) != -1) {
		switch (c) {
		case 's':
			if (o.nsock >= BENCH_MILTERS_MAX)
				usage();
			o.sock[o.nsock++] = optarg;
			break;
		case 'n': o.conns = atoi(optarg); break;
		case 'c': o.per_conn = atoi(optarg); break;
		case 'd': o.secs = atof(optarg); break;
		case 'w': o.warm = atof(optarg); break;
		case 't': o.timeout = atoi(optarg); break;
		case 'a': o.addr = optarg; break;
		case 'H': o.client_name = optarg; break;
		case 'e': o.helo = optarg; break;
		case 'f': o.from = optarg; break;
		case 'r': o.rcpt = optarg; break;
		case 'u': o.auth = optarg; break;
		case 'j': o.myhostname = optarg; break;
		case 'b': o.body_size = strtoull(optarg, NULL, 10); break;
		case 'N': o.max_msgs = strtoul(optarg, NULL, 10); break;
		case 'I': o.idle = 1; o.conns = atoi(optarg); break;
		case 'R': o.rate = atof(optarg); if (o.rate <= 0) usage(); break;
		default: usage();
		}
	}
	if (o.nsock == 0 || o.conns < 1 || o.conns > BENCH_CONNS_MAX ||
	    o.per_conn < 1 || o.secs <= 0 || o.warm < 0 || o.timeout < 1 ||
	    (optind >= argc && !o.idle))
		usage();
	o.msg = calloc(BENCH_MSGS_MAX, sizeof *o.msg);
	w = calloc((size_t)o.conns, sizeof *w);
	if (o.msg == NULL || w == NULL) {
		mt_err("out of memory");
		goto out;
	}
	for (i = optind; i < argc; i++)
		if (load_path(&o, argv[i]) != 0)
			goto out;
	if (o.nmsg == 0) {
		if (!o.idle) {
			mt_err("no messages");
			goto out;
		}
		o.nmsg = 1;	/* idle: never sent */
	}
	t_start = now_s();
	t_measure = t_start + (o.idle ? 0 : o.warm);
	t_stop = t_measure + o.secs;
	for (i = 0; i < o.conns; i++) {
		w[i].o = &o;
		w[i].id = i;
		if (o.rate > 0)
			w[i].next_at = t_start + i / o.rate;
		if (!o.idle && (w[i].lat = malloc(BENCH_LAT_MAX *
		    sizeof(uint32_t))) == NULL) {
			mt_err("out of memory");
			break;
		}
		if (pthread_create(&w[i].tid, NULL, worker_run, &w[i]) != 0) {
			mt_err("pthread_create: %m");
			break;
		}
	}
	/* the workers already started run to t_stop; wait for them either
	 * way, so nothing is freed under a running thread */
	started = i;
	for (i = 0; i < started; i++)
		pthread_join(w[i].tid, NULL);
	if (started < o.conns)
		goto out;
	if (o.idle) {
		printf("result idle=%d connected=%d\n", o.conns,
		    atomic_load(&connected_ok));
		rc = atomic_load(&connected_ok) > 0 ? 0 : 2;
		goto out;
	}
	for (i = 0; i < o.conns; i++) {
		for (c = 0; c < V_COUNT; c++)
			total[c] += w[i].count[c];
		measured += w[i].measured;
		sig += w[i].signed_;
		spf += w[i].spf_pass;
		dk += w[i].dkim_pass;
		dm += w[i].dmarc_pass;
		nall += w[i].nlat;
	}
	all = malloc((nall + 1) * sizeof *all);
	if (all == NULL) {
		mt_err("out of memory");
		goto out;
	}
	for (i = 0, nall = 0; i < o.conns; i++) {
		for (j = 0; j < w[i].nlat; j++)
			all[nall++] = w[i].lat[j];
		free(w[i].lat);
		w[i].lat = NULL;
	}
	qsort(all, nall, sizeof *all, cmp_u32);
#define PCT(p) (nall ? all[(size_t)((nall - 1) * (p))] : 0)
	rate = (double)measured / o.secs;
	printf("result conns=%d secs=%.1f msgs=%llu rate=%.1f",
	    o.conns, o.secs, (unsigned long long)measured, rate);
	if (o.rate > 0)
		printf(" offered=%.1f", o.rate);
	printf(" p50_us=%u p95_us=%u p99_us=%u max_us=%u", PCT(0.50),
	    PCT(0.95), PCT(0.99), nall ? all[nall - 1] : 0);
	for (c = 0; c < V_COUNT; c++)
		printf(" %s=%llu", verdict_name[c],
		    (unsigned long long)total[c]);
	printf(" signed=%llu ar_spf_pass=%llu ar_dkim_pass=%llu "
	    "ar_dmarc_pass=%llu\n", (unsigned long long)sig,
	    (unsigned long long)spf, (unsigned long long)dk,
	    (unsigned long long)dm);
	fprintf(stderr, "%d connections, %.1f s: %llu messages, %.1f/s, "
	    "latency p50 %.2f ms p95 %.2f ms p99 %.2f ms\n", o.conns, o.secs,
	    (unsigned long long)measured, rate, PCT(0.50) / 1e3,
	    PCT(0.95) / 1e3, PCT(0.99) / 1e3);
	free(all);
	rc = atomic_load(&connected_ok) > 0 ? 0 : 2;
out:
	/* everything freed, so a sanitizer build's leak check at exit sees
	 * only what the tool really lost */
	if (w != NULL)
		for (i = 0; i < o.conns; i++)
			free(w[i].lat);
	free(w);
	if (o.msg != NULL)
		for (j = 0; j < o.nmsg && j < BENCH_MSGS_MAX; j++)
			mt_message_free(&o.msg[j]);
	free(o.msg);
	return rc;
}
