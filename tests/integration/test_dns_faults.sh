#!/bin/bash
# test_dns_faults.sh - SPF, DKIM and DMARC against a resolver that misbehaves
#
# authgate's only nameserver is tests/tools/faultdns.py, which answers from
# a rules file with the faults a stock server cannot produce: SERVFAIL,
# timeouts, slow answers, TC answers that need TCP, huge TXT records,
# garbage, wrong ids, too many records. Messages go in through mtclient
# (no Postfix); we read the Authentication-Results authgate adds (-o) and
# the verdict line. Every case must give a defined result, never a pass
# that should not be, and authgate must stay alive.
#
# Instances (DNSTimeout 3s, no retries, all ask faultdns):
#   main  defaults: SPF and DMARC temperror are accepted and marked
#   tf    SPFTempErrorAction tempfail, DMARCTempErrorAction tempfail
# Phase 1 sends all fault cases at once (each its own domain, so the
# cache never mixes them); phase 2 is a 30 s resolver outage (15 s of
# silence, then 15 s with the server gone) with messages sent during it,
# then the resolver returns and results must be normal again.
. "$(dirname "$0")/lib.sh"
it_init dns_faults

MT="$ROOT/${B:-build}/tools/mtclient"
[ -x "$MT" ] || it_die "mtclient not built ($MT)"
FAULTDNS=$ROOT/tests/tools/faultdns.py
[ -f "$FAULTDNS" ] || it_die "missing $FAULTDNS"

GOOD_IP=192.0.2.10		# allowed by the "good" SPF records
BAD_IP=198.51.100.66		# allowed by none
HELO=client.nowhere.ft.test	# NXDOMAIN (no rule): spf none for HELO
TIMEOUT_S=3			# DNSTimeout
ID_RE='mx\.authgate\.test'
RULES=$T/faultdns.rules
QLOG=$T/faultdns.queries
FAULTS=0			# fault rules injected
FAULT_MSGS=0			# messages sent under faults
mkdir -p "$T/msg" "$T/res"

# ---------------------------------------------------------------- faultdns

free_port || it_die "no free port for faultdns"
FD_PORT=$FREE_PORT
FD_PID=

fd_start() {
	local i
	rm -f "$T/faultdns.pid"
	/usr/bin/python3 "$FAULTDNS" -p "$FD_PORT" -r "$RULES" -l "$QLOG" \
		--pidfile "$T/faultdns.pid" 2>>"$T/faultdns.err" &
	FD_PID=$!
	IT_BG_PIDS+=("$FD_PID")
	for i in $(seq 50); do
		[ -s "$T/faultdns.pid" ] && return 0
		sleep 0.1
	done
	it_die "faultdns did not start: $(it_short "$(cat "$T/faultdns.err")")"
}

fd_stop() {
	kill -TERM "$FD_PID" 2>/dev/null
	wait "$FD_PID" 2>/dev/null
}

# rule LINE - append one rule; lines with an action other than a plain
# answer count as injected faults
rule() {
	printf '%s\n' "$1" >>"$RULES"
	case "$1" in
	*" rr "*) case "$1" in *" tc "*|*tcponly*|*delay=*) FAULTS=$((FAULTS + 1)) ;; esac ;;
	*) FAULTS=$((FAULTS + 1)) ;;
	esac
}

# qcount ERE - queries in the log matching ERE
qcount() {
	grep -cE -- "$1" "$QLOG" 2>/dev/null || true
}

# ---------------------------------------------------------------- sending

SEND_PIDS=()

# send CASE INSTANCE MAILFROM-DOMAIN [IP] [MSGFILE] - one message in the
# background; results in $T/res/CASE.{out,eml,rc,ms}
send() {
	local c=$1 inst=$2 dom=$3 ip=${4:-$GOOD_IP} msg=${5:-}
	if [ -z "$msg" ]; then
		msg=$T/msg/$c.eml
		printf 'From: <u@%s>\nTo: <r@authgate.test>\nSubject: %s\nMessage-ID: <%s@ft.test>\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n\nbody of %s\n' \
			"$dom" "$c" "$c" "$c" >"$msg"
	fi
	(
		s=$(date +%s%N)
		"$MT" -t 60 -s "inet:${AG_PORTS[$inst]}@127.0.0.1" -a "$ip" -H "$HELO" \
			-f "<u@$dom>" -r "<r@authgate.test>" -o "$T/res/$c.eml" \
			"$msg" >"$T/res/$c.out" 2>&1
		echo $? >"$T/res/$c.rc"
		echo $((($(date +%s%N) - s) / 1000000)) >"$T/res/$c.ms"
	) &
	SEND_PIDS+=($!)
}

# send_wait - wait for every send, sampling authgate main's threads
send_wait() {
	local p
	for p in "${SEND_PIDS[@]}"; do
		while kill -0 "$p" 2>/dev/null; do
			sample_threads
			sleep 0.1
		done
	done
	wait "${SEND_PIDS[@]}"
	SEND_PIDS=()
}

# threads PID - its thread count; sample_threads: MAXT := max seen (main)
MAXT=0
threads() { awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
sample_threads() {
	local n
	n=$(threads "${AG_PIDS[main]}")
	echo "$(date +%s.%N) $n" >>"$T/threads.samples"
	[ -n "$n" ] && [ "$n" -gt "$MAXT" ] && MAXT=$n
}

# verdict CASE - accept, reject, tempfail, ... (mtclient's result= line)
verdict() {
	sed -n 's/^result=\([a-z]*\).*/\1/p' "$T/res/$1.out" | tail -1
}

# ar CASE - our Authentication-Results (empty when none)
ar() {
	[ -f "$T/res/$1.eml" ] && ar_ours "$T/res/$1.eml"
}

# expect CASE WHAT ERE - our A-R matches ERE (and the conversation ended)
expect() {
	local c=$1 what=$2 re=$3 rc a
	rc=$(cat "$T/res/$c.rc" 2>/dev/null)
	if [ "$rc" != 0 ]; then
		not_ok "$c: $what" "mtclient status ${rc:-none}: $(it_short "$(cat "$T/res/$c.out")")"
		return
	fi
	a=$(ar "$c")
	if [ -z "$a" ]; then
		not_ok "$c: $what" "no A-R of ours; verdict $(verdict "$c"): $(it_short "$(cat "$T/res/$c.out")")"
		return
	fi
	assert_match "$c: $what" "$a" "$re"
}

# never_pass CASE METHOD - no METHOD=pass in our A-R
never_pass() {
	local a
	a=$(ar "$1")
	assert_no_match "$1: no $2=pass" "$a" "[; ]$2=pass"
}

# ---------------------------------------------------------------- rules

: >"$RULES"
# the good record: 192.0.2.0/24 allowed
GOOD_SPF='"v=spf1 ip4:192.0.2.0/24 -all"'

# -- SPF
# 11 DNS-querying mechanisms before the matching ip4: permerror, not pass
r='v=spf1'
for i in $(seq 11); do
	r="$r a:h$i.ft.test"
	rule "h$i.ft.test A rr 203.0.113.$i"
done
rule "toomany.ft.test TXT rr \"$r ip4:$GOOD_IP -all\""
FAULTS=$((FAULTS + 1))
# exactly 10 is allowed: pass
r='v=spf1'
for i in $(seq 10); do r="$r a:h$i.ft.test"; done
rule "tenok.ft.test TXT rr \"$r ip4:$GOOD_IP -all\""
# include loop
rule 'loop.ft.test TXT rr "v=spf1 include:loop2.ft.test -all"'
rule 'loop2.ft.test TXT rr "v=spf1 include:loop.ft.test ip4:192.0.2.10 -all"'
FAULTS=$((FAULTS + 1))
# three void lookups (a: names that do not exist) before the match
rule "void.ft.test TXT rr \"v=spf1 a:v1.ft.test a:v2.ft.test mx:v3.ft.test ip4:$GOOD_IP -all\""
FAULTS=$((FAULTS + 1))
# two void lookups are allowed
rule "void2.ft.test TXT rr \"v=spf1 a:v4.ft.test a:v5.ft.test ip4:$GOOD_IP -all\""
# a ~60 KB record (one answer only TCP can carry), the client not in it
big=$(for i in $(seq 0 3499); do printf ' ip4:10.%d.%d.0/24' $((i / 256)) $((i % 256)); done)
rule "huge.ft.test TXT rr \"v=spf1$big -all\""
FAULTS=$((FAULTS + 1))
# the same size, the client at its end
rule "hugepass.ft.test TXT rr \"v=spf1$big ip4:$GOOD_IP -all\""
FAULTS=$((FAULTS + 1))
# TC over UDP, the answer over TCP
rule "tc.ft.test TXT tc rr $GOOD_SPF"
rule "tcfail.ft.test TXT tc rr $GOOD_SPF"
# UDP never answered, TCP would be
rule "tcponly.ft.test TXT tcponly rr $GOOD_SPF"
rule 'servfail.ft.test TXT servfail'
rule 'refused.ft.test TXT refused'
rule 'timeout.ft.test TXT drop'
rule "slow.ft.test TXT delay=2000 rr $GOOD_SPF"
rule 'nxd.ft.test TXT nxdomain'
rule 'nodata.ft.test TXT nodata'
rule 'garbage.ft.test TXT garbage'
rule 'wrongid.ft.test TXT wrongid'
# two SPF records: permerror (RFC 7208 4.5), even with +all in one
rule 'twospf.ft.test TXT rr "v=spf1 +all"'
rule 'twospf.ft.test TXT rr "v=spf1 -all"'
FAULTS=$((FAULTS + 1))
# the answer comes after the timeout: temperror, the late answer ignored
rule "late.ft.test TXT delay=4000 rr $GOOD_SPF"
# eight a: terms whose lookups all time out: the first one ends the check
# (RFC 7208 4.4/5: temperror at once), so not 8 timeouts in a row
r='v=spf1'
for i in $(seq 8); do
	r="$r a:t$i.ft.test"
	rule "t$i.ft.test A drop"
done
rule "droptail.ft.test TXT rr \"$r ip4:$GOOD_IP -all\""
# the answer is a CNAME loop and no TXT record
rule 'cnameloop.ft.test * cnameloop 3'
# redirect= to itself: permerror, bounded
rule "rloop.ft.test TXT rr \"v=spf1 ip4:203.0.113.99 redirect=rloop.ft.test\""
# mx with 11 MX records: permerror (RFC 7208 4.6.4), client after it
for i in $(seq 11); do rule "mxmany.ft.test MX rr $i m$i.ft.test"; done
for i in $(seq 11); do rule "m$i.ft.test A rr 203.0.113.$((100 + i))"; done
# 10 MX records are fine: the client's ip4 after them passes
for i in $(seq 10); do rule "mxten.ft.test MX rr $i m$i.ft.test"; done
rule "mxten.ft.test TXT rr \"v=spf1 mx ip4:$GOOD_IP -all\""
rule "mxmany.ft.test TXT rr \"v=spf1 mx ip4:$GOOD_IP -all\""
# the include target fails: temperror, not the -all
rule 'incsf.ft.test TXT rr "v=spf1 include:incsf2.ft.test -all"'
rule 'incsf2.ft.test TXT servfail'

# -- DMARC: SPF passes and aligns, so only the DMARC record decides
for d in dbig dmid dsf dnx dtwo dto dgarb dok; do
	rule "$d.ft.test TXT rr $GOOD_SPF"
done
rua=$(for i in $(seq 200); do printf 'mailto:agg%d@reports%d.example.net,' "$i" "$i"; done)
rule "_dmarc.dbig.ft.test TXT rr \"v=DMARC1; p=reject; rua=${rua%,}; ruf=mailto:f@dbig.ft.test\""
FAULTS=$((FAULTS + 1))
# 3.5 KB, under AG_DMARC_RECORD_MAX (4096): parsed, extra rua= dropped
rua=$(for i in $(seq 60); do printf 'mailto:agg%d@reports%d.example.net,' "$i" "$i"; done)
rule "_dmarc.dmid.ft.test TXT rr \"v=DMARC1; p=reject; rua=${rua%,}\""
rule '_dmarc.dsf.ft.test TXT servfail'
rule '_dmarc.dnx.ft.test TXT nxdomain'
rule '_dmarc.dtwo.ft.test TXT rr "v=DMARC1; p=none"'
rule '_dmarc.dtwo.ft.test TXT rr "v=DMARC1; p=reject"'
FAULTS=$((FAULTS + 1))
rule '_dmarc.dto.ft.test TXT drop'
rule '_dmarc.dgarb.ft.test TXT garbage'
rule '_dmarc.dok.ft.test TXT rr "v=DMARC1; p=reject"'
# no record at sub.orgsf.test, the organizational domain orgsf.test
# answers SERVFAIL: temperror, not none
rule "sub.orgsf.test TXT rr $GOOD_SPF"
rule '_dmarc.sub.orgsf.test TXT nxdomain'
rule '_dmarc.orgsf.test TXT servfail'

# -- DKIM: domain dk.ft.test, SPF pass, no DMARC record
dkim_keygen "$T/dk.key" rsa 2048
chmod 644 "$T/dk.key"
KEYREC=$(dkim_txt_record "$T/dk.key")
rule "dk.ft.test TXT rr $GOOD_SPF"
rule "sgood._domainkey.dk.ft.test TXT rr \"$KEYREC\""
rule 'ssf._domainkey.dk.ft.test TXT servfail'
rule 'sto._domainkey.dk.ft.test TXT drop'
rule 'snx._domainkey.dk.ft.test TXT nxdomain'
rule 'snodata._domainkey.dk.ft.test TXT nodata'
rule 'sgarb._domainkey.dk.ft.test TXT garbage'
rule 'swid._domainkey.dk.ft.test TXT wrongid'
rule "sbig._domainkey.dk.ft.test TXT rr \"$KEYREC; n=$(head -c 9000 /dev/zero | tr '\0' n)\""
FAULTS=$((FAULTS + 1))
rule 'sjunk._domainkey.dk.ft.test TXT rr "v=DKIM1; k=rsa; p=!!!notbase64!!!"'
rule 'sloop._domainkey.dk.ft.test * cnameloop 2'
FAULTS=$((FAULTS + 1))

# -- outage domains (phase 2): any name below out.ft.test
rule "*.out.ft.test TXT rr $GOOD_SPF"
cp "$RULES" "$T/rules.normal"

fd_start
NS="Nameservers 127.0.0.1:$FD_PORT"
ag_start main "$NS" "DNSTimeout ${TIMEOUT_S}s" "DNSRetries 0"
ag_start tf "$NS" "DNSTimeout ${TIMEOUT_S}s" "DNSRetries 0" \
	"SPFTempErrorAction tempfail" "DMARCTempErrorAction tempfail"
MAIN_PID=${AG_PIDS[main]}
THREADS0=$(threads "$MAIN_PID")

# dkmsg SEL - a message from dk.ft.test signed with selector SEL
dkmsg() {
	printf 'From: <u@dk.ft.test>\nTo: <r@authgate.test>\nSubject: dkim %s\nMessage-ID: <dk-%s@ft.test>\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n\nsigned body %s\n' \
		"$1" "$1" "$1" | dkim_sign_py "$T/dk.key" "$1" dk.ft.test |
		tr -d '\r' >"$T/msg/dk-$1.eml"
	[ -s "$T/msg/dk-$1.eml" ] || it_die "dkimpy could not sign for $1"
	echo "$T/msg/dk-$1.eml"
}

# ---------------------------------------------------------------- phase 1

P1=$(date +%s)
for c in toomany tenok loop void void2 huge hugepass tc tcponly servfail \
	refused timeout slow nxd nodata garbage wrongid twospf incsf late \
	droptail cnameloop rloop mxmany mxten; do
	send "spf-$c" main "$c.ft.test"
done
send spf-tcfail main tcfail.ft.test "$BAD_IP"
for d in dbig dmid dsf dnx dtwo dto dgarb dok; do
	send "dmarc-$d" main "$d.ft.test"
done
send dmarc-dsf-tf tf dsf.ft.test
send dmarc-orgsf main sub.orgsf.test
send spf-timeout-tf tf timeout.ft.test
for s in sgood ssf sto snx snodata sgarb swid sbig sjunk sloop; do
	send "dkim-$s" main dk.ft.test "$GOOD_IP" "$(dkmsg "$s")"
done
FAULT_MSGS=$((FAULT_MSGS + 41))	# 47 sent; tenok, void2, mxten, dok, dmid, sgood are controls
send_wait
echo "# phase 1: $(($(date +%s) - P1)) s; threads of main: $THREADS0 idle, at most $MAXT with all in flight"
P1MAXT=$MAXT

mf() { printf 'spf=%s smtp\\.mailfrom=u@%s' "$1" "$2"; }

# SPF
expect spf-toomany "11 DNS mechanisms: permerror (RFC 7208 4.6.4)" "$(mf permerror toomany.ft.test)"
never_pass spf-toomany spf
expect spf-tenok "10 DNS mechanisms: still evaluated (pass)" "$(mf pass tenok.ft.test)"
expect spf-loop "include loop: permerror" "$(mf permerror loop.ft.test)"
never_pass spf-loop spf
n=$(qcount '^loop2?\.ft\.test TXT')
check "spf-loop: bounded queries ($n TXT queries for the loop, <= 12)" [ "$n" -le 12 ]
expect spf-void "3 void lookups: permerror (RFC 7208 4.6.4)" "$(mf permerror void.ft.test)"
never_pass spf-void spf
expect spf-void2 "2 void lookups: pass" "$(mf pass void2.ft.test)"
expect spf-huge "60 KB record without the client: fail or permerror" "$(mf '(fail|permerror)' huge.ft.test)"
never_pass spf-huge spf
expect spf-hugepass "60 KB record with the client at the end: pass or permerror" "$(mf '(pass|permerror)' hugepass.ft.test)"
echo "# spf-hugepass: $(ar spf-hugepass | grep -oE 'spf=[a-z]+ smtp.mailfrom')"
check "huge: fetched over TCP after TC" [ "$(qcount '^huge\.ft\.test TXT tcp')" -ge 1 ]
expect spf-tc "TC answer, retried over TCP: pass" "$(mf pass tc.ft.test)"
check "tc: asked over TCP" [ "$(qcount '^tc\.ft\.test TXT tcp')" -ge 1 ]
expect spf-tcfail "TC answer, retried over TCP: fail for a bad IP" "$(mf fail tcfail.ft.test)"
expect spf-tcponly "UDP silent, TCP answers: temperror or pass (a real answer)" "$(mf '(temperror|pass)' tcponly.ft.test)"
echo "# spf-tcponly: $(ar spf-tcponly | grep -oE 'spf=[a-z]+ smtp.mailfrom')"
expect spf-servfail "SERVFAIL: temperror" "$(mf temperror servfail.ft.test)"
expect spf-refused "REFUSED: temperror" "$(mf temperror refused.ft.test)"
expect spf-timeout "timeout: temperror" "$(mf temperror timeout.ft.test)"
ms=$(cat "$T/res/spf-timeout.ms" 2>/dev/null || echo 999999)
check "spf-timeout: answered in ${ms} ms (< DNSTimeout + 2.5 s)" [ "$ms" -lt $((TIMEOUT_S * 1000 + 2500)) ]
expect spf-slow "answer after 2 s (timeout 3 s): pass" "$(mf pass slow.ft.test)"
expect spf-nxd "NXDOMAIN: none" "$(mf none nxd.ft.test)"
expect spf-nodata "NODATA: none" "$(mf none nodata.ft.test)"
expect spf-garbage "garbage answer: temperror" "$(mf temperror garbage.ft.test)"
expect spf-wrongid "wrong-id answer ignored: temperror" "$(mf temperror wrongid.ft.test)"
expect spf-twospf "two SPF records: permerror" "$(mf permerror twospf.ft.test)"
never_pass spf-twospf spf
expect spf-incsf "include target SERVFAIL: temperror" "$(mf temperror incsf.ft.test)"
expect spf-late "answer 1 s after the timeout: temperror" "$(mf temperror late.ft.test)"
expect spf-droptail "8 terms timing out: temperror" "$(mf temperror droptail.ft.test)"
never_pass spf-droptail spf
ms=$(cat "$T/res/spf-droptail.ms" 2>/dev/null || echo 999999)
check "spf-droptail: answered in ${ms} ms (one timeout, not 8: < DNSTimeout + 2.5 s)" \
	[ "$ms" -lt $((TIMEOUT_S * 1000 + 2500)) ]
n=$(qcount '^t[1-8]\.ft\.test A')
check "spf-droptail: stopped after the first timeout ($n A queries)" [ "$n" -le 2 ]
expect spf-cnameloop "CNAME loop instead of TXT: none or temperror" "$(mf '(none|temperror|permerror)' cnameloop.ft.test)"
never_pass spf-cnameloop spf
expect spf-rloop "redirect= to itself: permerror" "$(mf permerror rloop.ft.test)"
n=$(qcount '^rloop\.ft\.test TXT')
check "spf-rloop: bounded queries ($n, <= 11)" [ "$n" -le 11 ]
expect spf-mxmany "mx with 11 MX records: permerror" "$(mf permerror mxmany.ft.test)"
never_pass spf-mxmany spf
expect spf-mxten "mx with 10 MX records: evaluated, pass by the ip4 after it" "$(mf pass mxten.ft.test)"
assert_eq "spf-timeout-tf: SPFTempErrorAction tempfail answers 4xx" "$(verdict spf-timeout-tf)" tempfail
for c in toomany loop void huge servfail refused timeout nxd nodata garbage wrongid twospf incsf; do
	v=$(verdict "spf-$c")
	assert_eq "spf-$c: accepted (marked, SPFFailAction/TempErrorAction default)" "$v" accept
done

# DMARC
dm() { printf 'dmarc=%s[^;]*header\\.from=%s' "$1" "$2"; }
expect dmarc-dok "control: record found, aligned SPF: pass" "$(dm pass dok.ft.test)"
# authgate caps a record at AG_DMARC_RECORD_MAX (4096) bytes: longer is
# an invalid record, treated as none (RFC 7489 6.6.3: no usable record)
expect dmarc-dbig "10 KB record: parsed (pass) or a defined error" \
	"(dmarc=(pass|permerror)[^;]*|dmarc=none \\(invalid DMARC record\\) )header\\.from=dbig\\.ft\\.test"
never_pass dmarc-dbig dmarc
expect dmarc-dmid "3.5 KB record with 60 rua URIs: parsed, pass" "$(dm pass dmid.ft.test)"
echo "# dmarc-dbig: $(ar dmarc-dbig | grep -oE 'dmarc=[a-z]+')"
expect dmarc-dsf "_dmarc SERVFAIL: temperror" "$(dm temperror dsf.ft.test)"
never_pass dmarc-dsf dmarc
assert_eq "dmarc-dsf-tf: DMARCTempErrorAction tempfail answers 4xx" "$(verdict dmarc-dsf-tf)" tempfail
expect dmarc-orgsf "org-domain _dmarc SERVFAIL: temperror" "$(dm temperror sub.orgsf.test)"
never_pass dmarc-orgsf dmarc
expect dmarc-dnx "_dmarc NXDOMAIN: none" "$(dm none dnx.ft.test)"
expect dmarc-dtwo "two DMARC records: none or permerror (RFC 7489 6.6.3)" "$(dm '(none|permerror)' dtwo.ft.test)"
never_pass dmarc-dtwo dmarc
expect dmarc-dto "_dmarc timeout: temperror" "$(dm temperror dto.ft.test)"
expect dmarc-dgarb "_dmarc garbage: temperror" "$(dm temperror dgarb.ft.test)"
never_pass dmarc-dgarb dmarc

# DKIM
dk() { printf 'dkim=%s[^;]*header\\.d=dk\\.ft\\.test[^;]*header\\.s=%s ' "$1" "$2"; }
expect dkim-sgood "control: the key found: pass" "$(dk pass sgood)"
expect dkim-ssf "key SERVFAIL: temperror" "$(dk temperror ssf)"
expect dkim-sto "key timeout: temperror" "$(dk temperror sto)"
expect dkim-snx "key NXDOMAIN: permerror (no key)" "$(dk permerror snx)"
expect dkim-snodata "key NODATA: permerror (no key)" "$(dk permerror snodata)"
expect dkim-sgarb "key garbage answer: temperror" "$(dk temperror sgarb)"
expect dkim-swid "key wrong-id answer: temperror" "$(dk temperror swid)"
expect dkim-sbig "key record over 9 KB: pass or permerror" "$(dk '(pass|permerror)' sbig)"
echo "# dkim-sbig: $(ar dkim-sbig | grep -oE 'dkim=[a-z]+')"
expect dkim-sjunk "key with bad base64: permerror" "$(dk permerror sjunk)"
expect dkim-sloop "key is a CNAME loop: permerror or temperror" "$(dk '(permerror|temperror)' sloop)"
for s in ssf sto snx snodata sgarb swid sjunk sloop; do
	never_pass "dkim-$s" dkim
done
check "authgate main alive after phase 1" ag_alive main
check "authgate tf alive after phase 1" ag_alive tf

# ---------------------------------------------------------------- phase 2

# baseline through the working resolver
send out-before main b0.out.ft.test
send out-before-tf tf b1.out.ft.test
send_wait
expect out-before "before the outage: pass" "$(mf pass b0.out.ft.test)"
assert_eq "out-before-tf: accepted" "$(verdict out-before-tf)" accept

OUT0=$(date +%s)
printf '* * drop\n' >"$T/rules.drop"
cp "$T/rules.drop" "$RULES"	# faultdns re-reads: every query dropped
FAULTS=$((FAULTS + 1))
MAXT=0
k=0
for t in 0 5 10; do
	while [ $(($(date +%s) - OUT0)) -lt "$t" ]; do sleep 0.2; sample_threads; done
	k=$((k + 1))
	send "out-drop$k" main "d$k.out.ft.test"
	send "out-drop$k-tf" tf "e$k.out.ft.test"
done
while [ $(($(date +%s) - OUT0)) -lt 15 ]; do sleep 0.2; sample_threads; done
fd_stop			# the server is gone: nothing listens on the port
FAULTS=$((FAULTS + 1))
k=0
for t in 15 20 25; do
	while [ $(($(date +%s) - OUT0)) -lt "$t" ]; do sleep 0.2; sample_threads; done
	k=$((k + 1))
	send "out-gone$k" main "g$k.out.ft.test"
	send "out-gone$k-tf" tf "h$k.out.ft.test"
done
FAULT_MSGS=$((FAULT_MSGS + 12))
while [ $(($(date +%s) - OUT0)) -lt 30 ]; do sleep 0.2; sample_threads; done
cp "$T/rules.normal" "$RULES"
fd_start
echo "# outage: $(($(date +%s) - OUT0)) s"
send_wait
echo "# outage messages done after $(($(date +%s) - OUT0)) s"

for c in out-drop1 out-drop2 out-drop3 out-gone1 out-gone2 out-gone3; do
	n=${c#out-}
	d=$(sed -n 's/^From: <u@\(.*\)>$/\1/p' "$T/msg/$c.eml")
	expect "$c" "outage: temperror" "$(mf temperror "$d")"
	never_pass "$c" spf
	assert_eq "$c: accepted and marked (SPFTempErrorAction accept)" "$(verdict "$c")" accept
	ms=$(cat "$T/res/$c.ms")
	check "$c: answered in ${ms} ms (< 20 s)" [ "$ms" -lt 20000 ]
	assert_eq "$c-tf: tempfail (SPFTempErrorAction tempfail)" "$(verdict "$c-tf")" tempfail
done

# back to normal
send out-after main a0.out.ft.test
send out-after-bad main a1.out.ft.test "$BAD_IP"
send out-after-tf tf a2.out.ft.test
send_wait
expect out-after "after the outage: pass" "$(mf pass a0.out.ft.test)"
expect out-after-bad "after the outage: fail for a bad IP" "$(mf fail a1.out.ft.test)"
assert_eq "out-after-tf: accepted again" "$(verdict out-after-tf)" accept
sample_threads
T_END=$(threads "$MAIN_PID")
echo "# threads of main: $THREADS0 at start, at most $MAXT during the outage, $T_END after"
check "threads bounded during the outage (max $MAXT <= idle $THREADS0 + 16)" \
	[ "$MAXT" -le $((THREADS0 + 16)) ]
check "threads back after the outage ($T_END <= start $THREADS0 + 4)" \
	[ "$T_END" -le $((THREADS0 + 4)) ]
check "authgate main alive at the end" ag_alive main
check "authgate tf alive at the end" ag_alive tf
check "faultdns logged no crash" [ ! -s "$T/faultdns.err" ]

echo "# faults injected: $FAULTS rules/conditions; messages sent under faults: $FAULT_MSGS"
it_finish
