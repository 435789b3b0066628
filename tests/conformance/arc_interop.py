#!/usr/bin/python3
"""arc_interop.py - ARC interoperability of authgate with dkimpy

Usage: arc_interop.py ARC_SUITE TMPDIR

ARC_SUITE is the built tests/conformance/arc_suite (its "seal" and
"verify" modes drive arc/); dkimpy is Debian's python3-dkim (arc_sign,
arc_verify) with python3-authres. Keys: one RSA-2048 key per side, made
with openssl, published in a zone both sides read (dkimpy through its
dnsfunc hook, arc_suite from a zone file).

Checks, for each test message (plain, trailing blanks and empty lines,
multipart, LF-only input, a long folded Subject):
  ours-i1/dkimpy-verify     we seal i=1, dkimpy validates: pass
  dkimpy-i1/ours-verify     dkimpy seals i=1, we validate: pass
  dkimpy-i1+ours-i2         dkimpy i=1, we i=2 (cv=pass); dkimpy and we
                            validate the chain: pass, pass
  ours-i1+dkimpy-i2         we i=1, dkimpy i=2; both validate: pass
  ours+dkimpy+ours          three hops; both validate: pass
  ours-i1-altered           our seal, body changed after: dkimpy fail
  dkimpy-i1-altered         dkimpy's seal, body changed after: we fail
Prints "FAIL <message>/<check>: got ..., want ..." and
"arc-interop: N passed, N failed". Exit 0 when all pass.
Ed25519 is not checked here: dkimpy seals rsa-sha256 only, and
ed25519 verification needs PyNaCl, which Debian's python3-dkim does not
pull in (our Ed25519 verification is covered by mail-auth-stalwart
arc/002.txt in run-arc.sh).
"""
import base64
import os
import subprocess
import sys

import dkim

SRV = 'mx.authgate.test'
T = '1700000000'


def sh(args, **kw):
    return subprocess.run(args, capture_output=True, **kw)


def make_key(tmp, name):
    pem = os.path.join(tmp, name + '.pem')
    sh(['openssl', 'genrsa', '-traditional', '-out', pem, '2048'],
       check=True)
    der = sh(['openssl', 'rsa', '-in', pem, '-pubout', '-outform', 'DER'],
             check=True).stdout
    return pem, 'v=DKIM1; k=rsa; p=' + base64.b64encode(der).decode()


MESSAGES = {
    'plain': b'From: Alice <alice@example.com>\r\nTo: list@example.org\r\n'
             b'Subject: hello\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n'
             b'Message-ID: <1@example.com>\r\n\r\nHello list.\r\n',
    'blanks': b'From: Alice <alice@example.com>\r\nTo: list@example.org\r\n'
              b'Subject:   spaced   out  \r\nDate: Mon, 23 Nov 2026 '
              b'10:00:00 +0000\r\n\r\nline with blanks   \r\n\t tab\r\n'
              b'\r\n\r\n\r\n',
    'multipart': b'From: Alice <alice@example.com>\r\nTo: list@example.org'
                 b'\r\nSubject: parts\r\nMIME-Version: 1.0\r\nContent-Type:'
                 b' multipart/alternative; boundary="b1"\r\n\r\n--b1\r\n'
                 b'Content-Type: text/plain\r\n\r\ntext\r\n--b1\r\n'
                 b'Content-Type: text/html\r\n\r\n<p>text</p>\r\n--b1--\r\n',
    'lf-only': b'From: Alice <alice@example.com>\nTo: list@example.org\n'
               b'Subject: unix\n\nbody line\nsecond\n',
    'folded': b'From: Alice <alice@example.com>\r\nTo: list@example.org\r\n'
              b'Subject: a long subject that is folded\r\n over two lines'
              b'\r\n\tand three\r\n\r\nBody.\r\n',
}


class Interop:
    def __init__(self, suite, tmp):
        self.suite, self.tmp = suite, tmp
        self.ours_key, ours_rec = make_key(tmp, 'ours')
        self.py_key, py_rec = make_key(tmp, 'py')
        self.zone = {'sel1._domainkey.ours.test': ours_rec,
                     'sel2._domainkey.py.test': py_rec}
        self.zonefile = os.path.join(tmp, 'zone')
        with open(self.zonefile, 'w') as f:
            for name, rec in self.zone.items():
                f.write('%s %s\n' % (name, rec))
        with open(self.py_key, 'rb') as f:
            self.py_pem = f.read()
        self.passed = self.failed = 0

    def dns(self, name, timeout=5):
        rec = self.zone.get(name.decode().rstrip('.'))
        return rec.encode() if rec else None

    def _file(self, msg):
        path = os.path.join(self.tmp, 'msg')
        with open(path, 'wb') as f:
            f.write(msg)
        return path

    def ours_seal(self, msg):
        r = sh([self.suite, 'seal', self.zonefile, self._file(msg),
                self.ours_key, 'ours.test', 'sel1', SRV, T])
        if r.returncode != 0:
            raise RuntimeError('our seal failed: ' + r.stderr.decode())
        return r.stdout

    def ours_verify(self, msg):
        r = sh([self.suite, 'verify', self.zonefile, self._file(msg)])
        return r.stdout.decode().split()[0].split('=')[1] \
            if r.stdout else 'error'

    def py_verify(self, msg):
        cv, _, reason = dkim.arc_verify(msg, dnsfunc=self.dns)
        return cv.decode()

    def py_seal(self, msg):
        cv = self.py_verify(msg)
        ar = b'Authentication-Results: ' + SRV.encode() + b'; spf=pass ' \
             b'smtp.mailfrom=example.com'
        if cv != 'none':
            ar += b'; arc=' + cv.encode()
        msg = ar + b'\r\n' + msg
        hdrs = dkim.arc_sign(msg, b'sel2', b'py.test', self.py_pem,
                             SRV.encode(), timestamp=T)
        if not hdrs:
            raise RuntimeError('dkimpy added no set')
        return b''.join(hdrs) + msg

    def check(self, name, got, want):
        if got == want:
            self.passed += 1
        else:
            self.failed += 1
            print('FAIL %s: got %s, want %s' % (name, got, want))

    def run(self, mname, msg):
        def altered(m):
            return m + b'tampered\r\n'
        try:
            m = self.ours_seal(msg)
            self.check(mname + '/ours-i1/dkimpy-verify',
                       self.py_verify(m), 'pass')
            self.check(mname + '/ours-i1-altered',
                       self.py_verify(altered(m)), 'fail')
            self.check(mname + '/ours-i1/ours-verify',
                       self.ours_verify(m), 'pass')
            m = self.py_seal(msg)
            self.check(mname + '/dkimpy-i1/ours-verify',
                       self.ours_verify(m), 'pass')
            self.check(mname + '/dkimpy-i1-altered',
                       self.ours_verify(altered(m)), 'fail')
            m2 = self.ours_seal(m)
            self.check(mname + '/dkimpy-i1+ours-i2/dkimpy-verify',
                       self.py_verify(m2), 'pass')
            self.check(mname + '/dkimpy-i1+ours-i2/ours-verify',
                       self.ours_verify(m2), 'pass')
            m = self.py_seal(self.ours_seal(msg))
            self.check(mname + '/ours-i1+dkimpy-i2/ours-verify',
                       self.ours_verify(m), 'pass')
            self.check(mname + '/ours-i1+dkimpy-i2/dkimpy-verify',
                       self.py_verify(m), 'pass')
            m = self.ours_seal(m)
            self.check(mname + '/ours+dkimpy+ours/dkimpy-verify',
                       self.py_verify(m), 'pass')
            self.check(mname + '/ours+dkimpy+ours/ours-verify',
                       self.ours_verify(m), 'pass')
        except Exception as e:  # a crash is a failure, counted once
            self.check(mname + '/run', 'exception ' + str(e), 'none')


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    it = Interop(sys.argv[1], sys.argv[2])
    for name, msg in MESSAGES.items():
        it.run(name, msg)
    print('arc-interop: %d passed, %d failed' % (it.passed, it.failed))
    return 0 if it.failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
