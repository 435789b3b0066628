/*
 * tests/unit/test_session.c - milter/session: the bounded copy of
 * attacker text (control bytes and DEL dropped, 8-bit bytes kept, cut at
 * size - 1), the per-message reset, and the configuration reference a
 * session holds from new to free.
 *
 * Each table row is one labelled case; a failure prints
 * "case <label>: got <x>, want <y>" and the test fails after the table.
 * The configuration is loaded from a mkstemp() file under $TMPDIR (or
 * /tmp), removed at once; "nobody" exists on every Debian system.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "milter/session.h"
#include "milter/snapshot.h"

/* ------------------------------------------------------------------ */
/* ag_session_copy                                                     */

#define COPY_BUF 64
#define GUARD 'Z'

struct copy_case {
	const char *label;
	const char *src;	/* NULL allowed */
	size_t size;		/* at most COPY_BUF */
	const char *want;
};

static const struct copy_case copy_good[] = {
	{ "plain", "mx.example.com", COPY_BUF, "mx.example.com" },
	{ "empty", "", COPY_BUF, "" },
	{ "space kept", "a b", COPY_BUF, "a b" },
	{ "printable edge 0x20 and 0x7e", " ~", COPY_BUF, " ~" },
	{ "exact fit size - 1", "abc", 4, "abc" },
	{ "UTF-8 kept", "caf\xc3\xa9.example", COPY_BUF,
	  "caf\xc3\xa9.example" },
	{ "8-bit edge bytes 0x80 0xff kept", "\x80x\xff", COPY_BUF,
	  "\x80x\xff" },
};

static const struct copy_case copy_bad[] = {
	{ "NULL src", NULL, COPY_BUF, "" },
	{ "NULL src, size 1", NULL, 1, "" },
	{ "one too long", "abcd", 4, "abc" },
	{ "much too long", "abcdefghijklmnopqrstuvwxyz", 8, "abcdefg" },
	{ "size 1 keeps only the NUL", "abc", 1, "" },
	{ "CR LF dropped", "evil\r\nX-Injected: yes", COPY_BUF,
	  "evilX-Injected: yes" },
	{ "TAB dropped", "a\tb", COPY_BUF, "ab" },
	{ "ESC sequence dropped", "\x1b[31mred", COPY_BUF, "[31mred" },
	{ "0x01 and 0x1f dropped", "\x01x\x1f", COPY_BUF, "x" },
	{ "DEL dropped", "a\x7f" "b", COPY_BUF, "ab" },
	{ "only control bytes", "\r\n\t\x7f\x1b", COPY_BUF, "" },
	{ "dropped bytes do not use room", "\r\r\r\rabcdef", 4, "abc" },
	{ "cut right after a dropped byte", "ab\ncd", 3, "ab" },
};

/* show - text with bytes outside 0x20-0x7e as \xNN, for messages */
static const char *
show(const char *s, size_t max, char *buf, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < max && s[i] != '\0' && o + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

static int
copy_run(const struct copy_case *c)
{
	char dst[COPY_BUF + 8], got[4 * COPY_BUF + 40], want[4 * COPY_BUF];
	size_t i;

	memset(dst, GUARD, sizeof(dst));
	ag_session_copy(dst, c->size, c->src);
	if (memchr(dst, '\0', c->size) == NULL || strcmp(dst, c->want) != 0) {
		print_error("case %s: got '%s', want '%s'\n", c->label,
			    show(dst, c->size, got, sizeof(got)),
			    show(c->want, COPY_BUF, want, sizeof(want)));
		return 1;
	}
	for (i = c->size; i < sizeof(dst); i++)
		if (dst[i] != GUARD) {
			print_error("case %s: got byte %zu written, want "
				    "nothing past size %zu\n", c->label, i,
				    c->size);
			return 1;
		}
	return 0;
}

static void
test_session_copy_keeps_text(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(copy_good) / sizeof(copy_good[0]); i++)
		failed += (unsigned)copy_run(&copy_good[i]);
	assert_int_equal(failed, 0);
}

static void
test_session_copy_drops_controls_and_cuts(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(copy_bad) / sizeof(copy_bad[0]); i++)
		failed += (unsigned)copy_run(&copy_bad[i]);
	assert_int_equal(failed, 0);
}

/* ------------------------------------------------------------------ */
/* ag_session_msg_reset                                                */

static void
test_session_msg_reset_clears_message(void **state)
{
	struct ag_session *s = calloc(1, sizeof(*s));
	struct ag_message zero;
	struct timespec before;
	unsigned failed = 0;

	(void)state;
	assert_non_null(s);
	snprintf(s->ip, sizeof(s->ip), "192.0.2.1");
	snprintf(s->helo, sizeof(s->helo), "helo.example");
	s->internal = true;
	memset(&s->msg, 0xa5, sizeof(s->msg));
	s->msg.start.tv_sec = 0;
	s->msg.start.tv_nsec = 0;
	/* owned resources: reset frees them (ASan checks it), so they must
	 * be real pointers or NULL, not fill bytes */
	s->msg.dkim_v = NULL;
	s->msg.dkim_s = NULL;
	s->msg.hdrs = NULL;
	s->msg.nhdrs = 0;
	s->msg.hdrs_cap = 0;
	s->msg.hdr_bytes = 0;
	s->msg.all = NULL;
	s->msg.nall = s->msg.all_cap = 0;
	s->msg.all_bytes = 0;
	s->msg.all_full = false;
	s->msg.rcpt = NULL;
	s->msg.nrcpt = s->msg.nrcpt_kept = s->msg.rcpt_cap = 0;
	s->msg.body = NULL;
	s->msg.arc = NULL;
	s->msg.arc_res = calloc(1, sizeof(*s->msg.arc_res));
	assert_non_null(s->msg.arc_res);
	assert_int_equal(ag_session_keep_all(&s->msg, "Subject", "hi"), AG_OK);
	assert_int_equal(ag_session_keep_rcpt(&s->msg, "c@example.com"),
			 AG_OK);
	s->msg.body = malloc(16);
	assert_int_equal(ag_session_keep_header(&s->msg, "From",
						"a@example.com"), AG_OK);
	assert_int_equal(ag_session_keep_header(&s->msg, "To",
						"b@example.com"), AG_OK);
	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &before), 0);

	ag_session_msg_reset(s);

	if (s->msg.start.tv_sec < before.tv_sec ||
	    (s->msg.start.tv_sec == before.tv_sec &&
	     s->msg.start.tv_nsec < before.tv_nsec)) {
		print_error("case start: got %lld.%09ld, want >= "
			    "%lld.%09ld\n", (long long)s->msg.start.tv_sec,
			    s->msg.start.tv_nsec, (long long)before.tv_sec,
			    before.tv_nsec);
		failed++;
	}
	/* everything before the two arrays kept uncleared is zero; of
	 * those, only what their counts (zero now) cover is ever read */
	memset(&zero, 0, sizeof(zero));
	zero.start = s->msg.start;
	if (memcmp(&s->msg, &zero, AG_MESSAGE_CLEARED) != 0) {
		print_error("case message fields: got qid '%.8s' nrcpt %u "
			    "ar_count %u n_ours %u error %d, want all "
			    "zero\n", s->msg.qid, s->msg.nrcpt,
			    s->msg.ar_count, s->msg.n_ours, s->msg.error);
		failed++;
	}
	if (s->msg.dkim.count != 0 || s->msg.dkim.not_evaluated != 0) {
		print_error("case DKIM results: got count %u not_evaluated "
			    "%u, want 0 0\n", s->msg.dkim.count,
			    s->msg.dkim.not_evaluated);
		failed++;
	}
	if (strcmp(s->ip, "192.0.2.1") != 0 ||
	    strcmp(s->helo, "helo.example") != 0 || !s->internal) {
		print_error("case connection state: got ip '%s' helo '%s' "
			    "internal %d, want kept\n", s->ip, s->helo,
			    s->internal);
		failed++;
	}
	free(s);
	assert_int_equal(failed, 0);
}

/* ------------------------------------------------------------------ */
/* ag_session_new / ag_session_free and the config reference           */

/* config_from_text - load a configuration written to a temporary file */
static struct ag_config *
config_from_text(const char *text)
{
	const char *dir = getenv("TMPDIR");
	struct ag_config *cfg = NULL;
	struct ag_err err;
	char path[512];
	int fd, rc;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/ag_session_XXXXXX", dir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	memset(&err, 0, sizeof(err));
	rc = ag_config_load(path, &cfg, &err);
	unlink(path);
	if (rc != AG_OK)
		fail_msg("case load config: got %d '%s', want 0", rc, err.msg);
	return cfg;
}

static void
test_session_new_needs_a_snapshot(void **state)
{
	struct ag_session *s;

	(void)state;
	ag_snapshot_clear();
	s = ag_session_new();
	if (s != NULL) {
		ag_session_free(&s);
		fail_msg("case no snapshot: got a session, want NULL");
	}
}

static void
test_session_holds_config_reference(void **state)
{
	struct ag_config *cfg = config_from_text("User nobody\n"
						 "Nameservers 127.0.0.1\n");
	struct ag_session *s, *s2;
	unsigned failed = 0;

	(void)state;
	ag_snapshot_swap(ag_config_ref(cfg));	/* cfg: ours + snapshot */
	s = ag_session_new();
	s2 = ag_session_new();
	assert_non_null(s);
	assert_non_null(s2);
	if (s->cfg != cfg || atomic_load(&cfg->refs) != 4) {
		print_error("case two sessions: got cfg %p refs %u, want %p "
			    "refs 4\n", (void *)s->cfg,
			    atomic_load(&cfg->refs), (void *)cfg);
		failed++;
	}
	if (s->msg.start.tv_sec == 0 && s->msg.start.tv_nsec == 0) {
		print_error("case new session start: got 0, want set\n");
		failed++;
	}
	ag_snapshot_clear();
	ag_session_free(&s);
	if (s != NULL || atomic_load(&cfg->refs) != 2) {
		print_error("case after clear and one free: got s %p refs %u, "
			    "want NULL refs 2\n", (void *)s,
			    atomic_load(&cfg->refs));
		failed++;
	}
	ag_session_free(&s);	/* a cleared pointer is fine to free again */
	ag_session_free(NULL);
	ag_session_free(&s2);
	if (atomic_load(&cfg->refs) != 1) {
		print_error("case after both frees: got refs %u, want 1\n",
			    atomic_load(&cfg->refs));
		failed++;
	}
	ag_config_unref(&cfg);
	assert_int_equal(failed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_copy_keeps_text),
		cmocka_unit_test(test_session_copy_drops_controls_and_cuts),
		cmocka_unit_test(test_session_msg_reset_clears_message),
		cmocka_unit_test(test_session_new_needs_a_snapshot),
		cmocka_unit_test(test_session_holds_config_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
