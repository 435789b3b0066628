/*
 * milter/snapshot.c - the current configuration, swapped on reload
 */
#include "milter/snapshot.h"

#include <pthread.h>

/* snapshot_lock protects current: the pointer and the reference it holds */
static pthread_mutex_t snapshot_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ag_config *current;

struct ag_config *
ag_snapshot_get(void)
{
	struct ag_config *cfg = NULL;

	pthread_mutex_lock(&snapshot_lock);
	if (current != NULL)
		cfg = ag_config_ref(current);
	pthread_mutex_unlock(&snapshot_lock);
	return cfg;
}

void
ag_snapshot_swap(struct ag_config *cfg)
{
	struct ag_config *old;

	pthread_mutex_lock(&snapshot_lock);
	old = current;
	current = cfg;
	pthread_mutex_unlock(&snapshot_lock);
	/* the old snapshot is freed outside the lock, by its last user */
	ag_config_unref(&old);
}

void
ag_snapshot_clear(void)
{
	ag_snapshot_swap(NULL);
}
