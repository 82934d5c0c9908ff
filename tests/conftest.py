"""Shared fixtures: no network credentials, a private database per test, and case studies written here."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_openai import TEST_KEY, FakeOpenAI

HEADED = """# Tayside Council: a single front door for blue badge applications

## Background

Tayside Council handles around 6,000 blue badge applications a year. Until 2023 residents applied on paper
or by phone, and staff re-typed every form into the case system.

## The challenge

The main problem was a backlog of more than 900 applications that had built up by the spring of 2023.
Residents waited up to eleven weeks for a decision and many phoned the contact centre to chase progress.

## What we did

The team redesigned the application as an online form built with residents who hold a badge.
We introduced automatic checks against the council's existing benefits data, so that most applicants no
longer had to post evidence.

## Results

As a result, the average time to a decision fell from eleven weeks to nine days.
Calls to the contact centre about blue badges dropped by 64% in the first six months.

## Unintended consequences

An unexpected side effect was a rise in applications from people who were not eligible, because the form was
so much easier to complete.

## Lessons learnt

One lesson was that involving badge holders from the first week saved months of rework later.
Do not underestimate the time needed to agree data sharing between departments.
"""

PROSE_NO_LESSONS = """Harbourside Borough Council moves its housing register online

Harbourside Borough Council in England runs a housing register of about 4,000 households.
The main problem was that applicants had to complete a twelve-page paper form and post it back.
Staff spent most of their week chasing missing documents and could not respond quickly.
To address this, the team built a short online application that asks only the questions needed for each household.
The council worked with a local charity to test the new form with people who had recently applied.
As a result, the number of incomplete applications fell by 70% during 2024.
Households now receive a decision in about two weeks instead of two months.
"""

WELSH_AI = """# Cwm Taf data: predicting demand for school transport

Rhondda Cynon Taf Council, in Wales, used a machine learning model in 2024 to forecast demand for school transport routes.
The analytics team combined admissions data with historic route data in a new dashboard.
As a result, the council reduced the number of under-used routes by 15% and saved £240,000 a year.
"""


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test runs in its own folder with no API key, no endpoint, and its own database."""
    for name in list(os.environ):
        if name.startswith(("OPENAI_", "TRENDSUM_", "AZURE_OPENAI")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.setenv("TRENDSUM_REVIEWER", "Test Reviewer")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "tayside-blue-badges.md").write_text(HEADED, encoding="utf-8")
    (folder / "harbourside-housing.txt").write_text(PROSE_NO_LESSONS, encoding="utf-8")
    (folder / "rct-school-transport.md").write_text(WELSH_AI, encoding="utf-8")
    return folder


@pytest.fixture
def one_case(tmp_path: Path) -> Path:
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "harbourside-housing.txt").write_text(PROSE_NO_LESSONS, encoding="utf-8")
    return folder


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "outputs" / "trendsum.db"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    """A scripted OpenAI-compatible server on 127.0.0.1, with an API key set; requests it was not scripted for
    fail the test."""
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    with FakeOpenAI() as fake:
        yield fake
    assert not fake.unexpected, f"{len(fake.unexpected)} request(s) after the script ran dry"
