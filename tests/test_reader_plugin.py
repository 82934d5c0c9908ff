"""A new input format is one reader module and one registry line: proved with a format that exists only here.

`.casejson` (a case study as JSON with a title and Markdown text) is registered by a fixture, in one call, and
undone after; nothing else in trendsum knows it. Discovery, the queue's lasting ids, standard input and
`trendsum summarise` must then take it like any built-in format.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path

import builders
import pytest
from helpers import jsonl, run

from trendsum.errors import IngestError
from trendsum.ingest import SUPPORTED_SUFFIXES, Reader, Reading, Source, discover, read_case, register, registered

READERS = Path(__file__).parent.parent / "src" / "trendsum" / "ingest" / "readers"


def read_casejson(raw: bytes, shown: str, *, max_bytes: int) -> Reading:
    try:
        data = json.loads(raw)
        return Reading(f"# {data['title']}\n\n{data['text']}")
    except (ValueError, KeyError, TypeError) as exc:
        raise IngestError(shown, f"is not a case in JSON ({type(exc).__name__}: {exc})") from None


CASEJSON = Reader("casejson", (".casejson",), read_casejson, sniff=lambda raw: raw.lstrip().startswith(b'{"casejson"'))


@pytest.fixture
def casejson() -> Iterator[Reader]:
    with registered(CASEJSON) as reader:  # what a real format does with one line in readers.BUILT_IN
        yield reader


def case_json() -> str:
    text = "Brackenshire Council in Scotland changed how families apply in 2024.\n\n"
    text += "\n\n".join(f"## {heading}\n\n{sentence}" for heading, sentence in builders.SECTIONS)
    return json.dumps({"casejson": 1, "title": builders.TITLE, "text": text})


def test_a_registered_format_is_discovered_and_summarised_to_a_record(casejson: Reader, tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "Brackenshire.casejson").write_text(case_json(), encoding="utf-8")
    assert [source.case_id for source in discover([folder])] == ["brackenshire"]

    result = run("summarise", str(folder), "--engine", "offline")
    assert result.exit_code == 0, result.stderr
    record = json.loads(run("show", "brackenshire", "--json").stdout)
    assert record["title"] == builders.TITLE
    assert record["nation"] == "Scotland" and record["year"] == 2024
    assert [[e["text"] for e in p["evidence"]] for p in record["lessons"]] == [[builders.SECTIONS[-1][1]]]  # sections found by heading

    again = run("summarise", str(folder), "--engine", "offline")  # the queue knows the file by its lasting name
    assert again.exit_code == 0 and "unchanged" in again.stderr, again.stderr
    assert [row["id"] for row in jsonl(run("list", "--json").stdout)] == ["brackenshire"]


def test_a_registered_format_is_recognised_on_standard_input(casejson: Reader) -> None:
    result = run("summarise", "-", "--engine", "offline", input=case_json())
    assert result.exit_code == 0, result.stderr
    [row] = jsonl(run("list", "--json").stdout)
    assert json.loads(run("show", row["id"], "--json").stdout)["title"] == builders.TITLE


def test_the_supported_formats_follow_the_registry_and_the_registration_is_undone(tmp_path: Path) -> None:
    path = tmp_path / "brackenshire.casejson"
    path.write_text(case_json(), encoding="utf-8")
    with registered(CASEJSON):
        assert ".casejson" in SUPPORTED_SUFFIXES
        assert read_case(Source(path, "brackenshire")).title == builders.TITLE
        with pytest.raises(IngestError, match=r"trendsum reads \.txt, .*\.pdf, \.casejson$"):
            read_case(Source(tmp_path / "photo.png", "photo"))
    assert ".casejson" not in SUPPORTED_SUFFIXES
    with pytest.raises(IngestError, match=r"unsupported file type '\.casejson'; trendsum reads \.txt, .*\.pdf$"):
        read_case(Source(path, "brackenshire"))


def test_a_suffix_cannot_be_taken_twice(casejson: Reader) -> None:
    with pytest.raises(ValueError, match="already registered"):
        register(Reader("other", (".casejson",), read_casejson))
    with pytest.raises(ValueError, match="already registered"):
        register(Reader("markdown", (".md",), read_casejson))
    assert read_case(Source(Path("notes.md"), "notes", b"# Notes\n\nText.")).text == "# Notes\n\nText."


def private_attributes(source: str) -> list[str]:
    """Every `x._name` in a module's code (strings and comments aside)."""
    return sorted({node.attr for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Attribute)
                   and node.attr.startswith("_") and not node.attr.startswith("__")})  # fmt: skip


def test_word_is_read_through_python_docx_public_api_only() -> None:
    """python-docx's private attributes (`_tc`, `_p`, `_element`, ...) change between releases without notice."""
    assert private_attributes((READERS / "docx.py").read_text(encoding="utf-8")) == []
    assert private_attributes("cell._tc; paragraph._p.xpath('x'); document.__class__") == ["_p", "_tc"]  # it can fail
