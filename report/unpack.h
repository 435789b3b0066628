/*
 * report/unpack.h - find the DMARC reports inside what an admin (or a
 * mail alias) hands to authgate-report ingest: raw XML, gzip, zip, RFC
 * 5322 messages with reports attached, ARF failure reports, mbox files,
 * directories and Maildir folders, or stdin
 * Use:     ag_unpack_path() or ag_unpack_buffer(); fn is called once per
 *          report found, efn once per input refused (with why).
 * Owns:    what fn is given lives only during the call.
 * Threads: reentrant.
 * Limits:  (each one refuses the item it applies to, never the run)
 *          AG_UNPACK_FILE_MAX bytes per file and per decompressed item;
 *          decompression stops at a ratio over AG_UNPACK_RATIO once the
 *          output passes 1 MB (zip and gzip bombs); AG_UNPACK_ZIP_ENTRIES
 *          entries per zip; AG_UNPACK_DEPTH nested containers;
 *          AG_UNPACK_PARTS MIME parts per message; AG_UNPACK_DIR_DEPTH
 *          directory levels. Symbolic links to directories are not
 *          followed.
 * Detection is by content, not by file name.
 */
#ifndef AG_REPORT_UNPACK_H
#define AG_REPORT_UNPACK_H

#include <stddef.h>

#define AG_UNPACK_FILE_MAX (64u * 1024 * 1024)
#define AG_UNPACK_RATIO 1000
#define AG_UNPACK_ZIP_ENTRIES 32
#define AG_UNPACK_DEPTH 6
#define AG_UNPACK_PARTS 100
#define AG_UNPACK_DIR_DEPTH 16

enum ag_unpack_kind {
	AG_UNPACK_AGGREGATE,	/* data: the report's XML */
	AG_UNPACK_FAILURE	/* data: the message/feedback-report part;
				 * original: the reported message or its
				 * headers, or NULL */
};

struct ag_unpacked {
	enum ag_unpack_kind kind;
	const char *origin;	/* "file.eml: part 2 (x.xml.gz): gzip" */
	const char *data;
	size_t len;
	const char *original;
	size_t olen;
};

/* non-zero stops the walk */
typedef int (*ag_unpack_fn)(void *arg, const struct ag_unpacked *u);
typedef void (*ag_unpack_err_fn)(void *arg, const char *origin,
				 const char *why);

/* ag_unpack_buffer - the reports in one file's bytes; the number found,
 * or AG_ENOMEM */
int ag_unpack_buffer(const char *origin, const unsigned char *data,
		     size_t len, ag_unpack_fn fn, ag_unpack_err_fn efn,
		     void *arg);

/* ag_unpack_path - a file, a directory (recursively), or "-" for stdin;
 * the number found, or AG_ENOMEM */
int ag_unpack_path(const char *path, ag_unpack_fn fn, ag_unpack_err_fn efn,
		   void *arg);

#endif
