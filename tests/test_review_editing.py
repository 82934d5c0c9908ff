"""The Markdown a reviewer edits: it must come back as exactly the record it was made from, and say clearly
what is wrong when it cannot."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from helpers import run

from trendsum.domain.models import CaseSummary, Point, Trend
from trendsum.queue import editing
from trendsum.queue.store import Store

INPUTS = Path(__file__).resolve().parent.parent / "inputs"


def _summary(**changes: object) -> CaseSummary:
    base = CaseSummary(
        title="Fife Council: AI for housing repairs",
        organisation="Fife Council",
        nation="Scotland",
        year=2024,
        trend=Trend.REIMAGINING_SERVICES,
        ai_application=Point(text="A model sorts repair requests.", evidence=["a model that sorts repair requests"]),
        overview=Point(text="Fife Council sorted repairs faster.", evidence=["Fife Council", "repairs faster"]),
        challenges=[Point(text="Backlog.", evidence=["a backlog of 900 jobs"])],
        approach=[],
        outcomes=[Point(text="Faster.", evidence=["nine days"]), Point(text="Cheaper.", evidence=["£40,000"])],
        unintended_consequences=[],
        lessons=[],
    )
    return base.model_copy(update=changes)


def test_every_offline_record_round_trips_exactly(cases: Path, db: Path) -> None:
    run("summarise", str(cases), str(INPUTS))
    with Store(db) as store:
        records = [store.get(row.id) for row in store.rows()]
    assert len(records) >= 12
    for record in records:
        text = editing.to_markdown(record.summary, grounding=record.grounding, origin=(record.id, record.version))
        parsed = editing.parse_markdown(text)
        assert parsed.points() and all(not item.cited for _, p in parsed.points() for item in p.evidence)
        # the Markdown holds the words; saving an edit gives back the citations of evidence it did not change
        assert parsed.with_citations_from(record.summary) == record.summary, record.id
        assert editing.origin(text) == (record.id, record.version)


def test_text_that_looks_like_markup_round_trips() -> None:
    tricky = _summary(
        title="Title: with a colon\nand a second line",
        organisation=None,
        nation=None,
        year=None,
        ai_application=None,
        overview=Point(
            text="> not a quote\n<!-- not a comment -->\n\\ a backslash\n## not a heading\n- not a point\n\n"
            "after a gap",
            evidence=["> quoted chevron", "line one\nline two\n\nafter a blank", "\\escaped"],
        ),
        lessons=[Point(text="* star", evidence=["- dash"]), Point(text="Ünïcödé — “curly”", evidence=["‘s’ …"])],
    )
    text = editing.to_markdown(tricky)
    assert editing.parse_markdown(text) == tricky
    assert "organisation:\n" in text and "year:\n" in text  # empty means "not stated"


def test_random_summaries_round_trip() -> None:
    rng = random.Random(20240601)
    atoms = ["word", "Council", ">", "<!--", "-->", "\\", "- ", "* ", "## ", "#", ":", "  ", "\n", "\n\n", "“q”",
             "é", "\t", "title:", "year: 2024", "`code`", "--"]  # fmt: skip

    def text() -> str:
        value = "".join(rng.choice(atoms) for _ in range(rng.randint(1, 12)))
        # the documented limit: no line starts or ends with spaces, and there is something to say
        value = "\n".join(line.strip() for line in value.split("\n")).strip()
        return value or "x"

    def point() -> Point:
        return Point(text=text(), evidence=[text() for _ in range(rng.randint(1, 3))])

    for _ in range(300):
        summary = _summary(
            title=text().replace("\n", " "),
            organisation=rng.choice([None, text()]),
            ai_application=rng.choice([None, point()]),
            overview=point(),
            **{name: [point() for _ in range(rng.randint(0, 3))] for name in
               ("challenges", "approach", "outcomes", "unintended_consequences", "lessons")},
        )  # fmt: skip
        assert editing.parse_markdown(editing.to_markdown(summary)) == summary


def _edited(old: str, new: str) -> str:
    text = editing.to_markdown(_summary())
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("trend: reimagining services", "trend: blockchain", "trend must be one of: reimagining services"),
        ("year: 2024", "year: last year", "year must be a year from 1990 to 2100"),
        ("year: 2024", "year: 1066", "not '1066'"),
        ("title: Fife Council: AI for housing repairs", "title:", "the title cannot be empty"),
        ("nation: Scotland\n", "", "the `nation:` line is missing"),
        ("nation: Scotland", "nation: Scotland\ncountry: UK", "unknown field 'country'"),
        ("## Approach", "## Method", "unknown heading '## Method'"),
        ("## Approach", "## Challenges", "`## Challenges` appears twice"),
        ("  > a backlog of 900 jobs", "", "the point 'Backlog.' has no evidence"),
        ("  > repairs faster", "  >", "has an empty `>` quote line"),
        ("- Backlog.", "-", "has no text after the `- `"),
        ("- Faster.", "Faster.", "'Faster.' is not expected here"),
        ("## Overview\n\n", "## Overview\n\n- Second overview.\n  > Fife Council\n", "needs exactly one point, not 2"),
        ("## Use of AI\n", "## Use of AI\n- Also this.\n  > x y z\n", "takes one point at most"),
    ],
)
def test_mistakes_are_named_with_their_line(old: str, new: str, problem: str) -> None:
    with pytest.raises(editing.EditInvalid) as caught:
        editing.parse_markdown(_edited(old, new))
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_problems_carry_line_numbers_and_all_are_reported_at_once() -> None:
    text = _edited("trend: reimagining services", "trend: nonsense").replace("  > nine days\n", "")
    with pytest.raises(editing.EditInvalid) as caught:
        editing.parse_markdown(text)
    lines = text.split("\n")
    trend_line = lines.index("trend: nonsense") + 1
    faster_line = lines.index("- Faster.") + 1
    assert caught.value.problems[0].startswith(f"line {trend_line}: trend must be one of")
    assert any(p.startswith(f"line {faster_line}: the point 'Faster.' has no evidence") for p in caught.value.problems)


def test_a_reviewer_may_wrap_indent_and_reorder_freely() -> None:
    text = _edited("- Faster.\n  > nine days", "* Faster than\n    before.\n\t> nine\n     days")
    parsed = editing.parse_markdown(text.replace("trend: reimagining services", "Trend:   Harnessing   Data"))
    assert parsed.outcomes[0] == Point(text="Faster than\nbefore.", evidence=["nine\ndays"])
    assert parsed.trend == Trend.HARNESSING_DATA


def test_problems_note_goes_at_the_top_and_comes_off_again() -> None:
    body = editing.to_markdown(_summary())
    noted = editing.problems_comment(["line 3: something --> wrong"]) + body
    assert noted.startswith(editing.PROBLEMS_START)
    assert editing.parse_markdown(noted) == _summary()  # it is a comment: harmless if left in
    assert editing.without_problems_comment(noted) == body


def test_unsupported_points_are_marked_in_a_comment(cases: Path, db: Path) -> None:
    from trendsum.domain.models import Grounding, PointCheck

    summary = _summary()
    checked = Grounding(points={"outcomes[1]": PointCheck(supported=False, missing=["£40,000"])})
    text = editing.to_markdown(summary, grounding=checked)
    assert "  <!-- NOT EVIDENCE FROM THE SOURCE: £40,000 (quote not found in the source) -->" in text
    assert editing.parse_markdown(text) == summary
    stitched = PointCheck(supported=False, missing=["a b … c d"], reasons=["quote joins passages that are not adjacent"])
    text = editing.to_markdown(summary, grounding=Grounding(points={"outcomes[1]": stitched}))
    assert "a b … c d (quote joins passages that are not adjacent)" in text


def test_diff_shows_the_changed_lines_only() -> None:
    old, new = _summary(), _summary(year=2025)
    lines = editing.diff_lines(old, new, "version 1", "version 2")
    assert lines[:2] == ["--- version 1", "+++ version 2"]
    assert [line for line in lines if line[:1] in "+-" and line[:3] not in ("---", "+++")] == ["-year: 2024",
                                                                                               "+year: 2025"]
    assert editing.diff_lines(old, old, "a", "b") == []
