"""The interactive review walk: one record at a time, one key per decision, nothing lost on quit.

Every decision is saved the moment it is made, against the version and status the reviewer was shown, so
quitting (or Ctrl-C) loses nothing and a record someone else changed meanwhile is shown again, not
overwritten. The console, the key reader and the editor are passed in, so tests can drive it all.
"""

from __future__ import annotations

import itertools
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from pathlib import Path
from typing import Protocol

from rich.console import Console, RenderableType
from rich.text import Text

from . import editing, review
from ..errors import ConflictError, TrendsumError
from ..domain.models import Record, Status
from ..cli.render import compact, diff_view, literal, printable, record_view
from .store import RecordRow, Store

DEFAULT_STATUSES = (Status.PENDING, Status.STALE)
LEGEND = "a accept · e edit · r reject · s skip · b back · v view source · q quit · ? help"
# The keys as the prompt line gives them, from the longest; with none, the legend just above still lists them.
PROMPT_KEYS = (
    "a accept · e edit · r reject · s skip · b back · v source · q quit · ? help",
    "a accept · e edit · r reject · s skip · ? help",
    "[a,e,r,s,b,v,q,?]",
    "",
)
PROMPT_TITLE = 24  # cells of the title worth keeping: the keys are cut down first, down to none
HELP = """\
  a  accept: approve this version for reports (asks again if some quotes are not in the source)
  e  edit: open the record as Markdown in your editor; saving makes a new version under your name
  r  reject: asks for the reason, which is kept with the decision
  s  skip: leave it pending and go to the next one (also →)
  b  back: the previous record (also ←)
  v  view source: page through the case study the summary was made from
  q  quit: every decision so far is already saved; what you did not decide stays as it was
  ?  this help"""


class Order(StrEnum):
    GROUNDED = "grounded"  # least grounded first: the records most likely to need a correction
    OLDEST = "oldest"  # longest waiting first


class Keys(Protocol):
    def key(self) -> str:
        """One key press; '' when the input has ended."""

    def line(self) -> str:
        """A line of text, without its newline; '' when the input has ended."""


Editor = Callable[[Path], int]  # opens the file for the reviewer, returns the editor's exit status


def review_queue(
    store: Store,
    statuses: Sequence[Status] = (),
    trend: str | None = None,
    nation: str | None = None,
    engine: str | None = None,
    ids: Sequence[str] = (),
    order: Order = Order.GROUNDED,
) -> list[RecordRow]:
    """The records to walk. Named ids are walked whatever their status unless --status says otherwise."""
    for record_id in ids:
        store.get(record_id)  # an unknown id is a usage error, not an empty queue
    rows = store.rows(statuses or (() if ids else DEFAULT_STATUSES), trend, nation, engine, ids)
    if order == Order.OLDEST:
        return sorted(rows, key=lambda r: (r.updated_at, r.id))
    return sorted(rows, key=lambda r: (r.grounded / r.points if r.points else 1.0, r.grounded - r.points, r.id))


class _Step(Enum):
    NEXT = "next"
    BACK = "back"
    SHOW = "show"  # show the record again (it changed, or the screen moved on)
    ASK = "ask"  # ask for another key about the same record
    QUIT = "quit"


@dataclass
class Tally:
    decided: dict[str, str] = field(default_factory=dict)  # record id -> approved / rejected
    edited: list[str] = field(default_factory=list)
    skipped: set[str] = field(default_factory=set)
    interrupted: bool = False


class ReviewSession:
    def __init__(
        self,
        store: Store,
        rows: Sequence[RecordRow],
        console: Console,
        keys: Keys,
        reviewer: str,
        editor: Editor,
        drafts: Path,
    ) -> None:
        self.store = store
        self.ids = [row.id for row in rows]
        self.console = console
        self.keys = keys
        self.reviewer = reviewer
        self.editor = editor
        self.drafts = drafts
        self.tally = Tally()
        self.notices: list[Text] = []  # said after the record is shown again, next to the prompt where it is seen
        self._summary_on_screen = False

    # -- the walk -------------------------------------------------------------------------------------------

    def run(self) -> Tally:
        if not self.ids:
            self.console.print("Nothing to review.")
            return self.tally
        self.console.print(Text.assemble(f"Reviewing {len(self.ids)} record(s) as ", literal(self.reviewer, "bold"),
                                         ". Press ? for help."))  # fmt: skip
        try:
            self._walk()
        except KeyboardInterrupt:
            self.tally.interrupted = True
            self.console.print()
        if not self._summary_on_screen:
            self.console.print(self._summary())
        return self.tally

    def _walk(self) -> None:
        index = 0
        while True:
            if index >= len(self.ids):
                if self._at_end() == _Step.QUIT:
                    return
                index = len(self.ids) - 1
            record = self.store.get(self.ids[index])
            self._show(record, index)
            step = _Step.ASK
            while step == _Step.ASK:
                self.console.print(self._prompt(record, index), end="")
                step = self._act(record, self.keys.key())
            if step == _Step.QUIT:
                return
            if step == _Step.NEXT:
                index += 1
            elif step == _Step.BACK:
                index -= 1

    def _position(self, index: int) -> str:
        remaining = len(self.ids) - len(self.tally.decided)
        return f"{index + 1} of {len(self.ids)}, {remaining} remaining"

    def _prompt(self, record: Record, index: int) -> Text:
        """One line that keeps the reviewer's bearings however far a long record scrolled: which record, whole
        (its id is what every command takes), then as much of its title and the keys as fit."""
        head = Text.assemble((f"[{index + 1} of {len(self.ids)}] ", "dim"), (printable(record.id), "bold"))
        title = Text(compact(record.summary.title))
        room = self.console.width - 1 - head.cell_len  # 1: where the key pressed is echoed
        wanted = (min(title.cell_len, PROMPT_TITLE), None)  # enough of the title to know it, or none of it
        for need, keys in itertools.product(wanted, PROMPT_KEYS):
            ending = f" · {keys}: " if keys else ": "
            spare = room - len(ending) - (0 if need is None else len(" · "))
            if spare >= (need or 0):
                break
        if need is not None and title.cell_len:
            title.truncate(spare, overflow="ellipsis")
            head.append(" · ").append_text(title)
        return head.append(ending)

    def _show(self, record: Record, index: int) -> None:
        self.console.print()
        self.console.rule(self._position(index))
        self.console.print(record_view(record))
        changes = self._changes(record)
        if changes is not None:
            self.console.print()
            self.console.print(changes)
        for notice in self.notices:
            self.console.print(notice)
        self.notices.clear()
        self.console.print(Text(LEGEND, style="dim"))

    def _changes(self, record: Record) -> RenderableType | None:
        """A stale record against the version that was approved; any other against the one before it."""
        if record.status == Status.STALE and record.approved_version and record.approved_version != record.version:
            base, what = record.approved_version, "the approved version"
        elif record.version > 1:
            base, what = record.version - 1, "the previous version"
        else:
            return None
        old = self.store.get(record.id, base)
        lines = editing.diff_lines(old.summary, record.summary, f"version {base} ({old.author})",
                                   f"version {record.version} ({record.author})")  # fmt: skip
        return diff_view(f"Changes from {what}, version {base}:", lines)

    def _act(self, record: Record, key: str) -> _Step:
        key = key.lower()
        if key in ("q", ""):
            return _Step.QUIT
        if key == "a":
            return self._accept(record)
        if key == "r":
            return self._reject(record)
        if key == "e":
            return self._edit(record)
        if key == "s":
            self.tally.skipped.add(record.id)
            return _Step.NEXT
        if key == "b":
            if self.ids.index(record.id) == 0:
                self.console.print("This is the first record.")
                return _Step.ASK
            return _Step.BACK
        if key == "v":
            return self._view_source(record)
        if key in ("?", "h"):
            self.console.print(HELP, markup=False, highlight=False)
            return _Step.ASK
        shown = key if key.isprintable() and key.strip() else repr(key)
        self.console.print(f"No action for {shown}: press ? for help.", markup=False)
        return _Step.ASK

    def _at_end(self) -> _Step:
        self.console.print()
        self.console.rule("end of the queue")
        self.console.print(self._summary())
        while True:
            self.console.print("b back · q quit: ", end="")
            key = self.keys.key().lower()
            if key in ("q", ""):
                self._summary_on_screen = True
                return _Step.QUIT
            if key == "b":
                return _Step.BACK

    def _summary(self) -> Text:
        decided = list(self.tally.decided.values())
        counts = [f"{decided.count('approved')} accepted", f"{decided.count('rejected')} rejected",
                  f"{len(set(self.tally.edited))} edited"]  # fmt: skip
        undecided = len(self.ids) - len(decided)
        rest = f"{undecided} of {len(self.ids)} left as they were" if undecided else "nothing left to decide"
        again = ": run `trendsum review` again to carry on" if undecided else ""
        return literal(f"Reviewed as {self.reviewer}: {', '.join(counts)}; {rest}{again}. Every decision is saved.")

    # -- decisions ------------------------------------------------------------------------------------------

    def _accept(self, record: Record) -> _Step:
        unsupported = review.unsupported_points(record)
        note = None
        if unsupported:
            self.console.print(f"[bold red]{unsupported} point(s) have quotes that are not in the source[/] "
                               "(marked above).")  # fmt: skip
            self.console.print("Accept anyway? Press y to accept, any other key to go back: ", end="")
            if self.keys.key().lower() != "y":
                self.console.print("Not accepted.")
                return _Step.ASK
            note = f"accepted with {unsupported} point(s) whose quotes are not in the source"
        return self._decide(record, lambda: review.accept(
            self.store, record.id, self.reviewer, note, expected_version=record.version,
            expected_status=record.status, allow_ungrounded=bool(unsupported)))  # fmt: skip

    def _reject(self, record: Record) -> _Step:
        self.console.print("Why reject it? (the reason is kept; Enter on its own to cancel): ", end="")
        reason = self.keys.line().strip()
        if not reason:
            self.console.print("Not rejected.")
            return _Step.ASK
        return self._decide(record, lambda: review.reject(
            self.store, record.id, self.reviewer, reason, expected_version=record.version,
            expected_status=record.status))  # fmt: skip

    def _decide(self, record: Record, action: Callable[[], object]) -> _Step:
        try:
            action()
        except ConflictError as exc:
            self._conflict(exc)
            return _Step.SHOW
        except TrendsumError as exc:
            self.console.print(literal(str(exc), "red"))
            return _Step.ASK
        now = self.store.get(record.id)
        self.tally.decided[record.id] = str(now.status)
        self.tally.skipped.discard(record.id)
        self.console.print(Text.assemble(literal(record.id, "bold"), f" v{now.version}: {now.status} by ",
                                         literal(self.reviewer), "."))  # fmt: skip
        return _Step.NEXT

    def _edit(self, record: Record) -> _Step:
        try:
            outcome = edit_in_editor(self.store, record, self.console, self.keys, self.reviewer, self.editor,
                                     self.drafts)  # fmt: skip
        except ConflictError as exc:
            self._conflict(exc)
            return _Step.SHOW
        if outcome is None:
            return _Step.ASK
        self.tally.edited.append(record.id)
        self.notices += [Text(line, style=style) for line, style in edit_messages(outcome, self.reviewer)]
        self.notices.append(Text("This is the new version: accept it with a, or edit it again with e."))
        return _Step.SHOW

    def _conflict(self, exc: ConflictError) -> None:
        self.console.print("Not saved: someone else changed this record.", style="bold yellow")
        self.notices.append(Text.assemble(("Not saved: ", "bold yellow"), literal(str(exc)),
                                          "\nIt is shown above as it is now."))

    def _view_source(self, record: Record) -> _Step:
        source = review.read_source(record.provenance)
        if source.text is None:
            self.console.print(Text.assemble(literal(source.problem or "", "yellow"),
                                             " There is no source text to show."))  # fmt: skip
            return _Step.ASK
        page_text(self.console, self.keys, source.text, f"source: {source.path}", warning=source.problem)
        return _Step.SHOW


def page_text(console: Console, keys: Keys, text: str, title: str, warning: str | None = None) -> None:
    """Page through text a screen at a time: space or Enter for the next page, b for the previous, q to stop."""
    lines = Text("\n".join(printable(line) for line in text.splitlines())).wrap(console, console.width)
    height = max(console.size.height - 3 - (1 if warning else 0), 5)
    pages = max(1, -(-len(lines) // height))
    page = 0
    while True:
        console.rule(literal(f"page {page + 1} of {pages} · {title}"), characters="·")  # a long title: cut at its end
        if warning:
            console.print(Text.assemble(literal(warning, "bold yellow"), " Shown as it is now."))
        for line in lines[page * height : (page + 1) * height]:
            console.print(line, highlight=False)
        last = page == pages - 1
        console.print("space/Enter " + ("back to the record" if last else "next page") + " · b previous · q back: ",
                      end="", style="dim")  # fmt: skip
        key = keys.key().lower()
        if key in ("q", "", "\x1b") or (last and key in (" ", "\n", "\r", "n", "f")):
            console.print()
            return
        page = max(0, page - 1) if key in ("b", "p") else min(pages - 1, page + 1)


def edit_in_editor(
    store: Store, record: Record, console: Console, keys: Keys, reviewer: str, editor: Editor, drafts: Path
) -> review.EditOutcome | None:
    """Edit a record in the reviewer's editor until it is valid and saved (the outcome), or they give up (None).

    Raises ConflictError when someone changed the record meanwhile. The draft file is deleted only once its
    content is saved (or was never changed); otherwise its path is printed, so nothing typed is lost.
    """
    original = editing.to_markdown(record.summary, grounding=record.grounding, origin=(record.id, record.version))
    drafts.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", record.id)
    handle, name = tempfile.mkstemp(prefix=f"{safe}-v{record.version}-", suffix=".md", dir=drafts)
    path = Path(name).resolve()  # the path printed if the draft is kept: absolute, so it works from anywhere
    with open(handle, "w", encoding="utf-8") as draft:
        draft.write(original)
    kept = f"Your text is kept in {path}"  # printed with soft_wrap, so the path copies whole from the terminal
    while True:
        try:
            status = editor(path)
        except TrendsumError as exc:
            console.print(literal(str(exc), "red"))
            path.unlink(missing_ok=True)
            return None
        text = editing.without_problems_comment(path.read_text(encoding="utf-8"))
        if status != 0:
            console.print(literal(f"The editor stopped with status {status}: nothing saved. {kept}."), soft_wrap=True)
            return None
        if text == original:
            console.print("No change: nothing saved.")
            path.unlink(missing_ok=True)
            return None
        try:
            editing.parse_markdown(text)
        except editing.EditInvalid as exc:
            console.print("[bold red]The edited record is not valid:[/]")
            for problem in exc.problems:
                console.print(literal(f"  • {problem}"))
            console.print("r re-open the editor (your text as you left it) · a abandon: ", end="")
            if keys.key().lower() == "r":
                path.write_text(editing.problems_comment(exc.problems) + text, encoding="utf-8")
                continue
            console.print(literal(f"Abandoned: nothing saved. {kept}."), soft_wrap=True)
            return None
        console.print("A note about this edit (optional, Enter to skip): ", end="")
        note = keys.line().strip() or None
        try:
            outcome = review.edit_markdown(store, record.id, text, reviewer, note,
                                           expected_version=record.version, expected_status=record.status)  # fmt: skip
        except ConflictError:
            console.print(literal(f"{kept}."), soft_wrap=True)
            raise
        except TrendsumError as exc:
            console.print(literal(f"{exc} {kept}.", "red"), soft_wrap=True)
            return None
        path.unlink(missing_ok=True)
        return outcome


def edit_messages(outcome: review.EditOutcome, reviewer: str) -> list[tuple[str, str | None]]:
    """What to tell the reviewer about a saved edit, as (line, style) pairs."""
    grounded = outcome.grounding
    lines: list[tuple[str, str | None]] = [(
        f"Saved as version {outcome.saved.version} by {printable(reviewer)} ({outcome.saved.status}): "
        f"{grounded.supported}/{grounded.total} points grounded in the source.",
        None if grounded.supported == grounded.total else "bold red",
    )]  # fmt: skip
    if outcome.source_problem:
        lines.append((f"{printable(outcome.source_problem)} The quotes could not be checked again: new or changed "
                      "ones are marked as not found.", "yellow"))  # fmt: skip
    return lines
