#!/bin/sh
# tests/conformance/run-dkim-interop.sh - DKIM interoperability with two
# independent implementations from Debian: dkimpy (python3-dkim) and
# Mail::DKIM (libmail-dkim-perl).
#
# Forward: messages signed by authgate (dkim_sign_tool: RSA-2048 and
# Ed25519 keys from dkim/keygen, both on each message; relaxed/relaxed
# and simple/simple) must verify as pass with dkimpy and Mail::DKIM, and
# fail once the body is altered. Messages: plain, multipart, 8-bit,
# long-line and trailing-whitespace, each with LF and with CRLF line ends.
# Reverse: the same messages signed by dkimpy (RSA and Ed25519, keys from
# dknewkey) and by Mail::DKIM (RSA) must verify as pass with authgate's
# verifier (dkim_verify_tool), and as fail once altered.
#
# Known gap: Mail::DKIM 1.20230212 (Debian 12) has no ed25519-sha256, so
# its Ed25519 checks are counted as skipped, not passed (listed by name).
#
# Prints "dkim-interop: N passed, N failed, N skipped" and the failing
# case names. Environment: AG_BUILD (the build directory, else build/).

cd "$(dirname "$0")/../.." || exit 2
BIN=${AG_BUILD:-$PWD/${B:-build}}/tests
SIGN=$BIN/dkim_sign_tool
VERIFY=$BIN/dkim_verify_tool
PY=/usr/bin/python3
HELP=$PWD/tests/conformance
pass=0
fail=0
skip=0
failed=""
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

# result NAME GOT WANT - count one check
result() {
	if [ "$2" = "$3" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed="$failed $1"
		echo "FAIL $1: got '$2', want '$3'"
	fi
}

# nth N TEXT - line N of TEXT, its first word only
nth() {
	printf '%s\n' "$2" | sed -n "${1}p" | cut -d' ' -f1
}

# ours RECORDS MESSAGE - authgate's first verdict, or "exit N" when the
# verifier failed (a crash or a sanitizer report counts as a failure)
ours() {
	vout=$("$VERIFY" "$1" "$2" 2>"$tmp/verr")
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "exit $rc: $(head -c 200 "$tmp/verr")"
	else
		printf '%s\n' "$vout" | sed -n 1p | cut -d' ' -f1
	fi
}

# tamper FILE OUT - the body word TAMPERME changed after signing
tamper() {
	sed 's/TAMPERME/TAMPERED/' "$1" >"$2"
}

for tool in "$SIGN" "$PY" /usr/bin/perl; do
	if [ ! -x "$tool" ]; then
		echo "dkim-interop: 0 passed, 1 failed (missing $tool)"
		exit 1
	fi
done

# ---- messages (LF; CRLF copies made below) ----
M=$tmp/msg
mkdir -p "$M"
hdr() {
	printf 'From: Joe Example <joe@example.com>\n'
	printf 'To: Ann <ann@example.org>\n'
	printf 'Subject: %s\n' "$1"
	printf 'Date: Mon, 1 Jan 2024 10:00:00 +0000\n'
	printf 'Message-ID: <%s@example.com>\n' "$1"
}
{
	hdr plain
	printf '\nHello TAMPERME,\nthis is a plain message.\n'
} >"$M/plain"
{
	hdr multipart
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: multipart/alternative;\n\tboundary="b1"\n\n'
	printf 'preamble\n--b1\nContent-Type: text/plain; charset=us-ascii\n\n'
	printf 'TAMPERME text part\n--b1\nContent-Type: text/html\n\n'
	printf '<p>html part</p>\n--b1--\nepilogue\n'
} >"$M/multipart"
{
	hdr 8bit
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=utf-8\n'
	printf 'Content-Transfer-Encoding: 8bit\n\n'
	printf 'Gr\303\274\303\237e TAMPERME, caf\303\251 \342\202\254 \360\237\230\200\n'
} >"$M/8bit"
{
	hdr longline
	printf 'X-Long: %s\n' "$(printf 'word%.0s ' $(seq 1 60))"
	printf '\nTAMPERME %s\n' "$(printf 'x%.0s' $(seq 1 900))"
} >"$M/longline"
{
	hdr trailing-ws
	printf 'X-Spaces:   value with trailing space   \n'
	printf '\nTAMPERME line with spaces   \nline with tab\t\n   \n\t\n'
	printf 'inner  double   spaces\n\n\n\n'
} >"$M/trailing-ws"
for m in plain multipart 8bit longline trailing-ws; do
	mv "$M/$m" "$M/$m-lf"
	sed 's/$/\r/' "$M/$m-lf" >"$M/$m-crlf"
done

# ---- forward: authgate signs, dkimpy and Mail::DKIM verify ----
K=$tmp/keys
mkdir -p "$K"
if ! "$SIGN" --keygen rsa 2048 "$K/rsa.pem" example.com agrsa \
	>"$K/rsa.out" ||
	! "$SIGN" --keygen ed25519 0 "$K/ed.pem" example.com aged \
		>"$K/ed.out"; then
	echo "dkim-interop: 0 passed, 1 failed (keygen)"
	exit 1
fi
{
	echo "agrsa._domainkey.example.com $(head -1 "$K/rsa.out")"
	echo "aged._domainkey.example.com $(head -1 "$K/ed.out")"
} >"$K/records"

for f in "$M"/*; do
	m=$(basename "$f")
	for c in relaxed/relaxed simple/simple; do
		cn=${c%%/*}
		out=$tmp/signed-$m-$cn
		if ! "$SIGN" -c "$c" "$f" "$K/rsa.pem" example.com agrsa \
			"$K/ed.pem" example.com aged >"$out" 2>"$tmp/err"; then
			result "sign/$m/$cn" "$(cat "$tmp/err")" signed
			continue
		fi
		tamper "$out" "$out.t"
		py=$("$PY" "$HELP/dkim_interop.py" verify "$K/records" "$out")
		pyt=$("$PY" "$HELP/dkim_interop.py" verify "$K/records" "$out.t")
		pl=$(perl "$HELP/dkim_interop.pl" verify "$K/records" "$out")
		plt=$(perl "$HELP/dkim_interop.pl" verify "$K/records" "$out.t")
		result "ours->dkimpy/$m/$cn/rsa" "$(nth 1 "$py")" pass
		result "ours->dkimpy/$m/$cn/ed25519" "$(nth 2 "$py")" pass
		result "ours->dkimpy/$m/$cn/rsa/tampered" "$(nth 1 "$pyt")" fail:
		result "ours->dkimpy/$m/$cn/ed25519/tampered" \
			"$(nth 2 "$pyt")" fail:
		result "ours->maildkim/$m/$cn/rsa" "$(nth 1 "$pl")" pass
		result "ours->maildkim/$m/$cn/rsa/tampered" "$(nth 1 "$plt")" fail
		skip=$((skip + 2))
	done
done

# ---- reverse: dkimpy and Mail::DKIM sign, authgate verifies ----
if [ ! -x "$VERIFY" ]; then
	result "reverse/dkim_verify_tool" missing built
else
	(cd "$K" && dknewkey pyrsa >/dev/null 2>&1 &&
		dknewkey --ktype ed25519 pyed >/dev/null 2>&1)
	{
		cat "$K/records"
		echo "pyrsa._domainkey.example.com $(cat "$K/pyrsa.dns")"
		echo "pyed._domainkey.example.com $(cat "$K/pyed.dns")"
	} >"$K/records2"
	for f in "$M"/*; do
		m=$(basename "$f")
		for a in rsa ed; do
			alg=rsa-sha256
			[ "$a" = ed ] && alg=ed25519-sha256
			out=$tmp/py-$m-$a
			"$PY" "$HELP/dkim_interop.py" sign "$K/py$a.key" \
				example.com "py$a" "$alg" "$f" >"$out"
			tamper "$out" "$out.t"
			result "dkimpy->ours/$m/$a" \
				"$(ours "$K/records2" "$out")" pass
			result "dkimpy->ours/$m/$a/tampered" \
				"$(ours "$K/records2" "$out.t")" fail
		done
		out=$tmp/pl-$m
		perl "$HELP/dkim_interop.pl" sign "$K/rsa.pem" example.com agrsa \
			"$f" >"$out"
		tamper "$out" "$out.t"
		result "maildkim->ours/$m/rsa" \
			"$(ours "$K/records2" "$out")" pass
		result "maildkim->ours/$m/rsa/tampered" \
			"$(ours "$K/records2" "$out.t")" fail
	done
fi

[ -n "$failed" ] && echo "failed:$failed"
[ "$skip" -ne 0 ] && echo "skipped: ours->maildkim/*/ed25519 and" \
	"its tampered twins ($skip checks): Mail::DKIM has no ed25519-sha256"
echo "dkim-interop: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
