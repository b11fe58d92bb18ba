"""The plain-text format of notice sections, turned into blocks a template can render.

A blank line starts a new paragraph; a paragraph whose lines all start with ``- `` is a list;
other line breaks inside a paragraph are kept (addresses, contact lines). Pure and escaped by
the template, so policy text can never inject markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Block:
    kind: Literal["paragraph", "list"]
    lines: tuple[str, ...]


def blocks(body: str) -> list[Block]:
    result: list[Block] = []
    for chunk in body.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in chunk.strip().split("\n") if line.strip()]
        if not lines:
            continue
        items = [line for line in lines if line.startswith("- ")]
        if items and len(items) == len(lines):
            result.append(Block("list", tuple(item[2:].strip() for item in items)))
        elif items:
            # Lead-in text followed by list items in one paragraph.
            first = next(i for i, line in enumerate(lines) if line.startswith("- "))
            if first:
                result.append(Block("paragraph", tuple(lines[:first])))
            rest = lines[first:]
            result.append(Block("list", tuple(line.removeprefix("- ").strip() for line in rest)))
        else:
            result.append(Block("paragraph", tuple(lines)))
    return result
