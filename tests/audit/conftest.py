"""The API tests run against two sites, each with its own token (see ``kit``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.kit import write_sites


@pytest.fixture
def policies_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "policies"
    directory.mkdir()
    write_sites(directory)
    return directory
