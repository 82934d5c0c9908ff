"""An engine is a plug-in: one `engines.register(...)` call, and summarise, doctor and provenance take it.

The echo engine below is defined here and nowhere else. It is a real engine, not a mock of trendsum's
internals: it reads the case in the request and answers with the JSON of a summary whose quotes are the case's
own sentences, so the production validator and grounding check pass it like any other answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import jsonl, run

from trendsum import config, engines
from trendsum.domain.answers import as_answer
from trendsum.domain.models import CaseSummary
from trendsum.engines import Capabilities, Check, EngineReply, EngineSpec, GenerationRequest, ModeMemory
from trendsum.errors import ConfigError
from trendsum.prompts import Prompt


class EchoEngine:
    """Summarises a case with its own first and last sentences: English only, no network, no model to load."""

    name = "echo"
    endpoint = "in-process"

    def __init__(self, model: str) -> None:
        self.model = model
        self.calls = 0

    def prompt_identity(self, prompt: Prompt) -> tuple[str, str]:
        return prompt.name, prompt.sha256

    async def generate(self, request: GenerationRequest) -> EngineReply:
        self.calls += 1
        lines = [line.strip() for line in request.case.text.splitlines()]
        prose = [line for line in lines if len(line) > 40 and line != request.case.title and line[0] != "#"]
        first, last = prose[0], prose[-1]
        summary = {
            "title": request.case.title, "organisation": None, "nation": None, "year": None, "trend": "other",
            "ai_application": None, "overview": {"text": first, "evidence": [first]}, "challenges": [],
            "approach": [], "outcomes": [{"text": last, "evidence": [last]}], "unintended_consequences": [],
            "lessons": [],
        }  # fmt: skip
        # answered in the evidence style the prompt asks for, as any engine must: ids of the sentences it quotes
        text = json.dumps(as_answer(CaseSummary.model_validate(summary), request.evidence_style, request.sentences))
        return EngineReply(text=text, prompt_tokens=len(request.case.text) // 4, completion_tokens=len(text) // 4,
                           mode="echo")  # fmt: skip

    async def aclose(self) -> None:
        return None

    async def diagnose(self, probe: Callable[[], GenerationRequest]) -> list[Check]:
        reply = await self.generate(probe())
        return [
            Check("reachable", True, "runs in this process"),
            Check("model", True, f"{self.model} needs nothing loaded"),
            Check("mode echo", reply.text is not None, "answers with the case's own sentences"),
        ]


def _echo(settings: config.Settings, memory: ModeMemory | None) -> EchoEngine:
    return EchoEngine(settings.model)


ECHO = EngineSpec(
    name="echo",
    summary="echo of the case's own sentences",
    factory=_echo,
    reads=("model",),
    capabilities=Capabilities(context_tokens=None, languages=frozenset({"en"}),
                              languages_because="repeats the source's sentences", modes=(), any_schema=False,
                              diagnose=True, network=False),  # fmt: skip
)


@pytest.fixture
def echo() -> Iterator[EngineSpec]:
    engines.register(ECHO)
    try:
        yield ECHO
    finally:
        engines.unregister(ECHO.name)


def test_a_registered_engine_summarises_into_the_queue_with_its_name_in_provenance(echo: EngineSpec,
                                                                                   cases: Path) -> None:  # fmt: skip
    result = run("summarise", "cases", "--engine", "echo", "--model", "echo-2")
    assert result.exit_code == 0, result.stderr
    assert "Engine: echo echo of the case's own sentences; records are labelled engine=echo." in result.stderr
    rows = jsonl(run("list", "--json").stdout)
    assert len(rows) == 3 and {r["engine"] for r in rows} == {"echo"}
    record = json.loads(run("show", "harbourside-housing", "--json").stdout)
    provenance = record["provenance"]
    assert (provenance["engine"], provenance["model"], provenance["mode"]) == ("echo", "echo-2", "echo")
    assert provenance["prompt_name"] == "summarise-v2" and provenance["attempts"] == 1
    assert [e["text"] for e in record["overview"]["evidence"]] == [
        "Harbourside Borough Council in England runs a housing register of about 4,000 households."]  # fmt: skip
    assert record["grounding"]["supported"] == record["grounding"]["total"] == 2  # the validator passed it
    again = run("summarise", "cases", "--engine", "echo", "--model", "echo-2")
    assert again.exit_code == 0 and "unchanged" in again.stderr  # cached under the engine's name and model


def test_doctor_checks_a_registered_engine_through_its_own_diagnose(echo: EngineSpec) -> None:
    result = run("doctor", "--engine", "echo", "--model", "echo-2")
    assert result.exit_code == 0, result.output
    assert "engine   echo (asked for: echo)" in result.stdout
    assert "endpoint in-process  model echo-2" in result.stdout
    assert re.search(r"reachable\s*│\s*yes\s*│\s*runs in this process", result.stdout)
    assert re.search(r"mode echo\s*│\s*yes", result.stdout)


def test_doctor_names_engine_settings_the_chosen_engine_does_not_read(echo: EngineSpec) -> None:
    result = run("doctor", "--engine", "echo", "--model", "echo-2", "--base-url", "http://127.0.0.1:9/v1")
    assert result.exit_code == 0, result.output
    assert "unused   base_url: the echo engine does not read it" in result.stdout  # echo reads only the model
    offline = run("doctor", "--engine", "offline", "--model", "m", "--api-key-env", "MY_API_KEY")
    assert "unused   api_key_env, model: the offline engine does not read them" in offline.stdout
    assert "unused" not in run("doctor", "--engine", "offline").stdout


def test_an_engine_that_doctor_cannot_check_says_so(echo: EngineSpec) -> None:
    engines.unregister("echo")
    engines.register(replace(ECHO, capabilities=replace(ECHO.capabilities, diagnose=False)))
    result = run("doctor", "--engine", "echo")
    assert result.exit_code == 0 and "The echo engine needs no endpoint: nothing to check." in result.stdout


def test_what_an_engine_cannot_write_is_refused_by_its_capabilities(echo: EngineSpec, one_case: Path) -> None:
    result = run("summarise", "one", "--engine", "echo", "--language", "nl")
    assert result.exit_code == 2
    assert ("The echo engine repeats the source's sentences, so it cannot write Dutch (nl): use an LLM engine "
            "(--engine openai) for --language, or leave it at en.") in " ".join(result.stderr.split())  # fmt: skip


def test_an_engine_without_network_is_not_held_to_a_price(echo: EngineSpec, one_case: Path) -> None:
    # --max-cost needs a price for calls that cost money; a local engine's calls do not
    result = run("summarise", "one", "--engine", "echo", "--max-cost", "1")
    assert result.exit_code == 0, result.stderr
    assert "estimated cost" not in result.stderr


def test_auto_never_picks_an_engine_without_an_auto_rule(echo: EngineSpec, one_case: Path) -> None:
    result = run("summarise", "one")
    assert result.exit_code == 0 and "Engine: offline" in result.stderr


def test_an_unregistered_engine_is_unknown_again(echo: EngineSpec, one_case: Path) -> None:
    assert "echo" in engines.names()
    engines.unregister("echo")
    result = run("summarise", "one", "--engine", "echo")
    assert result.exit_code == 2
    assert "Unknown engine 'echo' from --engine: choose one of auto, offline, openai." in result.stderr
    with pytest.raises(ConfigError, match="Unknown engine 'echo'"):
        engines.resolve(config.load({"engine": "echo"}))


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        (replace(ECHO, name="offline"), "already registered"),
        (replace(ECHO, name="auto"), "not 'auto'"),
        (replace(ECHO, name="Echo Engine"), "lower-case"),
        (replace(ECHO, reads=("model", "temperature")), "settings that do not exist: temperature"),
    ],
)
def test_a_spec_that_would_confuse_provenance_or_settings_is_refused(spec: EngineSpec, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        engines.register(spec)
    assert engines.names() == ("auto", "offline", "openai")


def test_an_engine_whose_name_differs_from_its_spec_is_a_bug_caught_before_it_runs() -> None:
    liar = replace(ECHO, name="parrot")
    with pytest.raises(TypeError, match="calls itself 'echo'"):
        liar.build(config.load())


def test_the_built_in_engines_declare_what_the_cli_used_to_infer_from_their_names() -> None:
    from trendsum.engines.openai import MODES

    offline, openai = engines.get("offline"), engines.get("openai")
    assert offline is not None and openai is not None
    assert offline.capabilities.input_limit(24_000) is None and openai.capabilities.input_limit(24_000) == 24_000
    assert not offline.capabilities.writes("nl") and openai.capabilities.writes("nl")
    assert (offline.capabilities.network, openai.capabilities.network) == (False, True)
    assert (offline.capabilities.diagnose, openai.capabilities.diagnose) == (False, True)
    assert openai.capabilities.modes == MODES


def test_a_request_id_is_the_same_for_the_same_question_and_differs_for_a_reask() -> None:
    from trendsum import prompts
    from trendsum.domain.answers import QUOTES, answer_schema
    from trendsum.domain.models import CaseStudy

    def summary_schema() -> dict:  # type: ignore[type-arg]
        return answer_schema(QUOTES)

    case = CaseStudy("c", "c.md", "C", "Some text.", "0" * 64)
    template = prompts.load("summarise-v1")
    messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
    first = GenerationRequest(case, template, list(messages), summary_schema())
    assert first.request_id == GenerationRequest(case, template, list(messages), summary_schema()).request_id
    reask = GenerationRequest(case, template, [*messages, {"role": "user", "content": "again"}], summary_schema())
    assert reask.request_id != first.request_id and len(first.request_id) == 64
