#!/bin/sh
# tests/conformance/run-dmarc.sh - run the DMARC and PSL conformance tables
#
# Runs $B/tests/dmarc_suite on ../shared/testsuites/dmarc-mail-dmarc (record
# parsing, tag values, real-world records, org domain incl. the tree walk,
# From header, alignment, evaluation) and ../shared/testsuites/psl/test_psl.txt (against
# Debian's publicsuffix list), one summary line per group. Exits 0 when
# every failing case is listed in tests/KNOWN_FAILURES.md as
# `<group>/<case>`, 1 when one is not, 2 when the data or the runner is
# missing. Environment: B (build directory, default build).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
suites="$here/../../../shared/testsuites"
B=${B:-build}
case "$B" in
/*) runner="$B/tests/dmarc_suite" ;;
*) runner="$root/$B/tests/dmarc_suite" ;;
esac
known="$root/tests/KNOWN_FAILURES.md"
. "$here/known.sh"

die() {
	echo "run-dmarc.sh: $*" >&2
	exit 2
}

md="$suites/dmarc-mail-dmarc"
[ -d "$suites" ] || die "test suites not found at $suites (expected the shared checkout beside the project: ../shared/testsuites)"
for f in policy-record-cases.tsv policy-tag-values.tsv real-world-records.txt \
	org-domain-cases.tsv from-header-cases.tsv alignment-cases.tsv evaluation-cases.tsv mock-zone.txt; do
	[ -f "$md/$f" ] || die "missing $md/$f"
done
[ -f "$suites/psl/test_psl.txt" ] || die "missing $suites/psl/test_psl.txt"
[ -x "$runner" ] || die "runner $runner not built (make $B/tests/dmarc_suite)"

tmp=$(mktemp -d) || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT INT TERM

status=0
while read -r mode file zone; do
	name=dmarc-$mode
	if [ -n "$zone" ]; then
		"$runner" "$mode" "$file" "$zone" >"$tmp/out"
	else
		"$runner" "$mode" "$file" >"$tmp/out"
	fi
	rc=$?
	[ $rc -le 1 ] || die "$name: runner failed (exit $rc)"
	known_summarise "$name" "$tmp/out" "$known" yes
	case $? in
	0) ;;
	2) die "$name: runner printed no summary" ;;
	*) status=1 ;;
	esac
done <<EOF3
record $md/policy-record-cases.tsv
tags $md/policy-tag-values.tsv
realworld $md/real-world-records.txt
psl $suites/psl/test_psl.txt
orgdomain $md/org-domain-cases.tsv $md/mock-zone.txt
from $md/from-header-cases.tsv
alignment $md/alignment-cases.tsv
evaluation $md/evaluation-cases.tsv $md/mock-zone.txt
EOF3
[ $status -eq 0 ] || echo "run-dmarc.sh: failures not listed in tests/KNOWN_FAILURES.md" >&2
exit $status
