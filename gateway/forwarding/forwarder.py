"""The forwarder: drains the outbox to the upstream Matomo, in order, at least once.

One task per process, started by the app's lifespan when an upstream URL is set. It claims due
rows in id order (a lease, so other processes skip them; a visitor's later rows wait while an
earlier one is leased or backing off, which keeps each visitor's order), posts them as one bulk
request of at most 50 and then:

- accepted (2xx with Matomo's bulk answer): the rows are deleted. Entries Matomo counted
  ``invalid`` are not retried (Matomo skips them; resending would not change that) but
  counted and logged;
- refused (400): every row is posted on its own, so one bad row cannot hold back the rest; a
  row refused on its own is parked (kept, out of the order, with the reason) for an operator;
- anything else (no connection, time-out, 5xx, 401/403): the rows stay, due again after an
  exponential backoff with jitter (``backoff_base`` doubling to ``backoff_max``), and the
  forwarder itself waits that long before trying again. Such an episode is logged once when it
  starts and once when it ends, not per hit.

A row is deleted only after Matomo accepted it, so a crash or a time-out can send a row twice
(at least once); a clean shutdown lets the post in flight finish and records its result, so a
restart resends nothing already accepted. Logs never contain the token, the URL or an IP.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gateway.consent.tokens import utcnow
from gateway.forwarding import upstream
from gateway.forwarding.config import ForwardingConfig
from gateway.forwarding.outbox import OutboxRow
from gateway.metrics import Metrics
from gateway.storage.base import Store
from gateway.timefmt import iso

log = logging.getLogger("gateway.forwarding")

Post = Callable[[str, bytes, float], upstream.Reply]


def backoff(failures: int, base: float, cap: float, rnd: float) -> float:
    """Seconds to wait after ``failures`` consecutive failures (>= 1): ``base`` doubling up to
    ``cap``, then scaled into [50 %, 100 %] by ``rnd`` in [0, 1) so instances spread out."""
    delay: float = min(cap, base * 2.0 ** min(failures - 1, 30))
    return delay * (0.5 + rnd / 2)


@dataclass
class ForwardingState:
    """What /healthz tells about forwarding."""

    running: bool = False
    failing: bool = False
    last_error: str | None = None
    last_error_at: str | None = None
    last_delivery_at: str | None = None


class Forwarder:
    def __init__(
        self,
        store: Store,
        config: ForwardingConfig,
        metrics: Metrics,
        state: ForwardingState,
        *,
        post: Post = upstream.post,
        clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.store = store
        self.config = config
        self.metrics = metrics
        self.state = state
        self._post = post
        self._clock = clock
        self._rng = rng
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._failures = 0

    async def start(self) -> None:
        if self.config.url is None:
            return
        if not self.config.token:
            # Without a token Matomo refuses every hit carrying ``cip``; keep them queued.
            self._error("GATEWAY_UPSTREAM_TOKEN is not set; hits stay in the outbox")
            log.error("forwarding is off: GATEWAY_UPSTREAM_TOKEN is not set (hits are kept)")
            return
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="gateway-forwarder")
        self.state.running = True

    async def stop(self) -> None:
        """Claim nothing more; let the post in flight finish (at most ``shutdown_grace``)."""
        self._stopping.set()
        task, self._task = self._task, None
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), self.config.shutdown_grace)
        except TimeoutError:
            task.cancel()
            log.warning("forwarding stopped with a post still in flight; it may be sent again")
        self.state.running = False

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                sent = await self.drain_once()
            except Exception:
                log.exception("forwarding: outbox unavailable")
                sent = False
            if not sent:
                await self._sleep(self.config.poll_interval)
            elif self._failures:
                await self._sleep(self._delay())

    async def drain_once(self) -> bool:
        """Claim and post one batch; False when nothing was due."""
        now = self._clock()
        rows = await self.store.outbox_claim(
            self.config.batch_size, now, now + self.config.lease_seconds
        )
        if not rows:
            return False
        outcome = await self._send(rows)
        if outcome.verdict == "rejected" and len(rows) > 1:
            log.warning(
                "upstream Matomo refused a batch of %d hits (%s); sending them one by one",
                len(rows),
                outcome.reason,
            )
            for index, row in enumerate(rows):
                single = await self._send([row])
                if single.verdict == "retry":
                    await self._record([row, *rows[index + 1 :]], single)
                    break
                await self._record([row], single)
        else:
            await self._record(rows, outcome)
        return True

    async def _send(self, rows: Sequence[OutboxRow]) -> upstream.Outcome:
        assert self.config.url is not None
        body = upstream.bulk_body([row.query for row in rows], self.config.token)
        reply = await asyncio.to_thread(self._post, self.config.url, body, self.config.timeout)
        return upstream.classify(reply)

    async def _record(self, rows: Sequence[OutboxRow], outcome: upstream.Outcome) -> None:
        ids = [row.id for row in rows]
        if outcome.verdict == "delivered":
            await self.store.outbox_delivered(ids)
            self.metrics.forwarded["delivered"] += len(ids) - outcome.invalid
            self.state.last_delivery_at = iso(utcnow())
            if outcome.invalid:
                self.metrics.forwarded["invalid"] += outcome.invalid
                log.warning("upstream Matomo counted %d forwarded hits invalid", outcome.invalid)
            if self._failures:
                log.info("upstream Matomo accepts hits again; forwarding resumed")
            self._failures = 0
            self.state.failing = False
        elif outcome.verdict == "rejected":
            await self.store.outbox_park(ids, outcome.reason)
            self.metrics.forwarded["parked"] += len(ids)
            self._error(outcome.reason)
            log.error(
                "upstream Matomo refused outbox row(s) %s (%s); parked, not retried",
                ",".join(map(str, ids)),
                outcome.reason,
            )
        else:
            self._failures += 1
            await self.store.outbox_retry(ids, self._clock() + self._delay(), outcome.reason)
            self.metrics.forwarded["failed"] += len(ids)
            self._error(outcome.reason)
            if not self.state.failing:
                log.warning(
                    "forwarding to upstream Matomo failed (%s); hits stay in the outbox and "
                    "are retried with backoff",
                    outcome.reason,
                )
            self.state.failing = True

    def _delay(self) -> float:
        return backoff(
            max(self._failures, 1), self.config.backoff_base, self.config.backoff_max, self._rng()
        )

    def _error(self, reason: str) -> None:
        self.state.last_error = reason
        self.state.last_error_at = iso(utcnow())

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
