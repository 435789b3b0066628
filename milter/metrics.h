/*
 * milter/metrics.h - counters of the running milter, served to Prometheus
 * Use:     ag_metrics_message() once per finished message (eom.c);
 *          ag_metrics_start(MetricsListen) after the milter socket is
 *          open; ag_metrics_stop() at exit. ag_metrics_render() writes the
 *          text exposition format (version 0.0.4) for tests.
 * Serves:  GET /metrics on a loopback TCP address, HTTP/1.0, one request
 *          per connection; other paths get 404, other methods 405.
 * Owns:    the listener thread and its socket.
 * Threads: counters are atomics, updated from any libmilter thread; the
 *          listener is one thread serving one client at a time, each
 *          bounded by AG_METRICS_IO_MS.
 * Limits:  a request is read up to AG_METRICS_REQ_MAX bytes.
 */
#ifndef AG_MILTER_METRICS_H
#define AG_MILTER_METRICS_H

#include <stddef.h>

#include "milter/decide.h"
#include "milter/session.h"
#include "util/err.h"

#define AG_METRICS_REQ_MAX 4096
#define AG_METRICS_IO_MS 2000

/* ag_metrics_message - count one message: verdict, check results and the
 * time from MAIL FROM to the verdict */
void ag_metrics_message(const struct ag_session *s,
			const struct ag_outcome *o);

/* ag_metrics_check_listen - "inet:PORT@ADDR" / "ADDR:PORT" with ADDR a
 * loopback address (127.0.0.0/8 or ::1); AG_EINVAL otherwise */
int ag_metrics_check_listen(const char *spec, struct ag_err *err)
	AG_MUST_CHECK;

/* ag_metrics_start - listen and serve in a thread; spec "" does nothing */
int ag_metrics_start(const char *spec, struct ag_err *err) AG_MUST_CHECK;
void ag_metrics_stop(void);

/* ag_metrics_render - the exposition text into buf (NUL-terminated,
 * truncated at size); returns the length it needed */
size_t ag_metrics_render(char *buf, size_t size);

#endif
