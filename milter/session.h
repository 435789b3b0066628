/*
 * milter/session.h - per-connection and per-message state
 * Use:     ag_session_new() at connect, ag_session_msg_reset() at each
 *          MAIL FROM and abort, ag_session_free() at close.
 * Owns:    one configuration reference (taken at connect, kept until
 *          close so every message of a connection sees one snapshot).
 * Threads: one owner: the libmilter thread of that connection.
 * Limits:  AG_SESSION_MAX_AR Authentication-Results fields remembered for
 *          removal; past it the message is rejected as malformed.
 */
#ifndef AG_MILTER_SESSION_H
#define AG_MILTER_SESSION_H

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

#include "milter/config.h"
#include "spf/spf.h"

#define AG_SESSION_MAX_AR 1024
#define AG_SESSION_STR 256
#define AG_SESSION_ADDR_MAX 1024

struct ag_message {
	struct timespec start;
	char qid[64];
	char mailfrom[AG_SESSION_ADDR_MAX];
	char auth_user[AG_SESSION_STR];
	char hfrom_domain[AG_SESSION_STR];
	unsigned nrcpt;
	unsigned nfrom;			/* From fields seen */
	unsigned ar_count;		/* Authentication-Results seen */
	unsigned ar_ours[AG_SESSION_MAX_AR]; /* 1-based indexes of ours */
	unsigned n_ours;
	bool ar_overflow;
	bool spf_skipped;		/* internal or authenticated */
	bool spf_mf_done, spf_helo_done;
	struct ag_spf_outcome spf_mf;
	struct ag_spf_outcome spf_helo;
	int error;			/* AG_E* of an internal failure */
	char error_what[128];
};

struct ag_session {
	struct ag_config *cfg;
	char ip[INET6_ADDRSTRLEN];
	char hostname[AG_SESSION_STR];
	char helo[AG_SESSION_STR];
	struct sockaddr_storage addr;
	bool have_addr;
	bool internal;
	struct ag_message msg;
};

/* ag_session_new - NULL when out of memory; takes a config reference */
struct ag_session *ag_session_new(void);
void ag_session_free(struct ag_session **s);
void ag_session_msg_reset(struct ag_session *s);

/* ag_session_copy - bounded copy of attacker text, control bytes dropped */
void ag_session_copy(char *dst, size_t size, const char *src);

#endif
