#!/usr/bin/python3
"""tests/conformance/dkim_interop.py - dkimpy (Debian python3-dkim) side of
run-dkim-interop.sh, run with /usr/bin/python3.

  dkim_interop.py verify RECORDS MESSAGE
      one line per DKIM-Signature, top first: "pass" or "fail: why";
      RECORDS has "name TXT-value" lines, served by a dnsfunc.
  dkim_interop.py sign KEYFILE DOMAIN SELECTOR ALG MESSAGE
      prints MESSAGE signed by dkimpy (ALG rsa-sha256 or ed25519-sha256,
      relaxed/relaxed); KEYFILE as dknewkey writes it.
"""
import sys

import dkim


def records(path):
    recs = {}
    with open(path) as f:
        for line in f:
            name, value = line.rstrip("\n").split(" ", 1)
            recs[name.lower().rstrip(".")] = value.encode()
    return recs


def verify(recpath, msgpath):
    recs = records(recpath)
    msg = open(msgpath, "rb").read()

    def dnsfunc(name, timeout=5):
        return recs.get(name.decode().lower().rstrip("."))

    d = dkim.DKIM(msg)
    n = sum(1 for line in msg.split(b"\n")
            if line.lower().startswith(b"dkim-signature:"))
    for i in range(n):
        try:
            ok = d.verify(idx=i, dnsfunc=dnsfunc)
            print("pass" if ok else "fail: " + str(d.logger))
        except Exception as e:  # a verdict, not a crash
            print("fail: %s" % e)


def sign(keyfile, domain, selector, alg, msgpath):
    msg = open(msgpath, "rb").read()
    key = open(keyfile, "rb").read()
    sig = dkim.sign(msg, selector.encode(), domain.encode(), key,
                    canonicalize=(b"relaxed", b"relaxed"),
                    signature_algorithm=alg.encode(),
                    include_headers=[b"from", b"to", b"subject", b"date",
                                     b"message-id", b"mime-version",
                                     b"content-type"])
    sys.stdout.buffer.write(sig + msg)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "verify":
        verify(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 7 and sys.argv[1] == "sign":
        sign(*sys.argv[2:])
    else:
        sys.exit(__doc__)
