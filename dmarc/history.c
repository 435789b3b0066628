/*
 * dmarc/history.c - bounded queue and one writer thread in front of a
 * store backend
 *
 * Milter threads only malloc a copy and push a pointer under a mutex; the
 * writer wakes every flush_ms (or when batch_max are waiting), takes a
 * batch out under the lock and writes it without holding it.
 */
#include "dmarc/history.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dmarc/history_int.h"

struct ag_history {
	struct ag_history_backend be;
	struct ag_history_opts opts;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct ag_history_rec **ring;	/* queue_max slots */
	unsigned head, n;
	bool stop;
	pthread_t writer;
	struct ag_history_stats st;
};

void
ag_history_opts_defaults(struct ag_history_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->queue_max = 10000;
	o->batch_max = 500;
	o->flush_ms = 200;
}

void
ag_history_text_values(const struct ag_history_rec *r, const char *reporter,
		       const char *vals[AG_HISTORY_NCOLUMNS],
		       char time_buf[24], char pct_buf[8], char ri_buf[16])
{
	unsigned i = 0;

	snprintf(time_buf, 24, "%" PRId64, r->time);
	snprintf(pct_buf, 8, "%u", r->pct > 100 ? 100 : r->pct);
	vals[i++] = time_buf;
	vals[i++] = r->jobid;
	vals[i++] = r->source_ip;
	vals[i++] = r->header_from;
	vals[i++] = r->envelope_from;
	vals[i++] = r->envelope_to;
	vals[i++] = r->policy_domain;
	vals[i++] = r->adkim;
	vals[i++] = r->aspf;
	vals[i++] = r->p;
	vals[i++] = r->sp;
	vals[i++] = r->np;
	vals[i++] = pct_buf;
	vals[i++] = r->fo;
	vals[i++] = r->result;
	vals[i++] = r->disposition;
	vals[i++] = r->dkim_aligned;
	vals[i++] = r->spf_aligned;
	vals[i++] = r->reasons;
	vals[i++] = r->spf_domain;
	vals[i++] = r->spf_scope;
	vals[i++] = r->spf_result;
	vals[i++] = reporter;
	vals[i++] = r->rua;
	snprintf(ri_buf, 16, "%" PRIu32, r->ri);
	vals[i++] = ri_buf;
}

/* terminate - every string of a copied record ends within its array,
 * whatever the caller filled in */
static void
terminate(struct ag_history_rec *r)
{
#define T(f) (r->f[sizeof(r->f) - 1] = '\0')
	T(jobid); T(source_ip); T(header_from); T(envelope_from);
	T(envelope_to); T(rua); T(policy_domain); T(adkim); T(aspf); T(p); T(sp);
	T(np); T(fo); T(result); T(disposition); T(dkim_aligned);
	T(spf_aligned); T(reasons); T(spf_domain); T(spf_scope);
	T(spf_result);
	if (r->ndkim > AG_HISTORY_MAX_DKIM)
		r->ndkim = AG_HISTORY_MAX_DKIM;
	for (unsigned i = 0; i < r->ndkim; i++) {
		T(dkim[i].domain); T(dkim[i].selector); T(dkim[i].result);
	}
#undef T
}

bool
ag_history_add(struct ag_history *h, const struct ag_history_rec *rec)
{
	struct ag_history_rec *copy;
	bool ok = false;

	if (h == NULL || rec == NULL)
		return false;
	if ((copy = malloc(sizeof(*copy))) == NULL) {
		pthread_mutex_lock(&h->lock);
		h->st.dropped++;
		pthread_mutex_unlock(&h->lock);
		return false;
	}
	memcpy(copy, rec, sizeof(*copy));
	terminate(copy);
	pthread_mutex_lock(&h->lock);
	if (!h->stop && h->n < h->opts.queue_max) {
		h->ring[(h->head + h->n) % h->opts.queue_max] = copy;
		h->n++;
		h->st.queued++;
		if (h->n >= h->opts.batch_max)
			pthread_cond_signal(&h->wake);
		ok = true;
	} else {
		h->st.dropped++;
	}
	pthread_mutex_unlock(&h->lock);
	if (!ok)
		free(copy);
	return ok;
}

/* take - up to max queued records into batch; caller holds the lock */
static unsigned
take(struct ag_history *h, struct ag_history_rec **batch, unsigned max)
{
	unsigned n = h->n < max ? h->n : max;

	for (unsigned i = 0; i < n; i++) {
		batch[i] = h->ring[h->head];
		h->head = (h->head + 1) % h->opts.queue_max;
	}
	h->n -= n;
	return n;
}

static void
deadline(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *
writer_main(void *arg)
{
	struct ag_history *h = arg;
	struct ag_history_rec **batch;
	bool stopping = false;

	batch = calloc(h->opts.batch_max, sizeof(*batch));
	while (batch != NULL) {
		struct timespec ts;
		unsigned n;
		struct ag_err err = { 0, "" };
		int rc;

		pthread_mutex_lock(&h->lock);
		deadline(&ts, h->opts.flush_ms);
		while (!h->stop && h->n < h->opts.batch_max) {
			if (pthread_cond_timedwait(&h->wake, &h->lock, &ts) ==
			    ETIMEDOUT)
				break;
		}
		stopping = h->stop;
		n = take(h, batch, h->opts.batch_max);
		pthread_mutex_unlock(&h->lock);
		if (n == 0) {
			if (stopping)
				break;
			continue;
		}
		rc = h->be.write(h->be.ctx, batch, n, h->opts.reporter, &err);
		if (rc != AG_OK) {
			/* once more (a reconnect may have happened), then
			 * drop: mail never waits for the store */
			struct timespec pause = { 0, 100000000L };

			nanosleep(&pause, NULL);
			rc = h->be.write(h->be.ctx, batch, n, h->opts.reporter,
					 &err);
		}
		pthread_mutex_lock(&h->lock);
		if (rc == AG_OK) {
			h->st.written += n;
		} else {
			h->st.failures++;
			h->st.dropped += n;
		}
		pthread_mutex_unlock(&h->lock);
		for (unsigned i = 0; i < n; i++)
			free(batch[i]);
	}
	free(batch);
	return NULL;
}

/* backend_open - by the form of where */
static int
backend_open(struct ag_history_backend *be, const char *where,
	     struct ag_err *err)
{
	if (where == NULL || where[0] == '\0')
		return ag_err_set(err, AG_EINVAL, "no history store given");
	if (strncmp(where, "postgresql://", 13) == 0 ||
	    strncmp(where, "postgres://", 11) == 0)
		return ag_history_pg_open(be, where, err);
	return ag_history_sqlite_open(be, where, err);
}

int
ag_history_open(struct ag_history **h_r, const char *where,
		const struct ag_history_opts *o, struct ag_err *err)
{
	struct ag_history *h;
	pthread_condattr_t ca;
	int rc;

	*h_r = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return ag_err_set(err, AG_ENOMEM, "out of memory");
	if (o != NULL)
		h->opts = *o;
	else
		ag_history_opts_defaults(&h->opts);
	if (h->opts.queue_max == 0)
		h->opts.queue_max = 1;
	if (h->opts.batch_max == 0)
		h->opts.batch_max = 1;
	if (h->opts.flush_ms == 0)
		h->opts.flush_ms = 1;
	h->opts.reporter[sizeof(h->opts.reporter) - 1] = '\0';
	if ((h->ring = calloc(h->opts.queue_max, sizeof(*h->ring))) == NULL) {
		free(h);
		return ag_err_set(err, AG_ENOMEM, "out of memory");
	}
	if ((rc = backend_open(&h->be, where, err)) != AG_OK) {
		free(h->ring);
		free(h);
		return rc;
	}
	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&h->writer, NULL, writer_main, h) != 0) {
		h->be.close(h->be.ctx);
		pthread_cond_destroy(&h->wake);
		pthread_mutex_destroy(&h->lock);
		free(h->ring);
		free(h);
		return ag_err_set(err, AG_ENOMEM, "cannot start the history "
				  "writer thread");
	}
	*h_r = h;
	return AG_OK;
}

void
ag_history_stats(struct ag_history *h, struct ag_history_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	*st = h->st;
	st->depth = h->n;
	pthread_mutex_unlock(&h->lock);
}

void
ag_history_close(struct ag_history **hp)
{
	struct ag_history *h;

	if (hp == NULL || (h = *hp) == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	h->stop = true;
	pthread_cond_signal(&h->wake);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->writer, NULL);	/* it drains the queue first */
	while (h->n > 0) {
		free(h->ring[h->head]);
		h->head = (h->head + 1) % h->opts.queue_max;
		h->n--;
	}
	h->be.close(h->be.ctx);
	pthread_cond_destroy(&h->wake);
	pthread_mutex_destroy(&h->lock);
	free(h->ring);
	free(h);
	*hp = NULL;
}

int
ag_history_prepare(const char *where, struct ag_err *err)
{
	struct ag_history_backend be;
	int rc;

	/* opening a backend creates and upgrades its tables */
	if ((rc = backend_open(&be, where, err)) != AG_OK)
		return rc;
	be.close(be.ctx);
	return AG_OK;
}

int
ag_history_count(const char *where, long *n_r, struct ag_err *err)
{
	struct ag_history_backend be;
	int rc;

	if ((rc = backend_open(&be, where, err)) != AG_OK)
		return rc;
	rc = be.count(be.ctx, n_r, err);
	be.close(be.ctx);
	return rc;
}
