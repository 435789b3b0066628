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
#   blackhole_start                 a UDP+TCP port that never answers
#                                   -> $BLACKHOLE_PORT
#   ag_config NAME [LINE...]        write $T/NAME.conf: defaults, with each
#                                   "Key value" LINE replacing that key's
#                                   default (or appended); "-Key" drops it
#   ag_start NAME [LINE...]         ag_config + start authgate in the
#                                   background -> $AG_PORT (and AG_PORTS[NAME])
#                                   "Socket unix:$T/run/NAME.sock" works too
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
#   pf_add_smtpd NAME MILTER        another smtpd listener whose
#                                   smtpd_milters is MILTER ("" for none)
#                                   -> $PF_LAST_PORT (and PF_PORTS[NAME]);
#                                   before or after pf_start
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
#
# Variables: ROOT (project root), AUTHGATE, T, IT_DIR, ZONES_DIR, DNS_PORT,
#   BLACKHOLE_PORT, PF_PORT, PF_CONF, MAIL_DOMAIN (authgate.test),
#   AG_AUTHSERV (mx.authgate.test, the default AuthservID).

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
declare -A PF_PORTS=() PF_MILTERS=()
PF_NAMES=()
PF_RUNNING=0
IT_BG_PIDS=()

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
	local rc=$?
	trap - EXIT INT TERM HUP
	trap '' PIPE	# our stdout may be gone: finish the cleanup anyway
	if [ "$IT_FINISHED" -eq 0 ] && [ -n "$IT_GROUP" ]; then
		# died half-way (set -e, a bash error, a signal): say so loudly
		not_ok "$IT_GROUP" "test script ended early (status $rc)"
		it_summary
		rc=1
	fi
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
	control-enable: no
EOF
	for f in "$ZONES_DIR"/*.zone; do
		[ -e "$f" ] || it_die "no zone files in $ZONES_DIR"
		zone=$(basename "$f" .zone)
		printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' \
			"$zone" "$(basename "$f")" >>"$d/nsd.conf"
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
			return 0
		fi
		kill -0 "$DNS_PID" 2>/dev/null || break
		sleep 0.1
	done
	it_die "nsd did not answer on port $DNS_PORT: $(it_short "$(tail -5 "$d/nsd.log" "$d/stdout" 2>/dev/null)")"
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

# ag_config NAME [LINE...] - the defaults below; a LINE "Key value"
# replaces the default for Key (first word, case-insensitive) or is appended;
# "-Key" removes it. Keys keep their order, so line numbers are predictable.
ag_config() {
	local name=$1 port line key k i found drop
	shift
	port=${AG_PORTS[$name]:-}
	if [ -z "$port" ]; then
		free_port || it_die "no free port for authgate $name"
		port=$FREE_PORT
		AG_PORTS[$name]=$port
	fi
	local -a lines=(
		"Socket inet:$port@127.0.0.1"
		"User authgate"
		"PidFile $T/run/$name.pid"
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
	local name=$1 i
	shift
	[ -n "${AG_PIDS[$name]:-}" ] && it_die "authgate $name started twice"
	ag_config "$name" "$@"
	AG_PORT=${AG_PORTS[$name]}
	"$AUTHGATE" -f -c "$T/$name.conf" >"$T/$name.log" 2>&1 &
	AG_PIDS[$name]=$!
	for i in $(seq 100); do
		ag_listening "$name" && return 0
		kill -0 "${AG_PIDS[$name]}" 2>/dev/null || break
		sleep 0.1
	done
	it_die "authgate $name did not listen on $(ag_socket "$name"); log: $(it_short "$(tail -20 "$T/$name.log")")"
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
	local name=$1 milter=$2
	pf_setup
	[ -n "${PF_PORTS[$name]:-}" ] && it_die "smtpd listener $name added twice"
	free_port || it_die "no free port for smtpd $name"
	PF_PORTS[$name]=$FREE_PORT
	PF_MILTERS[$name]=$milter
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
