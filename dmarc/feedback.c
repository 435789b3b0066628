/*
 * dmarc/feedback.c - the report's memory: one arena of large blocks for
 * every string and small array, and a growing record array
 */
#include "dmarc/feedback.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE (64 * 1024)

struct block {
	struct block *next;
	size_t used, size;
	unsigned char data[];
};

struct ag_fb_internal {
	struct block *blocks;
	size_t cap;		/* records allocated */
};

void *
ag_feedback_alloc(struct ag_feedback *fb, size_t n)
{
	struct ag_fb_internal *in = fb->internal;
	struct block *b = in->blocks;
	void *p;

	n = (n + 15) & ~(size_t)15;	/* keep every piece aligned */
	if (b == NULL || b->size - b->used < n) {
		size_t size = n > BLOCK_SIZE ? n : BLOCK_SIZE;

		if ((b = malloc(sizeof(*b) + size)) == NULL)
			return NULL;
		b->used = 0;
		b->size = size;
		b->next = in->blocks;
		in->blocks = b;
	}
	p = b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

const char *
ag_feedback_str(struct ag_feedback *fb, const char *s, size_t len)
{
	char *p;

	if (len == 0)
		return "";
	if ((p = ag_feedback_alloc(fb, len + 1)) == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

struct ag_feedback *
ag_feedback_new(void)
{
	struct ag_feedback *fb = calloc(1, sizeof(*fb));

	if (fb == NULL)
		return NULL;
	if ((fb->internal = calloc(1, sizeof(*fb->internal))) == NULL) {
		free(fb);
		return NULL;
	}
	fb->version = fb->org_name = fb->email = fb->extra_contact_info = "";
	fb->report_id = fb->generator = "";
	fb->domain = fb->adkim = fb->aspf = fb->p = fb->sp = fb->np = "";
	fb->fo = fb->testing = fb->discovery_method = "";
	fb->pct = -1;
	return fb;
}

void
ag_feedback_free(struct ag_feedback *fb)
{
	struct block *b, *next;

	if (fb == NULL)
		return;
	for (b = fb->internal->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(fb->internal);
	free(fb->rec);
	free(fb);
}

struct ag_fb_record *
ag_feedback_add_record(struct ag_feedback *fb)
{
	struct ag_fb_internal *in = fb->internal;
	struct ag_fb_record *r;

	if (fb->nrec >= AG_FB_MAX_RECORDS)
		return NULL;
	if (fb->nrec == in->cap) {
		size_t cap = in->cap != 0 ? in->cap * 2 : 64;

		if ((r = realloc(fb->rec, cap * sizeof(*r))) == NULL)
			return NULL;
		fb->rec = r;
		in->cap = cap;
	}
	r = &fb->rec[fb->nrec++];
	memset(r, 0, sizeof(*r));
	r->source_ip = r->disposition = r->dkim = r->spf = "";
	r->envelope_to = r->envelope_from = r->header_from = "";
	return r;
}
