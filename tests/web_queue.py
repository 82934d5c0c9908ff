"""A review queue for the web tests: three case studies summarised by the offline engine (absolute source paths,
so a server thread finds them from any working folder) and one record whose case text, model text and source are
hostile: script tags, a Markdown link to javascript:, control and direction-changing characters, and a quote
that is not in the source."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from conftest import HEADED, PROSE_NO_LESSONS, WELSH_AI
from helpers import run

from trendsum.domain import grounding
from trendsum.domain.models import CaseSummary, Point, Provenance
from trendsum.ingest import Source, read_case
from trendsum.queue.store import Store

IDS = ["harbourside-housing", "rct-school-transport", "tayside-blue-badges"]
HOSTILE = "hostile"
SCRIPT = "<script>alert('x')</script>"
LINK = "[click me](javascript:alert(2))"
HOSTILE_SOURCE = (
    f"# Hostile council {SCRIPT}\n\n"
    f"The council said {SCRIPT} in its report about the weekly bin collections.\n"
    f"Residents were told to {LINK} before the new rounds started in spring.\n"
)
INVENTED = "The council replaced every bin lorry with drones overnight."


def make_queue(folder: Path) -> Path:
    """The queue's database path, under `folder`."""
    cases = folder / "cases"
    cases.mkdir(parents=True, exist_ok=True)
    for name, text in (("tayside-blue-badges.md", HEADED), ("harbourside-housing.txt", PROSE_NO_LESSONS),
                       ("rct-school-transport.md", WELSH_AI)):  # fmt: skip
        (cases / name).write_text(text, encoding="utf-8")
    db = folder / "outputs" / "trendsum.db"
    result = run("summarise", str(cases.resolve()), "--engine", "offline", "--db", str(db))
    assert result.exit_code == 0, result.stderr
    add_hostile(db, folder / "hostile.md")
    return db


def add_hostile(db: Path, path: Path) -> None:
    path.write_text(HOSTILE_SOURCE, encoding="utf-8")
    case = read_case(Source(path.resolve(), path.stem))
    summary = CaseSummary(
        title=f"Hostile {SCRIPT} \x1b[31mred\x1b[0m \u202eevil",
        organisation=f"{LINK} Council", nation="England", year=2024, trend="other", ai_application=None,
        overview=Point(text=f"Overview {LINK} <img src=x onerror=alert(4)>",
                       evidence=[f"The council said {SCRIPT} in its report"]),
        challenges=[Point(text="An invented point \x07 with a bell.", evidence=[INVENTED])],
        approach=[], outcomes=[], unintended_consequences=[], lessons=[],
    )  # fmt: skip
    provenance = Provenance(engine="offline", model=f"model {SCRIPT}", prompt_name="summary", prompt_hash="0" * 64,
                            schema_version=1, created_at=datetime.now(UTC), source_path=str(path.resolve()),
                            source_sha256=case.sha256)  # fmt: skip
    with Store(db) as store:
        store.save_generated(HOSTILE, summary, grounding.check(summary, case.text), provenance, "hostile-key")
