"""`trendsum doctor` and `trendsum prompts`: check the setup before spending a run on it."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from .. import engines, prompts
from ..engines.base import GenerationRequest
from ..ingest import CaseStudy
from ..models import summary_schema
from ..summarise import initial_messages
from .common import EXIT_FAILURES, DbOption, JsonOption, make_app, translate_errors

PROBE_TEXT = """# Probe council: online permits

The main problem was a paper form that took weeks to process.
The team built an online form with residents in 2024.
As a result, permits are now issued in two days instead of three weeks.
"""


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor_command)
    app.command("prompts")(prompts_command)


@translate_errors
def doctor_command(
    engine: Annotated[str | None, typer.Option(help="offline, openai or auto.")] = None,
    model: Annotated[str | None, typer.Option(help="Model to check.")] = None,
    base_url: Annotated[str | None, typer.Option(help="Endpoint to check.")] = None,
    api_key_env: Annotated[str | None, typer.Option(help="Variable holding the API key.")] = None,
    prompt: Annotated[str | None, typer.Option(help="Prompt to probe with.")] = None,
    db: DbOption = None,
) -> None:
    """Check the LLM endpoint: reachable, model listed, which structured-output modes it supports.

    Sends one small probe per mode (json_schema, tools, json_object, json) and remembers the first that
    works for this endpoint, so `summarise` does not probe again. Exit code 1 if something needs fixing.

    Example: `trendsum doctor --base-url http://127.0.0.1:8080/v1 --model local`
    """
    app = make_app(engine=engine, model=model, base_url=base_url, api_key_env=api_key_env, prompt=prompt, db=db)
    settings = app.settings
    key = settings.api_key_env
    app.out.print(f"engine   {settings.resolved_engine()} (asked for: {settings.engine})")
    app.out.print(f"api key  {'set in ' + key if settings.api_key else key + ' is not set'}")
    if settings.sources:
        app.out.print(f"settings {', '.join(settings.sources)}")
    if settings.resolved_engine() == "offline":
        app.out.print("The offline engine needs no endpoint: nothing to check.")
        return
    template = prompts.load(settings.prompt)
    with app.store() as store:
        chosen = engines.build(settings, memory=store)
        app.out.print(f"endpoint {getattr(chosen, 'endpoint', '')}  model {chosen.model}")
        case = CaseStudy("probe", "probe.md", "Probe council: online permits", PROBE_TEXT,
                         hashlib.sha256(PROBE_TEXT.encode()).hexdigest())  # fmt: skip

        def probe() -> GenerationRequest:
            messages = initial_messages(case, template, settings.language)
            return GenerationRequest(case, template, messages, summary_schema())

        async def diagnose():  # type: ignore[no-untyped-def]
            try:
                return await chosen.diagnose(probe)  # type: ignore[attr-defined]
            finally:
                await chosen.aclose()

        checks = asyncio.run(diagnose())
    table = Table("check", "ok", "detail", title="doctor", title_justify="left")
    for check in checks:
        table.add_row(check.name, Text("yes", "green") if check.ok else Text("no", "red"), check.detail)
    app.out.print(table)
    by_name = {c.name: c.ok for c in checks}
    modes_ok = any(ok for name, ok in by_name.items() if name.startswith("mode "))
    if not (by_name.get("reachable") and by_name.get("model") and modes_ok):
        raise typer.Exit(EXIT_FAILURES)


@translate_errors
def prompts_command(
    directory: Annotated[Path | None, typer.Option("--dir", help="Prompt folder. [default: prompts/]")] = None,
    as_json: JsonOption = False,
) -> None:
    """List the prompt templates: name, content hash (recorded in provenance), file.

    Pick one with `trendsum summarise --prompt NAME`.
    """
    app = make_app()
    found = prompts.available(directory)
    if as_json:
        data = [{"name": p.name, "sha256": p.sha256, "path": p.path} for p in found]
        app.out.print(json.dumps(data, indent=2), markup=False, highlight=False)
        return
    table = Table("name", "sha256", "file", title="prompts", title_justify="left")
    for p in found:
        table.add_row(p.name, p.short_hash, p.path)
    app.out.print(table)
