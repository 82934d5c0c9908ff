"""Does a point's cited evidence back what the point says? Run on every point, whatever engine or reviewer wrote it.

Grounding asks whether the evidence is really in the source; this asks whether that evidence supports the point.
A point is unsupported when (each reason is written so a reviewer, or a model being re-asked, can act on it):

- it cites nothing;
- it repeats a phrase (a small model's loop: "They are saying that they are making it better" twenty times);
- a number in it (figure, percentage, money, date, year, a number in a name such as "Windows 11") is not in its
  evidence. Forms are folded so faithful rewording passes: "90%" = "90 percent" = "90 per cent";
  "£1.2m" = "£1.2 million" = "£1,200,000"; "1,200" = "1200"; "3.5" = "3.50"; "three" = "3" both ways;
  "3rd" = "third"; a year range "2021-22" = "2021/22" = "2021 to 2022" (each year of a range counts on its own).
  Only the value is compared, not its unit: "90%" citing "90 complaints" passes (the overlap check sees the rest).
  In a point, "one", "first" and "second" are not taken as figures (too often idiom: "one of the", "at first",
  "a second visit"), nor are fractions ("a third of staff", "two thirds"); in evidence they all count. A number
  in the point named in one of the record's own details (`names`: a title "Windows 11 rollout") is covered by
  it. Digits glued to capitals ("18F", "M25", "5G") are names, below;
- a proper name in it is in neither its evidence nor the record's details (`names`: organisation, nation, title).
  A name is a run of capitalised words not at the start of a sentence, or any word with two or more capitals
  ("NHS", "CCTV", "GovWifi") or with digits and a capital ("18F"); an acronym also passes when its evidence
  spells it out ("AI" for "artificial intelligence", "NRW" for "Natural Resources Wales"). A capitalised first
  word counts when the next word is capitalised too ("Acme Analytics built..."). Each word of the name is looked
  up on its own, case folded, so "the Council" citing "the council" and "Fife's tenants" with the organisation
  "Fife Council" pass. Ignored: `NAME_STOP_WORDS`;
- it shares too few content words (not function words, not numbers) with its evidence: fewer than
  MIN_OVERLAP of them. Words are compared by a light stem (case folded, possessive and one ending such as
  "s", "ed", "ing" removed, then cut to STEM_CHARS characters), so "reduced"/"reduction", "saved"/"savings"
  and "residents"/"resident" match. Words of the record's details count neither way.

A point written in another language than its evidence (`translated`) is checked for its figures, loops and
acronyms only.

How MIN_OVERLAP was chosen (`python bench/bench_support.py`, one run, seed 13). Faithful pairs: 53 paraphrases
written by hand for sentences of the shipped `inputs/` (bench/data/support_faithful.jsonl, some abstractive, some
citing two sentences) and 541 made mechanically at bench time from the real documents under
`../shared/data/real-case-studies/` (18F pages, Land Registry ODT case studies, 300 rows of the federal AI
inventory; numbers rewritten, lead-ins dropped, synonyms swapped, long tails cut). Unsupported pairs: each faithful
point citing another sentence of the same document (561), with a figure changed or added (594), with another
body's name put in (594), looping (594). Overlap, the share of the point's content words found in its evidence:

    faithful, hand-written     p10 0.63  median 0.89  lowest 0.5-0.6
    faithful, mechanical       p10 0.91  median 1.00
    citing another sentence    median 0.09  p90 0.38

The whole check (flagged = unsupported): recall over all 2,343 unsupported pairs, over those citing another
sentence, and false alarms over the 594 faithful ones (over the hand-written ones):

    MIN_OVERLAP 0.3   recall 0.969   another sentence 0.875   false alarms 0.0%  (hand-written 0.0%)
    MIN_OVERLAP 0.4   recall 0.982   another sentence 0.929   false alarms 0.0%  (hand-written 0.0%)
    MIN_OVERLAP 0.5   recall 0.988   another sentence 0.957   false alarms 0.2%  (hand-written 0.0%)
    MIN_OVERLAP 0.6   recall 0.994   another sentence 0.980   false alarms 0.5%  (hand-written 3.8%)
    MIN_OVERLAP 0.7   recall 0.996   another sentence 0.988   false alarms 1.5%  (hand-written 15%)

0.4 sits a clear step below the least overlapping honest paraphrase we wrote, leaving room for models that
reword more freely than we did (a flag a reviewer learns to ignore is worse than none), for about three points
of recall on points citing the wrong sentence; changed figures (100%), loops (100%) and swapped names (99.5%)
are caught by their own rules at any threshold. What 0.4 lets through: 40 pairs citing another sentence, most of
which say much the same thing (the bench's labels are noisy there), and a lone unknown name opening a sentence
("Deloitte estimates...", 3 pairs), which cannot be told from an ordinary capitalised first word without a
dictionary. The offline engine's own points (its evidence, lightly cleaned) raise no flag: 0 of 144 over
`inputs/`, 0 of 163 over the 18F and Land Registry documents. Name stop words: with case folding, "the Council"
and the like already match, and the only false alarm the names rule raised on the faithful pairs was "AI" for
"artificial intelligence", now matched as spelled-out initials; so the stop list stays at the pronoun and the
weekdays. Months are checked with the figures, as parts of dates: "in May" citing a sentence that says April is a
wrong date, and "March 2024" citing "12.03.2024" is right.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation

# Words too common to show a point is about what its evidence says. The same list as grounding's, held here
# because grounding imports this module (the integrator may point grounding at this one).
FUNCTION_WORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before being between both but
    by can could did do does doing down during each either few for from further had has have having he her here
    hers him his how i if in into is it its itself just may me might more most much must my no nor not now of off
    on once one only or other our ours out over own per same she should so some such than that the their theirs
    them then there these they this those through to too two under until up upon us very via was we were what
    when where which while who whom why will with within without would yet you your""".split()
)
# Share of a point's content words its evidence must contain; measured, see above.
MIN_OVERLAP = 0.4
# Light stemming by truncation: "reduced"/"reduction" -> "reduc"; five letters keep most words apart.
STEM_CHARS = 5
# Endings dropped before the cut, so "saved"/"savings"/"save" and "reduced"/"reduce"/"reduction" meet.
_SUFFIXES = ("ings", "ing", "ed", "es", "s", "e")
# A loop: a run of LOOP_WORDS words said LOOP_REPEATS times or more, and more often than the evidence says it.
LOOP_WORDS = 3
LOOP_REPEATS = 3
# Capitalised words that are not names: the pronoun, and weekdays (a date's weekday adds nothing to check).
# Kept small on purpose, see above: every word here is one a swapped name could hide behind.
NAME_STOP_WORDS = frozenset("i monday tuesday wednesday thursday friday saturday sunday".split())

SAYS_NOTHING = "says nothing: the point has no words of its own beyond the record's details"
# A point needs this many content words beyond its record's details: "Council and Government" (SmolLM2's
# overview, challenge and lesson alike) named the body and said nothing, and its one word was in any evidence.
MIN_OWN_WORDS = 2
MAX_NAME_WORDS = 5  # "Conwy County Borough Council": a detail longer than this is a title, not a name
CITES_NOTHING = "cites nothing"

_TRANSLATE = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u2212": "-",
     "\u00a0": " ", "\u202f": " ", "\u2009": " "}
)  # fmt: skip
_SMALL_NUMBERS = {
    w: i
    for i, w in enumerate(
        """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
        seventeen eighteen nineteen""".split()
    )
}
_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i > 1}
_ORDINALS = {
    w: i + 1
    for i, w in enumerate(
        """first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth
        fifteenth sixteenth seventeenth eighteenth nineteenth twentieth""".split()
    )
}
# Said in a point these are idiom far more often than figures ("one of the", "at first", "a second visit").
_IDIOMATIC = frozenset({"one", "first", "second"})
_SCALES = {"hundred": 100, "thousand": 1_000, "k": 1_000, "million": 1_000_000, "m": 1_000_000, "mn": 1_000_000,
           "billion": 1_000_000_000, "bn": 1_000_000_000, "b": 1_000_000_000}  # fmt: skip
_NUMBER_WORD = "|".join(sorted([*_SMALL_NUMBERS, *_TENS, *_ORDINALS], key=len, reverse=True))
# "twenty-five", "forty two", "twenty-first": a tens word joined to a unit; "first eight" is two numbers
_COMPOUND = rf"(?:{'|'.join(_TENS)})[- ](?:{'|'.join([*list(_SMALL_NUMBERS)[1:10], *list(_ORDINALS)[:9]])})"
_MONTHS = {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
# Capitalised only, so the verb "may" and the word "march" are not months; "Sept" and "Sep" both.
_MONTH = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b\.?"
)
_DOTTED_DATE = re.compile(r"(?<![\w.])\d{1,2}\.\d{1,2}\.(?:19|20)?\d\d(?![\w.]*\d)")
# A year range, "2021-22", "2021/22", "2021-2022", "2021 to 2022": both years count on their own.
_YEAR_RANGE = re.compile(r"(?<![\w.,])((?:19|20)\d\d)\s?(?:-|/|to)\s?(\d\d(?:\d\d)?)(?![\w.,]*\d)")
# A figure: "1,200,000", "1200", "3.50", "£1.2m", "1.2 million", "3rd", "twenty-five", "third". Digits glued to
# letters ("M25", "3D", "GPT4") are part of a word, checked as a name where capitalised.
_NUMBER = re.compile(
    rf"(?<![\w.])(?:(\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:st|nd|rd|th|s)?"
    rf"|({_COMPOUND}|{_NUMBER_WORD}))"
    rf"(?:\s?(hundred|thousand|million|billion|bn|mn|m|k|b)\b)?(?![\w])",
    re.IGNORECASE,
)
_FRACTION = re.compile(
    r"\b(?:a|one|two|three|four)[- ](?:third|quarter|fifth|sixth|eighth|tenth)s?\b", re.IGNORECASE
)
# A number named by the word before it: "Windows 11", "Section 2", "Phase 3"
_NAMED_NUMBER = re.compile(r"[^\W\d_][\w'-]*\s\d+(?:\.\d+)*\b")
_PERCENT = re.compile(r"\s?(?:%|per ?cent\b)")
# "a thousand residents", "a hundred staff": one of the scale, however the point words it ("1,000", "1000")
_A_SCALE = re.compile(r"\b(?:a|an|one)\s(hundred|thousand|million|billion)\b", re.IGNORECASE)
# Words in evidence that a faithful point may give as figures: "half" as 50% or 0.5, "both" as two
_WORD_FIGURES = {"half": (Decimal(50), Decimal("0.5")), "halved": (Decimal(50),), "quarter": (Decimal(25),),
                 "both": (Decimal(2),), "double": (Decimal(2),), "doubled": (Decimal(2),), "dozen": (Decimal(12),)}
_WORD_FIGURE = re.compile(rf"\b(?:{'|'.join(_WORD_FIGURES)})\b", re.IGNORECASE)
# A people's or a nation's adjective, which a point may use for the nation its evidence names: "the Welsh
# Government" citing "the Government of Wales"
_DEMONYMS = {"welsh": ("wales",), "scottish": ("scotland",), "scots": ("scotland",), "english": ("england",),
             "irish": ("ireland",), "british": ("britain", "uk"), "dutch": ("netherlands", "holland"),
             "european": ("europe", "eu")}  # fmt: skip
# Words for the overlap: letters only, so "data-led" is two words and "COVID-19" is "covid".
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_TOKEN = re.compile(r"\w+(?:['-]\w+)*")
# Digits with a mark inside, whose marks a translated point may use the other way round ("1.200", "3,5")
_DECIMAL_MARKS = re.compile(r"\d[\d.,]*[.,]\d+")
_SWAP = str.maketrans(".,", ",.")
# What, between two words, says the second opens a sentence: end punctuation (perhaps closed by a quote or
# bracket) or a colon then a space, or a line break.
_SENTENCE_START = re.compile(r"[.!?:;][\"')\]]*\s|\n")


def problems(
    text: str,
    evidence: Sequence[str],
    names: Iterable[str | None] = (),
    *,
    min_overlap: float = MIN_OVERLAP,
    translated: bool = False,
) -> list[str]:
    """Why the cited evidence does not back the point's text; [] when it does.

    `evidence` is the text of each cited sentence or quote; `names` the record's details (organisation, nation,
    title) where a name, or a number inside a name, may also come from. `translated`: the point is written in
    another language than its evidence (a summary asked for in Dutch of an English case): words cannot be
    compared, so only figures (read with either decimal mark, "12,5" or "12.5"), loops, and names that survive
    translation unchanged (acronyms and codes such as "NHS", "18F") are checked.
    """
    evidence = [e for e in evidence if e and e.strip()]
    if not evidence:
        return [CITES_NOTHING]
    if not any(ch.isalnum() for ch in text):  # an empty point cites real sentences and says nothing of them
        return [SAYS_NOTHING]
    text = _fold(text)
    joined = _fold("\n".join(evidence))
    details = [_fold(n) for n in names if n and n.strip()]
    if len(_own_words(text, details)) < MIN_OWN_WORDS:  # "Fife Council": a name is not a point, however cited
        return [SAYS_NOTHING]
    reasons: list[str] = []
    loop = _loop(text, joined)
    if loop:
        reasons.append(loop)
    missing = _missing_numbers(text, joined, details)
    if translated and missing:  # "1.200" and "3,5" in Dutch are 1,200 and 3.5 in English
        swapped = _missing_numbers(_DECIMAL_MARKS.sub(lambda m: m.group(0).translate(_SWAP), text), joined, details)
        if len(swapped) < len(missing):  # said back as the point wrote it
            missing = [re.sub(r'"[^"]*"', lambda m: m.group(0).translate(_SWAP), reason) for reason in swapped]
    reasons += missing
    reasons += _missing_names(text, joined, details, codes_only=translated)
    if translated:
        return reasons
    shared, total = overlap(text, evidence, details)
    if total and shared < min_overlap * total:
        reasons.append(f"shares too few words with its evidence ({shared} of {total})")
    return reasons


def overlap(text: str, evidence: Sequence[str], names: Iterable[str | None] = ()) -> tuple[int, int]:
    """How many of the point's content words (by stem) are in its evidence, and of how many.

    Words of the record's details (the organisation's name, the nation, the title) are left out of both counts:
    naming the body is neither support nor the lack of it, and counting them as shared let a point citing an
    unrelated sentence pass (measured: see the module docstring).
    """
    said = [_fold(part) for part in evidence]
    known = {_stem(w) for part in said for w in _WORD.findall(part)}
    neutral = {_stem(w) for name in names if name for w in _WORD.findall(_fold(name))} - known
    words = [w for w in _WORD.findall(_fold(text)) if _content(w) and _stem(w) not in neutral]
    return sum(1 for w in words if _stem(w) in known or _spelled_out(w, said)), len(words)


def _own_words(text: str, details: Sequence[str]) -> list[str]:
    """The point's content words that are not words of the names among the record's details (a body, a nation:
    a few words; a title says what the case is about, and a point may say it too)."""
    named = {_stem(w) for name in details if len(words := _WORD.findall(name)) <= MAX_NAME_WORDS for w in words}
    return [w for w in _WORD.findall(text) if _content(w) and _stem(w) not in named]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_TRANSLATE)


def _content(word: str) -> bool:
    lower = word.casefold()
    plain = lower.removesuffix("'s")
    return (
        len(plain) > 1
        and plain not in FUNCTION_WORDS
        and lower not in FUNCTION_WORDS
        and plain not in _SMALL_NUMBERS
        and plain not in _TENS
        and plain not in _ORDINALS
    )


def _stem(word: str) -> str:
    word = word.casefold().removesuffix("'s")
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:STEM_CHARS]


def _loop(text: str, evidence: str) -> str | None:
    """'repeats itself ("…", n times)' when a run of words recurs as a small model's loop does."""
    words = [w.casefold() for w in _TOKEN.findall(text)]
    runs = Counter(tuple(words[i : i + LOOP_WORDS]) for i in range(len(words) - LOOP_WORDS + 1))
    if not runs:
        return None
    run, count = runs.most_common(1)[0]
    if count < LOOP_REPEATS:
        return None
    said = [w.casefold() for w in _TOKEN.findall(evidence)]
    in_evidence = sum(1 for i in range(len(said) - LOOP_WORDS + 1) if tuple(said[i : i + LOOP_WORDS]) == run)
    if count <= in_evidence:
        return None
    first = next(i for i in range(len(words)) if tuple(words[i : i + LOOP_WORDS]) == run)
    shown = " ".join(words[first : first + LOOP_WORDS + 1])
    return f'repeats itself ("{shown}…", {count} times)'


def _numbers(text: str, *, as_point: bool) -> list[tuple[str, frozenset[Decimal | str]]]:
    """Each figure in the text as written, with the values any faithful rewording of it may have."""
    found: list[tuple[str, frozenset[Decimal | str]]] = []
    # a fraction in a point ("a third of staff", "two thirds") rounds a figure; it is not one to look up
    taken: list[tuple[int, int]] = [m.span() for m in _FRACTION.finditer(text)] if as_point else []
    for match in _DOTTED_DATE.finditer(text):  # "12.03.2024": day, month and year, not the decimal 12.03
        day, month, year = (int(part) for part in match.group(0).split("."))
        found.append((match.group(0), frozenset({Decimal(day), Decimal(month), Decimal(year), f"month {month}"})))
        taken.append(match.span())
    for match in _MONTH.finditer(text):  # a month is part of a date: "in May" citing April is a wrong date
        found.append((match.group(0), frozenset({f"month {_MONTHS[match.group(0)[:3].casefold()]}"})))
    for match in _A_SCALE.finditer(text):
        found.append((match.group(0), frozenset({Decimal(_SCALES[match.group(1).casefold()])})))
        taken.append(match.span())
    if not as_point:  # in evidence only: a point saying "half" says no figure to look up
        for match in _WORD_FIGURE.finditer(text):
            found.append((match.group(0), frozenset(_WORD_FIGURES[match.group(0).casefold()])))
    for match in _YEAR_RANGE.finditer(text):
        first, second = match.group(1), match.group(2)
        last = int(second) if len(second) == 4 else int(first[:2] + second)
        if last > int(first):
            found.append((match.group(0), frozenset({Decimal(first), Decimal(last)})))
            taken.append(match.span())
    for match in _NUMBER.finditer(text):
        if any(start <= match.start() < end for start, end in taken):
            continue
        digits, word, scale = match.groups()
        if word and as_point and word.casefold() in _IDIOMATIC:
            continue
        currency = text[max(0, match.start() - 1) : match.start()] if match.start() else ""
        currency = currency if currency in {"£", "$", "€"} else ""
        if scale and scale.casefold() in {"m", "b"} and not currency:
            scale = None  # "5m" may be metres and "B" a grade: a one-letter scale counts only after a currency sign
        value = _value(digits, word)
        if value is None:
            continue
        values = {value * _SCALES[scale.casefold()]} if scale else {value}
        if scale and not as_point:
            values.add(value)  # evidence's "£1.2 million" also covers a point's "1.2 million pounds" read as 1.2
        percent = _PERCENT.match(text, match.end())
        shown = currency + match.group(0).strip() + (percent.group(0) if percent else "")
        found.append((shown, frozenset(values)))
    return found


def _value(digits: str | None, word: str | None) -> Decimal | None:
    if digits:
        try:
            return Decimal(digits.replace(",", "")).normalize()
        except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
            return None
    if word is None:
        return None
    parts = [part.casefold() for part in re.split(r"[- ]", word)]
    return Decimal(sum(_SMALL_NUMBERS.get(p, _TENS.get(p, _ORDINALS.get(p, 0))) for p in parts))


def _missing_numbers(text: str, evidence: str, details: list[str]) -> list[str]:
    for detail in details:  # a number named in one of the record's own details ("Windows 11") is that detail's
        for named in (detail, *_NAMED_NUMBER.findall(detail)):
            if any(ch.isdigit() for ch in named):
                text = re.sub(re.escape(named), " ", text, flags=re.IGNORECASE)
    known: set[Decimal | str] = set()
    for _, values in _numbers(evidence, as_point=False):
        known |= values
    reasons: list[str] = []
    for shown, values in _numbers(text, as_point=True):
        if not values <= known:
            kind = "date" if any(isinstance(value, str) for value in values) else "figure"
            reason = f'the {kind} "{shown}" is not in its evidence'
            if reason not in reasons:
                reasons.append(reason)
    return reasons


def _missing_names(text: str, evidence: str, details: list[str], *, codes_only: bool = False) -> list[str]:
    known = {w.casefold().removesuffix("'s") for part in (evidence, *details) for w in _TOKEN.findall(part)}
    known |= {p for part in (evidence, *details) for w in _TOKEN.findall(part) for p in w.casefold().split("-")}
    reasons: list[str] = []
    for name in _names(text):
        if codes_only and not any(_is_code(w) for w in re.split(r"[\s-]+", name)):
            continue
        words = [w for w in re.split(r"[\s-]+", name) if w]
        missing = [
            w for w in words
            if w.casefold().removesuffix("'s") not in NAME_STOP_WORDS
            and w.casefold().removesuffix("'s") not in known
            and w.casefold() not in known
            and not any(nation in known for nation in _DEMONYMS.get(w.casefold(), ()))
            and not _spelled_out(w, (evidence, *details))
        ]  # fmt: skip
        if missing:
            reason = f'the name "{name}" is not in its evidence or the record\'s details'
            if reason not in reasons:
                reasons.append(reason)
    return reasons


def _spelled_out(word: str, texts: Iterable[str]) -> bool:
    """Is an acronym ("AI", "NRW", "DOJ") the initials of words its evidence or details spell out?"""
    word = word.removesuffix("'s").removesuffix("s") if word.endswith("s") and word[:-1].isupper() else word
    if not (word.isupper() and word.isalpha() and 2 <= len(word) <= 8):
        return False
    wanted = word.casefold()
    for text in texts:
        words = [w.casefold() for w in _WORD.findall(text)]
        content = "".join(w[0] for w in words if w not in FUNCTION_WORDS)
        # with the small words too ("Department of Justice" -> DOJ) only from three letters: two-letter runs of
        # initials such as "a" + "i" ("as in") are everywhere
        every = "".join(w[0] for w in words) if len(wanted) >= 3 else ""
        if wanted in content or wanted in every:
            return True
    return False


def _is_code(word: str) -> bool:
    """"NHS", "GovWifi"; and codes of digits and capitals ("18F", "M25", "5G"), which are names too ("60k",
    "6-month" and "3rd" are figures)."""
    return sum(1 for ch in word if ch.isupper()) >= 2 or (
        any(ch.isdigit() for ch in word) and any(ch.isupper() for ch in word)
    )


def _names(text: str) -> list[str]:
    """Proper names in the text: runs of capitalised words not opening a sentence, and words with two capitals."""
    tokens = list(_TOKEN.finditer(text))
    names: list[str] = []
    run: list[re.Match[str]] = []

    def close() -> None:
        if run:
            names.append(text[run[0].start() : run[-1].end()].removesuffix("'s"))
            run.clear()

    for i, token in enumerate(tokens):
        word = token.group(0)
        capitalised = word[0].isupper()
        acronym = _is_code(word)
        adjacent = bool(run) and re.fullmatch(r"[ \t]+", text[run[-1].end() : token.start()]) is not None
        if not adjacent:
            close()
        if not (capitalised or acronym) or _MONTH.fullmatch(word):
            continue  # a month is checked with the figures, as part of a date
        before = text[tokens[i - 1].end() : token.start()] if i else ""
        opening = i == 0 or _SENTENCE_START.search(before) is not None
        if opening and not acronym and not run:
            following = tokens[i + 1] if i + 1 < len(tokens) else None
            next_capitalised = (
                following is not None
                and following.group(0)[0].isupper()
                and re.fullmatch(r"[ \t]+", text[token.end() : following.start()]) is not None
            )
            if not next_capitalised or word.casefold() in FUNCTION_WORDS:
                continue  # "The council..." opens a sentence; "Acme Analytics built..." names someone
        run.append(token)
    close()
    return names
