"""Choosing the support check's overlap threshold by measurement: labelled pairs, overlap, and the check's recall.

    python bench/bench_support.py
    python bench/bench_support.py --real ../shared/data/real-case-studies --rows 300 --show-false-alarms

Faithful pairs: the hand-written paraphrases in bench/data/support_faithful.jsonl (sentences of the shipped
`inputs/`), and pairs made at run time from the real documents under `--real` (never copied into the project):
a sentence with light mechanical rewording (numbers rewritten, a lead-in dropped, a few words swapped for
synonyms, a long tail cut). Unsupported pairs: each faithful point citing a different sentence of the same
document, with a figure changed, with a name from another case added, and looping. Prints the overlap
distribution, recall and false alarms of the whole check at several thresholds, and what the check says about
the offline engine's own points over `inputs/` (which must raise (almost) nothing).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import statistics
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from trendsum.domain import support
from trendsum.domain.grounding import prepare, quote_in_source
from trendsum.engines.offline import summarise_case
from trendsum.errors import TrendsumError
from trendsum.ingest.case import read_case
from trendsum.ingest.sources import Source

ROOT = Path(__file__).resolve().parent.parent
HAND = ROOT / "bench" / "data" / "support_faithful.jsonl"
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
INVENTED_NAMES = ("Acme Analytics", "Capgemini", "Northshire Police", "the Home Office", "Deloitte")
SYNONYMS = {
    "used": "employed", "use": "employ", "helped": "assisted", "help": "assist", "improve": "enhance",
    "improved": "enhanced", "reduce": "cut", "reduced": "cut", "staff": "employees", "users": "people",
    "created": "built", "build": "create", "show": "demonstrate", "showed": "demonstrated", "began": "started",
    "large": "big", "quickly": "fast", "provide": "offer", "provides": "offers", "needed": "required",
    "across": "throughout", "about": "around", "more than": "over", "approximately": "about",
}  # fmt: skip
LEAD_INS = re.compile(r"^(?:As a result|To address this|In addition|However|Finally|First|Second|Third|Meanwhile|"
                      r"At the same time|Over that period|Additionally|Also),\s+", re.I)  # fmt: skip
SMALL = "zero one two three four five six seven eight nine ten".split()


@dataclass
class Pair:
    kind: str  # "faithful", "faithful (hand)", "other sentence", "invented figure", "swapped name", "loop"
    point: str
    evidence: list[str]
    names: list[str]
    source: str

    @property
    def faithful(self) -> bool:
        return self.kind.startswith("faithful")


def sentences_of(text: str) -> list[str]:
    """The document's sentences, verbatim, by the project's segmenter (the offline engine's where it is absent)."""
    try:
        from trendsum.domain.sentences import segment

        found = [s.text for s in segment(text) if not s.heading]
    except ImportError:  # pragma: no cover - before the shared segmenter landed
        from trendsum.engines.offline import split_sentences

        found = [s.text for s in split_sentences(text)]
    # page templates ("{% include ... %}", "<!-- -->") are not prose anyone would summarise
    return [" ".join(s.split()) for s in found if len(s.split()) >= 8 and not re.search(r"\{%|<!--|%\}", s)]


def reword(sentence: str, rng: random.Random) -> str:
    """A faithful point made mechanically: what a summariser does to a sentence without changing what it says."""
    text = re.sub(r"\*\*|__|`", "", re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", sentence))
    text = LEAD_INS.sub("", text)
    text = text[:1].upper() + text[1:]
    text = re.sub(r"(\d)\s?%", lambda m: m.group(1) + rng.choice([" per cent", " percent", "%"]), text)
    text = re.sub(r"\b(\d{1,3}),(\d{3})\b", r"\1\2", text) if rng.random() < 0.5 else text
    text = re.sub(r"\b((?:19|20)\d\d)/(\d\d)\b", r"\1-\2", text)
    text = re.sub(r"\b([2-9])\b(?=\s[a-z])", lambda m: SMALL[int(m.group(1))] if rng.random() < 0.5 else m.group(1),
                  text)  # fmt: skip
    for word, other in SYNONYMS.items():
        if rng.random() < 0.6:
            text = re.sub(rf"\b{word}\b", other, text)
    words = text.split()
    if len(words) > 30:  # summaries drop a long sentence's tail clause
        cut = max((i for i, w in enumerate(words[:30]) if w.endswith((",", ";")) and i >= 12), default=29)
        text = " ".join(words[: cut + 1]).rstrip(",;") + "."
    return text


def invent_figure(point: str, rng: random.Random) -> str:
    """The point with one of its figures changed, or a figure added when it has none."""
    numbers = list(re.finditer(r"\d[\d,]*(?:\.\d+)?", point))
    if numbers:
        m = rng.choice(numbers)
        digits = m.group(0).replace(",", "")
        value = float(digits) if "." in digits else int(digits)
        changed = value * 3 + 7 if isinstance(value, int) else round(value * 2.5 + 1, 1)
        return point[: m.start()] + str(changed) + point[m.end() :]
    return point.rstrip(".") + rng.choice([", cutting complaints by 90 percent.", ", saving £2.5m a year.",
                                            " in 2019.", ", a rise of 35%."])  # fmt: skip


def swap_name(point: str, names: Sequence[str], rng: random.Random, others: Sequence[str]) -> str:
    """The point with its body's name replaced by another's, or another body added."""
    stranger = rng.choice([*INVENTED_NAMES, *others])
    for name in names:
        if name and name in point:
            return point.replace(name, stranger)
    return point.rstrip(".") + f", working with {stranger}."


def loop(point: str) -> str:
    phrase = " ".join(point.split()[:7]).rstrip(".,;")
    return point + " " + " ".join([phrase + "."] * 12)


def variants(faithful: Pair, others: list[str], organisations: list[str], rng: random.Random) -> list[Pair]:
    """The faithful pair and its unsupported twins."""
    made = [faithful]
    pool = [s for s in others if s not in faithful.evidence]
    if pool:
        made.append(Pair("other sentence", faithful.point, [rng.choice(pool)], faithful.names, faithful.source))
    made.append(Pair("invented figure", invent_figure(faithful.point, rng), faithful.evidence, faithful.names,
                     faithful.source))  # fmt: skip
    strangers = [o for o in organisations if o not in faithful.names]
    made.append(Pair("swapped name", swap_name(faithful.point, faithful.names, rng, strangers), faithful.evidence,
                     faithful.names, faithful.source))  # fmt: skip
    made.append(Pair("loop", loop(faithful.point), faithful.evidence, faithful.names, faithful.source))
    return made


def case_names(path: Path) -> tuple[str, list[str], list[str]]:
    """The document's text, its details as the record would carry them, and its sentences."""
    case = read_case(Source(path, path.stem))
    try:
        summary = summarise_case(case)
        names = [n for n in (summary.organisation, summary.nation, summary.title) if n]
    except TrendsumError:
        names = [case.title]
    return case.text, names, sentences_of(case.text)


def hand_pairs(rng: random.Random, organisations: list[str]) -> list[Pair]:
    pairs: list[Pair] = []
    cached: dict[str, tuple[str, list[str], list[str]]] = {}
    for line in HAND.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        path = ROOT / "inputs" / item["file"]
        text, names, sentences = cached.setdefault(item["file"], case_names(path))
        for quote in item["evidence"]:
            if not quote_in_source(quote, prepare(text)):
                sys.exit(f"{HAND.name}: evidence not in {item['file']}: {quote!r}")
        pairs += variants(Pair("faithful (hand)", item["point"], item["evidence"], names, item["file"]), sentences,
                          organisations, rng)  # fmt: skip
    return pairs


def real_pairs(real: Path, rows: int, per_doc: int, rng: random.Random, organisations: list[str]) -> list[Pair]:
    pairs: list[Pair] = []
    documents = sorted(real.glob("18f/*.md")) + sorted(real.glob("land-registry-llc/*.odt"))
    for path in documents:
        try:
            _, names, sentences = case_names(path)
        except TrendsumError as error:
            print(f"  skipped {path.name}: {error}", file=sys.stderr)
            continue
        for sentence in rng.sample(sentences, min(per_doc, len(sentences))):
            faithful = Pair("faithful", reword(sentence, rng), [sentence], names, path.name)
            pairs += variants(faithful, sentences, organisations, rng)
    inventory = next(real.glob("us-federal-ai-inventory-2025/*.csv"), None)
    if inventory is not None:
        with inventory.open(encoding="utf-8-sig", newline="") as handle:
            records = [r for r in csv.DictReader(handle) if len((r.get("benefits") or "").split()) >= 12]
        for record in rng.sample(records, min(rows, len(records))):
            benefits = sentences_of(record["benefits"]) or [" ".join(record["benefits"].split())]
            others = sentences_of(f"{record['problem_solved']}\n\n{record['system_outputs']}")
            names = [record[k] for k in ("agency", "agency_name", "use_case_name", "agency_bureau") if record.get(k)]
            sentence = rng.choice(benefits)
            faithful = Pair("faithful", reword(sentence, rng), [sentence], names, record.get("id", "?"))
            pairs += variants(faithful, others, organisations, rng)
    return pairs


def quantiles(values: list[float]) -> str:
    if not values:
        return "(none)"
    cuts = statistics.quantiles(values, n=10, method="inclusive")
    return f"n={len(values):4d}  p10 {cuts[0]:.2f}  median {statistics.median(values):.2f}  p90 {cuts[-1]:.2f}"


def histogram(values: list[float]) -> str:
    buckets = Counter(min(int(v * 10), 9) for v in values)
    return " ".join(f"{b / 10:.1f}:{buckets.get(b, 0)}" for b in range(10))


def offline_report(label: str, paths: list[Path]) -> None:
    """What the check says about the offline engine's own points, whose evidence is the point, lightly cleaned."""
    flagged, total, reasons = 0, 0, Counter[str]()
    for path in paths:
        try:
            summary = summarise_case(read_case(Source(path, path.stem)))
        except TrendsumError:
            continue
        names = [n for n in (summary.organisation, summary.nation, summary.title) if n]
        for where, point in summary.points():
            total += 1
            found = support.problems(point.text, point.quotes, names)
            if found:
                flagged += 1
                reasons.update(found)
                print(f"  {path.name} {where}: {found}")
    print(f"offline engine over {label}: {flagged} of {total} points flagged")
    for reason, count in reasons.most_common():
        print(f"  {count:3d}  {reason}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--real", type=Path, default=ROOT.parent / "shared" / "data" / "real-case-studies")
    parser.add_argument("--rows", type=int, default=300, help="inventory rows to sample")
    parser.add_argument("--per-doc", type=int, default=12, help="sentences to sample per real document")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--show-false-alarms", action="store_true")
    parser.add_argument("--show-missed", type=int, default=0, metavar="N", help="print N missed pairs of each kind")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    organisations = [case_names(p)[1][0] for p in sorted((ROOT / "inputs").iterdir()) if p.name != "README.md"]
    pairs = hand_pairs(rng, organisations)
    if args.real.is_dir():
        pairs += real_pairs(args.real, args.rows, args.per_doc, rng, organisations)
    else:
        print(f"(no real documents at {args.real}: hand-written pairs only)")
    kinds = Counter(p.kind for p in pairs)
    print("pairs:", ", ".join(f"{k} {n}" for k, n in kinds.items()), f"(total {len(pairs)})")

    print("\noverlap (share of the point's content words found in its evidence; its details' words count neither way):")
    for kind in ("faithful (hand)", "faithful", "other sentence"):
        values = []
        for p in pairs:
            if p.kind == kind:
                shared, total = support.overlap(p.point, p.evidence, p.names)
                values.append(shared / total if total else 1.0)
        print(f"  {kind:16s} {quantiles(values)}\n  {'':16s} {histogram(values)}")

    print("\nwhole check (flagged = unsupported): recall per kind of unsupported pair; false alarms on faithful")
    header = ["threshold", "recall", "other sent.", "figure", "name", "loop", "precision", "false alarms", "(hand)"]
    print("  " + "  ".join(f"{h:>12s}" for h in header))
    for threshold in THRESHOLDS:
        flagged = [bool(support.problems(p.point, p.evidence, p.names, min_overlap=threshold)) for p in pairs]
        positives = [f for f, p in zip(flagged, pairs, strict=True) if not p.faithful]
        negatives = [f for f, p in zip(flagged, pairs, strict=True) if p.faithful]
        hand = [f for f, p in zip(flagged, pairs, strict=True) if p.kind == "faithful (hand)"]

        def rate(kind: str, flagged: list[bool] = flagged) -> float:
            chosen = [f for f, p in zip(flagged, pairs, strict=True) if p.kind == kind]
            return sum(chosen) / len(chosen) if chosen else float("nan")

        tp, fp = sum(positives), sum(negatives)
        row = [f"{threshold:.2f}", f"{tp / len(positives):.3f}", f"{rate('other sentence'):.3f}",
               f"{rate('invented figure'):.3f}", f"{rate('swapped name'):.3f}", f"{rate('loop'):.3f}",
               f"{tp / (tp + fp):.3f}", f"{fp / len(negatives):.3f} ({fp})",
               f"{sum(hand) / len(hand):.3f}"]  # fmt: skip
        print("  " + "  ".join(f"{c:>12s}" for c in row))

    missed: Counter[str] = Counter()
    for p in pairs:
        if not p.faithful and not support.problems(p.point, p.evidence, p.names):
            missed[p.kind] += 1
            if missed[p.kind] <= args.show_missed:
                print(f"  missed [{p.kind}, {p.source}] point: {p.point}\n    evidence: {p.evidence}")
    print(f"\nat MIN_OVERLAP={support.MIN_OVERLAP}: unsupported pairs not flagged, by kind: {dict(missed)}")
    false_alarms = [(p, r) for p in pairs if p.faithful and (r := support.problems(p.point, p.evidence, p.names))]
    reasons = Counter(re.sub(r'"[^"]*"|\(\d+ of \d+\)', "…", r) for _, found in false_alarms for r in found)
    print(f"false alarms on faithful pairs: {len(false_alarms)}; reasons: {dict(reasons)}")
    if args.show_false_alarms:
        for p, found in false_alarms:
            print(f"\n  [{p.kind}, {p.source}] point: {p.point}\n  evidence: {p.evidence}\n  names: {p.names}")
            print(f"  -> {found}")
    print()
    offline_report("inputs/", [p for p in sorted((ROOT / "inputs").iterdir()) if p.name != "README.md"])
    if args.real.is_dir():
        documents = sorted(args.real.glob("18f/*.md")) + sorted(args.real.glob("land-registry-llc/*.odt"))
        offline_report("the real 18F and Land Registry documents", documents)


if __name__ == "__main__":
    main()
