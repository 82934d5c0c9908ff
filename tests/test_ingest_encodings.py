"""Whatever encoding the sender's machine used: read it right, or say what was guessed; never store it silently."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from helpers import run

from trendsum.errors import IngestError
from trendsum.ingest import Source, read_case

TEXT = "Café data: £240 saved – the council’s “quick win”.\nSecond line."


def case(raw: bytes, name: str = "case.txt") -> tuple[str, tuple[str, ...]]:
    read = read_case(Source(Path(name), "case", raw))
    return read.text, read.warnings


@pytest.mark.parametrize(
    "raw",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"),
        TEXT.replace("\n", "\r\n").encode("utf-8"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom", "utf-32-bom", "crlf"],
)
def test_unicode_encodings_read_exactly_without_warnings(raw: bytes) -> None:
    assert case(raw) == (TEXT, ())


def test_windows_1252_is_read_with_a_warning() -> None:
    text, warnings = case(TEXT.encode("cp1252"))
    assert text == TEXT
    assert warnings == ("not UTF-8: read as Windows-1252; check its punctuation",)


def test_utf16_without_a_byte_order_mark_is_read_with_a_warning() -> None:
    text, warnings = case(TEXT.encode("utf-16-le"))
    assert text == TEXT and "UTF-16 without a byte-order mark" in warnings[0]


def test_mojibake_already_in_the_file_is_flagged_not_stored_silently() -> None:
    original = "The council’s figure: £240 saved."
    garbled = original.encode("utf-8").decode("cp1252").encode("utf-8")  # UTF-8 once read as Windows-1252
    text, warnings = case(garbled)
    assert text == "The councilâ€™s figure: Â£240 saved."
    assert len(warnings) == 1 and "double-encoded (mojibake such as" in warnings[0]


def test_control_characters_are_removed_with_a_warning() -> None:
    text, warnings = case("Plain \x1b[31mred\x1b[0m text\x07.".encode())
    assert text == "Plain [31mred[0m text."
    assert warnings == ("removed 3 control character(s) that cannot be shown",)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\x00\x01\x02binary\x00\xff" * 50, "looks binary (contains NUL bytes)"),
        (codecs.BOM_UTF16_LE + b"\x00\xd8", "has a UTF-16 byte-order mark but is not valid UTF-16"),
        (b"caf\x81 \x8d", "is neither UTF-8, UTF-16 nor Windows-1252 text"),
        (b" \n\t\r\n ", "is empty (no text to summarise)"),
    ],
)
def test_unreadable_text_is_refused_with_the_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(IngestError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        case(raw)


def test_a_guessed_encoding_reaches_the_run_summary_and_the_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "legacy.txt").write_bytes(
        "Kirkby Council in England cut its repairs backlog by 40% in 2023 – a “quick win”.".encode("cp1252")
    )
    result = run("summarise", str(folder), "--engine", "offline")
    assert result.exit_code == 0, result.stderr
    assert "not UTF-8: read as Windows-1252; check its punctuation" in result.stderr
    record = json.loads(run("show", "legacy", "--json").stdout)
    assert "ingest: not UTF-8: read as Windows-1252; check its punctuation" in record["flags"]
    assert "“quick win”" in record["overview"]["evidence"][0]["text"]
    assert "ingest: not UTF-8" in run("show", "legacy").stdout
