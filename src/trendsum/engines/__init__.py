"""Engines turn a case study and a prompt into the text of a summary; `build` picks one from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Engine, EngineReply, GenerationRequest
from .offline import OfflineEngine

if TYPE_CHECKING:
    from ..config import Settings

__all__ = ["Engine", "EngineReply", "GenerationRequest", "OfflineEngine", "build"]


def build(settings: Settings) -> Engine:
    if settings.resolved_engine() == "offline":
        return OfflineEngine()
    from .openai import OpenAIEngine  # the only module that imports the openai SDK

    return OpenAIEngine.from_settings(settings)
