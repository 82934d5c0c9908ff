"""A file that is not a case study (a data dictionary, a form, a list of links, a table dump) is set aside with a
verdict a user understands, and nothing of it lands in the queue; real case studies, with their small tables,
fact-sheet labels and reading lists, are never judged so. Every fixture here was written for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import jsonl, run

from trendsum.ingest.verdict import not_a_case_study
from trendsum.queue.store import Store

REPO = Path(__file__).resolve().parent.parent


def attention(stderr: str) -> dict[str, str]:
    """The run summary's "needs attention" table as {file: what happened}, wrapped cells joined again."""
    table: dict[str, str] = {}
    name = ""
    for line in stderr.splitlines():
        cells = [cell.strip() for cell in line.split("\u2502")[1:-1]]
        if len(cells) != 2 or cells == ["file", "what happened"]:
            continue
        name = cells[0] or name
        table[name] = " ".join(filter(None, [table.get(name, ""), cells[1]]))
    return table

FIELDS = [
    ("job_ref", "text", "The reference the contact centre gives a repair job when it is logged."),
    ("logged_at", "date and time", "When the tenant reported the repair, in local time."),
    ("trade", "choice", "The trade the job needs: plumbing, electrical, joinery or roofing."),
    ("priority", "choice", "Emergency, urgent or routine, as set by the triage rules."),
    ("estate", "text", "The estate the property belongs to, as named in the asset register."),
    ("closed_at", "date and time", "When the operative marked the job complete; empty while it is open."),
]
DICTIONARY = "# Field guide: repairs export\n\nEach column of the monthly repairs export is described below.\n\n" + "".join(
    f"### `{name}`\n- **Type:** `{kind}`\n- **Meaning:** {meaning}\n- **Required:** yes\n\n---\n"
    for name, kind, meaning in FIELDS
)
DICTIONARY_TABLE = "# Repairs export columns\n\n| Field | Type | Description |\n|---|---|---|\n" + "".join(
    f"| {name} | {kind} | {meaning} |\n" for name, kind, meaning in FIELDS
)
FORM = """Community grant application form

Please tick the boxes that apply and return the form to the grants team by 30 June.

Name of organisation: ______________________
Contact person: ______________________
Email address: ______________________
Telephone: ______________________
Amount requested: £____________
[ ] Registered charity
[ ] Social enterprise
[ ] Constituted community group
Signature: ______________________    Date: ____________
"""
LINKS = """# Useful links for digital teams

- [Service standard](https://www.example.gov.uk/service-standard)
- [Accessibility checklist](https://www.example.gov.uk/accessibility)
- [Design system](https://design.example.gov.uk/)
- Data protection guidance: https://www.example.org.uk/data-protection
- [Procurement framework](https://www.example.gov.uk/procurement)
- https://www.example.gov.uk/cloud-first
- [Open standards](https://www.example.gov.uk/open-standards)
"""
TABLE = "# Repair requests by ward\n\n| Ward | 2023 | 2024 | Change |\n|---|---|---|---|\n" + "".join(
    f"| {ward} | {a} | {b} | {round(100 * (b - a) / a)}% |\n"
    for ward, a, b in [("North", 412, 388), ("South", 301, 322), ("East", 515, 470), ("West", 260, 255),
                       ("Central", 640, 602), ("Harbour", 122, 131), ("Hillside", 208, 190), ("Riverside", 333, 340),
                       ("Old Town", 150, 149), ("Parkland", 95, 101)]
)  # fmt: skip
CSV = "ward,requests_2023,requests_2024,change\n" + "".join(
    f"{ward},{a},{b},{b - a}\n" for ward, a, b in [("North", 412, 388), ("South", 301, 322), ("East", 515, 470),
                                                  ("West", 260, 255), ("Central", 640, 602), ("Harbour", 122, 131)]
)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        (DICTIONARY, "a data dictionary: 18 of 19 lines are 'name: description' pairs or table rows, and the same "
                     "labels repeat ('type' 6 times)"),
        (DICTIONARY_TABLE, "a data dictionary: 7 of 7 lines are table rows describing fields "
                           "(columns 'field', 'type', 'description')"),
        (FORM, "a form: 9 of 10 lines are blank fields or tick boxes"),
        (LINKS, "a list of links: 7 of 7 lines are links"),
        (TABLE, "a table dump: 11 of 11 lines are table rows, with 0 lines of prose"),
        (CSV, "a table dump: 7 of 7 lines are table rows"),
    ],
    ids=["dictionary", "dictionary-table", "form", "links", "table", "csv"],
)  # fmt: skip
def test_each_kind_of_non_case_is_named_with_the_figures_behind_it(text: str, verdict: str) -> None:
    said = not_a_case_study(text)
    assert said is not None and said.startswith(verdict), said


PROSE = """Northbridge Council cut missed bin collections by a third in 2024.

Crews used to report missed streets on paper at the end of each shift, and residents often rang the contact
centre before the depot knew anything was wrong. The council gave each crew a tablet that records every street as
it is finished, and the depot sees the gaps within minutes.

Within six months missed collections fell from 1,900 to 1,250 a month, and calls about bins fell by 28%. The team
learned that crews adopted the tablets only once supervisors stopped asking for the paper sheets as well.
"""
WITH_TABLE = """# Eastvale: a shared booking system for leisure centres

## The challenge
Eastvale's five leisure centres each ran their own booking software, so a customer could not see classes across
the borough and staff rekeyed memberships by hand.

## What we did
We replaced the five systems with one booking service in 2023, built with the centres' own staff.

| Measure | Before | After |
|---|---|---|
| Online bookings | 41% | 77% |
| Rekeyed memberships a week | 300 | 0 |
| No-shows | 12% | 7% |

## Lessons learned
Moving one centre first let us fix the membership import before the busiest sites moved.
"""
WITH_LINKS = """# Marlow Health Board: triaging referral letters

In 2024 the board tested a text classifier that sorts incoming referral letters by specialty. Clinicians checked
every suggestion during the pilot, and the classifier's first choice was right for 91% of 4,000 letters.

Sorting now takes minutes rather than two days, and the admin team moved to booking appointments. The main lesson
was to involve the medical secretaries from the first week, because they knew which letters were ambiguous.

## Further reading
- [Pilot evaluation report](https://www.example.nhs.uk/referrals/evaluation)
- [Data protection impact assessment](https://www.example.nhs.uk/referrals/dpia)
- https://www.example.nhs.uk/referrals/faq
"""
FACT_SHEET = """Organisation: Westmoor District Council
Year: 2023
Challenge: Planning applications waited up to ten weeks for validation because officers checked every document by hand.
Approach: The council introduced a checklist tool that flags missing plans and fees when an application arrives.
Outcome: Validation time fell to eight days and the backlog of 600 applications was cleared by March.
Lessons: Agents changed their habits once the tool explained each rejection in plain words.
"""  # fmt: skip


@pytest.mark.parametrize("text", [PROSE, WITH_TABLE, WITH_LINKS, FACT_SHEET],
                         ids=["prose", "small-table", "reading-list", "fact-sheet"])  # fmt: skip
def test_case_studies_with_some_structure_are_not_judged(text: str) -> None:
    assert not_a_case_study(text) is None


@pytest.mark.parametrize("path", sorted(p for p in (REPO / "inputs").iterdir() if p.name != "README.md"),
                         ids=lambda p: p.stem)  # fmt: skip
def test_the_shipped_case_studies_are_not_judged(path: Path) -> None:
    assert not_a_case_study(path.read_text(encoding="utf-8")) is None


def test_too_little_text_is_left_to_the_summariser() -> None:
    assert not_a_case_study("Name: ____\nDate: ____\n") is None


def test_summarise_sets_a_data_dictionary_aside_and_queues_only_the_case(tmp_path: Path, db: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "bins.txt").write_text(PROSE, encoding="utf-8")
    (folder / "repairs-columns.md").write_text(DICTIONARY, encoding="utf-8")
    (folder / "grant-form.txt").write_text(FORM, encoding="utf-8")
    (folder / "copy-of-form.txt").write_text(FORM, encoding="utf-8")  # a duplicate gets the same verdict

    result = run("summarise", str(folder), "--db", str(db))

    assert result.exit_code == 1, result.stderr  # files were given and not summarised: a script must notice
    said = attention(result.stderr)
    assert said["mixed/repairs-columns.md"].startswith("not a case study: a data dictionary: 18 of 19 lines are "
                                                       "'name: description' pairs"), result.stderr  # fmt: skip
    assert said["mixed/copy-of-form.txt"].startswith("not a case study: a form: 9 of 10 lines are blank fields")
    assert "copy-of-form.txt, not a case study: a form" in said["mixed/grant-form.txt"]
    assert "bins.txt" not in " ".join(said)
    assert [r["id"] for r in jsonl(run("list", "--json", "--db", str(db)).stdout)] == ["bins"]
    with Store(db) as store:
        reasons = {Path(f.source_path).name: f.reason for f in store.failures()}
    assert reasons["repairs-columns.md"].startswith("not a case study: a data dictionary")
    assert reasons["copy-of-form.txt"].startswith("not a case study: a form")
    assert "--summarise-anyway" in reasons["repairs-columns.md"]  # the way out, where the verdict is read

    # a user who disagrees with a verdict has the last word
    anyway = run("summarise", str(folder / "repairs-columns.md"), "--db", str(db), "--summarise-anyway")
    assert anyway.exit_code == 0, anyway.stderr
    assert "repairs-columns" in [r["id"] for r in jsonl(run("list", "--json", "--db", str(db)).stdout)]


def test_a_folder_of_case_studies_still_exits_zero(tmp_path: Path, db: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    for name, text in [("bins.txt", PROSE), ("leisure.md", WITH_TABLE), ("referrals.md", WITH_LINKS),
                       ("planning.txt", FACT_SHEET)]:  # fmt: skip
        (folder / name).write_text(text, encoding="utf-8")
    result = run("summarise", str(folder), "--db", str(db))
    assert result.exit_code == 0, result.stderr
    assert "not a case study" not in result.stderr
    assert len(jsonl(run("list", "--json", "--db", str(db)).stdout)) == 4


INTERVIEW = "# Ten minutes with the digital lead\n\nWe asked the council's digital lead about the new service.\n\n" + "".join(
    f"Q: {question}\nA: {answer}\n\n" for question, answer in [
        ("Why did the council start the project in the first place?",
         "Residents waited weeks for a reply to a simple question about their bins."),
        ("What did the team build for residents and staff?",
         "A short online form, tested with residents, that routes each request to the right crew."),
        ("What changed for residents after the first year?",
         "Calls about missed collections fell by a third, and replies now come within a day."),
        ("What would you tell another council starting out now?",
         "Test with residents from the first week and keep the form as short as you can."),
    ])  # fmt: skip
ROUNDUP = "# Three councils, three fixes\n\n" + "".join(
    f"## {council}\n\nChallenge: {challenge}\nApproach: {approach}\nOutcome: {outcome}\n\n"
    for council, challenge, approach, outcome in [
        ("Northtown", "Residents could not report fly-tipping outside office hours.",
         "The council built an online report with a map and a photo upload.", "Reports doubled within a month."),
        ("Eastvale", "Planning officers re-typed every paper application by hand.",
         "The team moved applications to an online form checked as it is filled in.",
         "Each application now takes a day less to register."),
        ("Westmoor", "Carers did not know which respite services were free for them.",
         "The council wrote one plain-English page with a short eligibility checker.",
         "Enquiries to the contact centre fell by a quarter in six months."),
    ])  # fmt: skip
CONTENTS = "# Annual digital report\n\n" + "".join(f"{title} ........................ {page}\n"
                                               for title, page in [("Background", 1), ("The challenge", 2),
                                                                   ("What we did", 3), ("Results", 4),
                                                                   ("Lessons", 5)]) + "\n" + "".join(
    f"## {heading}\n\n{sentence}\n\n" for heading, sentence in [
        ("Background", "The council runs waste collection for 60,000 homes across the district."),
        ("The challenge", "Residents reported missed bins by phone, and calls peaked every Monday."),
        ("What we did", "The team built an online form that shows the next collection date."),
        ("Results", "Calls about missed bins fell by 40% within six months."),
        ("Lessons", "Test the form with residents before it goes live, not after."),
    ])  # fmt: skip
CASE_TABLE = "# Bin collection chatbot\n\n| Section | What happened |\n|---|---|\n" + "".join(
    f"| {label} | {sentence} |\n" for label, sentence in [
        ("Overview", "The council added a chatbot to its website to answer questions about bins."),
        ("Challenge", "Staff answered the same five questions hundreds of times a week."),
        ("Approach", "The team trained the chatbot on the council's own pages and tested it with residents."),
        ("Outcome", "Calls about bins fell by a third within the first three months."),
        ("Lesson", "Keep a person a click away: some questions need a human answer."),
        ("Next", "The council plans to add council tax questions to the chatbot next year."),
    ])  # fmt: skip


@pytest.mark.parametrize("text", [INTERVIEW, ROUNDUP, CONTENTS, CASE_TABLE],
                         ids=["interview", "round-up", "contents-page", "case-as-table"])
def test_case_studies_laid_out_with_labels_leaders_or_a_table_are_not_judged(text: str) -> None:
    """Found in review: each of these was set aside as a data dictionary, a form or a table dump."""
    assert not_a_case_study(text) is None
