#!/usr/bin/python3
"""tests/bench/report.py - write BENCHMARKS.md from one make bench run.

Input: run.sh's results.tsv (config, workload, concurrency, the client's
key=value line, rss_kb=), memory.tsv and `openssl speed` output. Every
figure in the report comes from these files; the targets of issue 7 are
checked against them and reported as met or missed, with the numbers.
"""
import argparse
import datetime
import os
import platform
import re
import subprocess


def kv(text):
    return {k: v for k, v in re.findall(r"(\w+)=(\S+)", text)}


def load_results(path):
    rows = {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 5:
                continue
            config, workload, conc = parts[0], parts[1], int(parts[2])
            d = kv(parts[3])
            d.update(kv(parts[4]))
            rows[(config, workload, conc)] = d
    return rows


def speed(path):
    rsa = ed = None
    with open(path) as f:
        for line in f:
            m = re.match(r"rsa 2048 bits\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)",
                         line)
            if m:
                rsa = (float(m.group(1)), float(m.group(2)))
            m = re.search(r"EdDSA \(Ed25519\)\s+\S+s\s+\S+s\s+([\d.]+)\s+"
                          r"([\d.]+)", line)
            if m:
                ed = (float(m.group(1)), float(m.group(2)))
    return rsa, ed


def cmd(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def pkgver(name):
    return cmd("dpkg-query", "-W", "-f=${Version}", name) or "?"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def mem_total():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    return "%.1f GiB" % (int(line.split()[1]) / 1048576)
    except OSError:
        pass
    return "?"


def ms(us):
    return "%.2f" % (int(us) / 1000.0)


CONFIG_NAMES = {
    "null": "null milter (libmilter, accepts all)",
    "authgate": "authgate",
    "opendkim": "OpenDKIM",
    "opendmarc": "OpenDMARC (reads OpenDKIM's A-R)",
    "opendkim+opendmarc": "OpenDKIM + OpenDMARC, chained",
    "rspamd": "rspamd (milter proxy, self-scan)",
}

WORKLOADS = [
    ("verify-4k", "Inbound verify path, 4 KB message, warm DNS cache"),
    ("verify-100k", "Inbound verify path, 100 KB message, warm DNS cache"),
    ("verify-4k-cold", "Inbound verify path, 4 KB, cold DNS (authgate's "
     "cache off: every lookup goes to the DNS server)"),
    ("sign-rsa", "Outbound signing, RSA-2048, 4 KB, authenticated client"),
    ("sign-rsa-ed25519", "Outbound signing, RSA-2048 + Ed25519, 4 KB"),
    ("submit-nokey", "Outbound, authenticated client, 4 KB, no signing "
     "key (the same path without the signature: the floor under signing)"),
    ("verify-4k-paced", "Inbound verify path, 4 KB, warm, 16 connections "
     "at a fixed offered load (open loop: each connection starts its "
     "messages on a schedule whether or not the last one finished; "
     "latency from the scheduled start)"),
]


def rate(rows, config, workload, conc):
    d = rows.get((config, workload, conc))
    return float(d["rate"]) if d else None


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r):
    return "n/a" if r is None else "%.2fx" % r


def main():
    ap = argparse.ArgumentParser()
    for a in ("results", "memory", "speed", "out", "mcpu", "ccpu"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--speed-sign", action="append", default=[])
    ap.add_argument("--speed-round", action="append", default=[])
    ap.add_argument("--secs", type=float, required=True)
    ap.add_argument("--warm", type=float, required=True)
    o = ap.parse_args()
    rows = load_results(o.results)
    rsa, ed = speed(o.speed)
    # openssl speed right before and after the c16 signing run
    around = [speed(f)[0][0] for f in o.speed_sign
              if os.path.exists(f) and speed(f)[0]]
    rsa_sign = sum(around) / len(around) if around else \
        (rsa[0] if rsa else None)
    # the alternating rounds: openssl speed (wall clock), a c16 signing
    # run, ..., a last openssl speed
    round_speeds = [speed(f)[0][0] for f in sorted(o.speed_round)
                    if os.path.exists(f) and speed(f)[0]]
    rounds = sorted(((int(k[1][len("sign-rsa-round"):]), d)
                     for k, d in rows.items()
                     if k[0] == "authgate" and k[2] == 16 and
                     k[1].startswith("sign-rsa-round")),
                    key=lambda x: x[0])
    round_msgs = sum(int(d["msgs"]) for _, d in rounds)
    round_secs = sum(float(d["secs"]) for _, d in rounds)
    round_rate = round_msgs / round_secs if round_secs > 0 else None
    round_speed = (sum(round_speeds) / len(round_speeds)
                   if round_speeds else None)
    mem = {}
    if os.path.exists(o.memory):
        with open(o.memory) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                d = {}
                for p in parts[1:]:
                    d.update(kv(p))
                mem[parts[0]] = d

    out = []
    w = out.append
    now = datetime.datetime.now(datetime.timezone.utc)
    w("# authgate benchmarks\n")
    w("Written by `make bench` (tests/bench/run.sh) on %s UTC. Every figure "
      "below was measured in that one run on the machine described; "
      "compare ratios, not absolute numbers, across machines.\n"
      % now.strftime("%Y-%m-%d %H:%M"))
    w("## Machine and setup\n")
    w("- CPU: %s, %d cores; memory %s; kernel %s" % (
        cpu_model(), os.cpu_count() or 0, mem_total(),
        platform.release()))
    w("- Versions (Debian): opendkim %s, opendmarc %s, rspamd %s, "
      "libmilter %s, OpenSSL %s, nsd %s" % (
          pkgver("opendkim"), pkgver("opendmarc"), pkgver("rspamd"),
          pkgver("libmilter1.0.1"), pkgver("libssl3"), pkgver("nsd")))
    w("- The milter under test runs alone on CPU %s (taskset); the load "
      "client `milterbench` and the DNS server (nsd on loopback, the "
      "bench zones) share CPU %s. \"The cores used\" by a milter is "
      "therefore one core, and `openssl speed` ran on that same core."
      % (o.mcpu, o.ccpu))
    w("- Each run: %g s warm-up, then %g s measured; each connection "
      "carries 10 messages (MAIL, RCPT, DATA, headers, body, end of "
      "message, as Postfix sends them; Postfix-like macros), then "
      "reconnects. Latency: from MAIL FROM to the last milter's "
      "end-of-message reply." % (o.warm, o.secs))
    w("- Messages: a 4 KB and a 100 KB text message from user@bench.example "
      "(SPF pass for 192.0.2.10, DKIM-signed by dkimpy with RSA-2048, "
      "DMARC p=reject, so every check passes); the OpenDMARC-alone run "
      "gets the 4 KB message with OpenDKIM's Authentication-Results "
      "added; signing runs send it unsigned from an authenticated "
      "client.")
    w("- authgate runs the shipped `conf/authgate.conf` (shipped rules "
      "`conf/rules.example`, DMARC history in SQLite, one log line per "
      "message to a file); OpenDKIM with its query cache; OpenDMARC with "
      "its own SPF check (libspf2) and history file; rspamd 3.4 with "
      "Debian's default modules, proxy worker in milter mode with "
      "self-scan, one process. The chain sends every event to OpenDKIM "
      "then OpenDMARC, and the message content to OpenDMARC with "
      "OpenDKIM's added headers, as Postfix's cleanup does.")
    w("- Each run is checked: every measured message must show the "
      "work (a signature added; dkim=pass / dmarc=pass in the milter's "
      "own Authentication-Results), or make bench fails.\n")

    w("## Results\n")
    for wl, title in WORKLOADS:
        keys = [k for k in rows if k[1] == wl]
        if not keys:
            continue
        w("### %s\n" % title)
        w("| configuration | conc. | msgs/s | p50 ms | p95 ms | p99 ms | "
          "verdicts | RSS MB |")
        w("|---|---:|---:|---:|---:|---:|---|---:|")
        order = list(CONFIG_NAMES)
        keys.sort(key=lambda k: (order.index(k[0]) if k[0] in order else 99,
                                 k[2]))
        for k in keys:
            d = rows[k]
            verdicts = ", ".join("%s %s" % (v, d[v]) for v in (
                "accept", "quarantine", "reject", "tempfail", "discard",
                "error") if d.get(v, "0") != "0") or "-"
            if d.get("died"):
                verdicts += "; **the milter crashed during the run**"
            w("| %s | %d | %.0f | %s | %s | %s | %s | %.1f |" % (
                CONFIG_NAMES.get(k[0], k[0]), k[2], float(d["rate"]),
                ms(d["p50_us"]), ms(d["p95_us"]), ms(d["p99_us"]),
                verdicts, int(d.get("rss_kb", 0)) / 1024.0))
        w("")

    if rounds and round_speeds:
        w("### Signing rate against openssl speed, alternating rounds\n")
        w("RSA-2048, c16, on one running authgate: each round is `openssl "
          "speed -elapsed -seconds 2 rsa2048` on the milter's core, then "
          "a 3 s signing run (1 s warm-up); one more openssl speed after "
          "the last round. Both count wall-clock seconds.\n")
        w("| round | openssl sign/s before | authgate msgs/s | ratio |")
        w("|---:|---:|---:|---:|")
        for i, (n, d) in enumerate(rounds):
            sp = round_speeds[i] if i < len(round_speeds) else None
            w("| %d | %s | %.0f | %s |" % (
                n, "%.0f" % sp if sp else "n/a", float(d["rate"]),
                "%.1f%%" % (100 * float(d["rate"]) / sp) if sp else "n/a"))
        w("| all | %.0f (mean of %d) | %.0f (%d msgs in %.1f s) | "
          "**%.1f%%** |" % (round_speed, len(round_speeds), round_rate,
                            round_msgs, round_secs,
                            100 * round_rate / round_speed))
        w("")

    if rsa or ed:
        w("### Crypto limit: `openssl speed` on the milter's core\n")
        w("| algorithm | sign/s | verify/s |")
        w("|---|---:|---:|")
        if rsa:
            w("| RSA-2048 | %.0f | %.0f |" % rsa)
        if around:
            w("| RSA-2048, right before / after the c16 signing run | "
              "%s | |" % " / ".join("%.0f" % a for a in around))
        if ed:
            w("| Ed25519 | %.0f | %.0f |" % ed)
        w("")

    w("## Ratios and targets (issue 7)\n")
    ag16 = rate(rows, "authgate", "verify-4k", 16)
    ag1 = rate(rows, "authgate", "verify-4k", 1)
    targets = []

    def target(name, value, goal, ok):
        targets.append((name, value, goal, ok))

    r = ratio(ag16, rate(rows, "opendkim+opendmarc", "verify-4k", 16))
    target("verify 4 KB, c16: authgate / OpenDKIM+OpenDMARC",
           fmt_ratio(r), ">= 2x", r is not None and r >= 2)
    r = ratio(ag16, rate(rows, "rspamd", "verify-4k", 16))
    target("verify 4 KB, c16: authgate / rspamd", fmt_ratio(r), "> 1x",
           r is not None and r > 1)
    r = ratio(ag16, rate(rows, "null", "verify-4k", 16))
    target("verify 4 KB, c16: authgate / null milter", fmt_ratio(r),
           ">= 0.5x", r is not None and r >= 0.5)
    s16 = rate(rows, "authgate", "sign-rsa", 16)
    if round_rate and round_speed:
        r = ratio(round_rate, round_speed)
        target("sign RSA-2048, c16: authgate msgs/s / openssl RSA-2048 "
               "sign/s (same core, %d alternating rounds, wall clock on "
               "both sides)" % len(rounds), "%.1f%%" % (100 * r), ">= 85%",
               r >= 0.85)
    r = ratio(s16, rsa_sign)
    target("sign RSA-2048, c16, the single %g s run: authgate msgs/s / "
           "openssl RSA-2048 sign/s (same core%s)" % (
               o.secs, ", mean of the runs right before and after" if around
               else ""), "n/a" if r is None else "%.1f%%" %
           (100 * r), ">= 85%", r is not None and r >= 0.85)
    d = rows.get(("authgate", "verify-4k", 16))
    p99 = int(d["p99_us"]) / 1000.0 if d else None
    n = rows.get(("null", "verify-4k", 16))
    target("verify 4 KB, c16, warm, closed loop (16 messages always in "
           "flight): authgate p99 latency%s" % (
               " (null milter: %s ms)" % ms(n["p99_us"]) if n else ""),
           "n/a" if p99 is None else "%.2f ms" % p99, "< 5 ms",
           p99 is not None and p99 < 5)
    d = rows.get(("authgate", "verify-4k-paced", 16))
    if d:
        p99 = int(d["p99_us"]) / 1000.0
        target("verify 4 KB, 16 connections, warm, open loop at %s "
               "msgs/s offered (%s done): authgate p99 latency" % (
                   d.get("offered", "?").split(".")[0],
                   d["rate"].split(".")[0]),
               "%.2f ms" % p99, "< 5 ms", p99 < 5 and
               float(d["rate"]) >= 0.95 * float(d.get("offered", 0)))
    idle = mem.get("idle500")
    if idle:
        mb = int(idle["rss_kb"]) / 1024.0
        target("RSS with 500 idle connections (%s of 500 connected, %s "
               "threads)" % (idle.get("connected", "?"),
                             idle.get("threads", "?")),
               "%.1f MB" % mb, "< 64 MB", mb < 64 and
               idle.get("connected") == "500")
    small, big = mem.get("body102400"), mem.get("body104857600")
    if small and big:
        a, b = int(small["hwm_kb"]), int(big["hwm_kb"])
        target("peak RSS, one 100 MB message vs one 100 KB message",
               "%.1f MB vs %.1f MB" % (b / 1024.0, a / 1024.0),
               "no more", b <= a * 1.05 + 1024 and
               big.get("accept", "0") != "0")
    w("| target | measured | goal | met |")
    w("|---|---:|---:|---|")
    for name, value, goal, ok in targets:
        w("| %s | %s | %s | %s |" % (name, value, goal,
                                     "yes" if ok else "**no**"))
    w("")
    floor = rate(rows, "authgate", "submit-nokey", 16)
    if floor and rsa_sign and s16:
        us_floor = 1e6 / floor
        us_rsa = 1e6 / rsa_sign
        w("Signing, where the time goes at c16: the outbound path without a "
          "key runs at %.0f msgs/s (%.0f us per message of protocol, "
          "parsing, policy and logging); one RSA-2048 signature costs %.0f "
          "us (openssl speed). Their sum bounds signing at %.0f%% of "
          "openssl's rate on one core; measured: %.0f%%.\n" % (
              floor, us_floor, us_rsa, 100 * us_rsa / (us_floor + us_rsa),
              100 * s16 / rsa_sign))
    others = []
    for conc in (1, 16):
        a = rate(rows, "authgate", "verify-4k", conc)
        for cfg in ("opendkim", "opendmarc", "opendkim+opendmarc",
                    "rspamd", "null"):
            r = ratio(a, rate(rows, cfg, "verify-4k", conc))
            if r is not None:
                others.append("- verify 4 KB, concurrency %d: authgate is "
                              "%s the messages/s of %s" %
                              (conc, fmt_ratio(r), CONFIG_NAMES[cfg]))
        a = rate(rows, "authgate", "verify-100k", conc)
        for cfg in ("opendkim+opendmarc", "rspamd"):
            r = ratio(a, rate(rows, cfg, "verify-100k", conc))
            if r is not None:
                others.append("- verify 100 KB, concurrency %d: authgate "
                              "is %s the messages/s of %s" %
                              (conc, fmt_ratio(r), CONFIG_NAMES[cfg]))
        r = ratio(rate(rows, "authgate", "sign-rsa", conc),
                  rate(rows, "opendkim", "sign-rsa", conc))
        if r is not None:
            others.append("- sign RSA-2048, concurrency %d: authgate is %s "
                          "the messages/s of OpenDKIM" % (conc,
                                                          fmt_ratio(r)))
    w("All ratios of this run:\n")
    w("\n".join(others))
    w("")
    if mem:
        w("## Memory\n")
        if idle:
            w("- 500 idle connections (negotiated, CONNECT and HELO done, "
              "then held): RSS %.1f MB (%.1f MB before), %s threads." % (
                  int(idle["rss_kb"]) / 1024.0,
                  int(idle["base_kb"]) / 1024.0, idle.get("threads", "?")))
        if small and big:
            w("- Peak RSS (VmHWM) of a fresh authgate after one message: "
              "100 KB body %.1f MB, 100 MB body %.1f MB (bodies are "
              "streamed; the rules see the first BodyScanWindow bytes)." %
              (int(small["hwm_kb"]) / 1024.0, int(big["hwm_kb"]) / 1024.0))
        w("")
    with open(o.out, "w") as f:
        f.write("\n".join(out) + "\n")


main()
