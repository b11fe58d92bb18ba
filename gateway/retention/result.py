"""What one purge of one site and kind removed (or, in a dry run, would remove)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Removed:
    """``counts`` per thing removed (``hits``, ``visits``, ``records``, ``entries``); ``note``
    says why a purge stopped short of the cutoff ("" when it did not)."""

    counts: Mapping[str, int] = field(default_factory=dict)
    note: str = ""

    @property
    def total(self) -> int:
        return sum(self.counts.values())
