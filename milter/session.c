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
	struct ag_config *cfg = ag_snapshot_get();
	struct ag_session *s;

	if (cfg == NULL)
		return NULL;
	s = ag_session_new_cfg(cfg);
	ag_config_unref(&cfg);
	return s;
}

struct ag_session *
ag_session_new_cfg(struct ag_config *cfg)
{
	struct ag_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->cfg = ag_config_ref(cfg);
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
	ag_arc_free(&s->msg.arc);
	free(s->msg.arc_res);
	ag_session_drop_headers(&s->msg);
	for (unsigned i = 0; i < s->msg.nall; i++) {
		free(s->msg.all[i].name);
		free(s->msg.all[i].value);
	}
	free(s->msg.all);
	for (unsigned i = 0; i < s->msg.nrcpt_kept; i++)
		free(s->msg.rcpt[i]);
	free(s->msg.rcpt);
	free(s->msg.body);
	memset(&s->msg, 0, AG_MESSAGE_CLEARED);
	s->msg.dkim.count = 0;
	s->msg.dkim.not_evaluated = 0;
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

/* keep - append a copy of name: value to a bounded list */
static int
keep(struct ag_session_hdr **list, unsigned *n, unsigned *cap,
     size_t *total, const char *name, const char *value)
{
	size_t bytes = strlen(name) + strlen(value) + 2;
	struct ag_session_hdr *h;

	if (*n >= AG_SESSION_HDR_MAX || *total + bytes > AG_SESSION_HDR_BYTES)
		return AG_ELIMIT;
	if (*n == *cap) {
		unsigned c = *cap ? *cap * 2 : 32;
		struct ag_session_hdr *v = realloc(*list, c * sizeof(*v));
		if (v == NULL)
			return AG_ENOMEM;
		*list = v;
		*cap = c;
	}
	h = &(*list)[*n];
	if ((h->name = strdup(name)) == NULL)
		return AG_ENOMEM;
	if ((h->value = strdup(value)) == NULL) {
		free(h->name);
		return AG_ENOMEM;
	}
	(*n)++;
	*total += bytes;
	return AG_OK;
}

int
ag_session_keep_header(struct ag_message *m, const char *name,
		       const char *value)
{
	return keep(&m->hdrs, &m->nhdrs, &m->hdrs_cap, &m->hdr_bytes, name,
		    value);
}

int
ag_session_keep_all(struct ag_message *m, const char *name,
		    const char *value)
{
	int rc;

	if (m->all_full)
		return AG_OK;
	rc = keep(&m->all, &m->nall, &m->all_cap, &m->all_bytes, name, value);
	if (rc == AG_ELIMIT) {
		m->all_full = true;
		return AG_OK;
	}
	return rc;
}

int
ag_session_keep_rcpt(struct ag_message *m, const char *rcpt)
{
	unsigned i = m->nrcpt_kept;

	m->nrcpt++;
	if (i >= AG_SESSION_RCPT_MAX)
		return AG_OK;
	if (i == m->rcpt_cap) {
		unsigned c = m->rcpt_cap ? m->rcpt_cap * 2 : 8;
		char **v = realloc(m->rcpt, c * sizeof(*v));

		if (v == NULL)
			return AG_ENOMEM;
		m->rcpt = v;
		m->rcpt_cap = c;
	}
	if ((m->rcpt[i] = strdup(rcpt)) == NULL)
		return AG_ENOMEM;
	m->nrcpt_kept++;
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
