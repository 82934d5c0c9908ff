"""Engines turn a case study and a prompt into the text of a summary; `build` picks one from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Engine, EngineReply, GenerationRequest, ModeMemory
from .offline import OfflineEngine

if TYPE_CHECKING:
    from ..config import Settings

__all__ = ["Engine", "EngineReply", "GenerationRequest", "ModeMemory", "OfflineEngine", "build"]


def build(settings: Settings, memory: ModeMemory | None = None) -> Engine:
    """The engine the settings ask for; `memory` remembers which output mode each endpoint accepts."""
    if settings.resolved_engine() == "offline":
        return OfflineEngine()
    from .openai import OpenAIEngine  # the only module that imports the openai SDK

    return OpenAIEngine.from_settings(settings, memory)
