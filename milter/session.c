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
	ag_session_msg_reset(*s);
	ag_config_unref(&(*s)->cfg);
	free(*s);
	*s = NULL;
}

void
ag_session_msg_reset(struct ag_session *s)
{
	ag_dkim_verify_free(&s->msg.dkim_v);
	ag_dkim_sign_free(&s->msg.dkim_s);
	ag_session_drop_headers(&s->msg);
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

int
ag_session_keep_header(struct ag_message *m, const char *name,
		       const char *value)
{
	size_t bytes = strlen(name) + strlen(value) + 2;
	struct ag_session_hdr *h;

	if (m->nhdrs >= AG_SESSION_HDR_MAX ||
	    m->hdr_bytes + bytes > AG_SESSION_HDR_BYTES)
		return AG_ELIMIT;
	if (m->nhdrs == m->hdrs_cap) {
		unsigned cap = m->hdrs_cap ? m->hdrs_cap * 2 : 32;
		struct ag_session_hdr *v = realloc(m->hdrs, cap * sizeof(*v));
		if (v == NULL)
			return AG_ENOMEM;
		m->hdrs = v;
		m->hdrs_cap = cap;
	}
	h = &m->hdrs[m->nhdrs];
	if ((h->name = strdup(name)) == NULL)
		return AG_ENOMEM;
	if ((h->value = strdup(value)) == NULL) {
		free(h->name);
		return AG_ENOMEM;
	}
	m->nhdrs++;
	m->hdr_bytes += bytes;
	return AG_OK;
}

void
ag_session_drop_headers(struct ag_message *m)
{
	for (unsigned i = 0; i < m->nhdrs; i++) {
		free(m->hdrs[i].name);
		free(m->hdrs[i].value);
	}
	free(m->hdrs);
	m->hdrs = NULL;
	m->nhdrs = m->hdrs_cap = 0;
	m->hdr_bytes = 0;
}
