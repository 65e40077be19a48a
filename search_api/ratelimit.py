"""Per-client rate limits: a token bucket per client address, in this process's memory or
shared by every worker process (search_api/state.py).

Each client (an IPv4 address, or an IPv6 /64 network: one host usually holds a whole /64)
has a bucket of N tokens that refills at N per period; a search takes one token, and a
client with none left gets 429 with `Retry-After` (whole seconds until a token is back).
In memory, buckets live in one ordered dict, least recently seen first: a client idle long
enough for its bucket to be full again is forgotten (it would start full anyway), and past
`max_clients` the least recently seen is forgotten, so memory stays bounded.

Written here rather than taken from slowapi/limits: the whole rule is the ~40 lines below;
slowapi wants a decorator and a `request` argument on every limited handler and its own
error handler, and limits offers fixed or moving windows (no token bucket) whose in-memory
storage runs a cleanup timer thread; neither gives an exact Retry-After more simply.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from search_api.errors import error_response
from search_api.state import StateStore, now

_UNITS = {1.0: "second", 60.0: "minute", 3600.0: "hour"}


class TokenBuckets:
    def __init__(
        self,
        count: int,
        period: float,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.count, self.period = count, period
        self.capacity = float(count)
        self.rate = count / period  # tokens per second
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, when
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0.0 when `client` may go ahead (a token is taken), else the seconds to wait."""
        now = self.clock()
        with self._lock:
            tokens, then = self._buckets.pop(client, (self.capacity, now))
            tokens, wait = refill_and_take(tokens, now - then, self.capacity, self.rate)
            self._buckets[client] = (tokens, now)
            refill = self.capacity / self.rate
            while self._buckets:
                _, (_, seen) = next(iter(self._buckets.items()))
                if now - seen < refill and len(self._buckets) <= self.max_clients:
                    break
                self._buckets.popitem(last=False)
        return wait

    def peek(self, client: str) -> float:
        """The seconds `client` must wait for a token (0.0: one is there), none taken."""
        now = self.clock()
        with self._lock:
            tokens, then = self._buckets.get(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - then) * self.rate)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def __len__(self) -> int:
        return len(self._buckets)

    def describe(self) -> str:
        unit = _UNITS.get(self.period, f"{self.period:g} s")
        return f"{self.count} searches a {unit}"


def refill_and_take(
    tokens: float, elapsed: float, capacity: float, rate: float
) -> tuple[float, float]:
    """(tokens left, seconds to wait): the bucket refilled for `elapsed` seconds, then one
    token taken if there is one."""
    tokens = min(capacity, tokens + max(0.0, elapsed) * rate)
    if tokens >= 1.0:
        return tokens - 1.0, 0.0
    return tokens, (1.0 - tokens) / rate


class SharedTokenBuckets:
    """The same buckets in the state every worker shares: one limit for the whole server.
    `family` keeps several limits apart (searches, failed admin keys)."""

    def __init__(self, store: StateStore, family: str, count: int, period: float) -> None:
        self.store, self.family = store, family
        self.count, self.period = count, period
        self.capacity = float(count)
        self.rate = count / period
        self._takes = 0

    def take(self, client: str) -> float:
        moment = now()
        with self.store.transaction() as db:
            row = db.execute(
                "SELECT tokens, seen FROM buckets WHERE family = ? AND client = ?",
                (self.family, client),
            ).fetchone()
            tokens, then = row if row else (self.capacity, moment)
            tokens, wait = refill_and_take(tokens, moment - then, self.capacity, self.rate)
            db.execute(
                "INSERT OR REPLACE INTO buckets (family, client, tokens, seen) VALUES (?, ?, ?, ?)",
                (self.family, client, tokens, moment),
            )
            self._takes += 1
            if self._takes % 1000 == 0:  # forget clients whose bucket is full again
                db.execute("DELETE FROM buckets WHERE family = ? AND seen < ?",
                           (self.family, moment - self.period))  # fmt: skip
        return wait

    def peek(self, client: str) -> float:
        row = (
            self.store.connection()
            .execute(
                "SELECT tokens, seen FROM buckets WHERE family = ? AND client = ?",
                (self.family, client),
            )
            .fetchone()
        )
        if row is None:
            return 0.0
        tokens = min(self.capacity, row[0] + max(0.0, now() - row[1]) * self.rate)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def describe(self) -> str:
        unit = _UNITS.get(self.period, f"{self.period:g} s")
        return f"{self.count} searches a {unit}"


def client_key(scope: dict) -> str:
    """The client's address; an IPv6 address stands for its /64 network."""
    client = scope.get("client")
    host = client[0] if client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class RateLimitMiddleware:
    """Pure ASGI: limits GET and POST on the given paths before any work is done."""

    def __init__(self, app, buckets: TokenBuckets, paths: frozenset[str] = frozenset({"/search"})):
        self.app = app
        self.buckets = buckets
        self.paths = paths

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "POST"):
            path, root = scope["path"], scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            if path in self.paths:
                wait = self.buckets.take(client_key(scope))
                if wait > 0:
                    seconds = max(1, math.ceil(wait))
                    message = (
                        f"too many searches from your address: at most "
                        f"{self.buckets.describe()}; try again in {seconds} s"
                    )
                    response = error_response(429, message, headers={"Retry-After": str(seconds)})
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)
