"""Input that would exhaust the machine or the walk: zip bombs, symlink loops, folders nobody may list.

Each is refused with one line in the run summary, quickly and in little memory, and the rest of the run goes on.
"""

from __future__ import annotations

import errno
import functools
import io
import os
import struct
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import builders
import pytest
from helpers import jsonl, run

GOOD = "# Lowmoor Council: a new housing register\n\nLowmoor Council in Wales moved its housing register online in 2024.\n"
MiB = 1024 * 1024
BOMB_SIZE = 300 * MiB  # what the bomb's one text part inflates to; compressed, it is about 300 KB
DEFAULT_LIMIT = 5 * 20 * MiB  # 5 x the default --max-bytes


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one table line per file, however long its path and reason


def oneline(text: str) -> str:
    return " ".join(text.split())


def summary_line(stderr: str, name: str) -> str:
    matching = [oneline(line) for line in stderr.splitlines() if "│" in line and f"{name} " in line]
    assert len(matching) == 1, stderr
    return matching[0]


# -- zip bombs ---------------------------------------------------------------------------------------------


@functools.cache
def _deflate_spaces(prefix: bytes, size: int, suffix: bytes) -> tuple[bytes, int]:
    """Raw deflate of prefix + `size` spaces + suffix, and its CRC, without compressing `size` bytes.

    After a full flush the compressor starts afresh, so one compressed megabyte of spaces can be repeated.
    """
    block = b" " * MiB
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = packer.compress(prefix) + packer.flush(zlib.Z_FULL_FLUSH)
    segment = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    tail = packer.compress(suffix) + packer.flush()
    crc = zlib.crc32(prefix)
    for _ in range(size // MiB):
        crc = zlib.crc32(block, crc)
    return head + segment * (size // MiB) + tail, zlib.crc32(suffix, crc)


def _zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip written by hand from (name, raw deflate, crc, size its headers declare), dated 1 January 1980."""
    out, directory = io.BytesIO(), io.BytesIO()
    for name, data, crc, declared in members:
        offset, encoded = out.tell(), name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), declared, len(encoded), 0))
        out.write(encoded + data)
        directory.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), declared,
                                    len(encoded), 0, 0, 0, 0, 0, offset) + encoded)  # fmt: skip
    start, listing = out.tell(), directory.getvalue()
    out.write(listing + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(listing), start, 0))
    return out.getvalue()


# Where the spaces go in each format's text part: inside one paragraph of an otherwise ordinary document
_BOMB_PART = {
    "docx": ("word/document.xml", b"<w:body>", b"<w:p><w:r><w:t>", b"</w:t></w:r></w:p></w:body></w:document>"),
    "odt": ("content.xml", b"<office:text>", b"<text:p>", b"</text:p></office:text></office:body></office:document-content>"),
}  # fmt: skip


@functools.cache
def bomb(kind: str, lying: bool) -> bytes:
    """A valid .docx or .odt whose text part is BOMB_SIZE spaces in one paragraph; `lying`: its directory says 4 KB.

    Both share one deflate stream: the lying one, which has to be inflated to be caught, shows it is real.
    """
    import docx

    buffer = io.BytesIO()
    if kind == "docx":
        document = docx.Document()
        document.add_paragraph("A short paragraph.")
        document.save(buffer)
    else:
        buffer.write(builders.odt_bytes(builders.p("A short paragraph.")))
    name, opening, start, end = _BOMB_PART[kind]
    members = []
    with zipfile.ZipFile(buffer) as template:
        for info in template.infolist():
            content = template.read(info)
            if info.filename == name:
                prefix = content[: content.index(opening) + len(opening)] + start
                data, crc = _deflate_spaces(prefix, BOMB_SIZE, end)
                real = len(prefix) + BOMB_SIZE + len(end)
                members.append((name, data, crc, 4096 if lying else real))
            else:
                packer = zlib.compressobj(9, zlib.DEFLATED, -15)
                data = packer.compress(content) + packer.flush()
                members.append((info.filename, data, zlib.crc32(content), len(content)))
    assert name in [member[0] for member in members]
    return _zip(members)


@pytest.mark.parametrize("kind", ["docx", "odt"])
@pytest.mark.parametrize("lying", [False, True], ids=["honest-directory", "lying-directory"])
def test_a_zip_bomb_is_refused_quickly_in_little_memory(kind: str, lying: bool, tmp_path: Path, wide: None) -> None:
    line, peak = _summarise_beside_a_good_file(tmp_path / "cases", f"bomb.{kind}", bomb(kind, lying))
    assert f"inflates to more than {DEFAULT_LIMIT:,} bytes when unzipped (5 × --max-bytes)" in line
    assert "raise --max-bytes" in line
    # Never the whole bomb, nor even the limit, in memory at once, whatever its directory says (a run without
    # a bomb peaks around 20 MB here, imports included)
    assert peak < 64 * MiB, f"peak {peak:,} bytes"


@functools.cache
def lying_member(kind: str, name: str, size: int) -> bytes:
    """A valid .docx or .odt whose member `name` declares its own size but holds `size` spaces more.

    zipfile's read() inflates such a member whole before cutting it to the size declared: it must never be
    read that way, even the little parts read before the document's text is measured (mimetype, manifest).
    """
    import docx

    buffer = io.BytesIO()
    if kind == "docx":
        docx.Document().save(buffer)
    else:
        buffer.write(builders.odt_bytes(builders.p("A short paragraph.")))
    members = []
    with zipfile.ZipFile(buffer) as template:
        for info in template.infolist():
            content = template.read(info)
            if info.filename == name:
                cut = content.index(b"?>") + 2 if b"?>" in content else len(content)  # after an XML declaration
                data, crc = _deflate_spaces(content[:cut], size, content[cut:])
            else:
                packer = zlib.compressobj(9, zlib.DEFLATED, -15)
                data, crc = packer.compress(content) + packer.flush(), zlib.crc32(content)
            members.append((info.filename, data, crc, len(content)))
    assert name in [member[0] for member in members]
    return _zip(members)


def _summarise_beside_a_good_file(folder: Path, name: str, content: bytes) -> tuple[str, int]:
    """Summarise a folder of one good case and `name`: the line for `name`, and the run's peak traced memory."""
    folder.mkdir()
    (folder / "good.md").write_text(GOOD, encoding="utf-8")
    (folder / name).write_bytes(content)
    assert (folder / name).stat().st_size < 600_000
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = run("summarise", str(folder), "--engine", "offline")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 20
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.output
    assert [r["id"] for r in jsonl(run("list", "--json").stdout)] == ["good"]
    return summary_line(result.stderr, name), peak


@pytest.mark.parametrize(
    ("kind", "member"),
    [("odt", "mimetype"), ("odt", "META-INF/manifest.xml"), ("docx", "[Content_Types].xml")],
    ids=["odt-mimetype", "odt-manifest", "docx-content-types"],
)
def test_a_small_part_that_lies_about_its_size_is_refused_as_a_zip_bomb(
    kind: str, member: str, tmp_path: Path, wide: None
) -> None:
    bomb = lying_member(kind, member, BOMB_SIZE)
    line, peak = _summarise_beside_a_good_file(tmp_path / "cases", f"bomb.{kind}", bomb)
    assert peak < 64 * MiB, f"peak {peak:,} bytes"  # not the part's hundreds of MB, nor the 100 MB limit
    assert f"inflates to more than {DEFAULT_LIMIT:,} bytes when unzipped (5 × --max-bytes)" in line


@pytest.mark.parametrize(
    ("kind", "member"), [("odt", "mimetype"), ("docx", "[Content_Types].xml")], ids=["odt", "docx"]
)
def test_a_part_that_lies_about_its_size_within_the_limit_is_refused_as_damaged(
    kind: str, member: str, tmp_path: Path, wide: None
) -> None:
    """Within the limit a lie is no bomb, but reading the part as zipfile does would still hold all of it."""
    liar = lying_member(kind, member, 80 * MiB)
    line, peak = _summarise_beside_a_good_file(tmp_path / "cases", f"liar.{kind}", liar)
    assert peak < 64 * MiB, f"peak {peak:,} bytes"
    assert f"is damaged: {member} unpacks to " in line and " bytes, more than the " in line
    assert "its zip directory declares" in line


def test_the_limit_follows_max_bytes(tmp_path: Path, wide: None) -> None:
    (tmp_path / "bomb.odt").write_bytes(bomb("odt", lying=True))
    result = run("summarise", str(tmp_path / "bomb.odt"), "--engine", "offline", "--max-bytes", "8000000")
    assert result.exit_code == 1
    assert "inflates to more than 40,000,000 bytes when unzipped (5 × --max-bytes)" in oneline(result.stderr)


def test_ordinary_documents_still_read_under_a_small_max_bytes(tmp_path: Path) -> None:
    """A bare Word file inflates twenty-fold (its styles): a floor keeps small limits from refusing it."""
    docx = builders.case_docx(tmp_path / "cases" / "word.docx")
    odt = builders.case_odt(tmp_path / "cases" / "writer.odt")
    limit = str(max(docx.stat().st_size, odt.stat().st_size) + 100)
    result = run("summarise", str(tmp_path / "cases"), "--engine", "offline", "--max-bytes", limit)
    assert result.exit_code == 0, result.stderr
    assert sorted(r["id"] for r in jsonl(run("list", "--json").stdout)) == ["word", "writer"]


def test_a_zip_of_too_many_parts_is_refused(tmp_path: Path, wide: None) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(10_001):
            archive.writestr(f"word/part{number}.xml", "")
    (tmp_path / "many.docx").write_bytes(buffer.getvalue())
    result = run("summarise", str(tmp_path / "many.docx"), "--engine", "offline")
    assert result.exit_code == 1
    line = summary_line(result.stderr, "many.docx")
    assert "holds 10,001 files inside, more than any document (at most 10,000)" in line


# -- symlink loops -----------------------------------------------------------------------------------------


def test_symlinks_that_loop_are_reported_and_the_rest_summarised(tmp_path: Path, wide: None) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "good.md").write_text(GOOD, encoding="utf-8")
    os.symlink("loop2", folder / "loop1.md")
    os.symlink("loop1.md", folder / "loop2")
    result = run("summarise", str(folder), "--engine", "offline")
    assert result.exit_code == 1, result.stderr
    for name in ("loop1.md", "loop2"):
        assert "is a symbolic link that leads back to itself (a loop)" in summary_line(result.stderr, name)
    assert [r["id"] for r in jsonl(run("list", "--json").stdout)] == ["good"]
    named = run("summarise", str(folder / "loop1.md"), "--engine", "offline")  # named on the command line too
    assert named.exit_code == 1 and "leads back to itself" in oneline(named.stderr)


def test_a_folder_linked_inside_itself_is_walked_once(tmp_path: Path, wide: None) -> None:
    folder = tmp_path / "cases"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "case.md").write_text(GOOD, encoding="utf-8")
    os.symlink("..", folder / "sub" / "up")  # cases/sub/up/sub/up/... for ever
    os.symlink("sub", folder / "again")  # the same folder by another name: read once, under its real name
    started = time.monotonic()
    result = run("summarise", str(folder), "--engine", "offline")
    assert time.monotonic() - started < 20
    assert result.exit_code == 1, result.stderr
    # one line for the link (the summary may show it by the name of the folder it leads to)
    assert oneline(result.stderr).count("is a symbolic link to a folder that contains it (a loop)") == 1
    assert [r["id"] for r in jsonl(run("list", "--json").stdout)] == ["sub/case"]


def test_a_link_inside_the_folder_is_read_and_a_link_out_of_it_is_not(tmp_path: Path, wide: None) -> None:
    """A cloned folder of case studies must not be able to send ~/.ssh or /etc to a model through a link."""
    elsewhere = tmp_path / "private"
    elsewhere.mkdir()
    (elsewhere / "notes.md").write_text(GOOD.replace("Lowmoor", "Secretmoor"), encoding="utf-8")
    cases = tmp_path / "cases"
    (cases / "2023").mkdir(parents=True)
    (cases / "2023" / "case.md").write_text(GOOD, encoding="utf-8")
    os.symlink(cases / "2023", cases / "latest")  # inside: the same folder, read once
    os.symlink(elsewhere, cases / "2024")  # a folder outside
    os.symlink(elsewhere / "notes.md", cases / "notes.md")  # a file outside
    result = run("summarise", str(cases), "--engine", "offline")
    assert result.exit_code == 1, result.stderr
    assert [r["id"] for r in jsonl(run("list", "--json").stdout)] == ["2023/case"]
    text = " ".join(result.stderr.split())
    assert text.count("outside the folder") == 2 and "Secretmoor" not in run("export", "--status", "pending").stdout


# -- folders nobody may list ---------------------------------------------------------------------------------


def test_a_folder_that_cannot_be_listed_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wide: None
) -> None:
    """Tests run as root, whom chmod 000 does not stop: the listing is refused as the OS refuses it to others.

    (test_ingest_bad_files has the same with real permissions, where root's powers can be dropped.)
    """
    folder = tmp_path / "cases"
    (folder / "locked").mkdir(parents=True)
    (folder / "good.md").write_text(GOOD, encoding="utf-8")
    (folder / "locked" / "hidden-case.md").write_text(GOOD.replace("Lowmoor", "Highmoor"), encoding="utf-8")
    listing = os.scandir

    def scandir(path="."):  # type: ignore[no-untyped-def]
        if isinstance(path, (str, os.PathLike)) and Path(path) == folder / "locked":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return listing(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = run("summarise", str(folder), "--engine", "offline")
    assert result.exit_code == 1, result.stderr
    line = summary_line(result.stderr, "locked")
    assert "permission denied: cannot list this folder; ask its owner for read access" in line
    assert [r["id"] for r in jsonl(run("list", "--json").stdout)] == ["good"]


# -- standard input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Lowmoor Council in Wales moved its housing register online in 2024. Waiting times fell.\n",
         "Lowmoor Council in Wales moved its housing register online in 2024"),
        ("Lowmoor Council in Wales moved its housing register online in 2024 after consulting tenants, "
         "staff and every housing association in the county about what the new service should do.\n",
         "Lowmoor Council in Wales moved its housing register online in 2024 after…"),
    ],
    ids=["first-sentence", "long-sentence-cut"],
)  # fmt: skip
def test_text_piped_in_is_titled_from_its_text(text: str, title: str) -> None:
    result = run("summarise", "-", "--engine", "offline", input=text)
    assert result.exit_code == 0, result.stderr
    [row] = jsonl(run("list", "--json").stdout)
    assert row["title"] == title
