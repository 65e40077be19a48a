"""Run a function in a separate, reusable worker process with a time and a memory limit.

A hostile document (a decompression bomb, a PDF whose parsing never ends) must not hang or
exhaust the indexer. The parser therefore runs in a worker process: the memory limit is the
worker's address space (RLIMIT_AS, set by the worker before each job), the time limit a
wall-clock deadline kept by the parent, which kills the worker when it passes. A worker
serves many jobs, so a corpus of hundreds of PDFs pays one interpreter start, not one per
file; it is replaced after a timeout, a crash, running out of memory, or `max_jobs` jobs.

The worker is a fresh interpreter started with `subprocess` (not `multiprocessing`), which
imports only the modules it is asked to preload: never the caller's `__main__`, which for the
`confsearch` command would pull in torch. Requests and replies are length-prefixed JSON on the
worker's stdin and stdout; a job is named "module:function", takes JSON arguments and returns
a JSON value. When the worker's parent dies, an idle worker sees end-of-file and exits, and a
busy one is stopped by a CPU-time limit (RLIMIT_CPU) a little above the wall-clock limit.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import selectors
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

_HEADER = struct.Struct(">Q")
_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)
_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from indexer.sandbox import _worker_main; _worker_main(sys.argv[2:])"
)
START_TIMEOUT_S = 120.0  # a cold start (no .pyc yet, cold disk) can take many seconds
CPU_GRACE_S = 5.0  # RLIMIT_CPU = the wall-clock limit plus this, for orphaned workers
SUPPORTED = os.name == "posix"


class SandboxError(Exception):
    """The job did not return a result."""


class SandboxTimeout(SandboxError):
    """The job ran past its wall-clock limit; the worker was killed."""


class SandboxMemoryError(SandboxError):
    """The job needed more memory than its limit."""


class SandboxCrash(SandboxError):
    """The worker died during the job (a signal, or an exit)."""


class SandboxUnavailable(SandboxError):
    """No worker process could be started."""


class _NotSent(SandboxCrash):
    """The worker died before it was given the job (while idle)."""


class SandboxJobError(SandboxError):
    """The job raised an exception; `type_name` and the message say which."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.message = message


# --- the parent's side ------------------------------------------------------------------------


class _Worker:
    def __init__(self, preload: tuple[str, ...]) -> None:
        self.jobs = 0
        self.process = subprocess.Popen(
            [sys.executable, "-c", _BOOT, _PACKAGE_PARENT, *preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,  # Ctrl-C in a terminal goes to the indexer, not here
        )
        try:
            ready = self._receive(time.monotonic() + START_TIMEOUT_S)
        except SandboxError as exc:
            self.kill()
            raise SandboxUnavailable(f"worker did not start: {exc}") from exc
        if ready.get("ready") is not True:
            self.kill()
            raise SandboxUnavailable(f"worker did not start: {ready}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def call(self, function: str, args: list, timeout_s: float | None, memory_bytes: int | None):
        request = {
            "call": function,
            "args": args,
            "memory": memory_bytes,
            "cpu": None if timeout_s is None else timeout_s + CPU_GRACE_S,
        }
        payload = json.dumps(request).encode()
        try:
            self.process.stdin.write(_HEADER.pack(len(payload)) + payload)
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise _NotSent(self._death("before the job was sent")) from exc
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        self.jobs += 1
        return self._receive(deadline)

    def _receive(self, deadline: float | None) -> dict:
        header = self._read(_HEADER.size, deadline)
        (size,) = _HEADER.unpack(header)
        return json.loads(self._read(size, deadline))

    def _read(self, size: int, deadline: float | None) -> bytes:
        fd = self.process.stdout.fileno()
        chunks: list[bytes] = []
        wanted = size
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while wanted:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and (remaining <= 0 or not selector.select(remaining)):
                    self.kill()
                    raise SandboxTimeout("time limit reached")
                chunk = os.read(fd, min(wanted, 1 << 20))
                if not chunk:
                    raise SandboxCrash(self._death("during the job"))
                chunks.append(chunk)
                wanted -= len(chunk)
        return b"".join(chunks)

    def _death(self, when: str) -> str:
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            return f"worker stopped answering {when}"
        if code < 0:
            name = _signal_name(-code)
            hint = {
                "SIGKILL": " (out of memory?)",
                "SIGXCPU": " (CPU time limit)",
                "SIGSEGV": " (a parser bug?)",
            }
            return f"worker killed by {name}{hint.get(name, '')} {when}"
        return f"worker exited with status {code} {when}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired, OSError):
            self.process.wait(timeout=5)
        self._close_pipes()

    def close(self) -> None:
        """Ask an idle worker to exit (end of input); kill it if it does not."""
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_pipes()

    def _close_pipes(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError, ValueError):
                pipe.close()


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class WorkerPool:
    """Workers kept between calls; each call uses one worker on its own, so calls from
    several threads run in parallel, each in its own process."""

    def __init__(self, preload: tuple[str, ...] = (), max_jobs: int = 200, max_idle: int = 2):
        self.preload = tuple(preload)
        self.max_jobs = max_jobs
        self.max_idle = max_idle
        self.started = 0  # workers started so far, for tests and measurements
        self.unavailable: str | None = None  # why no worker could be started, once it failed
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def call(
        self,
        function: str,
        args: list | tuple = (),
        timeout_s: float | None = None,
        memory_mb: float | None = None,
    ):
        """Run `function` ("package.module:name") on JSON `args` in a worker; return its JSON
        result. Raises SandboxTimeout, SandboxMemoryError, SandboxCrash, SandboxJobError, or
        SandboxUnavailable when no worker can be started."""
        memory_bytes = None if memory_mb is None else int(memory_mb * 1024 * 1024)
        worker = self._acquire()
        healthy = False
        try:
            try:
                reply = worker.call(function, list(args), timeout_s, memory_bytes)
            except _NotSent:
                worker.kill()  # it died while idle: the job is not to blame; start another
                worker = self._start()
                reply = worker.call(function, list(args), timeout_s, memory_bytes)
            if "ok" in reply:
                healthy = True
                return reply["ok"]
            if reply.get("memory"):
                raise SandboxMemoryError("memory limit reached")
            healthy = True  # an exception in the job leaves the worker usable
            raise SandboxJobError(reply.get("type", "Exception"), reply.get("message", ""))
        finally:
            if healthy and reply.get("recycle") is not True:
                self._release(worker)
            else:
                worker.kill()

    def _start(self) -> _Worker:
        if self.unavailable:  # do not wait for a failing start again for every document
            raise SandboxUnavailable(self.unavailable)
        try:
            worker = _Worker(self.preload)
        except (OSError, SandboxUnavailable) as exc:
            self.unavailable = f"cannot start a worker process: {exc}"
            log.warning("%s; reading without time or memory limits", self.unavailable)
            raise SandboxUnavailable(self.unavailable) from exc
        self.started += 1
        return worker

    def _acquire(self) -> _Worker:
        with self._lock:
            if os.getpid() != self._pid:  # forked: the workers belong to the parent
                self._idle, self._pid = [], os.getpid()
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    return worker
                worker.kill()
        return self._start()

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            keep = (
                os.getpid() == self._pid
                and worker.jobs < self.max_jobs
                and len(self._idle) < self.max_idle
                and worker.alive()
            )
            if keep:
                self._idle.append(worker)
                return
        worker.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
            mine = os.getpid() == self._pid
        if mine:
            for worker in idle:
                worker.close()


_pools: dict[tuple[str, ...], WorkerPool] = {}
_pools_lock = threading.Lock()


def shared_pool(preload: tuple[str, ...] = ()) -> WorkerPool:
    """One pool per set of preloaded modules for the whole process, closed at exit."""
    with _pools_lock:
        pool = _pools.get(preload)
        if pool is None:
            pool = _pools[preload] = WorkerPool(preload)
        return pool


@atexit.register
def close_shared_pools() -> None:
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()


# --- the worker's side ------------------------------------------------------------------------


def _worker_main(preload: list[str]) -> None:  # pragma: no cover - runs in the worker
    import importlib
    import resource

    reply_fd = os.dup(1)
    os.dup2(2, 1)  # a stray print() must not corrupt the replies
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, ValueError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core files from a crash
    for name in preload:
        importlib.import_module(name)
    requests = os.fdopen(0, "rb", buffering=0)
    _send(reply_fd, json.dumps({"ready": True}).encode())
    _, as_hard = resource.getrlimit(resource.RLIMIT_AS)
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    memory_reply = json.dumps({"memory": True, "recycle": True}).encode()
    while True:
        header = _read_exactly(requests, _HEADER.size)
        if header is None:
            return  # the parent closed our input, or died
        (size,) = _HEADER.unpack(header)
        request = json.loads(_read_exactly(requests, size) or b"{}")
        _limit(resource, resource.RLIMIT_AS, request.get("memory"), as_hard, offset=0)
        used = resource.getrusage(resource.RUSAGE_SELF)
        _limit(resource, resource.RLIMIT_CPU, request.get("cpu"), cpu_hard,
               offset=used.ru_utime + used.ru_stime)  # fmt: skip
        try:
            module, _, name = request["call"].partition(":")
            function = getattr(importlib.import_module(module), name)
            payload = json.dumps({"ok": function(*request.get("args", []))}).encode()
        except MemoryError:
            payload = memory_reply
        except BaseException as exc:  # the job's failure is the parent's to report
            try:
                payload = json.dumps(
                    {"type": type(exc).__name__, "message": str(exc)[:2000]}
                ).encode()
            except MemoryError:
                payload = memory_reply
        finally:
            _limit(resource, resource.RLIMIT_AS, None, as_hard, offset=0)
        try:
            _send(reply_fd, payload)
        except OSError:
            return  # the parent is gone


def _limit(resource, which: int, value, hard: int, offset: float) -> None:  # pragma: no cover
    """Set the soft limit `which` to `offset + value` (None: back to the hard limit). Where the
    system refuses (some do not support RLIMIT_AS), the job runs with the time limit alone."""
    soft = hard
    if value is not None:
        soft = int(offset + value) + 1
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
    with contextlib.suppress(OSError, ValueError):
        resource.setrlimit(which, (soft, hard))


def _read_exactly(stream, size: int) -> bytes | None:  # pragma: no cover - in the worker
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _send(fd: int, payload: bytes) -> None:  # pragma: no cover - in the worker
    data = memoryview(_HEADER.pack(len(payload)) + payload)
    while data:
        data = data[os.write(fd, data) :]
