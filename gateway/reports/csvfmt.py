"""Reports as CSV: one header row, nested objects flattened into ``parent_child`` columns.

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return) get a leading apostrophe: stored URLs and titles come from
visitors' browsers and must stay data. Numbers are written as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def flatten(row: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, name + "_"))
        elif isinstance(value, (list, tuple)):
            continue  # lists (nested rows) have their own CSV
        else:
            flat[name] = value
    return flat


def cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(rows: Iterable[Mapping[str, object]]) -> str:
    """Rows (possibly nested) as CSV; the columns are every key, in first-seen order."""
    flat = [flatten(row) for row in rows]
    columns: dict[str, None] = {}
    for row in flat:
        columns.update(dict.fromkeys(row))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in flat:
        writer.writerow([cell(row.get(c)) for c in columns])
    return buffer.getvalue()
