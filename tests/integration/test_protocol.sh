#!/bin/bash
# test_protocol.sh - authgate driven over the milter protocol, no MTA
#
# tests/tools/mtclient plays Postfix's side of the protocol, so each case
# chooses the client address, HELO, MAIL FROM, macros and headers exactly
# and reads back the header edits and the verdict. DNS is the harness's
# nsd serving zones/example.test.zone plus a zone made here at run time,
# proto.test (one name per SPF outcome, and the known libspf2 traps).
# A small Python milter client ($T/rawmilter.py) covers what mtclient
# cannot: dropping the connection half-way through a message, and
# SMFIC_ABORT followed by another message on the same connection.
# Instances:
#   main     defaults (SPFFailAction mark, SPFCheckHelo yes)
#   strict   SPFFailAction reject, SPFTempErrorAction tempfail
#   bh       nameserver is the blackhole (every lookup times out),
#            SPFTempErrorAction tempfail
#   bhmark   the same with SPFTempErrorAction accept (marks temperror)
#   nohelo   SPFCheckHelo no
#   internal InternalHosts with an IPv4 and an IPv6 network beyond loopback
. "$(dirname "$0")/lib.sh"
it_init protocol

MT="${AG_BUILD:-$ROOT/${B:-build}}/tools/mtclient"
[ -x "$MT" ] || it_die "mtclient not built at $MT (make tests)"
ID_RE='mx\.authgate\.test'
GOOD_IP=192.0.2.10		# allowed by example.test and proto.test
BAD_IP=198.51.100.66		# allowed by nobody

# ---- the run-time zone: one name per result, records added here
dns_add_zone proto.test
dns_add_rr proto.test \
	'@        IN TXT "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/64 -all"' \
	'mail     IN A   192.0.2.10' \
	'mail     IN TXT "v=spf1 a -all"' \
	'soft     IN TXT "v=spf1 ip4:192.0.2.0/24 ~all"' \
	'neut     IN TXT "v=spf1 ip4:192.0.2.0/24 ?all"' \
	'nospf    IN A   192.0.2.20' \
	'nospf    IN TXT "v=spf2.0/pra ip4:198.51.100.0/24 -all"' \
	'perm     IN TXT "v=spf1 ip4:192.0.2.0/24 frobnicate -all"' \
	'badinc   IN TXT "v=spf1 include:nothere.proto.test -all"' \
	'void     IN TXT "v=spf1 a:v1.proto.test a:v2.proto.test a:v3.proto.test +all"' \
	'deep     IN TXT "v=spf1 include:d1.proto.test -all"' \
	'd1       IN TXT "v=spf1 include:d2.proto.test -all"' \
	'd2       IN TXT "v=spf1 include:d3.proto.test -all"' \
	'd3       IN TXT "v=spf1 include:d4.proto.test -all"' \
	'd4       IN TXT "v=spf1 include:d5.proto.test -all"' \
	'd5       IN TXT "v=spf1 include:d6.proto.test -all"' \
	'd6       IN TXT "v=spf1 include:d7.proto.test -all"' \
	'd7       IN TXT "v=spf1 include:d8.proto.test -all"' \
	'd8       IN TXT "v=spf1 include:d9.proto.test -all"' \
	'd9       IN TXT "v=spf1 include:d10.proto.test -all"' \
	'd10      IN TXT "v=spf1 include:d11.proto.test -all"' \
	'd11      IN TXT "v=spf1 +all"' \
	'spf99    IN A   192.0.2.21' \
	'spf99    IN SPF "v=spf1 +all"' \
	'v6       IN TXT "v=spf1 ip6:2001:db8:abcd::/48 -all"'

dns_start
blackhole_start
ag_start main
ag_start strict "SPFFailAction reject" "SPFTempErrorAction tempfail"
ag_start bh "Nameservers 127.0.0.1:$BLACKHOLE_PORT" "DNSTimeout 1s" \
	"DNSRetries 0" "SPFTempErrorAction tempfail"
ag_start bhmark "Nameservers 127.0.0.1:$BLACKHOLE_PORT" "DNSTimeout 1s" \
	"DNSRetries 0"
ag_start nohelo "SPFCheckHelo no"
ag_start internal \
	"InternalHosts 127.0.0.1/32, ::1, 203.0.113.128/25, 2001:db8:ffff::/48" \
	"SPFFailAction reject"
INSTANCES="main strict bh bhmark nohelo internal"

# ---- helpers

# msgfile NAME [HEADER...] - a small message with these extra headers on
# top -> $T/NAME.eml
msgfile() {
	local name=$1 h
	shift
	{
		for h in "$@"; do printf '%s\n' "$h"; done
		printf 'From: Alice <alice@example.test>\n'
		printf 'To: bob@authgate.test\n'
		printf 'Subject: protocol test %s\n' "$name"
		printf 'Date: %s\n' "$(date -R)"
		printf 'Message-ID: <%s.%s@example.test>\n' "$name" "$$"
		printf '\n'
		printf 'Body of %s.\n' "$name"
	} >"$T/$name.eml"
}

# mt NAME INSTANCE ARGS... - run mtclient against INSTANCE on $T/NAME.eml
# (queue id NAME, so the log line starts "NAME:") -> $MT_OUT, $MT_RC
mt() {
	local name=$1 inst=$2
	shift 2
	MT_OUT=$("$MT" -t 20 -s "inet:${AG_PORTS[$inst]}@127.0.0.1" \
		-m "i=$name" "$@" "$T/$name.eml" 2>&1)
	MT_RC=$?
	printf '%s\n' "$MT_OUT" >"$T/$name.mt"
}

# mt_ar - the value of our inserted Authentication-Results, as mtclient
# escapes it (\n, \t, \" ... stay escaped)
mt_ar() {
	printf '%s\n' "$MT_OUT" |
		sed -n 's/^action=insheader index=0 name=Authentication-Results value="\(.*\)"$/\1/p' |
		head -1
}

# mt_result - the (last) verdict line
mt_result() {
	printf '%s\n' "$MT_OUT" | grep '^result=' | tail -1
}

# log_line INSTANCE NAME - the daemon's one line for queue id NAME
log_line() {
	ag_log "$1" | grep -a ": $2: ip=" | tail -1
}

# archeck.py VALUE [PTYPE.PROP]: the RFC 8601 syntax check of one escaped
# A-R value, printing its results (or the value of one property): only printable
# ASCII and folding (LF + WSP), lines within 998 octets, then the grammar:
# authserv-id [version] ( "; none" / 1*( ";" method[/ver] "=" result
# [comment] *( ptype.prop "=" pvalue ) ) ), comments balanced, pvalues a
# token, [local-part] "@" domain (dot-atom) or a complete quoted-string.
cat >"$T/archeck.py" <<'EOF'
import re, sys

def unescape(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c != '\\':
            out.append(ord(c)); i += 1; continue
        n = s[i + 1]
        if n == 'x':
            out.append(int(s[i + 2:i + 4], 16)); i += 4; continue
        out.append({'n': 10, 'r': 13, 't': 9, '\\': 92, '"': 34}[n]); i += 2
    return bytes(out)

def fail(why):
    print(why); sys.exit(1)

raw = unescape(sys.argv[1])
for i, b in enumerate(raw):
    if b == 10:
        if i + 1 >= len(raw) or raw[i + 1] not in (9, 32):
            fail('LF at %d not followed by WSP (header split)' % i)
    elif b == 9:
        continue
    elif b < 32 or b > 126:
        fail('byte 0x%02x at %d' % (b, i))
lines = raw.split(b'\n')
lines[0] = b'Authentication-Results: ' + lines[0]
for l in lines:
    if len(l) > 998:
        fail('line of %d octets' % len(l))
s = raw.replace(b'\n', b'').decode('ascii')
pos = 0
TSPEC = set('()<>@,;:\\"/[]?=')
def cfws():
    global pos
    while pos < len(s):
        if s[pos] in ' \t':
            pos += 1
        elif s[pos] == '(':
            depth = 0
            while pos < len(s):
                c = s[pos]
                if c == '\\':
                    pos += 2; continue
                if c == '(':
                    depth += 1
                elif c == ')':
                    depth -= 1
                    if depth == 0:
                        pos += 1; break
                pos += 1
            else:
                fail('unterminated comment')
            if depth:
                fail('unterminated comment')
        else:
            break
def token():
    global pos
    st = pos
    while pos < len(s) and 32 < ord(s[pos]) < 127 and s[pos] not in TSPEC:
        pos += 1
    return s[st:pos]
def quoted():
    global pos
    assert s[pos] == '"'
    pos += 1
    v = []
    while pos < len(s):
        c = s[pos]
        if c == '\\':
            if pos + 1 >= len(s):
                fail('backslash at the end of a quoted-string')
            v.append(s[pos + 1])
            pos += 2; continue
        if c == '"':
            pos += 1; return ''.join(v)
        v.append(c)
        pos += 1
    fail('unterminated quoted-string')
def pvalue():
    global pos
    if pos < len(s) and s[pos] == '"':
        return quoted()
    m = re.compile(r"([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)?@"
                   r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?").match(s, pos)
    if m and m.end() > pos:
        pos = m.end(); return m.group(0)
    t = token()
    if not t:
        fail('empty or invalid pvalue at %d: %r' % (pos, s[pos:pos + 30]))
    return t

cfws()
if pos < len(s) and s[pos] == '"':
    quoted()
elif not token():
    fail('no authserv-id')
cfws()
if pos < len(s) and s[pos].isdigit():
    token(); cfws()
if pos >= len(s) or s[pos] != ';':
    fail('no ";" after the authserv-id: %r' % s[pos:pos + 30])
nres = 0
methods = []
props = {}
while pos < len(s):
    if s[pos] != ';':
        fail('junk at %d: %r' % (pos, s[pos:pos + 30]))
    pos += 1
    cfws()
    meth = token()
    if not meth:
        fail('no method at %d' % pos)
    if meth == 'none' and nres == 0:
        cfws()
        if pos != len(s):
            fail('text after "none"')
        break
    cfws()
    if pos < len(s) and s[pos] == '/':
        pos += 1; cfws(); token(); cfws()
    if pos >= len(s) or s[pos] != '=':
        fail('method %s without "="' % meth)
    pos += 1
    cfws()
    res = token()
    if not res:
        fail('method %s without a result' % meth)
    nres += 1
    methods.append('%s=%s' % (meth, res))
    cfws()
    while pos < len(s) and s[pos] != ';':
        m = re.compile(r'([A-Za-z0-9-]+)\.([A-Za-z0-9_-]+)').match(s, pos)
        if not m:
            fail('bad ptype.property at %d: %r' % (pos, s[pos:pos + 30]))
        pos = m.end()
        cfws()
        if pos >= len(s) or s[pos] != '=':
            fail('property without "=" at %d' % pos)
        pos += 1
        cfws()
        props.setdefault(m.group(1) + '.' + m.group(2), pvalue())
        cfws()
if len(sys.argv) > 2:
    # archeck.py VALUE PTYPE.PROPERTY: print that property's value
    # (quoted-string unquoted), of its first occurrence
    print(props.get(sys.argv[2], ''))
else:
    print(' '.join(methods) or 'none')
EOF

# The raw client for what mtclient cannot send (see the top)
cat >"$T/rawmilter.py" <<'EOF'
# rawmilter.py PORT MODE - a minimal MTA side of the milter protocol
#   send HELO MAILFROM QID  one message from 198.51.100.66, HELO and the
#                  MAIL FROM argument passed verbatim (spaces, CR, LF);
#                  prints the edits (values escaped as mtclient does)
#   drop-mail      close right after MAIL FROM's reply
#   drop-header    close after two of the headers
#   drop-packet    close in the middle of a header packet
#   drop-body      close after a body chunk, before end of message
#   abort-then     a message with a forged A-R of ours, SMFIC_ABORT, then
#                  a clean message: prints the edits of the second one
import socket, struct, sys

port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=20)

def send(cmd, data=b""):
    s.sendall(struct.pack(">I", len(data) + 1) + cmd + data)

def recv():
    hdr = b""
    while len(hdr) < 4:
        c = s.recv(4 - len(hdr))
        if not c:
            raise EOFError("milter closed")
        hdr += c
    n = struct.unpack(">I", hdr)[0]
    body = b""
    while len(body) < n:
        c = s.recv(n - len(body))
        if not c:
            raise EOFError("milter closed")
        body += c
    return body[:1], body[1:]

send(b"O", struct.pack(">III", 6, 0x1ff, 0x1fffff))
cmd, data = recv()
assert cmd == b"O", cmd
proto = struct.unpack(">III", data[:12])[2]
NR = {"C": 0x1000, "H": 0x2000, "M": 0x4000, "R": 0x8000, "L": 0x80,
      "N": 0x40000, "B": 0x80000}
NO = {"C": 0x1, "H": 0x2, "M": 0x4, "R": 0x8, "L": 0x20, "N": 0x40,
      "B": 0x10, "T": 0x200}

def step(cmd, data=b""):
    c = cmd.decode()
    if proto & NO.get(c, 0):
        return
    send(cmd, data)
    if proto & NR.get(c, 0):
        return
    while True:
        r, d = recv()
        if r != b"p":
            return r

def esc(b):
    out = []
    for c in b:
        if c in (10, 13, 9):
            out.append({10: "\\n", 13: "\\r", 9: "\\t"}[c])
        elif c in (34, 92):
            out.append("\\" + chr(c))
        elif 32 <= c < 127:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return "".join(out)

def eom():
    send(b"E")
    edits = []
    while True:
        r, d = recv()
        if r in (b"h", b"i", b"m"):
            parts = d[4:].split(b"\0") if r != b"h" else d.split(b"\0")
            idx = struct.unpack(">I", d[:4])[0] if r != b"h" else 0
            edits.append("%s %d %s %s" % (r.decode(), idx, parts[0].decode(),
                                          esc(parts[1])))
        elif r in (b"a", b"c", b"r", b"t", b"d", b"y"):
            edits.append("verdict " + r.decode())
            return edits

def macro(stage, *kv):
    send(b"D", stage + b"".join(k + b"\0" + v + b"\0" for k, v in kv))

def message(headers, qid):
    macro(b"M", (b"i", qid))
    step(b"M", b"<alice@example.test>\0")
    step(b"R", b"<bob@authgate.test>\0")
    for n, v in headers:
        step(b"L", n + b"\0" + v + b"\0")
    step(b"N")
    step(b"B", b"hello\r\n")

step(b"C", b"client.example\0" + b"4" + struct.pack(">H", 25) + b"198.51.100.66\0")
if mode == "send":
    # send HELO MAILFROM: the arguments verbatim (bytes of the locale's
    # encoding, surrogateescape), one message, print its edits
    step(b"H", sys.argv[3].encode("utf-8", "surrogateescape") + b"\0")
    macro(b"M", (b"i", sys.argv[5].encode()))
    step(b"M", sys.argv[4].encode("utf-8", "surrogateescape") + b"\0")
    step(b"R", b"<bob@authgate.test>\0")
    for n, v in [(b"From", b"alice@example.test"), (b"To", b"bob@authgate.test")]:
        step(b"L", n + b"\0" + v + b"\0")
    step(b"N")
    step(b"B", b"hello\r\n")
    print("\n".join(eom()))
    send(b"Q")
    sys.exit(0)
step(b"H", b"mail.example.test\0")
HDRS = [(b"From", b"alice@example.test"), (b"To", b"bob@authgate.test"),
        (b"Subject", b"raw")]
if mode == "abort-then":
    message([(b"Authentication-Results", b"mx.authgate.test; spf=pass")] +
            HDRS, b"raw-aborted")
    send(b"A")
    message(HDRS, b"raw-after-abort")
    print("\n".join(eom()))
    send(b"Q")
    sys.exit(0)
macro(b"M", (b"i", b"raw-" + mode.encode()))
step(b"M", b"<alice@example.test>\0")
if mode == "drop-mail":
    s.close(); sys.exit(0)
step(b"R", b"<bob@authgate.test>\0")
if mode == "drop-packet":
    pkt = b"L" + b"Subject\0" + b"x" * 500 + b"\0"
    s.sendall(struct.pack(">I", len(pkt)) + pkt[:100])
    s.close(); sys.exit(0)
for n, v in HDRS[:2]:
    step(b"L", n + b"\0" + v + b"\0")
if mode == "drop-header":
    s.close(); sys.exit(0)
step(b"N")
step(b"B", b"hello\r\n")
s.close()
EOF

# ar_valid NAME VALUE - VALUE (escaped, from mt_ar) is one syntactically
# valid Authentication-Results field body -> $AR_METHODS ("spf=fail
# dkim=none ...", or "none")
ar_valid() {
	local out
	if [ -z "$2" ]; then
		not_ok "$1" "no Authentication-Results inserted"
		return
	fi
	AR_METHODS=""
	if out=$(python3 "$T/archeck.py" "$2" 2>&1); then
		AR_METHODS=$out
		ok "$1"
	else
		not_ok "$1" "$out: $(it_short "$2")"
	fi
}

# ar_prop VALUE PTYPE.PROP - the (unquoted) value of that property in an
# escaped A-R value, empty when absent or the syntax is bad
ar_prop() {
	python3 "$T/archeck.py" "$1" "$2" 2>/dev/null
}

# spf_case NAME ADDR FROM WANT [INSTANCE [HELO]] - MAIL FROM <FROM> from
# ADDR gives spf=WANT for smtp.mailfrom in the A-R and the log line
spf_case() {
	local name=$1 addr=$2 from=$3 want=$4 inst=${5:-main}
	local helo=${6:-mail.example.test}
	msgfile "$name"
	mt "$name" "$inst" -a "$addr" -H "$helo" -f "<$from>"
	if [ "$MT_RC" -ne 0 ]; then
		not_ok "$name: spf=$want" "mtclient status $MT_RC: $(it_short "$MT_OUT")"
		return
	fi
	assert_match "$name: spf=$want smtp.mailfrom=$from" "$(mt_ar)" \
		"^$ID_RE;\\\\n\\\\tspf=$want smtp\\.mailfrom=${from//./\\.}(;|$)"
	assert_match "$name: log line says spf=$want" "$(log_line "$inst" "$name")" \
		" spf=$want "
}

# ---- 1. every SPF result for the MAIL FROM identity
# from the static zone
spf_case pass $GOOD_IP alice@example.test pass
spf_case fail $BAD_IP alice@example.test fail
spf_case softfail $BAD_IP a@softfail.example.test softfail
spf_case neutral $BAD_IP a@neutral.example.test neutral
spf_case none $BAD_IP a@nospf.example.test none
spf_case permerror $BAD_IP a@permerror.example.test permerror
spf_case twospf $BAD_IP a@twospf.example.test permerror
spf_case temperror $BAD_IP a@example.test temperror bhmark
assert_match "fail: the message is accepted (SPFFailAction mark)" \
	"$(grep '^result=' "$T/fail.mt")" '^result=accept'
# from the zone made here
spf_case z-pass $GOOD_IP bob@proto.test pass
spf_case z-fail $BAD_IP bob@proto.test fail
spf_case z-softfail $BAD_IP bob@soft.proto.test softfail
spf_case z-softfail-in $GOOD_IP bob@soft.proto.test pass
spf_case z-neutral $BAD_IP bob@neut.proto.test neutral
spf_case z-none-spf2 $BAD_IP bob@nospf.proto.test none
spf_case z-none-nxdomain $BAD_IP bob@nowhere.proto.test none
spf_case z-permerror-mech $BAD_IP bob@perm.proto.test permerror
spf_case z-permerror-include $BAD_IP bob@badinc.proto.test permerror
# RFC 7208 4.6.4: more than 2 void lookups is permerror (libspf2 has no
# such limit: the record ends in +all, so a missing limit shows as pass)
spf_case z-permerror-void $BAD_IP bob@void.proto.test permerror
# RFC 7208 4.6.4: more than 10 DNS-querying terms (11 nested includes)
spf_case z-permerror-depth $GOOD_IP bob@deep.proto.test permerror
# RFC 7208 3.1/14.1: type SPF (99) is not consulted: no TXT record, none
spf_case z-none-type99 $BAD_IP bob@spf99.proto.test none
spf_case z-temperror $GOOD_IP bob@proto.test temperror bhmark
assert_no_match "temperror: never a pass" "$(grep insheader "$T/z-temperror.mt")" \
	'spf=pass'

# ---- 2. IPv6 client (connect family inet6) against ip6: terms
spf_case ipv6pass 2001:db8:1::25 alice@example.test pass
spf_case ipv6fail 2001:db8:2::25 alice@example.test fail
spf_case z-ipv6pass 2001:db8::1 bob@proto.test pass
spf_case z-ipv6pass-v6only 2001:db8:abcd::9 bob@v6.proto.test pass
spf_case z-ipv6fail-v6only 2001:db8::1 bob@v6.proto.test fail
spf_case z-ipv4-v6only $GOOD_IP bob@v6.proto.test fail
assert_match "ipv6: log line has the IPv6 client address" \
	"$(log_line main z-ipv6pass)" 'ip=2001:db8::1 '

# ---- 3. null reverse-path: postmaster@HELO (RFC 7208 2.4), reported as
# smtp.helo, never as an empty smtp.mailfrom
msgfile nullrp
mt nullrp main -a $GOOD_IP -H mail.example.test -f "<>"
AR=$(mt_ar)
assert_match "null reverse-path: spf=pass smtp.helo=mail.example.test" \
	"$AR" "^$ID_RE;\\\\n\\\\tspf=pass smtp\\.helo=mail\\.example\\.test(;|$)"
assert_no_match "null reverse-path: no smtp.mailfrom at all" "$AR" \
	'smtp\.mailfrom'
assert_eq "null reverse-path: exactly one spf clause (HELO not checked twice)" \
	"$(printf '%s' "$AR" | grep -o 'spf=' | wc -l)" 1
ar_valid "null reverse-path: A-R syntax" "$AR"
msgfile nullrp-fail
mt nullrp-fail main -a $BAD_IP -H mail.proto.test -f "<>"
assert_match "null reverse-path, forbidden IP: spf=fail smtp.helo=mail.proto.test" \
	"$(mt_ar)" "spf=fail smtp\\.helo=mail\\.proto\\.test(;|$)"
# SPFCheckHelo no does not switch off the MAIL FROM check of a null sender
msgfile nullrp-nohelo
mt nullrp-nohelo nohelo -a $GOOD_IP -H mail.example.test -f "<>"
assert_match "null reverse-path, SPFCheckHelo no: still checked as postmaster@HELO" \
	"$(mt_ar)" "spf=pass smtp\\.helo=mail\\.example\\.test"
# SPFFailAction reject applies: postmaster@HELO is the MAIL FROM identity
msgfile nullrp-reject
mt nullrp-reject strict -a $BAD_IP -H mail.proto.test -f "<>"
assert_match "null reverse-path, SPFFailAction reject: 550 5.7.23" \
	"$(mt_result)" '^result=reject code=550 text="5\.7\.23 '
# null sender and no HELO at all: answered, no empty property
msgfile nullrp-nohelo-empty
mt nullrp-nohelo-empty main -a $BAD_IP -H '' -f "<>"
AR=$(mt_ar)
assert_match "null reverse-path, empty HELO: answered" "$(mt_result)" \
	'^result=accept'
assert_no_match "null reverse-path, empty HELO: no empty smtp.helo/mailfrom" \
	"$AR" 'smtp\.(helo|mailfrom)=(;|$|\\"\\")'
ar_valid "null reverse-path, empty HELO: A-R syntax" "$AR"

# ---- 4. HELO identity: checked by default, not with SPFCheckHelo no
msgfile helo
mt helo main -a $BAD_IP -H badhelo.example.test -f "<alice@example.test>"
assert_match "SPFCheckHelo yes: spf=fail smtp.helo=badhelo.example.test" \
	"$(mt_ar)" 'spf=fail smtp\.helo=badhelo\.example\.test'
msgfile helo-pass
mt helo-pass main -a $GOOD_IP -H mail.proto.test -f "<bob@proto.test>"
assert_match "SPFCheckHelo yes: both identities pass, mailfrom first" \
	"$(mt_ar)" 'spf=pass smtp\.mailfrom=bob@proto\.test;\\n\\tspf=pass smtp\.helo=mail\.proto\.test'
msgfile nohelo
mt nohelo nohelo -a $BAD_IP -H badhelo.example.test -f "<alice@example.test>"
AR=$(mt_ar)
assert_match "SPFCheckHelo no: MAIL FROM still checked" "$AR" \
	'spf=fail smtp\.mailfrom=alice@example\.test'
assert_no_match "SPFCheckHelo no: no smtp.helo clause" "$AR" 'smtp\.helo'
assert_match "SPFCheckHelo no: log says spf_helo=-" \
	"$(log_line nohelo nohelo)" ' spf_helo=- '

# ---- 5. internal clients and authenticated senders skip SPF: our A-R
# says "none" (internal) or only auth=pass (authenticated), the log
# spf=skipped; SPFFailAction reject never rejects them
internal_case() {
	local name=$1 addr=$2
	msgfile "$name"
	mt "$name" internal -a "$addr" -H badhelo.example.test \
		-f "<alice@example.test>"
	assert_eq "$name ($addr): A-R is '$AG_AUTHSERV; none'" "$(mt_ar)" \
		"$AG_AUTHSERV; none"
	assert_match "$name ($addr): accepted despite SPFFailAction reject" \
		"$(mt_result)" '^result=accept'
	assert_match "$name ($addr): log internal=yes spf=skipped" \
		"$(log_line internal "$name")" ' internal=yes spf=skipped spf_helo=- '
}
internal_case internal-lo 127.0.0.1
internal_case internal-v4 203.0.113.200
internal_case internal-v6 2001:db8:ffff::7
# just outside the internal networks: checked
spf_case internal-outside 203.0.113.127 alice@example.test fail main
msgfile outside-v4
mt outside-v4 internal -a 203.0.113.127 -H mail.example.test -f "<alice@example.test>"
assert_match "just outside InternalHosts: SPF checked and rejected" \
	"$(mt_result)" '^result=reject code=550'
msgfile outside-v6
mt outside-v6 internal -a 2001:db8:fffe::7 -H mail.example.test -f "<alice@example.test>"
assert_match "just outside the IPv6 InternalHosts net: rejected" \
	"$(mt_result)" '^result=reject code=550'

msgfile authed
mt authed strict -a $BAD_IP -H badhelo.example.test -f "<alice@example.test>" \
	-m 'mail:{auth_authen}=alice' -m 'mail:{auth_type}=PLAIN'
AR=$(mt_ar)
assert_eq "authenticated: A-R is exactly auth=pass smtp.auth=alice" "$AR" \
	"$AG_AUTHSERV;\\n\\tauth=pass smtp.auth=alice"
assert_match "authenticated: accepted despite SPFFailAction reject" \
	"$(mt_result)" '^result=accept'
assert_match "authenticated: log auth=alice spf=skipped" \
	"$(log_line strict authed)" ' auth=alice internal=no spf=skipped '
msgfile authed-hostile
mt authed-hostile main -a $BAD_IP -f "<alice@example.test>" \
	-m "mail:{auth_authen}=$(printf 'a"b; spf=pass\\ c\001')"
AR=$(mt_ar)
ar_valid "authenticated, hostile user name: A-R syntax" "$AR"
assert_eq "authenticated, hostile user name: auth=pass the only result" \
	"$AR_METHODS" "auth=pass"

# ---- 6. SPFFailAction reject and SPFTempErrorAction tempfail
msgfile reject
mt reject strict -a $BAD_IP -H mail.example.test -f "<alice@example.test>"
R=$(mt_result)
assert_match "reject: 550" "$R" '^result=reject code=550 '
assert_match "reject: enhanced code 5.7.23 (RFC 7372)" "$R" 'text="5\.7\.23 '
assert_no_match "reject: no header edits" "$MT_OUT" '^action='
assert_match "reject: log verdict=reject" "$(log_line strict reject)" \
	' spf=fail .*verdict=reject'
msgfile passstrict
mt passstrict strict -a $GOOD_IP -H mail.example.test -f "<alice@example.test>"
assert_match "reject instance: an allowed IP is accepted" "$(mt_result)" \
	'^result=accept'
for r in softfail neutral permerror; do
	msgfile "strict-$r"
	mt "strict-$r" strict -a $BAD_IP -H mail.example.test \
		-f "<a@$r.example.test>"
	assert_match "reject instance: spf=$r is not rejected" \
		"$(mt_result)" '^result=accept'
done
# only the MAIL FROM identity's fail rejects: a failing HELO does not
msgfile strict-helofail
mt strict-helofail strict -a $GOOD_IP -H badhelo.example.test -f "<alice@example.test>"
assert_match "reject instance: HELO fail with MAIL FROM pass is accepted" \
	"$(mt_result)" '^result=accept'
assert_match "reject instance: ... and marked spf=fail smtp.helo" \
	"$(mt_ar)" 'spf=pass smtp\.mailfrom=alice@example\.test;\\n\\tspf=fail smtp\.helo=badhelo'
msgfile tempfail
mt tempfail bh -a $BAD_IP -H mail.example.test -f "<alice@example.test>"
R=$(mt_result)
assert_match "temperror: 451" "$R" '^result=tempfail code=451 '
assert_match "temperror: enhanced code 4.7.24 (RFC 7372)" "$R" \
	'text="4\.7\.24 '
assert_no_match "temperror/tempfail: no header edits" "$MT_OUT" '^action='
msgfile tempmark
mt tempmark bhmark -a $BAD_IP -H mail.example.test -f "<alice@example.test>"
assert_match "temperror with SPFTempErrorAction accept: accepted and marked" \
	"$(mt_result)|$(mt_ar)" '^result=accept\|.*spf=temperror smtp\.mailfrom=alice@example\.test'

# ---- 7. forged Authentication-Results: ours deleted (any case, by the
# 1-based index among the fields of that name), foreign kept, ours on top
# del_idx - the indexes of the chgheader deletions, ascending, one line
del_idx() {
	printf '%s\n' "$MT_OUT" |
		sed -n 's/^action=chgheader index=\([0-9]*\) name=Authentication-Results value=""$/\1/p' |
		sort -n | tr '\n' ' ' | sed 's/ $//'
}
msgfile forged \
	"Authentication-Results: mx.authgate.test; spf=pass smtp.mailfrom=x@example.test" \
	"Authentication-Results: other.example; spf=fail smtp.mailfrom=x@example.test" \
	"Authentication-Results: MX.AUTHGATE.TEST; dkim=pass header.d=bank.example" \
	"Authentication-Results: mx.authgate.test.evil; dkim=pass"
mt forged main -a $BAD_IP -H mail.example.test -f "<alice@example.test>"
assert_eq "forged: occurrences 1 and 3 deleted (ours, any case), 2 and 4 kept" \
	"$(del_idx)" "1 3"
assert_eq "forged: deletions highest index first" \
	"$(printf '%s\n' "$MT_OUT" | sed -n 's/^action=chgheader index=\([0-9]*\) .*/\1/p' | tr '\n' ' ')" \
	"3 1 "
assert_match "forged: our new A-R inserted at index 0 with the true spf=fail" \
	"$MT_OUT" \
	'action=insheader index=0 name=Authentication-Results value="mx\.authgate\.test;\\n\\tspf=fail smtp\.mailfrom=alice@example\.test'
assert_eq "forged: one insheader, nothing else added" \
	"$(printf '%s\n' "$MT_OUT" | grep -c '^action=\(insheader\|addheader\)')" 1
assert_match "forged: log ar_removed=2" "$(log_line main forged)" ' ar_removed=2 '

# harder forms: lower-case field name, quoted id, comment before the id,
# folded, an id in a comment of a foreign field, a field over 4 KB
BIG=$(printf 'x%.0s' $(seq 5000))
msgfile forged-hard \
	"authentication-results: mx.authgate.test; spf=pass smtp.mailfrom=x@example.test" \
	"Authentication-Results: (mx.authgate.test) other.example; spf=pass" \
	"AUTHENTICATION-RESULTS: \"mx.authgate.test\"; spf=pass" \
	"Authentication-Results: (forged) Mx.AuthGate.Test; dkim=pass" \
	"Authentication-Results: other.example; none" \
	$'Authentication-Results:\n\tmx.authgate.test;\n\tspf=pass smtp.mailfrom=folded@example.test' \
	"Authentication-Results: mx.authgate.test; spf=pass reason=\"$BIG\"" \
	"Authentication-Results: mx.authgate.test.; spf=pass"
mt forged-hard main -a $BAD_IP -H mail.example.test -f "<alice@example.test>"
if [ "$MT_RC" -ne 0 ]; then
	not_ok "forged-hard: answered" "mtclient status $MT_RC: $(it_short "$MT_OUT")"
fi
assert_eq "forged-hard: 1 (lower-case name), 3 (quoted), 4 (comment), 6 (folded), 7 (5 KB) deleted; 2, 5 and 8 kept" \
	"$(del_idx)" "1 3 4 6 7"
assert_match "forged-hard: ours inserted on top" "$(mt_ar)" \
	"^$ID_RE;\\\\n\\\\tspf=fail smtp\\.mailfrom=alice@example\\.test"
# the same through -o: the message as the MTA would deliver it
msgfile forged2 \
	"Authentication-Results: mx.authgate.test; spf=pass smtp.mailfrom=x@example.test" \
	"Authentication-Results: other.example; spf=fail" \
	"Authentication-Results: Mx.Authgate.Test; dmarc=pass"
mt forged2 main -a $BAD_IP -H mail.example.test -f "<alice@example.test>" \
	-o "$T/forged2.out"
AR_ALL=$(sed -n '1,/^$/p' "$T/forged2.out" |
	awk '/^[ \t]/ { sub(/^[ \t]+/, " "); line = line $0; next }
	     { if (line != "") print line; line = $0 } END { print line }' |
	grep -i '^Authentication-Results:')
assert_eq "forged (-o): two A-R left, ours and the foreign one" \
	"$(printf '%s\n' "$AR_ALL" | grep -c .)" 2
assert_match "forged (-o): the first header of the message is ours with spf=fail" \
	"$(head -1 "$T/forged2.out")" "^Authentication-Results: $ID_RE;"
assert_match "forged (-o): the top A-R is ours with spf=fail" \
	"$(printf '%s\n' "$AR_ALL" | head -1)" \
	"^Authentication-Results: $ID_RE;.*spf=fail"
assert_match "forged (-o): the foreign one kept" "$AR_ALL" \
	'^Authentication-Results: other\.example; spf=fail$'

# ---- 8. several messages on one connection, each with its own A-R, and
# no state leaking from one message to the next
msgfile three
mt three main -c 3 -a $GOOD_IP -H mail.example.test -f "<alice@example.test>"
assert_eq "-c 3: three verdicts, all accept" \
	"$(printf '%s\n' "$MT_OUT" | grep -c '^result=accept$')" 3
assert_eq "-c 3: three A-R inserted, each spf=pass for both identities" \
	"$(printf '%s\n' "$MT_OUT" | grep -c 'action=insheader index=0 name=Authentication-Results value="mx\.authgate\.test;\\n\\tspf=pass smtp\.mailfrom=alice@example\.test;\\n\\tspf=pass smtp\.helo=mail\.example\.test')" 3
assert_eq "-c 3: one log line per message" \
	"$(ag_log main | grep -ac ': three: ip=')" 3
msgfile three-forged \
	"Authentication-Results: other.example; none" \
	"Authentication-Results: mx.authgate.test; spf=pass"
mt three-forged main -c 3 -a $BAD_IP -H mail.example.test -f "<alice@example.test>"
assert_eq "-c 3 forged: each message deletes its own occurrence 2 (counters reset)" \
	"$(printf '%s\n' "$MT_OUT" | grep '^action=chgheader' | sed 's/ value.*//' | tr '\n' '|')" \
	"action=chgheader index=2 name=Authentication-Results|action=chgheader index=2 name=Authentication-Results|action=chgheader index=2 name=Authentication-Results|"
assert_eq "-c 3 forged: three A-R with spf=fail" \
	"$(printf '%s\n' "$MT_OUT" | grep -c 'insheader index=0 name=Authentication-Results value="mx\.authgate\.test;\\n\\tspf=fail smtp\.mailfrom=')" 3
msgfile three-strict
mt three-strict strict -c 3 -a $BAD_IP -H mail.example.test -f "<alice@example.test>"
assert_eq "-c 3 on the reject instance: three 550s" \
	"$(printf '%s\n' "$MT_OUT" | grep -c '^result=reject code=550 text="5\.7\.23 ')" 3

# ---- 9. hostile values: the milter answers, the A-R is one field of
# valid syntax (archeck.py) holding only the results we expect (nothing
# smuggled in through a value), the daemon survives
LONG=$(printf 'a%.0s' $(seq 900))
STD_METHODS='^spf=[a-z]+( spf=[a-z]+)? dkim=none dmarc=[a-z]+ arc=none$'
# hostile_check NAME AR [METHODS-ERE] - the shared assertions
hostile_check() {
	local name=$1 ar=$2 want=${3:-$STD_METHODS}
	ar_valid "hostile $name: A-R is valid syntax, no CR/LF/control/8-bit byte, lines <= 998" \
		"$ar"
	[ -n "$ar" ] && assert_match "hostile $name: only the expected results (${AR_METHODS:-?})" \
		"$AR_METHODS" "$want"
}
# hostile NAME [METHODS-ERE] -- MTCLIENT-ARGS... (through mtclient)
hostile() {
	local name=$1 want=$STD_METHODS
	shift
	if [ "$1" != "--" ]; then want=$1; shift; fi
	shift
	msgfile "$name"
	mt "$name" main "$@"
	if [ "$MT_RC" -ne 0 ]; then
		not_ok "hostile $name: answered" "mtclient status $MT_RC: $(it_short "$MT_OUT")"
		return
	fi
	assert_match "hostile $name: answered with accept" "$(mt_result)" \
		'^result=accept$'
	hostile_check "$name" "$(mt_ar)" "$want"
}
# raw_hostile NAME HELO MAILFROM - the arguments verbatim, through the
# raw client (mtclient splits -f at spaces) -> $RAW_AR
raw_hostile() {
	local name=$1 out
	out=$(python3 "$T/rawmilter.py" "${AG_PORTS[main]}" send "$2" "$3" "$name" 2>&1)
	RAW_AR=$(printf '%s\n' "$out" | sed -n 's/^i 0 Authentication-Results //p' | head -1)
	assert_match "hostile $name: answered with accept" "$out" '^verdict a$'
	hostile_check "$name" "$RAW_AR"
}
hostile longlocal -- -a $BAD_IP -H mail.example.test -f "<$LONG@example.test>"
assert_match "longlocal: the result is still spf=fail" \
	"$(mt_ar)" 'spf=fail smtp\.mailfrom='
# the identity reported must name the domain that was checked, however
# long the local part (RFC 8601 2.7.2); a cut from the start loses it
MF=$(ar_prop "$(mt_ar)" smtp.mailfrom)
assert_match "longlocal: reported smtp.mailfrom is the checked domain or ends in @example.test (got ${#MF} chars ending '${MF: -20}')" \
	"$MF" '(^|@)example\.test$'
# a quoted local part holding another domain, long enough that a cut
# after 512 bytes leaves "...@bank.example" as the visible identity of an
# spf=pass that proto.test earned
X498=$(printf 'x%.0s' $(seq 498))
hostile longquoted -- -a $GOOD_IP -H mail.example.test \
	-f "<\"$X498@bank.example\"@proto.test>"
MF=$(ar_prop "$(mt_ar)" smtp.mailfrom)
assert_match "longquoted: spf=pass is for proto.test" "$(mt_ar)" 'spf=pass smtp\.mailfrom='
assert_match "longquoted: reported smtp.mailfrom is proto.test, not the local part's bank.example (got '...${MF: -30}')" \
	"$MF" '(^|@)proto\.test$'
hostile longdomain -- -a $BAD_IP -H mail.example.test \
	-f "<a@$(printf 'label%.0s.' $(seq 60))example.test>"
hostile ctl -- -a $BAD_IP -H mail.example.test -f "$(printf '<a\001b\177c;d=e@example.test>')"
hostile quotes -- -a $BAD_IP -H mail.example.test -f '<"a;b(c)spf=pass"@example.test>'
assert_match "quotes: local part with quotes, ';' and '(' is a quoted-string" \
	"$(mt_ar)" 'smtp\.mailfrom=\\"\\\\\\"a;b\(c\)spf=pass\\\\\\"@example\.test\\"'
hostile backslash -- -a $BAD_IP -H mail.example.test -f '<a\\"b@example.test>'
hostile utf8 -- -a $BAD_IP -H mail.example.test -f "<ü@exämple.example.test>"
assert_match "utf8: a U-label domain that does not exist: spf=none" \
	"$(mt_ar)" 'spf=none smtp\.mailfrom='
hostile badutf8 -- -a $BAD_IP -H mail.example.test -f "$(printf '<\xff\xfe@ex\xc3.example.test>')"
msgfile idnpass
mt idnpass main -a $GOOD_IP -H mail.example.test -f "<ü@bücher.example.test> SMTPUTF8"
assert_match "SMTPUTF8 sender at bücher.example.test (xn--bcher-kva): spf=pass" \
	"$(mt_ar)" 'spf=pass smtp\.mailfrom='
ar_valid "SMTPUTF8 sender: A-R syntax" "$(mt_ar)"
msgfile idnfail
mt idnfail main -a $BAD_IP -H mail.example.test -f "<ü@bücher.example.test> SMTPUTF8"
assert_match "SMTPUTF8 sender at bücher.example.test, forbidden IP: spf=fail" \
	"$(mt_ar)" 'spf=fail smtp\.mailfrom='
hostile spacehelo -- -a $BAD_IP -H 'bad helo; spf=pass x=y' -f "<alice@example.test>"
assert_match "spacehelo: HELO with spaces and ';' is a quoted-string" "$(mt_ar)" \
	'smtp\.helo=\\"bad helo; spf=pass x=y\\"'
hostile emptyhelo -- -a $BAD_IP -H '' -f "<alice@example.test>"
assert_no_match "emptyhelo: no empty smtp.helo" "$(mt_ar)" 'smtp\.helo=(;|$|\\"\\")'
hostile crlfhelo -- -a $BAD_IP -H "$(printf 'evil\r\nX-Injected: yes')" -f "<alice@example.test>"
hostile longhelo -- -a $BAD_IP -H "$(printf 'h%.0s' $(seq 2000)).example" -f "<alice@example.test>"
hostile literalhelo -- -a $BAD_IP -H '[198.51.100.66]' -f "<alice@example.test>"
hostile badaddr '^none$' -- -a unknown -f "<alice@example.test>"
hostile manyrcpt -- -a $BAD_IP -H mail.example.test -f "<alice@example.test>" \
	$(for i in $(seq 200); do printf -- '-r <r%d@authgate.test> ' "$i"; done)
# values with spaces, CR and LF, passed verbatim
raw_hostile raw-spaces mail.example.test '<"a;b(c) spf=pass"@example.test>'
assert_match "raw-spaces: local part with spaces is a quoted-string" "$RAW_AR" \
	'smtp\.mailfrom=\\"\\\\\\"a;b\(c\) spf=pass\\\\\\"@example\.test\\"'
raw_hostile raw-addrinlocal mail.example.test '<"Someone <x@evil.example>"@victim.example.test>'
raw_hostile raw-crlf mail.example.test "$(printf '<a\r\nX-Injected: yes\r\n@example.test>')"
assert_no_match "raw-crlf: no injected header line" "$RAW_AR" 'X-Injected: yes\\"?;?\\n'
raw_hostile raw-crlfhelo "$(printf 'evil\r\nX-Injected: yes\r\n')" '<alice@example.test>'
raw_hostile raw-longlocal "$(printf 'h%.0s' $(seq 900))" "<$LONG@$(printf 'x%.0s' $(seq 60)).example.test>"
raw_hostile raw-nobrackets mail.example.test 'alice@example.test'
raw_hostile raw-semicolon-helo 'x; spf=pass smtp.helo=bank.example' '<alice@example.test>'
assert_no_match "log: a CR/LF in HELO or MAIL FROM does not start a log line" \
	"$(ag_log main)" '^X-Injected'
check "authgate main alive after hostile input" ag_alive main

# ---- 10. clients that go away: half-way through a message, inside a
# slow SPF lookup, and SMFIC_ABORT then another message on the connection

# after_drop WHAT INSTANCE - the instance answers a new connection
after_drop() {
	local name="after-$1" inst=$2
	msgfile "$name"
	mt "$name" "$inst" -a $GOOD_IP -H mail.example.test -f "<alice@example.test>"
	assert_match "after $1: the next connection to $inst is answered" \
		"$(mt_result)|$(mt_ar)" "^result=accept\\|$ID_RE;.*spf="
}
for mode in drop-mail drop-header drop-packet drop-body; do
	if out=$(python3 "$T/rawmilter.py" "${AG_PORTS[main]}" "$mode" 2>&1); then
		ok "raw client $mode: conversation up to the drop answered"
	else
		not_ok "raw client $mode: conversation up to the drop answered" \
			"$(it_short "$out")"
	fi
	sleep 0.3
	after_drop "$mode" main
done
OUT=$(python3 "$T/rawmilter.py" "${AG_PORTS[main]}" abort-then 2>&1)
assert_no_match "SMFIC_ABORT: the aborted message's forged A-R does not leak into the next (no chgheader)" \
	"$OUT" '^m '
assert_match "SMFIC_ABORT: the next message gets its A-R and is accepted" \
	"$OUT" "^i 0 Authentication-Results mx\\.authgate\\.test;"
assert_match "SMFIC_ABORT: ... and a verdict" "$OUT" '^verdict a$'
assert_match "SMFIC_ABORT: log ar_removed=0 for the message after the abort" \
	"$(log_line main raw-after-abort)" ' ar_removed=0 '

# inside a DNS lookup that waits on the blackhole: kill the client
msgfile drop
# (timeout KILLs it: no job notice from bash)
timeout --foreground -s KILL 0.5 "$MT" -t 20 -s "inet:${AG_PORTS[bh]}@127.0.0.1" \
	-a $BAD_IP -f "<alice@example.test>" "$T/drop.eml" >/dev/null 2>&1
msgfile after
mt after bh -a 127.0.0.1 -f "<alice@example.test>"
assert_match "after a client killed during the SPF lookup: the next one is answered" \
	"$(mt_result)" '^result=accept'
# a client timing out before the milter answers (mtclient -t 1 while
# authgate waits 1 s per lookup): the daemon is fine afterwards
msgfile shorttimeout
"$MT" -t 1 -s "inet:${AG_PORTS[bh]}@127.0.0.1" -m i=shorttimeout -a $BAD_IP \
	-H mail.example.test -f "<alice@example.test>" "$T/shorttimeout.eml" \
	>"$T/shorttimeout.mt" 2>&1
sleep 2
msgfile after2
mt after2 bh -a $BAD_IP -H mail.example.test -f "<alice@example.test>"
assert_match "after a client that timed out: the next one gets the 451" \
	"$(mt_result)" '^result=tempfail code=451'

# ---- 11. every daemon still up, nothing alarming in its log
for n in $INSTANCES; do
	check "authgate $n still running" ag_alive "$n"
	assert_no_match "authgate $n: no error/crit line, sanitizer report or crash in its log" \
		"$(ag_log "$n")" ' (error|crit|alert|emerg): |ERROR|AddressSanitizer|runtime error:|LeakSanitizer|Segmentation'
done
it_finish
