"""What a user installs: the package list the build uses, and prompts found without any setting.

`.ci/wheel-smoke` builds the wheel and runs it from an empty folder; these tests catch the same gaps fast."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

from conftest import HEADED
from helpers import run

from trendsum import prompts

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_under_src_is_in_the_build() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        ".".join(path.parent.relative_to(ROOT / "src").parts) for path in (ROOT / "src").rglob("__init__.py")
    }
    assert on_disk <= set(setuptools["packages"]), "add the new package to [tool.setuptools] packages"
    assert setuptools["package-dir"]["trendsum.prompt_templates"] == "prompts"
    assert setuptools["package-data"]["trendsum.prompt_templates"] == ["*.md"]
    assert setuptools["package-data"]["trendsum.engines"] == ["sections_model.json"]  # the section model


def test_prompts_are_found_with_no_setting_and_no_prompts_folder(tmp_path: Path) -> None:
    assert "TRENDSUM_PROMPTS" not in os.environ and not (tmp_path / "prompts").exists()
    result = run("prompts", "--json")
    assert result.exit_code == 0, result.stderr
    listed = {p["name"]: Path(p["path"]) for p in json.loads(result.stdout)}
    assert {"summarise-v1", "analyse-v1"} <= set(listed)
    # the file shown is the one in the repository's prompts/ (or the installed package), never a missing copy
    assert all(path.is_file() for path in listed.values())


def test_a_teams_own_prompts_folder_adds_to_the_shipped_templates(tmp_path: Path) -> None:
    own = tmp_path / "prompts"
    own.mkdir()
    shipped = prompts.load("summarise-v1")
    (own / "summarise-v2.md").write_text("--- system ---\nBe brief.\n--- user ---\n{{case_text}}\n")
    names = {p.name: p.path for p in prompts.available()}
    assert names["summarise-v2"] == str(Path("prompts") / "summarise-v2.md")
    assert names["summarise-v1"] == shipped.path and "analyse-v1" in names
    # and the offline main job still runs from here with the default prompt
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "case.md").write_text(HEADED, encoding="utf-8")
    result = run("summarise", "in", "--engine", "offline")
    assert result.exit_code == 0, result.stderr


def test_no_templates_anywhere_is_an_error_not_an_empty_table(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("prompts", "--dir", str(empty))
    assert result.exit_code == 2
    assert "No prompt templates" in result.stderr and result.stdout == ""
