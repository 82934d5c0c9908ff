"""The review pages in a real browser: headless Chromium (the system's, driven through its chromedriver) against a
real uvicorn server on 127.0.0.1. One server and one browser for the module; two reviewers at once are two
sessions of that browser, one at 127.0.0.1 and one at localhost (cookies are kept per host name).

Without chromium and chromedriver the tests skip, saying so; with TRENDSUM_BROWSER_REQUIRED=1 (set by .ci/run once
it has installed them) they fail instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from web_queue import HOSTILE, make_queue

from trendsum.queue import reviewers
from trendsum.queue.store import Store
from trendsum.web.app import Settings, build
from trendsum.web.server import in_thread

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
Site = tuple[str, str, Path]  # Ann's base URL, Bob's (the same server under another host name), the queue
REQUIRED = os.environ.get("TRENDSUM_BROWSER_REQUIRED") == "1"  # read at import: the autouse fixture clears TRENDSUM_*


def _system_browser() -> tuple[str, str]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    reason = ("chromium/chromedriver not found: the browser tests did NOT run. Install them (Debian: apt-get "
              "install chromium chromium-driver) to run them.")  # fmt: skip
    if REQUIRED:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """(Ann's base URL, Bob's base URL, the queue): the same server under two host names."""
    _system_browser()
    db = make_queue(tmp_path_factory.mktemp("browser"))
    with Store(db) as store:
        for name in ("Ann", "Bob"):
            reviewers.add(store, name, PASSWORD)
    with in_thread(build(Settings(str(db), None, accounts=True))) as url:
        yield url, url.replace("127.0.0.1", "localhost"), db


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = _system_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,900"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    driver.implicitly_wait(3)
    ann, bob, _ = site
    for base, name in ((ann, "Ann"), (bob, "Bob")):
        driver.get(f"{base}/login")
        driver.find_element("id", "name").send_keys(name)
        driver.find_element("id", "password").send_keys(PASSWORD)
        driver.find_element("id", "sign-in").click()
        assert driver.find_elements("id", "reviewer-name"), driver.page_source[:3000]
        assert driver.find_element("id", "reviewer-name").text == name
    yield driver
    driver.quit()


def last_event(db: Path, record_id: str) -> tuple[str, str, str | None]:
    with Store(db, create=False) as store:
        event = store.events(record_id)[-1]
    return event.action, event.reviewer, event.note


def wait_for(browser: Any, condition: Callable[[], object], what: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 5).until(lambda driver: condition(), message=what)


def test_accept_with_the_a_key_saves_it_under_the_reviewer_and_shows_the_next(browser: Any, site: Site) -> None:
    ann, _, db = site
    browser.get(f"{ann}/records/harbourside-housing")
    assert "a accept" in browser.find_element("id", "legend").text.replace("\n", " ")
    browser.find_element("tag name", "body").send_keys("a")
    wait_for(browser, lambda: browser.find_element("id", "record-id").text == "rct-school-transport",
             "the walk's next record after accepting")  # fmt: skip
    assert "harbourside-housing v1: approved by Ann." in browser.find_element("css selector", ".flash").text
    assert last_event(db, "harbourside-housing") == ("approved", "Ann", None)


def test_reject_with_a_reason(browser: Any, site: Site) -> None:
    ann, _, db = site
    browser.get(f"{ann}/records/tayside-blue-badges")
    browser.find_element("id", "reject").click()  # no reason yet: refused, nothing saved
    assert "Say why" in browser.find_element("id", "error").text
    assert last_event(db, "tayside-blue-badges")[0] == "created"
    browser.find_element("id", "reason").send_keys("outcomes overstated")
    browser.find_element("id", "reject").click()
    wait_for(browser, lambda: last_event(db, "tayside-blue-badges") == ("rejected", "Ann", "outcomes overstated"),
             "the rejection saved")  # fmt: skip


def test_an_edit_that_fails_validation_keeps_the_text_then_succeeds(browser: Any, site: Site) -> None:
    ann, _, db = site
    browser.get(f"{ann}/records/rct-school-transport?status=any")
    browser.find_element("id", "edit").click()
    overview = browser.find_element("id", "f-overview-0-text")
    overview.clear()
    overview.send_keys("Rhondda Cynon Taf forecast school transport demand with a model.")
    original_quote = browser.find_element("id", "f-overview-0-q-0").get_attribute("value")
    for quote in browser.find_elements("css selector", "#section-overview textarea.quote-field"):
        quote.clear()  # a point with no quote at all
    browser.find_element("id", "field-year").clear()
    browser.find_element("id", "field-year").send_keys("twenty")
    browser.find_element("id", "save").click()
    assert "not valid" in browser.find_element("id", "problems").text
    assert browser.find_element("id", "field-year").get_attribute("value") == "twenty"  # kept as typed
    assert browser.find_element("id", "f-overview-0-text").get_attribute("value").startswith("Rhondda Cynon Taf")
    beside = browser.find_element("xpath", "//textarea[@id='f-overview-0-text']/../following-sibling::p[1]")
    assert "has no evidence" in beside.text
    assert last_event(db, "rct-school-transport")[0] != "edited"
    # the quote again, this time chosen by selecting it in the source
    browser.execute_script(
        "const text = document.getElementById('source-text').firstChild;"
        "const at = text.data.indexOf(arguments[0]); const range = document.createRange();"
        "range.setStart(text, at); range.setEnd(text, at + arguments[0].length);"
        "const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);",
        original_quote)  # fmt: skip
    browser.find_element("css selector", "#section-overview button.use-selection").click()
    assert browser.find_element("id", "f-overview-0-q-0").get_attribute("value") == original_quote
    year = browser.find_element("id", "field-year")
    year.clear()
    year.send_keys("2024")
    browser.find_element("id", "save").click()
    wait_for(browser, lambda: browser.find_elements("css selector", ".flash"), "the saved edit")
    assert "Saved as version 2 by Ann" in browser.find_element("css selector", ".flash").text
    assert last_event(db, "rct-school-transport")[:2] == ("edited", "Ann")
    with Store(db, create=False) as store:
        overview = store.get("rct-school-transport").summary.overview
    assert overview.quotes == [original_quote]
    assert overview.evidence[0].sentence is not None  # the same sentence selected again keeps its citation


def test_two_reviewers_at_once_the_second_gets_a_conflict_page(browser: Any, site: Site) -> None:
    ann, bob, db = site
    browser.get(f"{ann}/records/{HOSTILE}")
    ann_tab = browser.current_window_handle
    browser.switch_to.new_window("tab")
    browser.get(f"{bob}/records/{HOSTILE}")
    browser.find_element("id", "reason").send_keys("invented outcomes")
    browser.find_element("id", "reject").click()
    wait_for(browser, lambda: last_event(db, HOSTILE) == ("rejected", "Bob", "invented outcomes"), "Bob's rejection")
    browser.close()
    browser.switch_to.window(ann_tab)  # Ann's page still shows the record pending
    browser.find_element("id", "reason").send_keys("not a case study")
    browser.find_element("id", "reject").click()
    conflict = browser.find_element("id", "conflict").text
    assert "someone else changed this record" in conflict and "Bob" in conflict
    assert browser.find_element("id", "record-status").text == "rejected"  # shown as it is now
    assert last_event(db, HOSTILE) == ("rejected", "Bob", "invented outcomes")  # never overwritten


def test_selecting_a_point_highlights_its_evidence_in_view(browser: Any, site: Site) -> None:
    ann, _, _ = site
    browser.get(f"{ann}/records/tayside-blue-badges?status=any")
    browser.find_element("css selector", 'a.select-point[data-point="lessons-1"]').click()
    marks = browser.find_elements("css selector", "mark.ev.selected")
    assert marks and "data sharing between departments" in " ".join(m.text for m in marks)
    assert "selected" in browser.find_element("id", "point-lessons-1").get_attribute("class")
    in_view = browser.execute_script(
        "const mark = arguments[0].getBoundingClientRect(); const pane = arguments[0].closest('section.source')"
        ".getBoundingClientRect(); return mark.top >= pane.top && mark.bottom <= pane.bottom"
        " && mark.bottom <= window.innerHeight;", marks[0])  # fmt: skip
    assert in_view
    color = browser.execute_script("return getComputedStyle(arguments[0]).backgroundColor", marks[0])
    other = browser.find_element("css selector", "mark.ev:not(.selected)")
    assert color != browser.execute_script("return getComputedStyle(arguments[0]).backgroundColor", other)
