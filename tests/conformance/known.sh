# tests/conformance/known.sh - sourced by the run-*.sh runners (sh)
#
# known_summarise NAME OUT KNOWN QUALIFY - read a runner's output OUT
# ("FAIL <id>: got ..., want ..." lines and "NAME: N passed, N failed"),
# print its other lines, each failure as known (listed in KNOWN) or not,
# and the group's summary line, which counts listed failures apart and
# never as passes. QUALIFY "yes": a failure is listed as `NAME/<id>`;
# otherwise the bare <id> anywhere in KNOWN. Returns 1 when a failure is
# not listed, 2 when OUT has no summary line.
known_summarise() {
	ks_name=$1
	ks_out=$2
	ks_known=$3
	ks_raw=$(grep -E "^$ks_name: [0-9]+ passed, [0-9]+ failed" "$ks_out")
	[ -n "$ks_raw" ] || return 2
	ks_passed=$(echo "$ks_raw" | sed 's/^[^:]*: \([0-9]*\) passed.*/\1/')
	ks_failed=$(echo "$ks_raw" | sed 's/^.* \([0-9]*\) failed.*/\1/')
	grep -v -e '^FAIL ' -e "^$ks_name: [0-9]* passed" "$ks_out"
	ks_known_n=0
	ks_new_n=0
	while IFS= read -r ks_line; do
		[ -n "$ks_line" ] || continue
		ks_id=$(printf '%s\n' "$ks_line" | sed 's/^FAIL \(.*\): got .*/\1/')
		ks_pat=$ks_id
		[ "$4" = yes ] && ks_pat="\`$ks_name/$ks_id\`"
		if grep -qF -- "$ks_pat" "$ks_known" 2>/dev/null; then
			echo "  known failure: $ks_line"
			ks_known_n=$((ks_known_n + 1))
		else
			echo "  FAILED: $ks_line"
			ks_new_n=$((ks_new_n + 1))
		fi
	done <<KSEOF
$(grep '^FAIL ' "$ks_out")
KSEOF
	echo "$ks_name: $ks_passed passed, $ks_new_n failed ($ks_known_n known failures listed in tests/KNOWN_FAILURES.md; $ks_passed of $((ks_passed + ks_failed)) cases pass)"
	[ $ks_new_n -eq 0 ]
}
