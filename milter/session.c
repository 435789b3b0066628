/*
 * milter/session.c - per-connection and per-message state
 */
#include "milter/session.h"

#include <stdlib.h>
#include <string.h>

#include "milter/snapshot.h"

struct ag_session *
ag_session_new(void)
{
	struct ag_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if ((s->cfg = ag_snapshot_get()) == NULL) {
		free(s);
		return NULL;
	}
	ag_session_msg_reset(s);
	return s;
}

void
ag_session_free(struct ag_session **s)
{
	if (s == NULL || *s == NULL)
		return;
	ag_config_unref(&(*s)->cfg);
	free(*s);
	*s = NULL;
}

void
ag_session_msg_reset(struct ag_session *s)
{
	memset(&s->msg, 0, sizeof(s->msg));
	clock_gettime(CLOCK_MONOTONIC, &s->msg.start);
}

void
ag_session_copy(char *dst, size_t size, const char *src)
{
	size_t o = 0;

	if (src != NULL) {
		for (; *src != '\0' && o + 1 < size; src++) {
			unsigned char c = (unsigned char)*src;
			if (c >= 0x20 && c != 0x7f)
				dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
}
