#!/bin/bash
# tests/integration/run.sh - run every test_*.sh here, one after the other
#
# Prints each script's output (its summary line "GROUP: N passed, N failed"
# turned into a "# " comment), then "integration: N passed, N failed" summed
# over those summary lines. A script that exits non-zero without reporting
# a failure, or prints no summary, counts as one failure. Exit status 1 on
# any failure.
# Env: AUTHGATE, KEEP_TMP, as in lib.sh; ONLY=name runs test_name.sh only.
dir=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
start=$(date +%s)
for t in "$dir"/test_*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	[ -n "${ONLY:-}" ] && [ "$name" != "test_$ONLY" ] && continue
	echo "# $name"
	out=$(mktemp)
	# each script's own summary line is shown as a "# " comment: tests/run.sh
	# sums every "NAME: N passed, N failed" line, so only ours may look so
	bash "$t" 2>&1 | tee "$out" |
		sed -E 's/^([A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed)$/# \1/'
	rc=${PIPESTATUS[0]}
	summary=$(grep -E '^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
	rm -f "$out"
	if [ -z "$summary" ]; then
		echo "not ok - $name: no summary line (exit status $rc)"
		failed=$((failed + 1))
		continue
	fi
	p=$(echo "$summary" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\1/')
	f=$(echo "$summary" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\2/')
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name: exit status $rc with no failure reported"
		failed=$((failed + 1))
	fi
done
echo "# integration tests took $(($(date +%s) - start))s"
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
