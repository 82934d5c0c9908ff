"""Files that cannot be used each get one clear line, the run goes on, and the exit code says something failed."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import builders
import pytest
from helpers import jsonl, run

from trendsum.queue.store import Store

GOOD = "# Lowmoor Council: a new housing register\n\nLowmoor Council in Wales moved its housing register online in 2024.\n"


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one table line per file, however long its path and reason


def oneline(text: str) -> str:
    return " ".join(text.split())


def test_each_bad_file_gets_its_reason_and_the_run_goes_on(tmp_path: Path, db: Path, wide: None) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "good.md").write_text(GOOD, encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.md").write_text(" \n\t\n", encoding="utf-8")
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02\x03" * 64)
    (folder / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 this is not really a zip archive")
    whole = builders.odt_bytes(builders.p("Some text."))
    (folder / "truncated.odt").write_bytes(whole[: len(whole) // 2])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "a zip, but no Word document inside")
    (folder / "renamed.docx").write_bytes(buffer.getvalue())
    builders.pdf(folder / "locked.pdf", [["A secret."]], password="s3cret")
    builders.pdf(folder / "scanned.pdf", [[], []])
    (folder / "huge.md").write_text(GOOD + "More text. " * 1000, encoding="utf-8")

    result = run("summarise", str(folder), "--engine", "offline", "--max-bytes", "5000")
    assert result.exit_code == 1
    reasons = {
        "empty.txt": "is empty (no text to summarise)",
        "blank.md": "is empty (no text to summarise)",
        "photo.png": "unsupported file type '.png'",
        "binary.txt": "looks binary (contains NUL bytes), not text",
        "old.doc": "is in the old Word format: save it as .docx, then summarise that",
        "broken.docx": "is not a Word (.docx) file: it is damaged or not a zip archive",
        "truncated.odt": "is not an OpenDocument text (.odt) file: it is damaged or not a zip archive",
        "renamed.docx": "is not a readable Word (.docx) document",
        "locked.pdf": "is encrypted and needs a password to open; save an unprotected copy",
        "scanned.pdf": "has no text layer (scanned?): run OCR on it",
        "huge.md": "over the limit of 5,000 (--max-bytes)",
    }
    lines = [line for line in result.stderr.splitlines() if "│" in line]
    for name, reason in reasons.items():
        matching = [line for line in lines if f"{name} " in line]
        assert len(matching) == 1, (name, result.stderr)
        assert reason in oneline(matching[0]), (name, matching[0])
    assert "Traceback" not in result.output
    assert [r["id"] for r in jsonl(run("list", "--json").stdout)] == ["good"]
    with Store(db) as store:
        assert {Path(f.source_path).name for f in store.failures()} == set(reasons)


def test_a_pipe_named_like_a_case_study_is_refused_not_waited_on(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "good.md").write_text(GOOD, encoding="utf-8")
    os.mkfifo(folder / "notes.txt")  # reading it would block for ever: nobody writes to it
    for target in (folder, folder / "notes.txt"):
        done = subprocess.run(
            [sys.executable, "-m", "trendsum", "summarise", str(target), "--engine", "offline"],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        assert "is not a regular file" in oneline(done.stderr)


def _without_root_powers() -> list[str] | None:
    """A command prefix under which chmod 000 really stops reading: root ignores it unless its powers are dropped."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--"]
    probe = subprocess.run([*prefix, "true"], capture_output=True)
    return prefix if probe.returncode == 0 else None


def _summarise_with_locked(prefix: list[str], folder: Path, locked: Path, mode: int) -> subprocess.CompletedProcess[str]:
    """`summarise folder` run while `locked` has no permissions at all (restored to `mode` afterwards)."""
    locked.chmod(0)
    try:
        return subprocess.run(
            [*prefix, sys.executable, "-m", "trendsum", "summarise", str(folder), "--engine", "offline"],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    finally:
        locked.chmod(mode)


def test_a_file_nobody_may_read_is_reported_and_the_rest_summarised(tmp_path: Path, wide: None) -> None:
    prefix = _without_root_powers()
    if prefix is None:
        pytest.skip("running as root without setpriv: permissions cannot be enforced here")
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "good.md").write_text(GOOD, encoding="utf-8")
    secret = folder / "secret.md"
    secret.write_text(GOOD.replace("Lowmoor", "Highmoor"), encoding="utf-8")
    done = _summarise_with_locked(prefix, folder, secret, 0o644)
    assert done.returncode == 1, done.stderr
    assert "permission denied: ask its owner for read access" in oneline(done.stderr)
    assert [r["id"] for r in jsonl(run("list", "--json").stdout)] == ["good"]


def test_a_folder_nobody_may_list_is_reported_and_the_rest_summarised(tmp_path: Path, wide: None) -> None:
    prefix = _without_root_powers()
    if prefix is None:
        pytest.skip("running as root without setpriv: permissions cannot be enforced here")
    folder = tmp_path / "cases"
    (folder / "locked").mkdir(parents=True)
    (folder / "good.md").write_text(GOOD, encoding="utf-8")
    (folder / "locked" / "case.md").write_text(GOOD.replace("Lowmoor", "Highmoor"), encoding="utf-8")
    done = _summarise_with_locked(prefix, folder, folder / "locked", 0o755)
    assert done.returncode == 1, done.stderr
    assert "locked │ permission denied: cannot list this folder" in oneline(done.stderr)
    assert [r["id"] for r in jsonl(run("list", "--json").stdout)] == ["good"]


def test_stdin_is_one_case_study_named_by_its_content(wide: None) -> None:
    first = run("summarise", "-", "--engine", "offline", input=GOOD)
    assert first.exit_code == 0, first.stderr
    [row] = jsonl(run("list", "--json").stdout)
    assert row["id"].startswith("stdin-") and len(row["id"]) == len("stdin-") + 8
    assert row["title"] == "Lowmoor Council: a new housing register" and row["source_path"] == "<stdin>"
    again = run("summarise", "-", "--engine", "offline", input=GOOD)
    assert again.exit_code == 0 and "unchanged" in again.stderr
    assert len(jsonl(run("list", "--json").stdout)) == 1


def test_a_web_page_piped_in_is_read_as_html() -> None:
    page = "<!doctype html><html><body><nav>Home | Services</nav><main>" + "".join(
        f"<p>{line}</p>" for line in GOOD.replace("# ", "").splitlines() if line
    ) + "</main></body></html>"
    result = run("summarise", "-", "--engine", "offline", input=page)
    assert result.exit_code == 0, result.stderr
    [row] = jsonl(run("list", "--json").stdout)
    record = json.loads(run("show", row["id"], "--json").stdout)
    assert "Home" not in json.dumps(record["overview"]) and "<p>" not in json.dumps(record)


def test_empty_stdin_fails_with_the_reason() -> None:
    result = run("summarise", "-", "--engine", "offline", input="")
    assert result.exit_code == 1 and "<stdin>" in result.stderr and "is empty" in result.stderr


def test_identical_files_are_summarised_once_and_both_paths_recorded(tmp_path: Path, wide: None) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "a-original.md").write_text(GOOD, encoding="utf-8")
    (folder / "b-copy.md").write_text(GOOD, encoding="utf-8")
    result = run("summarise", str(folder), "--engine", "offline")
    assert result.exit_code == 0, result.stderr
    line = [line for line in result.stderr.splitlines() if "b-copy.md " in line]
    assert len(line) == 1 and "duplicate of a-original" in line[0] and "summarised once" in line[0]
    assert [r["id"] for r in jsonl(run("list", "--json").stdout)] == ["a-original"]
    record = json.loads(run("show", "a-original", "--json").stdout)
    assert f"same content also at {folder / 'b-copy.md'}: summarised once, as this record" in record["flags"]
    assert record["provenance"]["source_path"] == str(folder / "a-original.md")
    again = run("summarise", str(folder), "--engine", "offline")
    assert again.exit_code == 0 and "duplicate of a-original" in again.stderr
    assert len(jsonl(run("list", "--json").stdout)) == 1


def test_a_copy_added_later_does_not_make_a_second_record(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "b-first.md").write_text(GOOD, encoding="utf-8")
    run("summarise", str(folder), "--engine", "offline")
    (folder / "a-later-copy.md").write_text(GOOD, encoding="utf-8")  # sorts first, but b-first is in the queue
    result = run("summarise", str(folder), "--engine", "offline")
    assert result.exit_code == 0 and "duplicate of b-first" in result.stderr
    assert [r["id"] for r in jsonl(run("list", "--json").stdout)] == ["b-first"]


def test_identical_files_that_fail_both_fail(tmp_path: Path, wide: None) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    for name in ("one.txt", "two.txt"):
        (folder / name).write_text("   \n", encoding="utf-8")
    result = run("summarise", str(folder), "--engine", "offline")
    assert result.exit_code == 1
    text = oneline(result.stderr)
    assert "one.txt │ is empty" in text and "which failed: is empty" in text


def test_a_file_name_that_is_not_utf8_is_named_with_escapes_not_a_traceback(tmp_path: Path, wide: None) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "good.md").write_text(GOOD, encoding="utf-8")
    (folder / os.fsdecode(b"caf\xe9.md")).write_text(GOOD.replace("Lowmoor", "Highmoor"), encoding="utf-8")
    result = run("summarise", str(folder), "--engine", "offline")
    assert result.exit_code == 1, result.stderr
    assert "caf\\udce9.md │ its name is not valid UTF-8" in oneline(result.stderr)
    assert [r["id"] for r in jsonl(run("list", "--json").stdout)] == ["good"]
    with Store(Path("outputs/trendsum.db")) as store:
        assert [f.source_path.endswith("caf\\udce9.md") for f in store.failures()] == [True]


@pytest.mark.parametrize("suffix", [".odt", ".docx"])
def test_a_document_claiming_a_zip_version_python_cannot_read_is_damaged_not_a_crash(tmp_path: Path,
                                                                                    suffix: str) -> None:  # fmt: skip
    """Found by the property tests: zipfile raises NotImplementedError ("zip file version 6.4") for such a
    directory entry, which escaped the readers as an internal error."""
    from trendsum.errors import IngestError
    from trendsum.ingest import Source, read_case

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("content.xml", "<x/>")
    raw = bytearray(buffer.getvalue())
    entry = raw.index(b"PK\x01\x02")
    raw[entry + 6 : entry + 8] = (64).to_bytes(2, "little")  # "version needed to extract": 6.4
    path = tmp_path / f"future{suffix}"
    path.write_bytes(bytes(raw))
    with pytest.raises(IngestError, match="damaged or not a zip archive"):
        read_case(Source(path, "future"))
