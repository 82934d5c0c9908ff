"""The grounding check: what the reviewer relies on to spot invented evidence."""

from __future__ import annotations

import pytest

from trendsum import grounding
from trendsum.models import CaseSummary, Point, Trend

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
