"""What every command shares: options, consoles, the store, and turning library errors into exit codes."""

from __future__ import annotations

import functools
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from .. import config
from ..errors import TrendsumError
from ..domain.models import Status
from ..queue.store import Store, queue_error

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


def engine_line(settings: config.Settings, chosen: Engine | None, offline_note: str) -> Text:
    """The first thing a command that calls an engine says: which engine, model and server, and when a config file
    in the working folder chose that server, which file, so cases and a key never go to a server the user did not
    see named. `chosen` is None (or the offline engine) when nothing leaves the machine."""
    from .render import literal  # model names and URLs come from config files: never read as markup

    if chosen is None or chosen.name == "offline":
        return Text.assemble("Engine: ", ("offline", "cyan"), offline_note)
    line = Text.assemble("Engine: ", literal(chosen.name), " model ", literal(chosen.model, "bold"))
    endpoint = getattr(chosen, "endpoint", "")
    if endpoint:
        line.append_text(Text.assemble(" at ", literal(endpoint)))
    chosen_by = settings.endpoint_origin()  # a folder's config file, not the user, picked the server
    if chosen_by:
        line.append_text(literal(f" (from ./{chosen_by})", "yellow"))
    return line


def make_app(**flags: Any) -> App:
    return App(
        settings=config.load(flags),
        out=Console(soft_wrap=True),
        err=Console(stderr=True),
    )


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
            message = Text.assemble(("Error:", "bold red"), " ", literal(str(exc)))
            Console(stderr=True).print(message, highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except BrokenPipeError:
            sys.stderr.close()  # the reader went away (e.g. `| head`): stop quietly
            raise typer.Exit(EXIT_OK) from None

    return wrapper  # type: ignore[return-value]
