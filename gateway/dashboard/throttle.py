"""A limit on failed credentials: guessing a token from one address is slowed to a crawl.

Why: the dashboard's login form, shared links and the reports APIs take a secret from anyone
who asks. Tokens are long and random, but nothing stopped a client from trying millions of
them. After ``Limit.failures`` failures within ``Limit.window_s`` seconds from one client
address for one site (and one kind of credential), further attempts are refused with 429 and
``Retry-After`` - without even looking at the credential, so a right guess during the block
gains nothing - until the oldest of those failures is older than the window. A success clears
the record (``succeeded``).

The client address is what the gateway believes (``request.client.host`` after the
trusted-proxy middleware). IPv6 clients are counted per /64, the block one subscriber usually
holds, so rotating through one's own addresses does not reset the count. Records live in this
process's memory only: they are never stored or logged, several workers each count their own,
and a restart forgets them. The decision (``decide``) is a pure function of the failure times;
``FailureThrottle`` holds the times, bounded in memory.
"""

from __future__ import annotations

import ipaddress
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

MAX_KEYS: Final = 10_000  # records kept at most; the stalest go first when more arrive

TOO_MANY: Final = "too many failed attempts from this address; retry after the Retry-After seconds"

Key = tuple[str, str, str]  # kind of credential, client network, site


@dataclass(frozen=True)
class Limit:
    failures: int = 10
    window_s: float = 600.0


DEFAULT_LIMIT: Final = Limit()


@dataclass(frozen=True)
class Verdict:
    """``allowed``: the attempt may be checked; otherwise wait ``retry_after`` whole seconds."""

    allowed: bool
    retry_after: int = 0


def decide(failures: Sequence[float], now: float, limit: Limit = DEFAULT_LIMIT) -> Verdict:
    """Whether one more attempt may be made, given the times of earlier failures (oldest
    first). Blocked while ``limit.failures`` of them are younger than the window; the block
    ends when the oldest of those leaves it."""
    recent = [t for t in failures if now - t < limit.window_s]
    if len(recent) < limit.failures:
        return Verdict(True)
    ends = recent[-limit.failures] + limit.window_s
    return Verdict(False, max(1, math.ceil(ends - now)))


def client_network(host: str | None) -> str:
    """The unit failures are counted in: an IPv4 address, an IPv6 /64, or the host text."""
    if not host:
        return "-"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def key(kind: str, host: str | None, site: str) -> Key:
    return (kind, client_network(host), site[:128])


class FailureThrottle:
    """Failure times per key, in memory. Not shared between processes (see the module)."""

    def __init__(self, limit: Limit = DEFAULT_LIMIT, max_keys: int = MAX_KEYS) -> None:
        self.limit = limit
        self.max_keys = max_keys
        self._failures: dict[Key, deque[float]] = {}

    def check(self, key: Key, now: float) -> Verdict:
        found = self._failures.get(key)
        return Verdict(True) if found is None else decide(found, now, self.limit)

    def failed(self, key: Key, now: float) -> None:
        times = self._failures.pop(key, None)  # re-inserted last: the dict keeps recency order
        if times is None:
            if len(self._failures) >= self.max_keys:
                self._evict(now)
            times = deque(maxlen=self.limit.failures)
        times.append(now)
        self._failures[key] = times

    def succeeded(self, key: Key) -> None:
        self._failures.pop(key, None)

    def __len__(self) -> int:
        return len(self._failures)

    def _evict(self, now: float) -> None:
        """Forget records whose failures have all left the window; if none have, the one
        that failed least recently."""
        stale = [k for k, t in self._failures.items() if now - t[-1] >= self.limit.window_s]
        for k in stale:
            del self._failures[k]
        if len(self._failures) >= self.max_keys:
            del self._failures[next(iter(self._failures))]
