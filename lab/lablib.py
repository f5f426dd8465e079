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
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "lab"
STATE = LAB / ".state"
MANIFEST = LAB / "manifest.toml"
#: hand-written account-flow targets (same format), loaded with the manifest when present
MANIFEST_FLOWS = LAB / "manifest-flows.toml"
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
    "auth.user-enumeration.reset",
    "auth.user-enumeration.registration",
    "rate-limit.reset-missing",
    "auth.lockout-denial",
    "rate-limit.batched-attempts",
)

#: The `flow` values of report endpoints (SPEC "Account flows beyond sign-in").
SIGN_IN = "sign-in"
FLOWS = ("password-reset", "registration")
#: Ids that only belong on one kind of endpoint (a manifest that puts them elsewhere is wrong).
FLOW_IDS = {
    "auth.user-enumeration.reset": "password-reset",
    "rate-limit.reset-missing": "password-reset",
    "auth.user-enumeration.registration": "registration",
    "auth.lockout-denial": SIGN_IN,
}
#: Owned mode: the environment variable keyhole reads the owned password from (--password-env),
#: and the ones a target's start script reads to create the owned account.
PASSWORD_ENV = "KEYHOLE_LAB_PASSWORD"
USER_ENV = "KEYHOLE_LAB_USER"
OWNED_SUFFIX = "@owned"


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- manifest


def _norm_endpoint(ep: str) -> str:
    method, _, path = ep.strip().partition(" ")
    return f"{method.upper()} {path.strip()}"


@dataclass
class Flow:
    """A password-reset or registration endpoint the scan must list, and its findings."""

    flow: str
    endpoint: str
    must: list[str] = field(default_factory=list)
    may: list[str] = field(default_factory=list)
    #: other "METHOD /path" spellings of the same endpoint (the same handler under other paths):
    #: the scan lists one or more of them; findings on any count for this flow
    endpoint_alt: list[str] = field(default_factory=list)
    #: optional regular expression one `incomplete` entry ("check reason") must match, for a
    #: check the scan must say it could not decide (a registration no safe probe can test)
    incomplete: str | None = None
    #: a second way into the same flow that a scan need not find (an API beside the HTML form):
    #: not listing it is no problem; when listed it is graded like any other
    optional: bool = False
    #: the keys the manifest gave (an owned-mode override keeps the rest from the plain flow)
    given: frozenset = field(default_factory=frozenset, compare=False, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.flow, _norm_endpoint(self.endpoint))

    def label(self, fid: str) -> str:
        """How a finding on this endpoint is named in results: id@METHOD /path."""
        return f"{fid}@{_norm_endpoint(self.endpoint)}"


@dataclass
class Owned:
    """[target.owned]: the account the target's start script creates for the owned-mode scan."""

    username: str
    password: str
    must: list[str] = field(default_factory=list)
    may: list[str] = field(default_factory=list)
    #: [[target.owned.flow]]: replace the must/may of the flow with the same flow and endpoint in
    #: owned mode (endpoint_alt, incomplete and optional stay the plain flow's unless given); one
    #: with no counterpart is a flow only the owned scan must list
    flows: list[Flow] = field(default_factory=list)


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
    #: [[target.door]]: other real sign-in doors of the application ("METHOD /path" and the ids a
    #: scan may report there): a scan need not list them, and findings on them are graded
    #: against their own `may`, not counted as false
    doors: list[tuple[str, list[str]]] = field(default_factory=list)
    #: "ci" (scanned by .ci/run) or "full" (only by `lab/run --tier full`: applications too slow
    #: or heavy to install on every CI run; the whole lab is still one command)
    tier: str = "ci"
    #: [[target.flow]]: the password-reset and registration endpoints the scan must list (none:
    #: it must list no reset or registration endpoint)
    flows: list[Flow] = field(default_factory=list)
    #: [target.owned]: the owned account (its start script creates it when started with
    #: KEYHOLE_LAB_USER/KEYHOLE_LAB_PASSWORD); lab/run then scans NAME@owned as well
    owned: Owned | None = None
    #: the catalog product the sign-in must carry (its endpoint's "product"), whose findings'
    #: remediation must name it (the product's own text, or its hardening guide)
    product: str | None = None
    #: (GraphQL) the sign-in mutation: the endpoint must be listed with kind "graphql" and
    #: this operation
    operation: str | None = None
    #: a path that must answer something other than 404 before the scan starts (an app whose
    #: port opens before its routes are in place: JupyterHub's proxy before the Hub registers)
    ready: str | None = None
    #: "plain" (no credentials) or "owned" (--username/--password-env: see owned_mode())
    mode: str = "plain"
    #: the targets/run-target name (NAME for both NAME and NAME@owned)
    base: str = ""

    def __post_init__(self):
        if not self.base:
            self.base = self.name

    @property
    def no_surface(self) -> bool:
        return self.endpoint.strip().lower() == "none"

    @property
    def expected(self) -> list[str]:
        """Every finding the scan must report: sign-in ids as they are, flow ids as id@METHOD /path
        (an optional flow's only when the scan lists it: not counted here)."""
        return list(self.must) + [f.label(i) for f in self.flows if not f.optional for i in f.must]

    def target_env(self) -> dict[str, str]:
        """What the target's start script gets in both modes when it has an owned account."""
        if self.owned is None:
            return {}
        return {USER_ENV: self.owned.username, PASSWORD_ENV: self.owned.password}

    def scan_args(self) -> list[str]:
        if self.mode != "owned":
            return []
        return ["--username", self.owned.username, "--password-env", PASSWORD_ENV]

    def scan_env(self) -> dict[str, str]:
        return {PASSWORD_ENV: self.owned.password} if self.mode == "owned" else {}

    def owned_mode(self) -> "Target | None":
        """NAME@owned: the sign-in's must/may from [target.owned], flows overridden by
        [[target.owned.flow]]; None when the target has no owned account."""
        if self.owned is None or self.mode == "owned":
            return None
        flows = {f.key: f for f in self.flows}
        for f in self.owned.flows:
            base = flows.get(f.key)
            if base is None:
                flows[f.key] = f
            else:
                # must and may are the owned mode's (empty when not given); what else the
                # override does not say (endpoint_alt, incomplete, optional) stays the plain flow's
                keep = {k: getattr(base, k) for k in ("endpoint_alt", "incomplete", "optional") if k not in f.given}
                flows[f.key] = replace(f, **keep)
        return replace(
            self,
            name=self.name + OWNED_SUFFIX,
            must=list(self.owned.must),
            may=list(self.owned.may),
            flows=list(flows.values()),
            mode="owned",
            base=self.base,
        )


REAL = ROOT / "targets" / "real"
#: lab tiers: "ci" targets run in .ci/run; "full" adds the rest (lab/run --tier full)
TIERS = ("ci", "full")


def with_modes(targets: list[Target]) -> list[Target]:
    """Each target, followed by its NAME@owned run when it has an owned account."""
    out = []
    for t in targets:
        out.append(t)
        o = t.owned_mode()
        if o is not None:
            out.append(o)
    return out


def load_manifest(path: Path = MANIFEST, real: bool = True) -> list[Target]:
    """The lab manifest and lab/manifest-flows.toml (when present), then (with `real`) each real
    application's targets/real/NAME/truth.toml. Plain-mode targets only: with_modes() adds the
    NAME@owned runs."""
    files = [path]
    if real and path == MANIFEST:
        if MANIFEST_FLOWS.is_file():
            files.append(MANIFEST_FLOWS)
        files += sorted(REAL.glob("*/truth.toml"))
    out: list[Target] = []
    for f in files:
        out += _load_one(f)
    names = [t.name for t in out]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(f"{path}: duplicate targets {sorted(dup)}")
    return out


def _ids(path: Path, name: str, where: str, flow: str, ids: list[str], owned: bool) -> None:
    for fid in ids:
        if fid not in CATALOG:
            raise ValueError(f"{path}: target {name}: {where}: unknown finding id {fid!r}")
        home = FLOW_IDS.get(fid)
        if home is not None and home != flow:
            raise ValueError(f"{path}: target {name}: {where}: {fid} belongs on a {home} endpoint, not a {flow} one")
        if fid == "auth.lockout-denial" and not owned:
            raise ValueError(f"{path}: target {name}: {where}: {fid} needs --username/--password-env: put it in [target.owned]")


_ENDPOINT = re.compile(r"^[A-Za-z]+ /\S*$")


def _flow(path: Path, name: str, where: str, d: dict, owned: bool) -> Flow:
    unknown = set(d) - {"flow", "endpoint", "must", "may", "endpoint_alt", "incomplete", "optional", "operation"}
    if unknown:
        raise ValueError(f"{path}: target {name}: {where}: unknown keys {sorted(unknown)}")
    fl = Flow(
        flow=d["flow"],
        endpoint=_norm_endpoint(d["endpoint"]),
        must=list(d.get("must", [])),
        may=list(d.get("may", [])),
        endpoint_alt=[_norm_endpoint(e) for e in d.get("endpoint_alt", [])],
        incomplete=d.get("incomplete"),
        optional=bool(d.get("optional", False)),
        given=frozenset(d),
    )
    if fl.flow not in FLOWS:
        raise ValueError(f"{path}: target {name}: {where}: flow must be one of {', '.join(FLOWS)}, not {fl.flow!r}")
    for ep in [fl.endpoint, *fl.endpoint_alt]:
        if not _ENDPOINT.match(ep):
            raise ValueError(f"{path}: target {name}: {where}: endpoint {ep!r} is not \"METHOD /path\"")
    where = f"{where} {fl.flow} {fl.endpoint}"
    _ids(path, name, where, fl.flow, fl.must + fl.may, owned)
    return fl


def _load_one(path: Path) -> list[Target]:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    out = []
    for t in data.get("target", []):
        name = t["name"]
        if OWNED_SUFFIX in name:
            raise ValueError(f"{path}: target {name}: a name may not contain {OWNED_SUFFIX!r}")
        flows = [_flow(path, name, "[[target.flow]]", d, owned=False) for d in t.get("flow", [])]
        keys = [f.key for f in flows]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{path}: target {name}: the same flow endpoint twice")
        owned = None
        if "owned" in t:
            o = t["owned"]
            unknown = set(o) - {"username", "password", "must", "may", "flow"}
            if unknown:
                raise ValueError(f"{path}: target {name}: [target.owned]: unknown keys {sorted(unknown)}")
            owned = Owned(
                username=o["username"],
                password=o["password"],
                must=list(o.get("must", [])),
                may=list(o.get("may", [])),
                flows=[_flow(path, name, "[[target.owned.flow]]", d, owned=True) for d in o.get("flow", [])],
            )
            if not owned.username or not owned.password:
                raise ValueError(f"{path}: target {name}: [target.owned] needs a username and a password")
            _ids(path, name, "[target.owned]", SIGN_IN, owned.must + owned.may, owned=True)
        tgt = Target(
            name=name,
            framework=t.get("framework", ""),
            trap=t.get("trap", ""),
            description=t.get("description", ""),
            endpoint=t["endpoint"],
            must=list(t.get("must", [])),
            may=list(t.get("may", [])),
            observe=t.get("observe"),
            product=t.get("product"),
            operation=t.get("operation"),
            ready=t.get("ready"),
            endpoint_alt=list(t.get("endpoint_alt", [])),
            start_timeout=float(t.get("start_timeout", START_TIMEOUT)),
            tier=t.get("tier", "ci"),
            doors=[(_norm_endpoint(d["endpoint"]), list(d.get("may", []))) for d in t.get("door", [])],
            origin=str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path),
            flows=flows,
            owned=owned,
        )
        if tgt.tier not in TIERS:
            raise ValueError(f"{path}: target {name}: tier must be one of {', '.join(TIERS)}, not {tgt.tier!r}")
        if owned is not None and tgt.no_surface:
            raise ValueError(f"{path}: target {name}: an owned account needs a sign-in endpoint")
        _ids(path, name, "sign-in", SIGN_IN, tgt.must + tgt.may, owned=False)
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

    def __init__(self, name: str, port: int | None = None, log_dir: Path = STATE / "logs", env: dict[str, str] | None = None, log_name: str | None = None):
        self.name = name
        self.port = port or free_port()
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{log_name or name}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [str(RUN_TARGET), name, str(self.port)],
            cwd=ROOT,
            env={**os.environ, **env} if env else None,
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


def run_measured(argv: list[str], timeout: float, env: dict[str, str] | None = None) -> Measured:
    """Run argv (with `env` added to the environment); return its output, wall time, CPU time
    (user+sys) and peak RSS (wait4)."""
    started = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        env={**os.environ, **env} if env else None,
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


def _where(finding: dict) -> str:
    m = re.match(r"^(\S+)\s+(\S+)", finding.get("endpoint", ""))
    return f"{m.group(1).upper()} {path_of(m.group(2))}" if m else finding.get("endpoint", "")


def _ep_match(pattern: str, endpoint: str) -> bool:
    """"METHOD /path" against a manifest spelling; a * in the manifest's path stands for any
    characters but "/" (a path that carries the identifier: /-/user/org.couchdb.user:*)."""
    if "*" not in pattern:
        return pattern == endpoint
    rx = "^" + ".*?".join(re.escape(part) for part in pattern.split("*")).replace(".*?", "[^/]*") + "$"
    return re.match(rx, endpoint) is not None


def grade(target: Target, report: dict) -> tuple[list[str], list[str], list[str], list[str], list[str]]:
    """Compare a JSON report with the manifest: (missed, extra, problems, found, endpoints).

    Sign-in findings are named by their id, findings on a flow endpoint id@METHOD /path; an
    endpoint is "METHOD /path", and "flow METHOD /path" for a reset or registration endpoint.
    """
    problems: list[str] = []
    listed: list[tuple[str, str]] = []  # (flow, "METHOD /path")
    for e in report.get("endpoints", []):
        listed.append((e.get("flow") or SIGN_IN, f"{e.get('method', '?').upper()} {path_of(e.get('url', ''))}"))
    endpoints = [ep if fl == SIGN_IN else f"{fl} {ep}" for fl, ep in listed]
    signins = [ep for fl, ep in listed if fl == SIGN_IN]
    for fl, ep in listed:
        if fl != SIGN_IN and fl not in FLOWS:
            problems.append(f"endpoint {ep} has an unknown flow {fl!r}")

    if target.no_surface:
        if signins:
            problems.append(f"listed a sign-in surface where there is none: {', '.join(signins)}")
        if not target.flows:
            tested = [c.get("id") for c in report.get("categories", []) if c.get("tested")]
            if tested:
                problems.append(f"categories marked tested without a surface: {', '.join(tested)}")
            if not any("not applicable" in (i.get("reason", "") or "").lower() for i in report.get("incomplete", [])):
                problems.append("the report does not say the checks were not applicable")
        want_endpoint = None
    else:
        want_endpoint = _norm_endpoint(target.endpoint)
        for alt in target.endpoint_alt:
            alt = _norm_endpoint(alt)
            if alt in signins and want_endpoint not in signins:
                want_endpoint = alt
        if want_endpoint not in signins:
            also = [f"{fl} {ep}" for fl, ep in listed if ep == want_endpoint]
            problems.append(
                f"endpoint {want_endpoint} not listed as a sign-in (listed: {', '.join(signins) or 'none'}"
                + (f"; it is listed as {', '.join(also)}" if also else "")
                + ")"
            )

    # Flow endpoints: exactly the manifest's, each with its flow (one or more of a flow's
    # spellings, endpoint and endpoint_alt, the same handler under other paths).
    flow_at: dict[tuple[str, str], int] = {}  # (flow, "METHOD /path" listed or expected) -> index
    for n, f in enumerate(target.flows):
        spellings = [f.endpoint, *f.endpoint_alt]
        hits = [ep for fl, ep in listed if fl == f.flow and any(_ep_match(sp, ep) for sp in spellings)]
        hits = list(dict.fromkeys(hits))
        if not hits and f.optional:
            continue
        if not hits:
            other = [fl for fl, ep in listed if any(_ep_match(sp, ep) for sp in spellings)]
            problems.append(
                f"{f.flow} endpoint {f.endpoint} not listed"
                + (f" (at that path the scan lists: {', '.join(dict.fromkeys(other))})" if other else "")
            )
            hits = [f.endpoint]
        for ep in hits:
            flow_at[(f.flow, ep)] = n
    for fl, ep in listed:
        if fl in FLOWS and (fl, ep) not in flow_at:
            problems.append(f"listed a {fl} endpoint the target does not have: {ep}")

    # Findings: on the sign-in endpoint they count against must/may, on a flow endpoint against
    # that flow's; anywhere else (another surface the scan chose) they are false findings. Where
    # one "METHOD /path" is more than one of these, the id decides (a reset id goes to the reset
    # flow, and so on; a v1 id to the sign-in).
    found: list[str] = []
    extra: list[str] = []
    per_flow: dict[int, list[str]] = {n: [] for n in set(flow_at.values())}
    for f in report.get("findings", []):
        fid = f.get("id", "?")
        where = _where(f)
        slots: list[str | tuple[str, str]] = []
        if want_endpoint is not None and where == want_endpoint:
            slots.append(SIGN_IN)
        elif want_endpoint is not None and where in [_norm_endpoint(a) for a in target.endpoint_alt]:
            # the same handler under another path: graded as the sign-in
            slots.append(SIGN_IN)
        door = next((may for ep, may in target.doors if ep == where), None)
        # A door shares its path with a flow on GraphQL (one endpoint, many mutations): a
        # flow's id there goes to the flow.
        at_flow = fid in FLOW_IDS and any(k[1] == where for k in flow_at)
        if not slots and door is not None and not at_flow:
            if fid not in door:
                extra.append(f"{fid}@{where}")
            continue
        slots += [k for k in flow_at if k[1] == where]
        if not slots:
            extra.append(f"{fid}@{where}")
            continue
        home = FLOW_IDS.get(fid, SIGN_IN)
        slot = next((x for x in slots if (x if x == SIGN_IN else x[0]) == home), slots[0])
        if slot == SIGN_IN:
            found.append(fid)
        elif fid not in per_flow[flow_at[slot]]:
            per_flow[flow_at[slot]].append(fid)
    missed = [i for i in target.must if i not in found]
    allowed = set(target.must) | set(target.may)
    extra = [i for i in found if i not in allowed] + extra
    for n, ids in sorted(per_flow.items()):
        fl = target.flows[n]
        missed += [fl.label(i) for i in fl.must if i not in ids]
        ok_ids = set(fl.must) | set(fl.may)
        extra += [fl.label(i) for i in ids if i not in ok_ids]
        found += [fl.label(i) for i in ids]
        if fl.incomplete:
            inc = [f"{i.get('check', '')} {i.get('reason', '')}" for i in report.get("incomplete", [])]
            if not any(re.search(fl.incomplete, x, re.I) for x in inc):
                problems.append(f"{fl.flow} {fl.endpoint}: no incomplete entry matches /{fl.incomplete}/")

    # What the scan said of a missed check (an incomplete entry), so a WRONG row in CI's log
    # tells why without the report.
    for mid in missed:
        check = mid.split("@")[0]
        for inc in report.get("incomplete", []):
            if inc.get("check") == check:
                problems.append(f"{check} incomplete: {(inc.get('reason') or '')[:240]}")
    if target.product and want_endpoint is not None and want_endpoint in signins:
        for e in report.get("endpoints", []):
            ep = f"{e.get('method', '?').upper()} {path_of(e.get('url', ''))}"
            if (e.get("flow") or SIGN_IN) == SIGN_IN and ep == want_endpoint and e.get("product") != target.product:
                problems.append(f"endpoint {ep} carries product {e.get('product')!r}, not {target.product!r}")
        for f in report.get("findings", []):
            rem = f.get("remediation", "")
            if f"({target.product})" not in rem and "own hardening guide" not in rem:
                problems.append(f"remediation of {f.get('id')} does not name {target.product}")
    if target.operation and want_endpoint is not None and want_endpoint in signins:
        ops = [
            (e.get("kind"), e.get("operation"))
            for e in report.get("endpoints", [])
            if (e.get("flow") or SIGN_IN) == SIGN_IN
            and f"{e.get('method', '?').upper()} {path_of(e.get('url', ''))}" == want_endpoint
        ]
        if ("graphql", target.operation) not in ops:
            problems.append(f"endpoint {want_endpoint} is not listed as GraphQL operation {target.operation!r} (listed: {ops})")
    if target.observe:
        obs = [o.get("summary", "") + " " + o.get("kind", "") for o in report.get("observations", [])]
        if not any(re.search(target.observe, o, re.I) for o in obs):
            problems.append(f"no observation matches /{target.observe}/")
    for inc in report.get("incomplete", []):
        reason = (inc.get("reason", "") or "").lower()
        if "deadline" in reason:
            problems.append(f"scan hit its deadline ({inc.get('check')})")
            break
    if target.mode == "owned":
        secret = target.owned.password
        if secret and secret in json.dumps(report, ensure_ascii=False):
            problems.append("the owned account's password appears in the report")
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


def wait_route(url: str, timeout: float) -> None:
    """Wait until GET url answers anything but 404 (redirects not followed)."""
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    end = time.time() + timeout
    while time.time() < end:
        try:
            opener.open(url, timeout=2).close()
            return
        except urllib.error.HTTPError as e:
            if e.code != 404:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} still answers 404 after {timeout:.0f} s")


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
    with RunningTarget(target.base, env=target.target_env(), log_name=target.name) as rt:
        try:
            rt.wait_ready(target.start_timeout)
        except RuntimeError as e:
            return Result(target, False, target.expected, [], [f"start: {e}"], [], 0.0, None)
        url, proxy = rt.url, None
        if target.ready:
            try:
                wait_route(url + target.ready, target.start_timeout)
            except RuntimeError as e:
                return Result(target, False, target.expected, [], [f"start: {e}"], [], 0.0, None)
        if rtt_ms > 0:
            proxy, port = start_proxy(rt.port, rtt_ms, jitter_ms)
            url = f"http://127.0.0.1:{port}"
        argv = [str(keyhole), "scan", url, "--format", "json", "-q", *target.scan_args(), *(extra_args or [])]
        try:
            m = run_measured(argv, SCAN_TIMEOUT, env=target.scan_env())
        finally:
            if proxy is not None:
                proxy.terminate()
                proxy.wait(timeout=5)
    if m.timed_out:
        return Result(target, False, target.expected, [], [f"scan did not end within {SCAN_TIMEOUT:.0f} s"], [], m.wall_s, None, m.cpu_s, m.max_rss_kib)
    stderr = m.stderr.decode(errors="replace")
    leaked = target.mode == "owned" and target.owned.password in stderr
    try:
        report = json.loads(m.stdout)
        # Kept for reading after the run: lab/.state/reports/NAME.json (the last scan of NAME).
        try:
            rdir = ROOT / "lab" / ".state" / "reports"
            rdir.mkdir(parents=True, exist_ok=True)
            (rdir / f"{target.name}.json").write_text(m.stdout if isinstance(m.stdout, str) else m.stdout.decode())
        except OSError:
            pass
    except ValueError:
        err = ["(stderr withheld: it holds the owned password)"] if leaked else stderr.strip().splitlines()
        return Result(target, False, target.expected, [], [f"keyhole exit {m.returncode}, no JSON report ({' | '.join(err[-2:])})"], [], m.wall_s, None, m.cpu_s, m.max_rss_kib)
    missed, extra, problems, found, endpoints = grade(target, report)
    if leaked:
        problems.append("the owned account's password appears on keyhole's stderr")
    if m.returncode not in (0, 1):
        problems.append(f"keyhole exit {m.returncode}")
    requests = (report.get("stats") or {}).get("requests")
    ok = not missed and not extra and not problems
    return Result(target, ok, missed, extra, problems, found, m.wall_s, requests, m.cpu_s, m.max_rss_kib, endpoints)


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else 0.0


def run_setup(build: bool = True, tier: str = "ci") -> None:
    """scripts/setup-targets (KEYHOLE_LAB_TIER=tier: "full" also installs the full tier's real
    applications), then the release build of keyhole (bounded waits)."""
    say(f"lab: setting up targets (scripts/setup-targets, tier {tier})")
    env = dict(os.environ, KEYHOLE_LAB_TIER=tier)
    r = subprocess.run([str(ROOT / "scripts" / "setup-targets")], cwd=ROOT, timeout=3600, env=env)
    if r.returncode != 0:
        raise SystemExit(f"lab: scripts/setup-targets failed with {r.returncode}")
    if build:
        say("lab: cargo build --release")
        r = subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, timeout=3600)
        if r.returncode != 0:
            raise SystemExit(f"lab: cargo build --release failed with {r.returncode}")
