"""The baseline: a bare Starlette app whose only route answers 204, as cheap as ASGI gets."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def matomo(request: Request) -> Response:
    return Response(status_code=204)


app = Starlette(routes=[Route("/matomo.php", matomo, methods=["GET", "POST"])])
