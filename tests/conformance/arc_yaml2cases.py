#!/usr/bin/python3
"""arc_yaml2cases.py - turn the ValiMail ARC test suite into arc_suite cases

Usage: arc_yaml2cases.py validation arc-draft-validation-tests.yml > OUT
       arc_yaml2cases.py sign arc-draft-sign-tests.yml > OUT

Case file format (read by tests/conformance/arc_suite.c): records
"<key> <length>\\n" followed by <length> bytes and "\\n". Keys:

  scenario  the scenario's description: a fresh zone
  txt       "<dns name>\\t<record>" - one TXT record of the scenario
  case      the case name (starts a case in the current scenario)
  cv        validation: the expected result, "none", "pass" or "fail"
  message   the message, CRLF line ends (YAML gives LF)
  key       sign: the scenario's private key (PEM)
  domain, sel, t, h, srvid
            sign: the sealing domain, selector, timestamp, header list
            (sig-headers) and authserv-id
  as, ams, aar
            sign: the expected field values ("" when no set is to be
            added)
  end       ends a case (length 0)

An empty expected cv ("cv: |" with nothing under it, three cases) means
fail, as the suite's README and Mail::DKIM's runner read it.
"""
import sys

import yaml


def rec(out, key, value):
    data = value.encode('utf-8') if isinstance(value, str) else value
    out.write(b'%s %d\n' % (key.encode(), len(data)))
    out.write(data)
    out.write(b'\n')


def crlf(text):
    return text.replace('\r\n', '\n').replace('\n', '\r\n')


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ('validation', 'sign'):
        sys.stderr.write(__doc__)
        return 2
    mode = sys.argv[1]
    out = sys.stdout.buffer
    with open(sys.argv[2], encoding='utf-8') as f:
        docs = list(yaml.safe_load_all(f))
    for doc in docs:
        if not doc:
            continue
        rec(out, 'scenario', str(doc.get('description', '')).strip())
        for name, txt in (doc.get('txt-records') or {}).items():
            rec(out, 'txt', '%s\t%s' % (name, str(txt).strip()))
        for cname, t in doc['tests'].items():
            rec(out, 'case', cname)
            rec(out, 'message', crlf(t.get('message') or ''))
            if mode == 'validation':
                cv = str(t.get('cv') or '').strip().lower() or 'fail'
                rec(out, 'cv', cv)
            else:
                rec(out, 'key', str(doc['privatekey']))
                rec(out, 'domain', str(doc['domain']))
                rec(out, 'sel', str(doc['sel']))
                rec(out, 't', str(t['t']))
                rec(out, 'h', str(t['sig-headers']))
                rec(out, 'srvid', str(t['srv-id']))
                for k in ('AS', 'AMS', 'AAR'):
                    rec(out, k.lower(), str(t.get(k) or ''))
            rec(out, 'end', '')
    return 0


if __name__ == '__main__':
    sys.exit(main())
