#!/bin/sh
# tests/conformance/run-feedback.sh - DMARC aggregate report parsing and
# writing against third-party data
#
# feedback_stalwart: mail-auth-stalwart/dmarc-feedback (XML and report
#   emails): our parse (build/tools/fb_dump) equals the expected JSON
#   (tests/conformance/feedback_compare.py), one case per file.
# feedback_schema: every sample report that parses (dmarc-reports,
#   opendmarc, stalwart) written again in RFC 7489 format validates with
#   xmllint against tests/schema/rfc7489-appendix-c.xsd, and in RFC 9990
#   format against dmarc-xsd/dmarcbis-aggregate-draft32.xsd; and reading
#   the written report back gives the same records and counts.
# Failures not listed in tests/KNOWN_FAILURES.md as `<group>/<case>` fail
# the group. Environment: B (build directory, default build).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
suites="$root/../shared/testsuites"
B=${B:-build}
case "$B" in
/*) dump="$B/tools/fb_dump" ;;
*) dump="$root/$B/tools/fb_dump" ;;
esac
known="$root/tests/KNOWN_FAILURES.md"
. "$here/known.sh"

die() {
	echo "run-feedback.sh: $*" >&2
	exit 2
}

[ -d "$suites" ] || die "test suites not found at $suites (expected the shared checkout beside the project: ../shared/testsuites)"
[ -x "$dump" ] || die "$dump not built (make tests)"
command -v xmllint >/dev/null || die "xmllint missing (Debian libxml2-utils)"
command -v python3 >/dev/null || die "python3 missing"
tmp=$(mktemp -d) || die "mktemp"
trap 'rm -rf "$tmp"' EXIT
rc=0

# ---------------------------------------------------- feedback_stalwart
out="$tmp/stalwart.out"
: >"$out"
p=0
f=0
n=0
for want in "$suites"/mail-auth-stalwart/dmarc-feedback/*.json; do
	b=${want%.json}
	src=$b.xml
	[ -f "$src" ] || src=$b.eml
	id=$(basename "$src")
	n=$((n + 1))
	if ! "$dump" "$src" >"$tmp/got.json" 2>"$tmp/err"; then
		echo "FAIL $id: got refused ($(cat "$tmp/err")), want parsed" >>"$out"
		f=$((f + 1))
	elif python3 "$here/feedback_compare.py" "$tmp/got.json" "$want" \
		>"$tmp/diff"; then
		p=$((p + 1))
	else
		echo "FAIL $id: got $(tr '\n' ';' <"$tmp/diff"), want the values of $(basename "$want")" >>"$out"
		f=$((f + 1))
	fi
done
[ "$n" -ge 10 ] || die "expected 10 stalwart dmarc-feedback cases, found $n"
echo "feedback_stalwart: $p passed, $f failed" >>"$out"
known_summarise feedback_stalwart "$out" "$known" yes || rc=1

# ------------------------------------------------------ feedback_schema
out="$tmp/schema.out"
: >"$out"
p=0
f=0
x7489="$root/tests/schema/rfc7489-appendix-c.xsd"
xbis="$suites/dmarc-xsd/dmarcbis-aggregate-draft32.xsd"
[ -f "$xbis" ] || die "missing $xbis"
for src in "$suites"/dmarc-reports/aggregate/* "$suites"/dmarc-reports/opendmarc/*.xml \
	"$suites"/dmarc-reports/invalid/*.xml "$suites"/mail-auth-stalwart/dmarc-feedback/*.xml \
	"$suites"/mail-auth-stalwart/dmarc-feedback/*.eml; do
	"$dump" "$src" >"$tmp/orig.json" 2>/dev/null || continue
	id=$(basename "$src")
	for fmt in 7489 bis; do
		xsd=$x7489
		[ "$fmt" = bis ] && xsd=$xbis
		if ! "$dump" --write "$fmt" "$src" >"$tmp/w.xml" 2>"$tmp/err"; then
			echo "FAIL $id/$fmt: got write error $(cat "$tmp/err"), want a report" >>"$out"
			f=$((f + 1))
			continue
		fi
		if ! xmllint --noout --schema "$xsd" "$tmp/w.xml" >"$tmp/err" 2>&1; then
			echo "FAIL $id/$fmt: got $(head -3 "$tmp/err" | tr '\n' ';'), want valid" >>"$out"
			f=$((f + 1))
			continue
		fi
		# read back: same report id, records and messages
		if "$dump" "$tmp/w.xml" >"$tmp/back.json" 2>"$tmp/err" &&
			python3 - "$tmp/orig.json" "$tmp/back.json" <<'PYEOF'
import json, sys
a, b = (json.load(open(x)) for x in sys.argv[1:3])
keys = lambda d: (d["org_name"], d["report_id"], d["domain"], d["begin"],
                  d["end"], d["total_count"], len(d["records"]),
                  [(r["count"], r["header_from"]) for r in d["records"]])
sys.exit(0 if keys(a) == keys(b) else 1)
PYEOF
		then
			p=$((p + 1))
		else
			echo "FAIL $id/$fmt: got a different report when read back, want the same records" >>"$out"
			f=$((f + 1))
		fi
	done
done
[ "$p" -ge 40 ] || echo "FAIL coverage: got $p validated reports, want at least 40" >>"$out"
echo "feedback_schema: $p passed, $f failed" >>"$out"
known_summarise feedback_schema "$out" "$known" yes || rc=1
exit $rc
