/*
 * milter/eom.h - end of message: results header, verdict, log line
 * Use:     ag_eom() from the eom callback; it answers the MTA.
 * Threads: runs on the connection's thread; touches only its session.
 */
#ifndef AG_MILTER_EOM_H
#define AG_MILTER_EOM_H

#include <libmilter/mfapi.h>

#include "milter/session.h"

sfsistat ag_eom(SMFICTX *ctx, struct ag_session *s);

#endif
