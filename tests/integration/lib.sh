# tests/integration/lib.sh - harness for authgate's integration tests (bash)
#
# Use:     a test script does
#              . "$(dirname "$0")/lib.sh"
#              it_init spf_postfix          # group name for the summary
#              dns_start; ag_start main; pf_start "$(ag_milter main)"
#              send_mail "$PF_PORT" --to a@authgate.test ...; mail_wait a ...
#              assert_header "name" "$MAIL_FILE" Authentication-Results 're'
#              it_finish                    # prints summary, exits
# Owns:    one temporary directory $T (removed at exit unless KEEP_TMP=1) and
#          every process started through it (nsd, blackhole, authgate
#          instances, one private Postfix); a trap on EXIT (and INT, TERM,
#          HUP, PIPE) stops them all, also when a test fails or dies
#          half-way.
# Ports:   always free loopback ports picked at run time, never fixed ones.
# Output:  "ok - NAME" / "not ok - NAME: WHY" per assertion, then exactly
#          "GROUP: N passed, N failed"; the exit status is 1 on any failure.
#          Anything missing (nsd, postfix, swaks, the authgate binary) is a
#          loud failure, never a skip.
# Env:     AUTHGATE   binary (default: <project root>/$B/authgate, B as in
#                     the Makefile, default "build"; relative to the root)
#          KEEP_TMP=1 keep $T for post-mortem (its path is printed)
#
# Functions (arguments in CAPS, [optional]):
#   it_init GROUP                   set up $T, the trap, check the tools
#   it_finish                       print the summary line and exit
#   it_die WHY                      count a failure, print summary, exit 1
#   ok NAME | not_ok NAME WHY       record one result
#   check NAME CMD...               ok when CMD exits 0
#   check_not NAME CMD...           ok when CMD exits non-zero
#   assert_eq NAME GOT WANT
#   assert_match NAME TEXT ERE      | assert_no_match NAME TEXT ERE
#   free_port                       FREE_PORT := a port free for TCP and UDP
#                                   (not in $(...): it remembers its ports)
#   wait_listen PORT [SECS]         wait until 127.0.0.1:PORT accepts (TCP)
#   dns_start                       nsd serving zones/*.zone -> $DNS_PORT
#   dns_query NAME TYPE [PORT]      drill answer section (for debugging)
#   dns_add_zone ZONE [FILE]        serve ZONE from $T (a copy of FILE, or a
#                                   new zone: SOA, NS, ns A 127.0.0.1), for
#                                   records a test makes at run time; before
#                                   dns_start, or added at once after it
#   dns_add_rr ZONE RR...           append zone-file lines (names relative
#                                   to ZONE), bump the serial; after
#                                   dns_start reloads and waits for it
#   dns_zone_file ZONE              the file of a dns_add_zone zone
#   dns_reload ZONE                 re-read that file after editing it by
#                                   hand (bump its serial), wait for it
#   dns_txt TEXT                    TEXT as TXT data: "..." "..." strings of
#                                   at most 255 bytes
#   blackhole_start                 a UDP+TCP port that never answers
#                                   -> $BLACKHOLE_PORT
#   ag_config NAME [LINE...]        write $T/NAME.conf: defaults, with each
#                                   "Key value" LINE replacing that key's
#                                   default (or appended); "-Key" drops it
#   ag_start NAME [LINE...]         ag_config + start authgate in the
#                                   background -> $AG_PORT (and AG_PORTS[NAME])
#                                   "Socket unix:$T/run/NAME.sock" works too
#   ag_try_start NAME [LINE...]     ag_start, but 1 instead of dying when
#                                   it exits ($AG_EXIT: status) or does not
#                                   listen in 10 s (killed, AG_EXIT empty)
#   ag_launch NAME                  ag_try_start on $T/NAME.conf as it is
#                                   (e.g. from ag_conf_write_raw; set
#                                   AG_PORTS[NAME] for an inet Socket)
#   ag_milter NAME                  its socket for Postfix: inet:127.0.0.1:PORT
#                                   or unix:PATH
#   ag_reload NAME [LINE...]        (rewrite the config if LINEs given), HUP
#   ag_conf_write_raw NAME < FILE   replace NAME's config file verbatim
#   ag_conf_line NAME ERE           line number of the first matching line
#   ag_alive NAME                   0 when the process still runs
#   ag_log NAME                     print its log (stderr of the daemon)
#   ag_log_mark NAME                print the log size (for ag_log_since)
#   ag_log_since NAME MARK          print the log written after MARK
#   ag_log_wait NAME ERE [SECS] [MARK]  wait until the log (after MARK)
#                                   matches; 0 found, 1 timeout
#   ag_stop NAME                    TERM (then KILL) one instance
#   pf_add_smtpd NAME MILTER [KEY=VALUE...]  another smtpd listener whose
#                                   smtpd_milters is MILTER ("" for none),
#                                   each KEY=VALUE a master.cf -o override
#                                   -> $PF_LAST_PORT (and PF_PORTS[NAME]);
#                                   before or after pf_start
#   sasl_start USER PASS [USER PASS]...  private Dovecot auth service with
#                                   these users -> $SASL_PORT (stopped by
#                                   the trap); sasl_log prints its log;
#                                   SASL_CONF_EXTRA (dovecot.conf text,
#                                   later settings win) and
#                                   SASL_USERDB_ARGS make it a full mail
#                                   server (tests/integration/demo_lib.sh)
#   pf_add_submission NAME MILTER   pf_add_smtpd with SMTP AUTH (Dovecot,
#                                   no TLS needed), authenticated clients
#                                   only; swaks --auth PLAIN --auth-user U
#                                   --auth-password P
#   pf_start [MILTER]               private Postfix; the "main" listener and
#                                   non_smtpd_milters use MILTER -> $PF_PORT
#   pf_postconf "KEY = VALUE"...    more main.cf settings (before pf_start,
#                                   or applied with a reload after it)
#   pf_queue                        postqueue -j (JSON lines, all queues)
#   pf_hold_count                   number of messages in the hold queue
#   pf_maillog                      print Postfix's log
#   send_mail PORT SWAKSARGS...     one SMTP session through swaks; the
#                                   transcript goes to $SEND_LOG, swaks'
#                                   status to $SEND_RC (also returned);
#                                   --xclient-helo H implies --helo H;
#                                   without --data, Subject names the
#                                   send number ("... test N")
#   mail_wait LOCALPART [SECS]      wait for a message delivered to
#                                   LOCALPART@authgate.test -> $MAIL_FILE
#                                   (use a fresh LOCALPART per case)
#   mail_find LOCALPART             files delivered to it, oldest first
#   mail_count LOCALPART            messages delivered to LOCALPART
#   mail_headers FILE               the header section, folded lines joined
#   mail_header FILE NAME           values of header NAME, one a line, in order
#   assert_header NAME FILE HDR ERE     some HDR value matches ERE
#   assert_no_header NAME FILE HDR ERE  no HDR value matches ERE
#   assert_reply NAME CODE [LOG]    the SMTP transcript ($SEND_LOG) has a
#                                   server reply with CODE (e.g. 550)
#   assert_no_mail NAME LOCALPART [SECS]  nothing arrives within SECS
#   assert_delivered NAME LOCALPART [SECS] mail_wait as an assertion
#   mail_header_names FILE          header names, top to bottom
#   ar_id VALUE                     authserv-id of one A-R value (lower case)
#   ar_ours FILE [ID]               A-R values whose authserv-id is ID
#                                   (default $AG_AUTHSERV), top to bottom
#   ar_count FILE [ID]              how many of them
#   dkim_keygen FILE rsa|ed25519 [BITS]  PEM private key, 0600, owner
#                                   authgate (openssl genpkey)
#   dkim_txt_record KEYFILE         "v=DKIM1; k=...; p=..." for a PEM key
#   dkim_publish ZONE SEL RECORD    SEL._domainkey TXT RECORD in a
#                                   dns_add_zone zone
#   dkim_sign_py KEY SEL DOMAIN [ALG] < MSG   dkimpy signs (relaxed/
#                                   relaxed), prints the signed message
#   dkim_sign_perl KEY SEL DOMAIN < MSG  the same with Mail::DKIM (RSA)
#   dkim_verify_py FILE             dkimpy verifies each signature (keys
#                                   from the test nsd): "pass d= s= a=" or
#                                   "fail d= s= a= why" per line, or "none"
#   dkim_verify_perl FILE           the same with Mail::DKIM:
#                                   "RESULT d= s= a= (detail)" per line
#   dkim_sig_tag VALUE TAG          one tag of a DKIM-Signature value
#
# Variables: ROOT (project root), AUTHGATE, T, IT_DIR, ZONES_DIR, DNS_PORT,
#   BLACKHOLE_PORT, PF_PORT, PF_CONF, MAIL_DOMAIN (authgate.test),
#   AG_AUTHSERV (mx.authgate.test, the default AuthservID), SASL_PORT,
#   DKIM_PY (the python with dkimpy: /usr/bin/python3, not PATH's).

IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$IT_DIR/../.." && pwd)
ZONES_DIR="$IT_DIR/zones"
AUTHGATE=${AUTHGATE:-${B:-build}/authgate}
case "$AUTHGATE" in /*) ;; *) AUTHGATE="$ROOT/$AUTHGATE" ;; esac
MAIL_DOMAIN=authgate.test
AG_AUTHSERV=mx.authgate.test

IT_GROUP=""
IT_PASSED=0
IT_FAILED=0
IT_FINISHED=0
T=""
declare -A AG_PIDS=() AG_PORTS=()
declare -A PF_PORTS=() PF_MILTERS=() PF_OPTS=()
PF_NAMES=()
PF_RUNNING=0
IT_BG_PIDS=()
# functions the trap runs first, for servers lib.sh does not know (e.g.
# test_sendmail.sh's Sendmail, which forks children under other names)
IT_CLEANUP_HOOKS=()

# ---------------------------------------------------------------- results

ok() {
	IT_PASSED=$((IT_PASSED + 1))
	echo "ok - $1"
}

not_ok() {
	IT_FAILED=$((IT_FAILED + 1))
	echo "not ok - $1: $2"
}

check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "command failed: $*"; fi
}

check_not() {
	local name=$1
	shift
	if "$@"; then not_ok "$name" "command succeeded: $*"; else ok "$name"; fi
}

assert_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got '$2', want '$3'"; fi
}

assert_match() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		ok "$1"
	else
		not_ok "$1" "'$(it_short "$2")' does not match /$3/"
	fi
}

assert_no_match() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		not_ok "$1" "'$(it_short "$2")' matches /$3/"
	else
		ok "$1"
	fi
}

# it_short - one line, at most 300 characters, for failure messages
it_short() {
	local s
	s=$(printf '%s' "$1" | tr '\n' '|')
	[ ${#s} -gt 300 ] && s="${s:0:300}..."
	printf '%s' "$s"
}

it_summary() {
	echo "$IT_GROUP: $IT_PASSED passed, $IT_FAILED failed"
}

it_finish() {
	IT_FINISHED=1
	it_summary
	[ "$IT_FAILED" -eq 0 ] && exit 0
	[ -n "$T" ] && echo "# logs: KEEP_TMP=1 keeps $T"
	exit 1
}

it_die() {
	not_ok "${IT_GROUP:-setup}" "$1"
	it_finish
}

# ---------------------------------------------------------------- setup

it_require() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			it_die "required program '$c' not found (make deps-test installs it)"
	done
}

it_init() {
	IT_GROUP=$1
	[ "$(id -u)" -eq 0 ] ||
		it_die "integration tests run as root (private Postfix, privilege drop)"
	it_require nsd drill swaks postfix postconf postqueue python3 ss flock
	[ -x "$AUTHGATE" ] ||
		it_die "authgate binary '$AUTHGATE' missing: run make (or set AUTHGATE)"
	sh "$ROOT/tests/tools/ensure-user.sh" ||
		it_die "cannot create the authgate user (tests/tools/ensure-user.sh)"
	id authgate >/dev/null 2>&1 || it_die "user authgate does not exist"
	T=$(mktemp -d "${TMPDIR:-/tmp}/authgate-it.XXXXXX") ||
		it_die "mktemp failed"
	# authgate runs as user "authgate" after start and re-reads its
	# config on SIGHUP: everything it reads must be reachable.
	chmod 755 "$T"
	mkdir -p "$T/run" && chown authgate "$T/run"
	trap it_cleanup EXIT
	trap 'echo "# interrupted"; exit 130' INT
	trap 'echo "# terminated"; exit 143' TERM
	trap 'exit 129' HUP
	trap 'exit 141' PIPE
	[ "${KEEP_TMP:-0}" = 1 ] && echo "# T=$T"
	return 0
}

# it_kill PID... - TERM them all, wait up to 10 s for all, then KILL the
# rest (saying so). All at once: authgate may take a few seconds to leave
# (libmilter notices smfi_stop() only between its listener polls).
it_kill() {
	local pid i left
	for pid in "$@"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for i in $(seq 100); do
		left=""
		for pid in "$@"; do
			kill -0 "$pid" 2>/dev/null && left="$left $pid"
		done
		[ -z "$left" ] && break
		sleep 0.1
	done
	for pid in $left; do
		echo "# pid $pid ($(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | cut -c1-60)) did not stop on TERM, killing"
		kill -KILL "$pid" 2>/dev/null
	done
	for pid in "$@"; do
		wait "$pid" 2>/dev/null
	done
	return 0
}

it_cleanup() {
	local rc=$? h
	trap - EXIT INT TERM HUP
	trap '' PIPE	# our stdout may be gone: finish the cleanup anyway
	if [ "$IT_FINISHED" -eq 0 ] && [ -n "$IT_GROUP" ]; then
		# died half-way (set -e, a bash error, a signal): say so loudly
		not_ok "$IT_GROUP" "test script ended early (status $rc)"
		it_summary
		rc=1
	fi
	for h in "${IT_CLEANUP_HOOKS[@]}"; do
		"$h"
	done
	pf_stop
	it_kill "${AG_PIDS[@]}" "${IT_BG_PIDS[@]}"
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ "${KEEP_TMP:-0}" = 1 ]; then
			echo "# kept $T"
		else
			rm -rf "$T"
		fi
	fi
	exit "$rc"
}

# ---------------------------------------------------------------- ports

# free_port - set FREE_PORT to a port nothing uses for TCP or UDP right
# now, from 20000-32767 (below Linux's ephemeral range, so outgoing
# connections do not take it), never one this script handed out before
# (so call it in this shell, not in $(...)); a small race with other
# programs remains until it is bound
IT_PORTS_GIVEN=" "
free_port() {
	local p i
	for i in $(seq 200); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 12768))
		case "$IT_PORTS_GIVEN" in *" $p "*) continue ;; esac
		ss -Htaun "sport = :$p" 2>/dev/null | grep -q . && continue
		IT_PORTS_GIVEN="$IT_PORTS_GIVEN$p "
		FREE_PORT=$p
		return 0
	done
	return 1
}

# wait_listen PORT [SECS] - until something listens on 127.0.0.1:PORT (TCP);
# looks at the socket table, so no connection is made to the daemon
wait_listen() {
	local port=$1 secs=${2:-10} i
	for i in $(seq $((secs * 10))); do
		ss -Htln "sport = :$port" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- DNS

# dns_start - nsd on a free loopback port serving every zones/<zone>.zone
dns_start() {
	local d="$T/nsd" f zone i
	mkdir -p "$d"
	free_port || it_die "no free port for nsd"
	DNS_PORT=$FREE_PORT
	cat >"$d/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1
	port: $DNS_PORT
	do-ip6: no
	server-count: 1
	username: ""
	chroot: ""
	database: ""
	zonesdir: "$ZONES_DIR"
	zonelistfile: "$d/zone.list"
	xfrdfile: "$d/xfrd.state"
	xfrdir: "$d"
	pidfile: "$d/nsd.pid"
	logfile: "$d/nsd.log"
	cookie-secret-file: "$d/cookiesecrets.txt"
	verbosity: 2
	hide-version: yes
	# response rate limiting drops answers to one busy client (all of
	# ours come from 127.0.0.1): off, so load tests see no fake timeouts
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
remote-control:
	# a unix socket only (no keys, no TCP port): dns_add_zone and
	# dns_reload use it for zones a test writes while nsd runs
	control-enable: yes
	control-interface: "$d/nsd.ctl"
pattern:
	name: "authgate-it-dyn"
	zonefile: "$d/zones/%s.zone"
EOF
	for f in "$ZONES_DIR"/*.zone; do
		[ -e "$f" ] || it_die "no zone files in $ZONES_DIR"
		zone=$(basename "$f" .zone)
		printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' \
			"$zone" "$(basename "$f")" >>"$d/nsd.conf"
	done
	for zone in "${DNS_DYN_ZONES[@]}"; do
		printf 'zone:\n\tname: "%s"\n\tinclude-pattern: "authgate-it-dyn"\n' \
			"$zone" >>"$d/nsd.conf"
	done
	nsd-checkconf "$d/nsd.conf" >"$d/checkconf.out" 2>&1 ||
		it_die "nsd config rejected: $(cat "$d/checkconf.out")"
	nsd -d -c "$d/nsd.conf" >"$d/stdout" 2>&1 &
	IT_BG_PIDS+=($!)
	DNS_PID=$!
	# drill waits 5 s for a lost datagram: ask only once nsd's UDP socket
	# is bound, and bound each try
	for i in $(seq 100); do
		if ss -Huln "sport = :$DNS_PORT" 2>/dev/null | grep -q . &&
			timeout 2 drill -p "$DNS_PORT" @127.0.0.1 example.test SOA \
				2>/dev/null | grep -q 'rcode: NOERROR'; then
			for zone in "${DNS_DYN_ZONES[@]}"; do
				dns_wait_serial "$zone" ||
					it_die "nsd does not serve zone $zone ($(dns_zone_file "$zone")): $(it_short "$(tail -5 "$d/nsd.log")")"
			done
			return 0
		fi
		kill -0 "$DNS_PID" 2>/dev/null || break
		sleep 0.1
	done
	it_die "nsd did not answer on port $DNS_PORT: $(it_short "$(tail -5 "$d/nsd.log" "$d/stdout" 2>/dev/null)")"
}

# Zones a test writes at run time (DKIM keys made by the test) live in
# $T/nsd/zones/<zone>.zone and are served through the pattern
# "authgate-it-dyn"; added before dns_start they are in nsd.conf, after it
# they are added and reloaded through nsd-control (unix socket). Every
# change bumps the SOA serial, and waits until nsd serves that serial.
DNS_DYN_ZONES=()

# dns_zone_file ZONE - the file a dynamic zone is served from
dns_zone_file() {
	echo "$T/nsd/zones/$1.zone"
}

# dns_zone_serial FILE - the SOA serial of a zone file (first SOA record;
# comments, parentheses and line breaks allowed)
dns_zone_serial() {
	sed 's/;.*//' "$1" | tr '()\n' '   ' | awk '{
		for (i = 1; i <= NF; i++)
			if (toupper($i) == "SOA") { print $(i + 3); exit }
	}'
}

# dns_wait_serial ZONE [SECS] - until nsd answers ZONE's SOA with the serial
# of its file
dns_wait_serial() {
	local zone=$1 secs=${2:-10} want got i
	want=$(dns_zone_serial "$(dns_zone_file "$zone")")
	for i in $(seq $((secs * 10))); do
		got=$(timeout 2 drill -p "$DNS_PORT" @127.0.0.1 "$zone" SOA 2>/dev/null |
			awk -v z="$zone." 'tolower($1) == tolower(z) && $4 == "SOA" { print $7; exit }')
		[ -n "$got" ] && [ "$got" = "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

# dns_nsd_control ARGS... - nsd-control on the running nsd
dns_nsd_control() {
	nsd-control -c "$T/nsd/nsd.conf" "$@" >>"$T/nsd/control.out" 2>&1
}

# dns_add_zone ZONE [FILE] - serve ZONE from $(dns_zone_file ZONE): a copy
# of FILE, or (no FILE) a new zone with SOA (serial 1, on one line), NS and
# ns.ZONE A 127.0.0.1, to which dns_add_rr appends. Before dns_start, or
# at once (nsd-control addzone) after it.
dns_add_zone() {
	local zone=$1 src=${2:-} f z
	[ -e "$ZONES_DIR/$zone.zone" ] &&
		it_die "dns_add_zone $zone: zones/$zone.zone is served already"
	for z in "${DNS_DYN_ZONES[@]}"; do
		[ "$z" = "$zone" ] && it_die "dns_add_zone $zone: added twice"
	done
	mkdir -p "$T/nsd/zones"
	f=$(dns_zone_file "$zone")
	if [ -n "$src" ]; then
		cp "$src" "$f" || it_die "dns_add_zone $zone: cannot copy $src"
	else
		cat >"$f" <<EOF
; written by tests/integration/lib.sh dns_add_zone
\$ORIGIN $zone.
\$TTL 300
@ IN SOA ns.$zone. hostmaster.$zone. 1 3600 600 86400 300
@ IN NS ns.$zone.
ns IN A 127.0.0.1
EOF
	fi
	[ -n "$(dns_zone_serial "$f")" ] || it_die "dns_add_zone $zone: no SOA in $f"
	DNS_DYN_ZONES+=("$zone")
	[ -n "${DNS_PID:-}" ] || return 0
	dns_nsd_control addzone "$zone" authgate-it-dyn ||
		it_die "nsd-control addzone $zone failed: $(it_short "$(tail -3 "$T/nsd/control.out")")"
	dns_wait_serial "$zone" ||
		it_die "nsd does not serve the added zone $zone: $(it_short "$(tail -5 "$T/nsd/nsd.log")")"
}

# dns_add_rr ZONE RR... - append resource records (zone file lines, names
# relative to ZONE) to a dynamic zone and bump its one-line SOA serial;
# after dns_start nsd reloads the zone and the call waits for it
dns_add_rr() {
	local zone=$1 f serial
	shift
	f=$(dns_zone_file "$zone")
	[ -f "$f" ] || it_die "dns_add_rr: $zone was not added with dns_add_zone"
	printf '%s\n' "$@" >>"$f"
	serial=$(dns_zone_serial "$f")
	sed -i -E "s/^(@[[:space:]]+(IN[[:space:]]+)?SOA[[:space:]]+[^[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+)$serial([[:space:]])/\1$((serial + 1))\3/" "$f"
	[ "$(dns_zone_serial "$f")" = $((serial + 1)) ] ||
		it_die "dns_add_rr: cannot bump the serial of $f (SOA not on one line?)"
	[ -n "${DNS_PID:-}" ] || return 0
	dns_reload "$zone"
}

# dns_reload ZONE - nsd re-reads a dynamic zone's file (bump its serial
# first when editing it by hand); waits until the new serial is served
dns_reload() {
	dns_nsd_control reload "$1" ||
		it_die "nsd-control reload $1 failed: $(it_short "$(tail -3 "$T/nsd/control.out")")"
	dns_wait_serial "$1" ||
		it_die "nsd does not serve the new serial of $1: $(it_short "$(tail -5 "$T/nsd/nsd.log")")"
}

# dns_txt TEXT - TEXT as zone-file TXT data: quoted character-strings of
# at most 255 bytes (RFC 1035 3.3.14), '"' and '\' escaped
dns_txt() {
	local s=$1 out="" chunk
	while [ -n "$s" ] || [ -z "$out" ]; do
		chunk=${s:0:255}
		s=${s:255}
		chunk=${chunk//\\/\\\\}
		chunk=${chunk//\"/\\\"}
		out="$out${out:+ }\"$chunk\""
		[ -z "$s" ] && break
	done
	printf '%s\n' "$out"
}

dns_query() {
	drill -p "${3:-$DNS_PORT}" @127.0.0.1 "$1" "$2" |
		sed -n '/ANSWER SECTION/,/^$/p'
}

# blackhole_start - a UDP socket that receives and never answers, and a TCP
# socket on the same port that accepts (through the backlog) and never
# answers either: every DNS query to it times out
blackhole_start() {
	local f="$T/blackhole.port" i
	python3 -c '
import socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
for _ in range(100):
    u.bind(("127.0.0.1", 0))
    port = u.getsockname()[1]
    try:
        t.bind(("127.0.0.1", port))
        break
    except OSError:
        u.close(); u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t.listen(64)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % port)
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    time.sleep(3600)
' "$f" &
	IT_BG_PIDS+=($!)
	for i in $(seq 50); do
		[ -s "$f" ] && break
		sleep 0.1
	done
	[ -s "$f" ] || it_die "blackhole DNS server did not start"
	BLACKHOLE_PORT=$(cat "$f")
}

# ---------------------------------------------------------------- authgate

# ag_port NAME - AG_PORTS[NAME] := a free port, unless it has one already
ag_port() {
	[ -n "${AG_PORTS[$1]:-}" ] && return 0
	free_port || it_die "no free port for authgate $1"
	AG_PORTS[$1]=$FREE_PORT
}

# ag_config NAME [LINE...] - the defaults below; a LINE "Key value"
# replaces the default for Key (first word, case-insensitive) or is appended;
# "-Key" removes it. Keys keep their order, so line numbers are predictable.
ag_config() {
	local name=$1 port line key k i found drop
	shift
	ag_port "$name"
	port=${AG_PORTS[$name]}
	local -a lines=(
		"Socket inet:$port@127.0.0.1"
		"User authgate"
		"PidFile $T/run/$name.pid"
		"StateDir $T/run/$name.state"
		"AuthservID $AG_AUTHSERV"
		"InternalHosts 127.0.0.1/32, ::1"
		"Nameservers 127.0.0.1:${DNS_PORT:-53}"
		"DNSTimeout 2s"
		"DNSRetries 0"
		"LogLevel debug"
		"Syslog no"
		"LogStderr yes"
		"OnInternalError tempfail"
		"SPFCheckHelo yes"
		"SPFFailAction mark"
		"SPFTempErrorAction accept"
	)
	for line in "$@"; do
		key=${line%%[ 	]*}
		drop=0
		if [ "${key:0:1}" = - ]; then
			drop=1
			key=${key:1}
		fi
		found=0
		for i in "${!lines[@]}"; do
			k=${lines[$i]%% *}
			[ "${k,,}" = "${key,,}" ] || continue
			found=1
			if [ "$drop" = 1 ]; then
				unset 'lines[i]'
			else
				lines[$i]=$line
			fi
		done
		[ "$found" = 0 ] && [ "$drop" = 0 ] && lines+=("$line")
	done
	{
		echo "# generated by tests/integration/lib.sh for instance $name"
		printf '%s\n' "${lines[@]}"
	} >"$T/$name.conf"
	chmod 644 "$T/$name.conf"
}

ag_conf_write_raw() {
	cat >"$T/$1.conf"
	chmod 644 "$T/$1.conf"
}

ag_conf_line() {
	grep -nE -- "$2" "$T/$1.conf" | head -1 | cut -d: -f1
}

# ag_socket NAME - the Socket value of NAME's config file
ag_socket() {
	sed -n 's/^[Ss][Oo][Cc][Kk][Ee][Tt][ \t]\{1,\}//p' "$T/$1.conf" | head -1
}

# ag_listening NAME - its milter socket accepts connections (inet: in the
# socket table, unix: the socket file exists)
ag_listening() {
	local sock
	sock=$(ag_socket "$1")
	case "$sock" in
	unix:* | local:*) [ -S "${sock#*:}" ] ;;
	*) ss -Htln "sport = :${AG_PORTS[$1]}" 2>/dev/null | grep -q . ;;
	esac
}

# ag_start NAME [LINE...] - start one authgate, wait for its milter socket.
# "Socket unix:$T/run/NAME.sock" works too ($T/run belongs to authgate).
ag_start() {
	ag_try_start "$@" && return 0
	it_die "authgate $1 did not listen on $(ag_socket "$1"); log: $(it_short "$(tail -20 "$T/$1.log")")"
}

# ag_try_start NAME [LINE...] - ag_start that fails instead of dying: 0 when
# it listens; 1 when it exited ($AG_EXIT: its exit status) or did not
# listen within 10 s (killed; AG_EXIT empty). Its output is in
# $T/NAME.log (ag_log NAME). For tests of refused configurations.
ag_try_start() {
	local name=$1
	shift
	[ -n "${AG_PIDS[$name]:-}" ] && it_die "authgate $name started twice"
	ag_config "$name" "$@"
	ag_launch "$name"
}

# ag_launch NAME - start authgate on the config file $T/NAME.conf as it is
# (ag_config's, or one written with ag_conf_write_raw: then set
# AG_PORTS[NAME] to its inet port first); 0 when it listens, else 1 as
# ag_try_start says
ag_launch() {
	local name=$1 i pid
	[ -n "${AG_PIDS[$name]:-}" ] && it_die "authgate $name started twice"
	AG_PORT=${AG_PORTS[$name]:-}
	AG_EXIT=""
	"$AUTHGATE" -f -c "$T/$name.conf" >"$T/$name.log" 2>&1 &
	pid=$!
	AG_PIDS[$name]=$pid
	for i in $(seq 100); do
		ag_listening "$name" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		it_kill "$pid"
	else
		wait "$pid"
		AG_EXIT=$?
	fi
	unset 'AG_PIDS[$name]'
	return 1
}

# ag_milter NAME - its socket as Postfix writes it (inet:HOST:PORT, unix:PATH)
ag_milter() {
	local sock
	sock=$(ag_socket "$1")
	case "$sock" in
	unix:* | local:*) echo "unix:${sock#*:}" ;;
	*) echo "inet:127.0.0.1:${AG_PORTS[$1]}" ;;
	esac
}

ag_pid() {
	echo "${AG_PIDS[$1]:-}"
}

ag_alive() {
	local pid=${AG_PIDS[$1]:-}
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# ag_reload NAME [LINE...] - rewrite the config when LINEs are given, then
# SIGHUP; does not wait (use ag_log_wait with a mark taken before)
ag_reload() {
	local name=$1
	shift
	[ $# -gt 0 ] && ag_config "$name" "$@"
	ag_alive "$name" || return 1
	kill -HUP "${AG_PIDS[$name]}"
}

ag_log() {
	cat "$T/$1.log" 2>/dev/null
}

ag_log_mark() {
	stat -c %s "$T/$1.log" 2>/dev/null || echo 0
}

ag_log_since() {
	tail -c +"$(($2 + 1))" "$T/$1.log" 2>/dev/null
}

ag_log_wait() {
	local name=$1 re=$2 secs=${3:-10} mark=${4:-0} i
	for i in $(seq $((secs * 10))); do
		ag_log_since "$name" "$mark" | grep -Eq -- "$re" && return 0
		sleep 0.1
	done
	return 1
}

ag_stop() {
	[ -n "${AG_PIDS[$1]:-}" ] && it_kill "${AG_PIDS[$1]}"
	unset 'AG_PIDS[$1]'
}

# ---------------------------------------------------------------- Postfix

PF_DIR=""
PF_CONF=""
PF_ALT_LOCK=/etc/postfix/.authgate-it.lock

# pf_altdirs_edit add|remove DIR - keep DIR listed in the default
# instance's alternate_config_directories (Debian's postfix refuses -c DIR
# otherwise); entries of vanished authgate-it directories are pruned
pf_altdirs_edit() {
	local op=$1 dir=$2 cur new e
	[ -e /etc/postfix/main.cf ] || : >/etc/postfix/main.cf
	(
		flock 9
		cur=$(postconf -c /etc/postfix -h alternate_config_directories 2>/dev/null)
		new=""
		for e in $(printf '%s' "$cur" | tr ',' ' '); do
			[ "$e" = "$dir" ] && continue
			case "$e" in
			*/authgate-it.*/postfix/conf) [ -d "$e" ] || continue ;;
			esac
			new="${new:+$new, }$e"
		done
		[ "$op" = add ] && new="${new:+$new, }$dir"
		[ "$new" = "$cur" ] && exit 0
		if [ -z "$new" ]; then
			postconf -c /etc/postfix -X alternate_config_directories
		else
			postconf -c /etc/postfix -e "alternate_config_directories = $new"
		fi
	) 9>"$PF_ALT_LOCK"
}

pf_setup() {
	[ -n "$PF_DIR" ] && return 0
	PF_DIR="$T/postfix"
	PF_CONF="$PF_DIR/conf"
	mkdir -p "$PF_CONF" "$PF_DIR/queue" "$PF_DIR/data" "$T/mail"
	chown postfix "$PF_DIR/data"
	chown nobody:nogroup "$T/mail"
	: >"$PF_DIR/maillog"
	pf_altdirs_edit add "$PF_CONF" ||
		it_die "cannot add $PF_CONF to /etc/postfix/main.cf"
}

pf_write_main() {
	local milter=${PF_MILTERS[main]}
	cat >"$PF_CONF/main.cf" <<EOF
# generated by tests/integration/lib.sh: a private, DNS-free Postfix
compatibility_level = 3.6
queue_directory = $PF_DIR/queue
data_directory = $PF_DIR/data
maillog_file = $PF_DIR/maillog
maillog_file_prefixes = $T
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = pf.$MAIL_DOMAIN
mydomain = $MAIL_DOMAIN
myorigin = \$myhostname
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
append_dot_mydomain = no
biff = no
smtputf8_enable = no
mynetworks = 127.0.0.0/8
smtpd_authorized_xclient_hosts = 127.0.0.0/8
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
smtpd_client_restrictions =
smtpd_helo_restrictions =
smtpd_sender_restrictions =
smtpd_recipient_restrictions =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = $MAIL_DOMAIN
virtual_mailbox_base = $T/mail
virtual_mailbox_maps = static:box/
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
virtual_mailbox_limit = 0
smtpd_milters = $milter
non_smtpd_milters = $milter
milter_default_action = tempfail
milter_protocol = 6
# nothing ever leaves: bounces to the test senders fail at once
default_transport = error:outbound mail disabled in tests
relay_transport = error:outbound mail disabled in tests
EOF
}

pf_write_master() {
	local name
	{
		echo "# generated by tests/integration/lib.sh (no chroot anywhere)"
		for name in "${PF_NAMES[@]}"; do
			echo "127.0.0.1:${PF_PORTS[$name]} inet n - n - - smtpd"
			echo "  -o syslog_name=postfix-$name/smtpd"
			echo "  -o smtpd_milters=${PF_MILTERS[$name]}"
			# shellcheck disable=SC2086 # KEY=VALUE words, no spaces
			[ -n "${PF_OPTS[$name]:-}" ] &&
				printf '  -o %s\n' ${PF_OPTS[$name]}
		done
		cat <<'EOF'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	} >"$PF_CONF/master.cf"
}

# pf_add_smtpd NAME MILTER - one more smtpd listener (its own free port)
# whose smtpd_milters is MILTER; reloads Postfix when it already runs
pf_add_smtpd() {
	local name=$1 milter=$2 o
	shift 2
	pf_setup
	[ -n "${PF_PORTS[$name]:-}" ] && it_die "smtpd listener $name added twice"
	for o in "$@"; do
		case "$o" in
		*=*) ;;
		*) it_die "pf_add_smtpd $name: option '$o' is not KEY=VALUE" ;;
		esac
		case "$o" in
		*[[:space:]]*) it_die "pf_add_smtpd $name: option '$o' has white space (master.cf -o)" ;;
		esac
	done
	free_port || it_die "no free port for smtpd $name"
	PF_PORTS[$name]=$FREE_PORT
	PF_MILTERS[$name]=$milter
	PF_OPTS[$name]="$*"
	PF_NAMES+=("$name")
	PF_LAST_PORT=${PF_PORTS[$name]}
	if [ "$PF_RUNNING" = 1 ]; then
		pf_write_master
		postfix -c "$PF_CONF" reload >>"$PF_DIR/postfix.out" 2>&1 ||
			it_die "postfix reload failed: $(it_short "$(tail -5 "$PF_DIR/postfix.out")")"
		wait_listen "$PF_LAST_PORT" 10 ||
			it_die "smtpd $name did not listen on $PF_LAST_PORT: $(it_short "$(tail -5 "$PF_DIR/maillog")")"
	fi
}

# pf_start [MILTER] - write the configuration and start the instance; the
# "main" smtpd listener (port $PF_PORT) and non_smtpd_milters use MILTER
pf_start() {
	local i
	pf_setup
	if [ -z "${PF_PORTS[main]:-}" ]; then
		free_port || it_die "no free port for smtpd"
		PF_PORTS[main]=$FREE_PORT
		PF_MILTERS[main]=${1:-}
		PF_NAMES=(main "${PF_NAMES[@]}")
	fi
	PF_PORT=${PF_PORTS[main]}
	pf_write_main
	pf_write_master
	if [ ${#PF_EXTRA[@]} -gt 0 ]; then
		postconf -c "$PF_CONF" -e "${PF_EXTRA[@]}" ||
			it_die "postconf -e ${PF_EXTRA[*]} failed"
	fi
	postfix -c "$PF_CONF" start >>"$PF_DIR/postfix.out" 2>&1 ||
		it_die "postfix start failed: $(it_short "$(cat "$PF_DIR/postfix.out"; tail -5 "$PF_DIR/maillog")")"
	PF_RUNNING=1
	for i in "${PF_NAMES[@]}"; do
		wait_listen "${PF_PORTS[$i]}" 15 ||
			it_die "smtpd $i did not listen on ${PF_PORTS[$i]}: $(it_short "$(tail -5 "$PF_DIR/maillog")")"
	done
}

# pf_instance_pids - processes of this instance: everything whose
# environment names our config directory (postfix -c exports MAIL_CONFIG
# to the master, which passes it to every daemon it starts)
pf_instance_pids() {
	grep -lzxF "MAIL_CONFIG=$PF_CONF" /proc/[0-9]*/environ 2>/dev/null |
		awk -F/ -v self=$$ '$3 != self { print $3 }'
	return 0
}

pf_stop() {
	local i pids
	[ -n "$PF_DIR" ] || return 0
	if [ "$PF_RUNNING" = 1 ]; then
		postfix -c "$PF_CONF" stop >>"$PF_DIR/postfix.out" 2>&1
		for i in $(seq 50); do
			[ -z "$(pf_instance_pids)" ] && break
			sleep 0.1
		done
		pids=$(pf_instance_pids | sort -u)
		if [ -n "$pids" ]; then
			echo "# leftover postfix processes:" $pids
			# shellcheck disable=SC2086 # a list of pids
			kill -KILL $pids 2>/dev/null
		fi
		PF_RUNNING=0
	fi
	pf_altdirs_edit remove "$PF_CONF"
	return 0
}

# pf_postconf "key = value"... - extra main.cf settings; applied at
# pf_start, or at once (postfix reload) when the instance already runs
PF_EXTRA=()
pf_postconf() {
	PF_EXTRA+=("$@")
	[ "$PF_RUNNING" = 1 ] || return 0
	postconf -c "$PF_CONF" -e "$@" || it_die "postconf -e $* failed"
	postfix -c "$PF_CONF" reload >>"$PF_DIR/postfix.out" 2>&1 ||
		it_die "postfix reload failed"
	# the reload is asynchronous: give the master a moment to restart
	# its daemons with the new settings
	sleep 1
}

pf_queue() {
	postqueue -c "$PF_CONF" -j 2>/dev/null
}

pf_hold_count() {
	pf_queue | grep -c '"queue_name": *"hold"'
}

pf_maillog() {
	cat "$PF_DIR/maillog"
}

# ---------------------------------------------------------------- SMTP AUTH

SASL_DIR=""

# sasl_start USER PASSWORD [USER PASSWORD]... - a private Dovecot (auth
# service only, no mail protocols, no TLS) with a passwd-file of these
# users, listening on 127.0.0.1:$SASL_PORT for Postfix's dovecot SASL
# (smtpd_sasl_path = inet:127.0.0.1:$SASL_PORT); everything under
# $T/dovecot; stopped by the trap
sasl_start() {
	local d="$T/dovecot" u
	it_require dovecot doveconf
	for u in dovecot dovenull; do
		id "$u" >/dev/null 2>&1 ||
			it_die "user $u missing (it comes with the dovecot-core package)"
	done
	[ -n "$SASL_DIR" ] && it_die "sasl_start called twice"
	if [ $# -lt 2 ] || [ $(($# % 2)) -ne 0 ]; then
		it_die "sasl_start: USER PASSWORD pairs expected"
	fi
	SASL_DIR=$d
	mkdir -p "$d"
	: >"$d/passwd"
	while [ $# -gt 0 ]; do
		printf '%s:{PLAIN}%s\n' "$1" "$2" >>"$d/passwd"
		shift 2
	done
	# read by the auth process, which runs as dovecot
	chgrp dovecot "$d/passwd" && chmod 640 "$d/passwd"
	free_port || it_die "no free port for dovecot"
	SASL_PORT=$FREE_PORT
	cat >"$d/dovecot.conf" <<EOF
# generated by tests/integration/lib.sh: SASL for the private Postfix only
protocols =
listen = 127.0.0.1
base_dir = $d/run
state_dir = $d/state
instance_name = authgate-it-$(basename "$T")
log_path = $d/dovecot.log
info_log_path = $d/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
# answer a wrong password at once (default: 2 s later)
auth_failure_delay = 0
default_internal_user = dovecot
default_login_user = dovenull
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $d/passwd
}
userdb {
  driver = static
  args = ${SASL_USERDB_ARGS:-uid=nobody gid=nogroup home=/nonexistent}
}
service auth {
  inet_listener {
    address = 127.0.0.1
    port = $SASL_PORT
  }
}
${SASL_CONF_EXTRA:-}
EOF
	doveconf -c "$d/dovecot.conf" -n >"$d/doveconf.out" 2>&1 ||
		it_die "dovecot config rejected: $(it_short "$(cat "$d/doveconf.out")")"
	dovecot -F -c "$d/dovecot.conf" >"$d/stdout" 2>&1 &
	SASL_PID=$!
	IT_BG_PIDS+=($!)
	wait_listen "$SASL_PORT" 10 ||
		it_die "dovecot did not listen on $SASL_PORT: $(it_short "$(tail -5 "$d/dovecot.log" "$d/stdout" 2>/dev/null)")"
}

# sasl_log - print Dovecot's log
sasl_log() {
	cat "$SASL_DIR/dovecot.log" 2>/dev/null
}

# pf_add_submission NAME MILTER - pf_add_smtpd with SMTP AUTH through the
# sasl_start Dovecot, allowed without TLS, and only authenticated clients
# accepted (smtpd_client_restrictions = permit_sasl_authenticated, reject,
# checked at RCPT TO); Postfix passes {auth_authen} etc. to the milter.
# swaks: --auth PLAIN --auth-user USER --auth-password PASSWORD
pf_add_submission() {
	[ -n "${SASL_PORT:-}" ] || it_die "pf_add_submission $1: sasl_start first"
	pf_add_smtpd "$1" "$2" \
		smtpd_sasl_auth_enable=yes \
		smtpd_sasl_type=dovecot \
		"smtpd_sasl_path=inet:127.0.0.1:$SASL_PORT" \
		smtpd_tls_security_level=none \
		smtpd_tls_auth_only=no \
		smtpd_sasl_security_options=noanonymous \
		smtpd_client_restrictions=permit_sasl_authenticated,reject
}

# ---------------------------------------------------------------- mail

SEND_N=0

# send_mail PORT SWAKSARGS... - one SMTP session, transcript in $SEND_LOG
send_mail() {
	local port=$1 helo="" a prev="" have_helo=0 have_data=0
	shift
	for a in "$@"; do
		[ "$prev" = --xclient-helo ] && helo=$a
		case "$a" in
		--helo | --ehlo | -h) have_helo=1 ;;
		--data | -d) have_data=1 ;;
		esac
		prev=$a
	done
	SEND_N=$((SEND_N + 1))
	SEND_LOG="$T/swaks.$SEND_N.log"
	local -a extra=()
	# after XCLIENT the client says EHLO again, which would replace the
	# HELO name XCLIENT gave; say the same name
	[ -n "$helo" ] && [ "$have_helo" = 0 ] && extra+=(--helo "$helo")
	[ "$have_data" = 0 ] &&
		extra+=(--h-Subject "authgate integration test $SEND_N")
	swaks --server 127.0.0.1 --port "$port" --timeout 60 \
		"${extra[@]}" "$@" >"$SEND_LOG" 2>&1
	SEND_RC=$?
	return $SEND_RC
}

# Every message lands in one Maildir, $T/mail/box/new (virtual(8) refuses
# per-recipient regexp maps); virtual(8) prepends "Delivered-To: RCPT", by
# which a test finds its own message. Use a fresh local part per case.

# mail_find LOCALPART - the files delivered to LOCALPART@authgate.test,
# oldest first
mail_find() {
	local d="$T/mail/box/new"
	[ -d "$d" ] || return 0
	grep -liFx "Delivered-To: $1@$MAIL_DOMAIN" "$d"/* 2>/dev/null |
		xargs -r ls -tr
}

mail_count() {
	mail_find "$1" | wc -l
}

# mail_wait LOCALPART [SECS] - the newest message for LOCALPART -> $MAIL_FILE
mail_wait() {
	local i
	MAIL_FILE=""
	for i in $(seq $((${2:-20} * 10))); do
		MAIL_FILE=$(mail_find "$1" | tail -1)
		[ -n "$MAIL_FILE" ] && return 0
		sleep 0.1
	done
	return 1
}

# mail_headers FILE - header section with folded lines joined by one space
mail_headers() {
	awk '
		/^\r?$/ { exit }
		{ sub(/\r$/, "") }
		/^[ \t]/ { sub(/^[ \t]+/, " "); cur = cur $0; next }
		{ if (have) print cur; cur = $0; have = 1 }
		END { if (have) print cur }
	' "$1"
}

# mail_header FILE NAME - the values of every NAME header, top to bottom
mail_header() {
	mail_headers "$1" | awk -v n="$2" '
		BEGIN { n = tolower(n) }
		{
			i = index($0, ":")
			if (i && tolower(substr($0, 1, i - 1)) == n) {
				v = substr($0, i + 1); sub(/^[ \t]+/, "", v); print v
			}
		}'
}

assert_header() {
	local name=$1 file=$2 hdr=$3 re=$4 vals
	if [ -z "$file" ] || [ ! -f "$file" ]; then
		not_ok "$name" "no message"
		return
	fi
	vals=$(mail_header "$file" "$hdr")
	if printf '%s\n' "$vals" | grep -Eq -- "$re"; then
		ok "$name"
	else
		not_ok "$name" "no $hdr matches /$re/; got: $(it_short "${vals:-<none>}")"
	fi
}

assert_no_header() {
	local name=$1 file=$2 hdr=$3 re=$4 vals
	if [ -z "$file" ] || [ ! -f "$file" ]; then
		not_ok "$name" "no message"
		return
	fi
	vals=$(mail_header "$file" "$hdr")
	if printf '%s\n' "$vals" | grep -Eq -- "$re"; then
		not_ok "$name" "a $hdr matches /$re/: $(it_short "$(printf '%s\n' "$vals" | grep -E -- "$re")")"
	else
		ok "$name"
	fi
}

# assert_reply NAME CODE [LOG] - swaks prints server lines as "<-  250 ..."
# and failing ones as "<** 550 ..."
assert_reply() {
	local log=${3:-$SEND_LOG}
	if grep -Eq "^<(-|\*\*) +$2[ -]" "$log"; then
		ok "$1"
	else
		not_ok "$1" "no $2 reply; server said: $(it_short "$(grep -E '^<(-|\*\*)' "$log" | tail -4)")"
	fi
}

assert_delivered() {
	if mail_wait "$2" "${3:-20}"; then
		ok "$1"
	else
		not_ok "$1" "nothing for $2@$MAIL_DOMAIN after ${3:-20}s; swaks: $(it_short "$(grep -E '^<(-|\*\*)' "$SEND_LOG" 2>/dev/null | tail -3)")"
	fi
}

assert_no_mail() {
	local n
	sleep "${3:-1}"
	n=$(mail_count "$2")
	if [ "$n" -eq 0 ]; then ok "$1"; else not_ok "$1" "$n message(s) delivered to $2"; fi
}

# mail_header_names FILE - header names top to bottom, one a line
mail_header_names() {
	mail_headers "$1" | sed -n 's/^\([^: \t]*\)[ \t]*:.*/\1/p'
}

# ar_id VALUE - the authserv-id of one Authentication-Results value
# (leading comments skipped, lower-cased); simple, unnested comments only
ar_id() {
	printf '%s\n' "$1" |
		sed -E 's/^([[:space:]]*\([^)]*\))*[[:space:]]*//' |
		sed -E 's/[[:space:];(].*$//' | tr '[:upper:]' '[:lower:]'
}

# ar_ours FILE [ID] - the Authentication-Results values whose authserv-id is
# ID (default $AG_AUTHSERV), top to bottom
ar_ours() {
	local want=${2:-$AG_AUTHSERV} v
	want=${want,,}
	mail_header "$1" Authentication-Results | while IFS= read -r v; do
		[ "$(ar_id "$v")" = "$want" ] && printf '%s\n' "$v"
	done
	return 0
}

# ar_count FILE [ID] - how many Authentication-Results carry ID
ar_count() {
	ar_ours "$@" | grep -c .
}

# ---------------------------------------------------------------- DKIM

# Debian's python3-dkim (dkimpy) and its dnspython live in the system
# python, not in whatever python3 comes first in PATH
DKIM_PY=${DKIM_PY:-/usr/bin/python3}

# dkim_keygen FILE rsa|ed25519 [BITS] - a private key in PEM (PKCS#8),
# mode 0600, owned by the authgate user (as conf/authgate.conf asks)
dkim_keygen() {
	local f=$1 type=$2 bits=${3:-2048} rc
	case "$type" in
	rsa) openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$bits" \
		-out "$f" 2>"$f.err" ;;
	ed25519) openssl genpkey -algorithm ED25519 -out "$f" 2>"$f.err" ;;
	*) it_die "dkim_keygen: unknown key type '$type'" ;;
	esac
	rc=$?
	if [ "$rc" -ne 0 ] || [ ! -s "$f" ]; then
		it_die "openssl genpkey $type failed: $(it_short "$(cat "$f.err")")"
	fi
	rm -f "$f.err"
	chmod 600 "$f"
	chown authgate "$f"
}

# dkim_txt_record KEYFILE - the DKIM key record (RFC 6376 3.6.1) for a PEM
# private key, unsplit: "v=DKIM1; k=rsa; p=<SubjectPublicKeyInfo>" or, for
# Ed25519, "v=DKIM1; k=ed25519; p=<the raw 32-byte key>" (RFC 8463 4.2)
dkim_txt_record() {
	local text p
	text=$(openssl pkey -in "$1" -noout -text 2>/dev/null | head -1)
	case "$text" in
	*ED25519*)
		p=$(openssl pkey -in "$1" -pubout -outform DER | tail -c 32 | base64 -w0)
		printf 'v=DKIM1; k=ed25519; p=%s\n' "$p" ;;
	*Private-Key*)
		p=$(openssl pkey -in "$1" -pubout -outform DER | base64 -w0)
		printf 'v=DKIM1; k=rsa; p=%s\n' "$p" ;;
	*) it_die "dkim_txt_record: $1 is not an RSA or Ed25519 private key" ;;
	esac
}

# dkim_publish ZONE SELECTOR RECORD - publish SELECTOR._domainkey.ZONE TXT
# RECORD (split into 255-byte strings) in a dns_add_zone zone
dkim_publish() {
	dns_add_rr "$1" "$2._domainkey IN TXT $(dns_txt "$3")"
}

# dkim_sign_py KEY SELECTOR DOMAIN [ALG] < MESSAGE > SIGNED - dkimpy adds
# one DKIM-Signature (relaxed/relaxed) on top; KEY a PEM RSA key or, with
# ALG ed25519-sha256, a dknewkey Ed25519 key file
dkim_sign_py() {
	"$DKIM_PY" -c '
import sys, dkim
key, sel, dom = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
alg = (sys.argv[4] if len(sys.argv) > 4 else "rsa-sha256").encode()
msg = sys.stdin.buffer.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
sig = dkim.sign(msg, sel, dom, open(key, "rb").read(),
                canonicalize=(b"relaxed", b"relaxed"),
                signature_algorithm=alg)
sys.stdout.buffer.write(sig + msg)
' "$@"
}

# dkim_sign_perl KEY SELECTOR DOMAIN < MESSAGE > SIGNED - Mail::DKIM adds
# one rsa-sha256 DKIM-Signature (relaxed/relaxed) on top; KEY a PEM RSA key
dkim_sign_perl() {
	perl -e '
use strict; use warnings;
use Mail::DKIM::Signer;
my ($key, $sel, $dom) = @ARGV;
my $s = Mail::DKIM::Signer->new(Algorithm => "rsa-sha256",
	Method => "relaxed/relaxed", Domain => $dom, Selector => $sel, KeyFile => $key);
my @lines;
while (my $line = <STDIN>) {
	$line =~ s/\r?\n\z//;
	push @lines, $line;
	$s->PRINT("$line\015\012");
}
$s->CLOSE;
binmode STDOUT;
print "DKIM-Signature: ", $s->signature->as_string =~ s/^DKIM-Signature:\s*//ir,
	"\015\012";
print "$_\015\012" for @lines;
' "$@"
}

# dkim_verify_py FILE - dkimpy verifies every DKIM-Signature of a message
# (delivered file, LF or CRLF), asking the test nsd ($DNS_PORT) for keys;
# one line per signature, top to bottom: "pass|fail d=D s=S a=A [why]"
dkim_verify_py() {
	"$DKIM_PY" -c '
import sys, logging, dkim
import dns.resolver, dns.exception
port = int(sys.argv[2])
res = dns.resolver.Resolver(configure=False)
res.nameservers = ["127.0.0.1"]
res.port = port
def dnsfunc(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode()
    try:
        a = res.resolve(name, "TXT", lifetime=3, tcp=True)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return None
    except dns.exception.Timeout as e:
        raise dkim.DnsTimeoutError(str(e))
    return b"".join(a[0].strings)
class Why(logging.Handler):
    def __init__(self):
        super().__init__(); self.last = ""
    def emit(self, r):
        if r.levelno >= logging.INFO or "mismatch" in r.getMessage():
            self.last = r.getMessage()
msg = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
log = logging.getLogger("dkimpy"); log.setLevel(logging.DEBUG)
why = Why(); log.addHandler(why); log.propagate = False
d = dkim.DKIM(msg, logger=log)
n = sum(1 for h in d.headers if h[0].lower() == b"dkim-signature")
if n == 0:
    print("none")
for i in range(n):
    why.last = ""
    try:
        ok = d.verify(idx=i, dnsfunc=dnsfunc)
    except dkim.DKIMException as e:
        ok = False; why.last = str(e)
    f = d.signature_fields or {}
    g = lambda k: f.get(k, b"?").decode(errors="replace")
    print("%s d=%s s=%s a=%s%s" % ("pass" if ok else "fail", g(b"d"), g(b"s"),
          g(b"a"), "" if ok else " " + why.last.replace("\n", " ")[:200]))
' "$1" "$DNS_PORT"
}

# dkim_verify_perl FILE - Mail::DKIM verifies every signature, asking the
# test nsd ($DNS_PORT) through its resolver hook (Mail::DKIM::DNS::resolver);
# one line per signature, top to bottom:
# "pass|fail|invalid|temperror|none d=D s=S a=A (detail)"
dkim_verify_perl() {
	perl -e '
use strict; use warnings;
use Mail::DKIM::Verifier; use Mail::DKIM::DNS; use Net::DNS::Resolver;
my ($file, $port) = @ARGV;
Mail::DKIM::DNS::resolver(Net::DNS::Resolver->new(
	nameservers => ["127.0.0.1"], port => $port, recurse => 0,
	udp_timeout => 3, tcp_timeout => 3, retry => 1, usevc => 1));
my $v = Mail::DKIM::Verifier->new;
open(my $fh, "<", $file) or die "$file: $!";
while (my $line = <$fh>) {
	$line =~ s/\r?\n\z//;
	$v->PRINT("$line\015\012");
}
$v->CLOSE;
my @sigs = $v->signatures;
print "none\n" unless @sigs;
for my $s (@sigs) {
	printf "%s d=%s s=%s a=%s (%s)\n", $s->result, $s->domain // "?",
		$s->selector // "?", $s->algorithm // "?", $s->result_detail // "";
}
' "$1" "$DNS_PORT"
}

# dkim_sig_tag VALUE TAG - one tag of a DKIM-Signature value, white space
# removed (h= comes out as "from:to:subject...")
dkim_sig_tag() {
	printf '%s\n' "$1" | tr -d ' \t\r\n' | tr ';' '\n' |
		sed -n "s/^$2=//p" | head -1
}
