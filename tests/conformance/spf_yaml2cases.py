#!/usr/bin/python3
"""spf_yaml2cases.py - turn SPF test suites into spf_suite case files

Usage: spf_yaml2cases.py rfc7208 SUITE.yml > OUT.cases
       spf_yaml2cases.py stalwart FILE.yml [FILE.yml ...] > OUT.cases

Case file format (read by tests/conformance/spf_suite.c), one record per
line, fields separated by TAB, every field escaped (\\\\ \\t \\n \\r and
\\xHH for any byte outside printable ASCII):

  S  <scenario>                       start a scenario: a fresh zone
  Z  <name> <TYPE> <field>...         a record: A, AAAA, PTR, CNAME NAME;
                                      MX PREF NAME; TXT STRING... (each
                                      field one character-string)
  X  <name> TIMEOUT|SERVFAIL          the name times out / fails
  T  <case> <mode> <ip> <helo> <mailfrom> <results> <exp> <spec>
                                      a check: mode "mailfrom" (MAIL FROM,
                                      or HELO when empty) or "stalwart"
                                      (HELO first, MAIL FROM only if the
                                      HELO check passes, as upstream's
                                      verify_spf); results comma-separated
                                      alternatives; exp empty, or "=" and
                                      the expected explanation
"""
import ipaddress
import sys

import yaml


def esc(s):
    if isinstance(s, str):
        s = s.encode('utf-8')
    out = []
    for b in s:
        c = chr(b)
        if c == '\\':
            out.append('\\\\')
        elif c == '\t':
            out.append('\\t')
        elif c == '\n':
            out.append('\\n')
        elif c == '\r':
            out.append('\\r')
        elif 0x20 <= b < 0x7f:
            out.append(c)
        else:
            out.append('\\x%02x' % b)
    return ''.join(out)


def line(*fields):
    print('\t'.join(esc(str(f)) for f in fields))


def rfc7208(path):
    for doc in yaml.safe_load_all(open(path, encoding='utf-8')):
        if not doc:
            continue
        line('S', doc['description'])
        zone = doc.get('zonedata') or {}
        for name, recs in zone.items():
            # pyspf's driver: TXT "NONE" means no TXT (and no SPF-as-TXT);
            # TIMEOUT times out the types with no record listed before it.
            # The zone times out whole names, so a name whose TXT answer
            # comes first keeps its records and loses the timeout.
            has_txt = any(isinstance(r, dict) and 'TXT' in r for r in recs)
            first = recs.index('TIMEOUT') if 'TIMEOUT' in recs else None
            txt_first = first is not None and any(
                isinstance(r, dict) and ('TXT' in r and r['TXT'] != 'NONE'
                                         or 'SPF' in r and not has_txt)
                for r in recs[:first])
            for r in recs:
                if r == 'TIMEOUT':
                    if not txt_first:
                        line('X', name, 'TIMEOUT')
                    continue
                if r.get('TXT') == 'NONE':
                    continue
                for typ, val in r.items():
                    if typ == 'SPF':
                        # the suite wants SPF served as TXT unless the
                        # name has TXT of its own (type 99 we never ask)
                        if has_txt:
                            continue
                        typ = 'TXT'
                    if typ == 'TXT':
                        vals = val if isinstance(val, list) else [val]
                        line('Z', name, 'TXT', *vals)
                    elif typ == 'MX':
                        line('Z', name, 'MX', val[0], val[1])
                    else:
                        line('Z', name, typ, val)
        for cname, t in doc['tests'].items():
            res = t['result']
            res = ','.join(res if isinstance(res, list) else [res])
            exp = t.get('explanation')
            line('T', cname, 'mailfrom', t['host'], t['helo'],
                 t.get('mailfrom', ''), res,
                 '' if exp is None else '=' + exp, t.get('spec', ''))


def rev_name(ip):
    return ipaddress.ip_address(ip).reverse_pointer


def stalwart_flush(state, scen):
    line('S', scen)
    for (name, typ), vals in state.items():
        if typ == 'SERVFAIL':
            line('X', name, 'SERVFAIL')
            continue
        for v in vals:
            if isinstance(v, tuple):
                line('Z', name, typ, *v)
            else:
                line('Z', name, typ, v)


def stalwart(paths):
    """Upstream (src/spf/verify.rs) reads these line by line; its record
    cache lives for a whole file, so records of earlier documents stay
    visible unless a later line for the same name and type replaces them.
    Names with a _dns_error label make upstream's resolver fail: SERVFAIL.
    """
    for path in paths:
        base = path.rsplit('/', 1)[-1]
        state = {}
        docs = open(path, encoding='utf-8').read().split('---\n')
        for dno, doc in enumerate(docs):
            name = 'doc%d' % dno
            test = {}
            num = 0
            flushed = False
            for raw in doc.split('\n'):
                ln = raw.strip()
                if ln.startswith('-'):
                    ln = ln[1:].strip()
                key, _, val = ln.partition(':')
                val = val.strip()
                if ln.startswith('#') or not _:
                    continue
                if key == 'name':
                    name = val
                elif key in ('spf', 'exp'):
                    n, _, rec = val.partition(' ')
                    state[(n, 'TXT')] = [rec]
                    flushed = False
                elif key in ('a', 'aaaa'):
                    n, _, ips = val.partition(' ')
                    state[(n, key.upper())] = [i.strip()
                                               for i in ips.split(',')]
                    flushed = False
                elif key == 'ptr':
                    ip, _, names = val.partition(' ')
                    state[(rev_name(ip), 'PTR')] = [
                        x.strip() for x in names.split(',') if x.strip()]
                    flushed = False
                elif key == 'mx':
                    n, _, ips = val.partition(' ')
                    mxs = []
                    for pos, ip in enumerate(i.strip()
                                             for i in ips.split(',')):
                        host = 'mx.%s.%d' % (ip.replace(':', '-'), pos)
                        typ = 'AAAA' if ':' in ip else 'A'
                        state[(host, typ)] = [ip]
                        mxs.append((str(pos + 1), host))
                    state[(n, 'MX')] = mxs
                    flushed = False
                elif key == 'domain':
                    test['helo'] = val
                elif key == 'sender':
                    test['sender'] = val
                elif key == 'ip':
                    test['ip'] = val
                elif key == 'expect':
                    for n in [test.get('helo', ''),
                              test.get('sender', '').rpartition('@')[2]]:
                        if '_dns_error' in n:
                            state[(n, 'SERVFAIL')] = True
                    for (n, _t), _v in list(state.items()):
                        for part in _v if isinstance(_v, list) else []:
                            txt = part if isinstance(part, str) else ''
                            for word in txt.split():
                                w = word.partition(':')[2] or \
                                    word.partition('=')[2]
                                if w.startswith('_dns_error'):
                                    state[(w, 'SERVFAIL')] = True
                    if not flushed:
                        stalwart_flush(state, '%s:%s' % (base, name))
                        flushed = True
                    num += 1
                    res, _, exp = val.partition(' ')
                    line('T', 'test%d' % num, 'stalwart',
                         test.get('ip', '127.0.0.1'), test.get('helo', ''),
                         test.get('sender', ''), res,
                         '=' + exp.strip() if exp.strip() else '', '')


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ('rfc7208', 'stalwart'):
        sys.exit(__doc__)
    if sys.argv[1] == 'rfc7208':
        rfc7208(sys.argv[2])
    else:
        stalwart(sys.argv[2:])


if __name__ == '__main__':
    main()
