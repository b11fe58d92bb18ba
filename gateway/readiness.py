"""``/readyz``: may a load balancer send traffic to this instance?

Liveness (``/healthz``) says the process answers; readiness says it can do its job: the
database answers and its schema is exactly the one this release migrates to. A schema that is
older means migrations have not run (they run when the store opens); a newer one means another
instance of a newer release has migrated the database - this one must not write to it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.runtime import runtime
from gateway.storage.migrations import MIGRATIONS


def reasons_not_ready(schema: int | None, expected: int) -> list[str]:
    """Why an instance is not ready (empty when it is); ``schema`` None: database unreachable."""
    if schema is None:
        return ["database unreachable"]
    if schema < expected:
        return [
            f"database schema {schema} is older than this release's {expected}: migrations pending"
        ]
    if schema > expected:
        return [
            f"database schema {schema} is newer than this release's {expected}: "
            "upgrade this gateway"
        ]
    return []


async def readyz(request: Request) -> Response:
    rt = runtime(request)
    try:
        schema: int | None = await rt.store.schema_version()
    except Exception:
        schema = None
    expected = len(MIGRATIONS)
    reasons = reasons_not_ready(schema, expected)
    problem = rt.writer.storage_problem()  # reads alone miss a lock or a full disk
    if problem is not None:
        reasons.append(f"storage unavailable: {problem}")
    body = {"ready": not reasons, "schema": schema, "expected_schema": expected, "reasons": reasons}
    return JSONResponse(
        body, status_code=503 if reasons else 200, headers={"Cache-Control": "no-store"}
    )


routes = [Route("/readyz", readyz, methods=["GET", "HEAD"])]
