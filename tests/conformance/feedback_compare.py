#!/usr/bin/env python3
"""feedback_compare.py GOT.json WANT.json - compare fb_dump's model of a
DMARC aggregate report with mail-auth's (stalwart) expected parse.

Expected files write enumerations as Rust enum names ("Pass", "MailFrom",
"TrustedForwarder", "Relaxed", "Unspecified"); they are mapped to the
report's own words. null and "Unspecified" mean absent (our ""). Prints
nothing and exits 0 on a match, else one line per difference, exit 1."""
import json
import sys

WORDS = {"mailfrom": "mfrom", "relaxed": "r", "strict": "s",
         "trustedforwarder": "trusted_forwarder",
         "localpolicy": "local_policy", "mailinglist": "mailing_list",
         "sampledout": "sampled_out", "policytestmode": "policy_test_mode",
         "temperror": "temperror", "permerror": "permerror",
         "softfail": "softfail", "unspecified": ""}


def word(v):
    """an enumeration value as the report writes it"""
    if v is None:
        return ""
    v = str(v).lower()
    return WORDS.get(v, v)


def text(v):
    return "" if v is None else str(v)


def main():
    got = json.load(open(sys.argv[1]))
    want = json.load(open(sys.argv[2]))
    diffs = []

    def eq(what, g, w):
        if g != w:
            diffs.append("%s is %r, expected %r" % (what, g, w))

    md = want["report_metadata"]
    for k in ("org_name", "email", "extra_contact_info", "report_id"):
        eq(k, got[k], text(md.get(k)))
    eq("begin", got["begin"], md["date_range"]["begin"])
    eq("end", got["end"], md["date_range"]["end"])
    eq("error", got["error"], [text(e) for e in md.get("error", [])])
    pp = want["policy_published"]
    eq("domain", got["domain"], text(pp["domain"]))
    for k in ("adkim", "aspf", "p", "sp"):
        eq(k, got[k], word(pp.get(k)))
    if "np" in pp:
        eq("np", got["np"], word(pp.get("np")))
    eq("fo", got["fo"], text(pp.get("fo")))
    testing = pp.get("testing")
    eq("testing", got["testing"] == "y", bool(testing))
    recs = want["record"]
    eq("records", len(got["records"]), len(recs))
    for i, (g, w) in enumerate(zip(got["records"], recs)):
        at = "record %d " % (i + 1)
        row = w["row"]
        eq(at + "source_ip", g["source_ip"], text(row["source_ip"]))
        eq(at + "count", g["count"], row["count"])
        pe = row["policy_evaluated"]
        for k in ("disposition", "dkim", "spf"):
            eq(at + k, g[k], word(pe.get(k)))
        eq(at + "reasons", [(r["type"], r["comment"]) for r in g["reasons"]],
           [(word(r.get("type_", r.get("type"))), text(r.get("comment")))
            for r in pe.get("reason", [])])
        ids = w["identifiers"]
        for k in ("envelope_to", "envelope_from", "header_from"):
            eq(at + k, g[k], text(ids.get(k)))
        ar = w["auth_results"]
        eq(at + "dkim results",
           [(a["domain"], a["selector"], a["result"], a["human_result"])
            for a in g["dkim_results"]],
           [(text(a["domain"]), text(a.get("selector")), word(a["result"]),
             text(a.get("human_result"))) for a in ar.get("dkim", [])])
        eq(at + "spf results",
           [(a["domain"], a["scope"], a["result"], a["human_result"])
            for a in g["spf_results"]],
           [(text(a["domain"]), word(a.get("scope")), word(a["result"]),
             text(a.get("human_result"))) for a in ar.get("spf", [])])
    for d in diffs:
        print(d)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
