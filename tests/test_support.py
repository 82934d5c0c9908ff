"""The support check: does a point's cited evidence back what the point says, whatever engine or reviewer wrote it."""

from __future__ import annotations

import pytest

from trendsum.domain import support
from trendsum.domain.models import CaseStudy
from trendsum.engines.offline import summarise_case

COMPLAINTS = (
    "The council introduced an online form for reporting missed bins in 2023, and calls to the hub fell by 12%."
)
FIFE = ["Fife Council", "Scotland", "Fife Council: triaging housing repairs"]


def test_an_invented_figure_is_unsupported_and_the_reason_names_it() -> None:
    reasons = support.problems("The council cut complaints by 90 percent.", [COMPLAINTS])
    assert any('"90 percent"' in reason and "not in its evidence" in reason for reason in reasons), reasons


def test_the_looping_answer_is_unsupported() -> None:
    looping = " ".join(["They are saying that they are making it better."] * 20)
    reasons = support.problems(looping, ["Staff said they were making the service better for residents."])
    assert 'repeats itself ("they are saying that…", 20 times)' in reasons


def test_a_phrase_the_evidence_itself_repeats_is_not_a_loop() -> None:
    evidence = "Report it online, report it by phone, report it in person: every channel counts."
    assert support.problems(evidence, [evidence]) == []


def test_a_faithful_paraphrase_with_reworded_numbers_passes() -> None:
    evidence = [
        "In the 2023/24 financial year the housing service logged a little over 100,000 repair requests, "
        "and about one in six damp reports had waited longer than they should; the pilot cost around £60,000."
    ]
    point = "The housing service logged just over 100000 repair requests in 2023-24; 1 in 6 damp reports waited too " \
            "long, and the pilot cost about £60k."  # fmt: skip
    assert support.problems(point, evidence, FIFE) == []


@pytest.mark.parametrize(
    ("point", "evidence"),
    [
        ("Savings reached £1.2m a year.", "The council saved £1.2 million a year."),
        ("Savings reached £1,200,000 a year.", "The council saved £1.2m a year."),
        ("Satisfaction rose to 79 per cent.", "Satisfaction rose to 79% in the survey."),
        ("Satisfaction rose to 79%.", "Satisfaction rose to 79 percent in the survey."),
        ("About 1,900 adviser hours were released.", "Around 1900 adviser hours were released."),
        ("Staff saved 4.50 hours a week.", "Staff saved 4.5 hours a week."),
        ("The pilot ran for three months.", "The pilot ran for 3 months."),
        ("The pilot ran for 3 months.", "The pilot ran for three months."),
        ("It was the council's 3rd attempt.", "It was the council's third attempt."),
        ("Work began in 2021/22.", "Work began in the 2021-22 financial year."),
        ("Work began in 2021-2022.", "Work began in 2021/22."),
        ("Costs reached twenty-five thousand pounds.", "Costs reached 25,000 pounds."),
    ],
)
def test_number_forms_are_folded(point: str, evidence: str) -> None:
    assert support.problems(point, [evidence]) == []


@pytest.mark.parametrize(
    ("point", "evidence", "figure"),
    [
        ("Savings reached £1.3m a year.", "The council saved £1.2 million a year.", "£1.3m"),
        ("Satisfaction rose to 80%.", "Satisfaction rose to 79% in the survey.", "80%"),
        ("Work began in 2022/23.", "Work began in the 2021-22 financial year.", "2022/23"),
        ("The trial ran for four months.", "The trial ran for 3 months.", "four"),
        ("The roads team moved to Windows 11.", "The roads team moved to a new operating system.", "11"),
    ],
)
def test_a_changed_figure_is_caught_in_any_form(point: str, evidence: str, figure: str) -> None:
    assert f'the figure "{figure}" is not in its evidence' in support.problems(point, [evidence])


def test_months_are_dates_checked_with_the_figures() -> None:
    assert support.problems("The pilot began in March 2024.", ["The pilot began on 12.03.2024."]) == []
    assert support.problems("The pilot may begin in Sept. 2024.", ["The pilot may begin in September 2024."]) == []
    assert support.problems("The pilot began in May 2024.", ["The pilot began in April 2024."]) == [
        'the date "May" is not in its evidence'
    ]


def test_fractions_and_idiomatic_number_words_in_a_point_are_not_figures() -> None:
    evidence = ["Some 33% of staff and 67% of managers agreed in the first review."]
    point = "About a third of staff and two thirds of managers agreed, one of the first signs of support."
    assert support.problems(point, evidence) == []


def test_a_number_inside_one_of_the_records_details_is_covered_by_it() -> None:
    point = "The Windows 11 rollout reached every office."
    evidence = ["The rollout reached every office by the end of the year."]
    assert support.problems(point, evidence, ["Windows 11 rollout at Conwy"]) == []


def test_a_name_from_the_records_details_passes() -> None:
    point = "Fife Council's advisers confirm every suggestion before a job is raised."
    evidence = ["An adviser confirms or changes every suggestion before a job is raised."]
    assert support.problems(point, evidence, FIFE) == []
    assert support.problems(point, evidence) == [
        'the name "Fife Council" is not in its evidence or the record\'s details'
    ]


def test_a_name_from_nowhere_fails() -> None:
    point = "The council worked with Acme Analytics to build the online form, and calls fell by 12%."
    assert support.problems(point, [COMPLAINTS], FIFE) == [
        'the name "Acme Analytics" is not in its evidence or the record\'s details'
    ]


def test_acronyms_and_codes_are_names_and_may_be_spelled_out_in_the_evidence() -> None:
    evidence = ["Natural Resources Wales chose not to use artificial intelligence, working with 18F instead."]
    assert support.problems("NRW chose not to use AI, working with 18F instead.", evidence) == []
    reasons = support.problems("NRW chose not to use AI, working with the NHS and 61F instead.", evidence)
    assert 'the name "NHS" is not in its evidence or the record\'s details' in reasons
    assert 'the name "61F" is not in its evidence or the record\'s details' in reasons


def test_a_capitalised_word_opening_a_sentence_is_not_taken_for_a_name() -> None:
    point = "Unexpectedly, calls to the hub fell. Residents used the online form for missed bins instead."
    assert support.problems(point, [COMPLAINTS]) == []


def test_a_point_about_another_sentence_shares_too_few_words() -> None:
    point = "Tenant satisfaction with repairs rose sharply in the quarterly survey."
    reasons = support.problems(point, [COMPLAINTS])
    assert reasons == ["shares too few words with its evidence (0 of 7)"]


def test_light_stemming_matches_word_forms() -> None:
    point = "A reduction in complaints from residents followed."
    assert support.problems(point, ["Complaints were reduced after each resident was told."]) == []


def test_empty_evidence_cites_nothing() -> None:
    assert support.problems("Calls fell by 12%.", []) == ["cites nothing"]
    assert support.problems("Calls fell by 12%.", ["  "]) == ["cites nothing"]


def test_the_threshold_is_the_documented_one_and_adjustable() -> None:
    point = "Calls fell after residents praised the new service."  # 2 of 6 content words in the evidence
    assert support.overlap(point, [COMPLAINTS]) == (2, 6)
    assert support.MIN_OVERLAP == 0.4
    assert support.problems(point, [COMPLAINTS]) == ["shares too few words with its evidence (2 of 6)"]
    assert support.problems(point, [COMPLAINTS], min_overlap=0.3) == []


def test_the_offline_engines_points_are_supported_by_their_own_evidence() -> None:
    text = (
        "# Fife Council: triaging housing repairs\n\n## The challenge\n\nIn the 2023/24 financial year the housing "
        "service logged a little over 100,000 repair requests, and the backlog regularly reached two or three days."
        "\n\n## Our approach\n\nIn early 2024 the council's data team piloted a machine learning model that suggests "
        "a trade and a priority for each online request.\n\n## Results\n\n- the average time to raise a job fell "
        "from 2.4 days to under four hours;\n- advisers accepted the suggested trade in 88% of cases.\n\n"
        "## Lessons learnt\n\nData quality took far longer than expected: cleaning the **historic** codes took "
        "around six weeks.\n"
    )
    case = CaseStudy("fife", "fife.md", "Fife Council: triaging housing repairs", text, "0" * 64)
    summary = summarise_case(case)
    names = [summary.organisation, summary.nation, summary.title]
    checked = {path: support.problems(point.text, point.quotes, names) for path, point in summary.points()}
    assert len(checked) >= 4
    assert all(reasons == [] for reasons in checked.values()), checked


def test_a_point_in_another_language_is_checked_for_its_figures_and_acronyms_only() -> None:
    evidence = ["Calls to the NHS Highland hub fell by 12.5% and 1,200 hours were saved."]
    dutch = "Het aantal oproepen bij NHS Highland daalde met 12,5% en er werden 1.200 uur bespaard."
    assert support.problems(dutch, evidence, translated=True) == []
    assert support.problems("Het aantal oproepen daalde met 13,5% bij de BBC.", evidence, translated=True) == [
        'the figure "13,5%" is not in its evidence',
        'the name "BBC" is not in its evidence or the record\'s details',
    ]
    assert "shares too few words with its evidence (2 of 13)" in support.problems(dutch, evidence)  # as English


def test_a_point_with_no_words_of_its_own_says_nothing() -> None:
    # a grammar-constrained model can cite real sentences and leave the text empty: nothing there is supported
    for text in ("", "  ", "...", "—"):
        assert support.problems(text, ["The council reduced waiting times by 12 weeks."]) == [support.SAYS_NOTHING]


@pytest.mark.parametrize(
    ("point", "evidence"),
    [
        ("Over 1,000 residents used the service.", "More than a thousand residents used the service."),
        ("The Welsh Government funded the pilot.", "The pilot was funded by the Government of Wales."),
        ("Northern Irish trusts joined the scheme.", "Trusts in Northern Ireland joined the scheme."),
        ("The two councils shared one team.", "Both councils shared one team."),
        ("Missed collections fell by 50%.", "Missed collections fell by half."),
    ],
)
def test_faithful_rewording_of_scales_nations_and_halves_is_supported(point: str, evidence: str) -> None:
    assert support.problems(point, [evidence]) == []


def test_a_half_in_the_point_is_still_no_figure_the_evidence_lacks() -> None:
    assert support.problems("Missed collections fell by 75%.", ["Missed collections fell by half."])
