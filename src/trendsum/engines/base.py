"""The small protocol every engine meets. Engines return text; the pipeline validates it.

Also what every engine's output needs before anything stores or shows it: control characters removed (a model's
answer, or a server's error message, can hold terminal escape sequences) and the engine's secrets masked.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..domain.models import CaseStudy
from ..domain.sentences import Sentence
from ..prompts import Prompt

# A credential shorter than this is a placeholder ("x", "EMPTY", "none": what local servers are given), not a
# secret: masking every "x" in an answer would corrupt it, and hiding such a value protects nothing. Nor are
# the longer placeholders that servers' own documentation gives (llama.cpp, LM Studio).
MIN_SECRET_CHARS = 8
PLACEHOLDER_KEYS = frozenset({"sk-no-key-required", "lm-studio", "no-key-needed", "not-needed"})

# Terminal escape sequences, removed whole so that no "[2J" or "0;title" is left behind. The patterns never take
# a double quote, and a backslash only as part of ESC \ (which a JSON text doubles), so cleaning the text of a
# JSON answer does not end one of its strings early.
_ESCAPE_SEQUENCES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ !#-/]*[@-\[\]-~]"  # CSI: colours, cursor moves, clearing the screen
    # OSC, DCS, APC...: window titles, hyperlinks
    r"|(?:\x1b[\]P^_X]|[\x90\x98\x9d-\x9f])[^\x00-\x1f\x7f-\x9f\"\\]*(?:\x07|\x9c|\x1b\\{1,2})"
    r"|\x1b[ !#-/]*[0-\[\]-~]?"  # any other escape (and a bare ESC)
)
# What is left: C0 controls except tab and newline, DEL, and C1 controls.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_API_KEY_SHAPE = re.compile(r"\b(sk-[A-Za-z0-9_-]{4})[A-Za-z0-9_-]{8,}")


def strip_controls(text: str) -> str:
    """`text` without escape sequences and control characters (tabs and newlines stay)."""
    if text.isprintable():  # the common case, at C speed
        return text
    return _CONTROLS.sub("", _ESCAPE_SEQUENCES.sub("", text))


class Secrets:
    """The credentials an engine sends, so that what is stored or shown can be checked and masked.

    Only copies are masked (error messages, a failed answer kept for the record): the answer that is parsed
    is never altered, so a placeholder key cannot corrupt it.
    """

    __slots__ = ("_values",)

    def __init__(self, *values: str | None) -> None:
        self._values = tuple(v for v in values if v and len(v) >= MIN_SECRET_CHARS and v not in PLACEHOLDER_KEYS)

    def __repr__(self) -> str:
        return f"Secrets({len(self._values)} hidden)"

    def __bool__(self) -> bool:
        return bool(self._values)

    def found_in(self, text: str) -> bool:
        return any(secret in text for secret in self._values)

    def redact(self, text: str) -> str:
        """`text` as it may be stored or shown: the engine's secrets, and anything shaped like an OpenAI key,
        replaced by ***."""
        for secret in self._values:
            text = text.replace(secret, "***")
        return _API_KEY_SHAPE.sub(r"\1***", text)


NO_SECRETS = Secrets()


@dataclass(frozen=True)
class GenerationRequest:
    case: CaseStudy
    prompt: Prompt
    messages: list[dict[str, str]]  # system, user, then any earlier answers and the errors found in them
    schema: dict[str, Any]
    schema_name: str = "case_summary"
    # How the answer gives evidence (`domain.answers`): "sentences" cites the ids of `sentences`, the sentences
    # the messages show; "quotes" copies text. An engine that writes its own answer (offline) answers in kind.
    evidence_style: str = "quotes"
    sentences: tuple[Sentence, ...] = ()
    # False when the messages leave the schema out because a response format can carry it: an engine whose
    # mode cannot (plain JSON) adds the schema to the prompt itself.
    prompt_has_schema: bool = True

    @property
    def request_id(self) -> str:
        """The same for the same question, in any process: what a two-phase engine files the answer under (a
        batch's custom_id), so that a later run asking the same thing finds it instead of asking again."""
        question = json.dumps([self.messages, self.schema, self.schema_name], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(question.encode()).hexdigest()


@dataclass(frozen=True)
class EngineReply:
    text: str | None  # the answer exactly as the engine got it: untrusted, cleaned by the pipeline
    refusal: str | None = None
    finish_reason: str | None = "stop"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    mode: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    secrets: Secrets = field(default=NO_SECRETS, repr=False, compare=False)  # what must never be stored


class Engine(Protocol):
    """What the pipeline calls. Its name, factory and capabilities are declared in its `registry.EngineSpec`."""

    name: str  # "offline", "openai": recorded in every record's provenance
    model: str

    @property
    def endpoint(self) -> str | None:
        """Where cases are sent, as it may be shown; None when nothing leaves the machine."""
        ...

    def prompt_identity(self, prompt: Prompt) -> tuple[str, str]:
        """The (name, hash) recorded as the prompt: the template for an LLM, the rule set for offline."""
        ...

    async def generate(self, request: GenerationRequest) -> EngineReply: ...

    async def aclose(self) -> None: ...


class ModeMemory(Protocol):
    """Where an engine remembers which structured-output mode an endpoint accepted (the queue database)."""

    def endpoint_mode(self, endpoint: str, model: str) -> str | None: ...

    def remember_mode(self, endpoint: str, model: str, mode: str) -> None: ...


@dataclass(frozen=True)
class Check:
    """One line of `trendsum doctor`'s table."""

    name: str  # "reachable", "model", "mode json_schema", "context"
    ok: bool
    detail: str


@runtime_checkable
class Diagnosable(Engine, Protocol):
    """An engine `trendsum doctor` can check (its spec says `diagnose=True`)."""

    @property
    def endpoint(self) -> str: ...

    async def diagnose(self, probe: Callable[[], GenerationRequest]) -> list[Check]:
        """Each check, in order; `probe` builds a real request, for measuring what the instructions take."""
        ...
