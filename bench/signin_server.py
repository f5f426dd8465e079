#!/usr/bin/env python3
"""A small JSON sign-in API for keyhole's network benchmarks (Python's own threaded HTTP server).

    bench/signin_server.py PORT [MODE] [--close] [--leak-ms X]

MODE is one of
  fast      POST /login answers 401 {"error": "invalid credentials"} at once
  leak      the same, but the account `admin` exists and its failures take 20 ms more
            (a password check that only runs for existing accounts)
  hash      every failure runs PBKDF2-SHA256 for about 150 ms, or --hash-ms (a dummy hash for
            unknown accounts too, as careful applications do): no leak, just a slow endpoint
  delay     every failure waits a constant 1 s (time.sleep, not per client): parallel
            attempts are not slowed down by it
--serial serves one request at a time (no threads), like a single synchronous worker: with kept-alive
connections one client's connection holds the server until it closes, so use it with --close.
--close answers every request with `Connection: close` (HTTP/1.0 style), so each request pays a
new TCP handshake; otherwise connections are kept alive (HTTP/1.1).
--leak-ms X (any mode; MODE defaults to fast) makes the accounts `admin` and `alice` exist and
their failures take X ms more, on top of what MODE does (in `leak` mode X replaces the 20 ms for
`admin`): a busy wait on time.perf_counter below 2 ms, time.sleep from 2 ms on.
No throttling in any mode: rate-limit.missing is the right verdict everywhere.
"""

import argparse
import hashlib
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer

from benchutil import wait_precisely

_ap = argparse.ArgumentParser(prog="bench/signin_server.py", description=__doc__.split("\n\n")[0])
_ap.add_argument("port", type=int)
_ap.add_argument("mode", nargs="?", default="fast", choices=("fast", "leak", "hash", "delay"))
_ap.add_argument("--close", action="store_true", help="answer with Connection: close")
_ap.add_argument("--leak-ms", type=float, default=None, help="admin and alice fail X ms slower")
_ap.add_argument("--serial", action="store_true", help="one request at a time (no threads), like a single sync worker")
_ap.add_argument("--log", action="store_true", help="print each sign-in attempt's time and account on stderr")
_ap.add_argument("--hash-ms", type=float, default=150.0, help="hash mode: PBKDF2 for about Y ms (default 150)")
_args = _ap.parse_args()
PORT, MODE, CLOSE = _args.port, _args.mode, _args.close
# Which accounts exist and how much longer their failures take, in seconds.
if _args.leak_ms is not None:
    LEAK_USERS, LEAK_S = ("admin", "alice"), max(0.0, _args.leak_ms) / 1000.0
elif MODE == "leak":
    LEAK_USERS, LEAK_S = ("admin",), 0.020
else:
    LEAK_USERS, LEAK_S = (), 0.0


# Iterations for about --hash-ms on this machine (one core), measured at start.
ITERATIONS = 1
if MODE == "hash":
    # The fastest of a few trials: a busy moment at start must not make every hash longer.
    trials = []
    for _ in range(5):
        t = time.perf_counter()
        hashlib.pbkdf2_hmac("sha256", b"x", b"salt", 50000)
        trials.append((time.perf_counter() - t) / 50000)
    ITERATIONS = max(1000, int(_args.hash_ms / 1000.0 / min(trials)))
    print(f"signin_server: {ITERATIONS} PBKDF2 iterations for {_args.hash_ms:g} ms", file=sys.stderr, flush=True)


LOCK = threading.Lock()
STARTED = time.monotonic()
STATS = {"in_flight": 0, "max_in_flight": 0, "requests": 0}


def enter():
    """A request was read: it is in flight until answered."""
    with LOCK:
        STATS["requests"] += 1
        STATS["in_flight"] += 1
        STATS["max_in_flight"] = max(STATS["max_in_flight"], STATS["in_flight"])


class Handler(BaseHTTPRequestHandler):
    # One write per response (headers and body together) and no Nagle: otherwise the body
    # waits for the client's delayed ACK of the headers, 40 ms per kept-alive request.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.0" if CLOSE else "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, obj, counted=True):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if CLOSE:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        if counted:
            with LOCK:
                STATS["in_flight"] -= 1

    def do_GET(self):
        if self.path == "/__bench_stats":
            with LOCK:
                stats = dict(STATS)
            self.answer(200, stats, counted=False)
            return
        enter()
        if self.path == "/":
            self.answer(200, {"service": "bench sign-in API", "login": "POST /login"})
        elif self.path == "/login":
            self.answer(405, {"error": "use POST"})
        else:
            self.answer(404, {"error": "not found"})

    def do_POST(self):
        enter()
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if self.path != "/login":
            self.answer(404, {"error": "not found"})
            return
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            self.answer(400, {"error": "body must be JSON"})
            return
        if not isinstance(data, dict) or not data.get("username") or not data.get("password"):
            self.answer(400, {"error": "username and password are required"})
            return
        user = str(data["username"])
        if _args.log:
            print(f"{time.monotonic() - STARTED:8.3f} {user}", file=sys.stderr, flush=True)
        if MODE == "hash":
            hashlib.pbkdf2_hmac("sha256", str(data["password"]).encode(), b"salt", ITERATIONS)
        elif MODE == "delay":
            time.sleep(1.0)
        if user in LEAK_USERS:
            wait_precisely(LEAK_S)
        self.answer(401, {"error": "invalid credentials"})


HTTPServer.request_queue_size = 64
ThreadingHTTPServer.daemon_threads = True
(HTTPServer if _args.serial else ThreadingHTTPServer)(("127.0.0.1", PORT), Handler).serve_forever()
