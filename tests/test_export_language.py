"""Languages: the LLM is asked for the summary language, quotes stay verbatim, reports are one language."""

from __future__ import annotations

from pathlib import Path

from conftest import HEADED, PROSE_NO_LESSONS, WELSH_AI
from fake_openai import FakeOpenAI, answer_for
from helpers import jsonl, run


def two_languages(tmp_path: Path, server: FakeOpenAI) -> None:
    """Two English records (offline) and one Dutch one (through the LLM path), all approved."""
    english, dutch = tmp_path / "en", tmp_path / "nl"
    english.mkdir()
    dutch.mkdir()
    (english / "tayside-blue-badges.md").write_text(HEADED, encoding="utf-8")
    (english / "harbourside-housing.txt").write_text(PROSE_NO_LESSONS, encoding="utf-8")
    (dutch / "rct-school-transport.md").write_text(WELSH_AI, encoding="utf-8")
    assert run("summarise", str(english), "--engine", "offline", "--language", "en").exit_code == 0
    server.responder = answer_for
    assert run("summarise", str(dutch), "--engine", "openai", "--base-url", server.url, "--model", "test-model",
               "--language", "nl").exit_code == 0  # fmt: skip
    for record_id in ("tayside-blue-badges", "harbourside-housing", "rct-school-transport.nl"):
        assert run("review", "accept", record_id, "-r", "A. Researcher", "--allow-ungrounded").exit_code == 0


def test_summarise_in_dutch_asks_for_dutch_keeps_quotes_verbatim_and_stores_the_language(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "harbourside-housing.txt").write_text(PROSE_NO_LESSONS, encoding="utf-8")
    server.enqueue(answer_for)
    result = run("summarise", str(folder), "--engine", "openai", "--base-url", server.url, "--model", "test-model",
                 "--language", "nl")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    system = server.chat_requests[0].body["messages"][0]["content"]
    assert "Write the summary text in this language: Dutch (nl)." in system
    # evidence is cited by sentence number: always the case study's own words, whatever language the points are in
    assert "Cite only numbers shown in square brackets." in system
    record = jsonl(run("export", "--status", "pending").stdout)[0]
    assert record["provenance"]["language"] == "nl"
    assert record["grounding"]["grounded"] == record["grounding"]["total"]  # every cited sentence is in the source
    assert all(e["sentence"] for e in record["overview"]["evidence"])


def test_export_filters_one_language_and_reports_refuse_to_mix(tmp_path: Path, server: FakeOpenAI) -> None:
    two_languages(tmp_path, server)
    everything = jsonl(run("export").stdout)  # machine formats say each record's language and may mix
    assert sorted(r["provenance"]["language"] for r in everything) == ["en", "en", "nl"]
    assert [r["id"] for r in jsonl(run("export", "--language", "nl").stdout)] == ["rct-school-transport.nl"]

    mixed = run("export", "-f", "markdown")
    assert mixed.exit_code == 2
    assert "en (2) and nl (1)" in mixed.stderr and "--language" in mixed.stderr
    assert mixed.stdout == ""
    word = run("export", "-f", "docx", "-o", str(tmp_path / "r.docx"))
    assert word.exit_code == 2 and not (tmp_path / "r.docx").exists()
    earlier = tmp_path / "report.md"
    earlier.write_text("# Last month's report\n", encoding="utf-8")
    refused = run("export", "-f", "markdown", "-o", str(earlier))
    assert refused.exit_code == 2 and "en (2) and nl (1)" in refused.stderr
    assert earlier.read_text(encoding="utf-8") == "# Last month's report\n"  # refused before a byte was written
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []

    english = run("export", "-f", "markdown", "--language", "en")
    assert english.exit_code == 0, english.stderr
    assert "Tayside" in english.stdout and "Cwm Taf" not in english.stdout
    assert run("export", "-f", "markdown", "--mixed-languages").exit_code == 0


def test_dutch_word_report_uses_dutch_headings(tmp_path: Path, server: FakeOpenAI) -> None:
    import docx

    two_languages(tmp_path, server)
    out = tmp_path / "rapport.docx"
    result = run("export", "-f", "docx", "-o", str(out), "--language", "nl")
    assert result.exit_code == 0, result.stderr
    headings = [p.text for p in docx.Document(str(out)).paragraphs if p.style.name.startswith("Heading")]
    assert headings[0] == "1. Data benutten"
    assert "Overzicht" in headings and "Lessen" in headings and "Bijlage: bewijs" in headings
