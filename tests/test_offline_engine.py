"""The offline engine is a real summariser: deterministic, verbatim, and silent where the source is."""

from __future__ import annotations

import asyncio
import inspect
import json
from pathlib import Path

import pytest
from conftest import HEADED, PROSE_NO_LESSONS, WELSH_AI
from helpers import jsonl, run
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from trendsum.domain import grounding, sentences
from trendsum.domain.models import SECTIONS, CaseSummary, Trend
from trendsum.domain.sentences import segment
from trendsum.engines import offline
from trendsum.engines.offline import OfflineEngine, summarise_case
from trendsum.errors import IngestError, SummaryFailed
from trendsum.ingest import Source, parse_text


def case_of(text: str, name: str = "case.md"):
    return parse_text(text, Source(Path(name), Path(name).stem), sha256="0" * 64)


def all_quotes(summary) -> list[str]:
    return [quote for _, point in summary.points() for quote in point.quotes]


def test_same_input_gives_byte_identical_summary() -> None:
    first = summarise_case(case_of(HEADED)).model_dump_json()
    second = summarise_case(case_of(HEADED)).model_dump_json()
    assert first == second
    replies = {asyncio.run(OfflineEngine().generate(_request(case_of(HEADED)))).text for _ in range(2)}
    assert len(replies) == 1


@pytest.mark.parametrize("text", [HEADED, PROSE_NO_LESSONS, WELSH_AI])
def test_every_quote_is_copied_exactly_from_the_source(text: str) -> None:
    case = case_of(text)
    quotes = all_quotes(summarise_case(case))
    assert quotes
    for quote in quotes:
        assert quote in case.text


def test_uses_the_documents_own_headings() -> None:
    summary = summarise_case(case_of(HEADED))
    assert any("backlog of more than 900" in p.text for p in summary.challenges)
    assert any("online form" in p.text for p in summary.approach)
    assert any("64%" in p.text for p in summary.outcomes)
    assert any("not eligible" in p.text for p in summary.unintended_consequences)
    assert any("badge holders" in p.text for p in summary.lessons)
    assert len(summary.lessons) == 2


def test_prose_without_headings_is_classified_by_cue_phrases() -> None:
    summary = summarise_case(case_of(PROSE_NO_LESSONS, "harbourside.txt"))
    assert summary.title == "Harbourside Borough Council moves its housing register online"
    assert any(p.text.startswith("The main problem was") for p in summary.challenges)
    assert any(p.text.startswith("To address this") for p in summary.approach)
    assert any("70%" in p.text for p in summary.outcomes)


def test_a_section_the_source_says_nothing_about_stays_empty() -> None:
    summary = summarise_case(case_of(PROSE_NO_LESSONS, "harbourside.txt"))
    assert summary.lessons == []
    assert summary.unintended_consequences == []


@pytest.mark.parametrize(
    ("text", "nation", "organisation"),
    [
        (HEADED, "Scotland", "Tayside Council"),  # fictional council: the test adds "in Scotland"
        (PROSE_NO_LESSONS, "England", "Harbourside Borough Council"),
        (WELSH_AI, "Wales", "Rhondda Cynon Taf Council"),
        ("# Gemeente Zwolle helps residents\n\nGemeente Zwolle in the Netherlands redesigned its permit service for residents in 2024.\n",
         "Netherlands", "Gemeente Zwolle"),
        ("# Shared cyber centre\n\nBelfast City Council and Lisburn and Castlereagh City Council set up a shared security team.\n",
         "Northern Ireland", None),
    ],
)  # fmt: skip
def test_metadata_by_rule(text: str, nation: str, organisation: str | None) -> None:
    if text is HEADED:
        text = text.replace("Tayside Council handles", "Tayside Council, in Scotland, handles")
    summary = summarise_case(case_of(text))
    assert summary.nation == nation
    if organisation:
        assert summary.organisation == organisation


def test_year_trend_and_ai_by_rule() -> None:
    welsh = summarise_case(case_of(WELSH_AI))
    assert welsh.year == 2024
    assert welsh.trend == Trend.HARNESSING_DATA
    assert welsh.ai_application is not None and "machine learning" in welsh.ai_application.text
    housing = summarise_case(case_of(PROSE_NO_LESSONS))
    assert housing.ai_application is None
    assert housing.trend == Trend.REIMAGINING_SERVICES


def test_ai_that_was_explicitly_not_used_is_not_an_ai_case() -> None:
    text = "# Firewall renewal\n\nThe council decided not to use artificial intelligence for this project at all.\n" \
           "The team replaced ageing firewalls and trained staff to spot phishing emails in 2023.\n"  # fmt: skip
    summary = summarise_case(case_of(text))
    assert summary.ai_application is None
    assert summary.trend == Trend.CYBER_SECURITY


def test_future_targets_do_not_set_the_year() -> None:
    text = "# Plan\n\nIn 2023 the council moved its forms online and it aims to close the office by 2030.\n"
    assert summarise_case(case_of(text)).year == 2023


def _request(case):
    from trendsum.engines.base import GenerationRequest
    from trendsum.prompts import load

    return GenerationRequest(case=case, prompt=load(), messages=[], schema={})


def test_laws_named_with_a_year_do_not_date_the_work() -> None:
    text = ("# Records\n\nIn 2022 the council moved its records online, as the Planning Rules 2024 and the Data Act 2025 "
            "allow.\nIt removed duplicate entries (approximately 2040) along the way.\n")  # fmt: skip
    assert summarise_case(case_of(text)).year == 2022


def test_a_role_is_not_an_organisation() -> None:
    text = ("# Council of the Isles of Tarn: moving records\n\n| Head of Service | Records Lead |\n\n"
            "The Council of the Isles of Tarn moved every paper record into a new system in 2024.\n")  # fmt: skip
    assert summarise_case(case_of(text)).organisation == "Council of the Isles of Tarn"


def test_unnamed_sub_headings_keep_their_parents_section_and_ui_text_is_ignored() -> None:
    text = ("# Moving land records\n\nClick on any item to read more.\n\n## Resolving issues\n\n### Old addresses\n\n"
            "Thousands of records had addresses that no longer existed on any map.\n\n"
            "## Results\n\nAs a result, searches now take two days instead of ten.\n")  # fmt: skip
    summary = summarise_case(case_of(text))
    assert [p.text for p in summary.challenges] == [
        "Thousands of records had addresses that no longer existed on any map."
    ]
    assert "Click" not in summary.overview.text


@pytest.mark.parametrize(
    "sentence",
    [
        "The council considered buying an AI-based email filter, but decided not to at this stage.",
        "The team considered a predictive model but found that three simple rules captured most of the risk.",
        "A machine learning approach was rejected by the ethics board early on.",
    ],
)
def test_ai_considered_and_decided_against_is_not_an_ai_case(sentence: str) -> None:
    text = f"# Phishing drills\n\nThe council trained every member of staff to report phishing emails in 2024.\n{sentence}\n"
    assert summarise_case(case_of(text)).ai_application is None


def test_a_plain_text_title_line_is_not_the_overview() -> None:
    summary = summarise_case(case_of(PROSE_NO_LESSONS, "harbourside.txt"))
    assert summary.overview.text.startswith("Harbourside Borough Council in England runs a housing register")


def test_ai_that_was_used_despite_a_but_is_still_an_ai_case() -> None:
    text = ("# Repairs triage\n\nThe council used a machine learning model to sort repair requests in 2024, "
            "but found that staff still checked the urgent ones by hand.\n")  # fmt: skip
    assert summarise_case(case_of(text)).ai_application is not None


# Files with no sentence to quote: short lines, a table, headings. One of them used to end the whole run.
NOTHING_TO_QUOTE = {
    "short.txt": "Short.\nTiny line.\n",
    "table.md": "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "headings.md": "# Housing repairs\n\n## The challenge\n\n## Results\n",
}
SHORT_LINES = "Repairs online\n\nRepair waits halved.\nTenants liked it.\n"  # sentences too short to pick, yet evidence


@pytest.mark.parametrize(("name", "text"), NOTHING_TO_QUOTE.items())
def test_a_text_with_nothing_to_quote_fails_with_a_reason(name: str, text: str) -> None:
    with pytest.raises(SummaryFailed, match="no sentence long enough to summarise"):
        summarise_case(case_of(text, name))


def test_short_lines_that_still_say_something_give_a_grounded_overview_and_empty_sections() -> None:
    summary = summarise_case(case_of(SHORT_LINES, "repairs.txt"))
    assert summary.title == "Repairs online"
    assert summary.overview.quotes == ["Repair waits halved."]
    assert all(getattr(summary, section) == [] for section in SECTIONS)
    checked = grounding.check(summary, SHORT_LINES)
    assert checked.supported == checked.total == 1


def test_odd_files_are_listed_as_failed_and_the_run_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    for name, text in {**NOTHING_TO_QUOTE, "repairs.txt": SHORT_LINES, "tayside.md": HEADED}.items():
        (folder / name).write_text(text, encoding="utf-8")
    result = run("summarise", str(folder), "--engine", "offline")
    assert result.exit_code == 1  # some files failed, each listed with its reason
    listed = " ".join(result.stderr.split())
    for name in NOTHING_TO_QUOTE:
        assert f"{name} │ no sentence long enough to summarise" in listed
    records = jsonl(run("export", "--status", "pending").stdout)
    assert sorted(record["id"] for record in records) == ["repairs", "tayside"]


_PIECES = st.sampled_from(["\n", "\n\n", "# ", "## Results\n", "- ", "1. ", "| a | b |\n", ". ", "The council ",
                           "cut waits by 40% ", "Fife Council ", "in 2024", "AI ", "e.g. ", "**", "[x](y)", "\t",
                           "Lessons learnt:\n", "<b>", "http://x "])  # fmt: skip


_TEXTS = st.lists(_PIECES | st.text(max_size=20), min_size=1, max_size=30).map("".join)


@settings(max_examples=200, deadline=None, database=None)
@given(_TEXTS, st.sampled_from(["c.md", "c.txt"]))
def test_any_text_gives_a_valid_verbatim_summary_or_a_clear_failure(text: str, name: str) -> None:
    try:
        case = case_of(text, name)
    except IngestError:  # empty or blank: refused before any engine sees it
        assume(False)
    try:
        summary = summarise_case(case)
    except SummaryFailed as failed:
        assert failed.reason
        return
    assert CaseSummary.model_validate_json(summary.model_dump_json()) == summary
    assert all(quote in case.text for quote in all_quotes(summary))


@pytest.mark.parametrize("text", [HEADED, PROSE_NO_LESSONS, WELSH_AI])
def test_every_quote_is_one_whole_sentence_of_the_shared_segmentation(text: str) -> None:
    """What the engine quotes is what the prompt numbers and grounding resolves, so each quote has an id."""
    case = case_of(text)
    whole = {sentence.text for sentence in segment(case.text)}
    assert all(quote in whole for quote in all_quotes(summarise_case(case)))


def test_a_wrapped_list_item_is_one_point_not_half_a_sentence() -> None:
    text = ("# Library renewals\n\nThe county library service moved renewals online in 2024.\n\n## Results\n\n"
            "- Renewals by phone fell by more than half within three months\n"
            "  of the new service going live across all branches.\n")  # fmt: skip
    summary = summarise_case(case_of(text))
    assert [p.text for p in summary.outcomes] == [
        "Renewals by phone fell by more than half within three months of the new service going live across all "
        "branches."
    ]


def test_a_heading_line_is_neither_the_overview_nor_a_point() -> None:
    text = ("# Vale of Arden: moving land charges\n\nTop lessons learnt from the Vale of Arden migration\n\n"
            "Plan the data cleansing work before you set any migration date.\n\n"
            "Keep a log of every fix so that the audit trail explains each change.\n")  # fmt: skip
    summary = summarise_case(case_of(text))
    assert summary.overview.quotes == ["Plan the data cleansing work before you set any migration date."]
    assert not any(quote.startswith("Top lessons") for quote in all_quotes(summary))
    assert [p.text for p in summary.lessons] == [
        "Plan the data cleansing work before you set any migration date.",
        "Keep a log of every fix so that the audit trail explains each change.",
    ]


def test_the_engine_cites_sentence_ids_when_the_prompt_asks_for_them() -> None:
    from trendsum.domain import answers
    from trendsum.engines.base import GenerationRequest
    from trendsum.prompts import load

    case = case_of(HEADED)
    shown = segment(case.text)

    def reply(style: str) -> dict:
        request = GenerationRequest(case=case, prompt=load(), messages=[], schema={}, evidence_style=style,
                                    sentences=shown)  # fmt: skip
        return json.loads(asyncio.run(OfflineEngine().generate(request)).text or "")

    quoted, cited = reply(answers.QUOTES), reply(answers.SENTENCES)
    by_id = {sentence.id: sentence for sentence in shown}
    assert all(isinstance(i, int) for i in cited["overview"]["evidence"])
    assert [by_id[i].text for i in cited["overview"]["evidence"]] == quoted["overview"]["evidence"]
    for section in SECTIONS:
        assert [[by_id[i].text for i in p["evidence"]] for p in cited[section]] == [
            p["evidence"] for p in quoted[section]
        ]
    summary, problems = answers.to_summary(answers.CitedSummary.model_validate(cited), by_id)
    assert problems == [] and summary is not None
    assert all(e.cited and case.text[e.start : e.end] == e.text for _, p in summary.points() for e in p.evidence)


def test_changing_the_segmenter_changes_the_offline_rules_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """The segmenter decides which sentences there are to pick: records made with an older one are out of date."""
    before = offline.rules_hash()
    real = inspect.getsource
    monkeypatch.setattr(inspect, "getsource", lambda obj: real(obj) + ("\n_CHANGED = 1\n" if obj is sentences else ""))
    offline.rules_hash.cache_clear()  # computed once per process: the code cannot change while it runs
    try:
        assert offline.rules_hash() != before
    finally:
        offline.rules_hash.cache_clear()


# Defect classes found on real documents (issue 14). Each fixture under tests/data/offline/ was written for its test,
# in the shape of the page that showed the defect (an 18F project page; a Land Registry case study).
OFFLINE_DATA = Path(__file__).parent / "data" / "offline"


def _fixture(name: str) -> CaseSummary:
    path = OFFLINE_DATA / name
    return summarise_case(parse_text(path.read_text(encoding="utf-8"), Source(path, path.stem), sha256="0" * 64))


def test_website_template_code_and_testimonials_are_not_points() -> None:
    summary = _fixture("website-template.md")
    quotes = all_quotes(summary)
    assert not any(mark in quote for quote in quotes for mark in ("{%", "%}", "{{", "<!--", "quote:", "attribution"))
    assert not any("changed our whole culture" in quote for quote in quotes)  # the quote inside the template block
    # a quotation with its speaker is one person's praise, not an outcome the case reports
    assert [p.text for p in summary.outcomes] == ["The average time to a decision fell from six weeks to four days."]


def test_a_list_under_a_top_10_heading_gives_ten_points_not_four() -> None:
    summary = _fixture("lessons-list.md")
    assert len(summary.lessons) == 10
    assert summary.lessons[0].text == "Agree the scope of the data with the supplier before any scanning starts."
    assert summary.lessons[-1].text == "Allow time for the long exchanges that complex data issues need."


def test_an_unnumbered_list_under_a_heading_gives_a_point_per_item_up_to_ten() -> None:
    items = "".join(f"- Step {n} of the rollout trained another group of {n * 10} housing officers.\n"
                    for n in range(1, 13))  # fmt: skip
    summary = summarise_case(case_of(f"# Rollout\n\nThe council rolled out new tablets to housing officers.\n\n"
                                     f"## What we did\n\n{items}"))  # fmt: skip
    assert len(summary.approach) == offline.MAX_LIST_POINTS


def test_list_numbers_headings_lead_ins_and_cut_off_references_are_not_points() -> None:
    summary = _fixture("advice-list.md")
    assert [p.text for p in summary.lessons] == [  # "1.Bring ...": the number, its space forgotten, is layout
        "Bring the records team and the IT team together in the first week of the project.",
        "Keep the delivery plan in one shared place so that every team works from the same version.",
        "Ask the programme team for the lessons library from councils that migrated before you.",
    ]  # and not "This will help ..." or "These are ...", which refer to what is not there, nor "..., including:"
    assert not summary.overview.text.startswith("Top 5")
    for _, point in summary.points():
        assert all(quote in (OFFLINE_DATA / "advice-list.md").read_text(encoding="utf-8") for quote in point.quotes)


def test_a_sentence_that_refers_back_is_a_point_with_the_sentence_it_refers_to() -> None:
    text = ("# Agency staff\n\n## Lessons learnt\n\n"
            "Resourcing the project properly matters a great deal. This can include offering overtime to experienced "
            "staff.\n\nThis will help the supplier price the work and avoid surprises later on.\n")  # fmt: skip
    summary = summarise_case(case_of(text))
    assert [p.quotes for p in summary.lessons] == [
        ["Resourcing the project properly matters a great deal.",
         "This can include offering overtime to experienced staff."],
    ]  # fmt: skip  # and "This will help ..." opening a paragraph, with nothing before it to refer to, is left out


def test_a_resolving_issues_section_gives_challenges_approach_and_outcomes_and_the_overview_is_not_a_lesson() -> None:
    summary = _fixture("resolving-issues.md")
    assert [p.text for p in summary.challenges] == [
        "Around a third of the charges had only a point on the map instead of the full extent of the land affected.",
        "Older charges used free-text descriptions that did not match any of the categories the new register requires.",
    ]
    assert [p.text[:40] for p in summary.approach] == [
        "The programme team drew candidate polygo",
        "We wrote a business rule that mapped eac",
    ]
    assert [p.text[:40] for p in summary.outcomes] == ["As a result, the number of charges witho"]
    lessons = {quote for point in summary.lessons for quote in point.quotes}
    assert summary.overview.quotes and not lessons & set(summary.overview.quotes)
    assert not any("Whitlock" in quote for quote in all_quotes(summary))  # "Who was involved?" is not content


@pytest.mark.parametrize(
    "law",
    ["the DATA Act of 2014", "the Digital Accountability and Transparency Act (DATA Act) of 2014"],
)
def test_a_law_named_with_of_and_a_year_does_not_date_the_work(law: str) -> None:
    text = f"# Spending data\n\nCongress passed {law} so the public can follow federal money.\n" \
           "The team shipped in 2017.\n"  # fmt: skip
    assert summarise_case(case_of(text)).year == 2017
    assert summarise_case(case_of(text.replace("The team shipped in 2017.\n", ""))).year is None


def test_a_sentence_said_twice_is_cited_where_it_was_picked(tmp_path: Path) -> None:
    """A document repeating a sentence word for word: each point cites the sentence it was made from, and no two
    points cite the same one (found on a Land Registry file with ten lessons)."""
    repeated = "Agree the data cleansing rules with the project board before the migration starts."
    text = ("# Moving the local land charges register\n\n## Approach\n\n" + repeated + "\n\n"
            "The team checked every charge against the map in a second pass.\n\n"
            "## Top 3 lessons learnt\n\n- Start the scoping exercise early and write down every exclusion.\n"
            f"- {repeated}\n- This meant the board could sign off each stage without surprises.\n")  # fmt: skip
    (tmp_path / "case.md").write_text(text, encoding="utf-8")
    assert run("summarise", str(tmp_path / "case.md"), "--engine", "offline").exit_code == 0
    record = jsonl(run("export", "--status", "pending").stdout)[0]
    cited = [(e["sentence"], e["start"]) for section in ("approach", "lessons") for p in record[section]
             for e in p["evidence"]]  # fmt: skip
    ids = [sentence for sentence, _ in cited]
    assert len(ids) == len(set(ids)), cited  # no sentence cited by two points
    second = text.rindex(repeated)  # the lesson is the list item, not the approach sentence with the same words
    assert any(e["start"] == second for p in record["lessons"] for e in p["evidence"]), record["lessons"]


def test_a_case_of_more_than_a_thousand_sentences_is_summarised_whole_offline(tmp_path: Path) -> None:
    """The 1,000-id limit is a model's schema limit: the offline engine reads the whole case, uncut."""
    text = "# A long review\n\n" + "\n\n".join(f"Paragraph {n} says the council did thing number {n} well."
                                             for n in range(1_200)) + "\n"  # fmt: skip
    (tmp_path / "long.md").write_text(text, encoding="utf-8")
    result = run("summarise", str(tmp_path / "long.md"), "--engine", "offline")
    assert result.exit_code == 0, result.stderr


def _opening(points: list) -> list[str]:  # noqa: ANN001 - points, or the openings of the sentences expected
    return [(p if isinstance(p, str) else p.text)[:30] for p in points]


def test_plain_prose_without_headings_gets_its_sections_from_the_order_of_the_story() -> None:
    """A case told in three paragraphs and no headings, in words with few cue phrases: read a sentence at a time,
    the engine found one outcome and no challenge or approach. Read in order, each paragraph gets its section."""
    summary = _fixture("plain-prose.md")
    assert _opening(summary.challenges) == _opening([
        "Riverbend District Council keeps a regis",  # the opening, which is also the overview
        "Most of the older entries existed only a",
        "Solicitors and residents asking about a ",
        "The cards were fading, and two officers ",
    ])
    assert _opening(summary.approach) == _opening([
        "The council scanned the index cards wit",
        "Each card image was read by optical cha",
        "The records were loaded into the counci",
        "Officers tested the new search with a gr",
    ])
    assert _opening(summary.outcomes) == _opening([
        "Property searches that took three weeks ",
        "The register is available online, and r",
        "The council expects to save about £40,0",
    ])
    assert summary.lessons == [] and summary.unintended_consequences == []


def test_a_story_told_in_one_paragraph_still_moves_from_problem_to_result() -> None:
    """The same story with every line break kept but no blank line: one paragraph, so the order of the sentences,
    not the paragraphs, carries it; a result at the end is not pulled back into the problem."""
    text = (OFFLINE_DATA / "plain-prose.md").read_text(encoding="utf-8")
    title, _, body = text.partition("\n\n")
    summary = summarise_case(case_of(f"{title}\n\n" + body.replace("\n\n", "\n"), "riverbend.md"))
    where = {quote[:20]: path.split("[")[0] for path, point in summary.points() for quote in point.quotes
             if path not in ("overview", "ai_application")}  # fmt: skip
    assert where.get("Solicitors and resid") == "challenges", where
    assert where.get("Each card image was ") == "approach", where
    assert where.get("The council expects ") == "outcomes", where
    assert "lessons" not in where.values()


def test_the_opening_before_a_challenge_heading_is_context_and_before_an_approach_heading_the_problem() -> None:
    """Read in order, a story starts with its problem; but where the author heads the problem "The challenge", the
    lines before it are context, not a challenge. Where the first heading is "Approach", the untitled opening is
    where the problem is told (as on 18F's project pages)."""
    lead = "Millbrook Council in England changed how residents report flooded roads in 2024."
    problem = "Reports arrived by phone and email, so officers could not see where the water was deepest."
    did = "We built a map where residents drop a pin and add a photo of the flooded road."
    result = "Crews now reach the worst flooding within an hour instead of the next morning."
    headed = f"# Millbrook\n\n{lead}\n\n## The challenge\n\n{problem}\n\n## What we did\n\n{did}\n\n## Results\n\n{result}\n"
    summary = summarise_case(case_of(headed, "millbrook.md"))
    assert [p.text for p in summary.challenges] == [problem]
    told = "Each winter residents phoned in hundreds of reports of flooded roads to a single switchboard."
    untitled = f"# Millbrook\n\n{lead}\n\n{told}\n\n### Approach\n\n{did}\n\n### Outcomes\n\n{result}\n"
    summary = summarise_case(case_of(untitled, "millbrook.md"))
    assert told in [p.text for p in summary.challenges]  # no cue phrase says so: its place in the story does
    assert [p.text for p in summary.approach] == [did] and [p.text for p in summary.outcomes] == [result]
