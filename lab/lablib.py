"""Shared machinery of lab/run and bench/run: the manifest, starting and stopping targets, and
running keyhole with its resource use measured. Python 3.11 standard library only.

Every wait is bounded and every target is started in its own process group, which is
killed (TERM, then KILL) when the target is done with, on Ctrl-C and on SIGTERM.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "lab"
STATE = LAB / ".state"
MANIFEST = LAB / "manifest.toml"
RUN_TARGET = ROOT / "targets" / "run-target"
KEYHOLE = ROOT / "target" / "release" / "keyhole"

#: Longest a target may take to open its port.
START_TIMEOUT = 20.0
#: Longest one scan may take (keyhole's own default deadline is 120 s).
SCAN_TIMEOUT = 200.0

CATALOG = (
    "rate-limit.missing",
    "rate-limit.spraying-unthrottled",
    "rate-limit.ip-header-bypass",
    "rate-limit.no-retry-after",
    "auth.user-enumeration.response",
    "auth.user-enumeration.timing",
    "auth.verbose-error",
    "auth.debug-exposure",
)


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- manifest


@dataclass
class Target:
    name: str
    framework: str
    trap: str
    description: str
    endpoint: str
    must: list[str]
    may: list[str] = field(default_factory=list)
    observe: str | None = None
    #: other "METHOD /path" spellings of the same sign-in (one form posted to two paths)
    endpoint_alt: list[str] = field(default_factory=list)
    #: seconds the target may take to open its port (real applications start slowly)
    start_timeout: float = START_TIMEOUT
    #: where the ground truth came from (targets/real/NAME/truth.toml) or the manifest
    origin: str = "lab/manifest.toml"

    @property
    def no_surface(self) -> bool:
        return self.endpoint.strip().lower() == "none"


REAL = ROOT / "targets" / "real"


def load_manifest(path: Path = MANIFEST, real: bool = True) -> list[Target]:
    """The lab manifest, then (with `real`) each real application's targets/real/NAME/truth.toml."""
    files = [path]
    if real and path == MANIFEST:
        files += sorted(REAL.glob("*/truth.toml"))
    out: list[Target] = []
    for f in files:
        out += _load_one(f)
    names = [t.name for t in out]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(f"{path}: duplicate targets {sorted(dup)}")
    return out


def _load_one(path: Path) -> list[Target]:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    out = []
    for t in data.get("target", []):
        tgt = Target(
            name=t["name"],
            framework=t.get("framework", ""),
            trap=t.get("trap", ""),
            description=t.get("description", ""),
            endpoint=t["endpoint"],
            must=list(t.get("must", [])),
            may=list(t.get("may", [])),
            observe=t.get("observe"),
            endpoint_alt=list(t.get("endpoint_alt", [])),
            start_timeout=float(t.get("start_timeout", START_TIMEOUT)),
            origin=str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path),
        )
        for fid in tgt.must + tgt.may:
            if fid not in CATALOG:
                raise ValueError(f"{path}: target {tgt.name}: unknown finding id {fid!r}")
        out.append(tgt)
    return out


# --------------------------------------------------------------------------- processes

_live_groups: set[int] = set()
_lock = threading.Lock()


def _kill_group(pgid: int, grace: float = 3.0, leader: subprocess.Popen | None = None) -> None:
    """TERM the process group, wait up to `grace` s, then KILL what is left.

    `leader` (the group's first process, our child) is reaped while waiting, or the group
    would never look empty: a zombie still belongs to it.
    """
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    end = time.monotonic() + grace
    while time.monotonic() < end:
        if leader is not None:
            leader.poll()
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def kill_all() -> None:
    with _lock:
        groups = list(_live_groups)
        _live_groups.clear()
    for g in groups:
        _kill_group(g, grace=1.0)


def install_signal_handlers() -> None:
    """Ctrl-C and SIGTERM stop every target this process started, then exit 130/143."""

    def handler(signum, _frame):
        kill_all()
        say(f"lab: interrupted (signal {signum}); targets stopped")
        os._exit(128 + signum)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class RunningTarget:
    """A target started with targets/run-target in its own process group."""

    def __init__(self, name: str, port: int | None = None, log_dir: Path = STATE / "logs"):
        self.name = name
        self.port = port or free_port()
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [str(RUN_TARGET), name, str(self.port)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        with _lock:
            _live_groups.add(self.proc.pid)
        self.started = time.monotonic()
        self.startup_s: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode} before opening its port ({self.tail()})")
            if port_open(self.port):
                self.startup_s = time.monotonic() - self.started
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not open port {self.port} within {timeout:.0f} s ({self.tail()})")

    def tail(self, n: int = 3) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no log"
        return " | ".join(lines[-n:]) or "empty log"

    def stop(self) -> None:
        _kill_group(self.proc.pid, leader=self.proc)
        with _lock:
            _live_groups.discard(self.proc.pid)
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# --------------------------------------------------------------------------- measured runs


@dataclass
class Measured:
    returncode: int
    stdout: bytes
    stderr: bytes
    wall_s: float
    cpu_s: float
    max_rss_kib: int
    timed_out: bool = False


def run_measured(argv: list[str], timeout: float) -> Measured:
    """Run argv; return its output, wall time, CPU time (user+sys) and peak RSS (wait4)."""
    started = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    with _lock:
        _live_groups.add(proc.pid)
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []

    def pump(stream, sink):
        for chunk in iter(lambda: stream.read(65536), b""):
            sink.append(chunk)

    readers = [
        threading.Thread(target=pump, args=(proc.stdout, out_chunks), daemon=True),
        threading.Thread(target=pump, args=(proc.stderr, err_chunks), daemon=True),
    ]
    for r in readers:
        r.start()
    timed_out = threading.Event()

    def on_timeout():
        timed_out.set()
        _kill_group(proc.pid, grace=1.0)

    timer = threading.Timer(timeout, on_timeout)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
        with _lock:
            _live_groups.discard(proc.pid)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    for r in readers:
        r.join(timeout=5)
    return Measured(
        returncode=proc.returncode,
        stdout=b"".join(out_chunks),
        stderr=b"".join(err_chunks),
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        max_rss_kib=usage.ru_maxrss,
        timed_out=timed_out.is_set(),
    )


# --------------------------------------------------------------------------- scanning and grading


@dataclass
class Result:
    target: Target
    ok: bool
    missed: list[str]
    extra: list[str]
    problems: list[str]
    found: list[str]
    scan_s: float
    requests: int | None
    cpu_s: float = 0.0
    max_rss_kib: int = 0
    endpoints: list[str] = field(default_factory=list)

    def key(self) -> tuple:
        """What must not change between repeated scans."""
        return (self.ok, tuple(sorted(self.found)), tuple(self.endpoints))


def path_of(url: str) -> str:
    m = re.match(r"^[a-z]+://[^/]+(/[^?#]*)?", url)
    return (m.group(1) if m and m.group(1) else "/") if m else url


def grade(target: Target, report: dict) -> tuple[list[str], list[str], list[str], list[str], list[str]]:
    """Compare a JSON report with the manifest: (missed, extra, problems, found, endpoints)."""
    problems: list[str] = []
    endpoints = [f"{e.get('method', '?')} {path_of(e.get('url', ''))}" for e in report.get("endpoints", [])]
    if target.no_surface:
        if endpoints:
            problems.append(f"listed a sign-in surface where there is none: {', '.join(endpoints)}")
        tested = [c.get("id") for c in report.get("categories", []) if c.get("tested")]
        if tested:
            problems.append(f"categories marked tested without a surface: {', '.join(tested)}")
        if not any("not applicable" in (i.get("reason", "") or "").lower() for i in report.get("incomplete", [])):
            problems.append("the report does not say the checks were not applicable")
        want_endpoint = None
    else:
        method, _, path = target.endpoint.partition(" ")
        want_endpoint = f"{method.upper()} {path}"
        for alt in target.endpoint_alt:
            m2, _, p2 = alt.partition(" ")
            if f"{m2.upper()} {p2}" in endpoints and want_endpoint not in endpoints:
                want_endpoint = f"{m2.upper()} {p2}"
        if want_endpoint not in endpoints:
            problems.append(f"endpoint {want_endpoint} not listed (listed: {', '.join(endpoints) or 'none'})")

    # Findings on the expected endpoint count against the manifest; findings anywhere else
    # (another surface the scan chose) are false findings too.
    found: list[str] = []
    extra: list[str] = []
    for f in report.get("findings", []):
        fid = f.get("id", "?")
        m = re.match(r"^(\S+)\s+(\S+)", f.get("endpoint", ""))
        where = f"{m.group(1)} {path_of(m.group(2))}" if m else f.get("endpoint", "")
        if want_endpoint is not None and where == want_endpoint:
            found.append(fid)
        else:
            extra.append(f"{fid}@{where}")
    missed = [i for i in target.must if i not in found]
    allowed = set(target.must) | set(target.may)
    extra = [i for i in found if i not in allowed] + extra

    if target.observe:
        obs = [o.get("summary", "") + " " + o.get("kind", "") for o in report.get("observations", [])]
        if not any(re.search(target.observe, o, re.I) for o in obs):
            problems.append(f"no observation matches /{target.observe}/")
    for inc in report.get("incomplete", []):
        reason = (inc.get("reason", "") or "").lower()
        if "deadline" in reason:
            problems.append(f"scan hit its deadline ({inc.get('check')})")
            break
    return missed, extra, problems, sorted(found), endpoints


def wait_port(port: int, timeout: float = 10.0) -> None:
    """Wait until something listens on 127.0.0.1:port."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def start_proxy(target_port: int, rtt_ms: float, jitter_ms: float = 0) -> tuple[subprocess.Popen, int]:
    """Start bench/latency_proxy.py in front of 127.0.0.1:target_port; returns it and its port."""
    port = free_port()
    proxy = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "latency_proxy.py"), str(port), str(target_port), str(rtt_ms), str(jitter_ms)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(port)
    return proxy, port


def scan(target: Target, keyhole: Path = KEYHOLE, extra_args: list[str] | None = None, rtt_ms: float = 0, jitter_ms: float = 0) -> Result:
    """Start the target, scan it once, stop it, grade the report. With `rtt_ms`, the scan goes
    through bench/latency_proxy.py, which adds that round trip (± `jitter_ms`)."""
    with RunningTarget(target.name) as rt:
        try:
            rt.wait_ready(target.start_timeout)
        except RuntimeError as e:
            return Result(target, False, list(target.must), [], [f"start: {e}"], [], 0.0, None)
        url, proxy = rt.url, None
        if rtt_ms > 0:
            proxy, port = start_proxy(rt.port, rtt_ms, jitter_ms)
            url = f"http://127.0.0.1:{port}"
        argv = [str(keyhole), "scan", url, "--format", "json", "-q", *(extra_args or [])]
        try:
            m = run_measured(argv, SCAN_TIMEOUT)
        finally:
            if proxy is not None:
                proxy.terminate()
                proxy.wait(timeout=5)
    if m.timed_out:
        return Result(target, False, list(target.must), [], [f"scan did not end within {SCAN_TIMEOUT:.0f} s"], [], m.wall_s, None, m.cpu_s, m.max_rss_kib)
    try:
        report = json.loads(m.stdout)
    except ValueError:
        err = m.stderr.decode(errors="replace").strip().splitlines()
        return Result(target, False, list(target.must), [], [f"keyhole exit {m.returncode}, no JSON report ({' | '.join(err[-2:])})"], [], m.wall_s, None, m.cpu_s, m.max_rss_kib)
    missed, extra, problems, found, endpoints = grade(target, report)
    if m.returncode not in (0, 1):
        problems.append(f"keyhole exit {m.returncode}")
    requests = (report.get("stats") or {}).get("requests")
    ok = not missed and not extra and not problems
    return Result(target, ok, missed, extra, problems, found, m.wall_s, requests, m.cpu_s, m.max_rss_kib, endpoints)


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else 0.0


def run_setup(build: bool = True) -> None:
    """scripts/setup-targets, then the release build of keyhole (bounded waits)."""
    say("lab: setting up targets (scripts/setup-targets)")
    r = subprocess.run([str(ROOT / "scripts" / "setup-targets")], cwd=ROOT, timeout=1800)
    if r.returncode != 0:
        raise SystemExit(f"lab: scripts/setup-targets failed with {r.returncode}")
    if build:
        say("lab: cargo build --release")
        r = subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, timeout=3600)
        if r.returncode != 0:
            raise SystemExit(f"lab: cargo build --release failed with {r.returncode}")
