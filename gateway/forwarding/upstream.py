"""One bulk post to the upstream Matomo, and what its answer means. Blocking; run in a thread.

The answer is classified by a pure function (``classify``): Matomo's bulk endpoint answers
``200 {"status": "success", "tracked": N, "invalid": M}``; a 400 means it refused the request
(for example ``cip`` without a valid ``token_auth``), which retrying unchanged will not fix;
anything else - no connection, a time-out, a 5xx, a 401/403, a 2xx that is not Matomo's bulk
answer - may be fixed by waiting, so the rows are kept and retried.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from gateway import __version__

Verdict = Literal["delivered", "retry", "rejected"]
_READ_MAX = 65536


@dataclass(frozen=True)
class Reply:
    """What came back: an HTTP status and body, or ``error`` when no answer came at all."""

    status: int | None
    body: bytes = b""
    error: str | None = None


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    # Entries Matomo counted as invalid in an accepted batch (they are not retried).
    invalid: int = 0
    # Short, safe to log: never the URL, the token or a response body.
    reason: str = ""


def bulk_body(queries: Sequence[str], token: str | None) -> bytes:
    """Matomo's bulk format; the token goes in the JSON body, the only place Matomo reads it."""
    payload: dict[str, object] = {"requests": ["?" + q for q in queries]}
    if token:
        payload["token_auth"] = token
    return json.dumps(payload).encode()


def post(url: str, body: bytes, timeout: float) -> Reply:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": f"gateway/{__version__}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(int(response.status), response.read(_READ_MAX))
    except urllib.error.HTTPError as exc:
        with exc:
            return Reply(int(exc.code), exc.read(_READ_MAX))
    except urllib.error.URLError as exc:
        return Reply(None, error=f"cannot connect: {type(exc.reason).__name__}")
    except TimeoutError:
        return Reply(None, error=f"no answer within {timeout:g} s")
    except (OSError, http.client.HTTPException) as exc:
        return Reply(None, error=f"connection failed: {type(exc).__name__}")


def classify(reply: Reply) -> Outcome:
    if reply.status is None:
        return Outcome("retry", reason=reply.error or "no answer")
    if reply.status == 400:
        return Outcome("rejected", reason="HTTP 400 (request refused)")
    if not 200 <= reply.status < 300:
        return Outcome("retry", reason=f"HTTP {reply.status}")
    try:
        answer = json.loads(reply.body)
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or answer.get("status") != "success":
        return Outcome("retry", reason=f"HTTP {reply.status} without Matomo's bulk answer")
    invalid = answer.get("invalid", 0)
    return Outcome("delivered", invalid=invalid if isinstance(invalid, int) else 0)
