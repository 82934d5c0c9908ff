"""The small protocol every engine meets. Engines return text; the pipeline validates it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..ingest import CaseStudy
from ..prompts import Prompt


@dataclass(frozen=True)
class GenerationRequest:
    case: CaseStudy
    prompt: Prompt
    messages: list[dict[str, str]]  # system, user, then any earlier answers and the errors found in them
    schema: dict[str, Any]
    schema_name: str = "case_summary"


@dataclass(frozen=True)
class EngineReply:
    text: str | None
    refusal: str | None = None
    finish_reason: str | None = "stop"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    mode: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Engine(Protocol):
    name: str  # "offline", "openai": recorded in every record's provenance
    model: str

    def prompt_identity(self, prompt: Prompt) -> tuple[str, str]:
        """The (name, hash) recorded as the prompt: the template for an LLM, the rule set for offline."""
        ...

    async def generate(self, request: GenerationRequest) -> EngineReply: ...

    async def aclose(self) -> None: ...


class ModeMemory(Protocol):
    """Where an engine remembers which structured-output mode an endpoint accepted (the queue database)."""

    def endpoint_mode(self, endpoint: str, model: str) -> str | None: ...

    def remember_mode(self, endpoint: str, model: str, mode: str) -> None: ...
