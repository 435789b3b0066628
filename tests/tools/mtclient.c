/*
 * tests/tools/mtclient.c - drive a milter over the milter protocol, no MTA
 *
 * Use:     mtclient -s SOCKET [options] MESSAGE-FILE    (usage() lists all)
 *          Plays the MTA side of the Sendmail milter protocol, version 6,
 *          the way Postfix does (src/milter/milter8.c): option
 *          negotiation, macros before each stage, CONNECT and HELO, then
 *          -c COUNT messages on the same connection (MAIL, RCPT..., DATA,
 *          HEADER..., EOH, BODY chunks, BODYEOB and the milter's edits),
 *          SMFIC_ABORT after a message that ended early, and SMFIC_QUIT.
 * Output:  one event per line on stdout, values escaped (\n \r \t \\ \"
 *          and other bytes outside 0x20..0x7e as \xNN):
 *            stage=optneg version=N actions=0xN protocol=0xN
 *                actflags="..." protoflags="..."
 *            stage=optneg symlist=STAGE macros="..."
 *            message=N                         before each message
 *            stage=STAGE reply=KIND [code=NNN text="..."] [LABEL]
 *                KIND: continue accept reject tempfail discard skip,
 *                noreply (SMFIP_NR_*), skipped (SMFIP_NO*); a reply code
 *                is reported as reject (5xx) or tempfail (4xx) with it;
 *                LABEL: rcpt="..." / name=NAME / length=N
 *            progress stage=STAGE
 *            action=insheader index=N name=NAME value="..."  (and
 *                addheader, chgheader, addrcpt, delrcpt, chgfrom,
 *                quarantine reason="...", replbody length=N)
 *            result=KIND [code=NNN text="..."]  the message's verdict,
 *                or the connection's after CONNECT or HELO said no;
 *                result=dropped / result=aborted where -k broke off
 * Owns:    the milter connection, the parsed message and a copy of its
 *          headers the milter edits; all freed on every exit path.
 * Threads: single-threaded.
 * Limits:  see mtclient/mtclient.h (packet, message, header limits) and
 *          the MT_* below; each wait is bounded by -t seconds.
 * Errors:  exit 0 when the conversation completed, whatever the verdict;
 *          1 on usage, an unreadable message or an unwritable -o file;
 *          2 on connection or protocol errors and timeouts.
 *
 * The Makefile builds one program from each .c file in tests/tools/, so
 * the parts under tests/tools/mtclient/ are included here rather than
 * linked, the way Redis's ae.c includes its event backends.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <libmilter/mfapi.h>	/* SMFIF_* */
#include <libmilter/mfdef.h>	/* SMFIC_*, SMFIR_*, SMFIP_* */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtclient/mtclient.h"
#include "mtclient/buf.c"
#include "mtclient/message.c"
#include "mtclient/wire.c"

#define MT_VERSION 6		/* milter protocol version we speak */
#define MT_MACROS_MAX 256	/* -m options */
#define MT_RCPTS_MAX 1000	/* -r options */
#define MT_COUNT_MAX 100000	/* -c */
#define MT_TIMEOUT_MAX 86400	/* -t */
#define MT_GENBODY_MAX (64ULL << 30)	/* -B */
#define MT_REPLIES_MAX 100000	/* packets answering one command */
#define MT_MACRO_STAGES 7	/* SMFIM_CONNECT .. SMFIM_EOH */
/* Postfix offers every step it can skip or leave unanswered (milter8.c);
 * offering 0 would mean SMFI_V1_PROT to libmilter, and a milter without
 * an eoh callback then fails negotiation for want of SMFIP_NOEOH. */
#define MT_OFFER_ACTIONS SMFI_CURR_ACTS
#define MT_OFFER_PROTO SMFI_CURR_PROT

/* Stages, the first seven in SMFIM_* order (setsymlist stage numbers). */
enum mt_stage {
	ST_CONNECT, ST_HELO, ST_MAIL, ST_RCPT, ST_DATA, ST_EOM, ST_EOH,
	ST_HEADER, ST_BODY, ST_COUNT
};

static const struct stage_info {
	const char *name;
	char cmd;
	uint32_t skip;		/* SMFIP_NO*: the milter wants none */
	uint32_t noreply;	/* SMFIP_NR_*: it will not answer it */
} stage_tab[ST_COUNT] = {
	[ST_CONNECT] = { "connect", SMFIC_CONNECT, SMFIP_NOCONNECT,
	    SMFIP_NR_CONN },
	[ST_HELO] = { "helo", SMFIC_HELO, SMFIP_NOHELO, SMFIP_NR_HELO },
	[ST_MAIL] = { "mail", SMFIC_MAIL, SMFIP_NOMAIL, SMFIP_NR_MAIL },
	[ST_RCPT] = { "rcpt", SMFIC_RCPT, SMFIP_NORCPT, SMFIP_NR_RCPT },
	[ST_DATA] = { "data", SMFIC_DATA, SMFIP_NODATA, SMFIP_NR_DATA },
	[ST_EOM] = { "eom", SMFIC_BODYEOB, 0, 0 },
	[ST_EOH] = { "eoh", SMFIC_EOH, SMFIP_NOEOH, SMFIP_NR_EOH },
	[ST_HEADER] = { "header", SMFIC_HEADER, SMFIP_NOHDRS, SMFIP_NR_HDR },
	[ST_BODY] = { "body", SMFIC_BODY, SMFIP_NOBODY, SMFIP_NR_BODY },
};

static const struct flag_name {
	uint32_t bit;
	const char *name;
} act_names[] = {
	{ SMFIF_ADDHDRS, "ADDHDRS" }, { SMFIF_CHGBODY, "CHGBODY" },
	{ SMFIF_ADDRCPT, "ADDRCPT" }, { SMFIF_DELRCPT, "DELRCPT" },
	{ SMFIF_CHGHDRS, "CHGHDRS" }, { SMFIF_QUARANTINE, "QUARANTINE" },
	{ SMFIF_CHGFROM, "CHGFROM" }, { SMFIF_ADDRCPT_PAR, "ADDRCPT_PAR" },
	{ SMFIF_SETSYMLIST, "SETSYMLIST" }, { 0, NULL }
}, proto_names[] = {
	{ SMFIP_NOCONNECT, "NOCONNECT" }, { SMFIP_NOHELO, "NOHELO" },
	{ SMFIP_NOMAIL, "NOMAIL" }, { SMFIP_NORCPT, "NORCPT" },
	{ SMFIP_NOBODY, "NOBODY" }, { SMFIP_NOHDRS, "NOHDRS" },
	{ SMFIP_NOEOH, "NOEOH" }, { SMFIP_NR_HDR, "NR_HDR" },
	{ SMFIP_NOUNKNOWN, "NOUNKNOWN" }, { SMFIP_NODATA, "NODATA" },
	{ SMFIP_SKIP, "SKIP" }, { SMFIP_RCPT_REJ, "RCPT_REJ" },
	{ SMFIP_NR_CONN, "NR_CONN" }, { SMFIP_NR_HELO, "NR_HELO" },
	{ SMFIP_NR_MAIL, "NR_MAIL" }, { SMFIP_NR_RCPT, "NR_RCPT" },
	{ SMFIP_NR_DATA, "NR_DATA" }, { SMFIP_NR_UNKN, "NR_UNKN" },
	{ SMFIP_NR_EOH, "NR_EOH" }, { SMFIP_NR_BODY, "NR_BODY" },
	{ SMFIP_HDR_LEADSPC, "HDR_LEADSPC" }, { 0, NULL }
};

/* Modification actions (end of message only), each with the SMFIF_* flag
 * the milter must have negotiated, and the names of its strings. */
static const struct action_info {
	char cmd;
	uint32_t flag;
	const char *name;
	bool index;		/* data starts with a 32-bit index */
	int nmin, nmax;		/* NUL-terminated strings that follow */
	const char *key[2];
} action_tab[] = {
	{ SMFIR_ADDHEADER, SMFIF_ADDHDRS, "addheader", false, 2, 2,
	    { "name", "value" } },
	{ SMFIR_INSHEADER, SMFIF_ADDHDRS, "insheader", true, 2, 2,
	    { "name", "value" } },
	{ SMFIR_CHGHEADER, SMFIF_CHGHDRS, "chgheader", true, 2, 2,
	    { "name", "value" } },
	{ SMFIR_ADDRCPT, SMFIF_ADDRCPT, "addrcpt", false, 1, 1,
	    { "rcpt", NULL } },
	{ SMFIR_ADDRCPT_PAR, SMFIF_ADDRCPT_PAR, "addrcpt", false, 1, 2,
	    { "rcpt", "args" } },
	{ SMFIR_DELRCPT, SMFIF_DELRCPT, "delrcpt", false, 1, 1,
	    { "rcpt", NULL } },
	{ SMFIR_CHGFROM, SMFIF_CHGFROM, "chgfrom", false, 1, 2,
	    { "from", "args" } },
	{ SMFIR_QUARANTINE, SMFIF_QUARANTINE, "quarantine", false, 1, 1,
	    { "reason", NULL } },
	{ SMFIR_REPLBODY, SMFIF_CHGBODY, "replbody", false, 0, 0,
	    { NULL, NULL } },
	{ 0, 0, NULL, false, 0, 0, { NULL, NULL } }
};

/* -k: what to do to message 1, and where */
enum brk_action { BRK_NONE, BRK_DROP, BRK_ABORT };

enum kind {
	K_CONTINUE, K_ACCEPT, K_REJECT, K_TEMPFAIL, K_DISCARD, K_SKIP,
	K_NOREPLY, K_SKIPPED, K_CONNFAIL, K_SHUTDOWN
};
static const char *const kind_name[] = {
	"continue", "accept", "reject", "tempfail", "discard", "skip",
	"noreply", "skipped", "conn_fail", "shutdown"
};

/* The milter's answer to one command; text is owned. */
struct verdict {
	enum kind kind;
	char code[4];		/* "" unless it came as SMFIR_REPLYCODE */
	struct mt_buf text;	/* the reply text after the code */
};

struct macro {
	unsigned stages;	/* bit per enum mt_stage < MT_MACRO_STAGES */
	const char *name;
	const char *value;
};

struct opts {
	const char *socket, *addr, *hostname, *helo, *from, *outfile, *file;
	const char *rcpt[MT_RCPTS_MAX];
	size_t nrcpt;
	struct macro macro[MT_MACROS_MAX];
	size_t nmacro;
	char family;		/* SMFIA_INET, _INET6 or _UNKNOWN */
	unsigned long port, count;
	unsigned long long genbody;	/* -B: body bytes to make up, or 0 */
	bool allow_nul;			/* -N */
	unsigned long header_limit;	/* -l */
	enum brk_action brk;		/* -k */
	enum mt_stage brk_stage;	/* ST_HEADER, ST_EOH or ST_BODY */
	unsigned long brk_n;		/* the brk_n-th header or chunk */
	int timeout;
	uint32_t offer_actions, offer_proto;
};

/* One milter connection. Owns conn, symlist, edit, newbody, out, mac, in. */
struct session {
	const struct opts *o;
	const struct mt_message *msg;
	struct mt_conn conn;
	uint32_t version, actions, proto;	/* as negotiated */
	char *symlist[MT_MACRO_STAGES];	/* NULL: send every macro */
	struct mt_message edit;	/* msg's headers, edited by the milter */
	struct mt_buf newbody;	/* SMFIR_REPLBODY chunks */
	bool body_replaced;
	struct mt_buf out;	/* the command being sent */
	struct mt_buf mac;	/* the SMFIC_MACRO packet being sent */
	struct mt_buf in;	/* the last reply's data */
	unsigned long msgno;	/* 1 for the first message */
	bool broke;		/* -k broke the message off */
};

/* passes - the milter lets the transaction go on */
static bool
passes(const struct verdict *v)
{
	return v->kind == K_CONTINUE || v->kind == K_NOREPLY ||
	    v->kind == K_SKIPPED;
}

/* verdict_set - a verdict without reply code */
static void
verdict_set(struct verdict *v, enum kind k)
{
	v->kind = k;
	v->code[0] = '\0';
	mt_buf_reset(&v->text);
}

/* verdict_copy - dst becomes a copy of src */
static int
verdict_copy(struct verdict *dst, const struct verdict *src)
{
	verdict_set(dst, src->kind);
	memcpy(dst->code, src->code, sizeof dst->code);
	return mt_buf_append(&dst->text, src->text.data, src->text.len);
}

/* verdict_replycode - SMFIR_REPLYCODE "NNN text": 4xx/5xx only */
static int
verdict_replycode(struct verdict *v, const struct mt_buf *d)
{
	const char *p = d->data;
	size_t n = strnlen(p, d->len);

	if (n < 3 || (p[0] != '4' && p[0] != '5') || p[1] < '0' ||
	    p[1] > '9' || p[2] < '0' || p[2] > '9' ||
	    (n > 3 && p[3] != ' ' && p[3] != '-')) {
		mt_err("bad SMFIR_REPLYCODE from the milter: \"%.*s\"",
		    (int)(n > 80 ? 80 : n), p);
		return -1;
	}
	verdict_set(v, p[0] == '5' ? K_REJECT : K_TEMPFAIL);
	memcpy(v->code, p, 3);
	v->code[3] = '\0';
	return n > 4 ? mt_buf_append(&v->text, p + 4, n - 4) : 0;
}

/* put_verdict - "KIND[ code=NNN text="..."]" */
static void
put_verdict(const struct verdict *v)
{
	fputs(kind_name[v->kind], stdout);
	if (v->code[0] != '\0') {
		printf(" code=%s", v->code);
		mt_put_quoted("text", v->text.data != NULL ? v->text.data :
		    "", v->text.len);
	}
}

/* put_flags - ` key="NAME NAME ..."` for the bits set in v */
static void
put_flags(const char *key, uint32_t v, const struct flag_name *t)
{
	const char *sep = "";

	printf(" %s=\"", key);
	for (; t->name != NULL; t++)
		if ((v & t->bit) != 0) {
			printf("%s%s", sep, t->name);
			sep = " ";
		}
	putchar('"');
}

/* usage - the synopsis, on stdout for -h, else on stderr */
static void
usage(FILE *f)
{
	fputs(
"usage: mtclient -s SOCKET [options] MESSAGE-FILE|-\n"
"Talk to a milter as Postfix would, print one line per event.\n"
"  -s SOCKET   inet:PORT@HOST, inet:HOST:PORT, inet6:PORT@HOST, unix:PATH\n"
"  -t SECS     timeout for connect and for each reply (default 30)\n"
"  -a ADDR     client IPv4/IPv6 address, or \"unknown\" (default 127.0.0.1)\n"
"  -p PORT     client port (default 0)\n"
"  -n NAME     client host name (default localhost)\n"
"  -H NAME     HELO name (default client.example)\n"
"  -f SENDER   MAIL FROM address, then ESMTP args, space-separated\n"
"              (default <sender@example.com>; <> added when missing)\n"
"  -r RCPT     RCPT TO, like -f; repeatable (default <rcpt@example.com>)\n"
"  -m [STAGE[,STAGE]:]NAME=VALUE\n"
"              macro, e.g. -m i=4Q1 -m 'mail:{auth_authen}=alice';\n"
"              STAGE: connect helo mail rcpt data eoh eom (default: all);\n"
"              a milter's smfi_setsymlist() list filters them\n"
"  -c COUNT    send the message COUNT times on one connection (default 1)\n"
"  -o FILE     write the message with the milter's edits (LF line ends;\n"
"              with -c, the last message)\n"
"  -B SIZE     send a made-up body of SIZE bytes (K, M, G suffixes) in\n"
"              place of the file's, streamed (-o then writes no body)\n"
"  -k ACTION:STAGE[:N]\n"
"              break off message 1 after the Nth (default 1) command of\n"
"              STAGE (header, eoh, body): ACTION drop closes the\n"
"              connection without waiting for the reply; abort reads the\n"
"              reply, sends SMFIC_ABORT and goes on with message 2 (-c)\n"
"  -l BYTES    cut each header to BYTES (name, colon, value), as\n"
"              Postfix's header_size_limit (102400) does (default: no cut)\n"
"  -N          accept NUL bytes in header lines (the milter sees the\n"
"              value up to the first NUL, as libmilter shows it)\n"
"  -A MASK     SMFIF_* actions to offer (default 0x1ff)\n"
"  -P MASK     SMFIP_* protocol flags to offer (default 0x1fffff)\n"
"  -h          this help\n"
"Exit: 0 conversation done (any verdict), 1 usage or input error,\n"
"2 connection or protocol error, or timeout.\n", f);
}

/* opt_num - parse a number in [lo, hi] (0x.. accepted) or complain */
static int
opt_num(const char *s, unsigned long lo, unsigned long hi, char opt,
    unsigned long *num_r)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' || v < lo ||
	    v > hi) {
		mt_err("-%c %s: want a number from %lu to %lu", opt, s, lo, hi);
		return -1;
	}
	*num_r = v;
	return 0;
}

/* opt_size - -B: a number of bytes with an optional K, M or G */
static int
opt_size(struct opts *o, const char *s)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end == 'K' || *end == 'M' || *end == 'G')
		shift = *end == 'K' ? 10 : *end == 'M' ? 20 : 30;
	if (errno != 0 || end == s || *s == '-' ||
	    end[shift != 0 ? 1 : 0] != '\0' ||
	    v > (MT_GENBODY_MAX >> shift) || v == 0) {
		mt_err("-B %s: want a size from 1 to 64G", s);
		return -1;
	}
	o->genbody = v << shift;
	return 0;
}

/* opt_break - -k ACTION:STAGE[:N] */
static int
opt_break(struct opts *o, const char *arg)
{
	char act[16], st[16];
	unsigned long n = 1;
	int used = 0;

	if (sscanf(arg, "%15[a-z]:%15[a-z]%n", act, st, &used) != 2 ||
	    (arg[used] != '\0' && (arg[used] != ':' ||
	    opt_num(arg + used + 1, 1, MT_HEADERS_MAX * 100UL, 'k',
	    &n) != 0))) {
		mt_err("-k %s: want drop|abort:header|eoh|body[:N]", arg);
		return -1;
	}
	o->brk = strcmp(act, "drop") == 0 ? BRK_DROP :
	    strcmp(act, "abort") == 0 ? BRK_ABORT : BRK_NONE;
	o->brk_stage = strcmp(st, "header") == 0 ? ST_HEADER :
	    strcmp(st, "eoh") == 0 ? ST_EOH : strcmp(st, "body") == 0 ?
	    ST_BODY : ST_COUNT;
	if (o->brk == BRK_NONE || o->brk_stage == ST_COUNT) {
		mt_err("-k %s: want drop|abort:header|eoh|body[:N]", arg);
		return -1;
	}
	o->brk_n = n;
	return 0;
}

/* opt_macro - [STAGE[,STAGE]:]NAME=VALUE; NAME itself has no ':' */
static int
opt_macro(struct opts *o, char *arg)
{
	struct macro *m;
	char *eq = strchr(arg, '='), *colon = strchr(arg, ':'), *p, *e;
	size_t i, len;

	if (o->nmacro >= MT_MACROS_MAX || eq == NULL || eq == arg) {
		mt_err("-m %s: want [STAGE:]NAME=VALUE (at most %d)", arg,
		    MT_MACROS_MAX);
		return -1;
	}
	m = &o->macro[o->nmacro];
	m->stages = (1u << MT_MACRO_STAGES) - 1;
	if (colon != NULL && colon < eq) {
		m->stages = 0;
		for (p = arg; p < colon; p = e + 1) {	/* ends at colon */
			e = memchr(p, ',', (size_t)(colon - p));
			e = e != NULL ? e : colon;
			len = (size_t)(e - p);
			for (i = 0; i < MT_MACRO_STAGES; i++)
				if (strlen(stage_tab[i].name) == len &&
				    memcmp(stage_tab[i].name, p, len) == 0)
					break;
			if (i == MT_MACRO_STAGES) {
				mt_err("-m %s: unknown stage \"%.*s\"", arg,
				    (int)len, p);
				return -1;
			}
			m->stages |= 1u << i;
		}
		arg = colon + 1;
	}
	*eq = '\0';		/* argv is ours to split */
	m->name = arg;
	m->value = eq + 1;
	o->nmacro++;
	return 0;
}

/* opt_addr - -a: the address family the CONNECT packet names */
static int
opt_addr(struct opts *o, const char *a)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (strcmp(a, "unknown") == 0)
		o->family = SMFIA_UNKNOWN;
	else if (inet_pton(AF_INET, a, buf) == 1)
		o->family = SMFIA_INET;
	else if (inet_pton(AF_INET6, a, buf) == 1)
		o->family = SMFIA_INET6;
	else {
		mt_err("-a %s: want an IPv4 or IPv6 address or unknown", a);
		return -1;
	}
	o->addr = a;
	return 0;
}

/* opt_one - one option letter; -1 on a bad value */
static int
opt_one(struct opts *o, int c, char *arg)
{
	unsigned long v;

	switch (c) {
	case 's': o->socket = arg; return 0;
	case 'n': o->hostname = arg; return 0;
	case 'H': o->helo = arg; return 0;
	case 'f': o->from = arg; return 0;
	case 'o': o->outfile = arg; return 0;
	case 'a': return opt_addr(o, arg);
	case 'm': return opt_macro(o, arg);
	case 'p': return opt_num(arg, 0, 65535, 'p', &o->port);
	case 'c': return opt_num(arg, 1, MT_COUNT_MAX, 'c', &o->count);
	case 'B': return opt_size(o, arg);
	case 'k': return opt_break(o, arg);
	case 'N': o->allow_nul = true; return 0;
	case 'l': return opt_num(arg, 0, MT_MESSAGE_MAX, 'l', &o->header_limit);
	case 'r':
		if (o->nrcpt >= MT_RCPTS_MAX) {
			mt_err("more than %d -r options", MT_RCPTS_MAX);
			return -1;
		}
		o->rcpt[o->nrcpt++] = arg;
		return 0;
	case 't':
		if (opt_num(arg, 1, MT_TIMEOUT_MAX, 't', &v) != 0)
			return -1;
		o->timeout = (int)v;
		return 0;
	case 'A':
	case 'P':
		if (opt_num(arg, 0, UINT32_MAX, (char)c, &v) != 0)
			return -1;
		*(c == 'A' ? &o->offer_actions : &o->offer_proto) = (uint32_t)v;
		return 0;
	default:
		return -1;
	}
}

/* opts_parse - MT_EXIT_OK, MT_EXIT_USAGE, or -1 after -h */
static int
opts_parse(struct opts *o, int argc, char **argv)
{
	int c;

	memset(o, 0, sizeof *o);
	o->addr = "127.0.0.1";
	o->family = SMFIA_INET;
	o->hostname = "localhost";
	o->helo = "client.example";
	o->from = "<sender@example.com>";
	o->count = 1;
	o->timeout = 30;
	o->offer_actions = MT_OFFER_ACTIONS;
	o->offer_proto = MT_OFFER_PROTO;
	while ((c = getopt(argc, argv, "s:t:a:p:n:H:f:r:m:c:o:A:P:B:k:l:Nh")) != -1) {
		if (c == 'h') {
			usage(stdout);
			return -1;
		}
		if (opt_one(o, c, optarg) != 0) {
			usage(stderr);
			return MT_EXIT_USAGE;
		}
	}
	if (o->nrcpt == 0)
		o->rcpt[o->nrcpt++] = "<rcpt@example.com>";
	if (o->socket == NULL || optind != argc - 1) {
		mt_err("%s", o->socket == NULL ? "-s SOCKET is required" :
		    "want exactly one MESSAGE-FILE (- for stdin)");
		usage(stderr);
		return MT_EXIT_USAGE;
	}
	o->file = argv[optind];
	return MT_EXIT_OK;
}

#include "mtclient/session.c"

/* main - parse options and the message, run one milter session */
int
main(int argc, char **argv)
{
	struct opts o;
	struct mt_message msg;
	int rc;

	memset(&msg, 0, sizeof msg);
	mt_buf_init(&msg.body, MT_MESSAGE_MAX, "message body");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((rc = opts_parse(&o, argc, argv)) != MT_EXIT_OK) {
		rc = rc < 0 ? MT_EXIT_OK : rc;
		goto out;
	}
	msg.allow_nul = o.allow_nul;
	msg.header_limit = o.header_limit;
	if (mt_message_read(&msg, o.file) != 0) {
		rc = MT_EXIT_USAGE;
		goto out;
	}
	rc = session_run(&o, &msg);
out:
	mt_message_free(&msg);
	return rc;
}
