#!/usr/bin/python3
# tests/tools/faultdns.py - a scriptable authoritative DNS server for faults
#
# Use:     /usr/bin/python3 faultdns.py -p PORT -r RULES -l QUERYLOG
#              [-b 127.0.0.1] [--pidfile FILE]
#          Serves UDP and TCP on the same port until SIGTERM/SIGINT.
#          Standard library only. Never crashes on a bad query: a request
#          that cannot be parsed is logged ("- - udp badquery") and ignored.
#
# Rules:   one rule a line; blank lines and lines starting with # ignored.
#          The file is re-read whenever its modification time changes, so
#          a test can change behaviour (e.g. an outage) while running.
#
#              NAME TYPE [OPTION...] ACTION [DATA]
#
#          NAME    a domain name (case-insensitive, trailing dot optional)
#                  or a shell pattern on it (fnmatch: * ? [...]), e.g.
#                  "*.out.test" (any name below out.test, any depth),
#                  "_dmarc.*.out.test", or "*" for every name.
#          TYPE    TXT, A, AAAA, MX, CNAME, NS, PTR, SOA, SPF, a number,
#                  or "*" for any type.
#          The first rule whose NAME and TYPE match decides, except that
#          consecutive "rr" rules with the same NAME, TYPE and options
#          all answer together (one record each).
#          OPTION  delay=MS   wait MS milliseconds, then do ACTION
#                  tc         over UDP answer with TC=1 and no records
#                             (header and question only); over TCP the
#                             full answer
#                  tcponly    over UDP no answer at all (drop); over TCP
#                             the full answer
#                  ttl=N      TTL of the records (default 60)
#          ACTION  rr DATA    answer with one record of TYPE (TYPE must be
#                             concrete). DATA by type:
#                               TXT/SPF  one or more "quoted" strings
#                                        (backslash escapes \" and \\);
#                                        a string over 255 bytes is split
#                                        into 255-byte pieces
#                               A / AAAA an address
#                               MX       PREFERENCE HOST
#                               CNAME/NS/PTR  HOST
#                             Over UDP an answer larger than 512 bytes
#                             (or the client's EDNS size) gets TC=1.
#                  nxdomain   RCODE 3, SOA in the authority section
#                  nodata     NOERROR, no answer, SOA in authority
#                  servfail   RCODE 2
#                  refused    RCODE 5
#                  drop       never answer (the client times out)
#                  garbage    the query id, then bytes that are not DNS
#                  cnameloop N  NOERROR, the answer a chain of N+1 CNAMEs
#                             NAME -> c1.NAME -> ... -> cN.NAME -> NAME
#                             (a loop), no record of the asked type
#                  wrongid    a correct NOERROR answer (as rr rules for the
#                             name and type give, else empty) whose id is
#                             not the query's
#          A query no rule matches gets nxdomain.
#
# Log:     one line per query, flushed at once:
#              NAME TYPE TRANSPORT ACTION
#          NAME lower case without the trailing dot, TYPE as in the rules
#          (TYPE123 for unknown), TRANSPORT udp or tcp, ACTION what was
#          done. Count with grep -c.
import argparse
import fnmatch
import os
import random
import shlex
import signal
import socket
import socketserver
import struct
import sys
import threading
import time

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15,
         "TXT": 16, "AAAA": 28, "SPF": 99, "OPT": 41, "ANY": 255}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
ACTIONS = ("rr", "nxdomain", "nodata", "servfail", "refused", "drop",
           "garbage", "wrongid", "cnameloop")

log_lock = threading.Lock()
rules_lock = threading.Lock()
state = {"rules": [], "mtime": None}
args = None


def type_name(t):
    return TYPE_NAMES.get(t, "TYPE%d" % t)


def norm(name):
    name = name.strip().lower()
    return name[:-1] if name.endswith(".") and name != "." else name


def encode_name(name):
    out = b""
    for label in norm(name).split("."):
        if not label:
            continue
        b = label.encode("ascii", "replace")[:63]
        out += bytes([len(b)]) + b
    return out + b"\0"


def parse_txt(data):
    """TXT data: quoted strings -> list of byte strings of <= 255 bytes"""
    out = []
    for s in shlex.split(data, posix=True):
        b = s.encode("utf-8")
        if not b:
            out.append(b"")
        while b:
            out.append(b[:255])
            b = b[255:]
    return out or [b""]


def build_rdata(qtype, data):
    out = build_rdata1(qtype, data)
    if len(out) > 65535:
        raise ValueError("record data over 65535 bytes")
    return out


def build_rdata1(qtype, data):
    if qtype in (16, 99):
        return b"".join(bytes([len(s)]) + s for s in parse_txt(data))
    if qtype == 1:
        return socket.inet_pton(socket.AF_INET, data.strip())
    if qtype == 28:
        return socket.inet_pton(socket.AF_INET6, data.strip())
    if qtype == 15:
        pref, host = data.split()
        return struct.pack("!H", int(pref)) + encode_name(host)
    if qtype in (2, 5, 12):
        return encode_name(data.strip())
    raise ValueError("rr for type %s not supported" % type_name(qtype))


def load_rules(path):
    rules = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                words = line.split(None, 2)
                name, tname = norm(words[0]), words[1].upper()
                rest = words[2] if len(words) > 2 else ""
                if tname == "*":
                    qtype = None
                elif tname.isdigit():
                    qtype = int(tname)
                else:
                    qtype = TYPES[tname]
                opts = {"delay": 0, "tc": False, "tcponly": False, "ttl": 60}
                while True:
                    parts = rest.split(None, 1)
                    if not parts:
                        raise ValueError("no action")
                    w = parts[0]
                    rest = parts[1] if len(parts) > 1 else ""
                    if w.startswith("delay="):
                        opts["delay"] = int(w[6:])
                    elif w.startswith("ttl="):
                        opts["ttl"] = int(w[4:])
                    elif w in ("tc", "tcponly"):
                        opts[w] = True
                    elif w in ACTIONS:
                        action = w
                        break
                    else:
                        raise ValueError("unknown word %r" % w)
                rdata = None
                if action == "cnameloop":
                    rdata = int(rest.strip() or "1")
                    if not 0 <= rdata <= 200:
                        raise ValueError("cnameloop N: 0..200")
                if action == "rr":
                    if qtype is None:
                        raise ValueError("rr needs a concrete type")
                    rdata = build_rdata(qtype, rest)
                rules.append({"name": name, "type": qtype, "opts": opts,
                              "action": action, "rdata": rdata})
            except Exception as e:
                sys.stderr.write("faultdns: %s:%d: %s\n" % (path, lineno, e))
    return rules


def current_rules():
    with rules_lock:
        try:
            m = os.stat(args.rules).st_mtime_ns
        except OSError:
            return state["rules"]
        if m != state["mtime"]:
            state["rules"] = load_rules(args.rules)
            state["mtime"] = m
        return state["rules"]


def name_match(pat, name):
    return pat == name or fnmatch.fnmatchcase(name, pat)


def find(name, qtype):
    """the deciding rule and, for rr/wrongid, the records to answer with"""
    rules = current_rules()
    for i, r in enumerate(rules):
        if not name_match(r["name"], name):
            continue
        if r["type"] is not None and r["type"] != qtype:
            continue
        rrs = []
        if r["action"] == "rr":
            j = i
            while (j < len(rules) and rules[j]["action"] == "rr" and
                   rules[j]["name"] == r["name"] and
                   rules[j]["type"] == r["type"] and
                   rules[j]["opts"] == r["opts"]):
                rrs.append(rules[j]["rdata"])
                j += 1
        elif r["action"] == "wrongid":
            rrs = [x["rdata"] for x in rules if x["action"] == "rr" and
                   x["type"] == qtype and name_match(x["name"], name)]
        return r, rrs
    return {"opts": {"delay": 0, "tc": False, "tcponly": False, "ttl": 60},
            "action": "nxdomain", "type": qtype}, []


def parse_query(msg):
    """(id, flags, qname, qtype, qclass, question bytes, edns size)"""
    if len(msg) < 12:
        raise ValueError("short")
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", msg[:12])
    if flags & 0x8000 or qd != 1:
        raise ValueError("not a query with one question")
    pos, labels = 12, []
    while True:
        if pos >= len(msg):
            raise ValueError("name runs off")
        n = msg[pos]
        if n == 0:
            pos += 1
            break
        if n & 0xC0:
            raise ValueError("compression in question")
        labels.append(msg[pos + 1:pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n
        if pos > len(msg) or len(labels) > 127:
            raise ValueError("bad name")
    if pos + 4 > len(msg):
        raise ValueError("no type/class")
    qtype, qclass = struct.unpack("!HH", msg[pos:pos + 4])
    question = msg[12:pos + 4]
    edns = 0
    # an OPT record right after the question (the usual layout)
    p = pos + 4
    if an == 0 and ns == 0 and ar >= 1 and p + 11 <= len(msg) and \
            msg[p] == 0 and struct.unpack("!H", msg[p + 1:p + 3])[0] == 41:
        edns = struct.unpack("!H", msg[p + 3:p + 5])[0]
    name = ".".join(labels).lower() or "."
    return qid, flags, name, qtype, qclass, question, edns


def soa_rr(ttl):
    rdata = (encode_name("ns.fault.test") + encode_name("hostmaster.fault.test")
             + struct.pack("!5I", 1, 3600, 600, 86400, ttl))
    # owner: the question name (pointer to offset 12)
    return b"\xc0\x0c" + struct.pack("!HHIH", 6, 1, ttl, len(rdata)) + rdata


def response(qid, qflags, question, rcode, answers, authority, tc=False):
    flags = 0x8000 | 0x0400 | (qflags & 0x0100) | (rcode & 0xF)
    if tc:
        flags |= 0x0200
    return (struct.pack("!6H", qid, flags, 1, len(answers), len(authority), 0)
            + question + b"".join(answers) + b"".join(authority))


def answer_rrs(qtype, rrs, ttl):
    return [b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, ttl, len(d)) + d
            for d in rrs]


def log(name, qtype, transport, what):
    with log_lock:
        try:
            with open(args.log, "a") as f:
                f.write("%s %s %s %s\n" % (name, type_name(qtype), transport,
                                           what))
        except OSError:
            pass


def handle(msg, transport):
    """the bytes to send back, or None for no answer"""
    try:
        qid, qflags, name, qtype, qclass, question, edns = parse_query(msg)
    except Exception:
        log("-", 0, transport, "badquery")
        return None
    rule, rrs = find(name, qtype)
    opts, action = rule["opts"], rule["action"]
    what = action
    if opts["delay"] > 0:
        time.sleep(opts["delay"] / 1000.0)
        what = "delay%d-%s" % (opts["delay"], action)
    if opts["tcponly"] and transport == "udp":
        log(name, qtype, transport, what + "-tcponly-dropped")
        return None
    log(name, qtype, transport, what)
    ttl = opts["ttl"]
    if action == "drop":
        return None
    if action == "garbage":
        return struct.pack("!H", qid) + b"\x85\xff\xde\xad\xbe\xef" + \
            bytes(random.randrange(256) for _ in range(40))
    if action == "servfail":
        return response(qid, qflags, question, 2, [], [])
    if action == "refused":
        return response(qid, qflags, question, 5, [], [])
    if action == "nxdomain":
        return response(qid, qflags, question, 3, [], [soa_rr(ttl)])
    if action == "nodata":
        return response(qid, qflags, question, 0, [], [soa_rr(ttl)])
    if action == "cnameloop":
        names = [name] + ["c%d.%s" % (i, name) for i in
                          range(1, rule["rdata"] + 1)] + [name]
        chain = []
        for a, b in zip(names, names[1:]):
            rd = encode_name(b)
            chain.append(encode_name(a) + struct.pack("!HHIH", 5, 1, ttl,
                                                      len(rd)) + rd)
        return response(qid, qflags, question, 0, chain, [])
    out = response(qid, qflags, question, 0, answer_rrs(qtype, rrs, ttl),
                   [] if rrs else [soa_rr(ttl)])
    if action == "wrongid":
        return struct.pack("!H", qid ^ 0x5a5a) + out[2:]
    limit = max(512, edns)
    if transport == "udp" and (opts["tc"] or len(out) > limit):
        return response(qid, qflags, question, 0, [], [], tc=True)
    return out


class UDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            data, sock = self.request
            out = handle(data, "udp")
            if out is not None:
                sock.sendto(out, self.client_address)
        except Exception as e:
            sys.stderr.write("faultdns: udp: %r\n" % e)


class TCPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            self.request.settimeout(30)
            while True:
                head = self.recv_exact(2)
                if head is None:
                    return
                n = struct.unpack("!H", head)[0]
                msg = self.recv_exact(n)
                if msg is None:
                    return
                out = handle(msg, "tcp")
                if out is None:
                    # keep the connection open, silent: the client times out
                    continue
                out = out[:65535]
                self.request.sendall(struct.pack("!H", len(out)) + out)
        except Exception as e:
            if not isinstance(e, (ConnectionError, socket.timeout)):
                sys.stderr.write("faultdns: tcp: %r\n" % e)

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            b = self.request.recv(n - len(buf))
            if not b:
                return None
            buf += b
        return buf


class UDPServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True
    allow_reuse_address = True


class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global args
    p = argparse.ArgumentParser(description="scriptable fault DNS server")
    p.add_argument("-p", "--port", type=int, required=True)
    p.add_argument("-b", "--bind", default="127.0.0.1")
    p.add_argument("-r", "--rules", required=True)
    p.add_argument("-l", "--log", required=True)
    p.add_argument("--pidfile")
    args = p.parse_args()
    current_rules()
    udp = UDPServer((args.bind, args.port), UDPHandler)
    tcp = TCPServer((args.bind, args.port), TCPHandler)
    for srv in (udp, tcp):
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    if args.pidfile:
        with open(args.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    while not stop.wait(1):
        pass
    udp.shutdown()
    tcp.shutdown()


if __name__ == "__main__":
    main()
