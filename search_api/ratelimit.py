"""Per-client rate limit on search: a token bucket per client address, in memory.

Each client (an IPv4 address, or an IPv6 /64 network: one host usually holds a whole /64)
has a bucket of N tokens that refills at N per period; a search takes one token, and a
client with none left gets 429 with `Retry-After` (whole seconds until a token is back).
Buckets live in one ordered dict, least recently seen first: a client idle long enough for
its bucket to be full again is forgotten (it would start full anyway), and past
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
            tokens = min(self.capacity, tokens + (now - then) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[client] = (tokens, now)
            refill = self.capacity / self.rate
            while self._buckets:
                _, (_, seen) = next(iter(self._buckets.items()))
                if now - seen < refill and len(self._buckets) <= self.max_clients:
                    break
                self._buckets.popitem(last=False)
        return wait

    def __len__(self) -> int:
        return len(self._buckets)

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
