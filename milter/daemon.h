/*
 * milter/daemon.h - process set-up: socket, pidfile, privileges, detach
 * Use:     from main(), in this order: ag_daemon_prepare_socket(),
 *          smfi_opensocket(), ag_daemon_socket_perms(), ag_daemon_pidfile(),
 *          ag_daemon_drop_privileges().
 * Errors:  each returns AG_OK or an AG_E* code with err filled; main()
 *          logs it and exits.
 */
#ifndef AG_MILTER_DAEMON_H
#define AG_MILTER_DAEMON_H

#include "milter/config.h"

/* ag_daemon_prepare_socket - for a unix socket: refuse when a live milter
 * answers on it, remove it when stale */
int ag_daemon_prepare_socket(const char *spec, struct ag_err *err)
	AG_MUST_CHECK;

/* ag_daemon_socket_perms - chmod/chgrp a unix socket per the config */
int ag_daemon_socket_perms(const struct ag_config *cfg, struct ag_err *err)
	AG_MUST_CHECK;

/* ag_daemon_socket_path - the path of a unix socket spec, NULL for inet */
const char *ag_daemon_socket_path(const char *spec);

int ag_daemon_pidfile(const char *path, struct ag_err *err) AG_MUST_CHECK;

/* ag_daemon_drop_privileges - become cfg->user for good. As root with no
 * User configured this is an error: we never process mail as root. */
int ag_daemon_drop_privileges(const struct ag_config *cfg,
			      struct ag_err *err) AG_MUST_CHECK;

/* ag_daemon_detach - fork into the background, new session, stdio to
 * /dev/null; the parent exits 0 */
int ag_daemon_detach(struct ag_err *err) AG_MUST_CHECK;

#endif
