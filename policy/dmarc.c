/*
 * policy/dmarc.c - names of From problems
 */
#include "policy/dmarc.h"

#include <stdio.h>
#include <string.h>

static const char *const problem_names[] = {
	[AG_FROM_OK] = "ok",
	[AG_FROM_NONE] = "no From header field",
	[AG_FROM_SEVERAL] = "more than one From header field",
	[AG_FROM_DOMAINS] = "From addresses in more than one domain",
	[AG_FROM_NO_DOMAIN] = "no valid author domain in From",
};

const char *
ag_from_problem_name(enum ag_from_problem p)
{
	if ((unsigned)p >= sizeof(problem_names) / sizeof(problem_names[0]))
		return "bad From";
	return problem_names[p];
}
