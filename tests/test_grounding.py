"""The grounding check: what the reviewer relies on to spot invented evidence."""

from __future__ import annotations

import pytest

from trendsum.domain import grounding
from trendsum.domain.models import CaseSummary, Point, Trend

SOURCE = (
    "The council’s contact centre received 40,000 calls a year – most about missed bins.\n"
    "Staff   built a new\nonline form with residents. **Calls fell by 30%** after launch."
)


def summary_with(*quotes: str) -> CaseSummary:
    return CaseSummary(
        title="t", organisation=None, nation=None, year=None, trend=Trend.OTHER, ai_application=None,
        overview=Point(text="o", evidence=[quotes[0]]),
        challenges=[Point(text=f"p{i}", evidence=[q]) for i, q in enumerate(quotes[1:])],
        approach=[], outcomes=[], unintended_consequences=[], lessons=[],
    )  # fmt: skip


def test_verbatim_quotes_pass_despite_typographic_differences() -> None:
    checked = grounding.check(
        summary_with(
            "The council's contact centre received 40,000 calls a year - most about missed bins.",
            "Staff built a new online form with residents.",
            "Calls fell by 30% after launch",
        ),
        SOURCE,
    )
    assert checked.supported == checked.total == 3


def test_planted_non_verbatim_quote_is_flagged() -> None:
    checked = grounding.check(
        summary_with("Staff built a new online form with residents.", "Calls fell by 45% after launch."),
        SOURCE,
    )
    assert checked.supported == 1 and checked.total == 2
    assert not checked.points["challenges[0]"].supported
    assert checked.points["challenges[0]"].missing == ["Calls fell by 45% after launch."]


@pytest.mark.parametrize("quote", ["", "   ", "the", "calls", "Staff", "a year"])
def test_trivial_quotes_never_count_as_evidence(quote: str) -> None:
    assert not grounding.check(summary_with(quote), SOURCE).points["overview"].supported


def test_ellipsis_quote_needs_every_part_in_order() -> None:
    ok = "The council’s contact centre received 40,000 calls … most about missed bins."
    wrong_order = "most about missed bins … The council’s contact centre received"
    assert grounding.check(summary_with(ok), SOURCE).supported == 1
    assert grounding.check(summary_with(wrong_order), SOURCE).supported == 0


@pytest.mark.parametrize(
    "quote",
    [
        "of the",  # two words, both function words
        "a year – most about",  # in the source, 19 characters, but one word of content
        "with residents.",  # one word of content
        "built a new",  # two words of content but under MIN_QUOTE_CHARS
    ],
)
def test_quotes_of_common_words_never_count_as_evidence(quote: str) -> None:
    source = SOURCE + " Most of the calls were answered."
    assert grounding.normalise(quote) in grounding.normalise(source)  # found: flagged for saying too little
    assert not grounding.check(summary_with(quote), source).points["overview"].supported


def test_quote_must_match_whole_words_of_the_source() -> None:
    cut = "ouncil’s contact centre receiv"  # inside the source, but starting and ending mid-word
    assert not grounding.check(summary_with(cut), SOURCE).points["overview"].supported
    assert grounding.check(summary_with("council’s contact centre received"), SOURCE).supported == 1


def test_each_part_around_an_ellipsis_must_say_enough_on_its_own() -> None:
    # parts found in order, but "bins" alone could be stitched from anywhere
    assert grounding.check(summary_with("The council’s contact centre received … bins"), SOURCE).supported == 0
    assert grounding.check(summary_with("contact centre … online form with residents"), SOURCE).supported == 1


# Evidence written by llama.cpp's server with the random-weight test model (scripts/make_tiny_gguf.py), whose
# vocabulary is common English words: what "gibberish" looks like when it is grammar-constrained to the schema.
GIBBERISH = ["", " topic", "on", " th", "ite}{}", " were", " so", "ut", " the number", "in the",
             " trend w[ theers[nment[]iness arekedft", "}{u whro topics theygr scoreome itemsleit"]  # fmt: skip


@pytest.mark.parametrize("quote", GIBBERISH)
def test_gibberish_from_a_random_model_is_never_grounded(quote: str) -> None:
    source = SOURCE + " The number of calls in the year fell. So were the topics and the trends."
    assert not grounding.check(summary_with(quote), source).points["overview"].supported
