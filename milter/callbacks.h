/*
 * milter/callbacks.h - the libmilter callback table and connection count
 * Use:     pass ag_milter_desc to smfi_register(); ag_milter_active()
 *          tells how many connections are open (for a graceful stop).
 * Threads: callbacks run on libmilter's per-connection threads.
 */
#ifndef AG_MILTER_CALLBACKS_H
#define AG_MILTER_CALLBACKS_H

#include <libmilter/mfapi.h>

extern struct smfiDesc ag_milter_desc;

unsigned ag_milter_active(void);

#endif
