"""Section accuracy of an engine on real case studies not used to train its section model, with and without headings.

The inventory (../shared/data/real-case-studies/us-federal-ai-inventory-2025/, see its data_dictionary.md) answers
three questions per use case in columns that are, in effect, labelled sections: `problem_solved` (challenges),
`system_outputs` (approach) and `benefits` (outcomes). This script builds a gold set from them at run time: one case
text per row, once as plain prose (the three answers as paragraphs, no headings) and once with a heading before
each, and as gold evidence the sentences of each column. It writes the sources and gold files to a temporary folder
(nothing read from ../shared is kept, or committed), runs `trendsum eval --gold` on each, and prints:

  section accuracy  the share of the gold sentences the engine cites in their section (what a summary gets right)
  placement         of the gold sentences it cites at all, the share in their section (how well it sorts what it
                    picks, whatever the cap on points per section)

With --documents, the same for the 18F and HM Land Registry documents that scripts/train_sections.py held out of
the section model's training, labelled by their own headings as that script labels them (a sentence its source
puts in two sections, Land Registry's "Resolving issues", is no gold sentence): once as they are, and once with
every heading line removed (the paragraphs kept).

Usage: .venv/bin/python bench/eval_inventory.py [--cases 300] [--engine offline] [--keep DIR] [--data DIR]
                                                [--held-out] [--documents]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from trendsum.domain.sentences import segment

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "real-case-studies" / "us-federal-ai-inventory-2025"
COLUMNS = {"problem_solved": "challenges", "system_outputs": "approach", "benefits": "outcomes"}
HEADINGS = {"challenges": "The challenge", "approach": "Approach", "outcomes": "Benefits"}
MIN_CHARS = 60  # an answer shorter than this is a placeholder ("N/A", "See above"), not a section


def rows(data: Path, wanted: int) -> list[dict[str, str]]:
    """Every use case whose three answers say something, in id order, thinned evenly to `wanted` (deterministic)."""
    with (data / "2025_individually_reported_AI_use_cases.csv").open(encoding="utf-8-sig", newline="") as handle:
        usable = [r for r in csv.DictReader(handle)
                  if all(len((r.get(c) or "").strip()) >= MIN_CHARS for c in COLUMNS)]  # fmt: skip
    usable.sort(key=lambda r: r["id"])
    step = max(1, len(usable) // wanted)
    return usable[::step][:wanted]


def case(row: dict[str, str], headed: bool) -> tuple[str, dict[str, list[int]]]:
    """The case text and, per section, the ids of the sentences that came from its column."""
    parts = [f"# {row['use_case_name'].strip()}" if headed else row["use_case_name"].strip()]
    spans: dict[int, tuple[int, int]] = {}
    for column, section in COLUMNS.items():
        if headed:
            parts.append(f"## {HEADINGS[section]}")
        parts.append(" ".join(row[column].split()))
    text = ""
    for index, part in enumerate(parts):
        start = len(text) + (2 if text else 0)
        text = f"{text}\n\n{part}" if text else part
        spans[index] = (start, len(text))
    body = [i for i in range(len(parts)) if not parts[i].startswith("#")][1 if not headed else 0 :]
    gold: dict[str, list[int]] = {section: [] for section in COLUMNS.values()}
    for sentence in segment(text):
        for index, section in zip(body, COLUMNS.values(), strict=True):
            start, end = spans[index]
            if start <= sentence.start and sentence.end <= end and not sentence.heading:
                gold[section].append(sentence.id)
    return text + "\n", gold


def write_set(folder: Path, selected: list[dict[str, str]], headed: bool) -> Path:
    folder.mkdir(parents=True)
    with (folder / "gold.jsonl").open("w", encoding="utf-8") as out:
        for number, row in enumerate(selected, 1):
            name = f"case-{number:04d}.md"  # ids hold spaces and dots: a file name of their own is safer
            text, gold = case(row, headed)
            (folder / name).write_text(text, encoding="utf-8")
            by_id = {s.id: s for s in segment(text)}
            record: dict[str, object] = {
                "id": f"{number:04d} {row['id'].strip()}", "title": row["use_case_name"], "organisation": None,
                "nation": "United States", "year": None, "trend": "other", "ai_application": None, "overview": None,
            }  # fmt: skip
            for section, ids in gold.items():
                record[section] = [{"text": by_id[i].text, "evidence": [
                    {"text": by_id[i].text, "sentence": i, "start": by_id[i].start, "end": by_id[i].end}]} for i in ids]
            record["provenance"] = {"source_path": name, "language": "en"}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return folder / "gold.jsonl"


def evaluate(gold: Path, engine: str, source: Path | None = None) -> dict[str, object]:
    """`trendsum eval` on a gold set; from another source tree's `src/` when given (an older trendsum)."""
    env = {**os.environ, "PYTHONPATH": str(source.resolve())} if source else None
    done = subprocess.run([sys.executable, "-m", "trendsum", "eval", "--gold", str(gold), "--engine", engine, "--json"],
                          capture_output=True, text=True, check=False, env=env)  # fmt: skip
    if done.returncode not in (0, 1):
        sys.exit(done.stderr)
    return json.loads(done.stdout)


def _training_script():  # noqa: ANN202 - a module
    sys.path.insert(0, str(ROOT / "scripts"))
    import train_sections  # noqa: PLC0415 - a script beside this one, imported only for these options

    return train_sections


def held_out_agencies(data: Path) -> set[str]:
    """The agencies whose rows the shipped section model never saw (its training script's own split)."""
    train_sections = _training_script()
    examples = list(train_sections._inventory(data / "2025_individually_reported_AI_use_cases.csv"))
    _, test = train_sections.split(examples)
    return {e.group for e in test if e.source == "inventory"}


def write_documents(folder: Path, data: Path, headed: bool) -> Path:
    """The held-out 18F and Land Registry documents as a gold set: their text (headings removed unless `headed`)
    and, per section, the sentences their headings put in it."""
    from trendsum.ingest.case import read_case  # noqa: PLC0415
    from trendsum.ingest.sources import Source  # noqa: PLC0415

    train_sections = _training_script()
    _, test = train_sections.split(train_sections.load(data))
    held: dict[str, list] = {}
    for example in test:
        if example.source != "inventory":
            held.setdefault(example.document, []).append(example)
    files = {p.name: p for kind in ("18f", "land-registry-llc") for p in sorted((data / kind).glob("*"))}
    folder.mkdir(parents=True)
    with (folder / "gold.jsonl").open("w", encoding="utf-8") as out:
        for number, (document, examples) in enumerate(sorted(held.items()), 1):
            path = files[document]
            case = read_case(Source(path, path.stem))
            text = train_sections._TEMPLATE.sub("", case.text)
            if not headed:  # every heading line out, its paragraph break kept
                for sentence in reversed([s for s in segment(text) if s.heading]):
                    text = text[: sentence.start] + text[sentence.end :]
            name = f"doc-{number:02d}.md"
            (folder / name).write_text(text, encoding="utf-8")
            sentences = segment(text)
            record: dict[str, object] = {
                "id": f"{number:02d} {document}", "title": case.title, "organisation": None, "nation": None,
                "year": None, "trend": "other", "ai_application": None, "overview": None,
                **{section: [] for section in ("challenges", "approach", "outcomes", "lessons")},
            }  # fmt: skip
            at = 0
            for example in examples:
                label = "challenges" if example.gold == ("challenges", "overview") else example.label
                found = next((s for s in sentences if s.start >= at and s.text == example.text), None)
                if found is None:
                    continue
                at = found.end
                if label in record:
                    evidence = {"text": found.text, "sentence": found.id, "start": found.start, "end": found.end}
                    record[label].append({"text": found.text, "evidence": [evidence]})  # type: ignore[union-attr]
            record["provenance"] = {"source_path": name, "language": "en"}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return folder / "gold.jsonl"


def show(label: str, report: dict[str, object], names: tuple[str, ...]) -> None:
    overall, sections = report["overall"], report["sections"]
    assert isinstance(overall, dict) and isinstance(sections, dict)
    per = "  ".join(f"{name} {sections[name]['section_accuracy'] or 0:.2f}/{sections[name]['placement'] or 0:.2f}"
                    for name in names)  # fmt: skip
    print(f"{label:10} {overall['section_accuracy']:16.3f} {overall['placement']:10.3f}   {per}"
          f"   (scored {report['cases']}, skipped {len(report['skipped'])})")  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--engine", default="offline")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--keep", type=Path, help="write the sets here (a new folder) instead of a temporary one")
    parser.add_argument("--trendsum-src", type=Path, help="evaluate with the trendsum in this src/ folder")
    parser.add_argument("--held-out", action="store_true",
                        help="only the agencies scripts/train_sections.py held out of the section model's training")
    parser.add_argument("--documents", action="store_true",
                        help="also the 18F and Land Registry documents held out of the section model's training")
    args = parser.parse_args()
    selected = rows(args.data, args.cases)
    if args.held_out:
        held = held_out_agencies(args.data)
        selected = [r for r in selected if (r.get("agency") or "?") in held]
        print(f"held out of training: {len(held)} agencies")
    with tempfile.TemporaryDirectory() as scratch:
        base = args.keep or Path(scratch)
        print(f"{len(selected)} use cases from {args.data.name}, engine {args.engine}")
        print(f"{'':10} {'section accuracy':>16} {'placement':>10}   per section (accuracy / placement)")
        for label, headed in (("headings", True), ("prose", False)):
            report = evaluate(write_set(base / label, selected, headed), args.engine, args.trendsum_src)
            show(label, report, tuple(COLUMNS.values()))
        if args.documents:
            print("\nheld-out 18F and Land Registry documents")
            for label, headed in (("headings", True), ("prose", False)):
                gold = write_documents(base / f"documents-{label}", args.data.parent, headed)
                report = evaluate(gold, args.engine, args.trendsum_src)
                show(label, report, ("challenges", "approach", "outcomes", "lessons"))


if __name__ == "__main__":
    main()
