"""The offline cross-case analysis: deterministic themes from the approved cases' own points, no model.

For each part of the analysis it takes the points that feed it (risks and challenges: challenges and
unintended consequences; where to start: lessons, else the first step of the approach; application areas:
the use of AI, else the first step of the approach), finds key terms (words and two-word phrases, minus
common words) that points from two or more cases share, and makes one finding per shared term, citing those
cases and quoting their points. Cases no theme covers are listed on their own. Same records, same analysis.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass

from ..domain.analysis import CrossCaseAnalysis, Finding
from ..domain.criteria import evaluate
from ..domain.models import Point, Record
from ..engines.offline import fingerprint

RULES_NAME = "offline-analysis-v1"
MAX_THEMES = 5
MAX_SINGLES = 4
MAX_EXAMPLES = 3
MAX_WORDS = 40

_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")
_STOP = set(
    """a about above across after again against all almost also although always am among an and any are around as
    at be because been before being below between both but by can could did do does doing done down during each
    either else enough even ever every few for from further had has have having he her here hers him his how however
    i if in into is it its itself just least less like made make makes making many may more most much must my near
    need needed needs new no nor not now of off often on once one only or other others our out over own per perhaps
    quite rather really same several she should since so some such than that the their them then there these they
    this those though through thus to too two under until up upon us use used uses using very via was we well were
    what when where whether which while who whom whose why will with within without would yet you your first second
    three four five six ten hundred thousand year years month months week weeks day days time times number around
    council councils service services team teams organisation organisations body bodies case cases study project
    projects work worked working people person public local also way ways part able another across based lot lots
    might shall still already including because although however whether whose being having take took taken give
    gave given help helped helps get got gets show shows showed shown found find finds went come came became become
    began begin start started starts said says saw seen set put ran run runs kept keep keeps like good better best
    high higher low lower early earlier late later easy easier hard harder clear clearer simple small large big long
    short whole full different similar real right wrong main major minor important especially particularly mostly
    largely simply only already around towards toward against among therefore instead meant mean means want wanted
    wants went look looked looking tried try tries asked ask asks told tell tells thought think felt feel told put
    decision decided decide approach challenge challenges outcome outcomes lesson lessons learnt learned result
    results benefit benefits problem problems issue issues way change changes changed example examples thing things
    de het een en van voor met dat die niet zijn werd worden ook bij door naar over als aan dan maar nog wel wat
    er om op uit te tot hun zij wij ze dit deze gemeente jaar""".split()
)


@dataclass(frozen=True)
class _Item:
    case: str  # record id
    label: str  # how a reader knows the case: organisation, else title
    text: str
    terms: dict[str, str]  # key -> the words as written


def rules_hash() -> str:
    """Changing these rules makes earlier offline analyses out of date, as a new prompt would."""
    return fingerprint(inspect.getsource(sys.modules[__name__]))


def analyse_offline(records: list[Record], language: str = "en") -> CrossCaseAnalysis:
    records = sorted(records, key=lambda r: r.id)
    risks = [_items(r, ["challenges", "unintended_consequences"]) for r in records]
    start = [_items(r, ["lessons"]) or _items(r, ["approach"])[:1] for r in records]
    areas = [_ai_items(r) or _items(r, ["approach"])[:1] for r in records]
    return CrossCaseAnalysis(
        risks_and_challenges=_findings([i for items in risks for i in items], language),
        where_to_start=_findings([i for items in start for i in items], language),
        application_areas=_findings([i for items in areas for i in items], language),
    )


def _label(record: Record) -> str:
    return record.summary.organisation or record.summary.title


def _item(record: Record, point: Point) -> _Item:
    text = " ".join(point.text.split())
    return _Item(record.id, _label(record), text, _terms(text))


def _items(record: Record, sections: list[str]) -> list[_Item]:
    """The record's points in these sections whose quotes were found in the source."""
    items = []
    for section in sections:
        for i, point in enumerate(getattr(record.summary, section)):
            if record.grounding.is_supported(f"{section}[{i}]"):
                items.append(_item(record, point))
    return items


def _ai_items(record: Record) -> list[_Item]:
    point = record.summary.ai_application
    if point is None or not record.grounding.is_supported("ai_application"):
        return []
    if not evaluate(record.summary).met["uses-ai"]:  # AI weighed and not adopted is no application area
        return []
    return [_item(record, point)]


def _stem(word: str) -> str:
    word = word.lower().replace("\u2019", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 5 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _terms(text: str) -> dict[str, str]:
    """Key terms of a point: content words and pairs of adjacent content words, by stem."""
    words = _WORD.findall(text)
    keys = [_stem(w) for w in words]
    content = [len(k) >= 4 and k not in _STOP and w.lower() not in _STOP for k, w in zip(keys, words, strict=True)]
    terms: dict[str, str] = {}
    for i, (key, word) in enumerate(zip(keys, words, strict=True)):
        if not content[i]:
            continue
        if not key.endswith(("ed", "ly")):  # alone, "reported" or "quickly" names no theme; in a phrase it may
            terms.setdefault(key, word.lower())
        if i + 1 < len(words) and content[i + 1]:
            terms.setdefault(f"{key} {keys[i + 1]}", f"{word.lower()} {words[i + 1].lower()}")
    return terms


def _findings(items: list[_Item], language: str) -> list[Finding]:
    cases_by_term: dict[str, set[str]] = defaultdict(set)
    items_by_term: dict[str, list[int]] = defaultdict(list)
    written: dict[str, Counter[str]] = defaultdict(Counter)
    for index, item in enumerate(items):
        for key, surface in item.terms.items():
            cases_by_term[key].add(item.case)
            items_by_term[key].append(index)
            written[key][surface] += 1
    shared = [key for key, cases in cases_by_term.items() if len(cases) >= 2]
    # most cases first; a phrase before a single word; then most points; then alphabetical, for determinism
    shared.sort(key=lambda k: (-len(cases_by_term[k]), -(" " in k), -len(items_by_term[k]), k))
    used: set[int] = set()
    findings: list[Finding] = []
    for key in shared:
        left = [i for i in items_by_term[key] if i not in used]
        cases = sorted({items[i].case for i in left})
        if len(cases) < 2:
            continue
        surface = min(written[key].items(), key=lambda pair: (-pair[1], pair[0]))[0]
        findings.append(Finding(text=_theme_text(surface, [items[i] for i in left], len(cases), language), cases=cases))
        used.update(left)
        if len(findings) == MAX_THEMES:
            break
    covered = {case for f in findings for case in f.cases}
    singles = 0
    for index, item in enumerate(items):
        if singles == MAX_SINGLES:
            break
        if item.case in covered or index in used:
            continue
        findings.append(Finding(text=_example(item), cases=[item.case]))
        covered.add(item.case)
        singles += 1
    return findings


_PHRASES = {
    "en": ("\u201c{term}\u201d comes up in {n} cases.", "(and {more} more)"),
    "nl": ("\u201c{term}\u201d komt terug in {n} casussen.", "(en nog {more})"),
}


def _theme_text(term: str, items: list[_Item], cases: int, language: str) -> str:
    lead, more = _PHRASES.get(language, _PHRASES["en"])
    examples, seen = [], set()
    for item in items:  # one example per case, in order
        if item.case not in seen:
            seen.add(item.case)
            examples.append(_example(item))
    text = lead.format(term=term[:1].upper() + term[1:], n=cases) + " " + " ".join(examples[:MAX_EXAMPLES])
    if len(examples) > MAX_EXAMPLES:
        text += " " + more.format(more=len(examples) - MAX_EXAMPLES)
    return text


def _example(item: _Item) -> str:
    """'Fife Council: <point>', unless the point already starts with the organisation's name."""
    text = _short(item.text)
    return text if text.startswith(item.label) else f"{item.label}: {text}"


def _short(text: str) -> str:
    words = text.split()
    return text if len(words) <= MAX_WORDS else " ".join(words[:MAX_WORDS]).rstrip(",;:") + "\u2026"
