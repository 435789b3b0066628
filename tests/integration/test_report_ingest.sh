#!/bin/bash
# test_report_ingest.sh - authgate-report ingest on real provider
# samples and on hostile input
#
# report_samples: every sample in ../shared/testsuites/dmarc-reports and
#   mail-auth-stalwart/{dmarc-feedback,arf} is stored with its real record
#   and message counts, or refused with a clear message (our decisions for
#   the broken ones are in the table below); a second ingest stores nothing
#   twice; stdin works as a mail alias would use it.
# report_hostile: XML bombs, external entities, gzip and zip bombs, deep
#   nesting, wrong schema, over-limit values, broken MIME: each refused
#   with a message, no rows written, no crash, bounded time.
. "$(dirname "$0")/lib.sh"
it_init report_ingest
it_require sqlite3 python3
REP="${AG_BUILD:-$ROOT/build}/authgate-report"
[ -x "$REP" ] || it_die "authgate-report not built at $REP (make tests)"
S="$ROOT/../shared/testsuites"
[ -d "$S/dmarc-reports" ] || it_die "missing $S/dmarc-reports (../shared beside the project)"
DB="$T/store.sqlite"
Q() { sqlite3 "$DB" "$1"; }

# ingest_one FILE - ingest into $DB; output in $OUT, status in $RC
ingest_one() {
	OUT=$("$REP" -s "$DB" ingest "$1" 2>&1)
	RC=$?
}

# stored FILE ORG REPORTID RECORDS MESSAGES
stored() {
	local f=$1 org=$2 id=$3 recs=$4 msgs=$5 name
	name=$(basename "$f")
	ingest_one "$f"
	assert_eq "$name: exit 0" "$RC" 0
	assert_eq "$name: $recs record(s), $msgs message(s) stored for $org/$id" \
		"$(Q "SELECT count(*) || ' ' || coalesce(sum(c.count), 0) FROM feedback_records c JOIN feedback_reports r ON r.id = c.report WHERE r.org_name = '$org' AND r.report_id = '$id'")" \
		"$recs $msgs"
}

# refused FILE ERE - refused with a message matching ERE, nothing stored
refused() {
	local f=$1 re=$2 name before
	name=$(basename "$f")
	before=$(Q "SELECT (SELECT count(*) FROM feedback_reports) || '/' || (SELECT count(*) FROM feedback_records) || '/' || (SELECT count(*) FROM failure_reports)")
	ingest_one "$f"
	assert_eq "$name: exit 1 (refused)" "$RC" 1
	assert_match "$name: refused: $re" "$OUT" "refused: .*$re"
	assert_eq "$name: no rows written" \
		"$(Q "SELECT (SELECT count(*) FROM feedback_reports) || '/' || (SELECT count(*) FROM feedback_records) || '/' || (SELECT count(*) FROM failure_reports)")" "$before"
}

A="$S/dmarc-reports/aggregate"
"$REP" -s "$DB" ingest /dev/null >/dev/null 2>&1	# creates the tables
# counts read off each file (records = <record> elements, messages = the
# sum of <count>), e.g. xmllint --xpath 'sum(//count)'
stored "$A/!example.com!1538204542!1538463818.xml" accurateplastics.com example.com:1538463741 1 1
stored "$A/!large-example.com!1711897200!1711983600.xml" accurateplastics.com example.com:1711897200 2286 2286
stored "$A/Report domain- borschow.com Submitter- google.com Report-ID- 949348866075514174.eml" google.com 949348866075514174 1 1
stored "$A/addisonfoods.com!example.com!1536105600!1536191999.xml" addisonfoods.com 3ceb5548498640beaeb47327e202b0b9 1 1
stored "$A/empty_reason.xml" example.org 20240125141224705995 1 2
stored "$A/estadocuenta1.infonacot.gob.mx!example.com!1536853302!1536939702!2940.xml.zip" "XYZ Corporation" 2940 1 1
stored "$A/example.net!example.com!1529366400!1529452799.xml" example.net b043f0e264cf4ea995e93765242f6dfb 1 1
stored "$A/fastmail.com!example.com!1516060800!1516147199!102675056.xml.gz" "FastMail Pty Ltd" 102675056 1 1
stored "$A/mimecast-weird-gzip.eml" Mimecast 157a5fe30ec76f4bc0d8bccfc96c118a167a1280fee7c7465af5115e73082e5e 1 1
stored "$A/old_draft_from_wiki.xml" acme.com 9391651994964116463 1 2
stored "$A/protection.outlook.com!example.com!1711756800!1711843200.xml" Outlook.com cfeafefe4129445e8c81018bd9177197 1 1
stored "$A/rfc9990-example.net!example.com!1700000000!1700086399.xml" example.net dmarcbis-test-report-001 2 7
stored "$A/rfc9990-sample.xml" "Sample Reporter" 3v98abbp8ya9n3va8yr8oa3ya 1 123
stored "$A/twilight.eml" google.com 1627703331531660819 1 1
stored "$A/usssa.com!example.com!1538784000!1538870399.xml" usssa.com 8953b4d4a4ee4218b6ac0e2cb2667ee1 2 2
stored "$A/veeam.com!example.com!1530133200!1530219600.xml" veeam.com sonexushealth.com:1530233361 1 1
stored "$S/dmarc-reports/invalid/report_with_upper_cased_pass.xml" example.com aggr_report_example.com_20191202_1638 1 1
assert_eq "upper-cased Pass stored lower case" \
	"$(Q "SELECT DISTINCT c.dkim FROM feedback_records c JOIN feedback_reports r ON r.id = c.report WHERE r.report_id = 'aggr_report_example.com_20191202_1638'")" pass
O="$S/dmarc-reports/opendmarc"
stored "$O/163.com!example.com!1337270400!1337356799.20120518163.xml" 163.com aggr_report_example.com_20120518_163.com 50 92
stored "$O/good.com!example.com!1337270400!1337356799.xml" 126.com aggr_report_example.com_20120518_126.com 754 183934
stored "$O/yeah.net!example.com!1337270400!1337356799.20120518.xml" yeah.net aggr_report_example.com_20120518_yeah.net 254 21679
assert_eq "fractional timestamps (1337270400.0) read as integers" \
	"$(Q "SELECT date_begin FROM feedback_reports WHERE org_name = '163.com'")" 1337270400
# the broken ones: not well-formed XML is refused, never half-read
refused "$A/ikea.com!example.de!1538690400!1538776800.xml" 'not well-formed XML at line 47'
refused "$A/invalid_utf_8.xml" 'not well-formed XML at line 31: Input is not proper UTF-8'
refused "$A/invalid_xml.xml" 'not well-formed XML at line 31'
refused "$O/bad.com!example.com!1337140800!1337227200.xml" 'not well-formed XML'
# an Exim failure report in plain text has no ARF part: nothing to read
refused "$S/dmarc-reports/failure/exim_plain_text_only_no_arf_part.eml" 'no DMARC report found in the message'
F="$S/dmarc-reports/failure"
for f in "$F/DMARC Failure Report for domain.de (mail-from=sharepoint@domain.de, ip=10.10.10.10).eml" \
	"$F/[Netease DMARC Failure Report] Rent Reminder.eml" "$F/dmarc_ruf_report_linkedin.eml" \
	"$F/dmarc_ruf_report_linkedin.crlf.eml"; do
	ingest_one "$f"
	assert_match "$(basename "$f"): failure report stored" "$OUT" 'stored: auth-failure failure report'
done
assert_eq "failure reports: source IP and reported domain of the Netease one" \
	"$(Q "SELECT source_ip || ' ' || reported_domain || ' ' || feedback_type FROM failure_reports WHERE user_agent LIKE 'NtesDmarc%'")" \
	"167.89.69.24 cardinal.com auth-failure"
SF="$S/mail-auth-stalwart/dmarc-feedback"
for n in 002 003 005 100 101 102 103 104; do
	f=$SF/$n.xml
	[ -f "$f" ] || f=$SF/$n.eml
	ingest_one "$f"
	assert_eq "stalwart $n: stored" "$RC" 0
	want=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["record"]), sum(r["row"]["count"] for r in d["record"]))' "$SF/$n.json")
	id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["report_metadata"]["report_id"])' "$SF/$n.json")
	assert_eq "stalwart $n: records and messages as in $n.json" \
		"$(Q "SELECT count(*) || ' ' || sum(c.count) FROM feedback_records c JOIN feedback_reports r ON r.id = c.report WHERE r.report_id = '$id'")" "$want"
done
for n in 001 002 003 004 005; do
	ingest_one "$S/mail-auth-stalwart/arf/$n.eml"
	want=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["feedback_type"].lower().replace("authfailure","auth-failure"), d["source_ip"] or "", d["user_agent"] or "")' "$S/mail-auth-stalwart/arf/$n.json")
	assert_eq "stalwart arf $n: type, source IP and agent as in $n.json" \
		"$(Q "SELECT feedback_type || ' ' || source_ip || ' ' || user_agent FROM failure_reports WHERE source LIKE '%arf/$n.eml'" | sed 's/  */ /g')" \
		"$(echo "$want" | sed 's/  */ /g')"
done
# a second run over everything: duplicates only
N1=$(Q 'SELECT count(*) FROM feedback_records')
"$REP" -s "$DB" ingest "$A" "$O" "$F" >"$T/again.out" 2>&1
assert_match "second ingest: nothing stored again" "$(tail -1 "$T/again.out")" \
	'^0 aggregate report\(s\) stored, [0-9]+ duplicate\(s\); 0 failure report\(s\) stored'
assert_eq "second ingest: no new records" "$(Q 'SELECT count(*) FROM feedback_records')" "$N1"
# as a mail alias: the whole message on stdin
"$REP" -s "$T/alias.sqlite" ingest - <"$SF/102.eml" >"$T/alias.out" 2>&1
assert_eq "stdin (mail alias): exit 0" "$?" 0
assert_eq "stdin (mail alias): report stored" \
	"$(sqlite3 "$T/alias.sqlite" 'SELECT org_name FROM feedback_reports')" Mail.Ru
mkdir -p "$T/Maildir/cur" "$T/Maildir/new" "$T/Maildir/tmp"
cp "$SF/100.eml" "$T/Maildir/new/1.host"
cp "$SF/103.eml" "$T/Maildir/cur/2.host:2,S"
{ printf 'From a@b Thu Jan  1 00:00:00 2026\n'; cat "$SF/101.eml"; printf '\nFrom c@d Thu Jan  1 00:00:00 2026\n'; cat "$SF/104.eml"; } >"$T/mbox"
"$REP" -s "$T/box.sqlite" ingest "$T/Maildir" "$T/mbox" >"$T/box.out" 2>&1
assert_eq "Maildir and mbox: four reports from four messages" \
	"$(sqlite3 "$T/box.sqlite" 'SELECT count(*) FROM feedback_reports')" 4

# ------------------------------------------------------------- hostile
export SAMPLE="$A/example.net!example.com!1529366400!1529452799.xml"
H="$T/hostile"
mkdir -p "$H"
python3 - "$H" <<'PYEOF'
import gzip, io, os, sys, zipfile, zlib
h = sys.argv[1]
def w(name, data):
    open(os.path.join(h, name), "wb").write(data if isinstance(data, bytes) else data.encode())
good = open(os.path.join(os.environ["SAMPLE"]), "rb").read()
w("bomb.xml", '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">' +
  "".join('<!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1) if i else "&lol;") * 10) for i in range(10)) +
  ']>\n<feedback><report_metadata><org_name>&lol9;</org_name></report_metadata></feedback>\n')
w("bomb-utf16.xml", ('<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">' +
  "".join('<!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1) if i else "&lol;") * 10) for i in range(10)) +
  ']>\n<feedback><report_metadata><org_name>&lol9;</org_name></report_metadata></feedback>\n').encode("utf-16"))
w("xxe.xml", '<?xml version="1.0"?>\n<!DOCTYPE f [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<feedback><report_metadata><org_name>&x;</org_name></report_metadata></feedback>\n')
# 1 GB of zeros as gzip, made in pieces
c = zlib.compressobj(9, zlib.DEFLATED, 31)
out = [c.compress(b"\0" * (1 << 20)) for _ in range(1024)]
out.append(c.flush())
w("gzip-bomb.xml.gz", b"".join(out))
z = io.BytesIO()
with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
    with zf.open("bomb.xml", "w") as e:
        for _ in range(80):
            e.write(b" " * (1 << 20))
w("zip-bomb.zip", z.getvalue())
z = io.BytesIO()
with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
    for i in range(100):
        zf.writestr("r%d.xml" % i, good)
w("zip-100-entries.zip", z.getvalue())
d = good
for _ in range(10):
    d = gzip.compress(d)
w("gzip-nested-10.gz", d)
w("gzip-truncated.xml.gz", gzip.compress(good)[:200])
w("deep.xml", "<feedback>" + "<a>" * 100000 + "</a>" * 100000 + "</feedback>")
w("wrong-root.xml", '<?xml version="1.0"?><report><org_name>x</org_name></report>')
w("no-report-id.xml", good.decode().replace("<report_id>", "<x>").replace("</report_id>", "</x>"))
w("bad-count.xml", good.decode().replace("<count>", "<count>abc", 1))
w("huge-value.xml", good.decode().replace("<org_name>", "<org_name>" + "A" * 100000, 1))
w("truncated.xml", good[: len(good) // 2])
w("empty.xml", b"")
w("garbage.bin", os.urandom(4096))
parts = "".join("--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i for i in range(200))
w("mime-200-parts.eml", "From: a@b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" + parts + "--b--\r\n")
w("mime-open-boundary.eml", "From: a@b\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: application/gzip\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n")
PYEOF
[ -f "$H/deep.xml" ] || it_die "could not build the hostile inputs"
GOOD_COUNT=$(Q 'SELECT count(*) FROM feedback_records')
# hostile NAME ERE
hostile() {
	local f="$H/$1" t0 t1
	t0=$(date +%s)
	OUT=$(timeout 60 "$REP" -s "$DB" ingest "$f" 2>&1)
	RC=$?
	t1=$(date +%s)
	check "$1: no crash or hang (exit $RC)" test "$RC" -eq 1
	assert_match "$1: refused: $2" "$OUT" "refused: .*$2"
	assert_eq "$1: no rows written" "$(Q 'SELECT count(*) FROM feedback_records')" "$GOOD_COUNT"
}
export SAMPLE="$A/example.net!example.com!1529366400!1529452799.xml"
hostile bomb.xml 'DOCTYPE or entity declarations are not allowed'
hostile bomb-utf16.xml 'DOCTYPE or entity declarations are not allowed'
hostile xxe.xml 'DOCTYPE or entity declarations are not allowed'
hostile gzip-bomb.xml.gz 'gzip expands more than 1000 times'
hostile zip-bomb.zip 'zip entry expands (past 64 MB|more than 1000 times)'
hostile zip-100-entries.zip 'zip has 100 entries, more than 32'
hostile gzip-nested-10.gz 'containers nested more than 6 deep'
hostile gzip-truncated.xml.gz 'gzip stream is truncated'
hostile deep.xml 'not well-formed XML'
hostile wrong-root.xml 'the root element is <report>, not <feedback>'
hostile no-report-id.xml 'empty or missing <report_id>'
hostile bad-count.xml '<count> in <record> 1 is not a number: "abc'
hostile huge-value.xml '<org_name> is longer than 4096 bytes'
hostile truncated.xml 'not well-formed XML'
hostile empty.xml 'empty'
hostile garbage.bin 'not a DMARC report'
hostile mime-200-parts.eml 'more than 100 MIME parts'
hostile mime-open-boundary.eml 'not a DMARC report'
it_finish
