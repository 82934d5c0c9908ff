"""Selection criteria per record (a pure function), `list --meets/--fails`, and `trendsum coverage`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import summary
from helpers import jsonl, run

from trendsum.domain import criteria
from trendsum.domain.models import Point
from trendsum.queue.store import Store

INPUTS = Path(__file__).resolve().parent.parent / "inputs"




@pytest.mark.parametrize(
    ("changes", "failing"),
    [
        ({}, []),
        ({"year": 2022}, ["from-2023"]),
        ({"year": None}, ["from-2023"]),
        ({"ai_application": None}, ["uses-ai"]),
        ({"ai_application": Point(text="The council considered an AI product but decided not to buy it.",
                                  evidence=["q"])}, ["uses-ai"]),  # fmt: skip
        ({"outcomes": []}, ["outcomes"]),
        ({"unintended_consequences": []}, ["unintended"]),
        ({"lessons": []}, ["lessons"]),
    ],
)
def test_criteria_of_a_summary(changes: dict[str, object], failing: list[str]) -> None:
    result = criteria.evaluate(summary(**changes))
    assert result.failing() == failing
    assert result.selected == (not [name for name in failing if name != "lessons"])  # lessons: not a selection rule
    assert set(result.reasons) == set(failing)


def test_shipped_inputs_are_flagged_as_their_readme_says() -> None:
    assert run("summarise", str(INPUTS)).exit_code == 0
    rows = {r["id"]: r["criteria"] for r in jsonl(run("list", "--json").stdout)}
    failing = {c.name: sorted(i for i, flags in rows.items() if not flags[c.name]) for c in criteria.CRITERIA}
    assert failing["from-2023"] == ["natural-resources-wales-ransomware-readiness"]
    assert failing["lessons"] == ["hampshire-fire-rescue-home-fire-risk-model"]
    assert failing["uses-ai"] == ["conwy-county-borough-council-phishing-resilience",
                                  "gemeente-utrecht-early-debt-signals",
                                  "natural-resources-wales-ransomware-readiness"]  # fmt: skip
    assert sorted(i for i, flags in rows.items() if flags["unintended"]) == [
        "belfast-city-council-bins-chatbot", "kent-county-council-pothole-computer-vision",
        "leeds-city-council-genai-social-care-notes"]  # fmt: skip
    assert rows["natural-resources-wales-ransomware-readiness"]["reasons"]["from-2023"] == (
        "the work is from 2022, before 2023")  # fmt: skip

    # the fast paths (stored columns, and SQL on the stored tag) agree with the pure function on every record
    with Store(Path("outputs/trendsum.db")) as store:
        listed = store.rows()
        fast = store.criteria_results(listed)
        truth = {row.id: criteria.evaluate(store.get(row.id).summary) for row in listed}
        assert all(fast[row.id] == truth[row.id] for row in listed)
        for name in [*criteria.BY_NAME, "selected"]:
            holds = {i for i, r in truth.items() if (r.selected if name == "selected" else r.met[name])}
            assert {r.id for r in store.rows(meets=[name])} == holds
            assert {r.id for r in store.rows(fails=[name])} == set(truth) - holds

    selected = [r["id"] for r in jsonl(run("list", "--json", "--meets", "selected").stdout)]
    assert selected == ["belfast-city-council-bins-chatbot", "kent-county-council-pothole-computer-vision",
                        "leeds-city-council-genai-social-care-notes"]  # fmt: skip
    both = jsonl(run("list", "--json", "--meets", "uses-ai", "--fails", "unintended", "--limit", "2").stdout)
    assert [r["id"] for r in both] == ["fife-council-ai-housing-repairs", "hampshire-fire-rescue-home-fire-risk-model"]
    table = run("list", "--fails", "from-2023").stdout
    assert "natural-resources-wales" in table and "fife" not in table
    unknown = run("list", "--meets", "recent")
    assert unknown.exit_code == 2 and "from-2023, uses-ai" in unknown.stderr


def test_coverage_shows_nations_by_trends_and_calls_out_the_gaps(cases: Path) -> None:
    run("summarise", str(cases))
    result = run("coverage")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for label in ("England", "Scotland", "Wales", "Northern Ireland", "not stated", "reimagining services"):
        assert label in out
    assert "No case from Scotland" in out and "No case from Northern Ireland" in out
    assert "No case for the trend 'cyber security'" in out
    assert "Wales: 1 case(s), but none meets every selection criterion." in out

    data = json.loads(run("coverage", "--json").stdout)
    assert data["cases"] == 3 and data["selected"] == 0
    assert data["table"]["Wales"]["harnessing data"] == {"cases": 1, "selected": 0}
    assert data["table"]["England"]["reimagining services"] == {"cases": 1, "selected": 0}
    assert data["table"]["not stated"]["reimagining services"] == {"cases": 1, "selected": 0}  # Tayside
    assert data["criteria"]["uses-ai"]["failing"] == ["harbourside-housing", "tayside-blue-badges"]
    assert data["records"]["rct-school-transport"]["uses-ai"] is True

    run("review", "reject", "rct-school-transport", "-r", "B. Editor", "-n", "duplicate")
    after = json.loads(run("coverage", "--json").stdout)
    assert after["cases"] == 2
    assert after["table"]["Wales"]["harnessing data"] == {"cases": 0, "selected": 0}
    assert any("No case from Wales" in gap for gap in after["gaps"])
    approved_only = json.loads(run("coverage", "--json", "--status", "approved").stdout)
    assert approved_only["cases"] == 0
