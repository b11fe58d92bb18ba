"""The request log names what was asked, never who asked or with which secret."""

from __future__ import annotations

import pytest

from gateway.accesslog import loggable_path


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/matomo.php", "/matomo.php"),
        ("/dashboard/demo", "/dashboard/demo"),
        ("/share/demo/eyJzIjoiZGVtbyJ9.abc.def", "/share/demo/…"),
        ("/share/demo/tok/extra", "/share/demo/…/extra"),
        ("/api/sites/demo/visitors/0123456789abcdef", "/api/sites/demo/visitors/…"),
        ("/api/sites/demo/stats/pages", "/api/sites/demo/stats/pages"),
        ("/privacy/demo/versions/ab12", "/privacy/demo/versions/ab12"),
    ],
)
def test_secret_and_identifying_segments_are_left_out(path: str, logged: str) -> None:
    assert loggable_path(path) == logged
