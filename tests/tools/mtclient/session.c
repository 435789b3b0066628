/*
 * tests/tools/mtclient/session.c - the MTA side of one milter conversation
 * (part of mtclient, included by mtclient.c after its tables and types)
 *
 * Reply semantics follow Postfix: a verdict other than continue at
 * CONNECT or HELO ends the connection; at MAIL, DATA, a header, EOH or a
 * body chunk it ends the message (SMFIC_ABORT follows); reject or
 * tempfail at RCPT refuses that recipient only, and the message ends when
 * none is left; accept at RCPT accepts the message. Edits (SMFIR_ADD*,
 * CHG*, INS*, ...) are taken at end of message only, and only if the
 * milter negotiated the action, as Postfix insists.
 */

/* symlist_has - is macro name in the space-separated list? "{x}" and "x"
 * are the same name, as for smfi_getsymval() */
static bool
symlist_has(const char *list, const char *name)
{
	const char *p = list, *e;
	size_t nlen = strlen(name);

	if (nlen > 2 && name[0] == '{' && name[nlen - 1] == '}') {
		name++;
		nlen -= 2;
	}
	while (*p != '\0') {	/* ends: p advances to the NUL */
		p += strspn(p, " ");
		e = p + strcspn(p, " ");
		if (e - p > 2 && *p == '{' && e[-1] == '}') {
			if ((size_t)(e - p - 2) == nlen &&
			    memcmp(p + 1, name, nlen) == 0)
				return true;
		} else if ((size_t)(e - p) == nlen && nlen > 0 &&
		    memcmp(p, name, nlen) == 0) {
			return true;
		}
		p = e;
	}
	return false;
}

/* optneg_symlist - the SMFIR_SETSYMLIST part of the negotiation reply */
static int
optneg_symlist(struct session *s, const struct mt_buf *d)
{
	size_t off = MILTER_OPTLEN, n;
	uint32_t st;

	while (off < d->len) {	/* ends: off grows past each entry */
		n = d->len - off < 4 ? 0 : strnlen(d->data + off + 4,
		    d->len - off - 4);
		if (d->len - off < 5 || off + 4 + n >= d->len ||
		    (st = mt_get32(d->data + off)) >= MT_MACRO_STAGES) {
			mt_err("bad macro list in the milter's negotiation");
			return -1;
		}
		free(s->symlist[st]);
		if ((s->symlist[st] = strdup(d->data + off + 4)) == NULL) {
			mt_err("out of memory");
			return -1;
		}
		printf("stage=optneg symlist=%s", stage_tab[st].name);
		mt_put_quoted("macros", s->symlist[st], n);
		putchar('\n');
		off += 4 + n + 1;
	}
	return 0;
}

/* optneg - offer version 6 and our masks, check what the milter wants */
static int
optneg(struct session *s)
{
	unsigned char b[MILTER_OPTLEN];
	char cmd;

	mt_put32(b, MT_VERSION);
	mt_put32(b + 4, s->o->offer_actions);
	mt_put32(b + 8, s->o->offer_proto);
	if (mt_conn_send(&s->conn, SMFIC_OPTNEG, b, sizeof b) != 0 ||
	    mt_conn_recv(&s->conn, "optneg", &cmd, &s->in) != 0)
		return -1;
	if (cmd != SMFIC_OPTNEG || s->in.len < MILTER_OPTLEN) {
		mt_err("bad reply to optneg: command 0x%02x with %zu bytes, "
		    "want 'O' with at least %d", (unsigned char)cmd,
		    s->in.len, MILTER_OPTLEN);
		return -1;
	}
	s->version = mt_get32(s->in.data);
	s->actions = mt_get32(s->in.data + 4);
	s->proto = mt_get32(s->in.data + 8) & ~(uint32_t)SMFI_INTERNAL;
	printf("stage=optneg version=%lu actions=0x%lx protocol=0x%lx",
	    (unsigned long)s->version, (unsigned long)s->actions,
	    (unsigned long)s->proto);
	put_flags("actflags", s->actions, act_names);
	put_flags("protoflags", s->proto, proto_names);
	putchar('\n');
	if (s->version < 2 || s->version > MT_VERSION) {
		mt_err("milter speaks protocol version %lu, want 2..%d",
		    (unsigned long)s->version, MT_VERSION);
		return -1;
	}
	if ((s->actions & ~s->o->offer_actions) != 0 ||
	    (s->proto & ~s->o->offer_proto) != 0) {
		mt_err("milter wants actions 0x%lx / protocol 0x%lx we did "
		    "not offer", (unsigned long)(s->actions &
		    ~s->o->offer_actions), (unsigned long)(s->proto &
		    ~s->o->offer_proto));
		return -1;
	}
	return optneg_symlist(s, &s->in);
}

/* send_macros - SMFIC_MACRO for stage st, unless no macro applies */
static int
send_macros(struct session *s, enum mt_stage st)
{
	const struct macro *m;
	const char *list = s->symlist[st];
	size_t i, n = 0;

	mt_buf_reset(&s->mac);
	if (mt_buf_append(&s->mac, &stage_tab[st].cmd, 1) != 0)
		return -1;
	for (i = 0; i < s->o->nmacro; i++) {
		m = &s->o->macro[i];
		if ((m->stages & (1u << st)) == 0 ||
		    (list != NULL && !symlist_has(list, m->name)))
			continue;
		if (mt_buf_append_str(&s->mac, m->name) != 0 ||
		    mt_buf_append_str(&s->mac, m->value) != 0)
			return -1;
		n++;
	}
	return n == 0 ? 0 : mt_conn_send(&s->conn, SMFIC_MACRO, s->mac.data,
	    s->mac.len);
}

/* action_header - apply an add/ins/chgheader to the edited headers */
static int
action_header(struct session *s, char cmd, uint32_t index, const char *name,
    const char *value)
{
	struct mt_buf raw;
	bool lead = (s->proto & SMFIP_HDR_LEADSPC) != 0;
	int rc = -1;

	/* Postfix writes "name: value" unless the milter sends the
	 * leading space itself (SMFIP_HDR_LEADSPC) */
	mt_buf_init(&raw, MT_PACKET_MAX + 1, "header value");
	if (mt_buf_append(&raw, " ", lead ? 0 : 1) != 0 ||
	    mt_buf_append(&raw, value, strlen(value)) != 0)
		goto out;
	if (cmd == SMFIR_CHGHEADER)
		rc = mt_header_change(&s->edit, index, name,
		    *value != '\0' ? raw.data : NULL);
	else
		rc = mt_header_insert(&s->edit, cmd == SMFIR_ADDHEADER ?
		    s->edit.nhdr : index, name, strlen(name), raw.data,
		    raw.len);
out:
	mt_buf_free(&raw);
	return rc;
}

/* action_parse - split an action's data into its index and strings */
static int
action_parse(const struct action_info *a, const struct mt_buf *d,
    uint32_t *index_r, const char **str, size_t *len)
{
	const char *p = d->data;
	size_t n = d->len;
	int i = 0;

	if (a->index) {
		if (n < 4)
			return -1;
		*index_r = mt_get32(p);
		p += 4;
		n -= 4;
	}
	for (; n > 0 && i < 2; i++) {	/* the NUL-terminated strings */
		str[i] = p;
		len[i] = strnlen(p, n);
		if (len[i] == n)
			return -1;
		p += len[i] + 1;
		n -= len[i] + 1;
	}
	return n > 0 || i < a->nmin || i > a->nmax ? -1 : 0;
}

/* action_apply - print one modification action, apply header edits;
 * 1 when cmd is no action */
static int
action_apply(struct session *s, char cmd)
{
	const struct action_info *a;
	const char *str[2] = { "", "" };
	size_t len[2] = { 0, 0 };
	uint32_t index = 0;
	int i;

	for (a = action_tab; a->name != NULL && a->cmd != cmd; a++)
		;
	if (a->name == NULL)
		return 1;
	if ((s->actions & a->flag) == 0) {
		mt_err("milter sent %s without negotiating it", a->name);
		return -1;
	}
	if (cmd == SMFIR_REPLBODY) {
		printf("action=replbody length=%zu\n", s->in.len);
		s->body_replaced = true;
		return mt_buf_append(&s->newbody, s->in.data, s->in.len);
	}
	if (action_parse(a, &s->in, &index, str, len) != 0) {
		mt_err("malformed %s from the milter (%zu bytes)", a->name,
		    s->in.len);
		return -1;
	}
	printf("action=%s", a->name);
	if (a->index)
		printf(" index=%lu", (unsigned long)index);
	for (i = 0; i < a->nmax; i++) {
		if (strcmp(a->key[i], "name") == 0) {
			fputs(" name=", stdout);
			mt_put_escaped(str[i], len[i], false);
		} else if (i < a->nmin || len[i] > 0) {
			mt_put_quoted(a->key[i], str[i], len[i]);
		}
	}
	putchar('\n');
	if (cmd == SMFIR_ADDHEADER || cmd == SMFIR_INSHEADER ||
	    cmd == SMFIR_CHGHEADER)
		return action_header(s, cmd, index, str[0], str[1]);
	return 0;
}

/* reply_kind - the verdict a one-byte reply stands for, or -1 */
static int
reply_kind(char cmd, enum mt_stage st)
{
	switch (cmd) {
	case SMFIR_CONTINUE: return K_CONTINUE;
	case SMFIR_ACCEPT: return K_ACCEPT;
	case SMFIR_REJECT: return K_REJECT;
	case SMFIR_TEMPFAIL: return K_TEMPFAIL;
	case SMFIR_DISCARD: return K_DISCARD;
	case SMFIR_CONN_FAIL: return K_CONNFAIL;
	case SMFIR_SHUTDOWN: return K_SHUTDOWN;
	case SMFIR_SKIP: return st == ST_BODY ? K_SKIP : -1;
	default: return -1;
	}
}

/* reply_wait - read packets until the verdict on the command for st */
static int
reply_wait(struct session *s, enum mt_stage st, struct verdict *v)
{
	const char *name = stage_tab[st].name;
	char cmd;
	int n, k, r;

	for (n = 0; n < MT_REPLIES_MAX; n++) {
		if (mt_conn_recv(&s->conn, name, &cmd, &s->in) != 0)
			return -1;
		if (cmd == SMFIR_PROGRESS) {
			printf("progress stage=%s\n", name);
			continue;
		}
		if (cmd == SMFIR_REPLYCODE)
			return verdict_replycode(v, &s->in);
		if ((k = reply_kind(cmd, st)) >= 0) {
			verdict_set(v, (enum kind)k);
			return 0;
		}
		r = st == ST_EOM ? action_apply(s, cmd) : 1;
		if (r < 0)
			return -1;
		if (r > 0) {
			mt_err("unexpected reply '%c' (0x%02x) to %s",
			    cmd >= ' ' && cmd < 0x7f ? cmd : '?',
			    (unsigned char)cmd, name);
			return -1;
		}
	}
	mt_err("more than %d replies to %s", MT_REPLIES_MAX, name);
	return -1;
}

/* step - send stage st's macros and command (data from s->out) unless
 * the milter asked to skip it, read the verdict, print the stage line */
static int
step(struct session *s, enum mt_stage st, const char *key,
    const char *label, struct verdict *v)
{
	const struct stage_info *si = &stage_tab[st];

	verdict_set(v, K_CONTINUE);
	if ((s->proto & si->skip) != 0 || (st == ST_DATA && s->version < 4)) {
		verdict_set(v, K_SKIPPED);
	} else {
		if (st < MT_MACRO_STAGES && send_macros(s, st) != 0)
			return -1;
		if (mt_conn_send(&s->conn, si->cmd, s->out.data,
		    s->out.len) != 0)
			return -1;
		if ((s->proto & si->noreply) != 0)
			verdict_set(v, K_NOREPLY);
		else if (reply_wait(s, st, v) != 0)
			return -1;
	}
	printf("stage=%s reply=", si->name);
	put_verdict(v);
	if (key != NULL && strcmp(key, "name") == 0) {
		fputs(" name=", stdout);
		mt_put_escaped(label, strlen(label), false);
	} else if (key != NULL && strcmp(key, "length") == 0) {
		printf(" length=%s", label);
	} else if (key != NULL) {
		mt_put_quoted(key, label, strlen(label));
	}
	putchar('\n');
	return 0;
}

/* brk_here - -k: does message 1 break off after the nth command of st? */
static bool
brk_here(const struct session *s, enum mt_stage st, unsigned long n)
{
	return s->msgno == 1 && s->o->brk != BRK_NONE &&
	    s->o->brk_stage == st && s->o->brk_n == n;
}

/* brk_step - step(), or for -k drop only send the command (no reply
 * awaited); sets s->broke where message 1 breaks off */
static int
brk_step(struct session *s, enum mt_stage st, unsigned long n,
    const char *key, const char *label, struct verdict *v)
{
	if (!brk_here(s, st, n))
		return step(s, st, key, label, v);
	s->broke = true;
	if (s->o->brk == BRK_ABORT)
		return step(s, st, key, label, v);
	if (st < MT_MACRO_STAGES && send_macros(s, st) != 0)
		return -1;
	return mt_conn_send(&s->conn, stage_tab[st].cmd, s->out.data,
	    s->out.len);
}

/* body_chunk - put body bytes [off, off + n) into s->out: the file's, or
 * for -B a made-up text of 80-byte CRLF lines */
static int
body_chunk(struct session *s, unsigned long long off, size_t n)
{
	static const char line[] = "0123456789abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;-+=\r\n";
	size_t i, len = sizeof line - 1;

	mt_buf_reset(&s->out);
	if (s->o->genbody == 0)
		return mt_buf_append(&s->out, s->msg->body.data + off, n);
	if (mt_buf_resize(&s->out, n) != 0)
		return -1;
	for (i = 0; i < n; i++)
		s->out.data[i] = line[(off + i) % len];
	return 0;
}

/* out_addr_args - "ADDR ARG..." as ADDR\0ARG\0...; <> around a bare ADDR */
static int
out_addr_args(struct session *s, const char *spec)
{
	const char *p = spec + strspn(spec, " "), *e = p + strcspn(p, " ");
	bool bare = e > p && *p != '<';

	mt_buf_reset(&s->out);
	if (mt_buf_append(&s->out, "<", bare || e == p ? 1 : 0) != 0 ||
	    mt_buf_append(&s->out, p, (size_t)(e - p)) != 0 ||
	    mt_buf_append(&s->out, ">", bare || e == p ? 1 : 0) != 0 ||
	    mt_buf_append(&s->out, "", 1) != 0)
		return -1;
	for (p = e + strspn(e, " "); *p != '\0'; p = e + strspn(e, " ")) {
		e = p + strcspn(p, " ");	/* ends: p advances */
		if (mt_buf_append(&s->out, p, (size_t)(e - p)) != 0 ||
		    mt_buf_append(&s->out, "", 1) != 0)
			return -1;
	}
	return 0;
}

/* envelope - MAIL and each RCPT; *done_r when the message ends here */
static int
envelope(struct session *s, struct verdict *v, struct verdict *last,
    bool *done_r)
{
	size_t i, accepted = 0;

	if (out_addr_args(s, s->o->from) != 0 ||
	    step(s, ST_MAIL, NULL, NULL, v) != 0)
		return -1;
	if (!passes(v)) {
		*done_r = true;
		return 0;
	}
	for (i = 0; i < s->o->nrcpt; i++) {
		if (out_addr_args(s, s->o->rcpt[i]) != 0 ||
		    step(s, ST_RCPT, "rcpt", s->out.data, v) != 0)
			return -1;
		if (passes(v)) {
			accepted++;
		} else if (v->kind == K_REJECT || v->kind == K_TEMPFAIL) {
			if (verdict_copy(last, v) != 0)
				return -1;
		} else {
			*done_r = true;	/* accept, discard */
			return 0;
		}
	}
	if (accepted == 0) {	/* every recipient refused */
		*done_r = true;
		return verdict_copy(v, last);
	}
	return 0;
}

/* content - DATA, headers, EOH, body chunks; *done_r on a verdict */
static int
content(struct session *s, struct verdict *v, bool *done_r)
{
	const struct mt_header *h;
	unsigned long long total = s->o->genbody != 0 ? s->o->genbody :
	    s->msg->body.len, off;
	bool lead = (s->proto & SMFIP_HDR_LEADSPC) != 0;
	char num[32];
	size_t i, n;
	unsigned long chunk;

	mt_buf_reset(&s->out);
	if (step(s, ST_DATA, NULL, NULL, v) != 0)
		return -1;
	for (i = 0; passes(v) && !s->broke && i < s->msg->nhdr; i++) {
		h = &s->msg->hdr[i];
		/* Postfix drops the blanks after the colon unless the
		 * milter asked for SMFIP_HDR_LEADSPC */
		mt_buf_reset(&s->out);
		if (mt_buf_append_str(&s->out, h->name) != 0 ||
		    mt_buf_append_str(&s->out, lead ? h->raw :
		    h->raw + strspn(h->raw, " \t")) != 0 ||
		    brk_step(s, ST_HEADER, i + 1, "name", h->name, v) != 0)
			return -1;
	}
	mt_buf_reset(&s->out);
	if (passes(v) && !s->broke &&
	    brk_step(s, ST_EOH, 1, NULL, NULL, v) != 0)
		return -1;
	for (off = 0, chunk = 1; passes(v) && !s->broke && off < total;
	    off += n, chunk++) {
		n = total - off > MILTER_CHUNK_SIZE ? MILTER_CHUNK_SIZE :
		    (size_t)(total - off);
		snprintf(num, sizeof num, "%zu", n);
		if (body_chunk(s, off, n) != 0 ||
		    brk_step(s, ST_BODY, chunk, "length", num, v) != 0)
			return -1;
	}
	if (s->broke) {
		*done_r = true;
		return 0;
	}
	if (v->kind == K_SKIP)	/* the milter has seen enough body */
		verdict_set(v, K_CONTINUE);
	*done_r = !passes(v);
	return 0;
}

/* message - one transaction, its result line, -o; MT_EXIT_* */
static int
message(struct session *s, struct verdict *v, struct verdict *last)
{
	bool done = false;

	if (mt_message_copy_headers(&s->edit, s->msg) != 0)
		return MT_EXIT_PROTO;
	mt_buf_reset(&s->newbody);
	s->body_replaced = false;
	if (envelope(s, v, last, &done) != 0 ||
	    (!done && content(s, v, &done) != 0))
		return MT_EXIT_PROTO;
	mt_buf_reset(&s->out);
	if (s->broke) {		/* -k: no verdict to wait for */
		printf("result=%s\n", s->o->brk == BRK_DROP ? "dropped" :
		    "aborted");
		if (s->o->brk == BRK_DROP)
			return MT_EXIT_OK;	/* conversation() hangs up */
		verdict_set(v, K_CONTINUE);
		return mt_conn_send(&s->conn, SMFIC_ABORT, NULL, 0) == 0 ?
		    MT_EXIT_OK : MT_EXIT_PROTO;
	}
	if (!done && step(s, ST_EOM, NULL, NULL, v) != 0)
		return MT_EXIT_PROTO;
	fputs("result=", stdout);
	put_verdict(v);
	putchar('\n');
	/* Postfix aborts a transaction that ended before end of message */
	if (done && mt_conn_send(&s->conn, SMFIC_ABORT, NULL, 0) != 0)
		return MT_EXIT_PROTO;
	if (s->o->outfile != NULL && mt_message_write(&s->edit,
	    s->body_replaced ? &s->newbody : s->o->genbody != 0 ?
	    &s->edit.body : &s->msg->body, s->o->outfile) != 0)
		return MT_EXIT_USAGE;
	return MT_EXIT_OK;
}

/* out_connect - CONNECT data: host, family, port, address */
static int
out_connect(struct session *s)
{
	unsigned char port[2];

	port[0] = (unsigned char)(s->o->port >> 8);
	port[1] = (unsigned char)s->o->port;
	mt_buf_reset(&s->out);
	if (mt_buf_append_str(&s->out, s->o->hostname) != 0 ||
	    mt_buf_append(&s->out, &s->o->family, 1) != 0)
		return -1;
	if (s->o->family == SMFIA_UNKNOWN)
		return 0;
	if (mt_buf_append(&s->out, port, 2) != 0 ||
	    mt_buf_append_str(&s->out, s->o->addr) != 0)
		return -1;
	return 0;
}

/* conversation - connect, helo, the messages, quit; MT_EXIT_* */
static int
conversation(struct session *s, struct verdict *v, struct verdict *last)
{
	unsigned long i;
	int rc = MT_EXIT_PROTO;

	if (optneg(s) != 0 || out_connect(s) != 0 ||
	    step(s, ST_CONNECT, NULL, NULL, v) != 0)
		goto out;
	mt_buf_reset(&s->out);
	if (passes(v) && (mt_buf_append_str(&s->out, s->o->helo) != 0 ||
	    step(s, ST_HELO, NULL, NULL, v) != 0))
		goto out;
	if (!passes(v)) {	/* the milter is done with this connection */
		fputs("result=", stdout);
		put_verdict(v);
		putchar('\n');
	}
	for (i = 1; passes(v) && i <= s->o->count; i++) {
		printf("message=%lu\n", i);
		s->msgno = i;
		s->broke = false;
		if ((rc = message(s, v, last)) != MT_EXIT_OK)
			goto out;
		if (s->broke && s->o->brk == BRK_DROP)
			goto out;	/* hang up, no QUIT */
		if (v->kind == K_CONNFAIL || v->kind == K_SHUTDOWN)
			break;
		verdict_set(v, K_CONTINUE);
	}
	rc = mt_conn_send(&s->conn, SMFIC_QUIT, NULL, 0) == 0 ? MT_EXIT_OK :
	    MT_EXIT_PROTO;
out:
	return rc;
}

/* session_run - one connection to the milter; MT_EXIT_* */
static int
session_run(const struct opts *o, const struct mt_message *msg)
{
	struct session s;
	struct verdict v, last;
	size_t i;
	int rc = MT_EXIT_PROTO;

	memset(&s, 0, sizeof s);
	s.o = o;
	s.msg = msg;
	s.conn.fd = -1;
	mt_buf_init(&s.newbody, MT_MESSAGE_MAX, "replaced body");
	mt_buf_init(&s.out, MT_MESSAGE_MAX, "command");
	mt_buf_init(&s.mac, MT_SMALL_MAX, "macros");
	mt_buf_init(&s.in, MT_PACKET_MAX, "reply");
	mt_buf_init(&s.edit.body, 0, "unused");
	memset(&v, 0, sizeof v);
	memset(&last, 0, sizeof last);
	mt_buf_init(&v.text, MT_PACKET_MAX, "reply text");
	mt_buf_init(&last.text, MT_PACKET_MAX, "reply text");
	if (mt_conn_open(&s.conn, o->socket, o->timeout) == 0)
		rc = conversation(&s, &v, &last);
	mt_conn_close(&s.conn);
	for (i = 0; i < MT_MACRO_STAGES; i++)
		free(s.symlist[i]);
	mt_message_free(&s.edit);
	mt_buf_free(&s.newbody);
	mt_buf_free(&s.out);
	mt_buf_free(&s.mac);
	mt_buf_free(&s.in);
	mt_buf_free(&v.text);
	mt_buf_free(&last.text);
	return rc;
}
