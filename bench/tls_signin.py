#!/usr/bin/env python3
"""A JSON sign-in API over TLS, HTTP/2 or HTTP/1.1, for keyhole's timing benchmarks (hypercorn).

    bench/tls_signin.py PORT [--leak-ms X] [--http 2|1.1] [--hash-ms Y]

Serves https://127.0.0.1:PORT with a certificate made at start (trustme: a throw-away CA and a
leaf for 127.0.0.1 and localhost, in a temporary folder removed at exit; its CA file is printed
on stderr, for `curl --cacert`; otherwise use -k / --insecure).
  --http 2     ALPN offers h2 and http/1.1 (default)
  --http 1.1   ALPN offers http/1.1 only, and HTTP/2 prior knowledge is refused too
Routes (the same answers as bench/signin_server.py where they overlap):
  GET  /        a small HTML page (no links)
  POST /login   JSON {"username", "password"} -> 401 {"error": "invalid credentials"}, always;
                400 when the body is not such JSON; 405 for other methods
  anything else 404
The accounts `admin` and `alice` exist: their failures take --leak-ms X ms more (a busy wait on
time.perf_counter below 2 ms, a sleep from 2 ms on; the event loop uses select(2), whose
timeouts are microseconds, not epoll's whole milliseconds). --hash-ms Y runs PBKDF2-SHA256 for
about Y ms of CPU on every failure, for every account (iterations calibrated at start; run in a
worker thread, as hashlib lets go of the GIL). No throttling.

Needs hypercorn and trustme: bench/setup installs them into bench/.venv, and this script
re-runs itself with bench/.venv/bin/python when they are not importable.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv"

try:
    import hypercorn.asyncio  # noqa: F401
    import trustme  # noqa: F401
except ImportError:
    py = VENV / "bin" / "python"
    if py.exists() and Path(sys.prefix).resolve() != VENV.resolve():
        os.execv(str(py), [str(py), str(Path(__file__).resolve()), *sys.argv[1:]])
    sys.exit("bench/tls_signin.py: hypercorn and trustme are missing: run bench/setup")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import signal  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from hypercorn.config import Config  # noqa: E402

from benchutil import select_loop, wait_precisely  # noqa: E402

ACCOUNTS = ("admin", "alice")
PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>Bench sign-in</title></head>
<body><h1>Bench sign-in API</h1><p>Nothing to see here.</p></body></html>
"""


def parse_args():
    ap = argparse.ArgumentParser(prog="bench/tls_signin.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("port", type=int)
    ap.add_argument("--leak-ms", type=float, default=0.0, help="admin and alice fail X ms slower (default 0)")
    ap.add_argument("--http", choices=("2", "1.1"), default="2", help="2: ALPN h2 and http/1.1; 1.1: http/1.1 only")
    ap.add_argument("--hash-ms", type=float, default=0.0, help="PBKDF2 for about Y ms on every failure (default 0)")
    return ap.parse_args()


ARGS = parse_args()
LEAK_S = max(0.0, ARGS.leak_ms) / 1000.0


def calibrate(ms):
    """PBKDF2-SHA256 iterations for about `ms` ms here: the fastest of a few trials, so that a busy
    moment at start does not make every hash longer."""
    if ms <= 0:
        return 0
    n, trials = 20000, []
    for _ in range(5):
        t = time.perf_counter()
        hashlib.pbkdf2_hmac("sha256", b"x", b"salt", n)
        trials.append((time.perf_counter() - t) / n)
    return max(1, int(ms / 1000.0 / min(trials)))


ITERATIONS = calibrate(ARGS.hash_ms)


async def leak_wait(seconds):
    """Busy-wait below 2 ms, sleep from 2 ms on (asyncio.sleep on a select(2) loop: precise to
    about 0.1 ms, and other requests go on meanwhile)."""
    if seconds <= 0:
        return
    if seconds < 0.002:
        wait_precisely(seconds)
    else:
        await asyncio.sleep(seconds)


async def read_body(receive):
    body = b""
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            return None
        body += msg.get("body", b"")
        if not msg.get("more_body"):
            return body


async def respond(send, status, body, content_type="application/json"):
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def login(receive, send):
    raw = await read_body(receive)
    if raw is None:
        return
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        await respond(send, 400, {"error": "body must be JSON"})
        return
    if not isinstance(data, dict) or not data.get("username") or not data.get("password"):
        await respond(send, 400, {"error": "username and password are required"})
        return
    user, password = str(data["username"]), str(data["password"])
    if ITERATIONS:
        await asyncio.to_thread(hashlib.pbkdf2_hmac, "sha256", password.encode(), b"salt", ITERATIONS)
    if user in ACCOUNTS:
        await leak_wait(LEAK_S)
    await respond(send, 401, {"error": "invalid credentials"})


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    path, method = scope["path"], scope["method"]
    if path == "/login":
        if method == "POST":
            await login(receive, send)
        else:
            await read_body(receive)
            await respond(send, 405, {"error": "use POST"})
    elif path == "/" and method in ("GET", "HEAD"):
        await read_body(receive)
        await respond(send, 200, PAGE, "text/html; charset=utf-8")
    else:
        await read_body(receive)
        await respond(send, 404, {"error": "not found"})


def http11_only():
    """Refuse HTTP/2 prior knowledge ("PRI * HTTP/2.0") and h2c upgrades: HTTP/1.1 and only it."""
    from hypercorn.protocol.h11 import H11Protocol

    async def check_protocol(self, event):
        return None

    H11Protocol._check_protocol = check_protocol


async def serve(config, certdir):
    import hypercorn.asyncio

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    alpn = " and ".join(config.alpn_protocols)
    print(
        f"tls_signin: https://127.0.0.1:{ARGS.port} (ALPN {alpn}), leak {ARGS.leak_ms:g} ms for {', '.join(ACCOUNTS)}, "
        f"hash {ARGS.hash_ms:g} ms ({ITERATIONS} PBKDF2 iterations); CA {certdir}/ca.pem",
        file=sys.stderr,
        flush=True,
    )
    await hypercorn.asyncio.serve(app, config, shutdown_trigger=stop.wait)


def main():
    import trustme

    if ARGS.http == "1.1":
        http11_only()
    with tempfile.TemporaryDirectory(prefix="tls_signin.") as certdir:
        ca = trustme.CA()
        leaf = ca.issue_cert("127.0.0.1", "localhost")
        ca.cert_pem.write_to_path(f"{certdir}/ca.pem")
        leaf.private_key_pem.write_to_path(f"{certdir}/key.pem")
        with open(f"{certdir}/cert.pem", "wb") as fh:
            for pem in leaf.cert_chain_pems:
                fh.write(pem.bytes())
        config = Config()
        config.bind = [f"127.0.0.1:{ARGS.port}"]
        config.certfile = f"{certdir}/cert.pem"
        config.keyfile = f"{certdir}/key.pem"
        config.alpn_protocols = ["h2", "http/1.1"] if ARGS.http == "2" else ["http/1.1"]
        config.accesslog = None
        config.loglevel = "WARNING"
        config.keep_alive_timeout = 75  # like nginx: keyhole's pooled connections stay open
        config.graceful_timeout = 1
        loop = select_loop()
        try:
            loop.run_until_complete(serve(config, certdir))
        finally:
            loop.close()


if __name__ == "__main__":
    main()
