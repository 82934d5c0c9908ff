"""A record's identity: an id, once given to a source path, never moves to another source."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import HEADED, PROSE_NO_LESSONS, WELSH_AI
from helpers import jsonl, run

from trendsum.queue.review import read_source
from trendsum.queue.store import Store


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


def test_a_record_made_before_ids_were_mapped_is_claimed_by_its_own_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = Path("in")
    folder.mkdir()
    (folder / "fife.md").write_text(HEADED, encoding="utf-8")
    summarise(folder)
    assert run("review", "accept", "fife", "--reviewer", "Alice").exit_code == 0
    with sqlite3.connect("outputs/trendsum.db") as conn:  # as a queue from before migration 5 has it
        conn.execute("DELETE FROM sources")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # any command, from any folder, before the next summarise
    assert run("list", "--db", str(tmp_path / "outputs" / "trendsum.db")).exit_code == 0
    monkeypatch.chdir(tmp_path)
    (folder / "fife.md").write_text(HEADED.replace("6,000", "7,000"), encoding="utf-8")
    summarise(folder)
    records = listed()
    assert list(records) == ["fife"] and records["fife"]["status"] == "stale"


def test_a_moved_record_reads_its_source_where_it_is_now(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "fife-council.md").write_text(HEADED, encoding="utf-8")
    summarise(folder)
    (folder / "fife-council.md").rename(folder / "renamed.md")
    summarise(folder)
    shown = json.loads(run("show", "fife-council", "--json").stdout)
    assert Path(shown["provenance"]["source_path"]).name == "renamed.md"
    with Store(Path("outputs/trendsum.db")) as store:
        source = read_source(store.get("fife-council").provenance)
    assert source.text is not None and "blue badge" in source.text, source.problem


def test_a_file_that_cannot_become_a_record_claims_no_id(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "Fife-Council.doc").write_bytes(b"\xd0\xcf\x11\xe0 an old Word file")
    (folder / "fife-council.md").write_text(HEADED, encoding="utf-8")
    assert run("summarise", str(folder), "--engine", "offline").exit_code == 1  # the .doc is refused
    assert list(listed()) == ["fife-council"]


def test_a_file_changed_and_changed_back_is_summarised_again(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    case = folder / "tayside.md"
    case.write_text(HEADED, encoding="utf-8")
    summarise(folder)
    case.write_text(HEADED.replace("6,000", "9,000"), encoding="utf-8")
    summarise(folder)
    case.write_text(HEADED, encoding="utf-8")
    summarise(folder)
    record = json.loads(run("show", "tayside", "--json").stdout)
    assert record["version"] == 3 and "6,000" in json.dumps(record) and "9,000" not in json.dumps(record)


def test_a_copy_added_beside_a_file_that_changed_back_keeps_the_files_record(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "b.md").write_text(HEADED, encoding="utf-8")
    summarise(folder)
    (folder / "b.md").write_text(WELSH_AI, encoding="utf-8")
    summarise(folder)
    (folder / "b.md").write_text(HEADED, encoding="utf-8")
    (folder / "a.md").write_text(HEADED, encoding="utf-8")  # a copy, sorting first
    summarise(folder)
    records = listed()
    assert list(records) == ["b"] and records["b"]["current_version"] == 3


def test_a_copy_elsewhere_never_takes_a_record_from_its_own_file(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "copy").mkdir()
    (tmp_path / "in" / "a.md").write_text(HEADED, encoding="utf-8")
    summarise(Path("in"))
    with sqlite3.connect("outputs/trendsum.db") as conn:  # a record from before ids were mapped
        conn.execute("DELETE FROM sources")
    (tmp_path / "copy" / "a2.md").write_text(HEADED, encoding="utf-8")
    assert run("summarise", "copy", "in", "--engine", "offline").exit_code == 0
    with sqlite3.connect("outputs/trendsum.db") as conn:
        mapped = dict(conn.execute("SELECT case_id, path FROM sources"))
    assert mapped["a"].endswith("in/a.md")


def test_text_piped_in_is_never_taken_for_a_moved_file(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    piped = run("summarise", "-", "--engine", "offline", input=HEADED)
    assert piped.exit_code == 0, piped.stderr
    (stdin_id,) = listed()
    (tmp_path / "in" / "fife.md").write_text(HEADED, encoding="utf-8")
    summarise(Path("in"))
    assert "moved" not in run("history", stdin_id).stdout
    assert sorted(listed()) == sorted([stdin_id, "fife"])


def test_a_queue_that_cannot_be_made_is_said_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "notadir").write_text("a file, not a folder\n")
    result = run("summarise", str(tmp_path), "--engine", "offline", "--db", "notadir/q.db")
    assert result.exit_code == 1 and "is a file, not a folder" in result.stderr
    assert "summarising" not in result.stderr


def test_a_queue_shared_from_another_folder_never_gives_an_old_record_to_a_file_of_the_same_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, other = tmp_path / "x", tmp_path / "y"
    for folder, text in ((project, HEADED), (other, WELSH_AI)):
        (folder / "in").mkdir(parents=True)
        (folder / "in" / "a.md").write_text(text, encoding="utf-8")
    monkeypatch.chdir(project)
    summarise(Path("in"))
    assert run("review", "accept", "a", "--reviewer", "Alice").exit_code == 0
    with sqlite3.connect("outputs/trendsum.db") as conn:  # a record from before ids were mapped: 'in/a.md'
        conn.execute("DELETE FROM sources")
    monkeypatch.chdir(other)
    shared = str(project / "outputs" / "trendsum.db")
    assert run("summarise", "in", "--engine", "offline", "--db", shared).exit_code == 0
    records = {r["id"]: r for r in jsonl(run("list", "--json", "--db", shared).stdout)}
    assert records["a"]["status"] == "approved" and records["a"]["current_version"] == 1
    assert "a-md" in records
