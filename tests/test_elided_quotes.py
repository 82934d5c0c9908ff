"""An ellipsis may shorten a passage, never stitch two: "X did Y … fell by 90 percent" is not evidence."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_openai import FakeOpenAI, completion
from helpers import jsonl, run

from trendsum.domain import grounding
from trendsum.domain.models import CaseSummary, Point, Trend
from trendsum.queue.store import Store

# The first passage and "fell by 90 percent … in another region, not this one" are several sentences apart.
FIFE = """# Fife Council: AI triage for housing repairs

Fife Council used AI to triage housing repairs reported by tenants during 2024. Each report was sorted by urgency,
and a repairs officer checked every decision before a job was booked.

## What we did

The council trained the model on three years of past repair requests. Officers could overrule any suggestion.

## Results

Tenants waited eleven days on average for a routine repair, down from sixteen. Complaints about missed
appointments barely changed.

## Elsewhere

Councils often ask whether triage lowers complaints. One housing provider said complaints fell by 90 percent
in another region, not this one.
"""
STITCHED = "Fife Council used AI to triage housing repairs … fell by 90 percent"
RECORD_ID = "fife-council-ai-housing-repairs"


def supported(quote: str, source: str = FIFE) -> bool:
    summary = CaseSummary(
        title="t", organisation=None, nation=None, year=None, trend=Trend.OTHER, ai_application=None,
        overview=Point(text="o", evidence=[quote]), challenges=[], approach=[], outcomes=[],
        unintended_consequences=[], lessons=[],
    )  # fmt: skip
    return grounding.check(summary, source).is_supported("overview")


@pytest.mark.parametrize("ellipsis", ["…", "...", "[…]"])
def test_quote_stitching_distant_passages_is_not_evidence(ellipsis: str) -> None:
    quote = STITCHED.replace("…", ellipsis)
    assert supported("Fife Council used AI to triage housing repairs") and supported("fell by 90 percent")
    assert not supported(quote)
    assert grounding.quote_problem(quote, grounding.prepare(FIFE)) == grounding.NOT_ADJACENT
    assert "not adjacent" in grounding.NOT_ADJACENT  # the words a reviewer reads


@pytest.mark.parametrize("ellipsis", ["…", "...", " … ", "(...)"])
@pytest.mark.parametrize(
    "quote",
    [
        "Fife Council used AI to triage housing repairs … checked every decision before a job was booked",
        "Each report was sorted by urgency … checked every decision",  # one sentence, across a line break
        "Councils often ask whether triage lowers complaints … fell by 90 percent in another region",
    ],
)
def test_parts_of_one_sentence_or_adjacent_sentences_pass(quote: str, ellipsis: str) -> None:
    assert supported(quote.replace(" … ", ellipsis))


@pytest.mark.parametrize("ellipsis", ["…", "..."])
def test_every_part_must_be_evidence_on_its_own(ellipsis: str) -> None:
    quote = f"Fife Council used AI to triage housing repairs {ellipsis} tenants"
    assert not supported(quote)
    assert grounding.quote_problem(quote, grounding.prepare(FIFE)) == grounding.PART_TOO_LITTLE


@pytest.mark.parametrize("ellipsis", ["…", "..."])
def test_parts_out_of_order_fail(ellipsis: str) -> None:
    quote = f"checked every decision before a job was booked {ellipsis} Fife Council used AI"
    assert not supported(quote)
    assert grounding.quote_problem(quote, grounding.prepare(FIFE)) == grounding.OUT_OF_ORDER


def test_a_repeated_first_part_is_matched_where_the_rest_follows_it() -> None:
    source = ("The council moved repairs online. Staff answered fewer calls.\n\nLater the council moved "
              "repairs online again. Tenants booked visits themselves.")  # fmt: skip
    assert supported("the council moved repairs online … Tenants booked visits", source)
    assert not supported("Staff answered fewer calls … Tenants booked visits", source)


def test_passages_are_headings_list_items_and_paragraphs_not_only_sentences() -> None:
    source = ("## Results\n- Repair waits fell by a third\n- Tenant satisfaction rose sharply\n"
              "- Staff overtime went down\n- Complaint numbers were unchanged")  # fmt: skip
    assert supported("Repair waits fell by a third … Tenant satisfaction rose", source)
    assert not supported("Repair waits fell by a third … Complaint numbers were unchanged", source)


def test_a_stitched_answer_from_a_model_cannot_be_accepted_without_allow_ungrounded(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / f"{RECORD_ID}.md").write_text(FIFE, encoding="utf-8")
    answer = {
        "title": "Fife Council: AI triage for housing repairs", "organisation": "Fife Council", "nation": "Scotland",
        "year": 2024, "trend": "reimagining services", "ai_application": None,
        "overview": {"text": "Fife Council used AI to triage repairs.",
                     "evidence": ["Fife Council used AI to triage housing repairs reported by tenants during 2024."]},
        "challenges": [],
        "approach": [{"text": "The model learnt from past requests.",
                      "evidence": ["The council trained the model on three years of past repair requests."]}],
        "outcomes": [{"text": "The AI cut repair complaints by 90 percent.", "evidence": [STITCHED]}],
        "unintended_consequences": [], "lessons": [],
    }  # fmt: skip
    server.enqueue(completion(answer))
    summarised = run("summarise", str(folder), "--engine", "openai", "--base-url", server.url,
                     "--model", "test-model", "--max-attempts", "1", "--prompt", "summarise-v1")  # fmt: skip
    assert summarised.exit_code == 0, summarised.stderr
    (record,) = jsonl(run("export", "--status", "pending").stdout)
    assert (record["grounding"]["grounded"], record["grounding"]["total"]) == (2, 3)
    assert record["outcomes"][0]["supported"] is False

    refused = run("review", "accept", RECORD_ID, "--reviewer", "A. Researcher")
    assert refused.exit_code == 1
    assert "1 point(s) whose quotes are not in the source" in " ".join(refused.stderr.split())
    with Store(Path("outputs/trendsum.db")) as store:
        assert store.get(RECORD_ID).status == "pending"
    accepted = run("review", "accept", RECORD_ID, "--reviewer", "A. Researcher", "--allow-ungrounded")
    assert accepted.exit_code == 0, accepted.stderr


def test_a_stitched_quote_typed_by_a_reviewer_is_flagged_too(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / f"{RECORD_ID}.md").write_text(FIFE, encoding="utf-8")
    assert run("summarise", str(folder), "--engine", "offline").exit_code == 0
    printed = run("review", "edit", RECORD_ID, "--print").stdout
    sentence = "Tenants waited eleven days on average for a routine repair, down from sixteen."
    assert f"- {sentence}\n  > {sentence}\n" in printed
    edited = printed.replace(f"- {sentence}\n  > {sentence}\n",
                             f"- The AI cut repair complaints by 90 percent.\n  > {STITCHED}\n")  # fmt: skip
    saved = run("review", "edit", RECORD_ID, "--file", "-", "--reviewer", "Ann", input=edited)
    assert saved.exit_code == 0, saved.stderr
    with Store(Path("outputs/trendsum.db")) as store:
        record = store.get(RECORD_ID)
        assert record.summary.outcomes[0].quotes == [STITCHED]
        assert record.grounding.points["outcomes[0]"].missing == [STITCHED]
        assert record.grounding.points["outcomes[0]"].reasons == [grounding.NOT_ADJACENT]  # kept for the reviewer
        assert record.grounding.supported == record.grounding.total - 1
    assert run("review", "accept", RECORD_ID, "--reviewer", "Ann").exit_code == 1
