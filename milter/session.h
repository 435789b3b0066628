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
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#include "arc/arc.h"
#include "dkim/sign.h"
#include "dkim/verify.h"
#include "dmarc/evaluate.h"
#include "dmarc/from.h"
#include "milter/config.h"
#include "spf/spf.h"

#define AG_SESSION_MAX_AR 1024
#define AG_SESSION_STR 256
#define AG_SESSION_ADDR_MAX 1024
#define AG_SESSION_HDR_BYTES (1024 * 1024) /* headers kept for signing */
#define AG_SESSION_HDR_MAX 2000		/* header fields kept for signing */
#define AG_SESSION_FROM_KEPT 2		/* From fields parsed for DMARC */
#define AG_SESSION_DMARC_MAX 4		/* author domains evaluated */
#define AG_SESSION_RCPT_MAX 1000	/* recipients kept for rules and
					 * redirect; more are counted */

/* what is kept of one DMARC evaluation for the header and the log */
struct ag_dmarc_done {
	char domain[256];
	enum ag_dmarc_result result;
	bool have_record;
	enum ag_dmarc_policy p, sp, policy, disposition;
	const char *why;		/* static text */
};

/* one header field kept until the signing keys are known (end of
 * headers: they depend on From) */
struct ag_session_hdr {
	char *name;
	char *value;
};

struct ag_message {
	struct timespec start;
	char qid[64];
	char mailfrom[AG_SESSION_ADDR_MAX];
	char auth_user[AG_SESSION_STR];
	char hfrom_domain[AG_SESSION_STR];
	unsigned nrcpt;
	char rcpt_domain[AG_SESSION_STR];	/* first RCPT's domain */
	unsigned nfrom;			/* From fields seen */
	unsigned ar_count;		/* Authentication-Results seen */
	unsigned n_ours;		/* entries of ar_ours, below */
	bool ar_overflow;
	bool spf_skipped;		/* internal or authenticated */
	bool spf_mf_done, spf_helo_done;
	struct ag_spf_outcome spf_mf;
	struct ag_spf_outcome spf_helo;
	int error;			/* AG_E* of an internal failure */
	char error_what[AG_ERR_MSG_MAX];

	/* DKIM */
	bool outbound;			/* authenticated or internal: sign */
	char from_addr[AG_SESSION_ADDR_MAX]; /* author, for the SigningTable */
	struct ag_dkim_verifier *dkim_v;
	bool dkim_verified;
	struct ag_dkim_signer *dkim_s;
	unsigned dkim_signed;		/* signatures added */
	const char *dkim_nosign;	/* why an outbound message is unsigned */
	struct ag_session_hdr *hdrs;	/* kept for signing, until eoh */
	unsigned nhdrs, hdrs_cap;
	size_t hdr_bytes;

	/* DMARC */
	struct ag_dmarc_from hfrom[AG_SESSION_FROM_KEPT];
	unsigned ndmarc;
	struct ag_dmarc_done dmarc[AG_SESSION_DMARC_MAX];
	const char *from_problem;	/* NULL, or why From has no single
					 * author domain */

	/* ARC (arcmsg.c) */
	struct ag_arc *arc;		/* the verifier, inbound mail only */
	struct ag_arc_results *arc_res;	/* after ag_arcmsg_finish(); NULL
					 * when not verified */
	bool arc_trusted;		/* pass, newest sealer trusted */
	bool arc_sealed;
	unsigned arc_instance;		/* i= of the set we added */
	char arc_noseal[128];		/* why a sealable message was not */

	/* rules: what the facts are built from */
	struct ag_session_hdr *all;	/* every header field, in order */
	unsigned nall, all_cap;
	size_t all_bytes;
	bool all_full;			/* past the limits: the rest unkept */
	char **rcpt;			/* first AG_SESSION_RCPT_MAX */
	unsigned nrcpt_kept, rcpt_cap;
	char from_name[AG_SESSION_STR];	/* display name of the first From */
	unsigned long long size;	/* header and body bytes */
	unsigned char *body;		/* scan window, when rules need it */
	size_t body_len;

	/* Last, and only partly cleared between messages (17 of its 32 KB):
	 * ar_ours below n_ours, dkim.sig below dkim.count are read */
	unsigned ar_ours[AG_SESSION_MAX_AR]; /* 1-based indexes of ours */
	struct ag_dkim_results dkim;	/* count, not_evaluated cleared */
};

/* the part of struct ag_message cleared between messages */
#define AG_MESSAGE_CLEARED offsetof(struct ag_message, ar_ours)

struct ag_session {
	struct ag_config *cfg;
	char ip[INET6_ADDRSTRLEN];
	char hostname[AG_SESSION_STR];
	char helo[AG_SESSION_STR];
	struct sockaddr_storage addr;
	bool have_addr;
	bool internal;
	bool explain;		/* authgate --test: gather every fact */
	bool connected;		/* xxfi_connect ran (counted as active) */
	unsigned long noreply;	/* SMFIP_NR_* the MTA agreed to */
	char tls_version[64];
	char tls_cipher[128];
	struct ag_message msg;
};

/* ag_session_new - NULL when out of memory; takes a reference to the
 * current configuration snapshot */
struct ag_session *ag_session_new(void);

/* ag_session_new_cfg - the same with a given configuration (authgate
 * --test); takes a reference */
struct ag_session *ag_session_new_cfg(struct ag_config *cfg);
void ag_session_free(struct ag_session **s);
/* ag_session_msg_reset - free what the message holds, start afresh */
void ag_session_msg_reset(struct ag_session *s);

/* ag_session_keep_header - copy a header for signing later; AG_ELIMIT past
 * AG_SESSION_HDR_BYTES / AG_SESSION_HDR_MAX, AG_ENOMEM */
int ag_session_keep_header(struct ag_message *m, const char *name,
			   const char *value) AG_MUST_CHECK;

/* ag_session_keep_all - copy a header for the rules; past the limits
 * of ag_session_keep_header the rest is not kept (all_full); AG_ENOMEM */
int ag_session_keep_all(struct ag_message *m, const char *name,
			const char *value) AG_MUST_CHECK;

/* ag_session_keep_rcpt - count a recipient and copy it (the first
 * AG_SESSION_RCPT_MAX) */
int ag_session_keep_rcpt(struct ag_message *m, const char *rcpt)
	AG_MUST_CHECK;

/* ag_session_drop_headers - free the headers kept for signing */
void ag_session_drop_headers(struct ag_message *m);

/* ag_session_copy - bounded copy of attacker text, control bytes dropped */
void ag_session_copy(char *dst, size_t size, const char *src);

#endif
