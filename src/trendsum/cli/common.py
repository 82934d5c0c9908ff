"""What every command shares: options, consoles, the store, and turning library errors into exit codes."""

from __future__ import annotations

import functools
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from .. import config, engines
from ..domain.models import Status
from ..errors import TrendsumError, UsageError
from ..queue import review
from ..queue.store import Saved, Store, queue_error

if TYPE_CHECKING:
    from ..engines import Engine

EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Review queue database. [env: TRENDSUM_DB; default: outputs/trendsum.db]",
                 show_default=False),
]  # fmt: skip
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout instead of a table.")]
StatusOption = Annotated[
    list[Status] | None,
    typer.Option("--status", "-s", help="Only records with this status (repeat for several)."),
]
TrendOption = Annotated[str | None, typer.Option("--trend", help="Only this trend, e.g. 'cyber security'.")]
NationOption = Annotated[str | None, typer.Option("--nation", help="Only this nation, e.g. Scotland.")]
EngineFilter = Annotated[str | None, typer.Option("--engine", help="Only records made by this engine.")]


def _engine_help() -> str:
    """`--engine`'s help from the registry: "offline, openai, or auto: openai when its API key or base URL is
    configured, else offline." (the engines registered when the CLI is imported)."""
    chosen_by_auto = [f"{s.name} when its {s.configured_by} is configured" for s in engines.specs() if s.auto_when]
    auto = f": {'; '.join(chosen_by_auto)}, else {engines.registry.FALLBACK}" if chosen_by_auto else ""
    return f"{', '.join(s.name for s in engines.specs())}, or auto{auto}."


# The options of commands that call an engine, declared once (summarise, analyse, doctor).
EngineOption = Annotated[str | None, typer.Option("--engine", help=_engine_help(), show_default=False)]
ModelOption = Annotated[str | None, typer.Option("--model", help="Model name for the OpenAI-compatible engine.")]
BaseUrlOption = Annotated[
    str | None,
    typer.Option("--base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1 for Ollama."),
]
ApiKeyEnvOption = Annotated[
    str | None, typer.Option("--api-key-env", help="Name of the environment variable holding the API key.")
]
ModeOption = Annotated[
    str | None,
    typer.Option("--mode", help=f"Structured output mode: {', '.join(config.MODES[:-1])} or {config.MODES[-1]}."),
]
MaxAttemptsOption = Annotated[
    int | None, typer.Option("--max-attempts", help="Attempts per case when answers fail validation. [default: 3]")
]
MaxRetriesOption = Annotated[
    int | None,
    typer.Option("--max-retries", help="Transport retries (429, 5xx, timeouts) per call, with backoff. [default: 4]"),
]
TimeoutOption = Annotated[
    float | None, typer.Option("--timeout", help="Seconds to wait for one answer. [default: 120]")
]

PromptOption = Annotated[str | None, typer.Option(help="Prompt name from prompts/ (see `trendsum prompts`).")]
ConcurrencyOption = Annotated[int | None, typer.Option(help="Engine calls in flight at once. [default: 8]")]
MaxInputTokensOption = Annotated[
    int | None, typer.Option(help="Longer case studies are split and merged. [default: 24000]")
]
MaxOutputTokensOption = Annotated[
    int | None, typer.Option(help="Longest answer the model may give; truncated answers fail. [default: 4096]")
]

# The options of a reviewer's decision, declared once (review accept|reject, analyse accept|reject).
ReviewerOption = Annotated[
    str | None,
    typer.Option("--reviewer", "-r", help="Your name. [default: TRENDSUM_REVIEWER, config, or your login]"),
]
ExpectOption = Annotated[
    int | None,
    typer.Option("--expect-version", help="Fail unless it is still at this version (no lost updates)."),
]
RejectNoteOption = Annotated[str, typer.Option("--note", "-n", help="Why it is rejected (required).")]
Decision = Callable[[Store, str, str, int | None], Saved]  # (store, item id, reviewer, expected version)


@dataclass(frozen=True)
class Consoles:
    """Where a command writes: `out` for data (pipes), `err` for people. Made once per invocation by the root
    command, or given by a caller: `app(args, obj=Consoles(out=Console(file=...), err=...))`."""

    out: Console
    err: Console

    @classmethod
    def for_terminal(cls) -> Consoles:
        # The only place trendsum makes a console of its own: Rich reads NO_COLOR and the width itself.
        return cls(out=Console(soft_wrap=True), err=Console(stderr=True))


_given: ContextVar[Consoles | None] = ContextVar("trendsum_consoles", default=None)


def give_consoles(context: typer.Context) -> None:
    """Called by the root command: this invocation's consoles, `obj` if the caller gave a `Consoles`, else the
    terminal's, are what every command and its error handler use until the invocation ends."""
    if not isinstance(context.obj, Consoles):
        context.obj = Consoles.for_terminal()
    token = _given.set(context.obj)
    context.call_on_close(lambda: _given.reset(token))


def consoles() -> Consoles:
    """The consoles this invocation was given; the terminal's for a command called outside the Typer app."""
    given = _given.get()
    return given if given is not None else Consoles.for_terminal()


@dataclass
class App:
    settings: config.Settings
    out: Console  # data for pipes: stdout
    err: Console  # messages for people: stderr

    @contextmanager
    def store(self, *, create: bool = False) -> Iterator[Store]:
        """The queue; only `summarise` creates one. SQLite's own errors (full disk, damaged file) become one line."""
        store = Store(self.settings.db, create=create)
        try:
            yield store
        except sqlite3.Error as exc:
            raise queue_error(exc, store.path) from None
        finally:
            store.close()

    @contextmanager
    def store_if_any(self) -> Iterator[Store | None]:
        """The queue if there is one: where a command would remember something (doctor, the modes an endpoint
        takes) that is not worth creating a queue for."""
        if not Path(self.settings.db).is_file():
            yield None
            return
        with self.store() as store:
            yield store


def engine_line(settings: config.Settings, chosen: Engine | None, local_note: str) -> Text:
    """The first thing a command that calls an engine says: which engine, model and server, and when a config file
    in the working folder chose that server, which file, so cases and a key never go to a server the user did not
    see named. `chosen` is None (the offline analysis) or a local engine when nothing leaves the machine; then
    `local_note` follows its name."""
    from .render import literal  # model names and URLs come from config files: never read as markup

    if chosen is None:
        return Text.assemble("Engine: ", ("offline", "cyan"), local_note)
    if not engines.capabilities_of(chosen).network:
        return Text.assemble("Engine: ", (chosen.name, "cyan"), local_note)
    line = Text.assemble("Engine: ", literal(chosen.name), " model ", literal(chosen.model, "bold"))
    if chosen.endpoint:
        line.append_text(Text.assemble(" at ", literal(chosen.endpoint)))
    chosen_by = settings.endpoint_origin()  # a folder's config file, not the user, picked the server
    if chosen_by:
        line.append_text(literal(f" (from ./{chosen_by})", "yellow"))
    return line


def make_app(**flags: Any) -> App:
    """Settings from `flags` (None: not given) over the environment and config file, and this invocation's
    consoles. An engine name in any layer must be a registered engine's."""
    given = consoles()
    return App(settings=config.load(flags, engines=engines.names()), out=given.out, err=given.err)


F = TypeVar("F", bound=Callable[..., Any])


def translate_errors(fn: F) -> F:
    """Library errors become one clear line on stderr and an exit code; tracebacks are for bugs only."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TrendsumError as exc:
            from .render import literal  # only on the way out with an error: start-up stays light

            # the message may quote a file name, a setting or a model's words: never read as markup
            first, *more = str(exc).split("\n")  # a list of problems keeps its lines (each one made literal)
            message = Text.assemble(("Error:", "bold red"), " ", literal(first))
            for line in more:
                message.append("\n").append_text(literal(line))
            consoles().err.print(message, highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except BrokenPipeError:
            sys.stderr.close()  # the reader went away (e.g. `| head`): stop quietly
            raise typer.Exit(EXIT_OK) from None

    return wrapper  # type: ignore[return-value]


def decide(ids: list[str], reviewer: str | None, db: Path | None, expect_version: int | None, action: Decision) -> None:
    """A reviewer's decision on each of `ids` (records or analyses), attributed to them, saying what each did.

    With one id its error is the command's error; with several, each failure is said and the others go on."""
    from .render import literal
    if expect_version is not None and len(ids) != 1:
        raise UsageError("--expect-version goes with exactly one id.")
    app_ = make_app(db=db, reviewer=reviewer)
    who = review.reviewer_name(reviewer, app_.settings.reviewer)
    failed = 0
    with app_.store() as store:
        for item_id in ids:
            try:
                saved = action(store, item_id, who, expect_version)
            except TrendsumError as exc:
                if len(ids) == 1:
                    raise
                failed += 1
                app_.err.print(Text.assemble((f"{item_id}:", "red"), " ", literal(str(exc))), soft_wrap=True)
                continue
            app_.err.print(Text.assemble(f"{item_id} v{saved.version}: ", (str(saved.status), "bold"), " by ",
                                         literal(who)), highlight=False)  # fmt: skip
    if failed:
        app_.err.print(f"{failed} of {len(ids)} not changed.")
        raise typer.Exit(EXIT_FAILURES)
