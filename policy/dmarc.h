/*
 * policy/dmarc.h - why a message has no single DMARC author domain, in
 * words the rules (from.problem) and the reply text use
 * Owns:    static text only.
 * Threads: reentrant.
 */
#ifndef AG_POLICY_DMARC_H
#define AG_POLICY_DMARC_H

#include <stdbool.h>

/* why a message has no single author domain */
enum ag_from_problem {
	AG_FROM_OK = 0,
	AG_FROM_NONE,		/* no From field */
	AG_FROM_SEVERAL,	/* more than one From field */
	AG_FROM_DOMAINS,	/* one field, several author domains */
	AG_FROM_NO_DOMAIN	/* no usable author domain in it */
};

const char *ag_from_problem_name(enum ag_from_problem p);

#endif
