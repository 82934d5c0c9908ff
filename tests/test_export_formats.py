"""Export formats a script or a spreadsheet reads: JSON Lines through a real pipe, JSON, CSV; and the filters."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from helpers import approve, jsonl, run

from trendsum.domain.models import CaseSummary, Grounding, Point, PointCheck, Provenance, Record, Status
from trendsum.reports.export import CSV_COLUMNS, write_csv


def test_a_pipe_sees_json_lines_only(cases: Path, db: Path) -> None:
    run("summarise", str(cases), "--db", str(db))
    approve("tayside-blue-badges", "rct-school-transport")
    env = {**os.environ, "COLUMNS": "80"}
    reader = (
        "import json, sys\n"
        "records = [json.loads(line) for line in sys.stdin]\n"
        "print(len(records), ','.join(sorted(r['id'] for r in records)), ','.join(r['status'] for r in records))\n"
    )
    export = subprocess.Popen([sys.executable, "-m", "trendsum", "export", "--db", str(db)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)  # fmt: skip
    parsed = subprocess.run([sys.executable, "-c", reader], stdin=export.stdout, capture_output=True, text=True,
                            env=env, timeout=60)  # fmt: skip
    assert export.stdout is not None
    export.stdout.close()
    stderr = export.stderr.read().decode() if export.stderr else ""
    assert export.wait(timeout=60) == 0, stderr
    assert parsed.returncode == 0, parsed.stderr  # any non-JSON line on stdout would have failed json.loads
    assert parsed.stdout.split() == ["2", "rct-school-transport,tayside-blue-badges", "approved,approved"]
    assert "Exported 2 record(s)" in stderr  # the chatter went to stderr


def test_json_is_one_array_of_the_same_objects_as_json_lines(cases: Path) -> None:
    run("summarise", str(cases))
    assert json.loads(run("export", "--format", "json").stdout) == []
    approve("tayside-blue-badges", "harbourside-housing")
    as_array = json.loads(run("export", "-f", "json").stdout)
    assert as_array == jsonl(run("export").stdout)
    assert [r["id"] for r in as_array] == ["harbourside-housing", "tayside-blue-badges"]


def test_csv_has_one_row_per_record_points_on_lines_and_unapproved_rows_marked(cases: Path, tmp_path: Path) -> None:
    run("summarise", str(cases))
    approve("tayside-blue-badges")
    out = tmp_path / "cases.csv"
    result = run("export", "-f", "csv", "-o", str(out), "--status", "approved", "--status", "pending")
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # so a spreadsheet reads £ and curly quotes as written
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["id"] for r in rows] == ["harbourside-housing", "rct-school-transport", "tayside-blue-badges"]
    by_id = {r["id"]: r for r in rows}
    assert by_id["tayside-blue-badges"]["approval"] == "approved"
    assert by_id["tayside-blue-badges"]["approved_by"] == "A. Researcher"
    assert by_id["harbourside-housing"]["approval"] == "NOT APPROVED (pending): not for publication"
    assert by_id["harbourside-housing"]["approved_by"] == ""
    record = jsonl(run("export", "--status", "approved").stdout)[0]
    lessons = by_id["tayside-blue-badges"]["lessons"].split("\n")
    assert lessons == [f"\u2022 {p['text']}" for p in record["lessons"]] and len(lessons) == 2
    evidence = by_id["tayside-blue-badges"]["evidence"].split("\n")
    cited = record["lessons"][1]["evidence"][0]
    assert f"Lessons learnt 2: [{cited['sentence']}] \u201c{cited['text']}\u201d" in evidence
    assert by_id["rct-school-transport"]["uses_ai"] == "yes"
    assert by_id["harbourside-housing"]["criteria"].startswith("fails: uses-ai")


def test_csv_cells_cannot_run_as_spreadsheet_formulas() -> None:
    point = Point(text="-1 is what the form said", evidence=["=HYPERLINK(\"http://x\")"])
    summary = CaseSummary(title="=cmd|' /C calc'!A0", organisation="@Council", nation=None, year=2024,
                          trend="other", ai_application=None, overview=point, challenges=[point], approach=[],
                          outcomes=[], unintended_consequences=[], lessons=[])  # fmt: skip
    provenance = Provenance(source_path="x.txt", source_sha256="0" * 64, engine="offline", model="m",
                            prompt_name="p", prompt_hash="0" * 64, created_at=datetime.now(UTC))  # fmt: skip
    grounding = Grounding(points={"overview": PointCheck(supported=True), "challenges[0]": PointCheck(supported=False)})
    record = Record(id="x", version=1, status=Status.APPROVED, summary=summary, grounding=grounding,
                    provenance=provenance, author="engine")  # fmt: skip
    out = io.StringIO()
    write_csv([record], out)
    row = dict(zip(CSV_COLUMNS, list(csv.reader(io.StringIO(out.getvalue())))[1], strict=True))
    assert row["title"] == "'=cmd|' /C calc'!A0"
    assert row["organisation"] == "'@Council"
    assert row["overview"] == "'-1 is what the form said"
    assert row["challenges"] == "\u2022 -1 is what the form said [quote not found in source]"
    assert row["year"] == "2024"


def test_filters_by_year_nation_trend_and_status(cases: Path) -> None:
    run("summarise", str(cases))
    approve("tayside-blue-badges", "harbourside-housing", "rct-school-transport")

    def ids(*args: str) -> list[str]:
        result = run("export", *args)
        assert result.exit_code == 0, result.stderr
        return [r["id"] for r in jsonl(result.stdout)]

    assert ids("--since", "2024") == ["harbourside-housing", "rct-school-transport"]  # Tayside's work is 2023
    assert ids("--nation", "wales") == ["rct-school-transport"]
    assert ids("--trend", "harnessing data") == ["rct-school-transport"]
    assert ids("--since", "2030") == []
    run("review", "reject", "harbourside-housing", "-n", "wrong council", "-r", "B. Editor")
    assert ids("--since", "2024") == ["rct-school-transport"]
    assert ids("--status", "rejected") == ["harbourside-housing"]
    narrowed = run("export", "--since", "2030")
    assert "Nothing is approved yet" not in narrowed.stderr  # three are: the filter left them out


def test_when_every_approval_is_stale_export_asks_for_re_review_instead_of_saying_nothing_is_approved(
    cases: Path,
) -> None:
    run("summarise", str(cases))
    approve("tayside-blue-badges", "rct-school-transport")
    for name in ("tayside-blue-badges.md", "rct-school-transport.md"):
        path = cases / name
        path.write_text(path.read_text(encoding="utf-8") + "\nA survey in 2025 found most residents satisfied.\n")
    assert run("summarise", str(cases)).exit_code == 0
    result = run("export")
    assert result.exit_code == 0 and result.stdout == ""
    assert "Nothing is approved yet" not in result.stderr
    assert (
        "2 stale record(s) left out: approved, but their source or text changed after approval, so they wait for "
        "re-review: run `trendsum review`." in " ".join(result.stderr.split())
    )
