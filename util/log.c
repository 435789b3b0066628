/*
 * util/log.c - syslog and/or stderr logging with levels
 *
 * Settings are atomics so a reload can change them while other threads
 * log; a line being written during the change goes to the old or the new
 * sink, never half to each.
 */
#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_level = AG_LOG_INFO;
static atomic_bool log_syslog = false;
static atomic_bool log_stderr = true;

static const char *const level_names[] = {
	"error", "warning", "notice", "info", "debug"
};
static const int level_prio[] = {
	LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG
};

/* ag_log_level_parse - name to level */
int
ag_log_level_parse(const char *name, enum ag_log_level *level_r)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]);
	     i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			*level_r = (enum ag_log_level)i;
			return 0;
		}
	}
	if (strcasecmp(name, "err") == 0) {
		*level_r = AG_LOG_ERR;
		return 0;
	}
	return -1;
}

/* ag_log_facility_parse - name to syslog facility */
int
ag_log_facility_parse(const char *name, int *facility_r)
{
	static const struct {
		const char *name;
		int facility;
	} fac[] = {
		{ "mail", LOG_MAIL },	  { "daemon", LOG_DAEMON },
		{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
		{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
		{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
		{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
	};
	for (unsigned i = 0; i < sizeof(fac) / sizeof(fac[0]); i++) {
		if (strcasecmp(name, fac[i].name) == 0) {
			*facility_r = fac[i].facility;
			return 0;
		}
	}
	return -1;
}

/* ag_log_setup - choose level and sinks */
void
ag_log_setup(const char *ident, enum ag_log_level level, bool to_syslog,
	     int facility, bool to_stderr)
{
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
	atomic_store(&log_level, (int)level);
	atomic_store(&log_syslog, to_syslog);
	atomic_store(&log_stderr, to_stderr);
}

/* log_stamp - the UTC second as 2026-01-02T03:04:05Z; kept per thread
 * and redone only when the second changes */
static const char *
log_stamp(void)
{
	static _Thread_local time_t last = (time_t)-1;
	static _Thread_local char stamp[32];
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != last) {
		stamp[0] = '\0';
		if (gmtime_r(&ts.tv_sec, &tm) != NULL)
			strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ",
				 &tm);
		last = ts.tv_sec;
	}
	return stamp;
}

/* log_stderr_line - one write(2) a line: lines from several threads never
 * interleave, and no stdio stream lock or buffer is involved */
static void
log_stderr_line(enum ag_log_level level, const char *line)
{
	char out[AG_LOG_LINE_MAX + 128];
	int n = snprintf(out, sizeof(out), "%s authgate[%ld]: %s: %s\n",
			 log_stamp(), (long)getpid(), level_names[level],
			 line);
	size_t len, off = 0;

	if (n < 0)
		return;
	len = (size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1;
	if ((size_t)n >= sizeof(out))
		out[len - 1] = '\n';	/* cut: the line still ends */
	while (off < len) {	/* ends: each pass writes or gives up */
		ssize_t w = write(STDERR_FILENO, out + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;	/* nowhere to report a logging failure */
		off += (size_t)w;
	}
}

/* ag_log - format once, then write to each sink; control bytes escaped so
 * a hostile value cannot forge log lines */
void
ag_log(enum ag_log_level level, const char *fmt, ...)
{
	char raw[AG_LOG_LINE_MAX], line[AG_LOG_LINE_MAX];
	va_list ap;
	size_t o = 0;
	int n;

	if ((int)level > atomic_load(&log_level))
		return;
	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* escape into line, keeping 4 bytes for "..." and the NUL; the
	 * marker goes on whenever any input did not make it out */
	size_t i = 0;
	for (; raw[i] != '\0'; i++) {
		unsigned char c = (unsigned char)raw[i];
		size_t need = (c < 0x20 || c == 0x7f) ? 4 : 1;
		if (o + need + 4 > sizeof(line))
			break;
		if (need == 4)
			o += (size_t)snprintf(line + o, sizeof(line) - o,
					      "\\x%02x", c);
		else
			line[o++] = (char)c;
	}
	line[o] = '\0';
	if (raw[i] != '\0' || (size_t)n >= sizeof(raw))
		memcpy(line + o, "...", 4);
	if (atomic_load(&log_syslog))
		syslog(level_prio[level], "%s", line);
	if (atomic_load(&log_stderr))
		log_stderr_line(level, line);
}
