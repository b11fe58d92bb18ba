"""``check_policies``: what ``gateway check [PATH]`` reports, for a directory or one file."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.check import check_policies
from gateway.policy_loader import FILE_KEY, Problem

POLICIES = Path(__file__).resolve().parents[1] / "policies"

GOOD = """\
[site]
slug = "{slug}"
idsite = {idsite}
name = "Site"
origins = ["https://{slug}.example.fi"]
languages = ["fi"]
version = "1"

[[categories]]
id = "necessary"
required = true
title = {{ fi = "Välttämättömät" }}
description = {{ fi = "Aina päällä." }}

[texts.fi]
title = "Evästeet"
description = "Kuvaus."
accept_all = "Hyväksy kaikki"
reject_all = "Hylkää kaikki"
settings = "Asetukset"
save = "Tallenna"
privacy_link = "Tietosuoja"
close = "Sulje"
"""


def good(slug: str, idsite: int) -> str:
    return GOOD.format(slug=slug, idsite=idsite)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_policies_are_valid() -> None:
    assert check_policies(POLICIES) == []


@pytest.mark.parametrize("name", ["demo.toml", "koneyrittajat.toml", "kaustisen-seutukunta.toml"])
def test_each_shipped_file_is_valid_alone(name: str) -> None:
    assert check_policies(POLICIES / name) == []


def test_valid_directory_and_file(tmp_path: Path) -> None:
    path = write(tmp_path, "alpha.toml", good("alpha", 1))
    write(tmp_path, "beta.toml", good("beta", 2))
    assert check_policies(tmp_path) == []
    assert check_policies(path) == []


# (file content, expected key, expected message fragment)
BROKEN = [
    ('[site\nslug = "alpha"', FILE_KEY, "invalid TOML"),
    (good("alpha", 1).replace("idsite = 1", "idsite = 0"), "site.idsite", ">= 1"),
    (
        good("alpha", 1).replace('version = "1"', 'version = "1"\ncolor = 1'),
        "site.color",
        "unknown",
    ),
    (
        good("alpha", 1).replace("required = true", "required = false"),
        "categories[0].required",
        "true",
    ),
    (
        good("alpha", 1).replace('close = "Sulje"\n', 'sulje = "Sulje"\n'),
        "texts.fi.sulje",
        "unknown text key",
    ),
    (good("alpha", 1) + "\n[privacy]\nip_mask_bytes = 5\n", "privacy.ip_mask_bytes", "0 to 4"),
]


@pytest.mark.parametrize(("text", "key", "fragment"), BROKEN)
def test_single_file_problems_name_file_and_key(
    tmp_path: Path, text: str, key: str, fragment: str
) -> None:
    path = write(tmp_path, "alpha.toml", text)
    problems = check_policies(path)
    matching = [p for p in problems if p.key == key and fragment in p.message]
    assert matching, "\n".join(map(str, problems))
    assert str(matching[0]).startswith(f"{path}: {key}: ")


def test_directory_reports_every_file_and_clashes(tmp_path: Path) -> None:
    alpha = write(tmp_path, "alpha.toml", good("alpha", 1))
    beta = write(tmp_path, "beta.toml", good("beta", 1))
    broken = write(tmp_path, "gamma.toml", good("gamma", 3).replace("idsite = 3", "idsite = -1"))
    misnamed = write(tmp_path, "delta.toml", good("epsilon", 4))
    problems = check_policies(tmp_path)
    assert Problem(str(beta), "site.idsite", f"idsite 1 is already used by {alpha}") in problems
    assert any(p.file == str(broken) and p.key == "site.idsite" for p in problems)
    assert any(p.file == str(misnamed) and p.key == "site.slug" for p in problems)
    assert all(p.file != str(alpha) for p in problems)


def test_every_problem_prints_as_one_line(tmp_path: Path) -> None:
    text = good("alpha", 1).replace('origins = ["https://alpha.example.fi"]', 'origins = ["x\\ny"]')
    write(tmp_path, "alpha.toml", text)
    write(tmp_path, "beta.toml", "= broken")
    problems = check_policies(tmp_path)
    assert len(problems) >= 2
    assert all("\n" not in str(p) for p in problems)


def test_missing_path_is_a_problem(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    (problem,) = check_policies(missing)
    assert (problem.file, problem.key) == (str(missing), FILE_KEY)


def test_empty_directory_is_a_problem(tmp_path: Path) -> None:
    (problem,) = check_policies(tmp_path)
    assert (problem.file, problem.key) == (str(tmp_path), FILE_KEY)
    assert "no policy files" in problem.message
