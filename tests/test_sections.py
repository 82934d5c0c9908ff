"""The learned section model: the shipped file loads fast and small, gives sensible sections, and its training
script rebuilds a model byte for byte from the same input (a small fixture written here, not ../shared)."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from types import ModuleType

import pytest
from helpers import load_script

from trendsum.engines import sections
from trendsum.errors import EngineError

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "src" / "trendsum" / "engines" / sections.MODEL_FILE

# written for this test; each says its section plainly, as a case study would
WRITTEN = {
    "challenges": "Staff struggled with a growing backlog of paper forms and long delays.",
    "approach": "The model outputs a risk score for each application, which a caseworker then reviews.",
    "outcomes": "The service will save staff around 2,000 hours a year and improve accuracy.",
    "lessons": "Make sure you involve frontline staff early and allow more time than you expect.",
}


def test_the_shipped_model_is_small_and_loads_quickly() -> None:
    raw = MODEL.read_text(encoding="utf-8")
    assert MODEL.stat().st_size < 300_000
    began = time.perf_counter()
    model = sections.parse_model(raw)
    assert time.perf_counter() - began < 1.0  # measured at ~15 ms; generous for a slow CI machine
    assert set(model.classes) == set(sections.SECTIONS) and len(model.weights) > 1000


@pytest.mark.parametrize("section", sorted(WRITTEN))
def test_sentences_written_here_get_their_section(section: str) -> None:
    guessed, probability = sections.predict(WRITTEN[section])
    assert guessed == section, sections.scores(WRITTEN[section])
    assert 0.25 < probability <= 1.0


def test_scores_are_probabilities_and_the_same_every_time() -> None:
    sentence = WRITTEN["lessons"]
    first = sections.scores(sentence)
    assert list(first) == list(sections.SECTIONS) and sum(first.values()) == pytest.approx(1.0)
    fresh = sections.parse_model(MODEL.read_text(encoding="utf-8"))  # not the cached copy
    assert fresh.scores(sentence) == first == sections.scores(sentence)
    # a sentence of words the model has never seen gets no strong opinion
    assert max(sections.scores("Zzyzx qwertyuiop blorft.").values()) < 0.6


def test_prediction_is_fast_enough_for_every_sentence_of_a_document() -> None:
    sections.predict("warm up")
    began = time.perf_counter()
    for _ in range(1000):
        sections.predict(WRITTEN["approach"])
    assert time.perf_counter() - began < 2.0  # ~40 ms on a laptop


def test_features_ignore_case_apostrophes_links_and_the_value_of_numbers() -> None:
    assert sections.features("We [built](http://x.example) it in 2023") == sections.features("we built IT in 1999")
    assert sections.features("Councils\u2019 data") == sections.features("Councils' data")
    assert "^ we" in sections.features("We built it") and "we built" in sections.features("We built it")


def test_combine_lets_strong_cues_win_then_a_sure_model_then_weak_cues() -> None:
    assert sections.combine(("unintended_consequences", 3.0), ("outcomes", 0.9)) == ("unintended_consequences", 3.0)
    assert sections.combine(("outcomes", 2.0), ("challenges", 0.8)) == ("challenges", 0.8)  # a weak cue gives way
    unsure = sections.FLOOR - 0.01
    assert sections.combine(("outcomes", 2.0), ("challenges", unsure)) == ("outcomes", 0.0)  # but is the fallback
    assert sections.combine((None, 0.0), ("approach", unsure)) == (None, 0.0)
    assert sections.combine((None, 0.0), ("approach", 0.75), floor=0.8) == (None, 0.0)
    # the order of picks: strong cue, then the model by its probability, then weak cues
    assert sections.combine(("lessons", 3.0), ("lessons", 0.99))[1] > sections.combine((None, 0), ("lessons", 0.99))[1]


@pytest.mark.parametrize(
    "raw, says",
    [
        ("not json", "cannot be read"),
        ('{"format": 99, "tokenizer": "words-pairs-v1"}', "format 99"),
        ('{"format": 1, "tokenizer": "words-pairs-v1", "classes": ["a"], "scale": 1}', "sections"),
    ],
)
def test_a_damaged_model_file_is_a_clear_error(raw: str, says: str) -> None:
    with pytest.raises(EngineError, match=says) as caught:
        sections.parse_model(raw)
    assert "train_sections.py" in str(caught.value)


# --- the training script, on a fixture with the layout of ../shared/data/real-case-studies -------------------------

PROBLEMS = [
    "Analysts spend hours reading incoming reports by hand and the backlog keeps growing.",
    "Requests arrive in many formats and staff cannot find duplicate cases quickly.",
    "Inspectors lack a reliable way to spot faulty equipment before it fails.",
    "The manual review process is slow and error prone, which delays payments to applicants.",
]
OUTPUTS = [
    "The system outputs a ranked list of reports with a suggested category for each.",
    "The model produces a summary of each case and flags likely duplicates for review.",
    "It generates a predicted failure date and a maintenance recommendation for each device.",
    "The tool extracts key fields from each form and returns a confidence score.",
]
BENEFITS = [
    "Staff will save hundreds of hours each year and respond to the public faster.",
    "Faster triage will reduce waiting times and improve the accuracy of decisions.",
    "Fewer outages will cut repair costs and keep services available to residents.",
    "Payments will reach applicants sooner and fewer errors will need correcting.",
]
LESSONS = [
    "Make sure you know where your data is before you start.",
    "Involve the people who do the work from the first meeting.",
    "Allow more time than you expect for testing and sign off.",
    "Keep a written record of every decision you make along the way.",
]
RESOLVING = [
    "Some records had no address, so the team matched them by hand against the map.",
    "Duplicate entries slowed the checks until a shared spreadsheet tracked every change.",
]


def _fixture(root: Path) -> Path:
    data = root / "real-case-studies"
    inventory = data / "us-federal-ai-inventory-2025"
    inventory.mkdir(parents=True)
    with (inventory / "cases.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["agency", "id", "problem_solved", "system_outputs", "benefits"])
        for number in range(12):
            agency = f"AG{number % 6}"
            pick = number % 4
            writer.writerow([agency, f"{agency}-{number}", PROBLEMS[pick], OUTPUTS[pick], BENEFITS[pick]])
    pages = data / "18f"
    pages.mkdir()
    for number in range(3):
        (pages / f"project-{number}.md").write_text(
            f"---\ntitle: Project {number}\n---\n\n{PROBLEMS[number]}\n\n### Approach\n\n"
            f"* We built a prototype with the agency's staff and tested it with users every week.\n\n"
            f"### Outcomes\n\n* {BENEFITS[number]}\n",
            encoding="utf-8",
        )
    councils = data / "land-registry-llc"
    councils.mkdir()
    for number in range(3):
        lessons = "\n\n".join(f"{i + 1}. {LESSONS[(number + i) % 4]}" for i in range(3))
        (councils / f"council-{number}.md").write_text(
            f"# Council {number}: our migration\n\n## Top 10 lessons learned\n\n{lessons}\n\n"
            f"## Resolving issues\n\n### Addresses\n\n{' '.join(RESOLVING)}\n\n## Any questions?\n\n"
            "Contact the programme team by email for anything else.\n",
            encoding="utf-8",
        )
    return data


def _training_script() -> ModuleType:
    return load_script("scripts/train_sections.py")


def test_training_gives_the_same_bytes_twice_and_a_model_that_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    train = _training_script()
    data = _fixture(tmp_path)
    reads = []  # the sequence's transitions are fitted by reading documents, not left at their starting point
    real = sections.read_in_order
    monkeypatch.setattr(sections, "read_in_order", lambda *args: reads.append(1) or real(*args))
    first, second = tmp_path / "one.json", tmp_path / "two.json"
    assert train.main(["--data", str(data), "--out", str(first)]) == 0
    assert train.main(["--data", str(data), "--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    printed = capsys.readouterr().out
    assert "held-out inventory" in printed and "held-out land-registry" in printed  # it reports its figures
    assert "in order" in printed and "sequence:" in printed

    model = sections.parse_model(first.read_text(encoding="utf-8"))
    # every source was read, with its labels: inventory columns, 18F headings, council headings (mixed ones split)
    trained_on = train.train(train.split(train.load(data))[0])["trained_on"]
    assert {"inventory:challenges", "inventory:approach", "inventory:outcomes", "18f:approach", "18f:outcomes",
            "land-registry:lessons", "land-registry:challenges", "land-registry:approach"} <= set(trained_on)
    assert model.predict(LESSONS[0])[0] == "lessons"
    assert model.predict(OUTPUTS[1])[0] == "approach"
    # the sequence's transitions were fitted, each a point of the training script's grid
    assert all(getattr(model.transitions, name) in values for name, values in train.CANDIDATES.items())
    assert model.transitions.floor in train.FLOORS
    assert len(reads) > 100


def test_the_split_holds_out_whole_documents_and_agencies(tmp_path: Path) -> None:
    train = _training_script()
    examples = train.load(_fixture(tmp_path))
    kept, held = train.split(examples)
    assert held and kept
    assert not {(e.source, e.group) for e in kept} & {(e.source, e.group) for e in held}
    # the contacts section and the title are no section of the case; "Resolving issues" allows two
    assert not [e for e in examples if "Contact the programme" in e.text]
    assert {e.gold for e in examples if e.text == RESOLVING[0]} == {("challenges", "approach")}


def test_training_refuses_a_folder_without_data(tmp_path: Path) -> None:
    train = _training_script()
    with pytest.raises(SystemExit):
        train.main(["--data", str(tmp_path / "missing"), "--out", str(tmp_path / "m.json")])


def test_the_model_digest_is_the_hash_of_the_shipped_file() -> None:
    import hashlib

    assert sections.model_digest() == hashlib.sha256(MODEL.read_bytes()).hexdigest()


# --- reading a document in order ------------------------------------------------------------------------------------

MOVES = sections.Transitions(stay=0.9, back=0.01, stay_between=0.3, back_between=0.02, power=0.5, start=0.4, skip=0.3,
                             floor=0.5)  # fmt: skip
UNSURE = {"challenges": 0.3, "approach": 0.3, "outcomes": 0.25, "lessons": 0.15}


def _sure(section: str, share: float = 0.85) -> dict[str, float]:
    rest = (1 - share) / (len(sections.SECTIONS) - 1)
    return {name: share if name == section else rest for name in sections.SECTIONS}


def test_an_unsure_sentence_takes_the_section_of_its_paragraph() -> None:
    seen = [_sure("challenges"), _sure("challenges"), UNSURE, _sure("outcomes"), _sure("outcomes")]
    placed = sections.read_in_order(seen, [0, 0, 1, 1, 1], MOVES)
    # alone it leans to challenges; in the paragraph of two results it is a result
    assert [section for section, _ in placed] == ["challenges", "challenges", "outcomes", "outcomes", "outcomes"]
    assert all(0 < sure <= 1 for _, sure in placed)


def test_a_heading_fixes_its_sentences_and_steers_their_neighbours() -> None:
    placed = sections.read_in_order([UNSURE, "approach", UNSURE], [0, 0, 0], MOVES)
    assert placed[1][0] == "approach" and placed[1][1] == pytest.approx(1.0, abs=1e-4)
    assert [section for section, _ in placed] == ["approach"] * 3


def test_the_story_moves_on_rather_than_back() -> None:
    """A sentence as likely an approach as a challenge, after the results: moving on is likelier than going back."""
    tied = {"challenges": 0.45, "approach": 0.05, "outcomes": 0.05, "lessons": 0.45}
    placed = sections.read_in_order([_sure("challenges"), _sure("outcomes"), tied], [0, 1, 2], MOVES)
    assert placed[2][0] == "lessons"
    assert sections.read_in_order([], [], MOVES) == []


def test_transition_rows_are_probabilities() -> None:
    for same in (True, False):
        matrix = MOVES.matrix(same)
        assert all(sum(row) == pytest.approx(1.0) and min(row) >= 0 for row in matrix)
    # from challenges, the next section is likelier than one further on
    first = MOVES.matrix(False)[0]
    assert first[1] > first[2] == first[3]


def test_paragraphs_break_at_blank_lines_not_at_line_breaks() -> None:
    text = "One a.\nTwo b.\n\nThree c.\n  \nFour d.\n\u00a0\nFive e.\r\n\r\nSix f.\r\nSeven g."
    words = ("One", "Two", "Three", "Four", "Five", "Six", "Seven")
    spans = [(text.index(w), text.index(w) + 6) for w in words]
    # a line of a no-break space (a web page's empty paragraph) is blank; so is a Windows blank line
    assert sections.paragraphs(text, spans) == [0, 0, 1, 2, 3, 4, 4]


@pytest.mark.parametrize(
    "change, says",
    [
        ({"sequence": {"stay": 0.9, "back": 0.2, "stay_between": 0.3, "back_between": 0.0, "power": 1, "start": 0.5,
                       "skip": 0.3, "floor": 0.5}}, "more than 0, at most 1"),
        ({"sequence": {"stay": 0.9}}, "missing"),
        ({"sequence": {"stay": 0.0, "back": 0.0, "stay_between": 0.3, "back_between": 0.0, "power": 1, "start": 0.5,
                       "skip": 0.3, "floor": 0.5}}, "more than 0"),
        ({"sequence": {"stay": 0.9, "back": 0.01, "stay_between": 0.3, "back_between": 0.0, "power": 1, "start": 0.5,
                       "skip": 0.3}}, "missing"),  # no floor: none is made up
        ({"sequence": {"stay": "nan", "back": 0.01, "stay_between": 0.3, "back_between": 0.0, "power": 1,
                       "start": 0.5, "skip": 0.3, "floor": 0.5}}, "share from 0 to 1"),
        ({"format": 1}, "format 1"),
    ],
)
def test_a_model_file_with_impossible_transitions_is_a_clear_error(change: dict[str, object], says: str) -> None:
    import json

    data = {**json.loads(MODEL.read_text(encoding="utf-8")), **change}
    with pytest.raises(EngineError, match=says):
        sections.parse_model(json.dumps(data))
