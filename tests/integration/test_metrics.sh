#!/bin/bash
# test_metrics.sh - the Prometheus endpoint (MetricsListen): messages sent
# through the milter protocol show up in the scraped counters with the
# right verdicts and check results; DNS and history figures move; the
# histogram is consistent; wrong paths and methods are refused; a
# non-loopback or malformed MetricsListen refuses startup with file:line.
. "$(dirname "$0")/lib.sh"
it_init metrics

MT="$ROOT/${B:-build}/tools/mtclient"
[ -x "$MT" ] || it_die "mtclient not built ($MT)"

dns_add_zone metrics.test
dns_add_rr metrics.test \
	'@ IN TXT "v=spf1 ip4:192.0.2.0/24 -all"' \
	'_dmarc IN TXT "v=DMARC1; p=reject"'
dns_start

free_port || it_die "no free port"
MPORT=$FREE_PORT
ag_start main "MetricsListen 127.0.0.1:$MPORT" "Rules $ROOT/conf/rules.example" \
	"HistoryDB $T/run/main.history.sqlite"

# scrape [PATH] [METHOD] - the raw HTTP response (status line, headers, body)
scrape() {
	python3 - "$MPORT" "${1:-/metrics}" "${2:-GET}" <<'PYEOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(("%s %s HTTP/1.0\r\nHost: x\r\n\r\n" % (sys.argv[3], sys.argv[2])).encode())
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
sys.stdout.write(data.decode("utf-8", "replace"))
PYEOF
}

# metric TEXT NAME{LABELS} - the value of one sample
metric() {
	printf '%s\n' "$1" | awk -v n="$2" '$1 == n { print $2; found = 1 } END { if (!found) print "missing" }'
}

msg="$T/m.eml"
printf 'From: a@metrics.test\nTo: b@authgate.test\nSubject: metrics\n\nhello\n' >"$msg"

first=$(scrape)
assert_match "status 200 with the text format" "$(printf '%s' "$first" | head -1)" '^HTTP/1\.0 200'
assert_match "content type is Prometheus text 0.0.4" "$first" 'Content-Type: text/plain; version=0\.0\.4'
assert_eq "no messages yet" "$(metric "$first" authgate_messages_total)" 0

for i in 1 2 3; do
	"$MT" -t 20 -s "inet:$AG_PORT@127.0.0.1" -a 192.0.2.10 -H mail.metrics.test \
		-f "<a@metrics.test>" -r "<b@authgate.test>" "$msg" >"$T/pass.$i" 2>&1
done
for i in 1 2; do
	"$MT" -t 20 -s "inet:$AG_PORT@127.0.0.1" -a 198.51.100.9 -H spoof.example.net \
		-f "<a@metrics.test>" -r "<b@authgate.test>" "$msg" >"$T/fail.$i" 2>&1
done
check "the spoofs are rejected (DMARC p=reject, shipped rules)" grep -q '^result=reject' "$T/fail.1"

body=$(scrape)
assert_eq "messages_total counts all five" "$(metric "$body" authgate_messages_total)" 5
assert_eq "verdict accept: 3" "$(metric "$body" 'authgate_verdicts_total{verdict="accept"}')" 3
assert_eq "verdict reject: 2" "$(metric "$body" 'authgate_verdicts_total{verdict="reject"}')" 2
assert_eq "verdict tempfail: 0" "$(metric "$body" 'authgate_verdicts_total{verdict="tempfail"}')" 0
assert_eq "spf pass: 3" "$(metric "$body" 'authgate_spf_results_total{result="pass"}')" 3
assert_eq "spf fail: 2" "$(metric "$body" 'authgate_spf_results_total{result="fail"}')" 2
assert_eq "dmarc pass: 3" "$(metric "$body" 'authgate_dmarc_results_total{result="pass"}')" 3
assert_eq "dmarc fail: 2" "$(metric "$body" 'authgate_dmarc_results_total{result="fail"}')" 2
assert_eq "dkim none (unsigned): 5" "$(metric "$body" 'authgate_dkim_results_total{result="none"}')" 5
assert_eq "arc none (no chain): 5" "$(metric "$body" 'authgate_arc_results_total{result="none"}')" 5
assert_eq "arc pass: 0" "$(metric "$body" 'authgate_arc_results_total{result="pass"}')" 0
assert_eq "arc fail: 0" "$(metric "$body" 'authgate_arc_results_total{result="fail"}')" 0
assert_eq "arc sealed: 0 (no ARCSealDomain)" "$(metric "$body" authgate_arc_sealed_total)" 0
assert_eq "histogram count equals messages" \
	"$(metric "$body" authgate_message_duration_seconds_count)" 5
assert_eq "histogram +Inf bucket equals messages" \
	"$(metric "$body" 'authgate_message_duration_seconds_bucket{le="+Inf"}')" 5
mono=$(printf '%s\n' "$body" | awk '/^authgate_message_duration_seconds_bucket/ { if ($2 < last) bad = 1; last = $2 } END { print bad ? "no" : "yes" }')
assert_eq "histogram buckets are cumulative" "$mono" yes
q=$(metric "$body" authgate_dns_queries_total)
h=$(metric "$body" authgate_dns_cache_hits_total)
check "dns queries counted ($q)" test "$q" -gt 5
check "dns cache hits counted ($h)" test "$h" -gt 0
assert_eq "no dns timeouts" "$(metric "$body" authgate_dns_timeouts_total)" 0
assert_eq "no connection left open" "$(metric "$body" authgate_connections_active)" 0
check "history queue depth exported" test "$(metric "$body" authgate_history_queue_depth)" != missing
for i in $(seq 50); do
	w=$(metric "$(scrape)" authgate_history_written_total)
	[ "$w" = 5 ] && break
	sleep 0.1
done
assert_eq "history rows written: 5" "$w" 5
assert_eq "history drops: 0" "$(metric "$body" authgate_history_dropped_total)" 0
payload=$(printf '%s\n' "$body" | tr -d '\r' | sed '1,/^$/d')
assert_match "payload present" "$payload" '^# HELP authgate_messages_total'
bad=$(printf '%s\n' "$payload" | grep -v '^#' | grep -vE '^[a-z_]+(\{[a-z_]+="[^"]*"\})? [0-9.e+-]+$' | head -3)
assert_eq "every sample line is well formed" "$bad" ""
types=$(printf '%s\n' "$body" | grep -c '^# TYPE ')
helps=$(printf '%s\n' "$body" | grep -c '^# HELP ')
assert_eq "every family has HELP and TYPE" "$types" "$helps"

# a DNS timeout is counted: a lookup for a zone nobody answers
blackhole_start
ag_start slow "Nameservers 127.0.0.1:$BLACKHOLE_PORT" "DNSTimeout 1s" \
	"MetricsListen 127.0.0.1:$((MPORT + 1))" "SPFTempErrorAction accept"
"$MT" -t 30 -s "inet:${AG_PORTS[slow]}@127.0.0.1" -a 192.0.2.10 -H mail.metrics.test \
	-f "<a@metrics.test>" -r "<b@authgate.test>" "$msg" >"$T/slow" 2>&1
MPORT_MAIN=$MPORT
MPORT=$((MPORT + 1))
sb=$(scrape)
check "dns timeouts counted on the silent resolver" test "$(metric "$sb" authgate_dns_timeouts_total)" -gt 0
assert_eq "spf temperror counted" "$(metric "$sb" 'authgate_spf_results_total{result="temperror"}')" 1
MPORT=$MPORT_MAIN

assert_match "unknown path: 404" "$(scrape /secret | head -1)" '^HTTP/1\.0 404'
assert_match "POST: 405" "$(scrape /metrics POST | head -1)" '^HTTP/1\.0 405'
sc=$(metric "$(scrape)" authgate_metrics_scrapes_total)
check "scrapes counted ($sc)" test "$sc" -ge 3

# refused configurations name file:line
if ag_try_start wide "MetricsListen 0.0.0.0:$MPORT"; then
	not_ok "non-loopback MetricsListen refused" "authgate started"
else
	line=$(ag_conf_line wide '^MetricsListen')
	assert_match "non-loopback MetricsListen refused with file:line" \
		"$(ag_log wide)" "wide\.conf:$line: MetricsListen: 0\.0\.0\.0 is not a loopback address"
fi
if ag_try_start junk "MetricsListen 127.0.0.1"; then
	not_ok "MetricsListen without a port refused" "authgate started"
else
	assert_match "MetricsListen without a port refused" "$(ag_log junk)" 'junk\.conf:[0-9]+: MetricsListen: want'
fi
check "authgate still running" ag_alive main
it_finish
