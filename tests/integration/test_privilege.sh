#!/bin/bash
# test_privilege.sh - what authgate runs as and what it lets out
#
#   a. started as root with User authgate: binds, reads its key, then runs
#      with the user's uid/gid (real, effective, saved, fs) and only the
#      user's own groups; a reload still reads the key
#   b. unix socket: SocketMode and SocketGroup applied; bad values refused
#      with file:line
#   c. private key with group/other permissions (0644, 0640, 0620, 0604)
#      refuses the start naming the file; 0600 starts
#   d. the private key never reaches the log: not after signing, not after
#      errors about the key file
#   e. control bytes in HELO, MAIL FROM, macros, From and Subject are
#      escaped in the log: no raw control byte, no line starting with
#      attacker text
#   f. signing only for authenticated or internal clients, through a real
#      Postfix with XCLIENT (trusted and untrusted) and SMTP AUTH
. "$(dirname "$0")/lib.sh"
it_init privilege
it_require openssl dovecot doveconf
"$DKIM_PY" -c 'import dkim, dns.resolver' 2>/dev/null ||
	it_die "$DKIM_PY lacks dkimpy or dnspython (python3-dkim)"

MT="${AG_BUILD:-$ROOT/${B:-build}}/tools/mtclient"
[ -x "$MT" ] || it_die "mtclient not built at $MT (make tests)"
AG_UID=$(id -u authgate)
AG_GID=$(id -g authgate)
SIGN_DOM=signer.test
EXT_IP=198.51.100.77
INTERNAL_IP=203.0.113.200
SUB_USER=sub@signer.test
SUB_PASS=authgate-it-pw
K="$T/keys"
mkdir -p "$K"
chmod 755 "$K"

dkim_keygen "$K/s1.pem" rsa 2048
dns_add_zone "$SIGN_DOM"
dkim_publish "$SIGN_DOM" s1 "$(dkim_txt_record "$K/s1.pem")"
dns_start

SIGNING=("Domain $SIGN_DOM" "Selector s1" "KeyFile $K/s1.pem"
	"InternalHosts $INTERNAL_IP/32")
printf 'From: alice@%s\nTo: b@authgate.test\nSubject: p\n\nbody\n' \
	"$SIGN_DOM" >"$T/m.eml"

# status_ids PID FIELD - "real effective saved fs" of Uid: or Gid:
status_ids() {
	awk -v f="$2:" '$1 == f { print $2, $3, $4, $5 }' "/proc/$1/status"
}

# sorted_words WORDS... - one line, numerically sorted, unique
sorted_words() {
	printf '%s\n' "$@" | grep . | sort -nu | tr '\n' ' ' | sed 's/ $//'
}

# key_lines FILE - the base64 lines of a PEM file (no BEGIN/END)
key_lines() {
	grep -v -- '-----' "$1"
}

# no_key_in NAME TEXT KEYFILE - no base64 line of KEYFILE (and no 24-byte
# piece of one) appears in TEXT
no_key_in() {
	local line hits=0
	while IFS= read -r line; do
		[ ${#line} -ge 24 ] || continue
		printf '%s' "$2" | grep -qF -- "${line:0:24}" && hits=$((hits + 1))
		printf '%s' "$2" | grep -qF -- "${line: -24}" && hits=$((hits + 1))
	done < <(key_lines "$3")
	assert_eq "$1" "$hits" 0
}

# ---- a. privileges after the start
ag_start priv "${SIGNING[@]}"
PID=$(ag_pid priv)
"$MT" -t 20 -s "$(ag_socket priv)" -a "$INTERNAL_IP" -H host.example.test \
	-f "<alice@$SIGN_DOM>" "$T/m.eml" >"$T/priv.mt" 2>&1
assert_eq "priv: a message is answered" "$?" 0
assert_match "priv: the key was read (the internal message is signed)" \
	"$(cat "$T/priv.mt")" 'DKIM-Signature'
for f in Uid Gid; do
	want=$AG_UID
	[ "$f" = Gid ] && want=$AG_GID
	assert_eq "priv: $f real/effective/saved/fs are authgate's" \
		"$(status_ids "$PID" "$f")" "$want $want $want $want"
done
# shellcheck disable=SC2046 # word lists
assert_eq "priv: supplementary groups are exactly the user's ($(id -Gn authgate | tr ' ' ,))" \
	"$(sorted_words $(awk '$1 == "Groups:" { $1 = ""; print }' "/proc/$PID/status"))" \
	"$(sorted_words $(id -G authgate))"
bad=0
for t in /proc/"$PID"/task/*; do
	[ "$(status_ids "${t#/proc/}" Uid) $(status_ids "${t#/proc/}" Gid)" = \
		"$AG_UID $AG_UID $AG_UID $AG_UID $AG_GID $AG_GID $AG_GID $AG_GID" ] ||
		bad=$((bad + 1))
done
assert_eq "priv: every thread runs as authgate" "$bad" 0
assert_match "priv: no capabilities (CapEff, CapPrm)" \
	"$(awk '$1 == "CapEff:" || $1 == "CapPrm:" { printf "%s", $2 }' "/proc/$PID/status")" \
	'^0+$'
M0=$(ag_log_mark priv)
kill -HUP "$PID"
if ag_log_wait priv 'configuration reloaded' 10 "$M0"; then
	ok "priv: a reload as authgate re-reads the key file"
else
	not_ok "priv: a reload as authgate re-reads the key file" \
		"$(it_short "$(ag_log_since priv "$M0" | tail -3)")"
fi

# ---- b. unix socket mode and group
SOCK="$T/run/p.sock"
ag_start usock "Socket unix:$SOCK" "SocketMode 0660" "SocketGroup postfix" \
	"PidFile $T/run/usock.pid"
assert_eq "socket: mode 660, owner authgate, group postfix" \
	"$(stat -c '%a %U %G' "$SOCK")" "660 authgate postfix"
ag_stop usock
ag_start usock2 "Socket unix:$SOCK" "SocketMode 0600" \
	"PidFile $T/run/usock2.pid"
assert_eq "socket: SocketMode 0600, no SocketGroup: the user's group" \
	"$(stat -c '%a %U %G' "$SOCK")" "600 authgate $(id -gn authgate)"
ag_stop usock2
for bad in "SocketMode 0999" "SocketMode rw-rw----" "SocketGroup no-such-group-x"; do
	ag_config sbad "Socket unix:$SOCK" "$bad"
	key=${bad%% *}
	OUT=$("$AUTHGATE" -n -c "$T/sbad.conf" 2>&1)
	RC=$?
	check "socket: '$bad' refused (status $RC)" test "$RC" -ne 0
	assert_match "socket: '$bad' names file:line" "$OUT" \
		"^$T/sbad.conf:$(ag_conf_line sbad "^$key "): $key"
done

# ---- c. key file permissions
for mode in 0644 0640 0620 0604 0660; do
	f="$K/bad$mode.pem"
	cp "$K/s1.pem" "$f"
	chown authgate "$f"
	chmod "$mode" "$f"
	if ag_try_start "perm$mode" "Domain $SIGN_DOM" "Selector s1" "KeyFile $f"; then
		not_ok "key mode $mode: start refused" "it started"
		ag_stop "perm$mode"
	else
		check "key mode $mode: start refused (status ${AG_EXIT:-none})" \
			test "${AG_EXIT:-0}" -ne 0
		assert_match "key mode $mode: the message names the file and line" \
			"$(ag_log "perm$mode")" \
			"$T/perm$mode.conf:$(ag_conf_line "perm$mode" '^KeyFile'): .*$f"
		no_key_in "key mode $mode: the log holds no part of the key" \
			"$(ag_log "perm$mode")" "$f"
	fi
done
if ag_try_start perm0600 "Domain $SIGN_DOM" "Selector s1" "KeyFile $K/s1.pem"; then
	ok "key mode 0600: starts"
	ag_stop perm0600
else
	not_ok "key mode 0600: starts" "$(it_short "$(ag_log perm0600)")"
fi
# a damaged key (half of the PEM, base64 intact): refused, not echoed
head -n 14 "$K/s1.pem" >"$K/half.pem"
chown authgate "$K/half.pem"
chmod 600 "$K/half.pem"
if ag_try_start halfkey "Domain $SIGN_DOM" "Selector s1" "KeyFile $K/half.pem"; then
	not_ok "damaged key: start refused" "it started"
	ag_stop halfkey
else
	assert_match "damaged key: start refused naming the file" \
		"$(ag_log halfkey)" "$K/half.pem"
fi
no_key_in "damaged key: the log holds no part of it" "$(ag_log halfkey)" \
	"$K/half.pem"
# a key file that is not PEM at all, but base64 (a DER key): not echoed
openssl pkey -in "$K/s1.pem" -outform DER | base64 -w 64 >"$K/der64.pem"
chown authgate "$K/der64.pem"
chmod 600 "$K/der64.pem"
if ag_try_start der64 "Domain $SIGN_DOM" "Selector s1" "KeyFile $K/der64.pem"; then
	ag_stop der64
fi
no_key_in "base64 DER key file: the log holds no part of it" \
	"$(ag_log der64)" "$K/der64.pem"

# ---- d. signing messages does not log the key (LogLevel debug)
for _ in 1 2 3; do
	"$MT" -t 20 -s "$(ag_socket priv)" -a "$INTERNAL_IP" \
		-H host.example.test -f "<alice@$SIGN_DOM>" \
		-m 'mail:{auth_authen}=alice' "$T/m.eml" >/dev/null 2>&1
done
assert_match "log: messages were signed" "$(ag_log priv)" 'signed=[1-9]'
no_key_in "log after signing: no part of the private key" "$(ag_log priv)" \
	"$K/s1.pem"

# ---- e. log injection
CTL=$'\r\n2026-01-01T00:00:00Z authgate[1]: notice: FORGED\x1b[31m\x01\x7f\tX'
printf 'From: "Evil%s" <x@%s>\nTo: b@authgate.test\nSubject: hi%s\nX-Other: a\x1b\x7f\x02\n\nbody\n' \
	"$CTL" "$SIGN_DOM" "$CTL" >"$T/evil.eml"
ag_start inj "InternalHosts 127.0.0.2/32"
M0=$(ag_log_mark inj)
"$MT" -t 20 -s "$(ag_socket inj)" -a 198.51.100.66 -H "helo$CTL" \
	-f "<a${CTL//[ <>]/}@example.test>" -r "<r${CTL//[ <>]/}@authgate.test>" \
	-m "i=Q1$CTL" -m "mail:{auth_authen}=al$CTL" "$T/evil.eml" \
	>"$T/inj.mt" 2>&1
echo "# injection message: $(tail -1 "$T/inj.mt")"
sleep 0.5
LOG=$(ag_log_since inj "$M0")
NLINES=$(printf '%s\n' "$LOG" | grep -c .)
check "injection: the message was logged ($NLINES lines)" test "$NLINES" -gt 0
# (escaped as \xNN by the logger, or dropped where authgate stores the
# value: either way inside our line)
assert_match "injection: the attacker's HELO is logged inside our line" \
	"$LOG" ' helo=helo(\\x0d\\x0a)?2026-01-01T00:00:00Z authgate\[1\]: notice: FORGED'
BADLINES=$(printf '%s\n' "$LOG" | grep -vcE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z authgate\[[0-9]+\]: [a-z]+: ')
assert_eq "injection: every log line starts with our own prefix" "$BADLINES" 0
assert_eq "injection: no log line holds the forged text unescaped" \
	"$(printf '%s\n' "$LOG" | grep -c '^2026-01-01T00:00:00Z authgate\[1\]')" 0
CTRL=$(ag_log inj | LC_ALL=C tr -d '\n' | LC_ALL=C tr -dc '\000-\037\177' | wc -c)
assert_eq "injection: no raw control byte (CR, ESC, DEL, TAB, ...) in the log" \
	"$CTRL" 0
check "injection: authgate still running" ag_alive inj

# ---- f. signing decisions through Postfix with XCLIENT
# "main" trusts XCLIENT from 127.0.0.0/8 (lib.sh), "noxc" trusts only
# 192.0.2.1, "sub" needs SMTP AUTH; 127.0.0.1 itself is not internal.
ag_start sign "${SIGNING[@]}"
sasl_start "$SUB_USER" "$SUB_PASS"
pf_add_submission sub "$(ag_milter sign)"
pf_add_smtpd noxc "$(ag_milter sign)" smtpd_authorized_xclient_hosts=192.0.2.1
pf_start "$(ag_milter sign)"
P_MAIN=$PF_PORT
P_SUB=${PF_PORTS[sub]}
P_NOXC=${PF_PORTS[noxc]}

nsigs() {
	mail_header "$1" DKIM-Signature | grep -c .
}

# signed_ok NAME LOCALPART - delivered, one signature, dkimpy verifies it
signed_ok() {
	if ! mail_wait "$2" 20; then
		not_ok "$1" "not delivered: $(it_short "$(grep -E '^<(-|\*\*)' "$SEND_LOG" 2>/dev/null | tail -3)")"
		return
	fi
	local v
	v=$(dkim_verify_py "$MAIL_FILE")
	assert_eq "$1" "$(nsigs "$MAIL_FILE") $v" "1 pass d=$SIGN_DOM s=s1 a=rsa-sha256"
}

# unsigned_ok NAME LOCALPART - delivered without a signature
unsigned_ok() {
	if ! mail_wait "$2" 20; then
		not_ok "$1" "not delivered: $(it_short "$(grep -E '^<(-|\*\*)' "$SEND_LOG" 2>/dev/null | tail -3)")"
		return
	fi
	assert_eq "$1" "$(nsigs "$MAIL_FILE")" 0
}

# 1. external address via trusted XCLIENT, no auth: not signed
send_mail "$P_MAIN" --xclient-addr "$EXT_IP" --xclient-helo client.example.org \
	--from "alice@$SIGN_DOM" --to f1@authgate.test
unsigned_ok "xclient external, no auth: delivered, not signed" f1
# 2. internal address via trusted XCLIENT: signed
send_mail "$P_MAIN" --xclient-addr "$INTERNAL_IP" --xclient-helo host.internal.example \
	--from "alice@$SIGN_DOM" --to f2@authgate.test
signed_ok "xclient internal (trusted): signed and verifies" f2
# 3. XCLIENT LOGIN= from a trusted host: an authenticated client
send_mail "$P_MAIN" --xclient-addr "$EXT_IP" --xclient-login "$SUB_USER" \
	--xclient-helo client.example.org --from "alice@$SIGN_DOM" \
	--to f3@authgate.test
signed_ok "xclient LOGIN= (trusted): signed and verifies" f3
# 4. real SMTP AUTH from an external address: signed
send_mail "$P_SUB" --xclient-addr "$EXT_IP" --xclient-helo client.example.org \
	--auth PLAIN --auth-user "$SUB_USER" --auth-password "$SUB_PASS" \
	--from "alice@$SIGN_DOM" --to f4@authgate.test
signed_ok "SMTP AUTH submission: signed and verifies" f4
# 5. untrusted XCLIENT (ADDR= internal, LOGIN=): Postfix refuses it; the
# session goes on as the real client, 127.0.0.1, which is not internal
cat >"$T/noxc.py" <<'EOF'
import smtplib, sys
port, attrs, rcpt = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = smtplib.SMTP("127.0.0.1", port, timeout=30)
s.ehlo("client.example.org")
code, text = s.docmd("XCLIENT", attrs)
print("xclient %d %s" % (code, text.decode(errors="replace")))
s.ehlo("client.example.org")
msg = ("From: alice@signer.test\r\nTo: %s\r\nSubject: noxc\r\n\r\nbody\r\n"
       % rcpt)
try:
    s.sendmail("alice@signer.test", [rcpt], msg)
    print("data 250")
except smtplib.SMTPException as e:
    print("data error %s" % e)
s.quit()
EOF
for c in "ADDR=$INTERNAL_IP:f5" "LOGIN=$SUB_USER:f6" \
	"ADDR=$INTERNAL_IP LOGIN=$SUB_USER:f7"; do
	attrs=${c%:*}
	lp=${c##*:}
	OUT=$(python3 "$T/noxc.py" "$P_NOXC" "$attrs" "$lp@authgate.test" 2>&1)
	assert_match "untrusted XCLIENT $attrs: refused by Postfix" "$OUT" \
		'^xclient 5[0-9][0-9] '
	unsigned_ok "untrusted XCLIENT $attrs: delivered, not signed" "$lp"
done
check "authgate sign still running" ag_alive sign
assert_no_match "no crash in the logs" "$(cat "$T"/*.log)" \
	'AddressSanitizer|runtime error:|Segmentation'
it_finish
