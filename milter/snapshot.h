/*
 * milter/snapshot.h - the current configuration snapshot (one of the three
 * shared services of DESIGN.md)
 * Use:     ag_snapshot_swap() at start and on each good reload;
 *          ag_snapshot_get() once per connection, ag_config_unref() at close.
 * Owns:    one reference on the current snapshot.
 * Threads: internally locked; a swap never waits for in-flight messages:
 *          they keep the reference they took and finish on it.
 */
#ifndef AG_MILTER_SNAPSHOT_H
#define AG_MILTER_SNAPSHOT_H

#include "milter/config.h"

/* ag_snapshot_get - a new reference on the current snapshot, or NULL
 * before the first swap */
struct ag_config *ag_snapshot_get(void);

/* ag_snapshot_swap - make cfg current, taking over the caller's reference;
 * the previous snapshot loses the reference this module held */
void ag_snapshot_swap(struct ag_config *cfg);

/* ag_snapshot_clear - drop the current snapshot (at exit) */
void ag_snapshot_clear(void);

#endif
