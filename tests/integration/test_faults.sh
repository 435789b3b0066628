#!/bin/bash
# test_faults.sh - authgate under load and under faults
#
#   a. 500 concurrent milter connections (milterbench) for FAULTS_LOAD_SECS
#      (default 60) seconds: no error replies, bounded peak RSS (VmHWM);
#      MilterBacklog reaches listen(2), bad values are refused with
#      file:line
#   b. kill -9 of authgate while a client sends FAULTS_KILL_N (default 300)
#      messages through a real Postfix (milter_default_action = tempfail),
#      restarted 2 s later; every 4xx is retried: each message delivered
#      exactly once, none lost
#   c. SIGHUP several times while milterbench sends: no errors, no tempfails
#
# Env: FAULTS_LOAD_SECS, FAULTS_LOAD_CONNS (500), FAULTS_KILL_N (300),
#      FAULTS_RSS_MAX_KB (262144)
. "$(dirname "$0")/lib.sh"
it_init faults

LOAD_SECS=${FAULTS_LOAD_SECS:-60}
LOAD_CONNS=${FAULTS_LOAD_CONNS:-500}
KILL_N=${FAULTS_KILL_N:-300}
RSS_MAX_KB=${FAULTS_RSS_MAX_KB:-262144}
# a sanitizer build keeps shadow memory and quarantined frees: its RSS says
# nothing about ours, so the bound is four times as wide there
if ldd "$AUTHGATE" 2>/dev/null | grep -q libasan; then
	RSS_MAX_KB=$((RSS_MAX_KB * 4))
fi
BENCH="${AG_BUILD:-$ROOT/${B:-build}}/bench/milterbench"
[ -x "$BENCH" ] || it_die "milterbench not built at $BENCH (make tests)"

printf 'From: a@example.test\nTo: b@authgate.test\nSubject: load\n\nhello\n' \
	>"$T/load.eml"

# bench_field LINE NAME - one NAME=N of a milterbench result line
bench_field() {
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}

# status_kb PID FIELD - a /proc/PID/status figure in kB (VmHWM, VmRSS)
status_kb() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# backlog_of PORT - the listen backlog ss reports (Send-Q of a listener)
backlog_of() {
	ss -Htln "sport = :$1" | awk '{ print $3; exit }'
}

dns_start

# ---- a0. MilterBacklog / MilterTimeout: values and refusals
for bad in "MilterBacklog 0" "MilterBacklog 65536" "MilterBacklog many" \
	"MilterTimeout 0" "MilterTimeout forever"; do
	ag_config bad "$bad"
	key=${bad%% *}
	OUT=$("$AUTHGATE" -n -c "$T/bad.conf" 2>&1)
	RC=$?
	check "'$bad' refused (status $RC)" test "$RC" -ne 0
	assert_match "'$bad': names file:line and the key" "$OUT" \
		"^$T/bad.conf:$(ag_conf_line bad "^$key "): $key"
done
ag_config good "MilterBacklog 1000" "MilterTimeout 30s"
OUT=$("$AUTHGATE" -n -c "$T/good.conf" 2>&1)
assert_eq "MilterBacklog 1000, MilterTimeout 30s accepted ($(it_short "$OUT"))" \
	"$?" 0

# ---- a. 500 connections at once
ag_start load "InternalHosts 127.0.0.2/32" "LogLevel info" \
	"MilterBacklog 1000"
PID=$(ag_pid load)
SOMAX=$(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo 4096)
WANT=1000
[ "$SOMAX" -lt 1000 ] && WANT=$SOMAX
assert_eq "MilterBacklog 1000 reaches listen(2) (somaxconn $SOMAX)" \
	"$(backlog_of "${AG_PORTS[load]}")" "$WANT"
RSS0=$(status_kb "$PID" VmRSS)
OUT=$("$BENCH" -s "$(ag_milter load)" -n "$LOAD_CONNS" -c 20 -w 1 \
	-d "$LOAD_SECS" -t 30 -a 198.51.100.10 -f "<u@example.test>" \
	"$T/load.eml" 2>"$T/bench.err")
RC=$?
echo "# $OUT"
assert_eq "load: milterbench completed" "$RC" 0
MSGS=$(bench_field "$OUT" msgs)
check "load: $LOAD_CONNS connections x ${LOAD_SECS}s answered messages ($MSGS)" \
	test "${MSGS:-0}" -gt 0
assert_eq "load: zero error replies" "$(bench_field "$OUT" error)" 0
assert_eq "load: zero tempfails" "$(bench_field "$OUT" tempfail)" 0
HWM=$(status_kb "$PID" VmHWM)
echo "# peak RSS (VmHWM) at $LOAD_CONNS connections: $HWM kB ($((HWM / 1024)) MB; $RSS0 kB idle before)"
check "load: peak RSS $HWM kB < $RSS_MAX_KB kB" test "${HWM:-999999999}" -lt "$RSS_MAX_KB"
check "load: authgate still running" ag_alive load
NTHR=$(find "/proc/$PID/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
echo "# threads after the load: $NTHR"
assert_no_match "load: no crash or internal error in the log" "$(ag_log load)" \
	'AddressSanitizer|runtime error:|Segmentation|internal error'
ag_stop load

# ---- c. SIGHUP under load (before b: no Postfix needed)
ag_start hup "InternalHosts 127.0.0.2/32" "LogLevel info"
HPID=$(ag_pid hup)
M0=$(ag_log_mark hup)
"$BENCH" -s "$(ag_milter hup)" -n 20 -c 10 -w 0 -d 8 -t 30 \
	-a 198.51.100.10 -f "<u@example.test>" "$T/load.eml" \
	>"$T/hup.out" 2>"$T/hup.err" &
BPID=$!
sleep 1
for _ in $(seq 10); do
	kill -HUP "$HPID"
	sleep 0.5
done
wait "$BPID"
RC=$?
OUT=$(cat "$T/hup.out")
echo "# $OUT"
assert_eq "SIGHUP x10 under load: milterbench completed" "$RC" 0
check "SIGHUP under load: messages answered ($(bench_field "$OUT" msgs))" \
	test "$(bench_field "$OUT" msgs)" -gt 0
assert_eq "SIGHUP under load: zero errors" "$(bench_field "$OUT" error)" 0
assert_eq "SIGHUP under load: zero tempfails" "$(bench_field "$OUT" tempfail)" 0
NREL=$(ag_log_since hup "$M0" | grep -c 'configuration reloaded')
check "SIGHUP under load: reloads logged ($NREL of 10)" test "$NREL" -ge 5
check "SIGHUP under load: still running" ag_alive hup
ag_stop hup

# ---- b. kill -9 with Postfix in front
ag_start kill "InternalHosts 127.0.0.2/32" "LogLevel info"
pf_start "$(ag_milter kill)"
PF_PROCS=$(grep -c . <<<"$(pf_instance_pids)")
echo "# postfix up ($PF_PROCS processes)"

# sender: 6 threads send message 1..N (Subject "kf N", one SMTP session
# each); result per message in $T/kf.res ("N CODE" of the final reply,
# or "N 000 error" when no reply came); progress in $T/kf.count
cat >"$T/kf.py" <<'EOF'
import smtplib, sys, threading, time
port, first, last, out, mode = (int(sys.argv[1]), int(sys.argv[2]),
    int(sys.argv[3]), sys.argv[4], sys.argv[5])
lock = threading.Lock()
done = [0]
res = {}

def send(n):
    msg = ("From: <s%d@example.test>\r\nTo: <kf@authgate.test>\r\n"
           "Subject: kf %d\r\nMessage-ID: <kf.%d@example.test>\r\n\r\n"
           "message %d\r\n" % (n, n, n, n))
    try:
        s = smtplib.SMTP("127.0.0.1", port, timeout=60)
        try:
            s.ehlo("sender.example.test")
            code, _ = s.mail("s%d@example.test" % n)
            if code >= 400:
                return code
            code, _ = s.rcpt("kf@authgate.test")
            if code >= 400:
                return code
            code, _ = s.data(msg)
            return code
        finally:
            try:
                s.quit()
            except Exception:
                s.close()
    except smtplib.SMTPResponseException as e:
        return e.smtp_code
    except Exception:
        return 0

def worker(nums):
    for n in nums:
        code = send(n)
        if mode == "retry":
            for _ in range(10):
                if 200 <= code < 300:
                    break
                time.sleep(1)
                code = send(n)
        with lock:
            res[n] = code
            done[0] += 1
            with open(out + ".count", "w") as f:
                f.write("%d\n" % done[0])
        if mode == "first":
            time.sleep(0.1)

nums = list(range(first, last + 1)) if mode == "first" else \
    [int(x) for x in sys.argv[6:]]
ths = [threading.Thread(target=worker, args=(nums[i::6],)) for i in range(6)]
for t in ths: t.start()
for t in ths: t.join()
with open(out, "w") as f:
    for n in sorted(res):
        f.write("%d %03d\n" % (n, res[n]))
EOF
python3 "$T/kf.py" "$PF_PORT" 1 "$KILL_N" "$T/kf.res" first &
SENDER=$!
# kill once a third has gone through
for _ in $(seq 300); do
	# (read while the sender rewrites it: may come out empty)
	AT=$(cat "$T/kf.res.count" 2>/dev/null)
	[ "${AT:-0}" -ge $((KILL_N / 3)) ] && break
	sleep 0.1
done
KPID=$(ag_pid kill)
AT=$(cat "$T/kf.res.count" 2>/dev/null)
{
	kill -KILL "$KPID"
	wait "$KPID"
} 2>/dev/null	# (no "Killed" job message)
unset 'AG_PIDS[kill]'
echo "# authgate killed (SIGKILL) after $AT of $KILL_N messages"
sleep 2
ag_start kill "InternalHosts 127.0.0.2/32" "LogLevel info"
echo "# authgate restarted after $(cat "$T/kf.res.count" 2>/dev/null) messages"
wait "$SENDER"
SENT=$(grep -c . "$T/kf.res")
OK1=$(awk '$2 >= 200 && $2 < 300' "$T/kf.res" | grep -c .)
TEMP1=$(awk '$2 >= 400 && $2 < 500' "$T/kf.res" | grep -c .)
OTHER1=$(awk '$2 < 200 || $2 >= 500' "$T/kf.res" | grep -c .)
assert_eq "kill -9: every message got a reply" "$SENT" "$KILL_N"
check "kill -9: some messages tempfailed while authgate was down ($TEMP1)" \
	test "$TEMP1" -gt 0
assert_eq "kill -9: no 5xx or missing replies" "$OTHER1" 0
RETRY=$(awk '!($2 >= 200 && $2 < 300) { print $1 }' "$T/kf.res")
: >"$T/kf.retry"
if [ -n "$RETRY" ]; then
	# shellcheck disable=SC2086 # a list of numbers
	python3 "$T/kf.py" "$PF_PORT" 0 0 "$T/kf.retry" retry $RETRY
fi
OK2=$(awk '$2 >= 200 && $2 < 300' "$T/kf.retry" | grep -c .)
assert_eq "kill -9: every 4xx retried and accepted" "$OK2" "$((TEMP1 + OTHER1))"

# delivered: count Subjects "kf N" in the Maildir until all arrived
count_delivered() {
	grep -h -m1 '^Subject: kf [0-9]*' "$T/mail/box/new"/* 2>/dev/null |
		tr -d '\r' | sort | uniq -c >"$T/kf.delivered"
}
for _ in $(seq 600); do
	count_delivered
	[ "$(grep -c . "$T/kf.delivered")" -ge "$KILL_N" ] && break
	sleep 0.1
done
sleep 1	# a late duplicate would show up now
count_delivered
UNIQUE=$(grep -c . "$T/kf.delivered")
TOTAL=$(awk '{ s += $1 } END { print s + 0 }' "$T/kf.delivered")
DUPS=$(awk '$1 > 1' "$T/kf.delivered" | grep -c .)
LOST=0
for n in $(seq "$KILL_N"); do
	grep -q " kf $n\$" "$T/kf.delivered" || LOST=$((LOST + 1))
done
echo "# kill -9: sent $SENT, 2xx first time $OK1, 4xx then retried $TEMP1 (accepted on retry $OK2), delivered $UNIQUE ($TOTAL files), lost $LOST, duplicates $DUPS"
assert_eq "kill -9: delivered messages" "$UNIQUE" "$KILL_N"
assert_eq "kill -9: zero lost" "$LOST" 0
assert_eq "kill -9: zero duplicates" "$DUPS" 0
assert_eq "kill -9: nothing left in the Postfix queue" "$(pf_queue | grep -c .)" 0
check "kill -9: the restarted authgate runs" ag_alive kill
it_finish
