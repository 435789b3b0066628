#!/bin/bash
# test_report_html.sh - authgate-report html in a real browser: the page
# built from a small report store is rendered by headless Chromium, and
# the screenshot must show the three charts (not blank, coloured shapes
# where the charts are), with nothing loaded from outside.
#
# The store: two domains over seven days, three reporting orgs (one
# named like a script tag), sources that pass, fail, and pass SPF/DKIM
# without alignment. The screenshot is kept as docs/report-html.png when
# UPDATE_DOCS=1.
. "$(dirname "$0")/lib.sh"
it_init report_html
it_require sqlite3 chromium python3
REPORT="${AG_BUILD:-$ROOT/${B:-build}}/authgate-report"
[ -x "$REPORT" ] || it_die "authgate-report not built at $REPORT (make)"
/usr/bin/python3 -c 'import PIL' 2>/dev/null ||
	it_die "python3 lacks PIL (python3-pil)"

DB="$T/store.sqlite"
D0=1704067200	# 2024-01-01 00:00 UTC

# store_sql - the tables of report/store.h and the test reports
store_sql() {
	cat <<'SQL'
CREATE TABLE feedback_reports (id INTEGER PRIMARY KEY, org_name TEXT,
  report_id TEXT, email TEXT, extra_contact_info TEXT, date_begin INTEGER,
  date_end INTEGER, domain TEXT, adkim TEXT, aspf TEXT, p TEXT, sp TEXT,
  np TEXT, pct INTEGER, fo TEXT, testing TEXT, version TEXT, errors TEXT,
  source TEXT, ingested INTEGER, UNIQUE (org_name, report_id));
CREATE TABLE feedback_records (id INTEGER PRIMARY KEY, report INTEGER,
  source_ip TEXT, count INTEGER, disposition TEXT, dkim TEXT, spf TEXT,
  reasons TEXT, envelope_to TEXT, envelope_from TEXT, header_from TEXT,
  dkim_pass INTEGER, spf_pass INTEGER);
CREATE TABLE feedback_auth (record INTEGER, kind TEXT, domain TEXT,
  selector TEXT, scope TEXT, result TEXT, human_result TEXT);
SQL
	local day id=0 b
	for day in 0 1 2 3 4 5 6; do
		b=$((D0 + day * 86400))
		# google.com about bank.example: the ESP, a forwarder (SPF
		# and DKIM pass, neither aligned) and a forger that grows
		id=$((id + 1))
		echo "INSERT INTO feedback_reports (id, org_name, report_id,
  date_begin, date_end, domain, p, pct) VALUES ($id, 'google.com',
  'g$day', $b, $((b + 86399)), 'bank.example', 'none', 100);"
		echo "INSERT INTO feedback_records (report, source_ip, count,
  disposition, dkim, spf, dkim_pass, spf_pass) VALUES
  ($id, '192.0.2.10', $((200 + day * 10)), 'none', 'pass', 'pass', 1, 1),
  ($id, '198.51.100.20', 12, 'none', 'fail', 'fail', 1, 1),
  ($id, '203.0.113.66', $((5 + day * 8)), 'none', 'fail', 'fail', 0, 0);"
		# Yahoo about shop.example (p=quarantine)
		id=$((id + 1))
		echo "INSERT INTO feedback_reports (id, org_name, report_id,
  date_begin, date_end, domain, p, pct) VALUES ($id, 'Yahoo', 'y$day',
  $b, $((b + 86399)), 'shop.example', 'quarantine', 100);"
		echo "INSERT INTO feedback_records (report, source_ip, count,
  disposition, dkim, spf, dkim_pass, spf_pass) VALUES
  ($id, '2001:db8::25', $((90 - day * 5)), 'none', 'pass', 'fail', 1, 0),
  ($id, '203.0.113.7', $((day * 4 + 3)), 'quarantine', 'fail', 'fail', 0, 0);"
	done
	# a hostile reporter's name
	id=$((id + 1))
	echo "INSERT INTO feedback_reports (id, org_name, report_id,
  date_begin, date_end, domain, p) VALUES ($id,
  '<script>alert(1)</script>', 'x1', $((D0 + 3 * 86400)),
  $((D0 + 4 * 86400 - 1)), 'bank.example', 'none');"
	echo "INSERT INTO feedback_records (report, source_ip, count,
  disposition, dkim, spf, dkim_pass, spf_pass) VALUES
  ($id, '203.0.113.66', 40, 'reject', 'fail', 'fail', 0, 0);"
}

store_sql | sqlite3 "$DB" || it_die "cannot build the store with sqlite3"

OUT="$T/html"
"$REPORT" -s "$DB" html -o "$OUT" --no-dns >"$T/html.log" 2>&1
assert_eq "authgate-report html exits 0" "$?" 0
check "index.html written" test -s "$OUT/index.html"
PAGE=$(cat "$OUT/index.html" 2>/dev/null)
assert_no_match "no external URL on the page" "$PAGE" 'https?://'
assert_no_match "no script on the page" "$PAGE" '<script'
assert_match "the org name is shown as text" "$PAGE" \
	'&lt;script&gt;alert\(1\)&lt;/script&gt;'

# what the browser built: the three charts with shapes in them
DOM=$(timeout 60 chromium --headless --no-sandbox --disable-gpu \
	--dump-dom "file://$OUT/index.html" 2>/dev/null)
for id in chart-passrate chart-failing chart-disposition; do
	assert_match "DOM has svg#$id with shapes" \
		"$(printf '%s\n' "$DOM" | tr '\n' ' ' |
			sed -n "s#.*\(<svg id=\"$id\"\)#\1#p" |
			sed 's#</svg>.*##')" \
		'<(path|rect|circle)'
done
assert_no_match "DOM: no script element" "$DOM" '<script'

timeout 90 chromium --headless --no-sandbox --disable-gpu \
	--hide-scrollbars --screenshot="$T/shot.png" --window-size=1200,1600 \
	"file://$OUT/index.html" >"$T/chromium.log" 2>&1
check "chromium took a screenshot" test -s "$T/shot.png"

# check_png - one line per check, "ok NAME" or "bad NAME: why"
check_png() {
	/usr/bin/python3 - "$1" <<'PY'
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
w, h = im.size
px = im.load()
print(("ok" if (w, h) == (1200, 1600) else "bad") + " size 1200x1600: %dx%d" % (w, h))
nonwhite = 0
hits = {}
# the charts' colours (report/charts.c): first line (blue), failing bars
# (red), disposition "none" (green), quarantine (orange)
want = {"passrate line": (0x1f, 0x77, 0xb4), "failing bars": (0xd6, 0x27, 0x28),
        "disposition none": (0x2c, 0xa0, 0x2c), "second line": (0xff, 0x7f, 0x0e)}
box = {k: [w, h, -1, -1] for k in want}
for y in range(h):
    for x in range(w):
        p = px[x, y]
        if min(p) < 240:
            nonwhite += 1
        for k, c in want.items():
            if all(abs(p[i] - c[i]) <= 24 for i in range(3)):
                hits[k] = hits.get(k, 0) + 1
                b = box[k]
                b[0] = min(b[0], x); b[1] = min(b[1], y)
                b[2] = max(b[2], x); b[3] = max(b[3], y)
share = nonwhite / float(w * h)
print(("ok" if 0.02 < share < 0.6 else "bad") + " not blank: %.3f non-white" % share)
for k in want:
    n = hits.get(k, 0)
    print(("ok" if n >= 300 else "bad") + " %s drawn: %d pixels" % (k, n))
# a line across the days, not only its legend square
b = box["passrate line"]
print(("ok" if b[2] - b[0] > 300 else "bad") + " pass-rate line spans the days: %d px" % (b[2] - b[0]))
# the charts come in page order: pass rate above failing above dispositions
order = box["passrate line"][1] < box["failing bars"][1] < box["disposition none"][3]
print(("ok" if order else "bad") + " charts in page order")
PY
}

if [ -s "$T/shot.png" ]; then
	while IFS= read -r line; do
		case "$line" in
		ok\ *) ok "screenshot: ${line#ok }" ;;
		*) not_ok "screenshot: ${line#bad }" "pixel check" ;;
		esac
	done < <(check_png "$T/shot.png" 2>&1)
	if [ "${UPDATE_DOCS:-0}" = 1 ]; then
		cp "$T/shot.png" "$ROOT/docs/report-html.png"
	fi
fi

# --csv / --json: the data files beside the page
"$REPORT" -s "$DB" html -o "$OUT" --no-dns --csv --json >>"$T/html.log" 2>&1
assert_eq "html --csv --json exits 0" "$?" 0
for f in sources.csv records.csv sources.json records.json; do
	check "$f written" test -s "$OUT/$f"
done
assert_eq "records.csv: a header and 36 records" \
	"$(wc -l <"$OUT/records.csv" | tr -d ' ')" 37
check "records.json is JSON" /usr/bin/python3 -c \
	'import json,sys; assert len(json.load(open(sys.argv[1]))) == 36' \
	"$OUT/records.json"
check "sources.json is JSON" /usr/bin/python3 -c \
	'import json,sys; json.load(open(sys.argv[1]))' "$OUT/sources.json"

it_finish
