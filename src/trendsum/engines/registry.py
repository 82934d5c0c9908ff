"""Which engines there are: each declares once its name, how it is built from settings, the settings it reads and
what it can do. `config`, the pipeline, the CLI and `doctor` ask here instead of comparing names.

A spec is cheap to declare: building the engine is deferred to `factory`, so that naming an engine never imports
its SDK (start-up stays light when the offline engine is used).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Literal

from ..config import Settings, unknown_engine
from .base import Engine, ModeMemory

AUTO = "auto"
FROM_SERVER: Literal["server"] = "server"


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do, so callers decide by capability rather than by engine name."""

    # How much of a case one call takes. None: the whole case, however long (the offline engine reads it all, so
    # --max-input-tokens does not apply); FROM_SERVER: what the endpoint allows, --max-input-tokens until the
    # server says otherwise; a number: that many tokens, whatever the settings say.
    context_tokens: int | Literal["server"] | None = None
    # The languages it can write summaries in; None: any language the prompt names.
    languages: frozenset[str] | None = None
    # Why it cannot write other languages, completing "The <name> engine ..., so it cannot write Dutch (nl)".
    languages_because: str = "writes only some languages"
    # Structured-output modes it can be asked for (--mode); () when it writes the JSON itself.
    modes: tuple[str, ...] = ()
    # Answers whatever JSON schema a request carries (an LLM does); False for one that only writes case
    # summaries, so the cross-case analysis uses its own rules instead of asking it.
    any_schema: bool = True
    # `trendsum doctor` can check it: the engine it builds then meets `base.Diagnosable`.
    diagnose: bool = False
    # Sends cases off the machine, where calls take time and may cost money: --max-cost and prices apply, and
    # the endpoint is named before the first call.
    network: bool = False

    def writes(self, language: str) -> bool:
        return self.languages is None or language in self.languages

    def input_limit(self, max_input_tokens: int) -> int | None:
        """The token limit above which a case is split, given the --max-input-tokens setting; None: never split."""
        if self.context_tokens is None:
            return None
        if self.context_tokens == FROM_SERVER:
            return max_input_tokens
        return min(self.context_tokens, max_input_tokens)


@dataclass(frozen=True)
class EngineSpec:
    """One engine, declared once: the registry maps `name` to this."""

    name: str  # --engine NAME; recorded in every record's provenance, so never reused for another engine
    summary: str  # what it is in a few words, for --help and the line a run starts with: "extractive summariser"
    factory: Callable[[Settings, ModeMemory | None], Engine]
    reads: tuple[str, ...]  # the Settings fields `factory` reads: the options that matter for this engine
    capabilities: Capabilities
    # `--engine auto` picks the first engine whose rule says the settings configure it (a key, an endpoint);
    # None: only chosen by name. `configured_by` says what would, for when auto falls back to offline.
    auto_when: Callable[[Settings], bool] | None = None
    configured_by: str = ""

    def build(self, settings: Settings, memory: ModeMemory | None = None) -> Engine:
        """The engine; `memory` remembers which output mode each endpoint accepts (the queue, when there is one)."""
        engine = self.factory(settings, memory)
        if engine.name != self.name:  # provenance would name another engine than the one that ran
            raise TypeError(f"engine {self.name!r} built an engine that calls itself {engine.name!r}")
        return engine


# What `auto` falls back to when no other engine's rule matches: the one engine that needs nothing configured.
FALLBACK = "offline"
_NAME = re.compile(r"[a-z][a-z0-9_-]*")

_specs: dict[str, EngineSpec] = {}


def register(spec: EngineSpec) -> EngineSpec:
    """Make `spec` choosable as --engine NAME. Names are provenance, so one never silently replaces another."""
    if spec.name == AUTO or not _NAME.fullmatch(spec.name):
        raise ValueError(f"an engine name is lower-case letters, digits, - and _, and not {AUTO!r}: {spec.name!r}")
    if spec.name in _specs:
        raise ValueError(f"an engine named {spec.name!r} is already registered")
    unknown = sorted(set(spec.reads) - _settings_fields())
    if unknown:
        raise ValueError(f"engine {spec.name!r} reads settings that do not exist: {', '.join(unknown)}")
    _specs[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Undo `register` (for tests and plug-ins that are unloaded); the built-in fallback stays."""
    if name == FALLBACK:
        raise ValueError(f"the {FALLBACK} engine is what auto falls back to: it cannot be removed")
    _specs.pop(name, None)


def names() -> tuple[str, ...]:
    """What --engine accepts: auto, then each registered engine in the order registered."""
    return (AUTO, *_specs)


def specs() -> tuple[EngineSpec, ...]:
    return tuple(_specs.values())


def get(name: str) -> EngineSpec | None:
    return _specs.get(name)


def resolve(settings: Settings) -> EngineSpec:
    """The engine the settings ask for: by name, or for `auto` the first whose rule matches, else offline."""
    if settings.engine == AUTO:
        chosen = next((s for s in _specs.values() if s.auto_when is not None and s.auto_when(settings)), None)
        return chosen or _specs[FALLBACK]
    spec = _specs.get(settings.engine)
    if spec is None:
        raise unknown_engine(settings.engine, settings.origin("engine") or "the settings", names())
    return spec


def build(settings: Settings, memory: ModeMemory | None = None) -> Engine:
    """The engine the settings ask for, built; `memory` remembers which output mode each endpoint accepts."""
    return resolve(settings).build(settings, memory)


def capabilities_of(engine: Engine) -> Capabilities:
    """A built engine's capabilities, by its name; an unregistered engine (a test double) is assumed able."""
    spec = _specs.get(engine.name)
    return spec.capabilities if spec is not None else Capabilities()


def unread_settings(settings: Settings, spec: EngineSpec) -> list[str]:
    """Engine settings that were given (not defaults) but that `spec` does not read: a --model or base_url meant
    for another engine, which `doctor` points out rather than let the user think it took effect."""
    for_engines = {key for other in _specs.values() for key in other.reads}
    return sorted(key for key in settings.origins if key in for_engines and key not in spec.reads)


def fallback_reason(settings: Settings, spec: EngineSpec) -> str:
    """Why `auto` fell back to `spec`, for the line a run starts with: " (no API key or base URL configured)"."""
    if settings.engine != AUTO or spec.name != FALLBACK:
        return ""
    needs = [s.configured_by for s in _specs.values() if s.auto_when is not None and s.configured_by]
    return f" (no {' or '.join(needs)} configured)" if needs else ""


def _settings_fields() -> set[str]:
    return {f.name for f in fields(Settings)}
