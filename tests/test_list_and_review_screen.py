"""`list` and the review screen keep a reviewer's bearings: ids whole on one line (they are what every command
takes), the record's id and title in the prompt however far a long record scrolled, wrapped text aligned."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import run
from rich.console import Console

from trendsum.cli.render import record_view
from trendsum.cli.review_ui import TerminalReview
from trendsum.domain.models import CaseSummary, Grounding, Point, PointCheck, Provenance, Trend
from trendsum.queue.store import Store
from trendsum.queue.walk import Walk, review_queue

LONG_POINT = ("The repairs team took more than forty thousand requests a year by phone, email and web form, and "
              "staff typed each one again into the housing system before a surveyor could look at it.")  # fmt: skip
LONG_QUOTE = "Every request was typed again by hand into the housing system, which took a week in the busiest months."
CASES = {
    "kent-county-council-pothole-computer-vision-pilot-2024":
        "Kent County Council: spotting potholes with computer vision cameras on refuse lorries",
    "belfast-city-council-cyber-resilience-exercise-programme":
        "Belfast City Council: a cyber resilience exercise programme for every department",
    "fife-council-ai-housing-repairs": "Fife Council: sorting housing repair requests with a language model",
}  # fmt: skip


def add_record(store: Store, record_id: str, title: str, points: int = 1) -> None:
    point = Point(text=LONG_POINT, evidence=[LONG_POINT, LONG_QUOTE])
    summary = CaseSummary(
        title=title, organisation="A Council", nation="Northern Ireland", year=2024, trend=Trend.REIMAGINING_SERVICES,
        ai_application=None, overview=point, challenges=[point] * points, approach=[point] * points,
        outcomes=[point] * points, unintended_consequences=[], lessons=[point] * points,
    )  # fmt: skip
    provenance = Provenance(
        source_path=f"inputs/{record_id}.md", source_sha256="a" * 64, engine="offline", model="extractive",
        prompt_name="offline", prompt_hash="b" * 64, schema_version=1, created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    checked = Grounding(points={path: PointCheck(supported=True) for path, _ in summary.points()})
    store.save_generated(record_id, summary, checked, provenance, "key")


@pytest.fixture
def queue(db: Path) -> Path:
    with Store(db) as store:
        for record_id, title in CASES.items():
            add_record(store, record_id, title, points=4)
    return db


@pytest.mark.parametrize("columns", [80, 160])
def test_list_shows_every_id_whole_on_one_line(queue: Path, columns: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    lines = run("list").stdout.splitlines()
    assert all(len(line) <= columns for line in lines)
    rows = [line for line in lines if "pending v1" in line]
    assert len(rows) == 3  # one line a record: nothing wraps
    for record_id in CASES:
        assert sum(record_id in row for row in rows) == 1, record_id
    if columns == 160:  # room for the title too, cut short with an ellipsis rather than wrapped
        [kent] = [row for row in rows if "kent-county" in row]
        assert "│ Kent County Council: spotting" in kent and "… │" in kent
        assert "grounded" in lines[2] and all("│    17/17 │" in row for row in rows)


def screen(store: Store, width: int, *keys: str) -> str:
    """The review screen as a terminal of this width shows it, each key echoed as the terminal would."""
    out = io.StringIO()
    console = Console(file=out, width=width, height=40, color_system=None)
    pressed = iter(keys)

    class Keys:
        def key(self) -> str:
            console.print()
            return next(pressed)

        def line(self) -> str:
            raise AssertionError("no line was expected")

    session = TerminalReview(Walk(store, review_queue(store), "Ann Reviewer"), console, Keys(), lambda path: 1,
                             Path("drafts"))  # fmt: skip
    session.run()
    return out.getvalue()


@pytest.mark.parametrize("width", [80, 100, 200])
def test_the_prompt_names_the_record_whole_on_one_line(queue: Path, width: int) -> None:
    with Store(queue) as store:
        text = screen(store, width, "x", "s", "s", "q")
    prompts = [line for line in text.splitlines() if line.startswith("[")]
    ids = sorted(CASES)  # equally grounded: walked in id order
    assert [p.split(" ")[:3] for p in prompts] == [["[1", "of", "3]"]] * 2 + [["[2", "of", "3]"], ["[3", "of", "3]"]]
    for prompt, record_id in zip(prompts, [ids[0], *ids], strict=True):
        assert prompt.split(" ")[3].rstrip(":") == record_id  # whole
        assert len(prompt) <= width - 1 and prompt.endswith(": ")  # one line, with a column left for the key
    if width >= 100:  # the title too, as far as it fits
        assert f"] {ids[2]} · Kent County Council: spotting" in prompts[3]
    if width == 200:
        every_key = "a accept · e edit · r reject · s skip · b back · v source · q quit · ? help"
        assert prompts[3].endswith(f" · {every_key}: ")


def test_a_long_id_keeps_the_start_of_the_title_and_drops_the_keys(db: Path) -> None:
    record_id = "councils/northern-ireland/belfast-city-council-cyber-exercise"
    with Store(db) as store:
        add_record(store, record_id, "A title " * 20)
        [prompt] = [line for line in screen(store, 100, "q").splitlines() if line.startswith("[")]
    assert prompt == f"[1 of 1] {record_id} · A title A title A title…: "
    assert len(prompt) == 99


def test_wrapped_points_and_quotes_line_up_under_their_first_word(queue: Path) -> None:
    with Store(queue) as store:
        record = store.get("fife-council-ai-housing-repairs")
    out = io.StringIO()
    Console(file=out, width=70, color_system=None).print(record_view(record))
    lines = out.getvalue().splitlines()
    assert all(len(line) <= 70 for line in lines)
    start = lines.index("Challenges") + 1
    point = [lines[start]]
    for line in lines[start + 1 :]:
        if line.startswith("  • ") or not line.strip():
            break
        point.append(line)
    assert point[0].startswith("  • The repairs team took more than forty thousand requests")
    first_quote = next(n for n, line in enumerate(point) if line.startswith("      “"))
    assert first_quote >= 2  # the point's text wrapped...
    for line in point[1:first_quote]:
        assert line.startswith("    ") and line[4] != " ", line  # ...and lines up under its first word
    quotes = point[first_quote:]
    assert len(quotes) > 2 and sum(line.startswith("      “") for line in quotes) == 2  # the quotes wrapped too
    for line in quotes:  # under the first word after the opening quote mark
        assert line.startswith("      “") or (line.startswith("       ") and line[7] != " "), line
