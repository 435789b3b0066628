/*
 * tests/unit/test_snapshot.c - milter/snapshot with milter/config: the
 * current configuration is NULL before the first swap; get hands out
 * references; a swap never frees a snapshot somebody still holds; clear
 * drops the module's reference; and readers racing with swaps neither
 * crash nor leak or lose a reference (run under ASan and TSan).
 *
 * Failures print "case <label>: got <x>, want <y>". The snapshot is
 * process-global, so the tests run in order and each ends with it
 * cleared. Configurations come from mkstemp() files under $TMPDIR (or
 * /tmp), removed at once; "nobody" exists on every Debian system.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "milter/config.h"
#include "milter/snapshot.h"

#define N_READERS 4
#define N_SWAPS 50

/* config_new - load "User nobody" with one nameserver; refs is 1 */
static struct ag_config *
config_new(void)
{
	static const char text[] = "User nobody\nNameservers 127.0.0.1\n";
	const char *dir = getenv("TMPDIR");
	struct ag_config *cfg = NULL;
	struct ag_err err;
	char path[512];
	int fd, rc;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/ag_snapshot_XXXXXX", dir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1),
			 (ssize_t)(sizeof(text) - 1));
	assert_int_equal(close(fd), 0);
	memset(&err, 0, sizeof(err));
	rc = ag_config_load(path, &cfg, &err);
	unlink(path);
	if (rc != AG_OK || cfg == NULL)
		fail_msg("case load config: got %d '%s', want 0", rc, err.msg);
	if (atomic_load(&cfg->refs) != 1)
		fail_msg("case fresh config: got refs %u, want 1",
			 atomic_load(&cfg->refs));
	return cfg;
}

/* refs_is - compare a reference count; 1 and a message when wrong */
static int
refs_is(const char *label, const struct ag_config *cfg, unsigned want)
{
	unsigned got = atomic_load(&cfg->refs);

	if (got == want)
		return 0;
	print_error("case %s: got refs %u, want %u\n", label, got, want);
	return 1;
}

static int
teardown_clear(void **state)
{
	(void)state;
	ag_snapshot_clear();
	return 0;
}

/* must run first: nothing has been swapped in yet */
static void
test_snapshot_get_before_swap_is_null(void **state)
{
	struct ag_config *got;

	(void)state;
	got = ag_snapshot_get();
	if (got != NULL)
		fail_msg("case before any swap: got %p, want NULL",
			 (void *)got);
}

static void
test_snapshot_get_returns_reference(void **state)
{
	struct ag_config *cfg = config_new(), *got, *got2;
	unsigned failed = 0;

	(void)state;
	ag_config_ref(cfg);		/* ours, to watch the count */
	ag_snapshot_swap(cfg);		/* the module takes the other one */
	failed += (unsigned)refs_is("after swap", cfg, 2);
	got = ag_snapshot_get();
	if (got != cfg) {
		print_error("case get: got %p, want %p\n", (void *)got,
			    (void *)cfg);
		failed++;
	}
	failed += (unsigned)refs_is("after get", cfg, 3);
	got2 = ag_snapshot_get();
	failed += (unsigned)refs_is("after second get", cfg, 4);
	ag_config_unref(&got);
	if (got != NULL) {
		print_error("case unref clears pointer: got %p, want NULL\n",
			    (void *)got);
		failed++;
	}
	ag_config_unref(&got2);
	failed += (unsigned)refs_is("after both unrefs", cfg, 2);
	ag_snapshot_clear();
	failed += (unsigned)refs_is("after clear", cfg, 1);
	ag_config_unref(&cfg);
	assert_int_equal(failed, 0);
}

static void
test_snapshot_swap_keeps_held_config_alive(void **state)
{
	struct ag_config *a = config_new(), *b = config_new();
	struct ag_config *held, *got;
	unsigned failed = 0;

	(void)state;
	ag_config_ref(a);		/* ours, to watch a's count */
	ag_snapshot_swap(a);
	held = ag_snapshot_get();	/* a connection in flight */
	failed += (unsigned)refs_is("a held before swap", a, 3);
	ag_config_ref(b);
	ag_snapshot_swap(b);		/* reload */
	failed += (unsigned)refs_is("a after swap, still held", a, 2);
	failed += (unsigned)refs_is("b after swap", b, 2);
	if (strcmp(held->user, "nobody") != 0) {
		print_error("case held config readable: got user '%s', want "
			    "'nobody'\n", held->user);
		failed++;
	}
	got = ag_snapshot_get();
	if (got != b) {
		print_error("case get after swap: got %p, want b %p\n",
			    (void *)got, (void *)b);
		failed++;
	}
	ag_config_unref(&got);
	ag_config_unref(&held);		/* connection closes */
	failed += (unsigned)refs_is("a after holder unrefs", a, 1);
	failed += (unsigned)refs_is("b unchanged by a's holder", b, 2);
	ag_config_unref(&a);		/* last one: freed (ASan checks) */
	ag_snapshot_clear();
	failed += (unsigned)refs_is("b after clear", b, 1);
	ag_config_unref(&b);
	assert_int_equal(failed, 0);
}

/* swapping in the current snapshot again (with a new reference) keeps it */
static void
test_snapshot_swap_same_config(void **state)
{
	struct ag_config *cfg = config_new(), *got;
	unsigned failed = 0;

	(void)state;
	ag_config_ref(cfg);
	ag_snapshot_swap(cfg);
	ag_snapshot_swap(ag_config_ref(cfg));
	failed += (unsigned)refs_is("same config swapped twice", cfg, 2);
	got = ag_snapshot_get();
	if (got != cfg) {
		print_error("case get: got %p, want %p\n", (void *)got,
			    (void *)cfg);
		failed++;
	}
	ag_config_unref(&got);
	ag_snapshot_clear();
	failed += (unsigned)refs_is("after clear", cfg, 1);
	ag_config_unref(&cfg);
	assert_int_equal(failed, 0);
}

static void
test_snapshot_clear(void **state)
{
	struct ag_config *cfg = config_new(), *got;
	unsigned failed = 0;

	(void)state;
	ag_config_ref(cfg);
	ag_snapshot_swap(cfg);
	ag_snapshot_clear();
	failed += (unsigned)refs_is("after clear", cfg, 1);
	got = ag_snapshot_get();
	if (got != NULL) {
		print_error("case get after clear: got %p, want NULL\n",
			    (void *)got);
		failed++;
		ag_config_unref(&got);
	}
	ag_snapshot_clear();		/* clearing nothing is harmless */
	failed += (unsigned)refs_is("after second clear", cfg, 1);
	ag_snapshot_swap(NULL);		/* the same as clear */
	if ((got = ag_snapshot_get()) != NULL) {
		print_error("case get after swap(NULL): got %p, want "
			    "NULL\n", (void *)got);
		failed++;
		ag_config_unref(&got);
	}
	ag_config_unref(&cfg);
	assert_int_equal(failed, 0);
}

/* ------------------------------------------------------------------ */
/* readers racing with swaps                                           */

struct race {
	atomic_bool stop;
	atomic_uint started;
	atomic_ulong gets;		/* non-NULL gets, all readers */
	atomic_uint bad;		/* configs seen broken while held */
};

/* race_reader - get, look at it, unref, until told to stop */
static void *
race_reader(void *arg)
{
	struct race *r = arg;
	bool first = true;

	while (!atomic_load(&r->stop)) {
		struct ag_config *cfg = ag_snapshot_get();
		if (cfg == NULL) {
			atomic_fetch_add(&r->bad, 1);
			break;
		}
		/* held: the test keeps one reference on every config, the
		 * snapshot or another reader may hold more, we hold ours */
		if (atomic_load(&cfg->refs) < 2 ||
		    strcmp(cfg->user, "nobody") != 0)
			atomic_fetch_add(&r->bad, 1);
		ag_config_unref(&cfg);
		atomic_fetch_add(&r->gets, 1);
		if (first) {
			atomic_fetch_add(&r->started, 1);
			first = false;
		}
	}
	return NULL;
}

/* race_wait_gets - spin until the readers did n more gets */
static void
race_wait_gets(struct race *r, unsigned long n)
{
	unsigned long from = atomic_load(&r->gets);

	while (atomic_load(&r->gets) - from < n && atomic_load(&r->bad) == 0)
		sched_yield();
}

static void
test_snapshot_readers_race_swaps(void **state)
{
	struct ag_config *cfgs[N_SWAPS + 1];
	pthread_t th[N_READERS];
	struct race r;
	unsigned failed = 0;
	char label[64];

	(void)state;
	memset(&r, 0, sizeof(r));
	atomic_init(&r.stop, false);
	atomic_init(&r.started, 0);
	atomic_init(&r.gets, 0);
	atomic_init(&r.bad, 0);
	for (unsigned i = 0; i <= N_SWAPS; i++)
		cfgs[i] = ag_config_ref(config_new());	/* ours + swap's */
	ag_snapshot_swap(cfgs[0]);
	for (unsigned i = 0; i < N_READERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, race_reader, &r),
				 0);
	while (atomic_load(&r.started) < N_READERS &&
	       atomic_load(&r.bad) == 0)
		sched_yield();
	for (unsigned i = 1; i <= N_SWAPS; i++) {
		ag_snapshot_swap(cfgs[i]);
		race_wait_gets(&r, 2 * N_READERS);
	}
	atomic_store(&r.stop, true);
	for (unsigned i = 0; i < N_READERS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);

	if (atomic_load(&r.bad) != 0) {
		print_error("case readers: got %u broken gets, want 0\n",
			    atomic_load(&r.bad));
		failed++;
	}
	/* every reference a reader took was given back; the swaps dropped
	 * the module's reference on all but the last */
	for (unsigned i = 0; i < N_SWAPS; i++) {
		snprintf(label, sizeof(label), "swapped-out config %u", i);
		failed += (unsigned)refs_is(label, cfgs[i], 1);
	}
	failed += (unsigned)refs_is("current config", cfgs[N_SWAPS], 2);
	ag_snapshot_clear();
	failed += (unsigned)refs_is("current config after clear",
				    cfgs[N_SWAPS], 1);
	for (unsigned i = 0; i <= N_SWAPS; i++)
		ag_config_unref(&cfgs[i]);
	assert_int_equal(failed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_get_before_swap_is_null),
		cmocka_unit_test_teardown(test_snapshot_get_returns_reference,
					  teardown_clear),
		cmocka_unit_test_teardown(
			test_snapshot_swap_keeps_held_config_alive,
			teardown_clear),
		cmocka_unit_test_teardown(test_snapshot_swap_same_config,
					  teardown_clear),
		cmocka_unit_test_teardown(test_snapshot_clear, teardown_clear),
		cmocka_unit_test_teardown(test_snapshot_readers_race_swaps,
					  teardown_clear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
