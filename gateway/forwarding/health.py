"""The forwarding detail of ``/healthz``: backlog, parked rows and the last error."""

from __future__ import annotations

from gateway.forwarding.forwarder import ForwardingState
from gateway.storage.base import Store


async def forwarding_health(store: Store, state: ForwardingState) -> dict[str, object]:
    detail: dict[str, object] = {
        "running": state.running,
        "failing": state.failing,
        "last_error": state.last_error,
        "last_error_at": state.last_error_at,
        "last_delivery_at": state.last_delivery_at,
    }
    try:
        backlog = await store.outbox_backlog()
    except Exception:
        detail["backlog"] = None
        return detail
    detail["backlog"] = backlog.pending
    detail["oldest_seconds"] = round(backlog.oldest_age, 3)
    detail["parked"] = backlog.parked
    return detail
