"""The review pages: each route reads the queue (`pages`) or turns a posted form into one `queue.walk` action and
renders the `Outcome`, as the terminal review turns a key press into one. Nothing here knows a review rule.

Every state change is a POST carrying the session's CSRF token and the version and status the reviewer was shown;
GET never changes anything. The reviewer's name is the signed-in account's (or, on loopback without accounts, the
one `serve` was started with), never a form field's.

Handlers are `async` and use one store connection on the event loop's thread: requests are served one at a time,
each a few milliseconds, and SQLite's own locking keeps the CLI and other servers on the same queue in step.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import unicodedata
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import FormData, MultiDict
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ..domain.models import Record, Status, Trend
from ..errors import RecordNotFound, TrendsumError, UsageError
from ..queue import reviewers
from ..queue.analysis_store import AnalysisNotFound
from ..queue.store import Store, queue_error
from ..queue.walk import (
    Action,
    Conflict,
    Decided,
    Edited,
    InvalidEdit,
    NeedsConfirm,
    NeedsReason,
    Refused,
    Unchanged,
    Walk,
)
from . import forms, pages
from .security import LoginLimiter, SecurityHeaders, csrf_ok, csrf_token, same_origin

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
LEGEND = [("a", "accept"), ("r", "reject"), ("e", "edit"), ("s", "skip"), ("j", "next"), ("k", "previous"),
          ("?", "help")]  # fmt: skip


@dataclass
class Settings:
    db: str
    reviewer: str | None  # who acts, when there are no accounts (loopback): as the CLI names them
    accounts: bool  # sign in with a reviewer account (`trendsum reviewers add`)
    allowed_hosts: list[str] = field(default_factory=lambda: ["*"])
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))  # sessions end when the server stops
    https_only: bool = False


def inert(value: object) -> str:
    """Untrusted text with every control and direction-changing character shown as an escape (\\x1b), so it can
    neither hide text nor reorder it; Jinja's autoescape then makes it text, never markup."""
    text = "" if value is None else unicodedata.normalize("NFC", str(value))
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                        text)  # fmt: skip


def _templates() -> Jinja2Templates:
    folder = files("trendsum.web") / "templates"
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), autoescape=True,
                                     undefined=jinja2.StrictUndefined)  # fmt: skip
    environment.filters["inert"] = inert
    return Jinja2Templates(env=environment)


class Review:
    """The application's state: settings, the store, the templates and the login limiter."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.templates = _templates()
        self.limiter = LoginLimiter()
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.settings.db, create=False)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    # -- who is asking --------------------------------------------------------------------------------------

    def reviewer(self, request: Request) -> str | None:
        if not self.settings.accounts:
            return self.settings.reviewer
        name = request.session.get("reviewer")
        if isinstance(name, str) and reviewers.is_active(self.store, name):
            return name
        if name is not None:
            request.session.pop("reviewer", None)  # disabled since: signed out now
        return None

    def page(self, request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
        reviewer = self.reviewer(request)
        flashes = request.session.pop("flash", [])
        base = {"csrf": csrf_token(request.session), "reviewer": reviewer, "accounts": self.settings.accounts,
                "flashes": flashes, "legend": LEGEND, "trends": [t.value for t in Trend]}  # fmt: skip
        return self.templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)

    def error(self, request: Request, status_code: int, message: str) -> Response:
        return self.page(request, "error.html", {"message": message, "title": "Not possible"}, status_code)


def flash(request: Request, message: str) -> None:
    request.session["flash"] = [*request.session.get("flash", []), message]


def _local_path(target: str | None) -> str:
    """Where to go after signing in: a path on this site only, never another site's address."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/queue"


def _record_url(record_id: str, filters: pages.Filters, **extra: str) -> str:
    query = filters.query(**extra)
    return f"/records/{quote(record_id, safe='')}" + (f"?{query}" if query else "")


def _queue_url(filters: pages.Filters) -> str:
    query = filters.query()
    return "/queue" + (f"?{query}" if query else "")


def build(settings: Settings) -> Starlette:
    """The Starlette application serving the queue at `settings.db`."""
    review = Review(settings)

    def guarded(handler: Callable[..., Any], *, post: bool = False, login: bool = True) -> Callable[..., Any]:
        """Sign-in, CSRF and origin checks around a handler; a queue error becomes a page, not a traceback."""

        async def endpoint(request: Request) -> Response:
            form: FormData | None = None
            if post:
                form = await request.form()
                if not same_origin(request.headers, request.headers.get("host")) or not csrf_ok(
                        request.session, form.get("csrf")):  # fmt: skip
                    return review.error(request, 403, "This form is out of date or did not come from this site "
                                                      "(its security token does not match): nothing was saved. "
                                                      "Reload the page and try again.")  # fmt: skip
            reviewer = review.reviewer(request)
            if login and reviewer is None:
                if post:
                    return review.error(request, 403, "Sign in first: nothing was saved.")
                return RedirectResponse("/login?" + urlencode({"next": request.url.path + (
                    f"?{request.url.query}" if request.url.query else "")}), status_code=303)  # fmt: skip
            try:
                if post:
                    return await handler(request, reviewer, form)
                return await handler(request, reviewer)
            except (RecordNotFound, AnalysisNotFound) as exc:
                return review.error(request, 404, str(exc))
            except TrendsumError as exc:
                return review.error(request, 400, str(exc))
            except sqlite3.Error as exc:
                return review.error(request, 500, str(queue_error(exc, review.store.path)))

        return endpoint

    # -- reading ------------------------------------------------------------------------------------------

    async def home(request: Request, reviewer: str) -> Response:
        return RedirectResponse("/queue", status_code=303)

    async def queue(request: Request, reviewer: str) -> Response:
        filters = pages.Filters.parse(request.query_params)
        try:
            number = int(request.query_params.get("page") or 1)
        except ValueError:
            raise UsageError("page must be a number") from None
        page = pages.queue_page(review.store, filters, number)
        return review.page(request, "queue.html", {"q": page, "title": "Review queue", "statuses": list(Status)})

    async def record(request: Request, reviewer: str) -> Response:
        filters = pages.Filters.parse(request.query_params)
        view = pages.record_page(review.store, request.path_params["record_id"], filters, reviewer,
                                 request.query_params.get("point"))  # fmt: skip
        return review.page(request, "record.html", _record_context(view, filters))

    def _record_context(view: pages.RecordPage, filters: pages.Filters, **extra: Any) -> dict[str, Any]:
        return {"v": view, "r": view.record, "title": view.record.summary.title, "queue_query": filters.query(),
                "record_url": lambda rid, **kw: _record_url(rid, filters, **kw), "queue_url": _queue_url(filters),
                "confirm": None, "error": None, "conflict": None, "kept_text": None, **extra}  # fmt: skip

    async def edit_form(request: Request, reviewer: str) -> Response:
        filters = pages.Filters.parse(request.query_params)
        view = pages.record_page(review.store, request.path_params["record_id"], filters, reviewer)
        form = forms.from_summary(view.record.summary).with_blanks()
        return review.page(request, "edit.html", _edit_context(view, filters, form))

    def _edit_context(view: pages.RecordPage, filters: pages.Filters, form: forms.EditForm,
                      problems: dict[str, list[str]] | None = None, general: list[str] | None = None,
                      version: int | None = None, status: str | None = None) -> dict[str, Any]:  # fmt: skip
        return {**_record_context(view, filters), "form": form, "problems": problems or {}, "general": general or [],
                "sections": forms.ORDER, "single": forms.SINGLE, "section_titles": pages.SECTION_TITLES,
                "shown_version": version or view.record.version,
                "shown_status": status or view.record.status.value}  # fmt: skip

    async def analyses(request: Request, reviewer: str) -> Response:
        return review.page(request, "analyses.html", {"rows": pages.analyses(review.store), "title": "Analyses"})

    async def analysis(request: Request, reviewer: str) -> Response:
        found, events, known = pages.analysis(review.store, request.path_params["analysis_id"])
        return review.page(request, "analysis.html", {"a": found, "events": events, "known": known,
                                                      "title": f"Analysis {found.id}"})  # fmt: skip

    # -- deciding -----------------------------------------------------------------------------------------

    def shown_record(form: FormData, record_id: str) -> Record:
        """The record as the reviewer was shown it: that version, with the status the page showed."""
        try:
            version = int(str(form.get("version")))
            status = Status(str(form.get("status")))
        except ValueError:
            raise UsageError("The form does not say which version of the record you saw: reload the page.") from None
        return review.store.get(record_id, version).model_copy(update={"status": status})

    def walk_at(record_id: str, filters: pages.Filters, reviewer: str) -> Walk:
        walk = Walk(review.store, pages.queue_rows(review.store, filters), reviewer)
        walk.index = walk.ids.index(record_id) if record_id in walk.ids else len(walk.ids)
        return walk

    def queue_filters(form: FormData) -> pages.Filters:
        pairs = parse_qs(str(form.get("queue") or ""), keep_blank_values=False)
        return pages.Filters.parse(MultiDict([(k, v) for k, values in pairs.items() for v in values]))

    async def decide(request: Request, reviewer: str, form: FormData) -> Response:
        record_id = request.path_params["record_id"]
        if request.path_params["action"] not in (Action.ACCEPT, Action.REJECT):
            return review.error(request, 404, "Records are accepted, rejected or edited: nothing else is posted.")
        action = Action(request.path_params["action"])
        filters = queue_filters(form)
        shown = shown_record(form, record_id)
        walk = walk_at(record_id, filters, reviewer)
        in_queue = record_id in walk.ids
        outcome = walk.act(action, shown, confirmed=form.get("confirmed") == "yes",
                           reason=str(form.get("reason") or ""))  # fmt: skip
        if isinstance(outcome, Decided):
            flash(request, f"{outcome.record_id} v{outcome.version}: {outcome.status} by {outcome.reviewer}.")
            following = walk.current() if in_queue else None
            if following is not None:
                return RedirectResponse(_record_url(following.id, filters), status_code=303)
            if in_queue:
                flash(request, "That was the last record in this queue.")
                return RedirectResponse(_queue_url(filters), status_code=303)
            return RedirectResponse(_record_url(record_id, filters), status_code=303)
        view = pages.record_page(review.store, record_id, filters, reviewer)
        if isinstance(outcome, NeedsConfirm):
            extra: dict[str, Any] = {"confirm": outcome.unsupported, "shown": shown}
            return review.page(request, "record.html", _record_context(view, filters, **extra))
        if isinstance(outcome, NeedsReason):
            return review.page(request, "record.html", _record_context(
                view, filters, error="Say why you reject it: a rejection without a reason cannot be acted on."),
                422)  # fmt: skip
        if isinstance(outcome, Conflict):
            return review.page(request, "record.html", _record_context(view, filters, conflict=outcome.message), 409)
        message = outcome.message if isinstance(outcome, Refused) else "Not saved."
        return review.page(request, "record.html", _record_context(view, filters, error=message), 409)

    async def edit(request: Request, reviewer: str, form: FormData) -> Response:
        record_id = request.path_params["record_id"]
        filters = queue_filters(form)
        shown = shown_record(form, record_id)
        typed = forms.from_fields({key: str(value) for key, value in form.multi_items()})
        text, fields = forms.to_markdown(typed, (shown.id, shown.version))
        walk = walk_at(record_id, filters, reviewer)
        outcome = walk.edit(shown, text, typed.note.strip() or None)
        if isinstance(outcome, Edited):
            saved = outcome.outcome
            checked = saved.grounding
            flash(request, f"Saved as version {saved.saved.version} by {reviewer} ({saved.saved.status}): "
                           f"{checked.summary_line()}.")  # fmt: skip
            if saved.source_problem:
                flash(request, f"{saved.source_problem} The quotes could not be checked again: new or changed ones "
                               "are marked as not found.")  # fmt: skip
            flash(request, "This is the new version: accept it, or edit it again.")
            return RedirectResponse(_record_url(record_id, filters), status_code=303)
        view = pages.record_page(review.store, record_id, filters, reviewer)
        if isinstance(outcome, Conflict):
            return review.page(request, "record.html", _record_context(view, filters, conflict=outcome.message,
                                                                       kept_text=text), 409)  # fmt: skip
        if isinstance(outcome, InvalidEdit):
            placed, general = forms.problems_by_field(outcome.problems, fields)
            return review.page(request, "edit.html", _edit_context(view, filters, typed.with_blanks(), placed, general,
                                                                   shown.version, shown.status.value), 422)  # fmt: skip
        if isinstance(outcome, Unchanged) or (isinstance(outcome, Refused) and outcome.message.startswith("No change")):
            flash(request, "No change: nothing saved.")
            return RedirectResponse(_record_url(record_id, filters), status_code=303)
        return review.page(request, "edit.html", _edit_context(view, filters, typed.with_blanks(), {},
                                                               [outcome.message], shown.version,
                                                               shown.status.value), 409)  # fmt: skip

    # -- signing in ---------------------------------------------------------------------------------------

    async def login_form(request: Request, reviewer: str | None) -> Response:
        if not settings.accounts:
            return RedirectResponse("/queue", status_code=303)
        return review.page(request, "login.html", {"title": "Sign in", "next": _local_path(
            request.query_params.get("next")), "failed": None, "name": ""})  # fmt: skip

    async def login(request: Request, reviewer: str | None, form: FormData) -> Response:
        if not settings.accounts:
            return RedirectResponse("/queue", status_code=303)
        name = str(form.get("name") or "").strip()[:80]
        target = _local_path(str(form.get("next") or ""))
        client = request.client.host if request.client else "?"
        wait = review.limiter.wait(client, name)
        if wait:
            response = review.page(request, "login.html", {"title": "Sign in", "next": target, "name": name,
                                                           "failed": f"Too many failed sign-ins: try again in {wait} "
                                                                     "seconds."}, 429)  # fmt: skip
            response.headers["retry-after"] = str(wait)
            return response
        account = reviewers.authenticate(review.store, name, str(form.get("password") or ""))
        if account is None:
            review.limiter.failed(client, name)
            return review.page(request, "login.html", {"title": "Sign in", "next": target, "name": name,
                                                       "failed": "Wrong name or password."}, 401)  # fmt: skip
        request.session.clear()  # a new session for the new identity: nothing carried over from before
        request.session["reviewer"] = account
        csrf_token(request.session)
        return RedirectResponse(target, status_code=303)

    async def logout(request: Request, reviewer: str | None, form: FormData) -> Response:
        request.session.clear()
        return RedirectResponse("/login" if settings.accounts else "/queue", status_code=303)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        review.store  # noqa: B018 (open the queue now: a missing one is said at start, not at the first page)
        yield
        review.close()

    async def not_found(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 405:
            return Response("Method not allowed: pages change nothing on GET; actions are forms.", 405,
                            headers=getattr(exc, "headers", None))  # fmt: skip
        return HTMLResponse("<!doctype html><title>Not found</title><p>Not found. <a href=\"/queue\">The queue</a>",
                            status_code=exc.status_code)  # fmt: skip

    routes = [
        Route("/", guarded(home)),
        Route("/queue", guarded(queue)),
        Route("/records/{record_id}", guarded(record)),
        Route("/records/{record_id}/edit", guarded(edit_form)),
        Route("/records/{record_id}/edit", guarded(edit, post=True), methods=["POST"]),
        Route("/records/{record_id}/{action:str}", guarded(decide, post=True), methods=["POST"]),
        Route("/analyses", guarded(analyses)),
        Route("/analyses/{analysis_id}", guarded(analysis)),
        Route("/login", guarded(login_form, login=False)),
        Route("/login", guarded(login, post=True, login=False), methods=["POST"]),
        Route("/logout", guarded(logout, post=True, login=False), methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(files("trendsum.web") / "static")), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts),
        Middleware(SessionMiddleware, secret_key=settings.secret, session_cookie="trendsum_session",
                   same_site="strict", https_only=settings.https_only, max_age=12 * 3600),  # fmt: skip
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={404: not_found, 405: not_found})  # fmt: skip
    app.state.review = review
    return app
