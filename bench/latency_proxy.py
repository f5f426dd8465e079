#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 that adds latency and jitter, for keyhole's network benchmarks.

    bench/latency_proxy.py LISTEN_PORT TARGET_PORT RTT_MS [JITTER_MS]
                           [--model independent|queueing] [--queue-tau-ms T] [--seed S]

Every chunk read in either direction (whatever one recv() returned) is delivered about RTT_MS/2
later, never before the chunk read before it on that connection (TCP keeps order). A new
connection pays the handshake's round trip too: the proxy connects to the target only after
one round trip. It works on bytes, so TLS, HTTP/1.1 and HTTP/2 pass through untouched. Both
ends are loopback; nothing else is reachable from it.

How the JITTER_MS part is drawn (--model):

  independent (default, the original behaviour)
      each chunk gets its own delay RTT_MS/2 + U(-JITTER_MS/2, +JITTER_MS/2), drawn afresh per
      chunk: two requests sent at the same moment on two connections see unrelated delays, so a
      round trip varies by up to +-JITTER_MS even between simultaneous requests.

  queueing (what real paths do: jitter is the wait in router queues that all traffic shares)
      each direction (client->target, target->client) has one queueing delay Q(t) shared by
      every connection; a chunk read at time t is delivered at
          t + max(0, RTT_MS/2 - JITTER_MS/2) + Q(t) + U(0, 0.1 ms),
      and, as in one FIFO queue, never before a chunk that entered that direction earlier.
      Q(t) is a Gamma(2) process with mean JITTER_MS/2 and standard deviation JITTER_MS/(2*sqrt 2)
      (the independent model's U(0, JITTER_MS) part has mean JITTER_MS/2 and sd JITTER_MS/3.46,
      so both models have the same mean round trip and a comparable spread): Q = mean/4 times
      the sum of the squares of 4 independent Ornstein-Uhlenbeck processes with correlation
      time --queue-tau-ms (default 100 ms), sampled exactly on a 1 ms grid and interpolated
      linearly between grid points, so it wanders smoothly: chunks that cross the proxy at
      nearly the same moment, from any connection, get nearly the same extra delay (two 0.1 ms
      apart differ by some 0.05 ms at JITTER_MS 10), while chunks seconds apart are unrelated.

With JITTER_MS 0 both models are the same fixed delay. Timers use select(2) (microsecond
timeouts) rather than epoll (whole milliseconds), so the delivery is late by ~0.1 ms at most;
the open-file limit is capped at 1024 for that.
"""

import argparse
import asyncio
import math
import random

from benchutil import select_loop

GRID = 0.001  # the queue process is sampled every 1 ms and interpolated in between
INDEPENDENT_PART = 0.0001  # queueing: up to 0.1 ms drawn per chunk on top of the shared delay
COMPONENTS = 4  # sum of squares of 4 unit OU processes: chi-square(4) = Gamma(2, 2)


class QueueDelay:
    """One direction's shared queueing delay Q(t) in seconds (see the module docstring)."""

    def __init__(self, mean, tau, rng):
        self.mean, self.tau, self.rng = mean, tau, rng
        self.t0 = None  # grid time of self.x0; self.x1 is at self.t0 + GRID
        self.x0 = self.x1 = None
        self.last_departure = 0.0

    def _step(self, x, dt):
        """The exact Ornstein-Uhlenbeck transition (unit variance) over dt seconds."""
        a = math.exp(-dt / self.tau)
        b = math.sqrt(max(0.0, 1.0 - a * a))
        return [a * v + b * self.rng.gauss(0.0, 1.0) for v in x]

    def _q(self, x):
        return self.mean / COMPONENTS * sum(v * v for v in x)

    def at(self, t):
        if self.mean <= 0:
            return 0.0
        if self.t0 is None:
            self.t0 = math.floor(t / GRID) * GRID
            self.x0 = [self.rng.gauss(0.0, 1.0) for _ in range(COMPONENTS)]
            self.x1 = self._step(self.x0, GRID)
        if t >= self.t0 + GRID:
            # Move the grid forward to the step holding t: one exact transition for any gap.
            steps = math.floor((t - self.t0) / GRID)
            if steps == 1:
                self.x0 = self.x1
            else:
                self.x0 = self._step(self.x1, (steps - 1) * GRID)
            self.t0 += steps * GRID
            self.x1 = self._step(self.x0, GRID)
        f = min(1.0, max(0.0, (t - self.t0) / GRID))
        return (1.0 - f) * self._q(self.x0) + f * self._q(self.x1)

    def departure(self, t, base):
        """When a chunk that entered this direction at t leaves the shared queue (FIFO)."""
        d = max(t + base + self.at(t), self.last_departure)
        self.last_departure = d
        return d


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="bench/latency_proxy.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("listen_port", type=int)
    ap.add_argument("target_port", type=int)
    ap.add_argument("rtt_ms", type=float)
    ap.add_argument("jitter_ms", type=float, nargs="?", default=0.0)
    ap.add_argument("--model", choices=("independent", "queueing"), default="independent")
    ap.add_argument("--queue-tau-ms", type=float, default=100.0, help="queueing: correlation time of the queue delay (default 100)")
    ap.add_argument("--seed", type=int, default=None, help="seed the random draws (default: from the OS)")
    return ap.parse_args(argv)


ARGS = parse_args()
LISTEN, TARGET = ARGS.listen_port, ARGS.target_port
RTT = ARGS.rtt_ms / 1000.0
JITTER = ARGS.jitter_ms / 1000.0
QUEUEING = ARGS.model == "queueing"
RNG = random.Random(ARGS.seed)
# Queueing: the fixed part of a one-way delay; Q(t) adds JITTER/2 on average.
BASE = max(0.0, RTT / 2 - JITTER / 2)
QUEUES = {
    "up": QueueDelay(JITTER / 2, ARGS.queue_tau_ms / 1000.0, RNG),
    "down": QueueDelay(JITTER / 2, ARGS.queue_tau_ms / 1000.0, RNG),
}


def one_way():
    return max(0.0, RTT / 2 + RNG.uniform(-JITTER / 2, JITTER / 2))


def arrival(now, direction):
    """When a chunk read now in `direction` is due at the other end (before per-connection order)."""
    if QUEUEING:
        return QUEUES[direction].departure(now, BASE) + RNG.uniform(0.0, INDEPENDENT_PART)
    return now + one_way()


async def pipe(reader, writer, direction):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()
    last = 0.0

    async def deliver():
        while True:
            at, data = await queue.get()
            delay = at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if data is None:
                break
            writer.write(data)
            await writer.drain()
        try:
            writer.close()
        except Exception:
            pass

    task = asyncio.create_task(deliver())
    try:
        while True:
            data = await reader.read(65536)
            at = max(arrival(loop.time(), direction), last)
            last = at
            if not data:
                break
            queue.put_nowait((at, data))
    except (ConnectionError, OSError):
        pass
    queue.put_nowait((last, None))
    try:
        await task
    except (ConnectionError, OSError):
        pass


async def handle(client_r, client_w):
    loop = asyncio.get_running_loop()
    if QUEUEING:
        # The handshake's round trip through both shared queues (not entered into their FIFO).
        now = loop.time()
        up = BASE + QUEUES["up"].at(now)
        handshake = up + BASE + QUEUES["down"].at(now + up)
    else:
        handshake = RTT
    await asyncio.sleep(handshake)
    try:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", TARGET)
    except OSError:
        client_w.close()
        return
    await asyncio.gather(pipe(client_r, server_w, "up"), pipe(server_r, client_w, "down"))


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", LISTEN, backlog=256)
    async with server:
        await server.serve_forever()


loop = select_loop()
try:
    loop.run_until_complete(main())
except KeyboardInterrupt:
    pass
