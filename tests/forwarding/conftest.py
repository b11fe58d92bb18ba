"""The fake upstream Matomo every forwarding test posts to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.forwarding.fake_matomo import FakeMatomo

# The token_auth the fake Matomo accepts (write access to every site).
UPSTREAM_TOKEN = "upstream-write-token-0123456789"


@pytest.fixture
def matomo() -> Iterator[FakeMatomo]:
    fake = FakeMatomo(token=UPSTREAM_TOKEN)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
