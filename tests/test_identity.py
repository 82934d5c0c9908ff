"""A record's identity: an id, once given to a source path, never moves to another source."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import HEADED, PROSE_NO_LESSONS, WELSH_AI
from helpers import jsonl, run


def summarise(folder: Path) -> None:
    result = run("summarise", str(folder), "--engine", "offline")
    assert result.exit_code == 0, result.stderr


def listed(*args: str) -> dict[str, dict]:
    return {r["id"]: r for r in jsonl(run("list", "--json", *args).stdout)}


def test_three_names_that_slug_alike_are_three_records(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    texts = {"a b.md": HEADED, "a-b.md": PROSE_NO_LESSONS, "a_b.md": WELSH_AI}
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    summarise(folder)
    records = listed()
    assert len(records) == 3
    assert sorted(Path(r["source_path"]).name for r in records.values()) == sorted(texts)
    summarise(folder)  # a rerun keeps every id where it was
    assert listed().keys() == records.keys()


def test_a_file_added_later_never_takes_an_approved_records_id(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "fife-council.md").write_text(HEADED, encoding="utf-8")
    summarise(folder)
    assert run("review", "accept", "fife-council", "--reviewer", "Alice").exit_code == 0
    approved = json.loads(run("show", "fife-council", "--json").stdout)

    (folder / "Fife Council.txt").write_text(PROSE_NO_LESSONS, encoding="utf-8")  # sorts first, slugs alike
    summarise(folder)
    records = listed()
    assert records["fife-council"]["status"] == "approved"  # not stale: its source did not change
    assert Path(records["fife-council"]["source_path"]).name == "fife-council.md"
    now = json.loads(run("show", "fife-council", "--json").stdout)
    assert (now["overview"], now["version"]) == (approved["overview"], approved["version"])
    newcomer = [r for i, r in records.items() if i != "fife-council"]
    assert len(newcomer) == 1 and newcomer[0]["id"] == "fife-council-txt"
    assert Path(newcomer[0]["source_path"]).name == "Fife Council.txt"


def test_an_id_stays_with_its_path_even_after_the_file_is_gone(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "kent.md").write_text(HEADED, encoding="utf-8")
    summarise(folder)
    (folder / "kent.md").unlink()
    (folder / "Kent.txt").write_text(WELSH_AI, encoding="utf-8")  # another case, same slug
    summarise(folder)
    records = listed()
    assert Path(records["kent"]["source_path"]).name == "kent.md"
    assert Path(records["kent-txt"]["source_path"]).name == "Kent.txt"


def test_a_moved_file_keeps_its_record_and_the_move_is_in_its_history(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "2024").mkdir(parents=True)
    (folder / "tayside.md").write_text(HEADED, encoding="utf-8")
    summarise(folder)
    assert run("review", "accept", "tayside", "--reviewer", "Alice").exit_code == 0
    (folder / "tayside.md").rename(folder / "2024" / "tayside-blue-badges.md")
    result = run("summarise", str(folder), "--engine", "offline")
    assert result.exit_code == 0, result.stderr
    records = listed()
    assert list(records) == ["tayside"] and records["tayside"]["status"] == "approved"
    assert records["tayside"]["current_version"] == 1  # same bytes: nothing was summarised again
    history = run("history", "tayside").stdout
    assert "moved" in history and "2024/tayside-blue-badges.md" in " ".join(history.split()).replace(" ", "")


def test_a_copy_beside_the_original_is_not_a_move(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "one.md").write_text(HEADED, encoding="utf-8")
    summarise(folder)
    (folder / "zz-copy.md").write_text(HEADED, encoding="utf-8")
    summarise(folder)
    assert "moved" not in run("history", "one").stdout
    assert list(listed()) == ["one"]  # summarised once, as before
