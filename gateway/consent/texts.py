"""Banner texts: built-in Finnish, Swedish and English, which a policy may override key by key.

``default_texts.toml`` holds two groups: ``first`` (travels with the first layer, so every byte
counts) and ``settings`` (loaded with the settings layer). A policy's ``[texts.<lang>]`` may
override any known key; a language without built-in texts must define them all.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Literal

Group = Literal["first", "settings"]
GROUPS: tuple[Group, ...] = ("first", "settings")
DEFAULTS_FILE = Path(__file__).resolve().parent / "default_texts.toml"


@cache
def defaults() -> dict[Group, dict[str, dict[str, str]]]:
    with DEFAULTS_FILE.open("rb") as handle:
        data = tomllib.load(handle)
    return {group: data.get(group, {}) for group in GROUPS}


def keys(group: Group) -> frozenset[str]:
    found: set[str] = set()
    for texts in defaults()[group].values():
        found.update(texts)
    return frozenset(found)


def all_keys() -> frozenset[str]:
    return keys("first") | keys("settings")


def builtin_languages() -> frozenset[str]:
    languages = set(defaults()["first"])
    return frozenset(lang for lang in languages if lang in defaults()["settings"])


def texts_for(
    group: Group, lang: str, overrides: Mapping[str, Mapping[str, str]]
) -> dict[str, str]:
    """The ``group`` texts in ``lang``: built-in ones with the policy's overrides applied."""
    merged = dict(defaults()[group].get(lang, {}))
    wanted = keys(group)
    merged.update({k: v for k, v in overrides.get(lang, {}).items() if k in wanted})
    return merged
