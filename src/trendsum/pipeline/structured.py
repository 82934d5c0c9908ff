"""One validated structured call: ask, validate, re-ask with the precise problems, a bounded number of times.

The same loop as `summarise.generate_summary`, made generic so that other structured answers (the cross-case
analysis) go through it: the caller supplies the validator, which parses the answer and checks its grounding
rules, and returns either the value or the problems to show the model.

A model's answer is untrusted: control characters and terminal escape sequences are removed before it is
validated (here, once, for every kind of structured answer), and an answer holding the engine's API key is
never stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from ..engines.base import Engine, EngineReply, GenerationRequest, strip_controls
from ..errors import ContextExceeded, EngineError, FatalEngineError
from ..errors import SummaryFailed as StructuredCallFailed  # one failure type for every structured call

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


@dataclass
class CallStats:
    attempts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    mode: str | None = None


@dataclass
class Validated(Generic[T]):
    value: T
    stats: CallStats


async def validated_call(
    engine: Engine,
    messages: list[dict[str, str]],
    make_request: Callable[[list[dict[str, str]]], GenerationRequest],
    validate: Callable[[str], tuple[T | None, list[str]]],
    *,
    max_attempts: int,
    reask: Callable[[list[str]], str],
    keep_flawed: bool = False,
    on_reply: Callable[[EngineReply], None] = lambda reply: None,
) -> Validated[T]:
    """Call the engine until `validate` accepts an answer, showing the model its problems each time.

    `validate` returns (value, problems): a value with no problems is accepted; a value *with* problems is
    usable but flawed (say, quotes not found in the source): it is re-asked while attempts remain and, with
    `keep_flawed`, the last one is returned when they run out, for a person to judge. Refusals and truncated
    answers end at once: asking again the same way would not change them.
    """
    stats = CallStats()
    last_raw: str | None = None
    problems: list[str] = []
    flawed: T | None = None
    messages = list(messages)
    for attempt in range(1, max_attempts + 1):
        stats.attempts = attempt
        try:
            reply = await engine.generate(make_request(list(messages)))
        except FatalEngineError:
            raise
        except ContextExceeded as exc:
            raise StructuredCallFailed(str(exc), attempt, last_raw, exc.case_chars_that_fit) from None
        except EngineError as exc:
            raise StructuredCallFailed(str(exc), attempt, last_raw) from None
        on_reply(reply)
        stats.prompt_tokens += reply.prompt_tokens
        stats.completion_tokens += reply.completion_tokens
        stats.mode = reply.mode or stats.mode
        text = strip_controls(reply.text or "")
        seen = _decoded(text) if reply.secrets else text  # as it would be stored: a key can hide behind \u escapes
        holds_key = reply.secrets.found_in(text) or reply.secrets.found_in(seen)
        last_raw = None if reply.text is None else reply.secrets.redact(seen if holds_key else text)  # kept on failure
        if reply.refusal:
            refusal = reply.secrets.redact(strip_controls(reply.refusal))
            raise StructuredCallFailed(f"the model refused: {refusal}", attempt, refusal)
        if reply.finish_reason == "length":
            raise StructuredCallFailed(
                "the answer was truncated (finish_reason=length): raise --max-output-tokens or use a model with "
                "a longer output",
                attempt,
                last_raw,
            )
        if holds_key:
            raise StructuredCallFailed(_HOLDS_KEY, attempt, last_raw)
        value, problems = validate(text)
        if value is not None and not problems:
            return Validated(value, stats)
        if value is not None:
            flawed = value
        messages += [{"role": "assistant", "content": text}, {"role": "user", "content": reask(problems)}]
    if keep_flawed and flawed is not None:
        return Validated(flawed, stats)
    raise StructuredCallFailed(
        f"no valid answer after {max_attempts} attempt(s): {'; '.join(problems)[:500]}", max_attempts, last_raw
    )


_HOLDS_KEY = ("the answer contains the API key, so it was not stored: the endpoint echoes the credentials it "
              "is sent (a misconfigured gateway or proxy?)")


def _decoded(text: str) -> str:
    """A JSON answer as its strings are once decoded and cleaned, or the text itself if it is no JSON."""
    try:
        return json.dumps(_clean(json.loads(strip_fences(text))), ensure_ascii=False)
    except (ValueError, RecursionError):
        return text


def parse_model(text: str, model: type[M]) -> tuple[M | None, list[str]]:
    """The answer as `model`, or the precise problems (JSON syntax, then validation errors) to show the model.

    Strings are cleaned of control characters after decoding too: JSON can spell an escape as \\u001b."""
    if not text.strip():
        return None, ["the answer was empty; reply with one JSON object"]
    candidate = strip_fences(text)
    try:
        data: Any = _clean(json.loads(candidate))
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # a lone surrogate (\ud800) could not be stored
    except json.JSONDecodeError as exc:
        return None, [f"the answer is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"]
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number, nesting thousands deep, bad Unicode
        return None, [f"the answer is not usable JSON ({type(exc).__name__}: {str(exc)[:200]})"]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False)[:20]:
            where = ".".join(str(part) for part in error["loc"]) or "(top level)"
            problems.append(f"{where}: {error['msg']}")
        return None, problems


def _clean(node: Any) -> Any:
    if isinstance(node, str):
        return strip_controls(node)
    if isinstance(node, dict):
        return {strip_controls(key): _clean(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_clean(item) for item in node]
    return node


def strip_fences(text: str) -> str:
    """A JSON answer wrapped in a ``` block, as some models reply even when told not to."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[1] if "\n" in stripped else ""
        if stripped.rstrip().endswith("```"):
            stripped = stripped.rstrip()[:-3]
    return stripped.strip()
