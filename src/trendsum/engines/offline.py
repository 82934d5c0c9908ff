"""The offline engine: a deterministic, extractive summariser that needs no key and no network.

It reads the document's own structure first (headings such as "The challenge", "What we did", "Results",
"Lessons learnt"); for text under no useful heading, cue phrases, then a small learned model that reads the
document's sentences in order (`engines.sections`). Each point is a sentence of the source, as
`domain.sentences` cuts it (the same cut the prompt numbers and grounding resolves), and its evidence is that
sentence, copied exactly, so every quote it produces is verbatim and is one whole sentence. A section the
source says nothing about stays empty. Metadata comes from fact tables (places by nation, trend and AI terms).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from ..domain import grounding, sentences
from ..domain.answers import as_answer
from ..domain.models import CaseStudy, CaseSummary, Evidence, Point, Trend
from ..domain.sentences import Sentence, segment
from ..errors import SummaryFailed
from ..prompts import Prompt
from . import facts
from . import sections as section_model
from .base import EngineReply, GenerationRequest

RULES_NAME = "offline-rules-v1"
MAX_POINTS = 4
# A section whose heading announces a number ("Top 10 lessons") or has a list under it yields up to that many points
# ("Top 10 key learnings" giving 4 lessons drops most of what the author chose to list), bounded so that a long
# list does not turn the summary into a copy of the document.
MAX_LIST_POINTS = 10
OVERVIEW_SENTENCES = 2

# Heading words by section, checked in this order ("Unintended consequences" is not an outcome heading).
_HEADING_SECTIONS: list[tuple[str, str]] = [
    # "Resolving issues", "Overcoming challenges": the section tells what went wrong and what was done about it, so
    # each sentence is placed by what it says (see _mixed), never all in challenges
    ("mixed", r"\b(?:resolv|overc[oa]m|tackl|solv|address|deal(?:t|ing)? with|fix)\w*\b.*\b(?:issues?|challenges?|"
              r"problems?|barriers?|obstacles?|difficult\w*)\b"),
    ("unintended_consequences", r"unintended|unexpected|unforeseen|side[- ]effect|consequence"),
    ("lessons", r"lesson|learn|advice|recommendation|tips?\b|takeaway|reflection|differently"),
    ("skip", r"next step|what'?s next|future|contact|further information|acknowledg|reference|related|about 18f|"
             r"who was involved|any questions"),
    ("outcomes", r"result|impact|outcome|benefit|what changed|achievement|success|difference|saving|evaluation"),
    ("challenges", r"challenge|problem|issue|the need|\bwhy\b|pain point|situation"),
    ("approach", r"approach|what we did|solution|method|how we|implementation|delivery|the project|response|"
                 r"action|intervention|what happened|process|technology|our work|we did"),
    ("overview", r"overview|summary|background|introduction|context|about|at a glance"),
]  # fmt: skip

# Cue phrases for sentences under no useful heading: (pattern, weight). A sentence needs a score of 2.
_CUES: dict[str, list[tuple[str, float]]] = {
    "unintended_consequences": [
        (r"unintended|unexpected(?:ly)?|unforeseen|side[- ]effect|did not anticipate|didn't anticipate|"
         r"knock-on|surprising(?:ly)?", 3),
    ],
    "lessons": [
        (r"\blessons?\b|\blearn(?:ed|t)\b|\badvice\b|\bwe recommend|\brecommend(?:ed|s)? that|in hindsight|"
         r"looking back|would do differently|next time|key to (?:success|making)|takeaway|"
         r"(?:do not|don't|never) underestimate|(?:it is|it's) (?:important|vital|essential) to", 3),
    ],
    "outcomes": [
        (r"\bas a result\b|\bresult(?:ed|s)? in\b|\bled to\b|\bthis meant\b|\bsince then\b", 2),
        (r"\b(?:reduc|increas|improv|sav|cut|halv|doubl|rais|fell|rose|achiev|enabl|shorten|prevent)\w*", 1),
        (r"\d+(?:\.\d+)?\s?(?:%|per ?cent)|£\s?\d|\$\s?\d|€\s?\d|\b\d[\d,]*\s(?:hours|days|weeks|staff|calls)\b", 2),
        (r"\bfewer\b|\bfaster\b|\bquicker\b|\bsatisf\w+|\bbenefit\w*|\bnow (?:able|take|get|receive|use)", 1),
    ],
    "approach": [
        (r"\bto (?:address|tackle|solve|fix) (?:this|these|the)\b|\bin response\b|\bthe team\b|\bwe (?:built|"
         r"developed|designed|introduced|created|worked|used|set up|ran|tested|chose|brought|replaced|moved)\b", 2),
        (r"\b(?:built|developed|introduced|implemented|launched|piloted|deployed|designed|procured|created|"
         r"adopted|trained|rolled out|migrated|replaced|partnered|commissioned|prototyp\w+|worked with)\b", 1),
    ],
    "challenges": [
        (r"\b(?:the (?:main |key |biggest )?(?:problem|challenge|issue) (?:was|is|were))\b|\bstruggl\w+|"
         r"\bfaced\b|\bdifficult\w*|\bunable to\b|\bcould not\b|\bcouldn't\b|\bhard to\b", 2),
        (r"\bproblems?\b|\bchallenges?\b|\bpressures?\b|\bbacklogs?\b|\black of\b|\bshortage|\bdemand\b|"
         r"\boutdated\b|\blegacy\b|\bmanual\b|\bslow\b|\bcomplain\w*|\bcostly\b|\binefficien\w+|\bfragmented\b|"
         r"\bburden\b|\bdelays?\b|\brising\b|\bpaper\b", 1),
    ],
}  # fmt: skip

_CUE_RE = {section: [(re.compile(p, re.I), w) for p, w in cues] for section, cues in _CUES.items()}
_HEADING_RE = [(section, re.compile(p, re.I)) for section, p in _HEADING_SECTIONS]
_MD_HEADING = re.compile(r"^(#{1,6})[ \t]*(.*?)[ \t#]*$")
_YEAR = re.compile(r"\b(199\d|20[0-4]\d)\b")
_FUTURE_YEAR = re.compile(r"\b(?:by|until|before|to|target|targets|through|till|in the year)\s+(?:\w+\s+)?$", re.I)
# "Infrastructure Act 2015", "LLC Rules 2018": the year a law was made, not the year of the work
# "approximately 2000 entries": a count that looks like a year
_QUANTITY = re.compile(r"\b(?:approximately|approx\.?|about|over|under|nearly|almost|roughly|more than|fewer than|"
                       r"less than|up to)\s+$", re.I)
# "DATA Act of 2014", "Transparency Act (DATA Act) of 2014": American laws put an "of" before the year
_LAW_YEAR = re.compile(r"\b(?:Act|Acts|Rules|Regulations|Order|Bill|Directive|Code|Measure)(?: \([^)]*\))?(?: of)?\s+$")
_ORG_PATTERNS = [
    re.compile(
        r"\b(?:(?:City|Royal Borough|London Borough|Metropolitan Borough|County Borough|Borough) of )?"
        r"(?:[A-Z][\w'\u2019&-]+,? (?:and |upon |on |of |the )?){1,5}"
        r"(?:City |County |Borough |District |Metropolitan Borough |County Borough |Town |Parish )?Council\b"
    ),
    re.compile(r"\b(?:Gemeente|Municipality of|City of) [A-Z][\w'\u2019-]+(?: [A-Z][\w-]+)?"),
    re.compile(r"\bCouncil of (?:the )?[A-Z][\w-]+(?: (?:of |and |the )*[A-Z][\w-]+)*"),
    re.compile(r"\bNHS(?: [A-Z][\w&]*){1,3}\b"),
    re.compile(r"\bNHS [A-Z][\w&]*(?: [A-Z][\w&]*){0,5} (?:Trust|Board|Scotland|Wales|England)\b"),
    re.compile(
        r"\b(?:[A-Z][\w'\u2019&-]+ (?:(?:and|of|the|upon|on) )?){1,6}(?:Police|Fire and Rescue Service|Fire & Rescue Service|Health Board|"
        r"Housing Association|Combined Authority|Government|Department|Agency|Service|Court|Commission)\b"
    ),
]
_TITLE_ORG = re.compile(r"^((?:[A-Z][\w'\u2019&.-]*(?: (?:and|of|the|for|upon|on))? ){0,5}[A-Z][\w'\u2019&.-]*)\s*(?::|\s[-\u2013\u2014]\s)")
_ORG_NOISE = re.compile(r"^(?:The|Our|This|That|These|Each|Every|A|An|Its|Their|Local|In|At|For|With|By) ")
_ROLE = re.compile(r"^(?:Head|Director|Manager|Officer|Chief|Lead|Leader|Member|Team|Project|Assistant|Deputy)\b")
_GENERIC_ORG = re.compile(r"^(?:(?:Town|Parish|City|County|Borough|District|Local|The) )*Council$")


@dataclass
class _Sentence:
    text: str  # exactly as in the source: one whole sentence of `domain.sentences.segment`
    start: int  # offset in the source, for document order
    section: str | None  # section of the heading above it, if it maps to one
    block: int  # paragraph or list item number
    heading: bool = False  # a heading line: it sets the section, and is never a point
    under: int = -1  # offset of the heading that set `section` (-1: none), so a list is counted under its heading
    announced: int = 0  # the number that heading announces ("Top 10 lessons"), 0 if none
    item: bool = False  # its block is an item of a list ("- ", "1. ", or "1.Text" with the space forgotten)
    template: bool = False  # inside website template code or an HTML comment: layout, never content
    lead: _Sentence | None = None  # the sentence before it in its block, which an opening "This ..." refers to
    opens: bool = False  # the first sentence after a heading


class OfflineEngine:
    """Extractive, deterministic summariser. Same input, byte-identical output."""

    name = "offline"
    model = RULES_NAME
    endpoint: str | None = None  # nothing leaves the machine

    def prompt_identity(self, prompt: Prompt) -> tuple[str, str]:
        # The engine does not read the prompt template; what shapes its output is this module's rules.
        return RULES_NAME, rules_hash()

    async def generate(self, request: GenerationRequest) -> EngineReply:
        # Answered in the evidence style the prompt asks a model for (quotes, or the ids of the sentences shown),
        # so the answer goes through the same validation as any model's. Each quote is one whole sentence of the
        # shared segmentation, so it always has an id to be cited by.
        summary = summarise_case(request.case)
        shown = request.sentences or segment(request.case.text)
        answer = as_answer(summary, request.evidence_style, shown)
        return EngineReply(text=json.dumps(answer, ensure_ascii=False), mode="extractive")

    async def aclose(self) -> None:
        return None


@functools.cache  # the code cannot change while it runs; parsing it costs 0.1 s, once per case without the cache
def rules_hash() -> str:
    """A hash of the rules themselves, so that changing them invalidates cached offline records."""
    import sys

    # the segmenter is part of the rules: it decides which sentences there are to pick
    # the section model is part of the rules too: its code, and the weights it learnt
    rules = fingerprint(inspect.getsource(sys.modules[__name__]), inspect.getsource(facts),
                        inspect.getsource(sentences), inspect.getsource(section_model))
    return hashlib.sha256(f"{rules} {section_model.model_digest()}".encode()).hexdigest()


def fingerprint(*sources: str) -> str:
    """A hash of what this code does: without docstrings, comments or layout, and with each import reduced to the
    names it binds (`grounding`, `re`), so that moving a module or rewording a comment is not a change of rules,
    which would make every record and analysis look out of date; binding a name to other code still is."""
    digest = hashlib.sha256()
    for source in sources:
        tree = ast.parse(source)
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if not isinstance(body, list):
                continue
            kept: list[ast.stmt] = []
            for statement in body:
                if isinstance(statement, ast.Import | ast.ImportFrom):  # where from is layout; what is bound is not
                    names = [f"{a.name.split('.')[-1]} as {a.asname}" if a.asname else a.name for a in statement.names]
                    statement = ast.Expr(ast.Constant("import " + ", ".join(names)))
                kept.append(statement)
            first = kept[0] if kept else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and not (
                isinstance(first.value.value, str) and first.value.value.startswith("import ")
            ):
                kept = kept[1:]  # a docstring (or a bare constant, which does nothing either)
            node.body = kept or [ast.Pass()]
        digest.update(ast.unparse(tree).encode())
    return digest.hexdigest()


def summarise_case(case: CaseStudy) -> CaseSummary:
    """The case's summary; SummaryFailed when the text has no sentence that could stand as its overview."""
    title = " ".join(case.title.split())
    # a plain-text file's first line is its title: it is neither the overview nor a point
    sentences = [s for s in split_sentences(case.text) if " ".join(s.text.split()) != title]
    overview = _overview(sentences) or _fallback_overview(case.text, title)
    if not overview:
        raise SummaryFailed("no sentence long enough to summarise (only headings, tables or short lines)", attempts=1)
    chosen: dict[str, list[_Sentence]] = {}
    used: set[int] = set()  # an opening sentence may be both the overview and a challenge
    guesses = _guesses(case.text, sentences)
    for section in ("challenges", "approach", "outcomes", "unintended_consequences", "lessons"):
        picked = _pick(sentences, section, used, guesses, _limit(sentences, section))
        used.update(s.start for s in picked)
        used.update(s.lead.start for s in picked if s.lead is not None)
        chosen[section] = picked
    return CaseSummary(
        title=case.title,
        organisation=_organisation(case),
        nation=_nation(case),
        year=_year(case.text),
        trend=_trend(case.text),
        ai_application=_ai_point(sentences),
        overview=Point(text=" ".join(_plain(s.text) for s in overview), evidence=[_evidence(s) for s in overview]),
        **{section: [_point(s) for s in picked] for section, picked in chosen.items()},
    )


def split_sentences(text: str) -> list[_Sentence]:
    """Sentences fit to be points: with their offsets, the section their heading implies, and their block."""
    found = []
    for sentence in _all_sentences(text):
        if sentence.heading or sentence.template or not _usable(sentence.text):
            continue
        if _ANAPHOR.match(sentence.text) and sentence.lead is None:
            continue  # "This can include ..." opening a paragraph: what "this" is was cut off, so it says nothing
        found.append(sentence)
    return found


# Website template code ("{% include "testimonial.html", quote: ... %}", "{{ page.title }}") and HTML comments, as
# 18F's Markdown pages carry them: what is inside is layout or a quotation set in a box, never the case's own text.
_TEMPLATE = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}|<!--.*?-->", re.S)
# a list marker before an item's first sentence, on the same line (the segmenter leaves it out of the sentence)
_ITEM_MARKER = re.compile(r"(?:^|\n)[ \t]*(?:[-*+\u2022\u2013]|\d{1,3}[.)]|[a-z][.)]|\([a-z0-9]{1,4}\))[ \t]*$")
_STUCK_NUMBER = re.compile(r"\d{1,3}[.)](?=[A-Z\u2018\u201c\"'])")  # "1.This will help": numbered, space forgotten
_ANNOUNCED = re.compile(r"\btop (\d{1,2})\b|^\W*(\d{1,2}) \w", re.I)  # "Top 10 lessons", "5 things we learnt"


def _all_sentences(text: str) -> list[_Sentence]:
    """Every sentence and heading of the shared segmentation, each with the section its heading implies."""
    found: list[_Sentence] = []
    section: str | None = None
    parent_level = 0  # level of the heading that set `section`; an unnamed sub-heading below it keeps it
    under, announced = -1, 0
    template = [(m.start(), m.end()) for m in _TEMPLATE.finditer(text)]
    previous: _Sentence | None = None
    for sentence in segment(text):
        if sentence.heading:
            level, named = _heading(sentence)
            if (level is not None and named is None and previous is not None and previous.heading
                    and previous.start == under and section is not None):
                # "## Resolving issues" straight followed by "## Spatial data", "## Timescales": a heading with
                # nothing under it is the parent of the unnamed headings of its level that follow
                parent_level = level - 1
            elif level is not None and (named is not None or level <= parent_level or section is None):
                section, parent_level = named, (level if named is not None else 0)
                number = _ANNOUNCED.search(_MD_HEADING.sub(r"\2", sentence.text)) if named else None
                under, announced = sentence.start, int(number.group(1) or number.group(2)) if number else 0
        same_block = previous is not None and previous.block == sentence.paragraph and not previous.heading
        current = _Sentence(
            sentence.text, sentence.start, section, sentence.paragraph, sentence.heading, under, announced,
            item=(previous.item if same_block and previous else bool(
                _ITEM_MARKER.search(text, max(0, sentence.start - 12), sentence.start)
                or _STUCK_NUMBER.match(sentence.text))),
            template=any(start < sentence.end and sentence.start < end for start, end in template),
            lead=previous if same_block and _ANAPHOR.match(sentence.text) else None,
            opens=previous is not None and previous.heading and not sentence.heading,
        )  # fmt: skip
        found.append(current)
        previous = current
    return found


def _heading(sentence: Sentence) -> tuple[int | None, str | None]:
    """(level, section named) of a heading; level None for a bare heading line that names no section we know (or
    only "overview"): a title or a label, which leaves the section as it is."""
    markdown = _MD_HEADING.match(sentence.text)
    if markdown is not None:
        return len(markdown.group(1)), _heading_section(markdown.group(2))
    # the segmenter has judged the line a heading (short, alone or before a sentence): only its words matter here
    if sentence.text.rstrip("*_ ").endswith(":") and len(sentence.text.split()) > 4:
        return None, None  # "The checks found problems with ..., including:" leads into a list, it heads nothing
    named = _heading_section(sentence.text.strip("*_ ").rstrip(":"))
    return (7, named) if named not in (None, "overview") else (None, None)


def _heading_section(heading: str) -> str | None:
    for section, pattern in _HEADING_RE:
        if pattern.search(heading):
            return section
    return None


# page furniture: links to follow, cookie banners, and "we can put you in touch ... if you have questions"
_BOILERPLATE = re.compile(r"\bclick (?:on|here)\b|\bread more\b|\baccept (?:all )?cookies\b|\bsubscribe to\b|"
                          r"\bput you in touch\b|\bask (?:any )?further questions\b", re.I)
# A sentence that opens by pointing back ("This can include ...", "It also ...", "These were ...") says something
# only with the sentence before it: a point takes both, or neither. "This project ..." names its subject, and "It is
# important to ..." is no reference, so neither counts.
_ANAPHOR = re.compile(
    r"^(?:\d{1,3}[.)] ?)?(?:(?:This|That|These|Those)\s+(?:\w+ly\s+)?(?:is|was|are|were|has|have|had|can|could|"
    r"will|would|may|might|should|must|means|allows|helps|makes|leads|includes?|gives|takes|enables|ensures|also|"
    r"did|does|became|requires|\w+ed)\b"  # a verb, or a past tense: "This meant", "This greatly simplified"
    r"|(?:It|They)\b(?!(?:'s|\u2019s| is| was) \w+ (?:to|that)\b)|(?:He|She|Also|Such)\b)"
)
# A quotation with its speaker ("'It changed our whole methodology,' says the CIO"): praise, or one person's view,
# which is not an outcome the case reports; as advice it may still be a lesson.
_QUOTE_OPENERS = ("\"", "'", "\u201c", "\u2018")
_ATTRIBUTED = re.compile(
    r"[\"'\u201d\u2019],?\s+(?:says|said|explains|explained|comments|commented|adds|added|notes|noted|recalls)\b"
    r"|\b(?:says|said|explains|explained|comments|commented|adds|added)\b,?\s+\S+[^\"\u201c\u2018]*[\"\u201c\u2018]"
)


def _testimonial(sentence: str) -> bool:
    return sentence.lstrip("*_ ").startswith(_QUOTE_OPENERS) or bool(_ATTRIBUTED.search(sentence))


def _usable(sentence: str) -> bool:
    words = sentence.split()
    if len(words) < 5 or len(words) > 80:
        return False
    if sentence.startswith(("!", "<", "|", "http")) or sentence.count("](") > 2 or _BOILERPLATE.search(sentence):
        return False
    if sentence.rstrip(" *_").endswith(":") or "{%" in sentence or "%}" in sentence or "{{" in sentence:
        return False  # a lead-in whose list is elsewhere ("... including:"), or a line of template code
    return sum(ch.isalpha() for ch in sentence) > len(sentence) * 0.5


def _fallback_overview(text: str, title: str) -> list[_Sentence]:
    """For a text with no sentence fit to pick (short ones, say): its first sentence that is still evidence, a
    bare heading or the title line only if nothing else is. Markdown headings are never evidence."""
    pool = [s for s in _all_sentences(text) if not (s.heading and s.text.startswith("#")) and not s.template]
    for sentence in sorted(pool, key=lambda s: s.heading or " ".join(s.text.split()) == title):  # stable
        plain = sentence.text
        if plain.startswith(("!", "<", "|", "http")) or sum(ch.isalpha() for ch in plain) <= len(plain) * 0.5:
            continue
        if grounding.substantial(grounding.normalise(plain)):  # the quote must count as evidence on its own
            return [sentence]
    return []


def _cue_score(sentence: str, section: str) -> float:
    return sum(weight for pattern, weight in _CUE_RE.get(section, []) if pattern.search(sentence))


def _classify(sentence: str) -> tuple[str | None, float]:
    """The section a sentence's cue phrases point to, by the strongest score (ties in the dict's order)."""
    best, best_score = None, 0.0
    for section in _CUES:
        score = _cue_score(sentence, section)
        if score > best_score:
            best, best_score = section, score
    return (best, best_score) if best_score >= 2 else (None, 0.0)


def _guesses(text: str, sentences: list[_Sentence]) -> dict[int, tuple[str | None, float]]:
    """The section of each sentence under no useful heading, by its start: strong cue phrases, else the learned
    model's reading of the document in order if it is sure (engines.sections.place and combine).

    The sequence holds every sentence the model has a section for: those under a heading that names one are fixed
    to it and steer their neighbours; those under no useful heading are read from their words and their neighbours.
    Sentences of other sections (skipped parts, side effects) are left out of it, and so is the opening of a document
    whose first heading that names a section is its challenge (or its problems and their fixes): the author has said
    where the problem starts, so what comes before is context (the sequence, which has no state for context and
    reads a story as starting with its problem, would make "Brackenshire Council changed how families apply" a
    challenge), and each of its sentences is read alone, as the model is sure. An opening before a first heading of
    "Approach" may be the problem: 18F's project pages state it there, untitled."""
    named = [i for i, s in enumerate(sentences) if s.section in (*section_model.SECTIONS, "mixed")]
    told = bool(named) and sentences[named[0]].section in ("challenges", "mixed")  # "Challenges and how we fixed them"
    opening = sentences[: named[0]] if told else []
    guesses = {s.start: _alone(s.text) for s in opening if s.section in (None, "overview")}
    chain = [s for s in sentences[len(opening) :] if s.section in (None, "overview", "mixed", *section_model.SECTIONS)]
    numbers = section_model.paragraphs(text, [(s.start, s.start + len(s.text)) for s in chain])
    placed = section_model.place([(s.text, n, s.section) for s, n in zip(chain, numbers, strict=True)])
    floor = section_model.place_floor()
    guesses.update({s.start: section_model.combine(_classify(s.text), where, floor)
                    for s, where in zip(chain, placed, strict=True) if s.section in (None, "overview")})  # fmt: skip
    return guesses


def _alone(sentence: str) -> tuple[str | None, float]:
    """A sentence's section from its own words: strong cue phrases, else the model if it is sure on its own."""
    return section_model.combine(_classify(sentence), section_model.predict(sentence))


def _length_score(sentence: str) -> float:
    words = len(sentence.split())
    return 1.0 if 10 <= words <= 45 else 0.5 if words >= 6 else 0.0


def _limit(sentences: list[_Sentence], section: str) -> int:
    """How many points a section may have: MAX_POINTS, or as many as a heading of it announces ("Top 10 lessons")
    or lists under it, up to MAX_LIST_POINTS."""
    under = [s for s in sentences if s.section == section and s.under >= 0]
    announced = max((s.announced for s in under), default=0)
    # items by heading; an item of several sentences is still one item, so count blocks, not sentences
    listed = max(Counter(under for under, _ in {(s.under, s.block) for s in under if s.item}).values(), default=0)
    return max(MAX_POINTS, min(MAX_LIST_POINTS, max(announced, listed)))


# Each sub-section under such a heading opens with its issue, then tells how it was resolved: where the words say
# little (the model is often unsure on this prose), the position decides.
_MIXED_OPENS = 0.75  # towards challenges, for the first sentence after a heading
_MIXED_FOLLOWS = 0.2  # towards approach, for the sentences after it


@lru_cache(maxsize=4096)
def _mixed(sentence: str, opens: bool = False) -> str:
    """The section of a sentence under a heading such as "Resolving issues": a strong cue phrase (a side effect, a
    lesson) decides; else what went wrong, what was done or what came of it, by cue phrases and the learned model."""
    cued, score = _classify(sentence)
    if cued is not None and score >= section_model.STRONG_CUE:
        return cued
    probabilities = section_model.scores(sentence)
    choices = ("challenges", "approach", "outcomes")

    def weight(section: str) -> float:
        lean = (_MIXED_OPENS if opens and section == "challenges" else 0.0) + (
            _MIXED_FOLLOWS if not opens and section == "approach" else 0.0
        )
        return _cue_score(sentence, section) + 2 * probabilities.get(section, 0.0) + lean

    return max(choices, key=lambda section: (weight(section), -choices.index(section)))


def _pick(
    sentences: list[_Sentence],
    section: str,
    used: set[int],
    guesses: dict[int, tuple[str | None, float]],
    limit: int = MAX_POINTS,
) -> list[_Sentence]:
    """Up to `limit` sentences for a section, best first by score, returned in document order. `guesses`: the
    section of each sentence under no useful heading (_guesses)."""
    candidates: list[tuple[float, _Sentence]] = []
    for sentence in sentences:
        if sentence.start in used or sentence.section == "skip":
            continue
        if sentence.lead is not None and sentence.lead.start in used:
            continue  # what it refers to is a point of another section: it would be cited twice
        if section != "lessons" and _testimonial(sentence.text):
            continue
        if sentence.section == section:
            score = 3 + _cue_score(sentence.text, section) + _length_score(sentence.text)
        elif sentence.section == "mixed":
            if _mixed(sentence.text, sentence.opens) != section:
                continue
            score = 2 + _length_score(sentence.text)  # below a sentence under its own section's heading
        elif sentence.section in (None, "overview"):
            guessed, sure = guesses[sentence.start]
            if guessed != section:
                continue
            score = sure + _length_score(sentence.text)
        else:
            continue
        candidates.append((score, sentence))
    best = [s for _, s in sorted(candidates, key=lambda pair: (-pair[0], pair[1].start))[:limit]]
    # a point that cites the sentence before it ("... . This meant ...") already says what that sentence says
    leads = {s.lead.start for s in best if s.lead is not None}
    return sorted((s for s in best if s.start not in leads), key=lambda s: s.start)


def _overview(sentences: list[_Sentence]) -> list[_Sentence]:
    """The opening of the case: an overview section if it has one, else its first sentences that are not lessons
    (a page that opens with its "Top 10 lessons" still has its story further on), lessons only if nothing else."""
    eligible = [s for s in sentences if s.section != "skip" and not _testimonial(s.text)]
    pool = ([s for s in eligible if s.section == "overview"] or [s for s in eligible if s.section != "lessons"]
            or eligible)  # fmt: skip
    pool = [s for s in pool if s.lead is None or s.lead in pool]  # "It ..." only after what "it" is
    if not pool:
        return sentences[:1]
    opening: list[_Sentence] = []
    for sentence in pool:
        if sentence.block != pool[0].block or len(opening) == OVERVIEW_SENTENCES:
            break
        if sentence.lead is not None and (not opening or sentence.lead is not opening[-1]):
            break  # what it refers to is not in the overview
        opening.append(sentence)
    return opening or pool[:1]


def _plain(text: str) -> str:
    """Readable point text: a list number someone forgot the space after, Markdown links and emphasis dropped,
    spacing folded."""
    text = _STUCK_NUMBER.sub("", text, count=1) if _STUCK_NUMBER.match(text) else text
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__|\*|`)", "", text)
    return " ".join(text.split())


def _point(sentence: _Sentence) -> Point:
    cited = [sentence.lead, sentence] if sentence.lead is not None else [sentence]
    return Point(text=" ".join(_plain(s.text) for s in cited), evidence=[_evidence(s) for s in cited])


def _evidence(sentence: _Sentence) -> Evidence:
    """The sentence with its place: a sentence said twice in a document is cited where it was picked."""
    return Evidence(text=sentence.text, start=sentence.start, end=sentence.start + len(sentence.text))


_AI_RE = re.compile(facts.AI_TERMS, re.I)
_AI_NEG_RE = re.compile(facts.AI_NEGATION, re.I)


def _ai_point(sentences: list[_Sentence]) -> Point | None:
    mentions = [s for s in sentences if _AI_RE.search(s.text) and not _AI_NEG_RE.search(s.text)]
    if not mentions:
        return None
    best = max(mentions, key=lambda s: (len(_AI_RE.findall(s.text)) + _length_score(s.text), -s.start))
    return _point(best)


def _trend(text: str) -> Trend:
    scores = {
        trend: sum(weight * len(re.findall(pattern, text, re.I)) for pattern, weight in keywords.items())
        for trend, keywords in facts.TREND_KEYWORDS.items()
    }
    trend, score = max(scores.items(), key=lambda item: item[1])
    return Trend(trend) if score >= 3 else Trend.OTHER


def _year(text: str) -> int | None:
    years = []
    for match in _YEAR.finditer(text):
        before = text[max(0, match.start() - 40) : match.start()]
        if not (_FUTURE_YEAR.search(before) or _LAW_YEAR.search(before) or _QUANTITY.search(before)):
            years.append(int(match.group(1)))
    return max(years) if years else None


_NATION_RES = {
    nation: re.compile(r"(?<![\w-])(?:" + "|".join(sorted(patterns, key=len, reverse=True)) + r")(?![\w-])")
    for nation, patterns in facts.NATION_PATTERNS.items()
}
# One pass over all names, longest first, so an overlapping longer name wins ("Northern Ireland" over "Ireland").
_ALL_PLACES = re.compile(
    r"(?<![\w-])(?:"
    + "|".join(sorted({p for ps in facts.NATION_PATTERNS.values() for p in ps}, key=len, reverse=True))
    + r")(?![\w-])"
)


def _nation(case: CaseStudy) -> str | None:
    counts: Counter[str] = Counter()
    heading = " ".join([case.title, case.meta.get("agency", ""), case.meta.get("organisation", "")])
    organisation = _organisation(case) or ""
    for weight, text in ((3, heading + " " + organisation), (1, case.text)):
        for match in _ALL_PLACES.finditer(text):
            for nation, pattern in _NATION_RES.items():
                if pattern.fullmatch(match.group(0)):
                    counts[nation] += weight
                    break
    if not counts:
        return None
    ranked = counts.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None  # a tie is not evidence either way; leave it for the reviewer
    return ranked[0][0]


def _organisation(case: CaseStudy) -> str | None:
    for key in ("organisation", "organization", "agency", "council", "body"):
        if case.meta.get(key):
            return case.meta[key]
    counts: Counter[str] = Counter()
    first_seen: dict[str, int] = {}
    named = _TITLE_ORG.match(case.title)  # "Natural Resources Wales: preparing for ..."
    if named:
        counts[named.group(1)] += 5
        first_seen[named.group(1)] = 0
    for text in (case.title, case.text):
        for pattern in _ORG_PATTERNS:
            for match in pattern.finditer(text):
                name = _ORG_NOISE.sub("", match.group(0).strip(" ,"))
                while _ORG_NOISE.match(name):
                    name = _ORG_NOISE.sub("", name)
                if _GENERIC_ORG.match(name) or _ROLE.match(name) or len(name.split()) < 2:
                    continue
                counts[name] += 1
                first_seen.setdefault(name, len(first_seen))
    if not counts:
        return None
    return max(counts, key=lambda name: (counts[name], -first_seen[name]))
