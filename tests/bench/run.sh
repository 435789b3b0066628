#!/bin/bash
# tests/bench/run.sh - make bench: authgate side by side with the null
# milter, OpenDKIM, OpenDMARC, OpenDKIM+OpenDMARC and rspamd, on this
# machine, in one run; writes BENCHMARKS.md at the project root.
#
# Layout: the milter under test runs alone on the last CPU (taskset), the
# load client (build/bench/milterbench) and the DNS server (nsd, serving
# tests/bench/zones plus the keys made here) on the others, so "the cores
# used" by a milter is exactly one and `openssl speed` runs on that core.
# nsd listens on 127.0.0.153:53: OpenDMARC and libspf2 read
# /etc/resolv.conf, so OpenDMARC runs in a private mount namespace whose
# /etc/resolv.conf names that address; the others are told it directly.
#
# Env:  BENCH_SECS (8) measured seconds per run, BENCH_WARM (2) warm-up
#       seconds, BENCH_OUT (BENCHMARKS.md) the report, KEEP_TMP=1 keeps
#       the temporary directory, BENCH_ONLY=regex runs matching configs,
#       BENCH_SIGN_ROUNDS (5) alternating openssl speed / signing rounds
#       for the sign ratio.
# Exit: 0 when every run completed and every configuration did its work
#       (checked from the milters' own headers: signatures added, dkim=pass
#       and dmarc=pass seen); 1 otherwise, with the reason.
set -u
. "$(dirname "$0")/../integration/lib.sh"

BENCH_DIR="$ROOT/tests/bench"
BIN="$ROOT/${B:-build}"
CLIENT="$BIN/bench/milterbench"
NULLM="$BIN/bench/nullmilter"
SECS=${BENCH_SECS:-8}
WARM=${BENCH_WARM:-2}
OUT=${BENCH_OUT:-$ROOT/BENCHMARKS.md}
ONLY=${BENCH_ONLY:-.}
SIGN_ROUNDS=${BENCH_SIGN_ROUNDS:-5}
DNS_ADDR=127.0.0.153
BENCH_FAIL=0

bench_die() {
	echo "bench: $*" >&2
	exit 1
}

# ------------------------------------------------------------------ setup
[ "$(id -u)" -eq 0 ] || bench_die "run as root (anchors run as their users, port 53)"
for c in nsd opendkim opendmarc rspamd openssl python3 taskset unshare; do
	command -v "$c" >/dev/null || bench_die "$c missing (make deps-bench)"
done
for f in "$CLIENT" "$NULLM" "$AUTHGATE"; do
	[ -x "$f" ] || bench_die "$f not built"
done
sh "$ROOT/tests/tools/ensure-user.sh" || bench_die "cannot create user authgate"
# not under /tmp: OpenDKIM refuses files below a directory others can write
mkdir -p "$BIN" && T=$(mktemp -d "$BIN/bench-run.XXXXXX") || exit 1
chmod 755 "$T"
IT_GROUP=bench
IT_FINISHED=1
trap it_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$T/run" "$T/keys" "$T/msg" "$T/zones" "$T/logs"
chown authgate "$T/run"

NCPU=$(nproc)
if [ "$NCPU" -ge 2 ]; then
	MCPU=$((NCPU - 1))
	CCPU="0-$((NCPU - 2))"
else
	MCPU=0
	CCPU=0
fi
PIN_M="taskset -c $MCPU"
PIN_C="taskset -c $CCPU"
RESULTS="$T/results.tsv"
: >"$RESULTS"

# ------------------------------------------------------------------ keys, DNS
for k in rsa ed; do
	alg=rsa
	[ $k = ed ] && alg=ed25519
	"$AUTHGATE" keygen -d bench.example -s $k -a $alg -o "$T/keys/$k.pem" \
		>"$T/keys/$k.record" 2>"$T/keys/$k.err" ||
		bench_die "authgate keygen $k: $(cat "$T/keys/$k.err")"
done
record() {	# the TXT data of the record keygen printed
	local r
	r=$(dkim_txt_record "$1")
	dns_txt "$r"
}
{
	cat "$BENCH_DIR/zones/bench.example.zone"
	echo "rsa._domainkey IN TXT $(record "$T/keys/rsa.pem")"
	echo "ed._domainkey IN TXT $(record "$T/keys/ed.pem")"
} >"$T/zones/bench.example.zone"
cp "$BENCH_DIR/zones/2.0.192.in-addr.arpa.zone" "$T/zones/"
cat >"$T/nsd.conf" <<EOF
server:
	ip-address: $DNS_ADDR
	port: 53
	do-ip6: no
	server-count: 1
	username: ""
	chroot: ""
	database: ""
	zonesdir: "$T/zones"
	zonelistfile: "$T/zone.list"
	xfrdfile: "$T/xfrd.state"
	pidfile: "$T/nsd.pid"
	logfile: "$T/logs/nsd.log"
	verbosity: 1
	hide-version: yes
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
remote-control:
	control-enable: no
zone:
	name: "bench.example"
	zonefile: "bench.example.zone"
zone:
	name: "2.0.192.in-addr.arpa"
	zonefile: "2.0.192.in-addr.arpa.zone"
EOF
ss -Hlun "sport = :53" | grep -q "$DNS_ADDR:53\|0.0.0.0:53\|\*:53" &&
	bench_die "port 53 on $DNS_ADDR is taken"
$PIN_C nsd -d -c "$T/nsd.conf" >"$T/logs/nsd.out" 2>&1 &
IT_BG_PIDS+=($!)
for i in $(seq 50); do
	drill @"$DNS_ADDR" bench.example TXT 2>/dev/null | grep -q 'v=spf1' && break
	sleep 0.1
done
drill @"$DNS_ADDR" rsa._domainkey.bench.example TXT 2>/dev/null | grep -q 'p=' ||
	bench_die "nsd does not serve the bench zone: $(tail -3 "$T/logs/nsd.log")"
echo "nameserver $DNS_ADDR" >"$T/resolv.conf"

# ------------------------------------------------------------------ messages
/usr/bin/python3 "$BENCH_DIR/mkmsg.py" "$T/keys/rsa.pem" "$T/msg" ||
	bench_die "cannot make the bench messages"

# ------------------------------------------------------------------ daemons
declare -A STARTED=()

# wait_port PORT NAME - until it listens (20 s), or fail the bench
wait_port() {
	wait_listen "$1" 20 || bench_die "$2 did not listen on $1: $(tail -5 "$T/logs/$2.log" 2>/dev/null)"
}

# rss_kb PID... - summed resident set of these processes and their children
rss_kb() {
	local total=0 p c
	for p in "$@"; do
		for c in $p $(pgrep -P "$p"); do
			total=$((total + $(awk '/^VmRSS/ { print $2 }' /proc/"$c"/status 2>/dev/null || echo 0)))
		done
	done
	echo "$total"
}

# stop PIDFILE_OR_PID...
stop_pids() {
	it_kill "$@"
}

# tmpl NAME DEST [KEY=VALUE...] - tests/bench/anchors/NAME with @DIR@,
# @DNS@ and each @KEY@ replaced
tmpl() {
	local src="$BENCH_DIR/anchors/$1" dst=$2 kv args=()
	shift 2
	[ -f "$src" ] || bench_die "missing $src"
	args=(-e "s|@DIR@|$T|g" -e "s|@DNS@|$DNS_ADDR|g")
	for kv in "$@"; do
		args+=(-e "s|@${kv%%=*}@|${kv#*=}|g")
	done
	sed "${args[@]}" "$src" >"$dst" || bench_die "cannot write $dst"
	chmod 644 "$dst"
}

start_null() {
	free_port || bench_die "no port"
	NULL_PORT=$FREE_PORT
	$PIN_M "$NULLM" -p "inet:$NULL_PORT@127.0.0.1" >"$T/logs/null.log" 2>&1 &
	NULL_PID=$!
	wait_port "$NULL_PORT" null
}

# ag_bench_conf NAME [LINE...] - the shipped conf/authgate.conf with the
# bench's socket, paths and DNS; each LINE ("Key value") added
ag_bench_conf() {
	local name=$1 port=$2
	shift 2
	{
		grep -vE '^[[:space:]]*(Socket|PidFile|StateDir|Rules|Syslog|LogStderr|User)[[:space:]]' \
			"$ROOT/conf/authgate.conf"
		echo "Socket inet:$port@127.0.0.1"
		echo "User authgate"
		echo "PidFile $T/run/$name.pid"
		echo "StateDir $T/run/$name.state"
		echo "Rules $ROOT/conf/rules.example"
		echo "Nameservers $DNS_ADDR"
		echo "AuthservID mx.bench.example"
		echo "Syslog no"
		echo "LogStderr yes"
		printf '%s\n' "$@"
	} >"$T/$name.conf"
	chmod 644 "$T/$name.conf"
}

start_ag() {
	local name=$1
	shift
	free_port || bench_die "no port"
	AG_BPORT=$FREE_PORT
	ag_bench_conf "$name" "$AG_BPORT" "$@"
	$PIN_M "$AUTHGATE" -f -c "$T/$name.conf" >"$T/logs/$name.log" 2>&1 &
	AG_BPID=$!
	wait_port "$AG_BPORT" "$name"
}

start_opendkim() {	# MODE (s|v)
	local mode=$1 name=opendkim-$1
	free_port || bench_die "no port"
	ODKIM_PORT=$FREE_PORT
	install -o opendkim -m 600 "$T/keys/rsa.pem" "$T/keys/odkim-rsa.pem"
	tmpl opendkim.conf "$T/$name.conf" MODE="$mode" PORT="$ODKIM_PORT"
	$PIN_M opendkim -f -x "$T/$name.conf" >"$T/logs/$name.log" 2>&1 &
	ODKIM_PID=$!
	wait_port "$ODKIM_PORT" "$name"
}

start_opendmarc() {
	free_port || bench_die "no port"
	ODMARC_PORT=$FREE_PORT
	touch "$T/run/opendmarc.history"
	chown opendmarc "$T/run/opendmarc.history"
	tmpl opendmarc.conf "$T/opendmarc.conf" PORT="$ODMARC_PORT"
	# OpenDMARC and its libspf2 use the system resolver: give it a
	# resolv.conf naming the bench DNS server, in its own mount namespace
	$PIN_M unshare -m sh -c "mount --bind '$T/resolv.conf' /etc/resolv.conf &&
		exec opendmarc -f -c '$T/opendmarc.conf'" >"$T/logs/opendmarc.log" 2>&1 &
	ODMARC_PID=$!
	wait_port "$ODMARC_PORT" opendmarc
}

start_rspamd() {
	local d="$T/rspamd"
	free_port || bench_die "no port"
	RSPAMD_PORT=$FREE_PORT
	free_port || bench_die "no port"
	local nport=$FREE_PORT
	free_port || bench_die "no port"
	local cport=$FREE_PORT
	mkdir -p "$d/local.d" "$d/override.d" "$d/run" "$d/db" "$d/log"
	chown -R _rspamd "$d/run" "$d/db" "$d/log"
	tmpl rspamd/worker-proxy.inc "$d/override.d/worker-proxy.inc" PORT="$RSPAMD_PORT"
	tmpl rspamd/worker-normal.inc "$d/override.d/worker-normal.inc" NPORT="$nport"
	tmpl rspamd/worker-controller.inc "$d/override.d/worker-controller.inc" CPORT="$cport"
	tmpl rspamd/options.inc "$d/local.d/options.inc"
	tmpl rspamd/logging.inc "$d/local.d/logging.inc"
	tmpl rspamd/milter_headers.conf "$d/local.d/milter_headers.conf"
	$PIN_M rspamd -f -u _rspamd -g _rspamd -c /etc/rspamd/rspamd.conf \
		--var "LOCAL_CONFDIR=$d" --var "RUNDIR=$d/run" \
		--var "DBDIR=$d/db" --var "LOGDIR=$d/log" \
		>"$T/logs/rspamd.log" 2>&1 &
	RSPAMD_PID=$!
	wait_port "$RSPAMD_PORT" rspamd
}

# ------------------------------------------------------------------ runs
# run CONFIG WORKLOAD CONC EXPECT PIDS -- CLIENT-ARGS...
# EXPECT: words the result must show for every message: signed dkim
# dmarc spf (from the milters' own headers) or "-" for nothing
run() {
	local config=$1 workload=$2 conc=$3 expect=$4 pids=$5 line rss f
	shift 6
	printf '%s %s c%s ... ' "$config" "$workload" "$conc" >&2
	line=$($PIN_C "$CLIENT" -n "$conc" -c 10 -d "${RUN_SECS:-$SECS}" -w "${RUN_WARM:-$WARM}" \
		-t 30 "$@" 2>"$T/logs/client.err")
	if [ -z "$line" ]; then
		echo "bench: $config/$workload c$conc: the client failed: $(tail -2 "$T/logs/client.err" | tr '\n' ' ')" >&2
		line="result conns=$conc secs=$SECS msgs=0 rate=0 p50_us=0 p95_us=0 p99_us=0 max_us=0 error=1"
	fi
	# a milter that died during the run (an anchor crashing under load)
	for f in $pids; do
		kill -0 "$f" 2>/dev/null && continue
		echo "bench: $config/$workload c$conc: the milter (pid $f) died during the run: $(tail -2 "$T/logs/"*.log 2>/dev/null | grep -iE 'fatal|error|segm' | head -1)" >&2
		line="$line died=1"
	done
	rss=$(rss_kb $pids)
	echo "$line" | sed 's/^result //' >&2
	printf '%s\t%s\t%s\t%s\trss_kb=%s\n' "$config" "$workload" "$conc" \
		"${line#result }" "$rss" >>"$RESULTS"
	# did the milter do the work it is measured for?
	local msgs err
	msgs=$(echo "$line" | sed -n 's/.* msgs=\([0-9]*\).*/\1/p')
	err=$(echo "$line" | sed -n 's/.* error=\([0-9]*\).*/\1/p')
	[ "${msgs:-0}" -gt 0 ] || { echo "bench: $config/$workload: no messages" >&2; BENCH_FAIL=1; }
	[ "${err:-1}" = 0 ] || { echo "bench: $config/$workload: $err errors" >&2; BENCH_FAIL=1; }
	for f in $expect; do
		local key=$f n
		case $f in
		signed) key=signed ;; dkim) key=ar_dkim_pass ;;
		dmarc) key=ar_dmarc_pass ;; spf) key=ar_spf_pass ;; -) continue ;;
		esac
		n=$(echo "$line" | sed -n "s/.* $key=\([0-9]*\).*/\1/p")
		if [ "${n:-0}" -lt "${msgs:-0}" ]; then
			echo "bench: $config/$workload c$conc: $key=$n of $msgs messages: the configuration did not do its work" >&2
			BENCH_FAIL=1
		fi
	done
}

want() { echo "$1" | grep -Eq -- "$ONLY"; }

IN4="$T/msg/in-4k.eml"
IN100="$T/msg/in-100k.eml"
INAR4="$T/msg/in-4k-ar.eml"
OUT4="$T/msg/out-4k.eml"
# inbound: from a host inside bench.example's SPF record, HELO with an A
# record and a PTR; outbound: authenticated submission
INB=(-a 192.0.2.10 -H mail.bench.example -e mail.bench.example -f user@bench.example -r user@authgate.test)
OUTB=(-a 192.0.2.10 -H mail.bench.example -e mail.bench.example -f user@bench.example -r someone@elsewhere.test -u user)

# the open-loop load for the latency runs: half of what authgate's closed
# loop reached at c16 (BENCH_PACED overrides), the same for every milter
PACED=${BENCH_PACED:-}
paced_rate() {
	[ -n "$PACED" ] && return
	PACED=$(awk -F'\t' '$1 == "authgate" && $2 == "verify-4k" && $3 == 16 {
		if (match($4, /rate=[0-9.]+/)) printf "%d", substr($4, RSTART + 5, RLENGTH - 5) / 2 }' "$RESULTS")
	[ -n "$PACED" ] && [ "$PACED" -gt 0 ] || PACED=500
}

for conc in 1 16; do
	if want null; then
		start_null
		run null verify-4k $conc - "$NULL_PID" -- -s "inet:$NULL_PORT@127.0.0.1" "${INB[@]}" "$IN4"
		stop_pids "$NULL_PID"
	fi
done

if want authgate-verify; then
	start_ag ag-verify
	for conc in 1 16; do
		run authgate verify-4k $conc "spf dkim dmarc" "$AG_BPID" -- -s "inet:$AG_BPORT@127.0.0.1" "${INB[@]}" "$IN4"
		run authgate verify-100k $conc "spf dkim dmarc" "$AG_BPID" -- -s "inet:$AG_BPORT@127.0.0.1" "${INB[@]}" "$IN100"
		# the outbound path with no key: everything signing costs
		# except the signature, i.e. the floor under sign-rsa
		run authgate submit-nokey $conc - "$AG_BPID" -- -s "inet:$AG_BPORT@127.0.0.1" "${OUTB[@]}" "$OUT4"
	done
	# latency at a load the milter keeps up with: 16 connections, open
	# loop, half the closed loop's c16 rate
	paced_rate
	run authgate verify-4k-paced 16 "spf dkim dmarc" "$AG_BPID" -- -s "inet:$AG_BPORT@127.0.0.1" --rate "$PACED" "${INB[@]}" "$IN4"
	stop_pids "$AG_BPID"
fi
if want null; then
	paced_rate
	start_null
	run null verify-4k-paced 16 - "$NULL_PID" -- -s "inet:$NULL_PORT@127.0.0.1" --rate "$PACED" "${INB[@]}" "$IN4"
	stop_pids "$NULL_PID"
fi
if want authgate-cold; then
	start_ag ag-cold "DNSCacheSize 0"
	for conc in 1 16; do
		run authgate verify-4k-cold $conc "spf dkim dmarc" "$AG_BPID" -- -s "inet:$AG_BPORT@127.0.0.1" "${INB[@]}" "$IN4"
	done
	stop_pids "$AG_BPID"
fi
install -o authgate -m 600 "$T/keys/rsa.pem" "$T/keys/ag-rsa.pem"
install -o authgate -m 600 "$T/keys/ed.pem" "$T/keys/ag-ed.pem"
if want authgate-sign; then
	start_ag ag-sign "Domain bench.example" "Selector rsa" "KeyFile $T/keys/ag-rsa.pem"
	run authgate sign-rsa 1 signed "$AG_BPID" -- -s "inet:$AG_BPORT@127.0.0.1" "${OUTB[@]}" "$OUT4"
	# openssl speed on the same core just before and just after the c16
	# run: the sign ratio is taken against their mean, so a slower or
	# faster stretch of a shared machine weighs on both sides alike
	$PIN_M openssl speed -seconds 3 rsa2048 >"$T/speed-sign-before.txt" 2>/dev/null
	run authgate sign-rsa 16 signed "$AG_BPID" -- -s "inet:$AG_BPORT@127.0.0.1" "${OUTB[@]}" "$OUT4"
	$PIN_M openssl speed -seconds 3 rsa2048 >"$T/speed-sign-after.txt" 2>/dev/null
	# the sign target's ratio: SIGN_ROUNDS short c16 runs, each right
	# after an openssl speed of about its length on the same core, and
	# one speed after the last. Both sides count wall-clock seconds
	# (openssl's -elapsed; by default it divides by its user CPU time,
	# which a stretch of host contention does not lengthen while it
	# does lengthen the milter's run), and short alternating rounds put
	# a slow or fast stretch of a shared machine on both sides alike.
	for r in $(seq "$SIGN_ROUNDS"); do
		$PIN_M openssl speed -elapsed -seconds 2 rsa2048 >"$T/speed-round-$r.txt" 2>/dev/null
		RUN_SECS=3 RUN_WARM=1 run authgate sign-rsa-round$r 16 signed "$AG_BPID" -- -s "inet:$AG_BPORT@127.0.0.1" "${OUTB[@]}" "$OUT4"
	done
	$PIN_M openssl speed -elapsed -seconds 2 rsa2048 >"$T/speed-round-$((SIGN_ROUNDS + 1)).txt" 2>/dev/null
	stop_pids "$AG_BPID"
fi
if want authgate-dual; then
	printf 'rsa._domainkey.bench.example bench.example:rsa:%s\ned._domainkey.bench.example bench.example:ed:%s\n' \
		"$T/keys/ag-rsa.pem" "$T/keys/ag-ed.pem" >"$T/KeyTable"
	printf '*@bench.example rsa._domainkey.bench.example\n*@bench.example ed._domainkey.bench.example\n' >"$T/SigningTable"
	start_ag ag-dual "KeyTable file:$T/KeyTable" "SigningTable refile:$T/SigningTable" "MultipleSignatures yes"
	for conc in 1 16; do
		run authgate sign-rsa-ed25519 $conc signed "$AG_BPID" -- -s "inet:$AG_BPORT@127.0.0.1" "${OUTB[@]}" "$OUT4"
	done
	stop_pids "$AG_BPID"
fi

if want opendkim; then
	start_opendkim v
	for conc in 1 16; do
		run opendkim verify-4k $conc dkim "$ODKIM_PID" -- -s "inet:$ODKIM_PORT@127.0.0.1" "${INB[@]}" "$IN4"
	done
	stop_pids "$ODKIM_PID"
	start_opendkim s
	for conc in 1 16; do
		run opendkim sign-rsa $conc signed "$ODKIM_PID" -- -s "inet:$ODKIM_PORT@127.0.0.1" "${OUTB[@]}" "$OUT4"
	done
	stop_pids "$ODKIM_PID"
fi

if want opendmarc; then
	start_opendmarc
	for conc in 1 16; do
		run opendmarc verify-4k $conc "dmarc" "$ODMARC_PID" -- -s "inet:$ODMARC_PORT@127.0.0.1" "${INB[@]}" "$INAR4"
	done
	stop_pids "$ODMARC_PID"
fi

if want chain; then
	start_opendkim v
	start_opendmarc
	for conc in 1 16; do
		run opendkim+opendmarc verify-4k $conc "dkim dmarc" "$ODKIM_PID $ODMARC_PID" -- -s "inet:$ODKIM_PORT@127.0.0.1" -s "inet:$ODMARC_PORT@127.0.0.1" "${INB[@]}" "$IN4"
		run opendkim+opendmarc verify-100k $conc "dkim dmarc" "$ODKIM_PID $ODMARC_PID" -- -s "inet:$ODKIM_PORT@127.0.0.1" -s "inet:$ODMARC_PORT@127.0.0.1" "${INB[@]}" "$IN100"
	done
	stop_pids "$ODKIM_PID" "$ODMARC_PID"
fi

if want rspamd; then
	start_rspamd
	for conc in 1 16; do
		run rspamd verify-4k $conc "dkim dmarc" "$RSPAMD_PID" -- -s "inet:$RSPAMD_PORT@127.0.0.1" "${INB[@]}" "$IN4"
		run rspamd verify-100k $conc "dkim dmarc" "$RSPAMD_PID" -- -s "inet:$RSPAMD_PORT@127.0.0.1" "${INB[@]}" "$IN100"
	done
	stop_pids "$RSPAMD_PID"
fi

# ------------------------------------------------------------------ memory
MEM="$T/memory.tsv"
: >"$MEM"
if want memory; then
	start_ag ag-idle
	base=$(rss_kb "$AG_BPID")
	$PIN_C "$CLIENT" -s "inet:$AG_BPORT@127.0.0.1" --idle 500 -d 6 "${INB[@]}" \
		>"$T/logs/idle.out" 2>"$T/logs/idle.err" &
	cpid=$!
	sleep 4
	idle=$(rss_kb "$AG_BPID")
	threads=$(awk '/^Threads/ { print $2 }' /proc/"$AG_BPID"/status)
	wait "$cpid"
	printf 'idle500\tbase_kb=%s\trss_kb=%s\tthreads=%s\t%s\n' "$base" "$idle" "$threads" \
		"$(sed 's/^result //' "$T/logs/idle.out")" >>"$MEM"
	stop_pids "$AG_BPID"
	for size in 102400 104857600; do
		start_ag ag-big
		$PIN_C "$CLIENT" -s "inet:$AG_BPORT@127.0.0.1" -n 1 -c 1 -N 1 -d 600 -w 0 -t 300 -b "$size" "${INB[@]}" "$IN4" \
			>"$T/logs/big.out" 2>&1
		hwm=$(awk '/^VmHWM/ { print $2 }' /proc/"$AG_BPID"/status)
		printf 'body%s\thwm_kb=%s\t%s\n' "$size" "$hwm" "$(sed -n 's/^result //p' "$T/logs/big.out")" >>"$MEM"
		stop_pids "$AG_BPID"
	done
fi

# ------------------------------------------------------------------ crypto limit
SPEED="$T/speed.txt"
$PIN_M openssl speed -seconds 3 rsa2048 ed25519 >"$SPEED" 2>/dev/null ||
	bench_die "openssl speed failed"

# ------------------------------------------------------------------ report
/usr/bin/python3 "$BENCH_DIR/report.py" --results "$RESULTS" --memory "$MEM" \
	--speed "$SPEED" --speed-sign "$T/speed-sign-before.txt" \
	--speed-sign "$T/speed-sign-after.txt" \
	$(for f in "$T"/speed-round-*.txt; do [ -f "$f" ] && printf -- '--speed-round %s ' "$f"; done) \
	--secs "$SECS" --warm "$WARM" --mcpu "$MCPU" \
	--ccpu "$CCPU" --out "$OUT" || bench_die "report failed"
echo "bench: wrote $OUT" >&2
[ "$BENCH_FAIL" = 0 ] || bench_die "some configurations did not do their work (see above)"
exit 0
