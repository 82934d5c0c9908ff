"""Write tests/data/gold/inputs.jsonl: the development benchmark's gold records for the shipped inputs/.

Run once (`.venv/bin/python bench/make_inputs_gold.py`), then read the file and correct it by hand: it is the
labelling, this script only saves typing. Each sentence is evidence of the section its document puts it under:
the Markdown files' own headings, and for the plain-text files (no headings) each paragraph's role, given below by
hand after reading them. A paragraph or heading that is no section (the title, "Next steps") is evidence of nothing.
The metadata comes from inputs/README.md's table; the year is the latest year of the work each file describes.

The records are in `trendsum export`'s format (one point per gold sentence, evidence cited by sentence id and
span), with `provenance.source_path` relative to the gold file's folder, so `trendsum eval --gold` finds the
sources from any working folder.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from trendsum.domain.sentences import segment
from trendsum.ingest import Source, read_case

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ROOT / "inputs"
GOLD = ROOT / "tests" / "data" / "gold" / "inputs.jsonl"

HEADINGS = {
    "background": "overview", "context": "overview", "overview": "overview",
    "the challenge": "challenges", "the problem": "challenges",
    "our approach": "approach", "what we did": "approach", "solution": "approach",
    "results": "outcomes", "outcomes": "outcomes", "impact": "outcomes", "benefits": "outcomes",
    "unintended consequences": "unintended_consequences",
    "lessons learnt": "lessons", "what we learned": "lessons", "advice for others": "lessons",
    "next steps": None,
}  # fmt: skip

# The plain-text files: the section of each blank-line paragraph, in order (the first is the title).
PARAGRAPHS = {
    "belfast-city-council-bins-chatbot.txt":
        [None, "overview", "challenges", "approach", "approach", "outcomes", "unintended_consequences", "lessons"],
    "conwy-county-borough-council-phishing-resilience.txt":
        [None, "overview", "challenges", "approach", "approach", "outcomes", "lessons"],
    "hampshire-fire-rescue-home-fire-risk-model.txt":
        [None, "overview", "challenges", "approach", "approach", "outcomes", "outcomes"],
    "nhs-highland-ai-phishing-triage.txt":
        [None, "overview", "challenges", "approach", "approach", "outcomes", "lessons"],
}  # fmt: skip

# From inputs/README.md: organisation, nation, trend, uses AI; and the year of the work (read in each file).
META = {
    "fife-council-ai-housing-repairs.md": ("Fife Council", "Scotland", "reimagining services", True, 2024),
    "kent-county-council-pothole-computer-vision.md": ("Kent County Council", "England", "harnessing data", True, 2024),
    "leeds-city-council-genai-social-care-notes.md":
        ("Leeds City Council", "England", "reimagining services", True, 2025),
    "gemeente-utrecht-early-debt-signals.md": ("Gemeente Utrecht", "Netherlands", "harnessing data", False, 2024),
    "natural-resources-wales-ransomware-readiness.md":
        ("Natural Resources Wales", "Wales", "cyber security", False, 2022),
    "conwy-county-borough-council-phishing-resilience.txt":
        ("Conwy County Borough Council", "Wales", "cyber security", False, 2023),
    "belfast-city-council-bins-chatbot.txt":
        ("Belfast City Council", "Northern Ireland", "reimagining services", True, 2024),
    "hampshire-fire-rescue-home-fire-risk-model.txt":
        ("Hampshire and Isle of Wight Fire and Rescue Service", "England", "harnessing data", True, 2024),
    "nhs-highland-ai-phishing-triage.txt": ("NHS Highland", "Scotland", "cyber security", True, 2025),
}  # fmt: skip

# The AI application's evidence: the approach's sentences that say what the AI is or does.
AI_WORDS = re.compile(r"\b(AI|machine learning|model|computer vision|language model|generative|algorithm)\b")
# Corrections after reading the first output: this sentence says how referrals still work, not what the AI does.
NOT_AI = ("Partner referrals continue",)
# Not evidence of anything: a bold run-in heading ("**Flag, don't hide.**") or a lead-in to a list ("Over that
# period:"), which say nothing on their own.
NOT_EVIDENCE = re.compile(r"^\*\*[^*]+\*\*$|:$")


def labels(name: str, text: str) -> dict[int, str]:
    """Sentence id -> section, from the headings (Markdown) or the paragraphs' roles (plain text)."""
    sentences = segment(text)
    found: dict[int, str] = {}
    if name in PARAGRAPHS:
        starts = [0] + [m.end() for m in re.finditer(r"\n\s*\n", text)]
        for sentence in sentences:
            paragraph = sum(start <= sentence.start for start in starts) - 1
            section = PARAGRAPHS[name][paragraph]
            if section and not NOT_EVIDENCE.search(sentence.text):
                found[sentence.id] = section
        return found
    section = None
    for sentence in sentences:
        if sentence.heading:
            key = sentence.text.lstrip("#").strip().lower()
            section = HEADINGS[key] if key in HEADINGS else (None if sentence.text.startswith("# ") else section)
            continue
        if section and not NOT_EVIDENCE.search(sentence.text):
            found[sentence.id] = section
    return found


def record(path: Path) -> dict[str, object]:
    case = read_case(Source(path, path.stem))
    sentences = {s.id: s for s in segment(case.text)}
    section_of = labels(path.name, case.text)

    def cite(ids: list[int]) -> list[dict[str, object]]:
        return [{"text": sentences[i].text, "sentence": i, "start": sentences[i].start, "end": sentences[i].end}
                for i in ids]  # fmt: skip

    def points(section: str) -> list[dict[str, object]]:
        return [{"text": sentences[i].text, "evidence": cite([i])} for i, s in section_of.items() if s == section]

    organisation, nation, trend, uses_ai, year = META[path.name]
    overview = [i for i, s in section_of.items() if s == "overview"]
    ai = [i for i, s in section_of.items() if s == "approach" and AI_WORDS.search(sentences[i].text)
          and not sentences[i].text.startswith(NOT_AI)]
    data: dict[str, object] = {
        "id": path.stem, "version": 1, "status": "approved", "title": case.title,
        "organisation": organisation, "nation": nation, "year": year, "trend": trend,
        "ai_application": {"text": "How AI is used.", "evidence": cite(ai)} if uses_ai and ai else None,
        "overview": {"text": "Who did what, and why.", "evidence": cite(overview)},
    }  # fmt: skip
    for section in ("challenges", "approach", "outcomes", "unintended_consequences", "lessons"):
        data[section] = points(section)
    data["provenance"] = {"engine": "human", "model": "gold", "prompt_name": "labelled by hand",
                          "source_path": f"../../../inputs/{path.name}", "language": "en",
                          "source_sha256": hashlib.sha256(path.read_bytes()).hexdigest()}  # fmt: skip
    return data


def main() -> None:
    files = sorted(p for p in INPUTS.iterdir() if p.name in META)
    GOLD.parent.mkdir(parents=True, exist_ok=True)
    with GOLD.open("w", encoding="utf-8") as out:
        for path in files:
            out.write(json.dumps(record(path), ensure_ascii=False) + "\n")
    print(f"wrote {len(files)} gold records to {GOLD.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
