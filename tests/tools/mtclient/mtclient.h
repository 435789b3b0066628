/*
 * tests/tools/mtclient/mtclient.h - the parts of mtclient, a milter test client
 * Use:     mtclient.c includes this header and then buf.c, wire.c and
 *          message.c (see there why they are included, not linked);
 *          the program's manual is the comment at the top of mtclient.c.
 * Owns:    each struct below says what it owns; every _free() accepts a
 *          zeroed or already freed object.
 * Threads: single-threaded program.
 * Limits:  MT_PACKET_MAX per reply packet, MT_MESSAGE_MAX per input message
 *          and per replaced body, MT_HEADERS_MAX headers (original plus
 *          added by the milter).
 * Errors:  functions return 0 or -1; on -1 they have already printed one
 *          "mtclient: ..." line to stderr, and the caller picks the exit
 *          status (MT_EXIT_*).
 */
#ifndef MTCLIENT_H
#define MTCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MT_EXIT_OK 0		/* conversation completed, any verdict */
#define MT_EXIT_USAGE 1		/* bad option or input, -o failed */
#define MT_EXIT_PROTO 2		/* connection, protocol, timeout */

#define MT_PACKET_MAX (1024 * 1024)	/* largest reply packet accepted */
#define MT_MESSAGE_MAX (64 * 1024 * 1024) /* input message, replaced body */
#define MT_HEADERS_MAX 20000		/* headers in one message */
#define MT_SMALL_MAX (64 * 1024)	/* one command we build */

#define MT_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* mt_err - print "mtclient: " and the message on stderr (%m allowed) */
void mt_err(const char *fmt, ...) MT_PRINTF(1, 2);

/*
 * Binary-safe byte buffer that refuses to grow past max (mt_buf_init()).
 * data stays NUL-terminated after len, so text can be used as a string.
 * Owns its data; what names it in the error printed at the limit.
 */
struct mt_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
	const char *what;
};

void mt_buf_init(struct mt_buf *b, size_t max, const char *what);
int mt_buf_append(struct mt_buf *b, const void *p, size_t n);
/* mt_buf_append_str - append s with its terminating NUL, as milters want */
int mt_buf_append_str(struct mt_buf *b, const char *s);
/* mt_buf_resize - set len to n (n <= max); new bytes are uninitialised */
int mt_buf_resize(struct mt_buf *b, size_t n);
void mt_buf_reset(struct mt_buf *b);
void mt_buf_free(struct mt_buf *b);

/* mt_put_escaped - write p[0..n) to stdout as one line-safe token:
 * \n \r \t \\ \" and bytes outside 0x20..0x7e as \xNN; unquoted output
 * (quoted false) also escapes the space. */
void mt_put_escaped(const char *p, size_t n, bool quoted);
/* mt_put_quoted - write ` key="escaped value"` to stdout */
void mt_put_quoted(const char *key, const char *p, size_t n);

/*
 * wire.c: one connection to the milter. Every wait (connect, each write,
 * each reply) is bounded by timeout_s seconds.
 */
struct mt_conn {
	int fd;			/* -1 when closed */
	int timeout_s;
};

/* mt_conn_open - connect to SPEC: inet:PORT@HOST, inet:HOST:PORT,
 * inet6:..., unix:/PATH or local:/PATH; c->fd is -1 on failure */
int mt_conn_open(struct mt_conn *c, const char *spec, int timeout_s);
/* mt_conn_send - send one packet: length, command byte, data */
int mt_conn_send(struct mt_conn *c, char cmd, const void *data, size_t len);
/* mt_conn_recv - read one packet; data_r (max >= MT_PACKET_MAX) gets its
 * data; stage names the command we wait on, for error messages */
int mt_conn_recv(struct mt_conn *c, const char *stage, char *cmd_r,
    struct mt_buf *data_r);
void mt_conn_close(struct mt_conn *c);
/* mt_put32 / mt_get32 - the protocol's big-endian 32-bit numbers */
void mt_put32(unsigned char *p, uint32_t v);
uint32_t mt_get32(const char *s);

/*
 * message.c: an RFC 5322 message as Postfix hands it to milters. A header
 * keeps its name (whitespace before the colon dropped) and raw, the text
 * after the colon with folded lines joined by "\n" (Postfix's form).
 * body holds the body lines, each ended by CRLF, as sent in SMFIC_BODY.
 * Owns its headers and body; zero-initialise before first use.
 */
struct mt_header {
	char *name;
	char *raw;
};

struct mt_message {
	struct mt_header *hdr;
	size_t nhdr;
	size_t cap;
	struct mt_buf body;
	bool allow_nul;		/* keep header lines with NUL bytes (the
				 * milter sees the value up to the first
				 * NUL, as libmilter would show it) */
	size_t header_limit;	/* cut each header (name, colon and value)
				 * to this many bytes, as Postfix's
				 * header_size_limit does; 0: no limit */
};

/* mt_message_read - parse PATH ("-" is stdin); LF or CRLF line ends */
int mt_message_read(struct mt_message *m, const char *path);
/* mt_message_copy_headers - replace dst's headers by a copy of src's */
int mt_message_copy_headers(struct mt_message *dst,
    const struct mt_message *src);
/* mt_header_insert - insert before position pos (clamped to the end) */
int mt_header_insert(struct mt_message *m, size_t pos, const char *name,
    size_t name_len, const char *raw, size_t raw_len);
/* mt_header_change - milter semantics: index is the 1-based occurrence of
 * name (0 counts as 1); raw NULL deletes it; a missing one is appended
 * unless deleting */
int mt_header_change(struct mt_message *m, uint32_t index, const char *name,
    const char *raw);
/* mt_message_write - write headers, blank line, body (body NULL: m's own)
 * to path with LF line ends */
int mt_message_write(const struct mt_message *m, const struct mt_buf *body,
    const char *path);
void mt_message_free(struct mt_message *m);

#endif
