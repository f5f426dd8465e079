#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 that adds latency and jitter, for keyhole's network benchmarks.

    bench/latency_proxy.py LISTEN_PORT TARGET_PORT RTT_MS [JITTER_MS]

Every chunk read in either direction is delivered RTT_MS/2 later, plus or minus up to
JITTER_MS/2 drawn uniformly per chunk (so a round trip varies by up to ±JITTER_MS), never
before the chunk read before it on that connection (TCP keeps order). A new connection pays the
handshake's round trip too: the proxy connects to the target only after RTT_MS.
Both ends are loopback; nothing else is reachable from it.
"""

import asyncio
import random
import sys

LISTEN, TARGET = int(sys.argv[1]), int(sys.argv[2])
RTT = float(sys.argv[3]) / 1000.0
JITTER = float(sys.argv[4]) / 1000.0 if len(sys.argv) > 4 else 0.0


def one_way():
    return max(0.0, RTT / 2 + random.uniform(-JITTER / 2, JITTER / 2))


async def pipe(reader, writer):
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
            at = max(loop.time() + one_way(), last)
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
    await asyncio.sleep(RTT)  # the handshake's round trip
    try:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", TARGET)
    except OSError:
        client_w.close()
        return
    await asyncio.gather(pipe(client_r, server_w), pipe(server_r, client_w))


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", LISTEN, backlog=256)
    async with server:
        await server.serve_forever()


asyncio.run(main())
