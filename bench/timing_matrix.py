#!/usr/bin/env python3
"""How often keyhole finds a sign-in timing leak: server/protocol x leak x round trip x jitter model.

    bench/timing_matrix.py [--keyhole PATH] [--servers plain,h2,h1] [--leaks 0,1,2,5,10,20]
                           [--rtts 0,20,50,150] [--models queueing] [--jitter 10]
                           [--scans 10] [--null-scans 20] [--json FILE] [--ports LO-HI]

Servers (admin and alice exist and fail `leak` ms slower; leak 0 = no account is slower):
  plain   bench/signin_server.py PORT fast [--leak-ms X]: Python's threaded HTTP/1.1 server
  h2      bench/tls_signin.py PORT --http 2 [--leak-ms X]: hypercorn over TLS, ALPN h2 + http/1.1
  h1      bench/tls_signin.py PORT --http 1.1 [--leak-ms X]: the same, ALPN http/1.1 only
(h2 and h1 need bench/.venv: bench/setup is run first, it does nothing when it is up to date.)
For every RTT above 0 and every model, bench/latency_proxy.py PORT SERVER RTT JITTER --model M
stands in front of the server and keyhole scans the proxy; at RTT 0 keyhole scans the server
directly (once, whatever the models). Each cell runs
    KEYHOLE scan URL --format json -q [--insecure for https] [--keyhole-arg ...]
--scans times (--null-scans times at leak 0, where every detection is a false positive) and
counts the reports with a finding `auth.user-enumeration.timing` (its details.method is kept),
and those with an `incomplete` entry for that check. Prints a Markdown table on stdout, progress
on stderr; --json FILE writes every scan's raw result. Servers and proxies run on ports the OS
picks on 127.0.0.1 (or from --ports LO-HI), each in its own process group, all stopped on exit.
Exit 0 when every scan produced a report, 1 otherwise.
"""

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import benchutil  # noqa: E402

CHECK = "auth.user-enumeration.timing"
SERVERS = {
    "plain": ("plain HTTP/1.1", "http"),
    "h2": ("TLS h2", "https"),
    "h1": ("TLS http/1.1", "https"),
}
ALIASES = {"http": "plain", "tls-h2": "h2", "h2": "h2", "tls-h1": "h1", "h1": "h1", "h1.1": "h1", "http1.1": "h1", "plain": "plain"}


def say(msg):
    print(f"timing_matrix: {msg}", file=sys.stderr, flush=True)


def floats(text):
    return [float(x) for x in text.split(",") if x.strip()]


def fmt(x):
    return f"{x:g}"


class Server:
    """One bench server (kind, leak) on a port of its own, its stderr in a temporary log."""

    def __init__(self, kind, leak, ports, venv_python):
        self.kind, self.leak = kind, leak
        self.port = benchutil.free_port(ports)
        if kind == "plain":
            cmd = [sys.executable, HERE / "signin_server.py", self.port, "fast"]
        else:
            cmd = [venv_python, HERE / "tls_signin.py", self.port, "--http", "2" if kind == "h2" else "1.1"]
        if leak > 0:
            cmd += ["--leak-ms", fmt(leak)]
        self.log = tempfile.TemporaryFile()
        self.proc = benchutil.spawn(cmd, stderr=self.log)
        try:
            benchutil.wait_port(self.port, timeout=60, proc=self.proc)
        except RuntimeError as e:
            raise RuntimeError(f"{e}: {self.tail()}") from None

    def tail(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-400:].strip()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        benchutil.stop(self.proc)
        self.log.close()


def start_proxy(target_port, rtt, jitter, model, tau, ports):
    port = benchutil.free_port(ports)
    cmd = [sys.executable, HERE / "latency_proxy.py", port, target_port, fmt(rtt), fmt(jitter), "--model", model]
    if tau is not None:
        cmd += ["--queue-tau-ms", fmt(tau)]
    proc = benchutil.spawn(cmd)
    benchutil.wait_port(port, proc=proc)
    return proc, port


def run_scan(keyhole, url, extra, timeout):
    """One keyhole scan in its own process group; the parsed facts of its JSON report."""
    argv = [str(keyhole), "scan", url, "--format", "json", "-q"]
    if url.startswith("https://"):
        argv.append("--insecure")
    argv += extra
    t0 = time.monotonic()
    proc = benchutil.spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        benchutil.stop(proc)
        out, err = proc.communicate()
        timed_out = True
    seconds = time.monotonic() - t0
    if proc in benchutil._children:
        benchutil._children.remove(proc)
    r = {"seconds": round(seconds, 3), "exit": proc.returncode, "detected": False, "methods": [], "incomplete": [], "findings": [], "error": None}
    if timed_out:
        r["error"] = f"timed out after {timeout} s"
        return r
    try:
        report = json.loads(out.decode() or "null")
        if not isinstance(report, dict):
            raise ValueError("not a JSON object")
    except ValueError as e:
        r["error"] = f"exit {proc.returncode}, no JSON report ({e}): {err.decode(errors='replace')[-300:].strip()}"
        return r
    findings = [f for f in report.get("findings") or [] if isinstance(f, dict)]
    r["findings"] = sorted({str(f.get("id")) for f in findings})
    for f in findings:
        if f.get("id") == CHECK:
            r["detected"] = True
            details = f.get("details") or {}
            if isinstance(details, dict) and "method" in details:
                r["methods"].append(details["method"])
    r["incomplete"] = [i for i in report.get("incomplete") or [] if isinstance(i, dict) and i.get("check") == CHECK]
    if proc.returncode not in (0, 1):  # 1: a finding crossed the gate; 2: an error
        r["error"] = f"exit {proc.returncode}: {err.decode(errors='replace')[-300:].strip()}"
    return r


def summarize(cell):
    scans = cell["scans"]
    ok = [s for s in scans if not s["error"]]
    methods = {}
    for s in scans:
        for m in s["methods"]:
            methods[str(m)] = methods.get(str(m), 0) + 1
    return {
        "n": len(scans),
        "detected": sum(s["detected"] for s in scans),
        "incomplete": sum(bool(s["incomplete"]) for s in scans),
        "errors": len(scans) - len(ok),
        "median_s": statistics.median([s["seconds"] for s in ok]) if ok else None,
        "methods": methods,
    }


def table(cells, jitter):
    lines = [
        "| server/protocol | model | RTT ms | leak ms | detected | incomplete | errors | median scan s | method |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for c in cells:
        s = summarize(c)
        rtt = "0" if c["rtt"] == 0 else f"{fmt(c['rtt'])} ± {fmt(jitter)}"
        med = f"{s['median_s']:.2f}" if s["median_s"] is not None else "-"
        methods = ", ".join(f"{m} {k}" for m, k in sorted(s["methods"].items())) or "-"
        det = f"{s['detected']}/{s['n']}"
        if c["leak"] == 0 and s["detected"]:
            det = f"**{det}** (false)"
        lines.append(
            f"| {SERVERS[c['server']][0]} | {c['model'] or '-'} | {rtt} | {fmt(c['leak'])} | {det} | "
            f"{s['incomplete']}/{s['n']} | {s['errors']} | {med} | {methods} |"
        )
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(prog="bench/timing_matrix.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--keyhole", type=Path, default=ROOT / "target" / "release" / "keyhole")
    ap.add_argument("--servers", default="plain,h2,h1", help="plain, h2, h1 (default all three)")
    ap.add_argument("--leaks", default="0,1,2,5,10,20", help="leak in ms, comma-separated")
    ap.add_argument("--rtts", default="0,20,50,150", help="round trips in ms, comma-separated (0: no proxy)")
    ap.add_argument("--models", default="queueing", help="proxy jitter models: queueing, independent")
    ap.add_argument("--jitter", type=float, default=10.0, help="the proxy's JITTER_MS for every RTT above 0 (default 10)")
    ap.add_argument("--queue-tau-ms", type=float, default=None, help="passed to the proxy (its default otherwise)")
    ap.add_argument("--scans", type=int, default=10, help="scans per cell with a leak (default 10)")
    ap.add_argument("--null-scans", type=int, default=20, help="scans per cell at leak 0 (default 20)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds one scan may take (default 300)")
    ap.add_argument("--keyhole-arg", action="append", default=[], metavar="ARG", help="extra argument for every scan (repeatable)")
    ap.add_argument("--json", type=Path, default=None, help="write the raw results there")
    ap.add_argument("--ports", default="", help="take ports from LO-HI instead of the OS's picks")
    args = ap.parse_args()

    try:
        servers = [ALIASES[s.strip()] for s in args.servers.split(",") if s.strip()]
        leaks, rtts = floats(args.leaks), floats(args.rtts)
        ports = benchutil.parse_range(args.ports)
    except (KeyError, ValueError) as e:
        ap.error(f"bad --servers/--leaks/--rtts/--ports: {e}")
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    if set(models) - {"queueing", "independent"} or not models:
        ap.error("--models takes queueing and/or independent")
    if not (os.path.isfile(args.keyhole) and os.access(args.keyhole, os.X_OK)):
        ap.error(f"no keyhole executable at {args.keyhole} (cargo build --release, or --keyhole PATH)")
    if args.scans < 1 or args.null_scans < 1:
        ap.error("--scans and --null-scans must be at least 1")

    benchutil.install_cleanup()
    venv_python = HERE / ".venv" / "bin" / "python"
    if {"h2", "h1"} & set(servers):
        r = subprocess.run([str(HERE / "setup")])
        if r.returncode != 0 or not venv_python.exists():
            raise SystemExit("timing_matrix: bench/setup failed: the TLS servers need bench/.venv")

    try:
        version = subprocess.run([str(args.keyhole), "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        version = ""
    meta = {
        "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "keyhole": str(args.keyhole),
        "keyhole_version": version,
        "check": CHECK,
        "jitter_ms": args.jitter,
        "queue_tau_ms": args.queue_tau_ms,
        "keyhole_args": args.keyhole_arg,
    }
    cells = []
    plan = [(s, leak) for s in servers for leak in leaks]
    total = sum((args.null_scans if leak == 0 else args.scans) * sum(len(models) if rtt > 0 else 1 for rtt in rtts) for _, leak in plan)
    done = 0
    t_start = time.monotonic()

    def write_json():
        if args.json:
            args.json.write_text(json.dumps({"meta": meta, "cells": [dict(c, summary=summarize(c)) for c in cells]}, indent=2) + "\n")

    for kind, leak in plan:
        n = args.null_scans if leak == 0 else args.scans
        server = Server(kind, leak, ports, venv_python)
        try:
            for rtt in rtts:
                for model in models if rtt > 0 else [None]:
                    proxy = None
                    if rtt > 0:
                        proxy, port = start_proxy(server.port, rtt, args.jitter, model, args.queue_tau_ms, ports)
                    else:
                        port = server.port
                    url = f"{SERVERS[kind][1]}://127.0.0.1:{port}"
                    cell = {"server": kind, "leak": leak, "rtt": rtt, "model": model, "url_scheme": SERVERS[kind][1], "scans": []}
                    cells.append(cell)
                    try:
                        for i in range(n):
                            if not server.alive():
                                raise RuntimeError(f"the {kind} server died: {server.tail()}")
                            r = run_scan(args.keyhole, url, args.keyhole_arg, args.timeout)
                            cell["scans"].append(r)
                            done += 1
                            what = "ERROR " + r["error"] if r["error"] else ("detected" if r["detected"] else "not detected")
                            say(f"[{done}/{total}] {kind} leak {fmt(leak)} ms, RTT {fmt(rtt)} ms{' ' + model if model else ''}: scan {i + 1}/{n} {r['seconds']:.2f} s, {what}")
                    finally:
                        if proxy is not None:
                            benchutil.stop(proxy)
                    write_json()
        finally:
            server.stop()

    benchutil.stop_all()
    meta["seconds"] = round(time.monotonic() - t_start, 1)
    write_json()
    print(f"keyhole timing matrix: `{CHECK}` detections ({version or args.keyhole}), jitter model(s) {', '.join(models)}, {meta['seconds']:.0f} s")
    print()
    print(table(cells, args.jitter))
    errors = sum(summarize(c)["errors"] for c in cells)
    if errors:
        say(f"{errors} scan(s) produced no report")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
