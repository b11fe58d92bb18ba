"""How forwarding runs: where to, with which token, and its timing.

Built from the settings (``GATEWAY_UPSTREAM_URL`` / ``--upstream``, ``GATEWAY_UPSTREAM_TOKEN``);
the timing has fixed defaults that tests shorten.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.settings import Settings

# Matomo's own trackers send bulk requests in chunks of 50 (matomo.js ``arrayChunk``).
BATCH_MAX = 50


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
    lease_seconds: float = 35.0
    # At shutdown, how long the post in flight may still take.
    shutdown_grace: float = 10.0

    @property
    def enabled(self) -> bool:
        """Hits are queued for forwarding whenever an upstream URL is set."""
        return self.url is not None

    @classmethod
    def from_settings(cls, settings: Settings) -> ForwardingConfig:
        return cls(url=settings.upstream_url, token=settings.upstream_token)
