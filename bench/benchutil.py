"""Small helpers shared by the bench scripts: free ports on 127.0.0.1, child processes in their
own process groups and stopping them all on exit, precise waits, and an asyncio loop with
microsecond timers."""

import asyncio
import atexit
import os
import random
import resource
import selectors
import signal
import socket
import subprocess
import sys
import time

_children = []  # Popen objects, each the leader of its own process group
_handed_out = set()  # ports this process already picked (a range is walked without repeats)


def parse_range(text):
    """"LO-HI" -> (lo, hi), or None for an empty string."""
    if not text:
        return None
    lo, _, hi = text.partition("-")
    lo, hi = int(lo), int(hi or lo)
    if not (0 < lo <= hi < 65536):
        raise ValueError(f"bad port range {text!r}")
    return lo, hi


def free_port(port_range=None):
    """A port on 127.0.0.1 that nothing listens on: the OS's pick (bind to port 0), or, with
    port_range=(lo, hi), one from that range not handed out before by this process."""
    if port_range is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    candidates = [p for p in range(port_range[0], port_range[1] + 1) if p not in _handed_out]
    random.shuffle(candidates)
    for p in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                continue
        _handed_out.add(p)
        return p
    raise RuntimeError(f"no free port left in {port_range[0]}-{port_range[1]}")


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_port(port, timeout=30.0, proc=None):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if port_open(port):
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{' '.join(map(str, proc.args))} exited with {proc.returncode} before opening port {port}")
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def spawn(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
    """Start argv in a new session (its own process group), remembered for stop_all()."""
    p = subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, start_new_session=True)
    _children.append(p)
    return p


def stop(p, grace=3.0):
    """TERM p's process group, then KILL what is left after `grace` seconds; reap p."""
    if p in _children:
        _children.remove(p)
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        p.poll()
        return
    end = time.monotonic() + grace
    while time.monotonic() < end:
        p.poll()
        try:
            os.killpg(p.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.02)
    else:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def stop_all():
    for p in reversed(list(_children)):
        stop(p, grace=1.0)


def install_cleanup():
    """Stop every child on exit, Ctrl-C, SIGTERM or SIGHUP (then exit 128+signal)."""
    atexit.register(stop_all)

    def handler(signum, _frame):
        stop_all()
        print(f"{os.path.basename(sys.argv[0])}: stopped by signal {signum}; children stopped", file=sys.stderr, flush=True)
        os._exit(128 + signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, handler)


def wait_precisely(seconds):
    """Busy-wait below 2 ms (sleep's wake-up is too coarse there), sleep from 2 ms on."""
    if seconds <= 0:
        return
    if seconds < 0.002:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            pass
    else:
        time.sleep(seconds)


def select_loop():
    """A new asyncio loop on select(2), set as the current one: select takes microsecond
    timeouts (epoll rounds up to whole milliseconds), but only file descriptors below 1024, so
    the descriptor limit is lowered to 1024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft > 1024:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
    loop = asyncio.SelectorEventLoop(selectors.SelectSelector())
    asyncio.set_event_loop(loop)
    return loop
