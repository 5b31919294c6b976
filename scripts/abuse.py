#!/usr/bin/env python3
"""Abuse scenarios for daftra-gateway under load, with PASS/FAIL output.

    scripts/abuse.py --gateway .build/release/daftra-gateway [scenario ...]

Scenarios (default: all three, in this order):

  slowloris     p50/p99 of paced keep-alive GET /livez requests (16 clients x 50/s)
                for 10 s while 1000 slow clients trickle a request head one byte
                every ~500 ms (a slow client that is cut off reconnects at once, so
                1000 stay open for the whole window), against the same load for 10 s
                before and 10 s after the abuse, pooled (so that a change in the
                machine's own load during the run weighs on both sides). PASS when
                the abused p99 is at most 2x the baseline p99 (floored at
                --p99-floor-ms, 1 ms, so that scheduler noise on sub-millisecond
                figures does not decide the verdict), every normal request is
                answered 200, the gateway really held ~1000 slow connections, every
                slow connection is cut off (408 or a close) within --header-timeout
                + 1 s of its first byte, and the fd count returns to the baseline.
                A control window (the same slow clients aimed at a second, decoy
                gateway process) is printed for information: it shows how much of a
                rise the machine causes (the clients' CPU) rather than the gateway.
  maxconn       --max-connections 200 and 400 idle connections: the gateway holds
                exactly 200, the excess waits in the kernel's backlog (a fresh /livez
                waits, then is served once some connections close), the process
                lives, and after everything closes it serves normally with its fd
                count back to the baseline.
  upstream      an upstream that resets mid-body (half the body, then an RST at once
                or 20 ms later), hangs, or sends garbage on 30 % of requests (10 %
                each), else a valid envelope (keep-alive, Content-Length); 32 clients loop on GET /clients/{id} for 15 s. PASS when every
                request gets an HTTP answer of 200, 502 or 504 (a 200 carries the right
                client), the process lives, and once the load stops and the timeouts
                elapse its fd count is back to the post-warm-up baseline and its RSS
                within 10 % + 2 MiB of the post-warm-up value.

The slow clients run in a child process (about a sixth of a core here). Attackers are
remote, so by default (--abuser-cpus auto, on two or more CPUs) the slow clients and
the decoy gateway run on the last CPU and the measured gateway and the measuring
clients on the others: the gateway still does all the work that 1000 slow connections
cause it, without the attackers' own CPU counted against it. --abuser-cpus none shares
every CPU (on 2 cores the control window alone then doubles the p99); --abuser-nice
lowers the slow clients' priority instead, but on a busy machine they then starve and
the gateway no longer holds 1000 of them, which the scenario checks. Cut-off
times come from the kernel's receive time (TCP_INFO), so a busy client process does
not make the gateway look late. Each scenario starts its own gateway on 127.0.0.1
(a free port, --loops 2, --log-level warning); nothing leaves the loopback.
Figures come from /proc/PID (fd/ and VmRSS). Standard library only (Python 3.9+).
Prints one `PASS name: ...` / `FAIL name: ...` line per scenario and a final
`N passed, M failed` line; exits 0 only if every scenario passed, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import ctypes
import gc
import itertools
import json
import math
import os
import random
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

LOCALHOST = "127.0.0.1"
# A closed port on loopback: scenarios that never call the upstream still pass
# --upstream so that nothing could ever leave the machine.
UNUSED_UPSTREAM = "http://127.0.0.1:9/{subdomain}/api2"


def log(message: str) -> None:
    print(message, flush=True)


def raise_fd_limit() -> int:
    """Raises the soft fd limit to the hard one; children (the gateway) inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def gateway_duration(seconds: float) -> str:
    """A gateway duration option (whole numbers only)."""
    return f"{round(seconds * 1000)}ms"


def die_with_parent(niceness: int = 0, cpus: set[int] | None = None) -> None:
    """In a child before exec: SIGTERM when this script dies (PR_SET_PDEATHSIG), so
    that no gateway or slow-client process outlives an interrupted run; optionally
    a lower priority and a CPU set (--abuser-cpus)."""
    if cpus:
        os.sched_setaffinity(0, cpus)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if niceness:
        os.nice(niceness)


def cpu_list(text: str) -> set[int] | None:
    """--abuser-cpus: CPU numbers this process may use, leaving at least one;
    "auto" is the last one when there are two or more, "none" shares them all."""
    allowed = set(os.sched_getaffinity(0))
    if text == "none":
        return None
    if text == "auto":
        return {max(allowed)} if len(allowed) >= 2 else None
    try:
        cpus = {int(part) for part in text.split(",")}
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of CPU numbers: {text!r}")
    if not cpus <= allowed or not allowed - cpus:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give CPUs among {sorted(allowed)} and leave at least one for the gateway")
    return cpus


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOCALHOST, 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------
# The gateway process


class Gateway:
    """One gateway process on a free loopback port, with its figures from /proc."""

    def __init__(self, binary: str, options: list[str], workdir: str, name: str,
                 cpus: set[int] | None = None):
        self.cpus = cpus
        self.binary = binary
        self.options = options
        self.name = name
        self.out_path = os.path.join(workdir, f"{name}.out")
        self.err_path = os.path.join(workdir, f"{name}.err")
        self.proc: subprocess.Popen | None = None
        self.port = 0

    async def start(self) -> None:
        for _ in range(3):
            self.port = free_port()
            argv = [self.binary, "--host", LOCALHOST, "--port", str(self.port), "--loops", "2",
                    "--log-level", "warning", "--drain-delay", "0s", "--shutdown-timeout", "3s",
                    *self.options]
            with open(self.out_path, "ab") as out, open(self.err_path, "ab") as err:
                self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                             preexec_fn=lambda: die_with_parent(0, self.cpus))
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if await livez(self.port, timeout=1.0) == 200:
                    return
                await asyncio.sleep(0.05)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        raise RuntimeError(f"the gateway did not start: {' '.join(argv)}\n{self.tail()}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def rss_kib(self) -> int:
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    async def settle_fds(self, target: int, timeout: float) -> int:
        """Polls the fd count until it is at most `target` or `timeout` passes."""
        deadline = time.monotonic() + timeout
        count = self.fds()
        while count > target and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            count = self.fds()
        return count

    async def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after 10 s; the exit status (negative: a signal)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            while self.proc.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            if self.proc.poll() is None:
                self.proc.kill()
        return self.proc.wait()

    def tail(self, lines: int = 15) -> str:
        text = []
        for path in (self.err_path, self.out_path):
            try:
                with open(path, "rb") as f:
                    content = f.read().decode("utf-8", "replace").splitlines()
            except OSError:
                continue
            if content:
                text.append(f"    --- {os.path.basename(path)} (last {lines} lines)")
                text.extend("    " + l for l in content[-lines:])
        return "\n".join(text) if text else "    (the gateway wrote nothing)"


# ---------------------------------------------------------------------------------
# A small HTTP/1.1 client


def request_bytes(path: str, headers: dict[str, str] | None = None, close: bool = False) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {LOCALHOST}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """Reads one answer: status, lower-cased headers, body (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower().endswith("chunked"):
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    elif status in (204, 304) or 100 <= status < 200:
        body = b""
    else:
        body = await reader.read()
    return status, headers, body


async def livez(port: int, timeout: float = 2.0) -> int | None:
    """A fresh connection's GET /livez: the status, or None (no answer in time, error)."""
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(LOCALHOST, port), timeout)
        writer.write(request_bytes("/livez", close=True))
        status, _, _ = await asyncio.wait_for(read_response(reader), timeout)
        return status
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError):
        return None
    finally:
        if writer is not None:
            writer.transport.abort()


class Checks:
    """The criteria of one scenario: each printed as it is decided."""

    def __init__(self) -> None:
        self.failed: list[str] = []

    def check(self, ok: bool, text: str) -> bool:
        log(f"  {'ok    ' if ok else 'NOT OK'} {text}")
        if not ok:
            self.failed.append(text)
        return ok


# ---------------------------------------------------------------------------------
# Scenario 1: slowloris

LIVEZ = request_bytes("/livez")
NETWORK_ERRORS = (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError,
                  asyncio.LimitOverrunError, ValueError, IndexError)


async def paced_livez(port: int, clients: int, duration: float, rate: float) -> dict:
    """`clients` keep-alive connections, each sending GET /livez `rate` times a second
    (no catch-up burst after a slow answer). Latency: request written → answer read.
    The garbage collector is off meanwhile, so that its pauses are not counted."""
    latencies: list[float] = []
    errors: collections.Counter = collections.Counter()
    interval = 1.0 / rate
    end = time.perf_counter() + duration

    async def client() -> None:
        reader = writer = None
        next_at = time.perf_counter() + random.random() * interval
        while True:
            now = time.perf_counter()
            if next_at > now:
                await asyncio.sleep(next_at - now)
            if time.perf_counter() >= end:
                break
            try:
                if writer is None:
                    reader, writer = await asyncio.wait_for(asyncio.open_connection(LOCALHOST, port), 5)
                started = time.perf_counter()
                writer.write(LIVEZ)
                status, headers, _ = await asyncio.wait_for(read_response(reader), 5)
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    errors[f"status {status}"] += 1
                if headers.get("connection", "").lower() == "close":
                    writer.transport.abort()
                    writer = None
            except NETWORK_ERRORS as error:
                errors[type(error).__name__] += 1
                if writer is not None:
                    writer.transport.abort()
                    writer = None
            next_at = max(next_at + interval, time.perf_counter())
        if writer is not None:
            writer.transport.abort()

    gc.disable()
    try:
        await asyncio.gather(*(client() for _ in range(clients)))
    finally:
        gc.enable()
    return latency_summary(latencies, errors)


def latency_summary(latencies: list[float], errors: collections.Counter) -> dict:
    latencies = sorted(latencies)
    return {"n": len(latencies), "p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
            "max": latencies[-1] if latencies else float("nan"), "errors": errors, "all": latencies}


def pooled(a: dict, b: dict) -> dict:
    both = latency_summary(a["all"] + b["all"], a["errors"] + b["errors"])
    both["other"] = (a["other"] + b["other"]) / 2
    both["gateway_cpu"] = (a["gateway_cpu"] + b["gateway_cpu"]) / 2
    return both


def describe_latency(label: str, r: dict) -> str:
    errors = ", ".join(f"{k} x{v}" for k, v in sorted(r["errors"].items())) or "none"
    other = f", other processes took {r['other']:.0f} % of the CPUs" if "other" in r else ""
    if "gateway_cpu" in r:
        other += f", the measured gateway {r['gateway_cpu']:.0f} % of a core"
    return (f"{label}: {r['n']} requests, p50 {r['p50'] * 1e3:.2f} ms, "
            f"p99 {r['p99'] * 1e3:.2f} ms, max {r['max'] * 1e3:.1f} ms, errors: {errors}{other}")


# Offset of tcpi_last_data_recv in Linux's struct tcp_info: 8 one-byte fields, then
# rto, ato, snd_mss, rcv_mss, unacked, sacked, lost, retrans, fackets,
# last_data_sent, last_ack_sent (u32 each).
TCP_INFO_LAST_DATA_RECV = 8 + 4 * 11

# The head never ends: a slow client is always cut off by the gateway, never answered.
SLOW_HEAD = b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 8000


class SlowStats:
    def __init__(self) -> None:
        self.connections = 0
        self.open = 0
        self.peak_open = 0
        self.bytes = 0
        self.connect_errors: collections.Counter = collections.Counter()
        self.outcomes: collections.Counter = collections.Counter()
        # Per outcome, seconds from a connection's first byte to its end.
        self.cut_after: dict[str, list[float]] = collections.defaultdict(list)
        # Per connection, how late this process saw the answer (see receive_lag).
        self.lags: list[float] = []


class SlowClient(asyncio.Protocol):
    """Trickles SLOW_HEAD one byte every ~interval until the gateway answers or closes;
    gives up (outcome "not cut") `give_up` seconds after its first byte."""

    def __init__(self, stats: SlowStats, interval: float, give_up: float):
        self.stats = stats
        self.interval = interval
        self.give_up = give_up
        self.loop = asyncio.get_running_loop()
        self.done = self.loop.create_future()
        self.outcome: str | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.sent = 0
        self.first_byte_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.stats.connections += 1
        self.stats.open += 1
        self.stats.peak_open = max(self.stats.peak_open, self.stats.open)
        self.first_byte_at = self.loop.time()
        self.trickle()

    def trickle(self) -> None:
        self.timer = None
        if self.outcome is not None or self.transport.is_closing():
            return
        if self.loop.time() - self.first_byte_at > self.give_up:
            self.finish("not cut")
            self.transport.abort()
            return
        self.transport.write(SLOW_HEAD[self.sent:self.sent + 1])
        self.sent += 1
        self.stats.bytes += 1
        self.timer = self.loop.call_later(self.interval * random.uniform(0.8, 1.2), self.trickle)

    def data_received(self, data: bytes) -> None:
        status = data[9:12].decode("latin-1") if data.startswith(b"HTTP/1.") else "not HTTP"
        self.finish(status, self.receive_lag())
        self.transport.close()

    def receive_lag(self) -> float:
        """How long ago the kernel received the last data (TCP_INFO's last_data_recv,
        in ms): a busy or niced process learns of an answer late, and the cut-off
        time should be the gateway's, not this process's."""
        sock = self.transport.get_extra_info("socket")
        try:
            info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
            return struct.unpack_from("I", info, TCP_INFO_LAST_DATA_RECV)[0] / 1000.0
        except (OSError, AttributeError, struct.error):
            return 0.0

    def eof_received(self) -> bool:
        self.finish("close")
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.finish("reset" if exc is not None else "close")
        if self.timer is not None:
            self.timer.cancel()
        self.stats.open -= 1
        if not self.done.done():
            self.done.set_result(None)

    def finish(self, outcome: str, lag: float = 0.0) -> None:
        if self.outcome is not None:
            return
        self.outcome = outcome
        self.stats.outcomes[outcome] += 1
        self.stats.cut_after[outcome].append(round(self.loop.time() - lag - self.first_byte_at, 4))
        self.stats.lags.append(lag)


async def slowloris_worker(port: int, clients: int, interval: float, give_up: float, ramp: float) -> None:
    """The child process: `clients` slots, each keeping one slow connection open (a
    new one as soon as the gateway cuts the last) until stdin closes. The slots start
    spread over `ramp` seconds (the header timeout) so that the cut-offs, and the
    reconnections, do not come in waves. Prints READY once every slot has connected,
    then a JSON report when all connections ended."""
    raise_fd_limit()
    loop = asyncio.get_running_loop()
    stats = SlowStats()
    stop = asyncio.Event()
    ready_count = 0

    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)

    async def wait_for_stop() -> None:
        await stdin.read()
        stop.set()

    async def slot(index: int) -> None:
        nonlocal ready_count
        await asyncio.sleep(ramp * index / clients)
        first = True
        while first or not stop.is_set():
            try:
                _, protocol = await asyncio.wait_for(
                    loop.create_connection(lambda: SlowClient(stats, interval, give_up), LOCALHOST, port), 5)
            except (OSError, asyncio.TimeoutError) as error:
                stats.connect_errors[type(error).__name__] += 1
                if stop.is_set():
                    return
                await asyncio.sleep(0.1)
                continue
            if first:
                first = False
                ready_count += 1
                if ready_count == clients:
                    print("READY", flush=True)
            await protocol.done

    stopper = asyncio.create_task(wait_for_stop())
    await asyncio.gather(*(slot(i) for i in range(clients)))
    stopper.cancel()
    print(json.dumps({
        "connections": stats.connections, "peak_open": stats.peak_open, "bytes": stats.bytes,
        "connect_errors": stats.connect_errors, "outcomes": stats.outcomes,
        "cut_after": stats.cut_after,
        "lag_max": max(stats.lags, default=0.0),
    }), flush=True)


def cpu_ticks(pid: int) -> int:
    """utime + stime of a process (all its threads), in clock ticks; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read().rsplit(")", 1)[1].split()
        return int(stat[11]) + int(stat[12])
    except (OSError, IndexError, ValueError):
        return 0


class OtherLoad:
    """The CPU share that processes other than ours (this one, the gateway, the slow
    clients) took during a window: the noise behind a latency figure."""

    def __init__(self, pids: list[int]):
        self.pids = pids
        self.start = self.snapshot()

    def snapshot(self) -> tuple[float, int, int]:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        # user nice system idle iowait irq softirq steal: all but idle and iowait.
        busy = sum(fields[:8]) - fields[3] - fields[4]
        return time.monotonic(), busy, sum(cpu_ticks(pid) for pid in self.pids)

    def share(self) -> float:
        """Percent of all cores, since construction."""
        t0, busy0, ours0 = self.start
        t1, busy1, ours1 = self.snapshot()
        ticks = os.sysconf("SC_CLK_TCK") * (t1 - t0) * (os.cpu_count() or 1)
        return max(0.0, 100.0 * ((busy1 - busy0) - (ours1 - ours0)) / ticks) if ticks > 0 else 0.0


async def measured_window(args: argparse.Namespace, gateway: Gateway, pids: list[int], label: str) -> dict:
    other = OtherLoad([os.getpid(), gateway.pid, *pids])
    ticks = cpu_ticks(gateway.pid)
    result = await paced_livez(gateway.port, args.normal_clients, args.duration, args.rate)
    result["other"] = other.share()
    result["gateway_cpu"] = 100.0 * (cpu_ticks(gateway.pid) - ticks) / os.sysconf("SC_CLK_TCK") / args.duration
    log("  " + describe_latency(label, result))
    return result


async def sample_fds(gateway: Gateway, samples: list[int], every: float = 0.5) -> None:
    while True:
        try:
            samples.append(gateway.fds())
        except OSError:
            return
        await asyncio.sleep(every)


class SlowlorisPhase:
    """One slow-client process aimed at `target` while the normal load measures `measured`."""

    def __init__(self, args: argparse.Namespace, target: Gateway, measured: Gateway):
        self.args = args
        self.target = target
        self.measured = measured
        self.give_up = args.header_timeout + 2.0
        self.worker: asyncio.subprocess.Process | None = None

    async def run(self, label: str) -> tuple[dict, dict, float]:
        """The normal load's latencies, the slow clients' report, and how many slow
        connections the target held on average during the window."""
        args = self.args
        fds_idle = self.target.fds()
        self.worker = await asyncio.create_subprocess_exec(
            sys.executable, os.path.abspath(__file__), "--slowloris-worker",
            str(self.target.port), str(args.slow_clients), str(args.trickle_interval), str(self.give_up),
            str(args.header_timeout), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            preexec_fn=lambda: die_with_parent(args.abuser_nice, args.abuser_cpus))
        ramp_started = time.monotonic()
        line = await asyncio.wait_for(self.worker.stdout.readline(), 60)
        if line.strip() != b"READY":
            raise RuntimeError(f"the slow-client process did not get ready: {line!r}")
        log(f"  {args.slow_clients} slow clients connected to the {self.target.name} gateway in "
            f"{time.monotonic() - ramp_started:.1f} s")
        samples: list[int] = []
        sampler = asyncio.create_task(sample_fds(self.target, samples))
        latencies = await measured_window(args, self.measured, [self.worker.pid, self.target.pid], label)
        sampler.cancel()
        # The target's fds beyond its idle count, less the normal clients' connections.
        normal = args.normal_clients if self.target is self.measured else 0
        held = [n - fds_idle - normal for n in samples] or [0]
        held_mean = sum(held) / len(held)
        log(f"  slow connections open at the {self.target.name} gateway during the window: mean "
            f"{held_mean:.0f}, min {min(held)}, max {max(held)} (from its fd count, every 0.5 s)")
        self.worker.stdin.close()
        out = await asyncio.wait_for(self.worker.stdout.read(), self.give_up + 30)
        await self.worker.wait()
        return latencies, json.loads(out), held_mean

    async def kill(self) -> None:
        if self.worker is not None and self.worker.returncode is None:
            self.worker.kill()
            await self.worker.wait()


async def scenario_slowloris(args: argparse.Namespace, workdir: str) -> tuple[bool, str]:
    ht = args.header_timeout
    options = ["--header-timeout", gateway_duration(ht), "--idle-timeout", "30s", "--upstream", UNUSED_UPSTREAM,
               "--upstream-timeout", "2s", "--upstream-connect-timeout", "1s"]
    home = None
    if args.abuser_cpus:
        # The attackers' side (slow clients, decoy) on its own CPUs, the measured
        # gateway and the measuring clients on the rest, as if the attack came from
        # other machines; the gateway still does all the work the slow connections
        # cause it.
        home = set(os.sched_getaffinity(0)) - args.abuser_cpus
        os.sched_setaffinity(0, home)
    gateway = Gateway(args.gateway, options, workdir, "measured", cpus=home)
    decoy = Gateway(args.gateway, options, workdir, "decoy", cpus=args.abuser_cpus) if args.control else None
    checks = Checks()
    phases: list[SlowlorisPhase] = []
    try:
        await gateway.start()
        if decoy is not None:
            await decoy.start()
        log(f"  gateway pid {gateway.pid}, port {gateway.port}, --header-timeout {ht:g}s")
        fds_idle = gateway.fds()
        await paced_livez(gateway.port, args.normal_clients, 1.0, args.rate)  # warm-up
        log(f"  normal load: {args.normal_clients} keep-alive clients x {args.rate:g} GET /livez a second, "
            f"{args.duration:g} s per window; slow clients: one byte each every "
            f"~{args.trickle_interval * 1e3:.0f} ms, nice +{args.abuser_nice}"
            + (f"; CPUs: slow clients and decoy {sorted(args.abuser_cpus)}, measured gateway and normal clients "
               f"{sorted(home or [])}" if args.abuser_cpus else ""))
        before = await measured_window(args, gateway, [], "before the abuse")

        control = None
        if decoy is not None:
            # The same slow clients against a second gateway process: the machine
            # carries the same extra work, but the measured gateway holds none of
            # it. Informative only: it tells the machine's share from the gateway's.
            phases.append(SlowlorisPhase(args, decoy, gateway))
            control, _, _ = await phases[-1].run("control, slow clients on the decoy")

        phases.append(SlowlorisPhase(args, gateway, gateway))
        abused, report, held_mean = await phases[-1].run("under slowloris")
        cuts = sorted(t for times in report["cut_after"].values() for t in times)
        outcomes = collections.Counter(report["outcomes"])
        log(f"  slow connections: {report['connections']} made, peak {report['peak_open']} open, "
            f"{report['bytes']} bytes trickled, connect errors: "
            f"{dict(report['connect_errors']) or 'none'}")
        log(f"  (cut-off times count from the kernel's receive time of the answer; the slow-client "
            f"process saw answers up to {report['lag_max'] * 1e3:.0f} ms later)")
        for outcome, times in sorted(report["cut_after"].items()):
            times.sort()
            log(f"  ended by {outcome}: {len(times)}, {percentile(times, 50):.2f} s after the first byte "
                f"at p50, min {times[0]:.2f} s, p99 {percentile(times, 99):.2f} s, max {times[-1]:.2f} s")

        # The same load once the slow clients are gone: with the window before, the
        # baseline, so that a change in the machine's own load during the run weighs
        # on both sides of the comparison.
        after = await measured_window(args, gateway, [], "after the abuse")
        base = pooled(before, after)
        log("  " + describe_latency("baseline (before and after, pooled)", base))
        spread = max(before["p99"], after["p99"]) / max(min(before["p99"], after["p99"]), 1e-6)
        if spread > 1.5:
            log(f"  note: the p99 before and after differ {spread:.1f}x without any abuse: the machine's "
                f"own noise is of the order of the criterion")

        floor = args.p99_floor_ms / 1e3
        reference = max(base["p99"], floor)
        allowed = 2 * reference
        p99_ok = checks.check(
            abused["p99"] <= allowed,
            f"p99 under slowloris {abused['p99'] * 1e3:.2f} ms <= 2 x max(baseline p99 "
            f"{base['p99'] * 1e3:.2f} ms, floor {args.p99_floor_ms:g} ms) = {allowed * 1e3:.2f} ms")
        if control is not None:
            log(f"  (control: with the slow clients on the decoy the p99 was {control['p99'] * 1e3:.2f} ms, "
                f"{control['p99'] / reference:.1f}x the baseline; under slowloris "
                f"{abused['p99'] / reference:.1f}x)")
            if not p99_ok and control["p99"] > allowed:
                log("  note: the control exceeds the limit too: the machine, not the gateway, is the "
                    "likely cause; rerun on a quieter machine")
        checks.check(not base["errors"] and not abused["errors"] and before["n"] > 0 and after["n"] > 0
                     and abused["n"] > 0 and (control is None or not control["errors"]),
                     "every normal request answered 200")
        checks.check(held_mean >= 0.9 * args.slow_clients,
                     f"the abuse held: on average {held_mean:.0f} slow connections open at the gateway "
                     f"(>= 90 % of {args.slow_clients})")
        bad = {k: v for k, v in outcomes.items() if k not in ("408", "close", "reset")}
        late = sum(1 for c in cuts if c > ht + 1.0)
        checks.check(not bad and late == 0 and report["connections"] >= args.slow_clients,
                     f"all {report['connections']} slow connections cut off (408/close/reset) within "
                     f"{ht + 1.0:g} s of their first byte (late: {late}, other endings: {bad or 'none'})")
        checks.check(gateway.alive(), "the gateway is alive")
        fds_end = await gateway.settle_fds(fds_idle, 3.0)
        checks.check(fds_end <= fds_idle,
                     f"fds back to the baseline once all clients left ({fds_end} <= {fds_idle})")
        summary = (f"p99 {base['p99'] * 1e3:.2f} -> {abused['p99'] * 1e3:.2f} ms "
                   f"(limit {allowed * 1e3:.2f}), {len(cuts)} slow connections cut, max after "
                   f"{(cuts[-1] if cuts else float('nan')):.2f} s")
    finally:
        for phase in phases:
            await phase.kill()
        if decoy is not None:
            await decoy.stop()
        status = await gateway.stop()
        log(f"  gateway exit status after SIGTERM: {status}")
    if checks.failed:
        log(gateway.tail())
    return not checks.failed, summary


# ---------------------------------------------------------------------------------
# Scenario 2: max-connections


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer

    def close(self) -> None:
        self.writer.close()


async def connect(port: int, timeout: float = 5.0) -> Connection:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(LOCALHOST, port), timeout)
    return Connection(reader, writer)


async def pending_livez(port: int) -> tuple[Connection, asyncio.Task]:
    """A fresh connection with GET /livez written; the task reads the answer."""
    c = await connect(port)
    c.writer.write(LIVEZ)
    return c, asyncio.create_task(read_response(c.reader))


def status_of(task: asyncio.Task) -> int | None:
    if not task.done() or task.cancelled() or task.exception() is not None:
        return None
    return task.result()[0]


async def scenario_maxconn(args: argparse.Namespace, workdir: str) -> tuple[bool, str]:
    limit = args.max_connections
    total = 2 * limit
    gateway = Gateway(args.gateway, [
        "--max-connections", str(limit), "--header-timeout", "30s", "--idle-timeout", "30s",
        "--upstream", UNUSED_UPSTREAM], workdir, "maxconn")
    await gateway.start()
    checks = Checks()
    connections: list[Connection] = []
    try:
        log(f"  gateway pid {gateway.pid}, port {gateway.port}, --max-connections {limit}")
        await livez(gateway.port)
        await asyncio.sleep(0.2)
        fds_base = gateway.fds()
        log(f"  baseline fds: {fds_base}")

        # 1. Twice the limit of idle connections: the gateway takes exactly `limit`.
        opened = await asyncio.gather(*(connect(gateway.port) for _ in range(total)), return_exceptions=True)
        connections = [c for c in opened if isinstance(c, Connection)]
        refused = collections.Counter(type(c).__name__ for c in opened if not isinstance(c, Connection))
        deadline = time.monotonic() + 3
        while gateway.fds() - fds_base < limit and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        held = gateway.fds() - fds_base
        log(f"  {len(connections)} of {total} connections established (refused/failed: "
            f"{dict(refused) or 'none'}); the gateway holds {held}")
        checks.check(held == limit, f"the gateway holds exactly --max-connections ({held} == {limit})")

        # 2. At the limit, a fresh /livez waits in the backlog.
        probe, probe_task = await pending_livez(gateway.port)
        await asyncio.wait([probe_task], timeout=1.5)
        checks.check(not probe_task.done(), "at the limit, a fresh GET /livez waits (no answer within 1.5 s)")
        probe_task.cancel()
        probe.writer.transport.abort()

        # 3. A request on every connection: only the accepted ones are answered.
        for c in connections:
            c.writer.write(LIVEZ)
        tasks = {asyncio.create_task(read_response(c.reader)): c for c in connections}
        done, pending = await asyncio.wait(tasks, timeout=2.0)
        ok_first = sum(1 for t in done if status_of(t) == 200)
        log(f"  a GET /livez on each: {len(done)} answered within 2 s ({ok_first} with 200), "
            f"{len(pending)} waiting")
        checks.check(len(done) == ok_first == min(limit, len(connections)),
                     f"exactly the {limit} accepted connections are answered, the rest wait")

        # 4. Closing the answered connections lets the waiting ones in.
        for t in done:
            tasks[t].close()
        started = time.monotonic()
        done2, still = await asyncio.wait(pending, timeout=5.0)
        ok_second = sum(1 for t in done2 if status_of(t) == 200)
        log(f"  after closing those: {len(done2)} of the waiting ones answered in "
            f"{time.monotonic() - started:.2f} s ({ok_second} with 200), {len(still)} still waiting")
        checks.check(not still and ok_second == len(pending),
                     "the excess waited in the backlog and was served once slots freed")
        checks.check(gateway.alive(), "the gateway is alive with twice --max-connections connected")

        # 5. Limit reached again: a fresh /livez waits, and is served once 50 close.
        open_now = [tasks[t] for t in done2]
        probe2, probe2_task = await pending_livez(gateway.port)
        await asyncio.wait([probe2_task], timeout=1.0)
        waited = not probe2_task.done()
        for c in open_now[:50]:
            c.close()
        started = time.monotonic()
        await asyncio.wait([probe2_task], timeout=3.0)
        served_in = time.monotonic() - started
        checks.check(waited and status_of(probe2_task) == 200,
                     f"at the limit again, a fresh GET /livez waited and was served "
                     f"{served_in:.2f} s after 50 connections closed")
        probe2.close()

        # 6. Everything closed: normal service, fds back to the baseline.
        for c in connections:
            c.writer.transport.abort()
        connections = []
        status = await livez(gateway.port)
        fds_after = await gateway.settle_fds(fds_base, 5.0)
        checks.check(status == 200 and gateway.alive(), f"after closing everything GET /livez -> {status}")
        checks.check(fds_after <= fds_base, f"fds back to the baseline ({fds_after} <= {fds_base})")
        summary = (f"held {held}/{limit}, excess waited and was served, fds {fds_base} -> {fds_after}")
    finally:
        for c in connections:
            c.writer.transport.abort()
        status = await gateway.stop()
        log(f"  gateway exit status after SIGTERM: {status}")
    if checks.failed:
        log(gateway.tail())
    return not checks.failed, summary


# ---------------------------------------------------------------------------------
# Scenario 3: a misbehaving upstream

TENANT_HEADERS = {"X-Daftra-Subdomain": "acme", "Authorization": "Bearer t"}
REQUEST_NUMBERS = itertools.count(1)
UPSTREAM_PATH_PREFIX = "/acme/api2/clients/"


def envelope(client_id: int) -> bytes:
    return (b'{"code":200,"result":"successful","data":{"Client":{"id":%d,"is_offline":false,'
            b'"client_number":"%07d","business_name":"Acme \\u00e9 Co","email":"c%d@example.com",'
            b'"starting_balance":1.50,"notes":null}}}' % (client_id, client_id, client_id))


def ok_head(length: int) -> bytes:
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
            b"Connection: keep-alive\r\n\r\n" % length)


class MisbehavingUpstream:
    """A Daftra stand-in on loopback. For a `misbehave` share of requests (a third
    each) it resets mid-body, hangs, or sends garbage; otherwise a valid envelope.
    It closes keep-alive connections idle for `idle_close` seconds, as real servers
    do, so that the gateway's pool drains once the load stops."""

    def __init__(self, rng: random.Random, misbehave: float, idle_close: float):
        self.rng = rng
        self.misbehave = misbehave
        self.idle_close = idle_close
        self.modes: collections.Counter = collections.Counter()
        # X-Request-Id -> [(mode, loop time the request was read)], one per call.
        self.calls: dict[str, list[tuple[str, float]]] = collections.defaultdict(list)
        self.connections = 0
        self.live: set[UpstreamConnection] = set()
        self.server: asyncio.base_events.Server | None = None
        self.port = 0

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: UpstreamConnection(self), LOCALHOST, 0)
        self.port = self.server.sockets[0].getsockname()[1]

    def pick(self) -> str:
        r = self.rng.random()
        share = self.misbehave / 3
        if r < share:
            return "reset"
        if r < 2 * share:
            return "hang"
        if r < 3 * share:
            return "garbage"
        return "ok"

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for c in list(self.live):
            c.transport.abort()


class UpstreamConnection(asyncio.Protocol):
    def __init__(self, upstream: MisbehavingUpstream):
        self.upstream = upstream
        self.loop = asyncio.get_running_loop()
        self.buffer = b""
        self.stalled = False
        self.idle: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.upstream.connections += 1
        self.upstream.live.add(self)
        self.arm_idle()

    def arm_idle(self) -> None:
        if self.idle is not None:
            self.idle.cancel()
        self.idle = self.loop.call_later(self.upstream.idle_close, self.transport.close)

    def data_received(self, data: bytes) -> None:
        if self.stalled:
            return
        self.buffer += data
        while not self.stalled and not self.transport.is_closing():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4:]
            self.answer(head)

    def answer(self, head: bytes) -> None:
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None
        target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode("latin-1")
        digits = target[len(UPSTREAM_PATH_PREFIX):-len(".json")]
        if not (target.startswith(UPSTREAM_PATH_PREFIX) and target.endswith(".json") and digits.isdigit()):
            self.upstream.modes["unexpected target"] += 1
            self.transport.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            self.transport.close()
            return
        body = envelope(int(digits))
        mode = self.upstream.pick()
        rng = self.upstream.rng
        request_id = ""
        for line in head.split(b"\r\n")[1:]:
            if line[:13].lower() == b"x-request-id:":
                request_id = line[13:].strip().decode("latin-1")
        if mode == "ok":
            self.transport.write(ok_head(len(body)) + body)
            self.arm_idle()
        elif mode == "reset":
            # Half the body, then an RST (SO_LINGER 0): either 20 ms later, when
            # the gateway has read the bytes, or at once, so that the bytes and
            # the reset reach it together. Either way it has answer bytes and
            # must not retry.
            self.stalled = True
            self.transport.write(ok_head(len(body)) + body[:len(body) // 2])
            if rng.random() < 0.5:
                mode = "reset/after-20ms"
                self.loop.call_later(0.02, self.reset)
            else:
                mode = "reset/at-once"
                self.reset()
        elif mode == "hang":
            # Never answers; the connection stays open until the gateway gives up.
            self.stalled = True
        else:
            variant = rng.randrange(5)
            mode = f"garbage/{('bytes', 'not-json', 'bad-length', 'bad-chunk', 'no-client')[variant]}"
            if variant == 0:
                self.transport.write(bytes(rng.randrange(256) for _ in range(rng.randint(16, 512))))
                self.transport.close()
            elif variant == 1:
                junk = bytes(rng.choice(b'abc{}[]:,"\\ 0123') for _ in range(rng.randint(10, 300)))
                self.transport.write(ok_head(len(junk)) + junk)
                self.arm_idle()
            elif variant == 2:
                self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: 12, 13\r\n\r\n{}")
                self.transport.close()
            elif variant == 3:
                self.transport.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n")
                self.transport.close()
            else:
                junk = b'{"code":200,"result":"successful","data":{}}'
                self.transport.write(ok_head(len(junk)) + junk)
                self.arm_idle()
        self.upstream.modes[mode] += 1
        self.upstream.calls[request_id].append((mode, self.loop.time()))

    def reset(self) -> None:
        sock = self.transport.get_extra_info("socket")
        if sock is not None and not self.transport.is_closing():
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.idle is not None:
            self.idle.cancel()
        self.upstream.live.discard(self)


async def client_load(port: int, clients: int, duration: float, rng: random.Random,
                      answer_timeout: float) -> dict:
    """`clients` keep-alive connections looping on GET /clients/{random id}."""
    statuses: collections.Counter = collections.Counter()
    failures: collections.Counter = collections.Counter()
    # X-Request-Id (the gateway forwards the caller's) -> (status, loop time sent, answered).
    answers: dict[str, tuple[int, float, float]] = {}
    wrong_bodies = 0
    end = time.monotonic() + duration
    loop = asyncio.get_running_loop()

    async def client() -> None:
        nonlocal wrong_bodies
        reader = writer = None
        while time.monotonic() < end:
            try:
                if writer is None:
                    reader, writer = await asyncio.wait_for(asyncio.open_connection(LOCALHOST, port), 5)
                client_id = rng.randint(1, 999_999)
                request_id = f"abuse-{next(REQUEST_NUMBERS)}"
                sent = loop.time()
                writer.write(request_bytes(f"/clients/{client_id}", {**TENANT_HEADERS, "X-Request-Id": request_id}))
                status, headers, body = await asyncio.wait_for(read_response(reader), answer_timeout)
                statuses[status] += 1
                answers[request_id] = (status, sent, loop.time())
                if status == 200:
                    try:
                        if json.loads(body)["id"] != client_id:
                            wrong_bodies += 1
                    except (ValueError, KeyError, TypeError):
                        wrong_bodies += 1
                if headers.get("connection", "").lower() == "close":
                    writer.transport.abort()
                    writer = None
            except NETWORK_ERRORS as error:
                failures[type(error).__name__] += 1
                if writer is not None:
                    writer.transport.abort()
                    writer = None
        if writer is not None:
            writer.transport.abort()

    await asyncio.gather(*(client() for _ in range(clients)))
    return {"statuses": statuses, "failures": failures, "wrong_bodies": wrong_bodies, "answers": answers}


def expected_status(modes: list[str]) -> int | None:
    """What the gateway should answer after the upstream behaved so on each call."""
    if not modes:
        return None
    last = modes[-1]
    return 200 if last == "ok" else 504 if last == "hang" else 502  # reset*, garbage*


def explain_statuses(answers: dict, calls: dict) -> list[str]:
    """Each answer against what the upstream did with that request (joined on
    X-Request-Id): a table of behaviour -> status, and a few unexpected cases with
    their timing, to tell a slow harness from a wrong gateway."""
    table: collections.Counter = collections.Counter()
    odd = []
    for request_id, (status, sent, answered) in answers.items():
        seen = calls.get(request_id, [])
        # Garbage variants are one behaviour; the two reset timings are told apart.
        modes = [m if m.startswith("reset") else m.split("/")[0] for m, _ in seen]
        table[("+".join(modes) or "never reached the upstream", status)] += 1
        if expected_status(modes) != status:
            reached = f"{(seen[0][1] - sent) * 1e3:.0f} ms" if seen else "never"
            odd.append(f"{request_id}: upstream {'+'.join(m for m, _ in seen) or '-'} -> {status}, "
                       f"reached the upstream after {reached}, answered after {(answered - sent) * 1e3:.0f} ms")
    lines = ["  upstream behaviour -> status: " + ", ".join(
        f"{mode} -> {status}: {n}" for (mode, status), n in sorted(table.items(), key=lambda kv: (kv[0][0], kv[0][1])))]
    if odd:
        lines.append(f"  {len(odd)} answers differ from what the upstream's behaviour implies "
                     f"(informative, the verdict allows 200/502/504; the timings tell a harness too "
                     f"slow to answer within --upstream-timeout from a gateway that missed an "
                     f"event); the first ones:")
        lines.extend("    " + line for line in odd[:8])
    else:
        lines.append("  every answer is what the upstream's behaviour implies")
    return lines


async def scenario_upstream(args: argparse.Namespace, workdir: str) -> tuple[bool, str]:
    rng = random.Random(args.seed)
    upstream_timeout, connect_timeout, idle_close = 2.0, 1.0, 1.0
    upstream = MisbehavingUpstream(rng, args.misbehave, idle_close)
    await upstream.start()
    gateway = Gateway(args.gateway, [
        "--upstream", f"http://{LOCALHOST}:{upstream.port}/{{subdomain}}/api2",
        "--upstream-timeout", gateway_duration(upstream_timeout),
        "--upstream-connect-timeout", gateway_duration(connect_timeout),
        "--header-timeout", "3s", "--idle-timeout", "10s"], workdir, "upstream")
    checks = Checks()
    try:
        await gateway.start()
        log(f"  gateway pid {gateway.pid}, port {gateway.port}; upstream on port {upstream.port} "
            f"misbehaving on {args.misbehave:.0%} of requests, closing connections idle {idle_close:g} s")
        fds_initial, rss_initial = gateway.fds(), gateway.rss_kib()
        answer_timeout = upstream_timeout + connect_timeout + 5
        # In-flight calls end within the upstream timeout; pooled connections are
        # then closed by the upstream's idle close.
        settle = upstream_timeout + idle_close + 1.0

        warm = await client_load(gateway.port, args.upstream_clients, args.warmup, rng, answer_timeout)
        await asyncio.sleep(settle)
        fds_warm = await gateway.settle_fds(fds_initial, 3.0)
        rss_warm = gateway.rss_kib()
        log(f"  warm-up {args.warmup:g} s: {sum(warm['statuses'].values())} requests; "
            f"fds {fds_initial} -> {fds_warm}, RSS {rss_initial} -> {rss_warm} KiB")

        upstream.modes.clear()
        upstream.calls.clear()
        rss_peak = rss_warm

        async def sample_rss() -> None:
            nonlocal rss_peak
            while True:
                rss_peak = max(rss_peak, gateway.rss_kib())
                await asyncio.sleep(0.25)

        sampler = asyncio.create_task(sample_rss())
        started = time.monotonic()
        load = await client_load(gateway.port, args.upstream_clients, args.upstream_duration, rng, answer_timeout)
        elapsed = time.monotonic() - started
        sampler.cancel()
        statuses, failures = load["statuses"], load["failures"]
        answered = sum(statuses.values())
        log(f"  load: {args.upstream_clients} clients for {elapsed:.1f} s: {answered} answered "
            f"({answered / elapsed:.0f}/s), by status: {dict(sorted(statuses.items()))}, "
            f"no answer: {dict(failures) or 'none'}, 200s with a wrong body: {load['wrong_bodies']}")
        log(f"  upstream behaviour: {dict(sorted(upstream.modes.items()))}")
        for line in explain_statuses(load["answers"], upstream.calls):
            log(line)

        await asyncio.sleep(settle)
        fds_after = await gateway.settle_fds(fds_warm, 5.0)
        rss_after = gateway.rss_kib()
        rss_limit = int(rss_warm * 1.10) + 2048
        log(f"  after the load: fds {fds_after} (baseline {fds_warm}), RSS {rss_after} KiB "
            f"(after warm-up {rss_warm}, peak {rss_peak}, limit {rss_limit}), "
            f"upstream connections still open: {len(upstream.live)}")

        unexpected = {s: n for s, n in statuses.items() if s not in (200, 502, 504)}
        checks.check(not failures and not unexpected and load["wrong_bodies"] == 0 and answered > 0,
                     f"every request answered 200/502/504 with the right client "
                     f"(no answer: {sum(failures.values())}, other statuses: {unexpected or 'none'})")
        exercised = all(any(m.startswith(k) for m in upstream.modes) for k in ("reset", "hang", "garbage", "ok"))
        checks.check(exercised, "the upstream reset, hung, sent garbage and answered well during the load")
        checks.check(gateway.alive(), "the gateway is alive")
        checks.check(fds_after <= fds_warm, f"fds back to the baseline ({fds_after} <= {fds_warm})")
        checks.check(rss_after <= rss_limit,
                     f"RSS {rss_after} KiB <= 110 % of {rss_warm} KiB + 2 MiB = {rss_limit} KiB")
        summary = (f"{answered} requests {dict(sorted(statuses.items()))}, {sum(failures.values())} unanswered, "
                   f"fds {fds_warm} -> {fds_after}, RSS {rss_warm} -> {rss_after} KiB")
    finally:
        status = await gateway.stop()
        log(f"  gateway exit status after SIGTERM: {status}")
        await upstream.close()
    if checks.failed:
        log(gateway.tail())
    return not checks.failed, summary


# ---------------------------------------------------------------------------------

SCENARIOS = {
    "slowloris": scenario_slowloris,
    "maxconn": scenario_maxconn,
    "upstream": scenario_upstream,
}


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--slowloris-worker":
        port, clients, interval, give_up, ramp = sys.argv[2:7]
        asyncio.run(slowloris_worker(int(port), int(clients), float(interval), float(give_up), float(ramp)))
        return 0

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("scenarios", nargs="*", metavar="scenario",
                        help=f"any of {', '.join(SCENARIOS)} (default: all)")
    parser.add_argument("--gateway", default=os.path.join(root, ".build", "release", "daftra-gateway"),
                        help="the daftra-gateway executable (default: %(default)s)")
    parser.add_argument("--header-timeout", type=float, default=3.0, help="seconds (default 3)")
    parser.add_argument("--normal-clients", type=int, default=16)
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second per normal client")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per latency window")
    parser.add_argument("--slow-clients", type=int, default=1000)
    parser.add_argument("--trickle-interval", type=float, default=0.5, help="seconds between slow bytes")
    parser.add_argument("--p99-floor-ms", type=float, default=1.0,
                        help="the baseline p99 counts as at least this much (default 1)")
    parser.add_argument("--abuser-nice", type=int, default=0, help="niceness of the slow-client process")
    parser.add_argument("--abuser-cpus", type=cpu_list, default="auto",
                        help="CPUs (e.g. 1 or 2,3) for the slow clients and the decoy, the measured gateway "
                             "and the normal clients getting the others, as if the attack came from other "
                             "machines (slowloris); 'auto' (default): the last CPU if there are two or more; "
                             "'none': everything shares every CPU")
    parser.add_argument("--no-control", dest="control", action="store_false",
                        help="skip the control window (slow clients on a decoy gateway)")
    parser.add_argument("--max-connections", type=int, default=200)
    parser.add_argument("--upstream-clients", type=int, default=32)
    parser.add_argument("--upstream-duration", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up load (upstream)")
    parser.add_argument("--misbehave", type=float, default=0.3, help="share of bad upstream answers")
    parser.add_argument("--seed", type=int, default=None, help="seed of the upstream's choices")
    parser.add_argument("--keep", action="store_true", help="keep the gateway logs' directory")
    args = parser.parse_args()
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose among {', '.join(SCENARIOS)}")
    if not os.access(args.gateway, os.X_OK):
        parser.error(f"no executable gateway at {args.gateway} (build it: swift build -c release "
                     f"--product daftra-gateway)")
    if args.seed is None:
        args.seed = random.randrange(1 << 32)
    if not sys.platform.startswith("linux"):
        parser.error("needs Linux (/proc)")

    limit = raise_fd_limit()
    needed = args.slow_clients + 2 * args.max_connections + 256
    if limit < needed:
        parser.error(f"the fd limit is {limit}; these scenarios need about {needed}")
    workdir = tempfile.mkdtemp(prefix="abuse.")
    log(f"daftra-gateway abuse: {args.gateway}; seed {args.seed}; logs in {workdir}")
    log(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} "
        f"(latency figures are only as quiet as the machine)")
    passed = failed = 0
    started = time.monotonic()
    for name in args.scenarios or list(SCENARIOS):
        log(f"== {name} ==")
        try:
            ok, summary = asyncio.run(SCENARIOS[name](args, workdir))
        except Exception as error:  # a broken scenario is a failed one, the others still run
            ok, summary = False, f"error: {type(error).__name__}: {error}"
        log(f"{'PASS' if ok else 'FAIL'} {name}: {summary}")
        passed, failed = passed + ok, failed + (not ok)
    log(f"(total {time.monotonic() - started:.0f} s)")
    if failed == 0 and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    log(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
