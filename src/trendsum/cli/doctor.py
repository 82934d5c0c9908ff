"""`trendsum doctor` and `trendsum prompts`: check the setup before spending a run on it."""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from .. import engines, prompts
from ..domain.models import CaseStudy
from ..engines.base import Check, Diagnosable, GenerationRequest
from ..errors import ConfigError
from ..pipeline.summarise import first_request
from .common import (
    EXIT_FAILURES,
    ApiKeyEnvOption,
    BaseUrlOption,
    DbOption,
    EngineOption,
    JsonOption,
    ModelOption,
    make_app,
    translate_errors,
)
from .render import literal

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
    engine: EngineOption = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    api_key_env: ApiKeyEnvOption = None,
    prompt: Annotated[str | None, typer.Option(help="Prompt to probe with.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each call (not retried).")] = 30.0,
    db: DbOption = None,
) -> None:
    """Check the LLM endpoint: reachable, model listed, which structured-output modes it supports.

    Sends one tiny probe per mode (json_schema, tools, json_object, json), answered in a few tokens, and
    remembers the first that works for this endpoint in the queue, if there is one, so `summarise` does not probe
    again; then measures a real request's instructions and schema with one call of max_tokens=1. Exit code 1 if
    something needs fixing.

    Example: `trendsum doctor --base-url http://127.0.0.1:8080/v1 --model local --timeout 10`
    """
    if timeout <= 0:
        raise ConfigError("--timeout must be more than 0 seconds.")
    app = make_app(engine=engine, model=model, base_url=base_url, api_key_env=api_key_env, prompt=prompt, db=db)
    settings = app.settings
    key = settings.api_key_env
    spec = engines.resolve(settings)
    app.out.print(literal(f"engine   {spec.name} (asked for: {settings.engine})"))
    app.out.print(literal(f"api key  {'set in ' + key if settings.api_key else key + ' is not set'}"))
    if settings.sources:
        app.out.print(literal(f"settings {', '.join(settings.sources)}"))
    unread = engines.unread_settings(settings, spec)
    if unread:
        them = "them" if len(unread) > 1 else "it"
        app.out.print(literal(f"unused   {', '.join(unread)}: the {spec.name} engine does not read {them}"))
    if not spec.capabilities.diagnose:
        app.out.print(literal(f"The {spec.name} engine needs no endpoint: nothing to check."))
        return
    template = prompts.load(settings.prompt)
    # A retried timeout would multiply the wait: doctor reports what the server did, once per check.
    probing = replace(settings, timeout=timeout, max_retries=0)
    with app.store_if_any() as store:
        chosen = spec.build(probing, memory=store)
        if not isinstance(chosen, Diagnosable):  # a bug in the engine's declaration, not the user's setup
            raise TypeError(f"engine {spec.name!r} says doctor can check it, but it has no diagnose()")
        app.out.print(literal(f"endpoint {chosen.endpoint}  model {chosen.model}"))
        case = CaseStudy("probe", "probe.md", "Probe council: online permits", PROBE_TEXT,
                         hashlib.sha256(PROBE_TEXT.encode()).hexdigest())  # fmt: skip

        def probe() -> GenerationRequest:
            return first_request(case, template, settings.language)

        async def diagnose(engine: Diagnosable) -> list[Check]:
            try:
                return await engine.diagnose(probe)
            finally:
                await engine.aclose()

        checks = asyncio.run(diagnose(chosen))
    table = Table("check", "ok", "detail", title="doctor", title_justify="left")
    for check in checks:
        table.add_row(check.name, Text("yes", "green") if check.ok else Text("no", "red"), literal(check.detail))
    app.out.print(table)
    by_name = {c.name: c.ok for c in checks}
    if by_name.get("evidence sentences") is False and by_name.get("evidence quotes"):
        app.out.print("This model copies sentences better than it cites their numbers: summarise with "
                      "--prompt summarise-v1 (evidence as quotes).")  # fmt: skip
    elif by_name.get("evidence sentences") is False:
        app.out.print("This model found the right sentence in neither style: expect unsupported points to review.")
    modes_ok = any(ok for name, ok in by_name.items() if name.startswith("mode "))
    if not (by_name.get("reachable") and by_name.get("model") and modes_ok):
        raise typer.Exit(EXIT_FAILURES)


@translate_errors
def prompts_command(
    directory: Annotated[Path | None, typer.Option("--dir", help="Prompt folder. [default: prompts/]")] = None,
    as_json: JsonOption = False,
) -> None:
    """List the prompt templates: name, content hash (recorded in provenance), and the file it is read from.

    Templates in ./prompts/ (or TRENDSUM_PROMPTS) come first, then those shipped with trendsum. To change one,
    copy its file into ./prompts/ under a new name (summarise-v2.md) and pick it with
    `trendsum summarise --prompt summarise-v2`: earlier records keep saying which text made them.
    """
    app = make_app()
    found = prompts.available(directory)
    if as_json:
        data = [{"name": p.name, "sha256": p.sha256, "path": p.path} for p in found]
        app.out.print(json.dumps(data, indent=2), markup=False, highlight=False)
        return
    table = Table("name", "sha256", "file", title="prompts", title_justify="left")
    for p in found:
        table.add_row(literal(p.name), p.short_hash, Text(p.path, overflow="fold"))
    app.out.print(table)
    if directory is None:
        app.err.print("To change a prompt, copy its file into ./prompts/ under a new name (e.g. summarise-v2.md) and "
                      "use --prompt summarise-v2.", highlight=False, markup=False)  # fmt: skip
