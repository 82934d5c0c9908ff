"""`trendsum serve` over HTTP (Starlette's TestClient, no browser): every route, what each action saves (the
same events the CLI writes), and what is refused: forms without the session's CSRF token, requests without a
signed-in reviewer, one reviewer acting as another, GETs that would change something, too many login attempts,
and hostile text, which must come out as text."""

from __future__ import annotations

import html
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import run
from starlette.testclient import TestClient
from web_queue import HOSTILE, IDS, INVENTED, LINK, SCRIPT, make_queue

from trendsum import web
from trendsum.domain.models import Status
from trendsum.queue import reviewers
from trendsum.queue.store import Store
from trendsum.web import pages
from trendsum.web.app import Settings, build

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One queue made per module (summarising takes a moment); each test gets its own copy of the database."""
    return make_queue(tmp_path_factory.mktemp("web"))


@pytest.fixture
def db(made: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "outputs" / "trendsum.db"
    copy.parent.mkdir()
    shutil.copyfile(made, copy)
    return copy


@pytest.fixture
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(build(Settings(str(db), "Local Reviewer", accounts=False)), follow_redirects=False) as c:
        yield c


def accounts_client(db: Path, *names: str) -> TestClient:
    with Store(db) as store:
        for name in names:
            reviewers.add(store, name, PASSWORD)
    return TestClient(build(Settings(str(db), None, accounts=True)), follow_redirects=False)


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF field on the page"
    return found[1]


def shown(client: TestClient, record_id: str, query: str = "") -> dict[str, str]:
    """The hidden fields of the record page's accept form: what the reviewer saw."""
    page = client.get(f"/records/{record_id}" + (f"?{query}" if query else "")).text
    form = page[page.index('id="accept-form"'):]
    version = re.search(r'name="version" value="(\d+)"', form)[1]  # type: ignore[index]
    status = re.search(r'name="status" value="(\w+)"', form)[1]  # type: ignore[index]
    queue = re.search(r'name="queue" value="([^"]*)"', form)[1]  # type: ignore[index]
    return {"csrf": csrf(page), "version": version, "status": status, "queue": queue.replace("&amp;", "&")}


def events(db: Path, record_id: str) -> list[tuple[str, str, str | None]]:
    with Store(db, create=False) as store:
        return [(e.action, e.reviewer, e.note) for e in store.events(record_id)]


def table_counts(db: Path) -> tuple[int, ...]:
    with sqlite3.connect(db) as connection:
        return tuple(connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608 (our names)
                     for t in ("events", "versions", "reviewers"))  # fmt: skip


# -- reading ----------------------------------------------------------------------------------------------------


def test_the_queue_page_lists_what_review_walks_least_grounded_first_with_counts(client: TestClient) -> None:
    page = client.get("/queue")
    assert page.status_code == 200
    listed = re.findall(r'class="record-link" href="/records/([^"?]+)', page.text)
    assert listed == [HOSTILE, *IDS]  # the hostile record has an unsupported point: first, as in `trendsum review`
    assert re.search(r'id="count-pending">4<', page.text)
    assert "4 records match" in page.text
    assert client.get("/").headers["location"] == "/queue"


def test_the_queue_page_filters_by_status_trend_nation_criteria_and_search(client: TestClient) -> None:
    def listed(query: str) -> list[str]:
        page = client.get(f"/queue?{query}")
        assert page.status_code == 200, page.text
        return re.findall(r'class="record-link" href="/records/([^"?]+)', page.text)

    assert listed("nation=wales") == ["rct-school-transport"]
    assert listed("q=TAYSIDE") == ["tayside-blue-badges"]  # search by id or title, any case
    assert listed("q=housing") == ["harbourside-housing"]
    assert listed("fails=lessons") == [HOSTILE, "harbourside-housing", "rct-school-transport"]
    assert listed("status=approved") == []
    assert listed("trend=other") == [HOSTILE]
    assert client.get("/queue?fails=nonsense").status_code == 400
    assert client.get("/queue?status=bogus").status_code == 400


def test_the_queue_page_sees_a_decision_made_elsewhere_at_once(client: TestClient, db: Path) -> None:
    assert "tayside-blue-badges" in client.get("/queue").text
    assert run("review", "reject", "tayside-blue-badges", "-n", "duplicate", "--db", str(db)).exit_code == 0
    assert "tayside-blue-badges" not in client.get("/queue").text  # the queue kept for paging is read afresh


def test_the_queue_page_is_paginated(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "PAGE_SIZE", 3)
    first = client.get("/queue").text
    second = client.get("/queue?page=2").text
    assert len(re.findall('class="record-link"', first)) == 3 and "page 1 of 2" in first
    assert re.findall(r'class="record-link" href="/records/([^"?]+)', second) == [IDS[-1]]
    assert 'id="next-page"' in first and 'id="next-page"' not in second


def test_the_record_page_shows_the_summary_beside_its_source_with_the_evidence_marked(client: TestClient) -> None:
    page = client.get("/records/tayside-blue-badges?point=challenges-0").text
    assert 'id="source-text"' in page
    # the challenge's quote is marked in the source, and selected (the page works without script)
    marked = re.search(r'<mark class="ev selected" data-points="[^"]*challenges-0[^"]*">([^<]+)</mark>', page)
    assert marked and "backlog of more than 900 applications" in marked[1]
    assert 'id="ev-challenges-0"' in page  # where "select the point" scrolls to
    for shown_fact in ("Provenance", "offline", "Selection criteria", "History", "created", "record 4 of 4"):
        assert shown_fact in page


def test_an_unsupported_point_is_marked_with_the_reason(client: TestClient) -> None:
    page = client.get(f"/records/{HOSTILE}").text
    point = page[page.index('id="point-challenges-0"'):]
    point = point[: point.index("</li>\n")]
    assert 'class="point unsupported' in page and "quote not found in the source" in point


def test_a_stale_record_shows_what_changed_since_the_approved_version(tmp_path: Path) -> None:
    db = make_queue(tmp_path / "own")  # its source file changes: not the one the other tests share
    client = TestClient(build(Settings(str(db), "Local Reviewer", accounts=False)))
    assert run("review", "accept", "harbourside-housing", "--db", str(db)).exit_code == 0
    source = Path(Store(db, create=False).get("harbourside-housing").provenance.source_path)
    source.write_text(source.read_text().replace("fell by 70%", "fell by 75%"))
    assert run("summarise", str(source), "--engine", "offline", "--db", str(db)).exit_code == 0
    page = client.get("/records/harbourside-housing").text
    assert 'id="changes"' in page and "Changes from the approved version, version 1" in page
    assert 'class="add"' in page


def test_an_unknown_record_is_a_404_naming_close_ids(client: TestClient) -> None:
    page = client.get("/records/tayside")
    assert page.status_code == 404 and "tayside-blue-badges" in page.text


def test_analyses_are_listed_and_link_their_cited_cases(client: TestClient, db: Path) -> None:
    for record_id in IDS:
        assert run("review", "accept", record_id, "--db", str(db), "--allow-ungrounded").exit_code == 0
    assert run("analyse", "--engine", "offline", "--db", str(db)).exit_code == 0
    listing = client.get("/analyses").text
    found = re.findall(r'href="/analyses/([^"]+)"', listing)
    assert found
    page = client.get(f"/analyses/{found[0]}").text
    cited = re.findall(r'class="case" href="/records/([^"?]+)', page)
    assert cited and set(cited) <= set(IDS)
    assert client.get(f"/records/{cited[0]}?status=any").status_code == 200


# -- deciding ---------------------------------------------------------------------------------------------------


def test_accept_saves_the_cli_event_under_the_reviewer_and_moves_to_the_next(client: TestClient, db: Path) -> None:
    fields = shown(client, "harbourside-housing")
    answer = client.post("/records/harbourside-housing/accept", data=fields)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/records/rct-school-transport?")  # the walk's next record
    assert events(db, "harbourside-housing")[-1] == ("approved", "Local Reviewer", None)
    following = client.get(answer.headers["location"]).text
    assert "harbourside-housing v1: approved by Local Reviewer." in following


def test_accept_asks_again_for_unsupported_points_and_says_so_in_the_note(client: TestClient, db: Path) -> None:
    fields = shown(client, HOSTILE)
    asked = client.post(f"/records/{HOSTILE}/accept", data=fields)
    assert asked.status_code == 200 and 'id="confirm"' in asked.text
    said = " ".join(asked.text.split())
    assert re.search(r"\d+ points? ha(s|ve) quotes that are not in the source or do not support what (it says|they say)",
                     said), said[said.find('id="confirm"') - 400 : said.find('id="confirm"')]
    assert events(db, HOSTILE)[-1][0] == "created"  # nothing saved yet
    confirmed = client.post(f"/records/{HOSTILE}/accept", data={**fields, "confirmed": "yes"})
    assert confirmed.status_code == 303
    assert events(db, HOSTILE)[-1] == ("approved", "Local Reviewer",
                                       "accepted with 2 point(s) whose quotes are not in the source or do not "
                                       "support what they say")  # the invented quote; an overview its quote does not back


def test_reject_needs_a_reason_and_keeps_it(client: TestClient, db: Path) -> None:
    fields = shown(client, "tayside-blue-badges")
    refused = client.post("/records/tayside-blue-badges/reject", data={**fields, "reason": "  "})
    assert refused.status_code == 422 and "Say why" in refused.text
    assert events(db, "tayside-blue-badges")[-1][0] == "created"
    done = client.post("/records/tayside-blue-badges/reject", data={**fields, "reason": "outcomes overstated"})
    assert done.status_code == 303
    assert done.headers["location"].startswith("/queue")  # the last record of the queue
    assert events(db, "tayside-blue-badges")[-1] == ("rejected", "Local Reviewer", "outcomes overstated")


def test_a_decision_on_a_version_someone_changed_is_a_conflict_showing_the_record_now(client: TestClient,
                                                                                     db: Path) -> None:  # fmt: skip
    fields = shown(client, "harbourside-housing")
    assert run("review", "reject", "harbourside-housing", "-n", "not a case study", "-r", "B. Other",
               "--db", str(db)).exit_code == 0  # fmt: skip
    answer = client.post("/records/harbourside-housing/accept", data=fields)
    assert answer.status_code == 409
    assert 'id="conflict"' in answer.text and "B. Other" in answer.text
    assert 'id="record-status">rejected<' in answer.text  # the record as it is now
    assert events(db, "harbourside-housing")[-1] == ("rejected", "B. Other", "not a case study")


def test_the_edit_form_round_trips_and_saves_a_new_version_under_the_reviewer(client: TestClient, db: Path) -> None:
    form = client.get("/records/rct-school-transport/edit")
    assert form.status_code == 200
    fields = dict(re.findall(r'<input name="([^"]+)" id="field-[^"]+" value="([^"]*)"', form.text))
    fields |= {name: text for name, text in re.findall(r'<textarea [^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>',
                                                       form.text)}  # fmt: skip
    fields |= {"csrf": csrf(form.text), "version": "1", "status": "pending", "queue": "", "trend": "harnessing data",
               "year": "2023", "note": "the year is 2023"}  # fmt: skip
    fields = {k: v.replace("&#39;", "'").replace("&amp;", "&").replace("&#34;", '"') for k, v in fields.items()}
    answer = client.post("/records/rct-school-transport/edit", data=fields)
    assert answer.status_code == 303, answer.text
    with Store(db, create=False) as store:
        record = store.get("rct-school-transport")
    assert (record.version, record.author, record.summary.year) == (2, "Local Reviewer", 2023)
    assert events(db, "rct-school-transport")[-1] == ("edited", "Local Reviewer", "the year is 2023")
    assert record.grounding.supported == record.grounding.total  # quotes checked against the source again


def test_an_invalid_edit_shows_each_problem_by_its_field_and_keeps_the_text(client: TestClient, db: Path) -> None:
    form = client.get("/records/rct-school-transport/edit").text
    fields = {"csrf": csrf(form), "version": "1", "status": "pending", "queue": "", "title": "A new title",
              "trend": "harnessing data", "year": "twenty", "overview.0.text": "My careful new overview <b>",
              "overview.0.q.0": ""}  # fmt: skip
    answer = client.post("/records/rct-school-transport/edit", data=fields)
    assert answer.status_code == 422
    assert 'value="twenty"' in answer.text and "My careful new overview &lt;b&gt;" in answer.text
    year = answer.text[answer.text.index('id="field-year"'):]
    assert year.index("year must be a year") < year.index('id="field-trend"')  # beside the year field
    overview = answer.text[answer.text.index('id="f-overview-0-text"'):]
    assert overview.index("has no evidence") < overview.index('id="f-overview-0-q-0"')
    assert events(db, "rct-school-transport")[-1][0] == "created"


def _form_fields(form: str) -> dict[str, str]:
    """The edit form's fields as a browser would post them back."""
    fields = dict(re.findall(r'<input name="([^"]+)" id="field-[^"]+" value="([^"]*)"', form))
    fields |= dict(re.findall(r'<textarea [^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', form))
    return {k: html.unescape(v) for k, v in fields.items()}


def test_saving_the_edit_form_changes_nothing_the_reviewer_did_not_change(client: TestClient, db: Path) -> None:
    """Invisible and control characters in a record (a zero-width space from a web page, a bell from a model) are
    kept as they are: the form is not the display, and escaping them there would rewrite untouched points."""
    with Store(db, create=False) as store:
        before = store.get(HOSTILE)
    form = client.get(f"/records/{HOSTILE}/edit").text
    fields = _form_fields(form) | {"csrf": csrf(form), "version": str(before.version), "status": str(before.status),
                                   "queue": "", "note": "title only", "trend": str(before.summary.trend)}  # fmt: skip
    fields["title"] = "A calmer title"
    answer = client.post(f"/records/{HOSTILE}/edit", data=fields)
    assert answer.status_code == 303, answer.text
    with Store(db, create=False) as store:
        after = store.get(HOSTILE)
    assert after.version == before.version + 1 and after.summary.title == "A calmer title"
    assert after.summary.challenges == before.summary.challenges  # "\x07 with a bell" still a bell
    assert after.summary.overview == before.summary.overview


def test_an_edit_with_no_change_saves_nothing(client: TestClient, db: Path) -> None:
    form = client.get("/records/rct-school-transport/edit").text
    fields = dict(re.findall(r'<input name="([^"]+)" id="field-[^"]+" value="([^"]*)"', form))
    fields |= dict(re.findall(r'<textarea [^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', form))
    fields = {k: v.replace("&#39;", "'").replace("&amp;", "&").replace("&#34;", '"') for k, v in fields.items()}
    fields |= {"csrf": csrf(form), "version": "1", "status": "pending", "queue": "", "trend": "harnessing data"}
    answer = client.post("/records/rct-school-transport/edit", data=fields)
    assert answer.status_code == 303
    assert "No change: nothing saved." in client.get(answer.headers["location"]).text
    assert events(db, "rct-school-transport")[-1][0] == "created"


# -- refused ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_form_without_the_sessions_csrf_token_changes_nothing(client: TestClient, db: Path,
                                                                 token: str | None) -> None:  # fmt: skip
    fields = shown(client, "harbourside-housing")
    before = table_counts(db)
    sent = {k: v for k, v in fields.items() if k != "csrf"} | ({} if token is None else {"csrf": token})
    for path in ("accept", "reject", "edit"):
        answer = client.post(f"/records/harbourside-housing/{path}", data={**sent, "reason": "x"})
        assert answer.status_code == 403 and "security token" in answer.text
    assert table_counts(db) == before


def test_a_form_posted_from_another_site_is_refused_even_with_a_token(client: TestClient, db: Path) -> None:
    fields = shown(client, "harbourside-housing")
    answer = client.post("/records/harbourside-housing/accept", data=fields, headers={"origin": "https://evil.example"})
    assert answer.status_code == 403
    assert events(db, "harbourside-housing")[-1][0] == "created"


def test_no_get_changes_anything(client: TestClient, db: Path) -> None:
    before = table_counts(db)
    for path in ("/", "/queue", "/records/harbourside-housing", "/records/harbourside-housing/edit", "/analyses",
                 "/login", "/records/harbourside-housing/accept?confirmed=yes&version=1&status=pending",
                 "/records/harbourside-housing/reject?reason=x", "/logout"):  # fmt: skip
        assert client.get(path).status_code in (200, 303, 404, 405), path
    assert client.get("/records/harbourside-housing/accept").status_code == 405
    assert table_counts(db) == before


def test_other_actions_are_not_posted(client: TestClient) -> None:
    fields = shown(client, "harbourside-housing")
    assert client.post("/records/harbourside-housing/skip", data=fields).status_code == 404


def test_without_signing_in_nothing_is_shown_or_saved(db: Path) -> None:
    with accounts_client(db, "Ann") as anonymous:
        for path in ("/queue", "/records/harbourside-housing", "/records/harbourside-housing/edit", "/analyses"):
            answer = anonymous.get(path)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
        token = csrf(anonymous.get("/login").text)
        before = table_counts(db)
        answer = anonymous.post("/records/harbourside-housing/accept",
                                data={"csrf": token, "version": "1", "status": "pending"})  # fmt: skip
        assert answer.status_code == 403 and "Sign in first" in answer.text
        assert table_counts(db) == before


def sign_in(client: TestClient, name: str, password: str = PASSWORD, next_page: str = "/queue") -> int:
    token = csrf(client.get("/login").text)
    return client.post("/login", data={"csrf": token, "name": name, "password": password, "next": next_page})


def test_decisions_are_saved_under_the_signed_in_account_never_a_form_field(db: Path) -> None:
    with accounts_client(db, "Ann", "Bob") as ann:
        signed = sign_in(ann, "Ann", next_page="/records/harbourside-housing")
        assert signed.status_code == 303 and signed.headers["location"] == "/records/harbourside-housing"
        fields = shown(ann, "harbourside-housing")
        assert ann.post("/records/harbourside-housing/reject",
                        data={**fields, "reason": "thin", "reviewer": "Bob"}).status_code == 303  # fmt: skip
    assert events(db, "harbourside-housing")[-1] == ("rejected", "Ann", "thin")


def test_one_reviewers_token_does_not_work_with_another_reviewers_session(db: Path) -> None:
    with accounts_client(db, "Ann", "Bob") as ann, TestClient(ann.app, follow_redirects=False) as bob:
        sign_in(ann, "Ann")
        sign_in(bob, "Bob")
        anns = shown(ann, "harbourside-housing")
        answer = bob.post("/records/harbourside-housing/accept", data=anns)  # Ann's token, Bob's cookie
        assert answer.status_code == 403
        assert events(db, "harbourside-housing")[-1][0] == "created"


def test_after_sign_out_or_when_disabled_a_session_can_do_nothing(db: Path) -> None:
    with accounts_client(db, "Ann") as ann:
        sign_in(ann, "Ann")
        fields = shown(ann, "harbourside-housing")
        with Store(db) as store:
            reviewers.disable(store, "Ann")
        assert ann.get("/queue").status_code == 303
        assert ann.post("/records/harbourside-housing/accept", data=fields).status_code == 403
        assert sign_in(ann, "Ann").status_code == 401  # a disabled account cannot sign in again
    with accounts_client(db, "Bob") as bob:
        sign_in(bob, "Bob")
        token = csrf(bob.get("/queue").text)
        assert bob.post("/logout", data={"csrf": token}).status_code == 303
        assert bob.get("/queue").status_code == 303
    assert events(db, "harbourside-housing")[-1][0] == "created"


def test_login_attempts_are_rate_limited(db: Path) -> None:
    with accounts_client(db, "Ann") as client:
        for _ in range(5):
            assert sign_in(client, "Ann", "wrong password").status_code == 401
        limited = sign_in(client, "Ann")  # even the right password, until the window passes
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
        assert "Too many failed sign-ins" in limited.text


def test_failed_sign_ins_with_a_name_do_not_lock_its_reviewer_out_from_elsewhere() -> None:
    from trendsum.web.security import LoginLimiter

    limiter = LoginLimiter(attempts=5, window=300)
    for _ in range(5):
        limiter.failed("10.0.0.66", "Ann")  # someone else, trying Ann's name
    assert limiter.wait("10.0.0.66", "Ann") > 0 and limiter.wait("10.0.0.66", "Bob") > 0  # that address waits
    assert limiter.wait("10.0.0.9", "Ann") == 0  # Ann, from her own machine, signs in
    for n in range(50):  # guessing from fifty addresses is slowed for the name all the same
        limiter.failed(f"10.1.0.{n}", "Carol")
    assert limiter.wait("10.2.0.1", "Carol") > 0
    limiter.MAX_KEYS = 100
    for n in range(2_000):  # names tried once each do not pile up for ever
        limiter.failed(f"10.3.{n // 250}.{n % 250}", f"name {n}")
    assert len(limiter.failures) <= 100 + 3
    assert limiter.wait("10.3.7.249", "name 1999") == 0 and limiter.failures  # the latest are kept


def test_login_only_sends_you_to_a_page_of_this_site(db: Path) -> None:
    with accounts_client(db, "Ann") as client:
        assert sign_in(client, "Ann", next_page="https://evil.example/").headers["location"] == "/queue"
    with accounts_client(db, "Bob") as client:
        assert sign_in(client, "Bob", next_page="//evil.example/").headers["location"] == "/queue"


def test_hostile_text_is_rendered_inert(client: TestClient, db: Path) -> None:
    fields = shown(client, HOSTILE)
    client.post(f"/records/{HOSTILE}/reject", data={**fields, "reason": f"reviewer says {SCRIPT} \x1b[2J {LINK}"})
    for path in ("/queue?status=any", f"/records/{HOSTILE}", f"/records/{HOSTILE}/edit"):
        page = client.get(path).text
        assert "<script>alert" not in page and "<img src=x" not in page, path
        assert "href=\"javascript:" not in page, path
        assert "&lt;script&gt;alert(" in page, path  # shown, as text
        if not path.endswith("/edit"):  # the edit form holds the text itself: what is saved must be what was there
            assert "\x1b" not in page and "\u202e" not in page, path
    record = client.get(f"/records/{HOSTILE}").text
    assert "\\x1b[31mred" in record and "\\u202eevil" in record and "\\x07 with a bell" in record
    assert "[click me](javascript:alert(2))" in record  # a Markdown link stays the characters it is
    assert "reviewer says &lt;script&gt;" in record and "\\x1b[2J" in record
    assert INVENTED in record


def test_every_response_carries_the_security_headers_and_a_strict_session_cookie(client: TestClient) -> None:
    cookie = client.get("/queue").headers["set-cookie"].lower()  # the first page makes the session
    assert "httponly" in cookie and "samesite=strict" in cookie
    for path in ("/queue", "/records/harbourside-housing", "/static/review.js", "/records/nope"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"


def test_pages_have_no_inline_script_or_event_handlers(client: TestClient) -> None:
    for path in ("/queue", "/records/tayside-blue-badges", "/records/tayside-blue-badges/edit"):
        page = client.get(path).text
        assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/review.js" defer>']
        assert not re.search(r"\son[a-z]+=", page) and "style=" not in page


def test_on_loopback_only_loopback_host_names_are_answered(db: Path) -> None:
    app = build(Settings(str(db), "Local", accounts=False, allowed_hosts=["127.0.0.1", "localhost"]))
    with TestClient(app, base_url="http://127.0.0.1") as local, \
            TestClient(app, base_url="http://rebound.example") as far:
        assert local.get("/queue").status_code == 200
        assert far.get("/queue").status_code == 400  # DNS rebinding: a page elsewhere cannot read the queue


# -- the commands -----------------------------------------------------------------------------------------------


def test_serve_refuses_a_network_address_without_accounts(db: Path) -> None:
    result = run("serve", "--host", "0.0.0.0", "--db", str(db))
    assert result.exit_code == 2 and "without reviewer accounts" in result.stderr
    assert "trendsum reviewers add" in result.stderr


def test_serve_without_the_web_extra_says_what_to_install(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web, "missing", lambda: ["starlette", "uvicorn"])
    result = run("serve", "--db", str(db))
    assert result.exit_code == 2
    assert "pip install 'trendsum[web]'" in result.stderr and "starlette" in result.stderr


def test_reviewer_accounts_are_added_listed_and_disabled(db: Path) -> None:
    assert run("reviewers", "add", "Ann", "--password-stdin", "--db", str(db), input="short\n").exit_code == 2
    assert run("reviewers", "add", "Ann", "--password-stdin", "--db", str(db), input=PASSWORD + "\n").exit_code == 0
    again = run("reviewers", "add", "Ann", "--password-stdin", "--db", str(db), input=PASSWORD + "\n")
    assert again.exit_code == 2 and "already" in again.stderr
    assert "Ann\tactive" in run("reviewers", "list", "--db", str(db)).stdout
    assert run("reviewers", "disable", "Ann", "--db", str(db)).exit_code == 0
    assert "Ann\tdisabled" in run("reviewers", "list", "--db", str(db)).stdout
    assert run("reviewers", "disable", "Nobody", "--db", str(db)).exit_code == 2
    with sqlite3.connect(db) as connection:
        stored = connection.execute("SELECT password_hash FROM reviewers").fetchone()[0]
    assert stored.startswith("scrypt$") and PASSWORD not in stored
    assert reviewers.password_matches(PASSWORD, stored) and not reviewers.password_matches("wrong", stored)


def test_serve_plans_accounts_off_loopback_and_the_cli_reviewer_on_it(db: Path) -> None:
    from trendsum.web import server

    local = server.plan("127.0.0.1", 8000, db, lambda: "Local", require_login=False)
    assert local.reviewer == "Local" and "localhost" in local.allowed_hosts
    with Store(db) as store:
        reviewers.add(store, "Ann", PASSWORD)
    shared = server.plan("0.0.0.0", 8000, db, lambda: "Local", require_login=False)
    assert shared.reviewer is None and shared.url == "http://0.0.0.0:8000/"
    assert server.plan("::1", 8000, db, lambda: "Local", require_login=True).reviewer is None


def test_status_values_match_the_domain() -> None:
    assert {s.value for s in Status} == {"pending", "approved", "rejected", "stale"}


def test_evidence_is_found_in_the_source_as_grounding_compares_quotes() -> None:
    from trendsum.domain.models import Point
    from trendsum.web.evidence import spans

    source = "The Council said: \u201cWe cut waiting\n   times by 80%.\u201d Then the queue grew again."
    point = Point(text="x", evidence=['we cut waiting times by 80%', "The Council said ... the queue grew again",
                                      "a quote that is nowhere"])  # fmt: skip
    found = [source[start:end] for start, end in spans(point, source)]
    assert found == ["The Council said", "We cut waiting\n   times by 80%", "the queue grew again"]


def test_a_cited_sentence_is_highlighted_where_it_was_cited_not_where_its_words_first_appear() -> None:
    from trendsum.domain.models import Evidence, Point
    from trendsum.web.evidence import spans

    source = "Bins were missed. The council apologised.\n\nLater: Bins were missed. Then it changed."
    second = source.rindex("Bins were missed.")
    cited = Evidence(text="Bins were missed.", sentence=3, start=second, end=second + 17)
    assert spans(Point(text="x", evidence=[cited]), source) == [(second, second + 17)]
    # a text that no longer holds the sentence at its span (the file changed): looked for as a quote
    moved = "Intro. " + source
    assert spans(Point(text="x", evidence=[cited]), moved) == [(7, 24)]
