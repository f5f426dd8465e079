#!/usr/bin/env python3
"""Self-check of bench/latency_proxy.py's jitter models: do simultaneous requests see the same delay?

    bench/proxy_check.py [--rtt 50] [--jitter 10] [--pairs 100] [--models independent,queueing]
                         [--tau-ms 100] [--no-baseline] [--seed S] [--ports LO-HI]

Starts a tiny echo server (a child process: it answers each message with the CLOCK_MONOTONIC time
it arrived) and, per model, the proxy in front of it; opens two connections through the proxy and
sends one message on each at the same moment (a few microseconds apart, alternating which goes
first), PAIRS times, waiting a random 20-200 ms between pairs so that the queueing model's delay
moves on. Prints, per model:
  rtt mean/sd    the round trip over all requests (the spread a scan sees over time)
  |d rtt|        the in-pair difference of the two round trips: median, 90th percentile, max
  |d up|         the in-pair difference of the two arrival times at the echo server (one way)
Expected: both models have about the same mean and a comparable sd; |d| is a few ms for
`independent` (each chunk draws its own jitter) and well below 1 ms for `queueing` (the shared
queue gives both nearly the same delay). A last row without jitter shows this machine's own noise
(a busy machine delays the proxy's timers now and then: the outliers in p90/max). Exit 1 if queueing's median |d rtt| is not below
independent's. Ports come from the OS unless --ports LO-HI is given.
"""

import argparse
import random
import selectors
import socket
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import benchutil  # noqa: E402


def now_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def echo_server(port):
    """Answer every line with the CLOCK_MONOTONIC ns at which it was read."""
    sel = selectors.DefaultSelector()
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    sel.register(srv, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            if key.fileobj is srv:
                c, _ = srv.accept()
                c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sel.register(c, selectors.EVENT_READ)
                continue
            c = key.fileobj
            try:
                data = c.recv(4096)
            except OSError:
                data = b""
            t = now_ns()
            if not data:
                sel.unregister(c)
                c.close()
                continue
            for _ in range(data.count(b"\n")):
                c.sendall(b"%d\n" % t)


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_line(s, deadline):
    buf = b""
    while not buf.endswith(b"\n"):
        s.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = s.recv(64)
        if not chunk:
            raise RuntimeError("connection closed")
        buf += chunk
    return buf


def measure(port, pairs, rng):
    a, b = connect(port), connect(port)
    deadline = time.monotonic() + 30
    for s in (a, b):  # warm up: both connections established through the proxy
        s.sendall(b"warm\n")
        read_line(s, deadline)
    rtts, d_rtt, d_up = [], [], []
    sel = selectors.DefaultSelector()
    sel.register(a, selectors.EVENT_READ, 0)
    sel.register(b, selectors.EVENT_READ, 1)
    for i in range(pairs):
        time.sleep(rng.uniform(0.020, 0.200))
        first, second = (a, b) if i % 2 == 0 else (b, a)
        sent = {}
        t = now_ns()
        first.sendall(b"ping\n")
        sent[first] = t
        t = now_ns()
        second.sendall(b"ping\n")
        sent[second] = t
        got, up = {}, {}
        end = time.monotonic() + 10
        buf = {a: b"", b: b""}
        while len(got) < 2:
            if time.monotonic() > end:
                raise RuntimeError("no answer within 10 s")
            for key, _ in sel.select(timeout=1.0):
                s = key.fileobj
                chunk = s.recv(64)
                t = now_ns()
                if not chunk:
                    raise RuntimeError("connection closed")
                buf[s] += chunk
                if buf[s].endswith(b"\n") and s not in got:
                    got[s] = t
                    up[s] = int(buf[s].strip())
                    buf[s] = b""
        ra, rb = got[a] - sent[a], got[b] - sent[b]
        rtts += [ra / 1e6, rb / 1e6]
        d_rtt.append(abs(ra - rb) / 1e6)
        d_up.append(abs((up[a] - sent[a]) - (up[b] - sent[b])) / 1e6)
    a.close()
    b.close()
    return rtts, d_rtt, d_up


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main():
    ap = argparse.ArgumentParser(prog="bench/proxy_check.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--rtt", type=float, default=50.0, help="round trip in ms (default 50)")
    ap.add_argument("--jitter", type=float, default=10.0, help="jitter in ms (default 10)")
    ap.add_argument("--pairs", type=int, default=100, help="simultaneous pairs per model (default 100)")
    ap.add_argument("--models", default="independent,queueing")
    ap.add_argument("--tau-ms", type=float, default=None, help="queueing: the proxy's --queue-tau-ms")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--no-baseline", dest="baseline", action="store_false", help="skip the jitter-0 row")
    ap.add_argument("--ports", default="", help="pick ports from LO-HI instead of the OS's")
    ap.add_argument("--echo", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.echo is not None:
        echo_server(args.echo)
        return 0
    benchutil.install_cleanup()
    ports = benchutil.parse_range(args.ports)
    rng = random.Random(args.seed)
    echo_port = benchutil.free_port(ports)
    echo = benchutil.spawn([sys.executable, Path(__file__).resolve(), "--echo", echo_port])
    benchutil.wait_port(echo_port, proc=echo)
    print(f"proxy_check: RTT {args.rtt:g} ms, jitter {args.jitter:g} ms, {args.pairs} pairs per model")
    print()
    print("| model | rtt mean ms | rtt sd ms | median abs d rtt ms | p90 | max | median abs d up ms | p90 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    medians = {}
    runs = [(m.strip(), args.jitter) for m in args.models.split(",") if m.strip()]
    if args.baseline:
        runs.append(("no jitter (this machine's noise)", 0.0))
    for label, jitter in runs:
        model = label if jitter else "independent"
        port = benchutil.free_port(ports)
        cmd = [sys.executable, HERE / "latency_proxy.py", port, echo_port, args.rtt, jitter, "--model", model]
        if args.tau_ms is not None:
            cmd += ["--queue-tau-ms", args.tau_ms]
        if args.seed is not None:
            cmd += ["--seed", args.seed]
        proxy = benchutil.spawn(cmd)
        benchutil.wait_port(port, proc=proxy)
        try:
            rtts, d_rtt, d_up = measure(port, args.pairs, rng)
        finally:
            benchutil.stop(proxy)
        medians[label] = statistics.median(d_rtt)
        print(
            f"| {label} | {statistics.mean(rtts):.2f} | {statistics.pstdev(rtts):.2f} | {statistics.median(d_rtt):.3f} | "
            f"{pct(d_rtt, 0.9):.3f} | {max(d_rtt):.3f} | {statistics.median(d_up):.3f} | {pct(d_up, 0.9):.3f} |",
            flush=True,
        )
    benchutil.stop_all()
    if "independent" in medians and "queueing" in medians and args.jitter > 0:
        ok = medians["queueing"] < medians["independent"]
        print()
        print(f"proxy_check: queueing's in-pair difference is {'below' if ok else 'NOT below'} independent's")
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
