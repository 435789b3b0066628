/*
 * report/mailout.c - compose a report message and hand it to the MTA
 */
#include "report/mailout.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <openssl/rand.h>

#define SMTP_TIMEOUT_MS 60000
#define EX_TEMPFAIL_ 75

int
ag_mailout_gzip(const char *data, size_t len, unsigned char **out_r,
		size_t *out_len_r, struct ag_err *err)
{
	z_stream z;
	size_t cap = len + len / 1000 + 128;
	unsigned char *out;
	int zr;

	*out_r = NULL;
	if (len > UINT32_MAX)
		return ag_err_set(err, AG_ELIMIT, "report too large to gzip");
	if ((out = malloc(cap)) == NULL)
		return ag_err_set(err, AG_ENOMEM, "out of memory");
	memset(&z, 0, sizeof(z));
	/* 16 + 15 window bits: a gzip header, not a zlib one */
	if (deflateInit2(&z, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK) {
		free(out);
		return ag_err_set(err, AG_EINTERNAL, "deflateInit2 failed");
	}
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	zr = deflate(&z, Z_FINISH);
	deflateEnd(&z);
	if (zr != Z_STREAM_END) {
		free(out);
		return ag_err_set(err, AG_EINTERNAL, "gzip failed (%d)", zr);
	}
	*out_r = out;
	*out_len_r = cap - z.avail_out;
	return AG_OK;
}

/* grow - a simple string builder */
struct sb {
	char *p;
	size_t len, cap;
	int failed;
};

static void
sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *np = realloc(b->p, cap);

		if (np == NULL) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void
sb_base64(struct sb *b, const unsigned char *d, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789+/";
	char line[80];
	size_t col = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)d[i] << 16;
		char q[4];

		if (i + 1 < n)
			v |= (unsigned)d[i + 1] << 8;
		if (i + 2 < n)
			v |= d[i + 2];
		q[0] = tab[(v >> 18) & 63];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? tab[v & 63] : '=';
		memcpy(line + col, q, 4);
		col += 4;
		if (col == 76) {
			line[col++] = '\n';
			sb_add(b, line, col);
			col = 0;
		}
	}
	if (col > 0) {
		line[col++] = '\n';
		sb_add(b, line, col);
	}
}

/* hex - n random bytes as hex, for boundaries and Message-IDs */
static void
hex(char *out, size_t n)
{
	unsigned char r[32];

	if (n > sizeof(r))
		n = sizeof(r);
	if (RAND_bytes(r, (int)n) != 1)
		for (size_t i = 0; i < n; i++)
			r[i] = (unsigned char)(rand() ^ (int)time(NULL));
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", r[i]);
}

int
ag_mailout_compose(const struct ag_mailout_msg *m, char **msg_r,
		   size_t *len_r, struct ag_err *err)
{
	struct sb b = { NULL, 0, 0, 0 };
	char line[2048], date[64], boundary[40], id[40];
	time_t now = time(NULL);
	struct tm tm;

	*msg_r = NULL;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	hex(boundary, 12);
	hex(id, 16);
	if (m->from_name[0] != '\0')
		snprintf(line, sizeof(line), "From: \"%s\" <%s>\n",
			 m->from_name, m->from);
	else
		snprintf(line, sizeof(line), "From: <%s>\n", m->from);
	sb_str(&b, line);
	snprintf(line, sizeof(line), "To: <%s>\nDate: %s\nSubject: %s\n",
		 m->to, date, m->subject);
	sb_str(&b, line);
	snprintf(line, sizeof(line), "Message-ID: <%s@%s>\nMIME-Version: 1.0\n"
		 "Content-Type: multipart/mixed; boundary=\"=_ag%s\"\n\n"
		 "This is a MIME message: a DMARC aggregate report.\n\n",
		 id, m->msgid_domain, boundary);
	sb_str(&b, line);
	snprintf(line, sizeof(line), "--=_ag%s\nContent-Type: text/plain; "
		 "charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n",
		 boundary);
	sb_str(&b, line);
	sb_str(&b, m->text);
	snprintf(line, sizeof(line), "\n--=_ag%s\nContent-Type: %s; "
		 "name=\"%s\"\nContent-Transfer-Encoding: base64\n"
		 "Content-Disposition: attachment; filename=\"%s\"\n\n",
		 boundary, m->ctype, m->filename, m->filename);
	sb_str(&b, line);
	sb_base64(&b, m->att, m->att_len);
	snprintf(line, sizeof(line), "\n--=_ag%s--\n", boundary);
	sb_str(&b, line);
	if (b.failed) {
		free(b.p);
		return ag_err_set(err, AG_ENOMEM, "out of memory");
	}
	*msg_r = b.p;
	*len_r = b.len;
	return AG_OK;
}

/* via_sendmail - run sendmail -i -f from -- rcpt with msg on stdin */
static enum ag_mailout_status
via_sendmail(const char *path, const char *from, const char *rcpt,
	     const char *msg, size_t len, char *why, size_t why_size)
{
	int fds[2], status;
	pid_t pid;
	size_t off = 0;
	void (*old)(int);

	if (pipe(fds) != 0) {
		snprintf(why, why_size, "pipe: %s", strerror(errno));
		return AG_MAILOUT_TEMP;
	}
	if ((pid = fork()) < 0) {
		snprintf(why, why_size, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return AG_MAILOUT_TEMP;
	}
	if (pid == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execl(path, "sendmail", "-i", "-f", from, "--", rcpt,
		      (char *)NULL);
		_exit(EX_TEMPFAIL_);
	}
	close(fds[0]);
	/* a sendmail that exits early must not kill us with SIGPIPE */
	old = signal(SIGPIPE, SIG_IGN);
	while (off < len) {
		ssize_t n = write(fds[1], msg + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fds[1]);
	signal(SIGPIPE, old);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(why, why_size, "waitpid: %s", strerror(errno));
			return AG_MAILOUT_TEMP;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && off == len)
		return AG_MAILOUT_SENT;
	if (WIFEXITED(status)) {
		snprintf(why, why_size, "%s exited with status %d", path,
			 WEXITSTATUS(status));
		return WEXITSTATUS(status) == EX_TEMPFAIL_ ? AG_MAILOUT_TEMP
							   : AG_MAILOUT_PERM;
	}
	snprintf(why, why_size, "%s was killed", path);
	return AG_MAILOUT_TEMP;
}

/* smtp - one connection's state */
struct smtp {
	int fd;
	char buf[4096];
	size_t len;
};

/* smtp_reply - read one (multi-line) reply; its code, or -1; the last
 * line in why */
static int
smtp_reply(struct smtp *s, char *why, size_t why_size)
{
	for (;;) {
		char *nl;

		while ((nl = memchr(s->buf, '\n', s->len)) != NULL) {
			size_t ll = (size_t)(nl - s->buf) + 1;
			int code = -1;
			int last = ll >= 4 && s->buf[3] != '-';

			if (ll >= 3 && s->buf[0] >= '2' && s->buf[0] <= '5')
				code = atoi(s->buf);
			if (last)
				snprintf(why, why_size, "%.*s",
					 (int)(ll > 2 ? ll - 2 : ll), s->buf);
			memmove(s->buf, s->buf + ll, s->len - ll);
			s->len -= ll;
			if (code < 0)
				return -1;
			if (last)
				return code;
		}
		{
			struct pollfd p = { s->fd, POLLIN, 0 };
			ssize_t n;

			if (s->len == sizeof(s->buf) ||
			    poll(&p, 1, SMTP_TIMEOUT_MS) <= 0)
				return -1;
			n = read(s->fd, s->buf + s->len,
				 sizeof(s->buf) - s->len);
			if (n <= 0)
				return -1;
			s->len += (size_t)n;
		}
	}
}

static int
smtp_write(struct smtp *s, const char *d, size_t n)
{
	while (n > 0) {
		ssize_t w = send(s->fd, d, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		d += w;
		n -= (size_t)w;
	}
	return 0;
}

/* smtp_cmd - send a command and read the reply; its code or -1 */
static int
smtp_cmd(struct smtp *s, const char *cmd, char *why, size_t why_size)
{
	if (smtp_write(s, cmd, strlen(cmd)) != 0) {
		snprintf(why, why_size, "connection lost");
		return -1;
	}
	return smtp_reply(s, why, why_size);
}

/* smtp_data - the message, LF to CRLF and dot-stuffed, then "." */
static int
smtp_data(struct smtp *s, const char *msg, size_t len)
{
	char out[8192];
	size_t o = 0;
	int bol = 1;

	for (size_t i = 0; i < len; i++) {
		if (o + 4 > sizeof(out)) {
			if (smtp_write(s, out, o) != 0)
				return -1;
			o = 0;
		}
		if (bol && msg[i] == '.')
			out[o++] = '.';
		if (msg[i] == '\n') {
			if (i == 0 || msg[i - 1] != '\r')
				out[o++] = '\r';
			out[o++] = '\n';
			bol = 1;
			continue;
		}
		out[o++] = msg[i];
		bol = 0;
	}
	if (!bol) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	if (smtp_write(s, out, o) != 0)
		return -1;
	return smtp_write(s, ".\r\n", 3);
}

static enum ag_mailout_status
classify(int code)
{
	if (code >= 500)
		return AG_MAILOUT_PERM;
	return AG_MAILOUT_TEMP;
}

static enum ag_mailout_status
via_smtp(const char *server, const char *helo, const char *from,
	 const char *rcpt, const char *msg, size_t len, char *why,
	 size_t why_size)
{
	struct addrinfo hints, *ai = NULL;
	struct smtp s = { .fd = -1, .len = 0 };
	char host[256], cmd[1200];
	const char *port = strrchr(server, ':');
	enum ag_mailout_status st = AG_MAILOUT_TEMP;
	int code;

	snprintf(host, sizeof(host), "%.*s", (int)(port - server), server);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port + 1, &hints, &ai) != 0 || ai == NULL) {
		snprintf(why, why_size, "%s: cannot resolve", server);
		goto done;
	}
	s.fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s.fd < 0 || connect(s.fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		snprintf(why, why_size, "%s: connect: %s", server,
			 strerror(errno));
		goto done;
	}
	if ((code = smtp_reply(&s, why, why_size)) != 220)
		goto refused;
	snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", helo);
	if ((code = smtp_cmd(&s, cmd, why, why_size)) != 250)
		goto refused;
	snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>\r\n", from);
	if ((code = smtp_cmd(&s, cmd, why, why_size)) != 250)
		goto refused;
	snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>\r\n", rcpt);
	if ((code = smtp_cmd(&s, cmd, why, why_size)) != 250 && code != 251)
		goto refused;
	if ((code = smtp_cmd(&s, "DATA\r\n", why, why_size)) != 354)
		goto refused;
	if (smtp_data(&s, msg, len) != 0) {
		snprintf(why, why_size, "%s: connection lost in DATA", server);
		goto done;
	}
	if ((code = smtp_reply(&s, why, why_size)) != 250)
		goto refused;
	st = AG_MAILOUT_SENT;
	(void)smtp_cmd(&s, "QUIT\r\n", cmd, sizeof(cmd));
	goto done;
refused:
	st = code < 0 ? AG_MAILOUT_TEMP : classify(code);
	if (code < 0 && why[0] == '\0')
		snprintf(why, why_size, "%s: no valid reply", server);
done:
	if (s.fd >= 0)
		close(s.fd);
	if (ai != NULL)
		freeaddrinfo(ai);
	return st;
}

enum ag_mailout_status
ag_mailout_send(const char *sendmail, const char *smtp, const char *helo,
		const char *from, const char *rcpt, const char *msg,
		size_t len, char *why, size_t why_size)
{
	why[0] = '\0';
	if (smtp != NULL && smtp[0] != '\0')
		return via_smtp(smtp, helo, from, rcpt, msg, len, why,
				why_size);
	return via_sendmail(sendmail, from, rcpt, msg, len, why, why_size);
}
