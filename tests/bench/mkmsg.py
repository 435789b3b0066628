#!/usr/bin/python3
"""tests/bench/mkmsg.py KEY DIR - the benchmark's messages.

in-4k.eml / in-100k.eml: inbound mail from user@bench.example, about 4 KB and
100 KB, DKIM-signed by dkimpy (relaxed/relaxed, selector rsa, KEY), so
every verifier measured checks a third party's signature.
in-4k-ar.eml: in-4k.eml carrying OpenDKIM's result (authserv-id
bench-dkim), what OpenDMARC alone reads.
out-4k.eml: the same 4 KB message unsigned, for the signing runs.
"""
import sys

import dkim

TEXT = (
    "Hello team,\n\nPlease find below the minutes of this week's operations "
    "meeting. The mail relays were upgraded on Tuesday and the new spam "
    "thresholds are active since Wednesday morning. Reports of delayed "
    "delivery dropped to zero after the DNS resolver change.\n\n"
)


def message(size, signed, key):
    head = (
        "Received: from mail.bench.example (mail.bench.example [192.0.2.10])\n"
        "\tby relay.bench.example (Postfix) with ESMTPS id 4XyZ1234\n"
        "\tfor <user@authgate.test>; Mon, 2 Nov 2026 10:00:00 +0000\n"
        "From: Bench User <user@bench.example>\n"
        "To: Someone <user@authgate.test>\n"
        "Subject: Weekly operations minutes\n"
        "Date: Mon, 2 Nov 2026 10:00:00 +0000\n"
        "Message-ID: <bench-%d@bench.example>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n" % size
    )
    body = ""
    while len(head) + len(body) < size - len(TEXT) - 400:
        body += TEXT
    body += "Regards,\nBench\n"
    msg = (head + "\n" + body).replace("\n", "\r\n").encode()
    if signed:
        sig = dkim.sign(msg, b"rsa", b"bench.example", key,
                        canonicalize=(b"relaxed", b"relaxed"),
                        include_headers=[b"from", b"to", b"subject",
                                         b"date", b"message-id",
                                         b"mime-version",
                                         b"content-type"])
        msg = sig + msg
    return msg


def main():
    key = open(sys.argv[1], "rb").read()
    out = sys.argv[2]
    in4 = message(4096, True, key)
    open(out + "/in-4k.eml", "wb").write(in4)
    open(out + "/in-100k.eml", "wb").write(message(102400, True, key))
    open(out + "/out-4k.eml", "wb").write(message(4096, False, key))
    ar = (b"Authentication-Results: bench-dkim;\r\n\tdkim=pass (2048-bit key; "
          b"unprotected) header.d=bench.example header.i=@bench.example "
          b"header.a=rsa-sha256 header.s=rsa\r\n")
    open(out + "/in-4k-ar.eml", "wb").write(ar + in4)


main()
