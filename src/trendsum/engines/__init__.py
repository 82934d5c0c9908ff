"""Engines turn a case study and a prompt into the text of a summary; the registry says which there are.

Each engine is declared once, as a `registry.EngineSpec`: its name (recorded in provenance), a factory from
settings, the settings it reads, and its capabilities (context size, languages it writes, structured-output modes,
whether `doctor` can check it, whether it sends cases over the network). `resolve(settings)` picks the spec for
`--engine` (or `auto`), `build(settings)` makes the engine. A plug-in adds one with `register(spec)`.

The protocol (`base.Engine`) is one awaitable call per request, so that the pipeline alone validates and re-asks.
A **two-phase engine** (OpenAI's Batch API: submit many requests now, collect the answers hours later, perhaps from
another process) fits it without a redesign:

- `GenerationRequest.request_id` is a hash of the question itself, the same in every process: it is the batch
  line's `custom_id`, and a re-ask (a different conversation) gets a different one.
- `generate` first looks the id up among the answers already collected and returns that `EngineReply` at once;
  the pipeline validates it as any other (and re-asks, which is a new request for the next batch).
- An id not answered yet is added to the batch being built and `generate` raises a "deferred" `EngineError`
  subclass (not fatal). The one change the pipeline needs then: a DEFERRED outcome beside FAILED and SKIPPED,
  which writes no failure and no record, so the next run (which skips only what is done) asks again.
- `aclose` submits the batch built during the run. Which batch holds which ids, and the answers collected, live
  in the queue database (a table of their own: one migration), beside the remembered output modes: the store the
  CLI already passes to the factory as `memory` would also meet a `BatchMemory` protocol, so nothing is kept in
  process memory between submit and collect.
- Collecting is the start of the next `trendsum summarise`: the engine's factory (or a `collect` step before the
  run) downloads finished batches into that store. Its spec would declare `network=True` and a capability for
  "answers later", so the CLI can say how many cases wait rather than counting them failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import config
from .base import Check, Diagnosable, Engine, EngineReply, GenerationRequest, ModeMemory
from .offline import OfflineEngine
from .registry import (
    AUTO,
    FROM_SERVER,
    Capabilities,
    EngineSpec,
    build,
    capabilities_of,
    fallback_reason,
    get,
    names,
    register,
    resolve,
    specs,
    unread_settings,
    unregister,
)

if TYPE_CHECKING:
    from ..config import Settings

__all__ = [
    "AUTO", "FROM_SERVER", "Capabilities", "Check", "Diagnosable", "Engine", "EngineReply", "EngineSpec",
    "GenerationRequest", "ModeMemory", "OfflineEngine", "build", "capabilities_of", "fallback_reason", "get", "names",
    "register", "resolve", "specs", "unread_settings", "unregister",
]  # fmt: skip


def _offline(settings: Settings, memory: ModeMemory | None) -> Engine:
    return OfflineEngine()


def _openai(settings: Settings, memory: ModeMemory | None) -> Engine:
    from .openai import OpenAIEngine  # the only module that imports the openai SDK: only when it is used

    return OpenAIEngine.from_settings(settings, memory)


def _openai_configured(settings: Settings) -> bool:
    return bool(settings.api_key or settings.base_url)


OFFLINE = register(EngineSpec(
    name="offline",
    summary="extractive summariser",
    factory=_offline,
    reads=(),
    capabilities=Capabilities(
        context_tokens=None,  # reads the whole case: nothing to split
        languages=frozenset({"en"}),
        languages_because="copies sentences from the source",
        modes=(),  # builds the JSON itself
        any_schema=False,  # writes case summaries only: the cross-case analysis has its own offline rules
        diagnose=False,
        network=False,
    ),
))  # fmt: skip
OPENAI = register(EngineSpec(
    name="openai",
    summary="OpenAI-compatible API (OpenAI, Azure, Ollama, vLLM, llama.cpp, LM Studio)",
    factory=_openai,
    reads=("model", "base_url", "api_key_env", "mode", "timeout", "max_retries", "max_output_tokens"),
    capabilities=Capabilities(
        context_tokens=FROM_SERVER,
        languages=None,
        modes=tuple(mode for mode in config.MODES if mode != "auto"),  # tried in this order
        any_schema=True,
        diagnose=True,
        network=True,
    ),
    auto_when=_openai_configured,
    configured_by="API key or base URL",
))  # fmt: skip
