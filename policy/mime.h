/*
 * policy/mime.h - what content rules see of a body: the decoded text of
 * its text parts and the type and file name of every part
 * Use:     ag_mime_scan() on the start of the body (the scan window) and
 *          the top-level Content-Type and Content-Transfer-Encoding;
 *          ag_mime_result_free() always.
 * Owns:    the result owns its text buffer.
 * Threads: reentrant.
 * Limits:  AG_MIME_MAX_PARTS parts described (more counted),
 *          AG_MIME_MAX_DEPTH nested multiparts followed, text_max bytes of
 *          text. Bad input never fails: what could be understood is given.
 */
#ifndef AG_POLICY_MIME_H
#define AG_POLICY_MIME_H

#include <stdbool.h>
#include <stddef.h>

#define AG_MIME_MAX_PARTS 64
#define AG_MIME_MAX_DEPTH 8

struct ag_mime_part {
	char type[128];		/* "text/plain", lower case (RFC 2045 5.2
				 * default when absent) */
	char name[256];		/* file name (Content-Disposition filename,
				 * RFC 2231, else Content-Type name), UTF-8 */
	bool attachment;	/* disposition attachment, or a file name */
};

struct ag_mime_result {
	char *text;		/* decoded text/plain and text/html parts,
				 * UTF-8, "\n" between parts; NUL-terminated */
	size_t text_len;
	struct ag_mime_part part[AG_MIME_MAX_PARTS];
	unsigned nparts;	/* leaf parts described */
	unsigned nparts_total;	/* leaf parts seen */
	bool truncated;		/* the window or a limit cut the scan */
};

/* ag_mime_scan - AG_OK or AG_ENOMEM; *r is set either way */
int ag_mime_scan(const char *content_type, const char *cte,
		 const unsigned char *body, size_t len, size_t text_max,
		 struct ag_mime_result *r);

void ag_mime_result_free(struct ag_mime_result *r);

#endif
