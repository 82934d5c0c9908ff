"""The review walk in a terminal: one record at a time, one key per decision, nothing lost on quit.

The walk itself (what is next, what a decision saves) is `queue.walk`; this module turns keys into its actions
and its outcomes into text, and owns what only a terminal has: the prompt line, the pager and the editor. The
console, the key reader and the editor are passed in, so tests can drive it all.
"""

from __future__ import annotations

import itertools
import re
import tempfile
from collections.abc import Callable, Sequence
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console
from rich.text import Text

from ..domain.models import Record
from ..errors import TrendsumError
from ..queue import editing, review
from ..queue.walk import (
    Conflict,
    Decided,
    Edited,
    FirstRecord,
    InvalidEdit,
    NeedsConfirm,
    NeedsReason,
    Refused,
    Tally,
    Unchanged,
    Walk,
    check_edit,
    markdown,
)
from .render import compact, diff_view, literal, printable, record_view

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


class Keys(Protocol):
    def key(self) -> str:
        """One key press; '' when the input has ended."""

    def line(self) -> str:
        """A line of text, without its newline; '' when the input has ended."""


Editor = Callable[[Path], int]  # opens the file for the reviewer, returns the editor's exit status
SaveEdit = Callable[[str, str | None], Edited | Unchanged | InvalidEdit | Conflict | Refused]  # (text, note)


def say(console: Console, *objects: Any, **options: Any) -> None:
    """Print for the screen: wrapped to the terminal and never highlighted, whatever the console's defaults (the
    app's stdout console soft-wraps, for pipes), so record text shows as it is."""
    options.setdefault("soft_wrap", False)
    options.setdefault("highlight", False)
    console.print(*objects, **options)


class _Step(Enum):
    SHOW = "show"  # show the walk's current record (it changed, or the walk moved)
    ASK = "ask"  # ask for another key about the same record
    QUIT = "quit"


class TerminalReview:
    """Drives a `Walk` from single key presses."""

    def __init__(self, walk: Walk, console: Console, keys: Keys, editor: Editor, drafts: Path) -> None:
        self.walk = walk
        self.console = console
        self.keys = keys
        self.editor = editor
        self.drafts = drafts
        self.notices: list[Text] = []  # said after the record is shown again, next to the prompt where it is seen
        self._summary_on_screen = False

    @property
    def tally(self) -> Tally:
        return self.walk.tally

    def run(self) -> Tally:
        if not self.walk.ids:
            say(self.console, "Nothing to review.")
            return self.tally
        say(self.console, Text.assemble(f"Reviewing {len(self.walk.ids)} record(s) as ",
                                        literal(self.walk.reviewer, "bold"), ". Press ? for help."))  # fmt: skip
        try:
            self._walk()
        except KeyboardInterrupt:
            self.tally.interrupted = True
            say(self.console)
        if not self._summary_on_screen:
            say(self.console, self._summary())
        return self.tally

    def _walk(self) -> None:
        while True:
            if self.walk.at_end:
                if not self._at_end():
                    return
                self.walk.back()
            record = self.walk.current()
            assert record is not None  # not at the end
            self._show(record)
            step = _Step.ASK
            while step == _Step.ASK:
                say(self.console, self._prompt(record), end="")
                step = self._act(record, self.keys.key())
            if step == _Step.QUIT:
                return

    def _prompt(self, record: Record) -> Text:
        """One line that keeps the reviewer's bearings however far a long record scrolled: which record, whole
        (its id is what every command takes), then as much of its title and the keys as fit."""
        position = self.walk.position()
        head = Text.assemble((f"[{position.number} of {position.total}] ", "dim"), (printable(record.id), "bold"))
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

    def _show(self, record: Record) -> None:
        position = self.walk.position()
        say(self.console)
        self.console.rule(Text(f"{position.number} of {position.total}, {position.remaining} remaining",
                               style="rule.text"))  # fmt: skip
        say(self.console, record_view(record))
        changes = self.walk.changes(record)
        if changes is not None:
            say(self.console)
            say(self.console, diff_view(f"Changes from {changes.what}, version {changes.base}:", changes.lines))
        for notice in self.notices:
            say(self.console, notice)
        self.notices.clear()
        say(self.console, Text(LEGEND, style="dim"))

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
            self.walk.skip()
            return _Step.SHOW
        if key == "b":
            if isinstance(self.walk.back(), FirstRecord):
                say(self.console, "This is the first record.")
                return _Step.ASK
            return _Step.SHOW
        if key == "v":
            return self._view_source(record)
        if key in ("?", "h"):
            say(self.console, HELP, markup=False)
            return _Step.ASK
        shown = key if key.isprintable() and key.strip() else repr(key)
        say(self.console, f"No action for {shown}: press ? for help.", markup=False)
        return _Step.ASK

    def _at_end(self) -> bool:
        """The tally, then back (True) or quit (False)."""
        say(self.console)
        self.console.rule("end of the queue")
        say(self.console, self._summary())
        while True:
            say(self.console, "b back · q quit: ", end="")
            key = self.keys.key().lower()
            if key in ("q", ""):
                self._summary_on_screen = True
                return False
            if key == "b":
                return True

    def _summary(self) -> Text:
        decided = list(self.tally.decided.values())
        total = len(self.walk.ids)
        counts = [f"{decided.count('approved')} accepted", f"{decided.count('rejected')} rejected",
                  f"{len(set(self.tally.edited))} edited"]  # fmt: skip
        undecided = total - len(decided)
        rest = f"{undecided} of {total} left as they were" if undecided else "nothing left to decide"
        again = ": run `trendsum review` again to carry on" if undecided else ""
        return literal(f"Reviewed as {self.walk.reviewer}: {', '.join(counts)}; {rest}{again}. "
                       "Every decision is saved.")  # fmt: skip

    # -- decisions ------------------------------------------------------------------------------------------

    def _accept(self, record: Record) -> _Step:
        outcome = self.walk.accept(record)
        if isinstance(outcome, NeedsConfirm):
            say(self.console, f"[bold red]{outcome.unsupported} point(s) have quotes that are not in the source or do "
                              "not support what they say[/] (marked above).")  # fmt: skip
            say(self.console, "Accept anyway? Press y to accept, any other key to go back: ", end="")
            if self.keys.key().lower() != "y":
                say(self.console, "Not accepted.")
                return _Step.ASK
            outcome = self.walk.accept(record, confirmed=True)
        return self._decided(outcome)

    def _reject(self, record: Record) -> _Step:
        say(self.console, "Why reject it? (the reason is kept; Enter on its own to cancel): ", end="")
        outcome = self.walk.reject(record, self.keys.line())
        if isinstance(outcome, NeedsReason):
            say(self.console, "Not rejected.")
            return _Step.ASK
        return self._decided(outcome)

    def _decided(self, outcome: Decided | NeedsConfirm | Conflict | Refused) -> _Step:
        if isinstance(outcome, Conflict):
            self._conflict(outcome)
            return _Step.SHOW
        if isinstance(outcome, Decided):
            say(self.console, Text.assemble(literal(outcome.record_id, "bold"),
                                            f" v{outcome.version}: {outcome.status} by ", literal(outcome.reviewer),
                                            "."))  # fmt: skip
            return _Step.SHOW
        if isinstance(outcome, Refused):
            say(self.console, literal(outcome.message, "red"))
        return _Step.ASK

    def _edit(self, record: Record) -> _Step:
        outcome = edit_in_editor(record, self.console, self.keys, self.editor, self.drafts,
                                 lambda text, note: self.walk.edit(record, text, note))  # fmt: skip
        if isinstance(outcome, Conflict):
            self._conflict(outcome)
            return _Step.SHOW
        if outcome is None:
            return _Step.ASK
        self.notices += [Text(line, style=style) for line, style in edit_messages(outcome.outcome,
                                                                                 self.walk.reviewer)]  # fmt: skip
        self.notices.append(Text("This is the new version: accept it with a, or edit it again with e."))
        return _Step.SHOW

    def _conflict(self, conflict: Conflict) -> None:
        say(self.console, "Not saved: someone else changed this record.", style="bold yellow")
        self.notices.append(Text.assemble(("Not saved: ", "bold yellow"), literal(conflict.message),
                                          "\nIt is shown above as it is now."))  # fmt: skip

    def _view_source(self, record: Record) -> _Step:
        source = self.walk.source(record).source
        if source.text is None:
            say(self.console, Text.assemble(literal(source.problem or "", "yellow"),
                                            " There is no source text to show."))  # fmt: skip
            return _Step.ASK
        # the sentences the record cites, highlighted where they are: only in the text the record was made from
        cited = [] if source.problem else [(item.start, item.end) for _, point in record.summary.points()
                                           for item in point.evidence if item.start is not None and item.end]  # fmt: skip
        page_text(self.console, self.keys, source.text, f"source: {source.path}", warning=source.problem,
                  highlights=cited)  # fmt: skip
        return _Step.SHOW


def page_text(console: Console, keys: Keys, text: str, title: str, warning: str | None = None,
              highlights: Sequence[tuple[int, int]] = ()) -> None:  # fmt: skip
    """Page through text a screen at a time: space or Enter for the next page, b for the previous, q to stop.
    `highlights` are spans of `text` to show highlighted (a record's cited sentences)."""
    shown = Text("\n".join(printable(line) for line in text.splitlines()))
    if shown.plain == text.rstrip("\n"):  # offsets hold only where cleaning the text changed nothing
        for start, end in highlights:
            shown.stylize("bold black on yellow", start, end)
    lines = shown.wrap(console, console.width)
    height = max(console.size.height - 3 - (1 if warning else 0), 5)
    pages = max(1, -(-len(lines) // height))
    page = 0
    while True:
        console.rule(literal(f"page {page + 1} of {pages} · {title}"), characters="·")  # a long title: cut at its end
        if warning:
            say(console, Text.assemble(literal(warning, "bold yellow"), " Shown as it is now."))
        for line in lines[page * height : (page + 1) * height]:
            say(console, line)
        last = page == pages - 1
        say(console, "space/Enter " + ("back to the record" if last else "next page") + " · b previous · q back: ",
            end="", style="dim")  # fmt: skip
        key = keys.key().lower()
        if key in ("q", "", "\x1b") or (last and key in (" ", "\n", "\r", "n", "f")):
            say(console)
            return
        page = max(0, page - 1) if key in ("b", "p") else min(pages - 1, page + 1)


def edit_in_editor(
    record: Record, console: Console, keys: Keys, editor: Editor, drafts: Path, save: SaveEdit
) -> Edited | Conflict | None:
    """Edit a record in the reviewer's editor until `save` takes it (Edited), someone changed the record meanwhile
    (Conflict), or the reviewer gives up (None).

    The draft file is deleted only once its content is saved (or was never changed); otherwise its path is
    printed, so nothing typed is lost.
    """
    drafts.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", record.id)
    handle, name = tempfile.mkstemp(prefix=f"{safe}-v{record.version}-", suffix=".md", dir=drafts)
    path = Path(name).resolve()  # the path printed if the draft is kept: absolute, so it works from anywhere
    with open(handle, "w", encoding="utf-8") as draft:
        draft.write(markdown(record))
    kept = f"Your text is kept in {path}"  # printed with soft_wrap, so the path copies whole from the terminal
    while True:
        try:
            status = editor(path)
        except TrendsumError as exc:
            say(console, literal(str(exc), "red"))
            path.unlink(missing_ok=True)
            return None
        text = editing.without_problems_comment(path.read_text(encoding="utf-8"))
        if status != 0:
            say(console, literal(f"The editor stopped with status {status}: nothing saved. {kept}."), soft_wrap=True)
            return None
        problem = check_edit(record, text)
        if isinstance(problem, Unchanged):
            say(console, "No change: nothing saved.")
            path.unlink(missing_ok=True)
            return None
        if isinstance(problem, InvalidEdit):
            say(console, "[bold red]The edited record is not valid:[/]")
            for line in problem.problems:
                say(console, literal(f"  • {line}"))
            say(console, "r re-open the editor (your text as you left it) · a abandon: ", end="")
            if keys.key().lower() == "r":
                path.write_text(editing.problems_comment(problem.problems) + text, encoding="utf-8")
                continue
            say(console, literal(f"Abandoned: nothing saved. {kept}."), soft_wrap=True)
            return None
        say(console, "A note about this edit (optional, Enter to skip): ", end="")
        outcome = save(text, keys.line().strip() or None)
        if isinstance(outcome, Edited):
            path.unlink(missing_ok=True)
            return outcome
        if isinstance(outcome, Conflict):
            say(console, literal(f"{kept}."), soft_wrap=True)
            return outcome
        # refused by the review rules (or, rarely, a text check that only failed on saving)
        message = outcome.message if isinstance(outcome, Refused) else "Not saved."
        say(console, literal(f"{message} {kept}.", "red"), soft_wrap=True)
        return None


def edit_messages(outcome: review.EditOutcome, reviewer: str) -> list[tuple[str, str | None]]:
    """What to tell the reviewer about a saved edit, as (line, style) pairs."""
    grounded = outcome.grounding
    lines: list[tuple[str, str | None]] = [(
        f"Saved as version {outcome.saved.version} by {printable(reviewer)} ({outcome.saved.status}): "
        f"{grounded.summary_line()}.",
        None if grounded.sound == grounded.total else "bold red",
    )]  # fmt: skip
    if outcome.source_problem:
        lines.append((f"{printable(outcome.source_problem)} The quotes could not be checked again: new or changed "
                      "ones are marked as not found.", "yellow"))  # fmt: skip
    return lines
