"""How forwarding runs: where to, with which token, and its timing.

Built from the settings: ``GATEWAY_UPSTREAM_URL`` / ``--upstream``, ``GATEWAY_UPSTREAM_TOKEN``
and the ``GATEWAY_FORWARD_*`` timing (post time limit, longest retry wait, batch size, idle
poll). The rest is derived from them, so an operator cannot set a combination that breaks the
guarantees: a claimed row's lease outlasts the post's time limit (no second process posts it
meanwhile), and a clean shutdown waits for the post in flight. Tests shorten everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.settings import Settings

# Matomo's own trackers send bulk requests in chunks of 50 (matomo.js ``arrayChunk``).
BATCH_MAX = 50
# Seconds a lease lasts beyond the post's time limit, and a shutdown waits beyond it.
LEASE_MARGIN = 30.0
SHUTDOWN_MARGIN = 5.0


@dataclass(frozen=True)
class ForwardingConfig:
    url: str | None = None
    token: str | None = None
    batch_size: int = BATCH_MAX
    # Seconds a post may take (connect and each read) before it counts as failed.
    timeout: float = 5.0
    # Retry delays: base, doubling per consecutive failure up to max, each with jitter.
    backoff_base: float = 1.0
    backoff_max: float = 300.0
    # Seconds between looks at the outbox when there is nothing to send.
    poll_interval: float = 1.0
    # A claimed row is not claimed again (by this or another process) for this long.
    lease_seconds: float = 5.0 + LEASE_MARGIN
    # At shutdown, how long the post in flight may still take.
    shutdown_grace: float = 5.0 + SHUTDOWN_MARGIN

    @property
    def enabled(self) -> bool:
        """Hits are queued for forwarding whenever an upstream URL is set."""
        return self.url is not None

    @classmethod
    def from_settings(cls, settings: Settings) -> ForwardingConfig:
        """The settings' forwarding, with the lease and shutdown wait following the time limit
        (the defaults give the documented 35 s lease and 10 s shutdown wait)."""
        return cls(
            url=settings.upstream_url,
            token=settings.upstream_token,
            batch_size=min(BATCH_MAX, max(1, settings.forward_batch)),
            timeout=settings.forward_timeout,
            backoff_max=max(settings.forward_backoff_max, cls.backoff_base),
            poll_interval=settings.forward_poll,
            lease_seconds=settings.forward_timeout + LEASE_MARGIN,
            shutdown_grace=settings.forward_timeout + SHUTDOWN_MARGIN,
        )
