"""Every word trendsum prints in a report, per language, in one place.

Section headings, trend names and their order, language names, and the fixed phrases of the Word report. A
new report language is a new entry in each table here; English is the fallback for anything missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .models import Trend

DEFAULT_LANGUAGE = "en"
# Trends in report order: the three themes of the research, then everything else.
TREND_ORDER: tuple[str, ...] = tuple(str(t) for t in Trend)
MAIN_TRENDS: tuple[str, ...] = tuple(str(t) for t in Trend if t != Trend.OTHER)

REPORT_WORDS: dict[str, dict[str, Any]] = {
    "en": {
        "case": ("case study", "case studies"),
        "trend": ("trend", "trends"),
        "in": "{cases} in {trends}",
        "none": "No case studies",
        "all": "all {status}",
        "with_analysis": "with the cross-case analysis of {trends}",
        "statuses": {"approved": "approved", "pending": "pending", "stale": "stale", "rejected": "rejected"},
        "contents": "Contents",
        "made": "Produced with trendsum on {date}",
        "language": "Language: {language}",
        "draft_header": "DRAFT: CONTAINS UNAPPROVED CASE STUDIES, NOT FOR PUBLICATION",
        "draft_title": "DRAFT: {n} of these case studies are NOT APPROVED. They have not been reviewed and must not "
                       "be published.",
        "not_approved": "NOT APPROVED ({status}): unreviewed draft, not for publication.",
        "analysis": "Cross-case analysis",
        "no_analysis": "No approved cross-case analysis for this trend yet.",
        "see": "see",
        "not_in_report": "not in this report",
        "uses_ai": "uses AI",
        "no_ai": "no AI",
        "says_nothing": "The case study does not say.",
        "no_consequences": "None documented.",
        "unsupported": " [quote not found in source]",
        "not_backed": " [not supported by its evidence: {why}]",
        "sentence": "sentence {n}",
        "appendix": "Appendix: evidence",
        "appendix_intro": "The quotes below are copied from each case study's source; the numbers match the "
                          "superscript numbers in the text.",
        "source": "Source",
        "engine": "Summarised by",
        "offline": "the offline extractive engine",
        "model": "model",
        "prompt": "prompt",
        "approved": "Approved by {who} on {date}",
        "unapproved": "Not approved ({status})",
        "record": "record {id}, version {version}",
        "analysis_by": "Analysis by",
        "analysis_from": "drawn from {n} approved case studies",
        "page": "Page ",
    },
    "nl": {
        "case": ("casus", "casussen"),
        "trend": ("trend", "trends"),
        "in": "{cases} in {trends}",
        "none": "Geen casussen",
        "all": "allemaal {status}",
        "with_analysis": "met de analyse over de casussen heen voor {trends}",
        "statuses": {"approved": "goedgekeurd", "pending": "wacht op beoordeling", "stale": "verouderd",
                     "rejected": "afgewezen"},
        "contents": "Inhoud",
        "made": "Gemaakt met trendsum op {date}",
        "language": "Taal: {language}",
        "draft_header": "CONCEPT: BEVAT NIET-GOEDGEKEURDE CASUSSEN, NIET VOOR PUBLICATIE",
        "draft_title": "CONCEPT: {n} van deze casussen zijn NIET GOEDGEKEURD. Ze zijn niet beoordeeld en mogen niet "
                       "worden gepubliceerd.",
        "not_approved": "NIET GOEDGEKEURD ({status}): niet-beoordeeld concept, niet voor publicatie.",
        "analysis": "Analyse over de casussen heen",
        "no_analysis": "Voor deze trend is nog geen goedgekeurde analyse.",
        "see": "zie",
        "not_in_report": "niet in dit rapport",
        "uses_ai": "gebruikt AI",
        "no_ai": "geen AI",
        "says_nothing": "De casus zegt hier niets over.",
        "no_consequences": "Niets vastgelegd.",
        "unsupported": " [citaat niet gevonden in de bron]",
        "not_backed": " [niet gestaafd door het bewijs: {why}]",
        "sentence": "zin {n}",
        "appendix": "Bijlage: bewijs",
        "appendix_intro": "De citaten hieronder komen letterlijk uit de bron van elke casus; de nummers verwijzen "
                          "naar de nummers in de tekst.",
        "source": "Bron",
        "engine": "Samengevat door",
        "offline": "de offline extractieve engine",
        "model": "model",
        "prompt": "prompt",
        "approved": "Goedgekeurd door {who} op {date}",
        "unapproved": "Niet goedgekeurd ({status})",
        "record": "record {id}, versie {version}",
        "analysis_by": "Analyse door",
        "analysis_from": "op basis van {n} goedgekeurde casussen",
        "page": "Pagina ",
    },
}
SECTION_LABELS: dict[str, dict[str, str]] = {
    "en": {"overview": "Overview", "ai_application": "Use of AI", "challenges": "Challenges", "approach": "Approach",
           "outcomes": "Outcomes and benefits", "unintended_consequences": "Unintended consequences",
           "lessons": "Lessons learnt", "risks_and_challenges": "Risks and challenges",
           "where_to_start": "Where to start", "application_areas": "Application areas"},
    "nl": {"overview": "Overzicht", "ai_application": "Gebruik van AI", "challenges": "Uitdagingen",
           "approach": "Aanpak", "outcomes": "Resultaten en baten", "unintended_consequences": "Onbedoelde gevolgen",
           "lessons": "Lessen", "risks_and_challenges": "Risico's en uitdagingen", "where_to_start": "Waar te beginnen",
           "application_areas": "Toepassingsgebieden"},
}  # fmt: skip
LANGUAGE_NAMES = {"en": "English (en)", "nl": "Nederlands (nl)"}
TREND_LABELS = {
    "nl": {"reimagining services": "Diensten opnieuw vormgeven", "harnessing data": "Data benutten",
           "cyber security": "Cyberveiligheid", "other": "Overig"},
}  # fmt: skip


def words(language: str) -> dict[str, Any]:
    """The fixed phrases of a report in `language` (English when trendsum does not speak it)."""
    return REPORT_WORDS.get(language, REPORT_WORDS[DEFAULT_LANGUAGE])


def section_titles(language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Headings for the sections of a summary and of an analysis, by field name."""
    return SECTION_LABELS.get(language, SECTION_LABELS[DEFAULT_LANGUAGE])


def trend_label(trend: str, language: str = DEFAULT_LANGUAGE) -> str:
    """A trend as a heading: translated where a translation exists, else with a capital first letter."""
    return TREND_LABELS.get(language, {}).get(trend, trend[:1].upper() + trend[1:])


def trend_rank(trend: str) -> int:
    """Where a trend comes in a report: the known trends in their order, any other after them."""
    return TREND_ORDER.index(trend) if trend in TREND_ORDER else len(TREND_ORDER)


def in_trend_order(trends: Iterable[str]) -> list[str]:
    """`trends` in report order; unknown ones (written by a newer trendsum, or an edit) last, alphabetically."""
    return sorted(trends, key=lambda t: (trend_rank(t), t))


# English headings, the ones the terminal, the editor and the Markdown export use.
SECTION_TITLES = section_titles()
